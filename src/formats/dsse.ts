/**
 * DSSE v1 (Dead Simple Signing Envelope): the pre-authentication encoding that signatures cover,
 * and the JSON envelope that carries a payload with its signatures. Pure: no keys, no I/O.
 *
 * Decoding is strict and fails closed. Every required field must be there with the right type,
 * `signatures` must not be empty, and size limits apply before anything is decoded. Base64 follows
 * the DSSE protocol, which says signers may use the standard or the URL-safe alphabet and verifiers
 * MUST accept either. So each value may use either alphabet, with or without `=` padding, but it
 * must not mix the two. Whitespace, bad padding and non-zero trailing bits are refused, so one byte
 * string has exactly one accepted spelling per alphabet. Duplicate object keys are refused too: a
 * verifier that reads the last `payload` and a tool that reads the first one must never disagree
 * about what was signed.
 */
import {
  DecodeError,
  type DecodeLocation,
  get,
  isObject,
  type Json,
  jsonPointer,
  kindOf,
  lineColumn,
} from "./json-read.js";

/** DSSE JSON envelope. `payload` and each `sig` are base64 (standard or URL-safe alphabet). */
export interface Envelope {
  readonly payloadType: string;
  readonly payload: string;
  readonly signatures: readonly EnvelopeSignature[];
}

export interface EnvelopeSignature {
  /** Unauthenticated hint naming the key; DSSE forbids basing a security decision on it. */
  readonly keyid?: string;
  readonly sig: string;
}

/** Size limits applied while decoding an envelope. All are in bytes except `maxSignatures`. */
export interface EnvelopeLimits {
  /** The whole envelope as UTF-8 JSON text. */
  readonly maxEnvelopeBytes: number;
  /** The decoded payload. */
  readonly maxPayloadBytes: number;
  readonly maxSignatures: number;
  /** One decoded signature. */
  readonly maxSignatureBytes: number;
  /** `payloadType` and each `keyid`, as UTF-8. */
  readonly maxFieldBytes: number;
  /** Deepest nesting of objects and arrays in the JSON text. */
  readonly maxDepth: number;
}

export const DEFAULT_ENVELOPE_LIMITS: EnvelopeLimits = {
  maxEnvelopeBytes: 64 * 1024 * 1024,
  maxPayloadBytes: 48 * 1024 * 1024,
  maxSignatures: 32,
  maxSignatureBytes: 64 * 1024,
  maxFieldBytes: 1024,
  maxDepth: 128,
};

/** An envelope that is not valid JSON or breaks a DSSE rule. */
export class DsseDecodeError extends DecodeError {
  constructor(message: string, location: DecodeLocation, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = "DsseDecodeError";
  }
}

/**
 * An input over a size or nesting limit. It is a sibling of {@link DecodeError}, not a subclass,
 * because `DecodeError.code` is typed as `INPUT_INVALID` only. It has the same `code` and
 * `location` shape, so a caller can turn either one into a BulwarkError the same way.
 */
export class DecodeLimitError extends Error {
  readonly code: "INPUT_TOO_LARGE" | "INPUT_TOO_DEEP";
  readonly location: DecodeLocation;

  constructor(code: "INPUT_TOO_LARGE" | "INPUT_TOO_DEEP", message: string, location: DecodeLocation) {
    super(message);
    this.name = "DecodeLimitError";
    this.code = code;
    this.location = location;
  }

  override toString(): string {
    return `${this.location.file ?? "<input>"}: ${this.message} [${this.code}]`;
  }
}

// ---------------------------------------------------------------------------------------------
// PAE.

const LONE_SURROGATE = /\p{Cs}/u;
const utf8 = new TextEncoder();

/**
 * The DSSE v1 pre-authentication encoding, the exact bytes a signature covers:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where `type` is the UTF-8 payload type
 * and each LEN is the ASCII decimal byte length with no leading zeros. Throws a TypeError for a
 * payload type that is not well-formed Unicode: a lone surrogate would be encoded as U+FFFD, so
 * two different strings would get the same encoding.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  if (LONE_SURROGATE.test(payloadType)) throw new TypeError("payloadType is not well-formed Unicode");
  const type = utf8.encode(payloadType);
  const head = utf8.encode(`DSSEv1 ${type.length} `);
  const mid = utf8.encode(` ${payload.length} `);
  const out = new Uint8Array(head.length + type.length + mid.length + payload.length);
  out.set(head, 0);
  out.set(type, head.length);
  out.set(mid, head.length + type.length);
  out.set(payload, head.length + type.length + mid.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Base64.

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Strict base64 in either alphabet, with or without padding; see the module comment. Returns
 * undefined for anything else, so the caller can report where the value was.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  const standard = STANDARD.test(text);
  if (!standard && !URL_SAFE.test(text)) return undefined;
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return undefined;
  if (body.length !== text.length && text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, standard ? "base64" : "base64url");
  const again = bytes.toString(standard ? "base64" : "base64url").replace(/=+$/, "");
  // Different re-encoding means non-zero trailing bits: another spelling of the same bytes.
  if (again !== body) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard base64 with padding, as Bulwark writes it. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** The largest number of bytes a base64 string of this length can decode to. */
