import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
} from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEnvelope, signEnvelope, verifyEnvelope } from "../../src/attest/dsse.js";
import { FileSigner, generateKeyPair, TrustedKeys } from "../../src/attest/index.js";
import { verifyStatementEnvelope } from "../../src/attest/statement.js";
import type { KeyAlgorithm, KeyVerifier, PublicKeyInfo, Signer } from "../../src/attest/types.js";
import { BulwarkError } from "../../src/core/index.js";
import {
  buildStatement,
  decodeBase64Strict,
  decodeEnvelope,
  DEFAULT_ENVELOPE_LIMITS,
  encodeBase64,
  encodeEnvelope,
  encodeStatement,
  type Envelope,
  IN_TOTO_PAYLOAD_TYPE,
  isLegacyStatement,
  pae,
  PREDICATE_TYPES,
  STATEMENT_TYPE_V01,
} from "../../src/formats/index.js";
import { requireShared } from "../support/shared.js";

// ---------------------------------------------------------------------------------------------
// Test-local keys: a Signer and a KeyVerifier over node:crypto, standing in for src/attest/keys.ts.

type DsaEncoding = "der" | "ieee-p1363";

interface TestKey {
  readonly info: PublicKeyInfo;
  readonly publicKey: KeyObject;
  readonly privateKey?: KeyObject;
  /** ECDSA signature encoding: DER (Bulwark's) or raw r||s (the DSSE protocol's example). */
  readonly encoding: DsaEncoding;
}

function keyInfo(publicKey: KeyObject, algorithm: KeyAlgorithm): PublicKeyInfo {
  const der = publicKey.export({ type: "spki", format: "der" });
  return {
    keyid: createHash("sha256").update(der).digest("hex"),
    algorithm,
    pem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

function newKey(algorithm: KeyAlgorithm): TestKey {
  const pair =
    algorithm === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { info: keyInfo(pair.publicKey, algorithm), ...pair, encoding: "der" };
}

function rawSign(key: TestKey, data: Uint8Array): Uint8Array {
  return key.info.algorithm === "ed25519"
    ? cryptoSign(null, data, key.privateKey!)
    : cryptoSign("sha256", data, { key: key.privateKey!, dsaEncoding: key.encoding });
}

function signerOf(key: TestKey): Signer & { calls: number } {
  return {
    name: "test",
    version: 1,
    publicKey: key.info,
    calls: 0,
    async sign(data) {
      this.calls++;
      return rawSign(key, data);
    },
  };
}

/** Trusts `keys`; like the real one, returns the key that verified or throws VERIFICATION_FAILED. */
class TestVerifier implements KeyVerifier {
  readonly calls: { keyid?: string; at?: Date }[] = [];
  constructor(private readonly keys: readonly TestKey[]) {}

  verify(data: Uint8Array, signature: Uint8Array, keyid?: string, at?: Date): PublicKeyInfo {
    this.calls.push({ ...(keyid !== undefined ? { keyid } : {}), ...(at ? { at } : {}) });
    const candidates = keyid === undefined ? this.keys : this.keys.filter((k) => k.info.keyid === keyid);
    if (candidates.length === 0) throw new BulwarkError("VERIFICATION_FAILED", `unknown key ${keyid}`);
    for (const k of candidates) {
      const ok =
        k.info.algorithm === "ed25519"
          ? cryptoVerify(null, data, k.publicKey, signature)
          : cryptoVerify("sha256", data, { key: k.publicKey, dsaEncoding: k.encoding }, signature);
      if (ok) return k.info;
    }
    throw new BulwarkError("VERIFICATION_FAILED", "signature does not verify");
  }
}

function thrown(fn: () => unknown): BulwarkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BulwarkError);
    return e as BulwarkError;
  }
  throw new Error("expected a BulwarkError, nothing was thrown");
}

const A = newKey("ecdsa-p256");
const B = newKey("ed25519");
const C = newKey("ecdsa-p256");
const OUTSIDER = newKey("ed25519");
const TRUSTED = new TestVerifier([A, B, C]);
const TYPE = "application/vnd.example+json";
const BODY = new TextEncoder().encode('{"hello":"world"}');

// ---------------------------------------------------------------------------------------------

