/**
 * Where an image's files live: a directory (OCI layout) or a tar archive (OCI archive,
 * `docker save`), read in place. An archive is indexed once by seeking from header to header,
 * so a blob is later streamed straight from its offset; a gzip- or zstd-compressed archive is
 * first inflated to a temporary file (removed on close).
 */
import { constants, createReadStream, createWriteStream, promises as fs } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BulwarkError } from "../../core/index.js";
import { normalizePath, resolveInRoot, type SourceLimits } from "../source/index.js";
import { CHUNK_BYTES, createDecompressor, SNIFF_BYTES, sniffCompression } from "./decompress.js";
import { decodeHeader, HeaderAssembler, isMetaHeader, MAX_META_BYTES } from "./tar.js";

/** Read access to the files of an image store, by path relative to its root. */
export interface FileStore {
  readonly name: string;
  /** Size of the regular file at `path`, or `undefined` when there is none. */
  size(path: string): Promise<number | undefined>;
  open(path: string): Promise<Readable>;
  /** The whole file; `INPUT_TOO_LARGE` when it is over `max` bytes. */
  readAll(path: string, max: number): Promise<Uint8Array>;
  /** Top-level names (to tell the archive's format). */
  has(path: string): Promise<boolean>;
  close(): Promise<void>;
}

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function missing(store: string, path: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", `${store}: ${path} is missing`, { location: { file: path } });
}

function tooBig(store: string, path: string, size: number, max: number): BulwarkError {
  return new BulwarkError("INPUT_TOO_LARGE", `${store}: ${path} is ${size} bytes, over the limit of ${max}`, {
    details: { size, limit: max },
  });
}

