import {
  defaultKeyStore,
  effectiveRevocations,
  type PublicKeyInfo,
  revokedSince,
  type SigstoreVerification,
  verifySigstoreBundle,
} from "../../attest/index.js";
import { BulwarkError } from "../../core/index.js";
import type { Runtime } from "../runtime.js";

/**
 * Verifies a key-based Sigstore bundle with the first of the trusted keys that verifies it, then
 * checks that key against the key store: not expired (with no trusted signing time the
 * verification time decides) and not revoked (key-based bundles carry no trusted signing time, so
 * any revocation rejects them). Every failure is VERIFICATION_FAILED naming the bundle.
 */
export function verifyWithKeys(
  rt: Runtime,
  options: {
    readonly path: string;
    readonly bundle: Uint8Array;
    readonly keys: readonly PublicKeyInfo[];
    readonly artifact?: Uint8Array;
    readonly trustedRoot?: string;
  },
): SigstoreVerification {
  const { path, bundle, artifact, trustedRoot } = options;
  const at = rt.clock.now();
  const failures: string[] = [];
  let verification: SigstoreVerification | undefined;
  for (const key of options.keys) {
    try {
      verification = verifySigstoreBundle({
        bundle,
        ...(artifact ? { artifact } : {}),
        key: key.pem,
        ...(trustedRoot ? { trustedRoot } : {}),
        at,
      });
      break;
    } catch (e) {
      if (!(e instanceof BulwarkError) || e.code !== "VERIFICATION_FAILED") throw e;
      failures.push(`key ${key.keyid}: ${e.message}`);
    }
  }
  if (!verification)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${path}: no trusted key verifies it (${failures.join("; ")})`,
    );
  const keyid = verification.signer.keyid;
  if (!keyid) return verification;
  const store = defaultKeyStore(rt.io.env, rt.io.cwd);
  const signedAt = verification.verifiedTimestamps.map((t) => t.time.getTime());
  const expires = store.expiry(keyid);
  if (expires && (signedAt.length ? Math.max(...signedAt) : at.getTime()) > expires.getTime())
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${path}: key ${keyid} expired ${expires.toISOString()}${signedAt.length ? " before the bundle was signed" : ""}`,
    );
  const r = effectiveRevocations(store.revocations()).get(keyid);
  if (r && (!signedAt.length || signedAt.some((t) => t >= revokedSince(r))))
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${path}: key ${r.keyid} is revoked since ${r.since} (${r.reason})${signedAt.length ? "" : "; the bundle has no trusted signing time"}`,
    );
  return verification;
}
