import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileSigner, KEY_PASSWORD_VAR, signKeyBundle, writeFileAtomic } from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import { encodeStatement, IN_TOTO_PAYLOAD_TYPE } from "../../formats/index.js";
import {
  backendNamed,
  checkSource,
  compareProducts,
  DEFAULT_LIMITS,
  DEFAULT_PROFILE,
  extendProfile,
  gitState,
  jwkThumbprint,
  mintJobToken,
  verifyJobToken,
  type Limits,
  type NetworkSpec,
  parseJobSpec,
  parseProfile,
  readRecordedRun,
  runInSandbox,
  runJob,
  type RunOutcome,
  type SandboxBackend,
  type SeccompProfile,
} from "../../runner/index.js";
import { bulwarkHome } from "../../store/index.js";
import type { Runtime } from "../runtime.js";
import { formatOf, readArg } from "../shared.js";

interface SandboxCliOptions {
  sandbox?: string;
  insecure?: boolean;
  timeout?: string;
  pids?: string;
  memory?: string;
  cpuTime?: string;
  fileSize?: string;
  workspaceSize?: string;
  tmpSize?: string;
  seccompProfile?: string;
  denySyscall?: string[];
  allowSyscall?: string[];
}

interface TokenCliOptions {
  jobToken?: string;
}

export interface RunOptionsCli extends SandboxCliOptions, TokenCliOptions {
  network?: string;
  mountRo?: string[];
  secret?: string[];
  env?: string[];
  products?: string[];
  outDir?: string;
  provenance?: string;
  key?: string;
  builderId?: string;
  log?: boolean;
}

export interface BuildOptions extends SandboxCliOptions, TokenCliOptions {
  network?: string;
  outDir?: string;
  provenance?: string;
  key?: string;
  builderId?: string;
  log?: boolean;
}

export interface RebuildOptions extends SandboxCliOptions {
  source?: string;
  original?: string;
  outDir?: string;
}

const FORMATS = ["table", "json"] as const;
const DEFAULT_BUILDER = "https://bulwark.dev/runners/local";

