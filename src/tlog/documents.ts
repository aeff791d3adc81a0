/**
 * What `bulwark log append` logs for a file: a typed entry as given (validated, canonicalised), or
 * the typed entry describing a signed document — a Sigstore bundle or DSSE envelope becomes an
 * `attestation` entry (envelope digest, predicate type, subjects, key hint), a message-signature
 * bundle a `signature` entry. The document itself belongs in the blob store, named by its digest.
 */
import { BulwarkError, sha256Digest } from "../core/index.js";
import { decodeEnvelope, decodeStatement, envelopePayload } from "../formats/index.js";
import { encodeEntry, ENTRY_API_VERSION, type LogEntryBody, makeEntry, validateEntry } from "./entries.js";

export interface DocumentEntry {
  readonly entry: LogEntryBody;
  /** The entry's log bytes (canonical JSON). */
  readonly bytes: Uint8Array;
  /** The document the entry describes by digest, to keep in the blob store (absent for plain entries). */
  readonly document?: Uint8Array;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(file: string, message: string): never {
  throw new BulwarkError("INPUT_INVALID", `${file}: ${message}`);
}

/** The entry for `data` (the file's bytes); `file` labels errors. Derived entries carry no time. */
export function entryForDocument(data: Uint8Array, file: string): DocumentEntry {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch (e) {
    invalid(
      file,
      `not a JSON document (${(e as Error).message}); log typed entries, Sigstore bundles or DSSE envelopes`,
    );
  }
  if (!isObject(json)) invalid(file, "not a JSON object");
  if (json.apiVersion === ENTRY_API_VERSION) {
    let entry: LogEntryBody;
    try {
      entry = validateEntry(json);
    } catch (e) {
      throw new BulwarkError("INPUT_INVALID", `${file}: ${(e as Error).message}`, { cause: e });
    }
    return { entry, bytes: encodeEntry(entry) };
  }
  const documentDigest = sha256Digest(data);
  const mediaType = typeof json.mediaType === "string" ? json.mediaType : undefined;
  if (mediaType?.startsWith("application/vnd.dev.sigstore.bundle")) {
    const vm = isObject(json.verificationMaterial) ? json.verificationMaterial : {};
    const hint =
      isObject(vm.publicKey) && typeof vm.publicKey.hint === "string" ? vm.publicKey.hint : undefined;
    const identity =
      vm.certificate !== undefined || vm.x509CertificateChain !== undefined ? "certificate" : undefined;
    if (isObject(json.dsseEnvelope))
      return attestation(json.dsseEnvelope, data, documentDigest, file, hint, identity);
    const ms = json.messageSignature;
    if (isObject(ms) && isObject(ms.messageDigest) && typeof ms.messageDigest.digest === "string") {
      if (ms.messageDigest.algorithm !== "SHA2_256")
        invalid(file, "only SHA2_256 message digests can be logged");
      const hex = Buffer.from(ms.messageDigest.digest, "base64").toString("hex");
      const entry = makeEntry(
        "signature",
        {
          artifactDigest: `sha256:${hex}`,
          bundleDigest: documentDigest,
          ...(hint ? { keyid: hint } : {}),
          ...(identity ? { identity } : {}),
        },
        null,
      );
      return { entry, bytes: encodeEntry(entry), document: data };
    }
    invalid(file, "a Sigstore bundle with neither dsseEnvelope nor messageSignature");
  }
  if (typeof json.payloadType === "string" && Array.isArray(json.signatures))
    return attestation(json, data, documentDigest, file, undefined, undefined);
  invalid(
    file,
    `not a typed log entry (apiVersion ${ENTRY_API_VERSION}), a Sigstore bundle or a DSSE envelope`,
  );
}

function attestation(
  envelopeJson: Record<string, unknown>,
  document: Uint8Array,
  documentDigest: string,
  file: string,
  keyHint: string | undefined,
  identity: string | undefined,
): DocumentEntry {
  let statement;
  try {
    const envelope = decodeEnvelope(envelopeJson as never, file);
    statement = decodeStatement(envelopePayload(envelope), file, { predicates: "ignore" });
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${file}: ${(e as Error).message}`, { cause: e });
  }
  const subjects = statement.subject
    .filter((s) => typeof s.digest?.sha256 === "string")
    .map((s) => ({
      ...(s.name ? { name: s.name } : {}),
      digest: { sha256: s.digest!.sha256!.toLowerCase() },
    }));
  if (subjects.length === 0) invalid(file, "the statement has no subject with a sha256 digest");
  const keyids = Array.isArray(envelopeJson.signatures)
    ? envelopeJson.signatures
        .map((s) => (isObject(s) && typeof s.keyid === "string" ? s.keyid : ""))
        .filter(Boolean)
    : [];
  const keyid = keyHint ?? keyids[0];
  const entry = makeEntry(
    "attestation",
    {
      envelopeDigest: documentDigest,
      predicateType: statement.predicateType,
      subjects,
      ...(keyid ? { keyid } : {}),
      ...(identity ? { identity } : {}),
    },
    null,
  );
  return { entry, bytes: encodeEntry(entry), document };
}
