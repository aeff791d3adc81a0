/**
 * From an SBOM and the advisories that name its packages to a vulnerability report: match every
 * component (ecosystem-exact, aliases merged), derive each finding's severity, fixed versions and
 * references, apply VEX, and summarise. Pure: the records come from the database and the online
 * sources the caller chose.
 */
import type { SbomComponent, SbomDocument } from "../formats/index.js";
import { cvssScore } from "./cvss.js";
import { type Match, type MatchComponent, matchComponents, type OsvIndex, type OsvRecord } from "./match.js";
import {
  type CvssInfo,
  type Finding,
  type Severity,
  SEVERITIES,
  severityRank,
  summarize,
  type VulnerabilityReport,
} from "./report.js";

/** The components the matcher can evaluate: those with an ecosystem and a version. */
export function matchableComponents(sbom: SbomDocument): SbomComponent[] {
  return sbom.components.filter((c) => c.ecosystem && c.version && c.type !== "file");
}

function toMatchComponent(c: SbomComponent): MatchComponent {
  return {
    purl: c.purl,
    name: c.name,
    version: c.version,
    ecosystem: c.ecosystem,
    ...(c.sourcePackage ? { sourcePackage: c.sourcePackage } : {}),
  };
}

const DATABASE_RATING: Readonly<Record<string, Severity>> = {
  critical: "critical",
  high: "high",
  important: "high",
  moderate: "medium",
  medium: "medium",
  low: "low",
  negligible: "low",
  unimportant: "low",
  none: "none",
};

/** All CVSS vectors of a record, scored; invalid vectors are left out. */
function cvssOf(record: OsvRecord): CvssInfo[] {
  const out: CvssInfo[] = [];
  for (const s of record.severity ?? []) {
    if (!/^CVSS_V[34]$/.test(s.type)) continue;
    const score = scoreVector(s.score);
    if (score) out.push(score);
  }
  return out;
}

const scored = new Map<string, CvssInfo | undefined>();

/** Scores a vector once per process (reports repeat the same few vectors thousands of times). */
function scoreVector(vector: string): CvssInfo | undefined {
  if (scored.has(vector)) return scored.get(vector);
  const score = cvssScore(vector);
  const info = score ? { ...score, severity: score.severity.toLowerCase() as Severity } : undefined;
  if (scored.size > 10_000) scored.clear();
  scored.set(vector, info);
  return info;
}

const VERSION_ORDER = { "4.0": 3, "3.1": 2, "3.0": 1 } as const;

/** The database's own rating: GHSA/npm `database_specific.severity`, Ubuntu/Debian-style ratings. */
function databaseRating(record: OsvRecord): Severity | undefined {
  const ds = record.database_specific?.severity;
  if (typeof ds === "string" && DATABASE_RATING[ds.toLowerCase()]) return DATABASE_RATING[ds.toLowerCase()];
  for (const s of record.severity ?? []) {
    if (/^CVSS_/.test(s.type)) continue;
    const r = DATABASE_RATING[s.score.toLowerCase()];
    if (r) return r;
  }
  for (const a of record.affected ?? []) {
    const es = (a as { ecosystem_specific?: Record<string, unknown> }).ecosystem_specific;
    const urgency = es?.urgency ?? es?.severity;
    if (typeof urgency === "string" && DATABASE_RATING[urgency.toLowerCase()])
      return DATABASE_RATING[urgency.toLowerCase()];
  }
  return undefined;
}

/**
 * A finding's severity: the base score of the newest CVSS version given (v4.0 over v3.1 over
 * v3.0) on the primary record, else on a merged record; else the database's own rating; else
 * `unknown`. docs/severity.md.
 */
export function severityOf(records: readonly OsvRecord[]): {
  severity: Severity;
  source: Finding["severitySource"];
  cvss: CvssInfo[];
} {
  for (const r of records) {
    const cvss = cvssOf(r).sort((a, b) => VERSION_ORDER[b.version] - VERSION_ORDER[a.version]);
    if (cvss.length) return { severity: cvss[0]!.severity, source: "cvss", cvss };
  }
  for (const r of records) {
    const rating = databaseRating(r);
    if (rating) return { severity: rating, source: "database", cvss: [] };
  }
  return { severity: "unknown", source: "none", cvss: [] };
}