/** `90s`, `10m`, `1h`, or milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new BulwarkError(
      "USAGE",
      `${what} must be a duration such as 90s, 10m or 1h, got ${JSON.stringify(text)}`,
    );
  const n = Number(m[1]);
  const ms = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"]!;
  const v = Math.round(n * ms);
  if (v <= 0) throw new BulwarkError("USAGE", `${what} must be positive`);
  return v;
}

/** `2Gi`, `512Mi`, `1G`, `100k`, or bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|ki|m|mi|g|gi|t|ti)?b?$/i.exec(text.trim());
  if (!m)
    throw new BulwarkError(
      "USAGE",
      `${what} must be a size such as 512Mi or 2Gi, got ${JSON.stringify(text)}`,
    );
  const unit = (m[2] ?? "").toLowerCase();
  const factor: Record<string, number> = {
    "": 1,
    k: 1e3,
    ki: 2 ** 10,
    m: 1e6,
    mi: 2 ** 20,
    g: 1e9,
    gi: 2 ** 30,
    t: 1e12,
    ti: 2 ** 40,
  };
  const v = Math.floor(Number(m[1]) * factor[unit]!);
  if (v <= 0) throw new BulwarkError("USAGE", `${what} must be positive`);
  return v;
}

function count(text: string, what: string): number {
  if (!/^[1-9]\d*$/.test(text))
    throw new BulwarkError("USAGE", `${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function limitsOf(opts: SandboxCliOptions, base: Limits = DEFAULT_LIMITS): Limits {
  return {
    timeoutMs: opts.timeout ? parseDuration(opts.timeout, "--timeout") : base.timeoutMs,
    pids: opts.pids ? count(opts.pids, "--pids") : base.pids,
    memoryBytes: opts.memory ? parseSize(opts.memory, "--memory") : base.memoryBytes,
    cpuSeconds: opts.cpuTime ? count(opts.cpuTime, "--cpu-time") : base.cpuSeconds,
    fileSizeBytes: opts.fileSize ? parseSize(opts.fileSize, "--file-size") : base.fileSizeBytes,
    workspaceBytes: opts.workspaceSize
      ? parseSize(opts.workspaceSize, "--workspace-size")
      : base.workspaceBytes,
    tmpBytes: opts.tmpSize ? parseSize(opts.tmpSize, "--tmp-size") : base.tmpBytes,
  };
}

function networkOf(text: string | undefined): NetworkSpec {
  if (text === undefined || text === "none") return { mode: "none" };
  const m = /^egress:(.+)$/.exec(text);
  if (!m)
    throw new BulwarkError(
      "USAGE",
      `--network must be none or egress:HOST[:PORT],…, got ${JSON.stringify(text)}`,
    );
  const allow = m[1]!
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (allow.length === 0) throw new BulwarkError("USAGE", "--network egress: needs at least one host");
  return { mode: "egress", allow };
}

function backendOf(opts: SandboxCliOptions, recorded?: string): SandboxBackend {
  const name = opts.sandbox ?? recorded ?? "bwrap";
  if (name === "none" && !opts.insecure)
    throw new BulwarkError(
      "USAGE",
      "--sandbox none runs the command unisolated on this machine: add --insecure to mean it",
    );
  const backend = backendNamed(name);
  if (!backend)
    throw new BulwarkError("USAGE", `unknown sandbox ${JSON.stringify(name)}: use bwrap, oci or none`);
  return backend;
}

function seccompOf(rt: Runtime, opts: SandboxCliOptions): SeccompProfile {
  let profile = DEFAULT_PROFILE;
  if (opts.seccompProfile) {
    const text = readArg(rt, opts.seccompProfile, "seccomp profile").toString("utf8");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new BulwarkError("INPUT_INVALID", `${opts.seccompProfile} is not JSON: ${(e as Error).message}`);
    }
    profile = parseProfile(json);
  }
  if (opts.denySyscall?.length || opts.allowSyscall?.length)
    profile = extendProfile(profile, { deny: opts.denySyscall ?? [], allow: opts.allowSyscall ?? [] });
  return profile;
}

export const JOB_TOKEN_SECRET = "BULWARK_JOB_TOKEN";

/**
 * The runner's ES256 key (`$BULWARK_HOME/runner/runner.key.pem`, made on first use, 0600; its
 * public half beside it for verifiers) and a job token minted with it for this invocation,
 * handed to the steps as the secret BULWARK_JOB_TOKEN.
 */
async function jobTokenFor(
  rt: Runtime,
  audience: string,
  claims: { job: string; builderId: string; source: string },
): Promise<{
  invocationId: string;
  secret: { name: string; value: Uint8Array };
  record: { issuer: string; audience: string; keyId: string; expires: string };
}> {
  const dir = join(bulwarkHome(rt.io.env, rt.io.cwd), "runner");
  const keyFile = join(dir, "runner.key.pem");
  if (!existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileAtomic(keyFile, pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(), 0o600);
    writeFileAtomic(
      join(dir, "runner.pub.pem"),
      pair.publicKey.export({ format: "pem", type: "spki" }).toString(),
      0o644,
    );
    rt.note(`created the runner's job-token key ${keyFile} (verifiers need ${join(dir, "runner.pub.pem")})`);
  }
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const git = await gitState(claims.source);
  const invocationId = randomUUID();
  const { token, payload } = mintJobToken({
    privateKey,
    issuer: claims.builderId,
    audience,
    claims: {
      ...(git?.remote ? { repository: git.remote } : {}),
      ...(git ? { commit: git.commit } : {}),
      ...(git?.ref ? { ref: git.ref } : {}),
      job: claims.job,
      runnerId: claims.builderId,
    },
    now: rt.clock.now(),
    id: invocationId,
  });
  return {
    invocationId,
    secret: { name: JOB_TOKEN_SECRET, value: new TextEncoder().encode(token) },
    record: {
      issuer: claims.builderId,
      audience,
      keyId: jwkThumbprint(privateKey),
      expires: new Date(payload.exp * 1000).toISOString(),
    },
  };
}

