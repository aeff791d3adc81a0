import { type JUnitTestSuite, writeJUnitXml } from "../../formats/index.js";
import type { PolicyTestResult } from "../../policy/index.js";

/** `bulwark policy test --format junit`: one suite per PolicyTest document, one case per test case. */
export function renderTestsJunit(results: readonly PolicyTestResult[]): string {
  const suites = new Map<string, PolicyTestResult[]>();
  for (const r of results) {
    const key = `${r.case.file}#${r.case.suite}`;
    suites.set(key, [...(suites.get(key) ?? []), r]);
  }
  const out: JUnitTestSuite[] = [...suites.values()].map((rs) => ({
    name: rs[0]!.case.suite,
    testCases: rs.map((r) => ({
      name: r.case.name,
      classname: `${r.case.file}.${r.case.suite}`,
      outcome: r.passed
        ? { kind: "passed" as const }
        : { kind: "failure" as const, message: r.failure ?? "failed", type: "PolicyTestFailed" },
    })),
  }));
  return writeJUnitXml({ name: "bulwark policy test", suites: out });
}
