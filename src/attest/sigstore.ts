/**
 * Sigstore bundles (issue 6): offline verification of keyless (Fulcio certificate) and key-based
 * bundles, and key-based bundle output.
 *
 * The cryptography is `@sigstore/verify`'s: certificate chain to the trusted root's CAs, SCTs
 * against the CT logs, Rekor inclusion proofs / signed entry timestamps, RFC 3161 timestamps and
 * the signature itself. Around it this module adds what a fail-closed verifier needs and the
 * library leaves to its caller: a strict parse of the bundle and trusted-root JSON (known media
 * types only, strict base64, non-negative integers, no unknown fields, validity windows that state
 * their start),
 * the identity policy (exact or anchored-regexp SAN plus exact issuer, both required for keyless
 * bundles), a refusal to mix key-based and certificate material, the artifact/digest and
 * artifact/in-toto-subject bindings, a "not from the future" check, and a result cache.
 *
 * Nothing here touches the network: the trusted root is always supplied by the caller.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import type { Bundle } from "@sigstore/bundle";
import type { SignedEntity, TrustMaterial } from "@sigstore/verify";
import { BulwarkError, lazyRequire } from "../core/index.js";
import type { KeyAlgorithm, Signer } from "./types.js";

const sigstoreVerify = lazyRequire<typeof import("@sigstore/verify")>("@sigstore/verify");
const sigstoreBundle = lazyRequire<typeof import("@sigstore/bundle")>("@sigstore/bundle");
const sigstoreCore = lazyRequire<typeof import("@sigstore/core")>("@sigstore/core");

// ---------------------------------------------------------------------------------------------
// Public types

/** The media type of every bundle {@link encodeKeyBundle} writes. */
export const SIGSTORE_BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** Bundle media types this verifier accepts, with their bundle version. Anything else is refused. */
export const SIGSTORE_BUNDLE_MEDIA_TYPES = {
  "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
  [SIGSTORE_BUNDLE_MEDIA_TYPE]: "0.3",
} as const;

/** Trusted-root media types accepted (the `trusted_root.json` that Sigstore's TUF repository serves). */
const TRUSTED_ROOT_MEDIA_TYPES = new Set([
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
]);

/** The in-toto payload type a DSSE bundle must carry for an artifact to be bound to its subject. */
const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** Fulcio's "username" otherName SAN. */
const FULCIO_USERNAME_OID = "1.3.6.1.4.1.57264.1.7";

/**
 * How far a verified timestamp may lie after the verification time (`at`) before the bundle is
 * refused as coming from the future: the log's and the verifier's clocks are not the same clock.
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Who must have signed a keyless bundle, as cosign's `--certificate-identity[-regexp]` and
 * `--certificate-oidc-issuer`. A keyless verification MUST name the issuer and exactly one of
 * `subject` / `subjectRegExp`.
 */
export interface SigstoreIdentity {
  /** The certificate's subject alternative name (URI, email or Fulcio username), exactly. */
  readonly subject?: string;
  /**
   * A regular expression the whole SAN must match. Unlike cosign's it is anchored (`^(?:…)$`), so
   * `https://github.com/org/.*` cannot be satisfied by `https://evil.example/https://github.com/org/x`.
   */
  readonly subjectRegExp?: string;
  /** The OIDC issuer recorded by Fulcio (certificate extension 1.3.6.1.4.1.57264.1.8 or .1.1), exactly. */
  readonly issuer?: string;
}

export interface VerifySigstoreBundleOptions {
  /** The bundle: JSON text, its UTF-8 bytes, or the parsed object. */
  readonly bundle: string | Uint8Array | object;
  /** The signed artifact. Required for message-signature bundles; for DSSE bundles it must match an in-toto subject. */
  readonly artifact?: Uint8Array;
  /**
   * A Sigstore `trusted_root.json` (text, bytes or object). Required for keyless bundles; for
   * key-based bundles only when they carry transparency-log entries or timestamps.
   */
  readonly trustedRoot?: string | Uint8Array | object;
  /** SPKI PEM public key: verify a key-based bundle with it. Excludes `identity`. */
  readonly key?: string;
  /** Identity policy for keyless bundles (required for them). */
  readonly identity?: SigstoreIdentity;
  /** Verification time ("now"); no verified timestamp may lie after it. Defaults to the system clock. */
  readonly at?: Date;
  /** Reuse earlier successful verifications of the very same inputs. */
  readonly cache?: SigstoreVerificationCache;
}

export type SigstoreBundleKind = "message-signature" | "dsse";

export interface SigstoreSigner {
  /** Keyless: the certificate SAN that satisfied the identity policy. */
  readonly identity?: string;
  /** Keyless: the OIDC issuer from the certificate. */
  readonly issuer?: string;
  /** Key-based: the Bulwark key id (hex SHA-256 of the SPKI DER) of the key that verified. */
  readonly keyid?: string;
}

export interface SigstoreTlogEntry {
  /** Decimal log index. */
  readonly logIndex: string;
  /** Hex log id (SHA-256 of the log's public key). */
  readonly logId: string;
  readonly kind: string;
  readonly version: string;
  /** Rekor v1 integrated time; absent for Rekor v2 entries, which rely on TSA timestamps. */
  readonly integratedTime?: Date;
  readonly inclusionProof: boolean;
  readonly inclusionPromise: boolean;
}

export interface SigstoreVerifiedTimestamp {
  readonly source: "transparency-log" | "timestamp-authority";
  readonly time: Date;
}

export interface SigstoreVerification {
  readonly kind: SigstoreBundleKind;
  readonly mediaType: string;
  readonly signer: SigstoreSigner;
  /** DSSE bundles: the verified payload. */
  readonly payload?: Uint8Array;
  readonly payloadType?: string;
  readonly tlogEntries: readonly SigstoreTlogEntry[];
  /** Every timestamp that was verified (and against which the certificate was checked). */
  readonly verifiedTimestamps: readonly SigstoreVerifiedTimestamp[];
}

// ---------------------------------------------------------------------------------------------
// Cache

