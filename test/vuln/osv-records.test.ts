import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateAffected, type OsvAffected } from "../../src/vuln/ranges.js";
import { schemeForEcosystem, semverScheme } from "../../src/vuln/versions/index.js";
import { requireShared } from "../support/shared.js";

const shared = requireShared();

interface Rec {
  id: string;
  affected?: (OsvAffected & { package?: { ecosystem: string; name: string } })[];
}

/**
 * Real published OSV records that carry both ranges and an explicit `versions` list (osv.dev and
 * RustSec exports enumerate the versions their ranges cover). Evaluating every listed version with
 * the ranges ALONE must say "affected": this checks the range algorithm and each ecosystem's
 * version ordering against the publishers' own enumeration.
 */
describe.skipIf(!shared)("OSV range evaluation agrees with the records' own version lists", () => {
  const dir = join(shared ?? "", "vuln-data/osv");
  const records: Rec[] = shared
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as Rec)
    : [];
  const cases = records.flatMap((r) =>
    (r.affected ?? [])
      .map((a, i) => ({ id: r.id, i, a, ecosystem: a.package?.ecosystem.split(":")[0] ?? "" }))
      .filter((c) => c.a.versions?.length && c.a.ranges?.some((x) => x.type !== "GIT")),
  );

  it("finds such records", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it("every range bound in every record is a valid version of its ecosystem (or of SemVer for SEMVER ranges)", () => {
    const invalid: string[] = [];
    for (const r of records) {
      for (const a of r.affected ?? []) {
        const eco = a.package?.ecosystem.split(":")[0] ?? "";
        for (const range of a.ranges ?? []) {
          if (range.type === "GIT") continue;
          const scheme = range.type === "SEMVER" ? semverScheme : schemeForEcosystem(eco);
          for (const e of range.events) {
            const v = Object.values(e)[0] as string;
            if (v === "0" || v === "*") continue;
            if (!scheme?.isValid(v)) invalid.push(`${r.id} ${eco} ${range.type} ${v}`);
          }
        }
      }
    }
    expect(invalid).toEqual([]);
  });

  it.each(cases.map((c) => [`${c.id} affected[${c.i}] (${c.ecosystem})`, c] as const))("%s", (_name, c) => {
    const scheme = schemeForEcosystem(c.ecosystem);
    expect(scheme, `a version scheme for ${c.ecosystem}`).toBeDefined();
    const rangesOnly: OsvAffected = { ranges: c.a.ranges! };
    const wrong = c.a.versions!.filter(
      (v) => !evaluateAffected(v, rangesOnly, scheme!, semverScheme).affected,
    );
    expect(wrong).toEqual([]);
  });
});
