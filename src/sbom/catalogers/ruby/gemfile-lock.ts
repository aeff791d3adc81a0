import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { catalogIssue, locationOf, purlOrError, lockfileCataloger } from "../shared/index.js";

const NAME = "ruby/gemfile-lock";
const issueAt = (entry: Pick<FileEntry, "path" | "layer">, message: string, line: number, column: number) =>
  catalogIssue(NAME, entry, message, { line, column });

/** Bundler's lockfile (`Gemfile.lock`, or `gems.locked` next to a `gems.rb`). */
export const gemfileLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: "RubyGems",
  applies: (entry) => /(?:^|\/)(?:Gemfile\.lock|gems\.locked)$/.test(entry.path),
  what: (entry) => entry.path,
  parse: (text, entry) => parseGemfileLock(text, entry),
});

/** The sections that hold gems; the rest (`PLATFORMS`, `DEPENDENCIES`, `RUBY VERSION`, …) do not. */
const SOURCE_KINDS = { GEM: "gem", GIT: "git", PATH: "path", "PLUGIN SOURCE": "plugin" } as const;
type SourceKind = (typeof SOURCE_KINDS)[keyof typeof SOURCE_KINDS];

interface Source {
  readonly kind: SourceKind;
  /** `remote`, `revision`, `branch`, `tag`, `ref`, `glob`… as written. */
  readonly options: Map<string, string>;
}

interface Spec {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly platform: string | undefined;
  readonly source: Source;
  readonly line: number;
  readonly deps: string[];
  readonly hashes: PackageHash[];
}

/**
 * `name (version[-platform])` as Bundler writes specs, and `name (requirements)` / `name` as it
 * writes their dependencies. Like Bundler, the platform starts at the first `-` of the version.
 */
const SPEC = /^([A-Za-z0-9_.-]+)(?: \(([^-)\s]+)(?:-([^)\s]+))?\))?$/;
const DEPENDENCY = /^([A-Za-z0-9_.-]+)(?: \(([^)]*)\))?!?$/;
const HASH_ALGS = {
  sha256: { alg: "SHA-256", hexLength: 64 },
  sha512: { alg: "SHA-512", hexLength: 128 },
} as const;

/**
 * Reads a `Gemfile.lock`. Each source section (`GEM`, `GIT`, `PATH`, `PLUGIN SOURCE`) lists its
 * gems under `specs:` at four spaces, each followed by its dependencies at six spaces; those
 * become the edges. `CHECKSUMS` (Bundler 2.5+) adds SHA-256 digests.
 */
