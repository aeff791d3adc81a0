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

describe.skipIf(!shared)("CVSS v3 base scores agree with the advisories' own ratings", () => {
  it("every GitHub advisory's CVSS v3 vector scores into the rating GitHub gives it", async () => {
    const { cvss3 } = await import("../../src/vuln/cvss.js");
    const dir = join(shared ?? "", "vuln-data/osv");
    const rows: string[] = [];
    let checked = 0;
    for (const f of readdirSync(dir).filter((x) => x.startsWith("GHSA-"))) {
      const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
        id: string;
        severity?: { type: string; score: string }[];
        database_specific?: { severity?: string };
      };
      const label = r.database_specific?.severity?.toUpperCase().replace("MODERATE", "MEDIUM");
      const v3 = r.severity?.find((s) => s.type === "CVSS_V3");
      if (!label || !v3) continue;
      // GitHub rates by the newest vector it has; skip records whose v4 vector drives the rating.
      if (r.severity?.some((s) => s.type === "CVSS_V4")) continue;
      checked++;
      const score = cvss3(v3.score);
      if (score?.severity !== label)
        rows.push(`${r.id}: ${v3.score} → ${score?.baseScore} ${score?.severity}, GitHub says ${label}`);
    }
    expect(checked).toBeGreaterThan(20);
    expect(rows).toEqual([]);
  });
});
