/**
 * Job tokens: short-lived JWTs (RFC 7519, ES256) that the runner mints for one job so the job can
 * prove who it is (to a registry, a secret store) without long-lived credentials. `exp` is at most
 * 15 minutes after `iat`, the audience is bound, and the claims name the job: repository, commit,
 * ref, job, runner id, invocation id (`jti`). Verification fails closed (VERIFICATION_FAILED).
 * The full OIDC issuer (discovery, JWKS) comes with the server.
 */
import { createHash, createPublicKey, type KeyObject, randomUUID, sign, verify } from "node:crypto";
import { BulwarkError } from "../core/index.js";

/** The longest a job token may live. */
export const MAX_TOKEN_TTL_SECONDS = 15 * 60;

export interface JobClaims {
  readonly repository?: string;
  readonly commit?: string;
  readonly ref?: string;
  readonly job: string;
  readonly runnerId: string;
}

export interface JobTokenPayload {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
  readonly repository?: string;
  readonly commit?: string;
  readonly ref?: string;
  readonly job: string;
  readonly runner_id: string;
}

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");

function fail(reason: string, message: string): never {
  throw new BulwarkError("VERIFICATION_FAILED", `job token: ${message}`, { details: { reason } });
}

/** The key id of a public key: base64url SHA-256 thumbprint of its JWK (RFC 7638). */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: "jwk" }) as {
    crv: string;
    kty: string;
    x: string;
    y: string;
  };
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash("sha256").update(canonical).digest("base64url");
}

/**
 * Mints a job token signed with `privateKey` (ECDSA P-256). `ttlSeconds` defaults to and may not
 * exceed 15 minutes.
 */
export function mintJobToken(options: {
  readonly privateKey: KeyObject;
  readonly issuer: string;
  readonly audience: string;
  readonly claims: JobClaims;
  readonly ttlSeconds?: number;
  readonly now?: Date;
  readonly id?: string;
}): { token: string; payload: JobTokenPayload } {
  const ttl = options.ttlSeconds ?? MAX_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TOKEN_TTL_SECONDS)
    throw new BulwarkError("USAGE", `a job token lives 1..${MAX_TOKEN_TTL_SECONDS} seconds, not ${ttl}`);
  if (options.privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1")
    throw new BulwarkError("USAGE", "job tokens are signed with an ECDSA P-256 key (ES256)");
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const c = options.claims;
  const payload: JobTokenPayload = {
    iss: options.issuer,
    sub: `job:${c.repository ?? "local"}:${c.job}`,
    aud: options.audience,
    iat,
    nbf: iat,
    exp: iat + ttl,
    jti: options.id ?? randomUUID(),
    ...(c.repository ? { repository: c.repository } : {}),
    ...(c.commit ? { commit: c.commit } : {}),
    ...(c.ref ? { ref: c.ref } : {}),
    job: c.job,
    runner_id: c.runnerId,
  };
  const header = { alg: "ES256", typ: "JWT", kid: jwkThumbprint(options.privateKey) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = sign("sha256", Buffer.from(input), {
    key: options.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return { token: `${input}.${b64url(signature)}`, payload };
}

/**
 * Verifies a job token: ES256 signature by `publicKey`, `aud` equal to `audience`, `iss` when
 * given, `nbf`/`exp` against `now` (with `leewaySeconds`, default 30), and a lifetime of at most
 * 15 minutes. Returns the payload.
 */
export function verifyJobToken(
  token: string,
  publicKey: KeyObject,
  options: {
    readonly audience: string;
    readonly issuer?: string;
    readonly now?: Date;
    readonly leewaySeconds?: number;
  },
): JobTokenPayload {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)))
    fail("malformed", "not a compact JWS");
  const [h, p, s] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let payload: JobTokenPayload;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    fail("malformed", "header or payload is not JSON");
  }
  if (header.alg !== "ES256") fail("algorithm", `algorithm ${String(header.alg)} is not ES256`);
  const ok = verify(
    "sha256",
    Buffer.from(`${h}.${p}`),
    { key: publicKey, dsaEncoding: "ieee-p1363" },
    Buffer.from(s, "base64url"),
  );
  if (!ok) fail("signature", "the signature does not verify");
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const leeway = options.leewaySeconds ?? 30;
  for (const claim of ["iat", "nbf", "exp"] as const)
    if (!Number.isInteger(payload[claim])) fail("claims", `${claim} is missing or not an integer`);
  if (payload.aud !== options.audience)
    fail("audience", `issued for ${String(payload.aud)}, not ${options.audience}`);
  if (options.issuer !== undefined && payload.iss !== options.issuer)
    fail("issuer", `issued by ${String(payload.iss)}`);
  if (payload.exp - payload.iat > MAX_TOKEN_TTL_SECONDS) fail("lifetime", "lives longer than 15 minutes");
  if (now + leeway < payload.nbf) fail("not-yet-valid", "not valid yet");
  if (now - leeway >= payload.exp)
    fail("expired", `expired at ${new Date(payload.exp * 1000).toISOString()}`);
  if (typeof payload.job !== "string" || typeof payload.runner_id !== "string")
    fail("claims", "job claims are missing");
  return payload;
}
