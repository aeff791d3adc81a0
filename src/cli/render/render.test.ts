import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parseXml, requireShared, xmlElements } from "../../../test/support/shared.js";
import type { SarifLog } from "../../formats/index.js";
import type { EvaluationReport, EvaluationResult, Violation } from "../../policy/index.js";
import {
  isRenderFormat,
  RENDER_FORMATS,
  type RenderOptions,
  render,
  renderGithub,
  renderJson,
  renderJunit,
  renderMarkdown,
  renderSarif,
  renderTable,
} from "./index.js";

const DIGEST = `sha256:${"ab".repeat(32)}` as const;
const PLAIN: RenderOptions = { color: false, toolVersion: "0.1.0-test" };
const ESC = "\u001b";

const rootDeny: Violation = {
  policyId: "K8S-001",
  title: "Containers must not run as root",
  severity: "high",
  enforcement: "deny",
  message: 'container "web" runs as root (runAsUser: 0)',
  remediation: "Set securityContext.runAsNonRoot: true.",
  location: {
    file: "k8s/shop.yaml",
    line: 21,
    column: 13,
    path: "spec.template.spec.containers[0].securityContext.runAsUser",
    document: 0,
  },
  policyLocation: { file: "policies/k8s.yaml", line: 14, column: 9 },
};

const pinWarn: Violation = {
  policyId: "K8S-010",
  title: "Images must be pinned by digest",
  severity: "medium",
  enforcement: "warn",
  message: 'image "shop/web:latest" | pinned: no, 100%\nuse a digest',
  location: { file: "k8s/shop.yaml", line: 18, column: 18 },
};

const ownerAudit: Violation = {
  policyId: "K8S-100",
  title: "Services should declare an owner",
  severity: "low",
  enforcement: "audit",
  message: "no owner label",
  location: { file: "k8s/shop.yaml", line: 40, column: 3 },
};

const waivedRoot: Violation = {
  policyId: "K8S-001",
  title: "Containers must not run as root",
  severity: "high",
  enforcement: "deny",
  message: 'container "billing" runs as root',
  location: { file: "k8s/legacy.yaml", line: 9, column: 7 },
  exception: { reason: "vendor fix pending, ticket SEC-123", expires: "2027-01-31", status: "applied" },
};

const expiredUser: Violation = {
  policyId: "DKR-003",
  title: "Containers must not run as root",
  severity: "critical",
  enforcement: "deny",
  message: "USER root in final stage <&'\"> \u0007 a\\|b",
  location: { file: "docker/Dockerfile", line: 12, column: 1 },
  exception: { reason: "migration to distroless", expires: "2026-06-30", status: "expired" },
  reason: "Forbidden",
};

/** Five documents in four files: a denied Deployment, an audited Service, a waived Deployment,
 * a Dockerfile whose exception expired, and a clean ConfigMap. */
const report: EvaluationReport = {
  decision: "deny",
  policySetDigest: DIGEST,
  environment: "production",
  time: "2026-08-01T12:00:00Z",
  results: [
    {
      source: { file: "k8s/shop.yaml", document: 0 },
      resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
      decision: "deny",
      violations: [rootDeny, pinWarn],
      evaluated: ["K8S-001", "K8S-010", "K8S-020"],
    },
    {
      source: { file: "k8s/shop.yaml", document: 1 },
      resource: { apiVersion: "v1", kind: "Service", namespace: "shop", name: "web" },
      decision: "allow",
      violations: [ownerAudit],
      auditAnnotations: { "K8S-100/owner": "missing", "K8S-100/checked": "true" },
      evaluated: ["K8S-100"],
    },
    {
      source: { file: "k8s/legacy.yaml", document: 0 },
      resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: "legacy", name: "billing" },
      decision: "allow",
      violations: [waivedRoot],
      evaluated: ["K8S-001", "K8S-010"],
    },
    {
      source: { file: "docker/Dockerfile", document: 0 },
      resource: { kind: "Dockerfile" },
      decision: "deny",
      violations: [expiredUser],
      evaluated: ["DKR-001", "DKR-003"],
    },
    {
      source: { file: "k8s/config.yaml", document: 0 },
      resource: { apiVersion: "v1", kind: "ConfigMap", name: "settings" },
      decision: "allow",
      violations: [],
      evaluated: ["K8S-020"],
    },
  ],
};