function decodedSizeBound(length: number): number {
  return Math.ceil(length / 4) * 3;
}

// ---------------------------------------------------------------------------------------------
// Strict JSON.

/** What {@link parseJsonStrict} throws with; decoders pass their own DecodeError subclass. */
export type MakeDecodeError = (message: string, location: DecodeLocation, cause?: unknown) => DecodeError;

/**
 * Parses JSON text after a strict scan. A leading BOM is ignored. Errors give the line and column
 * (1-based, in UTF-16 units) and are thrown through `makeError`: syntax errors, duplicate keys
 * (path included) and lone surrogates in keys or strings. Nesting deeper than `maxDepth` throws
 * {@link DecodeLimitError} `INPUT_TOO_DEEP`. The scan uses no recursion, so hostile nesting cannot
 * overflow the stack.
 */
export function parseJsonStrict(
  text: string,
  file: string | undefined,
  makeError: MakeDecodeError,
  maxDepth = DEFAULT_ENVELOPE_LIMITS.maxDepth,
): unknown {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  scanJson(source, file, makeError, maxDepth);
  try {
    return JSON.parse(source);
  } catch (e) {
    // The scan accepts only JSON, so this is unexpected; still report it as a decode error.
    throw makeError(`not valid JSON: ${(e as Error).message}`, withFile(file, { path: "" }), e);
  }
}

