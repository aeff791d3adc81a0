import { formatLocation } from "../../core/index.js";
import type { EvaluationReport } from "../../policy/index.js";
import {
  exceptionNote,
  isWaived,
  printable,
  type RenderOptions,
  resourceLabel,
  summarize,
  violationLocation,
} from "./common.js";

/**
 * A GitHub job summary (append it to `$GITHUB_STEP_SUMMARY`): the decision as a heading, a
 * summary table, then every violation, waived and audit ones included, in report order.
 */
export function renderMarkdown(report: EvaluationReport, _options: RenderOptions): string {
  const s = summarize(report);
  const lines = [
    `## Bulwark policy decision: ${report.decision.toUpperCase()}`,
    "",
    "| | |",
    "|---|---|",
    `| Documents | ${s.documents} |`,
    `| Denied | ${s.denied} |`,
    `| Warnings | ${s.warnings} |`,
    `| Policy set | ${escapeMarkdown(report.policySetDigest)} |`,
  ];
  if (report.environment !== undefined) lines.push(`| Environment | ${escapeMarkdown(report.environment)} |`);
  lines.push(`| Time | ${escapeMarkdown(report.time)} |`, "", "### Violations", "");

  const rows: string[] = [];
  for (const result of report.results) {
    for (const v of result.violations) {
      const enforcement = isWaived(v) ? `${v.enforcement} (waived)` : v.enforcement;
      rows.push(
        row([
          v.severity,
          enforcement,
          `${v.policyId} ${v.title}`,
          result.resource.name
            ? resourceLabel(result.resource)
            : `${result.source.file}#${result.source.document}`,
          `${v.message}${exceptionNote(v)}`,
          formatLocation(violationLocation(result, v)),
        ]),
      );
    }
  }
  if (rows.length === 0) {
    lines.push("No violations.");
  } else {
    lines.push(
      "| Severity | Enforcement | Policy | Resource | Message | Location |",
      "|---|---|---|---|---|---|",
      ...rows,
    );
  }
  return `${lines.join("\n")}\n`;
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeMarkdown).join(" | ")} |`;
}

/**
 * Makes input text inert inside a GFM table cell: `|` cannot end the cell, line breaks become
 * `<br>`, markup characters (emphasis, code, links, HTML, entities) render literally and control
 * characters show as escapes.
 */
export function escapeMarkdown(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) =>
      printable(line)
        .replace(/[\\`*_[\]~|]/g, "\\$&")
        .replaceAll("&", "&amp;")
        .replaceAll("<", "&lt;")
        .replaceAll(">", "&gt;"),
    )
    .join("<br>");
}
