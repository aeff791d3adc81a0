/**
 * The `oci` backend: one command in a fresh container run by an OCI runtime (runc), from a bundle
 * generated per run and deleted afterwards. It runs the same launcher as `bwrap` (copy /src to
 * /workspace, egress forwarder, the command under its rlimits, product collection over a pipe),
 * so both backends behave the same; only the isolation mechanism differs.
 *
 * - Runtime: `BULWARK_OCI_RUNTIME` (a name on PATH or an absolute path), else `runc`. runc is the
 *   default rather than `runsc` or `kata-runtime` because those need different handling: kata runs
 *   the container in a VM, where the launcher's control and product pipes (fds 3 and 4, passed with
 *   `--preserve-fds`) cannot follow, so it is refused; gVisor applies the config's seccomp filter
 *   only with extra flags. Any runtime is first probed ({@link OciBackend.unavailable}) with a
 *   container that must see its seccomp filter in force, its uid and fd 3, so a runtime that would
 *   silently drop part of the isolation is reported unavailable instead of used.
 * - User: a user namespace maps the sandbox user 1000 to the caller (root) and the container's root
 *   to 65534, as bwrap does: the command is not root inside, yet can read a source directory that
 *   only root may read (mkdtemp's 0700) and owns /workspace. No capabilities at all, no new
 *   privileges, the seccomp profile ({@link toOciSeccomp}). The bind-mounted device nodes are
 *   made read-only, since the command would otherwise own (and could chmod) the host's /dev/null.
 * - Namespaces: user, PID, network (loopback only), IPC, UTS (`bulwark-sandbox`), mount, cgroup.
 * - Filesystem: the root is an empty bundle directory, read-only, holding the usrmerge symlinks and
 *   the generated /etc files; the host's /usr, /bin, /lib… (when not symlinks), Node's installation,
 *   the /etc files bwrap takes, and the spec's read-only mounts are bound read-only (not
 *   recursively: runc would leave sub-mounts writable); the source read-only at /src; /workspace,
 *   /tmp and /dev/shm size-limited tmpfs; /dev a read-only tmpfs with runc's standard devices; no
 *   /sys; runc's masked and read-only /proc paths.
 * - Secrets: 0400 files in a 0700 directory on a host tmpfs (/dev/shm when it is one), bound
 *   read-only at /run/secrets and removed after the run; never in the environment or argv.
 * - No writable host path: products leave through the launcher's product pipe, as with bwrap, not
 *   through an /out bind, so a hostile command cannot fill the host's disk.
 * - Limits: pids and memory in the container's cgroup (runc creates it under the caller's own
 *   cgroup and keeps it until `runc delete`, which is when the counters are read), RLIMIT_CPU,
 *   RLIMIT_FSIZE and RLIMIT_CORE in the config and again by the launcher, the tmpfs sizes, and the
 *   wall clock: `runc kill <id> KILL` ends the container's init and so its whole PID namespace.
 * - Root only: rootless runtimes would need a different mapping and delegated cgroups.
 */
import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, existsSync, readFileSync, statfsSync } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, posix } from "node:path";
import type { Readable } from "node:stream";
import { BulwarkError } from "../../core/index.js";
import { writeForwarder } from "../forwarder.js";
import { proxyEnvironment } from "../proxy.js";
import { type OciSeccomp, toOciSeccomp } from "../seccomp/index.js";
import {
  DEFAULT_LIMITS,
  type SandboxBackend,
  type SandboxResult,
  type SandboxSpec,
  type SeccompProfile,
} from "../types.js";
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
  jobId,
  launcherCommand,
  leakedFdShields,
  type LimitEnforcement,
  nodeInstallDir,
  OutputCapture,
  ProductSink,
  ProductStreamReader,
  productMatcher,
  readCgroupReport,
  RESERVED_PATHS,
  RunWatch,
  SANDBOX_GID,
  SANDBOX_HOSTNAME,
  SANDBOX_UID,
  sandboxPidsLimit,
  sleep,
  type Spawned,
  SYSTEM_DIRS,
  validateSpec,
} from "./common.js";

export const OCI_BACKEND_VERSION = 1;
/** The runtime-spec version of the generated config. */
export const OCI_VERSION = "1.0.2";
/** Names the runtime: a command on PATH or an absolute path. */
export const OCI_RUNTIME_ENV = "BULWARK_OCI_RUNTIME";
/** The host uid/gid the container's own root maps to (it never runs the command). */
export const OCI_CONTAINER_ROOT_HOST_ID = 65534;

