import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult, PackageHash, PackageScope } from "../../model.js";
import type { FileEntry } from "../../source.js";
import {
  basename,
  dirname,
  isRecord,
  Issues,
  locationOf,
  parseJsonFast,
  readEntryText,
} from "../shared/index.js";
import {
  declaredLicenses,
  insideNodeModules,
  integrityHashes,
  isPackageName,
  NPM,
  PackageTable,
  splitAt,
} from "./shared.js";

const NAME = "javascript/package-lock";
const LOCKFILES = new Set(["package-lock.json", "npm-shrinkwrap.json"]);

/**
 * One installed folder as a lockfile describes it: `node_modules/…` paths for packages, other
 * paths (`packages/util`) for workspace folders and other local packages that links point at.
 */
interface InstallNode {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  /** The folder name, when it is not the package's name (an npm alias). */
  readonly alias?: string;
  readonly local: boolean;
  readonly scope: PackageScope;
  readonly licenses: readonly string[];
  readonly hashes: readonly PackageHash[];
  /** Names this package requires, resolved with Node's algorithm from its folder. */
  readonly requires: readonly string[];
}

interface Lockfile {
  readonly nodes: InstallNode[];
  /** Install path of a link → the folder it points at. */
  readonly links: Map<string, string>;
}

/**
 * `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 (nested `dependencies`), 2
 * and 3 (the flat `packages` map, preferred when both are present).
 */
export const packageLockCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: NPM,
  targets: ["directory", "file"],
  applies: (entry) => LOCKFILES.has(basename(entry.path)) && !insideNodeModules(entry.path),
  catalog: catalogPackageLock,
};

async function catalogPackageLock(entry: FileEntry, ctx: CatalogContext): Promise<CatalogResult> {
  ctx.signal?.throwIfAborted();
  const issues = new Issues(NAME, entry);
  const text = await readEntryText(entry, ctx, issues);
  if (text === undefined) return issues.result([]);
  const parsed = parseJsonFast(text);
  if (!parsed.ok) {
    issues.add(`invalid JSON: ${parsed.message}`, parsed.position);
    return issues.result([]);
  }
  const doc = parsed.value;
  const at = parsed.locate;
  if (!isRecord(doc)) {
    issues.add("a package lockfile is a JSON object", at([]));
    return issues.result([]);
  }
  const version = doc.lockfileVersion;
  if (version !== undefined && version !== 1 && version !== 2 && version !== 3) {
    issues.add(
      `unknown lockfileVersion ${JSON.stringify(version)}; reading it as version 3`,
      at(["lockfileVersion"]),
    );
  }
  let lock: Lockfile = { nodes: [], links: new Map() };
  if (doc.packages !== undefined && !isRecord(doc.packages)) {
    issues.add("'packages' is not an object", at(["packages"]));
  }
  if (isRecord(doc.packages)) {
    lock = readPackagesMap(doc.packages, (msg, path) => issues.add(msg, at(["packages", ...path])));
  } else if (isRecord(doc.dependencies)) {
    lock = readDependenciesTree(doc.dependencies, (msg, path) => issues.add(msg, at(path)));
  } else if (doc.dependencies !== undefined) {
    issues.add("'dependencies' is not an object", at(["dependencies"]));
  }
  return issues.result(tabulate(lock, new PackageTable(locationOf(entry))));
}

type Report = (message: string, path: readonly string[]) => void;

/** Lockfile v2/v3 `packages`: keys are folders relative to the project root. */
function readPackagesMap(packages: Record<string, unknown>, report: Report): Lockfile {
  const links = new Map<string, string>();
  const nodes: InstallNode[] = [];
  // Links first: a workspace folder's entry names no package when its manifest has no name, and
  // then the link's folder name is the one npm used.
  const linkedAs = new Map<string, string>();
  for (const [path, value] of Object.entries(packages)) {
    if (!isRecord(value) || value.link !== true) continue;
    if (typeof value.resolved !== "string") {
      report("a link entry without a 'resolved' folder", [path]);
      continue;
    }
    links.set(path, value.resolved);
    const folderName = nameFromInstallPath(path);
    if (folderName !== undefined && !linkedAs.has(value.resolved)) linkedAs.set(value.resolved, folderName);
  }
  for (const [path, value] of Object.entries(packages)) {
    if (path === "") continue; // the project itself
    if (!isRecord(value)) {
      report("a package entry is not an object", [path]);
      continue;
    }
    if (value.link === true) continue;
    const local = !isInstallPath(path);
    const folderName = local ? linkedAs.get(path) : nameFromInstallPath(path);
    const name = value.name === undefined ? folderName : value.name;
    if (typeof name !== "string" || !isPackageName(name)) {
      report(
        value.name === undefined
          ? "cannot tell the package name of this entry"
          : "'name' is not a package name",
        value.name === undefined ? [path] : [path, "name"],
      );
      continue;
    }
    if (typeof value.version !== "string" || value.version === "") {
      report(
        value.version === undefined
          ? "a package entry without a version"
          : typeof value.version === "string"
            ? "'version' is empty"
            : "'version' is not a string",
        value.version === undefined ? [path] : [path, "version"],
      );
      continue;
    }
    const node = installNode(path, name, value.version, value, local, (m, f) =>
      report(m, f ? [path, f] : [path]),
    );
    nodes.push({ ...node, ...(!local && folderName !== name ? { alias: folderName } : {}) });
  }
  return { nodes, links };
}

