/**
 * The transparency log: an append-only RFC 6962 tree kept in the store as C2SP tiles, with a
 * signed checkpoint after every committed batch.
 *
 * Appends are batched (group commit): calls made while a batch is being written wait for the
 * next one, and each resolves only after its batch's transaction — entries, tiles, the new
 * checkpoint — has committed. De-duplication is exact: the leaf hash is a unique key, so the same
 * bytes appended twice (even by two processes at once) get the first index. The sequencer runs
 * inside `store.exclusive()`, so appenders in several processes (SQLite) or on several
 * connections (PostgreSQL) take turns and cannot fork the tree.
 */
import { BulwarkError } from "../core/index.js";
import type { Store } from "../store/index.js";
import {
  consistencyProofWith,
  emptyRoot,
  type Hash,
  HASH_SIZE,
  hashEquals,
  inclusionProofWith,
  leafHash,
  type RangeHasher,
} from "./merkle.js";
import {
  cosignatureTime,
  type NoteSigner,
  type NoteVerifierKey,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyNote,
} from "./note.js";
import {
  encodeEntryBundle,
  extendRange,
  MAX_ENTRY_SIZE,
  packHashes,
  rangeRoot,
  TILE_WIDTH,
  tileRangeHasher,
  type TileTree,
  tileTree,
  unpackHashes,
} from "./tiles.js";

const LOCK = "bulwark.tlog";
/** Full tiles' trees kept in memory (each ≈ 16 KiB): proofs near each other share them. */
const FULL_TILE_CACHE = 2048;
const CHUNK = 400;

export interface OpenLogOptions {
  readonly store: Store;
  /** Signs checkpoints; its name is the log's origin. Needed to append, not to read. */
  readonly signer?: NoteSigner;
  /** The log's verifier key (from the signer when given): every checkpoint read is verified with it. */
  readonly verifierKey?: NoteVerifierKey;
  /** Entries per committed batch at most (default 4096). */
  readonly maxBatch?: number;
  readonly clock?: () => Date;
}

export interface Appended {
  readonly index: number;
  readonly leafHash: Hash;
  /** True when identical bytes were already logged: `index` is theirs. */
  readonly duplicate: boolean;
  /** The signed checkpoint of the batch that committed (or, for a duplicate, the current one). */
  readonly checkpoint: string;
  readonly size: number;
}

export interface LogEntry {
  readonly index: number;
  readonly body: Uint8Array;
  readonly leafHash: Hash;
  readonly kind: string | null;
  readonly integratedAt: string;
}

export interface LogHead {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Hash;
  readonly checkpoint: string;
}

export interface FullVerification {
  readonly size: number;
  readonly entries: number;
  readonly tiles: number;
  readonly checkpoints: number;
  readonly problems: readonly { readonly what: string; readonly where: string }[];
}

interface Pending {
  readonly body: Uint8Array;
  readonly kind: string | null;
  readonly leaf: Hash;
  resolve(a: Appended): void;
  reject(e: unknown): void;
}

function bytes(v: Uint8Array): Uint8Array {
  // Drivers return Buffers (sometimes views into a pool): copy into a plain array we own.
  return new Uint8Array(v);
}

function key(h: Hash): string {
  return Buffer.from(h).toString("hex");
}

function corrupted(what: string, details: Record<string, unknown> = {}): BulwarkError {
  return new BulwarkError("VERIFICATION_FAILED", `log storage is corrupted: ${what}`, {
    details: { reason: "storage-corrupted", ...details },
  });
}

function checkpointText(origin: string, size: number, root: Hash): string {
  return `${origin}\n${size}\n${Buffer.from(root).toString("base64")}\n`;
}

export class TransparencyLog {
  readonly origin: string;
  private pending: Pending[] = [];
  private readonly fullTiles = new Map<string, TileTree>();
  private flushing: Promise<void> | undefined;
  private readonly maxBatch: number;
  private readonly clock: () => Date;
  private readonly verifier: NoteVerifierKey | undefined;

