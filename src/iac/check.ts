/**
 * What `bulwark check` reads: the configuration files under the given paths, each turned into
 * policy input documents by the parser its name or content calls for (Dockerfiles, Terraform
 * plans, GitHub/GitLab workflows, composite actions), or read as YAML/JSON policy input
 * (Kubernetes manifests and every other detected kind); plus the inline waivers in them.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import picomatch from "picomatch";
import { BulwarkError, DEFAULT_LIMITS, type Limits } from "../core/index.js";
import {
  decisionOf,
  type EvaluationReport,
  type InlineWaiver,
  type InputDocument,
  parseInput,
  worst,
} from "../policy/index.js";
import { readImageConfigInput } from "./image-config.js";
import { detectParser, IAC_PARSERS, parserNamed } from "./registry.js";

/** Directories never walked into: dependencies, VCS data, caches and build output. */
const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  ".terraform",
  ".cache",
  ".venv",
  "venv",
  "__pycache__",
  "vendor",
  "target",
  "dist",
  "build",
  ".next",
  ".bulwark",
]);
/** Hidden directories that hold configuration worth checking. */
const HIDDEN_KEPT = new Set([".github", ".gitlab", ".circleci"]);
const YAML_OR_JSON = /\.(ya?ml|json)$/i;

export interface CollectOptions {
  /** Force the parser (`dockerfile`, `terraform-plan`, `github-workflow`, `github-action`, `gitlab-ci`, `kubernetes`). */
  readonly type?: string;
  readonly limits?: Limits;
  /** Globs of paths (relative to the directory walked) to leave out, e.g. `test/fixtures/**`. */
  readonly exclude?: readonly string[];
  /** `os/arch[/variant]` for multi-platform images. */
  readonly platform?: string;
  /** Text read from stdin for the path `-`. */
  readonly stdin?: () => Promise<string>;
}

export interface CheckedFile {
  readonly file: string;
  readonly parser: string;
  readonly documents: number;
}

export interface Collected {
  readonly documents: InputDocument[];
  readonly files: CheckedFile[];
  readonly waivers: InlineWaiver[];
  /** Files looked at but not configuration Bulwark knows (e.g. a YAML file that is no manifest). */
  readonly skipped: number;
}

/** Walks `paths` (files, directories, `-`) and parses every configuration file found. */
export async function collectInputs(
  paths: readonly string[],
  options: CollectOptions = {},
): Promise<Collected> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const forced =
    options.type && options.type !== "kubernetes" && options.type !== "image-config"
      ? parserNamed(options.type)
      : undefined;
  const out: Collected = { documents: [], files: [], waivers: [], skipped: 0 };
  let skipped = 0;
  const excluded = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : () => false;

  const parseOne = (text: string, file: string, explicit: boolean): void => {
    if (Buffer.byteLength(text) > limits.maxFileBytes)
      throw new BulwarkError("INPUT_TOO_LARGE", `${file} is larger than ${limits.maxFileBytes} bytes`, {
        location: { file },
      });
    const parser =
      forced ?? (options.type === "kubernetes" ? undefined : detectParser(file, text.slice(0, 4096)));
    let docs: InputDocument[];
    let parserName: string;
    if (parser) {
      docs = parser.parse(text, file);
      parserName = parser.name;
    } else if (explicit || YAML_OR_JSON.test(file)) {
      // Explicitly named files must be understood; files found by walking may be anything.
      docs = parseInput(text, file, { limits, ...(explicit ? {} : { skipUnknown: true }) });
      parserName = "yaml";
    } else {
      skipped++;
      return;
    }
    if (!docs.length) {
      skipped++;
      return;
    }
    out.documents.push(...docs);
    out.files.push({ file, parser: parserName, documents: docs.length });
    out.waivers.push(...findWaivers(text, file));
  };

  /** Files found by walking, in a stable order: shown path and full path. */
  const list = async (dir: string, root: string, found: { shown: string; full: string }[]): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join("/");
      if (excluded(rel) || (e.isDirectory() && excluded(`${rel}/`))) {
        skipped++;
        continue;
      }
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || (e.name.startsWith(".") && !HIDDEN_KEPT.has(e.name))) continue;
        await list(full, root, found);
      } else if (e.isFile()) {
        const shown = rel;
        if (!YAML_OR_JSON.test(e.name) && !IAC_PARSERS.some((p) => p.applies(shown, ""))) {
          // Only Dockerfile-like names and YAML/JSON can be configuration: skip the rest unread.
          skipped++;
          continue;
        }
        found.push({ shown: root === "." ? shown : join(root, shown), full });
      }
    }
  };

  const walk = async (dir: string): Promise<void> => {
    const found: { shown: string; full: string }[] = [];
    await list(dir, dir, found);
    // Read ahead concurrently (the disk and the parser overlap); parse in order.
    const READ_AHEAD = 32;
    const pending: Promise<string>[] = [];
    for (let i = 0; i < found.length; i++) {
      while (pending.length < READ_AHEAD && i + pending.length < found.length) {
        const read = readFile(found[i + pending.length]!.full, "utf8");
        read.catch(() => undefined); // awaited below; a failure after an earlier error is not unhandled
        pending.push(read);
      }
      parseOne(await pending.shift()!, found[i]!.shown, false);
    }
  };

  for (const p of paths) {
    if (p === "-") {
      if (!options.stdin) throw new BulwarkError("USAGE", "reading stdin (`-`) is not available here");
      parseOne(await options.stdin(), "<stdin>", true);
      continue;
    }
    const st = await stat(p).catch((e: unknown) => {
      throw new BulwarkError("FILE_NOT_FOUND", `not found: ${p}`, { cause: e });
    });
    // An image (OCI layout, OCI archive, docker-save tarball) is judged by its config.
    if (
      (!options.type || options.type === "image-config") &&
      (st.isDirectory()
        ? existsSync(join(p, "oci-layout"))
        : /\.(tar|tgz|tar\.gz)$/i.test(p) || options.type === "image-config")
    ) {
      const image = await readImageConfigInput(p, options.platform ? { platform: options.platform } : {});
      if (image) {
        out.documents.push(image);
        out.files.push({ file: p, parser: "image-config", documents: 1 });
        continue;
      }
      if (options.type === "image-config")
        throw new BulwarkError("INPUT_INVALID", `${p} is not a container image`);
    }
    if (st.isDirectory()) await walk(p);
    else parseOne(await readFile(p, "utf8"), p, true);
  }
  return { ...out, skipped: out.skipped + skipped };
}