function installNode(
  path: string,
  name: string,
  version: string,
  value: Record<string, unknown>,
  local: boolean,
  report: (message: string, field?: string) => void,
): InstallNode {
  const flags = ["dev", "optional", "devOptional", "peer"] as const;
  for (const f of flags) {
    if (value[f] !== undefined && typeof value[f] !== "boolean") report(`'${f}' is not a boolean`, f);
  }
  let hashes: PackageHash[] = [];
  if (typeof value.integrity === "string") hashes = integrityHashes(value.integrity);
  else if (value.integrity !== undefined) report("'integrity' is not a string", "integrity");
  const requires: string[] = [];
  for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "requires"] as const) {
    const map = value[field];
    if (map === undefined) continue;
    // v1's `requires: true` at the top is a flag; inside an entry it is a map.
    if (!isRecord(map)) {
      report(`'${field}' is not an object`, field);
      continue;
    }
    for (const dep of Object.keys(map)) if (isPackageName(dep) && !requires.includes(dep)) requires.push(dep);
  }
  return {
    path,
    name,
    version,
    local,
    scope: scopeOf(value),
    licenses: local ? [] : declaredLicenses(value.license),
    hashes: local ? [] : hashes,
    requires,
  };
}

/**
 * npm's flags: `dev` (only in the dev tree, including optional deps of dev deps), `optional`
 * (only in the optional tree), `devOptional` (in both the dev and the optional tree, so installed
 * in production whenever optional dependencies are), none (required in production).
 */
function scopeOf(value: Record<string, unknown>): PackageScope {
  if (value.dev === true) return "dev";
  if (value.optional === true || value.devOptional === true) return "optional";
  return "required";
}

/** Lockfile v1 `dependencies`: nested like the node_modules folders they describe. */
function readDependenciesTree(top: Record<string, unknown>, report: Report): Lockfile {
  const nodes: InstallNode[] = [];
  const links = new Map<string, string>();
  const walk = (deps: Record<string, unknown>, parent: string, at: readonly string[]): void => {
    for (const [key, value] of Object.entries(deps)) {
      const here = [...at, key];
      if (!isRecord(value)) {
        report("a dependency entry is not an object", here);
        continue;
      }
      const path = parent === "" ? `node_modules/${key}` : `${parent}/node_modules/${key}`;
      const nested = value.dependencies;
      if (nested !== undefined && !isRecord(nested))
        report("'dependencies' is not an object", [...here, "dependencies"]);
      const identity = v1Identity(key, value.version);
      if (identity === "link") {
        links.set(path, (value.version as string).slice("file:".length));
      } else if (identity === undefined) {
        report(
          value.version === undefined
            ? "a dependency entry without a version"
            : "'version' is not a package version",
          value.version === undefined ? here : [...here, "version"],
        );
      } else {
        const node = installNode(path, identity.name, identity.version, value, false, (m, f) =>
          report(m, f ? [...here, f] : here),
        );
        nodes.push({ ...node, ...(identity.name !== key ? { alias: key } : {}) });
      }
      if (isRecord(nested)) walk(nested, path, [...here, "dependencies"]);
    }
  };
  walk(top, "", ["dependencies"]);
  return { nodes, links };
}

/** v1 `version`: a version, `npm:<name>@<version>` for an alias, or `file:<folder>` for a link. */
function v1Identity(key: string, version: unknown): { name: string; version: string } | "link" | undefined {
  if (typeof version !== "string" || version === "" || !isPackageName(key)) return undefined;
  if (version.startsWith("file:")) return "link";
  if (version.startsWith("npm:")) {
    const real = splitAt(version.slice(4));
    return real && isPackageName(real.name) && real.rest !== ""
      ? { name: real.name, version: real.rest }
      : undefined;
  }
  return { name: key, version };
}

/** True for `node_modules/x`, `node_modules/@s/x`, `a/node_modules/b/node_modules/c`. */
function isInstallPath(path: string): boolean {
  return path.startsWith("node_modules/") || path.includes("/node_modules/");
}

function nameFromInstallPath(path: string): string | undefined {
  const i = path.lastIndexOf("node_modules/");
  if (i < 0) return undefined;
  const name = path.slice(i + "node_modules/".length);
  return isPackageName(name) ? name : undefined;
}

/**
 * Node's resolution from a package folder: `<dir>/node_modules/<name>` for the folder and each
 * ancestor, nearest first (folders named `node_modules` are skipped, as Node skips them).
 */
function resolveFrom(folder: string, name: string, exists: (path: string) => boolean): string | undefined {
  let dir = folder;
  for (;;) {
    if (basename(dir) !== "node_modules") {
      const candidate = dir === "" ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
      if (exists(candidate)) return candidate;
    }
    if (dir === "") return undefined;
    dir = dirname(dir);
  }
}

function tabulate(lock: Lockfile, table: PackageTable): ReturnType<PackageTable["packages"]> {
  const refs = new Map<string, string>();
  for (const node of lock.nodes) {
    const ref = table.add(node.name, node.version, {
      type: node.local ? "application" : "library",
      licenses: node.licenses,
      hashes: node.hashes,
      scope: node.scope,
      properties: {
        ...(node.local ? { "npm:localPath": node.path } : { "npm:installPaths": node.path }),
        "npm:alias": node.alias,
      },
    });
    if (ref !== undefined) refs.set(node.path, ref);
  }
  const exists = (path: string): boolean => refs.has(path) || lock.links.has(path);
  for (const node of lock.nodes) {
    const from = refs.get(node.path);
    if (from === undefined) continue;
    for (const dep of node.requires) {
      let target = resolveFrom(node.path, dep, exists);
      if (target !== undefined && lock.links.has(target)) target = lock.links.get(target);
      const to = target === undefined ? undefined : refs.get(target);
      if (to !== undefined) table.addDependency(from, to);
    }
  }
  return table.packages();
}