/** Where a runtime is looked for besides PATH (runc lives in sbin, often not on a user's PATH). */
const RUNTIME_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
const TMPFS_MAGIC = 0x01021994;
/** Paths the backend owns inside the sandbox (bwrap's, and /sys); read-only mounts may not cover them. */
const RESERVED = [...RESERVED_PATHS, "/sys"];
/** runc's defaults (`runc spec`) plus Docker's /sys/devices/virtual/powercap. */
export const OCI_MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
/**
 * runc's defaults, plus the device nodes runc bind-mounts from the host in a user namespace: the
 * command's uid maps to their owner, so only a read-only mount stops it changing their mode.
 * (Reading and writing a device node works on a read-only mount.)
 */
export const OCI_READONLY_PATHS = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
  "/dev/null",
  "/dev/zero",
  "/dev/full",
  "/dev/random",
  "/dev/urandom",
  "/dev/tty",
];

/** Descriptors of the runtime process: 3 control, 4 products (both passed to the container). */
const FD = { control: 3, products: 4 } as const;

// ---------------------------------------------------------------------------------------------
// The config

export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

export interface OciRlimit {
  readonly type: "RLIMIT_NOFILE" | "RLIMIT_CPU" | "RLIMIT_FSIZE" | "RLIMIT_CORE";
  readonly soft: number;
  readonly hard: number;
}

export interface OciIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** The runtime-spec `config.json` (the subset this backend writes). */
export interface OciConfig {
  readonly ociVersion: string;
  readonly process: {
    readonly terminal: false;
    readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids: readonly number[] };
    readonly args: readonly string[];
    readonly env: readonly string[];
    readonly cwd: string;
    readonly capabilities: Readonly<
      Record<"bounding" | "effective" | "inheritable" | "permitted" | "ambient", []>
    >;
    readonly rlimits: readonly OciRlimit[];
    readonly noNewPrivileges: true;
  };
  readonly root: { readonly path: string; readonly readonly: true };
  readonly hostname: string;
  readonly mounts: readonly OciMount[];
  readonly linux: {
    readonly uidMappings: readonly OciIdMapping[];
    readonly gidMappings: readonly OciIdMapping[];
    readonly namespaces: readonly { readonly type: string }[];
    readonly cgroupsPath: string;
    readonly resources: {
      readonly devices: readonly { readonly allow: boolean; readonly access: string }[];
      readonly pids: { readonly limit: number };
      readonly memory: { readonly limit: number; readonly swap?: number };
    };
    readonly seccomp: OciSeccomp;
    readonly maskedPaths: readonly string[];
    readonly readonlyPaths: readonly string[];
  };
}

/** Where the host side of a bundle is; everything {@link buildOciConfig} needs beyond the spec. */
export interface OciBundleLayout {
  /** The bundle's root filesystem: an empty directory but for usrmerge symlinks and /etc files. */
  readonly rootfs: string;
  /** The source (resolved), bound read-only at /src. */
  readonly source: string;
  /** Host directory with the collector (and forwarder), bound read-only at /run/bulwark. */
  readonly runDir: string;
  /** Host directory with the secret files, bound read-only at /run/secrets (else an empty tmpfs). */
  readonly secretsDir?: string;
  /** Host paths bound read-only at the same path: /usr, /lib…, Node's installation, /etc entries. */
  readonly hostBinds: readonly string[];
  /** The container's first process (the launcher). */
  readonly args: readonly string[];
  /** The container's cgroup, relative to the runtime's own. */
  readonly cgroupsPath: string;
  /** Also limit memory+swap (v2, or v1 with swap accounting). */
  readonly limitSwap: boolean;
  /**
   * RLIMIT_NOFILE (soft and hard). At most the caller's hard limit: inside the user namespace the
   * runtime cannot raise it.
   */
  readonly openFiles: number;
  /** The host user the sandbox user maps to (the runtime's own: root). */
  readonly hostUid: number;
  readonly hostGid: number;
}

function bindRo(source: string, destination: string, extra: readonly string[] = []): OciMount {
  return { destination, type: "bind", source, options: ["bind", "ro", "nosuid", "nodev", ...extra] };
}

