import { execFileSync } from "node:child_process";
import { createPublicKey, verify as cryptoVerify } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { generateKeyPair, type GeneratedKeyPair, KeyStore, type Revocation } from "../../src/attest/keys.js";
import { EnvSigner, FileSigner, TrustedKeys } from "../../src/attest/signer.js";
import type { KeyAlgorithm, Signer } from "../../src/attest/types.js";
import { BulwarkError } from "../../src/core/index.js";

const PASSWORD = "signer-test-password";
const DATA = new TextEncoder().encode('{"_type":"https://in-toto.io/Statement/v1"}');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "bulwark-signer-"));
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

/** A key pair written to a temp directory as `<keyid>.key.pem` / `.pub.pem`. */
function keyFiles(algorithm: KeyAlgorithm, password: string | null = PASSWORD) {
  const pair = generateKeyPair(
    password === null ? { algorithm, unencrypted: true } : { algorithm, password },
  );
  const written = new KeyStore(tmp()).write(pair, new Date("2025-01-01T00:00:00Z"));
  return { pair, ...written };
}

const P256 = keyFiles("ecdsa-p256");
const ED = keyFiles("ed25519");

describe.each([
  ["ecdsa-p256", P256],
  ["ed25519", ED],
] as const)("%s signers", (algorithm, keys) => {
  it("FileSigner signs; TrustedKeys verifies and returns the key", async () => {
    const signer: Signer = FileSigner.open(keys.privateKeyPath, PASSWORD);
    expect(signer.name).toBe("file");
    expect(signer.version).toBe(1);
    expect(signer.publicKey).toEqual(keys.pair.publicKey);
    const sig = await signer.sign(DATA);
    expect(sig).toBeInstanceOf(Uint8Array);
    if (algorithm === "ed25519") expect(sig.length).toBe(64);
    else expect(sig[0]).toBe(0x30); // ASN.1 DER SEQUENCE
    const trusted = new TrustedKeys([keys.pair.publicKey]);
    expect(trusted.verify(DATA, sig, keys.keyid)).toEqual(keys.pair.publicKey);
    expect(trusted.verify(DATA, sig)).toEqual(keys.pair.publicKey);
  });

  it("EnvSigner reads the PEM (or its base64) and BULWARK_KEY_PASSWORD", async () => {
    const pem = keys.pair.privateKeyPem;
    for (const value of [pem, Buffer.from(pem).toString("base64")]) {
      const signer = EnvSigner.fromEnv({ BULWARK_SIGNING_KEY: value, BULWARK_KEY_PASSWORD: PASSWORD });
      expect(signer.name).toBe("env");
      expect(signer.publicKey.keyid).toBe(keys.keyid);
      const sig = await signer.sign(DATA);
      expect(
        new TrustedKeys([readFileSync(keys.publicKeyPath, "utf8")]).verify(DATA, sig, keys.keyid).keyid,
      ).toBe(keys.keyid);
    }
  });

  it("openssl verifies our signature, and we verify openssl's", async () => {
    const dir = tmp();
    const data = join(dir, "data");
    const sigFile = join(dir, "sig");
    writeFileSync(data, DATA);
    writeFileSync(sigFile, await FileSigner.open(keys.privateKeyPath, PASSWORD).sign(DATA));
    const verifyArgs =
      algorithm === "ecdsa-p256"
        ? ["dgst", "-sha256", "-verify", keys.publicKeyPath, "-signature", sigFile, data]
        : [
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            keys.publicKeyPath,
            "-rawin",
            "-in",
            data,
            "-sigfile",
            sigFile,
          ];
    expect(execFileSync("openssl", verifyArgs, { stdio: ["ignore", "pipe", "pipe"] }).toString()).toMatch(
      /Verified OK|Signature Verified Successfully/,
    );

    const passin = ["-passin", `pass:${PASSWORD}`];
    const signArgs =
      algorithm === "ecdsa-p256"
        ? ["dgst", "-sha256", "-sign", keys.privateKeyPath, ...passin, data]
        : ["pkeyutl", "-sign", "-inkey", keys.privateKeyPath, ...passin, "-rawin", "-in", data];
    const opensslSig = execFileSync("openssl", signArgs, { stdio: ["ignore", "pipe", "pipe"] });
    expect(new TrustedKeys([keys.pair.publicKey]).verify(DATA, opensslSig, keys.keyid).keyid).toBe(
      keys.keyid,
    );
  });
});

