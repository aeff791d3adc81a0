/**
 * Machine-readable forms of a vulnerability report besides its own JSON: SARIF 2.1.0 (one rule
 * per advisory, one result per affected package), CycloneDX with `vulnerabilities` (the scanned
 * SBOM plus its findings, VEX analysis included), and the in-toto vulns predicate v0.2 as an
 * unsigned in-toto Statement v1 (signing arrives with the attestation module).
 */
import {
  buildSarifLog,
  type CdxVulnerability,
  type CycloneDxVersion,
  encodeCycloneDx,
  type SarifLog,
  type SarifSeverity,
  type SbomDocument,
} from "../formats/index.js";
import type { Finding, Severity, VulnerabilityReport } from "./report.js";

const SARIF_SEVERITY: Readonly<Record<Severity, SarifSeverity>> = {
  critical: "critical",
  high: "high",
  medium: "medium",
  low: "low",
  none: "info",
  unknown: "info",
};

/** `https://osv.dev/vulnerability/<id>`: every id OSV knows resolves there. */
export function advisoryUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

function packageLabel(f: Finding): string {
  return `${f.package.name}@${f.package.version}`;
}

/** "lodash@4.17.15 is affected by GHSA-… (CVE-…): summary. Fixed in 4.17.21." */
export function findingMessage(f: Finding): string {
  const aliases = f.aliases.length ? ` (${f.aliases.join(", ")})` : "";
  const via =
    f.package.sourcePackage && f.package.sourcePackage.name !== f.package.name
      ? ` via source package ${f.package.sourcePackage.name} ${f.matchedVersion}`
      : "";
  const fix = f.fixedVersions.length
    ? ` Fixed in ${f.fixedVersions.join(", ")}.`
    : " No fixed version is known.";
  return `${packageLabel(f)}${via} is affected by ${f.id}${aliases}${f.summary ? `: ${f.summary}` : ""}.${fix}`;
}

export function reportToSarif(report: VulnerabilityReport): SarifLog {
  const rules = new Map<string, Finding>();
  for (const f of report.matches) {
    const seen = rules.get(f.id);
    // The rule carries the most severe rating seen for the advisory.
    if (!seen || SEVERITY_ORDER.indexOf(f.severity) < SEVERITY_ORDER.indexOf(seen.severity))
      rules.set(f.id, f);
  }
  return buildSarifLog({
    tool: {
      name: "bulwark",
      version: report.scanner.version,
      informationUri: "https://bulwark.dev/docs/scan",
    },
    rules: [...rules.values()].map((f) => ({
      id: f.id,
      shortDescription: f.summary ?? `${f.id} in ${f.package.name}`,
      fullDescription: `${f.id}${f.aliases.length ? ` (${f.aliases.join(", ")})` : ""}: ${f.summary ?? "known vulnerability"}`,
      helpUri: f.references[0] ?? advisoryUrl(f.id),
      helpText: `Upgrade the affected package to a fixed version, or record why it does not apply with a VEX statement (bulwark vex create).`,
      severity: SARIF_SEVERITY[f.severity],
      tags: ["vulnerability", f.package.ecosystem],
    })),
    results: report.matches.map((f) => ({
      ruleId: f.id,
      message: findingMessage(f),
      severity: SARIF_SEVERITY[f.severity],
      ...(f.package.locations[0] ? { location: { path: f.package.locations[0].path } } : {}),
      partialFingerprints: { "bulwarkFinding/v1": `${f.id}|${f.package.purl}` },
      ...(f.suppressed && f.vex
        ? {
            suppression: {
              kind: "external" as const,
              justification: `VEX ${f.vex.status}${f.vex.justification ? ` (${f.vex.justification})` : ""} in ${f.vex.document}${f.vex.impactStatement ? `: ${f.vex.impactStatement}` : ""}`,
            },
          }
        : {}),
      properties: {
        purl: f.package.purl,
        installedVersion: f.package.version,
        fixedVersions: [...f.fixedVersions],
        aliases: [...f.aliases],
        ...(f.cvss[0] ? { cvss: f.cvss[0].vector, cvssScore: f.cvss[0].baseScore } : {}),
      },
    })),
  });
}

const SEVERITY_ORDER: readonly Severity[] = ["critical", "high", "medium", "low", "none", "unknown"];

const CDX_METHOD = { "4.0": "CVSSv4", "3.1": "CVSSv31", "3.0": "CVSSv3" } as const;

