/**
 * The contract every ecosystem version scheme implements. Matching OSV ranges needs nothing more
 * than "is this a version of that ecosystem" and "which of two versions comes first", so a scheme
 * is a parser plus a comparator; range evaluation lives elsewhere and works for every scheme.
 */
import { BulwarkError } from "../../core/index.js";

export interface VersionScheme {
  /** The scheme's name as shown to users, e.g. `PyPI` or `SemVer`. */
  readonly name: string;
  /**
   * Parses a version. Returns `undefined` for an invalid version. MUST NOT throw, whatever the
   * input (including strings that are not versions at all).
   */
  parse(v: string): unknown | undefined;
  /**
   * Returns a negative number, zero or a positive number as `a` sorts before, equal to or after
   * `b`. MUST be a total order on valid versions (antisymmetric, transitive, total) and MUST
   * return 0 for versions the ecosystem considers equal (e.g. `1.0` and `1.0.0` in PyPI). MAY
   * throw for invalid input; use {@link compareOrThrow} for a uniform error.
   */
  compare(a: string, b: string): number;
  /** True when `parse(v)` would return a value. MUST NOT throw. */
  isValid(v: string): boolean;
}

/**
 * Compares two versions under `scheme`, first checking both are valid so that an invalid version
 * fails with a stable `INPUT_INVALID` code instead of whatever the scheme would throw. The
 * result is normalised to -1, 0 or 1.
 */
export function compareOrThrow(scheme: VersionScheme, a: string, b: string): -1 | 0 | 1 {
  for (const v of [a, b]) {
    if (!scheme.isValid(v)) {
      throw new BulwarkError("INPUT_INVALID", `not a valid ${scheme.name} version: ${JSON.stringify(v)}`, {
        details: { scheme: scheme.name, version: v },
      });
    }
  }
  return Math.sign(scheme.compare(a, b)) as -1 | 0 | 1;
}

/** An error for a comparator handed an invalid version; schemes throw it from `compare`. */
export function invalidVersion(scheme: string, v: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", `not a valid ${scheme} version: ${JSON.stringify(v)}`, {
    details: { scheme, version: v },
  });
}

/**
 * Memoises a version parser (bounded: the cache is dropped when it holds `max` entries). Parsers
 * are pure and their results are never mutated, so one parse per distinct string is enough.
 */
export function memoParse<T>(
  parse: (v: string) => T | undefined,
  max = 100_000,
): (v: string) => T | undefined {
  const cache = new Map<string, T | undefined>();
  return (v: string) => {
    const hit = cache.get(v);
    if (hit !== undefined || cache.has(v)) return hit;
    const parsed = parse(v);
    if (cache.size >= max) cache.clear();
    cache.set(v, parsed);
    return parsed;
  };
}
