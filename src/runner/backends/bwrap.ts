/**
 * The `bwrap` backend (default on Linux): one command in a fresh bubblewrap sandbox that is
 * destroyed afterwards.
 *
 * - Namespaces: new user (the command runs as uid/gid 1000 "bulwark", nested user namespaces
 *   disabled), PID, IPC, UTS (hostname `bulwark-sandbox`), mount, network (loopback only) and
 *   cgroup. All capabilities dropped, no new privileges, the seccomp profile as a BPF program,
 *   `--die-with-parent`, `--new-session`.
 * - Filesystem: the host's /usr, /bin, /sbin, /lib* read-only (usrmerge symlinks as symlinks), a
 *   few /etc files (certificates, dynamic linker cache, alternatives; passwd, group, hosts and
 *   nsswitch.conf generated), Node's installation read-only, the spec's read-only mounts, the
 *   source read-only at /src, /workspace and /tmp as size-limited tmpfs, /dev/shm a size-limited
 *   tmpfs, /dev otherwise read-only, secrets as 0400 files in a read-only tmpfs at /run/secrets
 *   (their bytes travel through a pipe: never argv, env or the host's disk), / read-only.
 * - No writable host path at all: products leave through a pipe (see common.ts), not an /out
 *   bind, so a hostile command cannot fill the host's disk.
 * - bwrap's own arguments (which carry the environment) go through `--args FD`, not argv, so
 *   other users on the host cannot read them in `ps`; bwrap itself starts with an empty
 *   environment (its PID-1 reaper's /proc/1/environ is visible inside).
 * - Limits: a per-job pids and memory cgroup that bwrap joins before it starts (the spawn wrapper
 *   writes `0` to `cgroup.procs`, then execs bwrap), else RLIMIT_NPROC/RLIMIT_AS; RLIMIT_CPU and
 *   RLIMIT_FSIZE on the command; tmpfs sizes; the wall-clock timer SIGKILLs bwrap's process
 *   group and the cgroup, `--die-with-parent` and the PID namespace take the rest. Afterwards the
 *   namespace is swept and the cgroup must be empty before it is removed, or the run fails.
 * - Which limit ended a step comes from the host's timer and the cgroup counters, the command's
 *   signal (SIGXCPU, SIGXFSZ) and the workspace's free space (see `classifyLimit`).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  existsSync,
  constants as fsConstants,
  lstatSync,
  readlinkSync,
  realpathSync,
} from "node:fs";
import { lstat, mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import type { Readable, Writable } from "node:stream";
import { BulwarkError } from "../../core/index.js";
import { writeForwarder } from "../forwarder.js";
import { proxyEnvironment } from "../proxy.js";
import { compileBpf } from "../seccomp/index.js";
import type { Mount, SandboxBackend, SandboxResult, SandboxSpec } from "../types.js";
import {
  type CgroupReport,
  classifyLimit,
  collectorScript,
  ControlChannel,
  decodeStatus,
  JobCgroups,
  jobId,
  killPidNamespace,
  killQuietly,
  type LauncherReport,
  launcherScript,
  leakedFdShields,
  type LimitEnforcement,
  LOG_CAP_BYTES,
  OutputCapture,
  planLimits,
  type ProductMatcher,
  ProductSink,
  ProductStreamReader,
  productMatcher,
  type RlimitPlan,
  validateSpec,
} from "./common.js";

export const BWRAP_BACKEND_VERSION = 1;
export const SANDBOX_HOSTNAME = "bulwark-sandbox";
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
/** The egress forwarder's port on the sandbox's loopback. */
export const FORWARDER_PORT = 3128;
/** pids.max on top of the job's limit: bwrap, its PID-1 reaper, the launcher and the collector. */
export const PIDS_OVERHEAD = 16;
/** …and the egress forwarder (a Node process: a dozen threads). */
export const FORWARDER_PIDS = 16;

