/**
 * Signing keys: generation, PEM loading and the on-disk key store.
 *
 * Keys are ECDSA P-256 or Ed25519. Private keys are PKCS#8 PEM, encrypted with a password
 * (PBES2, AES-256-CBC) unless the caller explicitly asks for a key in the clear; public keys are
 * SPKI PEM. A key's id is the lowercase hex SHA-256 of its SPKI DER, so the same key has the same
 * id wherever it is stored or however it is encoded.
 *
 * The store is a directory (`<BULWARK_HOME or .bulwark>/keys/`) holding `<keyid>.pub.pem`,
 * `<keyid>.key.pem` (mode 0600) and `revocations.json`, an append-only list rewritten atomically
 * (temporary file + rename) under a lock file.
 */
import {
  closeSync,
  chmodSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { join } from "node:path";
import { BulwarkError } from "../core/index.js";
import { bulwarkHome } from "../store/index.js";
import type { KeyAlgorithm, PublicKeyInfo } from "./types.js";

export const KEY_ALGORITHMS = ["ecdsa-p256", "ed25519"] as const satisfies readonly KeyAlgorithm[];

/** The variable the CLI and {@link loadPrivateKey}'s messages name for the private key's password. */
export const KEY_PASSWORD_VAR = "BULWARK_KEY_PASSWORD";

/** Key files are a few hundred bytes; anything much bigger is not a key. */
const MAX_PEM_BYTES = 64 * 1024;

const KEYID_RE = /^[0-9a-f]{64}$/;

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

export function isKeyid(value: string): boolean {
  return KEYID_RE.test(value);
}

// ------------------------------------------------------------------------------------------------
// Generation

export interface GenerateKeyPairOptions {
  /** Default `ecdsa-p256`. */
  readonly algorithm?: KeyAlgorithm;
  /** Encrypts the private key. Required unless `unencrypted` is true. */
  readonly password?: string;
  /** Write the private key in the clear. MUST be asked for explicitly; contradicts `password`. */
  readonly unencrypted?: boolean;
}

export interface GeneratedKeyPair {
  readonly publicKey: PublicKeyInfo;
  /** PKCS#8 PEM: `ENCRYPTED PRIVATE KEY` unless generated with `unencrypted: true`. */
  readonly privateKeyPem: string;
  readonly encrypted: boolean;
}

/** A fresh key pair. Throws USAGE when neither a password nor `unencrypted: true` is given. */
export function generateKeyPair(options: GenerateKeyPairOptions = {}): GeneratedKeyPair {
  const algorithm = options.algorithm ?? "ecdsa-p256";
  if (!isKeyAlgorithm(algorithm))
    throw new BulwarkError(
      "USAGE",
      `unsupported key type ${JSON.stringify(algorithm)}: use ${KEY_ALGORITHMS.join(" or ")}`,
    );
  const password = options.password === "" ? undefined : options.password;
  if (options.unencrypted && password !== undefined)
    throw new BulwarkError("USAGE", "a password and `unencrypted: true` contradict each other; give one");
  if (!options.unencrypted && password === undefined)
    throw new BulwarkError(
      "USAGE",
      `no password to encrypt the private key with: set ${KEY_PASSWORD_VAR}, or ask for an unencrypted key explicitly`,
    );

  const { privateKey } =
    algorithm === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const privateKeyPem =
    password === undefined
      ? (privateKey.export({ type: "pkcs8", format: "pem" }) as string)
      : (privateKey.export({
          type: "pkcs8",
          format: "pem",
          cipher: "aes-256-cbc",
          passphrase: password,
        }) as string);
  return { publicKey: publicKeyInfoOf(createPublicKey(privateKey)), privateKeyPem, encrypted: !!password };
}

// ------------------------------------------------------------------------------------------------
// Loading

export interface LoadedPrivateKey {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: PublicKeyInfo;
  /** The parsed key; opaque (it never prints its material). */
  readonly key: KeyObject;
  readonly encrypted: boolean;
}

export interface LoadKeyOptions {
  /** What the PEM is, for messages: a file path or e.g. `$BULWARK_SIGNING_KEY`. Default: `file`. */
  readonly source?: string;
  /** The file the PEM was read from, for the error location. */
  readonly file?: string;
}

/**
 * Parses a PKCS#8 PEM private key, decrypting it with `password` when it is encrypted.
 * Throws USAGE for an encrypted key without a password, INPUT_INVALID for a wrong password, a
 * text that is not a PKCS#8 private key, or a key type other than ECDSA P-256 and Ed25519.
 */
export function loadPrivateKey(
  pem: string | Uint8Array,
  password?: string,
  options: LoadKeyOptions = {},
): LoadedPrivateKey {
  const source = options.source ?? options.file ?? "the private key";
  const text = pemText(pem, source, options);
  const label = singlePemLabel(text, source, options);
  const encrypted = label === "ENCRYPTED PRIVATE KEY";
  if (label !== "PRIVATE KEY" && !encrypted) throw notPrivateKey(label, source, options);
  if (encrypted && (password === undefined || password === ""))
    throw new BulwarkError(
      "USAGE",
      `${source} is encrypted: set ${KEY_PASSWORD_VAR} to its password`,
      locationOf(options),
    );

  let key: KeyObject;
  try {
    key = createPrivateKey(
      encrypted ? { key: text, format: "pem", passphrase: password! } : { key: text, format: "pem" },
    );
  } catch (e) {
    throw new BulwarkError(
      "INPUT_INVALID",
      encrypted
        ? `cannot decrypt ${source}: wrong password (or the key is damaged)`
        : `${source} is not a valid PKCS#8 private key`,
      { cause: e, ...locationOf(options) },
    );
  }
  const algorithm = algorithmOf(key, source, options);
  return { algorithm, publicKey: publicKeyInfoOf(createPublicKey(key)), key, encrypted };
}

/** Parses an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`); certificates are not accepted. */
export function loadPublicKey(pem: string | Uint8Array, options: LoadKeyOptions = {}): PublicKeyInfo {
  return parsePublicKey(pem, options).info;
}

/** {@link loadPublicKey} plus the parsed key, for verifiers that keep it. */
export function parsePublicKey(
  pem: string | Uint8Array,
  options: LoadKeyOptions = {},
): { readonly info: PublicKeyInfo; readonly key: KeyObject } {
  const source = options.source ?? options.file ?? "the public key";
  const text = pemText(pem, source, options);
  const label = singlePemLabel(text, source, options);
  if (label !== "PUBLIC KEY") {
    const hint =
      label === "CERTIFICATE"
        ? "; certificates are not accepted, extract the key with `openssl x509 -pubkey -noout`"
        : label.endsWith("PRIVATE KEY")
          ? "; this is a private key, give its public key (<keyid>.pub.pem)"
          : "";
    throw new BulwarkError(
      "INPUT_INVALID",
      `${source} is a PEM ${JSON.stringify(label)}, not an SPKI public key (PUBLIC KEY)${hint}`,
      locationOf(options),
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: "pem" });
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${source} is not a valid SPKI public key`, {
      cause: e,
      ...locationOf(options),
    });
  }
  algorithmOf(key, source, options);
  return { info: publicKeyInfoOf(key), key };
}

/**
 * The key id: lowercase hex SHA-256 of the SPKI DER. Takes a key object (a private key stands for
 * its public key), an SPKI PEM, or SPKI DER bytes; the key is re-encoded first, so every encoding
 * of one key has one id.
 */
export function keyidOf(key: KeyObject | string | Uint8Array): string {
  let object: KeyObject;
  if (typeof key === "string") object = parsePublicKey(key).key;
  else if (key instanceof Uint8Array) {
    try {
      object = createPublicKey({ key: Buffer.from(key), format: "der", type: "spki" });
    } catch (e) {
      throw new BulwarkError("INPUT_INVALID", "the bytes are not an SPKI DER public key", { cause: e });
    }
  } else object = key.type === "private" ? createPublicKey(key) : key;
  return sha256Hex(object.export({ type: "spki", format: "der" }));
}

function publicKeyInfoOf(key: KeyObject): PublicKeyInfo {
  return {
    keyid: sha256Hex(key.export({ type: "spki", format: "der" })),
    algorithm: algorithmOf(key, "the key"),
    pem: key.export({ type: "spki", format: "pem" }) as string,
  };
}

function algorithmOf(key: KeyObject, source: string, options: LoadKeyOptions = {}): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return "ed25519";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === "ec" && curve === "prime256v1") return "ecdsa-p256";
  const what = type === "ec" ? `ECDSA on curve ${curve ?? "unknown"}` : (type ?? "unknown");
  throw new BulwarkError(
    "INPUT_INVALID",
    `${source} is an unsupported key type (${what}): Bulwark keys are ${KEY_ALGORITHMS.join(" or ")}`,
    locationOf(options),
  );
}

function pemText(pem: string | Uint8Array, source: string, options: LoadKeyOptions): string {
  const size = typeof pem === "string" ? Buffer.byteLength(pem) : pem.byteLength;
  if (size > MAX_PEM_BYTES)
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `${source} is ${size} bytes; a PEM key is at most ${MAX_PEM_BYTES}`,
      locationOf(options),
    );
  return typeof pem === "string" ? pem : Buffer.from(pem).toString("utf8");
}

/** The label of the one PEM block in `text`; a key file holding several blocks is ambiguous. */
function singlePemLabel(text: string, source: string, options: LoadKeyOptions): string {
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]!);
  if (labels.length === 0)
    throw new BulwarkError(
      "INPUT_INVALID",
      `${source} is not PEM (no -----BEGIN …----- line)`,
      locationOf(options),
    );
  if (labels.length > 1)
    throw new BulwarkError(
      "INPUT_INVALID",
      `${source} holds ${labels.length} PEM blocks (${labels.join(", ")}); a key file holds exactly one`,
      locationOf(options),
    );
  return labels[0]!;
}

function notPrivateKey(label: string, source: string, options: LoadKeyOptions): BulwarkError {
  const hint =
    label === "EC PRIVATE KEY"
      ? "; convert the SEC1 key with `openssl pkcs8 -topk8 -in KEY -out KEY.pkcs8.pem`"
      : label === "PUBLIC KEY"
        ? "; this is a public key, a private key is needed to sign"
        : "";
  return new BulwarkError(
    "INPUT_INVALID",
    `${source} is a PEM ${JSON.stringify(label)}, not a PKCS#8 private key (PRIVATE KEY or ENCRYPTED PRIVATE KEY)${hint}`,
    locationOf(options),
  );
}

