import { canonicalize, type Digest } from "../core/index.js";
import type { PolicySet } from "./load/index.js";

export const BUNDLE_MEDIA_TYPE = "application/vnd.bulwark.policy-bundle.v1+json";

/** A policy set as one canonical JSON document; its `digest` equals the set's policySetDigest. */
export interface PolicyBundle {
  readonly mediaType: typeof BUNDLE_MEDIA_TYPE;
  readonly digest: Digest;
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly content: string }[];
}

/** Builds the canonical bundle (RFC 8785 JSON, files sorted by path). Signing comes with attestations. */
export function buildPolicyBundle(set: PolicySet): { bundle: PolicyBundle; json: string } {
  const files = [...set.files]
    .map((f) => ({ path: f.path, sha256: f.sha256, content: f.content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bundle: PolicyBundle = { mediaType: BUNDLE_MEDIA_TYPE, digest: set.digest, files };
  return { bundle, json: canonicalize(bundle) };
}
