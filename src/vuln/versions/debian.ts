/**
 * Debian package versions, as dpkg orders them (deb-version(7), "Sorting algorithm").
 *
 * `[epoch:]upstream-version[-debian-revision]`: the epoch is an unsigned integer (absent = 0),
 * the revision is everything after the last hyphen (absent = empty, which sorts equal to "0"),
 * and the upstream version is what lies between. Upstream version and revision are compared with
 * dpkg's `verrevcmp`: alternating non-digit and digit runs, where a non-digit run compares
 * character by character with `~` before everything (even the end of the string), then the end,
 * then letters, then all other characters; and a digit run compares numerically.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A parsed Debian version. `revision` is `""` when the version has none. */
export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:-]+$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~]+$/;
// dpkg stores the epoch in an int and rejects larger values.
const MAX_EPOCH = 2_147_483_647;

/**
 * Parses a Debian version. Returns `undefined` for anything dpkg rejects (empty parts, a
 * non-numeric or oversized epoch, embedded whitespace) and for characters deb-version(7) does
 * not allow (dpkg itself only warns about those). Leading and trailing whitespace is ignored,
 * as dpkg does. An upstream version that does not start with a digit is accepted: dpkg only
 * warns about it, and old packages carry such versions.
 */
export function parseDebianVersion(input: string): DebianVersion | undefined {
  if (typeof input !== "string") return undefined;
  const v = input.trim();
  if (v === "" || /\s/.test(v)) return undefined;
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(":");
  if (colon !== -1) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) return undefined;
    epoch = Number(e);
    if (epoch > MAX_EPOCH) return undefined;
    rest = v.slice(colon + 1);
  }
  let upstream = rest;
  let revision = "";
  const hyphen = rest.lastIndexOf("-");
  if (hyphen !== -1) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (!REVISION_CHARS.test(revision)) return undefined;
  }
  if (!UPSTREAM_CHARS.test(upstream)) return undefined;
  return { epoch, upstream, revision };
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isLetter(c: string): boolean {
  return (c >= "A" && c <= "Z") || (c >= "a" && c <= "z");
}

// The weight of one character in a non-digit run; "" is the end of the string.
function order(c: string): number {
  if (c === "" || isDigit(c)) return 0;
  if (c === "~") return -1;
  if (isLetter(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's `verrevcmp` on one upstream version or revision; the sign is what matters. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i]!)) || (j < b.length && !isDigit(b[j]!))) {
      const ac = order(a.charAt(i));
      const bc = order(b.charAt(j));
      if (ac !== bc) return Math.sign(ac - bc);
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a[i]!) && isDigit(b[j]!)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a[i]!)) return 1;
    if (j < b.length && isDigit(b[j]!)) return -1;
    if (firstDiff !== 0) return Math.sign(firstDiff);
  }
  return 0;
}

/** Compares two parsed Debian versions: epoch, then upstream version, then revision. */
export function compareDebianVersions(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseDebianVersion);

function mustParse(v: string): DebianVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("Debian", v);
  return parsed;
}

/** dpkg version ordering, for the OSV ecosystems `Debian` and `Ubuntu`. */
export const debianScheme = {
  name: "Debian",
  parse: parseDebianVersion,
  compare: (a: string, b: string): number => compareDebianVersions(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
