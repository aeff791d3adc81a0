/**
 * Legacy in-toto metadata (the v0.9 "link" and "layout" files the reference implementation
 * `in-toto-run`, `in-toto-record` and `in-toto-sign` write) and supply-chain verification as
 * `in-toto-verify` does it (in-toto 1.3.1, `in_toto/verifylib.py` `in_toto_verify`).
 *
 * What has to match the reference tool byte for byte:
 *
 * - the signed bytes: securesystemslib's canonical JSON (OLPC dialect: keys sorted by code point,
 *   no whitespace, only `"` and `\` escaped, integers only) of the *model* the reference tool
 *   builds from the file (`attr.asdict(Link)` / `attr.asdict(Layout)`): unknown fields are dropped,
 *   missing ones take the model's defaults;
 * - key ids: SHA-256 of the canonical public key dict `{keytype, scheme, keyid_hash_algorithms,
 *   keyval: {public}}`;
 * - artifact rules: the queue semantics of `verify_item_rules` and Python's `fnmatch` globbing
 *   (`*` also matches `/`), including the path joining of `MATCH … IN <prefix>`.
 *
 * What Bulwark does not do, and fails closed on instead: running inspections (it never executes
 * commands from a layout), sublayouts, GPG keys and signatures, MD5/SHA-1 RSA schemes. Where the
 * reference tool would crash on malformed input Bulwark throws too; where it is lenient in ways
 * that could hide tampering (duplicate JSON keys) Bulwark is stricter. docs/intoto-layouts.md lists
 * both.
 */
import { createHash, createPublicKey, constants, type KeyObject, verify as cryptoVerify } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BulwarkError, type Clock, DEFAULT_LIMITS, type Limits, type SourceLocation } from "../core/index.js";

// ------------------------------------------------------------------------------------------------
// JSON as Python's json module reads it

/** A JSON number with a fraction or exponent (or NaN/Infinity): Python reads it as a float. */
export class LegacyFloat {
  constructor(readonly text: string) {}
}

export type LegacyJson = null | boolean | string | bigint | LegacyFloat | LegacyJson[] | LegacyJsonObject;
export interface LegacyJsonObject {
  [key: string]: LegacyJson;
}

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
const WS = new Set([" ", "\t", "\n", "\r"]);

/**
 * Parses JSON the way Python's `json.load` does, keeping what canonical JSON depends on:
 * integers stay exact (`bigint`), floats are kept apart ({@link LegacyFloat}), `NaN` and
 * `Infinity` are accepted (as floats). Objects have no prototype. Stricter than Python in one
 * point: a duplicate key is an error (Python keeps the last one silently).
 *
 * @throws BulwarkError INPUT_INVALID (or INPUT_TOO_DEEP) naming the file, line and column.
 */
export function parseLegacyJson(
  input: string | Uint8Array,
  file?: string,
  limits: Pick<Limits, "maxDepth"> = DEFAULT_LIMITS,
): LegacyJson {
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
    } catch (e) {
      throw new BulwarkError("INPUT_INVALID", `${file ?? "<input>"} is not UTF-8`, {
        ...(file ? { location: { file } } : {}),
        cause: e,
      });
    }
  }
  return new JsonReader(text, file, limits.maxDepth).document();
}

class JsonReader {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly file: string | undefined,
    private readonly maxDepth: number,
  ) {}

  document(): LegacyJson {
    this.ws();
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail("extra data after the JSON value");
    return v;
  }

  private fail(message: string, code: "INPUT_INVALID" | "INPUT_TOO_DEEP" = "INPUT_INVALID"): never {
    const before = this.s.slice(0, this.i);
    const line = before.split("\n").length;
    const column = this.i - before.lastIndexOf("\n");
    const location: SourceLocation = { ...(this.file ? { file: this.file } : {}), line, column };
    throw new BulwarkError(code, `${this.file ?? "<input>"}: not valid JSON: ${message}`, { location });
  }

  private ws(): void {
    while (this.i < this.s.length && WS.has(this.s[this.i]!)) this.i++;
  }

  private literal(word: string): boolean {
    if (this.s.startsWith(word, this.i)) {
      this.i += word.length;
      return true;
    }
    return false;
  }

  private value(depth: number): LegacyJson {
    if (depth > this.maxDepth) this.fail(`nested deeper than ${this.maxDepth}`, "INPUT_TOO_DEEP");
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (this.literal("true")) return true;
    if (this.literal("false")) return false;
    if (this.literal("null")) return null;
    if (this.literal("NaN")) return new LegacyFloat("NaN");
    if (this.literal("Infinity")) return new LegacyFloat("Infinity");
    if (this.literal("-Infinity")) return new LegacyFloat("-Infinity");
    NUMBER_RE.lastIndex = this.i;
    const m = NUMBER_RE.exec(this.s);
    if (!m) this.fail(c === undefined ? "unexpected end of input" : `unexpected ${JSON.stringify(c)}`);
    this.i += m[0].length;
    return m[1] === undefined && m[2] === undefined ? BigInt(m[0]) : new LegacyFloat(m[0]);
  }

  private object(depth: number): LegacyJsonObject {
    const out: LegacyJsonObject = Object.create(null) as LegacyJsonObject;
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.s[this.i] !== '"') this.fail("expected a property name in double quotes");
      const keyAt = this.i;
      const key = this.string();
      if (Object.hasOwn(out, key)) {
        this.i = keyAt;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.ws();
      if (this.s[this.i] !== ":") this.fail("expected ':'");
      this.i++;
      this.ws();
      out[key] = this.value(depth + 1);
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === "}") return out;
      if (c !== ",") {
        this.i--;
        this.fail("expected ',' or '}'");
      }
      this.ws();
    }
  }

  private array(depth: number): LegacyJson[] {
    const out: LegacyJson[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === "]") return out;
      if (c !== ",") {
        this.i--;
        this.fail("expected ',' or ']'");
      }
      this.ws();
    }
  }

  private string(): string {
    let out = "";
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail("unterminated string");
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c < " ") this.fail("control character in a string");
      if (c !== "\\") {
        out += c;
        this.i++;
        continue;
      }
      const e = this.s[this.i + 1];
      this.i += 2;
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = this.s.slice(this.i, this.i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 4;
          break;
        }
        default:
          this.i -= 2;
          this.fail("bad escape");
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Canonical JSON (securesystemslib.formats.encode_canonical)

/** Orders strings by code point, as Python's `sorted` does (UTF-16 order differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * securesystemslib's `encode_canonical` (OLPC canonical JSON): object keys sorted by code point,
 * no whitespace, strings with only `\` and `"` escaped (control characters and non-ASCII are
 * written as they are), integers in decimal, no floats. JS numbers are accepted when they are
 * safe integers.
 *
 * @throws BulwarkError INPUT_INVALID for a float, which securesystemslib cannot encode either.
 */
export function canonicalizeLegacy(value: LegacyJson | number): string {
  const out: string[] = [];
  writeCanonical(value, out);
  return out.join("");
}

/** {@link canonicalizeLegacy} as the UTF-8 bytes that get signed. */
export function canonicalLegacyBytes(value: LegacyJson | number): Uint8Array {
  const text = canonicalizeLegacy(value);
  if (LONE_SURROGATE.test(text))
    throw new BulwarkError("INPUT_INVALID", "canonical JSON: a string holds a lone surrogate (not UTF-8)");
  return new Uint8Array(Buffer.from(text, "utf8"));
}

