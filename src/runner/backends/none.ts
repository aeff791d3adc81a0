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
import { cp, lstat, mkdtemp, realpath, rm } from "node:fs/promises";
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
  jobId,
  killQuietly,
  leakedFdShields,
  type LimitEnforcement,
  LOG_CAP_BYTES,
  OutputCapture,
  ProductSink,
  productMatcher,
  rlimitCommands,
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

export class NoneBackend implements SandboxBackend {
  readonly name = "none";
  readonly version = NONE_BACKEND_VERSION;
  readonly isolated = false;

  constructor(private readonly options: NoneBackendOptions = {}) {}

  async unavailable(): Promise<string | undefined> {
    return process.platform === "win32" ? "the none backend needs a POSIX shell" : undefined;
  }

  async run(spec: SandboxSpec): Promise<NoneResult> {
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
    const matcher = productMatcher(spec.products);
    const source = await realpath(spec.source).catch((e: unknown) => {
      throw new BulwarkError("FILE_NOT_FOUND", `the source ${spec.source} cannot be read`, { cause: e });
    });
    if (!(await lstat(source)).isDirectory())
      throw new BulwarkError("CONFIG_INVALID", `the source ${spec.source} is not a directory`);

    const runDir = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), "bulwark-none-"));
    let cgroups: JobCgroups | undefined;
    let sink: ProductSink | undefined;
    try {
      const workspace = join(runDir, "workspace");
      await cp(source, workspace, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      if (this.options.cgroupRoot !== false)
        cgroups = await JobCgroups.create(
          `${this.options.cgroupPrefix ?? "bulwark-"}${jobId()}`,
          spec.limits.pids + 1,
          spec.limits.memoryBytes,
          this.options.cgroupRoot,
        );
      const cg = cgroups?.enforcement;
      const isRoot = process.getuid?.() === 0;
      const pids = cg && cg.pids !== "none" ? cg.pids : isRoot ? "none" : "rlimit";
      const memory = cg ? cg.memory : "rlimit";
      const enforcement: LimitEnforcement = {
        pids,
        memory,
        cpu: "rlimit",
        fileSize: "rlimit",
        workspace: "none",
      };
      const rlimits = rlimitCommands({
        cpuSeconds: spec.limits.cpuSeconds,
        fileSizeBytes: spec.limits.fileSizeBytes,
        ...(memory === "rlimit" ? { addressSpaceBytes: spec.limits.memoryBytes } : {}),
        ...(pids === "rlimit" ? { nproc: spec.limits.pids } : {}),
      });

      const capture = new OutputCapture([], spec.onOutput, this.options.logCapBytes ?? LOG_CAP_BYTES);
      const shields = leakedFdShields(3);
      const started = Date.now();
      const child = spawn(
        "/bin/sh",
        ["-c", wrapper(rlimits), "bulwark-none", ...(cgroups?.procsFiles ?? []), "--", ...spec.command],
        {
          cwd: workspace,
          detached: true,
          env: { ...spec.env },
          stdio: ["ignore", "pipe", "pipe", ...shields.stdio],
        },
      );
      shields.close();
      let timedOut = false;
      let aborted = false;
      const killAll = async () => {
        if (child.pid !== undefined) killQuietly(-child.pid);
        for (const pid of (await cgroups?.members()) ?? []) killQuietly(pid);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        void killAll();
      }, spec.limits.timeoutMs);
      const onAbort = () => {
        aborted = true;
        void killAll();
      };
      spec.signal?.addEventListener("abort", onAbort, { once: true });
      (child.stdout as Readable).on("data", (c: Buffer) => capture.push("stdout", c));
      (child.stdout as Readable).on("end", () => capture.end("stdout"));
      (child.stderr as Readable).on("data", (c: Buffer) => capture.push("stderr", c));
      (child.stderr as Readable).on("end", () => capture.end("stderr"));
      let code: number | null;
      let signal: NodeJS.Signals | null;
      try {
        [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
          child.on("error", reject);
          // "exit", not "close": a background process may hold the pipes open; it is killed next.
          child.on("exit", (c, s) => resolve([c, s]));
        });
      } catch (e) {
        throw new BulwarkError("INTERNAL", `cannot start /bin/sh: ${(e as Error).message}`, { cause: e });
      } finally {
        clearTimeout(timer);
        spec.signal?.removeEventListener("abort", onAbort);
      }
      const durationMs = Date.now() - started;
      // Whatever the command left running in its process group (or cgroup) goes now.
      await killAll();
      child.stdout?.destroy();
      child.stderr?.destroy();
      const cgroupReport = await cgroups?.report();
      await cgroups?.destroy();
      cgroups = undefined;
      capture.finish();
      if (aborted) spec.signal?.throwIfAborted();

      const base = { durationMs, log: capture.log(), enforcement };
      if (timedOut) {
        const limit = classifyLimit({ limits: spec.limits, timedOut: true, signal: "SIGKILL", failed: true });
        return { ...base, exitCode: null, signal: "SIGKILL", ...(limit ? { limit } : {}), products: [] };
      }
      const decoded = code === null ? { exitCode: null, signal } : decodeStatus(code);
      const limit = classifyLimit({
        limits: spec.limits,
        timedOut: false,
        ...(cgroupReport ? { cgroup: cgroupReport } : {}),
        signal: decoded.signal,
        failed: code !== 0,
      });
      sink = await ProductSink.create(spec.outDir, matcher, Number.MAX_SAFE_INTEGER);
      await collectLocalProducts(workspace, matcher, sink);
      const products = await sink.commit();
      sink = undefined;
      return { ...base, ...decoded, ...(limit ? { limit } : {}), products };
    } finally {
      await sink?.discard().catch(() => undefined);
      try {
        await cgroups?.destroy();
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
    }
  }
}

export function createNoneBackend(options: NoneBackendOptions = {}): NoneBackend {
  return new NoneBackend(options);
}
