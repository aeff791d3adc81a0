/**
 * Helpers shared by the sandbox backend tests (bwrap, escapes, oci): whether bwrap can be tested
 * here, a temporary source tree and host temp dir, spec builders, the checks that the host is left
 * as it was (source tree digest, temp dirs, staging directories, cgroups, processes by marker),
 * and the test bodies every isolating backend must pass alike.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { treeDigest } from "../../src/runner/inputs.js";
import { EgressProxy } from "../../src/runner/proxy.js";
import { DEFAULT_PROFILE } from "../../src/runner/seccomp/index.js";
import {
  DEFAULT_LIMITS,
  type Limits,
  type SandboxBackend,
  type SandboxResult,
  type SandboxSpec,
} from "../../src/runner/types.js";
import { isCI } from "./shared.js";

export const haveBwrap = spawnSync("bwrap", ["--version"]).status === 0;
/** bwrap tests are skipped only when bwrap is missing outside CI; in CI a missing bwrap fails them. */
export const skipWithoutBwrap = !haveBwrap && !isCI();

export type SpecOverrides = Omit<Partial<SandboxSpec>, "limits"> & { limits?: Partial<Limits> };
/** A spec running `command` with `sh -c` (what each test file's `spec()` is). */
export type ShellSpec = (command: string, over?: SpecOverrides) => SandboxSpec;

/** A spec with the tests' defaults (`true`, no network, the default profile, a 20 s timeout). */
export function sandboxSpec(source: string, outDir: string, over: SpecOverrides = {}): SandboxSpec {
  return {
    command: ["true"],
    source,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/workspace", LANG: "C.UTF-8" },
    readOnlyMounts: [],
    secrets: [],
    products: [],
    outDir,
    network: { mode: "none" },
    seccomp: DEFAULT_PROFILE,
    ...over,
    limits: { ...DEFAULT_LIMITS, timeoutMs: 20_000, ...over.limits },
  };
}

/** {@link sandboxSpec} running `command` with `sh -c`. */
export function shellSpec(
  source: string,
  outDir: string,
  command: string,
  over: SpecOverrides = {},
): SandboxSpec {
  return sandboxSpec(source, outDir, { command: ["sh", "-c", command], ...over });
}

export const logText = (r: SandboxResult): string => Buffer.from(r.log).toString("utf8");
export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** The digest of a directory tree. */
export async function treeHash(dir: string): Promise<string> {
  return (await treeDigest(dir)).digest;
}

/** A file to write: its text, or its text and mode. */
export type FixtureFile = string | { readonly text: string; readonly mode: number };

/** A temporary root holding the source (`src`) and the backend's temp dir (`hosttmp`). */
export interface SandboxFixture {
  readonly root: string;
  readonly source: string;
  readonly hostTmp: string;
  /** The source tree's digest when it was written. */
  readonly before: string;
}

/** Creates a {@link SandboxFixture} under the OS temp dir, the source holding `files`. */
export async function sandboxFixture(
  prefix: string,
  files: Readonly<Record<string, FixtureFile>>,
): Promise<SandboxFixture> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const source = join(root, "src");
  const hostTmp = join(root, "hosttmp");
  mkdirSync(source);
  mkdirSync(hostTmp);
  for (const [path, file] of Object.entries(files)) {
    mkdirSync(dirname(join(source, path)), { recursive: true });
    if (typeof file === "string") writeFileSync(join(source, path), file);
    else writeFileSync(join(source, path), file.text, { mode: file.mode });
  }
  return { root, source, hostTmp, before: await treeHash(source) };
}

export function removeFixture(fixture: Pick<SandboxFixture, "root"> | undefined): void {
  if (fixture) rmSync(fixture.root, { recursive: true, force: true });
}

/** Cgroup directories named `prefix…` that still exist, `depth` levels below the usual roots. */
export function leftoverCgroups(prefix: string, depth = 3): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries)
      if (e.isDirectory()) {
        if (e.name.startsWith(prefix)) found.push(join(dir, e.name));
        else if (depth > 0) walk(join(dir, e.name), depth - 1);
      }
  };
  for (const c of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"]) walk(c, depth);
  return found;
}

/** Host processes (other than this one) whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(marker)) found.push(Number(pid));
    } catch {
      // exited
    }
  }
  return found.filter((p) => p !== process.pid);
}

/** No product staging directory is left in `outDir`. */
export function expectNoStaging(outDir: string): void {
  if (existsSync(outDir))
    expect(readdirSync(outDir).filter((n) => n.startsWith(".bulwark-staging-"))).toEqual([]);
}

/** The source tree hashes as before and the backend's temp dir is empty. */
export async function expectSourceAndTmpUnchanged(fixture: SandboxFixture): Promise<void> {
  expect(await treeHash(fixture.source)).toBe(fixture.before);
  expect(readdirSync(fixture.hostTmp)).toEqual([]);
}

/**
 * The host is as it was before the run: same source tree, no run directory, no cgroup named
 * `cgroupPrefix…`, no process with one of `markers`, no staging directory in `<root>/out`.
 */
