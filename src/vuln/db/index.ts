export {
  type DbStatus,
  defaultSourceName,
  type ImportOptions,
  type ImportResult,
  type RecordDetails,
  VULN_DB_FILE,
  VulnDatabase,
} from "./database.js";
export { checkOsvRecord, type InputKind, inputKind, readOsvInput, type SourcedRecord } from "./read.js";
