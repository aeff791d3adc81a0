/**
 * SPDX encoders for Bulwark's neutral SBOM model: SPDX 2.3 JSON and SPDX 3.0.1 JSON-LD.
 *
 * Pure: no I/O, no clock, no imports from other Bulwark modules. Identifiers are derived from the
 * content (the serial number, the bomRefs, the license texts), never counted or drawn at random,
 * and every list is sorted, so the same document always gives the same bytes.
 */
import { createHash } from "node:crypto";
import {
  cleanHashes,
  compareStrings,
  digestHash,
  issueJson,
  joinLicenses,
  licenseNames,
  licenseRefFor,
  normaliseTimestamp,
  prettyJson,
  serialUuid,
  sortedComponents,
  sortedDependencies,
  sortedIssues,
  sortedLocations,
  subjectFacts,
} from "./cyclonedx.js";
import type {
  SbomComponent,
  SbomComponentType,
  SbomDocument,
  SbomHash,
  SbomSubject,
} from "./sbom-document.js";

/** Where Bulwark's SPDX namespaces and SPDX 3 element ids live. */
export const SPDX_NAMESPACE_BASE = "https://bulwark.dev/spdx/";
export const SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
/** Prefix of the annotation comment (2.3) or statement (3.0.1) that carries one issue as JSON. */
export const SPDX_ISSUE_PREFIX = "bulwark:issue ";

/** SPDX 2.3 checksum algorithm of each model hash algorithm. */
export const SPDX2_CHECKSUM_ALGORITHM = {
  MD5: "MD5",
  "SHA-1": "SHA1",
  "SHA-256": "SHA256",
  "SHA-384": "SHA384",
  "SHA-512": "SHA512",
} as const satisfies Record<SbomHash["alg"], string>;

/** SPDX 3.0.1 `HashAlgorithm` of each model hash algorithm. */
export const SPDX3_HASH_ALGORITHM = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
} as const satisfies Record<SbomHash["alg"], string>;

/** SPDX 2.3 `primaryPackagePurpose` of each component type. */
export const SPDX2_PURPOSE = {
  library: "LIBRARY",
  application: "APPLICATION",
  framework: "FRAMEWORK",
  "operating-system": "OPERATING_SYSTEM",
  file: "FILE",
} as const satisfies Record<SbomComponentType, string>;

/** SPDX 3.0.1 `software_primaryPurpose` of each component type. */
export const SPDX3_PURPOSE = {
  library: "library",
  application: "application",
  framework: "framework",
  "operating-system": "operatingSystem",
  file: "file",
} as const satisfies Record<SbomComponentType, string>;

const SUBJECT_PURPOSE_2 = {
  image: "CONTAINER",
  directory: "APPLICATION",
  rootfs: "OTHER",
  file: "FILE",
} as const satisfies Record<SbomSubject["type"], string>;

const SUBJECT_PURPOSE_3 = {
  image: "container",
  directory: "application",
  rootfs: "filesystemImage",
  file: "file",
} as const satisfies Record<SbomSubject["type"], string>;

const NOASSERTION = "NOASSERTION";

