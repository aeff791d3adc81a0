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
