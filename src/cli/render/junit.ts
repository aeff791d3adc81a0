import { formatLocation } from "../../core/index.js";
import { type JUnitTestCase, type JUnitTestSuite, writeJUnitXml } from "../../formats/index.js";
import type { EvaluationReport, EvaluationResult, Violation } from "../../policy/index.js";
import { humanLine, isWaived, type RenderOptions, resourceLabel, violationLocation } from "./common.js";

/**
 * JUnit XML: a test suite per input file (in report order), a test case per document and
 * evaluated policy. Each deny or warn violation that counts is a failing case (`type` is the
 * enforcement); a waived one is skipped; an audit one passes with its line in `system-out`; a
 * policy the document satisfied is one passing case.
 */
export function renderJunit(report: EvaluationReport, _options: RenderOptions): string {
  const suites = new Map<string, { cases: JUnitTestCase[] }>();
  for (const result of report.results) {
    let suite = suites.get(result.source.file);
    if (!suite) {
      suite = { cases: [] };
      suites.set(result.source.file, suite);
    }
    suite.cases.push(...casesFor(result));
  }

  const properties = [
    { name: "decision", value: report.decision },
    { name: "policySetDigest", value: report.policySetDigest },
    ...(report.environment === undefined ? [] : [{ name: "environment", value: report.environment }]),
  ];
  return writeJUnitXml({
    name: "bulwark",
    suites: [...suites].map(([file, { cases }]): JUnitTestSuite => ({
      name: file,
      timestamp: report.time,
      properties,
      testCases: cases,
    })),
  });
}

function casesFor(result: EvaluationResult): JUnitTestCase[] {
  // Stable across pass/fail so CI history links runs: the resource (or the document's position).
  const classname = result.resource.name
    ? resourceLabel(result.resource)
    : `${result.source.file}#${result.source.document}`;
  const ids = [...new Set([...result.evaluated, ...result.violations.map((v) => v.policyId)])];
  const cases: JUnitTestCase[] = [];
  for (const id of ids) {
    const violations = result.violations.filter((v) => v.policyId === id);
    if (violations.length === 0) {
      cases.push({ name: id, classname, outcome: { kind: "passed" } });
      continue;
    }
    for (const v of violations) cases.push(caseFor(result, v, classname));
  }
  return cases;
}

function caseFor(result: EvaluationResult, v: Violation, classname: string): JUnitTestCase {
  const line = humanLine(result, v);
  if (isWaived(v)) return { name: v.policyId, classname, outcome: { kind: "skipped", message: line } };
  if (v.enforcement === "audit")
    return { name: v.policyId, classname, outcome: { kind: "passed" }, systemOut: line };
  const details = [
    v.message,
    `Severity: ${v.severity}`,
    `Location: ${formatLocation(violationLocation(result, v))}`,
    ...(v.remediation ? [`Remediation: ${v.remediation}`] : []),
  ];
  return {
    name: v.policyId,
    classname,
    outcome: { kind: "failure", message: line, type: v.enforcement, details: details.join("\n") },
  };
}
