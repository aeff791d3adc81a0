/**
 * Content-addressed blobs: DSSE envelopes, Sigstore bundles, SBOMs and reports, named by the
 * SHA-256 of their bytes. Two stores with one interface — files under a directory, or the `blob`
 * table of a `Store` (for PostgreSQL deployments where the database is the only shared state).
 * Every read re-hashes the bytes, so storage corruption is reported, never returned as evidence.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BulwarkError, type Clock, type Digest, isDigest, sha256Hex, systemClock } from "../core/index.js";
import type { Store } from "./index.js";

export interface BlobInfo {
  digest: `sha256:${string}`;
  size: number;
}

export interface BlobStore {
  readonly kind: "file" | "database";
  /** Stores the bytes (idempotent: an existing blob is left as it is). */
  put(data: Uint8Array): Promise<BlobInfo>;
  /** The bytes, verified against the digest (VERIFICATION_FAILED if they do not match); undefined if absent. */
  get(digest: string): Promise<Uint8Array | undefined>;
  has(digest: string): Promise<boolean>;
  /** Every blob, in digest order. */
  list(): AsyncIterable<BlobInfo>;
}

function checkDigest(digest: string): Digest {
  if (typeof digest !== "string" || !isDigest(digest)) {
    const shown = typeof digest === "string" ? JSON.stringify(digest.slice(0, 100)) : typeof digest;
    throw new BulwarkError(
      "INPUT_INVALID",
      `not a blob digest: ${shown} (expected sha256:<64 lowercase hex>)`,
    );
  }
  return digest;
}

function verified(digest: Digest, data: Uint8Array): Uint8Array {
  if (`sha256:${sha256Hex(data)}` !== digest)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `stored blob ${digest} does not match its digest (storage corrupted)`,
      { details: { reason: "blob-corrupted", digest } },
    );
  return data;
}

/** A plain Uint8Array view (drivers and fs return Buffers). */
function bytesOf(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === "ENOENT";
}

/** Makes a rename or a new directory entry durable (directories cannot be opened on Windows). */
async function syncDir(path: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const SHARD = /^[0-9a-f]{2}$/;

/**
 * Blobs as files: `<dir>/sha256/<first 2 hex>/<64 hex>`. A blob is written to `<dir>/tmp/`,
 * fsync'd, renamed into place and its directory fsync'd, so a crash leaves either no blob or the
 * whole blob; concurrent writers of one blob rename identical bytes over each other.
 */
export class FileBlobStore implements BlobStore {
  readonly kind = "file";

  constructor(readonly dir: string) {}

  private pathOf(digest: Digest): string {
    const hex = digest.slice("sha256:".length);
    return join(this.dir, "sha256", hex.slice(0, 2), hex);
  }

  async put(data: Uint8Array): Promise<BlobInfo> {
    const hex = sha256Hex(data);
    const info: BlobInfo = { digest: `sha256:${hex}`, size: data.byteLength };
    const target = this.pathOf(info.digest);
    if (await this.exists(target)) return info;
    const shard = dirname(target);
    const created = await mkdir(shard, { recursive: true });
    const tmpDir = join(this.dir, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${hex}.${process.pid}.${randomBytes(6).toString("hex")}`);
    try {
      const handle = await open(tmp, "wx", 0o644);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, target);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await syncDir(shard);
    // A new shard directory is itself an entry of `sha256/` (and that of the store directory).
    if (created !== undefined) {
      await syncDir(dirname(shard));
      await syncDir(this.dir);
    }
    return info;
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const d = checkDigest(digest);
    let data: Buffer;
    try {
      data = await readFile(this.pathOf(d));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    return verified(d, bytesOf(data));
  }

  async has(digest: string): Promise<boolean> {
    return this.exists(this.pathOf(checkDigest(digest)));
  }

  async *list(): AsyncIterable<BlobInfo> {
    const root = join(this.dir, "sha256");
    for (const shard of (await this.names(root)).filter((n) => SHARD.test(n))) {
      for (const name of await this.names(join(root, shard))) {
        if (!HEX64.test(name) || !name.startsWith(shard)) continue;
        const s = await stat(join(root, shard, name)).catch((e: unknown) => {
          if (isNotFound(e)) return undefined;
          throw e;
        });
        if (s?.isFile()) yield { digest: `sha256:${name}`, size: s.size };
      }
    }
  }

  private async exists(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** A directory's entries in byte order (none if it does not exist). */
  private async names(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }
}

/** Blobs in the store's `blob` table (one row per digest). */
export class DatabaseBlobStore implements BlobStore {
  readonly kind = "database";

  constructor(
    private readonly store: Store,
    private readonly clock: Clock = systemClock,
  ) {}

  async put(data: Uint8Array): Promise<BlobInfo> {
    const info: BlobInfo = { digest: `sha256:${sha256Hex(data)}`, size: data.byteLength };
    await this.store.db
      .insertInto("blob")
      .values({ digest: info.digest, size: info.size, data, created_at: this.clock.now().toISOString() })
      .onConflict((oc) => oc.column("digest").doNothing())
      .execute();
    return info;
  }

  async get(digest: string): Promise<Uint8Array | undefined> {
    const d = checkDigest(digest);
    const row = await this.store.db
      .selectFrom("blob")
      .select("data")
      .where("digest", "=", d)
      .executeTakeFirst();
    return row && verified(d, bytesOf(row.data));
  }

  async has(digest: string): Promise<boolean> {
    const d = checkDigest(digest);
    const row = await this.store.db
      .selectFrom("blob")
      .select("digest")
      .where("digest", "=", d)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Pages through the table by digest, so a large store is never read at once. */
  async *list(): AsyncIterable<BlobInfo> {
    let after = "";
    for (;;) {
      const rows = await this.store.db
        .selectFrom("blob")
        .select(["digest", "size"])
        .where("digest", ">", after)
        .orderBy("digest")
        .limit(1000)
        .execute();
      for (const r of rows) yield { digest: r.digest as Digest, size: Number(r.size) };
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.digest;
    }
  }
}