const allowReport: EvaluationReport = {
  decision: "allow",
  policySetDigest: DIGEST,
  time: "2026-08-01T12:00:00Z",
  results: [report.results[4]!],
};

function withResults(...results: EvaluationResult[]): EvaluationReport {
  return { ...report, results };
}

const stripAnsi = (s: string): string => s.replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "");

describe("table", () => {
  const out = renderTable(report, PLAIN);
  const lines = out.split("\n");

  it("prints the exact human line for a deny, with severity, enforcement and location", () => {
    expect(lines).toContain(
      '  high     deny  k8s/shop.yaml:21:13  Build failed: Deployment/shop/web violates Security Policy K8S-001 (Containers must not run as root): container "web" runs as root (runAsUser: 0)',
    );
  });

  it("prints warn, audit, waived and expired-exception lines", () => {
    expect(out).toContain(
      'Warning: Deployment/shop/web violates Security Policy K8S-010 (Images must be pinned by digest): image "shop/web:latest" | pinned: no, 100%\\nuse a digest\n',
    );
    expect(out).toContain(
      "Audit: Service/shop/web violates Security Policy K8S-100 (Services should declare an owner): no owner label\n",
    );
    expect(out).toContain(
      'Waived: Deployment/legacy/billing violates Security Policy K8S-001 (Containers must not run as root): container "billing" runs as root (exception: vendor fix pending, ticket SEC-123, expires 2027-01-31)\n',
    );
    expect(out).toContain(
      "  critical deny  docker/Dockerfile:12:1  Build failed: docker/Dockerfile violates Security Policy DKR-003 (Containers must not run as root): USER root in final stage <&'\"> \\x07 a\\|b (exception expired 2026-06-30: migration to distroless)\n",
    );
  });

  it("heads each document with violations and skips clean ones", () => {
    expect(lines).toContain("k8s/shop.yaml#0 Deployment/shop/web");
    expect(lines).toContain("k8s/shop.yaml#1 Service/shop/web");
    expect(lines).toContain("docker/Dockerfile#0 Dockerfile");
    expect(out).not.toContain("ConfigMap");
  });

  it("ends with the decision summary", () => {
    expect(out.endsWith(`\nDecision: DENY — 5 documents, 2 denied, 1 warning (policy set ${DIGEST})\n`)).toBe(
      true,
    );
    expect(renderTable(allowReport, PLAIN)).toBe(
      `No violations.\n\nDecision: ALLOW — 1 document, 0 denied, 0 warnings (policy set ${DIGEST})\n`,
    );
  });

  it("has no ANSI codes without colour, and only adds colour codes with it", () => {
    expect(out).not.toContain(ESC);
    const coloured = renderTable(report, { ...PLAIN, color: true });
    expect(coloured).toContain(`${ESC}[31mBuild failed: Deployment/shop/web`);
    expect(coloured).toContain(`${ESC}[33mWarning: `);
    expect(coloured).toContain(`Decision: ${ESC}[31mDENY${ESC}[0m`);
    expect(stripAnsi(coloured)).toBe(out);
    expect(renderTable(allowReport, { ...PLAIN, color: true })).toContain(`${ESC}[32mALLOW`);
  });

  it("keeps terminal escapes and line breaks from the input inert", () => {
    const hostile = withResults({
      ...report.results[0]!,
      violations: [{ ...rootDeny, message: `evil${ESC}[2J\r\n\u202Eexe.txt` }],
    });
    const text = renderTable(hostile, PLAIN);
    expect(text).not.toContain(ESC);
    expect(text).not.toContain("\u202E");
    expect(text).toContain("evil\\x1b[2J\\r\\n\\u202eexe.txt");
  });

  it("leaves out audit and waived findings when quiet", () => {
    const quiet = renderTable(report, { ...PLAIN, quiet: true });
    expect(quiet).not.toMatch(/^ .*(Audit|Waived): /m);
    expect(quiet).not.toContain("Service/shop/web");
    expect(quiet).toContain("Build failed: Deployment/shop/web");
    expect(quiet).toContain("Warning: Deployment/shop/web");
    expect(quiet).toContain("Decision: DENY");
  });
});