describe("signer errors", () => {
  it("FileSigner: a missing file is FILE_NOT_FOUND", () => {
    expect(thrown(() => FileSigner.open(join(tmp(), "nope.key.pem"), PASSWORD)).code).toBe("FILE_NOT_FOUND");
  });

  it("FileSigner: no password for an encrypted key is USAGE, a wrong one INPUT_INVALID", () => {
    const missing = thrown(() => FileSigner.open(P256.privateKeyPath));
    expect(missing.code).toBe("USAGE");
    expect(missing.message).toContain("BULWARK_KEY_PASSWORD");
    const wrong = thrown(() => FileSigner.open(P256.privateKeyPath, "not-it"));
    expect(wrong.code).toBe("INPUT_INVALID");
    expect(wrong.location?.file).toBe(P256.privateKeyPath);
  });

  it("FileSigner opens an unencrypted key without a password", async () => {
    const plain = keyFiles("ed25519", null);
    const sig = await FileSigner.open(plain.privateKeyPath).sign(DATA);
    expect(new TrustedKeys([plain.pair.publicKey]).verify(DATA, sig).keyid).toBe(plain.keyid);
  });

  it("EnvSigner: unset variable or missing password is USAGE; a public key is INPUT_INVALID", () => {
    expect(thrown(() => EnvSigner.fromEnv({})).code).toBe("USAGE");
    expect(thrown(() => EnvSigner.fromEnv({ BULWARK_SIGNING_KEY: "  " })).code).toBe("USAGE");
    const noPassword = thrown(() => EnvSigner.fromEnv({ BULWARK_SIGNING_KEY: P256.pair.privateKeyPem }));
    expect(noPassword.code).toBe("USAGE");
    expect(noPassword.message).toBe(
      "$BULWARK_SIGNING_KEY is encrypted: set BULWARK_KEY_PASSWORD to its password",
    );
    expect(thrown(() => EnvSigner.fromEnv({ BULWARK_SIGNING_KEY: P256.pair.publicKey.pem })).code).toBe(
      "INPUT_INVALID",
    );
    expect(thrown(() => EnvSigner.fromEnv({ BULWARK_SIGNING_KEY: "bm90IGEga2V5" })).code).toBe(
      "INPUT_INVALID",
    );
  });

  it("EnvSigner honours other variable names", () => {
    const s = EnvSigner.fromEnv(
      { RELEASE_KEY: ED.pair.privateKeyPem, RELEASE_PW: PASSWORD },
      { variable: "RELEASE_KEY", passwordVariable: "RELEASE_PW" },
    );
    expect(s.variable).toBe("RELEASE_KEY");
    expect(s.publicKey.keyid).toBe(ED.keyid);
  });

  it("a signer never shows its private key", () => {
    const signer = FileSigner.open(P256.privateKeyPath, PASSWORD);
    for (const shown of [JSON.stringify(signer), inspect(signer, { depth: 10, showHidden: true })])
      expect(shown).not.toMatch(/PRIVATE KEY/);
  });
});

// ------------------------------------------------------------------------------------------------
// TrustedKeys: each way a signature is rejected is VERIFICATION_FAILED with a reason.

function failure(fn: () => unknown): { code: string; reason: unknown; message: string } {
  const e = thrown(fn);
  return { code: e.code, reason: e.details?.reason, message: e.message };
}