const WAIVER = /(?:#|\/\/)\s*bulwark:ignore\b(.*)$/;

/**
 * Inline waivers: `# bulwark:ignore <ID>[,<ID>…] -- <reason>` on the line of the finding or on its
 * own line directly above it (other comment lines in between are skipped). The reason is
 * required: a waiver without one is an error, so nothing is waived silently.
 */
export function findWaivers(text: string, file: string): InlineWaiver[] {
  const lines = text.split(/\r?\n/);
  const out: InlineWaiver[] = [];
  lines.forEach((line, i) => {
    const m = WAIVER.exec(line);
    if (!m) return;
    const body = m[1]!.trim();
    const sepAt = body.indexOf("--");
    const ids = (sepAt < 0 ? body : body.slice(0, sepAt))
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const reason = sepAt < 0 ? "" : body.slice(sepAt + 2).trim();
    const location = { file, line: i + 1, column: m.index + 1 };
    if (!ids.length)
      throw new BulwarkError(
        "INPUT_INVALID",
        "bulwark:ignore needs a policy id: # bulwark:ignore <ID> -- <reason>",
        {
          location,
        },
      );
    if (!reason)
      throw new BulwarkError(
        "INPUT_INVALID",
        `bulwark:ignore ${ids.join(",")} needs a reason: # bulwark:ignore ${ids.join(",")} -- <why this is acceptable>`,
        { location },
      );
    // A comment on its own line covers the next line that is not a comment or blank.
    const ownLine = line.slice(0, m.index).trim() === "";
    let target = i + 1;
    if (ownLine) {
      let j = i + 1;
      while (j < lines.length && (lines[j]!.trim() === "" || /^\s*(#|\/\/)/.test(lines[j]!))) j++;
      target = j + 1;
    }
    for (const policyId of ids) out.push({ file, line: target, policyId, reason, used: false });
  });
  return out;
}

/** Marks the violations the inline waivers cover and recomputes the decisions. */
export function applyWaivers(report: EvaluationReport, waivers: InlineWaiver[]): EvaluationReport {
  const byKey = new Map<string, InlineWaiver>();
  for (const w of waivers) byKey.set(`${w.file}\u0000${w.line}\u0000${w.policyId}`, w);
  for (const r of report.results) {
    for (const v of r.violations) {
      const file = v.location?.file ?? r.source.file;
      const w =
        v.location?.line !== undefined
          ? byKey.get(`${file}\u0000${v.location.line}\u0000${v.policyId}`)
          : undefined;
      if (!w) continue;
      w.used = true;
      v.waiver = { reason: w.reason, line: w.line };
    }
    r.decision = decisionOf(r.violations);
  }
  return { ...report, decision: worst(report.results.map((r) => r.decision)), waivers };
}
