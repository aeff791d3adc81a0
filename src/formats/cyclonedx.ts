/**
 * CycloneDX JSON (1.7, 1.6 and 1.5) encoder for Bulwark's neutral SBOM model, and the small
 * helpers every SBOM codec shares (ordering, timestamps, hashes, licenses, purl → ecosystem).
 *
 * Pure: no I/O, no clock, no imports from other Bulwark modules. The bytes depend only on the
 * document's content: components, dependencies, hashes, licenses, properties and issues are
 * sorted, every object is built with a fixed key order, and the output is pretty-printed with two
 * spaces and a trailing newline.
 */
import { PackageURL } from "packageurl-js";
import parseSpdxExpression from "spdx-expression-parse";
import type { SbomComponent, SbomDocument, SbomHash, SbomIssue, SbomSubject } from "./sbom-document.js";

export const CYCLONEDX_VERSIONS = ["1.7", "1.6", "1.5"] as const;
/** CycloneDX versions Bulwark writes (it reads 1.4 as well). */
export type CycloneDxVersion = (typeof CYCLONEDX_VERSIONS)[number];

/** Prefix of every property Bulwark writes (`bulwark:foundBy`, `bulwark:image:os`, …). */
export const BULWARK_PROPERTY_PREFIX = "bulwark:";

/**
 * SPDX license ids that the bundled SPDX expression parser knows but the `spdx.schema.json` enum
 * shipped with CycloneDX 1.7.1 (license list 3.28) does not: written as `{expression}` so the BOM
 * stays schema-valid. A test keeps this list equal to the difference of the two lists.
 */
export const CYCLONEDX_UNLISTED_LICENSE_IDS: ReadonlySet<string> = new Set([
  "BSD-2-Clause-pos-unchanged",
  "BSD-3-Clause-OpenWebUI",
  "BSD-Source-Code-no-disclaimer",
  "BSD-Source-alt-GPL",
  "BSD-ask-to-endorse",
  "Brian-Gladman-3-Clause-no-conversion",
  "Bugroff",
  "CC-BY-NC-3.0-IGO",
  "FDK-MPEG-H",
  "Hippocratic-3.0-core",
  "Informatica",
  "MVT-1.1",
  "atc-game",
]);

// ---------------------------------------------------------------------------------------------
// Shared helpers (used by the SPDX encoders and the decoders too).

/** Code-point order, independent of locale: the only order our outputs use. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares tuples of strings/numbers element by element. */
function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return compareStrings(String(x), String(y));
  }
  return 0;
}

/**
 * The document timestamp as every format wants it: UTC, whole seconds, `Z` (SPDX 3.0.1 requires
 * exactly `YYYY-MM-DDTHH:MM:SSZ`). Throws a RangeError for anything that is not a date.
 */
export function normaliseTimestamp(timestamp: string): string {
  const ms = Date.parse(timestamp);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(timestamp) || Number.isNaN(ms)) {
    throw new RangeError(`SBOM timestamp must be an RFC 3339 date-time, got ${JSON.stringify(timestamp)}`);
  }
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The lowercase UUID of a `urn:uuid:` serial number; throws a RangeError for anything else. */
export function serialUuid(serialNumber: string): string {
  const m = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    serialNumber.toLowerCase(),
  );
  if (!m)
    throw new RangeError(`SBOM serial number must be urn:uuid:<uuid>, got ${JSON.stringify(serialNumber)}`);
  return m[1]!;
}

/** Hex length of each hash algorithm of the model. */
const HASH_HEX_LENGTH = {
  MD5: 32,
  "SHA-1": 40,
  "SHA-256": 64,
  "SHA-384": 96,
  "SHA-512": 128,
} as const satisfies Record<SbomHash["alg"], number>;

/**
 * The hashes every format can carry: lowercase hex of the right length for the algorithm (others
 * are dropped, so a bad checksum from a lockfile cannot make the whole SBOM schema-invalid),
 * de-duplicated and sorted by algorithm then value.
 */
export function cleanHashes(hashes: readonly SbomHash[]): SbomHash[] {
  const seen = new Map<string, SbomHash>();
  for (const h of hashes) {
    const content = h.content.toLowerCase();
    const want = HASH_HEX_LENGTH[h.alg] as number | undefined;
    if (want === undefined || content.length !== want || !/^[0-9a-f]+$/.test(content)) continue;
    seen.set(`${h.alg}:${content}`, { alg: h.alg, content });
  }
  return [...seen.values()].sort((a, b) => compareTuples([a.alg, a.content], [b.alg, b.content]));
}

