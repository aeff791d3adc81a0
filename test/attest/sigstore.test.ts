/**
 * Sigstore bundles beyond the conformance suite: identity policy, key/certificate separation,
 * artifact binding, time, the result cache, and key-based bundle output (round trip through our
 * verifier and validation against the official Bundle JSON schema).
 */
import { createHash, generateKeyPairSync, type KeyObject, sign as cryptoSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajvDraft04 from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import {
  encodeKeyBundle,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  signKeyBundle,
  SigstoreVerificationCache,
  verifySigstoreBundle,
  type VerifySigstoreBundleOptions,
} from "../../src/attest/sigstore.js";
import type { KeyAlgorithm, Signer } from "../../src/attest/types.js";
import { BulwarkError, type ErrorCode } from "../../src/core/index.js";
import { requireShared } from "../support/shared.js";

const Ajv04 = ajvDraft04.default;

const shared = requireShared();
const vectors = shared ? join(shared, "test-vectors", "sigstore") : "";
const read = (path: string) => readFileSync(join(vectors, path));

const IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

function fixtures() {
  return {
    artifact: read("conformance/a.txt"),
    root: read("trusted_root.production.json"),
    message: read("conformance/happy-path-v0.3-new-mediaType/bundle.sigstore.json"),
    messageV01: read("conformance/happy-path-v0.1/bundle.sigstore.json"),
    dsse: read("conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json"),
    rekor2: read("conformance/rekor2-happy-path/bundle.sigstore.json"),
    rekor2Root: read("conformance/rekor2-happy-path/trusted_root.json"),
    managedKeyBundle: read("conformance/managed-key-happy-path/bundle.sigstore.json"),
    managedKey: read("conformance/managed-key-happy-path/key.pub").toString("utf8"),
  };
}

function rejects(run: () => unknown, code: ErrorCode, reason?: RegExp): BulwarkError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(BulwarkError);
  const e = error as BulwarkError;
  expect(e.code, e.message).toBe(code);
  if (reason) expect(e.message).toMatch(reason);
  return e;
}

function testSigner(algorithm: KeyAlgorithm): Signer & { privateKey: KeyObject } {
  const pair =
    algorithm === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const der = pair.publicKey.export({ type: "spki", format: "der" });
  return {
    name: "test",
    version: 1,
    privateKey: pair.privateKey,
    publicKey: {
      keyid: createHash("sha256").update(der).digest("hex"),
      algorithm,
      pem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    },
    sign: async (data) =>
      new Uint8Array(cryptoSign(algorithm === "ed25519" ? null : "sha256", data, pair.privateKey)),
  };
}

/**
 * The official Bundle schema (protobuf-specs v0.5.0, draft-04) read as draft-04 says, plus one fix.
 * Two generator artefacts make it reject every real bundle, including the conformance happy paths:
 * (1) `additionalProperties: false` beside each `$ref` — draft-04 says siblings of `$ref` MUST be
 * ignored, Ajv applies them, so they are dropped here; (2) the `oneOf`/`required` lists use the
 * proto field names (`message_signature`) while the properties use the JSON names
 * (`messageSignature`) that proto3 JSON writes, so the `required` names are camel-cased.
 * Everything else (types, enums, `additionalProperties: false` on each message) stays.
 */
function bundleSchemaValidator(dir: string) {
  const raw: unknown = JSON.parse(
    readFileSync(join(dir, "schemas", "sigstore", "Bundle.schema.json"), "utf8"),
  );
  const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const fix = (node: unknown, root = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => fix(n));
    if (typeof node !== "object" || node === null) return node;
    const obj = node as Record<string, unknown>;
    // The document root keeps `definitions` beside its `$ref`: that is where the `$ref` points.
    if (!root && typeof obj["$ref"] === "string") return { $ref: obj["$ref"] };
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [
        k,
        k === "required" && Array.isArray(v) ? v.map((n) => camel(String(n))) : fix(v),
      ]),
    );
  };
  const ajv = new Ajv04({ allErrors: true, strict: false });
  ajv.addFormat("binary", true);
  return ajv.compile(fix(raw, true) as object);
}

