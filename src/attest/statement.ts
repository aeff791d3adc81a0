/**
 * Verifying a DSSE envelope that carries an in-toto Statement: signatures first, then the payload
 * is parsed as a Statement (predicate checked when its type is known), then the caller's
 * expectations (predicate type, subject digest) are enforced. The result is the verified Statement,
 * or an exception.
 */
import { BulwarkError } from "../core/index.js";
import {
  decodeStatement,
  type Envelope,
  IN_TOTO_PAYLOAD_TYPE,
  normalizeSha256,
  type Statement,
  subjectMatches,
} from "../formats/index.js";
import { asBulwarkError, verifyEnvelope, type VerifyEnvelopeOptions } from "./dsse.js";
import type { KeyVerifier } from "./types.js";

export interface VerifyStatementOptions extends Omit<VerifyEnvelopeOptions, "payloadType"> {
  /** The artifact the statement must be about: `sha256:<hex>`, `<hex>` or `{ sha256 }`. */
  readonly expectedSubjectDigest?: string | { readonly sha256: string };
  /** The predicate type the statement must have. */
  readonly predicateType?: string;
}

/**
 * Verifies `envelope` (payloadType `application/vnd.in-toto+json`, `threshold` distinct keys) and
 * returns its in-toto Statement. VERIFICATION_FAILED when the signatures do not verify, the
 * payloadType or predicateType is not the expected one, or no subject has the expected sha256
 * ("subject digest mismatch"). INPUT_INVALID when the signed payload is not a valid Statement.
 * USAGE when `expectedSubjectDigest` is not a sha256 digest. Statements read as v0.1 are
 * accepted; `isLegacyStatement` tells them apart.
 */
export function verifyStatementEnvelope(
  envelope: Envelope,
  verifier: KeyVerifier,
  options: VerifyStatementOptions = {},
): Statement {
  const expected = expectedDigest(options.expectedSubjectDigest);
  const { payload } = verifyEnvelope(envelope, verifier, { ...options, payloadType: IN_TOTO_PAYLOAD_TYPE });
  const statement = asBulwarkError(
    () => decodeStatement(payload, options.file),
    options.file,
    "the signed in-toto statement: ",
  );
  const location = options.file === undefined ? {} : { location: { file: options.file } };
  if (options.predicateType !== undefined && statement.predicateType !== options.predicateType) {
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `predicateType mismatch: the statement is ${JSON.stringify(statement.predicateType)}, expected ${JSON.stringify(options.predicateType)}`,
      location,
    );
  }
  if (expected !== undefined && !subjectMatches(statement, expected)) {
    const have = statement.subject.map((s) =>
      s.digest.sha256 ? `sha256:${s.digest.sha256}` : "(no sha256)",
    );
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `subject digest mismatch: expected sha256:${expected}, the statement is about ${have.join(", ")}`,
      { ...location, details: { expected: `sha256:${expected}`, subjects: have } },
    );
  }
  return statement;
}

function expectedDigest(digest: VerifyStatementOptions["expectedSubjectDigest"]): string | undefined {
  if (digest === undefined) return undefined;
  try {
    return normalizeSha256(typeof digest === "string" ? digest : digest.sha256);
  } catch (e) {
    throw new BulwarkError("USAGE", `expectedSubjectDigest: ${(e as Error).message}`, { cause: e });
  }
}
