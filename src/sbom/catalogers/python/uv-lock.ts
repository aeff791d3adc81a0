import type { Limits } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash, PackageScope } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { isRecord, issueFactory, locationOf, lockfileCataloger } from "../shared/index.js";
import {
  addHashes,
  type Draft,
  finish,
  normalizePythonName,
  nthLineMatching,
  parseHash,
  PYPI,
  pypiPurl,
  stringOf,
} from "./shared.js";
import { parseToml } from "./toml.js";

const NAME = "python/uv-lock";

/**
 * uv lock files (https://docs.astral.sh/uv/concepts/projects/sync/ and
 * https://docs.astral.sh/uv/concepts/resolution/#lockfile). The projects themselves (source
 * `editable` or `virtual`: the root and workspace members) are not packages; they are the roots
 * from which scopes are derived: reached through `dependencies` is required, through
 * `optional-dependencies` optional, through `dev-dependencies` dev.
 */
export const uvLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: PYPI,
  fileName: "uv.lock",
  parse: (text, entry, ctx) => parseUvLock(text, entry, ctx.limits),
});

/** A dependency as uv writes it: `{ name, version?, source?, marker?, extra? }`. */
interface DepRef {
  readonly name: string;
  readonly version?: string;
  readonly extras: readonly string[];
}

interface Node {
  readonly index: number;
  readonly name: string;
  readonly version: string | undefined;
  readonly project: boolean;
  readonly deps: readonly DepRef[];
  readonly optional: ReadonlyMap<string, readonly DepRef[]>;
  readonly dev: readonly DepRef[];
  draft?: Draft;
}

const PACKAGE_HEADER = /^\s*\[\[\s*package\s*\]\]/;

export function parseUvLock(text: string, entry: FileEntry, limits: Pick<Limits, "maxDepth">): CatalogResult {
  const issue = issueFactory(NAME, entry);
  const parsed = parseToml(text, limits);
  if (!parsed.ok)
    return { packages: [], issues: [issue(`invalid TOML: ${parsed.message}`, parsed.line, parsed.column)] };
  const doc = parsed.value;
  const issues: CatalogIssue[] = [];
  if (doc.package !== undefined && !Array.isArray(doc.package))
    issues.push(issue("`package` is not an array of tables"));
  const rawPackages: unknown[] = Array.isArray(doc.package) ? doc.package : [];

  const nodes: Node[] = [];
  const refs = new Set<string>();
  rawPackages.forEach((raw, index) => {
    const line = nthLineMatching(text, PACKAGE_HEADER, index);
    const report = (message: string) => issues.push(issue(message, line));
    if (!isRecord(raw)) return void report("package entry is not a table");
    const rawName = stringOf(raw.name);
    if (!rawName) return void report("package entry without name; skipped");
    const name = normalizePythonName(rawName);
    const source = isRecord(raw.source) ? raw.source : {};
    const project = typeof source.editable === "string" || typeof source.virtual === "string";
    const version = stringOf(raw.version);
    const node: Node = {
      index,
      name,
      version,
      project,
      deps: depList(raw.dependencies, `dependencies of ${rawName}`, report),
      optional: depGroups(raw["optional-dependencies"], `optional-dependencies of ${rawName}`, report),
      dev: [...depGroups(raw["dev-dependencies"], `dev-dependencies of ${rawName}`, report).values()].flat(),
    };
    nodes.push(node);
    if (project) return;
    if (!version) return void report(`${rawName} has no version; not catalogued`);
    const purl = pypiPurl(name, version);
    if (!purl) return void report(`cannot build a package URL for ${rawName} ${version}`);

    const hashes: PackageHash[] = [];
    const dists = [raw.sdist, ...(Array.isArray(raw.wheels) ? raw.wheels : [])];
    if (raw.wheels !== undefined && !Array.isArray(raw.wheels))
      report(`\`wheels\` of ${rawName} is not a list`);
    for (const dist of dists) {
      const h = isRecord(dist) ? stringOf(dist.hash) : undefined;
      if (h === undefined) continue;
      const hash = parseHash(h);
      if (hash) addHashes(hashes, [hash]);
      else report(`malformed hash "${h}" for ${rawName}`);
    }
    const properties: Record<string, string> = {};
    const src = sourceOf(source);
    if (src) properties["python:source"] = src;

    let ref = `${name}@${version}`;
    for (let n = 2; refs.has(ref); n++) ref = `${name}@${version}#${n}`;
    refs.add(ref);
    node.draft = {
      ref,
      name,
      version,
      purl,
      ecosystem: PYPI,
      type: "library",
      hashes,
      locations: [locationOf(entry)],
      properties,
    };
  });

  const resolve = (dep: DepRef): Node[] =>
    nodes.filter((n) => n.name === dep.name && (dep.version === undefined || n.version === dep.version));
  const scopes = scopesOf(nodes, resolve);

  const packages: FoundPackage[] = [];
  for (const node of nodes) {
    if (!node.draft) continue;
    const edges = [...node.deps, ...[...node.optional.values()].flat(), ...node.dev].flatMap(resolve);
    const scope = scopes.get(node);
    packages.push(
      finish({
        ...node.draft,
        ...(scope ? { scope } : {}),
        dependsOn: [...new Set(edges.flatMap((n) => (n.draft ? [n.draft.ref] : [])))],
      }),
    );
  }
  return issues.length > 0 ? { packages, issues } : { packages };
}