/** `sha256:<hex>` → a SHA-256 hash (or SHA-512); undefined for other digests. */
export function digestHash(digest: string | undefined): SbomHash | undefined {
  const m = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(digest ?? "");
  if (!m) return undefined;
  const [hash] = cleanHashes([{ alg: m[1] === "sha256" ? "SHA-256" : "SHA-512", content: m[2]! }]);
  return hash;
}

const MAX_EXPRESSION_LENGTH = 2048;

/** How a declared license is written: a listed SPDX id, another SPDX expression, or free text. */
export type LicenseKind = "id" | "expression" | "name";

/**
 * Classifies one declared license. `id`: a single listed SPDX license id (no `+`, no `WITH`);
 * `expression`: any other valid SPDX expression (compound, `LicenseRef-…`, `+`, `WITH`); `name`:
 * text that is not an SPDX expression (`"BSD-style"`). Empty, `NONE` and `NOASSERTION` say
 * nothing and give undefined.
 */
export function classifyLicense(raw: string): { kind: LicenseKind; value: string } | undefined {
  const value = raw.trim();
  if (value === "" || value === "NONE" || value === "NOASSERTION") return undefined;
  // The parser is quadratic in the length and recursive in the nesting: no real expression is
  // this long, so longer text is kept as a name rather than parsed.
  if (value.length > MAX_EXPRESSION_LENGTH) return { kind: "name", value };
  let info: parseSpdxExpression.Info;
  try {
    info = parseSpdxExpression(value);
  } catch {
    return { kind: "name", value };
  }
  if (
    "license" in info &&
    !info.plus &&
    !info.exception &&
    !/^(LicenseRef-|DocumentRef-)/.test(info.license)
  ) {
    return { kind: "id", value: info.license };
  }
  return { kind: "expression", value };
}

/** Declared licenses, classified, de-duplicated and sorted by their text. */
function classifyAll(licenses: readonly string[]): { kind: LicenseKind; value: string }[] {
  const out = new Map<string, { kind: LicenseKind; value: string }>();
  for (const l of licenses) {
    const c = classifyLicense(l);
    if (c) out.set(c.value, c);
  }
  return [...out.values()].sort((a, b) => compareStrings(a.value, b.value));
}

/** A `LicenseRef-` id for free license text (SPDX idstring characters only). */
export function licenseRefFor(name: string): string {
  const id = name.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "");
  return `LicenseRef-${id === "" ? "unnamed" : id}`;
}

/**
 * Joins declared licenses into one SPDX expression with `AND` (the package is under all of them):
 * compound parts are parenthesised, free text becomes its `LicenseRef-` id (through `refOf`).
 */
export function joinLicenses(
  licenses: readonly string[],
  refOf: (name: string) => string = licenseRefFor,
): string | undefined {
  const classes = classifyAll(licenses);
  const text = (c: { kind: LicenseKind; value: string }) => (c.kind === "name" ? refOf(c.value) : c.value);
  if (classes.length <= 1) return classes[0] && text(classes[0]);
  return classes
    .map((c) => (c.kind === "expression" && /\s/.test(c.value) ? `(${c.value})` : text(c)))
    .join(" AND ");
}

/** Free-text licenses (not SPDX expressions) among the declared ones, sorted. */
export function licenseNames(licenses: readonly string[]): string[] {
  return classifyAll(licenses)
    .filter((c) => c.kind === "name")
    .map((c) => c.value);
}

/**
 * The OSV ecosystem a purl belongs to (`pkg:npm/…` → `npm`, `pkg:deb/ubuntu/…` → `Ubuntu`), or ""
 * when the purl is not valid or its type has no OSV ecosystem.
 */
export function ecosystemFromPurl(purl: string): string {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return "";
  }
  const namespace = (parsed.namespace ?? "").toLowerCase();
  const distro = (parsed.qualifiers?.distro ?? "").toLowerCase();
  const os = (...ids: string[]): boolean => ids.some((id) => namespace === id || distro.startsWith(id));
  switch (parsed.type) {
    case "deb":
      return os("ubuntu") ? "Ubuntu" : "Debian";
    case "apk":
      if (os("wolfi")) return "Wolfi";
      if (os("chainguard")) return "Chainguard";
      if (os("minimos")) return "MinimOS";
      if (os("alpaquita")) return "Alpaquita";
      return "Alpine";
    case "rpm":
      if (os("redhat", "rhel")) return "Red Hat";
      if (os("rocky")) return "Rocky Linux";
      if (os("almalinux", "alma")) return "AlmaLinux";
      if (os("opensuse")) return "openSUSE";
      if (os("suse", "sles", "sle")) return "SUSE";
      if (os("mageia")) return "Mageia";
      if (os("openeuler")) return "openEuler";
      if (os("photon")) return "Photon OS";
      if (os("azurelinux", "mariner")) return "Azure Linux";
      return "";
    default:
      return ECOSYSTEM_BY_PURL_TYPE[parsed.type] ?? "";
  }
}