describe("json", () => {
  const out = renderJson(report, PLAIN);

  it("is the report, 2-space indented, with a trailing newline", () => {
    expect(JSON.parse(out)).toEqual(report);
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.startsWith('{\n  "decision": "deny",\n  "policySetDigest": ')).toBe(true);
  });

  it("writes keys in the documented order whatever order the report has", () => {
    const reverseKeys = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reverseKeys);
      if (v === null || typeof v !== "object") return v;
      return Object.fromEntries(
        Object.entries(v)
          .reverse()
          .map(([k, x]) => [k, reverseKeys(x)]),
      );
    };
    expect(renderJson(reverseKeys(report) as EvaluationReport, PLAIN)).toBe(out);

    const parsed = JSON.parse(out);
    expect(Object.keys(parsed)).toEqual(["decision", "policySetDigest", "environment", "time", "results"]);
    expect(Object.keys(parsed.results[1])).toEqual([
      "source",
      "resource",
      "decision",
      "violations",
      "auditAnnotations",
      "evaluated",
    ]);
    expect(Object.keys(parsed.results[0].resource)).toEqual(["apiVersion", "kind", "namespace", "name"]);
    expect(Object.keys(parsed.results[0].violations[0])).toEqual([
      "policyId",
      "title",
      "severity",
      "enforcement",
      "message",
      "remediation",
      "location",
      "policyLocation",
    ]);
    expect(Object.keys(parsed.results[0].violations[0].location)).toEqual([
      "file",
      "line",
      "column",
      "path",
      "document",
    ]);
    expect(Object.keys(parsed.results[3].violations[0])).toEqual([
      "policyId",
      "title",
      "severity",
      "enforcement",
      "message",
      "location",
      "exception",
      "reason",
    ]);
    expect(Object.keys(parsed.results[3].violations[0].exception)).toEqual(["reason", "expires", "status"]);
    expect(Object.keys(parsed.results[1].auditAnnotations)).toEqual(["K8S-100/checked", "K8S-100/owner"]);
  });

  it("omits unset optional fields and fields outside the schema", () => {
    const extra = { ...allowReport, internal: "x", results: [{ ...allowReport.results[0]!, cache: 1 }] };
    const parsed = JSON.parse(renderJson(extra as EvaluationReport, PLAIN));
    expect(parsed).not.toHaveProperty("internal");
    expect(parsed).not.toHaveProperty("environment");
    expect(parsed.results[0]).not.toHaveProperty("cache");
    expect(parsed.results[0]).not.toHaveProperty("auditAnnotations");
    expect(Object.keys(parsed.results[0].resource)).toEqual(["apiVersion", "kind", "name"]);
  });

  it("writes bigints instead of throwing: numbers when exact, strings otherwise", () => {
    const big = withResults({
      ...report.results[0]!,
      violations: [
        { ...rootDeny, location: { line: 12n, column: 2n ** 64n } as unknown as Violation["location"] },
      ],
    });
    const loc = JSON.parse(renderJson(big, PLAIN)).results[0].violations[0].location;
    expect(loc).toEqual({ line: 12, column: "18446744073709551616" });
  });
});

