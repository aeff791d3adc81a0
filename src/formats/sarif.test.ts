import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { requireShared } from "../../test/support/shared.js";
import {
  buildSarifLog,
  SARIF_SEVERITIES,
  type SarifLogInput,
  type SarifResultInput,
  type SarifRuleInput,
  type SarifSeverity,
  toArtifactUri,
} from "./index.js";

const rules: SarifRuleInput[] = [
  {
    id: "K8S-010",
    name: "ImagesMustBePinned",
    shortDescription: "Images must be pinned by digest",
    severity: "medium",
    helpText: "Use image@sha256:…",
    helpMarkdown: "Use `image@sha256:…`",
    helpUri: "https://example.test/K8S-010",
    tags: ["kubernetes"],
  },
  { id: "K8S-001", shortDescription: "Containers must not run as root", severity: "high" },
];

const results: SarifResultInput[] = [
  { ruleId: "K8S-010", message: "tag latest", location: { path: "k8s/web.yaml", line: 30, column: 7 } },
  { ruleId: "K8S-001", message: "runs as root", location: { path: "k8s\\web.yaml", line: 12, column: 9 } },
  {
    ruleId: "K8S-001",
    message: "runs as root",
    severity: "critical",
    location: { path: "./k8s/legacy.yaml", line: 3 },
    suppression: { justification: "ticket SEC-123" },
    partialFingerprints: { "b/v1": "2", "a/v1": "1" },
    properties: { enforcement: "deny" },
  },
];

const input: SarifLogInput = { tool: { name: "bulwark", version: "1.2.3" }, rules, results };

describe("buildSarifLog", () => {
  it("maps every severity to its level and GitHub security-severity", () => {
    const expected: Record<SarifSeverity, [string, string]> = {
      critical: ["error", "9.5"],
      high: ["error", "8.0"],
      medium: ["warning", "5.5"],
      low: ["note", "3.0"],
      info: ["note", "0.0"],
    };
    for (const severity of SARIF_SEVERITIES) {
      const log = buildSarifLog({
        tool: { name: "t" },
        rules: [{ id: "R", shortDescription: "r", severity }],
        results: [{ ruleId: "R", message: "m", location: { path: "f" } }],
      });
      const run = log.runs[0]!;
      const rule = run.tool.driver.rules[0]!;
      expect([rule.defaultConfiguration.level, rule.properties["security-severity"]]).toEqual(
        expected[severity],
      );
      expect(run.results[0]!.level).toBe(expected[severity][0]);
    }
  });

  it("sorts rules by id, points ruleIndex at the right rule and orders results by location", () => {
    const run = buildSarifLog(input).runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(["K8S-001", "K8S-010"]);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
    expect(run.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri)).toEqual([
      "k8s/legacy.yaml",
      "k8s/web.yaml",
      "k8s/web.yaml",
    ]);
    expect(run.results.map((r) => r.locations[0]!.physicalLocation.region?.startLine)).toEqual([3, 12, 30]);
  });

  it("is byte-identical whatever order rules and results come in", () => {
    const reversed = { ...input, rules: [...rules].reverse(), results: [...results].reverse() };
    expect(JSON.stringify(buildSarifLog(reversed))).toBe(JSON.stringify(buildSarifLog(input)));
  });

  it("orders results that tie on location, rule and message by their remaining content", () => {
    const twins: SarifResultInput[] = [
      { ruleId: "K8S-001", message: "same", location: { path: "f" }, partialFingerprints: { "k/v1": "b" } },
      { ruleId: "K8S-001", message: "same", location: { path: "f" }, partialFingerprints: { "k/v1": "a" } },
    ];
    const forward = buildSarifLog({ ...input, results: twins });
    const backward = buildSarifLog({ ...input, results: [...twins].reverse() });
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
  });

  it("uses a result's own severity, the suppression and sorted fingerprints", () => {
    const legacy = buildSarifLog(input).runs[0]!.results[0]!;
    expect(legacy.level).toBe("error");
    expect(legacy.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: "ticket SEC-123" },
    ]);
    expect(Object.keys(legacy.partialFingerprints!)).toEqual(["a/v1", "b/v1"]);
    expect(legacy.properties).toEqual({ enforcement: "deny" });
    expect(legacy.locations[0]!.physicalLocation.region).toEqual({ startLine: 3 });
  });

  it("always tags rules `security` so GitHub reads security-severity", () => {
    const driverRules = buildSarifLog(input).runs[0]!.tool.driver.rules;
    expect(driverRules[0]!.properties.tags).toEqual(["security"]);
    expect(driverRules[1]!.properties.tags).toEqual(["kubernetes", "security"]);
    expect(driverRules[1]!.help).toEqual({ text: "Use image@sha256:…", markdown: "Use `image@sha256:…`" });
  });

  it("falls back to the rule's description for an empty message", () => {
    const log = buildSarifLog({ ...input, results: [{ ruleId: "K8S-001", message: "  " }] });
    expect(log.runs[0]!.results[0]!.message.text).toBe("Containers must not run as root");
    expect(log.runs[0]!.results[0]!.locations).toEqual([]);
  });

  it("drops regions that are not 1-based integers", () => {
    for (const [line, column, region] of [
      [0, 1, undefined],
      [1.5, 1, undefined],
      [2, 0, { startLine: 2 }],
      [2, Number.NaN, { startLine: 2 }],
    ] as const) {
      const log = buildSarifLog({
        ...input,
        results: [{ ruleId: "K8S-001", message: "m", location: { path: "f", line, column } }],
      });
      expect(log.runs[0]!.results[0]!.locations[0]!.physicalLocation.region).toEqual(region);
    }
  });

  it("rejects a repeated rule id and a result naming an unknown rule", () => {
    expect(() => buildSarifLog({ ...input, rules: [...rules, rules[0]!] })).toThrow(/K8S-010.*twice/);
    expect(() => buildSarifLog({ ...input, results: [{ ruleId: "NOPE", message: "m" }] })).toThrow(/NOPE/);
  });
});

