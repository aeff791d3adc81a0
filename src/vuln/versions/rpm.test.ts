import { expectLaws } from "../../../test/support/version-laws.js";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRpmVersion, rpmScheme, rpmvercmp } from "./rpm.js";

const s = rpmScheme;

// rpm's own test suite, tests/rpmvercmp.at: RPMVERCMP(a, b, expected).
const RPMVERCMP_AT: Array<[string, string, number]> = [
  ["1.0", "1.0", 0],
  ["1.0", "2.0", -1],
  ["2.0.1", "2.0.1", 0],
  ["2.0", "2.0.1", -1],
  ["2.0.1a", "2.0.1a", 0],
  ["2.0.1a", "2.0.1", 1],
  ["5.5p1", "5.5p2", -1],
  ["5.5p10", "5.5p10", 0],
  ["5.5p1", "5.5p10", -1],
  ["10xyz", "10.1xyz", -1],
  ["xyz10", "xyz10.1", -1],
  ["xyz.4", "8", -1],
  ["xyz.4", "2", -1],
  ["5.5p2", "5.6p1", -1],
  ["5.6p1", "6.5p1", -1],
  ["6.0.rc1", "6.0", 1],
  ["10b2", "10a1", 1],
  ["10a2", "10b2", -1],
  ["1.0a", "1.0aa", -1],
  ["10.0001", "10.1", 0],
  ["10.0001", "10.0039", -1],
  ["4.999.9", "5.0", -1],
  ["20101121", "20101122", -1],
  ["2_0", "2_0", 0],
  ["2.0", "2_0", 0],
  ["a", "a", 0],
  ["a+", "a_", 0],
  ["+a", "_a", 0],
  ["_+", "+_", 0],
  ["+", "_", 0],
  ["1.0~rc1", "1.0~rc1", 0],
  ["1.0~rc1", "1.0", -1],
  ["1.0~rc1", "1.0~rc2", -1],
  ["1.0~rc1~git123", "1.0~rc1", -1],
  // Caret cases (rpm >= 4.15's rpmvercmp.at; checked against rpm 4.18 here).
  ["1.0^", "1.0^", 0],
  ["1.0^", "1.0", 1],
  ["1.0", "1.0git1^", -1],
  ["1.0^git1", "1.0^git2", -1],
  ["1.0^git1", "1.01", -1],
  ["1.0^20160101", "1.0^20160102", -1],
  ["1.0^20160101^git1", "1.0^20160101", 1],
  ["1.0~rc1^git1", "1.0~rc1", 1],
  ["1.0^git1~pre", "1.0^git1", -1],
  ["1.0^git1", "1.0^git1~pre", 1],
];

// The same facts as one ascending list of full EVRs.
const ORDERED = [
  "1.0~rc1",
  "1.0~rc1^git1",
  "1.0",
  "1.0-1.el9",
  "1.0-1.el9_2",
  "1.0-2",
  "1.0^git1",
  "1.0a",
  "1.0.1",
  "1.01.1",
  "2.0.1",
  "2.0.1a",
  "10xyz",
  "10.1xyz",
  "1:0.1",
  "2:0.1-1",
];

const INVALID = ["", "-1", "1.0-", ":1.0", "a:1.0", "1.0 1", "1.0/2", "1:", "+", "1.0-_", "1.0é"];

describe("RPM versions (rpmvercmp)", () => {
  it.each(RPMVERCMP_AT)("rpmvercmp(%s, %s) = %i", (a, b, want) => {
    expect(rpmvercmp(a, b)).toBe(want);
    expect(rpmvercmp(b, a)).toBe(-want || 0);
  });

  it("orders EVRs: epoch, then version, then release", () => {
    for (let i = 1; i < ORDERED.length; i++) {
      expect(s.compare(ORDERED[i - 1]!, ORDERED[i]!), `${ORDERED[i - 1]} < ${ORDERED[i]}`).toBeLessThan(0);
      expect(s.compare(ORDERED[i]!, ORDERED[i - 1]!)).toBeGreaterThan(0);
    }
    expect([...ORDERED].reverse().sort(s.compare)).toEqual(ORDERED);
  });

  it("treats an absent epoch as 0 and leading zeros as nothing", () => {
    expect(s.compare("0:1.0-1", "1.0-1")).toBe(0);
    expect(s.compare("1.001-1", "1.1-1")).toBe(0);
    expect(parseRpmVersion("3:1.2-3.el9")).toEqual({ epoch: 3, version: "1.2", release: "3.el9" });
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const seg = fc.stringMatching(/^[0-9a-z][0-9a-z._+~^]{0,6}$/);
const version = fc
  .tuple(fc.option(fc.nat(3), { nil: undefined }), seg, fc.option(seg, { nil: undefined }))
  .map(([e, v, r]) => `${e === undefined ? "" : `${e}:`}${v}${r === undefined ? "" : `-${r}`}`);

describe("RPM versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});

const RPM = "/usr/bin/rpm";
const hasRpm = existsSync(RPM);

// Skipped where rpm is absent, except in CI, which must provide it (Debian package `rpm`).
describe.skipIf(!hasRpm && !process.env.CI)("rpmvercmp agrees with rpm's own rpm.vercmp", () => {
  it("on 200 generated pairs", () => {
    expect(hasRpm, "rpm must be installed in CI").toBe(true);
    const pairs = fc.sample(fc.tuple(seg, seg), { numRuns: 200, seed: 7 });
    // One rpm process for all pairs; the generator has no quotes or backslashes.
    const calls = pairs.map(([a, b]) => `rpm.vercmp("${a}", "${b}")`).join(", ");
    const lua = `print(table.concat({${calls}}, ","))`;
    const out = execFileSync(RPM, ["--eval", `%{lua: ${lua}}`], { encoding: "utf8" })
      .trim()
      .split(",");
    expect(out).toHaveLength(pairs.length);
    pairs.forEach(([a, b], i) => {
      expect(rpmvercmp(a, b), `rpmvercmp(${a}, ${b})`).toBe(Number(out[i]));
    });
  });
});