function canonicalString(s: string): string {
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function writeCanonical(value: LegacyJson | number | undefined, out: string[]): void {
  if (value === null) out.push("null");
  else if (value === true) out.push("true");
  else if (value === false) out.push("false");
  else if (typeof value === "string") out.push(canonicalString(value));
  else if (typeof value === "bigint") out.push(value.toString());
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new BulwarkError("INPUT_INVALID", `canonical JSON cannot encode the number ${value}`);
    out.push(String(value));
  } else if (value instanceof LegacyFloat)
    throw new BulwarkError(
      "INPUT_INVALID",
      `canonical JSON cannot encode the float ${value.text} (securesystemslib allows integers only)`,
    );
  else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      writeCanonical(item, out);
    });
    out.push("]");
  } else if (typeof value === "object") {
    out.push("{");
    Object.keys(value)
      .sort(compareCodePoints)
      .forEach((key, i) => {
        if (i > 0) out.push(",");
        out.push(canonicalString(key), ":");
        writeCanonical(value[key], out);
      });
    out.push("}");
  } else throw new BulwarkError("INPUT_INVALID", `canonical JSON cannot encode ${String(value)}`);
}

// ------------------------------------------------------------------------------------------------
// Keys (securesystemslib key dicts)

/** The hash algorithms securesystemslib names in every public key dict it hashes for a key id. */
const KEYID_HASH_ALGORITHMS = ["sha256", "sha512"] as const;

const HEX_RE = /^[0-9a-fA-F]+$/;

/** A public key as securesystemslib describes it; `keyid` as the layout or key file gives it. */
export interface InTotoKey {
  readonly keyid: string;
  readonly keytype: string;
  readonly scheme: string;
  /** `keyval.public`: hex for ed25519, PEM for ecdsa and rsa. */
  readonly public: string;
}

/**
 * The key id securesystemslib computes (`keys._get_keyid`): lowercase hex SHA-256 of the
 * canonical JSON of `{keytype, scheme, keyid_hash_algorithms: ["sha256","sha512"], keyval:
 * {public}}`.
 */
export function inTotoKeyid(keytype: string, scheme: string, publicValue: string): string {
  const meta = {
    keytype,
    scheme,
    keyid_hash_algorithms: [...KEYID_HASH_ALGORITHMS],
    keyval: { public: publicValue },
  } satisfies LegacyJsonObject;
  return createHash("sha256").update(canonicalLegacyBytes(meta)).digest("hex");
}

const PEM_PUBLIC_HEADER = "-----BEGIN PUBLIC KEY-----";
const PEM_PUBLIC_FOOTER = "-----END PUBLIC KEY-----";

/**
 * Reads a public key file as the reference tools write them: `in-toto-keygen -t ed25519|ecdsa`
 * writes securesystemslib JSON (`{"keytype", "scheme", "keyval": {"public"}}`), `-t rsa` (the
 * default) a PEM `PUBLIC KEY`, which in-toto reads as an RSA key with scheme `rsassa-pss-sha256`.
 * The key id is computed, never taken from the file. Private key files are refused.
 *
 * @throws BulwarkError INPUT_INVALID for anything else, or a key Bulwark cannot verify with.
 */
export function parseInTotoPublicKey(input: string | Uint8Array, file?: string): InTotoKey {
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  const where = file ?? "the key";
  const loc = file ? { location: { file } } : {};
  let key: InTotoKey;
  if (text.trimStart().startsWith("{")) {
    const doc = parseLegacyJson(text, file);
    if (!isObject(doc) || typeof doc["keytype"] !== "string" || typeof doc["scheme"] !== "string")
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where}: not a securesystemslib key (needs keytype, scheme, keyval)`,
        loc,
      );
    const keyval = doc["keyval"];
    if (!isObject(keyval) || typeof keyval["public"] !== "string")
      throw new BulwarkError("INPUT_INVALID", `${where}: keyval.public must be a string`, loc);
    const priv = keyval["private"];
    if (priv !== undefined && priv !== "")
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where} is a private key: give the public key (the .pub file in-toto-keygen writes)`,
        loc,
      );
    key = {
      keyid: inTotoKeyid(doc["keytype"], doc["scheme"], keyval["public"]),
      keytype: doc["keytype"],
      scheme: doc["scheme"],
      public: keyval["public"],
    };
  } else {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where} is a private key: give the public key (the .pub file in-toto-keygen writes)`,
        loc,
      );
    const start = text.indexOf(PEM_PUBLIC_HEADER);
    const end = start < 0 ? -1 : text.indexOf(PEM_PUBLIC_FOOTER, start + PEM_PUBLIC_HEADER.length);
    if (end < 0)
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where}: neither a securesystemslib JSON key nor a PEM "PUBLIC KEY"`,
        loc,
      );
    const pem = text.slice(start, end + PEM_PUBLIC_FOOTER.length).replaceAll("\r\n", "\n");
    const type = keyObject(pem, where).asymmetricKeyType;
    if (type !== "rsa")
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where}: a PEM public key is read as RSA (rsassa-pss-sha256), as in-toto-verify does, but this is an ${type} key; give ${type === "ed25519" ? "Ed25519" : "ECDSA"} keys in securesystemslib JSON as in-toto-keygen writes them`,
        loc,
      );
    const scheme = "rsassa-pss-sha256";
    key = { keyid: inTotoKeyid("rsa", scheme, pem), keytype: "rsa", scheme, public: pem };
  }
  verifierOf(key, where);
  return key;
}

function keyObject(pem: string, where: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${where}: the public key does not parse`, { cause: e });
  }
}

type SignatureCheck = (signature: Uint8Array, data: Uint8Array) => boolean;

const ECDSA_HASH: Readonly<Record<string, string>> = {
  "ecdsa-sha2-nistp256": "sha256",
  "ecdsa-sha2-nistp384": "sha384",
};
const RSA_SCHEME_RE = /^(rsassa-pss|rsa-pkcs1v15)-(sha224|sha256|sha384|sha512)$/;

/**
 * How securesystemslib `keys.verify_signature` checks a signature with this key. Throws where
 * it raises (malformed key material: the reference tool aborts); returns false where it does.
 */
