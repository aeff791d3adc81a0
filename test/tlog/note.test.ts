import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import {
  cosignatureTime,
  cosignCheckpoint,
  generateNoteKey,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyCheckpoint,
  verifyNote,
} from "../../src/tlog/index.js";
import { requireShared } from "../support/shared.js";

const dir = requireShared();
const merkleDir = dir === undefined ? "" : join(dir, "test-vectors", "merkle");
const read = (file: string): string => readFileSync(join(merkleDir, file), "utf8");

interface NoteCase {
  type: string;
  file: string;
  vkey?: string;
  expected: "pass" | "fail";
  expectedOrigin?: string;
  expectedSize?: number;
  expectedRootHash?: string;
}

function loadCases(): NoteCase[] {
  if (dir === undefined) return [];
  return read("cases.jsonl")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as NoteCase)
    .filter((c) => c.type === "signed-note" || c.type === "checkpoint-parse");
}

function openNote(c: NoteCase): void {
  verifyNote(read(c.file), [parseVerifierKey(read(c.vkey!))]);
}

describe.skipIf(!dir)("C2SP vectors", () => {
  const cases = loadCases();

  it("has the four C2SP cases", () => {
    expect(cases).toHaveLength(4);
  });

  it.each(cases.map((c) => [`${c.type} ${c.file} ${c.vkey ?? ""} (${c.expected})`, c] as const))(
    "%s",
    (_n, c) => {
      if (c.type === "checkpoint-parse") {
        const cp = parseCheckpoint(parseNote(read(c.file)).text);
        expect(cp.origin).toBe(c.expectedOrigin);
        expect(cp.size).toBe(BigInt(c.expectedSize!));
        expect(Buffer.from(cp.rootHash).toString("base64")).toBe(c.expectedRootHash);
        return;
      }
      if (c.expected === "pass") expect(() => openNote(c)).not.toThrow();
      else expect(() => openNote(c)).toThrow(BulwarkError);
    },
  );

  it("reports the verifying key and the exact signed text", () => {
    const key = parseVerifierKey(read("c2sp/example.vkey"));
    const note = verifyNote(read("c2sp/example.note"), [key]);
    expect(note.text).toBe("This is an example message.\n");
    expect(note.verifiedBy).toEqual([key]);
    expect(key.keyHash).toBe(0x530d903a);
  });

  it("rejects a tampered text as VERIFICATION_FAILED", () => {
    const key = parseVerifierKey(read("c2sp/example.vkey"));
    expect(() => verifyNote(read("c2sp/tampered-text.note"), [key])).toThrow(
      expect.objectContaining({ code: "VERIFICATION_FAILED" }),
    );
  });

  it("rejects a verifier key whose hash does not match its key as INPUT_INVALID", () => {
    expect(() => parseVerifierKey(read("c2sp/wrong-key.vkey"))).toThrow(
      expect.objectContaining({ code: "INPUT_INVALID" }),
    );
  });
});

// Our own notes, signed with a fresh key, for the cases the vectors do not cover.
function makeKey(name: string): { vkey: string; signNote: (text: string) => string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const material = Buffer.concat([Buffer.of(1), raw]);
  const hash = createHash("sha256").update(`${name}\n`).update(material).digest().subarray(0, 4);
  const vkey = `${name}+${hash.toString("hex")}+${material.toString("base64")}`;
  const signNote = (text: string): string => {
    const sig = sign(null, Buffer.from(text), privateKey);
    return `${text}\n\u2014 ${name} ${Buffer.concat([hash, sig]).toString("base64")}\n`;
  };
  return { vkey, signNote };
}

