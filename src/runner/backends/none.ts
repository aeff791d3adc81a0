/**
 * The `none` backend: no isolation at all. The command runs directly on the host, as the calling
 * user, in a temporary copy of the source, with the spec's environment, its rlimits, a per-job
 * cgroup when one can be created, and the wall-clock timeout (the process group and the cgroup
 * are SIGKILLed). The network, the filesystem and the host's processes stay reachable, and
 * nothing limits the copy's size, which is why the caller allows it only with `--insecure` and
 * provenance records `isolated: false`.
 *
 * What it refuses rather than fake (fail closed): secrets, which the contract puts at
 * /run/secrets where this backend cannot create anything, and read-only mounts at a path other
 * than the host's own.
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { BulwarkError } from "../../core/index.js";
import type { SandboxBackend, SandboxResult, SandboxSpec } from "../types.js";
import {
  classifyLimit,
  collectLocalProducts,
  decodeStatus,
  JobCgroups,
  killQuietly,
  leakedFdShields,
  type LimitEnforcement,
  LOG_CAP_BYTES,
  OutputCapture,
  planLimits,
  ProductSink,
  productMatcher,
  releaseRun,
  resolveSource,
  rlimitCommands,
  RunWatch,
  type Spawned,
  timedOutResult,
  validateSpec,
} from "./common.js";

export const NONE_BACKEND_VERSION = 1;

export interface NoneBackendOptions {
  readonly tmpDir?: string;
  /** The cgroup filesystem (default /sys/fs/cgroup); `false` never uses cgroups. */
  readonly cgroupRoot?: string | false;
  /** Prefix of the per-job cgroup's name (default `bulwark-`). */
  readonly cgroupPrefix?: string;
  readonly logCapBytes?: number;
}

export interface NoneResult extends SandboxResult {
  readonly enforcement: LimitEnforcement;
}

/** Joins the cgroups given before `--` (if any), applies the rlimits, then execs the command. */
function wrapper(rlimits: string): string {
  return [
    'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do printf 0 > "$1" || exit 125; shift; done; shift',
    `${rlimits} || { echo "bulwark: cannot set resource limits" >&2; exit 125; }`,
    'exec "$@"',
  ].join("\n");
}

/** Refuses what this backend cannot honour (fail closed); returns the source's real path. */
async function checkSpec(spec: SandboxSpec): Promise<string> {
  validateSpec(spec);
  if (spec.secrets.length > 0)
    throw new BulwarkError(
      "CONFIG_INVALID",
      "the none backend cannot provide /run/secrets: secrets need an isolating sandbox",
    );
  const moved = spec.readOnlyMounts.find((m) => m.host !== m.sandbox);
  if (moved)
    throw new BulwarkError(
      "CONFIG_INVALID",
      `the none backend cannot mount ${moved.host} at ${moved.sandbox}: it runs on the host's filesystem`,
    );
  spec.signal?.throwIfAborted();
  return resolveSource(spec);
}

/**
 * Runs the command in `cwd` as the leader of a new process group, kills the group (and the
 * cgroup's members) at the timeout, on abort and when the command exits.
 */
async function execute(
  spec: SandboxSpec,
  cwd: string,
  rlimits: string,
  cgroups: JobCgroups | undefined,
  capture: OutputCapture,
): Promise<Spawned> {
  const shields = leakedFdShields(3);
  const started = Date.now();
  const child = spawn(
    "/bin/sh",
    ["-c", wrapper(rlimits), "bulwark-none", ...(cgroups?.procsFiles ?? []), "--", ...spec.command],
    { cwd, detached: true, env: { ...spec.env }, stdio: ["ignore", "pipe", "pipe", ...shields.stdio] },
  );
  shields.close();
  const killAll = async () => {
    if (child.pid !== undefined) killQuietly(-child.pid);
    for (const pid of (await cgroups?.members()) ?? []) killQuietly(pid);
  };
  const watch = new RunWatch(spec, () => void killAll());
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  capture.follow("stdout", stdout);
  capture.follow("stderr", stderr);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on("error", reject);
      // "exit", not "close": a background process may hold the pipes open; it is killed next.
      child.on("exit", (c, s) => resolve([c, s]));
    });
    const durationMs = Date.now() - started;
    return { code, signal, durationMs, timedOut: watch.timedOut, aborted: watch.aborted };
  } catch (e) {
    throw new BulwarkError("INTERNAL", `cannot start /bin/sh: ${(e as Error).message}`, { cause: e });
  } finally {
    watch.stop();
    // Whatever the command left running in its process group (or cgroup) goes now.
    await killAll();
    stdout.destroy();
    stderr.destroy();
  }
}

export class NoneBackend implements SandboxBackend {
  readonly name = "none";
  readonly version = NONE_BACKEND_VERSION;
  readonly isolated = false;

  constructor(private readonly options: NoneBackendOptions = {}) {}

  async unavailable(): Promise<string | undefined> {
    return process.platform === "win32" ? "the none backend needs a POSIX shell" : undefined;
  }

  async run(spec: SandboxSpec): Promise<NoneResult> {
    const source = await checkSpec(spec);
    const matcher = productMatcher(spec.products);
    const runDir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), "bulwark-none-"));
    let cgroups: JobCgroups | undefined;
    const sink = new ProductSink(spec.outDir, matcher, Number.MAX_SAFE_INTEGER);
    try {
      const workspace = join(runDir, "workspace");
      await cp(source, workspace, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      cgroups = await JobCgroups.forJob(this.options, spec.limits.pids + 1, spec.limits.memoryBytes);
      const { enforcement, rlimits } = planLimits(spec.limits, cgroups, "none");
      const capture = new OutputCapture([], spec.onOutput, this.options.logCapBytes ?? LOG_CAP_BYTES);
      const exited = await execute(spec, workspace, rlimitCommands(rlimits), cgroups, capture);
      const cgroupReport = await cgroups?.report();
      await cgroups?.destroy();
      cgroups = undefined;
      capture.finish();
      if (exited.aborted) spec.signal?.throwIfAborted();

      const base = { durationMs: exited.durationMs, log: capture.log(), enforcement };
      if (exited.timedOut) return timedOutResult(spec.limits, base);
      // The command is exec'd, so Node sees its own status and signal; a shell command's
      // 128+N is decoded only to recognise SIGXCPU/SIGXFSZ.
      const signalForLimits =
        exited.signal ?? (exited.code === null ? null : decodeStatus(exited.code).signal);
      const limit = classifyLimit({
        limits: spec.limits,
        timedOut: false,
        ...(cgroupReport ? { cgroup: cgroupReport } : {}),
        signal: signalForLimits,
        failed: exited.code !== 0,
      });
      await collectLocalProducts(workspace, matcher, sink);
      const products = await sink.commit();
      return { ...base, exitCode: exited.code, signal: exited.signal, ...(limit ? { limit } : {}), products };
    } finally {
      await releaseRun(sink, cgroups, runDir);
    }
  }
}

export function createNoneBackend(options: NoneBackendOptions = {}): NoneBackend {
  return new NoneBackend(options);
}