describe("signEnvelope", () => {
  it("signs the PAE with each signer and records each keyid", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A), signerOf(B)]);
    expect(env.payloadType).toBe(TYPE);
    expect(Buffer.from(decodeBase64Strict(env.payload)!).equals(Buffer.from(BODY))).toBe(true);
    expect(env.signatures.map((s) => s.keyid)).toEqual([A.info.keyid, B.info.keyid]);
    const message = pae(TYPE, BODY);
    expect(cryptoVerify("sha256", message, A.publicKey, decodeBase64Strict(env.signatures[0]!.sig)!)).toBe(
      true,
    );
    expect(cryptoVerify(null, message, B.publicKey, decodeBase64Strict(env.signatures[1]!.sig)!)).toBe(true);
  });

  it("signs once with a signer given twice", async () => {
    const s = signerOf(A);
    const env = await signEnvelope(TYPE, BODY, [s, signerOf(A)]);
    expect(env.signatures).toHaveLength(1);
    expect(s.calls).toBe(1);
  });

  it("needs a signer (USAGE)", async () => {
    await expect(signEnvelope(TYPE, BODY, [])).rejects.toMatchObject({ code: "USAGE" });
  });

  it("writes an envelope that encodes and decodes unchanged", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env);
  });
});

describe("verifyEnvelope", () => {
  it("returns the authenticated payload and the keys that verified", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A), signerOf(B)]);
    const at = new Date("2025-06-01T00:00:00Z");
    const out = verifyEnvelope(env, TRUSTED, { threshold: 2, at, payloadType: TYPE });
    expect(out.payloadType).toBe(TYPE);
    expect(Buffer.from(out.payload).toString()).toBe('{"hello":"world"}');
    expect(out.verifiedKeyids).toEqual([A.info.keyid, B.info.keyid]);
  });

  it("passes the keyid hint and the time to the verifier", async () => {
    const verifier = new TestVerifier([A]);
    const at = new Date("2025-06-01T00:00:00Z");
    verifyEnvelope(await signEnvelope(TYPE, BODY, [signerOf(A)]), verifier, { at });
    expect(verifier.calls).toEqual([{ keyid: A.info.keyid, at }]);
  });

  it("tampered payload: VERIFICATION_FAILED", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    const tampered = { ...env, payload: encodeBase64(new TextEncoder().encode('{"hello":"World"}')) };
    const e = thrown(() => verifyEnvelope(tampered, TRUSTED));
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.exitCode).toBe(3);
    expect(e.message).toBe("DSSE envelope: 0 of 1 required signatures verified (keys: none)");
  });

  it("tampered payloadType: flipping it invalidates the signature (the PAE covers it)", async () => {
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, BODY, [signerOf(A), signerOf(B)]);
    for (const payloadType of ["application/vnd.in-toto+jsonx", "application/vnd.in-toto+JSON", ""]) {
      const e = thrown(() => verifyEnvelope({ ...env, payloadType }, TRUSTED));
      expect(e.code).toBe("VERIFICATION_FAILED");
    }
  });

  it("a payloadType other than the expected one: VERIFICATION_FAILED, even when well signed", async () => {
    const env = await signEnvelope("application/json", BODY, [signerOf(A)]);
    const e = thrown(() => verifyEnvelope(env, TRUSTED, { payloadType: IN_TOTO_PAYLOAD_TYPE }));
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.message).toMatch(
      /payloadType is "application\/json", expected "application\/vnd.in-toto\+json"/,
    );
  });

  it("an empty payloadType is never supported, even when well signed", async () => {
    const env = await signEnvelope("", BODY, [signerOf(A)]);
    expect(thrown(() => verifyEnvelope(env, TRUSTED)).code).toBe("VERIFICATION_FAILED");
  });

  it("tampered signature and untrusted keys do not count", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(OUTSIDER)]);
    expect(thrown(() => verifyEnvelope(env, TRUSTED)).code).toBe("VERIFICATION_FAILED");
    const good = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    const sig = Buffer.from(decodeBase64Strict(good.signatures[0]!.sig)!);
    sig[sig.length - 1]! ^= 1;
    const e = thrown(() =>
      verifyEnvelope({ ...good, signatures: [{ ...good.signatures[0]!, sig: encodeBase64(sig) }] }, TRUSTED),
    );
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.details).toMatchObject({ failures: [{ index: 0, keyid: A.info.keyid }] });
  });

  it("duplicate signatures by one key are counted once toward a threshold of 2 (VERIFICATION_FAILED)", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    const sig = env.signatures[0]!;
    // The same signature twice, once without keyid, and a second, different signature by A.
    const second = encodeBase64(rawSign(A, pae(TYPE, BODY)));
    const doubled: Envelope = {
      ...env,
      signatures: [sig, sig, { sig: sig.sig }, { keyid: A.info.keyid, sig: second }],
    };
    const e = thrown(() => verifyEnvelope(doubled, TRUSTED, { threshold: 2 }));
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.message).toBe(`DSSE envelope: 1 of 2 required signatures verified (keys: ${A.info.keyid})`);
    expect(verifyEnvelope(doubled, TRUSTED, { threshold: 1 }).verifiedKeyids).toEqual([A.info.keyid]);
  });

  it("the same keyid listed on signatures by two keys counts the keys that really signed", async () => {
    const message = pae(TYPE, BODY);
    const env: Envelope = {
      payloadType: TYPE,
      payload: encodeBase64(BODY),
      signatures: [
        { keyid: A.info.keyid, sig: encodeBase64(rawSign(A, message)) },
        { keyid: A.info.keyid, sig: encodeBase64(rawSign(B, message)) },
      ],
    };
    // The keyid is only a hint: B's signature is found by trying every trusted key.
    expect(verifyEnvelope(env, TRUSTED, { threshold: 2 }).verifiedKeyids).toEqual([
      A.info.keyid,
      B.info.keyid,
    ]);
  });

  it("a foreign or empty keyid hint does not make a good signature fail", async () => {
    const message = pae(TYPE, BODY);
    for (const keyid of ["not-a-bulwark-keyid", ""]) {
      const env: Envelope = {
        payloadType: TYPE,
        payload: encodeBase64(BODY),
        signatures: [{ keyid, sig: encodeBase64(rawSign(C, message)) }],
      };
      expect(verifyEnvelope(env, TRUSTED).verifiedKeyids).toEqual([C.info.keyid]);
    }
  });

  it("threshold 3 of 3 distinct keys; 2 of 3 fails and names the keys that did verify", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A), signerOf(B), signerOf(C)]);
    expect(verifyEnvelope(env, TRUSTED, { threshold: 3 }).verifiedKeyids).toHaveLength(3);
    const two = { ...env, signatures: env.signatures.slice(0, 2) };
    const e = thrown(() => verifyEnvelope(two, TRUSTED, { threshold: 3 }));
    expect(e.message).toBe(
      `DSSE envelope: 2 of 3 required signatures verified (keys: ${A.info.keyid}, ${B.info.keyid})`,
    );
    expect(e.details).toMatchObject({ threshold: 3, verifiedKeyids: [A.info.keyid, B.info.keyid] });
  });

  it.each([0, -1, 1.5, Number.NaN])("threshold %s: USAGE", async (threshold) => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    expect(thrown(() => verifyEnvelope(env, TRUSTED, { threshold })).code).toBe("USAGE");
  });

  it("empty signatures: INPUT_INVALID", () => {
    const e = thrown(() =>
      verifyEnvelope({ payloadType: TYPE, payload: "", signatures: [] }, TRUSTED, { file: "e.json" }),
    );
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ file: "e.json", path: "/signatures" });
  });

  it("malformed base64: INPUT_INVALID at its path", async () => {
    const env = await signEnvelope(TYPE, BODY, [signerOf(A)]);
    const e = thrown(() => verifyEnvelope({ ...env, payload: `${env.payload.slice(0, -2)} =` }, TRUSTED));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ path: "/payload" });
  });

  it("oversized envelope: INPUT_TOO_LARGE", async () => {
    const env = await signEnvelope(TYPE, new Uint8Array(2048), [signerOf(A)]);
    const limits = { ...DEFAULT_ENVELOPE_LIMITS, maxPayloadBytes: 1024 };
    const e = thrown(() => verifyEnvelope(env, TRUSTED, { limits }));
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.exitCode).toBe(4);
  });
});

