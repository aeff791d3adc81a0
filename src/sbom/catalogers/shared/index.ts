/**
 * Helpers every cataloger shares: located issues, reading a file's text, located JSON, package
 * URLs, paths and positions. Not exported beyond the catalogers.
 */
export {
  catalogIssue,
  failedResult,
  issueFactory,
  Issues,
  type IssueWhere,
  type Position,
} from "./issues.js";
export {
  firstSyntaxError,
  isRecord,
  type LocatedJson,
  parseJsonFast,
  parseJsonYamlLocated,
  parseLocatedJson,
} from "./json.js";
export { basename, dirname, groupToRead, joinPath, locationOf } from "./paths.js";
export { purlOrError, tryPurl } from "./purl.js";
export {
  catalogText,
  compareText,
  errorMessage,
  LineIndex,
  lineColumnAt,
  lockfileCataloger,
  readEntryText,
  tryReadText,
} from "./text.js";
