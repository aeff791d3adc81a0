import type { FoundPackage, PackageHash, PackageLocation, PackageScope, PackageType } from "../../model.js";
import { compareText, isRecord, tryPurl } from "../shared/index.js";

/** OSV ecosystem (and purl type) of everything these catalogers find. */
export const NPM = "npm";

/**
 * True when a path has a `node_modules` folder in it. A lockfile there belongs to an installed
 * package (some packages ship theirs), never to the project being scanned.
 */
/** The project manifests beside a yarn/pnpm lockfile say which packages are dev-only. */
export function isProjectManifest(entry: { readonly path: string }): boolean {
  return entry.path.split("/").at(-1) === "package.json" && !insideNodeModules(entry.path);
}

export function insideNodeModules(path: string): boolean {
  return path === "node_modules" || path.startsWith("node_modules/") || path.includes("/node_modules/");
}

/**
 * A plausible npm package name: an optional `@scope/` and a name, no whitespace and no further
 * slashes. Legacy names with capitals are accepted (the registry still serves them).
 */
export function isPackageName(name: string): boolean {
  return name.length > 0 && name.length <= 214 && /^(?:@[^\s/@]+\/)?[^\s/@][^\s/]*$/.test(name);
}

/**
 * Splits a `name@range` descriptor (or `name@version`), keeping a scope's leading `@`; undefined
 * when there is no `@` after the name.
 */
export function splitAt(spec: string): { readonly name: string; readonly rest: string } | undefined {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  if (at <= 0) return undefined;
  return { name: spec.slice(0, at), rest: spec.slice(at + 1) };
}

/**
 * An npm alias range, `npm:<name>@<range>`, gives the real package name; `npm:<range>` (Yarn
 * Berry's normal form) names no other package.
 */
export function aliasTarget(range: string): string | undefined {
  if (!range.startsWith("npm:")) return undefined;
  const split = splitAt(range.slice(4));
  return split && isPackageName(split.name) ? split.name : undefined;
}

/** `pkg:npm/%40scope/name@version`, or undefined when packageurl-js rejects the parts. */
export function npmPurl(name: string, version: string): string | undefined {
  const slash = name.startsWith("@") ? name.indexOf("/") : -1;
  const namespace = slash > 0 ? name.slice(0, slash) : undefined;
  const local = slash > 0 ? name.slice(slash + 1) : name;
  return tryPurl(NPM, namespace, local, version);
}

const SRI = {
  sha1: { alg: "SHA-1", bytes: 20 },
  sha256: { alg: "SHA-256", bytes: 32 },
  sha384: { alg: "SHA-384", bytes: 48 },
  sha512: { alg: "SHA-512", bytes: 64 },
} as const satisfies Record<string, { alg: PackageHash["alg"]; bytes: number }>;

/**
 * Subresource-integrity strings (`sha512-<base64> sha1-<base64>`, what npm, Yarn v1 and pnpm
 * record for a registry tarball) → hex hashes. Malformed parts are dropped, not guessed at.
 */
export function integrityHashes(integrity: string): PackageHash[] {
  const out: PackageHash[] = [];
  for (const token of integrity.trim().split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(?:\?\S*)?$/.exec(token);
    if (!m) continue;
    const spec = SRI[m[1] as keyof typeof SRI];
    const bytes = Buffer.from(m[2]!, "base64");
    if (bytes.length !== spec.bytes) continue;
    addHash(out, { alg: spec.alg, content: bytes.toString("hex") });
  }
  return out;
}

/**
 * Yarn v1 writes a registry tarball's SHA-1 as the URL fragment (`…/ms-2.1.3.tgz#<sha1>`). Only a
 * tarball URL counts: for git URLs the fragment is a commit, not a hash of the package.
 */
export function tarballSha1(resolved: string): PackageHash | undefined {
  const m = /^[^#]+\.(?:tgz|tar\.gz)#([0-9a-fA-F]{40})$/.exec(resolved);
  return m ? { alg: "SHA-1", content: m[1]!.toLowerCase() } : undefined;
}

export function addHash(into: PackageHash[], hash: PackageHash): void {
  if (!into.some((h) => h.alg === hash.alg && h.content === hash.content)) into.push(hash);
}

/** What `license` says in a manifest: a string, a legacy `{type}` object, or a `licenses` list. */
export function declaredLicenses(license: unknown, licenses?: unknown): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    const text = typeof v === "string" ? v : isRecord(v) && typeof v.type === "string" ? v.type : undefined;
    if (text !== undefined && text.trim() !== "" && !out.includes(text.trim())) out.push(text.trim());
  };
  add(license);
  if (Array.isArray(licenses)) for (const l of licenses) add(l);
  return out;
}

/** Facts about one occurrence of a package; a table merges the occurrences of a name@version. */
export interface PackageFacts {
  readonly type?: PackageType;
  readonly licenses?: Iterable<string>;
  readonly hashes?: Iterable<PackageHash>;
  readonly scope?: PackageScope;
  /** Multi-valued properties: occurrences add values, the output joins them with `,`. */
  readonly properties?: Readonly<Record<string, string | undefined>>;
}

interface Draft {
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  readonly type: PackageType;
  readonly licenses: Set<string>;
  readonly hashes: PackageHash[];
  readonly scopes: Set<PackageScope>;
  readonly dependsOn: Set<string>;
  readonly properties: Map<string, Set<string>>;
}

