/**
 * The vulnerability report: what `bulwark scan` produces, what every renderer (table, JSON, SARIF,
 * CycloneDX `vulnerabilities`, in-toto vulns v0.2) reads, and the `vulnerability-report` policy
 * input. Stable and documented in docs/scan.md; fields are only ever added.
 */

export type Severity = "critical" | "high" | "medium" | "low" | "none" | "unknown";

/** Most severe first: the order of tables and of `--fail-on`. */
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "none", "unknown"];

/** Rank for comparisons: higher is more severe; `unknown` ranks below `none`. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

export interface CvssInfo {
  readonly version: "3.0" | "3.1" | "4.0";
  readonly vector: string;
  readonly baseScore: number;
  readonly severity: Severity;
}

export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

/** The VEX statement that applied to a finding. */
export interface VexInfo {
  readonly status: VexStatus;
  /** OpenVEX justification (CycloneDX justifications are mapped onto the OpenVEX names). */
  readonly justification?: string;
  readonly impactStatement?: string;
  readonly actionStatement?: string;
  /** The document the statement came from (file name or `@id`). */
  readonly document: string;
  readonly statementId?: string;
  readonly timestamp?: string;
  readonly format: "openvex" | "cyclonedx";
}

export interface FindingPackage {
  readonly purl: string;
  readonly name: string;
  readonly version: string;
  readonly ecosystem: string;
  /** Where the package was found: file paths, with the image layer when there is one. */
  readonly locations: readonly { readonly path: string; readonly layer?: string }[];
  /** Set for distro packages whose advisories are per source package. */
  readonly sourcePackage?: { readonly name: string; readonly version?: string };
}

export interface Finding {
  /** The advisory id reported (the primary record's id). */
  readonly id: string;
  /** Every other id of the same issue, sorted. */
  readonly aliases: readonly string[];
  readonly summary?: string;
  readonly severity: Severity;
  /** Where the severity came from: a CVSS vector's computed base score or the database's rating. */
  readonly severitySource: "cvss" | "database" | "none";
  readonly cvss: readonly CvssInfo[];
  readonly package: FindingPackage;
  /** The version the advisory was evaluated against (the source package's for distros). */
  readonly matchedVersion: string;
  /** Versions that fix it, nearest upgrade first. */
  readonly fixedVersions: readonly string[];
  /** True when a VEX statement says `not_affected` or `fixed`. */
  readonly suppressed: boolean;
  readonly vex?: VexInfo;
  /** Advisory URLs (the record's ADVISORY/WEB references). */
  readonly references: readonly string[];
  /** Which source reported it: `db`, `osv-api`, `npm-advisories`. */
  readonly source: string;
  readonly notes: readonly string[];
}

export interface ReportSummary {
  readonly total: number;
  readonly suppressed: number;
  readonly underInvestigation: number;
  /** Unsuppressed findings per severity. */
  readonly bySeverity: Readonly<Record<Severity, number>>;
  readonly components: number;
}

export interface VulnerabilityReport {
  readonly kind: "vulnerability-report";
  readonly schemaVersion: 1;
  readonly target: {
    readonly name: string;
    readonly type: string;
    readonly digest?: string;
  };
  readonly scanner: { readonly name: "bulwark"; readonly version: string };
  readonly time: string;
  readonly database?: {
    readonly sources: readonly {
      readonly name: string;
      readonly importedAt: string;
      readonly records: number;
    }[];
    readonly records: number;
    readonly updatedAt?: string;
    readonly ageHours?: number;
  };
  readonly matches: readonly Finding[];
  readonly summary: ReportSummary;
  readonly warnings: readonly string[];
}

export function summarize(matches: readonly Finding[], components: number): ReportSummary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let suppressed = 0;
  let underInvestigation = 0;
  for (const m of matches) {
    if (m.suppressed) suppressed++;
    else bySeverity[m.severity]++;
    if (m.vex?.status === "under_investigation") underInvestigation++;
  }
  return { total: matches.length, suppressed, underInvestigation, bySeverity, components };
}