describe.skipIf(!shared)("verifySigstoreBundle: keyless", () => {
  const f = fixtures();
  const keyless = (over: Partial<VerifySigstoreBundleOptions> = {}): VerifySigstoreBundleOptions => ({
    bundle: f.message,
    artifact: f.artifact,
    trustedRoot: f.root,
    identity: { subject: IDENTITY, issuer: ISSUER },
    ...over,
  });

  it("verifies a message-signature bundle and reports what was verified", () => {
    const r = verifySigstoreBundle(keyless());
    expect(r.kind).toBe("message-signature");
    expect(r.mediaType).toBe(SIGSTORE_BUNDLE_MEDIA_TYPE);
    expect(r.signer).toEqual({ identity: IDENTITY, issuer: ISSUER });
    expect(r.payload).toBeUndefined();
    expect(r.tlogEntries).toHaveLength(1);
    expect(r.tlogEntries[0]).toMatchObject({ kind: "hashedrekord", version: "0.0.1", inclusionProof: true });
    expect(r.tlogEntries[0]!.logIndex).toMatch(/^\d+$/);
    expect(r.tlogEntries[0]!.logId).toMatch(/^[0-9a-f]{64}$/);
    expect(r.verifiedTimestamps.length).toBeGreaterThan(0);
    expect(r.verifiedTimestamps[0]!.source).toBe("transparency-log");
  });

  it("accepts the bundle as text, bytes or object alike", () => {
    const text = f.message.toString("utf8");
    for (const bundle of [text, new Uint8Array(f.message), JSON.parse(text) as object]) {
      expect(verifySigstoreBundle(keyless({ bundle })).signer.identity).toBe(IDENTITY);
    }
    const root = JSON.parse(f.root.toString("utf8")) as object;
    expect(verifySigstoreBundle(keyless({ trustedRoot: root })).kind).toBe("message-signature");
  });

  it("verifies a DSSE bundle, returning its payload, and binds a given artifact to an in-toto subject", () => {
    const r = verifySigstoreBundle(keyless({ bundle: f.dsse, artifact: undefined }));
    expect(r.kind).toBe("dsse");
    expect(r.payloadType).toBe("application/vnd.in-toto+json");
    const statement = JSON.parse(Buffer.from(r.payload!).toString("utf8")) as { subject: { name: string }[] };
    expect(statement.subject[0]!.name).toBe("a.txt");
    expect(verifySigstoreBundle(keyless({ bundle: f.dsse })).kind).toBe("dsse");
    rejects(
      () => verifySigstoreBundle(keyless({ bundle: f.dsse, artifact: Buffer.from("not a.txt") })),
      "VERIFICATION_FAILED",
      /matches no subject of the in-toto statement/,
    );
  });

  it("verifies a Rekor v2 bundle, whose time comes from a TSA", () => {
    const r = verifySigstoreBundle(keyless({ bundle: f.rekor2, trustedRoot: f.rekor2Root }));
    expect(r.tlogEntries[0]).toMatchObject({
      kind: "hashedrekord",
      version: "0.0.2",
      inclusionPromise: false,
    });
    expect(r.tlogEntries[0]!.integratedTime).toBeUndefined();
    expect(r.verifiedTimestamps.map((t) => t.source)).toEqual(["timestamp-authority"]);
  });

  it("rejects a wrong identity with VERIFICATION_FAILED (exit 3)", () => {
    const e = rejects(
      () => verifySigstoreBundle(keyless({ identity: { subject: `${IDENTITY}x`, issuer: ISSUER } })),
      "VERIFICATION_FAILED",
      /certificate identity mismatch/,
    );
    expect(e.exitCode).toBe(3);
  });

  it("rejects a wrong issuer", () => {
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ identity: { subject: IDENTITY, issuer: "https://accounts.google.com" } }),
        ),
      "VERIFICATION_FAILED",
      /OIDC issuer mismatch/,
    );
  });

  it("matches a regexp identity against the whole SAN (anchored)", () => {
    const ok = verifySigstoreBundle(
      keyless({
        identity: {
          subjectRegExp: "https://github\\.com/sigstore-conformance/.*@refs/heads/main",
          issuer: ISSUER,
        },
      }),
    );
    expect(ok.signer.identity).toBe(IDENTITY);
    // A fragment matches only unanchored (cosign's behaviour); here it must not.
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ identity: { subjectRegExp: "sigstore-conformance", issuer: ISSUER } }),
        ),
      "VERIFICATION_FAILED",
      /identity mismatch/,
    );
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ identity: { subjectRegExp: "https://github\\.com/evil/.*", issuer: ISSUER } }),
        ),
      "VERIFICATION_FAILED",
    );
  });

  it("treats an exact identity literally, not as a pattern", () => {
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ identity: { subject: IDENTITY.replace("github.com", "github.com|.*"), issuer: ISSUER } }),
        ),
      "VERIFICATION_FAILED",
    );
    rejects(
      () => verifySigstoreBundle(keyless({ identity: { subject: ".*", issuer: ISSUER } })),
      "VERIFICATION_FAILED",
    );
  });

  it("rejects a tampered artifact", () => {
    const tampered = Buffer.from(f.artifact);
    tampered[0] = tampered[0]! ^ 1;
    rejects(() => verifySigstoreBundle(keyless({ artifact: tampered })), "VERIFICATION_FAILED");
    rejects(
      () => verifySigstoreBundle(keyless({ bundle: f.messageV01, artifact: tampered })),
      "VERIFICATION_FAILED",
    );
  });

  it("refuses a keyless bundle without identity or issuer constraints", () => {
    rejects(() => verifySigstoreBundle(keyless({ identity: undefined })), "VERIFICATION_FAILED", /identity/);
    rejects(() => verifySigstoreBundle(keyless({ identity: { issuer: ISSUER } })), "VERIFICATION_FAILED");
    rejects(
      () => verifySigstoreBundle(keyless({ identity: { subject: IDENTITY } })),
      "VERIFICATION_FAILED",
      /issuer/,
    );
  });

  it("rejects inconsistent options as INPUT_INVALID", () => {
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ identity: { subject: IDENTITY, subjectRegExp: ".*", issuer: ISSUER } }),
        ),
      "INPUT_INVALID",
    );
    rejects(
      () => verifySigstoreBundle(keyless({ identity: { subjectRegExp: "(", issuer: ISSUER } })),
      "INPUT_INVALID",
      /regular expression/,
    );
    rejects(
      () => verifySigstoreBundle(keyless({ key: f.managedKey })),
      "INPUT_INVALID",
      /either key or identity/,
    );
    rejects(() => verifySigstoreBundle(keyless({ trustedRoot: undefined })), "INPUT_INVALID", /trusted root/);
    rejects(
      () => verifySigstoreBundle(keyless({ artifact: undefined })),
      "INPUT_INVALID",
      /pass the artifact/,
    );
  });

  it("rejects malformed bundle and trusted-root JSON as INPUT_INVALID", () => {
    rejects(() => verifySigstoreBundle(keyless({ bundle: "{" })), "INPUT_INVALID", /not valid JSON/);
    rejects(
      () => verifySigstoreBundle(keyless({ trustedRoot: "[" })),
      "INPUT_INVALID",
      /trusted root is not valid JSON/,
    );
    const json = JSON.parse(f.message.toString("utf8")) as Record<string, unknown>;
    rejects(
      () => verifySigstoreBundle(keyless({ bundle: { ...json, extra: 1 } })),
      "INPUT_INVALID",
      /not a field/,
    );
    const both = { ...json, dsseEnvelope: JSON.parse(f.dsse.toString("utf8")).dsseEnvelope };
    rejects(() => verifySigstoreBundle(keyless({ bundle: both })), "INPUT_INVALID", /exactly one of/);
  });

  it("refuses a bundle whose verified time lies after the verification time", () => {
    rejects(
      () => verifySigstoreBundle(keyless({ at: new Date("2020-01-01T00:00:00Z") })),
      "VERIFICATION_FAILED",
      /later than the verification time/,
    );
  });

  it("refuses a certificate chain that carries its own root (checked even where the library would not)", () => {
    const bundle = JSON.parse(
      read("conformance/bundle-with-root-cert_fail/bundle.sigstore.json").toString("utf8"),
    );
    rejects(
      () =>
        verifySigstoreBundle(
          keyless({ bundle, artifact: read("conformance/bundle-with-root-cert_fail/artifact") }),
        ),
      "VERIFICATION_FAILED",
      /self-signed \(root\) certificate/,
    );
  });

  it("never verifies a keyless bundle as key-based", () => {
    rejects(
      () =>
        verifySigstoreBundle({
          bundle: f.message,
          artifact: f.artifact,
          trustedRoot: f.root,
          key: f.managedKey,
        }),
      "VERIFICATION_FAILED",
      /carries a signing certificate/,
    );
    rejects(
      () =>
        verifySigstoreBundle({
          bundle: f.messageV01,
          artifact: f.artifact,
          trustedRoot: f.root,
          key: f.managedKey,
        }),
      "VERIFICATION_FAILED",
      /certificate chain/,
    );
  });
});