/**
 * Scope of a package met several times: anything in the production tree is `required`, then
 * `optional` (installed in production unless optional dependencies are omitted), then `dev`.
 */
export function mergeScopes(scopes: Iterable<PackageScope>): PackageScope | undefined {
  const set = new Set(scopes);
  if (set.has("required")) return "required";
  if (set.has("optional")) return "optional";
  if (set.has("dev")) return "dev";
  return undefined;
}

/** One FoundPackage per name@version, whatever number of times a lockfile lists it. */
export class PackageTable {
  private readonly drafts = new Map<string, Draft>();

  constructor(private readonly location: PackageLocation) {}

  /** Adds or merges name@version and returns its ref; undefined when no purl can be built. */
  add(name: string, version: string, facts: PackageFacts = {}): string | undefined {
    const ref = `${name}@${version}`;
    let draft = this.drafts.get(ref);
    if (!draft) {
      const purl = npmPurl(name, version);
      if (purl === undefined) return undefined;
      draft = {
        name,
        version,
        purl,
        type: facts.type ?? "library",
        licenses: new Set(),
        hashes: [],
        scopes: new Set(),
        dependsOn: new Set(),
        properties: new Map(),
      };
      this.drafts.set(ref, draft);
    }
    for (const l of facts.licenses ?? []) draft.licenses.add(l);
    for (const h of facts.hashes ?? []) addHash(draft.hashes, h);
    if (facts.scope) draft.scopes.add(facts.scope);
    for (const [key, value] of Object.entries(facts.properties ?? {})) {
      if (value !== undefined) this.addProperty(ref, key, value);
    }
    return ref;
  }

  has(ref: string): boolean {
    return this.drafts.has(ref);
  }

  addScope(ref: string, scope: PackageScope): void {
    this.drafts.get(ref)?.scopes.add(scope);
  }

  addProperty(ref: string, key: string, value: string): void {
    const props = this.drafts.get(ref)?.properties;
    if (!props) return;
    const values = props.get(key) ?? new Set<string>();
    values.add(value);
    props.set(key, values);
  }

  addDependency(from: string, to: string): void {
    if (from !== to && this.drafts.has(to)) this.drafts.get(from)?.dependsOn.add(to);
  }

  /** The packages, sorted by name then version so output does not depend on input order. */
  packages(): FoundPackage[] {
    const out: FoundPackage[] = [];
    for (const ref of [...this.drafts.keys()].sort(compareText)) {
      const d = this.drafts.get(ref)!;
      const scope = mergeScopes(d.scopes);
      const properties = Object.fromEntries(
        [...d.properties.keys()]
          .sort(compareText)
          .map((k) => [k, [...d.properties.get(k)!].sort(compareText).join(",")]),
      );
      out.push({
        ref,
        name: d.name,
        version: d.version,
        purl: d.purl,
        ecosystem: NPM,
        type: d.type,
        ...(d.licenses.size ? { licenses: [...d.licenses] } : {}),
        ...(d.hashes.length ? { hashes: d.hashes } : {}),
        ...(scope ? { scope } : {}),
        locations: [this.location],
        ...(d.dependsOn.size ? { dependsOn: [...d.dependsOn].sort(compareText) } : {}),
        ...(d.properties.size ? { properties } : {}),
      });
    }
    return out;
  }
}

/** A dependency edge between graph nodes (packages, workspaces), for scope computation. */
export interface DependencyEdge {
  readonly to: string;
  readonly optional: boolean;
}

/** Where a project's own manifest(s) start the dependency walk. */
export interface ScopeRoots {
  /** `dependencies` (optional: false) and `optionalDependencies` (optional: true). */
  readonly prod: readonly DependencyEdge[];
  /** `devDependencies`. */
  readonly dev: readonly string[];
}

/**
 * Scopes from reachability, as npm computes its `dev`/`optional` flags: `required` when reachable
 * from the production roots without crossing an optional edge, `optional` when reachable from them
 * only through one, `dev` when reachable only from devDependencies. Unreachable nodes get none.
 */
export function scopesFromRoots(
  edges: ReadonlyMap<string, readonly DependencyEdge[]>,
  roots: ScopeRoots,
): Map<string, PackageScope> {
  const scopes = new Map<string, PackageScope>();
  // Each walk sees the whole graph (a node already scoped can lead on to unscoped ones) but only
  // scopes what earlier, stronger walks left unscoped.
  const walk = (start: Iterable<string>, scope: PackageScope, followOptional: boolean): void => {
    const seen = new Set<string>();
    const queue: string[] = [];
    const visit = (node: string): void => {
      if (seen.has(node)) return;
      seen.add(node);
      if (!scopes.has(node)) scopes.set(node, scope);
      queue.push(node);
    };
    for (const node of start) visit(node);
    while (queue.length) {
      for (const e of edges.get(queue.pop()!) ?? []) if (followOptional || !e.optional) visit(e.to);
    }
  };
  walk(
    roots.prod.filter((e) => !e.optional).map((e) => e.to),
    "required",
    false,
  );
  walk(
    roots.prod.map((e) => e.to),
    "optional",
    true,
  );
  walk(roots.dev, "dev", true);
  return scopes;
}

/** String-valued entries of a `{name: range}` map; other values are reported by the caller. */
export function stringEntries(value: unknown): [string, string][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string");
}
