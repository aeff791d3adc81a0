export { canonicalize } from "./canonical-json.js";
export { type Clock, clockFromEnv, fixedClock, systemClock } from "./clock.js";
export { type Context, createContext } from "./context.js";
export { canonicalDigest, type Digest, digestEquals, isDigest, sha256Digest, sha256Hex } from "./digest.js";
export {
  BulwarkError,
  type BulwarkErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  EXIT,
  type ExitCode,
  errorDocsAnchor,
  formatLocation,
  isBulwarkError,
  type SourceLocation,
  toBulwarkError,
} from "./errors.js";
export { lazyRequire } from "./lazy.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export {
  createLogger,
  isLogLevel,
  LOG_LEVELS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from "./logger.js";
export { parseYamlDocuments, type YamlDocument, type YamlParseOptions } from "./yaml.js";