function referencesOf(records: readonly OsvRecord[]): string[] {
  const out = new Set<string>();
  for (const type of ["ADVISORY", "WEB", "REPORT"]) {
    for (const r of records) {
      for (const ref of (r as { references?: { type?: string; url?: string }[] }).references ?? []) {
        if (ref.type === type && ref.url) out.add(ref.url);
      }
    }
  }
  return [...out].slice(0, 8);
}

/** Summary and links kept apart from the records matching reads (see `VulnDatabase.describe`). */
export type DetailsOf = (
  recordId: string,
) => { summary?: string; references?: readonly { type: string; url: string }[] } | undefined;

function withDetails(records: readonly OsvRecord[], details: DetailsOf | undefined): readonly OsvRecord[] {
  if (!details) return records;
  return records.map((r) => {
    const d = details(r.id);
    return d ? ({ ...r, summary: r.summary ?? d.summary, references: d.references } as OsvRecord) : r;
  });
}

function findingOf(m: Match, component: SbomComponent, source: string, details?: DetailsOf): Finding {
  const records = withDetails(m.records, details);
  const sev = severityOf(records);
  const summary = records.map((r) => r.summary).find((s) => s);
  return {
    id: m.id,
    aliases: m.aliases,
    ...(summary ? { summary } : {}),
    severity: sev.severity,
    severitySource: sev.source,
    cvss: sev.cvss,
    package: {
      purl: component.purl,
      name: component.name,
      version: component.version,
      ecosystem: component.ecosystem,
      locations: component.locations.map((l) => ({ path: l.path, ...(l.layer ? { layer: l.layer } : {}) })),
      ...(component.sourcePackage ? { sourcePackage: component.sourcePackage } : {}),
    },
    matchedVersion: m.matchedVersion,
    fixedVersions: m.fixedVersions,
    suppressed: false,
    references: referencesOf(records),
    source,
    notes: [...new Set(m.notes)],
  };
}

/** Most severe first, then id, then package. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
    (a.package.purl < b.package.purl ? -1 : a.package.purl > b.package.purl ? 1 : 0)
  );
}

/** The SBOM's distinct matchable components (by purl) and their matches. */
export interface Matched {
  readonly components: ReadonlyMap<string, SbomComponent>;
  readonly matches: readonly Match[];
}

export function matchSbom(sbom: SbomDocument, index: OsvIndex): Matched {
  const components = new Map<string, SbomComponent>();
  for (const c of matchableComponents(sbom)) if (!components.has(c.purl)) components.set(c.purl, c);
  // One evaluation per distinct purl (the same package found in several places is one component).
  return { components, matches: matchComponents([...components.values()].map(toMatchComponent), index) };
}

export interface ScanInput {
  readonly sbom: SbomDocument;
  /** The advisories to match against; or the result of {@link matchSbom} when already matched. */
  readonly index: OsvIndex | Matched;
  readonly details?: DetailsOf;
  /** Which source each record came from (default `db`). */
  readonly sourceOf?: (recordId: string) => string;
  /** Applied to the findings before summarising (VEX). */
  readonly postProcess?: (findings: Finding[]) => Finding[];
  readonly toolVersion: string;
  readonly time: Date;
  readonly database?: VulnerabilityReport["database"];
  readonly warnings?: readonly string[];
}

export function buildReport(input: ScanInput): VulnerabilityReport {
  const { components: byPurl, matches } =
    "matches" in input.index ? input.index : matchSbom(input.sbom, input.index);
  let findings = matches.map((m) =>
    findingOf(m, byPurl.get(m.component.purl)!, input.sourceOf?.(m.id) ?? "db", input.details),
  );
  if (input.postProcess) findings = input.postProcess(findings);
  findings.sort(compareFindings);
  const s = input.sbom.subject;
  return {
    kind: "vulnerability-report",
    schemaVersion: 1,
    target: { name: s.name, type: s.type, ...(s.digest ? { digest: s.digest } : {}) },
    scanner: { name: "bulwark", version: input.toolVersion },
    time: input.time.toISOString(),
    ...(input.database ? { database: input.database } : {}),
    matches: findings,
    summary: summarize(findings, byPurl.size),
    warnings: [...(input.warnings ?? [])],
  };
}

/** Whether any unsuppressed finding is at or above `threshold`. */
export function exceedsThreshold(report: VulnerabilityReport, threshold: Severity): boolean {
  const limit = severityRank(threshold);
  return report.matches.some((m) => !m.suppressed && severityRank(m.severity) >= limit);
}

export function parseSeverity(value: string): Severity | undefined {
  const v = value.toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : undefined;
}
