/**
 * Test support for the JavaScript cataloger tests: fixture paths under
 * `test/fixtures/sbom/javascript/`, and the package lists and edges the package managers
 * themselves print (the fixtures' ground truth). Lives outside `src/` so it never ships.
 */
import { readFileSync } from "node:fs";
import type { CatalogResult } from "../../src/sbom/model.js";
import { fixtureDir } from "./file-source.js";

export * from "./file-source.js";

/** `test/fixtures/sbom/javascript/<parts>`. */
export function fixturePath(...parts: string[]): string {
  return fixtureDir("javascript", ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), "utf8");
}

// ---------------------------------------------------------------------------------------------
// Ground truth: what the package managers themselves list (see the fixtures' README.md).

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `npm ls --all --json [--long]`: every node of the tree. With `--long`, `name` is the real name of
 * an aliased package; npm 6's `from` (`alias@npm:real@1.2.3`) says the same. Missing (unmet peer)
 * nodes have no version and are not installed.
 */
export function npmLsPackages(lsJson: string): Set<string> {
  const out = new Set<string>();
  const walk = (node: Json): void => {
    const deps = isObject(node.dependencies) ? node.dependencies : {};
    for (const [key, child] of Object.entries(deps)) {
      if (!isObject(child) || child.missing === true || typeof child.version !== "string") continue;
      const alias =
        typeof child.from === "string" ? /^[^@]+@npm:((?:@[^/]+\/)?[^@]+)@/.exec(child.from) : null;
      const name = typeof child.name === "string" ? child.name : (alias?.[1] ?? key);
      out.add(`${name}@${child.version}`);
      walk(child);
    }
  };
  walk(JSON.parse(lsJson) as Json);
  return out;
}

/** `yarn list --json` (Yarn v1): every non-shadow tree node, `name@version` as Yarn prints it. */
export function yarnListPackages(listJson: string): Set<string> {
  const out = new Set<string>();
  const walk = (trees: unknown): void => {
    if (!Array.isArray(trees)) return;
    for (const t of trees) {
      if (!isObject(t)) continue;
      if (t.shadow !== true && typeof t.name === "string") out.add(t.name);
      walk(t.children);
    }
  };
  const doc = JSON.parse(listJson) as Json;
  walk(isObject(doc.data) ? doc.data.trees : undefined);
  return out;
}

/** `yarn info --all --recursive --json` (Yarn Berry, one JSON object a line): locator → version. */
export function yarnInfoPackages(ndjson: string): { packages: Set<string>; workspaces: Set<string> } {
  const packages = new Set<string>();
  const workspaces = new Set<string>();
  for (const line of ndjson.split("\n")) {
    if (line.trim() === "") continue;
    const rec = JSON.parse(line) as Json;
    const locator = String(rec.value);
    const at = locator.indexOf("@", locator.startsWith("@") ? 1 : 0);
    const name = locator.slice(0, at);
    const version = isObject(rec.children) ? String(rec.children.Version) : "";
    if (locator.slice(at + 1).startsWith("workspace:")) workspaces.add(`${name}@${version}`);
    else packages.add(`${name}@${version}`);
  }
  return { packages, workspaces };
}

/** `pnpm list -r --depth Infinity --json`: every node of every importer; `from` is the real name. */
export function pnpmListPackages(listJson: string): Set<string> {
  const out = new Set<string>();
  const walk = (node: Json): void => {
    for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
      const deps = isObject(node[field]) ? node[field] : {};
      for (const [key, child] of Object.entries(deps)) {
        if (!isObject(child) || typeof child.version !== "string") continue;
        if (child.version.startsWith("link:")) continue; // a workspace project, not a package
        out.add(`${typeof child.from === "string" ? child.from : key}@${child.version}`);
        walk(child);
      }
    }
  };
  for (const importer of JSON.parse(listJson) as Json[]) walk(importer);
  return out;
}

/**
 * Dependency edges of an `npm ls --long --json` or `pnpm list --json` tree: each node to each of
 * its children, as `name@version → name@version` (the real name: npm's `name`, pnpm's `from`).
 */
export function lsTreeEdges(json: string): Set<string> {
  const out = new Set<string>();
  const id = (key: string, node: Json): string =>
    `${typeof node.name === "string" ? node.name : typeof node.from === "string" ? node.from : key}@${String(node.version)}`;
  const walk = (key: string | undefined, node: Json): void => {
    for (const field of ["dependencies", "devDependencies", "optionalDependencies"]) {
      const deps = isObject(node[field]) ? node[field] : {};
      for (const [childKey, child] of Object.entries(deps)) {
        if (!isObject(child) || typeof child.version !== "string" || child.missing === true) continue;
        if (child.version.startsWith("link:")) continue;
        if (key !== undefined) out.add(`${id(key, node)} -> ${id(childKey, child)}`);
        walk(childKey, child);
      }
    }
  };
  const doc = JSON.parse(json) as unknown;
  for (const root of Array.isArray(doc) ? doc : [doc]) if (isObject(root)) walk(undefined, root);
  return out;
}

/**
 * Dependency edges `yarn info -AR --json` prints, between packages (workspaces left out). A
 * package with peer dependencies is reached through a virtual locator
 * (`debug@virtual:<hash>#npm:2.6.9`), which is the package `debug@npm:2.6.9`.
 */
export function yarnInfoEdges(ndjson: string): Set<string> {
  const devirtualize = (locator: string): string => locator.replace(/@virtual:[^#]*#/, "@");
  const records = ndjson
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Json);
  const idOf = new Map<string, string>();
  for (const rec of records) {
    const locator = String(rec.value);
    if (/@workspace:/.test(locator)) continue;
    const at = locator.indexOf("@", locator.startsWith("@") ? 1 : 0);
    idOf.set(
      locator,
      `${locator.slice(0, at)}@${isObject(rec.children) ? String(rec.children.Version) : ""}`,
    );
  }
  const out = new Set<string>();
  for (const rec of records) {
    const from = idOf.get(String(rec.value));
    const deps =
      isObject(rec.children) && Array.isArray(rec.children.Dependencies) ? rec.children.Dependencies : [];
    for (const d of deps) {
      const to = isObject(d) ? idOf.get(devirtualize(String(d.locator))) : undefined;
      if (from !== undefined && to !== undefined && from !== to) out.add(`${from} -> ${to}`);
    }
  }
  return out;
}

/** The edges a catalog result states, in the same `a@1 -> b@2` form. */
export function resultEdges(result: CatalogResult): Set<string> {
  const out = new Set<string>();
  for (const p of result.packages) for (const d of p.dependsOn ?? []) out.add(`${p.ref} -> ${d}`);
  return out;
}
