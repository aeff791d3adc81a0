import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { readRootManifest, rootsFromManifest } from "./manifest.js";
import { basename, isRecord, Issues, locationOf, type Position, readEntryText } from "../shared/index.js";
import {
  addHash,
  aliasTarget,
  type DependencyEdge,
  insideNodeModules,
  isProjectManifest,
  integrityHashes,
  isPackageName,
  NPM,
  PackageTable,
  scopesFromRoots,
  splitAt,
  tarballSha1,
} from "./shared.js";
import { lazyRequire } from "../../../core/index.js";

const yarnParsers = lazyRequire<typeof import("@yarnpkg/parsers")>("@yarnpkg/parsers");

const NAME = "javascript/yarn-lock";

/** One lockfile entry in the dependency graph; workspaces are nodes but not packages. */
interface YarnNode {
  /** The package's ref; undefined for workspaces. */
  readonly ref?: string;
  readonly deps: readonly {
    readonly name: string;
    readonly descriptor: string;
    readonly optional: boolean;
  }[];
}

/**
 * `yarn.lock` from Yarn v1 (`# yarn lockfile v1`) and Yarn Berry (v2+, with `__metadata`).
 * Scope is not in a yarn.lock: it comes from the sibling `package.json` when the source lets us
 * read it, and is left unset otherwise.
 */
export const yarnLockCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: NPM,
  targets: ["directory", "file"],
  applies: (entry) => basename(entry.path) === "yarn.lock" && !insideNodeModules(entry.path),
  reads: isProjectManifest,
  catalog: catalogYarnLock,
};

async function catalogYarnLock(entry: FileEntry, ctx: CatalogContext): Promise<CatalogResult> {
  ctx.signal?.throwIfAborted();
  const issues = new Issues(NAME, entry);
  const text = await readEntryText(entry, ctx, issues);
  if (text === undefined) return issues.result([]);
  let doc: unknown;
  try {
    doc = yarnParsers().parseSyml(text);
  } catch (e) {
    const message = e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e);
    issues.add(`invalid yarn.lock: ${message}`, symlErrorPosition(e));
    return issues.result([]);
  }
  if (!isRecord(doc)) {
    issues.add("a yarn.lock is a mapping of descriptors to entries", { line: 1, column: 1 });
    return issues.result([]);
  }
  const berry = "__metadata" in doc;
  const lines = keyLines(text);
  const table = new PackageTable(locationOf(entry));
  const nodes = new Map<string, YarnNode>();
  const byDescriptor = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    if (key === "__metadata") continue;
    const descriptors = key.split(/\s*,\s*/).filter((d) => d !== "");
    const report = (message: string): void => issues.add(message, lines.get(descriptors[0] ?? ""));
    if (!isRecord(value)) {
      report(`entry ${JSON.stringify(key)} is not a mapping`);
      continue;
    }
    const read = berry
      ? berryEntry(descriptors, value, table, report)
      : classicEntry(descriptors, value, table, report);
    if (read === undefined) continue;
    const existing = nodes.get(read.id);
    nodes.set(read.id, existing ? { ...existing, deps: [...existing.deps, ...read.node.deps] } : read.node);
    for (const d of descriptors) byDescriptor.set(d, read.id);
  }

  const edges = new Map<string, DependencyEdge[]>();
  for (const [id, node] of nodes) {
    const list: DependencyEdge[] = [];
    for (const dep of node.deps) {
      const to = byDescriptor.get(dep.descriptor);
      if (to === undefined) continue;
      list.push({ to, optional: dep.optional });
      const target = nodes.get(to)?.ref;
      if (node.ref !== undefined && target !== undefined) {
        table.addDependency(node.ref, target);
        if (!target.startsWith(`${dep.name}@`)) table.addProperty(target, "npm:alias", dep.name);
      }
    }
    edges.set(id, list);
  }

  const manifest = await readRootManifest(entry, ctx, issues);
  if (manifest !== undefined) {
    const lookup = (name: string, range: string): string | undefined =>
      byDescriptor.get(`${name}@${range}`) ?? (berry ? byDescriptor.get(`${name}@npm:${range}`) : undefined);
    const scopes = scopesFromRoots(edges, rootsFromManifest(manifest, lookup));
    for (const [id, scope] of scopes) {
      const ref = nodes.get(id)?.ref;
      if (ref !== undefined) table.addScope(ref, scope);
    }
  }
  return issues.result(table.packages());
}

type Read = { readonly id: string; readonly node: YarnNode } | undefined;

/** Yarn v1: `name@range[, name@range]` → `version`, `resolved`, `integrity`, `dependencies`. */
function classicEntry(
  descriptors: readonly string[],
  value: Record<string, unknown>,
  table: PackageTable,
  report: (message: string) => void,
): Read {
  const first = splitAt(descriptors[0] ?? "");
  if (!first || !isPackageName(first.name)) {
    report(`cannot read a package name from ${JSON.stringify(descriptors[0])}`);
    return undefined;
  }
  if (typeof value.version !== "string" || value.version === "") {
    report(`entry ${JSON.stringify(descriptors.join(", "))} has no version`);
    return undefined;
  }
  const name = aliasTarget(first.rest) ?? first.name;
  const hashes: PackageHash[] = typeof value.integrity === "string" ? integrityHashes(value.integrity) : [];
  const sha1 = typeof value.resolved === "string" ? tarballSha1(value.resolved) : undefined;
  if (sha1) addHash(hashes, sha1);
  const ref = table.add(name, value.version, {
    hashes,
    properties: { "npm:alias": aliasesOf(descriptors, name) },
  });
  if (ref === undefined) {
    report(`cannot make a package URL for ${name}@${value.version}`);
    return undefined;
  }
  const deps = [
    ...dependencyList(value.dependencies, false, report),
    ...dependencyList(value.optionalDependencies, true, report),
  ];
  return { id: ref, node: { ref, deps } };
}