describe("with the keys module's FileSigner and TrustedKeys", () => {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-dsse-"));
  const open = (algorithm: KeyAlgorithm) => {
    const pair = generateKeyPair({ algorithm, unencrypted: true });
    const path = join(dir, `${pair.publicKey.keyid}.key.pem`);
    writeFileSync(path, pair.privateKeyPem, { mode: 0o600 });
    return { pair, signer: FileSigner.open(path) };
  };
  const p256 = open("ecdsa-p256");
  const ed = open("ed25519");
  const trusted = new TrustedKeys([p256.pair.publicKey, ed.pair.publicKey]);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("signs and verifies 2 of 2 distinct keys; one key twice is 1 of 2", async () => {
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, BODY, [p256.signer, ed.signer]);
    expect(verifyEnvelope(env, trusted, { threshold: 2 }).verifiedKeyids).toEqual([
      p256.pair.publicKey.keyid,
      ed.pair.publicKey.keyid,
    ]);
    const twice = { ...env, signatures: [env.signatures[0]!, env.signatures[0]!] };
    const e = thrown(() => verifyEnvelope(twice, trusted, { threshold: 2 }));
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.message).toMatch(/1 of 2 required signatures verified/);
  });
});

describe("readEnvelope", () => {
  it("malformed JSON: INPUT_INVALID with file, line and column", () => {
    const e = thrown(() =>
      readEnvelope('{"payload": "", "payloadType": "t",\n "signatures": [}', "env.json"),
    );
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ file: "env.json", line: 2, column: 17 });
    expect(e.toString()).toMatch(/^env\.json:2:17: not valid JSON/);
  });

  it("oversized envelope: INPUT_TOO_LARGE before parsing", () => {
    const limits = { ...DEFAULT_ENVELOPE_LIMITS, maxEnvelopeBytes: 64 };
    const e = thrown(() => readEnvelope(`{"payload":"${"A".repeat(100)}"}`, "big.json", limits));
    expect(e.code).toBe("INPUT_TOO_LARGE");
    expect(e.location).toMatchObject({ file: "big.json" });
  });
});

