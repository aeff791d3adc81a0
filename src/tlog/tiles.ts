/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile paths, entry bundles, and the tree maths a
 * tile-backed log needs — the compact range that extends a tree one leaf at a time, and subtree
 * hashes read from hash tiles. Pure: tiles come from a caller-supplied reader.
 */
import { BulwarkError } from "../core/index.js";
import { emptyRoot, type Hash, HASH_SIZE, nodeHash, type RangeHasher } from "./merkle.js";

/** Hashes per full tile (tile height 8). */
export const TILE_WIDTH = 256;
const TILE_HEIGHT = 8;
/** An entry bundle stores each entry behind a 16-bit length. */
export const MAX_ENTRY_SIZE = 0xffff;

function invalid(message: string): never {
  throw new BulwarkError("INPUT_INVALID", message);
}

/** `N` as tlog-tiles path elements: three-digit groups, all but the last prefixed `x`. */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) invalid(`tile index ${n} is not a non-negative integer`);
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, "0"));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

/** `tile/<L>/<N>[.p/<W>]` for a hash tile, `tile/entries/<N>[.p/<W>]` for an entry bundle (level "entries"). */
export function tilePath(level: number | "entries", index: number, width = TILE_WIDTH): string {
  if (!(width >= 1 && width <= TILE_WIDTH && Number.isInteger(width)))
    invalid(`tile width ${width} is not in 1..256`);
  if (level !== "entries" && !(Number.isInteger(level) && level >= 0 && level <= 63))
    invalid(`tile level ${level} is out of range`);
  const partial = width < TILE_WIDTH ? `.p/${width}` : "";
  return `tile/${level}/${encodeTileIndex(index)}${partial}`;
}

export interface TileRef {
  readonly level: number | "entries";
  readonly index: number;
  readonly width: number;
}

/** Parses a tile path (inverse of {@link tilePath}); undefined when it is not one. */
export function parseTilePath(path: string): TileRef | undefined {
  const m =
    /^tile\/(entries|0|[1-9]|[1-5][0-9]|6[0-3])\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(
      path,
    );
  if (!m) return undefined;
  const groups = m[2]!.split("/");
  if (groups.length > 1 && groups[0] === "x000") return undefined; // no leading zero groups
  const index = Number(groups.map((g) => g.replace("x", "")).join(""));
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (width > TILE_WIDTH || (m[3] !== undefined && width === TILE_WIDTH) || !Number.isSafeInteger(index))
    return undefined;
  return { level: lvl(m[1]!), index, width };
}

function lvl(s: string): number | "entries" {
  return s === "entries" ? "entries" : Number(s);
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE)
      invalid(`an entry of ${e.length} bytes does not fit an entry bundle (max ${MAX_ENTRY_SIZE})`);
    size += 2 + e.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of entries) {
    view.setUint16(at, e.length);
    out.set(e, at + 2);
    at += 2 + e.length;
  }
  return out;
}

export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) invalid(`entry bundle is truncated at byte ${at}`);
    const n = view.getUint16(at);
    if (at + 2 + n > bundle.length) invalid(`entry bundle is truncated in entry ${entries.length}`);
    entries.push(bundle.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Compact ranges: the roots of the perfect subtrees along a tree's right edge.

/**
 * Appends one leaf hash to the compact range of a tree of `size` leaves (largest subtree first),
 * merging equal-height subtrees; `onComplete(height, index, hash)` sees every perfect subtree
 * this completes (height ≥ 1), so a caller can store tile roots as they appear.
 */
export function extendRange(
  range: Hash[],
  size: number,
  leaf: Hash,
  onComplete?: (height: number, index: number, hash: Hash) => void,
): void {
  let h = leaf;
  let s = size;
  let height = 0;
  let index = size;
  while (s % 2 === 1) {
    h = nodeHash(range.pop()!, h);
    s = Math.floor(s / 2);
    height++;
    index = Math.floor(index / 2);
    onComplete?.(height, index, h);
  }
  range.push(h);
}

/** The root of a tree from its compact range. */
export function rangeRoot(range: readonly Hash[]): Hash {
  if (range.length === 0) return emptyRoot();
  let r = range[range.length - 1]!;
  for (let i = range.length - 2; i >= 0; i--) r = nodeHash(range[i]!, r);
  return r;
}

export function packHashes(hashes: readonly Hash[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  hashes.forEach((h, i) => out.set(h, i * HASH_SIZE));
  return out;
}

export function unpackHashes(bytes: Uint8Array): Hash[] {
  if (bytes.length % HASH_SIZE !== 0) invalid(`${bytes.length} bytes is not a whole number of hashes`);
  const out: Hash[] = [];
  for (let i = 0; i < bytes.length; i += HASH_SIZE) out.push(bytes.subarray(i, i + HASH_SIZE));
  return out;
}

/**
 * The perfect subtrees inside one tile: `levels[r][j]` is the node of height 8·level + r whose
 * descendants at the tile's height are the tile's hashes j·2^r … (j+1)·2^r − 1. A partial tile
 * yields the complete nodes only.
 */
export type TileTree = readonly (readonly Hash[])[];

export function tileTree(hashes: readonly Hash[]): TileTree {
  const levels: Hash[][] = [hashes.slice()];
  for (let r = 1; r < TILE_HEIGHT; r++) {
    const below = levels[r - 1]!;
    const next: Hash[] = [];
    for (let j = 0; j + 1 < below.length; j += 2) next.push(nodeHash(below[j]!, below[j + 1]!));
    levels.push(next);
  }
  return levels;
}

/** Reads hash tile `index` of `level` as its tile tree (at least as wide as the tree needs). */
export type TileReader = (level: number, index: number) => TileTree;

const ZERO_HASH = new Uint8Array(HASH_SIZE);

/**
 * A {@link RangeHasher} over hash tiles: the node at height h and index k is read from the tile
 * tree of level ⌊h/8⌋. With `dryRun` nothing is read or hashed for stored nodes (zero hashes come
 * back): a first pass that only learns which tiles a computation needs.
 */
export function tileRangeHasher(read: TileReader, options: { dryRun?: boolean } = {}): RangeHasher {
  const node = (height: number, index: number): Hash => {
    const level = Math.floor(height / TILE_HEIGHT);
    const within = height % TILE_HEIGHT;
    const first = index * 2 ** within; // index of the first descendant at height 8·level
    const tile = Math.floor(first / TILE_WIDTH);
    const tree = read(level, tile);
    if (options.dryRun) return ZERO_HASH;
    const h = tree[within]?.[(first % TILE_WIDTH) / 2 ** within];
    if (!h)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `hash tile ${level}/${tile} is shorter than the tree needs`,
        {
          details: { reason: "tile-missing" },
        },
      );
    return h;
  };
  const hash: RangeHasher = (start, end) => {
    const n = end - start;
    if (n === 0) return emptyRoot();
    // A perfect, aligned range is one stored node; otherwise split as RFC 6962 does.
    const height = Math.log2(n);
    if (Number.isInteger(height) && start % n === 0) return node(height, start / n);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return nodeHash(hash(start, start + k), hash(start + k, end));
  };
  return hash;
}
