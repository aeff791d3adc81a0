import fc from "fast-check";
import { expectAscending } from "../../../test/support/version-laws.js";
import { describe, expect, it } from "vitest";
import { semverScheme } from "./semver.js";
import { compareOrThrow } from "./types.js";

const num = fc.oneof(
  fc.constantFrom("0", "1", "2", "10"),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
);
const preId = fc.oneof(num, fc.constantFrom("alpha", "beta", "rc", "x-y", "-", "0a", "a1"));
const semverArb = fc
  .tuple(
    fc.constantFrom("", "v"),
    num,
    num,
    num,
    fc.array(preId, { maxLength: 3 }),
    fc.array(fc.constantFrom("build", "001", "sha.5114f85"), { maxLength: 2 }),
  )
  .map(
    ([v, a, b, c, pre, build]) =>
      `${v}${a}.${b}.${c}${pre.length ? `-${pre.join(".")}` : ""}${build.length ? `+${build.join(".")}` : ""}`,
  );

describe("SemVer 2.0.0", () => {
  it("orders the spec's examples (§11)", () => {
    // §11.2: "Example: 1.0.0 < 2.0.0 < 2.1.0 < 2.1.1."
    expectAscending(semverScheme, ["1.0.0", "2.0.0", "2.1.0", "2.1.1"]);
    // §11.3: "Example: 1.0.0-alpha < 1.0.0."
    expectAscending(semverScheme, ["1.0.0-alpha", "1.0.0"]);
    // §11.4: "Example: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta <
    // 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0."
    expectAscending(semverScheme, [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
    ]);
    // §2: "1.9.0 -> 1.10.0 -> 1.11.0"
    expectAscending(semverScheme, ["1.9.0", "1.10.0", "1.11.0"]);
  });

  it("ignores build metadata and a leading v (§10)", () => {
    // §10: "1.0.0-alpha+001, 1.0.0+20130313144700, 1.0.0-beta+exp.sha.5114f85, 1.0.0+21AF26D3----117B344092BD"
    expect(semverScheme.compare("1.0.0+20130313144700", "1.0.0")).toBe(0);
    expect(semverScheme.compare("1.0.0+21AF26D3----117B344092BD", "1.0.0+20130313144700")).toBe(0);
    expect(semverScheme.compare("1.0.0-alpha+001", "1.0.0-alpha")).toBe(0);
    expect(semverScheme.compare("1.0.0-beta+exp.sha.5114f85", "1.0.0-beta")).toBe(0);
    expect(semverScheme.compare("v1.2.3", "1.2.3")).toBe(0);
  });

  it("compares numbers beyond 2^53 exactly", () => {
    expectAscending(semverScheme, ["9007199254740992.0.0", "9007199254740993.0.0"]);
    expectAscending(semverScheme, ["1.0.0-9007199254740992", "1.0.0-9007199254740993"]);
  });

  it("accepts the spec's pre-release examples (§9)", () => {
    for (const v of ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0-x-y-z.--"]) {
      expect(semverScheme.isValid(v), v).toBe(true);
    }
  });

  it.each([
    "",
    "1",
    "1.2",
    "1.2.3.4",
    "01.2.3", // §2: no leading zeroes
    "1.2.3-01", // §9: numeric identifiers must not include leading zeroes
    "1.2.3-",
    "1.2.3-alpha..1", // §9: identifiers must not be empty
    "1.2.3+",
    "1.2.3+a..b",
    "1.2.3-al_pha",
    "vv1.2.3",
    "V1.2.3",
    " 1.2.3",
    "=1.2.3",
    "1.2.3beta",
  ])("rejects %j", (v) => {
    expect(semverScheme.isValid(v)).toBe(false);
    expect(semverScheme.parse(v)).toBeUndefined();
    expect(() => compareOrThrow(semverScheme, v, "1.0.0")).toThrow(/not a valid SemVer version/);
  });

  it("is a total order on generated versions and never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(semverArb, semverArb, semverArb, (a, b, c) => {
        const ab = Math.sign(semverScheme.compare(a, b));
        expect(Math.sign(semverScheme.compare(b, a))).toBe(-ab || 0);
        if (ab <= 0 && semverScheme.compare(b, c) <= 0)
          expect(semverScheme.compare(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(semverScheme.isValid(s)).toBe(semverScheme.parse(s) !== undefined);
      }),
    );
  });
});
