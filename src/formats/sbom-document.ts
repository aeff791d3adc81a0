/**
 * Bulwark's neutral SBOM model: what `bulwark sbom` produces and every SBOM encoder (CycloneDX,
 * SPDX 2.3, SPDX 3.0.1) writes, and what every SBOM decoder reads back. Format-independent; the
 * encoders map it to each format. Pure data, no I/O.
 */

export type SbomComponentType = "library" | "application" | "framework" | "operating-system" | "file";

export interface SbomHash {
  readonly alg: "MD5" | "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";
  /** Lowercase hex. */
  readonly content: string;
}

export interface SbomComponent {
  /** Unique within the document: the purl, or purl + `#n` when two components share a purl. */
  readonly bomRef: string;
  readonly type: SbomComponentType;
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  /** OSV ecosystem name (`npm`, `PyPI`, `Debian`, …). */
  readonly ecosystem: string;
  /** Declared SPDX license expressions. */
  readonly licenses: readonly string[];
  readonly hashes: readonly SbomHash[];
  readonly scope?: "required" | "optional" | "dev";
  /** Every place the package was found (evidence). */
  readonly locations: readonly { readonly path: string; readonly layer?: string }[];
  /** Names of the catalogers that found it. */
  readonly foundBy: readonly string[];
  readonly sourcePackage?: { readonly name: string; readonly version?: string };
  readonly properties: Readonly<Record<string, string>>;
}

export interface SbomSubject {
  readonly type: "directory" | "rootfs" | "image" | "file";
  readonly name: string;
  /** Image manifest digest (`sha256:…`). */
  readonly digest?: string;
  readonly configDigest?: string;
  readonly os?: string;
  readonly architecture?: string;
  /** Image layers in order, bottom first; `base` marks layers inherited from the base image. */
  readonly layers?: readonly { readonly digest: string; readonly base?: boolean }[];
  readonly distro?: { readonly id: string; readonly versionId?: string; readonly prettyName?: string };
}

export interface SbomIssue {
  readonly cataloger: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly layer?: string;
}

export interface SbomDocument {
  /** `urn:uuid:…`, derived from the content unless the caller asks for a random one. */
  readonly serialNumber: string;
  /** RFC 3339, from the injected clock (`SOURCE_DATE_EPOCH`). */
  readonly timestamp: string;
  readonly tool: { readonly name: string; readonly version: string };
  readonly catalogers: readonly { readonly name: string; readonly version: number }[];
  readonly subject: SbomSubject;
  /** Sorted by purl, then bomRef. */
  readonly components: readonly SbomComponent[];
  /** One entry per component with dependencies, sorted; refs are bomRefs. */
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
  readonly issues: readonly SbomIssue[];
}