/** `host[:sandbox]` read-only mounts (the sandbox path defaults to the host's). */
function mountsOf(rt: Runtime, specs: readonly string[]): { host: string; sandbox: string }[] {
  return specs.map((m) => {
    const [host, sandbox] = m.split(":");
    const h = resolve(rt.io.cwd, host!);
    return { host: h, sandbox: sandbox || h };
  });
}

/** Secret values from the environment, by name; a missing one is a usage error (`missing` says which). */
function secretsFromEnv(
  rt: Runtime,
  names: readonly string[],
  missing: (name: string) => string,
): { name: string; value: Uint8Array }[] {
  return names.map((name) => {
    const value = rt.io.env[name];
    if (value === undefined) throw new BulwarkError("USAGE", missing(name));
    return { name, value: new TextEncoder().encode(value) };
  });
}

function describeFailure(outcome: RunOutcome): string {
  const r = outcome.result;
  if (r.limit) return `the step hit its ${r.limit.kind} limit: ${r.limit.message}`;
  if (r.signal) return `the command was killed by ${r.signal}`;
  return `the command exited with status ${r.exitCode}`;
}

// ------------------------------------------------------------------------------------------------
// bulwark run

export async function run(rt: Runtime, command: string[], opts: RunOptionsCli): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "run", "table");
  if (opts.provenance && !opts.products?.length)
    throw new BulwarkError("USAGE", "--provenance is about products: name them with --products GLOB");
  if (opts.log && !(opts.provenance && opts.key))
    throw new BulwarkError("USAGE", "--log appends the signed provenance: give --provenance FILE and --key");
  const backend = backendOf(opts);
  const limits = limitsOf(opts);
  const network = networkOf(opts.network);
  const seccomp = seccompOf(rt, opts);
  const env: Record<string, string> = {};
  const passEnv: string[] = [];
  for (const e of opts.env ?? []) {
    const i = e.indexOf("=");
    if (i < 0) passEnv.push(e);
    else env[e.slice(0, i)] = e.slice(i + 1);
  }
  const secrets = secretsFromEnv(rt, opts.secret ?? [], (name) => `--secret ${name}: $${name} is not set`);
  const readOnlyMounts = mountsOf(rt, opts.mountRo ?? []);
  const signer = opts.key
    ? FileSigner.open(resolve(rt.io.cwd, opts.key), rt.io.env[KEY_PASSWORD_VAR])
    : undefined;
  const outDir = resolve(rt.io.cwd, opts.outDir ?? "out");
  const builderId = opts.builderId ?? DEFAULT_BUILDER;
  const token = opts.jobToken
    ? await jobTokenFor(rt, opts.jobToken, { job: "run", builderId, source: rt.io.cwd })
    : undefined;
  if (token) secrets.push(token.secret);
  const redact = redactor(secrets.map((s) => s.value));
  const outcome = await runInSandbox({
    ...(token ? { invocationId: token.invocationId, jobToken: token.record } : {}),
    command,
    source: rt.io.cwd,
    backend,
    network,
    limits,
    seccomp,
    products: opts.products ?? [],
    outDir,
    env,
    passEnv,
    hostEnv: rt.io.env,
    secrets,
    readOnlyMounts,
    builderId,
    bulwarkVersion: rt.version,
    clock: () => rt.clock.now(),
    ...(format === "table" && !rt.quiet ? { onOutput: (_s, chunk) => rt.io.stderr(redact(chunk)) } : {}),
  });

  return finish(rt, format, outcome, backend, outDir, opts, signer);
}

