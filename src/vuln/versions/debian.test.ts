import { expectLaws } from "../../../test/support/version-laws.js";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { debianScheme, parseDebianVersion, verrevcmp } from "./debian.js";

const s = debianScheme;

// deb-version(7), DESCRIPTION and "Sorting algorithm", plus Debian policy §5.6.12's examples.
const ORDERED = [
  "0~~",
  "0~",
  "0",
  "0a",
  "0.1",
  "1.0~~", // deb-version(7): "~~ < ~~a < ~ < the empty part < a"
  "1.0~~a",
  "1.0~",
  "1.0~rc1", // `~` sorts before the end: pre-releases
  "1.0",
  "1.0-1",
  "1.0-1+b1", // binNMU
  "1.0a", // letters sort before non-letters
  "1.0+dfsg-1",
  "2.0",
  "2.38.1-5",
  "2.38.1-5+deb12u1",
  "2.38.1-5+deb12u3", // stable security updates
  "2.38.1-5.1",
  "10",
  "1:0.1", // any epoch beats every version without one
  "1:2.0",
  "2:0.1",
];

const EQUAL: Array<[string, string]> = [
  ["1.0", "1.0-0"], // an absent revision is empty, and "" compares equal to "0"
  ["0:1.0", "1.0"], // an absent epoch is 0
  ["1.0", "1.00"],
  ["1.01", "1.1"],
  [" 1.0 ", "1.0"], // dpkg ignores surrounding whitespace
];

const INVALID = ["", " ", "a:1.0", ":1.0", "1.0-", "-1", "1.0 1", "1:", "1.0_1", "1.0-1_2", "99999999999:1"];

describe("Debian versions (deb-version(7))", () => {
  it("orders the spec's examples", () => {
    for (let i = 1; i < ORDERED.length; i++) {
      expect(s.compare(ORDERED[i - 1]!, ORDERED[i]!), `${ORDERED[i - 1]} < ${ORDERED[i]}`).toBeLessThan(0);
      expect(s.compare(ORDERED[i]!, ORDERED[i - 1]!)).toBeGreaterThan(0);
    }
    expect([...ORDERED].reverse().sort(s.compare)).toEqual(ORDERED);
  });

  it.each(EQUAL)("%s == %s", (a, b) => {
    expect(s.compare(a, b)).toBe(0);
    expect(s.compare(b, a)).toBe(0);
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });

  it("splits epoch at the first colon and revision at the last hyphen", () => {
    expect(parseDebianVersion("1:2:3-4-5")).toEqual({ epoch: 1, upstream: "2:3-4", revision: "5" });
    expect(parseDebianVersion("2.38.1-5+deb12u3")).toEqual({
      epoch: 0,
      upstream: "2.38.1",
      revision: "5+deb12u3",
    });
  });

  it("verrevcmp: ~ before end, end before letters, letters before other characters", () => {
    expect(verrevcmp("~", "")).toBeLessThan(0);
    expect(verrevcmp("", "a")).toBeLessThan(0);
    expect(verrevcmp("a", "+")).toBeLessThan(0);
    expect(verrevcmp("Z", "a")).toBeLessThan(0);
  });
});

const part = fc.stringMatching(/^[0-9][A-Za-z0-9.+~]{0,6}$/);
const rev = fc.stringMatching(/^[A-Za-z0-9.+~]{1,5}$/);
const version = fc
  .tuple(fc.option(fc.nat(3), { nil: undefined }), part, fc.option(rev, { nil: undefined }))
  .map(([e, u, r]) => `${e === undefined ? "" : `${e}:`}${u}${r === undefined ? "" : `-${r}`}`);

describe("Debian versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});

const DPKG = "/usr/bin/dpkg";
const hasDpkg = existsSync(DPKG);

describe.skipIf(!hasDpkg && !process.env.CI)("Debian versions agree with dpkg --compare-versions", () => {
  it("on 200 generated pairs", () => {
    expect(hasDpkg, "dpkg must be installed in CI").toBe(true);
    const pairs = fc.sample(fc.tuple(version, version), { numRuns: 200, seed: 4 });
    for (const [a, b] of pairs) {
      const ours = Math.sign(s.compare(a, b));
      const op = ours < 0 ? "lt" : ours > 0 ? "gt" : "eq";
      let agrees = true;
      try {
        execFileSync(DPKG, ["--compare-versions", a, op, b], { stdio: "ignore" });
      } catch {
        agrees = false;
      }
      expect(agrees, `${a} ${op} ${b}`).toBe(true);
    }
  });
});
