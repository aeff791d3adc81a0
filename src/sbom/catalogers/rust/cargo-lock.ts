import { lazyRequire } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { catalogIssue, locationOf, purlOrError, lockfileCataloger } from "../shared/index.js";

const smolToml = lazyRequire<typeof import("smol-toml")>("smol-toml");

const NAME = "rust/cargo-lock";
const issueAt = (entry: Pick<FileEntry, "path" | "layer">, message: string, line: number, column: number) =>
  catalogIssue(NAME, entry, message, { line, column });

/** crates.io's index, as Cargo writes it in `source` (git protocol, then sparse protocol). */
const CRATES_IO = new Set([
  "registry+https://github.com/rust-lang/crates.io-index",
  "sparse+https://index.crates.io/",
]);

/**
 * `Cargo.lock`, lockfile versions 1 to 4 (version 1 keeps checksums in `[metadata]`; 2 and later
 * inline them; 4 only changes how git sources are encoded, which we keep verbatim).
 */
export const cargoLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: "crates.io",
  fileName: "Cargo.lock",
  what: () => "Cargo.lock",
  parse: (text, entry) => parseCargoLock(text, entry),
});

/** One top-level piece of the file: the keys before any header, or one `[table]` / `[[array]]`. */
interface Chunk {
  readonly header: string | undefined;
  readonly isArray: boolean;
  /** 1-based line of the header (0 for the preamble, whose body starts on line 1). */
  readonly line: number;
  readonly body: readonly string[];
}

interface Crate {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly source: string | undefined;
  readonly checksum: string | undefined;
  readonly dependencies: readonly string[];
  readonly chunk: Chunk;
}

/**
 * Reads a `Cargo.lock`. The file is split at its table headers and each table is parsed on its
 * own with smol-toml, so one damaged `[[package]]` costs that package only, and every issue has
 * the line it came from.
 */
export function parseCargoLock(text: string, entry: Pick<FileEntry, "path" | "layer">): CatalogResult {
  const issues: CatalogIssue[] = [];
  const crates: Crate[] = [];
  const metadataChecksums = new Map<string, { value: string; line: number }>();
  const seen = new Set<string>();

  for (const chunk of splitChunks(text)) {
    const table = parseChunk(chunk, entry, issues);
    if (!table) continue;
    if (chunk.header === "package" || chunk.header === "root") {
      if (chunk.header === "package" && !chunk.isArray) {
        issues.push(issueAt(entry, "[package] must be an array of tables ([[package]])", chunk.line, 1));
        continue;
      }
      const crate = readCrate(table, chunk, entry, issues);
      if (!crate) continue;
      if (seen.has(crate.id)) {
        issues.push(issueAt(entry, `duplicate package ${crate.id}`, chunk.line, 1));
        continue;
      }
      seen.add(crate.id);
      crates.push(crate);
    } else if (chunk.header === "metadata" && !chunk.isArray) {
      // Lockfile v1: `"checksum <name> <version> (<source>)" = "<sha256>"`.
      for (const [key, value] of Object.entries(table)) {
        if (!key.startsWith("checksum ") || typeof value !== "string") continue;
        metadataChecksums.set(key.slice("checksum ".length), { value, line: keyLine(chunk, key) });
      }
    }
  }

  const byName = new Map<string, Crate[]>();
  for (const c of crates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);

  const packages: FoundPackage[] = [];
  for (const crate of crates) {
    const p = toPackage(crate, metadataChecksums.get(crate.id), byName, entry, issues);
    if (p) packages.push(p);
  }
  return issues.length ? { packages, issues } : { packages };
}