async function finish(
  rt: Runtime,
  format: "table" | "json",
  outcome: RunOutcome & { failedStep?: string },
  backend: SandboxBackend,
  outDir: string,
  opts: { provenance?: string; log?: boolean; products?: readonly string[] },
  signer: FileSigner | undefined,
): Promise<ExitCode> {
  let provenanceFile: string | undefined;
  if (opts.provenance && outcome.provenance) {
    provenanceFile = resolve(rt.io.cwd, opts.provenance);
    const payload = encodeStatement(outcome.provenance);
    const text = signer
      ? `${JSON.stringify(await signKeyBundle(signer, { kind: "dsse", payloadType: IN_TOTO_PAYLOAD_TYPE, payload: Buffer.from(payload) }), null, 2)}\n`
      : `${JSON.stringify(JSON.parse(payload), null, 2)}\n`;
    writeFileAtomic(provenanceFile, text);
    if (!signer) rt.note("the provenance is unsigned: pass --key to sign it (DSSE in a Sigstore bundle)");
    if (opts.log) {
      const { recordInLog } = await import("./log-actions.js");
      await recordInLog(rt, [
        {
          file: provenanceFile,
          bytes: new TextEncoder().encode(text),
          proofFile: `${provenanceFile}.tlog-proof`,
        },
      ]);
    }
  }
  const r = outcome.result;
  const ok = r.exitCode === 0 && !r.limit;
  const summary = {
    ok,
    invocationId: outcome.invocationId,
    sandbox: { backend: backend.name, isolated: backend.isolated },
    hermetic: outcome.hermetic,
    exitCode: r.exitCode,
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.limit ? { limit: r.limit } : {}),
    durationMs: Math.round(r.durationMs),
    products: r.products.map((p) => ({ ...p, file: join(outDir, p.path) })),
    ...(provenanceFile ? { provenance: provenanceFile } : {}),
    ...(outcome.egress ? { egress: outcome.egress } : {}),
  };
  if (format === "json") rt.emit(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const lines = [
      ok
        ? `✔ succeeded in ${summary.durationMs} ms (${backend.name}${outcome.hermetic ? ", hermetic" : ""})`
        : `✘ failed: ${describeFailure(outcome)}`,
      ...r.products.map((p) => `  product ${p.path}  sha256:${p.sha256}  ${p.size} bytes`),
      ...(outcome.egress ?? []).map(
        (e) =>
          `  egress ${e.allowed ? "allowed" : "DENIED "} ${e.method} ${e.host}:${e.port}${e.reason ? ` (${e.reason})` : ""}`,
      ),
      ...(provenanceFile ? [`  provenance ${provenanceFile}`] : []),
    ];
    rt.emit(`${lines.join("\n")}\n`);
  }
  if (!ok) {
    throw new BulwarkError(
      "JOB_FAILED",
      `the sandboxed ${outcome.failedStep && outcome.failedStep !== "run" ? `step ${outcome.failedStep}` : "command"} failed: ${describeFailure(outcome)}`,
      {
        details: { ...(r.limit ? { limit: r.limit.kind } : {}) },
      },
    );
  }
  if (opts.provenance && !outcome.provenance)
    throw new BulwarkError(
      "JOB_FAILED",
      `no products matched ${opts.products!.join(", ")}: no provenance written`,
    );
  return EXIT.ok;
}

/** Replaces secret values in live output (the log stored in provenance is digested, never shown). */
function redactor(values: readonly Uint8Array[]): (chunk: Uint8Array) => string {
  const texts = values.map((v) => new TextDecoder().decode(v)).filter((t) => t.length >= 4);
  return (chunk) => {
    let text = new TextDecoder().decode(chunk);
    for (const t of texts) text = text.split(t).join("***");
    return text;
  };
}

// ------------------------------------------------------------------------------------------------
// bulwark build

