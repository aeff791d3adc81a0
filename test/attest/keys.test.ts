import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  defaultKeyStore,
  effectiveRevocations,
  generateKeyPair,
  keyidOf,
  KeyStore,
  loadPrivateKey,
  loadPublicKey,
  parseRevocations,
  parseRfc3339,
  writeFileAtomic,
} from "../../src/attest/keys.js";
import { keysGenerate, keysList, keysRevoke } from "../../src/cli/commands/keys-actions.js";
import { registerKeysCommands } from "../../src/cli/commands/keys.js";
import { createRuntime, type Runtime } from "../../src/cli/runtime.js";
import type { Settings } from "../../src/cli/config.js";
import { BulwarkError, type ExitCode } from "../../src/core/index.js";

const PASSWORD = "correct horse battery staple";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "bulwark-keys-"));
}

/** The BulwarkError `fn` throws (fails the test when it returns or throws something else). */
function thrown(fn: () => unknown): BulwarkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BulwarkError);
    return e as BulwarkError;
  }
  throw new Error("expected a BulwarkError, nothing was thrown");
}

function openssl(args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync("openssl", args, { input: input ?? "", stdio: ["pipe", "pipe", "pipe"] });
}

/** `openssl pkey -pubin -outform DER | sha256sum`, done by openssl alone. */
function opensslKeyid(publicPem: string): string {
  const der = openssl(["pkey", "-pubin", "-outform", "DER"], publicPem);
  return openssl(["dgst", "-sha256", "-r"], der).toString("utf8").split(" ")[0]!;
}

