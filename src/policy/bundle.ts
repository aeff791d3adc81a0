import { BulwarkError, canonicalize, type Digest, sha256Hex } from "../core/index.js";
import { type PolicySet, policySetFromFiles } from "./load/index.js";

export const BUNDLE_MEDIA_TYPE = "application/vnd.bulwark.policy-bundle.v1+json";

/** A policy set as one canonical JSON document; its `digest` equals the set's policySetDigest. */
export interface PolicyBundle {
  readonly mediaType: typeof BUNDLE_MEDIA_TYPE;
  readonly digest: Digest;
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly content: string }[];
}

/** Builds the canonical bundle (RFC 8785 JSON, files sorted by path); `policy bundle sign` signs it. */
export function buildPolicyBundle(set: PolicySet): { bundle: PolicyBundle; json: string } {
  const files = [...set.files]
    .map((f) => ({ path: f.path, sha256: f.sha256, content: f.content }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bundle: PolicyBundle = { mediaType: BUNDLE_MEDIA_TYPE, digest: set.digest, files };
  return { bundle, json: canonicalize(bundle) };
}

/**
 * Reads a policy bundle back into a policy set, checking it is exactly what it claims: the media
 * type, every file's SHA-256 against its content, and the set digest recomputed from the files.
 * A mismatch is VERIFICATION_FAILED (a bundle edited after it was built or signed).
 */
export function readPolicyBundle(text: string, file: string): PolicySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${file} is not JSON: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
  const b = value as Partial<PolicyBundle> | null;
  if (
    !b ||
    typeof b !== "object" ||
    b.mediaType !== BUNDLE_MEDIA_TYPE ||
    !Array.isArray(b.files) ||
    typeof b.digest !== "string"
  )
    throw new BulwarkError(
      "INPUT_INVALID",
      `${file} is not a Bulwark policy bundle (mediaType ${BUNDLE_MEDIA_TYPE})`,
      {
        location: { file },
      },
    );
  const files = b.files.map((f, i) => {
    if (!f || typeof f.path !== "string" || typeof f.sha256 !== "string" || typeof f.content !== "string")
      throw new BulwarkError("INPUT_INVALID", `${file}: files[${i}] needs path, sha256 and content`, {
        location: { file, path: `files[${i}]` },
      });
    if (sha256Hex(f.content) !== f.sha256)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `${file}: ${f.path} does not match its sha256 (edited after bundling)`,
      );
    return { path: f.path, absolutePath: `${file}#${f.path}`, sha256: f.sha256, content: f.content };
  });
  const set = policySetFromFiles(files);
  if (set.digest !== b.digest)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${file}: the files give policy set ${set.digest}, the bundle claims ${b.digest}`,
    );
  return set;
}