function verifierOf(key: InTotoKey, where: string): SignatureCheck {
  const unsupported = () =>
    new BulwarkError(
      "VERIFICATION_FAILED",
      `${where}: key ${key.keyid} has keytype ${JSON.stringify(key.keytype)} and scheme ${JSON.stringify(key.scheme)}, which Bulwark does not verify (supported: ed25519, ecdsa-sha2-nistp256/384, rsassa-pss-sha224…512, rsa-pkcs1v15-sha224…512)`,
    );
  if (key.keytype === "ed25519") {
    if (key.scheme !== "ed25519") throw unsupported();
    if (!/^(?:[0-9a-fA-F]{2}){32}$/.test(key.public))
      throw new BulwarkError(
        "INPUT_INVALID",
        `${where}: ed25519 key ${key.keyid} must be 32 bytes in hex, got ${JSON.stringify(key.public.slice(0, 80))}`,
      );
    const pub = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(key.public, "hex").toString("base64url") },
      format: "jwk",
    });
    return (sig, data) => {
      if (sig.length !== 64)
        throw new BulwarkError(
          "INPUT_INVALID",
          `${where}: an ed25519 signature is 64 bytes, got ${sig.length} (by key ${key.keyid})`,
        );
      return safeVerify(null, data, pub, sig);
    };
  }
  if (["ecdsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"].includes(key.keytype)) {
    const hash = ECDSA_HASH[key.scheme];
    if (!hash) throw unsupported();
    const pub = keyObject(key.public, `${where}: key ${key.keyid}`);
    if (pub.asymmetricKeyType !== "ec")
      throw new BulwarkError("INPUT_INVALID", `${where}: key ${key.keyid} is not an ECDSA key`);
    return (sig, data) => safeVerify(hash, data, { key: pub, dsaEncoding: "der" }, sig);
  }
  if (key.keytype === "rsa") {
    const m = RSA_SCHEME_RE.exec(key.scheme);
    if (!m) throw unsupported();
    const pub = keyObject(key.public, `${where}: key ${key.keyid}`);
    if (pub.asymmetricKeyType !== "rsa")
      throw new BulwarkError("INPUT_INVALID", `${where}: key ${key.keyid} is not an RSA key`);
    const padding =
      m[1] === "rsassa-pss"
        ? // securesystemslib verifies PSS with salt_length=AUTO: any salt length.
          { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
        : { padding: constants.RSA_PKCS1_PADDING };
    return (sig, data) => safeVerify(m[2]!, data, { key: pub, ...padding }, sig);
  }
  throw unsupported();
}

function safeVerify(
  hash: string | null,
  data: Uint8Array,
  key: Parameters<typeof cryptoVerify>[2],
  sig: Uint8Array,
): boolean {
  try {
    return cryptoVerify(hash, data, key, sig);
  } catch {
    // A malformed DER signature is simply not a valid signature (as for pyca/cryptography).
    return false;
  }
}

// ------------------------------------------------------------------------------------------------
// Metadata model (in_toto.models)

export type InTotoSignature =
  | { readonly kind: "securesystemslib"; readonly keyid: string; readonly sig: string }
  | { readonly kind: "gpg"; readonly keyid: string };

/** A hash dict: algorithm → hex digest. */
export type HashDict = Readonly<Record<string, string>>;
export type Artifacts = ReadonlyMap<string, HashDict>;

export interface InTotoLink {
  readonly type: "link";
  readonly name: LegacyJson;
  readonly materials: Artifacts;
  readonly products: Artifacts;
  readonly command: readonly LegacyJson[];
  readonly byproducts: LegacyJsonObject;
}

export type ArtifactRule =
  | {
      readonly type: "match";
      readonly pattern: string;
      readonly sourcePrefix: string;
      readonly destPrefix: string;
      readonly destType: "materials" | "products";
      readonly destName: string;
      readonly text: string;
    }
  | {
      readonly type: "create" | "delete" | "modify" | "allow" | "disallow" | "require";
      readonly pattern: string;
      readonly text: string;
    };

export interface InTotoStep {
  readonly name: string;
  readonly threshold: number;
  readonly pubkeys: readonly string[];
  readonly expectedCommand: readonly LegacyJson[];
  readonly expectedMaterials: readonly ArtifactRule[];
  readonly expectedProducts: readonly ArtifactRule[];
}

export interface InTotoInspection {
  readonly name: string;
  readonly run: readonly LegacyJson[];
}

export interface InTotoLayout {
  readonly type: "layout";
  readonly steps: readonly InTotoStep[];
  readonly inspect: readonly InTotoInspection[];
  /** Functionary keys as the layout gives them, by key id; checked when used. */
  readonly keys: Readonly<Record<string, LegacyJson>>;
  readonly expires: string;
  readonly readme: string;
}

/** A signed metadata file: `{"signed": …, "signatures": [{"keyid", "sig"}]}`. */
export interface InTotoMetablock {
  readonly signed: InTotoLink | InTotoLayout;
  readonly signatures: readonly InTotoSignature[];
  /** The bytes the signatures are over: canonical JSON of the reference tool's model. */
  readonly signable: Uint8Array;
  readonly file?: string;
}

function isObject(v: LegacyJson | undefined): v is LegacyJsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof LegacyFloat);
}

function isHex(v: LegacyJson | undefined): v is string {
  return typeof v === "string" && HEX_RE.test(v);
}

/** `kwargs.get(key, default)`: a present key wins, even when its value is null. */
function field(obj: LegacyJsonObject, key: string, dflt: LegacyJson): LegacyJson {
  return Object.hasOwn(obj, key) ? obj[key]! : dflt;
}

