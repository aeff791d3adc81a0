/**
 * RFC 6962 / RFC 9162 Merkle tree maths: leaf and node hashing, tree heads, inclusion and
 * consistency proofs, and the subtree proofs of the Merkle Tree Certificates draft, with the same
 * input rules as transparency-dev/merkle. Pure: no I/O, SHA-256 from node:crypto only.
 *
 * Sizes and indexes are unsigned 64-bit integers; they are accepted as `number` or `bigint` and
 * handled as `bigint` so the whole uint64 range is exact. Proof hashes are ordered from the leaf
 * (or subtree) upwards.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BulwarkError } from "../core/index.js";
import { sha256Node } from "./node-hash.js";

/** A SHA-256 tree hash (always {@link HASH_SIZE} bytes). */
export type Hash = Uint8Array;

/** An unsigned 64-bit tree size or leaf index. */
export type TreeIndex = number | bigint;

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const MAX_U64 = (1n << 64n) - 1n;

/** Why a proof was rejected; carried in `details.reason` of the thrown {@link BulwarkError}. */
export type ProofFailure =
  | "bad-argument"
  | "bad-hash-size"
  | "bad-proof-size"
  | "index-out-of-range"
  | "invalid-subtree"
  | "root-mismatch";

function fail(reason: ProofFailure, message: string): never {
  // A mismatch means "this proof is not for this root"; everything else is malformed input.
  throw new BulwarkError(reason === "root-mismatch" ? "VERIFICATION_FAILED" : "INPUT_INVALID", message, {
    details: { reason },
  });
}

function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** SHA-256(0x00 ‖ data): the hash of a log entry. */
export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an interior node (the hot path of every proof). */
export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) return sha256(NODE_PREFIX, left, right);
  return sha256Node(left, right);
}

/** The root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Hash {
  return sha256();
}

/** Constant-time equality of two hashes (false when the lengths differ). */
export function hashEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// ---------------------------------------------------------------------------------------------
// Building trees and proofs (RFC 6962 §2.1).

/** Largest power of two strictly less than `n` (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function mth(leaves: readonly Hash[], start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return emptyRoot();
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return nodeHash(mth(leaves, start, start + k), mth(leaves, start + k, end));
}

function toCount(name: string, v: TreeIndex, max: number): number {
  if (typeof v === "bigint" ? v < 0n || v > BigInt(max) : !Number.isSafeInteger(v) || v < 0 || v > max) {
    fail("bad-argument", `${name} ${String(v)} is not an integer in [0, ${max}]`);
  }
  return Number(v);
}

/** RFC 6962 MTH over leaf hashes; the empty tree hashes to SHA-256(""). */
export function rootOf(leafHashes: readonly Hash[]): Hash {
  return mth(leafHashes, 0, leafHashes.length);
}

/**
 * RFC 6962 PATH(index, D[0:size]): the audit path for leaf `index` in the tree formed by the
 * first `size` leaves (default: all of them).
 */
export function inclusionProof(leafHashes: readonly Hash[], index: TreeIndex, size?: TreeIndex): Hash[] {
  const n = size === undefined ? leafHashes.length : toCount("size", size, leafHashes.length);
  const m = toCount("index", index, leafHashes.length);
  if (m >= n) fail("index-out-of-range", `index ${m} is not below size ${n}`);
  return path(leafHashes, m, 0, n);
}

/**
 * MTH of the leaves [start, end), from wherever the caller keeps them (a tile store, say). Only
 * ranges that occur in RFC 6962's recursion are asked for.
 */
export type RangeHasher = (start: number, end: number) => Hash;

const overArray =
  (leaves: readonly Hash[]): RangeHasher =>
  (start, end) =>
    mth(leaves, start, end);

/** {@link inclusionProof} over subtree hashes from `hash` (for stores that keep tiles, not leaves). */
export function inclusionProofWith(hash: RangeHasher, index: number, size: number): Hash[] {
  if (!Number.isSafeInteger(size) || size < 0) fail("bad-argument", `size ${size} is not a count`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size)
    fail("index-out-of-range", `index ${index} is not below size ${size}`);
  return pathWith(hash, index, 0, size);
}