function tmpfs(destination: string, options: readonly string[]): OciMount {
  return { destination, type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", ...options] };
}

/** The environment of the container's first process (the spec's, plus the proxy's for egress). */
export function ociEnvironment(spec: Pick<SandboxSpec, "env" | "network">): string[] {
  const env: Record<string, string> = {
    ...spec.env,
    ...(spec.network.mode === "egress" ? proxyEnvironment(FORWARDER_PORT) : {}),
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** The pids.max of the container: the job's limit plus the launcher's own processes. */
export function ociPidsLimit(spec: Pick<SandboxSpec, "limits" | "network">): number {
  return sandboxPidsLimit(spec);
}

/**
 * The runtime-spec config for `spec` (pure: the host is probed by the caller into `layout`).
 * Mounts are ordered so every mount point's parent is mounted first.
 */
export function buildOciConfig(spec: SandboxSpec, layout: OciBundleLayout): OciConfig {
  const l = spec.limits;
  const egress = spec.network.mode === "egress";
  const mounts: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "noexec", "strictatime", "mode=755", "size=65536k", "ro"],
    },
    // No gid=5: gid 5 is not mapped into the user namespace, and the kernel refuses the mount.
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    tmpfs("/dev/shm", ["noexec", "mode=1777", `size=${l.tmpBytes}`]),
    ...layout.hostBinds.map((p) => bindRo(p, p)),
    ...spec.readOnlyMounts.map((m) => bindRo(m.host, posix.normalize(m.sandbox))),
    bindRo(layout.source, "/src"),
    tmpfs("/workspace", [`size=${l.workspaceBytes}`, "mode=755", `uid=${SANDBOX_UID}`, `gid=${SANDBOX_GID}`]),
    tmpfs("/tmp", [`size=${l.tmpBytes}`, "mode=1777"]),
    bindRo(layout.runDir, "/run/bulwark", ["noexec"]),
    ...(egress ? [{ ...bindRo(spec.proxySocket!, "/run/bulwark/proxy.sock", ["noexec"]) }] : []),
    layout.secretsDir
      ? bindRo(layout.secretsDir, "/run/secrets", ["noexec"])
      : tmpfs("/run/secrets", ["noexec", "ro", "mode=755", "size=4k"]),
  ];
  const idMappings = (hostId: number, sandboxId: number): OciIdMapping[] => [
    { containerID: 0, hostID: OCI_CONTAINER_ROOT_HOST_ID, size: 1 },
    { containerID: sandboxId, hostID: hostId, size: 1 },
  ];
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: SANDBOX_UID, gid: SANDBOX_GID, additionalGids: [] },
      args: [...layout.args],
      env: ociEnvironment(spec),
      cwd: "/workspace",
      capabilities: { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] },
      rlimits: [
        { type: "RLIMIT_NOFILE", soft: layout.openFiles, hard: layout.openFiles },
        // As the launcher sets them: SIGXCPU at the soft limit names the limit, SIGKILL a second later.
        { type: "RLIMIT_CPU", soft: l.cpuSeconds, hard: l.cpuSeconds + 1 },
        { type: "RLIMIT_FSIZE", soft: l.fileSizeBytes, hard: l.fileSizeBytes },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      ],
      noNewPrivileges: true,
    },
    root: { path: layout.rootfs, readonly: true },
    hostname: SANDBOX_HOSTNAME,
    mounts,
    linux: {
      uidMappings: idMappings(layout.hostUid, SANDBOX_UID),
      gidMappings: idMappings(layout.hostGid, SANDBOX_GID),
      namespaces: ["pid", "network", "ipc", "uts", "mount", "cgroup", "user"].map((type) => ({ type })),
      cgroupsPath: layout.cgroupsPath,
      resources: {
        devices: [{ allow: false, access: "rwm" }],
        pids: { limit: ociPidsLimit(spec) },
        memory: { limit: l.memoryBytes, ...(layout.limitSwap ? { swap: l.memoryBytes } : {}) },
      },
      seccomp: toOciSeccomp(spec.seccomp),
      maskedPaths: OCI_MASKED_PATHS,
      readonlyPaths: OCI_READONLY_PATHS,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The host side

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The runtime to use: its path, or why there is none. */
export function resolveOciRuntime(env: NodeJS.ProcessEnv = process.env): { path: string } | { why: string } {
  const named = env[OCI_RUNTIME_ENV]?.trim() || "runc";
  if (/kata/.test(basename(named)))
    return {
      why:
        `${named} is not supported: it runs the container in a VM, where the launcher's control and ` +
        "product pipes cannot be passed (use runc)",
    };
  if (named.includes("/")) {
    if (!isAbsolute(named)) return { why: `${OCI_RUNTIME_ENV} must be a command name or an absolute path` };
    return executable(named) ? { path: named } : { why: `the OCI runtime ${named} is not an executable` };
  }
  const dirs = [...(env.PATH ?? "").split(":").filter((d) => isAbsolute(d)), ...RUNTIME_DIRS];
  for (const dir of dirs) if (executable(join(dir, named))) return { path: join(dir, named) };
  return {
    why: `the OCI runtime ${named} is not installed (not on PATH)${env[OCI_RUNTIME_ENV] ? "" : `; set ${OCI_RUNTIME_ENV} to use another`}`,
  };
}

/**
 * Fills the empty root filesystem (usrmerge symlinks, generated /etc files, mount points) and
 * returns the host paths to bind read-only at the same place.
 */
async function prepareRootfs(rootfs: string): Promise<string[]> {
  const binds: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink()) await symlink(await readlink(dir), join(rootfs, dir));
    else if (st?.isDirectory()) binds.push(dir);
  }
  const nodeDir = nodeInstallDir();
  if (nodeDir) binds.push(nodeDir);
  await mkdir(join(rootfs, "etc"));
  for (const [name, text] of Object.entries(GENERATED_ETC))
    await writeFile(join(rootfs, "etc", name), text, { mode: 0o444 });
  for (const name of ETC_FROM_HOST) if (existsSync(`/etc/${name}`)) binds.push(`/etc/${name}`);
  // Not the tmpfs mount points: runc gives a tmpfs the mode of an existing mount point (/tmp 1777).
  for (const dir of ["proc", "src", "run/bulwark", "run/secrets"])
    await mkdir(join(rootfs, dir), { recursive: true });
  return binds;
}

