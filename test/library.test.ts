// The built-in policy library (src/library/<set>/): every set's own PolicyTest cases pass, and every
// policy has at least one case where it is violated and one where it is evaluated and holds.
import { beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "../src/core/index.js";
import { parseIacFile } from "../src/iac/index.js";
import { librarySets, loadPolicySet, runPolicyTests } from "../src/policy/index.js";

const clock = fixedClock("2026-11-21T12:00:00Z");

describe("built-in policy library", () => {
  const sets = librarySets();

  it("has the sets the docs list", () => {
    expect(sets).toContain("vulnerabilities");
  });

  for (const name of sets) {
    describe(`builtin:${name}`, () => {
      let set: Awaited<ReturnType<typeof loadPolicySet>>;
      let own: typeof set.rules;
      let results: Awaited<ReturnType<typeof runPolicyTests>>;
      beforeAll(async () => {
        set = await loadPolicySet([`builtin:${name}`]);
        own = set.rules.filter((r) => r.library?.name === name && r.file.startsWith(`builtin:${name}/`));
        results = await runPolicyTests(set, { clock, parseFile: parseIacFile });
      });

      it("its test cases pass", () => {
        expect(results.filter((r) => !r.passed).map((r) => `${r.case.name}: ${r.failure}`)).toEqual([]);
        expect(results.length).toBeGreaterThan(0);
      });

      it("every policy is violated in some case and holds in another", () => {
        const violatedIn = new Set(results.flatMap((r) => r.case.violations ?? []));
        const missingFail = own.map((r) => r.id).filter((id) => !violatedIn.has(id));
        expect(missingFail, "policies without a failing case").toEqual([]);
        const heldIn = new Set(
          results.flatMap((r) => (r.evaluated ?? []).filter((id) => !(r.violations ?? []).includes(id))),
        );
        const missingPass = own.map((r) => r.id).filter((id) => !heldIn.has(id));
        expect(missingPass, "policies without a passing case").toEqual([]);
      });

      it("every policy has a title, a description (rationale) and a remediation", () => {
        for (const r of own) {
          expect(r.title, r.id).toBeTruthy();
          expect(r.description, `${r.id} description`).toBeTruthy();
          expect(
            r.remediation ?? r.validations.every((v) => v.remediation),
            `${r.id} remediation`,
          ).toBeTruthy();
        }
      });
    });
  }
});
