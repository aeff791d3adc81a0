/**
 * Go module versions (https://go.dev/ref/mod#versions), as the go command orders them
 * (golang.org/x/mod/semver).
 *
 * A module version is a canonical semantic version with a `v` prefix: `vMAJOR.MINOR.PATCH`,
 * an optional pre-release and, as the only build metadata the go command allows, `+incompatible`
 * (https://go.dev/ref/mod#incompatible-versions). OSV's Go records write versions without the
 * `v` (`1.20.0-0`), so the prefix is optional here. The shorthands `v1` and `v1.2` that
 * x/mod/semver tolerates are not module versions and are rejected.
 *
 * Pseudo-versions (https://go.dev/ref/mod#pseudo-versions) need no special case: each of their
 * three forms is, by design, a SemVer pre-release that sorts where the go command wants it —
 * `vX.0.0-yyyymmddhhmmss-abcdefabcdef` below every tagged `vX` release,
 * `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef` after `vX.Y.Z` and before any pre-release of
 * `vX.Y.(Z+1)`, and `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef` just after `vX.Y.Z-pre`. So
 * ordering is plain SemVer precedence; `+incompatible`, being build metadata, is ignored.
 */
import { compareSemVer, parseStrictSemVer, type SemVer } from "./semver.js";
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A parsed Go module version. */
export interface GoVersion extends SemVer {
  readonly incompatible: boolean;
  /** Set when the version has one of the pseudo-version shapes. */
  readonly pseudo: boolean;
}

// The three pseudo-version shapes (go.dev/ref/mod#pseudo-versions), after the `v`.
const PSEUDO_RE =
  /^[0-9]+\.[0-9]+\.[0-9]+-(?:[0-9A-Za-z.-]+\.)?(?:0\.)?[0-9]{14}-[0-9a-f]{12}(?:\+incompatible)?$/;

/** Parses a Go module version (with or without `v`). Never throws. */
export function parseGoVersion(v: string): GoVersion | undefined {
  if (typeof v !== "string") return undefined;
  const bare = v.startsWith("v") ? v.slice(1) : v;
  const parsed = parseStrictSemVer(bare);
  if (!parsed) return undefined;
  const build = parsed.build.join(".");
  if (build !== "" && build !== "incompatible") return undefined;
  return { ...parsed, incompatible: build === "incompatible", pseudo: isPseudo(parsed, bare) };
}

function isPseudo(parsed: SemVer, bare: string): boolean {
  if (!PSEUDO_RE.test(bare)) return false;
  const pre = parsed.prerelease;
  // Form (1) `vX.0.0-yyyymmddhhmmss-rev` has a single identifier and needs .0.0.
  if (pre.length === 1) return parsed.minor === "0" && parsed.patch === "0";
  // Forms (2) and (3): the timestamp identifier is preceded by a `0` identifier.
  return pre[pre.length - 2] === "0";
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseGoVersion);

function mustParse(v: string): GoVersion {
  const parsed = cachedParse(v);
  if (!parsed) throw invalidVersion("Go", v);
  return parsed;
}

/** Go module version ordering, for the OSV ecosystem `Go`. */
export const goScheme = {
  name: "Go",
  parse: parseGoVersion,
  compare: (a: string, b: string): number => compareSemVer(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
