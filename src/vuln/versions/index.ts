/**
 * Ecosystem version schemes for vulnerability matching: one {@link VersionScheme} per OSV
 * ecosystem, looked up by the ecosystem name exactly as OSV writes it.
 */
import { goScheme } from "./go.js";
import { mavenScheme } from "./maven.js";
import { npmScheme } from "./npm.js";
import { pypiScheme } from "./pypi.js";
import { PART2_SCHEMES } from "./registry-part2.js";
import type { VersionScheme } from "./types.js";

export { compareOrThrow, type VersionScheme } from "./types.js";
export { semverScheme, parseSemVer, compareSemVer, type SemVer } from "./semver.js";
export { npmScheme, parseNpmVersion } from "./npm.js";
export { pypiScheme, parsePep440, comparePep440, normalizePep440, type Pep440Version } from "./pypi.js";
export { goScheme, parseGoVersion, type GoVersion } from "./go.js";
export { mavenScheme, parseMavenVersion, compareMavenVersions, type MavenVersion } from "./maven.js";
export { PART2_SCHEMES } from "./registry-part2.js";

/** Part 1: the language ecosystems npm, PyPI, Go and Maven. */
const PART1_SCHEMES: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  ["npm", npmScheme],
  ["PyPI", pypiScheme],
  ["Go", goScheme],
  ["Maven", mavenScheme],
]);

// ── Registry ──────────────────────────────────────────────────────────────────────────────────
// Part 1 (above) and part 2 (`registry-part2.ts`: RubyGems, Packagist, NuGet, crates.io, Debian,
// Ubuntu, Alpine and the RPM family) are merged here. Add new ecosystems to one of those maps,
// not to this function. An ecosystem present in both maps is a programming error.
const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map([...PART1_SCHEMES, ...PART2_SCHEMES]);

/** Every registered ecosystem name, for contract tests and `bulwark db status`. */
export function knownEcosystems(): readonly string[] {
  return [...SCHEMES.keys()];
}

/**
 * The version scheme of an OSV ecosystem (`npm`, `PyPI`, `Go`, `Maven`, …), or `undefined` when
 * Bulwark has none. A release suffix (`Debian:12`, `Alpine:v3.18`) is ignored. The OSV range
 * type `SEMVER` is not an ecosystem: use {@link semverScheme} for it.
 */
export function schemeForEcosystem(ecosystem: string): VersionScheme | undefined {
  const colon = ecosystem.indexOf(":");
  const base = colon === -1 ? ecosystem : ecosystem.slice(0, colon);
  return SCHEMES.get(base);
}
