/**
 * Signing and verifying DSSE envelopes with Bulwark's signers and key verifiers. The wire format
 * and the PAE live in `formats/dsse.ts`; this file decides what counts as verified.
 *
 * Verification rules (DSSE protocol, multi-signature section):
 * - each signature is checked over PAE(payloadType, payload), so changing either one breaks it;
 * - a signature's `keyid` is only a hint: when the hinted key does not verify it, every trusted
 *   key is tried, and the key that verified is the one recorded;
 * - a key counts once toward the threshold, however many signatures it made or however often its
 *   keyid is listed. Signatures that fail do not count, and never abort the others;
 * - fewer verified keys than the threshold, or a payloadType the caller did not expect, is
 *   VERIFICATION_FAILED. Any doubt fails closed.
 */
import { BulwarkError, type SourceLocation } from "../core/index.js";
import {
  buildEnvelope,
  DecodeError,
  DecodeLimitError,
  decodeEnvelope,
  type Envelope,
  type EnvelopeLimits,
  envelopePayload,
  type Json,
  pae,
  decodeBase64Strict,
} from "../formats/index.js";
import type { KeyVerifier, Signer } from "./types.js";

/**
 * Signs `payload` as `payloadType` with each signer, in order; each signature covers the PAE and
 * carries its signer's keyid. A signer given twice (same keyid) signs once. Throws USAGE when there
 * is no signer; errors from a signer propagate.
 */
export async function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly Signer[],
): Promise<Envelope> {
  if (signers.length === 0)
    throw new BulwarkError("USAGE", "signing a DSSE envelope needs at least one signer");
  const message = pae(payloadType, payload);
  const seen = new Set<string>();
  const signatures: { keyid: string; sig: Uint8Array }[] = [];
  for (const signer of signers) {
    const keyid = signer.publicKey.keyid;
    if (seen.has(keyid)) continue;
    seen.add(keyid);
    signatures.push({ keyid, sig: await signer.sign(message) });
  }
  return buildEnvelope(payloadType, payload, signatures);
}

/**
 * Decodes an envelope (text, UTF-8 bytes or parsed JSON) the way verification needs it: malformed
 * input is INPUT_INVALID and oversized input INPUT_TOO_LARGE, located at `file` and the JSON path.
 */
export function readEnvelope(
  input: string | Uint8Array | Json,
  file?: string,
  limits?: EnvelopeLimits,
): Envelope {
  return asBulwarkError(() => decodeEnvelope(input, file, limits), file);
}

export interface VerifyEnvelopeOptions {
  /** How many distinct trusted keys must have signed (default 1). */
  readonly threshold?: number;
  /** The time to check key validity at (default: the verifier's notion of now). */
  readonly at?: Date;
  /** The payloadType the caller supports; any other is VERIFICATION_FAILED. */
  readonly payloadType?: string;
  /** Labels errors. */
  readonly file?: string;
  readonly limits?: EnvelopeLimits;
}

export interface VerifiedEnvelope {
  readonly payloadType: string;
  /** The payload bytes, authenticated together with `payloadType`. */
  readonly payload: Uint8Array;
  /** Keyids of the distinct keys whose signatures verified, in envelope order. */
  readonly verifiedKeyids: readonly string[];
}

interface SignatureFailure {
  readonly index: number;
  readonly keyid?: string;
  readonly reason: string;
}

/**
 * Verifies an envelope against the trusted keys of `verifier` and returns the authenticated payload.
 * Throws VERIFICATION_FAILED when fewer than `threshold` distinct keys verified or the payloadType
 * is not the expected one, INPUT_INVALID / INPUT_TOO_LARGE for a malformed or oversized envelope,
 * and USAGE for a threshold that is not an integer ≥ 1.
 */
export function verifyEnvelope(
  envelope: Envelope,
  verifier: KeyVerifier,
  options: VerifyEnvelopeOptions = {},
): VerifiedEnvelope {
  const threshold = options.threshold ?? 1;
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new BulwarkError("USAGE", `the signature threshold must be an integer ≥ 1, got ${threshold}`);
  }
  // Re-check the shape: the envelope may not have come through decodeEnvelope.
  const checked = asBulwarkError(
    () => decodeEnvelope(envelope as unknown as Json, options.file, options.limits),
    options.file,
  );
  const location = options.file === undefined ? undefined : { file: options.file };
  if (checked.payloadType === "") {
    throw verificationFailed(
      "the DSSE envelope has an empty payloadType, which no verifier supports",
      location,
    );
  }
  if (options.payloadType !== undefined && checked.payloadType !== options.payloadType) {
    throw verificationFailed(
      `the DSSE payloadType is ${JSON.stringify(checked.payloadType)}, expected ${JSON.stringify(options.payloadType)}`,
      location,
    );
  }
  const payload = envelopePayload(checked);
  const message = pae(checked.payloadType, payload);
  const verified = new Set<string>();
  const failures: SignatureFailure[] = [];
  let firstCause: unknown;
  checked.signatures.forEach((signature, index) => {
    const sig = decodeBase64Strict(signature.sig)!;
    const hint = signature.keyid === undefined || signature.keyid === "" ? undefined : signature.keyid;
    try {
      verified.add(verifyOne(verifier, message, sig, hint, options.at));
    } catch (e) {
      firstCause ??= e;
      failures.push({
        index,
        ...(hint !== undefined ? { keyid: hint } : {}),
        reason: e instanceof Error ? e.message : String(e),
      });
    }
  });
  const verifiedKeyids = [...verified];
  if (verifiedKeyids.length < threshold) {
    const keys = verifiedKeyids.length === 0 ? "none" : verifiedKeyids.join(", ");
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `DSSE envelope: ${verifiedKeyids.length} of ${threshold} required signatures verified (keys: ${keys})`,
      {
        ...(location ? { location } : {}),
        cause: firstCause,
        details: { threshold, verifiedKeyids, failures },
      },
    );
  }
  return { payloadType: checked.payloadType, payload, verifiedKeyids };
}

/** One signature: the hinted key first, then (DSSE: the hint is not a security decision) any key. */
function verifyOne(
  verifier: KeyVerifier,
  message: Uint8Array,
  sig: Uint8Array,
  hint: string | undefined,
  at?: Date,
): string {
  if (hint !== undefined) {
    try {
      return verifier.verify(message, sig, hint, at).keyid;
    } catch {
      // Fall through: a foreign keyid format must not make a good signature fail.
    }
  }
  return verifier.verify(message, sig, undefined, at).keyid;
}

function verificationFailed(message: string, location: SourceLocation | undefined): BulwarkError {
  return new BulwarkError("VERIFICATION_FAILED", message, location ? { location } : {});
}

/**
 * Runs a decoder and turns its located errors into BulwarkErrors: DecodeError → INPUT_INVALID,
 * DecodeLimitError → INPUT_TOO_LARGE / INPUT_TOO_DEEP. `file` fills in the location when the
 * decoder had none. Anything else propagates.
 */
export function asBulwarkError<T>(decode: () => T, file?: string, prefix = ""): T {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof DecodeError) && !(e instanceof DecodeLimitError)) throw e;
    const { line, column, path } = e.location;
    const where = e.location.file ?? file;
    throw new BulwarkError(e.code, `${prefix}${e.message}`, {
      location: {
        ...(where !== undefined ? { file: where } : {}),
        ...(line !== undefined ? { line } : {}),
        ...(column !== undefined ? { column } : {}),
        ...(path !== undefined && path !== "" ? { path } : {}),
      },
      cause: e,
    });
  }
}
