/**
 * in-toto attestation Statements (v1, and v0.1 read for compatibility) and the predicate types
 * Bulwark writes or reads. Pure: no keys, no I/O.
 *
 * Decoding follows the in-toto v1 spec and, where the spec leaves room, the reference Go library
 * (`in-toto/attestation/go`), so the published test vectors get the same verdict here as there:
 *
 * - `_type` is `https://in-toto.io/Statement/v1` or, for old producers, `…/Statement/v0.1`;
 *   {@link isLegacyStatement} flags the latter. Any other type is refused.
 * - `subject` is a non-empty array. Each entry is a ResourceDescriptor with a non-empty `digest`.
 * - Each digest value of a known algorithm is lowercase hex of that algorithm's length.
 *   Unknown algorithms are allowed, as the spec says they must be.
 * - `predicateType` is a non-empty string and `predicate` is an object. The spec lets `predicate`
 *   be left out, but the reference library requires it, and so does Bulwark.
 * - Unknown fields are ignored (the spec's parsing rules). JSON text with duplicate keys is refused,
 *   so no two readers can disagree about a subject.
 *
 * Predicates of the known types are validated too: the fields each spec marks required, their
 * types, enums and timestamps (RFC 3339, UTC `Z`). URIs are checked only for being non-empty
 * strings: the reference library accepts `theBuildType` as a `buildType`, and so does Bulwark.
 */
import { timingSafeEqual } from "node:crypto";
import { PackageURL } from "packageurl-js";
import {
  DecodeLimitError,
  decodeBase64Strict,
  decodeUtf8,
  type MakeDecodeError,
  parseJsonStrict,
} from "./dsse.js";
import {
  DecodeError,
  type DecodeLocation,
  get,
  isObject,
  type Json,
  jsonPointer,
  kindOf,
} from "./json-read.js";
import { isRfc3339DateTime } from "./openvex.js";

export const STATEMENT_TYPE_V1 = "https://in-toto.io/Statement/v1";
/** The pre-1.0 Statement type, still written by some producers; read, never written. */
export const STATEMENT_TYPE_V01 = "https://in-toto.io/Statement/v0.1";
export type StatementType = typeof STATEMENT_TYPE_V1 | typeof STATEMENT_TYPE_V01;

/** The DSSE `payloadType` of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** The predicate types Bulwark knows, by their TypeURI. */
export const PREDICATE_TYPES = {
  slsaProvenanceV1: "https://slsa.dev/provenance/v1",
  slsaVsaV1: "https://slsa.dev/verification_summary/v1",
  testResultV01: "https://in-toto.io/attestation/test-result/v0.1",
  vulnsV02: "https://in-toto.io/attestation/vulns/v0.2",
  releaseV01: "https://in-toto.io/attestation/release/v0.1",
  cyclonedx: "https://cyclonedx.org/bom",
  spdx: "https://spdx.dev/Document",
  policyDecisionV1: "https://bulwark.dev/attestation/policy-decision/v1",
} as const;

/** Algorithm name → lowercase hex digest value. */
export type DigestSet = Readonly<Record<string, string>>;

/** in-toto ResourceDescriptor: MUST have one of `uri`, `digest` or `content`. */
export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest?: DigestSet;
  /** Base64. */
  readonly content?: string;
  readonly downloadLocation?: string;
  readonly mediaType?: string;
  readonly annotations?: Json;
}

/** A Statement subject: a ResourceDescriptor whose `digest` is required. */
export interface StatementSubject extends ResourceDescriptor {
  readonly digest: DigestSet;
}

export interface Statement<P = Json> {
  readonly _type: StatementType;
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: P;
}

/** A Statement, ResourceDescriptor or predicate that breaks a rule of its specification. */
export class InTotoError extends DecodeError {
  constructor(message: string, location: DecodeLocation, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = "InTotoError";
  }
}

/** True for a Statement read as `https://in-toto.io/Statement/v0.1`. */
export function isLegacyStatement(statement: Pick<Statement, "_type">): boolean {
  return statement._type === STATEMENT_TYPE_V01;
}

// ---------------------------------------------------------------------------------------------
// Digests.

/**
 * Hex digest sizes in bytes for the algorithms the DigestSet spec names; `0` means the length
 * varies (extendable-output or keyed-length functions), so only the encoding is checked. A Map,
 * so a hostile algorithm name like `constructor` never finds a prototype entry.
 */
const DIGEST_SIZES: ReadonlyMap<string, readonly number[]> = new Map([
  ["md5", [16]],
  ["sha1", [20]],
  ["sha224", [28]],
  ["sha512_224", [28]],
  ["sha256", [32]],
  ["sha512_256", [32]],
  ["sha384", [48]],
  ["sha512", [64]],
  ["sha3_224", [28]],
  ["sha3_256", [32]],
  ["sha3_384", [48]],
  ["sha3_512", [64]],
  ["ripemd160", [20]],
  ["sm3", [32]],
  ["gost", [32, 64]],
  ["shake128", [0]],
  ["shake256", [0]],
  ["blake2b", [0]],
  ["blake2s", [0]],
  ["gitCommit", [20, 32]],
  ["gitTree", [20, 32]],
  ["gitBlob", [20, 32]],
  ["gitTag", [20, 32]],
  ["dirHash", [32]],
]);

