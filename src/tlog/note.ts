/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 verifier keys, and the body of a
 * C2SP transparency-log checkpoint (https://c2sp.org/tlog-checkpoint). Pure: no I/O.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { BulwarkError } from "../core/index.js";
import { HASH_SIZE, hashEquals } from "./merkle.js";

/**
 * An Ed25519 note verifier key, parsed from `<name>+<hex keyhash>+<base64(type ‖ pubkey)>`: type
 * 0x01 signs notes (a log's checkpoints), type 0x04 makes C2SP tlog-cosignature/v1 cosignatures
 * (a witness's, over `cosignature/v1\ntime <t>\n` ‖ the checkpoint).
 */
export interface NoteVerifierKey {
  readonly kind: "ed25519" | "ed25519-cosignature";
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
const ALG_COSIGNATURE_V1 = 0x04;
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
  if (material[0] !== ALG_ED25519 && material[0] !== ALG_COSIGNATURE_V1)
    invalid("verifier key algorithm is not Ed25519 (0x01) or an Ed25519 cosignature/v1 key (0x04)");
  if (material.length !== 33) invalid("an Ed25519 verifier key has a 32-byte public key");
  const keyHash = Number.parseInt(hashHex, 16);
  if (computeKeyHash(name, material) !== keyHash)
    invalid("verifier key hash does not match its name and key");
  return {
    kind: material[0] === ALG_ED25519 ? "ed25519" : "ed25519-cosignature",
    name,
    keyHash,
    publicKey: material.subarray(1),
  };
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
    const ok =
      key.kind === "ed25519"
        ? ed25519Verify(key, message, sig.signature)
        : verifyCosignatureBytes(key, parsed.text, sig.signature);
    if (!ok) {
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

// ---------------------------------------------------------------------------------------------
// Signing: the log's note key and witnesses' cosignatures.

/** A note signer: the private half of an Ed25519 verifier key. */
export interface NoteSigner {
  readonly name: string;
  readonly keyHash: number;
  readonly kind: "ed25519" | "ed25519-cosignature";
  /** The matching verifier key in C2SP vkey form. */
  readonly verifierKey: string;
  sign(message: Uint8Array): Uint8Array;
}

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SIGNER_PREFIX = "PRIVATE+KEY+";

function publicKeyOf(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

function vkeyOf(name: string, alg: number, publicKey: Uint8Array): { vkey: string; keyHash: number } {
  const material = Buffer.concat([Buffer.of(alg), publicKey]);
  const keyHash = computeKeyHash(name, material);
  return { vkey: `${name}+${keyHash.toString(16).padStart(8, "0")}+${material.toString("base64")}`, keyHash };
}

/**
 * A new Ed25519 note key: `skey` in the Go note package's private-key form
 * (`PRIVATE+KEY+<name>+<hash>+<base64(type ‖ seed)>`) and its `vkey`. `cosigner` makes a witness
 * key for tlog-cosignature/v1 (type 0x04) instead of a note-signing key (0x01).
 */
export function generateNoteKey(
  name: string,
  options: { cosigner?: boolean } = {},
): { skey: string; vkey: string } {
  if (!isValidName(name)) invalid("a key name must be non-empty without '+' or white space");
  const alg = options.cosigner ? ALG_COSIGNATURE_V1 : ALG_ED25519;
  const { privateKey } = generateKeyPairSync("ed25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  const seed = pkcs8.subarray(pkcs8.length - 32);
  const { vkey, keyHash } = vkeyOf(name, alg, publicKeyOf(privateKey));
  const skey = `${SIGNER_PREFIX}${name}+${keyHash.toString(16).padStart(8, "0")}+${Buffer.concat([Buffer.of(alg), seed]).toString("base64")}`;
  return { skey, vkey };
}

/** Parses a private note key (see {@link generateNoteKey}); the key hash must match. */
export function parseSignerKey(skey: string): NoteSigner {
  const text = skey.trim();
  if (!text.startsWith(SIGNER_PREFIX)) invalid("a note signer key starts with PRIVATE+KEY+");
  const rest = text.slice(SIGNER_PREFIX.length);
  const first = rest.indexOf("+");
  const second = first < 0 ? -1 : rest.indexOf("+", first + 1);
  if (first < 0 || second < 0) invalid("a note signer key has the form PRIVATE+KEY+<name>+<hash>+<key>");
  const name = rest.slice(0, first);
  const hashHex = rest.slice(first + 1, second);
  if (!isValidName(name)) invalid("signer key name is empty or contains white space");
  if (!/^[0-9a-f]{8}$/.test(hashHex)) invalid("signer key hash is not 8 lowercase hex digits");
  const material = decodeBase64(rest.slice(second + 1), "signer key");
  const alg = material[0];
  if ((alg !== ALG_ED25519 && alg !== ALG_COSIGNATURE_V1) || material.length !== 33)
    invalid("signer key is not an Ed25519 seed");
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, material.subarray(1)]),
    format: "der",
    type: "pkcs8",
  });
  const { vkey, keyHash } = vkeyOf(name, alg, publicKeyOf(privateKey));
  if (keyHash !== Number.parseInt(hashHex, 16)) invalid("signer key hash does not match its name and key");
  return {
    name,
    keyHash,
    kind: alg === ALG_ED25519 ? "ed25519" : "ed25519-cosignature",
    verifierKey: vkey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

function signatureLine(signer: NoteSigner, signature: Uint8Array): string {
  const raw = Buffer.alloc(4 + signature.length);
  raw.writeUInt32BE(signer.keyHash, 0);
  raw.set(signature, 4);
  return `${SIG_PREFIX}${signer.name} ${raw.toString("base64")}\n`;
}

/** Signs `text` (which must end with a newline) as a note: the text, a blank line, one line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith("\n")) invalid("note text must end with a newline");
  if (/[\p{Cc}]/u.test(text.replaceAll("\n", ""))) invalid("note text contains control characters");
  const message = new TextEncoder().encode(text);
  const lines = signers.map((s) => {
    if (s.kind !== "ed25519") invalid(`${s.name} is a cosigner key; use cosignCheckpoint`);
    return signatureLine(s, s.sign(message));
  });
  return `${text}\n${lines.join("")}`;
}

function cosignedMessage(text: string, timestamp: bigint): Uint8Array {
  return new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n${text}`);
}

function verifyCosignatureBytes(key: NoteVerifierKey, text: string, raw: Uint8Array): boolean {
  if (raw.length !== 8 + 64) return false;
  const timestamp = new DataView(raw.buffer, raw.byteOffset).getBigUint64(0);
  if (timestamp >= 1n << 63n) return false;
  return ed25519Verify(key, cosignedMessage(text, timestamp), raw.subarray(8));
}

/**
 * A witness's tlog-cosignature/v1 signature line over a checkpoint note's text, at `time`
 * (seconds since the epoch). Append it to the note's signature block.
 */
export function cosignCheckpoint(text: string, signer: NoteSigner, time: number | bigint): string {
  if (signer.kind !== "ed25519-cosignature") invalid(`${signer.name} is not a cosigner key (type 0x04)`);
  const timestamp = BigInt(time);
  const raw = new Uint8Array(8 + 64);
  new DataView(raw.buffer).setBigUint64(0, timestamp);
  raw.set(signer.sign(cosignedMessage(text, timestamp)), 8);
  return signatureLine(signer, raw).slice(0, -1);
}

/** The timestamp of a cosignature/v1 signature (seconds since the epoch). */
export function cosignatureTime(signature: NoteSignature): bigint | undefined {
  if (signature.signature.length !== 72) return undefined;
  return new DataView(signature.signature.buffer, signature.signature.byteOffset).getBigUint64(0);
}