/** {@link consistencyProof} over subtree hashes from `hash`. */
export function consistencyProofWith(hash: RangeHasher, oldSize: number, newSize: number): Hash[] {
  if (!Number.isSafeInteger(newSize) || newSize < 0) fail("bad-argument", `size ${newSize} is not a count`);
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize)
    fail("bad-argument", `old size ${oldSize} is not in [0, ${newSize}]`);
  if (oldSize === 0) fail("bad-argument", "a consistency proof from the empty tree is meaningless");
  return subproofWith(hash, oldSize, 0, newSize, true);
}

function path(leaves: readonly Hash[], m: number, start: number, end: number): Hash[] {
  return pathWith(overArray(leaves), m, start, end);
}

function pathWith(hash: RangeHasher, m: number, start: number, end: number): Hash[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...pathWith(hash, m, start, start + k), hash(start + k, end)];
  return [...pathWith(hash, m - k, start + k, end), hash(start, start + k)];
}

/**
 * RFC 6962 PROOF(oldSize, D[0:newSize]). Requires 0 < oldSize ≤ newSize ≤ leafHashes.length
 * (a proof from the empty tree is meaningless, as in transparency-dev/merkle).
 */
export function consistencyProof(
  leafHashes: readonly Hash[],
  oldSize: TreeIndex,
  newSize: TreeIndex,
): Hash[] {
  const n = toCount("newSize", newSize, leafHashes.length);
  const m = toCount("oldSize", oldSize, n);
  if (m === 0) fail("bad-argument", "a consistency proof from the empty tree is meaningless");
  return subproof(leafHashes, m, 0, n, true);
}

function subproof(leaves: readonly Hash[], m: number, start: number, end: number, known: boolean): Hash[] {
  return subproofWith(overArray(leaves), m, start, end, known);
}

function subproofWith(hash: RangeHasher, m: number, start: number, end: number, known: boolean): Hash[] {
  const n = end - start;
  if (m === n) return known ? [] : [hash(start, end)];
  const k = splitPoint(n);
  if (m <= k) return [...subproofWith(hash, m, start, start + k, known), hash(start + k, end)];
  return [...subproofWith(hash, m - k, start + k, end, false), hash(start, start + k)];
}

/** Inclusion proof of leaf `index` in the subtree [start, end) (MTC draft subtree inclusion). */
export function subtreeInclusionProof(
  leafHashes: readonly Hash[],
  index: TreeIndex,
  start: TreeIndex,
  end: TreeIndex,
): Hash[] {
  const e = toCount("end", end, leafHashes.length);
  const s = toCount("start", start, e);
  checkSubtree(BigInt(s), BigInt(e));
  const i = toCount("index", index, leafHashes.length);
  if (i < s || i >= e) fail("index-out-of-range", `index ${i} is outside subtree [${s}, ${e})`);
  return path(leafHashes, i - s, s, e);
}

/**
 * Consistency proof between the subtree [start, end) and the tree of the first `size` leaves
 * (MTC draft subtree consistency). With start = 0 it is the RFC 6962 consistency proof.
 */
export function subtreeConsistencyProof(
  leafHashes: readonly Hash[],
  start: TreeIndex,
  end: TreeIndex,
  size: TreeIndex,
): Hash[] {
  const n = toCount("size", size, leafHashes.length);
  const e = toCount("end", end, n);
  const s = toCount("start", start, e);
  checkSubtree(BigInt(s), BigInt(e));
  return subtreeProof(leafHashes, s, e, 0, n, true);
}

function subtreeProof(
  leaves: readonly Hash[],
  s: number,
  e: number,
  start: number,
  end: number,
  known: boolean,
): Hash[] {
  const n = end - start;
  if (s === 0 && e === n) return known ? [] : [mth(leaves, start, end)];
  const k = splitPoint(n);
  if (e <= k) return [...subtreeProof(leaves, s, e, start, start + k, known), mth(leaves, start + k, end)];
  if (s >= k)
    return [...subtreeProof(leaves, s - k, e - k, start + k, end, known), mth(leaves, start, start + k)];
  // A valid subtree straddling k must start at 0: the left half is a full part of it.
  return [...subtreeProof(leaves, 0, e - k, start + k, end, false), mth(leaves, start, start + k)];
}

// ---------------------------------------------------------------------------------------------
// Verification (transparency-dev/merkle proof/verify.go semantics).

