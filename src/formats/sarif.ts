/**
 * SARIF 2.1.0 (OASIS, errata 01): the subset Bulwark emits, shaped for GitHub code scanning.
 *
 * Pure: no I/O, no clock, no imports from other Bulwark modules. {@link buildSarifLog} turns a
 * neutral description of rules and results into a log whose bytes depend only on its input's
 * content: rules are sorted by id, results by location then rule, and every object is built with
 * a fixed key order.
 */

export const SARIF_VERSION = "2.1.0";
/** The `id` of the official schema (the `$schema` every log we write points at). */
export const SARIF_SCHEMA_URI =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

export const SARIF_SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
/** Severity of a finding, as the producing module rates it. */
export type SarifSeverity = (typeof SARIF_SEVERITIES)[number];

export type SarifLevel = "none" | "note" | "warning" | "error";

/** SARIF `level` for each severity: critical/high are errors, medium warnings, the rest notes. */
export const SARIF_LEVEL_BY_SEVERITY = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
} as const satisfies Record<SarifSeverity, SarifLevel>;

/**
 * GitHub's `security-severity` score (a string holding a number in 0.0–10.0). GitHub maps
 * >= 9.0 to critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
 */
export const SECURITY_SEVERITY_BY_SEVERITY = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
} as const satisfies Record<SarifSeverity, string>;

/** Rules carrying `security-severity` need this tag, or GitHub ignores the score. */
export const SARIF_SECURITY_TAG = "security";

/** A JSON value, for property bags. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [k: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// Output types: the SARIF objects we write.

export interface SarifLog {
  $schema: string;
  version: typeof SARIF_VERSION;
  runs: SarifRun[];
}

export interface SarifRun {
  tool: { driver: SarifDriver };
  invocations: SarifInvocation[];
  /** Columns count UTF-16 code units, as JavaScript strings (and our YAML positions) do. */
  columnKind: "utf16CodeUnits";
  results: SarifResult[];
}

export interface SarifDriver {
  name: string;
  version?: string;
  informationUri?: string;
  rules: SarifRule[];
}

export interface SarifMessageString {
  text: string;
  markdown?: string;
}

export interface SarifRule {
  id: string;
  name?: string;
  shortDescription: { text: string };
  fullDescription?: { text: string };
  helpUri?: string;
  help?: SarifMessageString;
  defaultConfiguration: { level: SarifLevel };
  properties: {
    tags: string[];
    "security-severity": string;
  };
}

export interface SarifRegion {
  startLine: number;
  startColumn?: number;
}

export interface SarifLocation {
  physicalLocation: {
    artifactLocation: { uri: string; uriBaseId?: string };
    region?: SarifRegion;
  };
}

export interface SarifSuppression {
  kind: "inSource" | "external";
  status: "accepted";
  justification: string;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: { text: string };
  locations: SarifLocation[];
  partialFingerprints?: Record<string, string>;
  suppressions?: SarifSuppression[];
  properties?: Record<string, JsonValue>;
}

export interface SarifInvocation {
  executionSuccessful: boolean;
}

// ---------------------------------------------------------------------------------------------
// Input: the neutral structure callers describe their findings with.

export interface SarifToolInput {
  name: string;
  version?: string;
  informationUri?: string;
}

export interface SarifRuleInput {
  /** Stable, opaque id (e.g. a policy id). MUST be unique among the rules of one log. */
  id: string;
  /** Human-readable identifier, PascalCase by SARIF convention (`ContainersMustNotRunAsRoot`). */
  name?: string;
  shortDescription: string;
  fullDescription?: string;
  helpUri?: string;
  helpText?: string;
  helpMarkdown?: string;
  severity: SarifSeverity;
  /** Extra tags; `security` is always added because the rule carries `security-severity`. */
  tags?: readonly string[];
}

export interface SarifLocationInput {
  /** File path as the user gave it (relative, `/` or `\` separators). */
  path: string;
  /** 1-based; ignored unless a positive integer. */
  line?: number;
  /** 1-based; ignored unless a positive integer and `line` is usable. */
  column?: number;
}

export interface SarifResultInput {
  /** MUST name one of the rules given alongside. */
  ruleId: string;
  message: string;
  /** Defaults to the rule's severity. */
  severity?: SarifSeverity;
  /** GitHub code scanning needs one location per result; SHOULD be given. */
  location?: SarifLocationInput;
  /** Location-independent identity, keyed `<name>/v<version>`, so alerts survive line moves. */
  partialFingerprints?: Readonly<Record<string, string>>;
  /** Present when the finding is waived; it is reported with an accepted suppression. */
  suppression?: { kind?: "inSource" | "external"; justification: string };
  properties?: Readonly<Record<string, JsonValue>>;
}

export interface SarifLogInput {
  tool: SarifToolInput;
  rules: readonly SarifRuleInput[];
  results: readonly SarifResultInput[];
  /** Whether the tool ran to completion (findings do not make a run unsuccessful). Default true. */
  executionSuccessful?: boolean;
}

// ---------------------------------------------------------------------------------------------

/**
 * Builds a one-run SARIF log. Throws a `TypeError` when a rule id repeats or a result names a
 * rule that was not given: both are caller bugs, and GitHub needs every `ruleId` described.
 */
