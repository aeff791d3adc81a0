/**
 * The sigstore-conformance `bundle-verify` suite (shared test vectors, never copied here): every
 * case must give its expected result, one test per case, named by the case id. Failures must be
 * BulwarkErrors with a verification or input code; for the cases that pass only because of a check
 * Bulwark adds around `@sigstore/verify` (or that would otherwise fail for an unrelated reason), the
 * reason is pinned too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { verifySigstoreBundle, type VerifySigstoreBundleOptions } from "../../src/attest/sigstore.js";
import { BulwarkError } from "../../src/core/index.js";
import { requireShared } from "../support/shared.js";

interface BundleCase {
  readonly type: "bundle-verify";
  readonly id: string;
  readonly bundle: string;
  readonly artifact: string | null;
  readonly trustedRoot: string;
  readonly key: string | null;
  readonly identity: string | null;
  readonly issuer: string | null;
  readonly expected: "pass" | "fail";
  readonly why?: string;
}

const shared = requireShared();
const vectors = shared ? join(shared, "test-vectors", "sigstore") : "";

function bundleCases(): BundleCase[] {
  if (!shared) return [];
  return readFileSync(join(vectors, "cases.jsonl"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { type: string })
    .filter((c): c is BundleCase => c.type === "bundle-verify");
}

/**
 * Cases whose rejection must come from a specific check: the checks Bulwark adds around
 * `@sigstore/verify`, and library checks where another failure could hide a regression.
 */
const EXPECTED_REASON: Record<string, { code: BulwarkError["code"]; reason: RegExp }> = {
  "bundle-malformed-json_fail": { code: "INPUT_INVALID", reason: /not valid JSON/ },
  "bundle-invalid-base64-signature_fail": { code: "INPUT_INVALID", reason: /signature is not valid base64/ },
  "bundle-negative-log-index_fail": { code: "INPUT_INVALID", reason: /logIndex must not be negative/ },
  "bundle-unknown-version_fail": { code: "INPUT_INVALID", reason: /unsupported Sigstore bundle media type/ },
  "bundle-empty-certificate-chain_fail": { code: "INPUT_INVALID", reason: /certificates must not be empty/ },
  "bundle-with-root-cert_fail": { code: "VERIFICATION_FAILED", reason: /self-signed \(root\) certificate/ },
  "trust-root-tlog-missing-validity-start_fail": {
    code: "INPUT_INVALID",
    reason: /validFor\.start is required/,
  },
  "managed-key-no-key_fail": { code: "VERIFICATION_FAILED", reason: /only a public-key hint/ },
  "message-digest-mismatch_fail": {
    code: "VERIFICATION_FAILED",
    reason: /does not match the bundle's message digest/,
  },
  "wrong-material_fail": {
    code: "VERIFICATION_FAILED",
    reason: /does not match the bundle's message digest/,
  },
  "rekor2-dsse-mismatch-envelope_fail": { code: "VERIFICATION_FAILED", reason: /TLOG_BODY_ERROR/ },
  "rekor2-no-timestamp_fail": { code: "VERIFICATION_FAILED", reason: /TIMESTAMP_ERROR/ },
  "rekor2-timestamp-with-incorrect-time_fail": { code: "VERIFICATION_FAILED", reason: /CERTIFICATE_ERROR/ },
  "integrated-time-in-future_fail": { code: "VERIFICATION_FAILED", reason: /CERTIFICATE_ERROR/ },
  "invalid-ct-key_fail": { code: "VERIFICATION_FAILED", reason: /SCT verification failed/ },
  "bundle-from-wrong-instance_fail": { code: "VERIFICATION_FAILED", reason: /certificate chain/ },
};

function optionsFor(c: BundleCase): VerifySigstoreBundleOptions {
  const read = (path: string) => readFileSync(join(vectors, path));
  return {
    bundle: read(c.bundle),
    ...(c.artifact ? { artifact: read(c.artifact) } : {}),
    trustedRoot: read(c.trustedRoot),
    ...(c.key
      ? { key: read(c.key).toString("utf8") }
      : { identity: { subject: c.identity ?? undefined, issuer: c.issuer ?? undefined } }),
  };
}

describe.skipIf(!shared)("sigstore-conformance bundle-verify", () => {
  const cases = bundleCases();

  it("has the 70 published cases, 49 of them negative", () => {
    expect(cases).toHaveLength(70);
    expect(cases.filter((c) => c.expected === "fail")).toHaveLength(49);
    expect(new Set(cases.map((c) => c.id)).size).toBe(70);
  });

  for (const c of cases) {
    it(c.id, () => {
      if (c.expected === "pass") {
        const result = verifySigstoreBundle(optionsFor(c));
        if (c.key) {
          expect(result.signer.keyid).toMatch(/^[0-9a-f]{64}$/);
        } else {
          expect(result.signer).toEqual({ identity: c.identity, issuer: c.issuer });
          expect(result.verifiedTimestamps.length).toBeGreaterThan(0);
          expect(result.tlogEntries.length).toBeGreaterThan(0);
        }
        return;
      }
      let error: unknown;
      try {
        verifySigstoreBundle(optionsFor(c));
      } catch (e) {
        error = e;
      }
      expect(error, `${c.id} must be rejected: ${c.why ?? ""}`).toBeInstanceOf(BulwarkError);
      const { code, message } = error as BulwarkError;
      expect(["VERIFICATION_FAILED", "INPUT_INVALID"]).toContain(code);
      const pinned = EXPECTED_REASON[c.id];
      if (pinned) {
        expect(code).toBe(pinned.code);
        expect(message).toMatch(pinned.reason);
      }
    });
  }
});