export async function expectHostUnchanged(
  fixture: SandboxFixture,
  cgroupPrefix: string,
  markers: readonly string[] = [],
): Promise<void> {
  await expectSourceAndTmpUnchanged(fixture);
  expect(leftoverCgroups(cgroupPrefix)).toEqual([]);
  for (const m of markers) expect(processesWith(m)).toEqual([]);
  expectNoStaging(join(fixture.root, "out"));
}

// ---------------------------------------------------------------------------------------------
// What every isolating backend must do alike

/** The source the bwrap and oci tests give their backend. */
export const SOURCE_FILES: Readonly<Record<string, FixtureFile>> = {
  "a.txt": "alpha\n",
  "lib/b.txt": "beta\n",
  ".hidden": "dot\n",
};

/**
 * Shell lines (under `set -e`): the sandbox starts in /workspace, a copy of {@link SOURCE_FILES}
 * it can change, /src cannot be written, /tmp and /dev/shm can.
 */
export const WORKSPACE_COPY_LINES: readonly string[] = [
  "set -e",
  'test "$(pwd)" = /workspace',
  "cmp /src/a.txt a.txt && cmp /src/lib/b.txt lib/b.txt && cmp /src/.hidden .hidden",
  "if (echo x > /src/new) 2>/tmp/err; then echo WROTE-SRC; exit 1; fi",
  'grep -q "Read-only file system" /tmp/err',
  "if rm /src/a.txt 2>/dev/null; then echo REMOVED-SRC; exit 1; fi",
  "echo more >> a.txt && rm lib/b.txt && mkdir newdir",
  "touch /tmp/t /dev/shm/s",
];

/** Each product is in `outDir` with the digest and size it was reported with. */
export function expectProductFiles(products: SandboxResult["products"], outDir: string): void {
  for (const p of products) {
    const bytes = readFileSync(join(outDir, p.path));
    expect(p.sha256).toBe(sha256(bytes));
    expect(p.size).toBe(bytes.length);
  }
}

/** The log of `id -u; id -g; hostname` and the status lines of the sandbox user, unprivileged. */
export function expectUnprivileged(log: string): void {
  expect(log).toMatch(/^1000\n1000\nbulwark-sandbox\n/);
  expect(log).toMatch(/CapEff:\s+0+\n/);
  expect(log).toMatch(/CapBnd:\s+0+\n/);
  expect(log).toMatch(/NoNewPrivs:\s+1\n/);
  expect(log).toMatch(/Seccomp:\s+2\n/);
}

/** Host environment variables are absent in the sandbox; the spec's are present. */
export async function checkScrubbedEnvironment(backend: SandboxBackend, spec: ShellSpec): Promise<void> {
  const value = `host-only-${Math.random().toString(36).slice(2)}`;
  process.env.BULWARK_TEST_SECRET = value;
  try {
    const r = await backend.run(
      spec(
        [
          "env",
          "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f 2>/dev/null; done",
          'echo "FOO=$FOO"',
        ].join("\n"),
        { env: { PATH: "/usr/bin:/bin", FOO: "bar" } },
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(logText(r)).toContain("FOO=bar");
    expect(logText(r)).not.toContain(value);
    expect(logText(r)).not.toContain("BULWARK_TEST_SECRET");
  } finally {
    delete process.env.BULWARK_TEST_SECRET;
  }
}

/** An allowlisted host is reached through the egress proxy (under `root`), never directly. */
export async function checkEgressProxy(
  backend: SandboxBackend,
  spec: ShellSpec,
  root: string,
): Promise<void> {
  const server = createServer((req, res) => res.end(`hello ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(root, "proxy-"));
  const proxy = await EgressProxy.start({
    socketPath: join(dir, "proxy.sock"),
    allow: [`127.0.0.1:${port}`],
  });
  try {
    const r = await backend.run(
      spec(
        [
          `curl -sS --max-time 10 http://127.0.0.1:${port}/via-proxy; echo`,
          `curl -sS --max-time 10 --noproxy '*' http://127.0.0.1:${port}/direct >/dev/null 2>&1 || echo DIRECT-FAILED`,
          'echo "proxy=$HTTP_PROXY"',
        ].join("\n"),
        { network: { mode: "egress", allow: [`127.0.0.1:${port}`] }, proxySocket: join(dir, "proxy.sock") },
      ),
    );
    expect(r).toMatchObject({ exitCode: 0, signal: null });
    expect(r.limit).toBeUndefined();
    expect(logText(r)).toContain("hello /via-proxy");
    expect(logText(r)).toContain("DIRECT-FAILED");
    expect(logText(r)).toContain("proxy=http://127.0.0.1:3128");
    expect(proxy.entries()).toEqual([expect.objectContaining({ allowed: true })]);
  } finally {
    await proxy.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A source (under `root`) larger than the workspace is the workspace limit; the command never runs. */
export async function checkSourceTooBig(
  backend: SandboxBackend,
  spec: ShellSpec,
  root: string,
): Promise<void> {
  const big = mkdtempSync(join(root, "bigsrc-"));
  writeFileSync(join(big, "blob"), Buffer.alloc(3 * 2 ** 20, 7));
  try {
    const r = await backend.run(spec("echo RAN", { source: big, limits: { workspaceBytes: 2 ** 20 } }));
    expect(r.limit?.kind).toBe("workspace");
    expect(logText(r)).not.toContain("RAN");
  } finally {
    rmSync(big, { recursive: true });
  }
}
