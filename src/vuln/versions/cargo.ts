/**
 * crates.io versions. Cargo requires strict Semantic Versioning 2.0.0 (no `v` prefix, no
 * leading zeros), and orders by SemVer precedence (§11): build metadata is ignored, so
 * `1.0.0+a == 1.0.0+b`.
 */
import { compareSemVer, parseStrictSemVer, type SemVer } from "./semver.js";
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** Parses a crate version (strict SemVer 2.0.0). Never throws. */
export function parseCargoVersion(v: string): SemVer | undefined {
  return parseStrictSemVer(v);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseCargoVersion);

function mustParse(v: string): SemVer {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("crates.io", v);
  return parsed;
}

/** SemVer precedence, for the OSV ecosystem `crates.io`. */
export const cargoScheme = {
  name: "crates.io",
  parse: parseCargoVersion,
  compare: (a: string, b: string): number => compareSemVer(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
