/**
 * Maven artifact versions, ordered by the POM reference's "Version Order Specification"
 * (https://maven.apache.org/pom.html#version-order-specification), the documented behaviour of
 * Maven's `ComparableVersion`. Every string is a Maven version; only empty strings and strings
 * with whitespace or control characters are rejected.
 *
 * 1. Split into tokens at `.`, `-` and every transition between digits and non-digits, recording
 *    the separator before each token (a transition counts as `-`); an empty token becomes `0`.
 *    `a`, `b` and `m` directly followed by a digit mean `alpha`, `beta` and `milestone`; `cr` is
 *    `rc`; `ga`, `final` and `release` are the empty qualifier. Case is ignored.
 * 2. Trim the "null" tokens (`0` and the empty qualifier) from the end, then in front of each
 *    remaining hyphen, from the end to the start.
 * 3. Compare the token lists position by position, padding the shorter one with nulls.
 *
 * Token order: `.qualifier` = `-qualifier` < `-number` < `.number`; numbers by value; qualifiers
 * `alpha` < `beta` < `milestone` < `rc` < `snapshot` < (null) < `sp` < any other qualifier, the
 * others alphabetically.
 *
 * Two readings where the text is ambiguous, both chosen so that the order is total and agrees
 * with every example in the specification and in `ComparableVersion`'s documentation:
 * - Because a qualifier's separator does not matter (`.qualifier` = `-qualifier`), a qualifier
 *   is treated as hyphen-separated for trimming too, so `1.0.RC2` = `1.0-RC2` < `1.0-RC3` <
 *   `1.0.1`, as the `ComparableVersion` documentation states.
 * - A padding null sorts like the empty qualifier: after `snapshot`, before `sp`, other
 *   qualifiers and any number. (A `0` is only left untrimmed when a non-zero number follows it,
 *   so comparing it with a null decides the same way as padding it with `0` would.)
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

export type MavenSeparator = "." | "-";

/** One token. Numbers are decimal strings without leading zeros; qualifiers are lower-case. */
export type MavenToken =
  | { readonly kind: "number"; readonly sep: MavenSeparator; readonly value: string }
  | { readonly kind: "qualifier"; readonly sep: MavenSeparator; readonly value: string };

export interface MavenVersion {
  /** The tokens after trimming, qualifiers with their (irrelevant) separator shown as `-`. */
  readonly tokens: readonly MavenToken[];
  /** The tokens joined back with their separators, e.g. `1.0.0-foo.0.0` gives `1-foo`. */
  readonly canonical: string;
}

const INVALID = /[\s\p{Cc}]/u;
const RUNS = /[0-9]+|[^0-9]+/g;
const QUALIFIER_ORDER = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"] as const;
const NULL_QUALIFIER_RANK = QUALIFIER_ORDER.indexOf("");
const ALIASES: Readonly<Record<string, string>> = { cr: "rc", ga: "", final: "", release: "" };
const SHORT_FORMS: Readonly<Record<string, string>> = { a: "alpha", b: "beta", m: "milestone" };

/** A raw token: `viaTransition` when a digit/non-digit transition, not a `.`/`-`, precedes it. */
export interface MavenRawToken {
  readonly sep: MavenSeparator;
  readonly text: string;
  readonly viaTransition: boolean;
}

/**
 * Step 1 of the specification: the raw tokens with their recorded separators, before aliasing
 * and trimming. `1-1.foo-bar1baz-.1` gives `1 -1 .foo -bar -1 -baz -0 .1`.
 */
export function tokenizeMaven(v: string): MavenRawToken[] {
  const out: MavenRawToken[] = [];
  let sep: MavenSeparator = ".";
  for (const part of v.split(/([.-])/)) {
    if (part === "." || part === "-") {
      sep = part;
      continue;
    }
    if (part === "") {
      out.push({ sep, text: "0", viaTransition: false });
      continue;
    }
    let first = true;
    for (const run of part.match(RUNS) ?? []) {
      out.push({ sep: first ? sep : "-", text: run, viaTransition: !first });
      first = false;
    }
  }
  return out;
}

function stripZeros(digits: string): string {
  const s = digits.replace(/^0+/, "");
  return s === "" ? "0" : s;
}

const isNull = (t: MavenToken): boolean => (t.kind === "number" ? t.value === "0" : t.value === "");

/** Parses a Maven version. Never throws. */
export function parseMavenVersion(v: string): MavenVersion | undefined {
  if (typeof v !== "string" || v === "" || v.length > 1024 || INVALID.test(v)) return undefined;
  const raw = tokenizeMaven(v.toLowerCase());
  const tokens: MavenToken[] = raw.map((t, i): MavenToken => {
    if (/^[0-9]/.test(t.text)) return { kind: "number", sep: t.sep, value: stripZeros(t.text) };
    const next = raw[i + 1];
    const directlyFollowedByDigit = next !== undefined && next.viaTransition;
    let value = directlyFollowedByDigit ? (SHORT_FORMS[t.text] ?? t.text) : t.text;
    value = ALIASES[value] ?? value;
    return { kind: "qualifier", sep: "-", value };
  });
  trim(tokens);
  const canonical = tokens.map((t, i) => (i === 0 ? "" : t.sep) + t.value).join("");
  return { tokens, canonical };
}

function trim(tokens: MavenToken[]): void {
  // The first token is never trimmed: `0` stays `0`, not the empty version.
  let i = tokens.length - 1;
  while (i > 0) {
    if (isNull(tokens[i]!) && (i === tokens.length - 1 || tokens[i + 1]!.sep === "-")) {
      tokens.splice(i, 1);
    }
    i--;
  }
}

/**
 * The token's place in one linear order, as a tuple compared element by element: qualifiers
 * (class 0, by rank then name), then `-number` (class 1), then `.number` (class 2). `undefined`
 * is the padding null, which ranks as the empty qualifier.
 */
function tokenKey(t: MavenToken | undefined): [number, number, string] {
  if (t === undefined) return [0, NULL_QUALIFIER_RANK, ""];
  if (t.kind === "number") return [t.sep === "-" ? 1 : 2, 0, t.value];
  const rank = (QUALIFIER_ORDER as readonly string[]).indexOf(t.value);
  return rank === -1 ? [0, QUALIFIER_ORDER.length, t.value] : [0, rank, ""];
}

function compareTokens(a: MavenToken | undefined, b: MavenToken | undefined): number {
  const [ac, ar, as] = tokenKey(a);
  const [bc, br, bs] = tokenKey(b);
  if (ac !== bc) return ac - bc;
  if (ar !== br) return ar - br;
  if (ac > 0) return as.length !== bs.length ? as.length - bs.length : as < bs ? -1 : as > bs ? 1 : 0;
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Maven ordering of two parsed versions. */
export function compareMavenVersions(a: MavenVersion, b: MavenVersion): number {
  const n = Math.max(a.tokens.length, b.tokens.length);
  for (let i = 0; i < n; i++) {
    const c = compareTokens(a.tokens[i], b.tokens[i]);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parseMavenVersion);

function mustParse(v: string): MavenVersion {
  const parsed = cachedParse(v);
  if (!parsed) throw invalidVersion("Maven", v);
  return parsed;
}

/** Maven version ordering, for the OSV ecosystem `Maven`. */
export const mavenScheme = {
  name: "Maven",
  parse: parseMavenVersion,
  compare: (a: string, b: string): number => compareMavenVersions(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
