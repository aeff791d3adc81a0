import { expectLaws } from "../../../test/support/version-laws.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rubygemsScheme } from "./rubygems.js";

const s = rubygemsScheme;

// Gem::Version documentation: "Prereleases sort between real releases (newest to oldest):
// 1.0, 1.0.b1, 1.0.a.2, 0.9", "1.0.a10 ... is greater than 1.0.a9", and the sort example
// `1.1.beta9 < 1.1.beta10 < 1.1 < 1.9 < 1.10`.
const ORDERED = [
  "0.9",
  "1.0.a.2",
  "1.0.a9",
  "1.0.a10",
  "1.0.b1",
  "1.0-1",
  "1.0",
  "1.1.beta9",
  "1.1.beta10",
  "1.1",
  "1.9",
  "1.10",
  "2.0.0.pre",
  "2.0.0",
];

const EQUAL: Array<[string, string]> = [
  ["1.0", "1.0.0"],
  ["1", "1.0.0.0"],
  ["1.0.a10", "1.0.a.10"], // letters and digits split into segments
  ["1.0-1", "1.0.pre.1"], // a hyphen means ".pre."
  ["1.0.a", "1.a"], // trailing zeros of the release part go
  ["01.2", "1.2"],
  [" 1.2 ", "1.2"],
];

const INVALID = ["", "junk", "1..2", "1.2.", ".1", "1.2-", "1 2", "1.2_3", "-1", "1.0+build"];

describe("RubyGems versions (Gem::Version)", () => {
  it("orders the documentation's examples", () => {
    for (let i = 1; i < ORDERED.length; i++) {
      expect(s.compare(ORDERED[i - 1]!, ORDERED[i]!), `${ORDERED[i - 1]} < ${ORDERED[i]}`).toBeLessThan(0);
      expect(s.compare(ORDERED[i]!, ORDERED[i - 1]!)).toBeGreaterThan(0);
    }
    expect([...ORDERED].reverse().sort(s.compare)).toEqual(ORDERED);
  });

  it.each(EQUAL)("%j == %j", (a, b) => {
    expect(s.compare(a, b)).toBe(0);
    expect(s.compare(b, a)).toBe(0);
  });

  it("marks versions with letters as prereleases", () => {
    expect(s.parse("1.0.a")).toMatchObject({ prerelease: true });
    expect(s.parse("1.0-1")).toMatchObject({ prerelease: true });
    expect(s.parse("1.0.1")).toMatchObject({ prerelease: false });
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const version = fc
  .tuple(fc.nat(20), fc.array(fc.stringMatching(/^(?:[0-9]{1,2}|[a-z]{1,3}[0-9]?)$/), { maxLength: 4 }))
  .map(([first, rest]) => [String(first), ...rest].join("."));

describe("RubyGems versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});