interface CacheEntry {
  readonly result: SigstoreVerification;
  /** The latest verified timestamp (ms), re-checked against each caller's `at`. */
  readonly latest: number;
}

/**
 * Successful verifications keyed by SHA-256 over the bundle bytes, the artifact digest, the
 * trusted-root digest, the key and the identity constraints, so a hit is only ever the same
 * question asked again. Failures are not cached. Also keeps parsed trusted roots by digest.
 * Pass one instance explicitly (no module-level singleton).
 */
export class SigstoreVerificationCache {
  readonly maxEntries: number;
  readonly #results = new Map<string, CacheEntry>();
  readonly #roots = new Map<string, ParsedTrustedRoot>();

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 1024;
  }

  get size(): number {
    return this.#results.size;
  }

  clear(): void {
    this.#results.clear();
    this.#roots.clear();
  }

  /** @internal */
  getResult(key: string): CacheEntry | undefined {
    const hit = this.#results.get(key);
    if (hit) {
      this.#results.delete(key);
      this.#results.set(key, hit);
    }
    return hit;
  }

  /** @internal */
  setResult(key: string, entry: CacheEntry): void {
    this.#results.set(key, entry);
    evict(this.#results, this.maxEntries);
  }

  /** @internal */
  getRoot(digest: string): ParsedTrustedRoot | undefined {
    return this.#roots.get(digest);
  }

  /** @internal */
  setRoot(digest: string, root: ParsedTrustedRoot): void {
    this.#roots.set(digest, root);
    evict(this.#roots, 16);
  }
}

function evict(map: Map<string, unknown>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}

// ---------------------------------------------------------------------------------------------
// Verification

type Mode =
  | { readonly kind: "key"; readonly pem: string }
  | { readonly kind: "keyless"; readonly identity: SigstoreIdentity };

/**
 * Verifies a Sigstore bundle offline and returns what was verified, or throws.
 *
 * Keyless bundles (a Fulcio certificate) need `trustedRoot` and `identity` (issuer plus subject or
 * subjectRegExp); the certificate MUST chain to a CA of the trusted root valid at a verified
 * timestamp, carry a valid SCT, and the signature MUST be in a trusted transparency log. Key-based
 * bundles need `key`; a bundle carrying a certificate is never accepted as key-based, and a bundle
 * carrying only a key hint never satisfies an identity. Key-based bundles without transparency-log
 * entries verify with the key alone.
 *
 * @throws BulwarkError `VERIFICATION_FAILED` with the reason; `INPUT_INVALID` for malformed
 * bundle or trusted-root JSON, bad base64, an unsupported media type or inconsistent options.
 */
export function verifySigstoreBundle(options: VerifySigstoreBundleOptions): SigstoreVerification {
  const at = options.at ?? new Date();
  const mode = verificationMode(options);
  const bundleBytes = inputBytes(options.bundle, "bundle");
  const rootBytes =
    options.trustedRoot === undefined ? undefined : inputBytes(options.trustedRoot, "trusted root");

  const cache = options.cache;
  const cacheKey = cache ? verificationCacheKey(bundleBytes, options.artifact, rootBytes, mode) : undefined;
  if (cache && cacheKey) {
    const hit = cache.getResult(cacheKey);
    if (hit) {
      checkNotFromTheFuture(hit.latest, at);
      return copyResult(hit.result);
    }
  }

  const bundle = parseBundle(bundleBytes);
  checkKeyMaterial(bundle, mode);
  const key = mode.kind === "key" ? parseVerificationKey(mode.pem) : undefined;
  const root = rootBytes === undefined ? undefined : trustedRootFor(rootBytes, cache);
  const entity = signedEntity(bundle, options.artifact);
  checkArtifactDigest(bundle, options.artifact);

  const signer = runVerifier(entity, trustMaterial(root, key, bundle), mode);
  const identity = mode.kind === "keyless" ? checkIdentityPolicy(entity, signer, mode.identity) : undefined;
  const verifiedTimestamps = timestampsOf(entity);
  const latest = Math.max(0, ...verifiedTimestamps.map((t) => t.time.getTime()));
  checkNotFromTheFuture(latest, at);

  const result = buildResult(bundle, entity, { ...identity, keyid: key?.keyid }, verifiedTimestamps);
  checkArtifactSubject(result, options.artifact);
  if (cache && cacheKey) cache.setResult(cacheKey, { result: copyResult(result), latest });
  return result;
}

function verificationMode(options: VerifySigstoreBundleOptions): Mode {
  const { key, identity } = options;
  if (key !== undefined) {
    if (identity !== undefined) {
      throw invalid(
        "a key-based verification cannot also require a certificate identity: pass either key or identity",
      );
    }
    return { kind: "key", pem: key };
  }
  if (identity === undefined || (identity.subject === undefined && identity.subjectRegExp === undefined)) {
    throw failed(
      "refusing to verify without a trust decision: a key-based bundle needs the key, a keyless bundle needs the expected certificate identity (subject or subjectRegExp) and issuer",
    );
  }
  if (identity.subject !== undefined && identity.subjectRegExp !== undefined) {
    throw invalid("identity.subject and identity.subjectRegExp are mutually exclusive");
  }
  if (identity.issuer === undefined || identity.issuer === "") {
    throw failed(
      "refusing to verify a keyless bundle without an OIDC issuer constraint: name the expected identity.issuer",
    );
  }
  if (identity.subjectRegExp !== undefined) anchoredRegExp(identity.subjectRegExp);
  if (options.trustedRoot === undefined) {
    throw invalid("keyless verification needs the Sigstore trusted root (trusted_root.json)");
  }
  return { kind: "keyless", identity };
}

function anchoredRegExp(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw invalid(`identity.subjectRegExp is not a valid regular expression: ${source}`, e);
  }
}

/** Bytes of a text, byte or object input; objects are serialised so we verify exactly what we hash. */
function inputBytes(value: string | Uint8Array | object, what: string): Uint8Array {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "object" || value === null)
    throw invalid(`the ${what} must be JSON text or an object`);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw invalid(`the ${what} object cannot be serialised as JSON`, e);
  }
  return Buffer.from(text ?? "", "utf8");
}

