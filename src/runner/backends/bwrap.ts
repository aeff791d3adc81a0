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
import { accessSync, existsSync, constants as fsConstants, lstatSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Readable, Writable } from "node:stream";
import { BulwarkError } from "../../core/index.js";
import { writeForwarder } from "../forwarder.js";
import { proxyEnvironment } from "../proxy.js";
import { compileBpf } from "../seccomp/index.js";
import type { SandboxBackend, SandboxResult, SandboxSpec } from "../types.js";
import {
  checkHostPaths,
  checkMountTargets,
  collectorScript,
  ControlChannel,
  ETC_FROM_HOST,
  FORWARDER_PORT,
  GENERATED_ETC,
  HOST_PATH,
  interpretSandboxEnd,
  JobCgroups,
  killPidNamespace,
  killQuietly,
  launcherCommand,
  leakedFdShields,
  type LimitEnforcement,
  nodeInstallDir,
  OutputCapture,
  planLimits,
  type ProductMatcher,
  ProductSink,
  ProductStreamReader,
  productMatcher,
  releaseRun,
  RunWatch,
  SANDBOX_GID,
  SANDBOX_HOSTNAME,
  SANDBOX_UID,
  sandboxPidsLimit,
  type Spawned as SpawnedBase,
  SYSTEM_DIRS,
  validateSpec,
} from "./common.js";

export {
  FORWARDER_PIDS,
  FORWARDER_PORT,
  PIDS_OVERHEAD,
  SANDBOX_GID,
  SANDBOX_HOSTNAME,
  SANDBOX_UID,
} from "./common.js";

export const BWRAP_BACKEND_VERSION = 1;
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

interface Spawned extends SpawnedBase {
  readonly pidNamespace?: number;
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
      cgroups = await JobCgroups.forJob(this.options, sandboxPidsLimit(spec), spec.limits.memoryBytes);
      const { enforcement, rlimits } = planLimits(spec.limits, cgroups, "tmpfs");
      const capture = OutputCapture.forSpec(spec, this.options.logCapBytes);
      const control = new ControlChannel();
      const reader = new ProductStreamReader(sink);
      const spawned = await this.spawnSandbox(
        bwrap,
        sandboxArgs(spec, runDir, source),
        // bwrap takes the command only from its real argv, not --args.
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
      const end = { backend: "bwrap", spec, spawned, control, reader, sink, cgroup: cgroupReport };
      return await interpretSandboxEnd({ ...end, tail: () => capture.tail() }, base);
    } finally {
      await releaseRun(sink, cgroups, runDir);
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
      const streams = child.stdio;
      const readable = (fd: number) => streams[fd] as Readable;
      const writable = (fd: number) => streams[fd] as Writable;
      for (const s of streams) s?.on("error", () => undefined);

      const watch = new RunWatch(spec, () => {
        if (child.pid !== undefined) killQuietly(-child.pid);
        void cgroups?.members().then((pids) => pids.forEach((p) => killQuietly(p)));
      });

      capture.follow("stdout", readable(1));
      capture.follow("stderr", readable(2));
      readable(FD.control).on("data", (c: Buffer) => control.push(c));
      const productsDone = reader.consume(readable(FD.products));
      const info: Buffer[] = [];
      readable(FD.info).on("data", (c: Buffer) => info.push(c));
      writable(FD.seccomp).end(program);
      writable(FD.args).end(Buffer.from(args.map((a) => `${a}\0`).join(""), "utf8"));
      spec.secrets.forEach((s, i) => writable(FD.secrets + i).end(s.value));

      child.on("error", (e) => {
        watch.stop();
        reject(new BulwarkError("INTERNAL", `cannot start bwrap: ${e.message}`, { cause: e }));
      });
      child.on("close", (code, signal) => {
        const durationMs = Date.now() - started;
        watch.stop();
        streams[0]?.destroy();
        const ns = /"pid-namespace"\s*:\s*(\d+)/.exec(Buffer.concat(info).toString("utf8"))?.[1];
        productsDone.then(
          () =>
            resolve({
              code,
              signal,
              durationMs,
              timedOut: watch.timedOut,
              aborted: watch.aborted,
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
