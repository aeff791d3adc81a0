export type { CatalogContext, Cataloger } from "./cataloger.js";
export { CATALOGERS } from "./catalogers/index.js";
export { detectTarget, type GenerateOptions, generateSbom, type TargetKind } from "./generate.js";
export { contentUuid, mergePackages } from "./merge.js";
export type {
  CatalogIssue,
  CatalogResult,
  Distro,
  FoundPackage,
  PackageHash,
  PackageLocation,
  PackageScope,
  PackageType,
} from "./model.js";
export type { FileEntry, FileSource } from "./source.js";

/**
 * The identity and runtime config (User, ExposedPorts, Env, Healthcheck, …) of a container image —
 * an OCI layout, OCI archive or docker-save tarball — without reading its layers; undefined when
 * the path is not an image. The image reader loads only when called.
 */
export async function readImageConfig(
  path: string,
  options: { readonly platform?: string } = {},
): Promise<import("./image/index.js").ImageInfo | undefined> {
  const image = await import("./image/index.js");
  if (!(await image.detectImageTarget(path))) return undefined;
  return image.readImageInfo(path, options.platform ? { platform: options.platform } : {});
}