function toU64(name: string, v: TreeIndex): bigint {
  if (typeof v === "number" && !Number.isSafeInteger(v))
    fail("bad-argument", `${name} is not a safe integer`);
  const b = BigInt(v);
  if (b < 0n || b > MAX_U64) fail("bad-argument", `${name} ${b} is not a uint64`);
  return b;
}

function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function onesCount(x: bigint): number {
  let c = 0;
  for (const ch of x.toString(2)) if (ch === "1") c++;
  return c;
}

function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  let c = 0;
  while (((x >> BigInt(c)) & 1n) === 0n) c++;
  return c;
}

function checkHash(name: string, h: Uint8Array): void {
  if (h.length !== HASH_SIZE) fail("bad-hash-size", `${name} has ${h.length} bytes, want ${HASH_SIZE}`);
}

function checkProof(proof: readonly Hash[], want: number): void {
  if (proof.length !== want) fail("bad-proof-size", `proof has ${proof.length} hashes, want ${want}`);
  proof.forEach((h, i) => checkHash(`proof[${i}]`, h));
}

function checkSubtree(start: bigint, end: bigint): void {
  if (start >= end) fail("invalid-subtree", `subtree start ${start} is not below end ${end}`);
  if (start === 0n) return;
  // start must be a multiple of bit_ceil(end - start), so the subtree is one node's left part.
  const ceil = 1n << BigInt(bitLen(end - start - 1n));
  if (start % ceil !== 0n) fail("invalid-subtree", `subtree start ${start} is not a multiple of ${ceil}`);
}

function matchRoot(calculated: Hash, expected: Hash): void {
  if (!hashEquals(calculated, expected))
    fail("root-mismatch", "the proof does not lead to the expected root");
}

function chainInner(seed: Hash, proof: readonly Hash[], index: bigint): Hash {
  // Bit i of the index (from the least significant) says which side the sibling is on.
  const bits = index.toString(2);
  let h = seed;
  proof.forEach((p, i) => {
    h = bits[bits.length - 1 - i] === "1" ? nodeHash(p, h) : nodeHash(h, p);
  });
  return h;
}

function chainBorderRight(seed: Hash, proof: readonly Hash[]): Hash {
  let h = seed;
  for (const p of proof) h = nodeHash(p, h);
  return h;
}

function rootFromInclusion(index: bigint, size: bigint, leaf: Hash, proof: readonly Hash[]): Hash {
  if (index >= size) fail("index-out-of-range", `index ${index} is not below size ${size}`);
  checkHash("leaf hash", leaf);
  const inner = bitLen(index ^ (size - 1n));
  const border = onesCount(index >> BigInt(inner));
  checkProof(proof, inner + border);
  return chainBorderRight(chainInner(leaf, proof.slice(0, inner), index), proof.slice(inner));
}

/**
 * The root a tree of `size` leaves must have for `proof` to show leaf `index` with hash `leaf`.
 * Throws `INPUT_INVALID` on a malformed proof or arguments.
 */
export function rootFromInclusionProof(
  leaf: Hash,
  index: TreeIndex,
  size: TreeIndex,
  proof: readonly Hash[],
): Hash {
  return rootFromInclusion(toU64("index", index), toU64("size", size), leaf, proof);
}

/**
 * Verifies that leaf `index` with hash `leaf` is in the tree of `size` leaves with root `root`.
 * Returns normally on success; MUST throw otherwise — `VERIFICATION_FAILED` when the proof leads
 * to another root, `INPUT_INVALID` when it or its arguments are malformed (0 ≤ index < size).
 */
export function verifyInclusion(
  leaf: Hash,
  index: TreeIndex,
  size: TreeIndex,
  proof: readonly Hash[],
  root: Hash,
): void {
  matchRoot(rootFromInclusionProof(leaf, index, size, proof), root);
}

/**
 * Verifies inclusion of leaf `index` in the subtree [start, end) whose hash is `subtreeRoot`.
 * The subtree MUST be valid (start < end, start a multiple of bit_ceil(end − start)) and
 * start ≤ index < end.
 */
