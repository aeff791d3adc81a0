/**
 * Python package versions, PEP 440 (https://peps.python.org/pep-0440/), hand-written.
 *
 * Parsing accepts every spelling the spec's "Normalization" section allows and reduces it to the
 * normal form: case-insensitive, `-`/`_`/`.` separators (or none) around pre, post and dev
 * segments, the alternative spellings `alpha`/`beta`/`c`/`pre`/`preview` and `rev`/`r`, implicit
 * numbers (`1.0a` is `1.0a0`), implicit post releases (`1.0-1` is `1.0.post1`), a leading `v`,
 * surrounding whitespace, and `-`/`_` in local versions (`1.0+ubuntu-1` is `1.0+ubuntu.1`).
 *
 * Ordering follows the spec's ordering rules ("Final releases", "Pre-releases", "Post-releases",
 * "Developmental releases", "Version epochs", "Local version identifiers"): epoch, then the release
 * segment with implicit zero padding, then dev-only releases before pre-releases before the final
 * release before post-releases, a `.devN` sorting just before the release it is attached to, and
 * a local version sorting after the same public version.
 */
import { invalidVersion, type VersionScheme, memoParse } from "./types.js";

export type PreReleaseKind = "a" | "b" | "rc";

export interface Pep440Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: { readonly kind: PreReleaseKind; readonly n: bigint } | undefined;
  readonly post: bigint | undefined;
  readonly dev: bigint | undefined;
  /** Lower-cased local segments; numeric segments as bigint. Empty when there is none. */
  readonly local: readonly (bigint | string)[];
}

// The grammar of PEP 440 Appendix B ("Parsing version strings with regular expressions"), in
// its permissive form that accepts every non-normalised spelling.
const VERSION_RE = new RegExp(
  "^v?" +
    "(?:(?<epoch>[0-9]+)!)?" +
    "(?<release>[0-9]+(?:\\.[0-9]+)*)" +
    "(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?" +
    "(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?" +
    "(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?" +
    "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
  "i",
);
const DIGITS = /^[0-9]+$/;
// Whitespace Python's str.strip() removes (ASCII is enough for the versions we see).
const EDGE_SPACE = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g;

const PRE_SPELLING: Readonly<Record<string, PreReleaseKind>> = {
  a: "a",
  alpha: "a",
  b: "b",
  beta: "b",
  c: "rc",
  rc: "rc",
  pre: "rc",
  preview: "rc",
};

/** Parses a PEP 440 version. Never throws. */
export function parsePep440(v: string): Pep440Version | undefined {
  if (typeof v !== "string" || v.length > 1024) return undefined;
  const m = VERSION_RE.exec(v.replace(EDGE_SPACE, ""));
  const g = m?.groups;
  if (!g) return undefined;
  const preLabel = g.pre_l?.toLowerCase();
  const postNumber = g.post_n1 ?? g.post_n2;
  return {
    epoch: BigInt(g.epoch ?? "0"),
    release: g.release!.split(".").map((s) => BigInt(s)),
    pre: preLabel === undefined ? undefined : { kind: PRE_SPELLING[preLabel]!, n: BigInt(g.pre_n ?? "0") },
    post: g.post === undefined ? undefined : BigInt(postNumber ?? "0"),
    dev: g.dev === undefined ? undefined : BigInt(g.dev_n ?? "0"),
    local:
      g.local === undefined
        ? []
        : g.local
            .toLowerCase()
            .split(/[-_.]/)
            .map((s) => (DIGITS.test(s) ? BigInt(s) : s)),
  };
}

/** The normal form of a parsed version (PEP 440 "Normalization"). */
export function normalizePep440(p: Pep440Version): string {
  let out = p.epoch === 0n ? "" : `${p.epoch}!`;
  out += p.release.join(".");
  if (p.pre) out += `${p.pre.kind}${p.pre.n}`;
  if (p.post !== undefined) out += `.post${p.post}`;
  if (p.dev !== undefined) out += `.dev${p.dev}`;
  if (p.local.length > 0) out += `+${p.local.join(".")}`;
  return out;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function compareRelease(a: readonly bigint[], b: readonly bigint[]): number {
  // "Final releases": comparison pads the shorter release segment with zeros.
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i] ?? 0n, b[i] ?? 0n);
    if (c !== 0) return c;
  }
  return 0;
}

const PRE_RANK: Readonly<Record<PreReleaseKind, number>> = { a: 0, b: 1, rc: 2 };

/**
 * Where the pre-release part places a version among those with the same release segment:
 * `X.devN` (a dev release of the final) before every pre-release, pre-releases by kind then
 * number, and everything else (final and post releases) after them.
 */
function preKey(p: Pep440Version): [number, number, bigint] {
  if (p.pre) return [1, PRE_RANK[p.pre.kind], p.pre.n];
  if (p.dev !== undefined && p.post === undefined) return [0, 0, 0n];
  return [2, 0, 0n];
}

function compareLocal(a: readonly (bigint | string)[], b: readonly (bigint | string)[]): number {
  // "Local version identifiers": numeric segments compare numerically and sort after
  // alphanumeric ones, which compare lexicographically; with equal leading segments the longer
  // local version wins. No local version at all sorts first.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (typeof x === "bigint" && typeof y === "bigint") {
      const c = cmp(x, y);
      if (c !== 0) return c;
    } else if (typeof x === "bigint") {
      return 1;
    } else if (typeof y === "bigint") {
      return -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return Math.sign(a.length - b.length);
}

/** PEP 440 ordering of two parsed versions. */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  let c = cmp(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (c !== 0) return c;
  const [ak, ar, an] = preKey(a);
  const [bk, br, bn] = preKey(b);
  c = ak - bk || ar - br || cmp(an, bn);
  if (c !== 0) return c;
  // No post release sorts before any post release.
  if (a.post !== b.post) {
    if (a.post === undefined) return -1;
    if (b.post === undefined) return 1;
    return cmp(a.post, b.post);
  }
  // A dev release sorts before the same version without `.devN`.
  if (a.dev !== b.dev) {
    if (a.dev === undefined) return 1;
    if (b.dev === undefined) return -1;
    return cmp(a.dev, b.dev);
  }
  return compareLocal(a.local, b.local);
}

/** Parsed versions are immutable; matching parses the same few strings over and over. */
const cachedParse = memoParse(parsePep440);

function mustParse(v: string): Pep440Version {
  const parsed = cachedParse(v);
  if (!parsed) throw invalidVersion("PyPI", v);
  return parsed;
}

/** PEP 440 ordering, for the OSV ecosystem `PyPI`. */
export const pypiScheme = {
  name: "PyPI",
  parse: parsePep440,
  compare: (a: string, b: string): number => comparePep440(mustParse(a), mustParse(b)),
  isValid: (v: string): boolean => cachedParse(v) !== undefined,
} satisfies VersionScheme;
