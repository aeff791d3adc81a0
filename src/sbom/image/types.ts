/**
 * The image model: OCI descriptors and documents as Bulwark reads them, what a reader of image
 * blobs must provide, and what an opened image reports.
 */
import type { Readable } from "node:stream";
import type { Digest } from "../../core/index.js";
import type { RootFileSource, SourceLimits, WantFile } from "../source/index.js";

/** `os/architecture[/variant]` of an image (OCI image index `platform`). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** An OCI content descriptor (image-spec `descriptor.md`), validated. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly urls?: readonly string[];
}

/** An OCI image index or Docker manifest list (image-spec `image-index.md`). */
export interface ImageIndex {
  readonly mediaType?: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An OCI image manifest or Docker image manifest v2 schema 2. */
export interface ImageManifest {
  readonly mediaType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The parts of an image config (image-spec `config.md`) Bulwark uses. */
export interface ImageConfig {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly diffIds: readonly Digest[];
  /** The config's `config` object as written (User, ExposedPorts, Env, Entrypoint, Cmd, Healthcheck, Labels, …). */
  readonly runtime?: Readonly<Record<string, unknown>>;
}

/** One image of a legacy `docker save` archive (`manifest.json`), as descriptors. */
export interface DockerSaveImage {
  readonly config: Descriptor;
  /** Layers as descriptors whose digest is the layer's diff ID (legacy layers are plain tars). */
  readonly layers: readonly Descriptor[];
  readonly repoTags: readonly string[];
}

/** Where an image source starts: the document that names its images. */
export type ImageRoot =
  /** An OCI layout's `index.json` (not itself content-addressed, so it has no digest). */
  | { readonly kind: "index"; readonly index: ImageIndex }
  /** A legacy `docker save` archive: no manifests, only configs and layer tars. */
  | { readonly kind: "docker-save"; readonly images: readonly DockerSaveImage[] };

/**
 * Reads the blobs of one image store. Implementations exist for OCI layout directories, OCI
 * archives and `docker save` archives; a registry client can implement it too.
 * - `manifest()` MUST return the store's entry point; it is called once.
 * - `blob(d)` MUST return the bytes stored for `d.digest` (media type and size are hints a
 *   registry needs to pick its endpoint). It need not verify them: the caller verifies every
 *   blob's digest and size while it streams. It MUST throw `INPUT_INVALID` for an absent blob.
 * - `close()` releases files; it is called once, after the last blob was read.
 */
export interface ImageBlobSource {
  readonly format: ImageFormat;
  /** The path or reference the source was opened from. */
  readonly name: string;
  manifest(): Promise<ImageRoot>;
  blob(descriptor: Descriptor): Promise<Readable>;
  /** The stored size of a blob, or `undefined` when the store lacks it (for optional lookups such as the base image's manifest). */
  size(digest: Digest): Promise<number | undefined>;
  close(): Promise<void>;
}

export type ImageFormat = "oci-layout" | "oci-archive" | "docker-archive";

/** One layer of the image that was read, bottom first. */
export interface ImageLayerInfo {
  /** The layer blob's digest, as the manifest lists it (for legacy `docker save`, the diff ID). */
  readonly digest: Digest;
  /** Digest of the uncompressed layer, from the config's `rootfs.diff_ids`. */
  readonly diffId?: Digest;
  /** Size of the blob in bytes (compressed, as stored). */
  readonly size: number;
  readonly mediaType: string;
  /**
   * True for layers that came from the base image, false for the image's own; absent when the
   * image does not say (see docs/sbom-images.md).
   */
  readonly base?: boolean;
}

/** What an opened image is. */
export interface ImageInfo {
  readonly format: ImageFormat;
  /**
   * The manifest digest (what registries and signatures name). A legacy `docker save` archive
   * holds no manifest: there it is the config digest (Docker's image ID); see `digestOf`.
   */
  readonly digest: Digest;
  readonly digestOf: "manifest" | "config";
  readonly configDigest: Digest;
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly layers: readonly ImageLayerInfo[];
  /** The name the image was stored under (`org.opencontainers.image.ref.name`, a RepoTag). */
  readonly reference?: string;
  /** The image config's runtime settings (`config` object: User, ExposedPorts, Env, …). */
  readonly runtime?: Readonly<Record<string, unknown>>;
}

export interface OpenImageOptions {
  readonly want: WantFile;
  readonly limits?: Partial<SourceLimits>;
  /** `os/arch[/variant]`; default `linux/amd64`. Required to match when given. */
  readonly platform?: string;
  /** Which image of a store holding several (a ref name or repo tag). */
  readonly reference?: string;
  readonly signal?: AbortSignal;
}

/** An image's merged file system, read once, with what was read. */
export interface ImageFileSource extends RootFileSource {
  readonly kind: "image";
  readonly image: ImageInfo;
}
