/**
 * Signers over local private keys (a PKCS#8 file, or PEM in an environment variable) and the
 * verifier over trusted public keys with their revocations.
 *
 * Signatures: ECDSA P-256 over SHA-256 as ASN.1 DER (what DSSE and Sigstore carry), Ed25519 as the
 * 64 raw bytes of RFC 8032 (Ed25519 hashes internally).
 */
import { type KeyObject, sign as cryptoSign, verify as cryptoVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { BulwarkError } from "../core/index.js";
import {
  effectiveRevocations,
  KEY_PASSWORD_VAR,
  type KeyStore,
  type LoadedPrivateKey,
  loadPrivateKey,
  parsePublicKey,
  type Revocation,
  revokedSince,
} from "./keys.js";
import type { KeyAlgorithm, KeyVerifier, PublicKeyInfo, Signer } from "./types.js";

/** The variable {@link EnvSigner.fromEnv} reads the private key from. */
export const SIGNING_KEY_VAR = "BULWARK_SIGNING_KEY";

/** The digest each algorithm signs with, as `crypto.sign` names it (`null`: the algorithm's own). */
function digestOf(algorithm: KeyAlgorithm): "sha256" | null {
  switch (algorithm) {
    case "ecdsa-p256":
      return "sha256";
    case "ed25519":
      return null;
    default: {
      const never: never = algorithm;
      throw new Error(`unknown key algorithm ${String(never)}`);
    }
  }
}

/** Signs with a private key held in memory as an opaque KeyObject (never printed or serialised). */
abstract class LocalKeySigner implements Signer {
  abstract readonly name: string;
  readonly version = 1;
  readonly publicKey: PublicKeyInfo;
  readonly #key: KeyObject;
  readonly #digest: "sha256" | null;

  protected constructor(loaded: LoadedPrivateKey) {
    this.publicKey = loaded.publicKey;
    this.#key = loaded.key;
    this.#digest = digestOf(loaded.algorithm);
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    const signature = cryptoSign(this.#digest, data, this.#key);
    return Promise.resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
  }
}

/** A signer over a PKCS#8 PEM file (e.g. `<keyid>.key.pem` from `bulwark keys generate`). */
export class FileSigner extends LocalKeySigner {
  readonly name = "file";
  readonly path: string;

  private constructor(loaded: LoadedPrivateKey, path: string) {
    super(loaded);
    this.path = path;
  }

  /**
   * Reads and decrypts the key. FILE_NOT_FOUND when the file cannot be read; the errors of
   * {@link loadPrivateKey} otherwise (USAGE for an encrypted key without a password).
   */
  static open(path: string, password?: string): FileSigner {
    let pem: Buffer;
    try {
      pem = readFileSync(path);
    } catch (e) {
      throw new BulwarkError("FILE_NOT_FOUND", `cannot read the private key ${path}`, { cause: e });
    }
    return new FileSigner(loadPrivateKey(pem, password, { file: path }), path);
  }
}

/**
 * A signer over a PEM private key in an environment variable (`BULWARK_SIGNING_KEY`), for CI
 * secrets; the password comes from `BULWARK_KEY_PASSWORD`. The value may also be the PEM in
 * base64, for secret stores that do not keep line breaks.
 */
export class EnvSigner extends LocalKeySigner {
  readonly name = "env";
  readonly variable: string;

  private constructor(loaded: LoadedPrivateKey, variable: string) {
    super(loaded);
    this.variable = variable;
  }

  /** USAGE when the variable is unset or empty; the errors of {@link loadPrivateKey} otherwise. */
  static fromEnv(
    env: NodeJS.ProcessEnv = process.env,
    options: { variable?: string; passwordVariable?: string } = {},
  ): EnvSigner {
    const variable = options.variable ?? SIGNING_KEY_VAR;
    const value = env[variable];
    if (value === undefined || value.trim() === "")
      throw new BulwarkError("USAGE", `${variable} is not set: put the PEM private key in it`);
    const pem = value.includes("-----BEGIN") ? value : Buffer.from(value.trim(), "base64").toString("utf8");
    const password = env[options.passwordVariable ?? KEY_PASSWORD_VAR];
    return new EnvSigner(loadPrivateKey(pem, password, { source: `$${variable}` }), variable);
  }
}

// ------------------------------------------------------------------------------------------------
// Verification

/** Why a signature did not verify: `details.reason` of the VERIFICATION_FAILED error. */
export type VerificationFailure =
  | "no-trusted-keys"
  | "unknown-key"
  | "revoked-key"
  | "expired-key"
  | "wrong-algorithm"
  | "bad-signature"
  | "invalid-time";

interface TrustedKey {
  readonly info: PublicKeyInfo;
  readonly key: KeyObject;
  readonly digest: "sha256" | null;
  readonly revocation: Revocation | undefined;
  /** Epoch ms of the effective revocation's `since`. */
  readonly revokedSince: number | undefined;
  /** Epoch ms after which the key is no longer valid. */
  readonly expires: number | undefined;
}

/**
 * A {@link KeyVerifier} over a fixed set of trusted public keys and a revocation list. Keys are
 * parsed once, so a verification costs a map lookup and `crypto.verify`.
 *
 * Revocation: a key revoked with `since` T rejects signatures dated at or after T; with no
 * signing time (`at`), a revoked key rejects every signature, since the time cannot be trusted.
 */
export class TrustedKeys implements KeyVerifier {
  readonly #keys = new Map<string, TrustedKey>();

  /**
   * `keys` are SPKI PEM texts or PublicKeyInfo; a PublicKeyInfo whose keyid or algorithm does not
   * match its PEM is rejected (INPUT_INVALID) rather than trusted under a wrong id.
   */
  constructor(
    keys: Iterable<PublicKeyInfo | string>,
    revocations: readonly Revocation[] = [],
    expiries: ReadonlyMap<string, Date> = new Map(),
  ) {
    const revoked = effectiveRevocations(revocations);
    for (const k of keys) {
      const { info, key } = parsePublicKey(typeof k === "string" ? k : k.pem);
      if (typeof k !== "string" && (k.keyid !== info.keyid || k.algorithm !== info.algorithm))
        throw new BulwarkError(
          "INPUT_INVALID",
          `trusted key ${k.keyid} (${k.algorithm}) does not match its PEM, which is ${info.keyid} (${info.algorithm})`,
        );
      const revocation = revoked.get(info.keyid);
      this.#keys.set(info.keyid, {
        info,
        key,
        digest: digestOf(info.algorithm),
        revocation,
        revokedSince: revocation ? revokedSince(revocation) : undefined,
        expires: expiries.get(info.keyid)?.getTime(),
      });
    }
  }

  /** Trusts the SPKI PEM files at `paths` (FILE_NOT_FOUND when one cannot be read). */
  static fromFiles(paths: readonly string[], revocations: readonly Revocation[] = []): TrustedKeys {
    const pems = paths.map((path) => {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (e) {
        throw new BulwarkError("FILE_NOT_FOUND", `cannot read the public key ${path}`, { cause: e });
      }
      return parsePublicKey(text, { file: path }).info;
    });
    return new TrustedKeys(pems, revocations);
  }

  /** Trusts every public key in the store, with the store's revocations. */
  static fromStore(store: KeyStore): TrustedKeys {
    const keys = store.list();
    return new TrustedKeys(
      keys.map((k) => k.publicKey),
      store.revocations(),
      new Map(keys.filter((k) => k.expires).map((k) => [k.keyid, k.expires!])),
    );
  }

  get size(): number {
    return this.#keys.size;
  }

  keys(): PublicKeyInfo[] {
    return [...this.#keys.values()].map((k) => k.info);
  }

  get(keyid: string): PublicKeyInfo | undefined {
    return this.#keys.get(keyid)?.info;
  }

  revocation(keyid: string): Revocation | undefined {
    return this.#keys.get(keyid)?.revocation;
  }

  verify(data: Uint8Array, signature: Uint8Array, keyid?: string, at?: Date): PublicKeyInfo {
    if (at !== undefined && Number.isNaN(at.getTime()))
      throw failed("invalid-time", "the signing time is not a valid date", keyid);
    if (keyid !== undefined) {
      const key = this.#keys.get(keyid);
      if (!key)
        throw failed(
          "unknown-key",
          `unknown key ${keyid}: it is not one of the ${this.#keys.size} trusted keys`,
          keyid,
        );
      checkNotRevoked(key, at);
      checkNotExpired(key, at);
      const shape = signatureShapeError(key.info.algorithm, signature);
      if (shape)
        throw failed(
          "wrong-algorithm",
          `wrong algorithm for ${key.info.algorithm} key ${keyid}: ${shape}`,
          keyid,
        );
      if (!verifyWith(key, data, signature))
        throw failed(
          "bad-signature",
          `bad signature: it does not verify with ${key.info.algorithm} key ${keyid} (the data or the signature was altered, or another key signed)`,
          keyid,
        );
      return key.info;
    }

    if (this.#keys.size === 0) throw failed("no-trusted-keys", "no trusted keys to verify with");
    for (const key of this.#keys.values()) {
      if (signatureShapeError(key.info.algorithm, signature) || !verifyWith(key, data, signature)) continue;
      checkNotRevoked(key, at);
      checkNotExpired(key, at);
      return key.info;
    }
    throw failed("bad-signature", `bad signature: none of the ${this.#keys.size} trusted keys verifies it`);
  }
}

/**
 * An expired key (not valid after its `expires`) rejects signatures dated after it; with no
 * signing time, the verification time decides: after expiry nothing it signed is accepted.
 */
function checkNotExpired(key: TrustedKey, at: Date | undefined): void {
  if (key.expires === undefined) return;
  const when = at?.getTime() ?? Date.now();
  if (when > key.expires)
    throw failed(
      "expired-key",
      `expired key ${key.info.keyid}: not valid after ${new Date(key.expires).toISOString()}${at ? " (signed later)" : ""}`,
      key.info.keyid,
    );
}

function verifyWith(key: TrustedKey, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify(key.digest, data, key.key, signature);
  } catch {
    // OpenSSL rejects some malformed signatures by throwing instead of returning false.
    return false;
  }
}

function checkNotRevoked(key: TrustedKey, at: Date | undefined): void {
  if (key.revokedSince === undefined) return;
  const r = key.revocation!;
  if (at === undefined)
    throw failed(
      "revoked-key",
      `key ${r.keyid} is revoked (since ${r.since}: ${r.reason}) and the signature has no trusted time`,
      r.keyid,
    );
  if (at.getTime() >= key.revokedSince)
    throw failed(
      "revoked-key",
      `key ${r.keyid} is revoked since ${r.since} (${r.reason}); the signature is dated ${at.toISOString()}`,
      r.keyid,
    );
}

/**
 * Why `signature` cannot be a signature of `algorithm`, or undefined when it can: Ed25519
 * signatures are exactly 64 bytes; ECDSA P-256 ones are an ASN.1 DER SEQUENCE of at most 72.
 */
function signatureShapeError(algorithm: KeyAlgorithm, signature: Uint8Array): string | undefined {
  switch (algorithm) {
    case "ed25519":
      return signature.length === 64
        ? undefined
        : `a ${signature.length}-byte signature is not an Ed25519 signature (64 bytes)`;
    case "ecdsa-p256":
      return signature.length >= 8 &&
        signature.length <= 72 &&
        signature[0] === 0x30 &&
        signature[1] === signature.length - 2
        ? undefined
        : `the ${signature.length}-byte signature is not an ASN.1 DER ECDSA signature (an Ed25519 or raw r‖s signature is 64 bytes)`;
    default: {
      const never: never = algorithm;
      throw new Error(`unknown key algorithm ${String(never)}`);
    }
  }
}

function failed(reason: VerificationFailure, message: string, keyid?: string): BulwarkError {
  return new BulwarkError("VERIFICATION_FAILED", message, {
    details: { reason, ...(keyid !== undefined ? { keyid } : {}) },
  });
}
