import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, ROOT } from "../support/cli.js";

const ANSI = new RegExp(String.fromCharCode(27) + "\\[");
const SHOP = join(ROOT, "examples/shop");

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-cli-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("bulwark policy eval", () => {
  it("denies the example draft with the human line and exits 1", async () => {
    const r = await cli([
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      `${SHOP}/k8s`,
      "--env",
      "production",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "Build failed: Deployment/shop/web violates Security Policy KUBE-001 (Containers must not be privileged): privileged containers: web",
    );
    expect(r.stdout).toContain("Security Policy disallow-host-path/autogen-host-path (Disallow hostPath)");
    expect(r.stdout).toContain("replicas must be no greater than 8, got 12");
    expect(r.stdout).not.toMatch(ANSI);
  });

  it("allows the fixed manifests and exits 0", async () => {
    const r = await cli([
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      `${SHOP}/k8s-fixed`,
      "--env",
      "production",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Decision: ALLOW/);
  });

  it("prints the documented JSON shape, one result per document", async () => {
    const r = await cli([
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      `${SHOP}/k8s/web.yaml`,
      "--env",
      "production",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(["decision", "policySetDigest", "environment", "time", "results"]);
    expect(report.time).toBe("2026-11-18T11:06:40.000Z");
    expect(report.results.map((x: { resource: { kind: string } }) => x.resource.kind)).toEqual([
      "Namespace",
      "Deployment",
      "Service",
    ]);
    expect(report.results[1].source).toEqual({ file: expect.stringContaining("web.yaml"), document: 1 });
    expect(report.results[1].violations).toContainEqual(
      expect.objectContaining({
        policyId: "replica-limit",
        severity: "medium",
        enforcement: "deny",
        location: expect.objectContaining({ line: 8, column: 1 }),
      }),
    );
    expect(report.results[1].violations).toContainEqual(
      expect.objectContaining({
        policyId: "KUBE-001",
        location: expect.objectContaining({ line: 25, path: "spec.template.spec.containers" }),
      }),
    );
  });

  it("reads stdin and writes -o files; warns-only exits 0", async () => {
    const dir = tmp({
      "warn.yaml":
        "apiVersion: bulwark.dev/v1\nkind: Policy\nmetadata: {id: W-1, title: warn only}\nspec:\n  kinds: ['*']\n  enforcement: warn\n  validations: [{expression: 'false', message: be careful}]\n",
    });
    const r = await cli([
      "policy",
      "eval",
      "-p",
      join(dir, "warn.yaml"),
      "-i",
      join(SHOP, "k8s/reports.yaml"),
      "--format",
      "sarif",
      "-o",
      join(dir, "out.sarif"),
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "out.sarif"), "utf8")).version).toBe("2.1.0");
  });

  it("takes the policy path from bulwark.yaml and the format from BULWARK_FORMAT; flags win", async () => {
    const dir = tmp({ "bulwark.yaml": `policy: ${SHOP}/policies\nformat: markdown\n` });
    const fromConfig = await cli(["policy", "eval", "-i", `${SHOP}/k8s-fixed`, "--env", "production"], {
      cwd: dir,
    });
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stdout).toMatch(/^## Bulwark policy decision: ALLOW/m);
    const fromEnv = await cli(["policy", "eval", "-i", `${SHOP}/k8s-fixed`, "--env", "production"], {
      cwd: dir,
      env: { BULWARK_FORMAT: "json" },
    });
    expect(JSON.parse(fromEnv.stdout).decision).toBe("allow");
    const fromFlag = await cli(
      ["policy", "eval", "-i", `${SHOP}/k8s-fixed`, "--env", "production", "--format", "github"],
      { cwd: dir, env: { BULWARK_FORMAT: "json" } },
    );
    expect(fromFlag.stdout).not.toMatch(/^\{/);
  });

  it("colours only on a TTY unless told otherwise", async () => {
    const args = [
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      `${SHOP}/k8s/web.yaml`,
      "--env",
      "production",
    ];
    expect((await cli(args, { isTTY: true })).stdout).toMatch(ANSI);
    expect((await cli([...args, "--no-color"], { isTTY: true })).stdout).not.toMatch(ANSI);
    expect((await cli(args, { isTTY: true, env: { NO_COLOR: "1" } })).stdout).not.toMatch(ANSI);
  });
});

describe("exit codes and errors", () => {
  it("exits 2 on usage errors (unknown flag, missing input, bad format)", async () => {
    expect((await cli(["policy", "eval", "--bogus"])).code).toBe(2);
    expect((await cli(["policy", "eval", "-p", `${SHOP}/policies`])).code).toBe(2);
    const bad = await cli([
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      `${SHOP}/k8s`,
      "--format",
      "xml",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\[USAGE\]/);
    const noPolicy = await cli(["policy", "eval", "-i", `${SHOP}/k8s`]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/no policy given/);
  });

  it("exits 2 for a missing file (FILE_NOT_FOUND) and a bad config (CONFIG_INVALID)", async () => {
    const missing = await cli(["policy", "eval", "-p", "/nonexistent/policies", "-i", `${SHOP}/k8s`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/FILE_NOT_FOUND/);
    const dir = tmp({ "bulwark.yaml": "formt: json\n" });
    const config = await cli(["policy", "eval", "-i", `${SHOP}/k8s`], { cwd: dir });
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(/bulwark\.yaml:1:1: unknown setting "formt".*\[CONFIG_INVALID\]/);
    const env = await cli(["policy", "eval", "-p", `${SHOP}/policies`, "-i", `${SHOP}/k8s`], {
      env: { BULWARK_QUIET: "maybe" },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/BULWARK_QUIET must be true or false/);
  });

  it("exits 4 with a located error for invalid input and undetectable kinds", async () => {
    const dir = tmp({
      "bad.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: x\n",
      "odd.json": '{"hello": "world"}',
    });
    const bad = await cli(["policy", "eval", "-p", `${SHOP}/policies`, "-i", join(dir, "bad.yaml")]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: invalid YAML/);
    const odd = await cli(["policy", "eval", "-p", `${SHOP}/policies`, "-i", join(dir, "odd.json")]);
    expect(odd.code).toBe(4);
    expect(odd.stderr).toMatch(/INPUT_KIND_UNKNOWN/);
    const forced = await cli([
      "policy",
      "eval",
      "-p",
      `${SHOP}/policies`,
      "-i",
      join(dir, "odd.json"),
      "--kind",
      "generic",
    ]);
    expect(forced.code).toBe(0);
  });

  it("exits 2 with POLICY_NOT_FOUND for a directory without policies or tests", async () => {
    const empty = tmp({ "README.txt": "nothing here" });
    const r = await cli(["policy", "eval", "-p", empty, "-i", `${SHOP}/k8s`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no policy files .*\[POLICY_NOT_FOUND\]/);
    const noTests = await cli(["policy", "test", `${SHOP}/policies/pod-security.yaml`]);
    expect(noTests.code).toBe(2);
    expect(noTests.stderr).toMatch(/no PolicyTest documents .*\[POLICY_NOT_FOUND\]/);
  });

  it("prints help with examples for every command and exits 0", async () => {
    for (const args of [
      ["--help"],
      ["policy", "--help"],
      ["policy", "eval", "--help"],
      ["policy", "test", "--help"],
      ["policy", "lint", "--help"],
      ["policy", "bundle", "build", "--help"],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(/Examples:\n {2}\$ bulwark/);
    }
  });
});

describe("bulwark policy test / lint / bundle", () => {
  it("runs the example's policy tests", async () => {
    const r = await cli(["policy", "test", `${SHOP}/policies`]);
    expect(r.stdout).toMatch(/^PASS {2}shop \/ draft manifests are denied in production$/m);
    expect(r.stdout).toMatch(/^7 passed, 0 failed$/m);
    expect(r.code).toBe(0);
  });

  it("fails (exit 1) when a case does not get its expected decision, saying why", async () => {
    const dir = tmp({
      "p.yaml":
        'apiVersion: bulwark.dev/v1\nkind: Policy\nmetadata: {id: P-1, title: t}\nspec:\n  kinds: [ConfigMap]\n  validations: [{expression: "!has(object.data)"}]\n',
      "t.yaml":
        "apiVersion: bulwark.dev/v1\nkind: PolicyTest\nmetadata: {name: s}\nspec:\n  cases:\n    - name: wrong\n      decision: allow\n      object: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}\n",
    });
    const r = await cli(["policy", "test", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}s \/ wrong\n {6}expected decision allow, got deny$/m);
    const junit = await cli(["policy", "test", dir, "--format", "junit"]);
    expect(junit.stdout).toMatch(/<failure /);
  });

  it("lints with file:line:col for every error and exits 4", async () => {
    const dir = tmp({
      "a.yaml":
        'apiVersion: bulwark.dev/v1\nkind: Policy\nmetadata: {id: A-1, title: t}\nspec:\n  kinds: [Pod]\n  validations:\n    - expression: "object.spec.containers.all(c, c.image ==)"\n',
      "b.yaml":
        "apiVersion: bulwark.dev/v1\nkind: Policy\nmetadata: {id: B-1, title: t}\nspec:\n  kinds: [Pod]\n  severity: high\n  validations: [{expression: 'true'}]\n",
      "c.yaml": "key: [unclosed\n",
    });
    const r = await cli(["policy", "lint", dir]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/a\.yaml:7:\d+: .*\[CEL_SYNTAX\]/);
    expect(r.stdout).toMatch(/b\.yaml:6:3: unknown field spec\.severity .*\[POLICY_INVALID\]/);
    expect(r.stdout).toMatch(/c\.yaml:\d+:\d+: invalid YAML.*\[INPUT_INVALID\]/);
    expect(r.stdout).toMatch(/3 errors/);
    const clean = await cli(["policy", "lint", `${SHOP}/policies`]);
    expect(clean.code).toBe(0);
  });

  it("builds a canonical bundle whose digest is the policy-set digest", async () => {
    const dir = tmp({});
    const r = await cli(["policy", "bundle", "build", `${SHOP}/policies`, "-o", join(dir, "b.json")]);
    expect(r.code).toBe(0);
    const bundle = JSON.parse(readFileSync(join(dir, "b.json"), "utf8"));
    const evalReport = JSON.parse(
      (await cli(["policy", "eval", "-p", `${SHOP}/policies`, "-i", `${SHOP}/k8s-fixed`, "--format", "json"]))
        .stdout,
    );
    expect(bundle.digest).toBe(evalReport.policySetDigest);
    expect(bundle.files.map((f: { path: string }) => f.path)).toContain("pod-security.yaml");
    const again = await cli(["policy", "bundle", "build", `${SHOP}/policies`]);
    expect(`${readFileSync(join(dir, "b.json"), "utf8")}\n`).toBe(again.stdout);
  });
});
