import type { SourceLocation } from "../core/index.js";

/** Package types, as CycloneDX names component types (SPDX maps them to its purposes). */
export type PackageType = "library" | "application" | "framework" | "operating-system" | "file";

/** Dependency scope as the source states it. */
export type PackageScope = "required" | "optional" | "dev";

/** A hash the source gives for the package (never computed by guessing). */
export interface PackageHash {
  /** CycloneDX algorithm names: `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`, `MD5`. */
  readonly alg: "MD5" | "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
  /** Lowercase hex. */
  readonly content: string;
}

/** Where a package was found: a file path relative to the source root, and its layer in an image. */
export interface PackageLocation {
  readonly path: string;
  /** Digest of the image layer the file came from (images only). */
  readonly layer?: string;
}

/**
 * One package found by a cataloger, before merging. Catalogers MUST fill `name`, `version`,
 * `purl` and `ecosystem`, and SHOULD fill everything else the source states. They MUST NOT invent
 * data the source does not give (no guessed licenses, no computed hashes).
 */
export interface FoundPackage {
  /** Stable within one cataloger run; used by `dependsOn` of other packages from the same run. */
  readonly ref: string;
  readonly name: string;
  readonly version: string;
  /** Package URL (purl spec), built with packageurl-js; includes qualifiers such as `distro=debian-12`. */
  readonly purl: string;
  /** OSV ecosystem name: `npm`, `PyPI`, `Go`, `crates.io`, `RubyGems`, `Packagist`, `NuGet`, `Maven`, `Debian`, `Alpine`, `Red Hat`, … */
  readonly ecosystem: string;
  readonly type: PackageType;
  /** SPDX license expressions as declared (one per declaration). */
  readonly licenses?: readonly string[];
  readonly hashes?: readonly PackageHash[];
  readonly scope?: PackageScope;
  readonly locations: readonly PackageLocation[];
  /** `ref`s of the packages this one depends on, as the source states. */
  readonly dependsOn?: readonly string[];
  /** Distro source package, for OS packages whose advisories are per source package (Debian, Alpine origin). */
  readonly sourcePackage?: { readonly name: string; readonly version?: string };
  /** Extra facts kept as CycloneDX properties (`bulwark:<key>`), e.g. `npm:alias`, `go:toolchain`. */
  readonly properties?: Readonly<Record<string, string>>;
}

/** A problem a cataloger hit in one file: reported in the SBOM metadata and on stderr, never fatal. */
export interface CatalogIssue {
  readonly cataloger: string;
  readonly message: string;
  readonly location: SourceLocation & { readonly layer?: string };
}

/** What one cataloger found in one file. */
export interface CatalogResult {
  readonly packages: readonly FoundPackage[];
  readonly issues?: readonly CatalogIssue[];
}

/** The distro read from `etc/os-release` (or `usr/lib/os-release`). */
export interface Distro {
  /** `ID`, e.g. `debian`, `alpine`, `rhel`. */
  readonly id: string;
  /** `VERSION_ID`, e.g. `12`, `3.20.1`. */
  readonly versionId?: string;
  readonly prettyName?: string;
  /** `ID_LIKE` split on spaces. */
  readonly idLike?: readonly string[];
}
