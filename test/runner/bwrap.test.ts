/**
 * The bwrap backend against real bubblewrap: what the command sees (read-only /src, a writable
 * copy at /workspace, a scrubbed environment, secrets as 0400 files, its own hostname and user),
 * what comes out (exit status, products with their digests, the log), the limits, and that the
 * host is left as it was (source tree, temp dirs, cgroups). Skipped only when bwrap is missing
 * outside CI; in CI a missing bwrap fails every test here.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  backendNamed,
  createBwrapBackend,
  createNoneBackend,
  SANDBOX_BACKENDS,
} from "../../src/runner/backends/index.js";
import { OutputCapture, productMatcher, Redactor } from "../../src/runner/backends/common.js";
import { DEFAULT_LIMITS, type SandboxSpec } from "../../src/runner/types.js";
import {
  checkEgressProxy,
  checkScrubbedEnvironment,
  checkSourceTooBig,
  expectHostUnchanged,
  leftoverCgroups,
  logText as text,
  processesWith,
  removeFixture,
  type SandboxFixture,
  sandboxFixture,
  SOURCE_FILES,
  expectProductFiles,
  expectUnprivileged,
  WORKSPACE_COPY_LINES,
  sha256,
  shellSpec,
  skipWithoutBwrap,
  type SpecOverrides,
} from "../support/runner.js";

const CGROUP_PREFIX = `bulwark-test-${process.pid}-`;

describe.skipIf(skipWithoutBwrap)("bwrap backend", () => {
  let fixture: SandboxFixture;
  let root: string;
  let hostTmp: string;
  const backend = () => createBwrapBackend({ tmpDir: hostTmp, cgroupPrefix: CGROUP_PREFIX });
  const spec = (command: string, over: SpecOverrides = {}) =>
    shellSpec(fixture.source, join(root, "out"), command, over);

  beforeAll(async () => {
    fixture = await sandboxFixture("bulwark-bwrap-test-", SOURCE_FILES);
    ({ root, hostTmp } = fixture);
  });

  // The host is left as it was: same source tree, no run directory, no staging, no cgroup.
  afterEach(() => expectHostUnchanged(fixture, CGROUP_PREFIX));

  afterAll(() => removeFixture(fixture));

  it("is available here (or says why not)", async () => {
    expect(await backend().unavailable()).toBeUndefined();
  });

  it("sees /src read-only and works in a writable copy of it at /workspace", async () => {
    const r = await backend().run(
      spec(
        [
          ...WORKSPACE_COPY_LINES,
          "if touch /etc/x /usr/x /x /dev/x 2>/dev/null; then echo WROTE-ROOT; exit 1; fi",
          "echo FINE",
        ].join("\n"),
      ),
    );
    expect(text(r)).toContain("FINE");
    expect(text(r)).not.toMatch(/WROTE-SRC|REMOVED-SRC|WROTE-ROOT/);
    expect(r).toMatchObject({ exitCode: 0, signal: null, products: [] });
    expect(r.limit).toBeUndefined();
  });

  it("collects the products matching the globs as regular files, with their sha256", async () => {
    const outDir = join(root, "products");
    const r = await backend().run(
      spec(
        [
          "set -e",
          "mkdir -p dist/sub dist/.cache",
          "head -c 300000 /dev/urandom > dist/app.bin",
          "printf 'x%.0s' $(seq 1 1000) > dist/sub/b.txt",
          ": > dist/empty",
          "echo hidden > dist/.cache/h",
          "echo not-a-product > other.txt",
          "ln -s /etc/passwd dist/link",
          "ln -s /src dist/srclink",
          "mkfifo dist/fifo",
        ].join("\n"),
        { products: ["dist/**", "missing/*.txt"], outDir },
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(r.products.map((p) => p.path)).toEqual([
      "dist/.cache/h",
      "dist/app.bin",
      "dist/empty",
      "dist/sub/b.txt",
    ]);
    expectProductFiles(r.products, outDir);
    expect(r.products.find((p) => p.path === "dist/app.bin")!.size).toBe(300000);
    expect(r.products.find((p) => p.path === "dist/sub/b.txt")!.size).toBe(1000);
    // Symlinks, FIFOs and non-matching files never come out; nothing is left staged.
    expect(readdirSync(join(outDir, "dist")).sort()).toEqual([".cache", "app.bin", "empty", "sub"]);
    expect(existsSync(join(outDir, "other.txt"))).toBe(false);
  });

  it("scrubs the environment: host variables are absent, the spec's are present", () =>
    checkScrubbedEnvironment(backend(), spec));

  it("gives secrets as 0400 files in a read-only /run/secrets, never in env, argv or the log", async () => {
    const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
    const chunks: Buffer[] = [];
    const r = await backend().run(
      spec(
        [
          "stat -c 'mode=%a owner=%U' /run/secrets/token",
          "sha256sum /run/secrets/token",
          'v=$(cat /run/secrets/token); for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do if tr "\\0" "\\n" < $f 2>/dev/null | grep -qF "$v"; then echo "LEAK:$f"; fi; done',
          "if echo x > /run/secrets/token 2>/dev/null || touch /run/secrets/new 2>/dev/null; then echo WRITABLE; fi",
          // Every descriptor past stdio is gone or /dev/null (a shield over one leaked to Bulwark).
          "ls -l /proc/$$/fd",
          "echo printed: $(cat /run/secrets/token)",
        ].join("\n"),
        {
          secrets: [{ name: "token", value: new TextEncoder().encode(secret) }],
          onOutput: (_s, c) => chunks.push(Buffer.from(c)),
        },
      ),
    );
    const log = text(r);
    expect(r.exitCode).toBe(0);
    expect(log).toContain("mode=400 owner=bulwark");
    expect(log).toContain(sha256(new TextEncoder().encode(secret)));
    expect(log).not.toMatch(/LEAK:|WRITABLE/);
    // The command printed it: the log and the live output carry the mask instead.
    expect(log).toContain("printed: ***");
    expect(log).not.toContain(secret);
    expect(Buffer.concat(chunks).toString("utf8")).not.toContain(secret);
    const fds = [...log.matchAll(/ (\d+) -> (.*)$/gm)].map(([, fd, target]) => ({ fd: Number(fd), target }));
    expect(fds.filter((f) => f.fd <= 2)).toHaveLength(3);
    for (const f of fds.filter((f) => f.fd > 2)) expect(f).toEqual({ fd: f.fd, target: "/dev/null" });
  });

  it("runs as an unprivileged user on its own hostname, with no capabilities and the seccomp filter", async () => {
    const r = await backend().run(
      spec("id -u; id -g; hostname; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"),
    );
    expectUnprivileged(text(r));
  });

  it("propagates exit codes and signals", async () => {
    const b = backend();
    expect(await b.run(spec("exit 7"))).toMatchObject({ exitCode: 7, signal: null });
    expect(await b.run(spec("true"))).toMatchObject({ exitCode: 0, signal: null });
    const killed = await b.run(spec("kill -TERM $$"));
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGTERM" });
    expect(killed.limit).toBeUndefined();
    const missing = await b.run(spec("", { command: ["no-such-command-here"] }));
    expect(missing.exitCode).toBe(127);
  });

  it("kills the sandbox at the timeout and reports it", async () => {
    const started = Date.now();
    const r = await backend().run(spec("echo started; sleep 30", { limits: { timeoutMs: 1000 } }));
    expect(r.limit?.kind).toBe("timeout");
    expect(r).toMatchObject({ exitCode: null, signal: "SIGKILL", products: [] });
    expect(text(r)).toContain("started");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("reports the CPU time limit", async () => {
    const r = await backend().run(spec("while :; do :; done", { limits: { cpuSeconds: 1 } }));
    expect(r.limit?.kind).toBe("cpu");
    expect(r.signal).toBe("SIGXCPU");
  });

  it("reports the file size limit", async () => {
    const r = await backend().run(
      spec("head -c 3000000 /dev/zero > big", { limits: { fileSizeBytes: 2 ** 20 } }),
    );
    expect(r.limit?.kind).toBe("file-size");
    expect(r.signal).toBe("SIGXFSZ");
  });

  it("reports the memory limit (memory cgroup)", async () => {
    const r = await backend().run(
      spec(`node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`, {
        limits: { memoryBytes: 96 * 2 ** 20 },
      }),
    );
    if (r.enforcement.memory === "rlimit") {
      // Without a cgroup (not root) RLIMIT_AS makes allocation fail instead: the step still fails.
      expect(r.exitCode).not.toBe(0);
      return;
    }
    expect(r.limit?.kind).toBe("memory");
  });

  it("reports a source that does not fit in the workspace as the workspace limit", () =>
    checkSourceTooBig(backend(), spec, root));

  it("reaches allowlisted hosts through the egress proxy only", () =>
    checkEgressProxy(backend(), spec, root));

  it("writes products into an output directory inside the source only after the copy", async () => {
    const own = mkdtempSync(join(root, "own-src-"));
    writeFileSync(join(own, "in.txt"), "in\n");
    const r = await backend().run(
      spec("ls -A /workspace; mkdir -p out && cp in.txt out/copy.txt", {
        source: own,
        products: ["out/*"],
        outDir: join(own, "out"),
      }),
    );
    expect(text(r).trim()).toBe("in.txt");
    expect(r.products.map((p) => p.path)).toEqual(["out/copy.txt"]);
    expect(readdirSync(join(own, "out")).sort()).toEqual(["out"]);
    rmSync(own, { recursive: true });
  });

  it("stops at once when aborted and leaves nothing behind", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop now")), 300);
    const started = Date.now();
    await expect(backend().run(spec("sleep 30", { signal: controller.signal }))).rejects.toThrow("stop now");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("caps the log and says so", async () => {
    const r = await createBwrapBackend({
      tmpDir: hostTmp,
      cgroupPrefix: CGROUP_PREFIX,
      logCapBytes: 1000,
    }).run(spec("yes | head -c 100000"));
    expect(r.exitCode).toBe(0);
    expect(text(r)).toMatch(/^(y\n){500}\n\[bulwark: output truncated after 1000 bytes\]\n$/);
  });

  it("refuses specs it cannot honour safely, with the error's code", async () => {
    const b = backend();
    const refused = (over: Parameters<typeof spec>[1], code: string, message: RegExp) =>
      expect(b.run(spec("true", over))).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
    await refused(
      { secrets: [{ name: "../x", value: new Uint8Array(1) }] },
      "CONFIG_INVALID",
      /not a secret name/,
    );
    await refused(
      { readOnlyMounts: [{ host: "/usr", sandbox: "/src/x" }] },
      "CONFIG_INVALID",
      /may not cover/,
    );
    await refused(
      { readOnlyMounts: [{ host: "/no/such/dir", sandbox: "/opt/x" }] },
      "FILE_NOT_FOUND",
      /mount source/,
    );
    await refused({ products: ["../escape"] }, "CONFIG_INVALID", /relative to the workspace/);
    await refused({ network: { mode: "egress", allow: ["x"] } }, "CONFIG_INVALID", /proxy's socket/);
    await refused({ source: join(root, "missing") }, "FILE_NOT_FOUND", /cannot be read/);
    await refused({ env: { "BAD-NAME": "x" } }, "CONFIG_INVALID", /not an environment variable name/);
    await refused({ limits: { pids: 0 } }, "CONFIG_INVALID", /limit pids/);
  });

  it("says why it is unavailable, and refuses to run then", async () => {
    const b = createBwrapBackend({ bwrap: join(root, "no-bwrap-here"), tmpDir: hostTmp });
    expect(await b.unavailable()).toMatch(/^bwrap cannot run: .*ENOENT/);
    await expect(b.run(spec("true"))).rejects.toMatchObject({ code: "USAGE" });
  });
});

describe("log capture and product matching", () => {
  it("masks secrets split across chunks at every boundary", () => {
    const secret = "correct-horse-battery";
    const input = `a ${secret} b ${secret}${secret} c sec`;
    for (let cut = 0; cut <= input.length; cut++) {
      for (let cut2 = cut; cut2 <= input.length; cut2 += 3) {
        const r = new Redactor([Buffer.from(secret)]);
        const out = Buffer.concat([
          r.push(Buffer.from(input.slice(0, cut))),
          r.push(Buffer.from(input.slice(cut, cut2))),
          r.push(Buffer.from(input.slice(cut2))),
          r.flush(),
        ]).toString();
        expect(out).toBe("a *** b ****** c sec");
      }
    }
  });

  it("caps the log with one truncation marker", () => {
    const seen: Buffer[] = [];
    const c = new OutputCapture([], (_s, b) => seen.push(Buffer.from(b)), 10);
    c.push("stdout", Buffer.from("0123456"));
    c.push("stderr", Buffer.from("789abcdef"));
    c.push("stdout", Buffer.from("more"));
    const log = Buffer.from(c.log()).toString();
    expect(log.startsWith("0123456789")).toBe(true);
    expect(log).toContain("output truncated after 10 bytes");
    expect(log).not.toContain("more");
    expect(Buffer.concat(seen).toString()).toBe(log);
  });

  it("matches product globs only on safe relative paths, dotfiles included", () => {
    const m = productMatcher(["dist/**", "*.tgz"]);
    expect(m.test("dist/a/b.js")).toBe(true);
    expect(m.test("dist/.x")).toBe(true);
    expect(m.test("pkg.tgz")).toBe(true);
    expect(m.test("src/pkg.tgz")).toBe(false);
    expect(m.test("dist/../etc/passwd")).toBe(false);
    expect(m.test("/dist/a")).toBe(false);
    expect(m.test("dist//a")).toBe(false);
  });
});

describe("none backend (no isolation, --insecure only)", () => {
  let fixture: SandboxFixture;
  let root: string;
  let source: string;
  let hostTmp: string;
  const none = () => createNoneBackend({ tmpDir: hostTmp, cgroupPrefix: CGROUP_PREFIX });
  const spec = (command: string, over: Partial<SandboxSpec> = {}): SandboxSpec =>
    shellSpec(source, join(root, "out"), command, {
      env: { PATH: "/usr/bin:/bin", MARK: "set" },
      products: ["out/**"],
      ...over,
    });

  beforeAll(async () => {
    fixture = await sandboxFixture("bulwark-none-test-", { "a.txt": "alpha\n" });
    ({ root, source, hostTmp } = fixture);
  });
  afterEach(() => {
    expect(readdirSync(hostTmp)).toEqual([]);
    expect(leftoverCgroups(CGROUP_PREFIX)).toEqual([]);
    expect(readFileSync(join(source, "a.txt"), "utf8")).toBe("alpha\n");
    expect(readdirSync(source)).toEqual(["a.txt"]);
  });
  afterAll(() => removeFixture(fixture));

  it("is registered as not isolated; every registry entry creates what it declares", () => {
    expect(SANDBOX_BACKENDS[0]?.name).toBe("bwrap");
    expect(new Set(SANDBOX_BACKENDS.map((b) => b.name)).size).toBe(SANDBOX_BACKENDS.length);
    for (const entry of SANDBOX_BACKENDS) {
      const b = entry.create();
      expect({ name: b.name, isolated: b.isolated }).toEqual({ name: entry.name, isolated: entry.isolated });
      expect(Number.isInteger(b.version) && b.version > 0).toBe(true);
      expect(entry.create()).not.toBe(b);
    }
    expect(SANDBOX_BACKENDS.filter((b) => !b.isolated).map((b) => b.name)).toEqual(["none"]);
    expect(backendNamed("none")).toMatchObject({ name: "none", isolated: false });
    expect(backendNamed("bwrap")).toMatchObject({ name: "bwrap", isolated: true });
    expect(backendNamed("chroot")).toBeUndefined();
  });

  it("runs in a copy of the source with the spec's environment and collects products", async () => {
    const r = await none().run(
      spec(
        'echo changed > a.txt && mkdir -p out && printf hi > out/p.txt && ln -s /etc/passwd out/l && echo "MARK=$MARK HOME=${HOME-unset}"; exit 4',
      ),
    );
    expect(r).toMatchObject({ exitCode: 4, signal: null });
    expect(Buffer.from(r.log).toString()).toContain("MARK=set HOME=unset");
    expect(r.products).toEqual([{ path: "out/p.txt", size: 2, sha256: sha256(Buffer.from("hi")) }]);
    expect(readFileSync(join(root, "out", "out", "p.txt"), "utf8")).toBe("hi");
  });

  it("kills the whole process group at the timeout", async () => {
    const marker = `1000.${process.pid}777`;
    const r = await none().run(
      spec(`sleep ${marker} & sleep ${marker}`, { limits: { ...DEFAULT_LIMITS, timeoutMs: 800 } }),
    );
    expect(r.limit?.kind).toBe("timeout");
    expect(r.signal).toBe("SIGKILL");
    expect(processesWith(marker)).toEqual([]);
  });

  it("refuses secrets and relocated mounts rather than faking them", async () => {
    await expect(
      none().run(spec("true", { secrets: [{ name: "t", value: new Uint8Array(4) }] })),
    ).rejects.toThrow(/cannot provide \/run\/secrets/);
    await expect(
      none().run(spec("true", { readOnlyMounts: [{ host: "/usr", sandbox: "/opt/usr" }] })),
    ).rejects.toThrow(/cannot mount/);
  });
});