describe.skipIf(!shared)("verifySigstoreBundle: key-based (public-key hint)", () => {
  const f = fixtures();

  it("a bundle carrying only a public-key hint cannot satisfy a certificate identity requirement", () => {
    rejects(
      () =>
        verifySigstoreBundle({
          bundle: f.managedKeyBundle,
          artifact: f.artifact,
          trustedRoot: f.root,
          identity: { subject: IDENTITY, issuer: ISSUER },
        }),
      "VERIFICATION_FAILED",
      /only a public-key hint .* cannot satisfy a certificate identity requirement/,
    );
  });

  it("a legacy (v0.1) key-hint bundle cannot satisfy a certificate identity requirement either", async () => {
    const signer = testSigner("ecdsa-p256");
    const artifact = Buffer.from("legacy");
    const bundle = {
      ...(await signKeyBundle(signer, { kind: "message-signature", artifact })),
      mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    };
    expect(verifySigstoreBundle({ bundle, artifact, key: signer.publicKey.pem }).mediaType).toBe(
      bundle.mediaType,
    );
    rejects(
      () =>
        verifySigstoreBundle({
          bundle,
          artifact,
          trustedRoot: f.root,
          identity: { subjectRegExp: ".*", issuer: ISSUER },
        }),
      "VERIFICATION_FAILED",
      /only a public-key hint/,
    );
  });

  it("verifies with the key and checks its transparency-log entry", () => {
    const r = verifySigstoreBundle({
      bundle: f.managedKeyBundle,
      artifact: f.artifact,
      trustedRoot: f.root,
      key: f.managedKey,
    });
    expect(r.signer.identity).toBeUndefined();
    expect(r.signer.keyid).toBe(
      Buffer.from("TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=", "base64").toString("hex"),
    );
    expect(r.tlogEntries).toHaveLength(1);
  });

  it("rejects another (valid) key", () => {
    rejects(
      () =>
        verifySigstoreBundle({
          bundle: f.managedKeyBundle,
          artifact: f.artifact,
          trustedRoot: f.root,
          key: testSigner("ecdsa-p256").publicKey.pem,
        }),
      "VERIFICATION_FAILED",
      /SIGNATURE_ERROR/,
    );
  });

  it("will not skip a transparency-log entry it cannot check", () => {
    rejects(
      () => verifySigstoreBundle({ bundle: f.managedKeyBundle, artifact: f.artifact, key: f.managedKey }),
      "VERIFICATION_FAILED",
      /no trusted root/,
    );
  });

  it("refuses keys outside the Signer contract (ECDSA P-256, Ed25519)", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    rejects(
      () =>
        verifySigstoreBundle({
          bundle: f.managedKeyBundle,
          artifact: f.artifact,
          trustedRoot: f.root,
          key: rsa.toString(),
        }),
      "INPUT_INVALID",
      /unsupported verification key type rsa/,
    );
    rejects(
      () => verifySigstoreBundle({ bundle: f.managedKeyBundle, artifact: f.artifact, key: "not a key" }),
      "INPUT_INVALID",
    );
  });
});

