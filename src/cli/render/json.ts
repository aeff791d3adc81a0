import type { SourceLocation } from "../../core/index.js";
import type { EvaluationReport, EvaluationResult, Violation } from "../../policy/index.js";
import type { RenderOptions } from "./common.js";

/**
 * The stable machine form (docs/output.md). Keys are written in the documented order, whatever
 * order the report was built in; fields the schema does not list are left out, optional ones only
 * appear when set, and `auditAnnotations` keys are sorted. BigInts become numbers when exact,
 * strings otherwise, instead of making `JSON.stringify` throw.
 */
export function renderJson(report: EvaluationReport, _options: RenderOptions): string {
  return `${JSON.stringify(orderReport(report), bigintSafe, 2)}\n`;
}

function orderReport(report: EvaluationReport): Record<string, unknown> {
  return {
    decision: report.decision,
    policySetDigest: report.policySetDigest,
    ...optional("environment", report.environment),
    time: report.time,
    results: report.results.map(orderResult),
    ...optional(
      "waivers",
      report.waivers && {
        total: report.waivers.length,
        used: report.waivers.filter((w) => w.used).length,
        list: report.waivers.map((w) => ({
          file: w.file,
          line: w.line,
          policyId: w.policyId,
          reason: w.reason,
          used: w.used,
        })),
      },
    ),
  };
}

function orderResult(result: EvaluationResult): Record<string, unknown> {
  const { apiVersion, kind, namespace, name } = result.resource;
  return {
    source: { file: result.source.file, document: result.source.document },
    resource: {
      ...optional("apiVersion", apiVersion),
      kind,
      ...optional("namespace", namespace),
      ...optional("name", name),
    },
    decision: result.decision,
    violations: result.violations.map(orderViolation),
    ...optional("auditAnnotations", result.auditAnnotations && sortKeys(result.auditAnnotations)),
    evaluated: [...result.evaluated],
  };
}

function orderViolation(v: Violation): Record<string, unknown> {
  return {
    policyId: v.policyId,
    title: v.title,
    severity: v.severity,
    enforcement: v.enforcement,
    message: v.message,
    ...optional("remediation", v.remediation),
    ...optional("location", v.location && orderLocation(v.location)),
    ...optional("policyLocation", v.policyLocation && orderLocation(v.policyLocation)),
    ...optional(
      "error",
      v.error && { code: v.error.code, expression: v.error.expression, message: v.error.message },
    ),
    ...optional(
      "exception",
      v.exception && { reason: v.exception.reason, expires: v.exception.expires, status: v.exception.status },
    ),
    ...optional("reason", v.reason),
    ...optional("waiver", v.waiver && { line: v.waiver.line, reason: v.waiver.reason }),
  };
}

function orderLocation(loc: SourceLocation): Record<string, unknown> {
  return {
    ...optional("file", loc.file),
    ...optional("line", loc.line),
    ...optional("column", loc.column),
    ...optional("path", loc.path),
    ...optional("document", loc.document),
  };
}

function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : { [key]: value };
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = record[key]!;
  return out;
}

function bigintSafe(_key: string, value: unknown): unknown {
  if (typeof value !== "bigint") return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value.toString();
}
