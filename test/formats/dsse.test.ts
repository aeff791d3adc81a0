import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildEnvelope,
  DecodeLimitError,
  decodeBase64Strict,
  decodeEnvelope,
  DEFAULT_ENVELOPE_LIMITS,
  DsseDecodeError,
  encodeBase64,
  encodeEnvelope,
  type Envelope,
  envelopePayload,
  pae,
} from "../../src/formats/index.js";
import { requireShared } from "../support/shared.js";

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

function decodeError(fn: () => unknown): DsseDecodeError {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(DsseDecodeError);
  return e as DsseDecodeError;
}

const GOOD = {
  payload: "aGVsbG8gd29ybGQ=",
  payloadType: "http://example.com/HelloWorld",
  signatures: [
    {
      keyid: "k1",
      sig: "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==",
    },
  ],
};

describe("pae (DSSE v1 pre-authentication encoding)", () => {
  it("matches the protocol's example", () => {
    expect(text(pae("http://example.com/HelloWorld", bytesOf("hello world")))).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("encodes an empty body as a zero length followed by a space", () => {
    expect(text(pae("application/vnd.in-toto+json", new Uint8Array()))).toBe(
      "DSSEv1 28 application/vnd.in-toto+json 0 ",
    );
  });

  it("counts the UTF-8 bytes of the type, not its characters", () => {
    const out = pae("application/vnd.exämple+json", bytesOf("{}"));
    expect(Buffer.from(out).toString("utf8")).toBe("DSSEv1 29 application/vnd.exämple+json 2 {}");
  });

  it("keeps binary payload bytes as they are", () => {
    const body = Uint8Array.from([0xfb, 0xff, 0xbf, 0x3e, 0x3f]);
    const out = pae("t", body);
    expect(Buffer.from(out.subarray(out.length - 5)).equals(Buffer.from(body))).toBe(true);
    expect(text(out.subarray(0, out.length - 5))).toBe("DSSEv1 1 t 5 ");
  });

  it("length prefixes make every (type, body) split distinct", () => {
    // Naive concatenation would give "a b c" for both.
    expect(text(pae("a b", bytesOf("c")))).not.toBe(text(pae("a", bytesOf("b c"))));
  });

  it("refuses a payload type with a lone surrogate (it would alias U+FFFD)", () => {
    expect(() => pae("x\uD800", new Uint8Array())).toThrow(TypeError);
  });
});

describe("base64 (either alphabet, strict)", () => {
  it("round-trips any bytes in both alphabets, padded or not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const std = encodeBase64(bytes);
        const url = Buffer.from(bytes).toString("base64url");
        for (const form of [std, std.replace(/=+$/, ""), url]) {
          expect(Buffer.from(decodeBase64Strict(form)!).equals(Buffer.from(bytes))).toBe(true);
        }
      }),
    );
  });

  it.each([
    ["whitespace", "aGVs bG8="],
    ["a newline", "aGVsbG8=\n"],
    ["mixed alphabets", "+_-/"],
    ["non-zero trailing bits", "aGVsbG9="],
    ["a dangling character", "aGVsb"],
    ["padding in the middle", "aG=VsbG8"],
    ["too much padding", "aGVsbG8=="],
    ["padding on an unpadded length", "aGVsbA="],
    ["a non-alphabet character", "aGVsbG8*"],
  ])("refuses %s", (_label, input) => {
    expect(decodeBase64Strict(input)).toBeUndefined();
  });

  it("accepts the empty string as zero bytes", () => {
    expect(decodeBase64Strict("")?.length).toBe(0);
  });
});