function describe(v: LegacyJson | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof LegacyFloat) return `the float ${v.text}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "bigint") return `the integer ${v}`;
  return JSON.stringify(v);
}

class ModelReader {
  constructor(private readonly file: string | undefined) {}

  fail(path: string, message: string): never {
    throw new BulwarkError(
      "INPUT_INVALID",
      `${this.file ?? "<metadata>"}: ${path ? `${path}: ` : ""}${message}`,
      { ...(this.file ? { location: { file: this.file, path } } : {}) },
    );
  }

  /** Python's `Model(**data)` rejects a `self` key (it collides with the method's own argument). */
  kwargs(v: LegacyJson | undefined, path: string): LegacyJsonObject {
    if (!isObject(v)) this.fail(path, `must be an object, got ${describe(v)}`);
    if (Object.hasOwn(v, "self")) this.fail(path, `a field named "self" cannot be loaded`);
    return v;
  }

  list(v: LegacyJson, path: string): LegacyJson[] {
    if (!Array.isArray(v)) this.fail(path, `must be a list, got ${describe(v)}`);
    return v;
  }

  artifacts(v: LegacyJson, path: string): Artifacts {
    if (!isObject(v)) this.fail(path, `must be an object of hash dicts, got ${describe(v)}`);
    const out = new Map<string, HashDict>();
    for (const [name, hashes] of Object.entries(v)) {
      if (!isObject(hashes)) this.fail(`${path}.${name}`, `must be a hash dict, got ${describe(hashes)}`);
      const dict: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [alg, digest] of Object.entries(hashes)) {
        if (!isHex(digest))
          this.fail(`${path}.${name}.${alg}`, `must be a hex digest, got ${describe(digest)}`);
        dict[alg] = digest;
      }
      out.set(name, dict);
    }
    return out;
  }

  rules(v: LegacyJson, path: string): ArtifactRule[] {
    return this.list(v, path).map((r, i) => this.rule(r, `${path}[${i}]`));
  }

  /** `in_toto.rulelib.unpack_rule`. */
  rule(v: LegacyJson, path: string): ArtifactRule {
    const rule = this.list(v, path);
    if (!rule.every((x): x is string => typeof x === "string"))
      this.fail(path, "a rule is a list of strings");
    const text = rule.join(" ");
    const lower = rule.map((x) => x.toLowerCase());
    const type = lower[0];
    if (rule.length < 2 || !type || !RULE_TYPES.includes(type as (typeof RULE_TYPES)[number]))
      this.fail(
        path,
        `rule ${JSON.stringify(rule)} must start with one of ${RULE_TYPES.join(", ")} and a pattern`,
      );
    const pattern = rule[1]!;
    if (type !== "match") {
      if (rule.length !== 2)
        this.fail(path, `rule ${JSON.stringify(rule)}: ${type} takes exactly one pattern`);
      return { type: type as Exclude<ArtifactRule["type"], "match">, pattern, text };
    }
    let sourcePrefix = "";
    let destPrefix = "";
    let destType: string;
    let destName: string;
    const at = (i: number, word: string) => lower[i] === word;
    if (rule.length === 10 && at(2, "in") && at(4, "with") && at(6, "in") && at(8, "from")) {
      [sourcePrefix, destType, destPrefix, destName] = [rule[3]!, lower[5]!, rule[7]!, rule[9]!];
    } else if (rule.length === 8 && at(2, "in") && at(4, "with") && at(6, "from")) {
      [sourcePrefix, destType, destName] = [rule[3]!, lower[5]!, rule[7]!];
    } else if (rule.length === 8 && at(2, "with") && at(4, "in") && at(6, "from")) {
      [destType, destPrefix, destName] = [lower[3]!, rule[5]!, rule[7]!];
    } else if (rule.length === 6 && at(2, "with") && at(4, "from")) {
      [destType, destName] = [lower[3]!, rule[5]!];
    } else
      this.fail(
        path,
        `rule ${JSON.stringify(rule)}: MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) [IN <prefix>] FROM <step>`,
      );
    if (destType !== "materials" && destType !== "products")
      this.fail(path, `rule ${JSON.stringify(rule)}: MATCH needs MATERIALS or PRODUCTS after WITH`);
    return { type: "match", pattern, sourcePrefix, destPrefix, destType, destName, text };
  }

  keys(v: LegacyJson, path: string): Record<string, LegacyJson> {
    if (!isObject(v)) this.fail(path, `must be an object of keys by key id, got ${describe(v)}`);
    for (const [keyid, key] of Object.entries(v)) {
      if (!HEX_RE.test(keyid)) this.fail(path, `key id ${JSON.stringify(keyid)} is not hex`);
      if (!isObject(key)) this.fail(`${path}.${keyid}`, `must be a key object, got ${describe(key)}`);
      if (isGpgKey(key)) continue;
      const keyval = key["keyval"];
      if (typeof key["keytype"] !== "string" || !isObject(keyval) || typeof keyval["public"] !== "string")
        this.fail(`${path}.${keyid}`, "a public key needs keytype and keyval.public (strings)");
      if (keyval["private"] !== undefined && keyval["private"] !== "")
        this.fail(`${path}.${keyid}`, "a layout must not carry private key material");
      const algorithms = key["keyid_hash_algorithms"];
      if (
        algorithms !== undefined &&
        !(
          Array.isArray(algorithms) &&
          algorithms.every((a) => typeof a === "string" && HASH_ALGORITHMS.has(a))
        )
      )
        this.fail(`${path}.${keyid}.keyid_hash_algorithms`, "must be a list of hash algorithm names");
      const expires = key["expires"];
      if (expires !== undefined && !(typeof expires === "string" && EXPIRES_RE.test(expires)))
        this.fail(`${path}.${keyid}.expires`, "must be a date of the form YYYY-MM-DDTHH:MM:SSZ");
    }
    return v;
  }

  /** `Step(**data)`: returns the model and its `attr.asdict` form. */
  step(v: LegacyJson, path: string): [InTotoStep, LegacyJsonObject] {
    const d = this.kwargs(v, path);
    const name = field(d, "name", null);
    if (typeof name !== "string")
      this.fail(`${path}.name`, `a step needs a name (string), got ${describe(name)}`);
    const materials = field(d, "expected_materials", []);
    const products = field(d, "expected_products", []);
    const pubkeys = field(d, "pubkeys", []);
    const command = field(d, "expected_command", []);
    const threshold = field(d, "threshold", 1n);
    if (typeof threshold !== "bigint")
      this.fail(`${path}.threshold`, `must be an integer, got ${describe(threshold)}`);
    const keyids = this.list(pubkeys, `${path}.pubkeys`);
    keyids.forEach((k, i) => {
      if (!isHex(k)) this.fail(`${path}.pubkeys[${i}]`, `must be a hex key id, got ${describe(k)}`);
    });
    const step: InTotoStep = {
      name,
      threshold: Number(threshold),
      pubkeys: keyids as string[],
      expectedCommand: this.list(command, `${path}.expected_command`),
      expectedMaterials: this.rules(materials, `${path}.expected_materials`),
      expectedProducts: this.rules(products, `${path}.expected_products`),
    };
    const signable: LegacyJsonObject = {
      name,
      expected_materials: materials,
      expected_products: products,
      _type: "step",
      pubkeys,
      expected_command: command,
      threshold,
    };
    return [step, signable];
  }

  inspection(v: LegacyJson, path: string): [InTotoInspection, LegacyJsonObject] {
    const d = this.kwargs(v, path);
    const name = field(d, "name", null);
    if (typeof name !== "string")
      this.fail(`${path}.name`, `an inspection needs a name (string), got ${describe(name)}`);
    const materials = field(d, "expected_materials", []);
    const products = field(d, "expected_products", []);
    const run = field(d, "run", []);
    this.rules(materials, `${path}.expected_materials`);
    this.rules(products, `${path}.expected_products`);
    const inspection: InTotoInspection = { name, run: this.list(run, `${path}.run`) };
    return [
      inspection,
      { name, expected_materials: materials, expected_products: products, _type: "inspection", run },
    ];
  }

  /** `Link.read(data)` and the signable `attr.asdict(link)`. */
  link(d: LegacyJsonObject): [InTotoLink, LegacyJsonObject] {
    const name = field(d, "name", null);
    const materials = field(d, "materials", Object.create(null) as LegacyJsonObject);
    const products = field(d, "products", Object.create(null) as LegacyJsonObject);
    const byproducts = field(d, "byproducts", Object.create(null) as LegacyJsonObject);
    const command = field(d, "command", []);
    const environment = field(d, "environment", Object.create(null) as LegacyJsonObject);
    if (!isObject(byproducts))
      this.fail("signed.byproducts", `must be an object, got ${describe(byproducts)}`);
    if (!isObject(environment))
      this.fail("signed.environment", `must be an object, got ${describe(environment)}`);
    const link: InTotoLink = {
      type: "link",
      name,
      materials: this.artifacts(materials, "signed.materials"),
      products: this.artifacts(products, "signed.products"),
      command: this.list(command, "signed.command"),
      byproducts,
    };
    return [
      link,
      {
        _type: "link",
        name,
        materials,
        products,
        byproducts,
        command,
        environment,
      } satisfies LegacyJsonObject,
    ];
  }

  /** `Layout.read(data)` and the signable `attr.asdict(layout)`. */
  layout(d: LegacyJsonObject): [InTotoLayout, LegacyJsonObject] {
    const stepsIn = this.list(d["steps"] ?? null, "signed.steps");
    const inspectIn = this.list(d["inspect"] ?? null, "signed.inspect");
    const steps = stepsIn.map((s, i) => this.step(s, `signed.steps[${i}]`));
    const inspections = inspectIn.map((s, i) => this.inspection(s, `signed.inspect[${i}]`));
    const seen = new Set<string>();
    for (const name of [...steps.map(([s]) => s.name), ...inspections.map(([s]) => s.name)]) {
      if (seen.has(name)) this.fail("signed", `two steps or inspections are named ${JSON.stringify(name)}`);
      seen.add(name);
    }
    const keys = this.keys(field(d, "keys", Object.create(null) as LegacyJsonObject), "signed.keys");
    const readme = field(d, "readme", "");
    if (typeof readme !== "string") this.fail("signed.readme", `must be a string, got ${describe(readme)}`);
    const expires = d["expires"];
    if (typeof expires !== "string" || !expires)
      this.fail(
        "signed.expires",
        `a layout needs an expiry date (YYYY-MM-DDTHH:MM:SSZ), got ${describe(expires)}`,
      );
    if (parseExpiry(expires) === undefined)
      this.fail(
        "signed.expires",
        `${JSON.stringify(expires)} is not a date of the form YYYY-MM-DDTHH:MM:SSZ`,
      );
    const layout: InTotoLayout = {
      type: "layout",
      steps: steps.map(([s]) => s),
      inspect: inspections.map(([s]) => s),
      keys,
      expires,
      readme,
    };
    const signable: LegacyJsonObject = {
      _type: "layout",
      steps: steps.map(([, s]) => s),
      inspect: inspections.map(([, s]) => s),
      keys,
      expires,
      readme,
    };
    return [layout, signable];
  }

  /** `securesystemslib.formats.ANY_SIGNATURE_SCHEMA`. */
  signature(v: LegacyJson, path: string): InTotoSignature {
    if (!isObject(v)) this.fail(path, `must be a signature object, got ${describe(v)}`);
    const keyid = v["keyid"];
    if (!isHex(keyid)) this.fail(`${path}.keyid`, `must be a hex key id, got ${describe(keyid)}`);
    const short = v["short_keyid"];
    if (isHex(v["other_headers"]) && isHex(v["signature"]) && (short === undefined || isHex(short)))
      return { kind: "gpg", keyid };
    const sig = v["sig"];
    if (!isHex(sig)) this.fail(`${path}.sig`, `must be a hex signature, got ${describe(sig)}`);
    return { kind: "securesystemslib", keyid, sig };
  }
}

/** `securesystemslib.formats.HASHALGORITHMS_SCHEMA`. */
const HASH_ALGORITHMS = new Set([
  "md5",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "blake2s",
  "blake2b",
  "blake2b-256",
]);

const RULE_TYPES = ["match", "create", "delete", "modify", "allow", "disallow", "require"] as const;

function isGpgKey(key: LegacyJsonObject): boolean {
  const keyval = key["keyval"];
  return (
    Object.hasOwn(key, "method") ||
    Object.hasOwn(key, "subkeys") ||
    (isObject(keyval) && isObject(keyval["public"]))
  );
}

const EXPIRES_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** `ISO8601_DATETIME_SCHEMA` plus a real calendar date and time (as dateutil checks it). */
function parseExpiry(s: string): Date | undefined {
  const m = EXPIRES_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || h > 23 || mi > 59 || se > 59) return undefined;
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, se, 0);
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return t;
}

/**
 * Reads a link or layout file (`Metablock.load`): validates it as the reference tool does and
 * computes the bytes its signatures are over.
 *
 * @throws BulwarkError INPUT_INVALID when the reference tool would refuse to load it (or in the
 *   few points where Bulwark is stricter: duplicate JSON keys, non-string step names, boolean
 *   thresholds).
 */
export function parseInTotoMetadata(
  input: string | Uint8Array,
  file?: string,
  limits: Pick<Limits, "maxDepth"> = DEFAULT_LIMITS,
): InTotoMetablock {
  const doc = parseLegacyJson(input, file, limits);
  const r: ModelReader = new ModelReader(file);
  if (!isObject(doc))
    r.fail("", `in-toto metadata is an object with "signed" and "signatures", got ${describe(doc)}`);
  const signed = r.kwargs(field(doc, "signed", Object.create(null) as LegacyJsonObject), "signed");
  const signaturesIn = r.list(field(doc, "signatures", []), "signatures");
  const type = signed["_type"];
  let model: InTotoLink | InTotoLayout;
  let signable: LegacyJsonObject;
  if (type === "link") [model, signable] = r.link(signed);
  else if (type === "layout") [model, signable] = r.layout(signed);
  else r.fail("signed._type", `must be "link" or "layout", got ${describe(type)}`);
  const signatures = signaturesIn.map((s, i) => r.signature(s, `signatures[${i}]`));
  let bytes: Uint8Array;
  try {
    bytes = canonicalLegacyBytes(signable);
  } catch (e) {
    r.fail("signed", (e as Error).message);
  }
  return { signed: model, signatures, signable: bytes, ...(file !== undefined ? { file } : {}) };
}

// ------------------------------------------------------------------------------------------------
// Signatures (Metablock.verify_signature)

type SignatureResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Verifies the first signature whose key id is the key's, as the reference tool does (the key's
 * own `keyid` field picks the signature). A missing or invalid signature is a result; malformed
 * key or signature encodings and unsupported schemes throw (the reference tool aborts on them).
 */
function checkSignature(block: InTotoMetablock, key: InTotoKey, where: string): SignatureResult {
  const signature = block.signatures.find((s) => s.keyid === key.keyid);
  if (!signature) return { ok: false, reason: `no signature by key ${key.keyid}` };
  if (signature.kind === "gpg")
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${where}: the signature by ${key.keyid} is a GPG signature, which Bulwark does not verify`,
    );
  if (signature.sig.length % 2 !== 0)
    throw new BulwarkError(
      "INPUT_INVALID",
      `${where}: the signature by ${key.keyid} has an odd number of hex digits`,
      {
        ...(block.file ? { location: { file: block.file } } : {}),
      },
    );
  const check = verifierOf(key, where);
  return check(new Uint8Array(Buffer.from(signature.sig, "hex")), block.signable)
    ? { ok: true }
    : { ok: false, reason: `invalid signature by key ${key.keyid}` };
}