const HOST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** /etc entries taken from the host when present: TLS roots, the dynamic linker, alternatives. */
const ETC_FROM_HOST = [
  "ssl",
  "ca-certificates",
  "pki",
  "crypto-policies",
  "alternatives",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "protocols",
  "services",
  "os-release",
];
/**
 * /proc entries a process with the host's uid 0 (bwrap run as root maps the sandbox user to it;
 * capabilities are gone, but DAC still treats it as the owner of root's files) could write or
 * read to the host's harm: sysctls (kernel.core_pattern alone is a host-root escape), the
 * SysRq trigger, kernel memory and timers. As Docker does, /proc/sys and /proc/fs become
 * read-only binds (and /proc/pressure, whose triggers are writable) and the rest are covered
 * by an empty read-only file or directory.
 */
const PROC_READ_ONLY = ["sys", "fs", "pressure"];
const PROC_MASKED_FILES = [
  "sysrq-trigger",
  "kcore",
  "keys",
  "timer_list",
  "timer_stats",
  "sched_debug",
  "latency_stats",
  "mtrr",
];
const PROC_MASKED_DIRS = ["acpi", "scsi", "asound"];

function procHardeningArgs(runDir: string): string[] {
  const args: string[] = [];
  const present = (name: string) => existsSync(`/proc/${name}`);
  for (const name of PROC_READ_ONLY.filter(present)) args.push("--ro-bind", `/proc/${name}`, `/proc/${name}`);
  for (const name of PROC_MASKED_FILES.filter(present))
    args.push("--ro-bind", join(runDir, "empty"), `/proc/${name}`);
  for (const name of PROC_MASKED_DIRS.filter(present))
    args.push("--ro-bind", join(runDir, "emptydir"), `/proc/${name}`);
  return args;
}

/** Paths the backend owns inside the sandbox; read-only mounts may not cover them. */
const RESERVED = ["/src", "/workspace", "/tmp", "/run/secrets", "/run/bulwark", "/proc", "/dev", "/etc"];

/** Descriptors of the bwrap child: 3 control, 4 products, 5 seccomp, 6 info, 7 args, 8… secrets. */
const FD = { control: 3, products: 4, seccomp: 5, info: 6, args: 7, secrets: 8 } as const;

export interface BwrapBackendOptions {
  /** The bwrap binary (default: the first `bwrap` on PATH, else /usr/bin/bwrap). */
  readonly bwrap?: string;
  /** Where the per-run host directory goes (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** The cgroup filesystem (default /sys/fs/cgroup); `false` never uses cgroups. */
  readonly cgroupRoot?: string | false;
  /** Prefix of the per-job cgroup's name (default `bulwark-`). */
  readonly cgroupPrefix?: string;
  readonly logCapBytes?: number;
}

/** A bwrap run's result, plus how the pids and memory limits were enforced. */
export interface BwrapResult extends SandboxResult {
  readonly enforcement: LimitEnforcement;
}