/** Language ecosystems: purl type → OSV ecosystem. */
const ECOSYSTEM_BY_PURL_TYPE: Readonly<Record<string, string>> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  cargo: "crates.io",
  gem: "RubyGems",
  composer: "Packagist",
  nuget: "NuGet",
  maven: "Maven",
  hex: "Hex",
  pub: "Pub",
  hackage: "Hackage",
  cran: "CRAN",
  conan: "ConanCenter",
  swift: "SwiftURL",
  bitnami: "Bitnami",
  githubactions: "GitHub Actions",
  opam: "opam",
};

/**
 * Components in the model's order (purl, then bomRef) whatever order they came in; throws a
 * TypeError when two share a bomRef, which the model forbids.
 */
export function sortedComponents(components: readonly SbomComponent[]): SbomComponent[] {
  const sorted = [...components].sort((a, b) => compareTuples([a.purl, a.bomRef], [b.purl, b.bomRef]));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.bomRef === sorted[i - 1]!.bomRef) {
      throw new TypeError(`SBOM component bomRef ${JSON.stringify(sorted[i]!.bomRef)} is given twice`);
    }
  }
  return sorted;
}

/**
 * Dependencies sorted by ref, each with a sorted, de-duplicated `dependsOn`; edges naming a
 * component the document does not hold are dropped (a dangling ref breaks consumers), as are
 * entries left with no edge. Entries for the same ref are merged.
 */
export function sortedDependencies(
  dependencies: SbomDocument["dependencies"],
  refs: ReadonlySet<string>,
): { ref: string; dependsOn: string[] }[] {
  const merged = new Map<string, Set<string>>();
  for (const d of dependencies) {
    if (!refs.has(d.ref)) continue;
    const set = merged.get(d.ref) ?? new Set<string>();
    for (const to of d.dependsOn) if (refs.has(to) && to !== d.ref) set.add(to);
    merged.set(d.ref, set);
  }
  return [...merged]
    .filter(([, to]) => to.size > 0)
    .sort(([a], [b]) => compareStrings(a, b))
    .map(([ref, to]) => ({ ref, dependsOn: [...to].sort(compareStrings) }));
}

/** Issues sorted by location, then cataloger and message. */
export function sortedIssues(issues: readonly SbomIssue[]): SbomIssue[] {
  const key = (i: SbomIssue) => [
    i.file ?? "",
    i.line ?? 0,
    i.column ?? 0,
    i.layer ?? "",
    i.cataloger,
    i.message,
  ];
  return [...issues].sort((a, b) => compareTuples(key(a), key(b)));
}

/** An issue as one JSON line with a fixed key order (the value of `bulwark:issue`). */
export function issueJson(issue: SbomIssue): string {
  return JSON.stringify({
    cataloger: issue.cataloger,
    message: issue.message,
    file: issue.file,
    line: issue.line,
    column: issue.column,
    layer: issue.layer,
  });
}

/** Locations sorted by path then layer, without duplicates. */
export function sortedLocations(locations: SbomComponent["locations"]): { path: string; layer?: string }[] {
  const seen = new Map<string, { path: string; layer?: string }>();
  for (const l of locations)
    seen.set(
      `${l.path}\u0000${l.layer ?? ""}`,
      l.layer ? { path: l.path, layer: l.layer } : { path: l.path },
    );
  return [...seen.values()].sort((a, b) => compareTuples([a.path, a.layer ?? ""], [b.path, b.layer ?? ""]));
}

/**
 * Facts about the subject as `key=value` pairs in a fixed order (`bulwark:subject:type`,
 * `bulwark:image:*`; layers in order, bottom first). CycloneDX writes them as properties, SPDX as
 * comment lines, so a decoder can restore the subject from any format.
 */
export function subjectFacts(subject: SbomSubject): [string, string][] {
  const facts: [string, string][] = [[`${BULWARK_PROPERTY_PREFIX}subject:type`, subject.type]];
  const image = `${BULWARK_PROPERTY_PREFIX}image:`;
  if (subject.digest) facts.push([`${image}digest`, subject.digest]);
  if (subject.configDigest) facts.push([`${image}configDigest`, subject.configDigest]);
  if (subject.os) facts.push([`${image}os`, subject.os]);
  if (subject.architecture) facts.push([`${image}architecture`, subject.architecture]);
  for (const layer of subject.layers ?? []) {
    facts.push([`${image}layer`, layer.digest]);
    if (layer.base) facts.push([`${image}baseLayer`, layer.digest]);
  }
  return facts;
}