function locationOf(options: LoadKeyOptions): { location?: { file: string } } {
  return options.file ? { location: { file: options.file } } : {};
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

// ------------------------------------------------------------------------------------------------
// Revocations

/** One entry of `revocations.json`. Times are RFC 3339 in UTC. */
export interface Revocation {
  readonly keyid: string;
  /** Signatures dated at or after this time are invalid. */
  readonly since: string;
  readonly reason: string;
  /** When the revocation was recorded. */
  readonly revokedAt: string;
}

/**
 * An RFC 3339 date-time (`2025-01-02T03:04:05Z`, `…05.123+02:00`): seconds and an offset are
 * required, the fields must exist in the calendar. Undefined for anything else.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(
    text,
  );
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day
  )
    return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
  const at = new Date(text.toUpperCase());
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** Validates the text of `revocations.json`; fails closed on any malformed entry. */
export function parseRevocations(text: string, file?: string): Revocation[] {
  const where = file ? { location: { file } } : {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `revocation list is not valid JSON: ${(e as Error).message}`, {
      cause: e,
      ...where,
    });
  }
  if (!Array.isArray(value))
    throw new BulwarkError("INPUT_INVALID", "revocation list must be a JSON array", where);
  return value.map((entry: unknown, i): Revocation => {
    const bad = (why: string) =>
      new BulwarkError("INPUT_INVALID", `revocation [${i}] ${why}`, {
        location: { ...where.location, path: `[${i}]` },
      });
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) throw bad("must be an object");
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!["keyid", "since", "reason", "revokedAt"].includes(key)) throw bad(`has unknown field ${key}`);
    if (typeof e.keyid !== "string" || !isKeyid(e.keyid)) throw bad("keyid must be 64 lowercase hex");
    for (const field of ["since", "revokedAt"] as const) {
      const v = e[field];
      if (typeof v !== "string" || !parseRfc3339(v)) throw bad(`${field} must be an RFC 3339 time`);
    }
    if (typeof e.reason !== "string" || e.reason.trim() === "")
      throw bad("reason must be a non-empty string");
    return {
      keyid: e.keyid,
      since: e.since as string,
      reason: e.reason,
      revokedAt: e.revokedAt as string,
    };
  });
}

