import { expectLaws } from "../../../test/support/version-laws.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cargoScheme } from "./cargo.js";

const s = cargoScheme;

// SemVer 2.0.0 §11: "1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta <
// 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0" and "1.0.0 < 2.0.0 < 2.1.0 < 2.1.1".
const ORDERED = [
  "1.0.0-alpha",
  "1.0.0-alpha.1",
  "1.0.0-alpha.beta",
  "1.0.0-beta",
  "1.0.0-beta.2",
  "1.0.0-beta.11",
  "1.0.0-rc.1",
  "1.0.0",
  "2.0.0",
  "2.1.0",
  "2.1.1",
];

// §10: build metadata does not take part in precedence.
const EQUAL: Array<[string, string]> = [
  ["1.0.0-alpha+001", "1.0.0-alpha"],
  ["1.0.0+20130313144700", "1.0.0+exp.sha.5114f85"],
];

// Cargo takes strict SemVer: no `v`, no leading zeros, all three numbers.
const INVALID = [
  "",
  "1",
  "1.0",
  "v1.0.0",
  "01.0.0",
  "1.0.0-01",
  "1.0.0-",
  "1.0.0+",
  "1.0.0-alpha..1",
  " 1.0.0",
];

describe("crates.io versions (SemVer 2.0.0)", () => {
  it("orders the specification's examples", () => {
    for (let i = 1; i < ORDERED.length; i++) {
      expect(s.compare(ORDERED[i - 1]!, ORDERED[i]!), `${ORDERED[i - 1]} < ${ORDERED[i]}`).toBeLessThan(0);
      expect(s.compare(ORDERED[i]!, ORDERED[i - 1]!)).toBeGreaterThan(0);
    }
    expect([...ORDERED].reverse().sort(s.compare)).toEqual(ORDERED);
  });

  it.each(EQUAL)("%j == %j", (a, b) => {
    expect(s.compare(a, b)).toBe(0);
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const id = fc.stringMatching(/^(?:0|[1-9][0-9]?|[a-z][a-z0-9-]{0,3})$/);
const version = fc
  .tuple(fc.nat(5), fc.nat(5), fc.nat(5), fc.array(id, { maxLength: 3 }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre.length ? `-${pre.join(".")}` : ""}`);

describe("crates.io versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});
