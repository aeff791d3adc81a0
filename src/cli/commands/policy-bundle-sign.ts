import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  defaultKeyStore,
  effectiveRevocations,
  FileSigner,
  KEY_PASSWORD_VAR,
  loadPublicKey,
  signKeyBundle,
  verifySigstoreBundle,
} from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import { BUNDLE_MEDIA_TYPE, type PolicySet, readPolicyBundle } from "../../policy/index.js";
import type { Runtime } from "../runtime.js";

function read(rt: Runtime, path: string, what: string): Buffer {
  try {
    return readFileSync(resolve(rt.io.cwd, path));
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `cannot read ${what} ${path}`, { cause: e });
  }
}

/** Signs a policy bundle: a DSSE envelope (payload type = the bundle media type) in a Sigstore bundle. */
export async function signPolicyBundle(rt: Runtime, file: string, key: string): Promise<ExitCode> {
  const bytes = read(rt, file, "the policy bundle");
  // Only a bundle that reads back exactly (hashes and digest) is signed.
  const set = readPolicyBundle(bytes.toString("utf8"), file);
  const signer = FileSigner.open(resolve(rt.io.cwd, key), rt.io.env[KEY_PASSWORD_VAR]);
  const signed = await signKeyBundle(signer, {
    kind: "dsse",
    payloadType: BUNDLE_MEDIA_TYPE,
    payload: bytes,
  });
  rt.emit(`${JSON.stringify(signed, null, 2)}\n`);
  rt.note(`signed policy bundle ${set.digest} with key ${signer.publicKey.keyid}`);
  return EXIT.ok;
}

/** Verifies a signed policy bundle against trusted keys (not revoked) and returns its policy set. */
export function verifySignedPolicyBundle(
  rt: Runtime,
  file: string,
  keys: readonly string[],
): { set: PolicySet; json: string; keyid: string } {
  const bundle = read(rt, file, "the signed policy bundle");
  const store = defaultKeyStore(rt.io.env, rt.io.cwd);
  const revoked = effectiveRevocations(store.revocations());
  const failures: string[] = [];
  for (const k of keys) {
    const pub = loadPublicKey(read(rt, k, "the public key").toString("utf8"));
    try {
      const v = verifySigstoreBundle({ bundle, key: pub.pem, at: rt.clock.now() });
      if (v.kind !== "dsse" || v.payloadType !== BUNDLE_MEDIA_TYPE || !v.payload)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${file} does not hold a policy bundle (payload type ${v.payloadType ?? "none"})`,
        );
      const r = revoked.get(pub.keyid);
      if (r)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${file}: key ${pub.keyid} is revoked since ${r.since} (${r.reason})`,
        );
      const json = Buffer.from(v.payload).toString("utf8");
      return { set: readPolicyBundle(json, file), json, keyid: pub.keyid };
    } catch (e) {
      if (!(e instanceof BulwarkError) || e.code !== "VERIFICATION_FAILED") throw e;
      failures.push(`key ${pub.keyid}: ${e.message}`);
    }
  }
  throw new BulwarkError(
    "VERIFICATION_FAILED",
    `${file}: no trusted key verifies the policy bundle (${failures.join("; ")})`,
  );
}