function verificationCacheKey(
  bundle: Uint8Array,
  artifact: Uint8Array | undefined,
  root: Uint8Array | undefined,
  mode: Mode,
): string {
  const h = createHash("sha256");
  const field = (value: string | Uint8Array) => {
    const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(bytes.length));
    h.update(len).update(bytes);
  };
  field("bulwark/sigstore-verify/v1");
  field(sha256(bundle));
  field(artifact === undefined ? "no-artifact" : sha256(artifact));
  field(root === undefined ? "no-trusted-root" : sha256(root));
  if (mode.kind === "key") {
    field("key");
    field(mode.pem);
  } else {
    const { subject, subjectRegExp, issuer } = mode.identity;
    field("keyless");
    field(JSON.stringify([subject ?? null, subjectRegExp ?? null, issuer ?? null]));
  }
  return h.digest("hex");
}

function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

// ---------------------------------------------------------------------------------------------
// Bundle parsing (strict) — then @sigstore/bundle's own per-version checks

function parseBundle(bytes: Uint8Array): Bundle {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw invalid(`the Sigstore bundle is not valid JSON: ${(e as Error).message}`, e);
  }
  checkBundleShape(json);
  dropUncheckableV01Proofs(json as Json);
  try {
    return sigstoreBundle().bundleFromJSON(json);
  } catch (e) {
    const fields = (e as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) && fields.length > 0 ? `: ${fields.join(", ")}` : "";
    throw invalid(`the Sigstore bundle is invalid for its media type${detail}`, e);
  }
}

type Json = Record<string, unknown>;

/**
 * v0.1 bundles rest on the signed entry timestamp; some writers added an inclusion proof without a
 * checkpoint, which nothing can verify (its root hash is unsigned). Such a proof is dropped and the
 * entry stands or falls by its SET, instead of failing inside the library. From v0.2 on a
 * checkpoint is required and its absence is an error.
 */
function dropUncheckableV01Proofs(bundle: Json): void {
  if (bundle["mediaType"] !== "application/vnd.dev.sigstore.bundle+json;version=0.1") return;
  const vm = bundle["verificationMaterial"] as Json;
  for (const entry of (vm["tlogEntries"] ?? []) as Json[]) {
    const proof = entry["inclusionProof"] as Json | undefined;
    if (proof && proof["checkpoint"] === undefined) delete entry["inclusionProof"];
  }
}

/** A path-aware reader that throws INPUT_INVALID for anything not in the bundle schema. */
class Shape {
  constructor(
    private readonly what: string,
    private readonly strictFields: boolean,
  ) {}

  fail(path: string, message: string): never {
    throw invalid(`${this.what}: ${path} ${message}`);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Json {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      this.fail(path, "must be an object");
    const obj = value as Json;
    if (this.strictFields) {
      for (const field of Object.keys(obj)) {
        if (!allowed.includes(field)) this.fail(`${path}.${field}`, "is not a field of this object");
      }
    }
    return obj;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, "must be an array");
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, "must be a string");
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  /** Protobuf-JSON bytes: standard or URL-safe base64, padding optional, nothing else. */
  base64(value: unknown, path: string, { nonEmpty = false } = {}): string {
    const s = this.string(value, path);
    if (!isBase64(s)) this.fail(path, "is not valid base64");
    if (nonEmpty && s.length === 0) this.fail(path, "must not be empty");
    return s;
  }

  /** Protobuf-JSON int64: a decimal string (or safe integer), here never negative. */
  uint64(value: unknown, path: string): bigint {
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value === "string" && /^(0|[1-9][0-9]{0,19})$/.test(value)) return BigInt(value);
    if ((typeof value === "string" && /^-/.test(value)) || (typeof value === "number" && value < 0)) {
      this.fail(path, `must not be negative (got ${String(value)})`);
    }
    return this.fail(path, "must be a non-negative integer");
  }

  oneOf(obj: Json, path: string, fields: readonly string[]): string {
    const present = fields.filter((f) => obj[f] !== undefined);
    if (present.length !== 1) this.fail(path, `must have exactly one of ${fields.join(", ")}`);
    return present[0]!;
  }
}

/** Line breaks are ignored, as Go's `encoding/base64` (protojson) and `openssl base64` output have them. */
function isBase64(text: string): boolean {
  const s = text.replace(/\r?\n/g, "");
  return s.length % 4 !== 1 && /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/.test(s);
}

const HASH_ALGORITHMS = [
  "HASH_ALGORITHM_UNSPECIFIED",
  "SHA2_256",
  "SHA2_384",
  "SHA2_512",
  "SHA3_256",
  "SHA3_384",
] as const;