describe("toArtifactUri", () => {
  it.each([
    ["k8s/web.yaml", "k8s/web.yaml"],
    ["k8s\\web.yaml", "k8s/web.yaml"],
    ["./././k8s//web.yaml", "k8s/web.yaml"],
    ["dir with space/a:b#c?.yaml", "dir%20with%20space/a%3Ab%23c%3F.yaml"],
    ["../outside.yaml", "../outside.yaml"],
    ["/abs/path.yaml", "file:///abs/path.yaml"],
    ["C:\\src\\x.yaml", "file:///C:/src/x.yaml"],
    ["./", ""],
  ])("%s → %s", (path, uri) => {
    expect(toArtifactUri(path)).toBe(uri);
  });

  it("marks relative URIs with %SRCROOT% and leaves file: URIs alone", () => {
    const log = buildSarifLog({
      ...input,
      results: [
        { ruleId: "K8S-001", message: "a", location: { path: "rel.yaml" } },
        { ruleId: "K8S-001", message: "b", location: { path: "/abs.yaml" } },
      ],
    });
    expect(log.runs[0]!.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation)).toEqual([
      { uri: "file:///abs.yaml" },
      { uri: "rel.yaml", uriBaseId: "%SRCROOT%" },
    ]);
  });
});

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `default` is the export.
const Ajv04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

const shared = requireShared();

describe.skipIf(!shared)("SARIF conformance (official OASIS schema)", () => {
  const validate = () => {
    const schema = JSON.parse(readFileSync(join(shared!, "schemas/sarif/sarif-schema-2.1.0.json"), "utf8"));
    const ajv = new Ajv04({ allErrors: true, strict: false });
    addFormats(ajv);
    return ajv.compile(schema);
  };

  it("accepts the log we build", () => {
    const check = validate();
    const ok = check(buildSarifLog(input));
    expect(check.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("rejects a log the schema forbids (the validator is really checking)", () => {
    const check = validate();
    const log = buildSarifLog(input);
    const broken = structuredClone(log) as unknown as { runs: { results: { locations: unknown[] }[] }[] };
    broken.runs[0]!.results[0]!.locations = [{ physicalLocation: { region: { startLine: 0 } } }];
    expect(check(broken)).toBe(false);
    expect(check({ ...log, version: "2.0.0" })).toBe(false);
  });
});
