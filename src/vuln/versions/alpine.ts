/**
 * Alpine (apk) package versions, ordered as apk-tools 3 orders them (src/version.c).
 *
 * Grammar: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`, suffixes one of
 * `alpha beta pre rc` (pre-releases) or `cvs svn git hg p` (post-releases). Tokens are compared
 * left to right: numbers by value, except that a later number with a leading zero on either side
 * compares as a string (Gentoo's rule, so `1.01 < 1.1`); a letter by character; a suffix by its
 * place in `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`; a commit hash
 * as a string. When one version has a token the other lacks, a pre-release suffix makes it
 * older; otherwise the token that sorts earlier in the grammar is the newer (`1.0.1 > 1.0a`, and
 * any further token beats the end of the string).
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

// The token kinds, in grammar order: the order is part of the comparison.
const T = {
  initialDigit: 0,
  digit: 1,
  letter: 2,
  suffix: 3,
  suffixNo: 4,
  commitHash: 5,
  revisionNo: 6,
  end: 7,
  invalid: 8,
} as const;
type TokenKind = (typeof T)[keyof typeof T];

const SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"] as const;
const SUFFIX_NONE = SUFFIXES.indexOf("");

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly suffix: number;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isLower = (c: string | undefined): boolean => c !== undefined && c >= "a" && c <= "z";
const isHex = (c: string | undefined): boolean => isDigit(c) || (c !== undefined && c >= "a" && c <= "f");

function run(s: string, from: number, pred: (c: string | undefined) => boolean): number {
  let i = from;
  while (i < s.length && pred(s[i])) i++;
  return i;
}

/** Splits a version into apk's tokens; the last one is `end` or `invalid`. */
export function tokenizeApkVersion(v: string): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text = "", suffix = -1): TokenKind => {
    tokens.push({ kind, text, suffix });
    return kind;
  };
  let i = run(v, 0, isDigit);
  let prev: TokenKind = i === 0 ? push(T.invalid) : push(T.initialDigit, v.slice(0, i));
  while (prev !== T.invalid) {
    if (i >= v.length) {
      push(T.end);
      break;
    }
    const c = v[i]!;
    if (isLower(c)) {
      if (prev > T.digit) break;
      prev = push(T.letter, c);
      i++;
    } else if (c === "." || isDigit(c)) {
      if (c === ".") {
        if (prev > T.digit) break;
        i++;
      }
      let kind: TokenKind;
      if (prev === T.initialDigit || prev === T.digit) kind = T.digit;
      else if (prev === T.suffix) kind = T.suffixNo;
      else break;
      const end = run(v, i, isDigit);
      if (end === i) break;
      prev = push(kind, v.slice(i, end));
      i = end;
    } else if (c === "_") {
      if (prev > T.suffixNo) break;
      const end = run(v, i + 1, isLower);
      const name = v.slice(i + 1, end);
      const suffix = name === "" ? -1 : SUFFIXES.indexOf(name as (typeof SUFFIXES)[number]);
      if (suffix === -1) break;
      prev = push(T.suffix, name, suffix);
      i = end;
    } else if (c === "~") {
      if (prev >= T.commitHash) break;
      const end = run(v, i + 1, isHex);
      if (end === i + 1) break;
      prev = push(T.commitHash, v.slice(i + 1, end));
      i = end;
    } else if (c === "-") {
      if (prev >= T.revisionNo || v[i + 1] !== "r") break;
      const end = run(v, i + 2, isDigit);
      if (end === i + 2) break;
      prev = push(T.revisionNo, v.slice(i + 2, end));
      i = end;
    } else {
      break;
    }
  }
  if (tokens[tokens.length - 1]!.kind !== T.end && tokens[tokens.length - 1]!.kind !== T.invalid) {
    push(T.invalid);
  }
  return tokens;
}

// Numeric comparison of two digit strings of any length.
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x === y ? 0 : x < y ? -1 : 1;
}

// apk_blob_sort: bytewise, then shorter first.
function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareTokens(a: Token, b: Token): number {
  switch (a.kind) {
    case T.digit:
      if (a.text.startsWith("0") || b.text.startsWith("0")) return compareStrings(a.text, b.text);
      return compareDigits(a.text, b.text);
    case T.initialDigit:
    case T.suffixNo:
    case T.revisionNo:
      return compareDigits(a.text, b.text);
    case T.letter:
    case T.commitHash:
      return compareStrings(a.text, b.text);
    case T.suffix:
      return Math.sign(a.suffix - b.suffix);
    case T.end:
    case T.invalid:
      return 0;
    default: {
      const never: never = a.kind;
      return never;
    }
  }
}

/**
 * apk's `apk_version_compare` on any two strings, invalid ones included (apk compares the valid
 * prefix); -1, 0 or 1.
 */
export function apkVersionCompare(a: string, b: string): number {
  const ta = tokenizeApkVersion(a);
  const tb = tokenizeApkVersion(b);
  let k = 0;
  for (; ; k++) {
    const x = ta[k]!;
    const y = tb[k]!;
    if (x.kind !== y.kind || x.kind >= T.end) break;
    const r = compareTokens(x, y);
    if (r !== 0) return r;
  }
  const x = ta[k]!;
  const y = tb[k]!;
  if (x.kind === y.kind) return 0;
  if (x.kind === T.suffix && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === T.suffix && y.suffix < SUFFIX_NONE) return 1;
  return x.kind > y.kind ? -1 : 1;
}

/** A version apk accepts (`apk_version_validate`). */
export interface AlpineVersion {
  readonly version: string;
}

/** Returns the version if apk accepts it, else `undefined`. */
export function parseAlpineVersion(input: string): AlpineVersion | undefined {
  if (typeof input !== "string") return undefined;
  const tokens = tokenizeApkVersion(input);
  return tokens[tokens.length - 1]!.kind === T.end ? { version: input } : undefined;
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseAlpineVersion);

function mustParse(v: string): AlpineVersion {
  const parsed = cachedParse(v);
  if (parsed === undefined) throw invalidVersion("Alpine", v);
  return parsed;
}

/** apk version ordering, for the OSV ecosystem `Alpine`. */
export const alpineScheme = {
  name: "Alpine",
  parse: parseAlpineVersion,
  compare: (a: string, b: string): number => apkVersionCompare(mustParse(a).version, mustParse(b).version),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
