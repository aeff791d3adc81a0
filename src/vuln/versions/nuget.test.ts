import { expectLaws } from "../../../test/support/version-laws.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nugetScheme } from "./nuget.js";

const s = nugetScheme;

// Microsoft Learn, NuGet "Package versioning", "Pre-release versions": highest first
// 1.0.1, 1.0.1-zzz, 1.0.1-rc.10, 1.0.1-rc.2, 1.0.1-open, 1.0.1-beta, 1.0.1-alpha2,
// 1.0.1-alpha10, 1.0.1-aaa ("alpha10 sorts strictly in reverse alphabetical order").
const ORDERED = [
  "1.0.0",
  "1.0.1-aaa",
  "1.0.1-alpha10",
  "1.0.1-alpha2",
  "1.0.1-beta",
  "1.0.1-open",
  "1.0.1-rc.2",
  "1.0.1-rc.10",
  "1.0.1-zzz",
  "1.0.1",
  "1.0.1.1", // the fourth (revision) part
  "4.3.1-rc",
  "6.11.1231",
];

// "Normalized version numbers": leading zeros and a zero fourth part do not count, and build
// metadata is dropped.
const EQUAL: Array<[string, string]> = [
  ["1.00", "1.0.0"],
  ["1.01.1", "1.1.1"],
  ["1.0.0.0", "1.0.0"],
  ["1", "1.0.0.0"],
  ["1.0.0+githash", "1.0.0"],
  ["1.0.0-Beta", "1.0.0-beta"], // labels compare case-insensitively
];

const INVALID = [
  "",
  "1.0.0.0.0",
  "a",
  "1.0-",
  "1.0-beta..1",
  "1.0+",
  "v1.0",
  " 1.0",
  "1.0_beta",
  "2147483648.0",
];

describe("NuGet versions", () => {
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

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const label = fc.stringMatching(/^(?:[0-9]{1,2}|[A-Za-z][A-Za-z0-9-]{0,3})$/);
const version = fc
  .tuple(
    fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }),
    fc.array(label, { maxLength: 3 }),
    fc.option(fc.stringMatching(/^[a-z0-9]{1,4}$/), { nil: undefined }),
  )
  .map(
    ([nums, labels, meta]) =>
      nums.join(".") + (labels.length ? `-${labels.join(".")}` : "") + (meta ? `+${meta}` : ""),
  );

describe("NuGet versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});
