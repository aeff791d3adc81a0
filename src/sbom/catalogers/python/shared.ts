import type { FoundPackage, PackageHash } from "../../model.js";
import { tryPurl } from "../shared/index.js";

export const PYPI = "PyPI";

/** PEP 503 normalisation: lowercase, every run of `-`, `_` and `.` becomes one `-`. */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** `pkg:pypi/<normalised name>@<version>`, or undefined when packageurl-js rejects the parts. */
export function pypiPurl(name: string, version: string): string | undefined {
  return tryPurl("pypi", undefined, normalizePythonName(name), version);
}

/** A plausible PEP 440 (or legacy) version: no spaces, no specifier characters. */
export function isPlausibleVersion(version: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.+!_-]*$/.test(version) && !version.includes("*");
}

const HASH_ALGS = {
  md5: { alg: "MD5", hexLength: 32 },
  sha1: { alg: "SHA-1", hexLength: 40 },
  sha256: { alg: "SHA-256", hexLength: 64 },
  sha384: { alg: "SHA-384", hexLength: 96 },
  sha512: { alg: "SHA-512", hexLength: 128 },
} as const satisfies Record<string, { alg: PackageHash["alg"]; hexLength: number }>;

/** `sha256:<hex>` (the form pip, Poetry, Pipenv and uv write) → a hash, or undefined if malformed. */
export function parseHash(text: string): PackageHash | undefined {
  const m = /^([a-z0-9]+)[:=]([0-9a-fA-F]+)$/.exec(text.trim());
  if (!m) return undefined;
  const spec = HASH_ALGS[m[1] as keyof typeof HASH_ALGS] as
    (typeof HASH_ALGS)[keyof typeof HASH_ALGS] | undefined;
  if (!spec || m[2]!.length !== spec.hexLength) return undefined;
  return { alg: spec.alg, content: m[2]!.toLowerCase() };
}

/** Appends hashes, dropping duplicates (a lock lists one hash per distribution file). */
export function addHashes(into: PackageHash[], more: Iterable<PackageHash>): void {
  for (const h of more) {
    if (!into.some((x) => x.alg === h.alg && x.content === h.content)) into.push(h);
  }
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * 1-based line of the `index`-th line (0-based) whose text matches `re`, e.g. the n-th
 * `[[package]]` header of a TOML lock; TOML parsers give no positions for values.
 */
export function nthLineMatching(text: string, re: RegExp, index: number): number | undefined {
  let seen = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!re.test(lines[i]!)) continue;
    if (seen === index) return i + 1;
    seen++;
  }
  return undefined;
}

/** A mutable package under construction; frozen into a {@link FoundPackage} by {@link finish}. */
export type Draft = { -readonly [K in keyof FoundPackage]: FoundPackage[K] };

export function finish(draft: Draft): FoundPackage {
  const out: Draft = { ...draft };
  if (out.hashes?.length === 0) delete out.hashes;
  if (out.dependsOn?.length === 0) delete out.dependsOn;
  if (out.licenses?.length === 0) delete out.licenses;
  if (out.properties && Object.keys(out.properties).length === 0) delete out.properties;
  return out;
}
