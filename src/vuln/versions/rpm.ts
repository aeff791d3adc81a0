/**
 * RPM package versions, ordered as rpm ≥ 4.15 orders them (`rpmvercmp`, lib/rpmvercmp.c, and
 * the EVR comparison of `rpmverCmp`).
 *
 * A version or release is split into runs of digits and runs of ASCII letters; every other
 * character only separates runs. `~` sorts before everything, even the end of the string
 * (pre-releases: `1.0~rc1 < 1.0`); `^` sorts after the end but before any further run
 * (post-release snapshots: `1.0 < 1.0^git1 < 1.0.1`). Digit runs compare numerically and are
 * newer than letter runs; letter runs compare as ASCII strings. When one side runs out first,
 * the longer one is newer.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A parsed `[epoch:]version[-release]`; `release` is `""` when absent. */
export interface RpmVersion {
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
}

const PART_CHARS = /^[A-Za-z0-9._+~^]+$/;
const HAS_ALNUM = /[A-Za-z0-9]/;

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isAlpha = (c: string): boolean => (c >= "A" && c <= "Z") || (c >= "a" && c <= "z");
const isAlnum = (c: string): boolean => isDigit(c) || isAlpha(c);

/** rpm's `rpmvercmp` on one version or release string: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]!) && a[i] !== "~" && a[i] !== "^") i++;
    while (j < b.length && !isAlnum(b[j]!) && b[j] !== "~" && b[j] !== "^") j++;

    if (a[i] === "~" || b[j] === "~") {
      if (a[i] !== "~") return 1;
      if (b[j] !== "~") return -1;
      i++;
      j++;
      continue;
    }
    // `^` is like `~`, except that the end of the other string sorts before it.
    if (a[i] === "^" || b[j] === "^") {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== "^") return 1;
      if (b[j] !== "^") return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;

    const numeric = isDigit(a[i]!);
    const inRun = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inRun(a[ei]!)) ei++;
    while (ej < b.length && inRun(b[ej]!)) ej++;
    // Segments of different types: the numeric one is newer.
    if (ej === j) return numeric ? 1 : -1;

    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, "");
      sb = sb.replace(/^0+/, "");
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/**
 * Parses `[epoch:]version[-release]` (the release is what follows the last hyphen). Returns
 * `undefined` for an empty version or release, a non-numeric epoch, or a character rpmbuild does
 * not allow in a version (anything but ASCII letters, digits and `._+~^`).
 */
export function parseRpmVersion(input: string): RpmVersion | undefined {
  if (typeof input !== "string") return undefined;
  let rest = input;
  let epoch = 0;
  const colon = rest.indexOf(":");
  if (colon !== -1) {
    const e = rest.slice(0, colon);
    if (!/^[0-9]{1,9}$/.test(e)) return undefined;
    epoch = Number(e);
    rest = rest.slice(colon + 1);
  }
  let version = rest;
  let release = "";
  const hyphen = rest.lastIndexOf("-");
  if (hyphen !== -1) {
    version = rest.slice(0, hyphen);
    release = rest.slice(hyphen + 1);
    if (!PART_CHARS.test(release) || !HAS_ALNUM.test(release)) return undefined;
  }
  if (!PART_CHARS.test(version) || !HAS_ALNUM.test(version)) return undefined;
  return { epoch, version, release };
}

/**
 * Compares epoch, then version, then release. rpm itself treats a missing release as matching
 * any release; a total order cannot, so a missing release is the empty string, which sorts
 * before every release (`1.0 < 1.0-1`).
 */
export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseRpmVersion);

function mustParse(v: string): RpmVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("RPM", v);
  return parsed;
}

/** rpm EVR ordering, for Red Hat, Rocky Linux, AlmaLinux, openSUSE, SUSE and Mageia. */
export const rpmScheme = {
  name: "RPM",
  parse: parseRpmVersion,
  compare: (a: string, b: string): number => compareRpmVersions(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