export function parseGemfileLock(text: string, entry: Pick<FileEntry, "path" | "layer">): CatalogResult {
  const issues: CatalogIssue[] = [];
  const specs: Spec[] = [];
  const byId = new Map<string, Spec>();
  const checksums: { id: string; hashes: string[]; line: number }[] = [];

  let section: string | undefined;
  let source: Source | undefined;
  let inSpecs = false;
  let current: Spec | undefined;

  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trimEnd();
    if (line === "") return;
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();

    if (indent === 0) {
      section = body;
      const kind = SOURCE_KINDS[body as keyof typeof SOURCE_KINDS];
      source = kind ? { kind, options: new Map() } : undefined;
      inSpecs = false;
      current = undefined;
      return;
    }

    if (section === "CHECKSUMS" && indent === 2) {
      const space = body.indexOf(") ");
      const id = space < 0 ? body : body.slice(0, space + 1);
      const hashes = space < 0 ? [] : body.slice(space + 2).split(",");
      if (hashes.length) checksums.push({ id, hashes, line: lineNo });
      return;
    }
    if (!source) return;

    if (indent === 2) {
      inSpecs = body === "specs:";
      current = undefined;
      const m = /^([a-z_]+): ?(.*)$/.exec(body);
      if (!inSpecs && m) source.options.set(m[1]!, m[2]!);
      else if (!inSpecs) issues.push(issueAt(entry, `unexpected line in ${section}: ${body}`, lineNo, 3));
      return;
    }
    if (!inSpecs) {
      issues.push(issueAt(entry, `unexpected line in ${section}: ${body}`, lineNo, indent + 1));
      return;
    }
    if (indent === 4) {
      current = undefined;
      const m = SPEC.exec(body);
      if (!m) {
        issues.push(issueAt(entry, `not a gem spec ("name (version)"): ${body}`, lineNo, 5));
        return;
      }
      const [, name, version, platform] = m;
      if (version === undefined) {
        issues.push(issueAt(entry, `gem ${name} has no version`, lineNo, 5));
        return;
      }
      const id = `${name} (${version}${platform ? `-${platform}` : ""})`;
      if (byId.has(id)) {
        issues.push(issueAt(entry, `duplicate gem ${id}`, lineNo, 5));
        return;
      }
      current = { id, name: name!, version, platform, source, line: lineNo, deps: [], hashes: [] };
      specs.push(current);
      byId.set(id, current);
      return;
    }
    if (indent === 6 && current) {
      const m = DEPENDENCY.exec(body);
      if (m) current.deps.push(m[1]!);
      else issues.push(issueAt(entry, `not a dependency ("name (requirements)"): ${body}`, lineNo, 7));
      return;
    }
    issues.push(issueAt(entry, `unexpected indentation in ${section}: ${body}`, lineNo, indent + 1));
  });

  for (const c of checksums) {
    const spec = byId.get(c.id);
    if (!spec) {
      issues.push(issueAt(entry, `checksum for ${c.id}, which no spec locks`, c.line, 3));
      continue;
    }
    for (const h of c.hashes) {
      const eq = h.indexOf("=");
      const algo = HASH_ALGS[h.slice(0, eq) as keyof typeof HASH_ALGS];
      const hex = h.slice(eq + 1).toLowerCase();
      if (eq < 0 || !algo || hex.length !== algo.hexLength || !/^[0-9a-f]+$/.test(hex)) {
        issues.push(issueAt(entry, `checksum of ${c.id} is not a known digest: ${h}`, c.line, 3));
        continue;
      }
      spec.hashes.push({ alg: algo.alg, content: hex });
    }
  }

  const byName = new Map<string, Spec[]>();
  for (const s of specs) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);

  const packages: FoundPackage[] = [];
  for (const spec of specs) {
    const p = toPackage(spec, byName, entry, issues);
    if (p) packages.push(p);
  }
  return issues.length ? { packages, issues } : { packages };
}

function toPackage(
  spec: Spec,
  byName: ReadonlyMap<string, readonly Spec[]>,
  entry: Pick<FileEntry, "path" | "layer">,
  issues: CatalogIssue[],
): FoundPackage | undefined {
  const { kind, options } = spec.source;
  const qualifiers: Record<string, string> = {};
  if (spec.platform && spec.platform !== "ruby") qualifiers.platform = spec.platform;
  const remote = options.get("remote");
  const revision = options.get("revision");
  if (kind === "git" && remote) qualifiers.vcs_url = `git+${remote}${revision ? `@${revision}` : ""}`;

  const built = purlOrError(
    "gem",
    undefined,
    spec.name,
    spec.version,
    Object.keys(qualifiers).length ? qualifiers : undefined,
    undefined,
  );
  if ("error" in built) {
    issues.push(issueAt(entry, `gem ${spec.id}: cannot build a package URL: ${built.error}`, spec.line, 5));
    return undefined;
  }
  const { purl } = built;

  const properties: Record<string, string> = { "gem:sourceKind": kind };
  if (remote) properties["gem:remote"] = remote;
  if (revision) properties["gem:revision"] = revision;
  if (spec.platform) properties["gem:platform"] = spec.platform;

  // A dependency names a gem, not a variant: it is satisfied by whichever platform variant of that
  // gem Bundler installs, so it points at all of them. Gems that are not locked (bundler itself,
  // gems for other platforms) have no node to point at.
  const dependsOn = [...new Set(spec.deps.flatMap((d) => (byName.get(d) ?? []).map((s) => s.id)))].filter(
    (id) => id !== spec.id,
  );

  return {
    ref: spec.id,
    name: spec.name,
    version: spec.version,
    purl,
    ecosystem: "RubyGems",
    // A PATH source is the project's own gem (typically `remote: .`).
    type: kind === "path" ? "application" : "library",
    ...(spec.hashes.length ? { hashes: spec.hashes } : {}),
    locations: [locationOf(entry)],
    ...(dependsOn.length ? { dependsOn } : {}),
    properties,
  };
}