describe("generateKeyPair", () => {
  it.each(["ecdsa-p256", "ed25519"] as const)(
    "%s: encrypted PKCS#8 + SPKI PEM, keyid as openssl computes it",
    (algorithm) => {
      const pair = generateKeyPair({ algorithm, password: PASSWORD });
      expect(pair.encrypted).toBe(true);
      expect(pair.publicKey.algorithm).toBe(algorithm);
      expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
      expect(pair.publicKey.pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(pair.publicKey.keyid).toMatch(/^[0-9a-f]{64}$/);
      expect(pair.publicKey.keyid).toBe(opensslKeyid(pair.publicKey.pem));
      // openssl decrypts our PBES2/AES-256-CBC key with the password and finds the same public key.
      const fromOpenssl = openssl(["pkey", "-passin", `pass:${PASSWORD}`, "-pubout"], pair.privateKeyPem);
      expect(fromOpenssl.toString("utf8")).toBe(pair.publicKey.pem);
    },
  );

  it("defaults to ECDSA P-256", () => {
    expect(generateKeyPair({ password: PASSWORD }).publicKey.algorithm).toBe("ecdsa-p256");
  });

  it("writes a key in the clear only when asked", () => {
    const pair = generateKeyPair({ algorithm: "ed25519", unencrypted: true });
    expect(pair.encrypted).toBe(false);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const none = thrown(() => generateKeyPair({}));
    expect(none.code).toBe("USAGE");
    expect(none.message).toContain("BULWARK_KEY_PASSWORD");
    expect(thrown(() => generateKeyPair({ password: "" })).code).toBe("USAGE");
    expect(thrown(() => generateKeyPair({ password: PASSWORD, unencrypted: true })).code).toBe("USAGE");
  });

  it("rejects an unknown algorithm", () => {
    expect(thrown(() => generateKeyPair({ algorithm: "rsa" as "ed25519", password: PASSWORD })).code).toBe(
      "USAGE",
    );
  });
});

describe("loadPrivateKey", () => {
  const p256 = generateKeyPair({ algorithm: "ecdsa-p256", password: PASSWORD });
  const ed = generateKeyPair({ algorithm: "ed25519", password: PASSWORD });

  it.each([
    ["ecdsa-p256", p256],
    ["ed25519", ed],
  ] as const)("%s: round trip with the password", (algorithm, pair) => {
    const loaded = loadPrivateKey(pair.privateKeyPem, PASSWORD);
    expect(loaded.algorithm).toBe(algorithm);
    expect(loaded.encrypted).toBe(true);
    expect(loaded.publicKey).toEqual(pair.publicKey);
    expect(loadPrivateKey(Buffer.from(pair.privateKeyPem), PASSWORD).publicKey.keyid).toBe(
      pair.publicKey.keyid,
    );
  });

  it("an encrypted key without a password is USAGE naming BULWARK_KEY_PASSWORD", () => {
    for (const password of [undefined, ""]) {
      const e = thrown(() => loadPrivateKey(p256.privateKeyPem, password, { file: "/keys/k.key.pem" }));
      expect(e.code).toBe("USAGE");
      expect(e.message).toBe("/keys/k.key.pem is encrypted: set BULWARK_KEY_PASSWORD to its password");
      expect(e.location?.file).toBe("/keys/k.key.pem");
    }
  });

  it("a wrong password is INPUT_INVALID and never echoes the password", () => {
    for (const pair of [p256, ed]) {
      const e = thrown(() => loadPrivateKey(pair.privateKeyPem, "hunter2"));
      expect(e.code).toBe("INPUT_INVALID");
      expect(e.message).toMatch(/wrong password/);
      expect(e.message).not.toContain("hunter2");
    }
  });

  it("an unencrypted key loads without (and ignores) a password", () => {
    const plain = generateKeyPair({ unencrypted: true });
    expect(loadPrivateKey(plain.privateKeyPem).encrypted).toBe(false);
    expect(loadPrivateKey(plain.privateKeyPem, "unused").publicKey).toEqual(plain.publicKey);
  });

  it("rejects what is not a PKCS#8 P-256/Ed25519 private key as INPUT_INVALID", () => {
    const ec384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const sec1 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      type: "sec1",
      format: "pem",
    }) as string;
    const cases: [string, string, RegExp][] = [
      ["not PEM", "hello", /is not PEM/],
      [
        "corrupt body",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        /not a valid PKCS#8/,
      ],
      ["public key", p256.publicKey.pem, /this is a public key/],
      ["SEC1 key", sec1, /openssl pkcs8 -topk8/],
      ["two keys", p256.privateKeyPem + ed.privateKeyPem, /2 PEM blocks/],
      [
        "P-384",
        ec384.export({ type: "pkcs8", format: "pem" }) as string,
        /unsupported key type \(ECDSA on curve secp384r1\)/,
      ],
      ["RSA", rsa.export({ type: "pkcs8", format: "pem" }) as string, /unsupported key type \(rsa\)/],
    ];
    for (const [name, pem, message] of cases) {
      const e = thrown(() => loadPrivateKey(pem, PASSWORD));
      expect({ name, code: e.code }).toEqual({ name, code: "INPUT_INVALID" });
      expect(e.message).toMatch(message);
    }
  });

  it("refuses a huge input as INPUT_TOO_LARGE", () => {
    expect(thrown(() => loadPrivateKey("A".repeat(70_000))).code).toBe("INPUT_TOO_LARGE");
  });
});

describe("loadPublicKey and keyidOf", () => {
  const pair = generateKeyPair({ algorithm: "ecdsa-p256", unencrypted: true });

  it("round-trips the SPKI PEM", () => {
    expect(loadPublicKey(pair.publicKey.pem)).toEqual(pair.publicKey);
    // Re-encoded by openssl (same DER, maybe different wrapping): same id and canonical PEM.
    const again = openssl(["pkey", "-pubin", "-pubout"], pair.publicKey.pem).toString("utf8");
    expect(loadPublicKey(again)).toEqual(pair.publicKey);
  });

  it("computes one keyid from PEM, DER and key objects (public or private)", () => {
    const der = createPublicKey(pair.publicKey.pem).export({ type: "spki", format: "der" });
    const { keyid } = pair.publicKey;
    expect(keyidOf(pair.publicKey.pem)).toBe(keyid);
    expect(keyidOf(new Uint8Array(der))).toBe(keyid);
    expect(keyidOf(createPublicKey(pair.publicKey.pem))).toBe(keyid);
    expect(keyidOf(createPrivateKey(pair.privateKeyPem))).toBe(keyid);
    expect(keyid).toBe(opensslKeyid(pair.publicKey.pem));
    expect(thrown(() => keyidOf(new Uint8Array([1, 2, 3]))).code).toBe("INPUT_INVALID");
  });

  it("rejects certificates, private keys and malformed PEM as INPUT_INVALID", () => {
    const dir = tmp();
    const key = join(dir, "k.pem");
    writeFileSync(key, pair.privateKeyPem);
    const cert = openssl(["req", "-x509", "-key", key, "-subj", "/CN=test", "-days", "1"]).toString("utf8");
    const cases: [string, string, RegExp][] = [
      ["certificate", cert, /certificates are not accepted/],
      ["private key", pair.privateKeyPem, /this is a private key/],
      [
        "malformed",
        "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n",
        /not a valid SPKI/,
      ],
      ["empty", "", /is not PEM/],
    ];
    for (const [name, pem, message] of cases) {
      const e = thrown(() => loadPublicKey(pem, { file: "trusted.pem" }));
      expect({ name, code: e.code }).toEqual({ name, code: "INPUT_INVALID" });
      expect(e.message).toMatch(message);
    }
  });
});