/** A layout's functionary key as `ANYKEY_SCHEMA` needs it for verifying (keyid, keytype, scheme). */
function functionaryKey(layout: InTotoLayout, authorized: string, where: string): InTotoKey | undefined {
  const raw = layout.keys[authorized];
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return undefined;
  if (isGpgKey(raw))
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${where}: functionary key ${authorized} is a GPG key, which Bulwark does not support`,
    );
  const keyval = raw["keyval"];
  const { keyid, keytype, scheme } = raw;
  if (!isHex(keyid) || typeof keytype !== "string" || typeof scheme !== "string" || !isObject(keyval))
    throw new BulwarkError(
      "INPUT_INVALID",
      `${where}: layout key ${authorized} needs keyid (hex), keytype, scheme and keyval to verify with`,
    );
  return { keyid, keytype, scheme, public: keyval["public"] as string };
}

// ------------------------------------------------------------------------------------------------
// fnmatch (Python 3.11 fnmatch.translate, matched directly instead of through a regex)

type GlobToken =
  | { readonly kind: "star" }
  | { readonly kind: "any" }
  | { readonly kind: "never" }
  | { readonly kind: "literal"; readonly cp: number }
  | {
      readonly kind: "class";
      readonly negate: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

const cps = (s: string): string[] => Array.from(s);

/**
 * Compiles a shell pattern exactly as Python's `fnmatch` (3.11) does on POSIX: `*` matches any
 * run of characters including `/`, `?` one character, `[seq]`/`[!seq]` a set with ranges (reversed
 * ranges dropped), no escaping; the whole name must match. Exported for the cross-check tests.
 */
export function compileFnmatch(pattern: string): (name: string) => boolean {
  const tokens = translate(cps(pattern));
  return (name) =>
    globMatch(
      tokens,
      cps(name).map((c) => c.codePointAt(0)!),
    );
}

function translate(pat: string[]): GlobToken[] {
  const res: GlobToken[] = [];
  let i = 0;
  const n = pat.length;
  while (i < n) {
    const c = pat[i]!;
    i++;
    if (c === "*") {
      if (res.at(-1)?.kind !== "star") res.push({ kind: "star" });
    } else if (c === "?") res.push({ kind: "any" });
    else if (c === "[") {
      let j = i;
      if (j < n && pat[j] === "!") j++;
      if (j < n && pat[j] === "]") j++;
      while (j < n && pat[j] !== "]") j++;
      if (j >= n) {
        res.push({ kind: "literal", cp: 0x5b });
        continue;
      }
      let stuff = pat.slice(i, j).join("");
      if (!stuff.includes("-")) stuff = stuff.replaceAll("\\", "\\\\");
      else {
        const chunks: string[] = [];
        let k = pat[i] === "!" ? i + 2 : i + 1;
        for (;;) {
          k = findIn(pat, "-", k, j);
          if (k < 0) break;
          chunks.push(pat.slice(i, k).join(""));
          i = k + 1;
          k = k + 3;
        }
        const chunk = pat.slice(i, j).join("");
        if (chunk) chunks.push(chunk);
        else chunks[chunks.length - 1] += "-";
        for (let m = chunks.length - 1; m > 0; m--) {
          const prev = cps(chunks[m - 1]!);
          const cur = cps(chunks[m]!);
          if (prev.length === 0 || cur.length === 0)
            throw new BulwarkError(
              "INPUT_INVALID",
              `pattern ${JSON.stringify(pat.join(""))}: Python's fnmatch fails on this set`,
            );
          if (prev.at(-1)!.codePointAt(0)! > cur[0]!.codePointAt(0)!) {
            chunks[m - 1] = prev.slice(0, -1).join("") + cur.slice(1).join("");
            chunks.splice(m, 1);
          }
        }
        stuff = chunks.map((s) => s.replaceAll("\\", "\\\\").replaceAll("-", "\\-")).join("-");
      }
      stuff = stuff.replace(/([&~|])/g, "\\$1");
      i = j + 1;
      if (!stuff) res.push({ kind: "never" });
      else if (stuff === "!") res.push({ kind: "any" });
      else {
        if (stuff[0] === "!") stuff = `^${stuff.slice(1)}`;
        else if (stuff[0] === "^" || stuff[0] === "[") stuff = `\\${stuff}`;
        res.push(parseClass(cps(stuff), pat.join("")));
      }
    } else res.push({ kind: "literal", cp: c.codePointAt(0)! });
  }
  return res;
}

