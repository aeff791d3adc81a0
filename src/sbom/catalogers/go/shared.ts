import type { FoundPackage } from "../../model.js";
import { tryPurl } from "../shared/index.js";

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
  return tryPurl("golang", namespace, name, v);
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

/** Drops empty optional lists and property maps. */
export function finish(pkg: FoundPackage): FoundPackage {
  const out: { -readonly [K in keyof FoundPackage]: FoundPackage[K] } = { ...pkg };
  if (out.dependsOn?.length === 0) delete out.dependsOn;
  if (out.properties && Object.keys(out.properties).length === 0) delete out.properties;
  return out;
}