describe("parseRfc3339", () => {
  it.each([
    ["2025-06-01T00:00:00Z", "2025-06-01T00:00:00.000Z"],
    ["2025-06-01t12:30:15.250z", "2025-06-01T12:30:15.250Z"],
    ["2025-06-01T02:00:00+02:00", "2025-06-01T00:00:00.000Z"],
    ["2024-02-29T23:59:59-05:30", "2024-03-01T05:29:59.000Z"],
  ])("accepts %s", (text, iso) => {
    expect(parseRfc3339(text)?.toISOString()).toBe(iso);
  });

  it.each([
    "2025-06-01",
    "2025-06-01T00:00Z",
    "2025-06-01T00:00:00",
    "2025-06-01 00:00:00Z",
    "2025-02-30T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "2025-06-01T24:00:00Z",
    "2025-06-01T00:00:00+25:00",
    "yesterday",
    "1748736000",
  ])("rejects %s", (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });
});

describe("revocation list", () => {
  const keyid = "a".repeat(64);
  const entry = { keyid, since: "2025-06-01T00:00:00Z", reason: "leaked", revokedAt: "2025-06-02T00:00:00Z" };

  it("parses the documented shape", () => {
    expect(parseRevocations(JSON.stringify([entry]))).toEqual([entry]);
    expect(parseRevocations("[]")).toEqual([]);
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["not an array", "{}", /must be a JSON array/],
    ["entry not an object", "[1]", /\[0\] must be an object/],
    ["bad keyid", JSON.stringify([{ ...entry, keyid: "ABC" }]), /keyid must be 64 lowercase hex/],
    ["bad since", JSON.stringify([{ ...entry, since: "2025-06-01" }]), /since must be an RFC 3339 time/],
    ["bad revokedAt", JSON.stringify([{ ...entry, revokedAt: 5 }]), /revokedAt must be an RFC 3339 time/],
    ["empty reason", JSON.stringify([{ ...entry, reason: " " }]), /reason must be a non-empty string/],
    ["unknown field", JSON.stringify([{ ...entry, until: "x" }]), /unknown field until/],
  ])("fails closed on %s (INPUT_INVALID)", (_name, text, message) => {
    const e = thrown(() => parseRevocations(text, "revocations.json"));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe("revocations.json");
  });

  it("keeps the earliest `since` when a key is revoked twice", () => {
    const later = { ...entry, since: "2025-07-01T00:00:00Z", reason: "rotated" };
    const earlier = { ...entry, since: "2025-05-01T00:00:00+02:00", reason: "compromised" };
    expect(effectiveRevocations([later, entry, earlier]).get(keyid)).toBe(earlier);
  });
});

