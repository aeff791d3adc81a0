export { blobPath, openImageBlobSource } from "./blob-source.js";
export { type Compression, sniffCompression } from "./decompress.js";
export { detectImageTarget, openImageSource, readImageInfo } from "./image-source.js";
export { DEFAULT_PLATFORM, formatPlatform, parsePlatform, platformMatches } from "./platform.js";
export { MEDIA_TYPES } from "./schema.js";
export { type TarEntryType, type TarHeader, TarParser, type TarSink } from "./tar.js";
export type {
  Descriptor,
  DockerSaveImage,
  ImageBlobSource,
  ImageConfig,
  ImageFileSource,
  ImageFormat,
  ImageIndex,
  ImageInfo,
  ImageLayerInfo,
  ImageManifest,
  ImageRoot,
  OpenImageOptions,
  Platform,
} from "./types.js";