function findIn(pat: string[], ch: string, from: number, to: number): number {
  for (let k = Math.max(from, 0); k < to; k++) if (pat[k] === ch) return k;
  return -1;
}

/** The body of the regex set `[...]` fnmatch builds, read as Python's `re` reads it. */
function parseClass(body: string[], pattern: string): GlobToken {
  let p = 0;
  const negate = body[0] === "^";
  if (negate) p++;
  const ranges: [number, number][] = [];
  const item = (): number => {
    const c = body[p++]!;
    if (c !== "\\") return c.codePointAt(0)!;
    const e = body[p++];
    if (e === undefined || /[A-Za-z0-9]/.test(e))
      throw new BulwarkError(
        "INPUT_INVALID",
        `pattern ${JSON.stringify(pattern)}: Python's fnmatch fails on this set`,
      );
    return e.codePointAt(0)!;
  };
  while (p < body.length) {
    const lo = item();
    if (body[p] === "-") {
      p++;
      if (p >= body.length) {
        ranges.push([lo, lo], [0x2d, 0x2d]);
        break;
      }
      const hi = item();
      if (hi < lo)
        throw new BulwarkError(
          "INPUT_INVALID",
          `pattern ${JSON.stringify(pattern)}: bad character range in a set`,
        );
      ranges.push([lo, hi]);
    } else ranges.push([lo, lo]);
  }
  return { kind: "class", negate, ranges };
}

function tokenMatches(t: GlobToken, cp: number): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "never":
    case "star":
      return false;
    case "literal":
      return t.cp === cp;
    case "class":
      return t.ranges.some(([lo, hi]) => cp >= lo && cp <= hi) !== t.negate;
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** Wildcard matching where every token but `*` is one character (linear backtracking). */
function globMatch(tokens: readonly GlobToken[], s: readonly number[]): boolean {
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t && t.kind === "star") {
      starTi = ti++;
      starSi = si;
    } else if (t && tokenMatches(t, s[si]!)) {
      ti++;
      si++;
    } else if (starTi >= 0) {
      ti = starTi + 1;
      si = ++starSi;
    } else return false;
  }
  while (tokens[ti]?.kind === "star") ti++;
  return ti === tokens.length;
}

// ------------------------------------------------------------------------------------------------
// Artifact rules (verifylib.verify_item_rules)

/** `posixpath.join(a, b)`. */
function posixJoin(a: string, b: string): string {
  if (b.startsWith("/")) return b;
  if (!a || a.endsWith("/")) return a + b;
  return `${a}/${b}`;
}

function hashEqual(a: HashDict, b: HashDict): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function artifactsEqual(a: Artifacts, b: Artifacts): boolean {
  if (a.size !== b.size) return false;
  for (const [path, hashes] of a) {
    const other = b.get(path);
    if (!other || !hashEqual(hashes, other)) return false;
  }
  return true;
}

function artifactsDiff(a: Artifacts, b: Artifacts): string {
  const only = (x: Artifacts, y: Artifacts) => [...x.keys()].filter((p) => !y.has(p)).sort();
  const changed = [...a.keys()].filter((p) => b.has(p) && !hashEqual(a.get(p)!, b.get(p)!)).sort();
  return [
    ...only(a, b).map((p) => `${p} only in the first`),
    ...only(b, a).map((p) => `${p} only in the second`),
    ...changed.map((p) => `${p} hashes differ`),
  ]
    .slice(0, 5)
    .join(", ");
}

const listOf = (paths: Iterable<string>, max = 10): string => {
  const all = [...paths].sort(compareCodePoints);
  return all.length > max ? `${all.slice(0, max).join(", ")} and ${all.length - max} more` : all.join(", ");
};

