/**
 * RubyGems versions (`Gem::Version`).
 *
 * A version is digits, then dot-separated alphanumeric parts, optionally followed by a hyphen
 * part; a hyphen means `.pre.` (`1.0-1` is `1.0.pre.1`). It is split into segments of digits
 * and of letters (`1.0.a10` is `1, 0, "a", 10`). A version with any letter is a prerelease.
 * Trailing zeros are dropped from the numeric part and from the prerelease part
 * (`1.0 == 1.0.0 == 1`). Segments compare pairwise, a missing one counting as 0: numbers by
 * value, strings bytewise, and a string is less than a number — so `1.0.a < 1.0 < 1.0.1`.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A segment is a non-negative integer (as a digit string without leading zeros) or letters. */
export type GemSegment =
  { readonly kind: "number"; readonly digits: string } | { readonly kind: "string"; readonly text: string };

/** A parsed gem version. */
export interface GemVersion {
  readonly version: string;
  readonly prerelease: boolean;
  readonly segments: readonly GemSegment[];
}

// Gem::Version::VERSION_PATTERN, anchored; surrounding whitespace is allowed as in RubyGems.
const PATTERN = /^\s*[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

const isZero = (s: GemSegment): boolean => s.kind === "number" && s.digits === "0";

function dropTrailingZeros(segments: GemSegment[]): GemSegment[] {
  let end = segments.length;
  while (end > 0 && isZero(segments[end - 1]!)) end--;
  return segments.slice(0, end);
}

/**
 * Parses a gem version. Returns `undefined` for what `Gem::Version.correct?` rejects, and for
 * the empty string (which RubyGems reads as "0" but no gem is published as).
 */
export function parseGemVersion(input: string): GemVersion | undefined {
  if (typeof input !== "string" || !PATTERN.test(input)) return undefined;
  const version = input.trim().replaceAll("-", ".pre.");
  const raw: GemSegment[] = (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) =>
    /^[0-9]/.test(s) ? { kind: "number", digits: s.replace(/^0+(?=.)/, "") } : { kind: "string", text: s },
  );
  // canonical_segments: trailing zeros go from the release part and the prerelease part alike.
  const firstString = raw.findIndex((s) => s.kind === "string");
  const release = firstString === -1 ? raw : raw.slice(0, firstString);
  const pre = firstString === -1 ? [] : raw.slice(firstString);
  const segments = [...dropTrailingZeros(release), ...dropTrailingZeros(pre)];
  return { version, prerelease: /[a-zA-Z]/.test(version), segments };
}

const ZERO: GemSegment = { kind: "number", digits: "0" };

function compareSegments(a: GemSegment, b: GemSegment): number {
  if (a.kind === "string" && b.kind === "number") return -1;
  if (a.kind === "number" && b.kind === "string") return 1;
  if (a.kind === "number" && b.kind === "number") {
    if (a.digits.length !== b.digits.length) return a.digits.length < b.digits.length ? -1 : 1;
    return a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1;
  }
  const x = (a as { text: string }).text;
  const y = (b as { text: string }).text;
  return x === y ? 0 : x < y ? -1 : 1;
}

/** `Gem::Version#<=>`: -1, 0 or 1. */
export function compareGemVersions(a: GemVersion, b: GemVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const r = compareSegments(a.segments[i] ?? ZERO, b.segments[i] ?? ZERO);
    if (r !== 0) return r;
  }
  return 0;
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseGemVersion);

function mustParse(v: string): GemVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("RubyGems", v);
  return parsed;
}

/** Gem::Version ordering, for the OSV ecosystem `RubyGems`. */
export const rubygemsScheme = {
  name: "RubyGems",
  parse: parseGemVersion,
  compare: (a: string, b: string): number => compareGemVersions(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
