import type { EvaluationReport } from "../../policy/index.js";
import type { RenderOptions } from "./common.js";
import { renderGithub } from "./github.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderSarif } from "./sarif.js";
import { renderTable } from "./table.js";

export type { RenderOptions } from "./common.js";
export { renderGithub, renderJson, renderJunit, renderMarkdown, renderSarif, renderTable };

export const RENDER_FORMATS = ["table", "json", "sarif", "junit", "markdown", "github"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];

export function isRenderFormat(value: string): value is RenderFormat {
  return (RENDER_FORMATS as readonly string[]).includes(value);
}

/** Renders a report in one of {@link RENDER_FORMATS}; the output always ends with a newline unless empty. */
export function render(format: RenderFormat, report: EvaluationReport, options: RenderOptions): string {
  switch (format) {
    case "table":
      return renderTable(report, options);
    case "json":
      return renderJson(report, options);
    case "sarif":
      return renderSarif(report, options);
    case "junit":
      return renderJunit(report, options);
    case "markdown":
      return renderMarkdown(report, options);
    case "github":
      return renderGithub(report, options);
    default: {
      const unknown: never = format;
      throw new TypeError(`unknown output format ${JSON.stringify(unknown)}`);
    }
  }
}
