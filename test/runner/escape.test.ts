/**
 * Issue 8's escape and abuse list, against real bubblewrap with the default seccomp profile. Each
 * test asserts the specific failure inside the sandbox AND that the host is unchanged: the source
 * tree hashes the same, no run directory, staging directory or cgroup is left, and no process the
 * sandbox started (found by a marker in its command line) is still alive. Skipped only when bwrap
 * is missing outside CI; in CI a missing bwrap fails every test here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBwrapBackend } from "../../src/runner/backends/index.js";
import { syscallNumber, toSeccompArch } from "../../src/runner/seccomp/index.js";
import {
  expectHostUnchanged as expectHostAsBefore,
  logText as text,
  removeFixture,
  type SandboxFixture,
  sandboxFixture,
  shellSpec,
  skipWithoutBwrap,
  type SpecOverrides,
} from "../support/runner.js";

const CGROUP_PREFIX = `bulwark-escape-${process.pid}-`;
const EPERM = 1;
const nr = (name: string) => syscallNumber(toSeccompArch(process.arch), name)!;

describe.skipIf(skipWithoutBwrap)("escapes and abuse in the bwrap sandbox", () => {
  let fixture: SandboxFixture;
  let root: string;
  let hostTmp: string;
  const backend = () => createBwrapBackend({ tmpDir: hostTmp, cgroupPrefix: CGROUP_PREFIX });
  const marker = () => `1000.${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const spec = (command: string, over: SpecOverrides = {}) =>
    shellSpec(fixture.source, join(root, "out"), command, {
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/workspace" },
      ...over,
    });

  /** The host is as it was before the run. */
  async function expectHostUnchanged(markers: readonly string[] = []): Promise<void> {
    await expectHostAsBefore(fixture, CGROUP_PREFIX, markers);
    // The host can still start processes.
    expect(spawnSync("true").status).toBe(0);
  }

  beforeAll(async () => {
    fixture = await sandboxFixture("bulwark-escape-test-", {
      "build.sh": { text: "echo building\n", mode: 0o755 },
      "pkg/data.json": '{"a":1}\n',
    });
    ({ root, hostTmp } = fixture);
  });

  afterEach(async () => {
    await expectHostUnchanged();
  });

  afterAll(() => removeFixture(fixture));

  it("cannot reach a TCP server on the host's loopback or its other addresses", async () => {
    const connections: Socket[] = [];
    const server: Server = createServer((s) => {
      connections.push(s);
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    const port = (server.address() as { port: number }).port;
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    const hosts = ["127.0.0.1", ...(external ? [external] : [])];
    const probe = (h: string) =>
      `node -e "require('net').connect(${port}, '${h}').on('connect', () => { console.log('CONNECTED ${h}'); process.exit(0) }).on('error', (e) => { console.log('FAILED ${h} ' + e.code); process.exit(0) })"`;
    try {
      const r = await backend().run(
        spec([...hosts.map(probe), "cat /proc/net/dev | grep -v lo: | tail -n +3"].join("\n")),
      );
      expect(text(r)).toContain("FAILED 127.0.0.1 ECONNREFUSED");
      if (external)
        expect(text(r)).toMatch(
          new RegExp(`FAILED ${external.replace(/\./g, "\\.")} (ENETUNREACH|EHOSTUNREACH)`),
        );
      expect(text(r)).not.toContain("CONNECTED");
      expect(connections).toHaveLength(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("cannot write into /src", async () => {
    const r = await backend().run(
      spec(
        [
          "for op in 'echo pwned > /src/build.sh' 'rm -f /src/pkg/data.json' 'touch /src/new' 'mkdir /src/d' 'chmod 777 /src' 'ln -s /x /src/l' 'mv /src/build.sh /src/b'; do",
          '  if (eval "$op") 2>/tmp/err; then echo "SUCCEEDED: $op"; else echo "failed: $(cat /tmp/err)"; fi',
          "done",
        ].join("\n"),
      ),
    );
    expect(text(r)).not.toContain("SUCCEEDED");
    expect(text(r).match(/failed: .*(Read-only file system|Operation not permitted)/g)).toHaveLength(7);
  });

  it("cannot read the host's /root, /etc/shadow or home directories", async () => {
    const r = await backend().run(
      spec("ls -a /root; cat /etc/shadow; cat /proc/1/root/etc/shadow; ls /home; ls /var; echo done"),
    );
    const log = text(r);
    expect(log).toMatch(/\/root.*No such file or directory/);
    expect(log).toMatch(/\/etc\/shadow.*No such file or directory/);
    expect(log).toMatch(/\/home.*No such file or directory/);
    let shadow = "";
    try {
      shadow = readFileSync("/etc/shadow", "utf8");
    } catch {
      // not root: nothing to compare
    }
    for (const line of shadow.split("\n").filter((l) => l.length > 8)) expect(log).not.toContain(line);
  });

  it("cannot see the parent's environment", async () => {
    const value = `parent-secret-${Math.random().toString(36).slice(2)}`;
    process.env.BULWARK_TEST_SECRET = value;
    try {
      const r = await backend().run(
        spec(
          "env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f 2>/dev/null; done; ps -ef 2>/dev/null",
        ),
      );
      expect(r.exitCode).toBe(0);
      expect(text(r)).not.toContain(value);
      expect(text(r)).not.toContain("BULWARK_TEST_SECRET");
    } finally {
      delete process.env.BULWARK_TEST_SECRET;
    }
  });

  it("cannot ptrace another process (seccomp: EPERM)", async () => {
    const r = await backend().run(
      spec(
        [
          "sleep 30 & pid=$!",
          `perl -e '$r = syscall(${nr("ptrace")}, 16, $ARGV[0], 0, 0); printf "ptrace=%d errno=%d\\n", $r, $!+0' $pid`,
          `perl -e '$r = syscall(${nr("process_vm_readv")}, $ARGV[0], 0, 0, 0, 0, 0); printf "vm_readv=%d errno=%d\\n", $r, $!+0' $pid`,
          "strace -p $pid -e trace=none 2>&1 | head -1",
          "kill $pid",
        ].join("\n"),
      ),
    );
    expect(text(r)).toContain(`ptrace=-1 errno=${EPERM}`);
    expect(text(r)).toContain(`vm_readv=-1 errno=${EPERM}`);
    expect(text(r)).toMatch(/Operation not permitted/);
  });

  it("cannot mount anything", async () => {
    const r = await backend().run(
      spec(
        [
          "mkdir -p /tmp/m",
          "mount -t tmpfs x /tmp/m; echo mount-status=$?",
          `perl -e 'my ($s, $t, $f) = ("x", "/tmp/m", "tmpfs"); $r = syscall(${nr("mount")}, $s, $t, $f, 0, 0); printf "mount=%d errno=%d\\n", $r, $!+0'`,
          "unshare -m true; echo unshare-m-status=$?",
          "grep -c ' /tmp/m ' /proc/self/mounts",
        ].join("\n"),
      ),
    );
    expect(text(r)).toMatch(/mount-status=[1-9]/);
    expect(text(r)).toContain(`mount=-1 errno=${EPERM}`);
    expect(text(r)).toMatch(/unshare-m-status=[1-9]/);
    expect(text(r)).toMatch(/^0$/m);
  });

  it("cannot create a user namespace", async () => {
    const r = await backend().run(
      spec(
        [
          "unshare -U true; echo unshare-status=$?",
          "unshare -Ur id; echo unshare-r-status=$?",
          `perl -e '$r = syscall(${nr("unshare")}, 0x10000000); printf "unshare=%d errno=%d\\n", $r, $!+0'`,
        ].join("\n"),
      ),
    );
    expect(text(r)).toMatch(/unshare-status=[1-9]/);
    expect(text(r)).toMatch(/unshare-r-status=[1-9]/);
    expect(text(r)).toContain(`unshare=-1 errno=${EPERM}`);
    expect(text(r)).not.toMatch(/uid=0/);
  });

  it("cannot change host sysctls or trigger SysRq (uid 0 on the host is not enough)", async () => {
    const r = await backend().run(
      spec(
        [
          "for f in /proc/sys/kernel/core_pattern /proc/sys/vm/swappiness /proc/sysrq-trigger; do [ -w $f ] && echo WRITABLE $f; done",
          "(echo x > /proc/sys/kernel/hostname) 2>&1",
          "find /proc -maxdepth 3 -writable -not -path '/proc/[0-9]*' -not -path '/proc/self*' -not -path '/proc/thread-self*' 2>/dev/null | sed 's/^/writable: /'",
        ].join("\n"),
      ),
    );
    expect(text(r)).not.toContain("WRITABLE");
    expect(text(r)).toContain("Read-only file system");
    expect(text(r)).not.toContain("writable: ");
  });

  it("cannot reach the launcher's channels or make a failed step look successful", async () => {
    const r = await backend().run(
      spec(
        [
          'for fd in 3 4; do (printf \'{"path":"../../evil","size":1,"mode":420}\\nX\' > /proc/$PPID/fd/$fd) 2>&1; done',
          "kill -9 $PPID",
        ].join("\n"),
        { products: ["**"], outDir: join(root, "out") },
      ),
    );
    expect(text(r)).toMatch(/\/proc\/\d+\/fd\/3: No such device or address/);
    expect(r.exitCode).not.toBe(0);
    expect(r.products).toEqual([]);
    expect(existsSync(join(root, "evil"))).toBe(false);
  });

  it("cannot leave a process running to tamper with the products", async () => {
    const r = await backend().run(
      spec(
        [
          "mkdir -p dist && echo ok > dist/app",
          // Waits for the collector (the first Node process in the sandbox) and then rewrites.
          "(until grep -qx node /proc/[0-9]*/comm 2>/dev/null; do :; done; echo tampered > dist/app; echo late > dist/late) &",
          "sleep 0.2",
        ].join("\n"),
        { products: ["dist/*"], outDir: join(root, "out") },
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(r.products.map((p) => p.path)).toEqual(["dist/app"]);
    expect(readFileSync(join(root, "out", "dist", "app"), "utf8")).toBe("ok\n");
  });

  it("cannot fork-bomb past the pids limit", async () => {
    const m = marker();
    const r = await backend().run(
      spec(`bomb() { sleep ${m} & bomb | bomb & }; bomb; sleep 2`, {
        limits: { pids: 64, timeoutMs: 15_000 },
      }),
    );
    if (r.enforcement.pids === "none") throw new Error("no pids limit could be enforced here");
    if (r.enforcement.pids === "rlimit") expect(text(r)).toMatch(/fork|Resource temporarily unavailable/i);
    else expect(r.limit?.kind).toBe("pids");
    expect(r.limit?.kind).not.toBe("timeout");
    await expectHostUnchanged([m]);
  });

  it("cannot fill the workspace past its size", async () => {
    const r = await backend().run(
      spec("dd if=/dev/zero of=/workspace/big bs=1M count=64", { limits: { workspaceBytes: 16 * 2 ** 20 } }),
    );
    expect(text(r)).toContain("No space left on device");
    expect(r.exitCode).not.toBe(0);
    expect(r.limit?.kind).toBe("workspace");
  });

  it("cannot outlive the timeout, not even from a new session or a double fork", async () => {
    const m = marker();
    const started = Date.now();
    const r = await backend().run(
      spec(
        [
          `sh -c 'sleep ${m} &'`,
          `setsid sh -c 'trap "" TERM HUP; sleep ${m}' &`,
          `(trap '' TERM HUP INT; exec sleep ${m}) &`,
          "echo spawned",
          `sleep ${m}`,
        ].join("\n"),
        { limits: { timeoutMs: 1500 } },
      ),
    );
    expect(text(r)).toContain("spawned");
    expect(r.limit?.kind).toBe("timeout");
    expect(r).toMatchObject({ exitCode: null, signal: "SIGKILL" });
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectHostUnchanged([m]);
  });
});
