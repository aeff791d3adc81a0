/**
 * Test support for the SBOM tests: a {@link FileSource} over a fixture directory or over
 * in-memory files, and helpers to run a cataloger the way a scan does. Lives outside `src/` so it
 * never ships.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../src/core/index.js";
import type { CatalogContext, Cataloger } from "../../src/sbom/cataloger.js";
import type { CatalogResult, Distro } from "../../src/sbom/model.js";
import type { FileEntry, FileSource } from "../../src/sbom/source.js";

/** `test/fixtures/sbom/<parts>`. */
export function fixtureDir(...parts: string[]): string {
  return join(new URL("../fixtures/sbom/", import.meta.url).pathname, ...parts);
}

function decodeText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).replace(/^\uFEFF/, "");
}

/**
 * Every regular file under `root` that `want` accepts (like a directory source; symlinks are not
 * followed), in path order, with its execute bit.
 */
export function fixtureSource(
  root: string,
  kind: FileSource["kind"] = "directory",
  want: (path: string) => boolean = () => true,
): FileSource {
  const entries: FileEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) walk(join(dir, d.name), rel);
      else if (d.isFile() && want(rel)) {
        const st = statSync(join(dir, d.name));
        entries.push({ path: rel, size: st.size, executable: (st.mode & 0o111) !== 0 });
      }
    }
  };
  walk(root, "");
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const listed = new Set(entries.map((e) => e.path));
  const read = async (path: string): Promise<Uint8Array> => {
    if (!listed.has(path)) throw new Error(`not in source: ${path}`);
    return new Uint8Array(readFileSync(join(root, path)));
  };
  return {
    kind,
    name: root,
    files: () => entries,
    read,
    readText: async (path) => decodeText(await read(path)),
  };
}

/** In-memory files (text or bytes), all executable; like a real source, it refuses paths it does not list. */
export function memorySource(
  files: Readonly<Record<string, string | Uint8Array>>,
  kind: FileSource["kind"] = "directory",
): FileSource {
  const bytes = new Map(
    Object.entries(files).map(([p, c]) => [p, typeof c === "string" ? new TextEncoder().encode(c) : c]),
  );
  const entries = [...bytes.keys()]
    .sort()
    .map((path) => ({ path, size: bytes.get(path)!.length, executable: true }));
  const read = async (path: string): Promise<Uint8Array> => {
    const b = bytes.get(path);
    if (!b) throw new Error(`not in source: ${path}`);
    return b;
  };
  return {
    kind,
    name: "memory",
    files: () => entries,
    read,
    readText: async (path) => decodeText(await read(path)),
  };
}

export function contextFor(source: FileSource, distro?: Distro): CatalogContext {
  return { ...createContext(), source, ...(distro ? { distro } : {}) };
}

/** Runs a cataloger over every file of the source it applies to, like a scan does. */
export async function catalogAll(
  cataloger: Cataloger,
  source: FileSource,
): Promise<(CatalogResult & { path: string })[]> {
  const ctx = contextFor(source);
  const out = [];
  for (const entry of source.files()) {
    if (cataloger.applies(entry)) out.push({ path: entry.path, ...(await cataloger.catalog(entry, ctx)) });
  }
  return out;
}

/** Catalogs one file of a source (which must list it). */
export async function catalogFile(
  cataloger: Cataloger,
  source: FileSource,
  path: string,
): Promise<CatalogResult> {
  const entry = source.files().find((e) => e.path === path);
  if (!entry) throw new Error(`fixture source does not list ${path}`);
  return cataloger.catalog(entry, contextFor(source));
}

/** Catalogs in-memory text as `path` (the other files, e.g. a sibling package.json, beside it). */
export async function catalogText(
  cataloger: Cataloger,
  path: string,
  text: string,
  others: Readonly<Record<string, string>> = {},
): Promise<CatalogResult> {
  return catalogFile(cataloger, memorySource({ ...others, [path]: text }), path);
}

/** `name@version` of every package, sorted. */
export function ids(result: CatalogResult): string[] {
  return result.packages.map((p) => `${p.name}@${p.version}`).sort();
}