describe("KeyStore", () => {
  const created = new Date("2025-05-01T10:00:00Z");

  it("writes the key files with their modes and lists them", () => {
    const store = new KeyStore(join(tmp(), "keys"));
    expect(store.list()).toEqual([]);
    const pair = generateKeyPair({ algorithm: "ed25519", password: PASSWORD });
    const written = store.write(pair, created);
    expect(written.publicKeyPath).toBe(join(store.dir, `${pair.publicKey.keyid}.pub.pem`));
    expect(written.privateKeyPath).toBe(join(store.dir, `${pair.publicKey.keyid}.key.pem`));
    expect(statSync(written.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(written.publicKeyPath).mode & 0o777).toBe(0o644);
    expect(readFileSync(written.privateKeyPath, "utf8")).toBe(pair.privateKeyPem);
    expect(store.list()).toEqual([
      {
        keyid: pair.publicKey.keyid,
        algorithm: "ed25519",
        publicKey: pair.publicKey,
        publicKeyPath: written.publicKeyPath,
        privateKeyPath: written.privateKeyPath,
        created,
        revocation: undefined,
      },
    ]);
  });

  it("never overwrites a key file", () => {
    const store = new KeyStore(tmp());
    const pair = generateKeyPair({ unencrypted: true });
    store.write(pair, created);
    expect(thrown(() => store.write(pair, created)).code).toBe("USAGE");
  });

  it("lists a trusted public key without its private key", () => {
    const store = new KeyStore(tmp());
    const pair = generateKeyPair({ unencrypted: true });
    writeFileSync(store.publicKeyPath(pair.publicKey.keyid), pair.publicKey.pem);
    expect(store.list().map((k) => [k.keyid, k.privateKeyPath])).toEqual([[pair.publicKey.keyid, undefined]]);
  });

  it("fails closed when a public key file holds another key than its name says", () => {
    const store = new KeyStore(tmp());
    const a = generateKeyPair({ unencrypted: true });
    const b = generateKeyPair({ unencrypted: true });
    writeFileSync(store.publicKeyPath(a.publicKey.keyid), b.publicKey.pem);
    const e = thrown(() => store.list());
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(/the store was altered/);
  });

  it("records revocations atomically (new file by rename, no temporary left) and reads them back", () => {
    const store = new KeyStore(tmp());
    const pair = generateKeyPair({ unencrypted: true });
    const { keyid } = pair.publicKey;
    store.write(pair, created);
    const first = store.revoke(
      { keyid, since: new Date("2025-06-01T00:00:00Z"), reason: "rotated" },
      new Date("2025-06-02T00:00:00Z"),
    );
    expect(first).toEqual({
      keyid,
      since: "2025-06-01T00:00:00.000Z",
      reason: "rotated",
      revokedAt: "2025-06-02T00:00:00.000Z",
    });
    const inode = statSync(store.revocationsPath).ino;
    const second = store.revoke(
      { keyid, since: new Date("2025-05-15T00:00:00Z"), reason: "leaked earlier than thought" },
      new Date("2025-06-03T00:00:00Z"),
    );
    expect(statSync(store.revocationsPath).ino).not.toBe(inode);
    expect(readdirSync(store.dir).filter((n) => n.startsWith("revocations"))).toEqual(["revocations.json"]);
    expect(parseRevocations(readFileSync(store.revocationsPath, "utf8"))).toEqual([first, second]);
    expect(store.revocations()).toEqual([first, second]);
    expect(store.list()[0]!.revocation).toEqual(second);
  });

  it("revoking a key not in the store is FILE_NOT_FOUND", () => {
    const store = new KeyStore(tmp());
    const e = thrown(() => store.revoke({ keyid: "b".repeat(64), since: created, reason: "x" }, created));
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(existsSync(store.revocationsPath)).toBe(false);
  });

  it("takes over a stale lock left by a crashed process", () => {
    const store = new KeyStore(tmp());
    const pair = generateKeyPair({ unencrypted: true });
    store.write(pair, created);
    const lock = `${store.revocationsPath}.lock`;
    writeFileSync(lock, "");
    utimesSync(lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    store.revoke({ keyid: pair.publicKey.keyid, since: created, reason: "x" }, created);
    expect(existsSync(lock)).toBe(false);
    expect(store.revocations()).toHaveLength(1);
  });

  it("a malformed revocations.json makes reads fail closed", () => {
    const store = new KeyStore(tmp());
    writeFileSync(store.revocationsPath, '[{"keyid": "nope"}]');
    expect(thrown(() => store.revocations()).code).toBe("INPUT_INVALID");
    expect(thrown(() => store.list()).code).toBe("INPUT_INVALID");
  });

  it("writeFileAtomic leaves the old file and no temporary when the rename fails", () => {
    const dir = tmp();
    const target = join(dir, "target");
    mkdirSync(target);
    writeFileSync(join(target, "keep"), "");
    expect(() => writeFileAtomic(target, "new")).toThrow();
    expect(readdirSync(dir)).toEqual(["target"]);
  });

  it("defaultKeyStore is <BULWARK_HOME>/keys, else ./.bulwark/keys", () => {
    expect(defaultKeyStore({ BULWARK_HOME: "/h" }, "/cwd").dir).toBe("/h/keys");
    expect(defaultKeyStore({}, "/cwd").dir).toBe("/cwd/.bulwark/keys");
  });
});

// ------------------------------------------------------------------------------------------------
// CLI: bulwark keys generate | list | revoke

interface Captured {
  rt: Runtime;
  stdout: () => string;
  stderr: () => string;
}

function runtime(env: NodeJS.ProcessEnv, settings: Settings = {}): Captured {
  let stdout = "";
  let stderr = "";
  const rt = createRuntime(
    {
      stdout: (t) => {
        stdout += t;
      },
      stderr: (t) => {
        stderr += t;
      },
      isTTY: false,
      env: { SOURCE_DATE_EPOCH: "1795000000", ...env },
      cwd: tmp(),
    },
    settings,
    undefined,
    "0.0.0-test",
  );
  return { rt, stdout: () => stdout, stderr: () => stderr };
}

async function rejection(p: Promise<unknown>): Promise<BulwarkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BulwarkError);
    return e as BulwarkError;
  }
  throw new Error("expected a BulwarkError");
}