/** A directory store. Paths are fixed names or `blobs/<alg>/<hex>` built from validated digests; symlinks are refused. */
export function directoryStore(root: string): FileStore {
  const abs = (path: string): string => {
    const n = normalizePath(path);
    if (n === undefined || n !== path)
      throw new BulwarkError("INPUT_INVALID", `unsafe path in image layout: ${path}`);
    return join(root, n);
  };
  const size = async (path: string): Promise<number | undefined> => {
    try {
      const st = await fs.lstat(abs(path));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  };
  const openHandle = async (path: string): Promise<fs.FileHandle> => {
    try {
      const fh = await fs.open(abs(path), OPEN_FLAGS);
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw missing(root, path);
      }
      return fh;
    } catch (e) {
      if (e instanceof BulwarkError) throw e;
      throw new BulwarkError(
        "INPUT_INVALID",
        `${root}: ${path} cannot be opened (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        {
          cause: e,
        },
      );
    }
  };
  return {
    name: root,
    size,
    has: async (path) => (await size(path)) !== undefined,
    open: async (path) => (await openHandle(path)).createReadStream({ highWaterMark: CHUNK_BYTES }),
    readAll: async (path, max) => {
      const fh = await openHandle(path);
      try {
        const { size: n } = await fh.stat();
        if (n > max) throw tooBig(root, path, n, max);
        return await readFully(fh, 0, n);
      } finally {
        await fh.close();
      }
    },
    close: async () => {},
  };
}

interface ArchiveEntry {
  readonly type: "file" | "hardlink" | "symlink" | "other";
  readonly offset: number;
  readonly size: number;
  readonly linkname: string;
}

/**
 * A tar archive store. Symlinks and hardlinks inside the archive (legacy `docker save` links
 * shared layers) are resolved inside the archive only.
 */
export async function archiveStore(
  file: string,
  limits: SourceLimits,
  signal?: AbortSignal,
): Promise<FileStore> {
  let path = file;
  let cleanup = async (): Promise<void> => {};
  const head = await readHead(file);
  const compression = sniffCompression(head, file);
  if (compression !== "none") {
    const dir = await fs.mkdtemp(join(tmpdir(), "bulwark-image-"));
    cleanup = () => fs.rm(dir, { recursive: true, force: true });
    path = join(dir, "archive.tar");
    try {
      await pipeline(
        [
          createReadStream(file, { highWaterMark: CHUNK_BYTES }),
          ...createDecompressor(compression),
          byteLimit(limits.maxImageBytes, file),
          createWriteStream(path),
        ],
        signal ? { signal } : {},
      );
    } catch (e) {
      await cleanup();
      if (e instanceof BulwarkError || (e as Error).name === "AbortError") throw e;
      throw new BulwarkError(
        "INPUT_INVALID",
        `${file}: corrupt ${compression} data: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
  let fh: fs.FileHandle;
  let entries: Map<string, ArchiveEntry>;
  try {
    fh = await fs.open(path, "r");
    entries = await indexArchive(fh, file, limits.maxEntries);
  } catch (e) {
    await cleanup();
    throw e;
  }
  const links = new Map<string, string>();
  for (const [p, e] of entries) if (e.type === "symlink") links.set(p, e.linkname);

  const lookup = (name: string): ArchiveEntry | undefined => {
    let p: string | undefined = name;
    for (let hop = 0; hop <= 40 && p !== undefined; hop++) {
      const e = entries.get(p);
      if (!e) return undefined;
      if (e.type === "file") return e;
      if (e.type === "hardlink") p = normalizePath(e.linkname);
      else if (e.type === "symlink") p = resolveInRoot(links, p);
      else return undefined;
    }
    return undefined;
  };
  return {
    name: file,
    size: async (p) => lookup(p)?.size,
    has: async (p) => lookup(p) !== undefined,
    open: async (p) => {
      const e = lookup(p);
      if (!e) throw missing(file, p);
      if (e.size === 0) return Readable.from([]);
      return createReadStream(path, {
        start: e.offset,
        end: e.offset + e.size - 1,
        highWaterMark: CHUNK_BYTES,
      });
    },
    readAll: async (p, max) => {
      const e = lookup(p);
      if (!e) throw missing(file, p);
      if (e.size > max) throw tooBig(file, p, e.size, max);
      return readFully(fh, e.offset, e.size);
    },
    close: async () => {
      await fh.close();
      await cleanup();
    },
  };
}

async function indexArchive(
  fh: fs.FileHandle,
  what: string,
  maxEntries: number,
): Promise<Map<string, ArchiveEntry>> {
  const { size: total } = await fh.stat();
  const entries = new Map<string, ArchiveEntry>();
  const block = new Uint8Array(512);
  const assembler = new HeaderAssembler(what);
  let pos = 0;
  let count = 0;
  for (;;) {
    if (pos + 512 > total) {
      if (pos === total) break;
      throw new BulwarkError("INPUT_INVALID", `${what}: archive is truncated (at byte ${pos})`);
    }
    await readInto(fh, block, pos);
    const raw = decodeHeader(block, 0, what, pos);
    if (!raw) break;
    const at = pos;
    pos += 512;
    if (++count > maxEntries) {
      throw new BulwarkError("INPUT_TOO_LARGE", `${what}: more than ${maxEntries} archive entries`, {
        details: { limit: maxEntries },
      });
    }
    if (raw.sparseExtended) {
      do {
        await readInto(fh, block, pos);
        pos += 512;
      } while (block[504] !== 0);
    }
    if (isMetaHeader(raw.typeflag)) {
      if (raw.size > MAX_META_BYTES) {
        throw new BulwarkError(
          "INPUT_TOO_LARGE",
          `${what}: extended header of ${raw.size} bytes at byte ${at}`,
          {
            details: { size: raw.size, limit: MAX_META_BYTES },
          },
        );
      }
      if (pos + raw.size > total)
        throw new BulwarkError("INPUT_INVALID", `${what}: archive is truncated (at byte ${pos})`);
      assembler.meta(raw.typeflag, await readFully(fh, pos, raw.size), at);
      pos += roundUp(raw.size);
      continue;
    }
    const h = assembler.entry(raw, at);
    const hasData = h.type === "file" || h.type === "sparse" || h.type === "other" || raw.typeflag === 0x44;
    const size = hasData ? h.size : 0;
    if (pos + size > total)
      throw new BulwarkError("INPUT_INVALID", `${what}: archive is truncated (at byte ${pos})`);
    const name = normalizePath(h.name);
    if (name) {
      const type = h.type === "file" || h.type === "hardlink" || h.type === "symlink" ? h.type : "other";
      entries.set(name, { type, offset: pos, size, linkname: h.linkname });
    }
    pos += roundUp(size);
  }
  return entries;
}

function roundUp(n: number): number {
  return Math.ceil(n / 512) * 512;
}

async function readInto(fh: fs.FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await fh.read(buf, off, buf.length - off, position + off);
    if (bytesRead === 0)
      throw new BulwarkError("INPUT_INVALID", `archive is truncated (at byte ${position + off})`);
    off += bytesRead;
  }
}

async function readFully(fh: fs.FileHandle, position: number, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  await readInto(fh, out, position);
  return out;
}

/** The first bytes of a file, enough to sniff its compression. */
export async function readHead(file: string): Promise<Uint8Array> {
  const fh = await fs.open(file, "r");
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Fails once more than `max` bytes passed. */
export function byteLimit(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > max) {
        cb(
          new BulwarkError("INPUT_TOO_LARGE", `${what} inflates to more than ${max} bytes`, {
            details: { limit: max },
          }),
        );
      } else cb(null, chunk);
    },
  });
}