  private constructor(
    private readonly store: Store,
    origin: string,
    private readonly signer: NoteSigner | undefined,
    verifier: NoteVerifierKey | undefined,
    options: OpenLogOptions,
  ) {
    this.origin = origin;
    this.verifier = verifier;
    this.maxBatch = options.maxBatch ?? 4096;
    this.clock = options.clock ?? (() => new Date());
  }

  /**
   * Opens the log in `store`, creating it (size 0, a signed empty checkpoint) when absent and a
   * signer is given. An existing log keeps its origin: a signer with another name is refused.
   */
  static async open(options: OpenLogOptions): Promise<TransparencyLog> {
    const { store, signer } = options;
    if (signer && signer.kind !== "ed25519")
      throw new BulwarkError("USAGE", `${signer.name} is a witness (cosigner) key, not a log key`);
    let verifier = options.verifierKey;
    if (!verifier && signer) verifier = parseVerifierKey(signer.verifierKey);
    let state = await store.db
      .selectFrom("tlog_state")
      .select(["origin"])
      .where("id", "=", 1)
      .executeTakeFirst();
    if (!state) {
      if (!signer)
        throw new BulwarkError(
          "FILE_NOT_FOUND",
          `no transparency log in ${store.location} (create one with \`bulwark log init\`)`,
        );
      await store.exclusive(LOCK, async (trx) => {
        const again = await trx.selectFrom("tlog_state").select("id").where("id", "=", 1).executeTakeFirst();
        if (again) return;
        const now = (options.clock ?? (() => new Date()))().toISOString();
        const note = signNote(checkpointText(signer.name, 0, emptyRoot()), [signer]);
        await trx
          .insertInto("tlog_state")
          .values({
            id: 1,
            origin: signer.name,
            size: 0,
            root_hash: emptyRoot(),
            compact_range: new Uint8Array(0),
            checkpoint: note,
            updated_at: now,
          })
          .execute();
        await trx.insertInto("tlog_checkpoint").values({ size: 0, note, created_at: now }).execute();
      });
      state = { origin: signer.name };
    }
    if (signer && signer.name !== state.origin)
      throw new BulwarkError(
        "USAGE",
        `the log in ${store.location} has origin ${state.origin}; the signing key is named ${signer.name}`,
      );
    if (verifier && verifier.name !== state.origin)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `the log in ${store.location} has origin ${state.origin}; the verifier key is for ${verifier.name}`,
        { details: { reason: "origin-mismatch" } },
      );
    return new TransparencyLog(store, state.origin, signer, verifier, options);
  }

  // -------------------------------------------------------------------------------------------
  // Appending.

  /** Appends `body` (at most 65,535 bytes) and resolves once it is committed under a signed checkpoint. */
  append(body: Uint8Array, kind: string | null = null): Promise<Appended> {
    if (!this.signer)
      return Promise.reject(new BulwarkError("USAGE", "appending needs the log's signing key"));
    if (body.length > MAX_ENTRY_SIZE)
      return Promise.reject(
        new BulwarkError(
          "INPUT_TOO_LARGE",
          `a log entry is at most ${MAX_ENTRY_SIZE} bytes; this one is ${body.length}`,
        ),
      );
    return new Promise<Appended>((resolve, reject) => {
      this.pending.push({ body, kind, leaf: leafHash(body), resolve, reject });
      this.schedule();
    });
  }

  /** Appends several entries (one or more batches); results in the same order. */
  appendAll(bodies: readonly Uint8Array[], kind: string | null = null): Promise<Appended[]> {
    return Promise.all(bodies.map((b) => this.append(b, kind)));
  }

  /** Resolves when everything appended so far is committed. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((done) => setImmediate(done)).then(async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending.splice(0, this.maxBatch);
          try {
            const results = await this.integrate(batch);
            batch.forEach((p, i) => p.resolve(results[i]!));
          } catch (e) {
            for (const p of batch) p.reject(e);
          }
        }
      } finally {
        this.flushing = undefined;
      }
    });
  }

  /** Sequences one batch: the whole read-modify-write in one exclusive transaction. */
  private integrate(batch: readonly Pending[]): Promise<Appended[]> {
    const signer = this.signer!;
    return this.store.exclusive(LOCK, async (trx) => {
      const state = await trx
        .selectFrom("tlog_state")
        .selectAll()
        .where("id", "=", 1)
        .executeTakeFirstOrThrow();
      let size = state.size;
      const range = unpackHashes(bytes(state.compact_range));
      if (range.length !== popcount(size)) throw corrupted(`the compact range does not fit size ${size}`);

      // Exact de-duplication: against the log, then within the batch.
      const existing = new Map<string, number>();
      const wanted = [...new Set(batch.map((p) => key(p.leaf)))].map((k) => Buffer.from(k, "hex"));
      for (let i = 0; i < wanted.length; i += CHUNK) {
        const rows = await trx
          .selectFrom("tlog_entry")
          .select(["idx", "leaf_hash"])
          .where("leaf_hash", "in", wanted.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) existing.set(key(bytes(r.leaf_hash)), r.idx);
      }

      const tiles = new TileWriter(trx, size);
      const now = this.clock().toISOString();
      const fresh: {
        idx: number;
        leaf_hash: Uint8Array;
        body: Uint8Array;
        kind: string | null;
        integrated_at: string;
      }[] = [];
      const indexes: { index: number; duplicate: boolean }[] = [];
      for (const p of batch) {
        const k = key(p.leaf);
        const seen = existing.get(k);
        if (seen !== undefined) {
          indexes.push({ index: seen, duplicate: true });
          continue;
        }
        const index = size;
        existing.set(k, index);
        fresh.push({ idx: index, leaf_hash: p.leaf, body: p.body, kind: p.kind, integrated_at: now });
        await tiles.add(0, index, p.leaf);
        const completed: { height: number; index: number; hash: Hash }[] = [];
        extendRange(range, size, p.leaf, (height, i, hash) => {
          if (height % 8 === 0) completed.push({ height, index: i, hash });
        });
        for (const c of completed) await tiles.add(c.height / 8, c.index, c.hash);
        size++;
        indexes.push({ index, duplicate: false });
      }

      let note = state.checkpoint;
      if (fresh.length > 0) {
        for (let i = 0; i < fresh.length; i += CHUNK)
          await trx
            .insertInto("tlog_entry")
            .values(fresh.slice(i, i + CHUNK))
            .execute();
        await tiles.write();
        const root = rangeRoot(range);
        note = signNote(checkpointText(this.origin, size, root), [signer]);
        await trx.insertInto("tlog_checkpoint").values({ size, note, created_at: now }).execute();
        await trx
          .updateTable("tlog_state")
          .set({ size, root_hash: root, compact_range: packHashes(range), checkpoint: note, updated_at: now })
          .where("id", "=", 1)
          .execute();
      }
      return batch.map((p, i) => ({
        index: indexes[i]!.index,
        leafHash: p.leaf,
        duplicate: indexes[i]!.duplicate,
        checkpoint: note,
        size,
      }));
    });
  }

  // -------------------------------------------------------------------------------------------
  // Reading.

  /** The latest checkpoint (verified with the log's key when one is known). */
  async head(): Promise<LogHead> {
    const s = await this.store.db
      .selectFrom("tlog_state")
      .selectAll()
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    this.checkNote(s.checkpoint);
    const cp = parseCheckpoint(parseNote(s.checkpoint).text);
    if (Number(cp.size) !== s.size || !hashEquals(cp.rootHash, bytes(s.root_hash)))
      throw corrupted("the stored state disagrees with its checkpoint");
    return { origin: this.origin, size: s.size, rootHash: bytes(s.root_hash), checkpoint: s.checkpoint };
  }

  /** The checkpoint issued at `size`, with any witness cosignatures appended. */
  async checkpointAt(size: number): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom("tlog_checkpoint")
      .select("note")
      .where("size", "=", size)
      .executeTakeFirst();
    if (!row) return undefined;
    const cosigs = await this.store.db
      .selectFrom("tlog_cosignature")
      .select("line")
      .where("size", "=", size)
      .orderBy("witness")
      .orderBy("key_hash")
      .execute();
    return cosigs.length ? `${row.note}${cosigs.map((c) => `${c.line}\n`).join("")}` : row.note;
  }

  /** All checkpoint sizes issued, ascending. */
  async checkpointSizes(): Promise<number[]> {
    const rows = await this.store.db.selectFrom("tlog_checkpoint").select("size").orderBy("size").execute();
    return rows.map((r) => r.size);
  }

  async entry(index: number): Promise<LogEntry | undefined> {
    const r = await this.store.db
      .selectFrom("tlog_entry")
      .selectAll()
      .where("idx", "=", index)
      .executeTakeFirst();
    if (!r) return undefined;
    const body = bytes(r.body);
    const leaf = bytes(r.leaf_hash);
    if (!hashEquals(leafHash(body), leaf))
      throw corrupted(`entry ${index}'s body does not match its leaf hash`, { index });
    return { index: r.idx, body, leafHash: leaf, kind: r.kind, integratedAt: r.integrated_at };
  }

  /** The index of the entry with this leaf hash. */
  async indexOf(leaf: Hash): Promise<number | undefined> {
    const r = await this.store.db
      .selectFrom("tlog_entry")
      .select("idx")
      .where("leaf_hash", "=", leaf)
      .executeTakeFirst();
    return r?.idx;
  }

  /** Entries [start, end) in index order. */
  async entries(start: number, end: number): Promise<LogEntry[]> {
    const rows = await this.store.db
      .selectFrom("tlog_entry")
      .selectAll()
      .where("idx", ">=", start)
      .where("idx", "<", end)
      .orderBy("idx")
      .execute();
    return rows.map((r) => ({
      index: r.idx,
      body: bytes(r.body),
      leafHash: bytes(r.leaf_hash),
      kind: r.kind,
      integratedAt: r.integrated_at,
    }));
  }

  /**
   * The tree size a proof is for: the latest (its checkpoint verified), or `size` checked against
   * the stored size only — proofs for an issued size need no signature check per call.
   */
  private async sizeOrHead(size: number | undefined): Promise<number> {
    if (size === undefined) return (await this.head()).size;
    const state = await this.store.db
      .selectFrom("tlog_state")
      .select("size")
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    if (!Number.isSafeInteger(size) || size < 0 || size > state.size)
      throw new BulwarkError("INPUT_INVALID", `tree size ${size} is not in [0, ${state.size}]`);
    return size;
  }

  /** RFC 6962 inclusion proof of `index` in the tree of `size` (default: the latest). */
  async inclusionProof(index: number, size?: number): Promise<{ size: number; proof: Hash[] }> {
    const n = await this.sizeOrHead(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= n)
      throw new BulwarkError("INPUT_INVALID", `index ${index} is not in a tree of size ${n}`);
    return { size: n, proof: await this.withTiles((h) => inclusionProofWith(h, index, n)) };
  }

  /** RFC 6962 consistency proof from `oldSize` to `newSize` (default: the latest). */
  async consistencyProof(oldSize: number, newSize?: number): Promise<{ size: number; proof: Hash[] }> {
    const n = await this.sizeOrHead(newSize);
    if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > n)
      throw new BulwarkError("INPUT_INVALID", `old size ${oldSize} is not in [0, ${n}]`);
    if (oldSize === 0 || oldSize === n) return { size: n, proof: [] };
    return { size: n, proof: await this.withTiles((h) => consistencyProofWith(h, oldSize, n)) };
  }

  /** The root of the tree of `size`, computed from the tiles. */
  async rootAt(size: number): Promise<Hash> {
    const n = await this.sizeOrHead(size);
    return this.withTiles((h) => h(0, n));
  }

  /**
   * Runs `compute` over the stored tiles: a dry pass learns which tiles it needs (they depend on
   * sizes only), those not cached are read in one query, then it runs for real. Full tiles never
   * change, so their tile trees are cached across calls.
   */
  private async withTiles<T>(compute: (hash: RangeHasher) => T): Promise<T> {
    const needed = new Set<string>();
    compute(
      tileRangeHasher(
        (level, index) => {
          needed.add(`${level}/${index}`);
          return [];
        },
        { dryRun: true },
      ),
    );
    const trees = new Map<string, TileTree>();
    const want: [number, number][] = [];
    for (const k of needed) {
      const cached = this.fullTiles.get(k);
      if (cached) trees.set(k, cached);
      else want.push(k.split("/").map(Number) as [number, number]);
    }
    for (let i = 0; i < want.length; i += CHUNK) {
      const part = want.slice(i, i + CHUNK);
      const rows = await this.store.db
        .selectFrom("tlog_tile")
        .selectAll()
        .where((eb) => eb.or(part.map(([l, t]) => eb.and([eb("level", "=", l), eb("idx", "=", t)]))))
        .execute();
      for (const r of rows) {
        const hashes = unpackHashes(bytes(r.hashes));
        const tree = tileTree(hashes);
        const k = `${r.level}/${r.idx}`;
        trees.set(k, tree);
        if (hashes.length === TILE_WIDTH) {
          if (this.fullTiles.size >= FULL_TILE_CACHE)
            this.fullTiles.delete(this.fullTiles.keys().next().value!);
          this.fullTiles.set(k, tree);
        }
      }
    }
    return compute(
      tileRangeHasher((level, index) => {
        const t = trees.get(`${level}/${index}`);
        if (!t) throw corrupted(`hash tile ${level}/${index} is missing`, { tile: `${level}/${index}` });
        return t;
      }),
    );
  }

  /** A hash tile's bytes at `width` hashes (default: as many as stored), for serving or export. */
  async tile(level: number, index: number, width?: number): Promise<Uint8Array | undefined> {
    const r = await this.store.db
      .selectFrom("tlog_tile")
      .select("hashes")
      .where("level", "=", level)
      .where("idx", "=", index)
      .executeTakeFirst();
    if (!r) return undefined;
    const all = bytes(r.hashes);
    if (width === undefined) return all;
    return all.length >= width * HASH_SIZE ? all.subarray(0, width * HASH_SIZE) : undefined;
  }

  /** The entry bundle of tile `index` holding `width` entries (default: as many as exist). */
  async entryBundle(index: number, width = TILE_WIDTH): Promise<Uint8Array | undefined> {
    const list = await this.entries(index * TILE_WIDTH, index * TILE_WIDTH + width);
    if (list.length !== width) return undefined;
    return encodeEntryBundle(list.map((e) => e.body));
  }

  // -------------------------------------------------------------------------------------------
  // Witnesses.

  /**
   * Stores the witness cosignatures in `note` (the log's checkpoint at some size, cosigned):
   * each signature by one of `witnesses` must verify over exactly a checkpoint this log issued.
   * Returns the names of the witnesses whose cosignatures were added.
   */
  async addCosignatures(note: string, witnesses: readonly NoteVerifierKey[]): Promise<string[]> {
    const cosigners = witnesses.filter((w) => w.kind === "ed25519-cosignature");
    const verified = verifyNote(note, cosigners);
    const cp = parseCheckpoint(verified.text);
    if (cp.origin !== this.origin)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `the cosigned checkpoint is for ${cp.origin}, not ${this.origin}`,
        {
          details: { reason: "origin-mismatch" },
        },
      );
    const issued = await this.checkpointAt(Number(cp.size));
    if (!issued || parseNote(issued).text !== verified.text)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `this log never issued the cosigned checkpoint of size ${cp.size}`,
        {
          details: { reason: "unknown-checkpoint" },
        },
      );
    const added: string[] = [];
    const lines = note.slice(note.lastIndexOf("\n\n") + 2).split("\n");
    for (const sig of verified.signatures) {
      const key = verified.verifiedBy.find((k) => k.name === sig.name && k.keyHash === sig.keyHash);
      if (!key) continue;
      const line = lines.find(
        (l) =>
          l.startsWith(`\u2014 ${sig.name} `) &&
          Buffer.from(l.split(" ")[2]!, "base64").readUInt32BE(0) === sig.keyHash,
      )!;
      await this.store.db
        .insertInto("tlog_cosignature")
        .values({
          size: Number(cp.size),
          witness: sig.name,
          key_hash: sig.keyHash,
          line,
          timestamp: Number(cosignatureTime(sig) ?? 0n),
        })
        .onConflict((oc) =>
          oc
            .columns(["size", "witness", "key_hash"])
            .doUpdateSet({ line, timestamp: Number(cosignatureTime(sig) ?? 0n) }),
        )
        .execute();
      added.push(sig.name);
    }
    return added;
  }

  // -------------------------------------------------------------------------------------------
  // Full verification.

  /**
   * Re-derives the whole log from its entries and compares: every entry's leaf hash, every hash
   * tile byte for byte, the root of every checkpoint ever issued (and its signature), and the
   * current state. Reports every problem found (a flipped byte anywhere shows up here).
   */
  async verifyFull(onProgress?: (done: number, total: number) => void): Promise<FullVerification> {
    const problems: { what: string; where: string }[] = [];
    const state = await this.store.db
      .selectFrom("tlog_state")
      .selectAll()
      .where("id", "=", 1)
      .executeTakeFirstOrThrow();
    const checkpoints = await this.store.db
      .selectFrom("tlog_checkpoint")
      .selectAll()
      .orderBy("size")
      .execute();
    const cpBySize = new Map(checkpoints.map((c) => [c.size, c.note]));
    let checkedCheckpoints = 0;
    const checkCheckpoint = (size: number, root: Hash) => {
      const note = cpBySize.get(size);
      if (note === undefined) return;
      checkedCheckpoints++;
      try {
        this.checkNote(note);
        const cp = parseCheckpoint(parseNote(note).text);
        if (cp.origin !== this.origin)
          problems.push({ what: `checkpoint origin ${cp.origin}`, where: `checkpoint ${size}` });
        if (!hashEquals(cp.rootHash, root))
          problems.push({
            what: "checkpoint root differs from the entries' root",
            where: `checkpoint ${size}`,
          });
      } catch (e) {
        problems.push({ what: (e as Error).message, where: `checkpoint ${size}` });
      }
    };
    checkCheckpoint(0, emptyRoot());

    const range: Hash[] = [];
    const rebuilt = new Map<string, Hash[]>();
    let tilesChecked = 0;
    const compareTile = async (level: number, index: number, hashes: Hash[]) => {
      tilesChecked++;
      const stored = await this.tile(level, index);
      const want = packHashes(hashes);
      if (!stored) problems.push({ what: "hash tile missing", where: `tile ${level}/${index}` });
      else if (stored.length !== want.length || !Buffer.from(stored).equals(Buffer.from(want)))
        problems.push({
          what: "hash tile differs from the entries' hashes",
          where: `tile ${level}/${index}`,
        });
    };
    const addToTile = async (level: number, index: number, h: Hash) => {
      const t = Math.floor(index / TILE_WIDTH);
      const k = `${level}/${t}`;
      let list = rebuilt.get(k);
      if (!list) rebuilt.set(k, (list = []));
      list.push(h);
      if (list.length === TILE_WIDTH) {
        rebuilt.delete(k);
        await compareTile(level, t, list);
      }
    };

    let size = 0;
    const PAGE = 5000;
    for (;;) {
      const rows = await this.store.db
        .selectFrom("tlog_entry")
        .selectAll()
        .where("idx", ">=", size)
        .orderBy("idx")
        .limit(PAGE)
        .execute();
      if (rows.length === 0) break;
      for (const r of rows) {
        if (r.idx !== size) {
          problems.push({ what: `entries jump from ${size} to ${r.idx}`, where: `entry ${size}` });
          size = r.idx;
        }
        const body = bytes(r.body);
        const stored = bytes(r.leaf_hash);
        const leaf = leafHash(body);
        if (!hashEquals(leaf, stored))
          problems.push({ what: "entry body does not match its leaf hash", where: `entry ${r.idx}` });
        await addToTile(0, size, leaf);
        const completed: [number, number, Hash][] = [];
        extendRange(range, size, leaf, (height, i, h) => {
          if (height % 8 === 0) completed.push([height / 8, i, h]);
        });
        for (const [l, i, h] of completed) await addToTile(l, i, h);
        size++;
        checkCheckpoint(size, rangeRoot(range));
      }
      onProgress?.(size, state.size);
    }
    for (const [k, hashes] of rebuilt) {
      const [level, index] = k.split("/").map(Number) as [number, number];
      await compareTile(level, index, hashes);
    }
    if (size !== state.size)
      problems.push({ what: `state says size ${state.size}, entries make ${size}`, where: "state" });
    const root = rangeRoot(range);
    if (!hashEquals(root, bytes(state.root_hash)))
      problems.push({ what: "state root differs from the entries' root", where: "state" });
    if (!Buffer.from(packHashes(range)).equals(Buffer.from(bytes(state.compact_range))))
      problems.push({ what: "stored compact range differs from the entries'", where: "state" });
    const extra = checkpoints.filter((c) => c.size > size);
    for (const c of extra)
      problems.push({ what: "checkpoint beyond the entries", where: `checkpoint ${c.size}` });
    const tileRows = await this.store.db
      .selectFrom("tlog_tile")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    if (Number(tileRows.n) !== tilesChecked)
      problems.push({ what: `${tileRows.n} hash tiles stored, ${tilesChecked} expected`, where: "tiles" });
    return { size, entries: size, tiles: tilesChecked, checkpoints: checkedCheckpoints, problems };
  }

  private checkNote(note: string): void {
    if (this.verifier) verifyNote(note, [this.verifier]);
  }
}

