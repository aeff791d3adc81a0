export { type CvssScore, type CvssSeverity, cvss3, severityOf } from "./cvss.js";
export { type Match, type MatchComponent, matchComponents, OsvIndex, type OsvRecord } from "./match.js";
export {
  type AffectedResult,
  evaluateAffected,
  type OsvAffected,
  type OsvEvent,
  type OsvRange,
} from "./ranges.js";
export * from "./versions/index.js";