function splitChunks(text: string): Chunk[] {
  // Cargo writes headers at column 1 and never uses multi-line strings, so a line that is exactly
  // a header is one. Array items (` "name version",`) never look like a header.
  const header = /^[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_.\- ]+?)[ \t]*(\]\]?)[ \t]*(?:#.*)?$/;
  const lines = text.split(/\r?\n/);
  const chunks: Chunk[] = [];
  let current: { header: string | undefined; isArray: boolean; line: number; body: string[] } = {
    header: undefined,
    isArray: false,
    line: 0,
    body: [],
  };
  lines.forEach((line, i) => {
    const m = header.exec(line);
    if (m && m[1]!.length === m[3]!.length) {
      chunks.push(current);
      current = { header: m[2]!.replace(/\s+/g, ""), isArray: m[1] === "[[", line: i + 1, body: [] };
    } else {
      current.body.push(line);
    }
  });
  chunks.push(current);
  return chunks;
}

function parseChunk(
  chunk: Chunk,
  entry: Pick<FileEntry, "path" | "layer">,
  issues: CatalogIssue[],
): Record<string, unknown> | undefined {
  try {
    return smolToml().parse(chunk.body.join("\n"), { maxDepth: 16, unsafeKeyBehaviour: "drop" }) as Record<
      string,
      unknown
    >;
  } catch (e) {
    if (e instanceof smolToml().TomlError) {
      const what =
        chunk.header === undefined
          ? ""
          : ` in [${chunk.isArray ? "[" : ""}${chunk.header}${chunk.isArray ? "]" : ""}]`;
      issues.push(
        issueAt(entry, `invalid TOML${what}: ${firstLine(e.message)}`, chunk.line + e.line, e.column),
      );
      return undefined;
    }
    throw e;
  }
}

function readCrate(
  table: Record<string, unknown>,
  chunk: Chunk,
  entry: Pick<FileEntry, "path" | "layer">,
  issues: CatalogIssue[],
): Crate | undefined {
  const { name, version, source, checksum, dependencies } = table;
  if (typeof name !== "string" || !name) {
    issues.push(issueAt(entry, "package without a name", keyLine(chunk, "name"), 1));
    return undefined;
  }
  if (typeof version !== "string" || !version) {
    issues.push(issueAt(entry, `package ${name} has no version`, keyLine(chunk, "version"), 1));
    return undefined;
  }
  if (source !== undefined && typeof source !== "string") {
    issues.push(
      issueAt(entry, `package ${name} ${version}: source must be a string`, keyLine(chunk, "source"), 1),
    );
    return undefined;
  }
  let deps: string[] = [];
  if (Array.isArray(dependencies) && dependencies.every((d) => typeof d === "string")) {
    deps = dependencies as string[];
  } else if (dependencies !== undefined) {
    issues.push(
      issueAt(
        entry,
        `package ${name} ${version}: dependencies must be an array of strings`,
        keyLine(chunk, "dependencies"),
        1,
      ),
    );
  }
  if (checksum !== undefined && typeof checksum !== "string") {
    issues.push(
      issueAt(entry, `package ${name} ${version}: checksum must be a string`, keyLine(chunk, "checksum"), 1),
    );
  }
  return {
    id: `${name} ${version}${source ? ` (${source})` : ""}`,
    name,
    version,
    source: source || undefined,
    checksum: typeof checksum === "string" ? checksum : undefined,
    dependencies: deps,
    chunk,
  };
}