describe("decodeEnvelope", () => {
  it("reads text, bytes and parsed JSON alike", () => {
    const json = JSON.stringify(GOOD);
    for (const input of [json, bytesOf(json), structuredClone(GOOD)]) {
      expect(decodeEnvelope(input)).toEqual(GOOD);
    }
  });

  it("accepts URL-safe and unpadded base64, as DSSE requires", () => {
    const env = decodeEnvelope({ ...GOOD, payload: "-_-_Pj8", signatures: [{ sig: "P-_KHICe" }] });
    expect([...envelopePayload(env)]).toEqual([0xfb, 0xff, 0xbf, 0x3e, 0x3f]);
  });

  it("accepts an empty payload and a missing or null keyid", () => {
    const env = decodeEnvelope({
      ...GOOD,
      payload: "",
      signatures: [{ sig: "AA==" }, { keyid: null, sig: "AQ==" }],
    });
    expect(envelopePayload(env).length).toBe(0);
    expect(env.signatures).toEqual([{ sig: "AA==" }, { sig: "AQ==" }]);
  });

  it("ignores unknown fields", () => {
    expect(decodeEnvelope({ ...GOOD, extension: { x: 1 } })).toEqual(GOOD);
  });

  it("empty signatures: refused with the path /signatures", () => {
    const e = decodeError(() => decodeEnvelope({ ...GOOD, signatures: [] }));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location.path).toBe("/signatures");
  });

  it.each([
    ["no payload", { payloadType: "t", signatures: GOOD.signatures }, "/payload"],
    ["no payloadType", { payload: "", signatures: GOOD.signatures }, "/payloadType"],
    ["no signatures", { payload: "", payloadType: "t" }, "/signatures"],
    ["a numeric payload", { ...GOOD, payload: 5 }, "/payload"],
    ["signatures as an object", { ...GOOD, signatures: {} }, "/signatures"],
    ["a signature without sig", { ...GOOD, signatures: [{ keyid: "k" }] }, "/signatures/0/sig"],
    ["an empty sig", { ...GOOD, signatures: [{ sig: "" }] }, "/signatures/0/sig"],
    ["a numeric keyid", { ...GOOD, signatures: [{ keyid: 7, sig: "AA==" }] }, "/signatures/0/keyid"],
    ["a string signature entry", { ...GOOD, signatures: ["AA=="] }, "/signatures/0"],
    ["malformed base64 in payload", { ...GOOD, payload: "aGVsbG8gd29ybGQ" + "!" }, "/payload"],
    ["malformed base64 in sig", { ...GOOD, signatures: [{ sig: "A3Jq sQ==" }] }, "/signatures/0/sig"],
    ["a lone surrogate in payloadType", { ...GOOD, payloadType: "t\uDC00" }, "/payloadType"],
  ])("malformed: %s is INPUT_INVALID at its path", (_label, json, path) => {
    const e = decodeError(() => decodeEnvelope(json as never, "env.json"));
    expect(e.location).toMatchObject({ file: "env.json", path });
    expect(e.toString()).toMatch(/^env\.json: .*\[INPUT_INVALID]$/);
  });

  it("malformed JSON: reports line and column", () => {
    const e = decodeError(() => decodeEnvelope('{\n  "payload": "",\n  "payloadType": t\n}', "bad.json"));
    expect(e.location).toMatchObject({ file: "bad.json", line: 3, column: 18 });
    expect(e.message).toMatch(/not valid JSON/);
  });

  it.each([
    ["a trailing comma", '{"payload":"","payloadType":"t","signatures":[{"sig":"AA=="},]}'],
    ["an unterminated string", '{"payload":"'],
    ["content after the document", `${JSON.stringify(GOOD)} {}`],
    ["a control character in a string", '{"payload":"\u0001"}'],
    ["a bad escape", '{"payload":"\\x41"}'],
    ["an escaped lone surrogate", '{"payload":"","payloadType":"\\ud800","signatures":[]}'],
    ["not JSON at all", "payload: x"],
  ])("malformed JSON: refuses %s", (_label, input) => {
    expect(decodeError(() => decodeEnvelope(input)).message).toMatch(/not valid JSON/);
  });

  it("refuses duplicate keys, which two parsers could read differently", () => {
    const input = '{"payload":"aGk=","payloadType":"t","payload":"Ynll","signatures":[{"sig":"AA=="}]}';
    const e = decodeError(() => decodeEnvelope(input));
    expect(e.message).toMatch(/duplicate key "payload"/);
    expect(e.location).toMatchObject({ path: "/payload", line: 1, column: 37 });
  });

  it("refuses invalid UTF-8 bytes", () => {
    const e = decodeError(() => decodeEnvelope(Uint8Array.from([0x7b, 0xff, 0x7d])));
    expect(e.message).toMatch(/UTF-8/);
  });

  it("oversized envelope: INPUT_TOO_LARGE before parsing", () => {
    const limits = { ...DEFAULT_ENVELOPE_LIMITS, maxEnvelopeBytes: 100 };
    const big = JSON.stringify({ ...GOOD, padding: "x".repeat(200) });
    for (const input of [big, bytesOf(big)]) {
      const e = thrown(() => decodeEnvelope(input, "big.json", limits));
      expect(e).toBeInstanceOf(DecodeLimitError);
      expect(e).toMatchObject({ code: "INPUT_TOO_LARGE", location: { file: "big.json" } });
    }
  });

  it("counts UTF-8 bytes, not characters, against the envelope limit", () => {
    const json = JSON.stringify({ ...GOOD, note: "é".repeat(60) });
    const limits = { ...DEFAULT_ENVELOPE_LIMITS, maxEnvelopeBytes: json.length + 10 };
    expect(() => decodeEnvelope(json, undefined, limits)).toThrow(DecodeLimitError);
  });

  it.each([
    ["payload", { maxPayloadBytes: 8 }, { ...GOOD, payload: encodeBase64(new Uint8Array(9)) }, "/payload"],
    [
      "signature count",
      { maxSignatures: 2 },
      { ...GOOD, signatures: Array(3).fill({ sig: "AA==" }) },
      "/signatures",
    ],
    [
      "signature size",
      { maxSignatureBytes: 4 },
      { ...GOOD, signatures: [{ sig: "AAAAAAAA" }] },
      "/signatures/0/sig",
    ],
    ["payloadType size", { maxFieldBytes: 4 }, { ...GOOD, payloadType: "12345" }, "/payloadType"],
  ])("over the %s limit: INPUT_TOO_LARGE at its path", (_label, over, json, path) => {
    const e = thrown(() => decodeEnvelope(json as never, undefined, { ...DEFAULT_ENVELOPE_LIMITS, ...over }));
    expect(e).toBeInstanceOf(DecodeLimitError);
    expect(e).toMatchObject({ code: "INPUT_TOO_LARGE", location: { path } });
  });

  it("deep nesting: INPUT_TOO_DEEP without overflowing the stack", () => {
    const deep = `{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const e = thrown(() => decodeEnvelope(deep));
    expect(e).toBeInstanceOf(DecodeLimitError);
    expect(e).toMatchObject({ code: "INPUT_TOO_DEEP" });
  });

  it("never throws anything but its two error classes on mangled input", () => {
    const json = JSON.stringify(GOOD);
    fc.assert(
      fc.property(fc.nat(json.length - 1), fc.string({ maxLength: 3 }), (at, insert) => {
        const mangled = json.slice(0, at) + insert + json.slice(at + 1);
        try {
          decodeEnvelope(mangled);
        } catch (e) {
          expect(e instanceof DsseDecodeError || e instanceof DecodeLimitError).toBe(true);
        }
      }),
    );
  });
});

describe("encodeEnvelope / buildEnvelope", () => {
  it("writes compact JSON in DSSE field order that decodes to the same envelope", () => {
    const env = buildEnvelope("t", bytesOf("hi"), [
      { keyid: "k", sig: Uint8Array.of(1, 2) },
      { sig: Uint8Array.of(3) },
    ]);
    const out = encodeEnvelope(env);
    expect(out).toBe(
      '{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"AQI="},{"sig":"Aw=="}]}',
    );
    expect(decodeEnvelope(out)).toEqual(env);
  });

  it("refuses to write an invalid envelope", () => {
    const bad: Envelope = { payloadType: "t", payload: "not base64!", signatures: [{ sig: "AA==" }] };
    expect(() => encodeEnvelope(bad)).toThrow(DsseDecodeError);
    expect(() => encodeEnvelope({ ...bad, payload: "", signatures: [] })).toThrow(/at least one signature/);
  });
});

// ---------------------------------------------------------------------------------------------
// The shared DSSE vectors: every envelope decodes or is refused as its case says; signatures are
// checked in test/attest/dsse.test.ts.

const shared = requireShared();

describe.skipIf(!shared)("shared DSSE vectors (sigstore/dsse)", () => {
  const root = join(shared ?? "", "test-vectors", "sigstore");
  const cases = readFileSync(join(root, "cases.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((c) => String(c.id).startsWith("dsse/"));

  it("has the cases the README lists", () => {
    expect(cases.map((c) => c.type).sort()).toEqual([
      "dsse-pae",
      "dsse-sign",
      "dsse-verify",
      "dsse-verify",
      "dsse-verify",
      "dsse-verify",
      "dsse-verify",
    ]);
  });

  for (const c of cases.filter((c) => c.type === "dsse-pae")) {
    it(`${String(c.id)}: PAE is the expected string`, () => {
      const payload = decodeBase64Strict(String(c.payloadB64))!;
      expect(text(pae(String(c.payloadType), payload))).toBe(c.expectedPae);
    });
  }

  for (const c of cases.filter((c) => c.type === "dsse-verify")) {
    it(`${String(c.id)}: decodes, or is refused only when the case expects a failure`, () => {
      const file = join(root, String(c.envelope));
      const raw = readFileSync(file, "utf8");
      if (c.id === "dsse/no-signatures") {
        expect(c.expected).toBe("fail");
        expect(decodeError(() => decodeEnvelope(raw, file)).location.path).toBe("/signatures");
        return;
      }
      const env = decodeEnvelope(raw, file);
      expect(env.signatures.length).toBeGreaterThan(0);
      expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env);
    });
  }
});