describe("sarif", () => {
  const log = JSON.parse(renderSarif(report, PLAIN)) as SarifLog;
  const run = log.runs[0]!;
  const byMessage = (part: string) => run.results.find((r) => r.message.text.includes(part))!;

  it("names the tool and describes every violated policy once, sorted", () => {
    expect(run.tool.driver.name).toBe("bulwark");
    expect(run.tool.driver.version).toBe("0.1.0-test");
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(["DKR-003", "K8S-001", "K8S-010", "K8S-100"]);
    const root = run.tool.driver.rules[1]!;
    expect(root.name).toBe("ContainersMustNotRunAsRoot");
    expect(root.shortDescription.text).toBe("Containers must not run as root");
    expect(root.help?.text).toBe("Set securityContext.runAsNonRoot: true.");
    expect(root.properties["security-severity"]).toBe("8.0");
    expect(root.properties.tags).toContain("security");
  });

  it("gives one result per violation, located, levelled by severity", () => {
    expect(run.results).toHaveLength(5);
    const deny = byMessage('"web" runs as root');
    expect(deny.ruleId).toBe("K8S-001");
    expect(deny.level).toBe("error");
    expect(deny.message.text).toBe('Deployment/shop/web: container "web" runs as root (runAsUser: 0)');
    expect(deny.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: "k8s/shop.yaml", uriBaseId: "%SRCROOT%" },
      region: { startLine: 21, startColumn: 13 },
    });
    expect(deny.suppressions).toBeUndefined();
    expect(byMessage("latest").level).toBe("warning");
    expect(byMessage("owner").level).toBe("note");
    expect(byMessage("USER root").level).toBe("error");
    expect(byMessage("USER root").message.text).toContain(
      "(exception expired 2026-06-30: migration to distroless)",
    );
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
  });

  it("reports waived violations as suppressed results", () => {
    const waived = byMessage('"billing"');
    expect(waived.suppressions).toEqual([
      { kind: "external", status: "accepted", justification: "vendor fix pending, ticket SEC-123" },
    ]);
    expect(run.results.filter((r) => r.suppressions)).toHaveLength(1);
  });

  it("describes the rule of a policy that is only ever waived", () => {
    const only = JSON.parse(renderSarif(withResults(report.results[2]!), PLAIN)) as SarifLog;
    expect(only.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual(["K8S-001"]);
  });

  it("falls back to the document's file, with forward slashes", () => {
    const noLoc = withResults({
      ...report.results[0]!,
      source: { file: "k8s\\win dows.yaml", document: 0 },
      violations: [{ ...rootDeny, location: undefined }],
    });
    const r = (JSON.parse(renderSarif(noLoc, PLAIN)) as SarifLog).runs[0]!.results[0]!;
    expect(r.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: "k8s/win%20dows.yaml", uriBaseId: "%SRCROOT%" },
    });
  });

  it("fingerprints survive line moves but not a different finding", () => {
    const fp = (v: Violation) =>
      (JSON.parse(renderSarif(withResults({ ...report.results[0]!, violations: [v] }), PLAIN)) as SarifLog)
        .runs[0]!.results[0]!.partialFingerprints!;
    const base = fp(rootDeny);
    expect(Object.values(base)[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(fp({ ...rootDeny, location: { ...rootDeny.location, line: 99 } })).toEqual(base);
    expect(fp({ ...rootDeny, message: "other" })).not.toEqual(base);
  });

  it("is deterministic", () => {
    expect(renderSarif(structuredClone(report), PLAIN)).toBe(renderSarif(report, PLAIN));
  });

  const shared = requireShared();
  it.skipIf(!shared)("validates against the official SARIF 2.1.0 schema", () => {
    const schema = JSON.parse(readFileSync(join(shared!, "schemas/sarif/sarif-schema-2.1.0.json"), "utf8"));
    const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    for (const r of [report, allowReport, withResults(report.results[2]!)]) {
      const valid = validate(JSON.parse(renderSarif(r, PLAIN)));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    }
  });
});

