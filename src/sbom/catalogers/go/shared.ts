import { PackageURL } from "packageurl-js";
import type { CatalogIssue, FoundPackage, PackageLocation } from "../../model.js";
import type { FileEntry } from "../../source.js";

export const GO = "Go";

/**
 * `pkg:golang/<module path>@<version>`: the path's last element is the purl name, the rest its
 * namespace; the version is left out for `(devel)` (not a version). Undefined when packageurl-js
 * rejects the parts (a `v` version that is not semver).
 */
export function golangPurl(modulePath: string, version: string | undefined): string | undefined {
  const slash = modulePath.lastIndexOf("/");
  const namespace = slash < 0 ? undefined : modulePath.slice(0, slash);
  const name = modulePath.slice(slash + 1);
  if (name === "") return undefined;
  const v = version === undefined || version === DEVEL ? undefined : version;
  try {
    return new PackageURL("golang", namespace, name, v).toString();
  } catch {
    return undefined;
  }
}

/** The version Go gives a main module built from a source tree rather than a module version. */
export const DEVEL = "(devel)";

/** A Go module version: `v` + semver, pseudo-versions and `+incompatible` included. */
export function isModuleVersion(version: string): boolean {
  return /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version);
}

/** A replacement target that is a directory, not a module (`./x`, `../x`, `/x`, `C:\x`). */
export function isLocalPath(path: string): boolean {
  return /^(?:\.{1,2}(?:\/|\\|$)|\/|[A-Za-z]:[\\/])/.test(path);
}

export function locationOf(entry: FileEntry): PackageLocation {
  return entry.layer === undefined ? { path: entry.path } : { path: entry.path, layer: entry.layer };
}

/** Builds located issues for one file. */
export function issueFactory(cataloger: string, entry: FileEntry) {
  return (message: string, line?: number, column?: number): CatalogIssue => ({
    cataloger,
    message,
    location: {
      file: entry.path,
      ...(line === undefined ? {} : { line }),
      ...(column === undefined ? {} : { column }),
      ...(entry.layer === undefined ? {} : { layer: entry.layer }),
    },
  });
}

export function basename(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Drops empty optional lists and property maps. */
export function finish(pkg: FoundPackage): FoundPackage {
  const out: { -readonly [K in keyof FoundPackage]: FoundPackage[K] } = { ...pkg };
  if (out.dependsOn?.length === 0) delete out.dependsOn;
  if (out.properties && Object.keys(out.properties).length === 0) delete out.properties;
  return out;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
