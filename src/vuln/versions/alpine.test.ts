import { expectLaws } from "../../../test/support/version-laws.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alpineScheme, apkVersionCompare } from "./alpine.js";

const s = alpineScheme;

// apk-tools test/version.data: rows "a op b" (a selection, verbatim).
const VERSION_DATA: Array<[string, "<" | "=" | ">", string]> = [
  ["2.34", ">", "0.1.0_alpha"],
  ["23_foo", ">", "4_beta"],
  ["1.0", "<", "1.0bc"], // invalid; apk still orders the valid prefix
  ["0.1.0_alpha", "=", "0.1.0_alpha"],
  ["0.1.0_alpha2", ">", "0.1.0_alpha"],
  ["1.0.4-r3", "<", "1.0.4-r4"],
  ["1.1", ">", "1.1_alpha1"],
  ["1.2.1", ">", "1.2"],
  ["0.8_beta1", "<", "0.8_beta2"],
  ["2.3.0b-r1", "<", "2.3.0b-r2"],
  ["3.1_p16", "<", "3.1_p17"],
  ["1.06-r6", "<", "006"],
  ["1.2.2-r1", ">", "1.2.2"],
  ["20060720", ">", "3.0.20060720"],
  ["2.5.1-r8", "<", "2.5.1a-r1"],
  ["3.9_pre20060124", ">", "0.01"],
  ["0.10.0-r1", ">", "0.10.0"],
  ["0.10.0", "<", "0.10.1_rc1"],
  ["1.7", "<", "1.7b"],
  ["1.8.5", "<", "1.8.5_p2"],
  ["2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"],
  ["0.20070118", "<", "0.20070207_rc1"],
  ["4.5_p1-r1", ">", "4.5_p1"],
  ["7.0.17", "<", "7.0.174"],
  ["1.3_pre1-r1", "<", "1.3.2"],
  ["1.0_p10-r0", ">", "1.0_p9-r0"],
  ["0.1.0_alpha_pre2", "<", "0.1.0_alpha"],
  ["1.0.0_pre20191002222144-r0", "<", "1.0.0_pre20210530193627-r0"],
  ["8.2.0015", "<", "8.2.002"], // a leading zero makes the part compare as a string
];

// The suffix ladder from apk's suffix table, plus revisions, as one ascending list.
const ORDERED = [
  "1.0_alpha",
  "1.0_alpha1",
  "1.0_beta",
  "1.0_beta2",
  "1.0_pre1",
  "1.0_rc1",
  "1.0",
  "1.0-r1",
  "1.0-r10",
  "1.0_cvs1",
  "1.0_svn1",
  "1.0_git20240101",
  "1.0_hg1",
  "1.0_p1",
  "1.0a",
  "1.0.1",
  "1.1",
];

const INVALID = [
  "",
  "a1",
  "1.0bc",
  "23_foo",
  "1.0-1",
  "1.0-r",
  "1.0_",
  "1..0",
  "1.0.",
  "1.0-r1-r2",
  "1.0-r1_p1",
  "1.0A",
  "v1.0",
  "1.0~",
  "1.0 ",
];

const want = { "<": -1, "=": 0, ">": 1 } as const;

describe("Alpine versions (apk)", () => {
  it.each(VERSION_DATA)("%s %s %s", (a, op, b) => {
    expect(apkVersionCompare(a, b)).toBe(want[op]);
    expect(apkVersionCompare(b, a)).toBe(-want[op] || 0);
  });

  it("orders the suffix ladder", () => {
    for (let i = 1; i < ORDERED.length; i++) {
      expect(s.compare(ORDERED[i - 1]!, ORDERED[i]!), `${ORDERED[i - 1]} < ${ORDERED[i]}`).toBeLessThan(0);
      expect(s.compare(ORDERED[i]!, ORDERED[i - 1]!)).toBeGreaterThan(0);
    }
    expect([...ORDERED].reverse().sort(s.compare)).toEqual(ORDERED);
  });

  it("accepts apk's grammar, commit hashes included", () => {
    for (const v of [
      "1.2.3",
      "1.2.3-r0",
      "6.5_p20250503-r0",
      "2.39.0_rc1",
      "1.0a_beta2_p3~abc123-r4",
      "0.1.0_alpha_pre2",
    ]) {
      expect(s.isValid(v), v).toBe(true);
    }
    expect(s.compare("1.0~abc", "1.0~abd")).toBeLessThan(0);
    expect(s.compare("1.0", "1.0~abc")).toBeLessThan(0);
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const suffix = fc.constantFrom("alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p");
const version = fc
  .tuple(
    fc.array(fc.stringMatching(/^[0-9]{1,3}$/), { minLength: 1, maxLength: 4 }),
    fc.option(fc.constantFrom("a", "b", "z"), { nil: undefined }),
    fc.array(fc.tuple(suffix, fc.option(fc.nat(20), { nil: undefined })), { maxLength: 2 }),
    fc.option(fc.stringMatching(/^[0-9a-f]{1,4}$/), { nil: undefined }),
    fc.option(fc.nat(12), { nil: undefined }),
  )
  .map(
    ([nums, letter, sufs, hash, rev]) =>
      nums.join(".") +
      (letter ?? "") +
      sufs.map(([n, k]) => `_${n}${k ?? ""}`).join("") +
      (hash === undefined ? "" : `~${hash}`) +
      (rev === undefined ? "" : `-r${rev}`),
  );

describe("Alpine versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});
