import { formatLocation } from "../../core/index.js";
import type { DecisionValue, EvaluationReport, Violation } from "../../policy/index.js";
import {
  humanLine,
  isWaived,
  plural,
  printable,
  type RenderOptions,
  resourceLabel,
  shownWhenQuiet,
  summarize,
  violationLocation,
} from "./common.js";

const ANSI = {
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  green: "\u001b[32m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
} as const;
type Style = Exclude<keyof typeof ANSI, "reset">;

const DECISION_STYLE = { deny: "red", warn: "yellow", allow: "green" } as const satisfies Record<
  DecisionValue,
  Style
>;

/**
 * Human output: per document with violations a header `<file>#<document> <resource>`, then one
 * line per violation — severity, enforcement, `file:line:col`, and the human line — and finally
 * the decision. Text from the input is made printable (no terminal escapes, no line breaks).
 */
export function renderTable(report: EvaluationReport, options: RenderOptions): string {
  const paint = (style: Style, text: string): string =>
    options.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
  const lines: string[] = [];

  for (const result of report.results) {
    const shown = options.quiet ? result.violations.filter(shownWhenQuiet) : result.violations;
    if (shown.length === 0) continue;
    if (lines.length > 0) lines.push("");
    lines.push(
      paint(
        "bold",
        printable(`${result.source.file}#${result.source.document} ${resourceLabel(result.resource)}`),
      ),
    );
    for (const v of shown) {
      const style = violationStyle(v);
      const where = printable(formatLocation(violationLocation(result, v)));
      lines.push(
        `  ${paint(style, v.severity.padEnd(8))} ${paint(style, v.enforcement.padEnd(5))} ${paint("dim", where)}  ${paint(style, printable(humanLine(result, v)))}`,
      );
      if (options.remediation && v.remediation && !isWaived(v))
        lines.push(`  ${" ".repeat(15)}${paint("dim", `fix: ${printable(v.remediation)}`)}`);
    }
  }
  if (lines.length === 0) lines.push("No violations.");

  const s = summarize(report);
  const decision = report.decision.toUpperCase();
  lines.push(
    "",
    `Decision: ${paint(DECISION_STYLE[report.decision], decision)} — ${plural(s.documents, "document")}, ${s.denied} denied, ${plural(s.warnings, "warning")} (policy set ${printable(report.policySetDigest)})`,
  );
  return `${lines.join("\n")}\n`;
}

function violationStyle(v: Violation): Style {
  if (isWaived(v)) return "dim";
  switch (v.enforcement) {
    case "deny":
      return "red";
    case "warn":
      return "yellow";
    case "audit":
      return "dim";
  }
}
