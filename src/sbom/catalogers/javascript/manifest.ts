import type { CatalogContext } from "../../cataloger.js";
import type { FileEntry } from "../../source.js";
import { dirname, isRecord, type Issues, joinPath, parseJsonFast } from "../shared/index.js";
import { type DependencyEdge, type ScopeRoots, stringEntries } from "./shared.js";

/**
 * The `package.json` beside a lockfile, when the source lets us read it (a source only serves
 * the files it lists, so this is best effort). Undefined when absent or unreadable; an invalid one
 * is reported, located in that file.
 */
export async function readRootManifest(
  entry: FileEntry,
  ctx: CatalogContext,
  issues: Issues,
): Promise<Record<string, unknown> | undefined> {
  const path = joinPath(dirname(entry.path), "package.json");
  let text: string;
  try {
    text = await ctx.source.readText(path);
  } catch {
    return undefined;
  }
  const parsed = parseJsonFast(text);
  if (!parsed.ok) {
    issues.add(`invalid JSON in the project manifest: ${parsed.message}`, parsed.position, path);
    return undefined;
  }
  return isRecord(parsed.value) ? parsed.value : undefined;
}

/**
 * Scope roots from a manifest's dependency sections, each `name → range` resolved by `lookup`
 * to a graph node. A name in both `dependencies` and `optionalDependencies` is optional, as npm
 * and Yarn treat it.
 */
export function rootsFromManifest(
  manifest: Record<string, unknown>,
  lookup: (name: string, range: string) => string | undefined,
): ScopeRoots {
  const optionalNames = new Set(stringEntries(manifest.optionalDependencies).map(([n]) => n));
  const prod: DependencyEdge[] = [];
  const dev: string[] = [];
  const add = (section: unknown, f: (name: string, node: string) => void): void => {
    for (const [name, range] of stringEntries(section)) {
      const node = lookup(name, range);
      if (node !== undefined) f(name, node);
    }
  };
  add(manifest.dependencies, (name, to) => prod.push({ to, optional: optionalNames.has(name) }));
  add(manifest.optionalDependencies, (_, to) => prod.push({ to, optional: true }));
  add(manifest.devDependencies, (_, to) => dev.push(to));
  return { prod, dev };
}
