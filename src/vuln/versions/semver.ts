/**
 * Semantic Versioning 2.0.0 (https://semver.org/spec/v2.0.0.html), the OSV `SEMVER` range type.
 *
 * Hand-written rather than delegated to the `semver` package because that package is not exact
 * for the specification: it rejects numbers above `Number.MAX_SAFE_INTEGER` and versions longer
 * than 256 characters (the spec sets no limit), and it compares numeric pre-release identifiers
 * as JavaScript numbers, which loses precision for long ones. Here every numeric part is
 * compared as an arbitrary-precision decimal string.
 *
 * Accepted: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]` exactly as the spec's grammar (§2, §9,
 * §10: no leading zeros in numeric parts, non-empty identifiers of `[0-9A-Za-z-]`), optionally
 * preceded by one `v` (common in tags and some OSV records). Build metadata is kept but ignored
 * for ordering (§10, §11).
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

export interface SemVer {
  /** Decimal strings without leading zeros (so numeric order is length, then lexical). */
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
  readonly build: readonly string[];
}

const NUM = "0|[1-9][0-9]*";
const PRE_ID = "0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*";
const BUILD_ID = "[0-9A-Za-z-]+";
const SEMVER_RE = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})` +
    `(?:-((?:${PRE_ID})(?:\\.(?:${PRE_ID}))*))?` +
    `(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);
const DIGITS = /^[0-9]+$/;

/** Parses strict SemVer 2.0.0 (no `v`). Never throws. */
export function parseStrictSemVer(v: string): SemVer | undefined {
  if (typeof v !== "string") return undefined;
  const m = SEMVER_RE.exec(v);
  if (!m) return undefined;
  return {
    major: m[1]!,
    minor: m[2]!,
    patch: m[3]!,
    prerelease: m[4] === undefined ? [] : m[4].split("."),
    build: m[5] === undefined ? [] : m[5].split("."),
  };
}

/** Compares two non-negative decimal strings without leading zeros. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** §11.4: the precedence of two pre-release identifiers. */
function compareIdentifier(a: string, b: string): number {
  const an = DIGITS.test(a);
  const bn = DIGITS.test(b);
  if (an && bn) return compareDecimal(a, b);
  if (an) return -1; // §11.4.3: numeric identifiers have lower precedence
  if (bn) return 1;
  return compareAscii(a, b); // §11.4.2: lexical in ASCII order
}

/** SemVer 2.0.0 §11 precedence. Build metadata does not take part. */
export function compareSemVer(a: SemVer, b: SemVer): number {
  const core =
    compareDecimal(a.major, b.major) || compareDecimal(a.minor, b.minor) || compareDecimal(a.patch, b.patch);
  if (core !== 0) return core;
  // §11.3: a pre-release sorts before the associated normal version.
  if (a.prerelease.length === 0) return b.prerelease.length === 0 ? 0 : 1;
  if (b.prerelease.length === 0) return -1;
  const n = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a.prerelease[i]!, b.prerelease[i]!);
    if (c !== 0) return c;
  }
  // §11.4.4: a larger set of identifiers wins when all before are equal.
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

/** Parses SemVer 2.0.0 with an optional leading `v`. Never throws. */
export function parseSemVer(v: string): SemVer | undefined {
  if (typeof v !== "string") return undefined;
  return parseStrictSemVer(v.startsWith("v") ? v.slice(1) : v);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseSemVer);

function mustParse(v: string): SemVer {
  const parsed = cachedParse(v);
  if (!parsed) throw invalidVersion("SemVer", v);
  return parsed;
}

/** SemVer 2.0.0 precedence, for OSV ranges of type `SEMVER`. */
export const semverScheme = {
  name: "SemVer",
  parse: parseSemVer,
  compare: (a: string, b: string): number => compareSemVer(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
