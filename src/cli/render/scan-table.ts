import { type Finding, SEVERITIES, type VulnerabilityReport } from "../../vuln/index.js";
import { plural, printable } from "./common.js";

const ANSI = {
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
};
const STYLE: Record<string, keyof typeof ANSI> = { critical: "red", high: "red", medium: "yellow" };

/**
 * The human form of a scan: findings grouped by severity (most severe first), each with the
 * installed and fixed versions and where the package was found; VEX-suppressed findings are
 * counted (and listed with `showSuppressed`); a summary line last.
 */
export function renderScanTable(
  report: VulnerabilityReport,
  options: { color: boolean; showSuppressed?: boolean },
): string {
  const paint = (style: keyof typeof ANSI, s: string) =>
    options.color ? `${ANSI[style]}${s}${ANSI.reset}` : s;
  const lines: string[] = [];
  const row = (f: Finding) => {
    const pkg = `${f.package.name} ${f.package.version}`;
    const fix = f.fixedVersions.length ? `→ ${f.fixedVersions.join(", ")}` : "(no fix)";
    const where = f.package.locations[0]?.path ?? "";
    const aliases = f.aliases
      .filter((a) => a.startsWith("CVE-"))
      .slice(0, 2)
      .join(" ");
    const score = f.cvss[0] ? ` ${f.cvss[0].baseScore.toFixed(1)}` : "";
    lines.push(
      `  ${f.id.padEnd(20)} ${printable(pkg).padEnd(32)} ${fix.padEnd(18)}${score.padEnd(5)} ${aliases ? `${aliases} ` : ""}${paint("dim", printable(where))}`,
    );
    if (f.summary) lines.push(`  ${" ".repeat(20)} ${paint("dim", printable(f.summary).slice(0, 110))}`);
    if (f.vex && !f.suppressed) lines.push(`  ${" ".repeat(20)} VEX ${f.vex.status} (${f.vex.document})`);
  };
  const active = report.matches.filter((m) => !m.suppressed);
  for (const sev of SEVERITIES) {
    const group = active.filter((m) => m.severity === sev);
    if (!group.length) continue;
    const title = `${sev.toUpperCase()} (${group.length})`;
    lines.push(STYLE[sev] ? paint(STYLE[sev], paint("bold", title)) : paint("bold", title));
    for (const f of group) row(f);
    lines.push("");
  }
  const suppressed = report.matches.filter((m) => m.suppressed);
  if (suppressed.length) {
    lines.push(paint("bold", `SUPPRESSED BY VEX (${suppressed.length})`));
    if (options.showSuppressed) {
      for (const f of suppressed)
        lines.push(
          `  ${f.id.padEnd(20)} ${printable(`${f.package.name} ${f.package.version}`).padEnd(32)} ${f.vex!.status}${f.vex!.justification ? ` (${f.vex!.justification})` : ""} — ${printable(f.vex!.document)}`,
        );
    } else lines.push("  (listed with --show-suppressed or in --format json)");
    lines.push("");
  }
  for (const w of report.warnings) lines.push(paint("yellow", `warning: ${w}`));
  const s = report.summary;
  const counts = SEVERITIES.filter((k) => s.bySeverity[k] > 0).map((k) => `${s.bySeverity[k]} ${k}`);
  lines.push(
    `${report.target.name}: ${plural(active.length, "vulnerability", "vulnerabilities")} in ${plural(s.components, "component")}` +
      (counts.length ? ` (${counts.join(", ")})` : "") +
      (s.suppressed ? `, ${s.suppressed} suppressed by VEX` : ""),
  );
  return `${lines.join("\n")}\n`;
}
