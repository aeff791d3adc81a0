import { sha256Hex } from "../../core/index.js";
import {
  buildSarifLog,
  type JsonValue,
  type SarifResultInput,
  type SarifRuleInput,
} from "../../formats/index.js";
import type { EvaluationReport, EvaluationResult, Violation } from "../../policy/index.js";
import {
  exceptionNote,
  isWaived,
  type RenderOptions,
  resourceLabel,
  subjectOf,
  violationLocation,
} from "./common.js";
import { escapeMarkdown } from "./markdown.js";

/** Key of the location-independent fingerprint we give GitHub to track alerts across edits. */
export const FINGERPRINT_KEY = "bulwarkPolicyViolation/v1";

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per violated policy, one result per violation
 * located at `violation.location` (or the document's file). Waived violations stay in the log as
 * results with an accepted external suppression, so code scanning shows them as dismissed.
 */
export function renderSarif(report: EvaluationReport, options: RenderOptions): string {
  const rules = new Map<string, SarifRuleInput>();
  const results: SarifResultInput[] = [];
  for (const result of report.results) {
    for (const v of result.violations) {
      // Waived-only policies get a rule too: every result's ruleId must be described for GitHub.
      if (!rules.has(v.policyId)) rules.set(v.policyId, ruleFor(v));
      results.push(resultFor(result, v));
    }
  }
  const log = buildSarifLog({
    tool: { name: "bulwark", version: options.toolVersion },
    rules: [...rules.values()],
    results,
  });
  return `${JSON.stringify(log, null, 2)}\n`;
}

function ruleFor(v: Violation): SarifRuleInput {
  const help = v.remediation ?? v.title;
  return {
    id: v.policyId,
    name: pascalCase(v.title),
    shortDescription: v.title,
    fullDescription: v.title,
    helpText: help,
    helpMarkdown: v.remediation
      ? `**${escapeMarkdown(v.title)}**\n\nRemediation: ${escapeMarkdown(v.remediation)}`
      : `**${escapeMarkdown(v.title)}**`,
    severity: v.severity,
    tags: ["policy"],
  };
}

function resultFor(result: EvaluationResult, v: Violation): SarifResultInput {
  const loc = violationLocation(result, v);
  const properties: Record<string, JsonValue> = {
    enforcement: v.enforcement,
    severity: v.severity,
    resource: resourceLabel(result.resource),
    document: result.source.document,
  };
  if (v.exception) {
    properties.exception = {
      status: v.exception.status,
      expires: v.exception.expires,
      reason: v.exception.reason,
    };
  }
  if (v.error) properties.error = { code: v.error.code, expression: v.error.expression };
  if (v.waiver) properties.waiver = { line: v.waiver.line, reason: v.waiver.reason };
  const waived = isWaived(v);
  return {
    ruleId: v.policyId,
    message: `${subjectOf(result)}: ${v.message}${waived ? "" : exceptionNote(v)}`,
    severity: v.severity,
    location: { path: loc.file, line: loc.line, column: loc.column },
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(result, v) },
    ...(v.waiver
      ? { suppression: { kind: "inSource", justification: v.waiver.reason } }
      : v.exception && waived
        ? { suppression: { kind: "external", justification: v.exception.reason } }
        : {}),
    properties,
  };
}

/**
 * Same policy, same file, same resource, same field, same message ⇒ same alert, wherever the
 * lines move. Unnamed documents fall back to their index in the file.
 */
function fingerprint(result: EvaluationResult, v: Violation): string {
  const resource = result.resource.name ? resourceLabel(result.resource) : `#${result.source.document}`;
  return sha256Hex(
    [v.policyId, result.source.file, resource, v.location?.path ?? "", v.message].join("\u0000"),
  );
}

/** `Containers must not run as root` → `ContainersMustNotRunAsRoot` (SARIF's rule name style). */
function pascalCase(title: string): string {
  return title
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== "")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}
