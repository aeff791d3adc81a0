import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEntryBundle,
  encodeEntry,
  encodeEntryBundle,
  encodeTileIndex,
  extendRange,
  leafHash,
  makeEntry,
  nodeHash,
  parseTilePath,
  rangeRoot,
  rootOf,
  tilePath,
  validateEntry,
} from "../../src/tlog/index.js";

describe("tlog-tiles paths", () => {
  it("encodes indexes in three-digit groups with x prefixes (the spec's examples)", () => {
    expect(encodeTileIndex(0)).toBe("000");
    expect(encodeTileIndex(1234067)).toBe("x001/x234/067");
    expect(tilePath(0, 1234067)).toBe("tile/0/x001/x234/067");
    expect(tilePath(1, 1234067, 8)).toBe("tile/1/x001/x234/067.p/8");
    expect(tilePath("entries", 5, 255)).toBe("tile/entries/005.p/255");
  });

  it("parses exactly what it writes and nothing else", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 63 }), fc.constant("entries" as const)),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          expect(parseTilePath(tilePath(level, index, width))).toEqual({ level, index, width });
        },
      ),
    );
    for (const bad of [
      "tile/0/1",
      "tile/0/x000/001",
      "tile/0/001.p/256",
      "tile/0/001.p/0",
      "tile/64/000",
      "tile/0/001/",
      "checkpoint",
    ])
      expect(parseTilePath(bad)).toBeUndefined();
    expect(() => tilePath(0, 1, 0)).toThrow(/width/);
  });
});

describe("entry bundles", () => {
  it("length-prefixes each entry and decodes back; truncation is an error", () => {
    const entries = [new Uint8Array(0), new TextEncoder().encode("hello"), new Uint8Array(65535).fill(7)];
    const bundle = encodeEntryBundle(entries);
    expect(bundle.length).toBe(2 + 7 + 2 + 65535);
    expect(decodeEntryBundle(bundle)).toEqual(entries);
    expect(() => decodeEntryBundle(bundle.subarray(0, 8))).toThrow(/truncated/);
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(/does not fit/);
  });
});

describe("compact ranges", () => {
  it("extend one leaf at a time to the RFC 6962 root, reporting every completed subtree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), (n) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i & 255, i >> 8)));
        const range: Uint8Array[] = [];
        const completed: string[] = [];
        leaves.forEach((l, i) =>
          extendRange(range, i, l, (h, k, hash) =>
            completed.push(`${h}/${k}/${Buffer.from(hash).toString("hex")}`),
          ),
        );
        expect(Buffer.from(rangeRoot(range)).equals(Buffer.from(rootOf(leaves)))).toBe(true);
        // Every perfect subtree of height 1 is reported once, with its hash.
        for (let k = 0; 2 * k + 1 < n; k++)
          expect(completed).toContain(
            `1/${k}/${Buffer.from(rootOf(leaves.slice(2 * k, 2 * k + 2))).toString("hex")}`,
          );
      }),
      { numRuns: 60 },
    );
  });
});

describe("typed entries", () => {
  const subject = { name: "app", digest: { sha256: "a".repeat(64) } };

  it("encode as canonical JSON, so key order does not change the bytes", () => {
    const a = encodeEntry(
      makeEntry("decision", { decision: "deny", subject, environment: "production" }, new Date(0)),
    );
    const b = encodeEntry(
      validateEntry({
        spec: { environment: "production", subject, decision: "deny" },
        time: "1970-01-01T00:00:00Z",
        kind: "decision",
        apiVersion: "bulwark.dev/log/v1",
      }),
    );
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a)).toBe(
      `{"apiVersion":"bulwark.dev/log/v1","kind":"decision","spec":{"decision":"deny","environment":"production","subject":{"digest":{"sha256":"${"a".repeat(64)}"},"name":"app"}},"time":"1970-01-01T00:00:00Z"}`,
    );
  });

  it("each kind checks its required fields and names the JSON path", () => {
    expect(() => makeEntry("attestation", { predicateType: "x", subjects: [subject] })).toThrow(
      "$.spec.envelopeDigest: is required",
    );
    expect(() => makeEntry("decision", { decision: "maybe" })).toThrow(
      "$.spec.decision: must be one of allow, deny, warn",
    );
    expect(() =>
      makeEntry("quarantine", { action: "quarantine", reason: "r", subject: { digest: { sha256: "xyz" } } }),
    ).toThrow("$.spec.subject.digest.sha256");
    expect(() =>
      makeEntry("override", {
        subject,
        policyIds: ["K8S-001"],
        reason: "r",
        approver: "a",
        expires: "tomorrow",
      }),
    ).toThrow("$.spec.expires: must be an RFC 3339 time");
    expect(() => makeEntry("key-event", { event: "revoked", keyid: "k" })).not.toThrow();
    expect(() => validateEntry({ apiVersion: "v0", kind: "decision" })).toThrow("$.apiVersion");
    expect(() =>
      encodeEntry(makeEntry("decision", { decision: "allow", environment: "x".repeat(70_000) })),
    ).toThrow(/limit is 65535/);
  });
});

describe("interior node hashing", () => {
  it("equals node:crypto's SHA-256 of 0x01 ‖ left ‖ right for random hashes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (l, r) => {
          const want = createHash("sha256").update(Uint8Array.of(1)).update(l).update(r).digest("hex");
          expect(Buffer.from(nodeHash(l, r)).toString("hex")).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
    // Inputs that are not 32-byte hashes still hash as the RFC says (generic path).
    const odd = nodeHash(Uint8Array.of(1, 2), Uint8Array.of(3));
    expect(Buffer.from(odd).toString("hex")).toBe(
      createHash("sha256")
        .update(Uint8Array.of(1, 1, 2, 3))
        .digest("hex"),
    );
  });
});