/**
 * Walks from the projects: the required set first, so a package reached both at runtime and
 * only for development is required. Without a project in the lock, no scopes are given.
 */
function scopesOf(nodes: readonly Node[], resolve: (dep: DepRef) => Node[]): Map<Node, PackageScope> {
  const scopes = new Map<Node, PackageScope>();
  const projects = nodes.filter((n) => n.project);
  const expanded = new Set<string>();
  const walk = (starts: readonly DepRef[], scope: PackageScope) => {
    const queue = [...starts];
    for (let dep = queue.shift(); dep; dep = queue.shift()) {
      for (const node of resolve(dep)) {
        if (node.project) continue;
        if (!scopes.has(node)) {
          scopes.set(node, scope);
          queue.push(...node.deps);
        }
        // A later path may ask for extras the first one did not.
        for (const extra of dep.extras) {
          const key = `${node.index}\0${extra}`;
          if (expanded.has(key)) continue;
          expanded.add(key);
          queue.push(...(node.optional.get(extra) ?? []));
        }
      }
    }
  };
  walk(
    projects.flatMap((p) => p.deps),
    "required",
  );
  walk(
    projects.flatMap((p) => [...p.optional.values()].flat()),
    "optional",
  );
  walk(
    projects.flatMap((p) => p.dev),
    "dev",
  );
  return scopes;
}

function depList(value: unknown, what: string, report: (m: string) => void): DepRef[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    report(`${what} is not a list`);
    return [];
  }
  const out: DepRef[] = [];
  for (const d of value) {
    const name = isRecord(d) ? stringOf(d.name) : undefined;
    if (!isRecord(d) || !name) {
      report(`${what}: an entry has no name`);
      continue;
    }
    const version = stringOf(d.version);
    const extras = Array.isArray(d.extra) ? d.extra.filter((e): e is string => typeof e === "string") : [];
    out.push({ name: normalizePythonName(name), ...(version ? { version } : {}), extras });
  }
  return out;
}

function depGroups(value: unknown, what: string, report: (m: string) => void): Map<string, DepRef[]> {
  const out = new Map<string, DepRef[]>();
  if (value === undefined) return out;
  if (!isRecord(value)) {
    report(`${what} is not a table`);
    return out;
  }
  for (const [group, deps] of Object.entries(value))
    out.set(group, depList(deps, `${what}.${group}`, report));
  return out;
}

/** Non-registry sources as one string; the registry a package came from is not recorded. */
function sourceOf(source: Record<string, unknown>): string | undefined {
  for (const kind of ["git", "url", "path", "directory"] as const) {
    const value = stringOf(source[kind]);
    if (value === undefined) continue;
    return kind === "git" ? `git+${value}` : kind === "url" ? value : `${kind}:${value}`;
  }
  return undefined;
}
