/**
 * Spec-example tests for the npm, PyPI, Go and Maven schemes, plus the registry contract. Each
 * ordered list is checked pairwise in both directions and by sorting its reverse.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { goScheme, parseGoVersion } from "./go.js";
import { knownEcosystems, schemeForEcosystem } from "./index.js";
import { mavenScheme, parseMavenVersion, tokenizeMaven } from "./maven.js";
import { npmScheme } from "./npm.js";
import { normalizePep440, parsePep440, pypiScheme } from "./pypi.js";
import {
  expectAscending,
  expectEqual,
  expectInvalid,
  expectLaws,
} from "../../../test/support/version-laws.js";

const small = fc.constantFrom("0", "1", "2", "10", "01");

describe("npm (node-semver, loose)", () => {
  it("orders the SemVer §11 example and normalises as npm does", () => {
    expectAscending(npmScheme, [
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
    ]);
    expectEqual(npmScheme, ["1.2.3", "v1.2.3", "=1.2.3", " 1.2.3 ", "01.2.3", "1.2.3+build"]);
    expectEqual(npmScheme, ["1.2.3-beta", "1.2.3beta"]);
    // Advisory bounds such as `introduced: "1.0"` are padded, as OSV's matcher does.
    expectEqual(npmScheme, ["1.0", "1.0.0", "v1.0"]);
    expectEqual(npmScheme, ["2", "2.0.0"]);
  });
  it("rejects what node-semver rejects (but pads bare 1- and 2-part numbers)", () => {
    expectInvalid(npmScheme, ["", "latest", "^1.2.3", "1.2.3.4", "1.2.x", "9007199254740992.0.0"]);
  });
  it("obeys the order laws", () => {
    const arb = fc
      .tuple(small, small, small, fc.constantFrom("", "-alpha", "-alpha.1", "-beta.2", "-rc.1", "-0", "+b1"))
      .map(([a, b, c, s]) => `${a}.${b}.${c}${s}`);
    expectLaws(npmScheme, arb);
  });
});

describe("PyPI (PEP 440)", () => {
  it('orders the example of "Summary of permitted suffixes and relative ordering"', () => {
    expectAscending(pypiScheme, [
      "1.dev0",
      "1.0.dev456",
      "1.0a1",
      "1.0a2.dev456",
      "1.0a12.dev456",
      "1.0a12",
      "1.0b1.dev456",
      "1.0b2",
      "1.0b2.post345.dev456",
      "1.0b2.post345",
      "1.0rc1.dev456",
      "1.0rc1",
      "1.0",
      "1.0+abc.5",
      "1.0+abc.7",
      "1.0+5",
      "1.0.post456.dev34",
      "1.0.post456",
      "1.0.15",
      "1.1.dev1",
    ]);
  });
  it('orders epochs ("Version epochs")', () => {
    expectAscending(pypiScheme, ["2013.10", "2014.04", "1!1.0", "1!1.1", "1!2.0"]);
  });
  it('orders the "Examples of compliant version schemes"', () => {
    // Simple "major.minor", "major.minor.micro", date based and serial.
    expectAscending(pypiScheme, ["0.1", "0.2", "0.3", "1.0", "1.1"]);
    expectAscending(pypiScheme, ["1.1.0", "1.1.1", "1.1.2", "1.2.0"]);
    expectAscending(pypiScheme, ["0.9", "1.0a1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.1a1"]);
    expectAscending(pypiScheme, [
      "0.9",
      "1.0.dev1",
      "1.0.dev2",
      "1.0.dev3",
      "1.0.dev4",
      "1.0c1",
      "1.0c2",
      "1.0",
      "1.0.post1",
      "1.1.dev1",
    ]);
    expectAscending(pypiScheme, ["2012.1", "2012.2", "2012.3", "2012.15", "2013.1", "2013.2"]);
  });
  it('treats the "Normalization" spellings as equal', () => {
    expectEqual(pypiScheme, ["1.0", "1.0.0", "1.0.0.0", "v1.0", "V1.0", "  1.0\n", "0!1.0"]);
    expectEqual(pypiScheme, [
      "1.0a1",
      "1.0.0a1",
      "1.0A1",
      "1.0-a1",
      "1.0_a1",
      "1.0.a1",
      "1.0alpha1",
      "1.0a.1",
      "1.0a-1",
    ]);
    expectEqual(pypiScheme, ["1.1rc1", "1.1RC1", "1.1c1", "1.1pre1", "1.1preview1", "1.1-rc1", "1.1_rc1"]);
    expectEqual(pypiScheme, ["1.2a0", "1.2a"]);
    expectEqual(pypiScheme, [
      "1.0.post1",
      "1.0-1",
      "1.0post1",
      "1.0-post1",
      "1.0_post1",
      "1.0.r1",
      "1.0-rev1",
    ]);
    expectEqual(pypiScheme, ["1.2.post0", "1.2.post", "1.2-r"]);
    expectEqual(pypiScheme, ["1.2.dev0", "1.2dev", "1.2-dev", "1.2_dev0"]);
    expectEqual(pypiScheme, ["1.0+ubuntu.1", "1.0+ubuntu-1", "1.0+ubuntu_1", "1.0+UBUNTU.1"]);
    expectEqual(pypiScheme, ["1.0", "01.0", "1.00", "0001.0"]);
    expect(normalizePep440(parsePep440("V1.0-ALPHA.1.POST-2_DEV+Ubuntu-1")!)).toBe(
      "1.0a1.post2.dev0+ubuntu.1",
    );
  });
  it("rejects non-PEP 440 versions", () => {
    expectInvalid(pypiScheme, [
      "",
      "1.0+",
      "1.0+ubuntu..1",
      "1.0-",
      "a1.0",
      "1.0.x",
      "1.0 1",
      "1.0a1b1",
      "1.0.dev1.post1",
      "1!",
      "v",
      "1.0+-a",
      "--1.0",
    ]);
  });
  it("obeys the order laws", () => {
    const arb = fc
      .tuple(
        fc.constantFrom("", "1!"),
        fc.array(small, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("", "a1", "b", "rc2", ".alpha0"),
        fc.constantFrom("", ".post1", "-3", ".post"),
        fc.constantFrom("", ".dev0", ".dev2"),
        fc.constantFrom("", "+abc", "+abc.5", "+5", "+abc.5.x"),
      )
      .map(([e, r, pre, post, dev, local]) => `${e}${r.join(".")}${pre}${post}${dev}${local}`);
    expectLaws(pypiScheme, arb);
  });
});

describe("Go module versions", () => {
  it("orders tags and the three pseudo-version forms (go.dev/ref/mod#pseudo-versions)", () => {
    expectAscending(goScheme, [
      "v0.0.0-20191109021931-daa7c04131f5", // form (1): below every v0 tag
      "v0.0.0",
      "v1.2.3",
      "v1.2.4-0.20191109021931-daa7c04131f5", // form (2): after v1.2.3, before v1.2.4 pre-releases
      "v1.2.4-alpha",
      "v1.2.4-pre", // form (3) below follows its base pre-release
      "v1.2.4-pre.0.20191109021931-daa7c04131f5",
      "v1.2.4-pre.1",
      "v1.2.4",
      "v2.0.0-20180101000000-abcdefabcdef",
      "v2.0.0+incompatible",
      "v2.1.0+incompatible",
    ]);
  });
  it("ignores +incompatible and the v prefix (OSV writes Go versions without it)", () => {
    expectEqual(goScheme, ["v2.0.0+incompatible", "v2.0.0", "2.0.0"]);
    expect(parseGoVersion("v1.3.1-0.20190301021747-ccb9e902956d")?.pseudo).toBe(true);
    expect(parseGoVersion("v1.3.1-0.20190301021747")?.pseudo).toBe(false);
    expect(parseGoVersion("v2.0.0+incompatible")?.incompatible).toBe(true);
  });
  it("rejects non-canonical versions", () => {
    expectInvalid(goScheme, [
      "",
      "v1",
      "v1.2",
      "v1.2.3+build",
      "v01.2.3",
      "v1.2.3-01",
      "V1.2.3",
      "latest",
      "vv1.0.0",
    ]);
  });
  it("obeys the order laws", () => {
    const arb = fc
      .tuple(
        small.filter((s) => s !== "01"),
        small.filter((s) => s !== "01"),
        fc.constantFrom(
          "",
          "-0.20191109021931-daa7c04131f5",
          "-pre.0.20200101000000-abcdefabcdef",
          "-pre",
          "-20191109021931-daa7c04131f5",
        ),
        fc.constantFrom("", "+incompatible"),
      )
      .map(([a, b, pre, inc]) => `v${a}.${b}.0${pre}${inc}`);
    expectLaws(goScheme, arb);
  });
});

describe("Maven (POM reference, Version Order Specification)", () => {
  it("splits as the spec's example shows", () => {
    // "1-1.foo-bar1baz-.1 -> 1-1.foo-bar-1-baz-0.1"
    const raw = tokenizeMaven("1-1.foo-bar1baz-.1")
      .map((t, i) => (i === 0 ? "" : t.sep) + t.text)
      .join("");
    expect(raw).toBe("1-1.foo-bar-1-baz-0.1");
  });
  it.each([
    ["1.0.0", "1"],
    ["1.ga", "1"],
    ["1.final", "1"],
    ["1.0", "1"],
    ["1.", "1"],
    ["1-", "1"],
    ["1.0.0-foo.0.0", "1-foo"],
    ["1.0.0-0.0.0", "1"],
  ])("trims %s to %s (spec trimming examples)", (v, canonical) => {
    expect(parseMavenVersion(v)!.canonical).toBe(canonical);
  });
  it("orders the spec's examples", () => {
    expectAscending(mavenScheme, ["1", "1.1"]); // number padding
    expectAscending(mavenScheme, ["1-snapshot", "1", "1-sp"]); // qualifier padding
    expectAscending(mavenScheme, ["1-foo2", "1-foo10"]); // switching to numeric order
    expectAscending(mavenScheme, ["1.foo", "1-1", "1.1"]);
    expectEqual(mavenScheme, ["1.foo", "1-foo"]);
    expectEqual(mavenScheme, ["1.ga", "1-ga", "1-0", "1.0", "1"]); // trailing "null" values
    expectAscending(mavenScheme, ["1-ga", "1-sp"]);
    expectAscending(mavenScheme, ["1-ga.1", "1-sp.1"]);
    expectAscending(mavenScheme, ["1-sp-1", "1-ga-1"]);
    expectEqual(mavenScheme, ["1-ga-1", "1-1"]);
    expectEqual(mavenScheme, ["1-a1", "1-alpha-1"]);
    expectEqual(mavenScheme, ["1.0-alpha1", "1.0-ALPHA1"]); // case insensitivity
    expectAscending(mavenScheme, ["1.K", "1.7"]);
    expectAscending(mavenScheme, ["5.aardvark", "5.zebra"]);
    expectAscending(mavenScheme, ["1.b", "1.α"]);
    // Qualifier order: alpha < beta < milestone < rc = cr < snapshot < "" = final = ga < sp.
    expectAscending(mavenScheme, ["1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp"]);
    expectEqual(mavenScheme, ["1-rc", "1-cr"]);
    expectEqual(mavenScheme, ["1", "1-final", "1-ga", "1-release"]);
  });
  it("orders ComparableVersion's documented examples", () => {
    // "1.0.RC2 < 1.0-RC3 < 1.0.1" and "1.0.X2 < 1.0-X3 < 1.0.1"
    expectAscending(mavenScheme, ["1.0.RC2", "1.0-RC3", "1.0.1"]);
    expectAscending(mavenScheme, ["1.0.X2", "1.0-X3", "1.0.1"]);
    // "1.0alpha1 => [1, [alpha, 1]]" and a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    expectEqual(mavenScheme, ["1.0alpha1", "1-alpha-1", "1.0a1", "1.0-a1"]);
    expectEqual(mavenScheme, ["1.0-b1", "1.0-beta1"]);
    expectEqual(mavenScheme, ["1.0-m1", "1.0-milestone1"]);
    expectAscending(mavenScheme, [
      "NotAVersionSting",
      "1.0a1-SNAPSHOT",
      "1.0-alpha1",
      "1.0beta1-SNAPSHOT",
      "1.0-b2",
      "1.0-beta3.SNAPSHOT",
      "1.0-beta3",
      "1.0-milestone1-SNAPSHOT",
      "1.0-m2",
      "1.0-rc1-SNAPSHOT",
      "1.0-cr1",
      "1.0-SNAPSHOT",
      "1.0",
      "1.0-sp",
      "1.0-a",
      "1.0-whatever",
      "1.0.z",
      "1.0.1",
      "1.0.1.0.0.0.0.0.0.0.0.0.0.0.1",
    ]);
  });
  it("rejects empty and whitespace-containing strings", () => {
    expectInvalid(mavenScheme, ["", " ", "1.0 beta", "1.0\n", "\u0000"]);
  });
  it("obeys the order laws", () => {
    const part = fc.constantFrom(
      "0",
      "1",
      "2",
      "10",
      "a",
      "b1",
      "alpha",
      "rc",
      "cr",
      "snapshot",
      "ga",
      "sp",
      "foo",
      "",
      "m2",
      "final",
    );
    const arb = fc
      .tuple(
        fc.constantFrom("0", "1", "2", "foo"),
        fc.array(fc.tuple(fc.constantFrom(".", "-", ""), part), { maxLength: 5 }),
      )
      .map(([first, rest]) => first + rest.map(([s, p]) => s + p).join(""));
    expectLaws(mavenScheme, arb);
  });
});

describe("schemeForEcosystem", () => {
  it("returns part 1 and part 2 schemes by OSV ecosystem name", () => {
    expect(schemeForEcosystem("npm")?.name).toBe("npm");
    expect(schemeForEcosystem("PyPI")?.name).toBe("PyPI");
    expect(schemeForEcosystem("Go")?.name).toBe("Go");
    expect(schemeForEcosystem("Maven")?.name).toBe("Maven");
    expect(schemeForEcosystem("Debian:12")).toBe(schemeForEcosystem("Debian"));
    expect(schemeForEcosystem("pypi")).toBeUndefined();
    expect(schemeForEcosystem("")).toBeUndefined();
  });
  it("gives every registered scheme the VersionScheme contract", () => {
    for (const eco of knownEcosystems()) {
      const scheme = schemeForEcosystem(eco)!;
      expect(typeof scheme.name).toBe("string");
      for (const junk of ["", "\u0000", "💥", "1".repeat(5000)]) {
        expect(() => scheme.parse(junk)).not.toThrow();
        expect(() => scheme.isValid(junk)).not.toThrow();
      }
    }
  });
});
