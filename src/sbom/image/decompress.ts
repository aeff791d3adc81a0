/**
 * Layer decompression chosen by magic bytes, never by media type (which images get wrong):
 * gzip (node:zlib), zstd (node:zlib where the runtime has it, else fzstd) or plain tar.
 */
import { once } from "node:events";
import { Transform, type TransformCallback } from "node:stream";
import { finished } from "node:stream/promises";
import zlib from "node:zlib";
import { Decompress as FzstdDecompress } from "fzstd";
import { BulwarkError } from "../../core/index.js";

export type Compression = "gzip" | "zstd" | "none";

/** Output chunk size of the decompressors: large chunks mean fewer callbacks per layer. */
export const CHUNK_BYTES = 1024 * 1024;

/** Largest zstd window accepted (zstd's own default limit, `--long=27`). */
export const MAX_ZSTD_WINDOW = 1 << 27;

/** Bytes {@link sniffCompression} needs to decide. */
export const SNIFF_BYTES = 6;

/** The compression of a stream that starts with `head`; throws for formats images must not use. */
export function sniffCompression(head: Uint8Array, what: string): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  // A zstd skippable frame (0x184D2A5?) may precede the data frame.
  if ((head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return "zstd";
  const unsupported =
    head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58 && head[4] === 0x5a
      ? "xz"
      : head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68
        ? "bzip2"
        : undefined;
  if (unsupported) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `${what} is ${unsupported}-compressed; image layers are tar, gzip or zstd`,
    );
  }
  return "none";
}

/**
 * The pipeline stages that decompress `kind` (none for plain tar). zstd goes through
 * {@link ZstdFrames}: a frame guard checks each frame's structure and window before a decoder
 * sees it, skippable frames are dropped, and each data frame is decoded by its own decoder, the
 * runtime's (Node ≥ 22.15) or fzstd. One decoder per frame because Node's stops, silently, at
 * the end of the first frame, which would let a second frame hide files from the scan; and the
 * guard is what keeps fzstd from allocating whatever window a hostile header asks for (2 GiB).
 */
export function createDecompressor(kind: Compression): Transform[] {
  switch (kind) {
    case "gzip":
      return [zlib.createGunzip({ chunkSize: CHUNK_BYTES })];
    case "zstd":
      return [new ZstdFrames(nativeZstd ? nativeFrameDecoder(nativeZstd) : fzstdFrameDecoder)];
    case "none":
      return [];
    default: {
      const never: never = kind;
      throw new Error(`unknown compression ${String(never)}`);
    }
  }
}

type ZstdFactory = (options: { chunkSize: number }) => Transform;
const nativeZstd = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;

/** Decodes one zstd frame, handing its output to `out`. */
interface FrameDecoder {
  write(bytes: Uint8Array): Promise<void> | void;
  /** Resolves once every byte of output was handed over. */
  end(): Promise<void> | void;
}
type FrameDecoderFactory = (out: (bytes: Uint8Array) => void) => FrameDecoder;

const fzstdFrameDecoder: FrameDecoderFactory = (out) => {
  const d = new FzstdDecompress((data) => {
    if (data.length > 0) out(data);
  });
  return { write: (bytes) => d.push(bytes), end: () => d.push(new Uint8Array(0), true) };
};

function nativeFrameDecoder(factory: ZstdFactory): FrameDecoderFactory {
  return (out) => {
    const d = factory({ chunkSize: CHUNK_BYTES });
    let failure: unknown;
    d.on("data", (c: Buffer) => out(c));
    d.on("error", (e) => (failure ??= e));
    return {
      write: async (bytes) => {
        if (failure) throw failure;
        if (!d.write(bytes)) await once(d, "drain");
      },
      end: async () => {
        if (failure) throw failure;
        d.end();
        await finished(d);
      },
    };
  };
}

type FrameOp = { readonly bytes: Uint8Array } | { readonly end: true };

/** zstd decompression, one decoder per data frame, behind a {@link ZstdFrameGuard}. */
class ZstdFrames extends Transform {
  private readonly ops: FrameOp[] = [];
  private readonly guard = new ZstdFrameGuard(MAX_ZSTD_WINDOW, {
    data: (bytes) => this.ops.push({ bytes }),
    frameEnd: () => this.ops.push({ end: true }),
  });
  private decoder: FrameDecoder | undefined;

  constructor(private readonly decoders: FrameDecoderFactory) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.guard.push(chunk);
    } catch (e) {
      cb(zstdError(e));
      return;
    }
    this.drain().then(
      () => cb(),
      (e: unknown) => cb(zstdError(e)),
    );
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.guard.end();
    } catch (e) {
      cb(zstdError(e));
      return;
    }
    this.drain().then(
      () => cb(),
      (e: unknown) => cb(zstdError(e)),
    );
  }

  private async drain(): Promise<void> {
    while (this.ops.length > 0) {
      const op = this.ops.shift()!;
      if ("bytes" in op) {
        this.decoder ??= this.decoders((out) => this.push(out));
        await this.decoder.write(op.bytes);
      } else {
        const d = this.decoder;
        this.decoder = undefined;
        await d?.end();
      }
    }
  }
}

function zstdError(e: unknown): BulwarkError {
  if (e instanceof BulwarkError) return e;
  return new BulwarkError("INPUT_INVALID", `corrupt zstd data: ${(e as Error).message}`, { cause: e });
}

