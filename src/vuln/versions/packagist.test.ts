import { expectLaws } from "../../../test/support/version-laws.js";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeComposerVersion, packagistScheme, phpVersionCompare } from "./packagist.js";

const s = packagistScheme;

// Composer VersionParserTest::successfulNormalizedVersions (a selection): input → normalised.
const NORMALIZED: Array<[string, string]> = [
  ["1.0.0", "1.0.0.0"],
  ["1.2.3.4", "1.2.3.4"],
  ["1.0.0RC1dev", "1.0.0.0-RC1-dev"],
  ["1.0.0-rC15-dev", "1.0.0.0-RC15-dev"],
  ["1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"],
  ["1.0.0-rc1", "1.0.0.0-RC1"],
  ["1.0.0.pl3-dev", "1.0.0.0-patch3-dev"],
  ["1.0-dev", "1.0.0.0-dev"],
  ["0", "0.0.0.0"],
  ["10.4.13-beta", "10.4.13.0-beta"],
  ["10.4.13beta2", "10.4.13.0-beta2"],
  ["10.4.13beta.2", "10.4.13.0-beta2"],
  ["v1.13.11-beta.0", "1.13.11.0-beta0"],
  ["10.4.13-b", "10.4.13.0-beta"],
  ["10.4.13-b5", "10.4.13.0-beta5"],
  ["v1.0.0", "1.0.0.0"],
  ["v20100102", "20100102"],
  ["2010.01", "2010.01.0.0"],
  ["2010.01.02", "2010.01.02.0"],
  ["2010-01-02", "2010.01.02"],
  ["20100102-203040", "20100102.203040"],
  ["1.0.0-beta.5+foo", "1.0.0.0-beta5"],
  ["1.0.0+foo", "1.0.0.0"],
  ["1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"],
  ["1.0.0-stable", "1.0.0.0"],
  ["1.0.0@beta", "1.0.0.0"],
  ["1.0.0 as 1.2.0", "1.0.0.0"],
  ["  1.0.0", "1.0.0.0"],
];

// Stability order from Composer's docs (dev < alpha < beta < RC < stable < patch) and PHP's
// version_compare manual ("any string not found in this list < dev < alpha = a < beta = b <
// RC = rc < # < pl = p").
const ORDERED = [
  "1.0.0-dev",
  "1.0.0-alpha1",
  "1.0.0-alpha2",
  "1.0.0-beta",
  "1.0.0-beta2",
  "1.0.0-beta.10",
  "1.0.0-RC1",
  "1.0.0",
  "1.0.0-patch1",
  "1.0.0.1",
  "v1.0.1",
  "1.2",
  "1.10.0",
  "2010.01.02",
  "20100102",
];

const EQUAL: Array<[string, string]> = [
  ["1.0", "1.0.0.0"],
  ["v1.0.0", "1.0.0"],
  ["1.0.0-a1", "1.0.0-alpha1"],
  ["1.0.0-pl1", "1.0.0-p1"],
  ["1.0.0-rc1", "1.0.0-RC1"],
  ["1.0.0+build", "1.0.0"],
];

// PHP manual, version_compare examples and rules on raw strings.
const PHP_RAW: Array<[string, string, number]> = [
  ["5.2", "5.2.0", -1], // why Composer pads to four parts first
  ["4.3.2RC1", "4.3.2.RC.1", 0],
  ["1.0rc1", "1.0", -1],
  ["1.0", "1.0pl1", -1],
  ["1.0-dev", "1.0alpha", -1],
  ["1.0foo", "1.0-dev", -1], // unknown words sort before dev
  ["", "1", -1],
];

const INVALID = ["", "dev-master", "1.x-dev", "master", "1.0.0.0.0", "a", "1.0.0-foo", "1.0 1", "1..0"];

describe("Packagist versions (Composer)", () => {
  it.each(NORMALIZED)("normalises %j to %j", (input, want) => {
    expect(normalizeComposerVersion(input)).toBe(want);
  });

  it("orders stabilities and numbers", () => {
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

  it.each(PHP_RAW)("version_compare(%j, %j) = %i", (a, b, want) => {
    expect(phpVersionCompare(a, b)).toBe(want);
    expect(phpVersionCompare(b, a)).toBe(-want || 0);
  });

  it.each(INVALID)("rejects %j", (v) => {
    expect(s.isValid(v)).toBe(false);
    expect(s.parse(v)).toBeUndefined();
    expect(() => s.compare(v, "1.0")).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

const stability = fc.constantFrom(
  "",
  "-dev",
  "-alpha",
  "-a2",
  "-beta1",
  "-b.3",
  "-RC2",
  "-rc.1",
  "-patch1",
  "-pl2",
  "-p",
  "-stable",
  "-beta2-dev",
);
const version = fc
  .tuple(fc.boolean(), fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }), stability)
  .map(([v, nums, st]) => (v ? "v" : "") + nums.join(".") + st);

describe("Packagist versions: properties", () => {
  it("obey the order laws and never throw", () => expectLaws(s, version));
});

const PHP = "/usr/bin/php";

// PHP is not part of the project's machines; this runs only where it happens to be installed.
describe.skipIf(!existsSync(PHP))("phpVersionCompare agrees with PHP's version_compare", () => {
  it("on 200 generated pairs of normalised and raw versions", () => {
    const raw = fc.stringMatching(/^[0-9][0-9a-z]{0,3}(?:[._+-][0-9a-z]{1,3}){0,3}$/);
    const pairs = [
      ...fc
        .sample(fc.tuple(version, version), { numRuns: 100, seed: 3 })
        .map(([a, b]) => [normalizeComposerVersion(a)!, normalizeComposerVersion(b)!]),
      ...fc.sample(fc.tuple(raw, raw), { numRuns: 100, seed: 5 }),
    ];
    const script =
      "echo json_encode(array_map(fn($p) => version_compare($p[0], $p[1]), json_decode(stream_get_contents(STDIN))));";
    const out = JSON.parse(
      execFileSync(PHP, ["-r", script], { input: JSON.stringify(pairs), encoding: "utf8" }),
    ) as number[];
    pairs.forEach(([a, b], i) => {
      expect(phpVersionCompare(a!, b!), `version_compare(${a}, ${b})`).toBe(out[i]);
    });
  });
});
