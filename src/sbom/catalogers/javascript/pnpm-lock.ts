import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { basename, isRecord, Issues, locationOf, type Position, readEntryText } from "../shared/index.js";
import {
  type DependencyEdge,
  insideNodeModules,
  isProjectManifest,
  integrityHashes,
  isPackageName,
  NPM,
  PackageTable,
  scopesFromRoots,
  splitAt,
} from "./shared.js";
import { parseLockYaml } from "./yaml-lock.js";

const NAME = "javascript/pnpm-lock";

/**
 * Key styles: v5 `/name/1.0.0_peer@1`, v6 `/name@1.0.0(peer@1)`, v9 `name@1.0.0(peer@1)` with
 * package metadata in `packages` and the graph in `snapshots`.
 */
type Style = "v5" | "v6" | "v9";

interface PnpmNode {
  readonly ref: string;
  readonly deps: readonly { readonly name: string; readonly value: string; readonly optional: boolean }[];
}

/**
 * `pnpm-lock.yaml`, lockfile versions 5.x, 6.x and 9.x. Direct dependencies and their sections
 * (prod, optional, dev) come from `importers` (one per workspace project), which makes scope
 * computable from the lockfile alone.
 */
export const pnpmLockCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: NPM,
  targets: ["directory", "file"],
  applies: (entry) => basename(entry.path) === "pnpm-lock.yaml" && !insideNodeModules(entry.path),
  reads: isProjectManifest,
  catalog: catalogPnpmLock,
};

async function catalogPnpmLock(entry: FileEntry, ctx: CatalogContext): Promise<CatalogResult> {
  ctx.signal?.throwIfAborted();
  const issues = new Issues(NAME, entry);
  const text = await readEntryText(entry, ctx, issues);
  if (text === undefined) return issues.result([]);
  const parsed = parseLockYaml(text, ctx.limits);
  if (!parsed.ok) {
    issues.add(parsed.message, parsed.position);
    return issues.result([]);
  }
  const doc = parsed.doc;
  if (doc === undefined) return issues.result([]);
  const at = (path: readonly string[]): Position => doc.locate(path);
  const lock = doc.value;
  if (!isRecord(lock)) {
    issues.add("a pnpm lockfile is a mapping", at([]));
    return issues.result([]);
  }
  const style = styleOf(lock, (m) => issues.add(m, at(["lockfileVersion"])));
  const table = new PackageTable(locationOf(entry));
  const packages = section(lock, "packages", (m) => issues.add(m, at(["packages"])));
  const graphSection = style === "v9" ? "snapshots" : "packages";
  const graph =
    style === "v9" ? section(lock, "snapshots", (m) => issues.add(m, at(["snapshots"]))) : packages;

  const nodes = new Map<string, PnpmNode>();
  const addNode = (id: string, value: unknown, meta: unknown, where: string): void => {
    if (!isRecord(value)) {
      issues.add(`entry ${JSON.stringify(id)} is not a mapping`, at([where, id]));
      return;
    }
    const identity = identify(id, isRecord(meta) ? meta : {}, style);
    if (identity === undefined) {
      issues.add(`cannot read a package name and version from ${JSON.stringify(id)}`, at([where, id]));
      return;
    }
    const resolution = isRecord(meta) && isRecord(meta.resolution) ? meta.resolution : {};
    const ref = table.add(identity.name, identity.version, {
      hashes: typeof resolution.integrity === "string" ? integrityHashes(resolution.integrity) : [],
    });
    if (ref === undefined) {
      issues.add(`cannot make a package URL for ${identity.name}@${identity.version}`, at([where, id]));
      return;
    }
    const deps = [];
    for (const [field, optional] of [
      ["dependencies", false],
      ["optionalDependencies", true],
    ] as const) {
      const map = value[field];
      if (map === undefined) continue;
      if (!isRecord(map)) {
        issues.add(`'${field}' is not a mapping`, at([where, id, field]));
        continue;
      }
      for (const [name, v] of Object.entries(map)) {
        if (typeof v === "string") deps.push({ name, value: v, optional });
      }
    }
    nodes.set(id, { ref, deps });
  };
  const described = new Set<string>();
  for (const [id, value] of Object.entries(graph)) {
    const base = style === "v9" ? withoutPeers(id) : id;
    described.add(base);
    addNode(id, value, style === "v9" ? packages[base] : value, graphSection);
  }
  // A v9 package without a snapshot is still locked (hand-edited or partial lockfiles).
  if (style === "v9") {
    for (const [id, value] of Object.entries(packages))
      if (!described.has(id)) addNode(id, {}, value, "packages");
  }

  const resolve = (name: string, value: string): string | undefined =>
    candidates(name, value, style).find((c) => nodes.has(c));
  const edges = new Map<string, DependencyEdge[]>();
  for (const [id, node] of nodes) {
    const list: DependencyEdge[] = [];
    for (const dep of node.deps) {
      const to = resolve(dep.name, dep.value);
      if (to === undefined) continue;
      list.push({ to, optional: dep.optional });
      const target = nodes.get(to)!.ref;
      table.addDependency(node.ref, target);
      if (!target.startsWith(`${dep.name}@`)) table.addProperty(target, "npm:alias", dep.name);
    }
    edges.set(id, list);
  }

  // Every importer is a project of the workspace: its own sections say what is dev.
  const prod: DependencyEdge[] = [];
  const dev: string[] = [];
  const importers = lock.importers === undefined ? { ".": lock } : lock.importers;
  if (!isRecord(importers)) issues.add("'importers' is not a mapping", at(["importers"]));
  for (const [dir, importer] of Object.entries(isRecord(importers) ? importers : {})) {
    if (!isRecord(importer)) {
      issues.add(`importer ${JSON.stringify(dir)} is not a mapping`, at(["importers", dir]));
      continue;
    }
    for (const [field, kind] of [
      ["dependencies", "prod"],
      ["optionalDependencies", "optional"],
      ["devDependencies", "dev"],
    ] as const) {
      if (!isRecord(importer[field])) continue;
      for (const [name, spec] of Object.entries(importer[field])) {
        // v6/v9: `{specifier, version}`; v5: the version itself.
        const version = typeof spec === "string" ? spec : isRecord(spec) ? spec.version : undefined;
        if (typeof version !== "string") continue;
        const to = resolve(name, version);
        if (to === undefined) continue;
        const target = nodes.get(to)!.ref;
        if (!target.startsWith(`${name}@`)) table.addProperty(target, "npm:alias", name);
        if (kind === "dev") dev.push(to);
        else prod.push({ to, optional: kind === "optional" });
      }
    }
  }
  for (const [id, scope] of scopesFromRoots(edges, { prod, dev })) {
    const ref = nodes.get(id)?.ref;
    if (ref !== undefined) table.addScope(ref, scope);
  }
  return issues.result(table.packages());
}