export async function build(rt: Runtime, jobFile: string | undefined, opts: BuildOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "build", "table");
  const file = jobFile ?? "bulwark-job.yaml";
  const spec = parseJobSpec(readArg(rt, file, "job spec").toString("utf8"), file);
  if (opts.log && !(opts.provenance && opts.key))
    throw new BulwarkError("USAGE", "--log appends the signed provenance: give --provenance FILE and --key");
  const l = spec.limits;
  const fromSpec: SandboxCliOptions = {
    ...(l.timeout !== undefined ? { timeout: String(l.timeout) } : {}),
    ...(l.pids !== undefined ? { pids: String(l.pids) } : {}),
    ...(l.memory !== undefined ? { memory: String(l.memory) } : {}),
    ...(l.cpuTime !== undefined ? { cpuTime: String(l.cpuTime) } : {}),
    ...(l.fileSize !== undefined ? { fileSize: String(l.fileSize) } : {}),
    ...(l.workspace !== undefined ? { workspaceSize: String(l.workspace) } : {}),
    ...(l.tmp !== undefined ? { tmpSize: String(l.tmp) } : {}),
  };
  const limits = limitsOf({ ...fromSpec, ...definedOnly(opts) });
  const backend = backendOf({
    ...opts,
    ...(opts.sandbox ? {} : spec.sandbox ? { sandbox: spec.sandbox } : {}),
  });
  const network = opts.network ? networkOf(opts.network) : spec.network;
  const secretNames = [...new Set(spec.steps.flatMap((st) => st.secrets))];
  const secrets = secretsFromEnv(
    rt,
    secretNames,
    (name) => `the job's steps need secret ${name}: $${name} is not set`,
  );
  const signer = opts.key
    ? FileSigner.open(resolve(rt.io.cwd, opts.key), rt.io.env[KEY_PASSWORD_VAR])
    : undefined;
  const outDir = resolve(rt.io.cwd, opts.outDir ?? "out");
  const builderId = opts.builderId ?? DEFAULT_BUILDER;
  const token = opts.jobToken
    ? await jobTokenFor(rt, opts.jobToken, { job: spec.name, builderId, source: rt.io.cwd })
    : undefined;
  if (token) secrets.push(token.secret);
  const redact = redactor(secrets.map((s) => s.value));
  const outcome = await runJob({
    ...(token ? { invocationId: token.invocationId, jobToken: token.record } : {}),
    command: [],
    // Every step can read the job token (it names the job, not a step).
    steps: token
      ? spec.steps.map((st) => ({ ...st, secrets: [...st.secrets, JOB_TOKEN_SECRET] }))
      : spec.steps,
    jobName: spec.name,
    source: rt.io.cwd,
    backend,
    network,
    limits,
    seccomp: seccompOf(rt, {
      ...opts,
      denySyscall: [...spec.seccomp.deny, ...(opts.denySyscall ?? [])],
      allowSyscall: [...spec.seccomp.allow, ...(opts.allowSyscall ?? [])],
    }),
    readOnlyMounts: mountsOf(rt, spec.inputs),
    products: spec.products,
    outDir,
    env: spec.env,
    passEnv: spec.passEnv,
    hostEnv: rt.io.env,
    secrets,
    builderId,
    bulwarkVersion: rt.version,
    clock: () => rt.clock.now(),
    ...(format === "table" && !rt.quiet ? { onOutput: (_s, chunk) => rt.io.stderr(redact(chunk)) } : {}),
  });
  return finish(rt, format, outcome, backend, outDir, { ...opts, products: spec.products }, signer);
}

/** The limit flags actually given (so they override the spec's). */
function definedOnly(opts: SandboxCliOptions): SandboxCliOptions {
  const keys = ["timeout", "pids", "memory", "cpuTime", "fileSize", "workspaceSize", "tmpSize"] as const;
  const out: Record<string, string> = {};
  for (const k of keys) if (opts[k] !== undefined) out[k] = opts[k]!;
  return out as SandboxCliOptions;
}

// ------------------------------------------------------------------------------------------------
// bulwark rebuild

