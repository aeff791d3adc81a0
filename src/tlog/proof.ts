/**
 * C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline-verifiable proof that an entry is in
 * a log — its index, the RFC 6962 inclusion proof, and the log's signed checkpoint (with any
 * witness cosignatures). Pure: no I/O.
 */
import { BulwarkError } from "../core/index.js";
import { type Hash, HASH_SIZE, leafHash, verifyInclusion } from "./merkle.js";
import { type Checkpoint, type NoteVerifierKey, verifyCheckpoint, type VerifiedNote } from "./note.js";

export const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";

export interface TlogProof {
  readonly index: number;
  /** Sibling hashes from the leaf up to the root's child. */
  readonly proof: readonly Hash[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
  /** Opaque, unauthenticated extra data. */
  readonly extra?: Uint8Array;
}

function invalid(message: string): never {
  throw new BulwarkError("INPUT_INVALID", `tlog-proof: ${message}`);
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function formatTlogProof(p: TlogProof): string {
  const lines = [TLOG_PROOF_HEADER];
  if (p.extra !== undefined) lines.push(`extra ${Buffer.from(p.extra).toString("base64")}`);
  lines.push(`index ${p.index}`);
  for (const h of p.proof) lines.push(Buffer.from(h).toString("base64"));
  return `${lines.join("\n")}\n\n${p.checkpoint}`;
}

export function parseTlogProof(text: string): TlogProof {
  const split = text.indexOf("\n\n");
  if (split < 0) invalid("no blank line before the checkpoint");
  const head = text.slice(0, split).split("\n");
  const checkpoint = text.slice(split + 2);
  if (head[0] !== TLOG_PROOF_HEADER) invalid(`the first line must be ${TLOG_PROOF_HEADER}`);
  let at = 1;
  let extra: Uint8Array | undefined;
  if (head[at]?.startsWith("extra ")) {
    const b64 = head[at]!.slice(6);
    if (!B64.test(b64)) invalid("extra is not base64");
    extra = new Uint8Array(Buffer.from(b64, "base64"));
    at++;
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(head[at] ?? "");
  if (!m) invalid("missing or malformed index line");
  const index = Number(m[1]);
  if (!Number.isSafeInteger(index)) invalid("index is too large");
  const proof = head.slice(at + 1).map((line, i) => {
    if (!B64.test(line)) invalid(`proof line ${i + 1} is not base64`);
    const h = new Uint8Array(Buffer.from(line, "base64"));
    if (h.length !== HASH_SIZE) invalid(`proof line ${i + 1} is not a ${HASH_SIZE}-byte hash`);
    return h;
  });
  return { index, proof, checkpoint, ...(extra ? { extra } : {}) };
}

export interface VerifyProofOptions {
  /** The log's key(s): the checkpoint must carry a valid signature by one. */
  readonly logKeys: readonly NoteVerifierKey[];
  /** The expected origin (default: the log key's name). */
  readonly origin?: string;
  /** Witness cosigner keys and how many of them must have cosigned (default: all listed). */
  readonly witnesses?: readonly NoteVerifierKey[];
  readonly quorum?: number;
}

export interface VerifiedProof {
  readonly index: number;
  readonly checkpoint: Checkpoint & { note: VerifiedNote };
  readonly witnessedBy: readonly string[];
}

function fail(reason: string, message: string): never {
  throw new BulwarkError("VERIFICATION_FAILED", message, { details: { reason } });
}

/**
 * Verifies that `entry` (the logged bytes, or its leaf hash when `isLeafHash`) is at the proof's
 * index in the tree its checkpoint signs, with the log's signature and the witness quorum.
 */
export function verifyTlogProof(
  proof: TlogProof,
  entry: Uint8Array,
  options: VerifyProofOptions & { isLeafHash?: boolean },
): VerifiedProof {
  const logKeys = options.logKeys.filter((k) => k.kind === "ed25519");
  if (logKeys.length === 0)
    throw new BulwarkError("USAGE", "verifying a log proof needs the log's verifier key");
  const witnesses = options.witnesses ?? [];
  const checkpoint = verifyCheckpoint(proof.checkpoint, [...logKeys, ...witnesses]);
  if (!checkpoint.note.verifiedBy.some((k) => k.kind === "ed25519"))
    fail("no-log-signature", "the checkpoint is not signed by the log's key");
  const origin = options.origin ?? logKeys[0]!.name;
  if (checkpoint.origin !== origin)
    fail("origin-mismatch", `the checkpoint is for ${checkpoint.origin}, not ${origin}`);
  const witnessedBy = checkpoint.note.verifiedBy
    .filter((k) => k.kind === "ed25519-cosignature")
    .map((k) => k.name);
  const quorum = options.quorum ?? witnesses.length;
  if (witnessedBy.length < quorum)
    fail(
      "witness-quorum",
      `the checkpoint has ${witnessedBy.length} of the ${quorum} witness cosignatures required`,
    );
  const leaf = options.isLeafHash ? entry : leafHash(entry);
  try {
    verifyInclusion(leaf, proof.index, checkpoint.size, proof.proof, checkpoint.rootHash);
  } catch (e) {
    if (e instanceof BulwarkError && e.code === "VERIFICATION_FAILED") throw e;
    fail("inclusion", `the inclusion proof does not verify: ${(e as Error).message}`);
  }
  return { index: proof.index, checkpoint, witnessedBy };
}
