/**
 * Shared checks for version schemes: spec example lists in order, equal spellings, invalid inputs,
 * and the order laws (antisymmetry, transitivity, consistency of equality) on generated versions,
 * plus "never throws" on arbitrary strings.
 */
import fc from "fast-check";
import { expect } from "vitest";
import type { VersionScheme } from "../../src/vuln/versions/types.js";

export function expectAscending(scheme: VersionScheme, list: readonly string[]): void {
  for (let i = 1; i < list.length; i++) {
    expect(Math.sign(scheme.compare(list[i - 1]!, list[i]!)), `${list[i - 1]} < ${list[i]}`).toBe(-1);
    expect(Math.sign(scheme.compare(list[i]!, list[i - 1]!)), `${list[i]} > ${list[i - 1]}`).toBe(1);
  }
  expect([...list].reverse().sort((a, b) => scheme.compare(a, b))).toEqual(list);
}

export function expectEqual(scheme: VersionScheme, versions: readonly string[]): void {
  for (const v of versions) expect(scheme.compare(versions[0]!, v), `${versions[0]} = ${v}`).toBe(0);
}

export function expectInvalid(scheme: VersionScheme, versions: readonly string[]): void {
  for (const v of versions) {
    expect(scheme.isValid(v), JSON.stringify(v)).toBe(false);
    expect(scheme.parse(v), JSON.stringify(v)).toBeUndefined();
  }
}

export function expectLaws(scheme: VersionScheme, arb: fc.Arbitrary<string>): void {
  fc.assert(
    fc.property(arb, arb, arb, (a, b, c) => {
      expect(scheme.isValid(a)).toBe(true);
      const ab = Math.sign(scheme.compare(a, b));
      expect(Math.sign(scheme.compare(b, a))).toBe(-ab || 0);
      if (ab <= 0 && scheme.compare(b, c) <= 0) expect(scheme.compare(a, c)).toBeLessThanOrEqual(0);
      if (ab === 0) expect(Math.sign(scheme.compare(a, c))).toBe(Math.sign(scheme.compare(b, c)));
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      expect(scheme.isValid(s)).toBe(scheme.parse(s) !== undefined);
    }),
    { numRuns: 2000 },
  );
}