export async function rebuild(rt: Runtime, file: string, opts: RebuildOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "rebuild", "table");
  const recorded = readRecordedRun(new Uint8Array(readArg(rt, file, "provenance")), file);
  const sourceDir = resolve(rt.io.cwd, opts.source ?? ".");
  const identity = await checkSource(recorded, sourceDir);
  const backend = backendOf(opts, recorded.backend);
  const secrets = secretsFromEnv(
    rt,
    recorded.secrets,
    (name) => `the build used secret ${name}: set $${name} to rebuild`,
  );
  const outDir = opts.outDir
    ? resolve(rt.io.cwd, opts.outDir)
    : mkdtempSync(join(tmpdir(), "bulwark-rebuild-"));
  try {
    const outcome = await runJob({
      command: recorded.command,
      steps: recorded.job
        ? recorded.job.steps
        : [{ name: "run", command: recorded.command, secrets: recorded.secrets }],
      ...(recorded.job ? { jobName: recorded.job.name } : {}),
      source: sourceDir,
      sourceIdentity: identity,
      backend,
      network: recorded.network,
      limits: limitsOf(opts, recorded.limits),
      seccomp: seccompOf(rt, opts),
      products: recorded.products,
      outDir,
      env: recorded.env,
      passEnv: recorded.passEnv,
      hostEnv: rt.io.env,
      secrets,
      readOnlyMounts: recorded.readOnlyMounts,
      builderId: recorded.statement.predicate.runDetails.builder.id,
      bulwarkVersion: rt.version,
      clock: () => rt.clock.now(),
    });
    if (outcome.result.exitCode !== 0 || outcome.result.limit)
      throw new BulwarkError("JOB_FAILED", `the rebuild failed: ${describeFailure(outcome)}`);
    const report = await compareProducts(
      recorded,
      outcome.result.products,
      outDir,
      opts.original ? resolve(rt.io.cwd, opts.original) : undefined,
    );
    if (format === "json")
      rt.emit(`${JSON.stringify({ ...report, outDir: opts.outDir ? outDir : undefined }, null, 2)}\n`);
    else {
      const lines = [
        report.reproducible ? "✔ reproducible: every product has the recorded digest" : "✘ NOT reproducible",
        ...report.products.map(
          (p) =>
            `  ${p.reproducible ? "same     " : p.actual ? "DIFFERENT" : "MISSING  "} ${p.path}  recorded sha256:${p.expected}${p.actual && !p.reproducible ? `, rebuilt sha256:${p.actual}` : ""}` +
            (p.differences ? `\n${p.differences.map((d) => `      ${d}`).join("\n")}` : ""),
        ),
        ...report.extra.map((p) => `  EXTRA     ${p} (not in the provenance)`),
      ];
      rt.emit(`${lines.join("\n")}\n`);
    }
    if (!report.reproducible)
      throw new BulwarkError("VERIFICATION_FAILED", "the rebuilt products differ from the provenance", {
        details: { reason: "not-reproducible" },
      });
    return EXIT.ok;
  } finally {
    if (!opts.outDir) rmSync(outDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------
// bulwark token verify

export interface TokenVerifyOptions {
  key: string;
  audience: string;
  issuer?: string;
}

export async function tokenVerify(
  rt: Runtime,
  tokenArg: string,
  opts: TokenVerifyOptions,
): Promise<ExitCode> {
  const path = resolve(rt.io.cwd, tokenArg);
  const token = (existsSync(path) ? readArg(rt, tokenArg, "token").toString("utf8") : tokenArg).trim();
  let key;
  try {
    key = createPublicKey(readArg(rt, opts.key, "public key"));
  } catch (e) {
    if (e instanceof BulwarkError) throw e;
    throw new BulwarkError("INPUT_INVALID", `${opts.key} is not a PEM public key: ${(e as Error).message}`);
  }
  const payload = verifyJobToken(token, key, {
    audience: opts.audience,
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    now: rt.clock.now(),
  });
  rt.emit(`${JSON.stringify(payload, null, 2)}\n`);
  return EXIT.ok;
}
