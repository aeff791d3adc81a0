import { describe, expect, it } from "vitest";
import { evaluateAffected, type OsvAffected } from "./ranges.js";
import type { VersionScheme } from "./versions/types.js";

/** Dotted numbers only: enough to pin down the range algorithm independently of real schemes. */
const dotted: VersionScheme = {
  name: "dotted",
  isValid: (v) => /^\d+(\.\d+)*$/.test(v),
  parse: (v) => (/^\d+(\.\d+)*$/.test(v) ? v.split(".").map(Number) : undefined),
  compare: (a, b) => {
    const x = a.split(".").map(Number);
    const y = b.split(".").map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d) return d < 0 ? -1 : 1;
    }
    return 0;
  },
};

const check = (version: string, affected: OsvAffected) => evaluateAffected(version, affected, dotted, dotted);
const eco = (...events: object[]): OsvAffected => ({
  ranges: [{ type: "ECOSYSTEM", events: events as never }],
});

describe("OSV range evaluation (schema 'Evaluation' section)", () => {
  it.each([
    ["0.9", false],
    ["1.0", true],
    ["1.4.9", true],
    ["1.5", false],
    ["2.0", false],
  ])("introduced 1.0, fixed 1.5: %s → %s", (v, want) => {
    expect(check(v, eco({ introduced: "1.0" }, { fixed: "1.5" })).affected).toBe(want);
  });

  it("introduced 0 covers everything below the fix, and names the fix", () => {
    const r = check("0.0.1", eco({ introduced: "0" }, { fixed: "2.0" }));
    expect(r).toMatchObject({ affected: true, via: 0, fixedVersions: ["2.0"] });
  });

  it("last_affected is inclusive", () => {
    const a = eco({ introduced: "1.0" }, { last_affected: "1.2" });
    expect(check("1.2", a).affected).toBe(true);
    expect(check("1.2.1", a).affected).toBe(false);
    expect(check("1.2", a).fixedVersions).toEqual([]);
  });

  it("handles several introduced/fixed pairs in one range, in any order in the file", () => {
    const a = eco({ fixed: "2.5" }, { introduced: "2.0" }, { fixed: "1.5" }, { introduced: "1.0" });
    expect(["0.5", "1.0", "1.6", "2.0", "2.6"].map((v) => check(v, a).affected)).toEqual([
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(check("2.1", a).fixedVersions).toEqual(["2.5"]);
  });

  it("honours limit events (below the limit only; '*' means none)", () => {
    const a = eco({ introduced: "1.0" }, { limit: "1.3" });
    expect(check("1.2", a).affected).toBe(true);
    expect(check("1.3", a).affected).toBe(false);
    expect(check("5.0", eco({ introduced: "1.0" }, { limit: "*" })).affected).toBe(true);
  });

  it("reads an explicit '*' limit as infinity even beside another limit (BeforeLimits: any limit above v)", () => {
    const a = eco({ introduced: "1.0" }, { limit: "1.3" }, { limit: "*" });
    expect(check("1.2", a).affected).toBe(true);
    expect(check("5.0", a).affected).toBe(true);
    expect(check("0.9", a).affected).toBe(false);
  });

  it("matches explicit versions lists, even for versions no range can order", () => {
    expect(check("1.7", { versions: ["1.7", "1.8"] })).toMatchObject({ affected: true, via: "versions" });
    expect(check("weird-1", { versions: ["weird-1"] }).affected).toBe(true);
  });

  it("skips GIT ranges and unparseable bounds with a note, never silently", () => {
    const r = check("1.1", {
      ranges: [
        {
          type: "GIT",
          repo: "https://example.invalid/r",
          events: [{ introduced: "0" }, { fixed: "abc123" }],
        },
        { type: "ECOSYSTEM", events: [{ introduced: "1.0" }, { fixed: "not-a-version" }] },
      ],
    });
    expect(r.affected).toBe(true);
    expect(r.notes.join("\n")).toMatch(/GIT range/);
    expect(r.notes.join("\n")).toMatch(/"not-a-version" is not a valid/);
  });

  it("does not guess an unparseable installed version into a range", () => {
    const r = check("latest", eco({ introduced: "0" }));
    expect(r.affected).toBe(false);
    expect(r.notes[0]).toMatch(/not a valid dotted version/);
  });

  it("an empty range (introduced X, fixed X) affects nothing", () => {
    expect(check("1.0", eco({ introduced: "1.0" }, { fixed: "1.0" })).affected).toBe(false);
  });
});