describe("bulwark keys (actions)", () => {
  const at = new Date(1795000000 * 1000).toISOString();

  it("generate writes an encrypted key to the store and prints the keyid and paths", async () => {
    const home = tmp();
    const c = runtime({ BULWARK_HOME: home, BULWARK_KEY_PASSWORD: PASSWORD });
    expect(await keysGenerate(c.rt, { type: "ecdsa-p256" })).toBe(0);
    const keyid = /^keyid {6}([0-9a-f]{64})$/m.exec(c.stdout())![1]!;
    const priv = join(home, "keys", `${keyid}.key.pem`);
    expect(c.stdout()).toBe(
      `keyid      ${keyid}\nalgorithm  ecdsa-p256\nencrypted  yes\npublic     ${join(home, "keys", `${keyid}.pub.pem`)}\nprivate    ${priv}\n`,
    );
    expect(c.stderr()).toMatch(/Keep BULWARK_KEY_PASSWORD/);
    expect(loadPrivateKey(readFileSync(priv), PASSWORD).publicKey.keyid).toBe(keyid);
    expect(statSync(join(home, "keys", `${keyid}.pub.pem`)).mtime.toISOString()).toBe(at);
  });

  it("generate --format json, --type ed25519, --out DIR", async () => {
    const out = tmp();
    const c = runtime({ BULWARK_KEY_PASSWORD: PASSWORD }, { format: "json" });
    expect(await keysGenerate(c.rt, { type: "ed25519", out })).toBe(0);
    const json = JSON.parse(c.stdout()) as Record<string, unknown>;
    expect(json).toEqual({
      keyid: expect.stringMatching(/^[0-9a-f]{64}$/),
      algorithm: "ed25519",
      encrypted: true,
      created: at,
      publicKey: join(out, `${String(json.keyid)}.pub.pem`),
      privateKey: join(out, `${String(json.keyid)}.key.pem`),
    });
    expect(loadPublicKey(readFileSync(join(out, `${String(json.keyid)}.pub.pem`))).algorithm).toBe("ed25519");
  });

  it("generate refuses to write an unencrypted key without --unencrypted (USAGE)", async () => {
    const home = tmp();
    const c = runtime({ BULWARK_HOME: home });
    const e = await rejection(keysGenerate(c.rt, { type: "ecdsa-p256" }));
    expect(e.code).toBe("USAGE");
    expect(e.message).toMatch(/set BULWARK_KEY_PASSWORD .* or pass --unencrypted/);
    expect(existsSync(join(home, "keys"))).toBe(false);

    const ok = runtime({ BULWARK_HOME: home });
    expect(await keysGenerate(ok.rt, { type: "ecdsa-p256", unencrypted: true })).toBe(0);
    expect(ok.stdout()).toMatch(/^encrypted {2}NO$/m);
    const keyid = /^keyid {6}([0-9a-f]{64})$/m.exec(ok.stdout())![1]!;
    expect(readFileSync(join(home, "keys", `${keyid}.key.pem`), "utf8")).toMatch(
      /^-----BEGIN PRIVATE KEY-----/,
    );
  });

  it("generate rejects a bad --type and a bad --format (USAGE)", async () => {
    const c = runtime({ BULWARK_KEY_PASSWORD: PASSWORD });
    expect((await rejection(keysGenerate(c.rt, { type: "rsa" }))).code).toBe("USAGE");
    const s = runtime({ BULWARK_KEY_PASSWORD: PASSWORD }, { format: "sarif" });
    expect((await rejection(keysGenerate(s.rt, {}))).code).toBe("USAGE");
  });

  it("list shows algorithm, created time and revocation status; revoke records it", async () => {
    const home = tmp();
    const env = { BULWARK_HOME: home, BULWARK_KEY_PASSWORD: PASSWORD };
    const ids: string[] = [];
    for (const type of ["ecdsa-p256", "ed25519"]) {
      const g = runtime(env, { format: "json" });
      await keysGenerate(g.rt, { type });
      ids.push((JSON.parse(g.stdout()) as { keyid: string }).keyid);
    }
    const [p256, ed] = ids as [string, string];

    const r = runtime(env, { format: "json" });
    expect(
      await keysRevoke(r.rt, ed.toUpperCase(), { since: "2026-01-01T00:00:00+01:00", reason: "rotated" }),
    ).toBe(0);
    expect(JSON.parse(r.stdout())).toEqual({
      keyid: ed,
      since: "2025-12-31T23:00:00.000Z",
      reason: "rotated",
      revokedAt: at,
    });

    const l = runtime(env, { format: "json" });
    expect(await keysList(l.rt)).toBe(0);
    const listed = JSON.parse(l.stdout()) as { keyid: string; algorithm: string; revoked: unknown }[];
    expect(listed.map((k) => [k.keyid, k.algorithm, k.revoked]).sort()).toEqual(
      [
        [p256, "ecdsa-p256", null],
        [ed, "ed25519", { since: "2025-12-31T23:00:00.000Z", reason: "rotated", revokedAt: at }],
      ].sort(),
    );
    expect(listed[0]).toMatchObject({ created: at, privateKey: expect.stringMatching(/\.key\.pem$/) });

    const t = runtime(env);
    await keysList(t.rt);
    const lines = t.stdout().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^KEYID\s+ALGORITHM\s+CREATED\s+PRIVATE\s+STATUS$/);
    expect(lines.find((l) => l.startsWith(p256))).toMatch(/ecdsa-p256\s+2026-11-18T\S+\s+yes\s+active$/);
    expect(lines.find((l) => l.startsWith(ed))).toMatch(/revoked since 2025-12-31T23:00:00.000Z: rotated$/);
  });

  it("revoke defaults --since to now and warns when an earlier revocation stays in force", async () => {
    const home = tmp();
    const env = { BULWARK_HOME: home, BULWARK_KEY_PASSWORD: PASSWORD };
    const g = runtime(env, { format: "json" });
    await keysGenerate(g.rt, {});
    const { keyid } = JSON.parse(g.stdout()) as { keyid: string };
    await keysRevoke(runtime(env).rt, keyid, { since: "2025-01-01T00:00:00Z", reason: "leaked" });
    const again = runtime(env);
    expect(await keysRevoke(again.rt, keyid, { reason: "rotated" })).toBe(0);
    expect(again.stdout()).toBe(`revoked ${keyid} since ${at}: rotated\n`);
    expect(again.stderr()).toMatch(/already revoked since 2025-01-01T00:00:00.000Z/);
    expect(new KeyStore(join(home, "keys")).list()[0]!.revocation?.reason).toBe("leaked");
  });

  it("revoke: unknown keyid is FILE_NOT_FOUND; bad keyid, --since or missing --reason is USAGE", async () => {
    const home = tmp();
    const env = { BULWARK_HOME: home, BULWARK_KEY_PASSWORD: PASSWORD };
    const g = runtime(env, { format: "json" });
    await keysGenerate(g.rt, {});
    const { keyid } = JSON.parse(g.stdout()) as { keyid: string };
    const rt = runtime(env).rt;
    expect((await rejection(keysRevoke(rt, "c".repeat(64), { reason: "x" }))).code).toBe("FILE_NOT_FOUND");
    expect((await rejection(keysRevoke(rt, "abc", { reason: "x" }))).code).toBe("USAGE");
    expect((await rejection(keysRevoke(rt, keyid, { reason: "  " }))).code).toBe("USAGE");
    expect((await rejection(keysRevoke(rt, keyid, {}))).code).toBe("USAGE");
    const since = await rejection(keysRevoke(rt, keyid, { since: "2025-06-01", reason: "x" }));
    expect(since.code).toBe("USAGE");
    expect(since.message).toMatch(/--since must be an RFC 3339 time/);
    expect(existsSync(join(home, "keys", "revocations.json"))).toBe(false);
  });

  it("list on an empty store prints nothing on stdout, [] in JSON", async () => {
    const home = tmp();
    const t = runtime({ BULWARK_HOME: home });
    expect(await keysList(t.rt)).toBe(0);
    expect(t.stdout()).toBe("");
    expect(t.stderr()).toMatch(/no keys in/);
    const j = runtime({ BULWARK_HOME: home }, { format: "json" });
    await keysList(j.rt);
    expect(j.stdout()).toBe("[]\n");
  });
});