describe("junit", () => {
  const out = renderJunit(report, PLAIN);
  const root = parseXml(out);
  const suites = xmlElements(root, "testsuite");

  it("is well-formed, one suite per file, with matching counts", () => {
    expect(root.attributes).toMatchObject({ tests: "9", failures: "3", errors: "0", skipped: "1" });
    expect(suites.map((s) => s.attributes.name)).toEqual([
      "k8s/shop.yaml",
      "k8s/legacy.yaml",
      "docker/Dockerfile",
      "k8s/config.yaml",
    ]);
    expect(suites.map((s) => [s.attributes.tests, s.attributes.failures, s.attributes.skipped])).toEqual([
      ["4", "2", "0"],
      ["2", "0", "1"],
      ["2", "1", "0"],
      ["1", "0", "0"],
    ]);
    for (const s of suites) {
      const cases = xmlElements(s, "testcase");
      expect(cases).toHaveLength(Number(s.attributes.tests));
      expect(cases.filter((c) => xmlElements(c, "failure").length > 0)).toHaveLength(
        Number(s.attributes.failures),
      );
      expect(cases.filter((c) => xmlElements(c, "skipped").length > 0)).toHaveLength(
        Number(s.attributes.skipped),
      );
    }
  });

  it("has a case per document and evaluated policy; failures typed by enforcement", () => {
    const shop = xmlElements(suites[0]!, "testcase");
    expect(shop.map((c) => `${c.attributes.classname} ${c.attributes.name}`)).toEqual([
      "Deployment/shop/web K8S-001",
      "Deployment/shop/web K8S-010",
      "Deployment/shop/web K8S-020",
      "Service/shop/web K8S-100",
    ]);
    const [deny, warn, pass, audit] = shop;
    expect(xmlElements(deny!, "failure")[0]!.attributes).toEqual({
      message:
        'Build failed: Deployment/shop/web violates Security Policy K8S-001 (Containers must not run as root): container "web" runs as root (runAsUser: 0)',
      type: "deny",
    });
    expect(xmlElements(deny!, "failure")[0]!.text).toContain("Location: k8s/shop.yaml:21:13");
    expect(xmlElements(warn!, "failure")[0]!.attributes.type).toBe("warn");
    expect(pass!.children).toEqual([]);
    expect(xmlElements(audit!, "system-out")[0]!.text).toContain("Audit: Service/shop/web");
    expect(xmlElements(suites[1]!, "skipped")[0]!.attributes.message).toMatch(
      /^Waived: .*SEC-123, expires 2027-01-31\)$/,
    );
  });

  it("escapes markup and makes illegal control characters visible", () => {
    expect(out).toContain("&lt;&amp;&apos;&quot;&gt;");
    expect(out).not.toContain("\u0007");
    const failure = xmlElements(suites[2]!, "failure")[0]!;
    expect(failure.attributes.message).toContain(`USER root in final stage <&'"> \\u0007 a\\|b`);
    expect(failure.text).toContain("USER root in final stage <&'\"> \\u0007");
  });

  it("records the decision and policy set as suite properties", () => {
    const props = xmlElements(suites[0]!, "property").map((p) => [p.attributes.name, p.attributes.value]);
    expect(props).toEqual([
      ["decision", "deny"],
      ["policySetDigest", DIGEST],
      ["environment", "production"],
    ]);
  });
});

/** Pipes not preceded by an odd run of backslashes, i.e. the ones GFM reads as cell borders. */
function cellBorders(row: string): number {
  let n = 0;
  let backslashes = 0;
  for (const ch of row) {
    if (ch === "|" && backslashes % 2 === 0) n++;
    backslashes = ch === "\\" ? backslashes + 1 : 0;
  }
  return n;
}

