import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import {
  consistencyProof,
  emptyRoot,
  type Hash,
  inclusionProof,
  leafHash,
  nodeHash,
  rootOf,
  subtreeConsistencyProof,
  subtreeInclusionProof,
  verifyConsistency,
  verifyInclusion,
  verifySubtreeConsistency,
  verifySubtreeInclusion,
} from "../../src/tlog/index.js";
import { requireShared } from "../support/shared.js";

const dir = requireShared();
const merkleDir = dir === undefined ? "" : join(dir, "test-vectors", "merkle");

interface VectorCase {
  type: string;
  file: string;
  expected: "pass" | "fail";
  desc?: string;
  strictness?: string[];
  treeSize?: number;
  expectedRootHex?: string;
}

const hex = (h: Uint8Array): string => Buffer.from(h).toString("hex");
const b64 = (s: string | null | undefined): Hash => new Uint8Array(Buffer.from(s ?? "", "base64"));
const proofOf = (p: string[] | null | undefined): Hash[] => (p ?? []).map(b64);

/** Reads a transparency-dev vector keeping uint64 sizes exact (JSON numbers would round). */
function readVector(file: string): Record<string, unknown> {
  const text = readFileSync(join(merkleDir, file), "utf8").replace(
    /("(?:leafIdx|treeSize|size1|size2|start|end|size)":\s*)(\d+)/g,
    '$1"$2"',
  );
  return JSON.parse(text) as Record<string, unknown>;
}

/** Runs the verification a vector describes; throws when it does not verify. */
function runVector(c: VectorCase): void {
  const v = readVector(c.file);
  const n = (k: string): bigint => BigInt(v[k] as string);
  const s = (k: string): string | null => v[k] as string | null;
  const proof = proofOf(v.proof as string[] | null);
  switch (c.type) {
    case "inclusion":
      return verifyInclusion(b64(s("leafHash")), n("leafIdx"), n("treeSize"), proof, b64(s("root")));
    case "subtree-inclusion":
      return verifySubtreeInclusion(
        b64(s("leafHash")),
        n("leafIdx"),
        n("start"),
        n("end"),
        proof,
        b64(s("root")),
      );
    case "consistency":
      return verifyConsistency(n("size1"), n("size2"), b64(s("root1")), b64(s("root2")), proof);
    case "subtree-consistency":
      return verifySubtreeConsistency(
        n("start"),
        n("end"),
        n("size"),
        b64(s("root1")),
        b64(s("root2")),
        proof,
      );
    default:
      throw new Error(`unexpected vector type ${c.type}`);
  }
}

const MERKLE_TYPES = new Set(["inclusion", "subtree-inclusion", "consistency", "subtree-consistency"]);

