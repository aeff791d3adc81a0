import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogResult } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { isRecord, Issues, locationOf, parseJsonFast, readEntryText } from "../shared/index.js";
import { declaredLicenses, integrityHashes, isPackageName, NPM, PackageTable } from "./shared.js";

const NAME = "javascript/node-modules";

/**
 * Installed packages: the `package.json` of every folder directly under a `node_modules` (as
 * `node_modules/<name>` or `node_modules/@scope/<name>`, nested through further `node_modules`,
 * or in pnpm's `node_modules/.pnpm/<id>/node_modules/<name>` store). A manifest elsewhere inside
 * a package (test fixtures, `dist/esm/package.json`) is not a package.
 */
export const nodeModulesCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: NPM,
  targets: ["rootfs", "image"],
  applies: (entry) => installedFolderName(entry.path) !== undefined,
  catalog: catalogInstalled,
};

/** The name of the folder a package is installed in, or undefined when the path is not one. */
export function installedFolderName(path: string): string | undefined {
  const segs = path.split("/");
  const last = segs.length - 1;
  if (segs[last] !== "package.json") return undefined;
  let i = segs.indexOf("node_modules");
  if (i < 0) return undefined;
  for (;;) {
    i++;
    if (segs[i] === ".pnpm") {
      const id = segs[i + 1];
      if (id === undefined || id === "" || segs[i + 2] !== "node_modules") return undefined;
      i += 3;
    }
    const first = segs[i];
    if (first === undefined || first === "" || first.startsWith(".") || i >= last) return undefined;
    let name = first;
    i++;
    if (first.startsWith("@")) {
      const second = segs[i];
      if (second === undefined || second === "" || second.startsWith(".") || i >= last) return undefined;
      name = `${first}/${second}`;
      i++;
    }
    if (i === last) return isPackageName(name) ? name : undefined;
    if (segs[i] !== "node_modules") return undefined;
  }
}

async function catalogInstalled(entry: FileEntry, ctx: CatalogContext): Promise<CatalogResult> {
  ctx.signal?.throwIfAborted();
  const issues = new Issues(NAME, entry);
  const text = await readEntryText(entry, ctx, issues);
  if (text === undefined) return issues.result([]);
  const parsed = parseJsonFast(text);
  if (!parsed.ok) {
    issues.add(`invalid JSON: ${parsed.message}`, parsed.position);
    return issues.result([]);
  }
  const manifest = parsed.value;
  if (!isRecord(manifest)) {
    issues.add("a package manifest is a JSON object", parsed.locate([]));
    return issues.result([]);
  }
  const { name, version } = manifest;
  // Without both, npm would not have installed it as a package: nothing to report.
  if (typeof name !== "string" || typeof version !== "string" || version === "") return issues.result([]);
  if (!isPackageName(name)) {
    issues.add(`'name' is not a package name: ${JSON.stringify(name)}`, parsed.locate(["name"]));
    return issues.result([]);
  }
  const folder = installedFolderName(entry.path);
  const table = new PackageTable(locationOf(entry));
  const ref = table.add(name, version, {
    licenses: declaredLicenses(manifest.license, manifest.licenses),
    // npm 6 and older record the tarball's integrity in installed manifests.
    hashes: typeof manifest._integrity === "string" ? integrityHashes(manifest._integrity) : [],
    properties: { "npm:alias": folder !== undefined && folder !== name ? folder : undefined },
  });
  if (ref === undefined)
    issues.add(`cannot make a package URL for ${name}@${version}`, parsed.locate(["version"]));
  return issues.result(table.packages());
}
