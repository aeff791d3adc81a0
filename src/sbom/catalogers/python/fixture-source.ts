/**
 * Test support for the Python and Go cataloger tests: a {@link FileSource} over a fixture
 * directory or over in-memory files, and a context to catalog with. Not exported from `index.ts`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "../../../core/index.js";
import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult } from "../../model.js";
import type { FileEntry, FileSource } from "../../source.js";

export function fixtureSource(root: string, kind: FileSource["kind"] = "directory"): FileSource {
  const entries: FileEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) walk(join(dir, d.name), rel);
      else if (d.isFile()) {
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
    readText: async (path) => new TextDecoder().decode(await read(path)).replace(/^\uFEFF/, ""),
  };
}

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
    readText: async (path) => new TextDecoder().decode(await read(path)).replace(/^\uFEFF/, ""),
  };
}

export function contextFor(source: FileSource): CatalogContext {
  return { ...createContext(), source };
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

/** The directory of a fixture under `test/fixtures/sbom/`. */
export function fixtureDir(...parts: string[]): string {
  return join(new URL("../../../../test/fixtures/sbom/", import.meta.url).pathname, ...parts);
}
