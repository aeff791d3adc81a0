/**
 * Verifies a static copy of a log (C2SP tlog-tiles, as `bulwark log export --tiles` writes it or a
 * mirror serves it) with nothing but its files and the log's verifier key: the checkpoint's
 * signature, every entry bundle against the level-0 hash tiles, every upper tile against the
 * subtree roots the entries make, and the checkpoint's root against the root they make.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BulwarkError } from "../core/index.js";
import { type Hash, hashEquals, leafHash } from "./merkle.js";
import { type NoteVerifierKey, verifyCheckpoint } from "./note.js";
import {
  decodeEntryBundle,
  extendRange,
  packHashes,
  rangeRoot,
  TILE_WIDTH,
  tilePath,
  unpackHashes,
} from "./tiles.js";

export interface StaticVerification {
  readonly origin: string;
  readonly size: number;
  readonly tiles: number;
  readonly problems: readonly { readonly what: string; readonly where: string }[];
}

export function verifyTileDirectory(dir: string, keys: readonly NoteVerifierKey[]): StaticVerification {
  let note: string;
  try {
    note = readFileSync(join(dir, "checkpoint"), "utf8");
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `no checkpoint in ${dir}`, { cause: e });
  }
  const cp = verifyCheckpoint(note, keys);
  const size = Number(cp.size);
  const problems: { what: string; where: string }[] = [];
  const read = (path: string): Uint8Array | undefined => {
    try {
      return new Uint8Array(readFileSync(join(dir, path)));
    } catch {
      problems.push({ what: "missing", where: path });
      return undefined;
    }
  };
  const range: Hash[] = [];
  const upper = new Map<string, Hash[]>();
  let tiles = 0;
  const compareTile = (level: number, index: number, hashes: Hash[]) => {
    const path = tilePath(level, index, hashes.length);
    const stored = read(path);
    tiles++;
    if (stored && !Buffer.from(stored).equals(Buffer.from(packHashes(hashes))))
      problems.push({ what: "hash tile differs from the entries' hashes", where: path });
  };
  for (let t = 0; t * TILE_WIDTH < size; t++) {
    const width = Math.min(TILE_WIDTH, size - t * TILE_WIDTH);
    const bundlePath = tilePath("entries", t, width);
    const bundle = read(bundlePath);
    const tilePathText = tilePath(0, t, width);
    const tile = read(tilePathText);
    tiles++;
    if (!bundle || !tile) return { origin: cp.origin, size, tiles, problems };
    let entries: Uint8Array[];
    try {
      entries = decodeEntryBundle(bundle);
    } catch (e) {
      problems.push({ what: (e as Error).message, where: bundlePath });
      return { origin: cp.origin, size, tiles, problems };
    }
    const hashes = tile.length % 32 === 0 ? unpackHashes(tile) : [];
    if (entries.length !== width || hashes.length !== width) {
      problems.push({
        what: `holds ${entries.length} entries and ${hashes.length} hashes, want ${width}`,
        where: bundlePath,
      });
      return { origin: cp.origin, size, tiles, problems };
    }
    entries.forEach((entry, i) => {
      const index = t * TILE_WIDTH + i;
      const leaf = leafHash(entry);
      if (!hashEquals(leaf, hashes[i]!))
        problems.push({ what: "entry does not match its hash in the tile", where: `entry ${index}` });
      extendRange(range, index, leaf, (height, k, h) => {
        if (height % 8 !== 0) return;
        const level = height / 8;
        const key = `${level}/${Math.floor(k / TILE_WIDTH)}`;
        const list = upper.get(key) ?? [];
        list.push(h);
        upper.set(key, list);
        if (list.length === TILE_WIDTH) {
          upper.delete(key);
          compareTile(level, Math.floor(k / TILE_WIDTH), list);
        }
      });
    });
  }
  for (const [key, hashes] of upper) {
    const [level, index] = key.split("/").map(Number) as [number, number];
    compareTile(level, index, hashes);
  }
  if (!hashEquals(rangeRoot(range), cp.rootHash))
    problems.push({ what: "the entries' root differs from the signed checkpoint's", where: "checkpoint" });
  return { origin: cp.origin, size, tiles, problems };
}
