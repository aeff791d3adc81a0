export { type CvssScore, type CvssSeverity, cvss3, cvss4, cvssScore, severityOf } from "./cvss.js";
export {
  checkOsvRecord,
  type DbStatus,
  defaultSourceName,
  type ImportOptions,
  type ImportResult,
  readOsvInput,
  type RecordDetails,
  type SourcedRecord,
  VULN_DB_FILE,
  VulnDatabase,
} from "./db/index.js";
export {
  baseEcosystem,
  type Match,
  type MatchComponent,
  matchComponents,
  normalName,
  OsvIndex,
  type OsvRecord,
} from "./match.js";
export {
  advisoryUrl,
  findingMessage,
  reportToCycloneDx,
  reportToInToto,
  reportToSarif,
  VULNS_PREDICATE_TYPE,
} from "./output.js";
export {
  type AffectedResult,
  evaluateAffected,
  type OsvAffected,
  type OsvEvent,
  type OsvRange,
} from "./ranges.js";
export * from "./report.js";
export {
  buildReport,
  compareFindings,
  exceedsThreshold,
  type DetailsOf,
  type Matched,
  matchableComponents,
  matchSbom,
  parseSeverity,
  type ScanInput,
  severityOf as findingSeverity,
} from "./scan.js";
export * from "./sources/index.js";
export * from "./versions/index.js";
export { applyVex, createOpenVexDocument, loadVexDocument, type VexDocument } from "./vex.js";