describe("encodeKeyBundle / signKeyBundle", () => {
  const artifact = Buffer.from("hello, bundle\n");
  const statement = Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "hello", digest: { sha256: createHash("sha256").update(artifact).digest("hex") } }],
      predicateType: "https://example.com/test/v1",
      predicate: {},
    }),
  );

  it("writes a v0.3 message-signature bundle that verifies with the key only", async () => {
    const signer = testSigner("ecdsa-p256");
    const bundle = await signKeyBundle(signer, { kind: "message-signature", artifact });
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(bundle.verificationMaterial).toEqual({
      publicKey: { hint: signer.publicKey.keyid },
      tlogEntries: [],
    });
    const r = verifySigstoreBundle({ bundle, artifact, key: signer.publicKey.pem });
    expect(r).toMatchObject({
      kind: "message-signature",
      signer: { keyid: signer.publicKey.keyid },
      tlogEntries: [],
    });
    expect(r.verifiedTimestamps).toEqual([]);

    rejects(
      () =>
        verifySigstoreBundle({
          bundle,
          artifact: Buffer.from("hello, bundle!\n"),
          key: signer.publicKey.pem,
        }),
      "VERIFICATION_FAILED",
    );
    rejects(
      () => verifySigstoreBundle({ bundle, artifact, key: testSigner("ecdsa-p256").publicKey.pem }),
      "VERIFICATION_FAILED",
      /signature verification failed/,
    );
    rejects(
      () =>
        verifySigstoreBundle({
          bundle,
          artifact,
          trustedRoot: "{}",
          identity: { subject: "x", issuer: "y" },
        }),
      "VERIFICATION_FAILED",
      /public-key hint/,
    );
  });

  for (const algorithm of ["ecdsa-p256", "ed25519"] as const) {
    it(`writes a v0.3 DSSE bundle (${algorithm}) that verifies with the key and returns the payload`, async () => {
      const signer = testSigner(algorithm);
      const payloadType = "application/vnd.in-toto+json";
      const bundle = await signKeyBundle(signer, { kind: "dsse", payloadType, payload: statement });
      expect(bundle.dsseEnvelope!.signatures).toEqual([
        { sig: expect.any(String), keyid: signer.publicKey.keyid },
      ]);
      const r = verifySigstoreBundle({ bundle: JSON.stringify(bundle), key: signer.publicKey.pem, artifact });
      expect(r.kind).toBe("dsse");
      expect(r.payloadType).toBe(payloadType);
      expect(Buffer.from(r.payload!).equals(statement)).toBe(true);
      expect(r.signer).toEqual({ keyid: signer.publicKey.keyid });

      const tampered = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope!, payloadType: "text/plain" } };
      rejects(
        () => verifySigstoreBundle({ bundle: tampered, key: signer.publicKey.pem }),
        "VERIFICATION_FAILED",
      );
      const otherHint = {
        ...bundle,
        verificationMaterial: { ...bundle.verificationMaterial, publicKey: { hint: "0".repeat(64) } },
      };
      rejects(
        () => verifySigstoreBundle({ bundle: otherHint, key: signer.publicKey.pem }),
        "VERIFICATION_FAILED",
        /differs from the bundle's key hint/,
      );
    });
  }

  it("encodes precomputed signatures and validates its input", () => {
    const signer = testSigner("ecdsa-p256");
    const digest = createHash("sha256").update(artifact).digest();
    const signature = cryptoSign("sha256", artifact, signer.privateKey);
    const bundle = encodeKeyBundle({
      keyid: signer.publicKey.keyid,
      content: { kind: "message-signature", digest, signature },
    });
    expect(bundle.messageSignature).toEqual({
      messageDigest: { algorithm: "SHA2_256", digest: digest.toString("base64") },
      signature: signature.toString("base64"),
    });
    expect(verifySigstoreBundle({ bundle, artifact, key: signer.publicKey.pem }).kind).toBe(
      "message-signature",
    );

    const content = { kind: "message-signature", digest, signature } as const;
    rejects(() => encodeKeyBundle({ keyid: "ABC", content }), "INPUT_INVALID", /keyid/);
    rejects(
      () =>
        encodeKeyBundle({
          keyid: signer.publicKey.keyid,
          content: { ...content, digest: digest.subarray(1) },
        }),
      "INPUT_INVALID",
    );
    rejects(
      () =>
        encodeKeyBundle({
          keyid: signer.publicKey.keyid,
          content: { ...content, signature: new Uint8Array() },
        }),
      "INPUT_INVALID",
    );
  });

  it("refuses an Ed25519 message signature (Sigstore has no pure-Ed25519 hashedrekord)", async () => {
    await expect(
      signKeyBundle(testSigner("ed25519"), { kind: "message-signature", artifact }),
    ).rejects.toMatchObject({
      code: "INPUT_INVALID",
    });
  });

  describe.skipIf(!shared)("against the official Bundle JSON schema", () => {
    const validate = shared ? bundleSchemaValidator(shared) : undefined;

    it("the (draft-04 corrected) schema accepts the conformance happy paths and rejects malformed bundles", () => {
      for (const id of [
        "happy-path-v0.3-new-mediaType",
        "happy-path-intoto-in-dsse-v3",
        "managed-key-happy-path",
      ]) {
        const b = JSON.parse(read(`conformance/${id}/bundle.sigstore.json`).toString("utf8")) as Record<
          string,
          unknown
        >;
        expect(validate!(b), `${id}: ${JSON.stringify(validate!.errors)}`).toBe(true);
        expect(validate!({ ...b, unknown: true })).toBe(false);
        expect(validate!({ ...b, messageSignature: {}, dsseEnvelope: {} })).toBe(false);
      }
    });

    it("our key-based bundles are valid", async () => {
      const p256 = testSigner("ecdsa-p256");
      const ed = testSigner("ed25519");
      const bundles = [
        await signKeyBundle(p256, { kind: "message-signature", artifact }),
        await signKeyBundle(p256, {
          kind: "dsse",
          payloadType: "application/vnd.in-toto+json",
          payload: statement,
        }),
        await signKeyBundle(ed, {
          kind: "dsse",
          payloadType: "application/vnd.in-toto+json",
          payload: statement,
        }),
      ];
      for (const b of bundles) {
        const json = JSON.parse(JSON.stringify(b)) as unknown;
        expect(validate!(json), JSON.stringify(validate!.errors)).toBe(true);
      }
    });
  });
});

