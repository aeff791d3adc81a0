/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 verifier keys, and the body of a
 * C2SP transparency-log checkpoint (https://c2sp.org/tlog-checkpoint). Pure: no I/O.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import { BulwarkError } from "../core/index.js";
import { HASH_SIZE, hashEquals } from "./merkle.js";

/** An Ed25519 note verifier key, parsed from `<name>+<hex keyhash>+<base64(0x01 ‖ pubkey)>`. */
export interface NoteVerifierKey {
  readonly kind: "ed25519";
  readonly name: string;
  /** First 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ pubkey), as a big-endian uint32. */
  readonly keyHash: number;
  readonly publicKey: Uint8Array;
}

/** One signature line of a note: `— <name> <base64(keyhash4 ‖ signature)>`. */
export interface NoteSignature {
  readonly name: string;
  readonly keyHash: number;
  readonly signature: Uint8Array;
}

export interface Note {
  /** The signed text, ending with a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A note whose signatures by the listed keys verified. */
export interface VerifiedNote extends Note {
  readonly verifiedBy: readonly NoteVerifierKey[];
}

/** A parsed checkpoint body. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: bigint;
  readonly rootHash: Uint8Array;
  /** Extension lines after the root hash, in order, without newlines. */
  readonly extensions: readonly string[];
}

const ALG_ED25519 = 0x01;
const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);
const SIG_PREFIX = "\u2014 ";
/** The reference implementation's bound; a note with more signature lines is rejected. */
const MAX_SIGNATURES = 100;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function invalid(message: string): never {
  throw new BulwarkError("INPUT_INVALID", message);
}

function decodeBase64(s: string, what: string): Uint8Array {
  if (!BASE64_RE.test(s)) invalid(`${what} is not standard padded base64`);
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** A key or signer name: non-empty, no `+`, no white space or control characters. */
function isValidName(name: string): boolean {
  return name !== "" && !/[+\s\p{Cc}]/u.test(name);
}

function computeKeyHash(name: string, keyMaterial: Uint8Array): number {
  const digest = createHash("sha256").update(name).update("\n").update(keyMaterial).digest();
  return digest.readUInt32BE(0);
}

/** Parses an Ed25519 verifier key and checks that its key hash matches its name and key. */
export function parseVerifierKey(vkey: string): NoteVerifierKey {
  // The name has no "+", the hash is hex; the base64 key may itself contain "+".
  const text = vkey.trim();
  const first = text.indexOf("+");
  const second = first < 0 ? -1 : text.indexOf("+", first + 1);
  if (first < 0 || second < 0) invalid("a verifier key has the form <name>+<hash>+<key>");
  const name = text.slice(0, first);
  const hashHex = text.slice(first + 1, second);
  const keyB64 = text.slice(second + 1);
  if (!isValidName(name)) invalid("verifier key name is empty or contains white space");
  if (!/^[0-9a-f]{8}$/.test(hashHex)) invalid("verifier key hash is not 8 lowercase hex digits");
  const material = decodeBase64(keyB64, "verifier key");
  if (material[0] !== ALG_ED25519) invalid("verifier key algorithm is not Ed25519");
  if (material.length !== 33) invalid("an Ed25519 verifier key has a 32-byte public key");
  const keyHash = Number.parseInt(hashHex, 16);
  if (computeKeyHash(name, material) !== keyHash)
    invalid("verifier key hash does not match its name and key");
  return { kind: "ed25519", name, keyHash, publicKey: material.subarray(1) };
}

/**
 * Splits a signed note into its text and signature lines. Strict: the text must be free of control
 * characters other than newline, the note must end with a newline, and every line after the last
 * blank line must be a well-formed signature.
 */
export function parseNote(note: string): Note {
  if (/[\p{Cc}]/u.test(note.replaceAll("\n", ""))) invalid("note contains control characters");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) invalid("note has no signature block");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!block.endsWith("\n")) invalid("note does not end with a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) invalid("note has too many signatures");
  const signatures = lines.map((line) => {
    if (!line.startsWith(SIG_PREFIX)) invalid("malformed signature line");
    const fields = line.slice(SIG_PREFIX.length).split(" ");
    if (fields.length !== 2) invalid("malformed signature line");
    const [name, b64] = fields as [string, string];
    if (!isValidName(name)) invalid("malformed signer name");
    const raw = decodeBase64(b64, "signature");
    if (raw.length < 5) invalid("signature is too short");
    const keyHash = new DataView(raw.buffer, raw.byteOffset).getUint32(0);
    return { name, keyHash, signature: raw.subarray(4) };
  });
  return { text, signatures };
}

function ed25519Verify(key: NoteVerifierKey, message: Uint8Array, signature: Uint8Array): boolean {
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, key.publicKey]),
    format: "der",
    type: "spki",
  });
  return verify(null, message, publicKey, signature);
}

/**
 * Opens a signed note with the given verifier keys. Signatures by unknown keys are ignored; a
 * signature by a known key (same name and key hash) MUST verify, and at least one MUST be present,
 * otherwise this throws `VERIFICATION_FAILED`. Malformed notes throw `INPUT_INVALID`.
 */
export function verifyNote(note: string, keys: readonly NoteVerifierKey[]): VerifiedNote {
  const parsed = parseNote(note);
  const message = new TextEncoder().encode(parsed.text);
  const verifiedBy: NoteVerifierKey[] = [];
  for (const sig of parsed.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyHash === sig.keyHash);
    if (key === undefined) continue;
    if (!ed25519Verify(key, message, sig.signature)) {
      throw new BulwarkError("VERIFICATION_FAILED", `note signature by ${sig.name} does not verify`, {
        details: { reason: "bad-signature", signer: sig.name },
      });
    }
    if (!verifiedBy.includes(key)) verifiedBy.push(key);
  }
  if (verifiedBy.length === 0) {
    throw new BulwarkError("VERIFICATION_FAILED", "note has no signature by a known key", {
      details: { reason: "no-known-signature" },
    });
  }
  return { ...parsed, verifiedBy };
}

/**
 * Parses a checkpoint body (the text of a signed note): origin line, decimal tree size, base64
 * root hash, then optional non-empty extension lines. Throws `INPUT_INVALID` when malformed.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith("\n")) invalid("checkpoint does not end with a newline");
  const [origin, sizeLine, rootLine, ...extensions] = text.slice(0, -1).split("\n");
  if (origin === undefined || origin === "") invalid("checkpoint origin is empty");
  if (sizeLine === undefined || !/^(?:0|[1-9][0-9]*)$/.test(sizeLine))
    invalid("checkpoint size is not a decimal");
  const size = BigInt(sizeLine);
  if (size >= 1n << 64n) invalid("checkpoint size is not a uint64");
  if (rootLine === undefined) invalid("checkpoint has no root hash");
  const rootHash = decodeBase64(rootLine, "checkpoint root hash");
  if (rootHash.length !== HASH_SIZE) invalid(`checkpoint root hash is not ${HASH_SIZE} bytes`);
  if (extensions.some((line) => line === "")) invalid("checkpoint has an empty extension line");
  return { origin, size, rootHash, extensions };
}

/** Verifies a checkpoint note with the given keys and parses its body. */
export function verifyCheckpoint(
  note: string,
  keys: readonly NoteVerifierKey[],
): Checkpoint & { note: VerifiedNote } {
  const verified = verifyNote(note, keys);
  return { ...parseCheckpoint(verified.text), note: verified };
}

/** True when two checkpoints name the same origin, size and root. */
export function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return a.origin === b.origin && a.size === b.size && hashEquals(a.rootHash, b.rootHash);
}
