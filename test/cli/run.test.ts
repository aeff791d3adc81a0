// bulwark run / build / rebuild end to end through the CLI, in real bwrap sandboxes.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { isCI } from "../support/shared.js";

const hasBwrap = (() => {
  try {
    execFileSync("bwrap", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!hasBwrap && isCI())
  throw new Error("bwrap is not installed: .ci/run installs bubblewrap for the runner tests");

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-run-"));
  roots.push(dir);
  const src = join(dir, "src");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(src, name, ".."), { recursive: true });
    writeFileSync(join(src, name), content);
  }
  const env = { BULWARK_HOME: join(dir, "home") };
  return {
    dir,
    src,
    env,
    run: (args: string[], extra: Record<string, string> = {}) =>
      cli(args, { cwd: src, env: { ...env, ...extra } }),
  };
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.skipIf(!hasBwrap)("bulwark run", () => {
  it("runs in the sandbox, collects products and writes SLSA provenance that lists what went in", async () => {
    const p = project({ "hello.txt": "hello\n", "package-lock.json": '{"lockfileVersion":3}\n' });
    const r = await p.run([
      "run",
      "--products",
      "dist/*",
      "--provenance",
      join(p.dir, "prov.json"),
      "--format",
      "json",
      "--",
      "sh",
      "-c",
      "mkdir -p dist && tr a-z A-Z < hello.txt > dist/HELLO.txt && test ! -w /src/hello.txt",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      ok: true,
      hermetic: true,
      sandbox: { backend: "bwrap", isolated: true },
      exitCode: 0,
    });
    const product = readFileSync(join(p.src, "out", "dist", "HELLO.txt"));
    expect(product.toString()).toBe("HELLO\n");
    expect(summary.products).toEqual([
      expect.objectContaining({ path: "dist/HELLO.txt", sha256: sha256(product), size: 6 }),
    ]);
    const prov = JSON.parse(readFileSync(join(p.dir, "prov.json"), "utf8"));
    expect(prov.subject).toEqual([{ name: "dist/HELLO.txt", digest: { sha256: sha256(product) } }]);
    const bd = prov.predicate.buildDefinition;
    expect(bd.buildType).toBe("https://bulwark.dev/buildtypes/sandboxed-run/v1");
    expect(bd.externalParameters.command).toEqual(["sh", "-c", expect.stringContaining("tr a-z A-Z")]);
    expect(bd.internalParameters).toMatchObject({
      sandbox: { backend: "bwrap", isolated: true },
      hermetic: true,
      seccomp: { profile: "bulwark-default" },
    });
    const names = bd.resolvedDependencies.map((d: { name: string }) => d.name);
    expect(names).toContain("source");
    expect(names).toContain("lockfile:package-lock.json");
    expect(names.some((n: string) => n.startsWith("tool:"))).toBe(true);
    const lock = bd.resolvedDependencies.find(
      (d: { name: string }) => d.name === "lockfile:package-lock.json",
    );
    expect(lock.digest.sha256).toBe(sha256(Buffer.from('{"lockfileVersion":3}\n')));
    expect(prov.predicate.runDetails.metadata.invocationId).toBe(summary.invocationId);
  });

  it("a failing command or a hit limit is JOB_FAILED (exit 1) and writes no provenance", async () => {
    const p = project({ "a.txt": "a" });
    const failed = await p.run([
      "run",
      "--products",
      "*",
      "--provenance",
      join(p.dir, "p.json"),
      "--",
      "sh",
      "-c",
      "exit 3",
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("JOB_FAILED");
    expect(failed.stdout).toContain("exited with status 3");
    expect(existsSync(join(p.dir, "p.json"))).toBe(false);
    const slow = await p.run(["run", "--timeout", "1s", "--", "sleep", "30"]);
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain("timeout");
  });

  it("secrets are files for the command, redacted from live output and absent from provenance", async () => {
    const p = project({ "a.txt": "a" });
    const secret = "s3cr3t-value-0123";
    const r = await p.run(
      [
        "run",
        "--secret",
        "API_TOKEN",
        "--products",
        "n.txt",
        "--provenance",
        join(p.dir, "p.json"),
        "--",
        "sh",
        "-c",
        "cat /run/secrets/API_TOKEN; echo; wc -c < /run/secrets/API_TOKEN > n.txt; env | grep -c API_TOKEN || true",
      ],
      { API_TOKEN: secret },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(secret);
    expect(r.stderr).toContain("***");
    expect(readFileSync(join(p.src, "out", "n.txt"), "utf8").trim()).toBe(String(secret.length));
    const prov = readFileSync(join(p.dir, "p.json"), "utf8");
    expect(prov).not.toContain(secret);
    expect(JSON.parse(prov).predicate.buildDefinition.externalParameters.secrets).toEqual(["API_TOKEN"]);
  });

  it("usage errors: --sandbox none without --insecure, --provenance without --products, a missing secret", async () => {
    const p = project({ "a.txt": "a" });
    expect((await p.run(["run", "--sandbox", "none", "--", "true"])).code).toBe(2);
    expect((await p.run(["run", "--provenance", "p.json", "--", "true"])).code).toBe(2);
    expect((await p.run(["run", "--secret", "NOPE_NOT_SET", "--", "true"])).code).toBe(2);
    expect((await p.run(["run", "--timeout", "soon", "--", "true"])).code).toBe(2);
    const none = await p.run(["run", "--sandbox", "none", "--insecure", "--format", "json", "--", "true"]);
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toMatchObject({
      sandbox: { backend: "none", isolated: false },
      hermetic: false,
    });
  });

  it("signed provenance verifies with bulwark verify", async () => {
    const p = project({ "a.txt": "a" });
    const keys = await p.run(["keys", "generate", "--unencrypted", "--format", "json"]);
    const key = JSON.parse(keys.stdout) as { privateKey: string; publicKey: string };
    const r = await p.run([
      "run",
      "--products",
      "b.txt",
      "--provenance",
      join(p.dir, "p.sigstore.json"),
      "--key",
      key.privateKey,
      "--",
      "cp",
      "a.txt",
      "b.txt",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const v = await p.run([
      "verify",
      join(p.src, "out", "b.txt"),
      "--bundle",
      join(p.dir, "p.sigstore.json"),
      "--key",
      key.publicKey,
      "--type",
      "https://slsa.dev/provenance/v1",
    ]);
    expect(v.code, v.stderr).toBe(0);
  });
});

describe.skipIf(!hasBwrap)("bulwark build and rebuild", () => {
  const job = (extra = "") => `apiVersion: bulwark.dev/v1
kind: Job
metadata: { name: demo }
spec:
  steps:
    - name: generate
      run: mkdir -p build && cp a.txt build/a.txt && (test -e /run/secrets/TOKEN && echo leaked || echo no-secret) > build/step1.txt
    - name: pack
      run: ${extra || "tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf app.tar build && wc -c < /run/secrets/TOKEN > token-length.txt"}
      secrets: [TOKEN]
  products: ["*.tar", "token-length.txt"]
`;

  it("runs the steps in fresh sandboxes, carrying the workspace; a secret reaches only its step; rebuild says reproducible", async () => {
    const p = project({ "a.txt": "content\n" });
    writeFileSync(join(p.src, "bulwark-job.yaml"), job());
    const b = await p.run(["build", "--provenance", join(p.dir, "p.json"), "--format", "json"], {
      TOKEN: "abcdef",
    });
    expect(b.code, b.stderr).toBe(0);
    const tarBytes = readFileSync(join(p.src, "out", "app.tar"));
    expect(tarBytes.includes(Buffer.from("no-secret"))).toBe(true);
    expect(readFileSync(join(p.src, "out", "token-length.txt"), "utf8").trim()).toBe("6");
    const prov = JSON.parse(readFileSync(join(p.dir, "p.json"), "utf8"));
    expect(prov.predicate.buildDefinition.externalParameters).toMatchObject({
      job: "demo",
      steps: [{ name: "generate" }, { name: "pack", secrets: ["TOKEN"] }],
    });
    // The out/ directory is part of the source now: rebuild from a clean copy.
    rmSync(join(p.src, "out"), { recursive: true });
    const rb = await p.run(["rebuild", join(p.dir, "p.json"), "--format", "json"], { TOKEN: "abcdef" });
    expect(rb.code, rb.stderr).toBe(0);
    expect(JSON.parse(rb.stdout)).toMatchObject({ reproducible: true });
  });

  it("rebuild shows a product that differs, down to the archive entries, and refuses another source", async () => {
    const p = project({ "a.txt": "content\n" });
    writeFileSync(
      join(p.src, "bulwark-job.yaml"),
      job("date +%s%N > build/stamp.txt && tar -cf app.tar build && echo 1 > token-length.txt"),
    );
    const b = await p.run(
      ["build", "--provenance", join(p.dir, "p.json"), "--out-dir", join(p.dir, "orig")],
      { TOKEN: "x" },
    );
    expect(b.code, b.stderr).toBe(0);
    const rb = await p.run(["rebuild", join(p.dir, "p.json"), "--original", join(p.dir, "orig")], {
      TOKEN: "x",
    });
    expect(rb.code).toBe(3);
    expect(rb.stdout).toContain("NOT reproducible");
    expect(rb.stdout).toMatch(/DIFFERENT app\.tar/);
    expect(rb.stdout).toContain("build/stamp.txt");
    writeFileSync(join(p.src, "a.txt"), "changed\n");
    const other = await p.run(["rebuild", join(p.dir, "p.json")], { TOKEN: "x" });
    expect(other.code).toBe(3);
    expect(other.stderr).toContain("is not the recorded one");
  });
});

describe.skipIf(!hasBwrap)("a real project under a network allowlist", () => {
  it("npm ci through the egress proxy, denied hosts refused and logged, provenance lists the network trail, rebuild reproducible", async () => {
    const p = project({
      "package.json": JSON.stringify({
        name: "tiny-app",
        version: "1.0.0",
        dependencies: { "is-number": "7.0.0" },
      }),
    });
    execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: p.src,
      stdio: "ignore",
    });
    writeFileSync(
      join(p.src, "bulwark-job.yaml"),
      `apiVersion: bulwark.dev/v1
kind: Job
metadata: { name: tiny-app }
spec:
  network:
    egress: [registry.npmjs.org]
  steps:
    - name: install
      run: npm ci --ignore-scripts --no-audit --no-fund && node -e "require('is-number')"
    - name: probe
      run: |
        if getent hosts example.com; then echo resolved; exit 1; fi
        code=$(curl -s -o /dev/null -w '%{http_connect}' --proxy "$HTTPS_PROXY" https://example.com/ || true)
        test "$code" = 403 || { echo "expected 403, got $code"; exit 1; }
    - name: pack
      run: npm pack --ignore-scripts
  products: ["*.tgz"]
`,
    );
    const out = join(p.dir, "out");
    const b = await p.run([
      "build",
      "--out-dir",
      out,
      "--provenance",
      join(p.dir, "p.json"),
      "--format",
      "json",
    ]);
    expect(b.code, b.stderr).toBe(0);
    const summary = JSON.parse(b.stdout);
    expect(summary.hermetic).toBe(false);
    expect(
      summary.egress.some(
        (e: { host: string; allowed: boolean }) => e.host === "registry.npmjs.org" && e.allowed,
      ),
    ).toBe(true);
    expect(summary.egress).toContainEqual(expect.objectContaining({ host: "example.com", allowed: false }));
    const prov = JSON.parse(readFileSync(join(p.dir, "p.json"), "utf8"));
    expect(prov.subject).toEqual([
      {
        name: "tiny-app-1.0.0.tgz",
        digest: { sha256: sha256(readFileSync(join(out, "tiny-app-1.0.0.tgz"))) },
      },
    ]);
    const netlog = prov.predicate.runDetails.byproducts.find(
      (b: { name: string }) => b.name === "network-log",
    );
    const entries = JSON.parse(Buffer.from(netlog.content, "base64").toString());
    expect(
      entries.some(
        (e: { host: string; allowed: boolean; bytesDown: number }) =>
          e.host === "registry.npmjs.org" && e.allowed && e.bytesDown > 0,
      ),
    ).toBe(true);
    expect(prov.predicate.buildDefinition.internalParameters.hermetic).toBe(false);
    expect(
      prov.predicate.buildDefinition.resolvedDependencies.map((d: { name: string }) => d.name),
    ).toContain("lockfile:package-lock.json");
    const rb = await p.run(["rebuild", join(p.dir, "p.json"), "--format", "json"]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(JSON.parse(rb.stdout).reproducible).toBe(true);
  }, 120_000);
});

describe.skipIf(!hasBwrap)("job tokens", () => {
  it("--job-token hands the steps a token that `bulwark token verify` accepts for its audience only", async () => {
    const p = project({ "a.txt": "a" });
    const r = await p.run([
      "run",
      "--job-token",
      "registry.example.com",
      "--products",
      "token.txt",
      "--provenance",
      join(p.dir, "p.json"),
      "--format",
      "json",
      "--",
      "sh",
      "-c",
      "cat /run/secrets/BULWARK_JOB_TOKEN > token.txt; env | grep -c BULWARK_JOB_TOKEN || true",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const tokenFile = join(p.src, "out", "token.txt");
    const pub = join(p.env.BULWARK_HOME, "runner", "runner.pub.pem");
    const ok = await p.run([
      "token",
      "verify",
      tokenFile,
      "--key",
      pub,
      "--audience",
      "registry.example.com",
      "--issuer",
      "https://bulwark.dev/runners/local",
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const claims = JSON.parse(ok.stdout);
    expect(claims).toMatchObject({
      aud: "registry.example.com",
      jti: summary.invocationId,
      job: "run",
      runner_id: "https://bulwark.dev/runners/local",
    });
    expect(claims.exp - claims.iat).toBe(900);
    const wrong = await p.run([
      "token",
      "verify",
      tokenFile,
      "--key",
      pub,
      "--audience",
      "other.example.com",
    ]);
    expect(wrong.code).toBe(3);
    const prov = readFileSync(join(p.dir, "p.json"), "utf8");
    expect(prov).not.toContain(readFileSync(tokenFile, "utf8").trim());
    expect(JSON.parse(prov).predicate.buildDefinition.internalParameters.jobToken).toMatchObject({
      audience: "registry.example.com",
      id: summary.invocationId,
    });
  });
});

describe.skipIf(!hasBwrap)("per-job inputs and seccomp", () => {
  it("inputs are read-only mounts in every step; seccomp.deny takes effect for the job", async () => {
    const p = project({ "a.txt": "a" });
    const tools = join(p.dir, "tools");
    mkdirSync(tools);
    writeFileSync(join(tools, "version.txt"), "tool 1.2.3\n");
    const job = (deny: string) => `apiVersion: bulwark.dev/v1
kind: Job
metadata: { name: j }
spec:
  inputs: ["${tools}:/opt/tools"]
  seccomp: { deny: [${deny}] }
  steps:
    - name: use
      run: cat /opt/tools/version.txt > used.txt && ! touch /opt/tools/x 2>/dev/null && uname -s >> used.txt
  products: [used.txt]
`;
    writeFileSync(join(p.src, "bulwark-job.yaml"), job("io_uring_setup"));
    const ok = await p.run(["build", "--out-dir", join(p.dir, "o1"), "--provenance", join(p.dir, "p.json")]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(p.dir, "o1", "used.txt"), "utf8")).toBe("tool 1.2.3\nLinux\n");
    expect(
      JSON.parse(readFileSync(join(p.dir, "p.json"), "utf8")).predicate.buildDefinition.externalParameters
        .readOnlyMounts,
    ).toEqual([{ host: tools, sandbox: "/opt/tools" }]);
    writeFileSync(join(p.src, "bulwark-job.yaml"), job("uname"));
    const denied = await p.run(["build", "--out-dir", join(p.dir, "o2")]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("step use failed");
  });
});