export function buildSarifLog(input: SarifLogInput): SarifLog {
  const rules = [...input.rules].sort((a, b) => compareStrings(a.id, b.id));
  const ruleIndex = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (ruleIndex.has(rule.id)) throw new TypeError(`SARIF rule id "${rule.id}" is given twice`);
    ruleIndex.set(rule.id, i);
  });

  const results = input.results.map((result) => {
    const index = ruleIndex.get(result.ruleId);
    if (index === undefined) {
      throw new TypeError(`SARIF result names rule "${result.ruleId}", which is not among the rules`);
    }
    return buildResult(result, rules[index]!, index);
  });
  results.sort(compareResults);

  const { name, version, informationUri } = input.tool;
  const driver: SarifDriver = {
    name,
    ...(version === undefined ? {} : { version }),
    ...(informationUri === undefined ? {} : { informationUri }),
    rules: rules.map(buildRule),
  };

  return {
    $schema: SARIF_SCHEMA_URI,
    version: SARIF_VERSION,
    runs: [
      {
        tool: { driver },
        invocations: [{ executionSuccessful: input.executionSuccessful ?? true }],
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
}

function buildRule(rule: SarifRuleInput): SarifRule {
  const tags = [...new Set([SARIF_SECURITY_TAG, ...(rule.tags ?? [])])].sort(compareStrings);
  const help: SarifMessageString | undefined =
    rule.helpText === undefined
      ? undefined
      : { text: rule.helpText, ...(rule.helpMarkdown === undefined ? {} : { markdown: rule.helpMarkdown }) };
  return {
    id: rule.id,
    ...(rule.name ? { name: rule.name } : {}),
    shortDescription: { text: rule.shortDescription },
    ...(rule.fullDescription === undefined ? {} : { fullDescription: { text: rule.fullDescription } }),
    ...(rule.helpUri === undefined ? {} : { helpUri: rule.helpUri }),
    ...(help === undefined ? {} : { help }),
    defaultConfiguration: { level: SARIF_LEVEL_BY_SEVERITY[rule.severity] },
    properties: { tags, "security-severity": SECURITY_SEVERITY_BY_SEVERITY[rule.severity] },
  };
}

function buildResult(result: SarifResultInput, rule: SarifRuleInput, index: number): SarifResult {
  const severity = result.severity ?? rule.severity;
  const out: SarifResult = {
    ruleId: result.ruleId,
    ruleIndex: index,
    level: SARIF_LEVEL_BY_SEVERITY[severity],
    // GitHub rejects results without message text; fall back to what the rule says.
    message: { text: result.message.trim() === "" ? rule.shortDescription : result.message },
    locations: [],
  };
  const location = result.location && buildLocation(result.location);
  if (location) out.locations.push(location);
  if (result.partialFingerprints) out.partialFingerprints = sortedRecord(result.partialFingerprints);
  if (result.suppression) {
    out.suppressions = [
      {
        kind: result.suppression.kind ?? "external",
        status: "accepted",
        justification: result.suppression.justification,
      },
    ];
  }
  if (result.properties) out.properties = sortedRecord(result.properties);
  return out;
}

function buildLocation(loc: SarifLocationInput): SarifLocation | undefined {
  const uri = toArtifactUri(loc.path);
  if (uri === "") return undefined;
  const artifactLocation: SarifLocation["physicalLocation"]["artifactLocation"] = { uri };
  // Relative references resolve against the checkout root, which GitHub knows as %SRCROOT%.
  if (!uri.startsWith("file:")) artifactLocation.uriBaseId = "%SRCROOT%";
  const physicalLocation: SarifLocation["physicalLocation"] = { artifactLocation };
  if (isPositiveInteger(loc.line)) {
    physicalLocation.region = { startLine: loc.line };
    if (isPositiveInteger(loc.column)) physicalLocation.region.startColumn = loc.column;
  }
  return { physicalLocation };
}

/**
 * A file path as a SARIF artifact URI: `\` becomes `/`, leading `./` and repeated slashes go,
 * each segment is percent-encoded (so `a b:c.yaml` stays a valid relative reference). Relative
 * paths stay relative, which is what GitHub code scanning matches against the repository.
 * Absolute paths (POSIX or `C:\`) cannot be made relative without knowing the root, so they
 * become `file:///` URIs.
 */
export function toArtifactUri(path: string): string {
  let p = path.replaceAll("\\", "/").replace(/\/{2,}/g, "/");
  const drive = /^[A-Za-z]:(?=\/|$)/.exec(p)?.[0];
  if (drive !== undefined) {
    return `file:///${drive}${encodeSegments(p.slice(drive.length))}`;
  }
  if (p.startsWith("/")) return `file://${encodeSegments(p)}`;
  while (p.startsWith("./")) p = p.slice(2);
  if (p === ".") return "";
  return encodeSegments(p);
}

function encodeSegments(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

function isPositiveInteger(n: number | undefined): n is number {
  return n !== undefined && Number.isSafeInteger(n) && n >= 1;
}

function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort(compareStrings)) out[key] = record[key]!;
  return out;
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareResults(a: SarifResult, b: SarifResult): number {
  const la = a.locations[0]?.physicalLocation;
  const lb = b.locations[0]?.physicalLocation;
  return (
    compareStrings(la?.artifactLocation.uri ?? "", lb?.artifactLocation.uri ?? "") ||
    (la?.region?.startLine ?? 0) - (lb?.region?.startLine ?? 0) ||
    (la?.region?.startColumn ?? 0) - (lb?.region?.startColumn ?? 0) ||
    a.ruleIndex - b.ruleIndex ||
    compareStrings(a.message.text, b.message.text) ||
    // Full tie on everything visible: fall back to the whole result so input order never shows.
    compareStrings(JSON.stringify(a), JSON.stringify(b))
  );
}
