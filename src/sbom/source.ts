/**
 * A file tree catalogers read from: a directory, a root filesystem, or an image's merged layers.
 * Catalogers never touch the disk or the image themselves; they ask the source, which enforces
 * limits, never follows symlinks out of the root, and (for images) has already applied whiteouts.
 */
export interface FileEntry {
  /** Path relative to the root, forward slashes, no leading `./` or `/`. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Digest of the image layer holding the effective version of this file (images only). */
  readonly layer?: string;
  /** True for regular files with any execute bit (Go binaries are found among these). */
  readonly executable?: boolean;
}

export interface FileSource {
  readonly kind: "directory" | "rootfs" | "image" | "file";
  /** Human name of the source (the path or image reference). */
  readonly name: string;
  /** Every regular file the source holds that `want(path)` accepts, in path order. */
  files(): readonly FileEntry[];
  /** The file's bytes. MUST fail for paths not listed by `files()`. */
  read(path: string): Promise<Uint8Array>;
  /** The file's text (UTF-8, BOM stripped). */
  readText(path: string): Promise<string>;
}