function verifyItemRules(
  step: InTotoStep,
  sourceType: "materials" | "products",
  rules: readonly ArtifactRule[],
  links: ReadonlyMap<string, InTotoLink>,
): void {
  const link = links.get(step.name)!;
  const materials = link.materials;
  const products = link.products;
  const artifacts = sourceType === "materials" ? materials : products;
  const queue = new Set(artifacts.keys());
  // Why an artifact an earlier rule looked at was not consumed: for the DISALLOW message.
  const hints = new Map<string, string>();
  const hint = (path: string, text: string) => {
    if (!hints.has(path)) hints.set(path, text);
  };
  const kind = sourceType === "materials" ? "material" : "product";
  const where = (rule: ArtifactRule, index: number) =>
    `step ${JSON.stringify(step.name)}: ${kind} rule ${index + 1} ${JSON.stringify(rule.text)}`;

  rules.forEach((rule, index) => {
    const consumed = new Set<string>();
    switch (rule.type) {
      case "match": {
        const dest = links.get(rule.destName);
        const glob = compileFnmatch(rule.pattern);
        if (!dest) {
          for (const p of queue)
            if (glob(p)) hint(p, `${rule.text}: no step named ${JSON.stringify(rule.destName)}`);
          break;
        }
        const destArtifacts = rule.destType === "materials" ? dest.materials : dest.products;
        let candidates = [...queue];
        if (rule.sourcePrefix) {
          const prefix = posixJoin(rule.sourcePrefix, "").replaceAll("\\", "/");
          candidates = candidates.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
        }
        for (const path of candidates.filter(glob)) {
          const source = rule.sourcePrefix ? posixJoin(rule.sourcePrefix, path).replaceAll("\\", "/") : path;
          const target = rule.destPrefix ? posixJoin(rule.destPrefix, path).replaceAll("\\", "/") : path;
          const sourceHashes = artifacts.get(source);
          if (!sourceHashes)
            // verifylib indexes the source artifacts with the re-joined path and aborts (KeyError).
            throw new BulwarkError(
              "VERIFICATION_FAILED",
              `${where(rule, index)}: the ${kind} path ${JSON.stringify(path)} re-joined with the prefix is ${JSON.stringify(source)}, which is not a ${kind} (in-toto-verify aborts here too)`,
            );
          const destHashes = destArtifacts.get(target);
          if (!destHashes) {
            hint(source, `${rule.text}: ${rule.destName} has no ${rule.destType.slice(0, -1)} ${target}`);
            continue;
          }
          if (!hashEqual(sourceHashes, destHashes)) {
            hint(
              source,
              `${rule.text}: hashes differ from ${rule.destName}'s ${rule.destType.slice(0, -1)} ${target}`,
            );
            continue;
          }
          consumed.add(source);
        }
        break;
      }
      case "create":
      case "delete":
      case "modify":
      case "allow": {
        const glob = compileFnmatch(rule.pattern);
        for (const p of queue) {
          if (!glob(p)) continue;
          const inM = materials.has(p);
          const inP = products.has(p);
          if (rule.type === "allow") consumed.add(p);
          else if (rule.type === "create") {
            if (inP && !inM) consumed.add(p);
            else
              hint(p, `${rule.text}: ${inM ? "it is also a material (not created)" : "it is not a product"}`);
          } else if (rule.type === "delete") {
            if (inM && !inP) consumed.add(p);
            else
              hint(
                p,
                `${rule.text}: ${inP ? "it is still a product (not deleted)" : "it is not a material"}`,
              );
          } else if (inM && inP && !hashEqual(materials.get(p)!, products.get(p)!)) consumed.add(p);
          else hint(p, `${rule.text}: ${inM && inP ? "unchanged" : "not both a material and a product"}`);
        }
        break;
      }
      case "disallow": {
        const glob = compileFnmatch(rule.pattern);
        const hit = [...queue].filter(glob);
        if (hit.length) {
          const why = hit
            .filter((p) => hints.has(p))
            .sort(compareCodePoints)
            .slice(0, 5)
            .map((p) => `${p}: ${hints.get(p)}`);
          throw new BulwarkError(
            "VERIFICATION_FAILED",
            `${where(rule, index)} matched ${listOf(hit)} (not consumed by an earlier rule)${why.length ? ` [${why.join("; ")}]` : ""}`,
            { details: { step: step.name, rule: rule.text, artifacts: hit.sort(compareCodePoints) } },
          );
        }
        break;
      }
      case "require":
        // The pattern is a literal file name here (in-toto issues #152, #193).
        if (!queue.has(rule.pattern))
          throw new BulwarkError(
            "VERIFICATION_FAILED",
            `${where(rule, index)} did not find ${JSON.stringify(rule.pattern)} among the ${sourceType} left in the queue${artifacts.has(rule.pattern) ? " (an earlier rule consumed it)" : ""}`,
            { details: { step: step.name, rule: rule.text, artifacts: [rule.pattern] } },
          );
        break;
      default: {
        const never: never = rule;
        throw new Error(`unknown rule ${String(never)}`);
      }
    }
    for (const p of consumed) queue.delete(p);
  });
}

// ------------------------------------------------------------------------------------------------
// Verification (verifylib.in_toto_verify)

/**
 * Where link files come from: the bytes of `<dir>/<filename>`, or `undefined` when the file cannot
 * be read (in-toto skips those: a functionary may be authorized without having signed a link).
 */
export type InTotoLinkSource = (filename: string) => Uint8Array | undefined;

/** Link files from a directory; files over `limits.maxFileBytes` are an error, not skipped. */
export function inTotoLinkDirectory(
  dir: string,
  limits: Pick<Limits, "maxFileBytes"> = DEFAULT_LIMITS,
): InTotoLinkSource {
  return (filename) => {
    if (filename.includes("\0"))
      throw new BulwarkError("INPUT_INVALID", `link file name ${JSON.stringify(filename)} holds a NUL byte`);
    const path = join(dir, filename);
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) return undefined;
      size = st.size;
    } catch {
      return undefined;
    }
    if (size > limits.maxFileBytes)
      throw new BulwarkError(
        "INPUT_TOO_LARGE",
        `${path} is ${size} bytes, over the ${limits.maxFileBytes}-byte limit`,
        {
          location: { file: path },
        },
      );
    try {
      return new Uint8Array(readFileSync(path));
    } catch {
      return undefined;
    }
  };
}

/** `<step>.<first 8 characters of the key id>.link` (in_toto.models.link.FILENAME_FORMAT). */
export function inTotoLinkFilename(stepName: string, keyid: string): string {
  return `${stepName}.${Array.from(keyid).slice(0, 8).join("")}.link`;
}

export interface VerifyInTotoLayoutOptions {
  /** The layout file's bytes (or an already parsed layout metablock). */
  readonly layout: Uint8Array | string | InTotoMetablock;
  /** Names the layout in messages. */
  readonly layoutFile?: string;
  /** The project owner's keys: the layout MUST carry a valid signature by every one of them. */
  readonly layoutKeys: readonly InTotoKey[];
  readonly links: InTotoLinkSource;
  /** Injected time for the expiry check. */
  readonly clock: Clock;
  readonly limits?: Pick<Limits, "maxDepth">;
}

export interface InTotoStepVerification {
  readonly name: string;
  readonly threshold: number;
  /** The validly signed links of authorized functionaries, in the layout's key order. */
  readonly links: readonly { readonly keyid: string; readonly file: string }[];
}

/** The verified supply chain; the verifier throws on every failure. */
export interface InTotoVerification {
  readonly layoutKeyids: readonly string[];
  readonly expires: string;
  readonly steps: readonly InTotoStepVerification[];
  /** Non-fatal findings, as in-toto logs them: a link's command differs from the expected one. */
  readonly warnings: readonly string[];
  /** The summary in-toto returns: the first step's materials, the last step's products. */
  readonly materials: Artifacts;
  readonly products: Artifacts;
}

function jsonEqual(a: LegacyJson | undefined, b: LegacyJson | undefined): boolean {
  if (a === b) return true;
  if (a instanceof LegacyFloat && b instanceof LegacyFloat) return a.text === b.text;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return false;
}

const vf = (message: string, details?: Record<string, unknown>) =>
  new BulwarkError("VERIFICATION_FAILED", message, details ? { details } : {});