describe.skipIf(!shared)("SigstoreVerificationCache", () => {
  const f = fixtures();
  const base = (cache: SigstoreVerificationCache): VerifySigstoreBundleOptions => ({
    bundle: f.message.toString("utf8"),
    artifact: f.artifact,
    trustedRoot: f.root.toString("utf8"),
    identity: { subject: IDENTITY, issuer: ISSUER },
    cache,
  });

  it("answers a repeated verification from the cache (timings printed, not asserted)", () => {
    const cases = [
      ["message v0.1", f.messageV01, f.root],
      ["message v0.3", f.message, f.root],
      ["dsse v0.3", f.dsse, f.root],
      ["rekor v2", f.rekor2, f.rekor2Root],
    ] as const;
    for (const [name, bundle, root] of cases) {
      const options = {
        bundle: bundle.toString("utf8"),
        trustedRoot: root.toString("utf8"),
        identity: { subject: IDENTITY, issuer: ISSUER },
      };
      const artifact = name.startsWith("dsse") ? {} : { artifact: f.artifact };
      const uncachedRuns = 20;
      let t = performance.now();
      for (let i = 0; i < uncachedRuns; i++) verifySigstoreBundle({ ...options, ...artifact });
      const uncached = (performance.now() - t) / uncachedRuns;

      const cache = new SigstoreVerificationCache();
      const first = verifySigstoreBundle({ ...options, ...artifact, cache });
      const cachedRuns = 2000;
      t = performance.now();
      for (let i = 0; i < cachedRuns; i++) verifySigstoreBundle({ ...options, ...artifact, cache });
      const cached = (performance.now() - t) / cachedRuns;
      expect(verifySigstoreBundle({ ...options, ...artifact, cache })).toEqual(first);
      console.log(
        `sigstore keyless verify (${name}): ${uncached.toFixed(2)} ms uncached, ${(cached * 1000).toFixed(1)} µs cached`,
      );
    }
  });

  it("never returns success for a different artifact, identity, issuer, trusted root or key", () => {
    const cache = new SigstoreVerificationCache();
    const ok = base(cache);
    verifySigstoreBundle(ok);
    expect(cache.size).toBe(1);
    const tampered = Buffer.from(f.artifact);
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    rejects(() => verifySigstoreBundle({ ...ok, artifact: tampered }), "VERIFICATION_FAILED");
    rejects(
      () => verifySigstoreBundle({ ...ok, identity: { subject: `${IDENTITY}x`, issuer: ISSUER } }),
      "VERIFICATION_FAILED",
    );
    rejects(
      () => verifySigstoreBundle({ ...ok, identity: { subjectRegExp: "https://evil/.*", issuer: ISSUER } }),
      "VERIFICATION_FAILED",
    );
    rejects(
      () => verifySigstoreBundle({ ...ok, identity: { subject: IDENTITY, issuer: `${ISSUER}/` } }),
      "VERIFICATION_FAILED",
    );
    rejects(() => verifySigstoreBundle({ ...ok, trustedRoot: f.rekor2Root }), "VERIFICATION_FAILED");
    rejects(
      () => verifySigstoreBundle({ ...ok, identity: undefined, key: f.managedKey }),
      "VERIFICATION_FAILED",
    );
    rejects(
      () => verifySigstoreBundle({ ...ok, at: new Date("2020-01-01T00:00:00Z") }),
      "VERIFICATION_FAILED",
    );
    // Same bundle with one byte of the SET changed: a different bundle digest, verified afresh.
    const json = JSON.parse(f.message.toString("utf8"));
    json.messageSignature.signature = Buffer.from(
      Buffer.from(json.messageSignature.signature, "base64").map((b: number, i: number) =>
        i === 10 ? b ^ 1 : b,
      ),
    ).toString("base64");
    rejects(() => verifySigstoreBundle({ ...ok, bundle: json }), "VERIFICATION_FAILED");
    expect(cache.size).toBe(1);
    expect(verifySigstoreBundle(ok).signer.identity).toBe(IDENTITY);
  });

  it("hands out copies, so a caller cannot alter a cached result", () => {
    const cache = new SigstoreVerificationCache();
    const options = { ...base(cache), bundle: f.dsse.toString("utf8"), artifact: undefined };
    const first = verifySigstoreBundle(options);
    first.payload!.fill(0);
    (first.signer as { identity?: string }).identity = "someone else";
    const second = verifySigstoreBundle(options);
    expect(second.signer.identity).toBe(IDENTITY);
    expect(Buffer.from(second.payload!).toString("utf8")).toContain("in-toto");
  });

  it("evicts the least recently used entries beyond maxEntries", () => {
    const cache = new SigstoreVerificationCache({ maxEntries: 1 });
    verifySigstoreBundle(base(cache));
    verifySigstoreBundle({ ...base(cache), bundle: f.messageV01.toString("utf8") });
    expect(cache.size).toBe(1);
  });
});
