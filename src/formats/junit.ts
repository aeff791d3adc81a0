/**
 * JUnit XML (the `testsuites/testsuite/testcase` dialect Jenkins, GitLab, Azure DevOps and the
 * GitHub test-report actions read). Pure: the output is a function of the input alone; suites and
 * cases keep the order they are given in, and the counts are derived, never passed in.
 */

export type JUnitOutcome =
  | { kind: "passed" }
  | { kind: "failure"; message: string; type: string; details?: string }
  | { kind: "error"; message: string; type: string; details?: string }
  | { kind: "skipped"; message?: string };

export interface JUnitTestCase {
  name: string;
  classname: string;
  /** Seconds. */
  time?: number;
  outcome: JUnitOutcome;
  systemOut?: string;
}

export interface JUnitProperty {
  name: string;
  value: string;
}

export interface JUnitTestSuite {
  name: string;
  /** ISO 8601 time the suite ran. */
  timestamp?: string;
  /** Seconds. */
  time?: number;
  properties?: readonly JUnitProperty[];
  testCases: readonly JUnitTestCase[];
  systemOut?: string;
}

export interface JUnitReport {
  name: string;
  time?: number;
  suites: readonly JUnitTestSuite[];
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

/** Serialises a report as an XML 1.0 document (UTF-8, two-space indent, trailing newline). */
export function writeJUnitXml(report: JUnitReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = report.suites.map((suite) => {
    const counts = countCases(suite.testCases);
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
    return { suite, counts };
  });

  out.push(
    `<testsuites${attributes([["name", report.name], ...countAttributes(total), ["time", seconds(report.time)]])}>`,
  );
  for (const { suite, counts } of suites) writeSuite(out, suite, counts);
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

function writeSuite(out: string[], suite: JUnitTestSuite, counts: Counts): void {
  const open = `  <testsuite${attributes([
    ["name", suite.name],
    ...countAttributes(counts),
    ["time", seconds(suite.time)],
    ["timestamp", suite.timestamp],
  ])}`;
  const hasBody =
    (suite.properties?.length ?? 0) > 0 || suite.testCases.length > 0 || suite.systemOut !== undefined;
  if (!hasBody) {
    out.push(`${open}/>`);
    return;
  }
  out.push(`${open}>`);
  if (suite.properties && suite.properties.length > 0) {
    out.push("    <properties>");
    for (const p of suite.properties) {
      out.push(
        `      <property${attributes([
          ["name", p.name],
          ["value", p.value],
        ])}/>`,
      );
    }
    out.push("    </properties>");
  }
  for (const testCase of suite.testCases) writeCase(out, testCase);
  if (suite.systemOut !== undefined)
    out.push(`    <system-out>${escapeXmlText(suite.systemOut)}</system-out>`);
  out.push("  </testsuite>");
}

function writeCase(out: string[], tc: JUnitTestCase): void {
  const open = `    <testcase${attributes([
    ["name", tc.name],
    ["classname", tc.classname],
    ["time", seconds(tc.time)],
  ])}`;
  const body: string[] = [];
  const o = tc.outcome;
  switch (o.kind) {
    case "passed":
      break;
    case "failure":
    case "error": {
      const attrs = attributes([
        ["message", o.message],
        ["type", o.type],
      ]);
      body.push(
        o.details === undefined
          ? `      <${o.kind}${attrs}/>`
          : `      <${o.kind}${attrs}>${escapeXmlText(o.details)}</${o.kind}>`,
      );
      break;
    }
    case "skipped":
      body.push(`      <skipped${attributes([["message", o.message]])}/>`);
      break;
    default: {
      const never: never = o;
      throw new TypeError(`unknown JUnit outcome ${JSON.stringify(never)}`);
    }
  }
  if (tc.systemOut !== undefined) body.push(`      <system-out>${escapeXmlText(tc.systemOut)}</system-out>`);
  if (body.length === 0) {
    out.push(`${open}/>`);
    return;
  }
  out.push(`${open}>`, ...body, "    </testcase>");
}

function countCases(cases: readonly JUnitTestCase[]): Counts {
  const counts: Counts = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
  for (const tc of cases) {
    if (tc.outcome.kind === "failure") counts.failures++;
    else if (tc.outcome.kind === "error") counts.errors++;
    else if (tc.outcome.kind === "skipped") counts.skipped++;
  }
  return counts;
}

function countAttributes(c: Counts): [string, string][] {
  return [
    ["tests", String(c.tests)],
    ["failures", String(c.failures)],
    ["errors", String(c.errors)],
    ["skipped", String(c.skipped)],
  ];
}

function seconds(time: number | undefined): string | undefined {
  if (time === undefined) return undefined;
  if (!Number.isFinite(time) || time < 0)
    throw new RangeError(`JUnit time must be a non-negative number, got ${time}`);
  return time.toFixed(3);
}

function attributes(pairs: readonly (readonly [string, string | undefined])[]): string {
  let out = "";
  for (const [name, value] of pairs) {
    if (value !== undefined) out += ` ${name}="${escapeXmlAttribute(value)}"`;
  }
  return out;
}

/** Escapes character data: markup characters, `\r` (parsers would turn it into `\n`), illegal characters. */
export function escapeXmlText(s: string): string {
  return escapeXml(s, false);
}

/**
 * Escapes an attribute value for double quotes. Tabs and line breaks become character references,
 * because a parser normalises literal ones to spaces.
 */
export function escapeXmlAttribute(s: string): string {
  return escapeXml(s, true);
}

function escapeXml(s: string, attribute: boolean): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x26:
        out += "&amp;";
        continue;
      case 0x3c:
        out += "&lt;";
        continue;
      case 0x3e:
        out += "&gt;";
        continue;
      case 0x22:
        out += attribute ? "&quot;" : '"';
        continue;
      case 0x27:
        out += attribute ? "&apos;" : "'";
        continue;
      case 0x0d:
        out += "&#13;";
        continue;
      case 0x09:
      case 0x0a:
        out += attribute ? `&#${c};` : s[i];
        continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
        continue;
      }
      out += visibleEscape(c);
      continue;
    }
    out += isXmlChar(c) ? s[i] : visibleEscape(c);
  }
  return out;
}

/**
 * XML 1.0 `Char` for a single UTF-16 unit (pairs handled by the caller). The rest — most C0
 * controls, lone surrogates, U+FFFE/U+FFFF — cannot appear even as character references.
 */
function isXmlChar(c: number): boolean {
  if (c < 0x20) return c === 0x09 || c === 0x0a || c === 0x0d;
  if (c >= 0xdc00 && c <= 0xdfff) return false;
  return c !== 0xfffe && c !== 0xffff;
}

/** Illegal characters are kept visible as the text `\uXXXX` rather than silently dropped. */
function visibleEscape(c: number): string {
  return `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
}