/**
 * Verifies a software supply chain against its in-toto layout as `in-toto-verify` does:
 *
 * 1. the layout carries a valid signature by every layout key (at least one key);
 * 2. it has not expired (`expires` < now fails);
 * 3. each step has `threshold` link files `<step>.<keyid8>.link` of its authorized functionaries
 *    (`pubkeys`), validly signed by distinct keys of the layout (links with a bad signature or an
 *    unknown key are skipped before counting);
 * 4. for threshold > 1, all those links report the same materials and products;
 * 5. each step's material then product rules hold over its (first) link, in layout order.
 *
 * Expected commands are compared and only warned about, as in-toto does. A layout with
 * inspections fails after step verification (Bulwark never runs a layout's commands); a link that
 * is itself a layout (sublayout) fails too.
 *
 * @returns the verified chain; never a "maybe".
 * @throws BulwarkError VERIFICATION_FAILED naming the step, link, rule and artifacts;
 *   INPUT_INVALID for malformed metadata.
 */
export function verifyInTotoLayout(options: VerifyInTotoLayoutOptions): InTotoVerification {
  const layoutName = options.layoutFile ?? "the layout";
  const block =
    typeof options.layout === "string" || options.layout instanceof Uint8Array
      ? parseInTotoMetadata(options.layout, options.layoutFile, options.limits)
      : options.layout;
  if (block.signed.type !== "layout")
    throw new BulwarkError("INPUT_INVALID", `${layoutName} is link metadata, not a layout`, {
      ...(options.layoutFile ? { location: { file: options.layoutFile } } : {}),
    });
  const layout = block.signed;

  // 1. Layout signatures: every given key must have signed (keys de-duplicated by key id).
  const layoutKeys = [...new Map(options.layoutKeys.map((k) => [k.keyid, k])).values()];
  if (!layoutKeys.length) throw vf(`${layoutName}: layout verification needs at least one layout key`);
  for (const key of layoutKeys) {
    const r = checkSignature(block, key, layoutName);
    if (!r.ok) throw vf(`${layoutName}: ${r.reason} (layout key)`, { keyid: key.keyid });
  }

  // 2. Expiry.
  const now = options.clock.now();
  const expires = parseExpiry(layout.expires);
  if (!expires)
    throw new BulwarkError(
      "INPUT_INVALID",
      `${layoutName}: expires ${JSON.stringify(layout.expires)} is not a date`,
    );
  if (expires.getTime() < now.getTime())
    throw vf(`${layoutName} expired at ${layout.expires} (now ${now.toISOString()})`, {
      expires: layout.expires,
    });

  // 3a. Load the links of every authorized functionary (missing files are fine up to threshold).
  const loaded = new Map<string, Map<string, InTotoMetablock>>();
  for (const step of layout.steps) {
    const perStep = new Map<string, InTotoMetablock>();
    for (const keyid of step.pubkeys) {
      const file = inTotoLinkFilename(step.name, keyid);
      const bytes = options.links(file);
      if (bytes !== undefined) perStep.set(keyid, parseInTotoMetadata(bytes, file, options.limits));
    }
    if (perStep.size < step.threshold)
      throw vf(
        `step ${JSON.stringify(step.name)} requires ${step.threshold} link metadata file(s), found ${perStep.size} (looked for ${step.pubkeys.map((k) => inTotoLinkFilename(step.name, k)).join(", ") || "no authorized keys"})`,
        { step: step.name },
      );
    loaded.set(step.name, perStep);
  }

  // 3b. Link signatures by authorized functionaries, counted per distinct key.
  const verified = new Map<string, Map<string, InTotoMetablock>>();
  for (const step of layout.steps) {
    const good = new Map<string, InTotoMetablock>();
    const usedKeyids: string[] = [];
    const skipped: string[] = [];
    for (const [keyid, link] of loaded.get(step.name)!) {
      const file = inTotoLinkFilename(step.name, keyid);
      const key = functionaryKey(layout, keyid, file);
      if (!key) {
        skipped.push(`${file}: key ${keyid} is not in the layout's keys`);
        continue;
      }
      const r = checkSignature(link, key, file);
      if (!r.ok) {
        skipped.push(`${file}: ${r.reason}`);
        continue;
      }
      usedKeyids.push(key.keyid);
      good.set(keyid, link);
    }
    const count = good.size - (usedKeyids.length - new Set(usedKeyids).size);
    if (count < step.threshold)
      throw vf(
        `step ${JSON.stringify(step.name)} requires at least ${step.threshold} link(s) validly signed by different authorized functionaries, found ${count}${skipped.length ? ` (skipped ${skipped.join("; ")})` : ""}`,
        { step: step.name, skipped },
      );
    verified.set(step.name, good);
  }

  // Sublayouts: a functionary's "link" that is a layout. Not supported: fail closed.
  for (const [stepName, good] of verified)
    for (const [keyid, link] of good)
      if (link.signed.type === "layout")
        throw vf(
          `step ${JSON.stringify(stepName)}: ${inTotoLinkFilename(stepName, keyid)} is a sublayout; Bulwark does not verify sublayouts (use in-toto-verify for this layout)`,
          { step: stepName },
        );

  const links = new Map<string, InTotoLink>();
  const warnings: string[] = [];
  for (const step of layout.steps) {
    const good = [...verified.get(step.name)!].map(([k, l]) => [k, l.signed as InTotoLink] as const);
    // Command alignment: a warning only (in-toto spec 4.3.1).
    for (const [keyid, link] of good)
      if (!jsonEqual([...link.command], [...step.expectedCommand]))
        warnings.push(
          `${inTotoLinkFilename(step.name, keyid)}: command ${JSON.stringify(link.command.map(String))} differs from the expected ${JSON.stringify(step.expectedCommand.map(String))}`,
        );
    // 4. Threshold agreement.
    if (step.threshold > 1) {
      const [refKeyid, ref] = good[0]!;
      for (const [keyid, link] of good)
        if (!artifactsEqual(ref.materials, link.materials) || !artifactsEqual(ref.products, link.products))
          throw vf(
            `step ${JSON.stringify(step.name)}: links ${inTotoLinkFilename(step.name, refKeyid)} and ${inTotoLinkFilename(step.name, keyid)} report different artifacts (${[
              artifactsDiff(ref.materials, link.materials),
              artifactsDiff(ref.products, link.products),
            ]
              .filter(Boolean)
              .join("; ")})`,
            { step: step.name },
          );
    }
    const first = good[0];
    if (!first) throw vf(`step ${JSON.stringify(step.name)} has no validly signed link`, { step: step.name });
    links.set(step.name, first[1]);
  }

  // 5. Artifact rules, step by step: materials, then products.
  for (const step of layout.steps) {
    verifyItemRules(step, "materials", step.expectedMaterials, links);
    verifyItemRules(step, "products", step.expectedProducts, links);
  }

  if (layout.inspect.length)
    throw vf(
      `${layoutName}: the steps verified, but the layout defines inspection(s) ${layout.inspect.map((i) => JSON.stringify(i.name)).join(", ")}, which Bulwark does not run (it never executes commands from a layout); verify this layout with in-toto-verify, or have its owner drop the inspections and re-sign it`,
      { inspections: layout.inspect.map((i) => i.name) },
    );

  const firstStep = layout.steps[0];
  const lastStep = layout.steps.at(-1);
  return {
    layoutKeyids: layoutKeys.map((k) => k.keyid),
    expires: layout.expires,
    steps: layout.steps.map((s) => ({
      name: s.name,
      threshold: s.threshold,
      links: [...verified.get(s.name)!.keys()].map((keyid) => ({
        keyid,
        file: inTotoLinkFilename(s.name, keyid),
      })),
    })),
    warnings,
    materials: firstStep ? links.get(firstStep.name)!.materials : new Map(),
    products: lastStep ? links.get(lastStep.name)!.products : new Map(),
  };
}