function toPackage(
  crate: Crate,
  v1Checksum: { value: string; line: number } | undefined,
  byName: ReadonlyMap<string, readonly Crate[]>,
  entry: Pick<FileEntry, "path" | "layer">,
  issues: CatalogIssue[],
): FoundPackage | undefined {
  const { name, version, source, chunk } = crate;
  const properties: Record<string, string> = {};
  const qualifiers: Record<string, string> = {};
  let type: FoundPackage["type"] = "library";

  const kind = sourceKind(source);
  properties["cargo:sourceKind"] = kind;
  if (source) properties["cargo:source"] = source;
  switch (kind) {
    case "path":
      // No source: a workspace member or a path dependency, i.e. the project's own code.
      type = "application";
      break;
    case "registry":
      if (!CRATES_IO.has(source!)) qualifiers.repository_url = source!.slice(source!.indexOf("+") + 1);
      break;
    case "git": {
      const { url, commit } = splitGitSource(source!);
      qualifiers.vcs_url = commit ? `${url}@${commit}` : url;
      break;
    }
    case "other":
      break;
    default: {
      const never: never = kind;
      throw new Error(`unhandled source kind ${String(never)}`);
    }
  }

  const built = purlOrError(
    "cargo",
    undefined,
    name,
    version,
    Object.keys(qualifiers).length ? qualifiers : undefined,
    undefined,
  );
  if ("error" in built) {
    issues.push(
      issueAt(entry, `package ${crate.id}: cannot build a package URL: ${built.error}`, chunk.line, 1),
    );
    return undefined;
  }
  const { purl } = built;

  const hashes: PackageHash[] = [];
  const checksum =
    crate.checksum ?? (v1Checksum && v1Checksum.value !== "<none>" ? v1Checksum.value : undefined);
  if (checksum !== undefined) {
    if (/^[0-9a-fA-F]{64}$/.test(checksum)) hashes.push({ alg: "SHA-256", content: checksum.toLowerCase() });
    else {
      const line = crate.checksum !== undefined ? keyLine(chunk, "checksum") : v1Checksum!.line;
      issues.push(issueAt(entry, `package ${crate.id}: checksum is not a SHA-256 hex digest`, line, 1));
    }
  }

  const dependsOn: string[] = [];
  for (const dep of crate.dependencies) {
    const target = resolveDependency(dep, byName);
    if (typeof target === "string") {
      issues.push(
        issueAt(
          entry,
          `package ${crate.id}: dependency "${dep}" ${target}`,
          keyLine(chunk, "dependencies"),
          1,
        ),
      );
    } else if (!dependsOn.includes(target.id)) {
      dependsOn.push(target.id);
    }
  }

  return {
    ref: crate.id,
    name,
    version,
    purl,
    ecosystem: "crates.io",
    type,
    ...(hashes.length ? { hashes } : {}),
    locations: [locationOf(entry)],
    ...(dependsOn.length ? { dependsOn } : {}),
    properties,
  };
}

type SourceKind = "path" | "registry" | "git" | "other";

function sourceKind(source: string | undefined): SourceKind {
  if (!source) return "path";
  if (source.startsWith("registry+") || source.startsWith("sparse+")) return "registry";
  if (source.startsWith("git+")) return "git";
  return "other";
}

/** `git+https://host/repo?branch=main#<commit>` → the URL without query, and the locked commit. */
function splitGitSource(source: string): { url: string; commit: string | undefined } {
  const hash = source.indexOf("#");
  const base = hash < 0 ? source : source.slice(0, hash);
  const commit = hash < 0 ? undefined : source.slice(hash + 1) || undefined;
  const query = base.indexOf("?");
  return { url: query < 0 ? base : base.slice(0, query), commit };
}

/**
 * A `dependencies` entry names a package by `name`, `name version` or `name version (source)`:
 * Cargo writes only as much as it needs to be unambiguous (v1 always writes the full form).
 * Returns the package, or why none could be chosen.
 */
function resolveDependency(dep: string, byName: ReadonlyMap<string, readonly Crate[]>): Crate | string {
  const m = /^(\S+)(?: (\S+))?(?: \((.+)\))?$/.exec(dep.trim());
  if (!m) return "is not a valid package reference";
  const [, name, version, source] = m;
  const candidates = (byName.get(name!) ?? []).filter(
    (c) => (version === undefined || c.version === version) && (source === undefined || c.source === source),
  );
  if (candidates.length === 1) return candidates[0]!;
  return candidates.length === 0 ? "is not in the lockfile" : "matches more than one package";
}

/** Line of `key = …` (bare or quoted key) inside a chunk; the header line when the key is missing. */
function keyLine(chunk: Chunk, key: string): number {
  const forms = [key, JSON.stringify(key)];
  const idx = chunk.body.findIndex((l) => {
    const t = l.trimStart();
    return forms.some((f) => t.startsWith(f) && t.slice(f.length).trimStart().startsWith("="));
  });
  return idx < 0 ? Math.max(chunk.line, 1) : chunk.line + idx + 1;
}

function firstLine(s: string): string {
  return s.split("\n", 1)[0]!;
}