function popcount(n: number): number {
  let c = 0;
  for (let s = n; s > 0; s = Math.floor(s / 2)) c += s % 2;
  return c;
}

/** The partial tiles a batch extends: read once, appended to in memory, written once. */
class TileWriter {
  private readonly tiles = new Map<string, { level: number; index: number; hashes: Hash[] }>();

  constructor(
    private readonly trx: Store["db"],
    private readonly size: number,
  ) {}

  async add(level: number, position: number, hash: Hash): Promise<void> {
    const index = Math.floor(position / TILE_WIDTH);
    const k = `${level}/${index}`;
    let t = this.tiles.get(k);
    if (!t) {
      const expected = position % TILE_WIDTH;
      let hashes: Hash[] = [];
      if (expected > 0) {
        const row = await this.trx
          .selectFrom("tlog_tile")
          .select("hashes")
          .where("level", "=", level)
          .where("idx", "=", index)
          .executeTakeFirst();
        hashes = row ? unpackHashes(bytes(row.hashes)) : [];
        if (hashes.length !== expected)
          throw corrupted(
            `hash tile ${level}/${index} holds ${hashes.length} hashes, the tree of size ${this.size} needs ${expected}`,
            {
              tile: `${level}/${index}`,
            },
          );
      }
      this.tiles.set(k, (t = { level, index, hashes }));
    }
    t.hashes.push(hash);
  }

  async write(): Promise<void> {
    for (const t of this.tiles.values()) {
      const hashes = packHashes(t.hashes);
      await this.trx
        .insertInto("tlog_tile")
        .values({ level: t.level, idx: t.index, hashes })
        .onConflict((oc) => oc.columns(["level", "idx"]).doUpdateSet({ hashes }))
        .execute();
    }
  }
}
