/**
 * The executor: one command in a fresh sandbox, recorded. It identifies the inputs, scrubs the
 * environment to an allowlist, hands secrets over as files, starts the egress proxy when the
 * network mode asks for one, runs the backend, and builds the SLSA provenance of the products.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BulwarkError } from "../core/index.js";
import type { SlsaProvenanceV1, Statement } from "../formats/index.js";
import {
  hostRootfs,
  lockfiles,
  resolveCommand,
  sourceIdentity,
  type SourceIdentity,
  toolchain,
} from "./inputs.js";
import { buildRunProvenance, isHermetic, sourceDescriptor } from "./provenance.js";
import { type EgressLogEntry, EgressProxy } from "./proxy.js";
import type { Limits, Mount, NetworkSpec, SandboxBackend, SandboxResult, SeccompProfile } from "./types.js";

/** The PATH inside the sandbox. */
export const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface RunOptions {
  readonly command: readonly string[];
  readonly source: string;
  readonly backend: SandboxBackend;
  readonly network: NetworkSpec;
  readonly limits: Limits;
  readonly seccomp: SeccompProfile;
  readonly products: readonly string[];
  readonly outDir: string;
  /** Explicit environment (recorded in provenance). */
  readonly env?: Readonly<Record<string, string>>;
  /** Host variables passed through by name (values not recorded). */
  readonly passEnv?: readonly string[];
  readonly hostEnv?: NodeJS.ProcessEnv;
  /** Secret values by name (files in /run/secrets; names recorded, values never). */
  readonly secrets?: readonly { readonly name: string; readonly value: Uint8Array }[];
  readonly readOnlyMounts?: readonly Mount[];
  readonly builderId: string;
  readonly bulwarkVersion: string;
  readonly clock?: () => Date;
  readonly signal?: AbortSignal;
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
  /** Known source identity (rebuild passes the one it checked). */
  readonly sourceIdentity?: SourceIdentity;
  /** The invocation id (default: a new UUID); a job token minted for the run carries it as `jti`. */
  readonly invocationId?: string;
  /** The job token handed to the steps, recorded without the token itself. */
  readonly jobToken?: {
    readonly issuer: string;
    readonly audience: string;
    readonly keyId: string;
    readonly expires: string;
  };
}

export interface RunOutcome {
  readonly invocationId: string;
  readonly result: SandboxResult;
  readonly hermetic: boolean;
  readonly egress?: readonly EgressLogEntry[];
  /** Present when the command succeeded and produced at least one product. */
  readonly provenance?: Statement<SlsaProvenanceV1>;
  readonly source: SourceIdentity;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The sandbox's environment: a fixed base, the named host variables, then the explicit ones. */
export function sandboxEnv(
  options: Pick<RunOptions, "env" | "passEnv" | "hostEnv">,
  invocationId: string,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: SANDBOX_PATH,
    HOME: "/tmp",
    LANG: "C.UTF-8",
    TMPDIR: "/tmp",
    CI: "true",
    BULWARK_INVOCATION_ID: invocationId,
  };
  const host = options.hostEnv ?? process.env;
  for (const name of options.passEnv ?? []) {
    if (!NAME.test(name)) throw new BulwarkError("USAGE", `not an environment variable name: ${name}`);
    const v = host[name];
    if (v !== undefined) env[name] = v;
  }
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (!NAME.test(k)) throw new BulwarkError("USAGE", `not an environment variable name: ${k}`);
    env[k] = v;
  }
  return env;
}

export interface StepSpec {
  readonly name: string;
  readonly command: readonly string[];
  /** Explicit environment of this step, on top of the run's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Secrets (by name, from `RunOptions.secrets`) this step may read. */
  readonly secrets?: readonly string[];
}

/** One command in a fresh sandbox (`bulwark run`). */
export function runInSandbox(options: RunOptions): Promise<RunOutcome> {
  return runJob({
    ...options,
    steps: [{ name: "run", command: options.command, secrets: (options.secrets ?? []).map((s) => s.name) }],
  });
}

/**
 * A job (`bulwark build`): steps in order, each in its own fresh sandbox; the workspace a step
 * leaves is the next step's source; secrets reach only the steps that name them; the products of
 * the last step are the job's. Stops at the first failing step.
 */
