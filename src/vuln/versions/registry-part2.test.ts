import { describe, expect, it } from "vitest";
import { PART2_SCHEMES } from "./registry-part2.js";

// Contract test: every OSV ecosystem of this group has a scheme that honours the interface.
const SAMPLE: Record<string, [string, string]> = {
  RubyGems: ["1.0.a", "1.0"],
  Packagist: ["1.0.0-RC1", "1.0.0"],
  NuGet: ["1.0.0-beta", "1.0.0"],
  "crates.io": ["1.0.0-alpha", "1.0.0"],
  Debian: ["1.0~rc1-1", "1.0-1"],
  Ubuntu: ["1.0-1ubuntu1", "1.0-1ubuntu2"],
  Alpine: ["1.0_rc1-r0", "1.0-r0"],
  "Red Hat": ["0:1.0-1.el9", "0:1.0-2.el9"],
  "Rocky Linux": ["1.0~rc1", "1.0"],
  AlmaLinux: ["1.0-1.el8", "1:0.1-1.el8"],
  openSUSE: ["1.0-150400.1", "1.0-150500.1"],
  SUSE: ["1.0^git1", "1.0.1"],
  Mageia: ["1.0-1.mga8", "1.0-1.mga9"],
};

describe("PART2_SCHEMES", () => {
  it("covers exactly the expected OSV ecosystems", () => {
    expect([...PART2_SCHEMES.keys()].sort()).toEqual(Object.keys(SAMPLE).sort());
  });

  it.each(Object.entries(SAMPLE))("%s orders its sample and rejects garbage", (ecosystem, [older, newer]) => {
    const scheme = PART2_SCHEMES.get(ecosystem)!;
    expect(scheme.isValid(older) && scheme.isValid(newer)).toBe(true);
    expect(scheme.compare(older, newer)).toBeLessThan(0);
    expect(scheme.compare(newer, older)).toBeGreaterThan(0);
    expect(scheme.compare(newer, newer)).toBe(0);
    expect(scheme.isValid("\u0000 not a version")).toBe(false);
    expect(scheme.parse("\u0000 not a version")).toBeUndefined();
  });
});
