import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";
import { compareSemver, parseSemver } from "./lib-semver.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("Kubernetes semver library (semver_test.go)", () => {
  const cases: [string, unknown][] = [
    ['isSemver("1.0.0")', true],
    ['isSemver("1.0.0-alpha.1")', true],
    ['isSemver("1.0.0+build.1")', true],
    ['isSemver("hello")', false],
    ['isSemver("1.0")', false],
    ['isSemver("v1.0.0")', false],
    ['isSemver("01.0.0")', false],
    ['isSemver("1.0.0-01")', false],
    ['isSemver("1.0.0-")', false],
    ['isSemver("1.0.0+")', false],
    ['isSemver("v1.0", true)', true],
    ['isSemver("1.0", true)', true],
    ['isSemver("01.01.01", true)', true],
    ['isSemver("1.0-alpha", true)', false],
    ['semver("1.0.0") == semver("1.0.0")', true],
    ['semver("1.0.0+build") == semver("1.0.0")', true],
    ['semver("v1.0.0", true) == semver("1.0.0")', true],
    ['semver("1.0", true) == semver("1.0.0")', true],
    ['semver("01.01.01", true) == semver("1.1.1")', true],
    ['semver("1.0.0-00alpha", true).isLessThan(semver("1.0.0"))', true],
    ['semver("1.2.3").major()', 1n],
    ['semver("1.2.3").minor()', 2n],
    ['semver("1.2.3").patch()', 3n],
    ['semver("1.2.3").compareTo(semver("1.2.3"))', 0n],
    ['semver("1.2.3").compareTo(semver("2.0.0"))', -1n],
    ['semver("1.2.3").compareTo(semver("0.1.2"))', 1n],
    ['semver("1.10.0").isGreaterThan(semver("1.9.0"))', true],
    ['semver("1.0.0").isLessThan(semver("1.0.0"))', false],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    ['semver("200K")', "No Major.Minor.Patch elements found"],
    ['semver("Three")', "No Major.Minor.Patch elements found"],
    ['semver("v1.0.0")', 'Invalid character(s) found in major number "v1"'],
    ['semver("1.01.0")', 'Minor number must not contain leading zeroes "01"'],
    ['semver("1.0.0-a..b")', "Prerelease is empty"],
    [
      'semver("1.0", true).major() == semver("1.0-rc1", true).major()',
      "short version cannot contain PreRelease/Build meta data",
    ],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });

  it("orders versions by semver precedence (semver.org §11)", () => {
    const ordered = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ];
    for (let i = 1; i < ordered.length; i++) {
      expect(compareSemver(parseSemver(ordered[i - 1]!), parseSemver(ordered[i]!))).toBe(-1);
      expect(compareSemver(parseSemver(ordered[i]!), parseSemver(ordered[i - 1]!))).toBe(1);
    }
  });
});
