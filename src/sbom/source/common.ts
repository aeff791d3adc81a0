/**
 * What every Bulwark file source shares: its limits, its issues, the `want` filter and the
 * extended interface for sources that are a whole root filesystem (directories and images), where
 * symlinks are recorded but never followed.
 */
import { BulwarkError } from "../../core/index.js";
import type { FileEntry, FileSource } from "../source.js";

/**
 * Limits on what a source reads. Every field has a default ({@link DEFAULT_SOURCE_LIMITS}); a
 * caller may pass the core `Limits` (its `maxFileBytes` then applies) or any subset.
 */
export interface SourceLimits {
  /** Largest single file a source reads (and, for images, buffers). */
  readonly maxFileBytes: number;
  /** Most uncompressed layer bytes read from one image, over all layers. */
  readonly maxImageBytes: number;
  /** Most entries walked (directory entries, or tar entries over all layers of an image). */
  readonly maxEntries: number;
  /**
   * Most bytes of wanted files an image source holds in memory. Past it, files are still listed
   * but not read (an issue says so, and `read` fails with `INPUT_TOO_LARGE`).
   */
  readonly maxBufferedBytes: number;
  /**
   * Largest uncompressed/compressed ratio of one layer, checked once the layer has inflated past
   * {@link SourceLimits.ratioFloorBytes}. Real layers stay under ~20; gzip tops out near 1032.
   */
  readonly maxCompressionRatio: number;
  /** Bytes a layer may inflate to before the ratio guard applies. */
  readonly ratioFloorBytes: number;
  /** Largest manifest, index or config document read from an image. */
  readonly maxManifestBytes: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxImageBytes: 8 * 1024 * 1024 * 1024,
  maxEntries: 2_000_000,
  maxBufferedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioFloorBytes: 64 * 1024 * 1024,
  maxManifestBytes: 8 * 1024 * 1024,
};

/** The defaults overridden by whichever known fields `partial` sets (unknown fields are ignored). */
export function sourceLimits(partial: Partial<SourceLimits> | undefined): SourceLimits {
  const out: Record<string, number> = { ...DEFAULT_SOURCE_LIMITS };
  for (const key of Object.keys(DEFAULT_SOURCE_LIMITS) as (keyof SourceLimits)[]) {
    const v = partial?.[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !(v > 0)) {
      throw new BulwarkError(
        "CONFIG_INVALID",
        `source limit ${key} must be a positive number, got ${String(v)}`,
      );
    }
    out[key] = v;
  }
  return out as unknown as SourceLimits;
}

/**
 * Which files a source lists. It is called once per regular file with an entry whose `size`
 * and `executable` may be computed on first access (a directory source only `lstat`s a file
 * when the filter reads them), so test the path first.
 */
export type WantFile = (entry: FileEntry) => boolean;

/** Something a source skipped or could not represent: reported, never fatal. */
export interface SourceIssue {
  readonly message: string;
  /** Path relative to the root (for tar entries, as the tar names it). */
  readonly path?: string;
  /** Digest of the image layer the entry came from. */
  readonly layer?: string;
}

/**
 * A source that is a whole root filesystem: a directory, a rootfs or an image's merged layers.
 * Symlinks are listed, never followed by `read`; {@link RootFileSource.resolveInRoot} resolves
 * them lexically so a caller can find the file a link names and read it by its real path.
 */
export interface RootFileSource extends FileSource {
  /** Entries skipped while listing (unreadable, unsafe, unsupported). */
  readonly issues: readonly SourceIssue[];
  /** Every symlink in the tree: path → target exactly as stored. */
  symlinks(): ReadonlyMap<string, string>;
  /**
   * The path `path` names once every symlink along it is resolved inside the root: absolute
   * targets restart at the root, `..` never climbs above it. At most 40 links are followed;
   * a longer chain (a loop) gives `undefined`. The result need not exist or be listed.
   */
  resolveInRoot(path: string): string | undefined;
}

/** UTF-8 text with a leading BOM removed (invalid sequences become U+FFFD). */
export function decodeText(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8").decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function tooLarge(what: string, size: number, limit: number): BulwarkError {
  return new BulwarkError("INPUT_TOO_LARGE", `${what} is ${size} bytes, over the limit of ${limit}`, {
    details: { size, limit },
  });
}