const LOWER_HEX = /^(?:[0-9a-f]{2})+$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * True when a subject of the statement has `digest.sha256` equal to the given one. The digest is
 * 64 lowercase hex characters, optionally as `sha256:<hex>`, or `{ sha256 }`. Only sha256 is
 * compared: the DigestSet spec says to ignore algorithms the consumer does not accept. Throws a
 * TypeError for a malformed expected digest, which is a caller's bug, not a mismatch.
 */
export function subjectMatches(
  statement: Pick<Statement, "subject">,
  expected: string | { readonly sha256: string },
): boolean {
  const want = normalizeSha256(typeof expected === "string" ? expected : expected.sha256);
  const wantBytes = Buffer.from(want, "utf8");
  let found = false;
  for (const s of statement.subject) {
    const have = Object.hasOwn(s.digest, "sha256") ? s.digest.sha256 : undefined;
    if (typeof have !== "string" || have.length !== want.length) continue;
    // Constant time per comparison; keep looping so timing does not reveal which subject matched.
    if (timingSafeEqual(Buffer.from(have, "utf8"), wantBytes)) found = true;
  }
  return found;
}

/** `sha256:<hex>` or `<hex>` → `<hex>`; throws a TypeError unless it is 64 lowercase hex. */
export function normalizeSha256(digest: string): string {
  const hex = digest.startsWith("sha256:") ? digest.slice("sha256:".length) : digest;
  if (!SHA256_HEX.test(hex)) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest)}`);
  return hex;
}

// ---------------------------------------------------------------------------------------------
// Reading.

type Path = readonly (string | number)[];

export interface StatementDecodeOptions {
  /** `validate` (default): check known predicate types too. `ignore`: the statement layer only. */
  readonly predicates?: "validate" | "ignore";
  /** Largest statement text, in bytes (default 64 MiB). */
  readonly maxBytes?: number;
  /** Deepest JSON nesting (default 128). */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Decodes an in-toto Statement from its text, its UTF-8 bytes (a DSSE payload) or parsed JSON.
 * Returns the statement layer fields only. The subjects' ResourceDescriptors keep their known
 * fields, and the predicate is returned as it was (validated when its type is known, unless
 * `predicates: "ignore"`). `file` only labels errors. Throws {@link InTotoError}, or
 * {@link DecodeLimitError} when over a limit.
 */
export function decodeStatement(
  input: string | Uint8Array | Json,
  file?: string,
  options: StatementDecodeOptions = {},
): Statement {
  const json = parseInput(input, file, options, "statement");
  const r = new Reader(file);
  const root = r.object(json, []);
  const type = get(root, "_type");
  if (type !== STATEMENT_TYPE_V1 && type !== STATEMENT_TYPE_V01) {
    r.fail(
      ["_type"],
      type === undefined
        ? "is required"
        : `unsupported statement type ${JSON.stringify(type)}; expected ${STATEMENT_TYPE_V1} (or ${STATEMENT_TYPE_V01})`,
    );
  }
  const subjects = r.array(root, "subject", []);
  if (subjects.length === 0) r.fail(["subject"], "must hold at least one subject");
  const subject = subjects.map((s, i) => r.subject(s, ["subject", i]));
  const predicateType = r.string(root, "predicateType", [], { required: true });
  const predicate = r.object(get(root, "predicate"), ["predicate"]);
  const statement: Statement = { _type: type as StatementType, subject, predicateType, predicate };
  if (options.predicates !== "ignore") checkPredicate(r, statement);
  return statement;
}

/** Decodes one ResourceDescriptor (text, bytes or parsed JSON). Throws {@link InTotoError}. */
export function decodeResourceDescriptor(
  input: string | Uint8Array | Json,
  file?: string,
): ResourceDescriptor {
  return new Reader(file).descriptor(parseInput(input, file, {}, "resource descriptor"), []);
}

function parseInput(
  input: string | Uint8Array | Json,
  file: string | undefined,
  options: StatementDecodeOptions,
  what: string,
): unknown {
  if (typeof input !== "string" && !(input instanceof Uint8Array)) return input;
  const max = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.length;
  if (size > max) {
    throw new DecodeLimitError("INPUT_TOO_LARGE", `${what} is ${size} bytes, over the limit of ${max}`, {
      ...(file !== undefined ? { file } : {}),
      path: "",
    });
  }
  const make: MakeDecodeError = (message, location, cause) =>
    new InTotoError(message, location, cause === undefined ? undefined : { cause });
  const text = typeof input === "string" ? input : decodeUtf8(input, file, make, what);
  return parseJsonStrict(text, file, make, options.maxDepth);
}

interface StringRule {
  readonly required?: boolean;
  /** Allowed values; the message lists them. */
  readonly oneOf?: readonly string[];
}

/** Located reads of untrusted JSON; every failure is an {@link InTotoError} at a JSON pointer. */
class Reader {
  constructor(private readonly file: string | undefined) {}

  fail(path: Path, message: string): never {
    const pointer = jsonPointer(path);
    throw new InTotoError(pointer === "" ? message : `${pointer}: ${message}`, {
      ...(this.file !== undefined ? { file: this.file } : {}),
      path: pointer,
    });
  }

  object(v: unknown, path: Path): Json {
    if (v === undefined || v === null) return this.fail(path, "is required");
    if (!isObject(v)) return this.fail(path, `expected an object, got ${kindOf(v)}`);
    return v;
  }

  /** An optional object: unset and `null` are the same (SLSA parsing rules). */
  optionalObject(o: Json, key: string, path: Path): Json | undefined {
    const v = get(o, key);
    return v === undefined || v === null ? undefined : this.object(v, [...path, key]);
  }

  array(o: Json, key: string, path: Path): unknown[] {
    const v = get(o, key);
    if (v === undefined || v === null) return this.fail([...path, key], "is required");
    if (!Array.isArray(v)) return this.fail([...path, key], `expected an array, got ${kindOf(v)}`);
    return v;
  }

  optionalArray(o: Json, key: string, path: Path): unknown[] | undefined {
    const v = get(o, key);
    return v === undefined || v === null ? undefined : this.array(o, key, path);
  }

  /** A string field; a required one must also be non-empty. */
  string(o: Json, key: string, path: Path, rule: StringRule = {}): string {
    const v = get(o, key);
    if (v === undefined || v === null || v === "") {
      if (rule.required) return this.fail([...path, key], "is required");
      return "";
    }
    if (typeof v !== "string") return this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
    if (rule.oneOf && !rule.oneOf.includes(v)) {
      this.fail([...path, key], `must be one of ${rule.oneOf.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  optionalString(o: Json, key: string, path: Path): string | undefined {
    const v = get(o, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") return this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
    return v;
  }

  /** An in-toto Timestamp: RFC 3339 in UTC (`Z`). */
  timestamp(o: Json, key: string, path: Path, required: boolean): string | undefined {
    const v = required ? this.string(o, key, path, { required }) : this.optionalString(o, key, path);
    if (v === undefined) return undefined;
    if (!/^\d{4}-\d{2}-\d{2}T[^Z]*Z$/.test(v) || !isRfc3339DateTime(v)) {
      this.fail(
        [...path, key],
        `expected an RFC 3339 UTC timestamp like 2024-01-31T12:00:00Z, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  }

  stringList(o: Json, key: string, path: Path): string[] | undefined {
    const list = this.optionalArray(o, key, path);
    list?.forEach((v, i) => {
      if (typeof v !== "string") this.fail([...path, key, i], `expected a string, got ${kindOf(v)}`);
    });
    return list as string[] | undefined;
  }

  sha256Digest(o: Json, key: string, path: Path): string {
    const v = this.string(o, key, path, { required: true });
    if (!SHA256_DIGEST.test(v))
      this.fail([...path, key], `expected sha256:<64 lowercase hex>, got ${JSON.stringify(v)}`);
    return v;
  }

  digestSet(v: unknown, path: Path): DigestSet {
    const o = this.object(v, path);
    const out: Record<string, string> = {};
    for (const [alg, value] of Object.entries(o)) {
      const at = [...path, alg];
      if (typeof value !== "string") return this.fail(at, `expected a string, got ${kindOf(value)}`);
      if (value === "") return this.fail(at, "is empty");
      const sizes = DIGEST_SIZES.get(alg);
      if (sizes !== undefined) {
        if (!LOWER_HEX.test(value)) this.fail(at, `${alg} digest is not lowercase hex`);
        const bytes = value.length / 2;
        if (!sizes.includes(0) && !sizes.includes(bytes)) {
          this.fail(at, `${alg} digest has ${bytes} bytes, expected ${sizes.join(" or ")}`);
        }
      }
      Object.defineProperty(out, alg, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  descriptor(v: unknown, path: Path, forSubject = false): ResourceDescriptor {
    const o = this.object(v, path);
    const out: Record<string, unknown> = {};
    for (const key of ["name", "uri", "downloadLocation", "mediaType"] as const) {
      const s = this.optionalString(o, key, path);
      if (s !== undefined) out[key] = s;
    }
    const digestJson = get(o, "digest");
    const digest =
      digestJson === undefined || digestJson === null
        ? undefined
        : this.digestSet(digestJson, [...path, "digest"]);
    if (digest !== undefined) out.digest = digest;
    const content = this.optionalString(o, "content", path);
    if (content !== undefined) {
      if (decodeBase64Strict(content) === undefined) this.fail([...path, "content"], "is not valid base64");
      out.content = content;
    }
    const annotations = this.optionalObject(o, "annotations", path);
    if (annotations !== undefined) out.annotations = annotations;
    const hasDigest = digest !== undefined && Object.keys(digest).length > 0;
    const locatable = hasDigest || (out.uri ?? "") !== "" || (out.content ?? "") !== "";
    if (forSubject && !hasDigest) {
      // A subject needs a digest (the Statement's rule); without even a name it is no descriptor.
      if ((out.name ?? "") === "" && !locatable) this.fail(path, "needs one of uri, digest or content");
      this.fail([...path, "digest"], "is required for a statement subject");
    }
    if (!locatable) this.fail(path, "needs one of uri, digest or content");
    return out as ResourceDescriptor;
  }

  subject(v: unknown, path: Path): StatementSubject {
    return this.descriptor(v, path, true) as StatementSubject;
  }

  descriptors(o: Json, key: string, path: Path, need?: "digest" | "uri"): void {
    this.optionalArray(o, key, path)?.forEach((d, i) => {
      const rd = this.descriptor(d, [...path, key, i]);
      if (need === "digest" && rd.digest === undefined) this.fail([...path, key, i, "digest"], "is required");
      if (need === "uri" && rd.uri === undefined) this.fail([...path, key, i, "uri"], "is required");
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Predicates.

/** SLSA Provenance v1 (`https://slsa.dev/provenance/v1`). */
export interface SlsaProvenanceV1 {
  readonly buildDefinition: {
    readonly buildType: string;
    readonly externalParameters: Json;
    readonly internalParameters?: Json;
    readonly resolvedDependencies?: readonly ResourceDescriptor[];
  };
  readonly runDetails: {
    readonly builder: {
      readonly id: string;
      readonly version?: Readonly<Record<string, string>>;
      readonly builderDependencies?: readonly ResourceDescriptor[];
    };
    readonly metadata?: {
      readonly invocationId?: string;
      readonly startedOn?: string;
      readonly finishedOn?: string;
    };
    readonly byproducts?: readonly ResourceDescriptor[];
  };
}

/** SLSA Verification Summary v1 (`https://slsa.dev/verification_summary/v1`). */
export interface SlsaVsaV1 {
  readonly verifier: { readonly id: string; readonly version?: Readonly<Record<string, string>> };
  readonly timeVerified: string;
  readonly resourceUri: string;
  readonly policy: ResourceDescriptor & { readonly uri: string };
  readonly inputAttestations?: readonly (ResourceDescriptor & { readonly digest: DigestSet })[];
  readonly verificationResult: "PASSED" | "FAILED";
  readonly verifiedLevels: readonly string[];
  readonly dependencyLevels?: Readonly<Record<string, number>>;
  readonly slsaVersion?: string;
}

/** in-toto Test Result v0.1 (`https://in-toto.io/attestation/test-result/v0.1`). */
export interface TestResultV01 {
  readonly result: "PASSED" | "WARNED" | "FAILED";
  readonly configuration: readonly ResourceDescriptor[];
  readonly url?: string;
  readonly passedTests?: readonly string[];
  readonly warnedTests?: readonly string[];
  readonly failedTests?: readonly string[];
}

/** in-toto Vulnerabilities v0.2 (`https://in-toto.io/attestation/vulns/v0.2`). */
export interface VulnsV02 {
  readonly scanner: {
    readonly uri: string;
    readonly version?: string;
    readonly db: { readonly uri?: string; readonly version?: string; readonly lastUpdate: string };
    readonly result: readonly {
      readonly id: string;
      readonly severity: readonly { readonly method: string; readonly score: string }[];
      readonly annotations?: Json | readonly Json[];
    }[];
  };
  readonly metadata: { readonly scanStartedOn: string; readonly scanFinishedOn: string };
}

/** in-toto Release v0.1 (`https://in-toto.io/attestation/release/v0.1`). */
export interface ReleaseV01 {
  /** A purl with a version. */
  readonly purl: string;
  readonly packageId?: string;
}

export const POLICY_DECISIONS = ["allow", "warn", "deny"] as const;
export const POLICY_SEVERITIES = ["critical", "high", "medium", "low", "info"] as const;
export const POLICY_ENFORCEMENTS = ["deny", "warn", "audit"] as const;

export interface PolicyDecisionViolation {
  readonly policyId: string;
  readonly title: string;
  readonly severity: (typeof POLICY_SEVERITIES)[number];
  readonly enforcement: (typeof POLICY_ENFORCEMENTS)[number];
  readonly message: string;
  readonly remediation?: string;
  /** Where in the evaluated input; lines and columns are 1-based. */
  readonly location?: {
    readonly file?: string;
    readonly line?: number;
    readonly column?: number;
    readonly path?: string;
  };
  /** Set when an exception or inline waiver covered the violation: it does not count. */
  readonly waived?: { readonly reason: string; readonly expires?: string };
}

/**
 * Bulwark's policy decision (`https://bulwark.dev/attestation/policy-decision/v1`), the signed form
 * of the decision model (ARCHITECTURE §5). See docs/attestations.md for the field table.
 */
export interface PolicyDecisionV1 {
  readonly decision: (typeof POLICY_DECISIONS)[number];
  readonly violations: readonly PolicyDecisionViolation[];
  readonly policyBundleDigest: string;
  readonly inputDigest: string;
  readonly environment: string;
  readonly subject: { readonly name: string; readonly digest: { readonly sha256: string } };
  readonly time: string;
  readonly evaluator?: { readonly id: string; readonly version?: string };
}

/** The predicate families Bulwark validates; `predicateKindOf` maps a TypeURI to one. */
export type PredicateKind =
  | "slsa-provenance-v1"
  | "slsa-vsa-v1"
  | "test-result-v0.1"
  | "vulns-v0.2"
  | "release-v0.1"
  | "cyclonedx"
  | "spdx"
  | "policy-decision-v1";

export type ValidatedPredicate =
  | { readonly kind: "slsa-provenance-v1"; readonly predicate: SlsaProvenanceV1 }
  | { readonly kind: "slsa-vsa-v1"; readonly predicate: SlsaVsaV1 }
  | { readonly kind: "test-result-v0.1"; readonly predicate: TestResultV01 }
  | { readonly kind: "vulns-v0.2"; readonly predicate: VulnsV02 }
  | { readonly kind: "release-v0.1"; readonly predicate: ReleaseV01 }
  | { readonly kind: "cyclonedx"; readonly predicate: Json }
  | { readonly kind: "spdx"; readonly predicate: Json }
  | { readonly kind: "policy-decision-v1"; readonly predicate: PolicyDecisionV1 }
  | { readonly kind: "unknown"; readonly predicate: Json };

const CYCLONEDX_TYPE = /^https:\/\/cyclonedx\.org\/bom(?:\/v(1\.\d+))?$/;
const SPDX_TYPE = /^https:\/\/spdx\.dev\/Document(?:\/v(2\.\d+|3(?:\.\d+)*))?$/;

/** Which known predicate family a predicateType names; undefined for any other type. */
export function predicateKindOf(predicateType: string): PredicateKind | undefined {
  switch (predicateType) {
    case PREDICATE_TYPES.slsaProvenanceV1:
      return "slsa-provenance-v1";
    case PREDICATE_TYPES.slsaVsaV1:
      return "slsa-vsa-v1";
    case PREDICATE_TYPES.testResultV01:
      return "test-result-v0.1";
    case PREDICATE_TYPES.vulnsV02:
      return "vulns-v0.2";
    case PREDICATE_TYPES.releaseV01:
      return "release-v0.1";
    case PREDICATE_TYPES.policyDecisionV1:
      return "policy-decision-v1";
  }
  if (CYCLONEDX_TYPE.test(predicateType)) return "cyclonedx";
  if (SPDX_TYPE.test(predicateType)) return "spdx";
  return undefined;
}

/**
 * Validates a predicate against its type's rules and returns it tagged with its family; the value
 * itself is returned unchanged, extension fields included. A type Bulwark does not know comes
 * back as `unknown` after checking only that it is an object. Throws {@link InTotoError}.
 */
export function validatePredicate(
  predicateType: string,
  predicate: unknown,
  file?: string,
): ValidatedPredicate {
  return validateAt(new Reader(file), predicateType, predicate, []);
}

function validateAt(r: Reader, predicateType: string, predicate: unknown, path: Path): ValidatedPredicate {
  const o = r.object(predicate, path);
  const kind = predicateKindOf(predicateType);
  if (kind === undefined) return { kind: "unknown", predicate: o };
  switch (kind) {
    case "slsa-provenance-v1":
      return { kind, predicate: provenance(r, o, path) };
    case "slsa-vsa-v1":
      return { kind, predicate: vsa(r, o, path) };
    case "test-result-v0.1":
      return { kind, predicate: testResult(r, o, path) };
    case "vulns-v0.2":
      return { kind, predicate: vulns(r, o, path) };
    case "release-v0.1":
      return { kind, predicate: release(r, o, path) };
    case "cyclonedx":
      return { kind, predicate: cyclonedx(r, o, path, CYCLONEDX_TYPE.exec(predicateType)?.[1]) };
    case "spdx":
      return { kind, predicate: spdx(r, o, path, SPDX_TYPE.exec(predicateType)?.[1]) };
    case "policy-decision-v1":
      return { kind, predicate: policyDecision(r, o, path) };
    default: {
      const never: never = kind;
      throw new Error(`unhandled predicate kind ${String(never)}`);
    }
  }
}

/** Statement-level predicate checks: the predicate's own rules, then its links to the subject. */
function checkPredicate(r: Reader, statement: Statement): void {
  const checked = validateAt(r, statement.predicateType, statement.predicate, ["predicate"]);
  if (checked.kind === "policy-decision-v1") {
    const sha256 = checked.predicate.subject.digest.sha256;
    if (!subjectMatches(statement, { sha256 })) {
      r.fail(["predicate", "subject", "digest", "sha256"], "matches no subject of the statement");
    }
  }
}

/** Validates a SLSA Provenance v1 predicate (the fields SLSA Build L1 requires). */
export function validateSlsaProvenanceV1(predicate: unknown, file?: string): SlsaProvenanceV1 {
  const r = new Reader(file);
  return provenance(r, r.object(predicate, []), []);
}

function provenance(r: Reader, o: Json, path: Path): SlsaProvenanceV1 {
  const defPath = [...path, "buildDefinition"];
  const def = r.object(get(o, "buildDefinition"), defPath);
  r.string(def, "buildType", defPath, { required: true });
  r.object(get(def, "externalParameters"), [...defPath, "externalParameters"]);
  r.optionalObject(def, "internalParameters", defPath);
  r.descriptors(def, "resolvedDependencies", defPath);

  const runPath = [...path, "runDetails"];
  const run = r.object(get(o, "runDetails"), runPath);
  const builderPath = [...runPath, "builder"];
  const builder = r.object(get(run, "builder"), builderPath);
  r.string(builder, "id", builderPath, { required: true });
  const version = r.optionalObject(builder, "version", builderPath);
  for (const [k, v] of Object.entries(version ?? {})) {
    if (typeof v !== "string") r.fail([...builderPath, "version", k], `expected a string, got ${kindOf(v)}`);
  }
  r.descriptors(builder, "builderDependencies", builderPath);
  const metadata = r.optionalObject(run, "metadata", runPath);
  if (metadata !== undefined) {
    const at = [...runPath, "metadata"];
    r.optionalString(metadata, "invocationId", at);
    r.timestamp(metadata, "startedOn", at, false);
    r.timestamp(metadata, "finishedOn", at, false);
  }
  r.descriptors(run, "byproducts", runPath);
  return o as unknown as SlsaProvenanceV1;
}

const SLSA_LEVEL = /^SLSA_([A-Z]+)_LEVEL_(\d+)$/;

/** Validates a SLSA VSA v1 predicate. */
export function validateSlsaVsaV1(predicate: unknown, file?: string): SlsaVsaV1 {
  const r = new Reader(file);
  return vsa(r, r.object(predicate, []), []);
}

function vsa(r: Reader, o: Json, path: Path): SlsaVsaV1 {
  const verifier = r.object(get(o, "verifier"), [...path, "verifier"]);
  r.string(verifier, "id", [...path, "verifier"], { required: true });
  r.timestamp(o, "timeVerified", path, true);
  r.string(o, "resourceUri", path, { required: true });
  const policy = r.descriptor(get(o, "policy"), [...path, "policy"]);
  if (policy.uri === undefined || policy.uri === "") r.fail([...path, "policy", "uri"], "is required");
  r.descriptors(o, "inputAttestations", path, "digest");
  r.string(o, "verificationResult", path, { required: true, oneOf: ["PASSED", "FAILED"] });
  const levels = r.array(o, "verifiedLevels", path);
  const tracks = new Set<string>();
  levels.forEach((level, i) => {
    const at = [...path, "verifiedLevels", i];
    if (typeof level !== "string" || level === "")
      return r.fail(at, `expected a SlsaResult string, got ${kindOf(level)}`);
    if (!level.startsWith("SLSA_")) return;
    const m = SLSA_LEVEL.exec(level);
    if (!m) return r.fail(at, `${JSON.stringify(level)}: custom values must not start with SLSA_`);
    if (tracks.has(m[1]!)) r.fail(at, `more than one level for the SLSA ${m[1]} track`);
    tracks.add(m[1]!);
  });
  const deps = r.optionalObject(o, "dependencyLevels", path);
  for (const [level, count] of Object.entries(deps ?? {})) {
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      r.fail(
        [...path, "dependencyLevels", level],
        `expected a count (integer ≥ 0), got ${JSON.stringify(count)}`,
      );
    }
  }
  const slsaVersion = r.optionalString(o, "slsaVersion", path);
  if (slsaVersion !== undefined && !/^\d+\.\d+$/.test(slsaVersion)) {
    r.fail([...path, "slsaVersion"], `expected <major>.<minor>, got ${JSON.stringify(slsaVersion)}`);
  }
  return o as unknown as SlsaVsaV1;
}

/** Validates an in-toto Test Result v0.1 predicate. */
export function validateTestResultV01(predicate: unknown, file?: string): TestResultV01 {
  const r = new Reader(file);
  return testResult(r, r.object(predicate, []), []);
}

function testResult(r: Reader, o: Json, path: Path): TestResultV01 {
  r.string(o, "result", path, { required: true, oneOf: ["PASSED", "WARNED", "FAILED"] });
  r.array(o, "configuration", path).forEach((d, i) => r.descriptor(d, [...path, "configuration", i]));
  r.optionalString(o, "url", path);
  for (const key of ["passedTests", "warnedTests", "failedTests"]) r.stringList(o, key, path);
  return o as unknown as TestResultV01;
}

/** Validates an in-toto Vulnerabilities v0.2 predicate. */
export function validateVulnsV02(predicate: unknown, file?: string): VulnsV02 {
  const r = new Reader(file);
  return vulns(r, r.object(predicate, []), []);
}

function vulns(r: Reader, o: Json, path: Path): VulnsV02 {
  const scannerPath = [...path, "scanner"];
  const scanner = r.object(get(o, "scanner"), scannerPath);
  r.string(scanner, "uri", scannerPath, { required: true });
  r.optionalString(scanner, "version", scannerPath);
  const dbPath = [...scannerPath, "db"];
  const db = r.object(get(scanner, "db"), dbPath);
  r.optionalString(db, "uri", dbPath);
  r.optionalString(db, "version", dbPath);
  r.timestamp(db, "lastUpdate", dbPath, true);
  r.array(scanner, "result", scannerPath).forEach((entry, i) => {
    const at = [...scannerPath, "result", i];
    const v = r.object(entry, at);
    r.string(v, "id", at, { required: true });
    r.array(v, "severity", at).forEach((s, j) => {
      const sAt = [...at, "severity", j];
      const sev = r.object(s, sAt);
      r.string(sev, "method", sAt, { required: true });
      r.string(sev, "score", sAt, { required: true });
    });
    const annotations = get(v, "annotations");
    if (Array.isArray(annotations)) annotations.forEach((a, j) => r.object(a, [...at, "annotations", j]));
    else if (annotations !== undefined && annotations !== null) r.object(annotations, [...at, "annotations"]);
  });
  const metaPath = [...path, "metadata"];
  const metadata = r.object(get(o, "metadata"), metaPath);
  r.timestamp(metadata, "scanStartedOn", metaPath, true);
  r.timestamp(metadata, "scanFinishedOn", metaPath, true);
  return o as unknown as VulnsV02;
}

/** Validates an in-toto Release v0.1 predicate: `purl` must parse and carry a version. */
export function validateReleaseV01(predicate: unknown, file?: string): ReleaseV01 {
  const r = new Reader(file);
  return release(r, r.object(predicate, []), []);
}

function release(r: Reader, o: Json, path: Path): ReleaseV01 {
  const purl = r.string(o, "purl", path, { required: true });
  let version: string | undefined | null;
  try {
    version = PackageURL.fromString(purl).version;
  } catch (e) {
    r.fail([...path, "purl"], `is not a package URL: ${(e as Error).message}`);
  }
  if (version === undefined || version === null || version === "") {
    r.fail([...path, "purl"], "must include a version (the release it names)");
  }
  r.optionalString(o, "packageId", path);
  return o as unknown as ReleaseV01;
}

function cyclonedx(r: Reader, o: Json, path: Path, typeVersion: string | undefined): Json {
  r.string(o, "bomFormat", path, { required: true, oneOf: ["CycloneDX"] });
  const specVersion = r.string(o, "specVersion", path, { required: true });
  if (!/^1\.\d+$/.test(specVersion))
    r.fail([...path, "specVersion"], `unsupported CycloneDX version ${specVersion}`);
  if (typeVersion !== undefined && specVersion !== typeVersion) {
    r.fail([...path, "specVersion"], `is ${specVersion}, but the predicateType says ${typeVersion}`);
  }
  return o;
}

const SPDX3_CONTEXT = /^https?:\/\/spdx\.org\/rdf\/3(?:\.\d+)*\/spdx-context\.jsonld$/;

function spdx(r: Reader, o: Json, path: Path, typeVersion: string | undefined): Json {
  if (typeVersion?.startsWith("3")) {
    const context = get(o, "@context");
    const contexts = Array.isArray(context) ? context : [context];
    if (!contexts.some((c) => typeof c === "string" && SPDX3_CONTEXT.test(c))) {
      r.fail([...path, "@context"], "is not an SPDX 3 JSON-LD context");
    }
    r.array(o, "@graph", path);
    return o;
  }
  const version = r.string(o, "spdxVersion", path, { required: true });
  if (!/^SPDX-2\.\d+$/.test(version)) r.fail([...path, "spdxVersion"], `expected SPDX-2.x, got ${version}`);
  r.string(o, "SPDXID", path, { required: true, oneOf: ["SPDXRef-DOCUMENT"] });
  return o;
}

/** Validates a Bulwark policy decision v1 predicate, including that `decision` follows from the violations. */
export function validatePolicyDecisionV1(predicate: unknown, file?: string): PolicyDecisionV1 {
  const r = new Reader(file);
  return policyDecision(r, r.object(predicate, []), []);
}

function policyDecision(r: Reader, o: Json, path: Path): PolicyDecisionV1 {
  const decision = r.string(o, "decision", path, { required: true, oneOf: POLICY_DECISIONS });
  let strongest: PolicyDecisionV1["decision"] = "allow";
  r.array(o, "violations", path).forEach((entry, i) => {
    const at = [...path, "violations", i];
    const v = r.object(entry, at);
    for (const key of ["policyId", "title", "message"]) r.string(v, key, at, { required: true });
    r.string(v, "severity", at, { required: true, oneOf: POLICY_SEVERITIES });
    const enforcement = r.string(v, "enforcement", at, { required: true, oneOf: POLICY_ENFORCEMENTS });
    r.optionalString(v, "remediation", at);
    const location = r.optionalObject(v, "location", at);
    if (location !== undefined) {
      const lAt = [...at, "location"];
      r.optionalString(location, "file", lAt);
      r.optionalString(location, "path", lAt);
      for (const key of ["line", "column"]) {
        const n = get(location, key);
        if (n !== undefined && (typeof n !== "number" || !Number.isInteger(n) || n < 1)) {
          r.fail([...lAt, key], `expected an integer ≥ 1, got ${JSON.stringify(n)}`);
        }
      }
    }
    const waived = r.optionalObject(v, "waived", at);
    if (waived !== undefined) {
      r.string(waived, "reason", [...at, "waived"], { required: true });
      r.optionalString(waived, "expires", [...at, "waived"]);
      return;
    }
    if (enforcement === "deny") strongest = "deny";
    else if (enforcement === "warn" && strongest === "allow") strongest = "warn";
  });
  if (decision !== strongest) {
    r.fail([...path, "decision"], `is ${decision}, but the violations that count make it ${strongest}`);
  }
  r.sha256Digest(o, "policyBundleDigest", path);
  r.sha256Digest(o, "inputDigest", path);
  r.string(o, "environment", path, { required: true });
  const subjectPath = [...path, "subject"];
  const subject = r.object(get(o, "subject"), subjectPath);
  r.string(subject, "name", subjectPath, { required: true });
  const digest = r.object(get(subject, "digest"), [...subjectPath, "digest"]);
  const sha256 = r.string(digest, "sha256", [...subjectPath, "digest"], { required: true });
  if (!SHA256_HEX.test(sha256))
    r.fail([...subjectPath, "digest", "sha256"], "expected 64 lowercase hex characters");
  r.timestamp(o, "time", path, true);
  const evaluator = r.optionalObject(o, "evaluator", path);
  if (evaluator !== undefined) {
    r.string(evaluator, "id", [...path, "evaluator"], { required: true });
    r.optionalString(evaluator, "version", [...path, "evaluator"]);
  }
  return o as unknown as PolicyDecisionV1;
}

// ---------------------------------------------------------------------------------------------
// Writing.

/**
 * The statement as canonical JSON (RFC 8785: members sorted by UTF-16 code units, no whitespace,
 * shortest number form), so the same statement always gives the same bytes to sign. The statement
 * is decoded with the reader's rules first (predicates included), so nothing invalid is written.
 * Only v1 is written: a v0.1 statement throws {@link InTotoError}.
 */
export function encodeStatement(statement: Statement<unknown>): string {
  const plain = toPlain(statement);
  const checked = decodeStatement(plain as Json);
  if (isLegacyStatement(checked)) {
    throw new InTotoError(`/_type: Bulwark writes ${STATEMENT_TYPE_V1} only`, { path: "/_type" });
  }
  return canonicalJson(checked);
}

/** A v1 Statement about `subject` (validated, so it encodes). */
export function buildStatement<P>(input: {
  readonly subject: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: P;
}): Statement<P> {
  const statement = toPlain({
    _type: STATEMENT_TYPE_V1,
    subject: input.subject,
    predicateType: input.predicateType,
    predicate: input.predicate,
  }) as Json;
  decodeStatement(statement);
  return statement as unknown as Statement<P>;
}

/** A SLSA Provenance v1 predicate from its parts; optional fields left undefined are omitted. */
export function buildSlsaProvenanceV1(input: SlsaProvenanceV1): SlsaProvenanceV1 {
  return validateSlsaProvenanceV1(toPlain(input));
}

/** A SLSA VSA v1 predicate from its parts. */
export function buildSlsaVsaV1(input: SlsaVsaV1): SlsaVsaV1 {
  return validateSlsaVsaV1(toPlain(input));
}

/** An in-toto Test Result v0.1 predicate from its parts. */
export function buildTestResultV01(input: TestResultV01): TestResultV01 {
  return validateTestResultV01(toPlain(input));
}

/** An in-toto Vulnerabilities v0.2 predicate from its parts. */
export function buildVulnsV02(input: VulnsV02): VulnsV02 {
  return validateVulnsV02(toPlain(input));
}

/** An in-toto Release v0.1 predicate from its parts. */
export function buildReleaseV01(input: ReleaseV01): ReleaseV01 {
  return validateReleaseV01(toPlain(input));
}

/** A Bulwark policy decision v1 predicate from its parts (checked like any decoded one). */
export function buildPolicyDecisionV1(input: PolicyDecisionV1): PolicyDecisionV1 {
  return validatePolicyDecisionV1(toPlain(input));
}

/**
 * A plain JSON copy: `undefined` members are dropped, and anything that is not JSON is refused. That
 * covers non-finite numbers, functions, symbols, bigints and cycles. Dates become their ISO string.
 */
function toPlain(value: unknown, seen = new Set<object>()): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value))
        throw new InTotoError(`cannot encode the number ${value} as JSON`, { path: "" });
      return value;
    case "object":
      break;
    default:
      throw new InTotoError(`cannot encode a ${typeof value} as JSON`, { path: "" });
  }
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) throw new InTotoError("cannot encode a cyclic structure as JSON", { path: "" });
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => (v === undefined ? null : toPlain(v, seen)));
  } else {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      Object.defineProperty(o, k, {
        value: toPlain(v, seen),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    out = o;
  }
  seen.delete(value);
  return out;
}

/** RFC 8785 canonical JSON of a plain JSON value (see {@link toPlain}). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Json)[k])}`).join(",")}}`;
}