// ---------------------------------------------------------------------------------------------

const DIGEST = "c".repeat(64);

async function statementEnvelope(
  over: { payloadType?: string; statement?: string; signers?: Signer[] } = {},
): Promise<Envelope> {
  const statement = buildStatement({
    subject: [{ name: "registry.example/app", digest: { sha256: DIGEST } }],
    predicateType: PREDICATE_TYPES.releaseV01,
    predicate: { purl: "pkg:oci/app@sha256%3A" + DIGEST },
  });
  const text = over.statement ?? encodeStatement(statement);
  return signEnvelope(
    over.payloadType ?? IN_TOTO_PAYLOAD_TYPE,
    new TextEncoder().encode(text),
    over.signers ?? [signerOf(A)],
  );
}

describe("verifyStatementEnvelope", () => {
  it("returns the statement when signatures, subject and predicate type check out", async () => {
    const env = await statementEnvelope({ signers: [signerOf(A), signerOf(B)] });
    const s = verifyStatementEnvelope(env, TRUSTED, {
      expectedSubjectDigest: `sha256:${DIGEST}`,
      predicateType: PREDICATE_TYPES.releaseV01,
      threshold: 2,
    });
    expect(s.subject[0]!.name).toBe("registry.example/app");
    expect(s.predicate).toEqual({ purl: `pkg:oci/app@sha256%3A${DIGEST}` });
  });

  it("subject digest mismatch: VERIFICATION_FAILED", async () => {
    const e = thrown(() =>
      verifyStatementEnvelope(env0, TRUSTED, { expectedSubjectDigest: { sha256: "d".repeat(64) } }),
    );
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.message).toMatch(
      /^subject digest mismatch: expected sha256:d{64}, the statement is about sha256:c{64}$/,
    );
  });

  it("predicateType mismatch: VERIFICATION_FAILED", () => {
    const e = thrown(() =>
      verifyStatementEnvelope(env0, TRUSTED, { predicateType: PREDICATE_TYPES.slsaProvenanceV1 }),
    );
    expect(e.code).toBe("VERIFICATION_FAILED");
    expect(e.message).toMatch(/predicateType mismatch/);
  });

  it("a payloadType other than application/vnd.in-toto+json: VERIFICATION_FAILED", async () => {
    const env = await statementEnvelope({ payloadType: "application/json" });
    expect(thrown(() => verifyStatementEnvelope(env, TRUSTED)).code).toBe("VERIFICATION_FAILED");
  });

  it("signatures are checked before the payload is trusted", async () => {
    const env = await statementEnvelope({ signers: [signerOf(OUTSIDER)] });
    expect(thrown(() => verifyStatementEnvelope(env, TRUSTED, { expectedSubjectDigest: DIGEST })).code).toBe(
      "VERIFICATION_FAILED",
    );
  });

  it("a well-signed payload that is not a valid statement: INPUT_INVALID", async () => {
    for (const statement of ["{not json", '{"_type":"https://in-toto.io/Statement/v1","subject":[]}']) {
      const e = thrown(() => verifyStatementEnvelope(statementEnvelopeSync(statement), TRUSTED));
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.message).toMatch(/^the signed in-toto statement: /);
    }
  });

  it("a signed v0.1 statement is accepted and flagged", () => {
    const legacy = JSON.stringify({
      _type: STATEMENT_TYPE_V01,
      subject: [{ digest: { sha256: DIGEST } }],
      predicateType: "https://example.com/p",
      predicate: {},
    });
    expect(
      isLegacyStatement(
        verifyStatementEnvelope(statementEnvelopeSync(legacy), TRUSTED, { expectedSubjectDigest: DIGEST }),
      ),
    ).toBe(true);
  });

  it("a malformed expected digest is the caller's error (USAGE), not a mismatch", () => {
    expect(
      thrown(() => verifyStatementEnvelope(env0, TRUSTED, { expectedSubjectDigest: "latest" })).code,
    ).toBe("USAGE");
  });
});