/** OpenVEX status/justification → CycloneDX analysis (the reverse of the VEX reader's table). */
const CDX_JUSTIFICATION: Readonly<Record<string, string>> = {
  component_not_present: "code_not_present",
  vulnerable_code_not_present: "code_not_present",
  vulnerable_code_not_in_execute_path: "code_not_reachable",
  vulnerable_code_cannot_be_controlled_by_adversary: "requires_environment",
  inline_mitigations_already_exist: "protected_by_mitigating_control",
};
const CDX_STATE = {
  not_affected: "not_affected",
  fixed: "resolved",
  under_investigation: "in_triage",
  affected: "exploitable",
} as const;

function idSource(id: string): { name: string; url: string } {
  if (id.startsWith("CVE-")) return { name: "NVD", url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (id.startsWith("GHSA-")) return { name: "GitHub", url: `https://github.com/advisories/${id}` };
  return { name: "OSV", url: advisoryUrl(id) };
}

export function reportToCycloneDx(
  report: VulnerabilityReport,
  sbom: SbomDocument,
  version: CycloneDxVersion = "1.7",
): string {
  const refByPurl = new Map<string, string>();
  for (const c of sbom.components) if (!refByPurl.has(c.purl)) refByPurl.set(c.purl, c.bomRef);
  // One CycloneDX vulnerability per advisory, affecting every matched component.
  const byId = new Map<string, Finding[]>();
  for (const f of report.matches) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  const vulnerabilities: CdxVulnerability[] = [];
  for (const [id, findings] of byId) {
    const f = findings[0]!;
    const fixes = [...new Set(findings.flatMap((x) => x.fixedVersions))];
    const vex = findings.find((x) => x.vex)?.vex;
    vulnerabilities.push({
      "bom-ref": `vuln:${id}`,
      id,
      source: idSource(id),
      ...(f.aliases.length ? { references: f.aliases.map((a) => ({ id: a, source: idSource(a) })) } : {}),
      ratings: f.cvss.length
        ? f.cvss.map((c) => ({
            score: c.baseScore,
            severity: c.severity,
            method: CDX_METHOD[c.version],
            vector: c.vector,
          }))
        : [{ severity: f.severity, method: "other" as const }],
      ...(f.summary ? { description: f.summary } : {}),
      ...(fixes.length ? { recommendation: `Upgrade to ${fixes.join(" or ")}` } : {}),
      ...(f.references.length ? { advisories: f.references.map((url) => ({ url })) } : {}),
      ...(vex
        ? {
            analysis: {
              state: CDX_STATE[vex.status],
              ...(vex.justification && CDX_JUSTIFICATION[vex.justification]
                ? { justification: CDX_JUSTIFICATION[vex.justification] }
                : {}),
              ...(vex.impactStatement || vex.actionStatement
                ? { detail: vex.impactStatement ?? vex.actionStatement }
                : {}),
            },
          }
        : {}),
      affects: findings
        .filter((x) => refByPurl.has(x.package.purl))
        .map((x) => ({
          ref: refByPurl.get(x.package.purl)!,
          versions: [{ version: x.package.version, status: "affected" as const }],
        })),
    });
  }
  return encodeCycloneDx(sbom, version, { vulnerabilities });
}

export const VULNS_PREDICATE_TYPE = "https://in-toto.io/attestation/vulns/v0.2";

/**
 * The report as an in-toto Statement v1 with the vulns v0.2 predicate. The subject is the scanned
 * image (its manifest digest) or, for other targets, the SBOM's own digest given by the caller.
 */
export function reportToInToto(
  report: VulnerabilityReport,
  subject: { readonly name: string; readonly sha256: string },
  started: Date,
): string {
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: subject.name, digest: { sha256: subject.sha256 } }],
    predicateType: VULNS_PREDICATE_TYPE,
    predicate: {
      scanner: {
        uri: `pkg:npm/bulwark@${report.scanner.version}`,
        version: report.scanner.version,
        db: {
          uri: "https://osv.dev",
          ...(report.database ? { version: `${report.database.records} records` } : {}),
          lastUpdate: report.database?.updatedAt ?? report.time,
        },
        result: report.matches
          .filter((f) => !f.suppressed)
          .map((f) => ({
            id: f.id,
            severity: [
              { method: "bulwark", score: f.severity },
              ...f.cvss.map((c) => ({ method: `cvss_v${c.version}`, score: String(c.baseScore) })),
            ],
            annotations: [
              {
                purl: f.package.purl,
                installedVersion: f.package.version,
                ...(f.aliases.length ? { aliases: f.aliases.join(",") } : {}),
                ...(f.fixedVersions.length ? { fixedVersions: f.fixedVersions.join(",") } : {}),
                ...(f.vex ? { vex: f.vex.status } : {}),
              },
            ],
          })),
      },
      metadata: { scanStartedOn: started.toISOString(), scanFinishedOn: report.time },
    },
  };
  return `${JSON.stringify(statement, null, 2)}\n`;
}
