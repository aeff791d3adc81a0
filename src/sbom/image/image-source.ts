/**
 * An image as a {@link FileSource}: its layers read once, bottom to top, into a merged tree of
 * the files catalogers want. See docs/sbom-images.md for formats, whiteouts, limits and safety.
 */
import { promises as fs } from "node:fs";
import { BulwarkError } from "../../core/index.js";
import { decodeText, normalizePath, resolveInRoot, type SourceIssue, sourceLimits } from "../source/index.js";
import { openImageBlobSource } from "./blob-source.js";
import { CHUNK_BYTES, createDecompressor, sniffCompression } from "./decompress.js";
import { MergedTree } from "./merge.js";
import { type LayerBudget, readLayer } from "./read.js";
import { resolveImage } from "./resolve.js";
import { isForeignLayer } from "./schema.js";
import { decodeHeader, isMetaHeader, MAX_META_BYTES } from "./tar.js";
import type { ImageBlobSource, ImageFileSource, OpenImageOptions } from "./types.js";

/**
 * Opens an OCI image layout directory, an OCI archive or a `docker save` archive (plain, gzip or
 * zstd) and reads the image's layers once. Fails closed: a blob that does not match its digest,
 * a malformed document or a limit exceeded is an error and nothing is returned.
 */
/**
 * Only the image's identity and config (no layer is read): what `bulwark check` needs of an image.
 */
export async function readImageInfo(
  path: string,
  options: Omit<OpenImageOptions, "want"> = {},
): Promise<import("./types.js").ImageInfo> {
  const limits = sourceLimits(options.limits);
  const blobs = await openImageBlobSource(path, limits, options.signal);
  try {
    const resolved = await resolveImage(blobs, {
      limits,
      issues: [],
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.reference ? { reference: options.reference } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return resolved.info;
  } finally {
    await blobs.close();
  }
}

export async function openImageSource(path: string, options: OpenImageOptions): Promise<ImageFileSource> {
  const limits = sourceLimits(options.limits);
  const issues: SourceIssue[] = [];
  const signal = options.signal;
  signal?.throwIfAborted();
  const blobs: ImageBlobSource = await openImageBlobSource(path, limits, signal);
  let tree: MergedTree;
  let resolved;
  try {
    resolved = await resolveImage(blobs, {
      limits,
      issues,
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.reference ? { reference: options.reference } : {}),
      ...(signal ? { signal } : {}),
    });
    tree = new MergedTree(options.want, limits, issues);
    const budget: LayerBudget = { inflated: 0 };
    for (const layer of resolved.layers) {
      signal?.throwIfAborted();
      if (isForeignLayer(layer.mediaType) && (await blobs.size(layer.digest)) === undefined) {
        issues.push({
          message: "foreign layer not in the archive; its files are not catalogued",
          layer: layer.digest,
        });
        tree.layerSink(layer.digest);
        continue;
      }
      await readLayer(blobs, layer, tree.layerSink(layer.digest), limits, budget, signal);
    }
  } finally {
    await blobs.close();
  }

  const merged = tree.files();
  const byPath = new Map(merged.map((f) => [f.entry.path, f.node]));
  const files = merged.map((f) => f.entry);
  const links = tree.symlinks();
  const read = async (p: string): Promise<Uint8Array> => {
    if (normalizePath(p) !== p || p === "") {
      throw new BulwarkError(
        "INPUT_INVALID",
        `path ${JSON.stringify(p)} is not a plain path inside the image root`,
      );
    }
    const node = byPath.get(p);
    if (!node) throw new BulwarkError("FILE_NOT_FOUND", `${p} is not a file listed by this image source`);
    if (!node.content) {
      const limit = node.unread === "memory" ? limits.maxBufferedBytes : limits.maxFileBytes;
      const why =
        node.unread === "memory"
          ? "the memory budget for wanted files was spent"
          : `it is over the ${limit}-byte limit`;
      throw new BulwarkError("INPUT_TOO_LARGE", `${p} (${node.size} bytes) was not read: ${why}`, {
        details: { size: node.size, limit },
      });
    }
    return node.content.slice();
  };
  return {
    kind: "image",
    name: resolved.info.reference ?? path,
    image: resolved.info,
    issues,
    files: () => files,
    read,
    readText: async (p) => decodeText(await read(p)),
    symlinks: () => links,
    resolveInRoot: (p) => resolveInRoot(links, p),
  };
}

const IMAGE_NAME =
  /^(?:oci-layout|index\.json|manifest\.json|repositories|blobs(?:\/.*)?|[0-9a-f]{64}(?:\.json|\.tar|\/.*)?)$/;

/**
 * Whether `path` looks like an image this module opens: a directory with an `oci-layout` file,
 * or a (possibly compressed) tar whose first entries are named as in OCI or docker archives.
 * Cheap: it reads the first megabyte at most and never throws for unreadable or odd files.
 */
export async function detectImageTarget(path: string): Promise<boolean> {
  try {
    const st = await fs.stat(path);
    if (st.isDirectory()) {
      return (await fs.lstat(`${path}/oci-layout`).catch(() => undefined))?.isFile() ?? false;
    }
    if (!st.isFile()) return false;
    const head = await readPrefix(path, CHUNK_BYTES);
    if (head.length < 512) return false;
    const names = firstTarNames(head, 8);
    return names.length > 0 && names.every((n) => IMAGE_NAME.test(n));
  } catch {
    return false;
  }
}

/** The first `max` bytes of a file, decompressed when it is gzip or zstd. */
async function readPrefix(path: string, max: number): Promise<Uint8Array> {
  const fh = await fs.open(path, "r");
  let raw: Uint8Array;
  try {
    const buf = new Uint8Array(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    raw = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const kind = sniffCompression(raw, path);
  if (kind === "none") return raw;
  const chunks: Buffer[] = [];
  let length = 0;
  await new Promise<void>((resolve) => {
    const stages = createDecompressor(kind);
    const first = stages[0]!;
    const last = stages.reduce((a, b) => a.pipe(b));
    const done = (): void => {
      for (const s of stages) s.destroy();
      resolve();
    };
    last.on("data", (c: Buffer) => {
      chunks.push(c);
      length += c.length;
      if (length >= max) done();
    });
    last.on("end", done);
    for (const s of stages) s.on("error", done);
    first.end(raw);
  });
  return Buffer.concat(chunks).subarray(0, max);
}

/** Names of the first `count` entries of a tar prefix (stops at the prefix's end or any oddity). */
function firstTarNames(buf: Uint8Array, count: number): string[] {
  const names: string[] = [];
  let pos = 0;
  while (names.length < count && pos + 512 <= buf.length) {
    const raw = decodeHeader(buf, pos, "archive", pos);
    if (!raw) break;
    pos += 512;
    if (isMetaHeader(raw.typeflag)) {
      if (raw.size > MAX_META_BYTES) break;
      pos += Math.ceil(raw.size / 512) * 512;
      continue;
    }
    const name = normalizePath(raw.name);
    if (name) names.push(name);
    const hasData = raw.typeflag === 0x30 || raw.typeflag === 0 || raw.typeflag === 0x37;
    pos += hasData ? Math.ceil(raw.size / 512) * 512 : 0;
  }
  return names;
}