export function verifySubtreeInclusion(
  leaf: Hash,
  index: TreeIndex,
  start: TreeIndex,
  end: TreeIndex,
  proof: readonly Hash[],
  subtreeRoot: Hash,
): void {
  const i = toU64("index", index);
  const s = toU64("start", start);
  const e = toU64("end", end);
  checkSubtree(s, e);
  if (i < s || i >= e) fail("index-out-of-range", `index ${i} is outside subtree [${s}, ${e})`);
  matchRoot(rootFromInclusion(i - s, e - s, leaf, proof), subtreeRoot);
}

/**
 * Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot`. Requires 0 < oldSize ≤ newSize: a proof from the empty
 * tree is rejected (`INPUT_INVALID`) because it proves nothing.
 */
export function verifyConsistency(
  oldSize: TreeIndex,
  newSize: TreeIndex,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): void {
  const m = toU64("oldSize", oldSize);
  const n = toU64("newSize", newSize);
  if (n < m) fail("bad-argument", `newSize ${n} is below oldSize ${m}`);
  if (m === 0n) fail("bad-argument", "a consistency proof from the empty tree is meaningless");
  if (m === n) {
    checkProof(proof, 0);
    matchRoot(oldRoot, newRoot);
    return;
  }
  checkHash("old root", oldRoot);
  if (proof.length === 0) fail("bad-proof-size", "empty consistency proof");
  matchRoot(rootFromSubtreeConsistency(0n, m, n, proof, oldRoot), newRoot);
}

/**
 * Verifies that the subtree [start, end) with hash `subtreeRoot` is part of the tree of `size`
 * leaves with root `root`. Requires a valid subtree and end ≤ size; an empty subtree
 * (start = end) is accepted only with the empty-tree hash and an empty proof.
 */
export function verifySubtreeConsistency(
  start: TreeIndex,
  end: TreeIndex,
  size: TreeIndex,
  subtreeRoot: Hash,
  root: Hash,
  proof: readonly Hash[],
): void {
  const s = toU64("start", start);
  const e = toU64("end", end);
  const n = toU64("size", size);
  if (n < e) fail("bad-argument", `size ${n} is below subtree end ${e}`);
  if (s === e) {
    // An empty subtree is part of every tree; as in the reference, its hash must still be right.
    checkProof(proof, 0);
    matchRoot(subtreeRoot, emptyRoot());
    return;
  }
  checkSubtree(s, e);
  if (s === 0n && e === n) {
    checkProof(proof, 0);
    matchRoot(subtreeRoot, root);
    return;
  }
  checkHash("subtree root", subtreeRoot);
  if (proof.length === 0) fail("bad-proof-size", "empty consistency proof");
  matchRoot(rootFromSubtreeConsistency(s, e, n, proof, subtreeRoot), root);
}

function rootFromSubtreeConsistency(
  start: bigint,
  end: bigint,
  size: bigint,
  proof: readonly Hash[],
  sub: Hash,
): Hash {
  const height = bitLen((end - 1n) ^ start);
  if (end === size) {
    // The subtree lies on the right border: only left siblings lead up to the root.
    checkProof(proof, onesCount(start >> BigInt(height)));
    return chainBorderRight(sub, proof);
  }
  const fork = bitLen((end - 1n) ^ (size - 1n));
  const shift = trailingZeros(end - start);
  // A full subtree's own hash is known to the verifier; otherwise the proof starts with the hash
  // of its rightmost full part.
  const full = end - start === 1n << BigInt(shift);
  const skip = full ? 0 : 1;
  const want = skip + (fork - shift) + onesCount((end - 1n) >> BigInt(fork));
  checkProof(proof, want);
  const seed = full ? sub : proof[0]!;
  let rest = proof.slice(skip);
  const take = (): Hash => {
    const [p, ...more] = rest;
    if (p === undefined) fail("bad-proof-size", "consistency proof is too short");
    rest = more;
    return p;
  };

  let subRoot = seed;
  let grown = seed;
  for (let lvl = shift; lvl < height; lvl++) {
    if ((((end - 1n) >> BigInt(lvl)) & 1n) === 1n) {
      const p = take();
      subRoot = nodeHash(p, subRoot);
      grown = nodeHash(p, grown);
    } else if (lvl < fork) {
      grown = nodeHash(grown, take());
    }
  }
  matchRoot(subRoot, sub);
  // What remains is an inclusion proof of the grown subtree, as a leaf one level `height` up.
  return rootFromInclusion(start >> BigInt(height), ((size - 1n) >> BigInt(height)) + 1n, grown, rest);
}