const enum Z {
  Magic,
  FrameHeader,
  SkipSize,
  Skip,
  BlockHeader,
  Checksum,
}

/** Where a {@link ZstdFrameGuard} sends the bytes of data frames (skippable frames are dropped). */
export interface ZstdFrameListener {
  data(bytes: Uint8Array): void;
  frameEnd(): void;
}

const ZSTD_MAGIC = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]);

/**
 * Walks the structure of a zstd stream (frames, skippable frames, block headers) without
 * decoding it: rejects windows over the limit, reserved bits and block types and oversized
 * blocks, and hands each data frame's bytes, frame by frame, to its listener.
 */
export class ZstdFrameGuard {
  private state = Z.Magic;
  private readonly head = new Uint8Array(18);
  private fill = 0;
  private need = 4;
  private skip = 0;
  private checksum = false;
  private blockMax = 0;
  private last = false;
  private frames = 0;
  /** Inside a data frame's blocks (between its header and its last block). */
  private inFrame = false;
  /** Inside a data frame at all (from its magic to its checksum). */
  private inData = false;

  constructor(
    private readonly maxWindow: number,
    private readonly listener?: ZstdFrameListener,
  ) {}

  push(chunk: Uint8Array): void {
    let i = 0;
    let from = 0;
    while (i < chunk.length) {
      const wasData = this.inData;
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0) this.afterSkip();
      } else {
        const take = Math.min(this.need - this.fill, chunk.length - i);
        this.head.set(chunk.subarray(i, i + take), this.fill);
        this.fill += take;
        i += take;
        if (this.fill === this.need) this.onField();
      }
      if (!wasData && this.inData) {
        this.listener?.data(ZSTD_MAGIC.slice());
        from = i;
      } else if (wasData && !this.inData) {
        if (i > from) this.listener?.data(chunk.subarray(from, i));
        this.listener?.frameEnd();
      }
    }
    if (this.inData && chunk.length > from) this.listener?.data(chunk.subarray(from));
  }

  end(): void {
    if (this.state === Z.Magic && this.fill === 0 && this.skip === 0 && this.frames > 0) return;
    throw new BulwarkError("INPUT_INVALID", "corrupt zstd data: the stream ends inside a frame");
  }

  private expect(state: Z, need: number): void {
    this.state = state;
    this.need = need;
    this.fill = 0;
  }

  private onField(): void {
    const h = this.head;
    switch (this.state) {
      case Z.Magic: {
        const magic = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
        if (magic === 0xfd2fb528) {
          this.inData = true;
          return this.expect(Z.FrameHeader, 1);
        }
        if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) return this.expect(Z.SkipSize, 4);
        throw new BulwarkError("INPUT_INVALID", "corrupt zstd data: bad frame magic");
      }
      case Z.FrameHeader: {
        const fhd = h[0]!;
        const single = (fhd >> 5) & 1;
        const fcsFlag = fhd >> 6;
        if (fhd & 0x08)
          throw new BulwarkError("INPUT_INVALID", "corrupt zstd data: reserved frame header bit set");
        const dictBytes = [0, 1, 2, 4][fhd & 3]!;
        const fcsBytes = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
        const total = 1 + (single ? 0 : 1) + dictBytes + fcsBytes;
        if (this.fill < total) {
          this.need = total;
          return;
        }
        let window: number;
        if (!single) {
          const wd = h[1]!;
          const base = 2 ** (10 + (wd >> 3));
          window = base + (base / 8) * (wd & 7);
        } else {
          let fcs = 0;
          const at = total - fcsBytes;
          for (let k = fcsBytes - 1; k >= 0; k--) fcs = fcs * 256 + h[at + k]!;
          window = fcsBytes === 2 ? fcs + 256 : fcs;
        }
        if (window > this.maxWindow) {
          throw new BulwarkError(
            "INPUT_TOO_LARGE",
            `zstd frame window of ${window} bytes is over the limit of ${this.maxWindow}`,
            {
              details: { size: window, limit: this.maxWindow },
            },
          );
        }
        this.checksum = ((fhd >> 2) & 1) === 1;
        this.blockMax = Math.min(window, 128 * 1024);
        this.frames++;
        this.inFrame = true;
        return this.expect(Z.BlockHeader, 3);
      }
      case Z.SkipSize: {
        this.skip = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
        this.frames++;
        this.inFrame = false;
        this.expect(Z.Skip, 0);
        if (this.skip === 0) this.afterSkip();
        return;
      }
      case Z.BlockHeader: {
        const v = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        this.last = (v & 1) === 1;
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 3) throw new BulwarkError("INPUT_INVALID", "corrupt zstd data: reserved block type");
        if (size > this.blockMax) {
          throw new BulwarkError("INPUT_INVALID", "corrupt zstd data: block larger than the frame allows");
        }
        this.skip = type === 1 ? 1 : size;
        this.expect(Z.Skip, 0);
        if (this.skip === 0) this.afterSkip();
        return;
      }
      case Z.Checksum:
        this.inData = false;
        return this.expect(Z.Magic, 4);
      case Z.Skip:
        return;
    }
  }

  /** After the content of a block or of a skippable frame. */
  private afterSkip(): void {
    if (this.inFrame) {
      if (!this.last) return this.expect(Z.BlockHeader, 3);
      this.inFrame = false;
      if (this.checksum) return this.expect(Z.Checksum, 4);
      this.inData = false;
      return this.expect(Z.Magic, 4);
    }
    return this.expect(Z.Magic, 4);
  }
}