/** Pretty JSON as every SBOM encoder writes it: two spaces, trailing newline. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// CycloneDX.

interface CdxProperty {
  name: string;
  value: string;
}

type CdxLicense = { license: { id: string } | { name: string } } | { expression: string };

interface CdxComponent {
  type: string;
  "bom-ref"?: string;
  name: string;
  version?: string;
  description?: string;
  scope?: "required" | "optional" | "excluded";
  hashes?: { alg: string; content: string }[];
  licenses?: CdxLicense[];
  purl?: string;
  evidence?: { occurrences: { location: string; additionalContext?: string }[] };
  properties?: CdxProperty[];
}

const SUBJECT_TYPE = {
  image: "container",
  directory: "application",
  rootfs: "application",
  file: "file",
} as const satisfies Record<SbomSubject["type"], string>;

const SCOPE = { required: "required", optional: "optional", dev: "excluded" } as const;

/**
 * Encodes the document as CycloneDX JSON of the given version (default 1.7): the subject as
 * `metadata.component`, Bulwark in `metadata.tools.components`, the distro as an
 * `operating-system` component, every package as a component with its evidence, properties and
 * licenses, the dependency graph, and issues as `bulwark:issue` metadata properties. Only fields
 * the chosen version's schema allows are written.
 */
/**
 * One entry of a CycloneDX BOM's `vulnerabilities` (1.4+): the shape of the JSON schema, built by
 * the vulnerability module from its findings. `affects[].ref` must name a component's bom-ref.
 */
export interface CdxVulnerability {
  readonly "bom-ref"?: string;
  readonly id: string;
  readonly source?: { readonly name?: string; readonly url?: string };
  readonly references?: readonly {
    readonly id: string;
    readonly source?: { readonly name?: string; readonly url?: string };
  }[];
  readonly ratings?: readonly {
    readonly source?: { readonly name?: string; readonly url?: string };
    readonly score?: number;
    readonly severity?: "critical" | "high" | "medium" | "low" | "info" | "none" | "unknown";
    readonly method?: "CVSSv2" | "CVSSv3" | "CVSSv31" | "CVSSv4" | "OWASP" | "SSVC" | "other";
    readonly vector?: string;
  }[];
  readonly cwes?: readonly number[];
  readonly description?: string;
  readonly recommendation?: string;
  readonly advisories?: readonly { readonly url: string; readonly title?: string }[];
  readonly published?: string;
  readonly updated?: string;
  readonly analysis?: {
    readonly state?: string;
    readonly justification?: string;
    readonly response?: readonly string[];
    readonly detail?: string;
  };
  readonly affects?: readonly {
    readonly ref: string;
    readonly versions?: readonly {
      readonly version: string;
      readonly status: "affected" | "unaffected" | "unknown";
    }[];
  }[];
  readonly properties?: readonly { readonly name: string; readonly value: string }[];
}

export interface CycloneDxExtras {
  /** Written in the given order after `dependencies`. */
  readonly vulnerabilities?: readonly CdxVulnerability[];
}

export function encodeCycloneDx(
  doc: SbomDocument,
  version: CycloneDxVersion = "1.7",
  extras: CycloneDxExtras = {},
): string {
  if (!CYCLONEDX_VERSIONS.includes(version))
    throw new RangeError(`unsupported CycloneDX version ${String(version)}`);
  const components = sortedComponents(doc.components);
  const refs = new Set(components.map((c) => c.bomRef));
  const issues = sortedIssues(doc.issues).map((i) => ({
    name: `${BULWARK_PROPERTY_PREFIX}issue`,
    value: issueJson(i),
  }));
  const distro = distroComponent(doc.subject);
  const bom = {
    $schema: `http://cyclonedx.org/schema/bom-${version}.schema.json`,
    bomFormat: "CycloneDX",
    specVersion: version,
    serialNumber: `urn:uuid:${serialUuid(doc.serialNumber)}`,
    version: 1,
    metadata: {
      timestamp: normaliseTimestamp(doc.timestamp),
      tools: { components: [toolComponent(doc)] },
      component: subjectComponent(doc.subject),
      properties: issues.length > 0 ? issues : undefined,
    },
    components: [...(distro ? [distro] : []), ...components.map((c) => componentOf(c, version))],
    dependencies: sortedDependencies(doc.dependencies, refs),
    ...(extras.vulnerabilities ? { vulnerabilities: extras.vulnerabilities } : {}),
  };
  return prettyJson(bom);
}

