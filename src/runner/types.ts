/**
 * The sandboxed runner's shared types (ARCHITECTURE §4 `runner/`): a job step runs through a
 * `SandboxBackend` (plugin pattern: bwrap, oci, none) with a seccomp profile, limits and a network
 * mode; the executor records what went in and came out as SLSA provenance.
 */

/** Resource limits of one step. Exceeding one fails the step with a `LimitExceeded` reason. */
export interface Limits {
  /** Wall-clock time; the whole process tree is killed when it runs out. Default 10 min. */
  readonly timeoutMs: number;
  /** Processes/threads in the sandbox at once. Default 512. */
  readonly pids: number;
  /** Memory (bytes). Default 4 GiB. */
  readonly memoryBytes: number;
  /** CPU time (seconds, RLIMIT_CPU). Default 3600. */
  readonly cpuSeconds: number;
  /** Largest file a process may write (bytes, RLIMIT_FSIZE). Default 2 GiB. */
  readonly fileSizeBytes: number;
  /** Size of the writable workspace (bytes; a tmpfs). Default 2 GiB. */
  readonly workspaceBytes: number;
  /** Size of /tmp (bytes; a tmpfs). Default 512 MiB. */
  readonly tmpBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  timeoutMs: 10 * 60_000,
  pids: 512,
  memoryBytes: 4 * 2 ** 30,
  cpuSeconds: 3600,
  fileSizeBytes: 2 * 2 ** 30,
  workspaceBytes: 2 * 2 ** 30,
  tmpBytes: 512 * 2 ** 20,
};

/** `none`: no network at all. `egress`: no direct network; an allowlisting HTTP(S) proxy only. */
export type NetworkSpec =
  { readonly mode: "none" } | { readonly mode: "egress"; readonly allow: readonly string[] };

/** Why a step failed other than by its own exit status. */
export type LimitKind = "timeout" | "pids" | "memory" | "cpu" | "file-size" | "workspace";

export interface SeccompRule {
  /** Syscall names (resolved per architecture by the compiler). */
  readonly names: readonly string[];
  /** What a matching call gets: an errno (default EPERM) or the process killed. */
  readonly action: "errno" | "kill";
  readonly errno?: number;
  /**
   * Argument conditions (all must hold) for the rule to apply, e.g. `clone` with the
   * CLONE_NEWUSER flag: `{ index: 0, op: "masked-eq", mask: 0x10000000, value: 0x10000000 }`.
   */
  readonly args?: readonly { index: number; op: "eq" | "ne" | "masked-eq"; value: number; mask?: number }[];
}

/** A deny-list seccomp profile: everything is allowed except what the rules match. */
export interface SeccompProfile {
  readonly name: string;
  readonly rules: readonly SeccompRule[];
}

export interface Mount {
  readonly host: string;
  readonly sandbox: string;
}

/** One command in a fresh sandbox. */
export interface SandboxSpec {
  /** argv; argv[0] is looked up on PATH inside the sandbox. */
  readonly command: readonly string[];
  /** Host directory mounted read-only at /src; /workspace starts as a copy of it. */
  readonly source: string;
  /** The complete environment of the command (already scrubbed to the allowlist). */
  readonly env: Readonly<Record<string, string>>;
  /** Extra read-only mounts (toolchains). The host's /usr, /etc (selected files) … are the backend's business. */
  readonly readOnlyMounts: readonly Mount[];
  /** Secret files, each readable by this step only at /run/secrets/<name> (a tmpfs). */
  readonly secrets: readonly { readonly name: string; readonly value: Uint8Array }[];
  /** Globs relative to /workspace: matching regular files are copied to `outDir` after the command. */
  readonly products: readonly string[];
  /** Host directory that receives the products (created if missing). */
  readonly outDir: string;
  readonly limits: Limits;
  readonly network: NetworkSpec;
  readonly seccomp: SeccompProfile;
  /** For `egress`: the host path of the proxy's Unix socket, bound into the sandbox. */
  readonly proxySocket?: string;
  readonly signal?: AbortSignal;
  /** Live output (stdout and stderr of the command, interleaved as they come). */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Uint8Array) => void;
}

export interface Product {
  /** Path relative to the workspace, `/`-separated. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export interface SandboxResult {
  /** The command's exit status (null when killed). */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when a limit (not the command) ended the step. */
  readonly limit?: { readonly kind: LimitKind; readonly message: string };
  readonly durationMs: number;
  /** Everything the command wrote, interleaved, capped (see the backend). */
  readonly log: Uint8Array;
  readonly products: readonly Product[];
}

/** A sandbox backend (plugin pattern: stable name, integer version, availability, one work method). */
export interface SandboxBackend {
  readonly name: "bwrap" | "oci" | "none";
  /** Bumped when what the backend does (and so what provenance records) changes. */
  readonly version: number;
  /** False only for `none`: provenance then says the build was not isolated. */
  readonly isolated: boolean;
  /** Undefined when usable here; otherwise why not (e.g. "bwrap is not installed"). */
  unavailable(): Promise<string | undefined>;
  run(spec: SandboxSpec): Promise<SandboxResult>;
}