interface Frame {
  readonly kind: "object" | "array";
  readonly path: (string | number)[];
  readonly keys: Set<string>;
  count: number;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

function scanJson(src: string, file: string | undefined, makeError: MakeDecodeError, maxDepth: number): void {
  let pos = 0;
  const stack: Frame[] = [];
  const fail = (message: string, at = pos, path?: (string | number)[]): never => {
    throw makeError(message, withFile(file, { ...lineColumn(src, at), path: jsonPointer(path ?? []) }));
  };
  const skipWs = (): void => {
    while (pos < src.length) {
      const c = src.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      pos++;
    }
  };
  // A loop, not a regular expression: a 50 MB payload string must not exhaust the regex engine.
  const readString = (wantValue: boolean): string => {
    const start = pos;
    pos++;
    let pendingHigh = false;
    for (;;) {
      if (pos >= src.length) return fail("not valid JSON: unterminated string", start);
      const c = src.charCodeAt(pos);
      let unit = c;
      if (c === 0x22) {
        if (pendingHigh) fail("not valid JSON: a string holds a lone surrogate", pos);
        pos++;
        break;
      }
      if (c < 0x20) fail("not valid JSON: control character in a string");
      if (c === 0x5c) {
        const e = src[pos + 1];
        if (e === "u") {
          const hex = src.slice(pos + 2, pos + 6);
          if (!HEX4.test(hex)) fail("not valid JSON: bad \\u escape");
          unit = Number.parseInt(hex, 16);
          pos += 6;
        } else {
          if (e === undefined || !'"\\/bfnrt'.includes(e)) fail("not valid JSON: bad escape");
          pos += 2;
          unit = 0;
        }
      } else {
        pos++;
      }
      const high = unit >= 0xd800 && unit <= 0xdbff;
      const low = unit >= 0xdc00 && unit <= 0xdfff;
      if (pendingHigh !== low) fail("not valid JSON: a string holds a lone surrogate", pos - 1);
      pendingHigh = high;
    }
    return wantValue ? (JSON.parse(src.slice(start, pos)) as string) : "";
  };
  const currentPath = (): (string | number)[] => stack.at(-1)?.path ?? [];

  // Reads one value; containers push a frame and are finished by the loop below.
  const readValue = (path: (string | number)[]): void => {
    skipWs();
    const c = src[pos];
    if (c === "{" || c === "[") {
      if (stack.length >= maxDepth) {
        throw new DecodeLimitError(
          "INPUT_TOO_DEEP",
          `JSON nested deeper than ${maxDepth} levels`,
          withFile(file, { ...lineColumn(src, pos), path: jsonPointer(path) }),
        );
      }
      pos++;
      stack.push({ kind: c === "{" ? "object" : "array", path, keys: new Set(), count: 0 });
      return;
    }
    if (c === '"') {
      readString(false);
      return;
    }
    for (const literal of ["true", "false", "null"]) {
      if (src.startsWith(literal, pos)) {
        pos += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(src);
    if (!m)
      fail(
        pos >= src.length ? "not valid JSON: unexpected end of input" : "not valid JSON: unexpected token",
      );
    pos += m![0].length;
  };

  readValue([]);
  while (stack.length > 0) {
    const frame = stack.at(-1)!;
    skipWs();
    const close = frame.kind === "object" ? "}" : "]";
    if (src[pos] === close) {
      pos++;
      stack.pop();
      continue;
    }
    if (frame.count > 0) {
      if (src[pos] !== ",") fail(`not valid JSON: expected , or ${close}`);
      pos++;
      skipWs();
    }
    if (frame.kind === "array") {
      const index = frame.count++;
      readValue([...frame.path, index]);
      continue;
    }
    if (src[pos] !== '"') fail("not valid JSON: expected a member name");
    const keyAt = pos;
    const key = readString(true);
    if (frame.keys.has(key)) fail(`duplicate key ${JSON.stringify(key)}`, keyAt, [...frame.path, key]);
    frame.keys.add(key);
    frame.count++;
    skipWs();
    if (src[pos] !== ":") fail("not valid JSON: expected :");
    pos++;
    readValue([...frame.path, key]);
  }
  skipWs();
  if (pos < src.length) fail("not valid JSON: unexpected content after the document", pos, currentPath());
}

function withFile(file: string | undefined, location: DecodeLocation): DecodeLocation {
  return file === undefined ? location : { file, ...location };
}

/** UTF-8 bytes as text; invalid UTF-8 is a decode error, never silently replaced. */
export function decodeUtf8(
  bytes: Uint8Array,
  file: string | undefined,
  makeError: MakeDecodeError,
  what = "input",
): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw makeError(`${what} is not valid UTF-8`, withFile(file, { path: "" }), e);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope.

type Path = readonly (string | number)[];

/**
 * Decodes a DSSE JSON envelope from its text, its UTF-8 bytes or already-parsed JSON. It checks
 * that `payloadType`, `payload` and a non-empty `signatures` array are present with the right
 * types, that every base64 value is strict, and that the limits hold (throwing
 * {@link DecodeLimitError} `INPUT_TOO_LARGE`). Unknown fields are ignored, as the DSSE spec allows.
 * An empty `payloadType` is accepted here and refused by the verifier, which supports no such type.
 * `file` only labels errors. Throws {@link DsseDecodeError} for anything else malformed.
 */
export function decodeEnvelope(
  input: string | Uint8Array | Json,
  file?: string,
  limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS,
): Envelope {
  const make: MakeDecodeError = (message, location, cause) =>
    new DsseDecodeError(message, location, cause === undefined ? undefined : { cause });
  let json: unknown = input;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const size = typeof input === "string" ? utf8Length(input, limits.maxEnvelopeBytes) : input.length;
    if (size > limits.maxEnvelopeBytes) {
      throw new DecodeLimitError(
        "INPUT_TOO_LARGE",
        `DSSE envelope is ${size} bytes, over the limit of ${limits.maxEnvelopeBytes}`,
        withFile(file, { path: "" }),
      );
    }
    const text = typeof input === "string" ? input : decodeUtf8(input, file, make, "DSSE envelope");
    json = parseJsonStrict(text, file, make, limits.maxDepth);
  }
  return new EnvelopeReader(file, limits).envelope(json);
}

/** UTF-8 length of `text`, stopping early once it is certainly over `cap`. */
function utf8Length(text: string, cap: number): number {
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is over at once.
  if (text.length > cap) return text.length;
  return Buffer.byteLength(text, "utf8");
}

class EnvelopeReader {
  constructor(
    private readonly file: string | undefined,
    private readonly limits: EnvelopeLimits,
  ) {}

  fail(path: Path, message: string): never {
    throw new DsseDecodeError(`${jsonPointer(path) || "envelope"}: ${message}`, this.at(path));
  }

  tooLarge(path: Path, message: string): never {
    throw new DecodeLimitError("INPUT_TOO_LARGE", `${jsonPointer(path)}: ${message}`, this.at(path));
  }

  at(path: Path): DecodeLocation {
    return withFile(this.file, { path: jsonPointer(path) });
  }

  envelope(json: unknown): Envelope {
    if (!isObject(json)) return this.fail([], `expected a DSSE envelope object, got ${kindOf(json)}`);
    const payloadType = this.text(json, "payloadType", [], true);
    const payload = this.requiredString(json, "payload", []);
    const payloadBound = decodedSizeBound(payload.length);
    if (payloadBound > this.limits.maxPayloadBytes + 2) {
      this.tooLarge(["payload"], `payload is over the limit of ${this.limits.maxPayloadBytes} bytes`);
    }
    const bytes = this.base64(payload, ["payload"]);
    if (bytes.length > this.limits.maxPayloadBytes) {
      this.tooLarge(
        ["payload"],
        `payload is ${bytes.length} bytes, over the limit of ${this.limits.maxPayloadBytes}`,
      );
    }
    const signatures = get(json, "signatures");
    if (signatures === undefined) return this.fail(["signatures"], "is required");
    if (!Array.isArray(signatures))
      return this.fail(["signatures"], `expected an array, got ${kindOf(signatures)}`);
    if (signatures.length === 0) return this.fail(["signatures"], "must hold at least one signature");
    if (signatures.length > this.limits.maxSignatures) {
      this.tooLarge(
        ["signatures"],
        `${signatures.length} signatures, over the limit of ${this.limits.maxSignatures}`,
      );
    }
    return {
      payloadType,
      payload,
      signatures: signatures.map((s: unknown, i) => this.signature(s, ["signatures", i])),
    };
  }

  signature(json: unknown, path: Path): EnvelopeSignature {
    if (!isObject(json)) return this.fail(path, `expected a signature object, got ${kindOf(json)}`);
    const sig = this.requiredString(json, "sig", path);
    if (decodedSizeBound(sig.length) > this.limits.maxSignatureBytes + 2) {
      this.tooLarge(
        [...path, "sig"],
        `signature is over the limit of ${this.limits.maxSignatureBytes} bytes`,
      );
    }
    const bytes = this.base64(sig, [...path, "sig"]);
    if (bytes.length === 0) this.fail([...path, "sig"], "is empty");
    if (bytes.length > this.limits.maxSignatureBytes) {
      this.tooLarge(
        [...path, "sig"],
        `signature is ${bytes.length} bytes, over the limit of ${this.limits.maxSignatureBytes}`,
      );
    }
    const keyid = get(json, "keyid");
    if (keyid === undefined || keyid === null) return { sig };
    return { keyid: this.text(json, "keyid", path, false), sig };
  }

  requiredString(o: Json, key: string, path: Path): string {
    const v = get(o, key);
    if (v === undefined) return this.fail([...path, key], "is required");
    if (typeof v !== "string") return this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
    return v;
  }

  /** A short text field (`payloadType`, `keyid`): well-formed Unicode, within `maxFieldBytes`. */
  text(o: Json, key: string, path: Path, required: boolean): string {
    const v = required ? this.requiredString(o, key, path) : get(o, key);
    if (typeof v !== "string") return this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
    if (utf8Length(v, this.limits.maxFieldBytes) > this.limits.maxFieldBytes) {
      this.tooLarge([...path, key], `is over the limit of ${this.limits.maxFieldBytes} bytes`);
    }
    if (LONE_SURROGATE.test(v)) this.fail([...path, key], "is not well-formed Unicode");
    return v;
  }

  base64(text: string, path: Path): Uint8Array {
    const bytes = decodeBase64Strict(text);
    if (bytes === undefined) {
      return this.fail(path, "is not valid base64 (standard or URL-safe alphabet, no whitespace)");
    }
    return bytes;
  }
}

/**
 * The payload bytes of an envelope. Use it on an envelope from {@link decodeEnvelope}; on anything
 * else it throws {@link DsseDecodeError} when the payload is not strict base64.
 */
export function envelopePayload(envelope: Envelope): Uint8Array {
  const bytes = decodeBase64Strict(envelope.payload);
  if (bytes === undefined) throw new DsseDecodeError("/payload: is not valid base64", { path: "/payload" });
  return bytes;
}

/** Builds an envelope from raw bytes; payload and signatures are written in standard base64. */
export function buildEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signatures: readonly { readonly keyid?: string; readonly sig: Uint8Array }[],
): Envelope {
  return {
    payloadType,
    payload: encodeBase64(payload),
    signatures: signatures.map((s) =>
      s.keyid === undefined ? { sig: encodeBase64(s.sig) } : { keyid: s.keyid, sig: encodeBase64(s.sig) },
    ),
  };
}

/**
 * The envelope as compact JSON text in the DSSE field order (`payload`, `payloadType`,
 * `signatures` with `keyid` before `sig`), with no trailing newline, so one envelope is one JSONL
 * line. The envelope is checked with the decoder's rules first, so nothing invalid is written.
 */
export function encodeEnvelope(envelope: Envelope, limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS): string {
  const plain = {
    payload: envelope.payload,
    payloadType: envelope.payloadType,
    signatures: envelope.signatures.map((s) =>
      s.keyid === undefined ? { sig: s.sig } : { keyid: s.keyid, sig: s.sig },
    ),
  };
  decodeEnvelope(plain, undefined, limits);
  return JSON.stringify(plain);
}