describe("signed notes", () => {
  const log = makeKey("log.example/test");
  const witness = makeKey("witness.example");
  const body = "log.example/test\n42\n" + Buffer.alloc(32, 7).toString("base64") + "\nextension line\n";

  it("verifies a checkpoint with extensions and ignores unknown signers", () => {
    const signed = log.signNote(body);
    const cosigned = signed + witness.signNote(body).slice(body.length + 1);
    const cp = verifyCheckpoint(cosigned, [parseVerifierKey(log.vkey)]);
    expect(cp.origin).toBe("log.example/test");
    expect(cp.size).toBe(42n);
    expect(cp.extensions).toEqual(["extension line"]);
    expect(parseNote(cosigned).signatures).toHaveLength(2);
  });

  it("fails closed when no signature is by a known key", () => {
    expect(() => verifyNote(log.signNote(body), [parseVerifierKey(witness.vkey)])).toThrow(
      expect.objectContaining({ code: "VERIFICATION_FAILED" }),
    );
  });

  it.each([
    ["no signature block", "hello\n"],
    ["no final newline", "hello\n\n\u2014 a AAAAAAA="],
    ["malformed signature line", "hello\n\n- a AAAAAAA=\n"],
    ["short signature", "hello\n\n\u2014 a AAAA\n"],
    ["bad base64", "hello\n\n\u2014 a !!!!!!!!\n"],
    ["control character", "hel\u0007lo\n\n\u2014 a AAAAAAA=\n"],
  ])("rejects a malformed note: %s", (_n, note) => {
    expect(() => parseNote(note)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });

  it.each([
    ["wrong field count", "a+530d903a"],
    ["uppercase hash", "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"],
    ["unknown algorithm", "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"],
    ["short key", "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYc"],
  ])("rejects a malformed verifier key: %s", (_n, vkey) => {
    expect(() => parseVerifierKey(vkey)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });

  it.each([
    ["empty origin", "\n1\n" + Buffer.alloc(32).toString("base64") + "\n"],
    ["leading zero size", "o\n01\n" + Buffer.alloc(32).toString("base64") + "\n"],
    ["short root", "o\n1\n" + Buffer.alloc(31).toString("base64") + "\n"],
    ["missing root", "o\n1\n"],
    ["empty extension", "o\n1\n" + Buffer.alloc(32).toString("base64") + "\n\n"],
    ["oversized size", "o\n18446744073709551616\n" + Buffer.alloc(32).toString("base64") + "\n"],
  ])("rejects a malformed checkpoint: %s", (_n, text) => {
    expect(() => parseCheckpoint(text)).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

describe("verifier keys whose base64 contains '+' (regression)", () => {
  it("parses keys for many random Ed25519 public keys, '+' included", async () => {
    const { generateKeyPairSync, createHash } = await import("node:crypto");
    const { parseVerifierKey } = await import("../../src/tlog/index.js");
    let withPlus = 0;
    for (let i = 0; i < 200; i++) {
      const { publicKey } = generateKeyPairSync("ed25519");
      const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
      const material = Buffer.concat([Buffer.from([1]), raw]);
      const name = "example.com/log";
      const hash = createHash("sha256")
        .update(Buffer.concat([Buffer.from(`${name}\n`), material]))
        .digest()
        .subarray(0, 4);
      const vkey = `${name}+${hash.toString("hex")}+${material.toString("base64")}`;
      if (material.toString("base64").includes("+")) withPlus++;
      expect(Buffer.from(parseVerifierKey(vkey).publicKey).equals(raw)).toBe(true);
    }
    expect(withPlus).toBeGreaterThan(0);
  });
});

describe("note signing", () => {
  // The example key and note of the Go note package's documentation (golang.org/x/mod/sumdb/note):
  // Ed25519 is deterministic, so signing the same text must give the published signature.
  const skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  const vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  const text =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";

  it("reproduces the Go note package's published signature", () => {
    const signer = parseSignerKey(skey);
    expect(signer.verifierKey).toBe(vkey);
    expect(signNote(text, [signer])).toBe(
      `${text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    );
  });

  it("generated keys round-trip, and malformed signer keys are refused", () => {
    const { skey: s, vkey: v } = generateNoteKey("example.com/log");
    const note = signNote("example.com/log\n1\n" + Buffer.alloc(32).toString("base64") + "\n", [
      parseSignerKey(s),
    ]);
    expect(verifyNote(note, [parseVerifierKey(v)]).verifiedBy.map((k) => k.name)).toEqual([
      "example.com/log",
    ]);
    expect(() => parseSignerKey(skey.replace("c74f20a3", "c74f20a4"))).toThrow(/hash does not match/);
    expect(() => parseSignerKey(vkey)).toThrow(/PRIVATE\+KEY/);
    expect(() => generateNoteKey("has space")).toThrow(/name/);
    expect(() => signNote("no newline", [parseSignerKey(s)])).toThrow(/newline/);
  });

  it("cosignature/v1: a witness signs `cosignature/v1`, the time and the checkpoint; verifiers check it with a 0x04 key", () => {
    const log = parseSignerKey(generateNoteKey("example.com/log").skey);
    const w = generateNoteKey("witness.example/w1", { cosigner: true });
    const witness = parseSignerKey(w.skey);
    const body = "example.com/log\n5\n" + Buffer.alloc(32, 7).toString("base64") + "\n";
    const note = `${signNote(body, [log])}${cosignCheckpoint(body, witness, 1_679_315_147)}\n`;
    const wv = parseVerifierKey(w.vkey);
    expect(wv.kind).toBe("ed25519-cosignature");
    const verified = verifyNote(note, [wv]);
    expect(verified.verifiedBy).toEqual([wv]);
    const sig = verified.signatures.find((s) => s.name === "witness.example/w1")!;
    expect(cosignatureTime(sig)).toBe(1_679_315_147n);
    // The same signature over another checkpoint, or re-timed, fails.
    const moved = note.replace("\n5\n", "\n6\n");
    expect(() => verifyNote(moved, [wv])).toThrow(/does not verify/);
    // A cosigner key cannot sign notes, and a log key cannot cosign.
    expect(() => signNote(body, [witness])).toThrow(/cosigner/);
    expect(() => cosignCheckpoint(body, log, 1)).toThrow(/not a cosigner/);
  });
});
