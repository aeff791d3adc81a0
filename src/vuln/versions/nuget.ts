/**
 * NuGet package versions (NuGet.Versioning `NuGetVersion`), per Microsoft's "Package
 * versioning" page: `Major[.Minor[.Patch[.Revision]]][-label[.label…]][+metadata]`.
 *
 * Missing numeric parts are 0 and leading zeros do not count (`1.0 == 1.0.0 == 1.0.0.0 ==
 * 1.00.0`); a release label makes a pre-release, which sorts before the same version without
 * one; labels compare with SemVer 2.0.0 rules (numeric identifiers by value and before
 * alphanumeric ones, a longer list wins on a tie) except that text compares case-insensitively,
 * as NuGet does; build metadata is ignored.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A parsed NuGet version; numbers are digit strings without leading zeros. */
export interface NuGetVersion {
  readonly parts: readonly [string, string, string, string];
  readonly release: readonly string[];
  readonly metadata: string | undefined;
}

const RE =
  /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
// System.Version parts are Int32.
const INT32_MAX = "2147483647";

const stripZeros = (s: string): string => s.replace(/^0+(?=.)/, "");

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Parses a NuGet version. Returns `undefined` for anything `NuGetVersion.TryParse` rejects. */
export function parseNuGetVersion(input: string): NuGetVersion | undefined {
  if (typeof input !== "string") return undefined;
  const m = RE.exec(input);
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]].map((p) => stripZeros(p ?? "0")) as [string, string, string, string];
  if (parts.some((p) => compareDecimal(p, INT32_MAX) > 0)) return undefined;
  return { parts, release: m[5] === undefined ? [] : m[5].split("."), metadata: m[6] };
}

const DIGITS = /^[0-9]+$/;

function compareLabel(a: string, b: string): number {
  const an = DIGITS.test(a);
  const bn = DIGITS.test(b);
  if (an && bn) return compareDecimal(stripZeros(a), stripZeros(b));
  if (an) return -1;
  if (bn) return 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y ? 0 : x < y ? -1 : 1;
}

/** NuGet's version comparison (metadata ignored): -1, 0 or 1. */
export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const r = compareDecimal(a.parts[i]!, b.parts[i]!);
    if (r !== 0) return r;
  }
  if (a.release.length === 0 || b.release.length === 0) {
    return Math.sign(b.release.length - a.release.length);
  }
  const n = Math.min(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const r = compareLabel(a.release[i]!, b.release[i]!);
    if (r !== 0) return r;
  }
  return Math.sign(a.release.length - b.release.length);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseNuGetVersion);

function mustParse(v: string): NuGetVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("NuGet", v);
  return parsed;
}

/** NuGet version ordering, for the OSV ecosystem `NuGet`. */
export const nugetScheme = {
  name: "NuGet",
  parse: parseNuGetVersion,
  compare: (a: string, b: string): number => compareNuGetVersions(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
