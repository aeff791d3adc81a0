import type { Environment } from "@marcbachmann/cel-js";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { CelOpaque, MAX_UINT64 } from "./values.js";

const SEMVER = "kubernetes.Semver";

type PreRelease = { readonly num: bigint } | { readonly str: string };

/** A semantic version as github.com/blang/semver/v4 parses it (Kubernetes' semver library). */
export class Semver extends CelOpaque {
  readonly celType = SEMVER;

  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: readonly PreRelease[],
    readonly build: readonly string[],
  ) {
    super();
  }

  equals(other: unknown): boolean {
    return other instanceof Semver && compareSemver(this, other) === 0;
  }
}

class SemverError extends Error {}

const NUMBERS = /^[0-9]*$/;
const ALPHANUM = /^[0-9A-Za-z-]*$/;

function number(part: string, what: string): bigint {
  if (!NUMBERS.test(part))
    throw new SemverError(`Invalid character(s) found in ${what} number ${JSON.stringify(part)}`);
  if (part.length > 1 && part[0] === "0") {
    const title = what[0]!.toUpperCase() + what.slice(1);
    throw new SemverError(`${title} number must not contain leading zeroes ${JSON.stringify(part)}`);
  }
  const n = part === "" ? -1n : BigInt(part);
  if (n < 0n || n > MAX_UINT64)
    throw new SemverError(`strconv.ParseUint: parsing ${JSON.stringify(part)}: invalid syntax`);
  return n;
}

function preRelease(s: string): PreRelease {
  if (s === "") throw new SemverError("Prerelease is empty");
  if (NUMBERS.test(s)) {
    if (s.length > 1 && s[0] === "0")
      throw new SemverError(
        `Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(s)}`,
      );
    return { num: BigInt(s) };
  }
  if (ALPHANUM.test(s)) return { str: s };
  throw new SemverError(`Invalid character(s) found in prerelease ${JSON.stringify(s)}`);
}

/** blang's `semver.Parse`: strict MAJOR.MINOR.PATCH[-pre][+build], no `v`, no leading zeros. */
export function parseSemver(s: string): Semver {
  if (s === "") throw new SemverError("Version string empty");
  const parts = splitN(s, ".", 3);
  if (parts.length !== 3) throw new SemverError("No Major.Minor.Patch elements found");
  const major = number(parts[0]!, "major");
  const minor = number(parts[1]!, "minor");
  let patchText = parts[2]!;
  let build: string[] = [];
  const plus = patchText.indexOf("+");
  if (plus >= 0) {
    build = patchText.slice(plus + 1).split(".");
    patchText = patchText.slice(0, plus);
  }
  let preTexts: string[] = [];
  const dash = patchText.indexOf("-");
  if (dash >= 0) {
    preTexts = patchText.slice(dash + 1).split(".");
    patchText = patchText.slice(0, dash);
  }
  const patch = number(patchText, "patch");
  const pre = preTexts.map(preRelease);
  for (const b of build) {
    if (b === "") throw new SemverError("Buildmetadata is empty");
    if (!ALPHANUM.test(b))
      throw new SemverError(`Invalid character(s) found in build meta data ${JSON.stringify(b)}`);
  }
  return new Semver(major, minor, patch, pre, build);
}

/** Go's `strings.SplitN`. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** Kubernetes' `normalizeAndParse`: drop a leading `v`, strip leading zeros, fill in `.0`s. */
export function normalizeAndParseSemver(input: string): Semver {
  const s = input.startsWith("v") ? input.slice(1) : input;
  const parts = splitN(s, ".", 3).map((p) => {
    if (p.length <= 1) return p;
    const trimmed = p.replace(/^0+/, "");
    return trimmed === "" || !/^[0-9]/.test(trimmed) ? `0${trimmed}` : trimmed;
  });
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1]!))
      throw new SemverError("short version cannot contain PreRelease/Build meta data");
    while (parts.length < 3) parts.push("0");
  }
  return parseSemver(parts.join("."));
}

function cmp<T extends bigint | string>(a: T, b: T): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePre(a: PreRelease, b: PreRelease): -1 | 0 | 1 {
  if ("num" in a && "num" in b) return cmp(a.num, b.num);
  if ("str" in a && "str" in b) return cmp(a.str, b.str);
  return "num" in a ? -1 : 1;
}

/** Semver precedence; build metadata is ignored. */
export function compareSemver(a: Semver, b: Semver): -1 | 0 | 1 {
  const core = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch);
  if (core !== 0) return core;
  if (a.pre.length === 0 || b.pre.length === 0) return cmp(BigInt(b.pre.length), BigInt(a.pre.length));
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const c = comparePre(a.pre[i]!, b.pre[i]!);
    if (c !== 0) return c;
  }
  return cmp(BigInt(a.pre.length), BigInt(b.pre.length));
}

/** Kubernetes' semver library (`semver('1.2.3').isLessThan(semver('1.10.0'))`). */
export function registerSemver(env: Environment): void {
  env.registerType(SEMVER, Semver);
  env.registerOperator(`${SEMVER} == ${SEMVER}`, (a: Semver, b: Semver) => compareSemver(a, b) === 0);
  defineOverloads(env, [
    {
      signature: `semver(string): ${SEMVER}`,
      description: "Parses a strict semantic version (no 'v' prefix); an error otherwise.",
      handler: (s: string) => toSemver(s, false),
    },
    {
      signature: `semver(string, bool): ${SEMVER}`,
      description: "With true, first normalizes: drops a 'v', strips leading zeros, adds missing .0 parts.",
      handler: toSemver,
    },
    {
      signature: "isSemver(string): bool",
      description: "Whether semver() would accept the string.",
      handler: (s: string) => trySemver(s, false),
    },
    {
      signature: "isSemver(string, bool): bool",
      description: "Whether semver(s, normalize) would accept the string.",
      handler: trySemver,
    },
    {
      signature: `${SEMVER}.major(): int`,
      description: "The major version.",
      handler: (v: Semver) => BigInt.asIntN(64, v.major),
    },
    {
      signature: `${SEMVER}.minor(): int`,
      description: "The minor version.",
      handler: (v: Semver) => BigInt.asIntN(64, v.minor),
    },
    {
      signature: `${SEMVER}.patch(): int`,
      description: "The patch version.",
      handler: (v: Semver) => BigInt.asIntN(64, v.patch),
    },
    {
      signature: `${SEMVER}.compareTo(${SEMVER}): int`,
      description: "-1, 0 or 1 by semver precedence (build metadata ignored).",
      handler: (a: Semver, b: Semver) => BigInt(compareSemver(a, b)),
    },
    {
      signature: `${SEMVER}.isGreaterThan(${SEMVER}): bool`,
      description: "Whether the receiver has higher precedence.",
      handler: (a: Semver, b: Semver) => compareSemver(a, b) === 1,
    },
    {
      signature: `${SEMVER}.isLessThan(${SEMVER}): bool`,
      description: "Whether the receiver has lower precedence.",
      handler: (a: Semver, b: Semver) => compareSemver(a, b) === -1,
    },
  ]);
}

function parseWith(s: string, normalize: boolean): Semver {
  return normalize ? normalizeAndParseSemver(s) : parseSemver(s);
}

function toSemver(s: string, normalize: boolean): Semver {
  try {
    return parseWith(s, normalize);
  } catch (e) {
    if (e instanceof SemverError) throw celError(e.message, e);
    throw e;
  }
}

function trySemver(s: string, normalize: boolean): boolean {
  try {
    parseWith(s, normalize);
    return true;
  } catch (e) {
    if (e instanceof SemverError) return false;
    throw e;
  }
}
