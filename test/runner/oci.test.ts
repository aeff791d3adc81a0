/**
 * The oci backend: the config builder on its own (the fields runc gets), then against real runc —
 * what the command sees (read-only /src, a writable copy at /workspace, a scrubbed environment,
 * secrets as 0400 files, no network, the seccomp filter), what comes out (products with their
 * digests), the limits (pids, timeout), and that the host is left as it was (bundle, secrets,
 * container, cgroup, processes). The runc tests are skipped only when runc is missing outside CI;
 * in CI a missing runc fails every one of them.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  buildOciConfig,
  createOciBackend,
  OCI_CONTAINER_ROOT_HOST_ID,
  OCI_RUNTIME_ENV,
  type OciBundleLayout,
  resolveOciRuntime,
} from "../../src/runner/backends/oci.js";
import { DEFAULT_PROFILE, toOciSeccomp } from "../../src/runner/seccomp/index.js";
import type { Limits } from "../../src/runner/types.js";
import {
  checkEgressProxy,
  checkScrubbedEnvironment,
  checkSourceTooBig,
  expectSourceAndTmpUnchanged,
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
  sandboxSpec as baseSpec,
  sha256,
  shellSpec,
  type SpecOverrides,
} from "../support/runner.js";
import { isCI } from "../support/shared.js";

const runc = resolveOciRuntime({ PATH: process.env.PATH ?? "" });
const haveRunc = "path" in runc;

describe("buildOciConfig", () => {
  const layout: OciBundleLayout = {
    rootfs: "/b/rootfs",
    source: "/home/me/project",
    runDir: "/b/run",
    hostBinds: ["/usr", "/etc/ssl"],
    args: ["/bin/sh", "-c", "launcher", "bulwark-launcher", "make"],
    cgroupsPath: "bulwark.oci.0123",
    limitSwap: true,
    openFiles: 4096,
    hostUid: 0,
    hostGid: 0,
  };
  const limits: Limits = {
    timeoutMs: 1000,
    pids: 100,
    memoryBytes: 2 ** 30,
    cpuSeconds: 60,
    fileSizeBytes: 2 ** 20,
    workspaceBytes: 3 * 2 ** 20,
    tmpBytes: 2 ** 20,
  };
  const spec = baseSpec("/home/me/project", "/out", {
    env: { PATH: "/usr/bin:/bin", FOO: "bar" },
    readOnlyMounts: [{ host: "/opt/go", sandbox: "/opt/go" }],
    limits,
  });
  const mount = (c: ReturnType<typeof buildOciConfig>, destination: string) =>
    c.mounts.find((m) => m.destination === destination);

  it("describes a read-only, capability-free, unprivileged process", () => {
    const c = buildOciConfig(spec, layout);
    expect(c.ociVersion).toBe("1.0.2");
    expect(c.root).toEqual({ path: "/b/rootfs", readonly: true });
    expect(c.hostname).toBe("bulwark-sandbox");
    expect(c.process).toMatchObject({
      terminal: false,
      user: { uid: 1000, gid: 1000 },
      args: layout.args,
      cwd: "/workspace",
      noNewPrivileges: true,
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
    });
    expect(c.process.env).toEqual(["PATH=/usr/bin:/bin", "FOO=bar"]);
    expect(c.process.rlimits).toEqual(
      expect.arrayContaining([
        { type: "RLIMIT_CPU", soft: 60, hard: 61 },
        { type: "RLIMIT_FSIZE", soft: 2 ** 20, hard: 2 ** 20 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
        { type: "RLIMIT_NOFILE", soft: 4096, hard: 4096 },
      ]),
    );
  });

  it("isolates with every namespace, maps the sandbox user to the caller and limits the cgroup", () => {
    const c = buildOciConfig(spec, layout);
    expect(c.linux.namespaces.map((n) => n.type).sort()).toEqual(
      ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"].sort(),
    );
    expect(c.linux.uidMappings).toEqual([
      { containerID: 0, hostID: OCI_CONTAINER_ROOT_HOST_ID, size: 1 },
      { containerID: 1000, hostID: 0, size: 1 },
    ]);
    expect(c.linux.cgroupsPath).toBe("bulwark.oci.0123");
    // The job's pids plus the launcher's overhead; memory and memory+swap alike.
    expect(c.linux.resources.pids.limit).toBeGreaterThan(100);
    expect(c.linux.resources.pids.limit).toBeLessThan(200);
    expect(c.linux.resources.memory).toEqual({ limit: 2 ** 30, swap: 2 ** 30 });
    expect(buildOciConfig(spec, { ...layout, limitSwap: false }).linux.resources.memory).toEqual({
      limit: 2 ** 30,
    });
    expect(c.linux.seccomp).toEqual(toOciSeccomp(DEFAULT_PROFILE));
    expect(c.linux.maskedPaths).toEqual(
      expect.arrayContaining(["/proc/kcore", "/proc/keys", "/sys/firmware"]),
    );
    expect(c.linux.readonlyPaths).toEqual(
      expect.arrayContaining(["/proc/sys", "/proc/sysrq-trigger", "/dev/null"]),
    );
  });

  it("mounts the toolchain and source read-only, sized tmpfs for the writable places, no /sys", () => {
    const c = buildOciConfig(spec, layout);
    expect(mount(c, "/usr")).toEqual({
      destination: "/usr",
      type: "bind",
      source: "/usr",
      options: ["bind", "ro", "nosuid", "nodev"],
    });
    expect(mount(c, "/etc/ssl")?.options).toContain("ro");
    expect(mount(c, "/opt/go")).toMatchObject({ source: "/opt/go", options: expect.arrayContaining(["ro"]) });
    expect(mount(c, "/src")).toMatchObject({ type: "bind", source: "/home/me/project" });
    expect(mount(c, "/src")?.options).toContain("ro");
    expect(mount(c, "/workspace")).toMatchObject({ type: "tmpfs" });
    expect(mount(c, "/workspace")?.options).toEqual(
      expect.arrayContaining([`size=${3 * 2 ** 20}`, "uid=1000", "gid=1000"]),
    );
    expect(mount(c, "/tmp")?.options).toEqual(expect.arrayContaining([`size=${2 ** 20}`, "mode=1777"]));
    expect(mount(c, "/dev/shm")?.options).toEqual(expect.arrayContaining([`size=${2 ** 20}`]));
    expect(mount(c, "/dev")).toMatchObject({ type: "tmpfs", options: expect.arrayContaining(["ro"]) });
    expect(mount(c, "/proc")).toMatchObject({ type: "proc" });
    expect(mount(c, "/dev/pts")).toMatchObject({ type: "devpts" });
    expect(mount(c, "/run/bulwark")).toMatchObject({
      source: "/b/run",
      options: expect.arrayContaining(["ro"]),
    });
    expect(mount(c, "/run/secrets")).toMatchObject({
      type: "tmpfs",
      options: expect.arrayContaining(["ro"]),
    });
    expect(c.mounts.some((m) => m.destination.startsWith("/sys") || m.destination === "/out")).toBe(false);
    // Parents before children.
    const at = (d: string) => c.mounts.findIndex((m) => m.destination === d);
    expect(at("/dev")).toBeLessThan(at("/dev/shm"));
    expect(at("/dev")).toBeLessThan(at("/dev/pts"));
  });

  it("binds the secrets directory and the egress proxy socket read-only", () => {
    const c = buildOciConfig(
      { ...spec, network: { mode: "egress", allow: ["example.com"] }, proxySocket: "/p/proxy.sock" },
      { ...layout, secretsDir: "/dev/shm/s" },
    );
    expect(mount(c, "/run/secrets")).toMatchObject({ type: "bind", source: "/dev/shm/s" });
    expect(mount(c, "/run/secrets")?.options).toContain("ro");
    expect(mount(c, "/run/bulwark/proxy.sock")).toMatchObject({ type: "bind", source: "/p/proxy.sock" });
    expect(c.mounts.findIndex((m) => m.destination === "/run/bulwark")).toBeLessThan(
      c.mounts.findIndex((m) => m.destination === "/run/bulwark/proxy.sock"),
    );
    expect(c.process.env).toContain("HTTPS_PROXY=http://127.0.0.1:3128");
    // Values of secrets appear nowhere in the config.
    expect(JSON.stringify(c)).not.toContain("s3cr3t");
  });
});

describe("resolveOciRuntime", () => {
  it("takes the runtime from the environment, refuses kata and explains a missing one", () => {
    expect(resolveOciRuntime({ [OCI_RUNTIME_ENV]: "kata-runtime", PATH: "" })).toEqual({
      why: expect.stringMatching(/not supported.*VM/),
    });
    expect(resolveOciRuntime({ [OCI_RUNTIME_ENV]: "no-such-runtime-x", PATH: "" })).toEqual({
      why: expect.stringMatching(/no-such-runtime-x is not installed/),
    });
    expect(resolveOciRuntime({ [OCI_RUNTIME_ENV]: "relative/runc", PATH: "" })).toEqual({
      why: expect.stringMatching(/absolute path/),
    });
    expect(resolveOciRuntime({ [OCI_RUNTIME_ENV]: "/bin/sh", PATH: "" })).toEqual({ path: "/bin/sh" });
  });

  it("says why the backend is unavailable", async () => {
    const b = createOciBackend({ env: { [OCI_RUNTIME_ENV]: "no-such-runtime-x", PATH: "" } });
    expect(await b.unavailable()).toMatch(/no-such-runtime-x is not installed/);
    await expect(b.run(baseSpec("/", "/tmp/x"))).rejects.toThrow(/cannot run here/);
  });
});

describe.skipIf(!haveRunc && !isCI())("oci backend with runc", () => {
  let fixture: SandboxFixture;
  let root: string;
  let hostTmp: string;
  let secretsTmp: string;
  const backend = () => createOciBackend({ tmpDir: hostTmp, secretsDir: secretsTmp });
  const spec = (command: string, over: SpecOverrides = {}) =>
    shellSpec(fixture.source, join(root, "out"), command, over);

  /** Containers' cgroups left directly in the cgroup roots. */
  const cgroupLeftovers = () => leftoverCgroups("bulwark.oci", 0);
  const runcContainers = () => {
    const r = spawnSync("runc", ["list", "-q"], { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    return r.stdout
      .toString()
      .split("\n")
      .filter((n) => n.startsWith("bulwark.oci"));
  };

  beforeAll(async () => {
    fixture = await sandboxFixture("bulwark-oci-test-", SOURCE_FILES);
    ({ root, hostTmp } = fixture);
    secretsTmp = join(root, "secrets");
    mkdirSync(secretsTmp);
  });

  afterEach(async () => {
    // The host is left as it was: same source, no bundle, no secrets, no container, no cgroup.
    await expectSourceAndTmpUnchanged(fixture);
    expect(readdirSync(secretsTmp)).toEqual([]);
    expect(runcContainers()).toEqual([]);
    expect(cgroupLeftovers()).toEqual([]);
  });

  afterAll(() => removeFixture(fixture));

  it("is available here (or says why not)", async () => {
    expect(await backend().unavailable()).toBeUndefined();
  });

  it("sees /src read-only and works in a writable copy of it at /workspace", async () => {
    const r = await backend().run(
      spec(
        [
          ...WORKSPACE_COPY_LINES,
          "if touch /etc/x /usr/x /x /dev/x /run/x 2>/dev/null; then echo WROTE-ROOT; exit 1; fi",
          "if chmod 600 /dev/null 2>/dev/null; then echo CHMOD-DEV; exit 1; fi",
          "test ! -e /sys/kernel",
          "echo hello > /dev/null && head -c 4 /dev/zero | wc -c",
          "echo FINE",
        ].join("\n"),
      ),
    );
    expect(text(r)).toContain("FINE");
    expect(text(r)).not.toMatch(/WROTE-SRC|REMOVED-SRC|WROTE-ROOT|CHMOD-DEV/);
    expect(r).toMatchObject({ exitCode: 0, signal: null, products: [] });
    expect(r.limit).toBeUndefined();
    expect(r.enforcement).toMatchObject({ cpu: "rlimit", fileSize: "rlimit", workspace: "tmpfs" });
  });

  it("runs as an unprivileged user on its own hostname, with no capabilities and the seccomp filter", async () => {
    const r = await backend().run(
      spec(
        [
          "id -u; id -g; hostname",
          "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status",
          "if unshare -U true 2>/dev/null; then echo USERNS-ALLOWED; fi",
          `perl -e 'my $r = syscall(101, 0, 0, 0, 0); print "ptrace=$r errno=", $!+0, "\\n"'`,
        ].join("\n"),
      ),
    );
    const log = text(r);
    expectUnprivileged(log);
    expect(log).not.toContain("USERNS-ALLOWED");
    // PTRACE_TRACEME would succeed (0) without the filter; the filter makes it EPERM (1).
    expect(log).toContain("ptrace=-1 errno=1");
  });

  it("collects the products matching the globs as regular files, with their sha256", async () => {
    const outDir = join(root, "products");
    const r = await backend().run(
      spec(
        [
          "set -e",
          "mkdir -p dist/sub",
          "head -c 300000 /dev/urandom > dist/app.bin",
          "printf 'x%.0s' $(seq 1 1000) > dist/sub/b.txt",
          "echo not-a-product > other.txt",
          "ln -s /etc/passwd dist/link",
        ].join("\n"),
        { products: ["dist/**"], outDir },
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(r.products.map((p) => p.path)).toEqual(["dist/app.bin", "dist/sub/b.txt"]);
    expectProductFiles(r.products, outDir);
    expect(r.products[0]!.size).toBe(300000);
    expect(readdirSync(join(outDir, "dist")).sort()).toEqual(["app.bin", "sub"]);
  });

  it("scrubs the environment: host variables are absent, the spec's are present", () =>
    checkScrubbedEnvironment(backend(), spec));

  it("gives secrets as 0400 files at /run/secrets/NAME, never in env, argv or the log", async () => {
    const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
    const r = await backend().run(
      spec(
        [
          "stat -c 'mode=%a owner=%U' /run/secrets/token",
          "sha256sum /run/secrets/token",
          'v=$(cat /run/secrets/token); for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do if tr "\\0" "\\n" < $f 2>/dev/null | grep -qF "$v"; then echo "LEAK:$f"; fi; done',
          'if env | grep -qF "$v"; then echo LEAK:env; fi',
          "if echo x > /run/secrets/token 2>/dev/null || touch /run/secrets/new 2>/dev/null; then echo WRITABLE; fi",
          "echo printed: $(cat /run/secrets/token)",
        ].join("\n"),
        { secrets: [{ name: "token", value: new TextEncoder().encode(secret) }] },
      ),
    );
    const log = text(r);
    expect(r.exitCode).toBe(0);
    expect(log).toContain("mode=400 owner=bulwark");
    expect(log).toContain(sha256(new TextEncoder().encode(secret)));
    expect(log).not.toMatch(/LEAK:|WRITABLE/);
    expect(log).toContain("printed: ***");
    expect(log).not.toContain(secret);
    // afterEach: the host copy of the secret is gone.
  });

  it("has no network: a TCP server on the host's 127.0.0.1 is unreachable and sees nothing", async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await backend().run(
        spec(
          [
            "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '",
            `node -e 'require("net").connect(${port}, "127.0.0.1").on("connect", () => { console.log("CONNECTED"); process.exit(0); }).on("error", (e) => { console.log("error " + e.code); process.exit(3); })'`,
          ].join("\n"),
        ),
      );
      expect(text(r)).toMatch(/^lo\n/);
      expect(text(r)).toContain("error ECONNREFUSED");
      expect(text(r)).not.toContain("CONNECTED");
      expect(r.exitCode).toBe(3);
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("propagates exit codes and signals", async () => {
    const b = backend();
    expect(await b.run(spec("exit 7"))).toMatchObject({ exitCode: 7, signal: null });
    const killed = await b.run(spec("kill -TERM $$"));
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGTERM" });
    expect(killed.limit).toBeUndefined();
  });

  it("enforces the pids limit in the container's cgroup and reports it", async () => {
    const r = await backend().run(
      spec("i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i + 1)); done; echo ALL-FORKED", {
        limits: { pids: 20 },
      }),
    );
    expect(r.exitCode).not.toBe(0);
    expect(text(r)).not.toContain("ALL-FORKED");
    expect(r.limit?.kind).toBe("pids");
    expect(r.enforcement.pids).toMatch(/^cgroup-v[12]$/);
  });

  it("kills everything at the timeout and leaves no process or container behind", async () => {
    const marker = `bulwark-oci-marker-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const r = await backend().run(
      spec(`echo started; sh -c 'sleep 60; : ${marker}' & exec sh -c 'sleep 60; : ${marker}'`, {
        limits: { timeoutMs: 1500 },
      }),
    );
    expect(r.limit?.kind).toBe("timeout");
    expect(r).toMatchObject({ exitCode: null, signal: "SIGKILL", products: [] });
    expect(text(r)).toContain("started");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(processesWith(marker)).toEqual([]);
    // afterEach: `runc list` shows no container, no cgroup is left.
  });

  it("reports the CPU time and file size limits", async () => {
    const b = backend();
    const cpu = await b.run(spec("while :; do :; done", { limits: { cpuSeconds: 1 } }));
    expect(cpu.limit?.kind).toBe("cpu");
    const fsize = await b.run(
      spec("head -c 3000000 /dev/zero > big", { limits: { fileSizeBytes: 2 ** 20 } }),
    );
    expect(fsize.limit?.kind).toBe("file-size");
    expect(fsize.signal).toBe("SIGXFSZ");
  });

  it("reports a full workspace", async () => {
    const r = await backend().run(
      spec("head -c 5000000 /dev/zero > big", {
        limits: { workspaceBytes: 2 ** 21, fileSizeBytes: 2 ** 30 },
      }),
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.limit?.kind).toBe("workspace");
  });

  it("reports the memory limit (memory cgroup OOM kill)", async () => {
    const r = await backend().run(
      spec(`node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`, {
        limits: { memoryBytes: 96 * 2 ** 20 },
      }),
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.limit?.kind).toBe("memory");
  });

  it("reports a source that does not fit in the workspace as the workspace limit", () =>
    checkSourceTooBig(backend(), spec, root));

  it("reaches allowlisted hosts through the egress proxy's socket only", () =>
    checkEgressProxy(backend(), spec, root));

  it("stops the container when the caller aborts", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("stop")), 500);
    await expect(backend().run(spec("sleep 60", { signal: controller.signal }))).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("refuses read-only mounts over the paths it owns", async () => {
    await expect(
      backend().run(spec("true", { readOnlyMounts: [{ host: "/usr", sandbox: "/run/secrets/x" }] })),
    ).rejects.toThrow(/may not cover/);
  });
});