/** A host directory on a tmpfs for the secret files (so they never touch a disk), if there is one. */
function secretsBase(): string {
  for (const dir of ["/dev/shm", "/run"]) {
    try {
      if (statfsSync(dir).type === TMPFS_MAGIC) {
        accessSync(dir, fsConstants.W_OK);
        return dir;
      }
    } catch {
      // next
    }
  }
  return tmpdir();
}

async function writeSecrets(base: string, secrets: SandboxSpec["secrets"]): Promise<string> {
  const dir = await mkdtemp(join(base, "bulwark-oci-secrets-"));
  try {
    await chmod(dir, 0o700);
    for (const s of secrets) await writeFile(join(dir, s.name), s.value, { mode: 0o400, flag: "wx" });
    return dir;
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The container cgroup's pids and memory directories, as runc derives them from a relative path. */
function containerCgroupDirs(name: string, root = "/sys/fs/cgroup"): { pids?: string; memory?: string } {
  let own: Map<string, string>;
  try {
    own = new Map(
      readFileSync("/proc/self/cgroup", "utf8")
        .split("\n")
        .flatMap((line) => {
          const m = /^\d+:([^:]*):(.*)$/.exec(line);
          return m ? m[1]!.split(",").map((c) => [c, m[2]!] as const) : [];
        }),
    );
  } catch {
    return {};
  }
  if (existsSync(join(root, "pids"))) {
    const dir = (c: string) => (own.has(c) ? join(root, c, own.get(c)!, name) : undefined);
    return { pids: dir("pids"), memory: dir("memory") };
  }
  const unified = own.get("");
  return unified === undefined ? {} : { pids: join(root, unified, name), memory: join(root, unified, name) };
}

/** The caller's hard RLIMIT_NOFILE, capped at 65536 (the container's soft and hard limit). */
function openFilesLimit(): number {
  const cap = 65536;
  try {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && /^\d+$/.test(m[1]!) ? Math.min(cap, Number(m[1])) : cap;
  } catch {
    return 1024;
  }
}

function swapAccounting(root = "/sys/fs/cgroup"): boolean {
  if (!existsSync(join(root, "pids"))) return true;
  return existsSync(join(root, "memory", "memory.memsw.limit_in_bytes"));
}

function cgroupMechanism(root = "/sys/fs/cgroup"): "cgroup-v1" | "cgroup-v2" {
  return existsSync(join(root, "pids")) ? "cgroup-v1" : "cgroup-v2";
}

// ---------------------------------------------------------------------------------------------
// The backend

export interface OciBackendOptions {
  /** The runtime binary (default: {@link OCI_RUNTIME_ENV}, else `runc` on PATH or in sbin). */
  readonly runtime?: string;
  /** The runtime's state directory (`--root`; default the runtime's own, /run/runc for runc). */
  readonly stateRoot?: string;
  /** Where the per-run bundle goes (default: the OS temp dir). */
  readonly tmpDir?: string;
  /** Where the per-run secrets directory goes (default: /dev/shm or /run when tmpfs, else tmpDir). */
  readonly secretsDir?: string;
  readonly logCapBytes?: number;
  /** The environment {@link OCI_RUNTIME_ENV} is read from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

/** An oci run's result, plus how the limits were enforced. */
export interface OciResult extends SandboxResult {
  readonly enforcement: LimitEnforcement;
}

const PROBE_PROFILE: SeccompProfile = {
  name: "bulwark-oci-probe",
  rules: [{ names: ["acct"], action: "errno" }],
};

export class OciBackend implements SandboxBackend {
  readonly name = "oci";
  readonly version = OCI_BACKEND_VERSION;
  readonly isolated = true;
  private availability: Promise<string | undefined> | undefined;

  constructor(private readonly options: OciBackendOptions = {}) {}

  private runtime(): { path: string } | { why: string } {
    if (this.options.runtime) return resolveOciRuntime({ [OCI_RUNTIME_ENV]: this.options.runtime, PATH: "" });
    return resolveOciRuntime(this.options.env ?? process.env);
  }

  private globalArgs(bundle: string): string[] {
    return [
      ...["--log", join(bundle, "runtime.log"), "--log-format", "json"],
      ...(this.options.stateRoot ? ["--root", this.options.stateRoot] : []),
    ];
  }

  /**
   * Undefined when usable: Linux, root, a runtime, and a probe container (the real kind of
   * bundle, once, cached) that sees its seccomp filter, its uid and the control descriptor.
   */
  unavailable(): Promise<string | undefined> {
    this.availability ??= this.probe();
    return this.availability;
  }

  private async probe(): Promise<string | undefined> {
    if (process.platform !== "linux") return "OCI runtimes need Linux";
    const rt = this.runtime();
    if ("why" in rt) return rt.why;
    if (process.getuid?.() !== 0)
      return "the oci backend needs root (rootless runtimes need delegated cgroups and a different user mapping; use bwrap)";
    const dir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), "bulwark-oci-probe-"));
    const id = `bulwark.oci-probe.${jobId()}`;
    try {
      const spec: SandboxSpec = {
        command: ["true"],
        source: dir,
        env: { PATH: HOST_PATH },
        readOnlyMounts: [],
        secrets: [],
        products: [],
        outDir: dir,
        limits: {
          ...DEFAULT_LIMITS,
          pids: 64,
          memoryBytes: 256 * 2 ** 20,
          tmpBytes: 2 ** 20,
          workspaceBytes: 2 ** 20,
        },
        network: { mode: "none" },
        seccomp: PROBE_PROFILE,
      };
      const check = [
        `grep -q '^Seccomp:[[:space:]]*2' /proc/self/status || { echo 'the seccomp filter is not in force' >&2; exit 3; }`,
        `[ "$(id -u)" = ${SANDBOX_UID} ] || { echo 'the container does not run as uid ${SANDBOX_UID}' >&2; exit 3; }`,
        "echo ok >&3",
      ].join("\n");
      const bundle = await this.prepare(spec, dir, id, ["/bin/sh", "-c", check], undefined);
      const out = await runRuntime(rt.path, [...this.globalArgs(bundle), "run", ...runArgs(bundle, id)]);
      const log = await readFile(join(bundle, "runtime.log"), "utf8").catch(() => "");
      if (out.code === 0 && out.fd3.trim() === "ok") return undefined;
      const why = out.stderr.trim() || runtimeLogMessage(log) || `exit status ${out.code}`;
      return `${basename(rt.path)} cannot run a sandbox here: ${why}`;
    } catch (e) {
      return `${basename(rt.path)} cannot run a sandbox here: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await runRuntime(rt.path, [...this.globalArgs(dir), "delete", "--force", id]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Writes the bundle (rootfs, run directory, config.json) for `spec` under `dir`; returns its path. */
  private async prepare(
    spec: SandboxSpec,
    dir: string,
    id: string,
    args: readonly string[],
    secretsDir: string | undefined,
  ): Promise<string> {
    const bundle = join(dir, "bundle");
    const rootfs = join(bundle, "rootfs");
    const runDir = join(bundle, "run");
    await mkdir(rootfs, { recursive: true });
    await chmod(rootfs, 0o755);
    await mkdir(runDir);
    const hostBinds = await prepareRootfs(rootfs);
    await writeFile(join(runDir, "collect.mjs"), collectorScript(productMatcher(spec.products)), {
      mode: 0o444,
    });
    if (spec.network.mode === "egress") {
      writeForwarder(runDir);
      await writeFile(join(runDir, "proxy.sock"), "", { mode: 0o444 });
    }
    const config = buildOciConfig(spec, {
      rootfs,
      source: await realpath(spec.source),
      runDir,
      ...(secretsDir ? { secretsDir } : {}),
      hostBinds,
      args,
      cgroupsPath: id,
      limitSwap: swapAccounting(),
      openFiles: openFilesLimit(),
      hostUid: process.getuid?.() ?? 0,
      hostGid: process.getgid?.() ?? 0,
    });
    await writeFile(join(bundle, "config.json"), JSON.stringify(config, null, 2), { mode: 0o600 });
    return bundle;
  }

  async run(spec: SandboxSpec): Promise<OciResult> {
    validateSpec(spec);
    checkMountTargets(spec.readOnlyMounts, RESERVED);
    spec.signal?.throwIfAborted();
    const why = await this.unavailable();
    if (why) throw new BulwarkError("USAGE", `the oci sandbox cannot run here: ${why}`);
    const rt = this.runtime();
    if ("why" in rt) throw new BulwarkError("USAGE", `the oci sandbox cannot run here: ${rt.why}`);
    const source = await checkHostPaths(spec);

    const id = `bulwark.oci.${jobId()}`;
    const dir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), "bulwark-oci-"));
    let bundle: string | undefined;
    let secretsDir: string | undefined;
    let sink: ProductSink | undefined;
    let created = false;
    try {
      const args = launcherCommand(spec, {
        // Pids and memory are the container cgroup's business.
        cpuSeconds: spec.limits.cpuSeconds,
        fileSizeBytes: spec.limits.fileSizeBytes,
      });
      if (spec.secrets.length > 0)
        secretsDir = await writeSecrets(this.options.secretsDir ?? secretsBase(), spec.secrets);
      bundle = await this.prepare({ ...spec, source }, dir, id, args, secretsDir);
      const mechanism = cgroupMechanism();
      const enforcement: LimitEnforcement = {
        pids: mechanism,
        memory: mechanism,
        cpu: "rlimit",
        fileSize: "rlimit",
        workspace: "tmpfs",
      };

      sink = await ProductSink.create(spec.outDir, productMatcher(spec.products), spec.limits.workspaceBytes);
      const capture = OutputCapture.forSpec(spec, this.options.logCapBytes);
      const control = new ControlChannel();
      const reader = new ProductStreamReader(sink);
      created = true;
      const spawned = await this.spawnContainer(rt.path, bundle, id, spec, capture, control, reader);
      const cgroupReport = await readCgroupReport(containerCgroupDirs(id));
      // Nothing of the sandbox may outlive it: delete the container (and its cgroup) for good.
      await this.deleteContainer(rt.path, bundle, id);
      created = false;
      capture.finish();
      if (spawned.aborted) spec.signal?.throwIfAborted();

      const base = { durationMs: spawned.durationMs, log: capture.log(), enforcement };
      const runtimeLog = join(bundle, "runtime.log");
      const end = { backend: "oci", spec, spawned, control, reader, sink, cgroup: cgroupReport };
      return await interpretSandboxEnd(
        {
          ...end,
          tail: () => capture.tail(),
          startFailure: async () => runtimeLogMessage(await readFile(runtimeLog, "utf8").catch(() => "")),
        },
        base,
      );
    } finally {
      await sink?.discard().catch(() => undefined);
      try {
        if (created && bundle) await this.deleteContainer(rt.path, bundle, id);
      } finally {
        if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
        await rm(dir, { recursive: true, force: true });
      }
    }
  }

  /** `runtime delete --force`; throws INTERNAL when the container is still there afterwards. */
  private async deleteContainer(runtime: string, bundle: string, id: string): Promise<void> {
    const del = await runRuntime(runtime, [...this.globalArgs(bundle), "delete", "--force", id]);
    if (del.code === 0) return;
    const state = await runRuntime(runtime, [...this.globalArgs(bundle), "state", id]);
    if (state.code !== 0) return; // never created (the runtime failed before), so nothing to delete
    throw new BulwarkError("INTERNAL", `cannot delete the sandbox container ${id}: ${del.stderr.trim()}`);
  }

  /** Runs the container in the foreground, feeds its descriptors, kills it at the timeout. */
  private spawnContainer(
    runtime: string,
    bundle: string,
    id: string,
    spec: SandboxSpec,
    capture: OutputCapture,
    control: ControlChannel,
    reader: ProductStreamReader,
  ): Promise<Spawned> {
    const shields = leakedFdShields(FD.products + 1);
    const stdio = [...Array.from({ length: FD.products + 1 }, () => "pipe" as const), ...shields.stdio];
    const started = Date.now();
    return new Promise<Spawned>((resolve, reject) => {
      const child = spawn(runtime, [...this.globalArgs(bundle), "run", ...runArgs(bundle, id)], {
        detached: true,
        env: { PATH: HOST_PATH },
        stdio,
      });
      shields.close();
      let exited = false;
      const streams = child.stdio;
      const readable = (fd: number) => streams[fd] as Readable;
      for (const s of streams) s?.on("error", () => undefined);

      // `kill` fails until the runtime has created the container: retry while it runs.
      const killContainer = async () => {
        while (!exited) {
          const k = await runRuntime(runtime, [...this.globalArgs(bundle), "kill", id, "KILL"]).catch(
            () => undefined,
          );
          if (k?.code === 0) return;
          await sleep(50);
        }
      };
      const watch = new RunWatch(spec, () => void killContainer());

      capture.follow("stdout", readable(1));
      capture.follow("stderr", readable(2));
      readable(FD.control).on("data", (c: Buffer) => control.push(c));
      const productsDone = reader.consume(readable(FD.products));
      // stdin (streams[0]) stays open until the end: the launcher hands it to the egress
      // forwarder, which exits at its EOF.

      child.on("error", (e) => {
        exited = true;
        watch.stop();
        reject(new BulwarkError("INTERNAL", `cannot start the OCI runtime: ${e.message}`, { cause: e }));
      });
      child.on("close", (code, signal) => {
        exited = true;
        const durationMs = Date.now() - started;
        watch.stop();
        streams[0]?.destroy();
        productsDone.then(
          () => resolve({ code, signal, durationMs, timedOut: watch.timedOut, aborted: watch.aborted }),
          reject,
        );
      });
    });
  }
}

function runArgs(bundle: string, id: string): string[] {
  // --keep: the stopped container (and its cgroup, with the pids and OOM counters) stays until
  // `delete`, so the counters can be read first.
  return ["--bundle", bundle, "--keep", "--preserve-fds", "2", id];
}

/** The last error message in a runc JSON log (`--log-format json`). */
function runtimeLogMessage(log: string): string {
  const messages = log.split("\n").flatMap((line) => {
    try {
      const o = JSON.parse(line) as { level?: unknown; msg?: unknown };
      return (o.level === "error" || o.level === "fatal") && typeof o.msg === "string" ? [o.msg] : [];
    } catch {
      return [];
    }
  });
  return messages.at(-1) ?? "";
}

/** Runs the runtime to completion; fd 3 is captured too (the probe writes there). */
function runRuntime(
  file: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string; fd3: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { PATH: HOST_PATH },
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    const err: Buffer[] = [];
    const fd3: Buffer[] = [];
    child.stdio[2]?.on("data", (c: Buffer) => err.push(c));
    (child.stdio[3] as Readable | null)?.on("data", (c: Buffer) => fd3.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stderr: Buffer.concat(err).toString("utf8").slice(-4000),
        fd3: Buffer.concat(fd3).toString("utf8").slice(0, 4000),
      });
    });
  });
}

/** A fresh oci backend (register as `{ name: "oci", isolated: true, create: () => createOciBackend() }`). */
export function createOciBackend(options: OciBackendOptions = {}): OciBackend {
  return new OciBackend(options);
}