function checkBundleShape(json: unknown): void {
  const s = new Shape("Sigstore bundle", true);
  const b = s.object(json, "$", ["mediaType", "verificationMaterial", "messageSignature", "dsseEnvelope"]);
  const mediaType = s.string(b["mediaType"], "mediaType");
  if (!Object.hasOwn(SIGSTORE_BUNDLE_MEDIA_TYPES, mediaType)) {
    throw invalid(
      `unsupported Sigstore bundle media type ${JSON.stringify(mediaType)} (accepted: ${Object.keys(SIGSTORE_BUNDLE_MEDIA_TYPES).join(", ")})`,
    );
  }
  const content = s.oneOf(b, "$", ["messageSignature", "dsseEnvelope"]);
  if (content === "messageSignature") {
    const m = s.object(b["messageSignature"], "messageSignature", ["messageDigest", "signature"]);
    const d = s.object(m["messageDigest"], "messageSignature.messageDigest", ["algorithm", "digest"]);
    const algorithm = s.string(d["algorithm"], "messageSignature.messageDigest.algorithm");
    if (!(HASH_ALGORITHMS as readonly string[]).includes(algorithm)) {
      s.fail("messageSignature.messageDigest.algorithm", `is not a known hash algorithm (${algorithm})`);
    }
    s.base64(d["digest"], "messageSignature.messageDigest.digest", { nonEmpty: true });
    s.base64(m["signature"], "messageSignature.signature", { nonEmpty: true });
  } else {
    const e = s.object(b["dsseEnvelope"], "dsseEnvelope", ["payload", "payloadType", "signatures"]);
    s.base64(e["payload"], "dsseEnvelope.payload", { nonEmpty: true });
    s.string(e["payloadType"], "dsseEnvelope.payloadType");
    const sigs = s.array(e["signatures"], "dsseEnvelope.signatures");
    if (sigs.length !== 1) s.fail("dsseEnvelope.signatures", "must hold exactly one signature");
    sigs.forEach((sig, i) => {
      const o = s.object(sig, `dsseEnvelope.signatures[${i}]`, ["sig", "keyid"]);
      s.base64(o["sig"], `dsseEnvelope.signatures[${i}].sig`, { nonEmpty: true });
      s.optionalString(o["keyid"], `dsseEnvelope.signatures[${i}].keyid`);
    });
  }

  const vm = s.object(b["verificationMaterial"], "verificationMaterial", [
    "publicKey",
    "x509CertificateChain",
    "certificate",
    "tlogEntries",
    "timestampVerificationData",
  ]);
  const material = s.oneOf(vm, "verificationMaterial", ["publicKey", "x509CertificateChain", "certificate"]);
  if (material === "publicKey") {
    const pk = s.object(vm["publicKey"], "verificationMaterial.publicKey", ["hint"]);
    s.optionalString(pk["hint"], "verificationMaterial.publicKey.hint");
  } else if (material === "certificate") {
    const c = s.object(vm["certificate"], "verificationMaterial.certificate", ["rawBytes"]);
    s.base64(c["rawBytes"], "verificationMaterial.certificate.rawBytes", { nonEmpty: true });
  } else {
    const path = "verificationMaterial.x509CertificateChain";
    const chain = s.object(vm["x509CertificateChain"], path, ["certificates"]);
    const certs = s.array(chain["certificates"], `${path}.certificates`);
    if (certs.length === 0) s.fail(`${path}.certificates`, "must not be empty");
    certs.forEach((cert, i) => {
      const c = s.object(cert, `${path}.certificates[${i}]`, ["rawBytes"]);
      s.base64(c["rawBytes"], `${path}.certificates[${i}].rawBytes`, { nonEmpty: true });
    });
  }

  const entries =
    vm["tlogEntries"] === undefined ? [] : s.array(vm["tlogEntries"], "verificationMaterial.tlogEntries");
  entries.forEach((entry, i) => checkTlogEntryShape(s, entry, `verificationMaterial.tlogEntries[${i}]`));

  if (vm["timestampVerificationData"] !== undefined) {
    const path = "verificationMaterial.timestampVerificationData";
    const t = s.object(vm["timestampVerificationData"], path, ["rfc3161Timestamps"]);
    const list =
      t["rfc3161Timestamps"] === undefined
        ? []
        : s.array(t["rfc3161Timestamps"], `${path}.rfc3161Timestamps`);
    list.forEach((ts, i) => {
      const o = s.object(ts, `${path}.rfc3161Timestamps[${i}]`, ["signedTimestamp"]);
      s.base64(o["signedTimestamp"], `${path}.rfc3161Timestamps[${i}].signedTimestamp`, { nonEmpty: true });
    });
  }
}

function checkTlogEntryShape(s: Shape, value: unknown, path: string): void {
  const e = s.object(value, path, [
    "logIndex",
    "logId",
    "kindVersion",
    "integratedTime",
    "inclusionPromise",
    "inclusionProof",
    "canonicalizedBody",
  ]);
  s.uint64(e["logIndex"], `${path}.logIndex`);
  const logId = s.object(e["logId"], `${path}.logId`, ["keyId"]);
  s.base64(logId["keyId"], `${path}.logId.keyId`, { nonEmpty: true });
  const kv = s.object(e["kindVersion"], `${path}.kindVersion`, ["kind", "version"]);
  s.string(kv["kind"], `${path}.kindVersion.kind`);
  s.string(kv["version"], `${path}.kindVersion.version`);
  if (e["integratedTime"] !== undefined) s.uint64(e["integratedTime"], `${path}.integratedTime`);
  if (e["inclusionPromise"] !== undefined) {
    const p = s.object(e["inclusionPromise"], `${path}.inclusionPromise`, ["signedEntryTimestamp"]);
    s.base64(p["signedEntryTimestamp"], `${path}.inclusionPromise.signedEntryTimestamp`, { nonEmpty: true });
  }
  if (e["inclusionProof"] !== undefined) {
    const p = s.object(e["inclusionProof"], `${path}.inclusionProof`, [
      "logIndex",
      "rootHash",
      "treeSize",
      "hashes",
      "checkpoint",
    ]);
    s.uint64(p["logIndex"], `${path}.inclusionProof.logIndex`);
    s.base64(p["rootHash"], `${path}.inclusionProof.rootHash`, { nonEmpty: true });
    s.uint64(p["treeSize"], `${path}.inclusionProof.treeSize`);
    const hashes = p["hashes"] === undefined ? [] : s.array(p["hashes"], `${path}.inclusionProof.hashes`);
    hashes.forEach((h, i) => s.base64(h, `${path}.inclusionProof.hashes[${i}]`, { nonEmpty: true }));
    if (p["checkpoint"] !== undefined) {
      const c = s.object(p["checkpoint"], `${path}.inclusionProof.checkpoint`, ["envelope"]);
      s.string(c["envelope"], `${path}.inclusionProof.checkpoint.envelope`);
    }
  }
  s.base64(e["canonicalizedBody"], `${path}.canonicalizedBody`, { nonEmpty: true });
}

// ---------------------------------------------------------------------------------------------
// Trusted root (strict) → the library's TrustMaterial

type CertAuthority = TrustMaterial["certificateAuthorities"][number];
type TLogAuthority = TrustMaterial["tlogs"][number];

interface ParsedTrustedRoot {
  readonly certificateAuthorities: readonly CertAuthority[];
  readonly timestampAuthorities: readonly CertAuthority[];
  readonly tlogs: readonly TLogAuthority[];
  readonly ctlogs: readonly TLogAuthority[];
}

const END_OF_TIME = new Date(8_640_000_000_000_000);