function findOnPath(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/bin", "/bin"]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

/** The host's /usr and /bin, /lib… (as symlinks when they are usrmerge links). */
export function systemMountArgs(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  return args;
}

function covered(path: string, by: string): boolean {
  return path === by || path.startsWith(by === "/" ? "/" : `${by}/`);
}

/** Node's installation directory when the system mounts do not already hold it. */
function nodeInstallDir(): string | undefined {
  const dir = dirname(dirname(realpathSync(process.execPath)));
  if (dir === "/" || SYSTEM_DIRS.some((d) => covered(dir, d))) return undefined;
  return dir;
}

function checkMountTargets(mounts: readonly Mount[]): void {
  for (const m of mounts) {
    if (m.sandbox === "/" || RESERVED.some((r) => covered(m.sandbox, r) || covered(r, m.sandbox)))
      throw new BulwarkError("CONFIG_INVALID", `a read-only mount may not cover ${m.sandbox}`);
  }
}

const GENERATED_ETC: Readonly<Record<string, string>> = {
  passwd: [
    "root:x:0:0:root:/root:/usr/sbin/nologin",
    `bulwark:x:${SANDBOX_UID}:${SANDBOX_GID}:bulwark:/workspace:/bin/sh`,
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "",
  ].join("\n"),
  group: ["root:x:0:", `bulwark:x:${SANDBOX_GID}:`, "nogroup:x:65534:", ""].join("\n"),
  hosts: `127.0.0.1\tlocalhost ${SANDBOX_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
  hostname: `${SANDBOX_HOSTNAME}\n`,
  "nsswitch.conf":
    "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nservices: files\nprotocols: files\n",
};

/** The namespace and privilege flags every bwrap sandbox gets. */
const ISOLATION_ARGS = [
  "--unshare-all",
  "--unshare-user",
  "--disable-userns",
  "--uid",
  String(SANDBOX_UID),
  "--gid",
  String(SANDBOX_GID),
  "--hostname",
  SANDBOX_HOSTNAME,
  "--die-with-parent",
  "--new-session",
  "--cap-drop",
  "ALL",
];

interface Spawned {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly pidNamespace?: number;
}

/** Checks what the spec names on the host; returns the source's real path. */
async function checkHostPaths(spec: SandboxSpec): Promise<string> {
  const source = await realpath(spec.source).catch((e: unknown) => {
    throw new BulwarkError("FILE_NOT_FOUND", `the source ${spec.source} cannot be read`, { cause: e });
  });
  if (!(await lstat(source)).isDirectory())
    throw new BulwarkError("CONFIG_INVALID", `the source ${spec.source} is not a directory`);
  for (const m of spec.readOnlyMounts)
    await lstat(m.host).catch((e: unknown) => {
      throw new BulwarkError("FILE_NOT_FOUND", `the mount source ${m.host} does not exist`, { cause: e });
    });
  if (spec.network.mode === "egress" && !(await lstat(spec.proxySocket!).catch(() => undefined))?.isSocket())
    throw new BulwarkError("CONFIG_INVALID", `the egress proxy socket ${spec.proxySocket} is not a socket`);
  return source;
}

/** The run directory's files: generated /etc entries, the collector, masks, the forwarder. */
async function prepareRunDir(runDir: string, matcher: ProductMatcher, egress: boolean): Promise<void> {
  await mkdir(join(runDir, "etc"));
  for (const [name, text] of Object.entries(GENERATED_ETC))
    await writeFile(join(runDir, "etc", name), text, { mode: 0o444 });
  await writeFile(join(runDir, "collect.mjs"), collectorScript(matcher), { mode: 0o444 });
  await writeFile(join(runDir, "empty"), "", { mode: 0o444 });
  await mkdir(join(runDir, "emptydir"), { mode: 0o555 });
  if (egress) writeForwarder(runDir);
}

/** bwrap's options (passed through `--args`), in mount order; the command follows separately. */
function sandboxArgs(spec: SandboxSpec, runDir: string, source: string): string[] {
  const egress = spec.network.mode === "egress";
  const env: Record<string, string> = { ...spec.env, ...(egress ? proxyEnvironment(FORWARDER_PORT) : {}) };
  const nodeDir = nodeInstallDir();
  const l = spec.limits;
  return [
    ...ISOLATION_ARGS,
    "--clearenv",
    ...Object.entries(env).flatMap(([k, v]) => ["--setenv", k, v]),
    ...systemMountArgs(),
    ...(nodeDir ? ["--ro-bind", nodeDir, nodeDir] : []),
    ...ETC_FROM_HOST.flatMap((name) => ["--ro-bind-try", `/etc/${name}`, `/etc/${name}`]),
    ...Object.keys(GENERATED_ETC).flatMap((name) => ["--ro-bind", join(runDir, "etc", name), `/etc/${name}`]),
    ...spec.readOnlyMounts.flatMap((m) => ["--ro-bind", m.host, posix.normalize(m.sandbox)]),
    ...["--proc", "/proc", ...procHardeningArgs(runDir), "--dev", "/dev"],
    ...["--perms", "1777", "--size", String(l.tmpBytes), "--tmpfs", "/dev/shm", "--remount-ro", "/dev"],
    ...["--ro-bind", source, "/src"],
    ...["--size", String(l.workspaceBytes), "--tmpfs", "/workspace"],
    ...["--perms", "1777", "--size", String(l.tmpBytes), "--tmpfs", "/tmp"],
    ...["--ro-bind", join(runDir, "collect.mjs"), "/run/bulwark/collect.mjs"],
    ...(egress
      ? [
          ...["--ro-bind", join(runDir, "forwarder.mjs"), "/run/bulwark/forwarder.mjs"],
          ...["--ro-bind", spec.proxySocket!, "/run/bulwark/proxy.sock"],
        ]
      : []),
    ...["--perms", "0755", "--tmpfs", "/run/secrets"],
    ...spec.secrets.flatMap((s, i) => [
      "--perms",
      "0400",
      "--file",
      String(FD.secrets + i),
      `/run/secrets/${s.name}`,
    ]),
    ...["--remount-ro", "/run/secrets", "--remount-ro", "/"],
    ...["--seccomp", String(FD.seccomp), "--info-fd", String(FD.info)],
    ...["--chdir", "/workspace"],
  ];
}

/** The launcher command line (bwrap takes the command only from its real argv, not --args). */
function launcherCommand(spec: SandboxSpec, rlimits: RlimitPlan): string[] {
  const script = launcherScript({
    node: realpathSync(process.execPath),
    collector: "/run/bulwark/collect.mjs",
    noProducts: spec.products.length === 0,
    rlimits,
    ...(spec.network.mode === "egress"
      ? {
          egress: {
            forwarder: "/run/bulwark/forwarder.mjs",
            socket: "/run/bulwark/proxy.sock",
            port: FORWARDER_PORT,
          },
        }
      : {}),
  });
  return ["/bin/sh", "-c", script, "bulwark-launcher", ...spec.command];
}

/** How a finished sandbox went: the result, or an error when the sandbox itself failed. */
async function interpret(
  spec: SandboxSpec,
  spawned: Spawned,
  report: LauncherReport,
  reader: ProductStreamReader,
  sink: ProductSink,
  cgroupReport: CgroupReport | undefined,
  base: Pick<BwrapResult, "durationMs" | "log" | "enforcement">,
  tail: () => string,
): Promise<BwrapResult> {
  if (spawned.timedOut) {
    const limit = classifyLimit({ limits: spec.limits, timedOut: true, signal: "SIGKILL", failed: true });
    return { ...base, exitCode: null, signal: "SIGKILL", ...(limit ? { limit } : {}), products: [] };
  }
  if (report.phase === undefined || spawned.code === null)
    throw new BulwarkError("INTERNAL", `the bwrap sandbox did not start: ${tail() || "no output"}`, {
      details: { exitCode: spawned.code, signal: spawned.signal },
    });
  if (report.error === "copy") {
    const ws = report.fs.workspace;
    if (ws && ws.free < Math.min(2 ** 20, ws.total * 0.02)) {
      const message = `the source does not fit in the workspace (${spec.limits.workspaceBytes} bytes)`;
      return { ...base, exitCode: null, signal: null, limit: { kind: "workspace", message }, products: [] };
    }
    throw new BulwarkError("INTERNAL", `copying the source into the sandbox failed: ${tail()}`);
  }
  if (report.error === "forwarder" || report.error === "rlimit")
    throw new BulwarkError("INTERNAL", `the sandbox launcher failed (${report.error}): ${tail()}`);

  const { exitCode, signal } = decodeStatus(spawned.code);
  const failed = spawned.code !== 0;
  const limit = classifyLimit({
    limits: spec.limits,
    timedOut: false,
    ...(cgroupReport ? { cgroup: cgroupReport } : {}),
    signal,
    failed,
    ...(report.childCpuSeconds !== undefined ? { childCpuSeconds: report.childCpuSeconds } : {}),
    ...(report.fs.workspace ? { workspace: report.fs.workspace } : {}),
  });
  const outcome = { ...base, exitCode, signal, ...(limit ? { limit } : {}) };
  // Products count only when the launcher finished and the stream is whole; a step that
  // succeeded without them is a sandbox failure, never a success with fewer products.
  const complete =
    report.phase === "end" && report.status === spawned.code && reader.ended && reader.error === undefined;
  if (complete) return { ...outcome, products: await sink.commit() };
  if (!failed && !limit)
    throw new BulwarkError(
      "INTERNAL",
      `collecting the products failed: ${reader.error ?? report.error ?? "the launcher did not finish"}`,
    );
  await sink.discard();
  return { ...outcome, products: [] };
}

export class BwrapBackend implements SandboxBackend {
  readonly name = "bwrap";
  readonly version = BWRAP_BACKEND_VERSION;
  readonly isolated = true;
  private availability: Promise<string | undefined> | undefined;

  constructor(private readonly options: BwrapBackendOptions = {}) {}

  private bwrapPath(): string | undefined {
    return this.options.bwrap ?? findOnPath("bwrap");
  }

  /** Runs a minimal sandbox with the real flags once (cached): namespaces, tmpfs sizes, /proc. */
  unavailable(): Promise<string | undefined> {
    this.availability ??= Promise.resolve().then(() => {
      if (process.platform !== "linux") return "bwrap needs Linux";
      const bwrap = this.bwrapPath();
      if (!bwrap) return "bwrap is not installed (not on PATH)";
      const probe = spawnSync(
        bwrap,
        [
          ...ISOLATION_ARGS,
          ...systemMountArgs(),
          ...["--proc", "/proc", "--dev", "/dev", "--size", "1048576", "--tmpfs", "/tmp"],
          ...["--remount-ro", "/", "--", "/bin/sh", "-c", "exit 0"],
        ],
        { env: { PATH: HOST_PATH }, stdio: ["ignore", "ignore", "pipe"], timeout: 15_000 },
      );
      if (probe.error) return `bwrap cannot run: ${probe.error.message}`;
      if (probe.status !== 0) {
        const why = probe.stderr.toString("utf8").trim() || `exit status ${probe.status ?? probe.signal}`;
        return `bwrap cannot create a sandbox here: ${why}`;
      }
      return undefined;
    });
    return this.availability;
  }

  async run(spec: SandboxSpec): Promise<BwrapResult> {
    validateSpec(spec);
    checkMountTargets(spec.readOnlyMounts);
    spec.signal?.throwIfAborted();
    const why = await this.unavailable();
    if (why) throw new BulwarkError("USAGE", `the bwrap sandbox cannot run here: ${why}`);
    const bwrap = this.bwrapPath()!;
    const program = compileBpf(spec.seccomp);
    const matcher = productMatcher(spec.products);
    const source = await checkHostPaths(spec);
    const egress = spec.network.mode === "egress";

    const runDir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), "bulwark-bwrap-"));
    let cgroups: JobCgroups | undefined;
    const sink = new ProductSink(spec.outDir, matcher, spec.limits.workspaceBytes);
    try {
      await prepareRunDir(runDir, matcher, egress);
      if (this.options.cgroupRoot !== false)
        cgroups = await JobCgroups.create(
          `${this.options.cgroupPrefix ?? "bulwark-"}${jobId()}`,
          spec.limits.pids + PIDS_OVERHEAD + (egress ? FORWARDER_PIDS : 0),
          spec.limits.memoryBytes,
          this.options.cgroupRoot,
        );
      const { enforcement, rlimits } = planLimits(spec.limits, cgroups, "tmpfs");
      const capture = new OutputCapture(
        spec.secrets.map((s) => s.value),
        spec.onOutput,
        this.options.logCapBytes ?? LOG_CAP_BYTES,
      );
      const control = new ControlChannel();
      const reader = new ProductStreamReader(sink);
      const spawned = await this.spawnSandbox(
        bwrap,
        sandboxArgs(spec, runDir, source),
        launcherCommand(spec, rlimits),
        program,
        spec,
        cgroups,
        { capture, control, reader },
      );
      const cgroupReport = await cgroups?.report();
      // Nothing of the sandbox may outlive it: sweep its PID namespace, empty and remove the cgroups.
      if (spawned.pidNamespace !== undefined) await killPidNamespace(spawned.pidNamespace);
      await cgroups?.destroy();
      cgroups = undefined;
      capture.finish();
      if (spawned.aborted) spec.signal?.throwIfAborted();
      const base = { durationMs: spawned.durationMs, log: capture.log(), enforcement };
      return await interpret(spec, spawned, control.report(), reader, sink, cgroupReport, base, () =>
        capture.tail(),
      );
    } finally {
      await sink.discard().catch(() => undefined);
      try {
        await cgroups?.destroy();
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
    }
  }

  /** Spawns bwrap (through the cgroup-joining wrapper), feeds its descriptors, waits for the end. */
  private spawnSandbox(
    bwrap: string,
    args: readonly string[],
    command: readonly string[],
    program: Uint8Array,
    spec: SandboxSpec,
    cgroups: JobCgroups | undefined,
    {
      capture,
      control,
      reader,
    }: { capture: OutputCapture; control: ControlChannel; reader: ProductStreamReader },
  ): Promise<Spawned> {
    const bwrapArgv = ["--args", String(FD.args), "--", ...command];
    const [file, argv] = cgroups
      ? [
          "/bin/sh",
          [
            "-c",
            'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do printf 0 > "$1" || exit 125; shift; done; shift; exec "$@"',
            "bulwark-join",
            ...cgroups.procsFiles,
            "--",
            bwrap,
            ...bwrapArgv,
          ],
        ]
      : [bwrap, bwrapArgv];
    const firstFree = FD.secrets + spec.secrets.length;
    const shields = leakedFdShields(firstFree);
    const stdio = [...Array.from({ length: firstFree }, () => "pipe" as const), ...shields.stdio];
    const started = Date.now();
    return new Promise<Spawned>((resolve, reject) => {
      const child = spawn(file, argv, { detached: true, env: { PATH: HOST_PATH }, stdio });
      shields.close();
      let timedOut = false;
      let aborted = false;
      const streams = child.stdio;
      const readable = (fd: number) => streams[fd] as Readable;
      const writable = (fd: number) => streams[fd] as Writable;
      for (const s of streams) s?.on("error", () => undefined);

      const killAll = () => {
        if (child.pid !== undefined) killQuietly(-child.pid);
        void cgroups?.members().then((pids) => pids.forEach((p) => killQuietly(p)));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killAll();
      }, spec.limits.timeoutMs);
      const onAbort = () => {
        aborted = true;
        killAll();
      };
      spec.signal?.addEventListener("abort", onAbort, { once: true });

      readable(1).on("data", (c: Buffer) => capture.push("stdout", c));
      readable(1).on("end", () => capture.end("stdout"));
      readable(2).on("data", (c: Buffer) => capture.push("stderr", c));
      readable(2).on("end", () => capture.end("stderr"));
      readable(FD.control).on("data", (c: Buffer) => control.push(c));
      const productsDone = reader.consume(readable(FD.products));
      const info: Buffer[] = [];
      readable(FD.info).on("data", (c: Buffer) => info.push(c));
      writable(FD.seccomp).end(program);
      writable(FD.args).end(Buffer.from(args.map((a) => `${a}\0`).join(""), "utf8"));
      spec.secrets.forEach((s, i) => writable(FD.secrets + i).end(s.value));

      child.on("error", (e) => {
        clearTimeout(timer);
        spec.signal?.removeEventListener("abort", onAbort);
        reject(new BulwarkError("INTERNAL", `cannot start bwrap: ${e.message}`, { cause: e }));
      });
      child.on("close", (code, signal) => {
        const durationMs = Date.now() - started;
        clearTimeout(timer);
        spec.signal?.removeEventListener("abort", onAbort);
        streams[0]?.destroy();
        const ns = /"pid-namespace"\s*:\s*(\d+)/.exec(Buffer.concat(info).toString("utf8"))?.[1];
        productsDone.then(
          () =>
            resolve({
              code,
              signal,
              durationMs,
              timedOut,
              aborted,
              ...(ns ? { pidNamespace: Number(ns) } : {}),
            }),
          reject,
        );
      });
    });
  }
}

export function createBwrapBackend(options: BwrapBackendOptions = {}): BwrapBackend {
  return new BwrapBackend(options);
}