/**
 * The effective revocation of each key: a key revoked more than once is revoked from the earliest
 * `since` (a later entry can tighten a revocation, never loosen it).
 */
export function effectiveRevocations(revocations: readonly Revocation[]): Map<string, Revocation> {
  const out = new Map<string, Revocation>();
  for (const r of revocations) {
    const prev = out.get(r.keyid);
    if (!prev || revokedSince(r) < revokedSince(prev)) out.set(r.keyid, r);
  }
  return out;
}

/** A revocation's `since` in epoch milliseconds; INPUT_INVALID when it is not RFC 3339. */
export function revokedSince(r: Revocation): number {
  const at = parseRfc3339(r.since);
  if (!at)
    throw new BulwarkError(
      "INPUT_INVALID",
      `revocation of ${r.keyid}: since must be an RFC 3339 time, got ${JSON.stringify(r.since)}`,
    );
  return at.getTime();
}

// ------------------------------------------------------------------------------------------------
// Store

export interface StoredKey {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: PublicKeyInfo;
  readonly publicKeyPath: string;
  /** Absent for a public key trusted without its private half. */
  readonly privateKeyPath: string | undefined;
  /** The public key file's modification time, set to the generation time. */
  readonly created: Date;
  readonly revocation: Revocation | undefined;
  /** Not valid after this time (set at generation with `--expires`), if any. */
  readonly expires: Date | undefined;
}