function trustedRootFor(bytes: Uint8Array, cache: SigstoreVerificationCache | undefined): ParsedTrustedRoot {
  const digest = cache ? sha256(bytes).toString("hex") : undefined;
  const cached = digest === undefined ? undefined : cache?.getRoot(digest);
  if (cached) return cached;
  const root = parseTrustedRoot(bytes);
  if (digest !== undefined) cache?.setRoot(digest, root);
  return root;
}

/**
 * Parses a `trusted_root.json`. Every log key and authority MUST state when its validity starts: a
 * missing start is an error, never "valid since forever". A missing end means "still valid".
 */
function parseTrustedRoot(bytes: Uint8Array): ParsedTrustedRoot {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw invalid(`the Sigstore trusted root is not valid JSON: ${(e as Error).message}`, e);
  }
  // Unknown fields are tolerated here: the root is the caller's trusted configuration, and newer
  // roots add descriptive fields (operator, …) that do not change what is trusted.
  const s = new Shape("Sigstore trusted root", false);
  const root = s.object(json, "$", []);
  const mediaType = s.string(root["mediaType"], "mediaType");
  if (!TRUSTED_ROOT_MEDIA_TYPES.has(mediaType))
    s.fail("mediaType", `is not a supported trusted root (${mediaType})`);
  const list = (field: string) => (root[field] === undefined ? [] : s.array(root[field], field));
  return {
    tlogs: list("tlogs").map((t, i) => parseLog(s, t, `tlogs[${i}]`)),
    ctlogs: list("ctlogs").map((t, i) => parseLog(s, t, `ctlogs[${i}]`)),
    certificateAuthorities: list("certificateAuthorities").map((c, i) =>
      parseAuthority(s, c, `certificateAuthorities[${i}]`),
    ),
    timestampAuthorities: list("timestampAuthorities").map((c, i) =>
      parseAuthority(s, c, `timestampAuthorities[${i}]`),
    ),
  };
}

function parseValidity(s: Shape, value: unknown, path: string): { start: Date; end: Date } {
  const v = s.object(value, path, []);
  const time = (field: string, fallback?: Date): Date => {
    const raw = v[field];
    if (raw === undefined || raw === null) {
      if (fallback) return fallback;
      return s.fail(`${path}.${field}`, "is required (a validity window must have a start)");
    }
    const text = s.string(raw, `${path}.${field}`);
    const date = new Date(text);
    if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(date.getTime())) {
      s.fail(`${path}.${field}`, `is not an RFC 3339 time (${text})`);
    }
    return date;
  };
  const start = time("start");
  const end = time("end", END_OF_TIME);
  if (end < start) s.fail(path, "ends before it starts");
  return { start, end };
}

function parseLog(s: Shape, value: unknown, path: string): TLogAuthority {
  const log = s.object(value, path, []);
  const baseURL = s.string(log["baseUrl"], `${path}.baseUrl`);
  const pk = s.object(log["publicKey"], `${path}.publicKey`, []);
  const raw = Buffer.from(
    s.base64(pk["rawBytes"], `${path}.publicKey.rawBytes`, { nonEmpty: true }),
    "base64",
  );
  const details = s.optionalString(pk["keyDetails"] ?? undefined, `${path}.publicKey.keyDetails`) ?? "";
  const validFor = parseValidity(s, pk["validFor"], `${path}.publicKey.validFor`);
  const idSource = log["checkpointKeyId"] ?? log["logId"];
  const id = s.object(idSource, `${path}.logId`, []);
  const logID = Buffer.from(s.base64(id["keyId"], `${path}.logId.keyId`, { nonEmpty: true }), "base64");
  let publicKey: KeyObject;
  try {
    publicKey = sigstoreCore().crypto.createPublicKey(raw, details.startsWith("PKCS1_") ? "pkcs1" : "spki");
  } catch (e) {
    throw invalid(`Sigstore trusted root: ${path}.publicKey.rawBytes is not a usable public key`, e);
  }
  return { baseURL, logID, publicKey, validFor };
}

function parseAuthority(s: Shape, value: unknown, path: string): CertAuthority {
  const ca = s.object(value, path, []);
  const chain = s.object(ca["certChain"], `${path}.certChain`, []);
  const certs = s.array(chain["certificates"], `${path}.certChain.certificates`);
  if (certs.length === 0) s.fail(`${path}.certChain.certificates`, "must not be empty");
  const certChain = certs.map((c, i) => {
    const p = `${path}.certChain.certificates[${i}]`;
    const der = s.base64(s.object(c, p, [])["rawBytes"], `${p}.rawBytes`, { nonEmpty: true });
    return parseCertificate(Buffer.from(der, "base64"), `Sigstore trusted root: ${p}`);
  });
  return { certChain, validFor: parseValidity(s, ca["validFor"], `${path}.validFor`) };
}

function parseCertificate(der: Uint8Array, what: string) {
  try {
    return sigstoreCore().X509Certificate.parse(Buffer.from(new Uint8Array(der)));
  } catch (e) {
    throw invalid(`${what} is not a DER X.509 certificate`, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

interface VerificationKey {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly key: KeyObject;
}

function parseVerificationKey(pem: string): VerificationKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw invalid("the verification key is not a PEM public key", e);
  }
  const algorithm = keyAlgorithm(key);
  if (!algorithm) {
    throw invalid(
      `unsupported verification key type ${key.asymmetricKeyType ?? "?"}${key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ""}: Bulwark verifies ECDSA P-256 and Ed25519 keys`,
    );
  }
  const keyid = sha256(key.export({ type: "spki", format: "der" })).toString("hex");
  return { keyid, algorithm, key };
}

function keyAlgorithm(key: KeyObject): KeyAlgorithm | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-p256";
  return undefined;
}

