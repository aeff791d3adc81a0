import type { SourceLocation } from "../../core/index.js";
import type {
  Enforcement,
  EvaluationReport,
  EvaluationResult,
  ResourceRef,
  Violation,
} from "../../policy/index.js";

/** What every renderer receives besides the report. */
export interface RenderOptions {
  /** Emit ANSI colours (only the human `table` format has any). */
  color: boolean;
  /** Bulwark's version, recorded by formats that name their producer (SARIF). */
  toolVersion: string;
  /** Leave out audit and waived findings in the formats read by people (`table`, `github`). */
  quiet?: boolean;
  /** `table`: print each violation's remediation under it (`bulwark check`). */
  remediation?: boolean;
}

/** `Kind/namespace/name`, `Kind/name`, or `Kind` alone when the resource has no name. */
export function resourceLabel(resource: ResourceRef): string {
  if (!resource.name) return resource.kind;
  return resource.namespace
    ? `${resource.kind}/${resource.namespace}/${resource.name}`
    : `${resource.kind}/${resource.name}`;
}

/** The subject of the human line: the resource when it has a name, else the file it came from. */
export function subjectOf(result: EvaluationResult): string {
  return result.resource.name ? resourceLabel(result.resource) : result.source.file;
}

/** A violation whose exception applies: reported, but it does not count toward the decision. */
export function isWaived(v: Violation): boolean {
  return v.exception?.status === "applied" || v.waiver !== undefined;
}

const PREFIX = { deny: "Build failed", warn: "Warning", audit: "Audit" } as const satisfies Record<
  Enforcement,
  string
>;

/**
 * The one-line human form of ARCHITECTURE §5:
 * `Build failed: <subject> violates Security Policy <ID> (<title>): <message>`, with `Warning:`,
 * `Audit:` or `Waived:` in place of `Build failed:`, and the exception noted at the end.
 */
export function humanLine(result: EvaluationResult, v: Violation): string {
  const prefix = isWaived(v) ? "Waived" : PREFIX[v.enforcement];
  return `${prefix}: ${subjectOf(result)} violates Security Policy ${v.policyId} (${v.title}): ${v.message}${exceptionNote(v)}`;
}

/** ` (exception: <reason>, expires <date>)` or ` (exception expired <date>: <reason>)`, or "". */
export function exceptionNote(v: Violation): string {
  if (v.waiver) return ` (waived inline at line ${v.waiver.line}: ${v.waiver.reason})`;
  const e = v.exception;
  if (!e) return "";
  return e.status === "applied"
    ? ` (exception: ${e.reason}, expires ${e.expires})`
    : ` (exception expired ${e.expires}: ${e.reason})`;
}

/** Where a violation is: its own location, with the document's file when it names none. */
export function violationLocation(result: EvaluationResult, v: Violation): SourceLocation & { file: string } {
  return { ...v.location, file: v.location?.file ?? result.source.file };
}

export interface ReportSummary {
  documents: number;
  /** Documents whose decision is deny. */
  denied: number;
  /** Warn violations that count (not waived). */
  warnings: number;
}

export function summarize(report: EvaluationReport): ReportSummary {
  let denied = 0;
  let warnings = 0;
  for (const result of report.results) {
    if (result.decision === "deny") denied++;
    for (const v of result.violations) if (v.enforcement === "warn" && !isWaived(v)) warnings++;
  }
  return { documents: report.results.length, denied, warnings };
}

export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Whether a violation is shown under `quiet`: only those that decide something. */
export function shownWhenQuiet(v: Violation): boolean {
  return v.enforcement !== "audit" && !isWaived(v);
}

/**
 * Input text made safe to show: C0/C1 controls (line breaks included), DEL and the bidirectional
 * overrides (Trojan Source) become visible escapes instead of acting on a terminal or a page.
 */
export function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}