describe("TrustedKeys", () => {
  const p256 = FileSigner.open(P256.privateKeyPath, PASSWORD);
  const ed = FileSigner.open(ED.privateKeyPath, PASSWORD);
  const since = "2025-06-01T00:00:00.000Z";
  const revokedP256: Revocation = { keyid: P256.keyid, since, reason: "leaked", revokedAt: since };

  it("unknown keyid", async () => {
    const sig = await ed.sign(DATA);
    const f = failure(() => new TrustedKeys([P256.pair.publicKey]).verify(DATA, sig, ED.keyid));
    expect(f).toMatchObject({ code: "VERIFICATION_FAILED", reason: "unknown-key" });
    expect(f.message).toBe(`unknown key ${ED.keyid}: it is not one of the 1 trusted keys`);
  });

  it("revoked key: signatures dated before `since` verify, at or after it fail", async () => {
    const sig = await p256.sign(DATA);
    const trusted = new TrustedKeys([P256.pair.publicKey, ED.pair.publicKey], [revokedP256]);
    expect(trusted.revocation(P256.keyid)).toEqual(revokedP256);
    expect(trusted.verify(DATA, sig, P256.keyid, new Date("2025-05-31T23:59:59.999Z")).keyid).toBe(
      P256.keyid,
    );
    for (const at of [since, "2025-06-01T00:00:00.001Z", "2030-01-01T00:00:00Z"]) {
      const f = failure(() => trusted.verify(DATA, sig, P256.keyid, new Date(at)));
      expect(f).toMatchObject({ code: "VERIFICATION_FAILED", reason: "revoked-key" });
      expect(f.message).toMatch(/is revoked since 2025-06-01T00:00:00.000Z \(leaked\)/);
    }
    // Found by search too (no keyid).
    expect(failure(() => trusted.verify(DATA, sig, undefined, new Date(since))).reason).toBe("revoked-key");
  });

  it("revoked key with no signing time: any revocation rejects", async () => {
    const sig = await p256.sign(DATA);
    const future = { ...revokedP256, since: "2099-01-01T00:00:00Z" };
    for (const trusted of [
      new TrustedKeys([P256.pair.publicKey], [revokedP256]),
      new TrustedKeys([P256.pair.publicKey], [future]),
    ]) {
      const f = failure(() => trusted.verify(DATA, sig, P256.keyid));
      expect(f).toMatchObject({ code: "VERIFICATION_FAILED", reason: "revoked-key" });
      expect(f.message).toMatch(/has no trusted time/);
    }
  });

  it("the earliest of several revocations applies", async () => {
    const sig = await p256.sign(DATA);
    const trusted = new TrustedKeys(
      [P256.pair.publicKey],
      [revokedP256, { ...revokedP256, since: "2025-03-01T00:00:00Z", reason: "earlier" }],
    );
    expect(
      failure(() => trusted.verify(DATA, sig, P256.keyid, new Date("2025-04-01T00:00:00Z"))).reason,
    ).toBe("revoked-key");
  });

  it.each([
    ["ecdsa-p256", () => P256, () => p256],
    ["ed25519", () => ED, () => ed],
  ] as const)("%s: tampered data and tampered signature", async (_alg, files, signer) => {
    const { keyid, pair } = files();
    const sig = await signer().sign(DATA);
    const trusted = new TrustedKeys([pair.publicKey]);
    const data = Uint8Array.from(DATA);
    data[5] = data[5]! ^ 1;
    const f = failure(() => trusted.verify(data, sig, keyid));
    expect(f).toMatchObject({ code: "VERIFICATION_FAILED", reason: "bad-signature" });
    expect(f.message).toMatch(/^bad signature: it does not verify with/);
    const tampered = Uint8Array.from(sig);
    tampered[tampered.length - 1] = tampered.at(-1)! ^ 1;
    expect(failure(() => trusted.verify(DATA, tampered, keyid))).toMatchObject({
      code: "VERIFICATION_FAILED",
      reason: "bad-signature",
    });
    expect(failure(() => trusted.verify(data, sig))).toMatchObject({ reason: "bad-signature" });
  });

  it("an Ed25519 signature against a P-256 key (and the reverse) is a wrong-algorithm failure", async () => {
    const trusted = new TrustedKeys([P256.pair.publicKey, ED.pair.publicKey]);
    const edSig = await ed.sign(DATA);
    const f = failure(() => trusted.verify(DATA, edSig, P256.keyid));
    expect(f).toMatchObject({ code: "VERIFICATION_FAILED", reason: "wrong-algorithm" });
    expect(f.message).toMatch(
      /^wrong algorithm for ecdsa-p256 key .*: the 64-byte signature is not an ASN\.1 DER/,
    );
    const p256Sig = await p256.sign(DATA);
    const g = failure(() => trusted.verify(DATA, p256Sig, ED.keyid));
    expect(g).toMatchObject({ code: "VERIFICATION_FAILED", reason: "wrong-algorithm" });
    expect(g.message).toMatch(/is not an Ed25519 signature \(64 bytes\)/);
    expect(failure(() => trusted.verify(DATA, new Uint8Array(0), P256.keyid)).reason).toBe("wrong-algorithm");
  });

  it("a DER-shaped but invalid ECDSA signature is just a bad signature", () => {
    const trusted = new TrustedKeys([P256.pair.publicKey]);
    const junk = Uint8Array.from([0x30, 6, 2, 1, 0, 2, 1, 0]);
    expect(failure(() => trusted.verify(DATA, junk, P256.keyid)).reason).toBe("bad-signature");
  });

  it("no trusted keys, or an invalid signing time", async () => {
    const sig = await ed.sign(DATA);
    expect(failure(() => new TrustedKeys([]).verify(DATA, sig))).toMatchObject({
      code: "VERIFICATION_FAILED",
      reason: "no-trusted-keys",
    });
    expect(
      failure(() => new TrustedKeys([ED.pair.publicKey]).verify(DATA, sig, ED.keyid, new Date("nope"))),
    ).toMatchObject({ code: "VERIFICATION_FAILED", reason: "invalid-time" });
  });

  it("malformed PEM, a private key or a mismatched PublicKeyInfo cannot become trusted (INPUT_INVALID)", () => {
    expect(
      thrown(() => new TrustedKeys(["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])).code,
    ).toBe("INPUT_INVALID");
    expect(thrown(() => new TrustedKeys(["garbage"])).code).toBe("INPUT_INVALID");
    expect(thrown(() => new TrustedKeys([P256.pair.privateKeyPem])).code).toBe("INPUT_INVALID");
    const forged = { ...ED.pair.publicKey, keyid: P256.keyid };
    const e = thrown(() => new TrustedKeys([forged]));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/does not match its PEM/);
    expect(thrown(() => new TrustedKeys([{ ...ED.pair.publicKey, algorithm: "ecdsa-p256" }])).code).toBe(
      "INPUT_INVALID",
    );
    const badRevocation = { ...revokedP256, since: "June" };
    expect(thrown(() => new TrustedKeys([P256.pair.publicKey], [badRevocation])).code).toBe("INPUT_INVALID");
  });

  it("fromFiles and fromStore", async () => {
    const sig = await ed.sign(DATA);
    const fromFiles = TrustedKeys.fromFiles([P256.publicKeyPath, ED.publicKeyPath]);
    expect(fromFiles.size).toBe(2);
    expect(fromFiles.verify(DATA, sig).keyid).toBe(ED.keyid);
    expect(thrown(() => TrustedKeys.fromFiles([join(tmp(), "missing.pub.pem")])).code).toBe("FILE_NOT_FOUND");
    const bad = join(tmp(), "bad.pub.pem");
    writeFileSync(bad, "not a key");
    expect(thrown(() => TrustedKeys.fromFiles([bad])).location?.file).toBe(bad);

    const store = new KeyStore(tmp());
    const pair: GeneratedKeyPair = ED.pair;
    store.write(pair, new Date("2025-01-01T00:00:00Z"));
    store.revoke({ keyid: ED.keyid, since: new Date(since), reason: "rotated" }, new Date(since));
    const trusted = TrustedKeys.fromStore(store);
    expect(trusted.keys()).toEqual([ED.pair.publicKey]);
    expect(trusted.verify(DATA, sig, ED.keyid, new Date("2025-01-02T00:00:00Z")).keyid).toBe(ED.keyid);
    expect(failure(() => trusted.verify(DATA, sig, ED.keyid, new Date(since))).reason).toBe("revoked-key");
  });

  it("costs no more than 1.5x a raw crypto.verify (keys parsed once)", async () => {
    const many = Array.from({ length: 20 }, () => generateKeyPair({ unencrypted: true }).publicKey);
    const trusted = new TrustedKeys([...many, P256.pair.publicKey], [revokedP256]);
    const at = new Date("2025-01-01T00:00:00Z");
    const raw = createPublicKey(P256.pair.publicKey.pem);
    const sig = await p256.sign(DATA);
    const time = (fn: () => void) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 200; i++) fn();
      return Number(process.hrtime.bigint() - start);
    };
    let ours = Infinity;
    let base = Infinity;
    for (let round = 0; round < 7; round++) {
      base = Math.min(
        base,
        time(() => cryptoVerify("sha256", DATA, raw, sig)),
      );
      ours = Math.min(
        ours,
        time(() => trusted.verify(DATA, sig, P256.keyid, at)),
      );
    }
    expect(ours / base).toBeLessThan(1.5);
  });
});
