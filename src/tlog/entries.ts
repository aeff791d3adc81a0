/**
 * Typed log entry bodies: what Bulwark appends to its transparency log (ARCHITECTURE §5
 * AuditEvent). Each body is canonical JSON (RFC 8785), so the same event always has the same
 * bytes and therefore the same leaf hash — which is what makes de-duplication exact.
 *
 *   { "apiVersion": "bulwark.dev/log/v1", "kind": "<kind>", "time": "<RFC 3339>", "spec": { … } }
 *
 * `time` (when the event happened) is optional: entries derived from a document (a bundle's
 * attestation) leave it out, so logging the same document twice gives the same bytes and the
 * same index; the log records when each entry was integrated.
 *
 * Large evidence (envelopes, SBOMs, reports) is not logged inline: an entry names it by digest and
 * the blob store keeps the bytes.
 */
import { BulwarkError, canonicalize } from "../core/index.js";
import { MAX_ENTRY_SIZE } from "./tiles.js";

export const ENTRY_API_VERSION = "bulwark.dev/log/v1";

export const ENTRY_KINDS = [
  "decision",
  "attestation",
  "signature",
  "key-event",
  "quarantine",
  "override",
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface LogEntryBody {
  readonly apiVersion: typeof ENTRY_API_VERSION;
  readonly kind: EntryKind;
  readonly time?: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

type Field = "string" | "digest" | "subject" | "subjects" | "strings" | "time";
interface FieldRule {
  readonly type: Field;
  readonly required?: boolean;
  readonly oneOf?: readonly string[];
}

/** What each kind's `spec` must hold; other members are allowed and logged as given. */
const SPECS: Readonly<Record<EntryKind, Readonly<Record<string, FieldRule>>>> = {
  decision: {
    decision: { type: "string", required: true, oneOf: ["allow", "deny", "warn"] },
    subject: { type: "subject" },
    environment: { type: "string" },
    policyBundleDigest: { type: "digest" },
    inputDigest: { type: "digest" },
    violations: { type: "strings" },
  },
  attestation: {
    envelopeDigest: { type: "digest", required: true },
    predicateType: { type: "string", required: true },
    subjects: { type: "subjects", required: true },
    keyid: { type: "string" },
    identity: { type: "string" },
  },
  signature: {
    artifactDigest: { type: "digest", required: true },
    bundleDigest: { type: "digest", required: true },
    keyid: { type: "string" },
    identity: { type: "string" },
  },
  "key-event": {
    event: { type: "string", required: true, oneOf: ["created", "revoked", "expired", "rotated"] },
    keyid: { type: "string", required: true },
    reason: { type: "string" },
    since: { type: "time" },
  },
  quarantine: {
    action: { type: "string", required: true, oneOf: ["quarantine", "release"] },
    subject: { type: "subject", required: true },
    reason: { type: "string", required: true },
  },
  override: {
    subject: { type: "subject", required: true },
    policyIds: { type: "strings", required: true },
    reason: { type: "string", required: true },
    approver: { type: "string", required: true },
    expires: { type: "time" },
  },
};

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function invalid(where: string, message: string): never {
  throw new BulwarkError("INPUT_INVALID", `${where}: ${message}`, { details: { path: where } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkSubject(v: unknown, where: string): void {
  if (!isObject(v)) invalid(where, "must be an object {name?, digest: {sha256}}");
  if (v.name !== undefined && typeof v.name !== "string") invalid(`${where}.name`, "must be a string");
  const digest = v.digest;
  if (!isObject(digest) || typeof digest.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(digest.sha256))
    invalid(`${where}.digest.sha256`, "must be 64 lowercase hex digits");
}

function checkField(v: unknown, rule: FieldRule, where: string): void {
  switch (rule.type) {
    case "string":
      if (typeof v !== "string" || v === "") invalid(where, "must be a non-empty string");
      if (rule.oneOf && !rule.oneOf.includes(v)) invalid(where, `must be one of ${rule.oneOf.join(", ")}`);
      return;
    case "digest":
      if (typeof v !== "string" || !DIGEST.test(v)) invalid(where, "must be sha256:<64 lowercase hex>");
      return;
    case "time":
      if (typeof v !== "string" || !RFC3339.test(v) || Number.isNaN(Date.parse(v)))
        invalid(where, "must be an RFC 3339 time");
      return;
    case "strings":
      if (!Array.isArray(v) || v.some((s) => typeof s !== "string"))
        invalid(where, "must be an array of strings");
      return;
    case "subject":
      checkSubject(v, where);
      return;
    case "subjects":
      if (!Array.isArray(v) || v.length === 0) invalid(where, "must be a non-empty array of subjects");
      v.forEach((s, i) => checkSubject(s, `${where}[${i}]`));
      return;
  }
}

/** Checks a parsed entry body against its kind; throws INPUT_INVALID naming the JSON path. */
export function validateEntry(value: unknown): LogEntryBody {
  if (!isObject(value)) invalid("$", "a log entry is a JSON object");
  if (value.apiVersion !== ENTRY_API_VERSION) invalid("$.apiVersion", `must be ${ENTRY_API_VERSION}`);
  const kind = value.kind;
  if (typeof kind !== "string" || !(ENTRY_KINDS as readonly string[]).includes(kind))
    invalid("$.kind", `must be one of ${ENTRY_KINDS.join(", ")}`);
  if (value.time !== undefined) checkField(value.time, { type: "time" }, "$.time");
  if (!isObject(value.spec)) invalid("$.spec", "must be an object");
  for (const [name, rule] of Object.entries(SPECS[kind as EntryKind])) {
    const v = value.spec[name];
    if (v === undefined) {
      if (rule.required) invalid(`$.spec.${name}`, "is required");
      continue;
    }
    checkField(v, rule, `$.spec.${name}`);
  }
  return value as unknown as LogEntryBody;
}

/** A typed entry's log bytes: its canonical JSON, which must fit an entry bundle. */
export function encodeEntry(entry: LogEntryBody): Uint8Array {
  const bytes = new TextEncoder().encode(canonicalize(validateEntry(entry)));
  if (bytes.length > MAX_ENTRY_SIZE)
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `a log entry is ${bytes.length} bytes; the limit is ${MAX_ENTRY_SIZE} (store large evidence in the blob store and log its digest)`,
    );
  return bytes;
}

/** Builds a typed entry; `time` defaults to now (to the second), `null` leaves it out. */
export function makeEntry(
  kind: EntryKind,
  spec: Record<string, unknown>,
  time: Date | null = new Date(),
): LogEntryBody {
  return validateEntry({
    apiVersion: ENTRY_API_VERSION,
    kind,
    ...(time ? { time: time.toISOString().replace(/\.\d{3}Z$/, "Z") } : {}),
    spec,
  });
}

/** The typed body of logged bytes, or undefined when they are not a typed entry. */
export function decodeEntry(bytes: Uint8Array): LogEntryBody | undefined {
  try {
    return validateEntry(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)));
  } catch {
    return undefined;
  }
}
