/**
 * Packagist (Composer) versions. A version is first normalised as Composer's
 * `VersionParser::normalize` does — optional `v`, one to four numbers padded to four
 * (`1.2` → `1.2.0.0`), or a date-like number; a stability modifier expanded (`a` → `alpha`,
 * `b` → `beta`, `rc` → `RC`, `p`/`pl` → `patch`, `stable` dropped) with its number; an optional
 * `-dev`; build metadata and `@stability` flags dropped — and the normalised strings are then
 * compared as PHP's `version_compare` compares, which is what Composer does.
 *
 * `version_compare` puts dots between digit and non-digit runs and turns `-`, `_` and `+` into
 * dots, then compares part by part: numbers by value, words by `dev < alpha = a < beta = b <
 * RC = rc < (number) < pl = p` (any other word before `dev`). When one side runs out, the next
 * part of the other decides: a number makes it newer, a word is compared against a number. So
 * `1.0.0.0-dev < -alpha1 < -beta2 < -RC1 < 1.0.0.0 < -patch1`.
 *
 * Branch names (`dev-master`, `1.x-dev`) are not versions a vulnerability range can order, and
 * are rejected.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

/** A Composer version after normalisation, e.g. `1.2.0.0-beta2`. */
export interface PackagistVersion {
  readonly normalized: string;
}

const MODIFIER = "[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\\d+)*)?)?([.-]?dev)?";
const CLASSICAL = new RegExp(`^v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?${MODIFIER}$`, "i");
const DATE = new RegExp(`^v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3}){0,2})${MODIFIER}$`, "i");
const STABILITY_FLAG = /@(?:stable|RC|beta|alpha|dev)$/i;

function expandStability(s: string): string {
  switch (s.toLowerCase()) {
    case "a":
      return "alpha";
    case "b":
      return "beta";
    case "p":
    case "pl":
      return "patch";
    case "rc":
      return "RC";
    default:
      return s.toLowerCase();
  }
}

/**
 * Composer's `VersionParser::normalize` for concrete versions; `undefined` where Composer
 * throws or where the result is a branch (`dev-…`).
 */
export function normalizeComposerVersion(input: string): string | undefined {
  if (typeof input !== "string") return undefined;
  let v = input.trim();
  const alias = /^([^,\s]+) +as +([^,\s]+)$/.exec(v);
  if (alias) v = alias[1]!;
  v = v.replace(STABILITY_FLAG, "");
  const build = /^([^,\s+]+)\+[^\s]+$/.exec(v);
  if (build) v = build[1]!;

  let version: string;
  let m = CLASSICAL.exec(v);
  let index: number;
  if (m) {
    version = m[1]! + (m[2] || ".0") + (m[3] || ".0") + (m[4] || ".0");
    index = 5;
  } else {
    m = DATE.exec(v);
    if (!m) return undefined;
    version = m[1]!.replace(/\D/g, ".");
    index = 2;
  }
  const stability = m[index];
  const number = m[index + 1];
  if (stability) {
    if (stability.toLowerCase() === "stable") return version;
    version += "-" + expandStability(stability) + (number ? number.replace(/^[.-]+/, "") : "");
  }
  if (m[index + 2]) version += "-dev";
  return version;
}

/** Parses a Composer version; `undefined` for branches and what Composer cannot normalise. */
export function parsePackagistVersion(input: string): PackagistVersion | undefined {
  const normalized = normalizeComposerVersion(input);
  return normalized === undefined ? undefined : { normalized };
}

// PHP's php_canonicalize_version.
function canonicalize(v: string): string {
  if (v === "") return v;
  const isDig = (c: string): boolean => c >= "0" && c <= "9";
  const isNdig = (c: string): boolean => !isDig(c) && c !== ".";
  const isAlnum = (c: string): boolean => isDig(c) || (c >= "A" && c <= "Z") || (c >= "a" && c <= "z");
  let out = v[0]!;
  let lp = v[0]!;
  for (const c of v.slice(1)) {
    const last = out[out.length - 1];
    if (c === "-" || c === "_" || c === "+") {
      if (last !== ".") out += ".";
    } else if ((isNdig(lp) && isDig(c)) || (isDig(lp) && isNdig(c))) {
      if (last !== ".") out += ".";
      out += c;
    } else if (!isAlnum(c)) {
      if (last !== ".") out += ".";
    } else {
      out += c;
    }
    lp = c;
  }
  return out;
}

const SPECIAL_FORMS: ReadonlyArray<readonly [string, number]> = [
  ["dev", 0],
  ["alpha", 1],
  ["a", 1],
  ["beta", 2],
  ["b", 2],
  ["RC", 3],
  ["rc", 3],
  ["#", 4],
  ["pl", 5],
  ["p", 5],
];

// PHP matches a word by prefix against each name in turn; an unknown word ranks lowest.
function specialForm(word: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (word.startsWith(name)) return order;
  return -1;
}

const NUMBER = "#N#";
const isDigitStart = (s: string): boolean => s.length > 0 && s[0]! >= "0" && s[0]! <= "9";

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x === y ? 0 : x < y ? -1 : 1;
}

function comparePart(p1: string, p2: string): number {
  if (isDigitStart(p1) && isDigitStart(p2)) return compareDigits(/^\d*/.exec(p1)![0], /^\d*/.exec(p2)![0]);
  if (!isDigitStart(p1) && !isDigitStart(p2)) return Math.sign(specialForm(p1) - specialForm(p2));
  return isDigitStart(p1)
    ? Math.sign(specialForm(NUMBER) - specialForm(p2))
    : Math.sign(specialForm(p1) - specialForm(NUMBER));
}

/** PHP's `version_compare(a, b)`: -1, 0 or 1. */
export function phpVersionCompare(a: string, b: string): number {
  if (a === "" || b === "") return a === b ? 0 : a === "" ? -1 : 1;
  const x = (a.startsWith("#") ? a : canonicalize(a)).split(".");
  const y = (b.startsWith("#") ? b : canonicalize(b)).split(".");
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const r = comparePart(x[i]!, y[i]!);
    if (r !== 0) return r;
  }
  if (x.length > n) return isDigitStart(x[n]!) ? 1 : phpVersionCompare(x.slice(n).join("."), NUMBER);
  if (y.length > n) return isDigitStart(y[n]!) ? -1 : phpVersionCompare(NUMBER, y.slice(n).join("."));
  return 0;
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parsePackagistVersion);

function mustParse(v: string): PackagistVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("Packagist", v);
  return parsed;
}

/** Composer version ordering, for the OSV ecosystem `Packagist`. */
export const packagistScheme = {
  name: "Packagist",
  parse: parsePackagistVersion,
  compare: (a: string, b: string): number =>
    phpVersionCompare(mustParse(a).normalized, mustParse(b).normalized),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