export interface WrittenKeyPair {
  readonly keyid: string;
  readonly publicKeyPath: string;
  readonly privateKeyPath: string;
}

export const REVOCATIONS_FILE = "revocations.json";

/** The key store under `BULWARK_HOME` (or `./.bulwark`): `<home>/keys`. */
export function defaultKeyStore(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): KeyStore {
  return new KeyStore(join(bulwarkHome(env, cwd), "keys"));
}

/**
 * A directory of keys. Files are never overwritten: a key id is a content hash, so a second write
 * of the same key is a bug. Reads fail closed: a public key file whose content does not match the
 * key id in its name is INPUT_INVALID.
 */
export class KeyStore {
  constructor(readonly dir: string) {}

  publicKeyPath(keyid: string): string {
    return join(this.dir, `${keyid}.pub.pem`);
  }

  privateKeyPath(keyid: string): string {
    return join(this.dir, `${keyid}.key.pem`);
  }

  get revocationsPath(): string {
    return join(this.dir, REVOCATIONS_FILE);
  }

  /** Writes `<keyid>.pub.pem` (0644) and `<keyid>.key.pem` (0600); `created` becomes their mtime. */
  write(pair: GeneratedKeyPair, created: Date): WrittenKeyPair {
    const { keyid } = pair.publicKey;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const publicKeyPath = this.publicKeyPath(keyid);
    const privateKeyPath = this.privateKeyPath(keyid);
    writeNew(privateKeyPath, pair.privateKeyPem, 0o600);
    writeNew(publicKeyPath, pair.publicKey.pem, 0o644);
    for (const path of [privateKeyPath, publicKeyPath]) utimesSync(path, created, created);
    return { keyid, publicKeyPath, privateKeyPath };
  }

  has(keyid: string): boolean {
    return existsSync(this.publicKeyPath(keyid)) || existsSync(this.privateKeyPath(keyid));
  }