// ---------------------------------------------------------------------------------------------
// Shared by both SPDX versions.

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** SPDX idstring characters only (letters, digits, `.`, `-`), at most 64 of them. */
function sanitise(text: string): string {
  return text
    .replace(/[^A-Za-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

/** `SPDXRef-Package-<name>-<hash of bomRef>` for every component, unique even if hashes collide. */
function packageIds(components: readonly SbomComponent[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const c of components) {
    const name = sanitise(c.name);
    const base = `SPDXRef-Package-${name === "" ? "" : `${name}-`}${shortHash(c.bomRef)}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    ids.set(c.bomRef, id);
  }
  return ids;
}

/** One `LicenseRef-` id per free-text license in the document, unique across it. */
function licenseRefIds(components: readonly SbomComponent[]): Map<string, string> {
  const names = [...new Set(components.flatMap((c) => licenseNames(c.licenses)))].sort(compareStrings);
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    const base = licenseRefFor(name);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

/** The document namespace: `https://bulwark.dev/spdx/<subject>-<uuid>`. */
function documentNamespace(subject: SbomSubject, uuid: string): string {
  const name = subject.name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100);
  return `${SPDX_NAMESPACE_BASE}${name === "" ? "" : `${name}-`}${uuid}`;
}

/** Where and by whom a package was found, and its source package: SPDX `sourceInfo`. */
function sourceInfo(c: SbomComponent): string | undefined {
  const parts: string[] = [];
  const locations = sortedLocations(c.locations).map((l) =>
    l.layer ? `${l.path} (layer ${l.layer})` : l.path,
  );
  const by = c.foundBy.length > 0 ? ` by ${[...c.foundBy].sort(compareStrings).join(", ")}` : "";
  if (locations.length > 0) parts.push(`found${by} at: ${locations.join(", ")}`);
  if (c.sourcePackage) {
    const v = c.sourcePackage.version ? ` ${c.sourcePackage.version}` : "";
    parts.push(`source package: ${c.sourcePackage.name}${v}`);
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/** The subject facts as `key=value` lines (a comment a decoder can read back). */
function subjectComment(subject: SbomSubject): string {
  return subjectFacts(subject)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}

function toolString(doc: SbomDocument): string {
  return doc.tool.version ? `${doc.tool.name}-${doc.tool.version}` : doc.tool.name;
}

/** Component dependency edges restricted to components of the document. */
function dependencyEdges(doc: SbomDocument, components: readonly SbomComponent[]) {
  return sortedDependencies(doc.dependencies, new Set(components.map((c) => c.bomRef)));
}

// ---------------------------------------------------------------------------------------------
// SPDX 2.3.

interface Spdx2Relationship {
  spdxElementId: string;
  relationshipType: string;
  relatedSpdxElement: string;
}

/**
 * Encodes the document as SPDX 2.3 JSON: the subject as the package the document `DESCRIBES`,
 * which `CONTAINS` every component (and the distro), `DEPENDS_ON` edges between components,
 * dev/optional scope as `DEV_DEPENDENCY_OF`/`OPTIONAL_DEPENDENCY_OF` the subject, declared licenses
 * `AND`-joined into `licenseDeclared` (free text becomes a `LicenseRef-` in
 * `hasExtractedLicensingInfos`), and issues as document annotations.
 */
export function encodeSpdx23(doc: SbomDocument): string {
  const uuid = serialUuid(doc.serialNumber);
  const created = normaliseTimestamp(doc.timestamp);
  const tool = `Tool: ${toolString(doc)}`;
  const components = sortedComponents(doc.components);
  const ids = packageIds(components);
  const refs = licenseRefIds(components);
  const subjectName = sanitise(doc.subject.name);
  const subjectId = `SPDXRef-Subject${subjectName === "" ? "" : `-${subjectName}`}`;
  const distro = doc.subject.distro;
  const distroId = distro
    ? `SPDXRef-OperatingSystem-${sanitise(`${distro.id}-${distro.versionId ?? ""}`)}`
    : undefined;

  const subjectHash = digestHash(doc.subject.digest);
  const packages: unknown[] = [
    {
      name: doc.subject.name,
      SPDXID: subjectId,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      checksums: subjectHash ? [spdx2Checksum(subjectHash)] : undefined,
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      primaryPackagePurpose: SUBJECT_PURPOSE_2[doc.subject.type],
      comment: subjectComment(doc.subject),
    },
  ];
  if (distro && distroId) {
    packages.push({
      name: distro.id,
      SPDXID: distroId,
      versionInfo: distro.versionId || undefined,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      primaryPackagePurpose: "OPERATING_SYSTEM",
      description: distro.prettyName || undefined,
    });
  }
  for (const c of components) {
    const hashes = cleanHashes(c.hashes);
    packages.push({
      name: c.name,
      SPDXID: ids.get(c.bomRef)!,
      versionInfo: c.version || undefined,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      checksums: hashes.length > 0 ? hashes.map(spdx2Checksum) : undefined,
      sourceInfo: sourceInfo(c),
      licenseConcluded: NOASSERTION,
      licenseDeclared: joinLicenses(c.licenses, (name) => refs.get(name)!) ?? NOASSERTION,
      copyrightText: NOASSERTION,
      externalRefs: c.purl
        ? [{ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: c.purl }]
        : undefined,
      primaryPackagePurpose: SPDX2_PURPOSE[c.type],
    });
  }

  const rel = (from: string, type: string, to: string): Spdx2Relationship => ({
    spdxElementId: from,
    relationshipType: type,
    relatedSpdxElement: to,
  });
  const contained = [...(distroId ? [distroId] : []), ...components.map((c) => ids.get(c.bomRef)!)];
  const relationships: Spdx2Relationship[] = [
    rel("SPDXRef-DOCUMENT", "DESCRIBES", subjectId),
    ...contained.sort(compareStrings).map((id) => rel(subjectId, "CONTAINS", id)),
    ...sortRelationships(
      dependencyEdges(doc, components).flatMap((d) =>
        d.dependsOn.map((to) => rel(ids.get(d.ref)!, "DEPENDS_ON", ids.get(to)!)),
      ),
    ),
    ...sortRelationships(
      components
        .filter((c) => c.scope === "dev" || c.scope === "optional")
        .map((c) =>
          rel(
            ids.get(c.bomRef)!,
            c.scope === "dev" ? "DEV_DEPENDENCY_OF" : "OPTIONAL_DEPENDENCY_OF",
            subjectId,
          ),
        ),
    ),
  ];

  const extracted = [...refs]
    .sort(([, a], [, b]) => compareStrings(a, b))
    .map(([name, licenseId]) => ({ licenseId, extractedText: name, name }));
  const issues = sortedIssues(doc.issues).map((i) => ({
    annotationDate: created,
    annotationType: "OTHER",
    annotator: tool,
    comment: `${SPDX_ISSUE_PREFIX}${issueJson(i)}`,
  }));
  const catalogers = [...doc.catalogers]
    .map((c) => `${c.name}@${c.version}`)
    .sort(compareStrings)
    .join(", ");

  return prettyJson({
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: doc.subject.name === "" ? "sbom" : doc.subject.name,
    documentNamespace: documentNamespace(doc.subject, uuid),
    creationInfo: {
      created,
      creators: [tool],
      comment: catalogers === "" ? undefined : `catalogers: ${catalogers}`,
    },
    packages,
    hasExtractedLicensingInfos: extracted.length > 0 ? extracted : undefined,
    relationships,
    annotations: issues.length > 0 ? issues : undefined,
  });
}

function spdx2Checksum(h: SbomHash) {
  return { algorithm: SPDX2_CHECKSUM_ALGORITHM[h.alg], checksumValue: h.content };
}

function sortRelationships(list: Spdx2Relationship[]): Spdx2Relationship[] {
  return list.sort(
    (a, b) =>
      compareStrings(a.spdxElementId, b.spdxElementId) ||
      compareStrings(a.relatedSpdxElement, b.relatedSpdxElement),
  );
}

// ---------------------------------------------------------------------------------------------
// SPDX 3.0.1.

interface Spdx3Element {
  type: string;
  spdxId: string;
  creationInfo: string;
  [key: string]: unknown;
}

const CREATION_INFO = "_:creationinfo";

/**
 * Encodes the document as SPDX 3.0.1 JSON-LD: one `CreationInfo` (Bulwark as `SoftwareAgent`
 * and `Tool`), the `SpdxDocument` and its `software_Sbom` whose root is the subject package,
 * one `software_Package` per component (version, purl as property and external identifier,
 * hashes), declared licenses as `simplelicensing_LicenseExpression` elements joined by
 * `hasDeclaredLicense`, and `describes`/`contains`/`dependsOn` relationships. Dev scope is a
 * `LifecycleScopedRelationship` (`dependsOn`, scope `development`) from the subject, optional
 * scope `hasOptionalDependency`. Issues are `Annotation`s on the document.
 */
export function encodeSpdx3(doc: SbomDocument): string {
  const uuid = serialUuid(doc.serialNumber);
  const created = normaliseTimestamp(doc.timestamp);
  const base = `${SPDX_NAMESPACE_BASE}${uuid}#`;
  const components = sortedComponents(doc.components);
  const refs = licenseRefIds(components);
  const ids = new Map([...packageIds(components)].map(([ref, id]) => [ref, `${base}${id}`]));
  const common = (type: string, fragment: string): Spdx3Element => ({
    type,
    spdxId: `${base}${fragment}`,
    creationInfo: CREATION_INFO,
  });

  const agent = common("SoftwareAgent", "SoftwareAgent-bulwark");
  agent.name = doc.tool.name;
  const tool = common("Tool", "Tool-bulwark");
  tool.name = toolString(doc);
  const documentId = `${base}SPDXRef-DOCUMENT`;
  const sbomId = `${base}Sbom`;

  // Licenses: one expression element per distinct expression (CC0-1.0 is the data license); a
  // `LicenseRef-` made for free text points at a licensing-text element holding that text.
  const licenseElements = new Map<string, Spdx3Element>();
  const textElements = new Map<string, Spdx3Element>();
  const textElement = (name: string): string => {
    const id = refs.get(name)!;
    let el = textElements.get(id);
    if (!el) {
      el = common("simplelicensing_SimpleLicensingText", `LicenseText-${shortHash(id)}`);
      el.name = name;
      el.simplelicensing_licenseText = name;
      textElements.set(id, el);
    }
    return el.spdxId;
  };
  const licenseElement = (expression: string, names: readonly string[] = []): string => {
    let el = licenseElements.get(expression);
    if (!el) {
      el = common("simplelicensing_LicenseExpression", `License-${shortHash(expression)}`);
      el.simplelicensing_licenseExpression = expression;
      if (names.length > 0) {
        el.simplelicensing_customIdToUri = [...new Set(names)]
          .map((name) => ({ type: "DictionaryEntry", key: refs.get(name)!, value: textElement(name) }))
          .sort((a, b) => compareStrings(a.key, b.key));
      }
      licenseElements.set(expression, el);
    }
    return el.spdxId;
  };
  const dataLicense = licenseElement("CC0-1.0");

  const subjectPackage = common("software_Package", "Subject");
  subjectPackage.name = doc.subject.name;
  subjectPackage.comment = subjectComment(doc.subject);
  const subjectHash = digestHash(doc.subject.digest);
  if (subjectHash) subjectPackage.verifiedUsing = [spdx3Hash(subjectHash)];
  subjectPackage.software_primaryPurpose = SUBJECT_PURPOSE_3[doc.subject.type];

  const packages: Spdx3Element[] = [];
  const distro = doc.subject.distro;
  if (distro) {
    const os = common("software_Package", "OperatingSystem");
    os.name = distro.id;
    if (distro.prettyName) os.description = distro.prettyName;
    if (distro.versionId) os.software_packageVersion = distro.versionId;
    os.software_primaryPurpose = "operatingSystem";
    packages.push(os);
  }
  const declared: [string, string][] = [];
  for (const c of components) {
    const el: Spdx3Element = {
      type: "software_Package",
      spdxId: ids.get(c.bomRef)!,
      creationInfo: CREATION_INFO,
    };
    el.name = c.name;
    const hashes = cleanHashes(c.hashes);
    if (hashes.length > 0) el.verifiedUsing = hashes.map(spdx3Hash);
    if (c.purl) {
      el.externalIdentifier = [
        { type: "ExternalIdentifier", externalIdentifierType: "packageUrl", identifier: c.purl },
      ];
      el.software_packageUrl = c.purl;
    }
    if (c.version) el.software_packageVersion = c.version;
    el.software_primaryPurpose = SPDX3_PURPOSE[c.type];
    const info = sourceInfo(c);
    if (info) el.software_sourceInfo = info;
    packages.push(el);
    const names: string[] = [];
    const expression = joinLicenses(c.licenses, (name) => {
      names.push(name);
      return refs.get(name)!;
    });
    if (expression) declared.push([el.spdxId, licenseElement(expression, names)]);
  }

  const relationships: Spdx3Element[] = [];
  const relationship = (
    type: "Relationship" | "LifecycleScopedRelationship",
    from: string,
    kind: string,
    to: string[],
    scope?: string,
  ) => {
    if (to.length === 0) return;
    const el = common(type, `Relationship-${shortHash([kind, scope ?? "", from, ...to].join("\n"))}`);
    el.from = from;
    el.relationshipType = kind;
    el.to = to;
    if (scope) el.scope = scope;
    relationships.push(el);
  };
  relationship("Relationship", documentId, "describes", [subjectPackage.spdxId]);
  relationship(
    "Relationship",
    subjectPackage.spdxId,
    "contains",
    packages.map((p) => p.spdxId),
  );
  for (const d of dependencyEdges(doc, components)) {
    relationship(
      "Relationship",
      ids.get(d.ref)!,
      "dependsOn",
      d.dependsOn.map((to) => ids.get(to)!),
    );
  }
  for (const [from, to] of declared) relationship("Relationship", from, "hasDeclaredLicense", [to]);
  const scoped = (scope: SbomComponent["scope"]) =>
    components.filter((c) => c.scope === scope).map((c) => ids.get(c.bomRef)!);
  relationship(
    "LifecycleScopedRelationship",
    subjectPackage.spdxId,
    "dependsOn",
    scoped("dev"),
    "development",
  );
  relationship("Relationship", subjectPackage.spdxId, "hasOptionalDependency", scoped("optional"));

  const annotations = sortedIssues(doc.issues).map((issue) => {
    const statement = `${SPDX_ISSUE_PREFIX}${issueJson(issue)}`;
    const el = common("Annotation", `Annotation-${shortHash(statement)}`);
    el.annotationType = "other";
    el.subject = documentId;
    el.statement = statement;
    return el;
  });
  // Identical issues give identical annotation ids: keep one of each.
  const uniqueAnnotations = [...new Map(annotations.map((a) => [a.spdxId, a])).values()];

  const content: Spdx3Element[] = [
    subjectPackage,
    ...packages,
    ...[...licenseElements.values()].sort((a, b) => compareStrings(a.spdxId, b.spdxId)),
    ...[...textElements.values()].sort((a, b) => compareStrings(a.spdxId, b.spdxId)),
    ...relationships,
    ...uniqueAnnotations,
  ];
  const sbom = common("software_Sbom", "Sbom");
  sbom.software_sbomType = [doc.subject.type === "directory" ? "source" : "analyzed"];
  sbom.rootElement = [subjectPackage.spdxId];
  const elementIds = content.map((e) => e.spdxId);
  sbom.element = elementIds;
  const document: Spdx3Element = { type: "SpdxDocument", spdxId: documentId, creationInfo: CREATION_INFO };
  document.name = doc.subject.name === "" ? "sbom" : doc.subject.name;
  document.dataLicense = dataLicense;
  document.profileConformance = ["core", "simpleLicensing", "software"];
  document.rootElement = [sbomId];
  document.element = [agent.spdxId, tool.spdxId, sbomId, ...elementIds];

  return prettyJson({
    "@context": SPDX3_CONTEXT,
    "@graph": [
      {
        "@id": CREATION_INFO,
        type: "CreationInfo",
        specVersion: "3.0.1",
        created,
        createdBy: [agent.spdxId],
        createdUsing: [tool.spdxId],
      },
      agent,
      tool,
      document,
      sbom,
      ...content,
    ],
  });
}

function spdx3Hash(h: SbomHash) {
  return { type: "Hash", algorithm: SPDX3_HASH_ALGORITHM[h.alg], hashValue: h.content };
}
