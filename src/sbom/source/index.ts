export {
  DEFAULT_SOURCE_LIMITS,
  decodeText,
  type RootFileSource,
  type SourceIssue,
  type SourceLimits,
  sourceLimits,
  tooLarge,
  type WantFile,
} from "./common.js";
export {
  type DirectorySourceOptions,
  type FileSourceOptions,
  openDirectorySource,
  openFileSource,
} from "./directory.js";
export { MAX_SYMLINK_HOPS, normalizePath, resolveInRoot } from "./paths.js";