  /** The public key `keyid`, checked against its file name. */
  publicKey(keyid: string): PublicKeyInfo {
    const path = this.publicKeyPath(keyid);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new BulwarkError("FILE_NOT_FOUND", `no public key ${keyid} in ${this.dir}`, { cause: e });
    }
    const info = loadPublicKey(text, { file: path });
    if (info.keyid !== keyid)
      throw new BulwarkError(
        "INPUT_INVALID",
        `${path} holds key ${info.keyid}, not the key its name says; the store was altered`,
        { location: { file: path } },
      );
    return info;
  }

  /** Keys with a public key file, oldest first. */
  list(): StoredKey[] {
    if (!existsSync(this.dir)) return [];
    const revoked = effectiveRevocations(this.revocations());
    const keys: StoredKey[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      const m = /^([0-9a-f]{64})\.pub\.pem$/.exec(name);
      if (!m) continue;
      const keyid = m[1]!;
      const publicKey = this.publicKey(keyid);
      const privateKeyPath = this.privateKeyPath(keyid);
      keys.push({
        keyid,
        algorithm: publicKey.algorithm,
        publicKey,
        publicKeyPath: this.publicKeyPath(keyid),
        privateKeyPath: existsSync(privateKeyPath) ? privateKeyPath : undefined,
        created: statSync(this.publicKeyPath(keyid)).mtime,
        revocation: revoked.get(keyid),
        expires: this.expiry(keyid),
      });
    }
    return keys.sort((a, b) => a.created.getTime() - b.created.getTime() || a.keyid.localeCompare(b.keyid));
  }

  /** Records that the key is not valid after `expires` (`<keyid>.meta.json`, written once). */
  setExpiry(keyid: string, expires: Date): void {
    writeNew(
      join(this.dir, `${keyid}.meta.json`),
      `${JSON.stringify({ expires: expires.toISOString() })}\n`,
      0o644,
    );
  }

  /** The key's expiry, when one was set; a malformed meta file is an error, never ignored. */
  expiry(keyid: string): Date | undefined {
    const path = join(this.dir, `${keyid}.meta.json`);
    if (!existsSync(path)) return undefined;
    let meta: { expires?: unknown };
    try {
      meta = JSON.parse(readFileSync(path, "utf8")) as { expires?: unknown };
    } catch (e) {
      throw new BulwarkError("INPUT_INVALID", `${path} is not valid JSON`, {
        location: { file: path },
        cause: e,
      });
    }
    const at = typeof meta.expires === "string" ? parseRfc3339(meta.expires) : undefined;
    if (!at)
      throw new BulwarkError("INPUT_INVALID", `${path}: expires must be an RFC 3339 time`, {
        location: { file: path },
      });
    return at;
  }

  /** Every key's expiry, by key id. */
  expiries(): Map<string, Date> {
    const out = new Map<string, Date>();
    for (const k of this.list()) if (k.expires) out.set(k.keyid, k.expires);
    return out;
  }

  /** The recorded revocations (empty when there is no revocation list). */
  revocations(): Revocation[] {
    const path = this.revocationsPath;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new BulwarkError("INPUT_INVALID", `cannot read the revocation list ${path}`, { cause: e });
    }
    return parseRevocations(text, path);
  }

  /**
   * Records a revocation of a key in this store (FILE_NOT_FOUND otherwise). The list is appended
   * to under a lock and replaced atomically, so a crash or a concurrent revocation never loses an
   * entry.
   */
  revoke(input: { keyid: string; since: Date; reason: string }, now: Date): Revocation {
    if (!this.has(input.keyid))
      throw new BulwarkError(
        "FILE_NOT_FOUND",
        `no key ${input.keyid} in ${this.dir} (see \`bulwark keys list\`)`,
      );
    if (input.reason.trim() === "") throw new BulwarkError("USAGE", "a revocation needs a reason");
    if (Number.isNaN(input.since.getTime())) throw new BulwarkError("USAGE", "invalid revocation time");
    const entry: Revocation = {
      keyid: input.keyid,
      since: input.since.toISOString(),
      reason: input.reason,
      revokedAt: now.toISOString(),
    };
    withLock(`${this.revocationsPath}.lock`, () => {
      const list = [...this.revocations(), entry];
      writeFileAtomic(this.revocationsPath, `${JSON.stringify(list, null, 2)}\n`, 0o644);
    });
    return entry;
  }
}

function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new BulwarkError("USAGE", `${path} already exists; not overwriting a key`, { cause: e });
    throw e;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The umask can only remove bits; make the mode exact either way.
  chmodSync(path, mode);
}

/** Writes `path` through a temporary file in the same directory and a rename. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", mode);
  try {
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

const LOCK_WAIT_MS = 5_000;
const LOCK_STALE_MS = 30_000;

function withLock<T>(lockPath: string, body: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lockPath, "wx", 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A lock left by a crashed process must not block revocations forever.
      const age = lockAge(lockPath);
      if (age !== undefined && age > LOCK_STALE_MS) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new BulwarkError(
          "STORE_UNAVAILABLE",
          `${lockPath} is held by another process; try again (or remove it if no bulwark is running)`,
        );
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function lockAge(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