function trustMaterial(
  root: ParsedTrustedRoot | undefined,
  key: VerificationKey | undefined,
  bundle: Bundle,
): TrustMaterial {
  const { tlogEntries, timestampVerificationData } = bundle.verificationMaterial;
  const hasTimestamps = (timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0;
  if (!root && (tlogEntries.length > 0 || hasTimestamps)) {
    throw failed(
      "the bundle carries transparency-log entries or timestamps but no trusted root was supplied to check them",
    );
  }
  return {
    certificateAuthorities: [...(root?.certificateAuthorities ?? [])],
    timestampAuthorities: [...(root?.timestampAuthorities ?? [])],
    tlogs: [...(root?.tlogs ?? [])],
    ctlogs: [...(root?.ctlogs ?? [])],
    // A key-based bundle's hint only names a key; the caller's key is the one trusted, always.
    publicKey: () => {
      if (!key) throw failed("no verification key was supplied for a key-based bundle");
      return { publicKey: key.key, validFor: () => true };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Checks around the library's pipeline

/** Key-based and certificate material never stand in for each other. */
function checkKeyMaterial(bundle: Bundle, mode: Mode): void {
  const material = bundle.verificationMaterial.content;
  switch (material.$case) {
    case "publicKey": {
      if (mode.kind === "keyless") {
        throw failed(
          `the bundle carries only a public-key hint (${JSON.stringify(material.publicKey.hint)}), not a certificate: it cannot satisfy a certificate identity requirement; verify it with the key instead`,
        );
      }
      const content = bundle.content;
      if (content.$case === "dsseEnvelope") {
        const keyid = content.dsseEnvelope.signatures[0]?.keyid ?? "";
        if (keyid !== material.publicKey.hint) {
          throw failed(
            `the DSSE signature's keyid ${JSON.stringify(keyid)} differs from the bundle's key hint ${JSON.stringify(material.publicKey.hint)}`,
          );
        }
      }
      return;
    }
    case "certificate":
      if (mode.kind === "key") {
        throw failed("the bundle carries a signing certificate: refusing to verify it as a key-based bundle");
      }
      return;
    case "x509CertificateChain": {
      if (mode.kind === "key") {
        throw failed("the bundle carries a certificate chain: refusing to verify it as a key-based bundle");
      }
      // The trust anchor comes from the trusted root, never from the bundle.
      material.x509CertificateChain.certificates.forEach((c, i) => {
        const cert = parseCertificate(c.rawBytes, `bundle certificate ${i}`);
        if (cert.subject.equals(cert.issuer)) {
          throw failed(
            `the bundle's certificate chain contains a self-signed (root) certificate at position ${i}; roots come only from the trusted root`,
          );
        }
      });
      return;
    }
    default: {
      const unknown: never = material;
      throw invalid(`unknown verification material ${JSON.stringify(unknown)}`);
    }
  }
}

function signedEntity(bundle: Bundle, artifact: Uint8Array | undefined): SignedEntity {
  if (bundle.content.$case === "messageSignature" && artifact === undefined) {
    throw invalid("a message-signature bundle verifies only against its artifact: pass the artifact");
  }
  let entity: SignedEntity;
  try {
    entity = sigstoreVerify().toSignedEntity(bundle, artifact ? Buffer.from(artifact) : undefined);
  } catch (e) {
    throw invalid(
      `the Sigstore bundle's certificate or timestamp cannot be parsed: ${(e as Error).message}`,
      e,
    );
  }
  return dsseOverHashedRekord(bundle, entity);
}

/**
 * Rekor v2 logs a DSSE envelope as a `hashedrekord` 0.0.2 entry whose digest is SHA-256 of the
 * envelope's pre-authentication encoding (the bytes actually signed), where `@sigstore/verify` 3.1
 * compares it with SHA-256 of the bare payload. For DSSE bundles with such entries the digest is
 * compared with SHA-256(PAE) instead; the signature comparison and verification are unchanged.
 */
function dsseOverHashedRekord(bundle: Bundle, entity: SignedEntity): SignedEntity {
  if (bundle.content.$case !== "dsseEnvelope") return entity;
  if (!entity.tlogEntries.some((e) => e.kindVersion.kind === "hashedrekord")) return entity;
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  const { crypto, dsse } = sigstoreCore();
  const paeDigest = crypto.digest("sha256", dsse.preAuthEncoding(payloadType, payload));
  const inner = entity.signature;
  return {
    ...entity,
    signature: {
      signature: inner.signature,
      compareSignature: (signature) => inner.compareSignature(signature),
      compareDigest: (digest) => crypto.bufferEqual(digest, paeDigest),
      verifySignature: (key) => inner.verifySignature(key),
    },
  };
}

/** Node hash names by protobuf-specs `HashAlgorithm` value (UNSPECIFIED, SHA2_256, …, SHA3_384). */
const NODE_HASH = ["sha256", "sha256", "sha384", "sha512", "sha3-256", "sha3-384"] as const;

/** The bundle's message digest is only a hint, but a hint that contradicts the artifact is refused. */
function checkArtifactDigest(bundle: Bundle, artifact: Uint8Array | undefined): void {
  if (bundle.content.$case !== "messageSignature" || artifact === undefined) return;
  const { messageDigest } = bundle.content.messageSignature;
  const algorithm = NODE_HASH[messageDigest.algorithm];
  if (algorithm === undefined) throw invalid(`unknown message digest algorithm ${messageDigest.algorithm}`);
  const actual = createHash(algorithm).update(artifact).digest();
  if (!sigstoreCore().crypto.bufferEqual(actual, Buffer.from(messageDigest.digest))) {
    throw failed(`the artifact's ${algorithm} digest does not match the bundle's message digest`);
  }
}

function runVerifier(
  entity: SignedEntity,
  trust: TrustMaterial,
  mode: Mode,
): { identity?: { subjectAltName?: string; extensions?: { issuer?: string } } } {
  const { Verifier } = sigstoreVerify();
  const verifier =
    mode.kind === "keyless"
      ? new Verifier(trust, { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 })
      : new Verifier(trust, { ctlogThreshold: 0, tlogThreshold: 0, timestampThreshold: 0 });
  try {
    return verifier.verify(entity);
  } catch (e) {
    if (e instanceof BulwarkError) throw e;
    const code = (e as { code?: unknown }).code;
    const cause = (e as { cause?: unknown }).cause;
    const because = cause instanceof Error ? ` (${cause.message})` : "";
    const prefix = typeof code === "string" ? `${code}: ` : "";
    throw failed(`Sigstore bundle verification failed: ${prefix}${(e as Error).message}${because}`, e);
  }
}

function checkIdentityPolicy(
  entity: SignedEntity,
  signer: { identity?: { subjectAltName?: string; extensions?: { issuer?: string } } },
  policy: SigstoreIdentity,
): { identity: string; issuer: string } {
  if (entity.key.$case !== "certificate") {
    throw failed("the bundle has no certificate, so it cannot satisfy a certificate identity requirement");
  }
  const issuer = signer.identity?.extensions?.issuer;
  const sans = subjectAlternativeNames(entity.key.certificate);
  const matcher =
    policy.subjectRegExp === undefined
      ? (san: string) => san === policy.subject
      : (
          (re: RegExp) => (san: string) =>
            re.test(san)
        )(anchoredRegExp(policy.subjectRegExp));
  const identity = sans.find(matcher);
  const wanted = policy.subjectRegExp === undefined ? policy.subject : `/${policy.subjectRegExp}/`;
  if (identity === undefined) {
    throw failed(
      `certificate identity mismatch: expected ${JSON.stringify(wanted)}, the certificate names ${sans.length > 0 ? sans.map((x) => JSON.stringify(x)).join(", ") : "no identity"}`,
    );
  }
  if (issuer === undefined || issuer !== policy.issuer) {
    throw failed(
      `certificate OIDC issuer mismatch: expected ${JSON.stringify(policy.issuer)}, the certificate names ${issuer === undefined ? "no issuer" : JSON.stringify(issuer)}`,
    );
  }
  return { identity, issuer };
}

type CertificateOf<E> = E extends { $case: "certificate"; certificate: infer C } ? C : never;
type Certificate = CertificateOf<SignedEntity["key"]>;

function subjectAlternativeNames(cert: Certificate): string[] {
  const ext = cert.extSubjectAltName;
  if (!ext) return [];
  const names = [ext.uri, ext.rfc822Name, ext.otherName(FULCIO_USERNAME_OID)];
  return names.filter((n): n is string => n !== undefined && n !== "");
}

/** All timestamps the library verified: TSA tokens and inclusion-promised integrated times. */
function timestampsOf(entity: SignedEntity): SigstoreVerifiedTimestamp[] {
  const out: SigstoreVerifiedTimestamp[] = [];
  for (const ts of entity.timestamps) {
    switch (ts.$case) {
      case "timestamp-authority":
        out.push({ source: "timestamp-authority", time: ts.timestamp.signingTime });
        break;
      case "transparency-log":
        if (ts.tlogEntry.inclusionPromise) {
          out.push({
            source: "transparency-log",
            time: new Date(Number(ts.tlogEntry.integratedTime) * 1000),
          });
        }
        break;
      default: {
        const unknown: never = ts;
        throw failed(`unknown timestamp kind ${JSON.stringify(unknown)}`);
      }
    }
  }
  return out;
}

function checkNotFromTheFuture(latest: number, at: Date): void {
  if (latest > at.getTime() + CLOCK_SKEW_MS) {
    throw failed(
      `the bundle carries a verified timestamp (${new Date(latest).toISOString()}) later than the verification time ${at.toISOString()}`,
    );
  }
}

/** For DSSE bundles given an artifact: the artifact must be a subject of the in-toto statement. */
function checkArtifactSubject(result: SigstoreVerification, artifact: Uint8Array | undefined): void {
  if (result.kind !== "dsse" || artifact === undefined) return;
  if (result.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw failed(
      `an artifact was given, but the DSSE payload type ${JSON.stringify(result.payloadType)} is not an in-toto statement that could name it`,
    );
  }
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(result.payload ?? []).toString("utf8"));
  } catch (e) {
    throw failed("the DSSE payload is not a JSON in-toto statement", e);
  }
  const subjects = (statement as { subject?: unknown }).subject;
  if (!Array.isArray(subjects)) throw failed("the in-toto statement has no subject list");
  const digests: Record<string, string> = {};
  const digestOf = (alg: string) =>
    (digests[alg] ??= createHash(alg === "sha256" ? "sha256" : "sha512")
      .update(artifact)
      .digest("hex"));
  const matches = subjects.some((subject: unknown) => {
    const digest = (subject as { digest?: unknown } | null)?.digest;
    if (typeof digest !== "object" || digest === null) return false;
    return (["sha256", "sha512"] as const).some((alg) => {
      const want = (digest as Record<string, unknown>)[alg];
      return typeof want === "string" && want.toLowerCase() === digestOf(alg);
    });
  });
  if (!matches) throw failed("the artifact's digest matches no subject of the in-toto statement");
}

function buildResult(
  bundle: Bundle,
  entity: SignedEntity,
  signer: SigstoreSigner,
  verifiedTimestamps: readonly SigstoreVerifiedTimestamp[],
): SigstoreVerification {
  const tlogEntries = entity.tlogEntries.map((e) => {
    const integrated = e.integratedTime && e.integratedTime !== "0" ? Number(e.integratedTime) : undefined;
    return {
      logIndex: String(e.logIndex),
      logId: Buffer.from(e.logId.keyId).toString("hex"),
      kind: e.kindVersion.kind,
      version: e.kindVersion.version,
      ...(integrated === undefined ? {} : { integratedTime: new Date(integrated * 1000) }),
      inclusionProof: e.inclusionProof !== undefined,
      inclusionPromise: e.inclusionPromise !== undefined,
    } satisfies SigstoreTlogEntry;
  });
  const cleanSigner = Object.fromEntries(
    Object.entries(signer).filter(([, v]) => v !== undefined),
  ) as SigstoreSigner;
  const base = { mediaType: bundle.mediaType, signer: cleanSigner, tlogEntries, verifiedTimestamps };
  const content = bundle.content;
  switch (content.$case) {
    case "messageSignature":
      return { kind: "message-signature", ...base };
    case "dsseEnvelope":
      return {
        kind: "dsse",
        ...base,
        payload: new Uint8Array(content.dsseEnvelope.payload),
        payloadType: content.dsseEnvelope.payloadType,
      };
    default: {
      const unknown: never = content;
      throw invalid(`unknown bundle content ${JSON.stringify(unknown)}`);
    }
  }
}

/** A deep copy, so a cached result cannot be changed through a returned one. */
function copyResult(r: SigstoreVerification): SigstoreVerification {
  return {
    ...r,
    signer: { ...r.signer },
    ...(r.payload ? { payload: r.payload.slice() } : {}),
    tlogEntries: r.tlogEntries.map((e) => ({
      ...e,
      ...(e.integratedTime ? { integratedTime: new Date(e.integratedTime) } : {}),
    })),
    verifiedTimestamps: r.verifiedTimestamps.map((t) => ({ ...t, time: new Date(t.time) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Key-based bundle output

/** What a key-based bundle carries: a signature over an artifact digest, or a signed DSSE envelope. */
export type KeyBundleContent =
  | {
      readonly kind: "message-signature";
      /** The artifact digest (SHA-256) the signature covers. */
      readonly digest: Uint8Array;
      /** ECDSA P-256 / SHA-256 signature over the artifact (ASN.1 DER). */
      readonly signature: Uint8Array;
    }
  | {
      readonly kind: "dsse";
      readonly payloadType: string;
      readonly payload: Uint8Array;
      /** Signature over the DSSE pre-authentication encoding of payloadType and payload. */
      readonly signature: Uint8Array;
    };

export interface EncodeKeyBundleOptions {
  /** The signing key's Bulwark key id (lowercase hex SHA-256 of its SPKI DER): the bundle's key hint. */
  readonly keyid: string;
  readonly content: KeyBundleContent;
}

/** A Sigstore bundle v0.3 as JSON, as {@link encodeKeyBundle} writes it. */
export interface SigstoreKeyBundleJson {
  readonly mediaType: typeof SIGSTORE_BUNDLE_MEDIA_TYPE;
  readonly verificationMaterial: {
    readonly publicKey: { readonly hint: string };
    readonly tlogEntries: readonly never[];
  };
  readonly messageSignature?: {
    readonly messageDigest: { readonly algorithm: "SHA2_256"; readonly digest: string };
    readonly signature: string;
  };
  readonly dsseEnvelope?: {
    readonly payload: string;
    readonly payloadType: string;
    readonly signatures: readonly { readonly sig: string; readonly keyid: string }[];
  };
}

/**
 * Encodes a key-based signature as a Sigstore bundle v0.3 (`publicKey.hint` = the key id, no
 * transparency-log entries, no timestamps). Such a bundle proves only that the holder of the key
 * signed: it verifies with {@link verifySigstoreBundle} given that key, and never as keyless.
 */
export function encodeKeyBundle(options: EncodeKeyBundleOptions): SigstoreKeyBundleJson {
  const { keyid, content } = options;
  if (!/^[0-9a-f]{64}$/.test(keyid))
    throw invalid("keyid must be 64 lowercase hex digits (SHA-256 of the SPKI DER)");
  if (content.signature.length === 0) throw invalid("the signature is empty");
  const verificationMaterial = { publicKey: { hint: keyid }, tlogEntries: [] as const };
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  switch (content.kind) {
    case "message-signature":
      if (content.digest.length !== 32) throw invalid("the artifact digest must be a 32-byte SHA-256 digest");
      return {
        mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE,
        verificationMaterial,
        messageSignature: {
          messageDigest: { algorithm: "SHA2_256", digest: b64(content.digest) },
          signature: b64(content.signature),
        },
      };
    case "dsse":
      if (content.payloadType === "") throw invalid("the DSSE payloadType is empty");
      if (content.payload.length === 0) throw invalid("the DSSE payload is empty");
      return {
        mediaType: SIGSTORE_BUNDLE_MEDIA_TYPE,
        verificationMaterial,
        dsseEnvelope: {
          payload: b64(content.payload),
          payloadType: content.payloadType,
          signatures: [{ sig: b64(content.signature), keyid }],
        },
      };
    default: {
      const unknown: never = content;
      throw invalid(`unknown key bundle content ${JSON.stringify(unknown)}`);
    }
  }
}

/** What {@link signKeyBundle} signs. */
export type KeyBundleSubject =
  | { readonly kind: "message-signature"; readonly artifact: Uint8Array }
  | { readonly kind: "dsse"; readonly payloadType: string; readonly payload: Uint8Array };

/**
 * Signs with a {@link Signer} and encodes the key-based bundle. Message signatures need an ECDSA
 * P-256 signer (Sigstore's hashedrekord has no pure-Ed25519 form); DSSE works with either.
 */
export async function signKeyBundle(
  signer: Signer,
  subject: KeyBundleSubject,
): Promise<SigstoreKeyBundleJson> {
  const keyid = signer.publicKey.keyid;
  switch (subject.kind) {
    case "message-signature": {
      if (signer.publicKey.algorithm !== "ecdsa-p256") {
        throw invalid(
          `message-signature bundles need an ECDSA P-256 key (got ${signer.publicKey.algorithm}); sign a DSSE envelope instead`,
        );
      }
      const signature = await signer.sign(subject.artifact);
      return encodeKeyBundle({
        keyid,
        content: { kind: "message-signature", digest: sha256(subject.artifact), signature },
      });
    }
    case "dsse": {
      const pae = sigstoreCore().dsse.preAuthEncoding(subject.payloadType, Buffer.from(subject.payload));
      const signature = await signer.sign(pae);
      return encodeKeyBundle({
        keyid,
        content: { kind: "dsse", payloadType: subject.payloadType, payload: subject.payload, signature },
      });
    }
    default: {
      const unknown: never = subject;
      throw invalid(`unknown key bundle subject ${JSON.stringify(unknown)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

function failed(message: string, cause?: unknown): BulwarkError {
  return new BulwarkError("VERIFICATION_FAILED", message, cause === undefined ? {} : { cause });
}

function invalid(message: string, cause?: unknown): BulwarkError {
  return new BulwarkError("INPUT_INVALID", message, cause === undefined ? {} : { cause });
}