describe("markdown", () => {
  const out = renderMarkdown(report, PLAIN);
  const lines = out.split("\n");

  it("heads the summary with the decision and a summary table", () => {
    expect(lines[0]).toBe("## Bulwark policy decision: DENY");
    expect(lines).toContain("| Documents | 5 |");
    expect(lines).toContain("| Denied | 2 |");
    expect(lines).toContain("| Warnings | 1 |");
    expect(lines).toContain(`| Policy set | ${DIGEST} |`);
    expect(lines).toContain("| Environment | production |");
  });

  it("lists every violation in a six-column table whose cells cannot break out", () => {
    const header = lines.indexOf("| Severity | Enforcement | Policy | Resource | Message | Location |");
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2).filter((l) => l.startsWith("|"));
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(cellBorders(row)).toBe(7);
    expect(rows[1]).toBe(
      '| medium | warn | K8S-010 Images must be pinned by digest | Deployment/shop/web | image "shop/web:latest" \\| pinned: no, 100%<br>use a digest | k8s/shop.yaml:18:18 |',
    );
    expect(rows[3]).toContain("| deny (waived) |");
    expect(rows[3]).toContain("(exception: vendor fix pending, ticket SEC-123, expires 2027-01-31)");
    expect(rows[4]).toContain("| docker/Dockerfile#0 |");
    expect(rows[4]).toContain("&lt;&amp;'\"&gt;");
    expect(rows[4]).toContain("a\\\\\\|b");
    expect(rows[4]).toContain("\\\\x07");
    expect(rows[4]).not.toContain("\u0007");
  });

  it("renders markup from the input literally", () => {
    const hostile = withResults({
      ...report.results[0]!,
      violations: [{ ...rootDeny, message: "*bold* _em_ `code` [link](http://x) <img src=x> &amp; ~~s~~" }],
    });
    const row = renderMarkdown(hostile, PLAIN)
      .split("\n")
      .find((l) => l.startsWith("| high"))!;
    expect(row).toContain(
      "\\*bold\\* \\_em\\_ \\`code\\` \\[link\\](http://x) &lt;img src=x&gt; &amp;amp; \\~\\~s\\~\\~",
    );
  });

  it("says so when there is nothing to list", () => {
    const text = renderMarkdown(allowReport, PLAIN);
    expect(text).toContain("## Bulwark policy decision: ALLOW");
    expect(text).toContain("No violations.");
    expect(text).not.toContain("| Severity |");
  });
});

describe("github", () => {
  const out = renderGithub(report, PLAIN);

  it("emits one workflow command per counted violation", () => {
    expect(out.split("\n")).toEqual([
      '::error file=k8s/shop.yaml,line=21,col=13,title=K8S-001 Containers must not run as root::container "web" runs as root (runAsUser: 0)',
      '::warning file=k8s/shop.yaml,line=18,col=18,title=K8S-010 Images must be pinned by digest::image "shop/web:latest" | pinned: no, 100%25%0Ause a digest',
      "::notice file=k8s/shop.yaml,line=40,col=3,title=K8S-100 Services should declare an owner::no owner label",
      "::error file=docker/Dockerfile,line=12,col=1,title=DKR-003 Containers must not run as root::USER root in final stage <&'\"> \u0007 a\\|b (exception expired 2026-06-30: migration to distroless)",
      "",
    ]);
  });

  it("escapes properties and data so no message can inject a command", () => {
    const hostile = withResults({
      ...report.results[0]!,
      violations: [
        {
          ...rootDeny,
          title: "a: b, c%",
          message: "line1\r\n::add-mask::secret",
          location: { file: "dir:x,y/100%.yaml" },
        },
      ],
    });
    expect(renderGithub(hostile, PLAIN)).toBe(
      "::error file=dir%3Ax%2Cy/100%25.yaml,title=K8S-001 a%3A b%2C c%25::line1%0D%0A::add-mask::secret\n",
    );
  });

  it("drops notices when quiet and prints nothing for a clean report", () => {
    expect(renderGithub(report, { ...PLAIN, quiet: true })).not.toContain("::notice");
    expect(renderGithub(allowReport, PLAIN)).toBe("");
  });
});

describe("render", () => {
  const direct = {
    table: renderTable,
    json: renderJson,
    sarif: renderSarif,
    junit: renderJunit,
    markdown: renderMarkdown,
    github: renderGithub,
  } as const;

  it.each(RENDER_FORMATS)("dispatches %s", (format) => {
    expect(isRenderFormat(format)).toBe(true);
    expect(render(format, report, PLAIN)).toBe(direct[format](report, PLAIN));
  });

  it("knows exactly the documented formats", () => {
    expect(Object.keys(direct).sort()).toEqual([...RENDER_FORMATS].sort());
    expect(isRenderFormat("xml")).toBe(false);
    expect(() => render("xml" as never, report, PLAIN)).toThrow(/unknown output format "xml"/);
  });
});
