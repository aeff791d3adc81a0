/**
 * One error base for the whole of Bulwark. Every error carries a stable string-literal `code`;
 * {@link ERROR_CODES} maps each code to its process exit code (ARCHITECTURE §7), HTTP status and
 * the anchor of its entry in `docs/errors.md`. A test keeps this table and the docs page in sync.
 */

/** Exit codes of the CLI contract. */
export const EXIT = {
  ok: 0,
  denied: 1,
  usage: 2,
  verification: 3,
  invalidInput: 4,
  upstream: 5,
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface CodeInfo {
  readonly exit: ExitCode;
  readonly http: number;
  readonly summary: string;
}

export const ERROR_CODES = {
  USAGE: {
    exit: EXIT.usage,
    http: 400,
    summary: "The command line is wrong: unknown flag, missing argument or bad value.",
  },
  CONFIG_INVALID: {
    exit: EXIT.usage,
    http: 400,
    summary: "`bulwark.yaml` or a `BULWARK_*` variable holds an invalid setting.",
  },
  FILE_NOT_FOUND: {
    exit: EXIT.usage,
    http: 404,
    summary: "A file or directory named on the command line does not exist or cannot be read.",
  },
  INPUT_INVALID: {
    exit: EXIT.invalidInput,
    http: 400,
    summary: "An input document is malformed (bad YAML/JSON, wrong shape).",
  },
  INPUT_TOO_LARGE: {
    exit: EXIT.invalidInput,
    http: 413,
    summary: "An input exceeds a size limit (bytes, documents, nodes).",
  },
  INPUT_TOO_DEEP: {
    exit: EXIT.invalidInput,
    http: 400,
    summary: "An input is nested deeper than the configured limit.",
  },
  INPUT_KIND_UNKNOWN: {
    exit: EXIT.invalidInput,
    http: 422,
    summary: "The kind of an input document cannot be detected; pass `--kind`.",
  },
  POLICY_INVALID: {
    exit: EXIT.invalidInput,
    http: 422,
    summary: "A policy document does not follow its schema (unknown or missing field, wrong type).",
  },
  POLICY_UNSUPPORTED: {
    exit: EXIT.invalidInput,
    http: 422,
    summary: "A ValidatingAdmissionPolicy or Kyverno policy uses a field Bulwark cannot evaluate faithfully.",
  },
  POLICY_DUPLICATE_ID: {
    exit: EXIT.invalidInput,
    http: 422,
    summary: "Two policies in one policy set share an id.",
  },
  POLICY_NOT_FOUND: {
    exit: EXIT.usage,
    http: 404,
    summary: "No policy was found at the given path or built-in name.",
  },
  CEL_SYNTAX: { exit: EXIT.invalidInput, http: 422, summary: "A CEL expression does not parse." },
  CEL_TYPE: {
    exit: EXIT.invalidInput,
    http: 422,
    summary: "A CEL expression fails type-checking (unknown variable, function or overload).",
  },
  CEL_RUNTIME: {
    exit: EXIT.denied,
    http: 403,
    summary:
      "A CEL expression failed while evaluating (missing field, division by zero, wrong type); under `failurePolicy: Fail` this is a violation.",
  },
  VERIFICATION_FAILED: {
    exit: EXIT.verification,
    http: 403,
    summary:
      "A signature, envelope, bundle or attestation did not verify: bad signature, untrusted, revoked or expired key, identity or subject mismatch.",
  },
  JOB_FAILED: {
    exit: EXIT.denied,
    http: 422,
    summary:
      "A sandboxed job failed: its command exited non-zero, was killed, or hit a limit (time, processes, memory, CPU, file size, workspace).",
  },
  NOT_FOUND: {
    exit: EXIT.invalidInput,
    http: 404,
    summary: "A requested record (log entry, checkpoint, blob) does not exist in the store.",
  },
  STORE_UNAVAILABLE: {
    exit: EXIT.upstream,
    http: 503,
    summary: "The local database cannot be opened, migrated or written.",
  },
  UPSTREAM_UNAVAILABLE: {
    exit: EXIT.upstream,
    http: 502,
    summary:
      "An online source (OSV API, npm registry) failed, timed out or answered in an unexpected format.",
  },
  VULN_DB_STALE: {
    exit: EXIT.upstream,
    http: 503,
    summary:
      "The vulnerability database is older than the allowed age (or empty) and the scan was told to fail.",
  },
  INTERNAL: {
    exit: EXIT.internal,
    http: 500,
    summary: "A bug in Bulwark. Please report it with the command and input.",
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in a file something is; lines and columns are 1-based. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** JSON-pointer-like path inside the document, e.g. `spec.validations[0].expression`. */
  readonly path?: string;
  /** 0-based document index in a multi-document file. */
  readonly document?: number;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  if (!loc) return "";
  let out = loc.file ?? "<input>";
  if (loc.line !== undefined) {
    out += `:${loc.line}`;
    if (loc.column !== undefined) out += `:${loc.column}`;
  }
  return out;
}

export interface BulwarkErrorOptions {
  readonly location?: SourceLocation;
  readonly cause?: unknown;
  /** Extra structured detail safe to show to users (never secrets). */
  readonly details?: Record<string, unknown>;
}

export class BulwarkError extends Error {
  readonly code: ErrorCode;
  readonly location: SourceLocation | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: BulwarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "BulwarkError";
    this.code = code;
    this.location = options.location;
    this.details = options.details;
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get docsAnchor(): string {
    return errorDocsAnchor(this.code);
  }

  /** `file:line:col: message [CODE]` — the one-line form used on stderr. */
  override toString(): string {
    const where = formatLocation(this.location);
    return `${where ? `${where}: ` : ""}${this.message} [${this.code}]`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function errorDocsAnchor(code: ErrorCode): string {
  return `docs/errors.md#${code.toLowerCase()}`;
}

export function isBulwarkError(e: unknown): e is BulwarkError {
  return e instanceof BulwarkError;
}

/** Any thrown value as a BulwarkError; unknown errors become INTERNAL with the original as cause. */
export function toBulwarkError(e: unknown): BulwarkError {
  if (e instanceof BulwarkError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new BulwarkError("INTERNAL", message, { cause: e });
}