/**
 * Yarn Berry: `name@npm:range` → `version`, `resolution` (the locator: which package it is),
 * `dependencies` (already `npm:`-prefixed descriptors), `checksum`, `linkType`.
 */
function berryEntry(
  descriptors: readonly string[],
  value: Record<string, unknown>,
  table: PackageTable,
  report: (message: string) => void,
): Read {
  if (typeof value.resolution !== "string") {
    report(`entry ${JSON.stringify(descriptors.join(", "))} has no resolution`);
    return undefined;
  }
  const locator = splitAt(value.resolution);
  if (!locator || !isPackageName(locator.name)) {
    report(`cannot read a package name from resolution ${JSON.stringify(value.resolution)}`);
    return undefined;
  }
  const deps = dependencyList(value.dependencies, false, report, value.dependenciesMeta);
  // Workspaces are the project itself; their dependency lists merge dev and prod, so they lead
  // nowhere for scope (see docs/sbom-javascript.md).
  if (locator.rest.startsWith("workspace:")) return { id: value.resolution, node: { deps: [] } };
  // `link:` and `portal:` folders: local, unversioned (Yarn writes 0.0.0-use.local).
  if (value.linkType === "soft") return { id: value.resolution, node: { deps: [] } };
  if (typeof value.version !== "string" || value.version === "") {
    report(`entry ${JSON.stringify(descriptors.join(", "))} has no version`);
    return undefined;
  }
  const ref = table.add(locator.name, value.version, {
    properties: {
      // The checksum is of Yarn's cache archive, not of the registry tarball: a fact, not a hash.
      "yarn:checksum": typeof value.checksum === "string" ? value.checksum : undefined,
      "yarn:patched": locator.rest.startsWith("patch:") ? "true" : undefined,
      "npm:alias": aliasesOf(descriptors, locator.name),
    },
  });
  if (ref === undefined) {
    report(`cannot make a package URL for ${locator.name}@${value.version}`);
    return undefined;
  }
  return { id: value.resolution, node: { ref, deps } };
}

/** Descriptor names that are not the package's own name (`string-width-cjs@npm:string-width@…`). */
function aliasesOf(descriptors: readonly string[], name: string): string | undefined {
  const names = new Set<string>();
  for (const d of descriptors) {
    const split = splitAt(d);
    if (split && split.name !== name && isPackageName(split.name)) names.add(split.name);
  }
  return names.size ? [...names].join(",") : undefined;
}

function dependencyList(
  map: unknown,
  optional: boolean,
  report: (message: string) => void,
  meta?: unknown,
): YarnNode["deps"] {
  if (map === undefined) return [];
  if (!isRecord(map)) {
    report("'dependencies' is not a mapping");
    return [];
  }
  const out = [];
  for (const [name, range] of Object.entries(map)) {
    if (typeof range !== "string") continue;
    const m = isRecord(meta) ? meta[name] : undefined;
    // Berry is read with the failsafe schema: `optional: true` arrives as the string "true".
    const metaOptional = isRecord(m) && (m.optional === true || m.optional === "true");
    out.push({ name, descriptor: `${name}@${range}`, optional: optional || metaOptional });
  }
  return out;
}

/** Line of each descriptor in the top-level keys (`"a@^1", a@^1.1:`), for locating issues. */
function keyLines(text: string): Map<string, Position> {
  const out = new Map<string, Position>();
  let line = 0;
  for (const raw of text.split("\n")) {
    line++;
    const c = raw[0];
    if (c === undefined || c === " " || c === "\t" || c === "#" || c === "\r") continue;
    const key = raw.replace(/\r$/, "").replace(/:\s*$/, "");
    for (const part of key.split(/\s*,\s*/)) {
      const d = part.replace(/^"/, "").replace(/"$/, "");
      if (!out.has(d)) out.set(d, { line, column: 1 });
    }
  }
  return out;
}

/** Peggy errors (the v1 parser) carry `location.start`; js-yaml errors (Berry) a 0-based `mark`. */
function symlErrorPosition(e: unknown): Position | undefined {
  if (!isRecord(e)) return undefined;
  const start = isRecord(e.location) && isRecord(e.location.start) ? e.location.start : undefined;
  if (start && typeof start.line === "number" && typeof start.column === "number") {
    return { line: start.line, column: start.column };
  }
  const mark = isRecord(e.mark) ? e.mark : undefined;
  if (mark && typeof mark.line === "number" && typeof mark.column === "number") {
    return { line: mark.line + 1, column: mark.column + 1 };
  }
  return undefined;
}
