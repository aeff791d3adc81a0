import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mintJobToken, verifyJobToken } from "../../src/runner/token.js";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const now = new Date("2026-11-22T10:00:00Z");
const claims = {
  repository: "github.com/acme/shop",
  commit: "a".repeat(40),
  ref: "refs/heads/main",
  job: "build",
  runnerId: "runner-1",
};

function mint(overrides: Partial<Parameters<typeof mintJobToken>[0]> = {}) {
  return mintJobToken({
    privateKey,
    issuer: "https://ci.example.com",
    audience: "registry.example.com",
    claims,
    now,
    id: "inv-1",
    ...overrides,
  });
}

describe("job tokens (JWT, ES256)", () => {
  it("mint and verify: claims, audience binding, 15-minute lifetime", () => {
    const { token, payload } = mint();
    expect(token.split(".")).toHaveLength(3);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(payload).toMatchObject({
      aud: "registry.example.com",
      jti: "inv-1",
      job: "build",
      runner_id: "runner-1",
      commit: "a".repeat(40),
    });
    expect(payload.exp - payload.iat).toBe(900);
    const verified = verifyJobToken(token, publicKey, {
      audience: "registry.example.com",
      issuer: "https://ci.example.com",
      now,
    });
    expect(verified).toEqual(payload);
  });

  it("fails closed: wrong key, audience, issuer, expired, not yet valid, tampered, alg none", () => {
    const { token } = mint();
    const at = (d: Date) => ({ audience: "registry.example.com", now: d });
    expect(() => verifyJobToken(token, other.publicKey, at(now))).toThrow(/signature/);
    expect(() => verifyJobToken(token, publicKey, { audience: "other", now })).toThrow(/audience|issued for/);
    expect(() =>
      verifyJobToken(token, publicKey, { audience: "registry.example.com", issuer: "https://evil", now }),
    ).toThrow(/issued by/);
    expect(() => verifyJobToken(token, publicKey, at(new Date(now.getTime() + 16 * 60_000)))).toThrow(
      /expired/,
    );
    expect(() => verifyJobToken(token, publicKey, at(new Date(now.getTime() - 5 * 60_000)))).toThrow(
      /not valid yet/,
    );
    const [h, p, s] = token.split(".");
    const body = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...body, job: "deploy" })).toString("base64url")}.${s}`;
    expect(() => verifyJobToken(forged, publicKey, at(now))).toThrow(/signature/);
    const none = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${p}.`;
    expect(() => verifyJobToken(none, publicKey, at(now))).toThrow(/not ES256/);
    expect(() => verifyJobToken("garbage", publicKey, at(now))).toThrow(/compact JWS/);
    for (const t of [token, forged])
      expect(() => verifyJobToken(t, other.publicKey, at(now))).toThrowError(
        expect.objectContaining({ code: "VERIFICATION_FAILED" }),
      );
  });

  it("refuses lifetimes over 15 minutes and non-P-256 keys when minting", () => {
    expect(() => mint({ ttlSeconds: 901 })).toThrow(/1\.\.900/);
    const ed = generateKeyPairSync("ed25519");
    expect(() => mint({ privateKey: ed.privateKey })).toThrow(/P-256/);
  });
});
