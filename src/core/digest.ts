import { createHash, timingSafeEqual } from "node:crypto";
import { canonicalize } from "./canonical-json.js";

/** A content digest in OCI form: `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${sha256Hex(data)}`;
}

/** Digest of a value's RFC 8785 canonical JSON form. */
export function canonicalDigest(value: unknown): Digest {
  return sha256Digest(canonicalize(value));
}

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Constant-time comparison of two digests or other secrets given as strings. */
export function digestEquals(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
