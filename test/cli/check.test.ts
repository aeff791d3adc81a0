import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findWaivers } from "../../src/iac/index.js";
import { cli, ROOT } from "../support/cli.js";
import { sarifValidator } from "../support/schemas.js";
import { requireShared } from "../support/shared.js";

const REPO = join(ROOT, "test/fixtures/iac/repo");
const POLICIES = join(ROOT, "examples/shop/policies");
const shared = requireShared();
const tmp = mkdtempSync(join(tmpdir(), "bulwark-check-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Report = {
  decision: string;
  results: {
    source: { file: string };
    resource: { name?: string };
    decision: string;
    violations: {
      policyId: string;
      location?: { line?: number };
      waiver?: { reason: string; line: number };
    }[];
  }[];
  waivers?: { total: number; used: number; list: { policyId: string; line: number; used: boolean }[] };
};

describe("bulwark check", () => {
  it("walks a tree: manifests found, dependencies/hidden dirs and non-manifest YAML skipped, waivers applied", async () => {
    const r = await cli(["check", REPO, "--policy", POLICIES, "--env", "production", "--format", "json"]);
    const report = JSON.parse(r.stdout) as Report;
    // Only the two pods of k8s/pods.yaml: node_modules/, .hidden/ and docker-compose.yml are not checked.
    expect(report.results.map((x) => `${x.source.file} ${x.resource.name}`)).toEqual([
      `${REPO}/k8s/pods.yaml capture`,
      `${REPO}/k8s/pods.yaml other`,
    ]);
    const [capture, other] = report.results;
    const privileged = capture!.violations.find((v) => v.policyId === "KUBE-001")!;
    // The waiver sits above `containers:` (line 8), where KUBE-001 reports its finding.
    expect(privileged.location?.line).toBe(8);
    expect(privileged.waiver).toEqual({
      reason: "the packet-capture sidecar needs it; ticket SEC-9",
      line: 8,
    });
    expect(capture!.decision).toBe("allow");
    expect(other!.violations.map((v) => v.policyId)).toEqual(["KUBE-001"]);
    expect(other!.decision).toBe("deny");
    expect(report.decision).toBe("deny");
    expect(report.waivers).toEqual({
      total: 1,
      used: 1,
      list: [
        {
          file: `${REPO}/k8s/pods.yaml`,
          line: 8,
          policyId: "KUBE-001",
          reason: "the packet-capture sidecar needs it; ticket SEC-9",
          used: true,
        },
      ],
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 files \(1 yaml\), 2 documents/);
  });

  it("--exclude leaves out matching paths (globs relative to the directory walked)", async () => {
    for (const glob of ["k8s/**", "k8s/", "**/pods.yaml"]) {
      const r = await cli(["check", REPO, "--policy", POLICIES, "--exclude", glob, "--format", "json"]);
      expect([glob, (JSON.parse(r.stdout) as Report).results.length]).toEqual([glob, 0]);
      expect(r.code).toBe(0);
    }
    const kept = await cli([
      "check",
      REPO,
      "--policy",
      POLICIES,
      "--exclude",
      "other/**",
      "--format",
      "json",
    ]);
    expect((JSON.parse(kept.stdout) as Report).results).toHaveLength(2);
  });

  it("prints located findings with remediation, and waived ones as waived", async () => {
    const r = await cli(["check", REPO, "--policy", POLICIES, "--env", "production"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Waived: Pod/shop/capture violates Security Policy KUBE-001");
    expect(r.stdout).toContain(
      "(waived inline at line 8: the packet-capture sidecar needs it; ticket SEC-9)",
    );
    expect(r.stdout).toMatch(
      /k8s\/pods\.yaml:19:3 +Build failed: Pod\/shop\/other violates Security Policy KUBE-001/,
    );
    expect(r.stdout).toContain("fix: Remove securityContext.privileged, or set it to false.");
  });

  it("SARIF marks inline waivers as in-source suppressions (valid SARIF)", async () => {
    const r = await cli(["check", REPO, "--policy", POLICIES, "--format", "sarif"]);
    const log = JSON.parse(r.stdout);
    if (shared) {
      const check = sarifValidator(shared);
      expect(check(log), JSON.stringify(check.errors)).toBe(true);
    }
    const suppressed = log.runs[0].results.filter((x: { suppressions?: unknown[] }) => x.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0].suppressions[0]).toMatchObject({
      kind: "inSource",
      justification: "the packet-capture sidecar needs it; ticket SEC-9",
    });
  });

  it("a waiver without a reason is an error at its line; an unused one is reported", async () => {
    const f = join(tmp, "bad.yaml");
    writeFileSync(
      f,
      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers: [] # bulwark:ignore KUBE-001\n",
    );
    const r = await cli(["check", f, "--policy", POLICIES]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad\.yaml:5:18: bulwark:ignore KUBE-001 needs a reason.*\[INPUT_INVALID\]/);
    writeFileSync(
      f,
      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n# bulwark:ignore KUBE-009 -- not here\nspec:\n  containers: []\n",
    );
    const u = await cli(["check", f, "--policy", POLICIES, "--format", "json"]);
    expect(u.code).toBe(0);
    expect(u.stderr).toContain("bulwark:ignore KUBE-009 waived nothing");
    expect((JSON.parse(u.stdout) as Report).waivers).toMatchObject({ total: 1, used: 0 });
  });

  it("explicit files must be understood; unknown --type and missing paths are usage errors", async () => {
    const f = join(tmp, "notes.yaml");
    writeFileSync(f, "title: not a manifest\n");
    const r = await cli(["check", f, "--policy", POLICIES]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("[INPUT_KIND_UNKNOWN]");
    expect((await cli(["check", REPO, "--type", "helm"])).code).toBe(2);
    expect((await cli(["check", join(tmp, "missing")])).code).toBe(2);
    expect((await cli(["check", REPO, "--policy", "builtin:nope"])).code).toBe(2);
  });
});

describe("inline waivers", () => {
  it("cover their own line, or the next line that is not blank or a comment", () => {
    const text = [
      "a: 1 # bulwark:ignore X-1 -- same line",
      "# bulwark:ignore X-2, X-3 -- two ids, next code line",
      "",
      "# another comment",
      "b: 2",
      "// bulwark:ignore X-4 -- slash comments too",
      "c: 3",
    ].join("\n");
    expect(findWaivers(text, "f").map((w) => `${w.policyId}@${w.line}: ${w.reason}`)).toEqual([
      "X-1@1: same line",
      "X-2@5: two ids, next code line",
      "X-3@5: two ids, next code line",
      "X-4@7: slash comments too",
    ]);
    expect(() => findWaivers("# bulwark:ignore -- no id\n", "f")).toThrow(/needs a policy id/);
  });
});

const FIXTURES = process.env.BULWARK_FIXTURES_DIR || join(ROOT, ".cache/fixtures");
const IMAGE = join(FIXTURES, "debian-image.oci.tar");
const haveImage = existsSync(IMAGE);
const CI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";

describe("bulwark check of a container image (its config)", () => {
  it.runIf(CI && !haveImage)("has its fixture in CI", () => {
    expect.fail(`missing ${IMAGE}: build it with scripts/fixtures/image-debian.sh (see .ci/run)`);
  });
  it.skipIf(!haveImage)("judges the user, ports, env and health check of the debootstrap image", async () => {
    const r = await cli(["check", IMAGE, "--policy", "builtin:image", "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.violations.map((v) => v.policyId)).toEqual(["IMG-001", "IMG-004"]);
    // The layout directory reads the same (no layer is unpacked).
    const layout = await cli([
      "check",
      join(FIXTURES, "debian-image.oci"),
      "--policy",
      "builtin:image",
      "--format",
      "json",
    ]);
    expect((JSON.parse(layout.stdout) as Report).results[0]!.violations.map((v) => v.policyId)).toEqual([
      "IMG-001",
      "IMG-004",
    ]);
    expect((await cli(["check", join(ROOT, "README.md"), "--type", "image-config"])).code).toBe(4);
  });
});

describe("bulwark check - (rendered manifests on stdin, as from helm template or kustomize build)", () => {
  it("reads YAML from stdin in a real process and locates findings in it", async () => {
    const { spawnSync } = await import("node:child_process");
    const rendered = [
      "---",
      "# Source: chart/templates/deployment.yaml",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: { name: web, namespace: shop }",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: web",
      "          image: nginx",
      "          securityContext: { privileged: true }",
      "",
    ].join("\n");
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "dist/cli/main.js"), "check", "-", "--policy", "builtin:pss-baseline", "--format", "json"],
      {
        input: rendered,
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    const v = report.results[0]!.violations.find((x) => x.policyId === "PSS-PRIVILEGED")!;
    expect(report.results[0]!.source.file).toBe("<stdin>");
    expect(v.location?.line).toBe(12);
  });
});
