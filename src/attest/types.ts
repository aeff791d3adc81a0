/**
 * Keys, signers and verifiers (ARCHITECTURE §4 plugin pattern): a `Signer` signs bytes with one
 * private key (file or environment now; KMS/PKCS#11 implement the same interface later), a
 * `KeyVerifier` checks a signature against trusted public keys and returns the key that verified it
 * or throws. Signatures: ECDSA P-256 with SHA-256 (ASN.1 DER, as DSSE/Sigstore use) and Ed25519.
 */

export type KeyAlgorithm = "ecdsa-p256" | "ed25519";

export interface PublicKeyInfo {
  /** Lowercase hex SHA-256 of the SubjectPublicKeyInfo DER: the key id everywhere in Bulwark. */
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly pem: string;
}

export interface Signer {
  readonly name: string;
  readonly version: number;
  readonly publicKey: PublicKeyInfo;
  /** Signs the bytes (the signer hashes as its algorithm requires). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface KeyVerifier {
  /**
   * Verifies `signature` over `data` with the trusted key `keyid` (or, when absent, each trusted
   * key in turn). Returns the key that verified; throws BulwarkError VERIFICATION_FAILED with the
   * reason (unknown key, revoked key, wrong algorithm, bad signature).
   */
  verify(data: Uint8Array, signature: Uint8Array, keyid?: string, at?: Date): PublicKeyInfo;
}