export async function runJob(
  options: RunOptions & { readonly steps: readonly StepSpec[]; readonly jobName?: string },
): Promise<RunOutcome & { readonly failedStep?: string }> {
  if (options.steps.length === 0 || options.steps.some((s) => s.command.length === 0))
    throw new BulwarkError("USAGE", "no command to run");
  const why = await options.backend.unavailable();
  if (why) throw new BulwarkError("USAGE", `the ${options.backend.name} sandbox cannot run here: ${why}`);
  const secretsByName = new Map((options.secrets ?? []).map((s) => [s.name, s]));
  for (const s of options.secrets ?? [])
    if (!NAME.test(s.name)) throw new BulwarkError("USAGE", `not a secret name: ${s.name}`);
  for (const st of options.steps)
    for (const n of st.secrets ?? [])
      if (!secretsByName.has(n))
        throw new BulwarkError("USAGE", `step ${st.name} needs secret ${n}, which was not given`);
  const clock = options.clock ?? (() => new Date());
  const invocationId = options.invocationId ?? randomUUID();

  // Inputs are identified before the run: what the sandbox received, not what it left behind.
  const source = options.sourceIdentity ?? (await sourceIdentity(options.source));
  const binaries: string[] = [];
  for (const st of options.steps) {
    const resolved = await resolveCommand(st.command[0]!, SANDBOX_PATH);
    if (resolved) binaries.push(resolved);
  }
  const [locks, tools, rootfs] = await Promise.all([
    lockfiles(options.source),
    toolchain([...binaries, process.execPath, "/bin/sh"]),
    options.backend.isolated ? hostRootfs() : Promise.resolve(undefined),
  ]);

  let proxy: EgressProxy | undefined;
  let proxyDir: string | undefined;
  const staging: string[] = [];
  if (options.network.mode === "egress") {
    proxyDir = mkdtempSync(join(tmpdir(), "bulwark-proxy-"));
    proxy = await EgressProxy.start({
      socketPath: join(proxyDir, "proxy.sock"),
      allow: options.network.allow,
    });
  }
  const startedOn = clock();
  const logs: Uint8Array[] = [];
  let result: SandboxResult | undefined;
  let failedStep: string | undefined;
  let durationMs = 0;
  try {
    let stepSource = options.source;
    for (const [i, st] of options.steps.entries()) {
      const last = i === options.steps.length - 1;
      // Intermediate steps hand their whole workspace on; the last one gives the products.
      const outDir = last ? options.outDir : mkdtempSync(join(tmpdir(), `bulwark-step-${i}-`));
      if (!last) staging.push(outDir);
      result = await options.backend.run({
        command: st.command,
        source: stepSource,
        env: { ...sandboxEnv(options, invocationId), ...(st.env ?? {}) },
        readOnlyMounts: options.readOnlyMounts ?? [],
        secrets: (st.secrets ?? []).map((n) => secretsByName.get(n)!),
        products: last ? options.products : ["**"],
        outDir,
        limits: options.limits,
        network: options.network,
        seccomp: options.seccomp,
        ...(proxyDir ? { proxySocket: join(proxyDir, "proxy.sock") } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      });
      durationMs += result.durationMs;
      logs.push(result.log);
      if (result.exitCode !== 0 || result.limit) {
        failedStep = st.name;
        break;
      }
      stepSource = outDir;
    }
  } finally {
    await proxy?.close();
    if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
    for (const d of staging) rmSync(d, { recursive: true, force: true });
  }
  const finishedOn = clock();
  const combined = { ...result!, durationMs, log: concat(logs) };
  const egress = proxy?.entries();
  const backend = {
    name: options.backend.name,
    version: options.backend.version,
    isolated: options.backend.isolated,
  };
  const succeeded = failedStep === undefined;
  const single = options.steps.length === 1 && options.jobName === undefined;
  const provenance =
    succeeded && combined.products.length > 0
      ? buildRunProvenance({
          command: single ? options.steps[0]!.command : [],
          ...(single
            ? {}
            : {
                job: {
                  name: options.jobName ?? "job",
                  steps: options.steps.map((st) => ({
                    name: st.name,
                    command: st.command,
                    env: st.env ?? {},
                    secrets: st.secrets ?? [],
                  })),
                },
              }),
          source,
          products: options.products,
          network: options.network,
          env: options.env ?? {},
          passEnv: options.passEnv ?? [],
          secretNames: (options.secrets ?? []).map((s) => s.name),
          readOnlyMounts: options.readOnlyMounts ?? [],
          backend,
          seccomp: options.seccomp,
          limits: options.limits,
          dependencies: [sourceDescriptor(source), ...locks, ...tools, ...(rootfs ? [rootfs] : [])],
          builderId: options.builderId,
          bulwarkVersion: options.bulwarkVersion,
          invocationId,
          ...(options.jobToken ? { jobToken: options.jobToken } : {}),
          startedOn,
          finishedOn,
          log: combined.log,
          ...(egress ? { egressLog: egress } : {}),
          outputs: combined.products,
        })
      : undefined;
  return {
    invocationId,
    result: combined,
    hermetic: isHermetic({ network: options.network, backend }),
    ...(egress ? { egress } : {}),
    ...(provenance ? { provenance } : {}),
    ...(failedStep ? { failedStep } : {}),
    source,
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
