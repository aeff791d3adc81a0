import { resolve } from "node:path";
import { FileSigner, KEY_PASSWORD_VAR, loadPublicKey, signKeyBundle } from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode } from "../../core/index.js";
import { BUNDLE_MEDIA_TYPE, type PolicySet, readPolicyBundle } from "../../policy/index.js";
import { readArg } from "../shared.js";
import { verifyWithKeys } from "./key-bundles.js";
import type { Runtime } from "../runtime.js";

/** Signs a policy bundle: a DSSE envelope (payload type = the bundle media type) in a Sigstore bundle. */
export async function signPolicyBundle(rt: Runtime, file: string, key: string): Promise<ExitCode> {
  const bytes = readArg(rt, file, "the policy bundle");
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

/** Verifies a signed policy bundle against trusted keys (not revoked or expired) and returns its policy set. */
export function verifySignedPolicyBundle(
  rt: Runtime,
  file: string,
  keys: readonly string[],
): { set: PolicySet; json: string; keyid: string } {
  const v = verifyWithKeys(rt, {
    path: file,
    bundle: readArg(rt, file, "the signed policy bundle"),
    keys: keys.map((k) => loadPublicKey(readArg(rt, k, "the public key").toString("utf8"))),
  });
  if (v.kind !== "dsse" || v.payloadType !== BUNDLE_MEDIA_TYPE || !v.payload)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${file} does not hold a policy bundle (payload type ${v.payloadType ?? "none"})`,
    );
  const json = Buffer.from(v.payload).toString("utf8");
  return { set: readPolicyBundle(json, file), json, keyid: v.signer.keyid! };
}
