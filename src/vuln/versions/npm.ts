/**
 * npm package versions, with node-semver's semantics (https://github.com/npm/node-semver), which
 * is what npm itself uses to read `package.json` and lockfile versions.
 *
 * Parsing is node-semver's loose mode, as npm normalises versions: surrounding whitespace, a
 * leading `v` or `=`, leading zeros (`01.2.3` is `1.2.3`) and a pre-release without its hyphen
 * (`1.2.3beta` is `1.2.3-beta`) are accepted. Ordering is node-semver's `compare`: SemVer
 * precedence with build metadata ignored.
 */
import semver from "semver";
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

const OPTIONS = { loose: true } as const;

/**
 * Parses an npm version (loose). Never throws: node-semver's `parse` returns null instead.
 * Advisories sometimes give a bound as `1.0` or `2`; OSV's own matcher pads those with zeros, so a
 * version with one or two numeric parts (and nothing else) reads as `1.0.0` / `2.0.0`.
 */
export function parseNpmVersion(v: string): semver.SemVer | undefined {
  if (typeof v !== "string") return undefined;
  try {
    const padded = /^\s*v?\d+(\.\d+)?\s*$/.test(v) ? `${v.trim()}${v.includes(".") ? ".0" : ".0.0"}` : v;
    return semver.parse(padded, OPTIONS) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseNpmVersion);

function mustParse(v: string): semver.SemVer {
  const parsed = cachedParse(v);
  if (!parsed) throw invalidVersion("npm", v);
  return parsed;
}

/** node-semver ordering, for the OSV ecosystem `npm`. */
export const npmScheme = {
  name: "npm",
  parse: parseNpmVersion,
  compare: (a: string, b: string): number => mustParse(a).compare(mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
