/**
 * Configuration and IaC inputs for `bulwark check`: the parser registry (explicit, in order) and
 * file-type detection. Kubernetes manifests and other YAML/JSON policy inputs are read by the
 * policy module's own reader; these parsers cover the formats that need normalising.
 */
import { BulwarkError } from "../core/index.js";
import type { InputDocument } from "../policy/index.js";
import { dockerfileParser } from "./dockerfile.js";
import { terraformPlanParser } from "./terraform.js";
import type { IacParser } from "./types.js";
import { githubActionParser, githubWorkflowParser, gitlabCiParser } from "./workflow.js";

/** Every parser, most specific first (a workflow is YAML too, so it precedes the YAML fallback). */
export const IAC_PARSERS: readonly IacParser[] = [
  dockerfileParser,
  terraformPlanParser,
  githubWorkflowParser,
  githubActionParser,
  gitlabCiParser,
];

/** The parser for `--type NAME`, or a USAGE error listing the names. */
export function parserNamed(name: string): IacParser {
  const p = IAC_PARSERS.find((x) => x.name === name);
  if (!p)
    throw new BulwarkError(
      "USAGE",
      `unknown --type ${JSON.stringify(name)} (known: ${[...IAC_PARSERS.map((x) => x.name), "kubernetes", "image-config"].join(", ")})`,
    );
  return p;
}

/** The parser that applies to a file, judged by its path and first bytes; undefined for plain YAML/JSON. */
export function detectParser(path: string, head: string): IacParser | undefined {
  return IAC_PARSERS.find((p) => p.applies(path, head));
}

/**
 * Parses a file with the parser its name/content (or `kind`, a parser name or input kind) calls
 * for; undefined when no IaC parser applies (the caller reads it as YAML/JSON policy input).
 */
export function parseIacFile(text: string, file: string, kind?: string): InputDocument[] | undefined {
  const parser = kind
    ? IAC_PARSERS.find((p) => p.name === kind || p.kind === kind)
    : detectParser(file, text.slice(0, 4096));
  return parser?.parse(text, file);
}