describe("bulwark keys (commander wiring)", () => {
  /** A program with only the keys commands, wired like src/cli/program.ts. */
  async function run(argv: string[], env: NodeJS.ProcessEnv) {
    let out = "";
    let code: ExitCode | undefined;
    const program = new Command("bulwark").exitOverride().option("-f, --format <format>");
    program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
    const action =
      <A extends unknown[]>(body: (rt: Runtime, ...args: A) => Promise<ExitCode>) =>
      async (...args: unknown[]) => {
        const format = program.opts<{ format?: string }>().format;
        const rt = createRuntime(
          { stdout: (t) => (out += t), stderr: (t) => (out += t), isTTY: false, env, cwd: tmpdir() },
          format ? { format } : {},
          undefined,
          "0.0.0-test",
        );
        code = await body(rt, ...(args.slice(0, -1) as A));
      };
    registerKeysCommands(program, action);
    for (const cmd of program.commands.flatMap((c) => [c, ...c.commands]))
      cmd.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
    try {
      await program.parseAsync(["node", "bulwark", ...argv]);
    } catch (e) {
      return { code, out, error: e as { code?: string } };
    }
    return { code, out, error: undefined };
  }

  it("has help with examples for each command", async () => {
    for (const argv of [
      ["keys", "--help"],
      ["keys", "generate", "--help"],
      ["keys", "list", "--help"],
      ["keys", "revoke", "--help"],
    ]) {
      const r = await run(argv, {});
      expect(r.out).toMatch(/Examples:\n {2}\$ .*bulwark keys/);
    }
  });

  it("parses generate, list and revoke into the actions", async () => {
    const home = tmp();
    const env = { BULWARK_HOME: home, BULWARK_KEY_PASSWORD: PASSWORD, SOURCE_DATE_EPOCH: "1795000000" };
    const g = await run(["--format", "json", "keys", "generate", "--type", "ed25519"], env);
    expect(g.code).toBe(0);
    const { keyid } = JSON.parse(g.out.slice(0, g.out.indexOf("}") + 1)) as { keyid: string };
    const r = await run(
      ["keys", "revoke", keyid, "--since", "2026-01-01T00:00:00Z", "--reason", "rotated"],
      env,
    );
    expect(r.code).toBe(0);
    const l = await run(["keys", "list"], env);
    expect(l.out).toContain(`revoked since 2026-01-01T00:00:00.000Z: rotated`);
  });

  it("revoke without --reason and generate with an unknown --type are usage errors", async () => {
    const missing = await run(["keys", "revoke", "a".repeat(64)], {});
    expect(missing.error?.code).toBe("commander.missingMandatoryOptionValue");
    const badType = await run(["keys", "generate", "--type", "rsa"], {});
    expect(badType.error?.code).toBe("commander.invalidArgument");
  });
});