function styleOf(lock: Record<string, unknown>, report: (message: string) => void): Style {
  const raw = lock.lockfileVersion;
  const major =
    typeof raw === "string" || typeof raw === "number" ? Number.parseFloat(String(raw)) : Number.NaN;
  const guess: Style = lock.snapshots !== undefined ? "v9" : "v6";
  if (Number.isNaN(major) || major < 5 || major >= 10) {
    report(`unknown lockfileVersion ${JSON.stringify(raw)}; reading it as ${guess === "v9" ? "9.0" : "6.0"}`);
    return guess;
  }
  return major >= 9 ? "v9" : major >= 6 ? "v6" : "v5";
}

function section(
  lock: Record<string, unknown>,
  key: string,
  report: (m: string) => void,
): Record<string, unknown> {
  const value = lock[key];
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return value;
  report(`'${key}' is not a mapping`);
  return {};
}

/** `react-dom@18.3.1(react@18.3.1)` → `react-dom@18.3.1`. */
function withoutPeers(key: string): string {
  const paren = key.indexOf("(");
  return paren > 0 ? key.slice(0, paren) : key;
}

/** `name` and `version` fields win (pnpm writes them for git and tarball packages); else the key. */
function identify(
  key: string,
  meta: Record<string, unknown>,
  style: Style,
): { name: string; version: string } | undefined {
  const fromKey = parseKey(key, style);
  const name = typeof meta.name === "string" ? meta.name : fromKey?.name;
  const version = typeof meta.version === "string" ? meta.version : fromKey?.version;
  if (name === undefined || version === undefined || version === "" || !isPackageName(name)) return undefined;
  return { name, version };
}

function parseKey(key: string, style: Style): { name: string; version: string } | undefined {
  const k = withoutPeers(key.startsWith("/") ? key.slice(1) : key);
  if (style !== "v5") {
    const split = splitAt(k);
    return split && { name: split.name, version: split.rest };
  }
  const parts = k.split("/");
  if (parts.length !== (k.startsWith("@") ? 3 : 2)) return undefined;
  return { name: parts.slice(0, -1).join("/"), version: parts.at(-1)!.split("_")[0]! };
}

/** Keys a dependency's value may point at: its own name's entry, or (aliases, v6 ids) the value. */
function candidates(name: string, value: string, style: Style): string[] {
  // Workspace links point at importers, which are projects, not packages.
  if (value.startsWith("link:")) return [];
  switch (style) {
    case "v9":
      return [`${name}@${value}`, value];
    case "v6":
      return value.startsWith("/") ? [value] : [`/${name}@${value}`, value];
    case "v5":
      return value.startsWith("/") ? [value] : [`/${name}/${value}`, value];
    default: {
      const never: never = style;
      return never;
    }
  }
}