function loadCases(): VectorCase[] {
  if (dir === undefined) return [];
  return readFileSync(join(merkleDir, "cases.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as VectorCase);
}

describe.skipIf(!dir)("transparency-dev/merkle vectors", () => {
  const cases = loadCases().filter((c) => MERKLE_TYPES.has(c.type));

  it("covers every proof case of cases.jsonl", () => {
    expect(cases).toHaveLength(518);
  });

  it.each(cases.map((c) => [`${c.type} ${c.file} (${c.expected})`, c] as const))("%s", (_name, c) => {
    if (c.expected === "pass") {
      expect(() => runVector(c)).not.toThrow();
      return;
    }
    // Must be rejected with a typed error, never a crash. Strictness cases (from size 0, leaf
    // hash not 32 bytes) are rejected as malformed input rather than as a root mismatch.
    let error: unknown;
    try {
      runVector(c);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BulwarkError);
    if (c.strictness !== undefined) expect((error as BulwarkError).code).toBe("INPUT_INVALID");
  });
});

describe.skipIf(!dir)("RFC 6962 reference tree", () => {
  const cases = loadCases().filter((c) => c.type === "root-hash");
  const reference = (): { leafInputsHex: string[]; completeSubtreeHashesHexByLevel: string[][] } =>
    JSON.parse(readFileSync(join(merkleDir, "rfc6962-reference.json"), "utf8")) as {
      leafInputsHex: string[];
      completeSubtreeHashesHexByLevel: string[][];
    };

  it("has the nine root-hash cases", () => {
    expect(cases).toHaveLength(9);
  });

  it.each(cases.map((c) => [c.treeSize!, c.expectedRootHex!] as const))("root of size %i", (size, want) => {
    const leaves = reference().leafInputsHex.map((h) => leafHash(Buffer.from(h, "hex")));
    expect(hex(rootOf(leaves.slice(0, size)))).toBe(want);
  });

  it("reproduces every complete subtree hash", () => {
    const ref = reference();
    const leaves = ref.leafInputsHex.map((h) => leafHash(Buffer.from(h, "hex")));
    ref.completeSubtreeHashesHexByLevel.forEach((level, l) => {
      level.forEach((want, i) => {
        const width = 2 ** l;
        expect(hex(rootOf(leaves.slice(i * width, (i + 1) * width)))).toBe(want);
      });
    });
  });
});

describe("merkle basics", () => {
  it("hashes the empty tree to SHA-256 of the empty string", () => {
    expect(hex(rootOf([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(emptyRoot()).toEqual(rootOf([]));
  });

  it("separates leaf and node hashing domains", () => {
    const a = leafHash(Uint8Array.of(1));
    const b = leafHash(Uint8Array.of(2));
    expect(hex(nodeHash(a, b))).not.toBe(hex(leafHash(Buffer.concat([a, b]))));
  });

  it("rejects proof requests outside the tree with typed errors", () => {
    const leaves = [1, 2, 3].map((i) => leafHash(Uint8Array.of(i)));
    expect(() => inclusionProof(leaves, 3)).toThrow(BulwarkError);
    expect(() => inclusionProof(leaves, -1)).toThrow(BulwarkError);
    expect(() => consistencyProof(leaves, 0, 3)).toThrow(BulwarkError);
    expect(() => consistencyProof(leaves, 2, 4)).toThrow(BulwarkError);
    expect(() => subtreeInclusionProof(leaves, 0, 1, 3)).toThrow(BulwarkError);
  });

  it("rejects non-integer and out-of-range sizes instead of crashing", () => {
    const leaf = leafHash(Uint8Array.of(0));
    expect(() => verifyInclusion(leaf, 0.5, 1, [], leaf)).toThrow(BulwarkError);
    expect(() => verifyInclusion(leaf, 0, 1n << 64n, [], leaf)).toThrow(BulwarkError);
    expect(() => verifyConsistency(-1, 1, leaf, leaf, [])).toThrow(BulwarkError);
  });

  it("reports a root mismatch as VERIFICATION_FAILED and a malformed proof as INPUT_INVALID", () => {
    const leaves = [1, 2, 3, 4].map((i) => leafHash(Uint8Array.of(i)));
    const proof = inclusionProof(leaves, 1);
    expect(() => verifyInclusion(leaves[1]!, 1, 4, proof, leaves[0]!)).toThrow(
      expect.objectContaining({ code: "VERIFICATION_FAILED" }),
    );
    expect(() => verifyInclusion(leaves[1]!, 1, 4, proof.slice(1), rootOf(leaves))).toThrow(
      expect.objectContaining({ code: "INPUT_INVALID" }),
    );
    expect(() =>
      verifyInclusion(leaves[1]!, 1, 4, [proof[0]!.subarray(1), ...proof.slice(1)], rootOf(leaves)),
    ).toThrow(expect.objectContaining({ code: "INPUT_INVALID" }));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties on random trees.

const treeArb = fc
  .integer({ min: 1, max: 70 })
  .map((n) => Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(i, n))));

function flip(h: Hash, byte: number, bit: number): Hash {
  const out = Uint8Array.from(h);
  out[byte % out.length]! ^= 1 << bit;
  return out;
}

/** A random valid subtree [start, end) of n leaves: inside one aligned power-of-two block. */
function validSubtree(n: number, a: number, b: number): [number, number] {
  const width = 2 ** (a % (Math.floor(Math.log2(n)) + 1));
  const blocks = Math.ceil(n / width);
  const start = (b % blocks) * width;
  const end = Math.min(n, start + 1 + (a % width));
  return [start, end];
}

describe("merkle properties", () => {
  it("every generated inclusion proof verifies, and any flipped bit breaks it", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), fc.nat(), fc.nat({ max: 7 }), (leaves, i, s, byte, bit) => {
        const size = 1 + (s % leaves.length);
        const index = i % size;
        const tree = leaves.slice(0, size);
        const proof = inclusionProof(leaves, index, size);
        const root = rootOf(tree);
        verifyInclusion(leaves[index]!, index, size, proof, root);
        expect(() => verifyInclusion(leaves[index]!, index, size, proof, flip(root, byte, bit))).toThrow(
          BulwarkError,
        );
        if (proof.length > 0) {
          const p = byte % proof.length;
          const bad = proof.map((h, j) => (j === p ? flip(h, byte, bit) : h));
          expect(() => verifyInclusion(leaves[index]!, index, size, bad, root)).toThrow(BulwarkError);
        }
      }),
    );
  });

  it("every consistency proof between random sizes verifies, and any flipped bit breaks it", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), fc.nat(), fc.nat({ max: 7 }), (leaves, a, b, byte, bit) => {
        const n = 1 + (b % leaves.length);
        const m = 1 + (a % n);
        const proof = consistencyProof(leaves, m, n);
        const oldRoot = rootOf(leaves.slice(0, m));
        const newRoot = rootOf(leaves.slice(0, n));
        verifyConsistency(m, n, oldRoot, newRoot, proof);
        expect(() => verifyConsistency(m, n, oldRoot, flip(newRoot, byte, bit), proof)).toThrow(BulwarkError);
        expect(() => verifyConsistency(m, n, flip(oldRoot, byte, bit), newRoot, proof)).toThrow(BulwarkError);
        if (proof.length > 0) {
          const p = byte % proof.length;
          const bad = proof.map((h, j) => (j === p ? flip(h, byte, bit) : h));
          expect(() => verifyConsistency(m, n, oldRoot, newRoot, bad)).toThrow(BulwarkError);
        }
      }),
    );
  });

  it("every subtree inclusion and subtree consistency proof verifies", () => {
    fc.assert(
      fc.property(
        treeArb,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 7 }),
        (leaves, a, b, c, byte, bit) => {
          const n = leaves.length;
          const [start, end] = validSubtree(n, a, b);
          const index = start + (c % (end - start));
          const subRoot = rootOf(leaves.slice(start, end));
          const root = rootOf(leaves);
          verifySubtreeInclusion(
            leaves[index]!,
            index,
            start,
            end,
            subtreeInclusionProof(leaves, index, start, end),
            subRoot,
          );
          const proof = subtreeConsistencyProof(leaves, start, end, n);
          verifySubtreeConsistency(start, end, n, subRoot, root, proof);
          expect(() =>
            verifySubtreeConsistency(start, end, n, flip(subRoot, byte, bit), root, proof),
          ).toThrow(BulwarkError);
          if (proof.length > 0) {
            const p = byte % proof.length;
            const bad = proof.map((h, j) => (j === p ? flip(h, byte, bit) : h));
            expect(() => verifySubtreeConsistency(start, end, n, subRoot, root, bad)).toThrow(BulwarkError);
          }
        },
      ),
    );
  });
});