/** A statement envelope signed by A, built synchronously (ECDSA signing in node:crypto is sync). */
function statementEnvelopeSync(statement: string): Envelope {
  const body = new TextEncoder().encode(statement);
  return {
    payloadType: IN_TOTO_PAYLOAD_TYPE,
    payload: encodeBase64(body),
    signatures: [{ keyid: A.info.keyid, sig: encodeBase64(rawSign(A, pae(IN_TOTO_PAYLOAD_TYPE, body))) }],
  };
}

const env0 = statementEnvelopeSync(
  encodeStatement(
    buildStatement({
      subject: [{ digest: { sha256: DIGEST } }],
      predicateType: PREDICATE_TYPES.releaseV01,
      predicate: { purl: "pkg:npm/app@1.0.0" },
    }),
  ),
);

// ---------------------------------------------------------------------------------------------
// The shared DSSE vectors: each envelope verifies or fails as its case says, and the deterministic
// signing case reproduces its signature byte for byte.

const shared = requireShared();

describe.skipIf(!shared)("shared DSSE vectors (sigstore/dsse)", () => {
  const root = join(shared ?? "", "test-vectors", "sigstore");
  const cases = readFileSync(join(root, "cases.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, string>)
    .filter((c) => c.id!.startsWith("dsse/"));

  /** The vector key, trusted; its signatures are raw r||s, as the DSSE protocol example uses. */
  function vectorVerifier(c: Record<string, string>): TestVerifier {
    const publicKey = createPublicKey(readFileSync(join(root, c.publicKey!), "utf8"));
    const fromJwk = createPublicKey({
      key: JSON.parse(readFileSync(join(root, c.publicKeyJwk!), "utf8")),
      format: "jwk",
    });
    expect(keyInfo(fromJwk, "ecdsa-p256").keyid).toBe(keyInfo(publicKey, "ecdsa-p256").keyid);
    return new TestVerifier([{ info: keyInfo(publicKey, "ecdsa-p256"), publicKey, encoding: "ieee-p1363" }]);
  }

  it("covers all seven cases", () => {
    expect(cases).toHaveLength(7);
  });

  for (const c of cases.filter((c) => c.type === "dsse-verify")) {
    it(`${c.id}: ${c.expected}`, () => {
      const file = join(root, c.envelope!);
      const verifier = vectorVerifier(c);
      // No expected payloadType: the signature alone must decide, so a flipped type fails on the PAE.
      const verify = () => verifyEnvelope(readEnvelope(readFileSync(file, "utf8"), file), verifier, { file });
      if (c.expected === "pass") {
        expect(Buffer.from(verify().payload).toString()).toBe("hello world");
        return;
      }
      expect(c.expected).toBe("fail");
      const e = thrown(verify);
      const code = c.id === "dsse/no-signatures" ? "INPUT_INVALID" : "VERIFICATION_FAILED";
      expect(e.code).toBe(code);
    });
  }

  for (const c of cases.filter((c) => c.type === "dsse-sign")) {
    it(`${c.id}: signing with RFC 6979 nonces reproduces the expected signature`, async () => {
      const jwk = JSON.parse(readFileSync(join(root, c.privateKeyJwk!), "utf8")) as Record<string, string>;
      const publicKey = createPublicKey({
        key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
        format: "jwk",
      });
      const signer = deterministicP256Signer(jwk, keyInfo(publicKey, "ecdsa-p256"));
      const env = await signEnvelope(c.payloadType!, decodeBase64Strict(c.payloadB64!)!, [signer]);
      expect(env.signatures[0]!.sig).toBe(c.expectedSig);
      const verifier = new TestVerifier([{ info: signer.publicKey, publicKey, encoding: "ieee-p1363" }]);
      expect(verifyEnvelope(env, verifier).verifiedKeyids).toEqual([signer.publicKey.keyid]);
      // The private key agrees with node:crypto's view of it.
      expect(createPrivateKey({ key: jwk, format: "jwk" }).asymmetricKeyType).toBe("ec");
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Deterministic ECDSA P-256 / SHA-256 (RFC 6979 §3.2), raw r||s output, as the DSSE protocol's
// example was made. node:crypto has no deterministic nonces, so the curve maths is done here.

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
}

function add(a: Point, b: Point): Point {
  if (a === null) return b;
  if (b === null) return a;
  let slope: bigint;
  if (a.x === b.x) {
    if (mod(a.y + b.y, P) === 0n) return null;
    slope = mod((3n * a.x * a.x - 3n) * inverse(2n * a.y, P), P);
  } else {
    slope = mod((b.y - a.y) * inverse(b.x - a.x, P), P);
  }
  const x = mod(slope * slope - a.x - b.x, P);
  return { x, y: mod(slope * (a.x - x) - a.y, P) };
}

function multiply(k: bigint, point: Point): Point {
  let result: Point = null;
  let addend = point;
  for (let n = k; n > 0n; n >>= 1n) {
    if (n & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
const to32 = (n: bigint): Buffer => Buffer.from(n.toString(16).padStart(64, "0"), "hex");
const hmac = (key: Buffer, ...parts: Uint8Array[]): Buffer =>
  createHmac("sha256", key).update(Buffer.concat(parts)).digest();

function deterministicP256Signer(jwk: Record<string, string>, publicKey: PublicKeyInfo): Signer {
  const d = toInt(Buffer.from(jwk.d!, "base64url"));
  const q = multiply(d, { x: GX, y: GY })!;
  expect(to32(q.x).toString("base64url")).toBe(jwk.x);
  expect(to32(q.y).toString("base64url")).toBe(jwk.y);
  return {
    name: "rfc6979-test",
    version: 1,
    publicKey,
    async sign(data) {
      const h = createHash("sha256").update(data).digest();
      const e = toInt(h);
      const x = to32(d);
      const h1 = to32(mod(e, N));
      let v: Buffer = Buffer.alloc(32, 1);
      let k: Buffer = Buffer.alloc(32, 0);
      k = hmac(k, v, Uint8Array.of(0), x, h1);
      v = hmac(k, v);
      k = hmac(k, v, Uint8Array.of(1), x, h1);
      v = hmac(k, v);
      for (;;) {
        v = hmac(k, v);
        const nonce = toInt(v);
        if (nonce >= 1n && nonce < N) {
          const r = mod(multiply(nonce, { x: GX, y: GY })!.x, N);
          const s = mod(inverse(nonce, N) * (e + r * d), N);
          if (r !== 0n && s !== 0n) return new Uint8Array(Buffer.concat([to32(r), to32(s)]));
        }
        k = hmac(k, v, Uint8Array.of(0));
        v = hmac(k, v);
      }
    },
  };
}
