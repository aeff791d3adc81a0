/**
 * Reading blobs with their digests verified as they stream. A blob whose bytes do not hash to
 * the digest that names it, or whose length differs from its descriptor's size, is an
 * `INPUT_INVALID` error with `details.reason = "digest-mismatch"` (`VERIFICATION_FAILED` is kept
 * for signatures and attestations); nothing read from it is used.
 */
import { createHash, type Hash } from "node:crypto";
import { Readable, Transform, type TransformCallback, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BulwarkError, digestEquals } from "../../core/index.js";
import type { SourceLimits } from "../source/index.js";
import { createDecompressor, SNIFF_BYTES, sniffCompression } from "./decompress.js";
import { TarParser, type TarSink } from "./tar.js";
import type { Descriptor, ImageBlobSource } from "./types.js";

/** Hashes and counts a blob as it passes; fails on the first byte past its size, and at the end on a mismatch. */
export class DigestVerifier extends Transform {
  bytes = 0;
  private readonly hash: Hash = createHash("sha256");

  constructor(private readonly descriptor: Pick<Descriptor, "digest" | "size">) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.descriptor.size) {
      cb(
        mismatch(
          this.descriptor.digest,
          `is longer than the ${this.descriptor.size} bytes its descriptor gives`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.descriptor.size) {
      cb(
        mismatch(
          this.descriptor.digest,
          `is ${this.bytes} bytes, not the ${this.descriptor.size} its descriptor gives`,
        ),
      );
      return;
    }
    const actual = `sha256:${this.hash.digest("hex")}`;
    if (!digestEquals(actual, this.descriptor.digest)) {
      cb(mismatch(this.descriptor.digest, `does not match its digest (its content is ${actual})`, actual));
      return;
    }
    cb();
  }
}

function mismatch(digest: string, what: string, actual?: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", `blob ${digest} ${what}`, {
    details: { reason: "digest-mismatch", expected: digest, ...(actual ? { actual } : {}) },
  });
}

export function isDigestMismatch(e: unknown): boolean {
  return e instanceof BulwarkError && e.details?.reason === "digest-mismatch";
}

/** A small blob (manifest, index, config), whole, after checking its digest and size. */
export async function readBlob(
  blobs: ImageBlobSource,
  descriptor: Descriptor,
  max: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (descriptor.size > max) {
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `blob ${descriptor.digest} is ${descriptor.size} bytes, over the limit of ${max}`,
      {
        details: { size: descriptor.size, limit: max },
      },
    );
  }
  const chunks: Buffer[] = [];
  await pipeline(
    [
      await blobs.blob(descriptor),
      new DigestVerifier(descriptor),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk);
          cb();
        },
      }),
    ],
    signal ? { signal } : {},
  ).catch((e: unknown) => {
    throw asReadError(e, `blob ${descriptor.digest}`);
  });
  return new Uint8Array(Buffer.concat(chunks));
}

/** Shared across the layers of one image: uncompressed bytes read so far. */
export interface LayerBudget {
  inflated: number;
}

/**
 * Streams one layer once: verify → decompress (by magic bytes) → tar entries into `sink`.
 * Enforces the image-wide uncompressed byte limit and the per-layer compression-ratio guard.
 */
export async function readLayer(
  blobs: ImageBlobSource,
  layer: Descriptor,
  sink: TarSink,
  limits: SourceLimits,
  budget: LayerBudget,
  signal: AbortSignal | undefined,
): Promise<void> {
  const what = `layer ${layer.digest}`;
  const opened = await blobs.blob(layer);
  let head: Uint8Array;
  let raw: Readable;
  try {
    ({ head, stream: raw } = await peek(opened, SNIFF_BYTES));
  } catch (e) {
    opened.destroy();
    throw asReadError(e, what);
  }
  let kind;
  try {
    kind = sniffCompression(head, what);
  } catch (e) {
    raw.destroy();
    throw e;
  }
  const verifier = new DigestVerifier(layer);
  const parser = new TarParser(sink, what);
  let inflated = 0;
  const consumer = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      inflated += chunk.length;
      budget.inflated += chunk.length;
      if (budget.inflated > limits.maxImageBytes) {
        cb(
          new BulwarkError(
            "INPUT_TOO_LARGE",
            `the image's layers inflate to more than ${limits.maxImageBytes} bytes`,
            {
              details: { limit: limits.maxImageBytes, layer: layer.digest },
            },
          ),
        );
        return;
      }
      if (inflated > limits.ratioFloorBytes && inflated > verifier.bytes * limits.maxCompressionRatio) {
        cb(
          new BulwarkError(
            "INPUT_TOO_LARGE",
            `${what} inflates more than ${limits.maxCompressionRatio}-fold (${inflated} bytes from ${verifier.bytes}): a decompression bomb?`,
            { details: { limit: limits.maxCompressionRatio, layer: layer.digest } },
          ),
        );
        return;
      }
      try {
        if (!parser.ended) parser.push(chunk);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    final(cb) {
      try {
        parser.end();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  try {
    await pipeline([raw, verifier, ...createDecompressor(kind), consumer], signal ? { signal } : {});
  } catch (e) {
    const err = asReadError(e, what);
    // A corrupt stream is most often a tampered one: say so when the digest shows it.
    if (err.code === "INPUT_INVALID" && !isDigestMismatch(err) && !signal?.aborted) {
      await verifyBlob(blobs, layer, signal).catch((m: unknown) => {
        if (isDigestMismatch(m))
          throw new BulwarkError("INPUT_INVALID", (m as BulwarkError).message, {
            cause: err,
            details: (m as BulwarkError).details,
          });
      });
    }
    throw err;
  }
}

/** Reads a blob to its end only to check its digest. */
async function verifyBlob(
  blobs: ImageBlobSource,
  d: Descriptor,
  signal: AbortSignal | undefined,
): Promise<void> {
  await pipeline(
    [await blobs.blob(d), new DigestVerifier(d), new Writable({ write: (_c, _e, cb) => cb() })],
    signal ? { signal } : {},
  );
}

/** Errors from streams as BulwarkErrors; aborts and Bulwark's own errors pass unchanged. */
function asReadError(e: unknown, what: string): BulwarkError {
  if (e instanceof BulwarkError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.name === "AbortError") throw e;
  if (typeof err?.code === "string") {
    const kind = err.code.startsWith("Z_") ? "corrupt gzip data" : "cannot be read";
    return new BulwarkError("INPUT_INVALID", `${what}: ${kind}: ${err.message}`, { cause: e });
  }
  throw e;
}

/**
 * The first `n` bytes of a paused stream (fewer at its end) and a stream that still starts at
 * byte 0: the same one with the bytes pushed back, or (when it already ended) one of those bytes.
 */
async function peek(stream: Readable, n: number): Promise<{ head: Uint8Array; stream: Readable }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const chunk = stream.read() as Buffer | Uint8Array | null;
    if (chunk !== null) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(b);
      length += b.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        stream.off("readable", done);
        stream.off("end", done);
        stream.off("error", fail);
        resolve();
      };
      const fail = (e: Error): void => {
        stream.off("readable", done);
        stream.off("end", done);
        reject(e);
      };
      stream.once("readable", done);
      stream.once("end", done);
      stream.once("error", fail);
    });
  }
  const head = Buffer.concat(chunks);
  if (stream.readableEnded) return { head, stream: Readable.from([head]) };
  if (head.length > 0) stream.unshift(head);
  return { head, stream };
}