function toolComponent(doc: SbomDocument): CdxComponent {
  const catalogers = [...doc.catalogers]
    .sort((a, b) => compareTuples([a.name, a.version], [b.name, b.version]))
    .map((c) => ({ name: `${BULWARK_PROPERTY_PREFIX}cataloger`, value: `${c.name}@${c.version}` }));
  return {
    type: "application",
    name: doc.tool.name,
    version: doc.tool.version || undefined,
    properties: catalogers.length > 0 ? catalogers : undefined,
  };
}

/** The `bom-ref` of the subject: its digest when it has one. */
function subjectRef(subject: SbomSubject): string {
  return subject.digest ?? `${BULWARK_PROPERTY_PREFIX}subject`;
}

function subjectComponent(subject: SbomSubject): CdxComponent {
  const hash = digestHash(subject.digest);
  return {
    type: SUBJECT_TYPE[subject.type],
    "bom-ref": subjectRef(subject),
    name: subject.name,
    hashes: hash ? [hash] : undefined,
    // Stable sort by name only: layers keep their order, bottom first.
    properties: subjectFacts(subject)
      .map(([name, value]) => ({ name, value }))
      .sort((a, b) => compareStrings(a.name, b.name)),
  };
}

function distroComponent(subject: SbomSubject): CdxComponent | undefined {
  const distro = subject.distro;
  if (!distro) return undefined;
  return {
    type: "operating-system",
    "bom-ref": `os:${distro.id}${distro.versionId ? `@${distro.versionId}` : ""}`,
    name: distro.id,
    version: distro.versionId || undefined,
    description: distro.prettyName || undefined,
  };
}

function componentOf(c: SbomComponent, version: CycloneDxVersion): CdxComponent {
  const locations = sortedLocations(c.locations);
  return {
    type: c.type,
    "bom-ref": c.bomRef,
    name: c.name,
    version: c.version || undefined,
    scope: c.scope ? SCOPE[c.scope] : undefined,
    hashes: nonEmpty(cleanHashes(c.hashes)),
    licenses: licensesOf(c.licenses, version),
    purl: c.purl || undefined,
    evidence:
      locations.length > 0
        ? {
            occurrences: locations.map((l) => ({
              location: l.path,
              // 1.5 occurrences carry only the location; the layer is in `bulwark:layer` there.
              additionalContext: l.layer && version !== "1.5" ? `layer=${l.layer}` : undefined,
            })),
          }
        : undefined,
    properties: nonEmpty(componentProperties(c, locations)),
  };
}

function componentProperties(c: SbomComponent, locations: { path: string; layer?: string }[]): CdxProperty[] {
  const p = BULWARK_PROPERTY_PREFIX;
  const props: [string, string][] = [];
  if (c.ecosystem && c.ecosystem !== ecosystemFromPurl(c.purl)) props.push([`${p}ecosystem`, c.ecosystem]);
  for (const f of c.foundBy) props.push([`${p}foundBy`, f]);
  for (const l of locations) if (l.layer) props.push([`${p}layer`, l.layer]);
  if (c.scope === "dev") props.push([`${p}scope`, "dev"]);
  if (c.sourcePackage) {
    props.push([`${p}sourcePackage`, c.sourcePackage.name]);
    if (c.sourcePackage.version) props.push([`${p}sourcePackageVersion`, c.sourcePackage.version]);
  }
  for (const [k, v] of Object.entries(c.properties)) props.push([`${p}${k}`, v]);
  const unique = new Map(props.map(([name, value]) => [`${name}\u0000${value}`, { name, value }]));
  return [...unique.values()].sort((a, b) => compareTuples([a.name, a.value], [b.name, b.value]));
}

/**
 * CycloneDX licenses. 1.7 lets `license` objects and expressions mix; 1.5 and 1.6 allow either
 * license objects or exactly one expression, so there several declarations that include an
 * expression are joined into one `AND` expression.
 */
function licensesOf(licenses: readonly string[], version: CycloneDxVersion): CdxLicense[] | undefined {
  const classes = classifyAll(licenses);
  if (classes.length === 0) return undefined;
  const entries: CdxLicense[] = classes.map((c) => {
    if (c.kind === "id" && !CYCLONEDX_UNLISTED_LICENSE_IDS.has(c.value)) return { license: { id: c.value } };
    if (c.kind === "name") return { license: { name: c.value } };
    return { expression: c.value };
  });
  if (version === "1.7" || entries.every((e) => "license" in e) || entries.length === 1) return entries;
  return [{ expression: joinLicenses(licenses)! }];
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}
