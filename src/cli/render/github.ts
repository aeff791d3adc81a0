import type { Enforcement, EvaluationReport } from "../../policy/index.js";
import { exceptionNote, isWaived, type RenderOptions, shownWhenQuiet, violationLocation } from "./common.js";

const COMMAND = { deny: "error", warn: "warning", audit: "notice" } as const satisfies Record<
  Enforcement,
  string
>;

/**
 * GitHub Actions workflow commands, one per violation that counts (waived ones are left out):
 * `::error file=…,line=…,col=…,title=<ID> <title>::<message>` for deny, `::warning` for warn,
 * `::notice` for audit (dropped under `quiet`). GitHub turns them into annotations on the files.
 */
export function renderGithub(report: EvaluationReport, options: RenderOptions): string {
  let out = "";
  for (const result of report.results) {
    for (const v of result.violations) {
      if (isWaived(v) || (options.quiet && !shownWhenQuiet(v))) continue;
      const loc = violationLocation(result, v);
      const props: string[] = [`file=${escapeProperty(loc.file)}`];
      if (loc.line !== undefined) {
        props.push(`line=${loc.line}`);
        if (loc.column !== undefined) props.push(`col=${loc.column}`);
      }
      props.push(`title=${escapeProperty(`${v.policyId} ${v.title}`)}`);
      out += `::${COMMAND[v.enforcement]} ${props.join(",")}::${escapeData(`${v.message}${exceptionNote(v)}`)}\n`;
    }
  }
  return out;
}

/** Command data: `%`, CR and LF are encoded, so no message can end the command or start another. */
export function escapeData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Command properties additionally encode the `:` and `,` that delimit them. */
export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
