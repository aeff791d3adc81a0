/**
 * VEX for `bulwark scan`: reading OpenVEX and CycloneDX VEX documents into one neutral model,
 * applying their statements to findings, and creating OpenVEX documents (`bulwark vex create`).
 *
 * Reading is strict: a document that is not VEX, or breaks a rule of its format, throws a
 * BulwarkError `INPUT_INVALID` naming the file and the JSON pointer of the value. Matching fails
 * closed: a statement suppresses a finding only when its vulnerability and one of its products
 * provably name the finding (docs/vex.md spells out the rules).
 */
import { PackageURL } from "packageurl-js";
import { BulwarkError, canonicalDigest, DEFAULT_LIMITS, digestEquals, type Limits } from "../core/index.js";
import {
  CYCLONEDX_READ_VERSIONS,
  decodeOpenVex,
  getOwn as get,
  isAbsoluteIri,
  isObject,
  type Json,
  kindOf,
  isRfc3339DateTime,
  jsonPointer,
  OPENVEX_CONTEXT,
  OPENVEX_JUSTIFICATIONS,
  OPENVEX_STATUSES,
  type OpenVexComponent,
  type OpenVexDocument,
  OpenVexError,
  type OpenVexJustification,
  type OpenVexProduct,
  type OpenVexStatement,
  parseJsonText,
} from "../formats/index.js";
import type { Finding, VexInfo, VexStatus } from "./report.js";

// ---------------------------------------------------------------------------------------------
// The neutral model.

/** A product or subcomponent, reduced to what matching reads. */
export interface VexSubject {
  /** OpenVEX `@id`, or the CycloneDX `affects[].ref` as written. */
  readonly id?: string;
  /** Package URLs naming it: a purl `@id`, `identifiers.purl`, the CycloneDX component's purl. */
  readonly purls: readonly string[];
  /** Lowercase hex SHA-256 digests of it (OpenVEX `hashes["sha-256"]`, CycloneDX `SHA-256`). */
  readonly sha256: readonly string[];
  /** For a CycloneDX BOM-link (`urn:cdx:<uuid>/<version>#<bom-ref>`): the lowercase UUID. */
  readonly bomSerial?: string;
  /** A BOM-link without a fragment: the whole BOM `bomSerial` names, i.e. the scanned target. */
  readonly wholeBom?: boolean;
}

export interface VexProduct extends VexSubject {
  readonly subcomponents: readonly VexSubject[];
}

export interface VexStatement {
  /** OpenVEX statement `@id`; CycloneDX vulnerability `bom-ref`. */
  readonly id?: string;
  readonly vulnerability: string;
  readonly aliases: readonly string[];
  /**
   * The statement's own time: OpenVEX `timestamp`; CycloneDX `analysis.lastUpdated`, else
   * `analysis.firstIssued`. Undefined means the document's timestamp applies.
   */
  readonly timestamp?: string;
  readonly products: readonly VexProduct[];
  readonly status: VexStatus;
  readonly justification?: OpenVexJustification;
  readonly impactStatement?: string;
  readonly actionStatement?: string;
}

/** A VEX document of either format, as {@link applyVex} reads it. */
export interface VexDocument {
  readonly format: "openvex" | "cyclonedx";
  /** What findings record as their VEX document: the file name, else the document's id. */
  readonly source: string;
  /** OpenVEX `@id`; CycloneDX `serialNumber`. */
  readonly id?: string;
  /** OpenVEX `timestamp`; CycloneDX `metadata.timestamp`. */
  readonly timestamp?: string;
  readonly statements: readonly VexStatement[];
  /** What was read but can never match (a ref that resolves to nothing, a statement without products). */
  readonly warnings: readonly string[];
}

/** The scanned thing, so that statements about it (rather than about a package) can apply. */
export interface VexTarget {
  /** Package URLs of the target itself, e.g. `pkg:oci/app@sha256:…?repository_url=…`. */
  readonly purls?: readonly string[];
  /** The target's digest, `sha256:<hex>`. */
  readonly digest?: string;
  /** The target's name; a product whose `@id` equals it names the target. */
  readonly name?: string;
  /**
   * The scanned SBOM's `serialNumber` (`urn:uuid:…`). When given, CycloneDX BOM-links must point
   * into this BOM to apply; when absent their serial number is not checked.
   */
  readonly bomSerialNumber?: string;
}

// ---------------------------------------------------------------------------------------------
// CycloneDX → OpenVEX vocabulary.

/** CycloneDX `analysis.state` → VEX status. */
export const CYCLONEDX_STATE_TO_STATUS = {
  not_affected: "not_affected",
  false_positive: "not_affected",
  resolved: "fixed",
  resolved_with_pedigree: "fixed",
  in_triage: "under_investigation",
  exploitable: "affected",
} as const satisfies Record<string, VexStatus>;
export type CycloneDxAnalysisState = keyof typeof CYCLONEDX_STATE_TO_STATUS;

/**
 * CycloneDX `analysis.justification` → OpenVEX justification. Never `component_not_present`: no
 * CycloneDX justification claims the vulnerable component is absent. The `requires_*` values say
 * exploitation needs a configuration, dependency or environment that is not there, so an attacker
 * cannot reach the code; `protected_*` values say a protection prevents exploitation. The
 * original value is kept in the impact statement (docs/vex.md).
 */
export const CYCLONEDX_JUSTIFICATION_TO_OPENVEX = {
  code_not_present: "vulnerable_code_not_present",
  code_not_reachable: "vulnerable_code_not_in_execute_path",
  requires_configuration: "vulnerable_code_cannot_be_controlled_by_adversary",
  requires_dependency: "vulnerable_code_cannot_be_controlled_by_adversary",
  requires_environment: "vulnerable_code_cannot_be_controlled_by_adversary",
  protected_by_compiler: "inline_mitigations_already_exist",
  protected_at_runtime: "inline_mitigations_already_exist",
  protected_at_perimeter: "inline_mitigations_already_exist",
  protected_by_mitigating_control: "inline_mitigations_already_exist",
} as const satisfies Record<string, OpenVexJustification>;
export type CycloneDxJustification = keyof typeof CYCLONEDX_JUSTIFICATION_TO_OPENVEX;

const OPENVEX_NS = "https://openvex.dev/ns";

const CYCLONEDX_RESPONSES = ["can_not_fix", "will_not_fix", "update", "rollback", "workaround_available"];

// ---------------------------------------------------------------------------------------------
// Loading.

/**
 * Reads a VEX file: OpenVEX (detected by an `https://openvex.dev/ns…` `@context`) or CycloneDX VEX
 * (a CycloneDX JSON BOM whose `vulnerabilities[]` carry an `analysis`). Throws BulwarkError
 * `INPUT_INVALID` with the file (and line, column or JSON pointer) for anything else;
 * `INPUT_TOO_LARGE` / `INPUT_TOO_DEEP` past `limits.maxFileBytes` / `limits.maxDepth` (nested
 * CycloneDX components).
 */
export function loadVexDocument(
  text: string,
  file: string,
  limits: Pick<Limits, "maxFileBytes" | "maxDepth"> = DEFAULT_LIMITS,
): VexDocument {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > limits.maxFileBytes) {
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `the VEX document is ${bytes} bytes; the limit is ${limits.maxFileBytes}`,
      {
        location: { file },
      },
    );
  }
  let json: unknown;
  try {
    json = parseJsonText(text, file);
  } catch (e) {
    throw fromOpenVexError(e, file);
  }
  if (isObject(json)) {
    const context = get(json, "@context");
    // Any openvex.dev context is OpenVEX; the decoder says when its version is not supported.
    if (typeof context === "string" && context.startsWith(OPENVEX_NS)) {
      let doc: OpenVexDocument;
      try {
        doc = decodeOpenVex(json, file);
      } catch (e) {
        throw fromOpenVexError(e, file);
      }
      return vexDocumentFromOpenVex(doc, file);
    }
    if (get(json, "bomFormat") === "CycloneDX") return readCycloneDxVex(json, file, limits.maxDepth);
  }
  throw new BulwarkError(
    "INPUT_INVALID",
    "not a VEX document: expected OpenVEX (an @context of https://openvex.dev/ns/…) or a CycloneDX JSON BOM with vulnerabilities[].analysis",
    { location: { file, path: "" } },
  );
}

/**
 * The neutral form of a decoded OpenVEX document. `source` is what findings record as their
 * document (the file name); it defaults to the document's `@id`.
 */
export function vexDocumentFromOpenVex(doc: OpenVexDocument, source: string = doc["@id"]): VexDocument {
  const warnings: string[] = [];
  const statements = doc.statements.map((s, i): VexStatement => {
    const at = jsonPointer(["statements", i]);
    if (s.products.length === 0)
      warnings.push(`${at}: the statement names no products; it applies to nothing`);
    s.products.forEach((p, j) => {
      if (!matchable(p)) {
        warnings.push(
          `${at}/products/${j}: the product has no purl, @id or sha-256 Bulwark can match (CPEs are not matched)`,
        );
      }
    });
    return {
      ...(s["@id"] !== undefined ? { id: s["@id"] } : {}),
      vulnerability: s.vulnerability.name,
      aliases: s.vulnerability.aliases ?? [],
      ...(s.timestamp !== undefined ? { timestamp: s.timestamp } : {}),
      products: s.products.map(openVexProduct),
      status: s.status,
      ...(s.justification !== undefined ? { justification: s.justification } : {}),
      ...(s.impact_statement !== undefined ? { impactStatement: s.impact_statement } : {}),
      ...(s.action_statement !== undefined ? { actionStatement: s.action_statement } : {}),
    };
  });
  return {
    format: "openvex",
    source: source === "" ? doc["@id"] : source,
    id: doc["@id"],
    timestamp: doc.timestamp,
    statements,
    warnings,
  };
}

function openVexSubject(c: OpenVexComponent): VexSubject {
  const id = c["@id"];
  const purls = [id, c.identifiers?.purl].filter((p): p is string => p !== undefined && isPurlLike(p));
  const hash = c.hashes?.["sha-256"];
  return {
    ...(id !== undefined ? { id } : {}),
    purls: [...new Set(purls)],
    sha256: hash === undefined ? [] : [normalizeSha256(hash)],
  };
}

function openVexProduct(p: OpenVexProduct): VexProduct {
  return { ...openVexSubject(p), subcomponents: (p.subcomponents ?? []).map(openVexSubject) };
}

function matchable(c: OpenVexComponent): boolean {
  return c["@id"] !== undefined || c.identifiers?.purl !== undefined || c.hashes?.["sha-256"] !== undefined;
}

function fromOpenVexError(e: unknown, file: string): unknown {
  if (!(e instanceof OpenVexError)) return e;
  const { line, column, path } = e.location;
  return new BulwarkError("INPUT_INVALID", e.message, {
    location: {
      file,
      ...(line !== undefined ? { line } : {}),
      ...(column !== undefined ? { column } : {}),
      ...(path !== undefined ? { path } : {}),
    },
    cause: e,
  });
}

// ---------------------------------------------------------------------------------------------
// CycloneDX VEX.

type Path = readonly (string | number)[];

/** Located reads of a CycloneDX document; every failure is INPUT_INVALID at a JSON pointer. */
class CdxReader {
  constructor(readonly file: string) {}

  fail(path: Path, message: string): never {
    const pointer = jsonPointer(path);
    throw new BulwarkError("INPUT_INVALID", pointer === "" ? message : `${pointer}: ${message}`, {
      location: { file: this.file, path: pointer },
    });
  }

  object(v: unknown, path: Path): Json {
    return isObject(v) ? v : this.fail(path, `expected an object, got ${kindOf(v)}`);
  }

  optObject(o: Json, key: string, path: Path): Json | undefined {
    const v = get(o, key);
    return v === undefined ? undefined : this.object(v, [...path, key]);
  }

  optArray(o: Json, key: string, path: Path): unknown[] | undefined {
    const v = get(o, key);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v : this.fail([...path, key], `expected an array, got ${kindOf(v)}`);
  }

  optString(o: Json, key: string, path: Path): string | undefined {
    const v = get(o, key);
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
  }

  nonEmpty(o: Json, key: string, path: Path, why: string): string {
    const v = this.optString(o, key, path);
    if (v === undefined) return this.fail([...path, key], `is required ${why}`);
    return v.trim() !== "" ? v : this.fail([...path, key], "must not be empty");
  }

  optDateTime(o: Json, key: string, path: Path): string | undefined {
    const v = this.optString(o, key, path);
    if (v === undefined || isRfc3339DateTime(v)) return v;
    return this.fail([...path, key], `must be an RFC 3339 date-time, got ${JSON.stringify(v)}`);
  }

  oneOf<T extends string>(o: Json, key: string, allowed: readonly T[], path: Path): T | undefined {
    const v = this.optString(o, key, path);
    if (v === undefined || (allowed as readonly string[]).includes(v)) return v as T | undefined;
    return this.fail([...path, key], `must be one of ${allowed.join(", ")}; got ${JSON.stringify(v)}`);
  }
}

interface CdxComponentInfo {
  readonly purl?: string;
  readonly sha256: readonly string[];
}

function readCycloneDxVex(bom: Json, file: string, maxDepth: number): VexDocument {
  const r: CdxReader = new CdxReader(file);
  const specVersion = r.oneOf(bom, "specVersion", CYCLONEDX_READ_VERSIONS, []);
  if (specVersion === undefined) r.fail(["specVersion"], "is required");
  const serialNumber = r.optString(bom, "serialNumber", []);
  const metadata = r.optObject(bom, "metadata", []);
  const timestamp = metadata ? r.optDateTime(metadata, "timestamp", ["metadata"]) : undefined;

  const components = new Map<string, CdxComponentInfo>();
  const collect = (v: unknown, path: Path, depth: number): void => {
    if (depth > maxDepth) {
      throw new BulwarkError("INPUT_TOO_DEEP", `components are nested deeper than ${maxDepth} levels`, {
        location: { file, path: jsonPointer(path) },
      });
    }
    const c = r.object(v, path);
    const ref = r.optString(c, "bom-ref", path);
    const purl = r.optString(c, "purl", path);
    const sha256 = (r.optArray(c, "hashes", path) ?? []).flatMap((h, i) => {
      const o = r.object(h, [...path, "hashes", i]);
      const content = r.optString(o, "content", [...path, "hashes", i]);
      return r.optString(o, "alg", [...path, "hashes", i]) === "SHA-256" && content
        ? [content.toLowerCase()]
        : [];
    });
    if (ref !== undefined && !components.has(ref)) {
      components.set(ref, { ...(purl ? { purl } : {}), sha256 });
    }
    (r.optArray(c, "components", path) ?? []).forEach((n, i) =>
      collect(n, [...path, "components", i], depth + 1),
    );
  };
  const subject = metadata ? get(metadata, "component") : undefined;
  if (subject !== undefined) collect(subject, ["metadata", "component"], 1);
  (r.optArray(bom, "components", []) ?? []).forEach((c, i) => collect(c, ["components", i], 1));

  const vulnerabilities = r.optArray(bom, "vulnerabilities", []);
  if (vulnerabilities === undefined) {
    r.fail([], "a CycloneDX BOM without vulnerabilities[] is not a VEX document");
  }
  const warnings: string[] = [];
  const statements: VexStatement[] = [];
  vulnerabilities.forEach((v, i) => {
    const path = ["vulnerabilities", i];
    const vuln = r.object(v, path);
    const analysis = r.optObject(vuln, "analysis", path);
    if (analysis === undefined) return;
    const statement = cdxStatement(r, vuln, analysis, path, components, warnings);
    statements.push(statement);
  });
  if (statements.length === 0) {
    r.fail(["vulnerabilities"], "no vulnerability carries an analysis; this BOM is not a VEX document");
  }
  return {
    format: "cyclonedx",
    source: file !== "" ? file : (serialNumber ?? ""),
    ...(serialNumber !== undefined ? { id: serialNumber } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    statements,
    warnings,
  };
}

function cdxStatement(
  r: CdxReader,
  vuln: Json,
  analysis: Json,
  path: Path,
  components: ReadonlyMap<string, CdxComponentInfo>,
  warnings: string[],
): VexStatement {
  const at = [...path, "analysis"];
  const bomRef = r.optString(vuln, "bom-ref", path);
  const id = r.nonEmpty(vuln, "id", path, "to match a VEX statement");
  const aliases = (r.optArray(vuln, "references", path) ?? []).map((ref, i) => {
    const refPath = [...path, "references", i];
    return r.nonEmpty(r.object(ref, refPath), "id", refPath, "in a vulnerability reference");
  });
  const states = Object.keys(CYCLONEDX_STATE_TO_STATUS) as CycloneDxAnalysisState[];
  const state =
    r.oneOf(analysis, "state", states, at) ?? r.fail([...at, "state"], "is required for a VEX statement");
  const justifications = Object.keys(CYCLONEDX_JUSTIFICATION_TO_OPENVEX) as CycloneDxJustification[];
  const justification = r.oneOf(analysis, "justification", justifications, at);
  const response = (r.optArray(analysis, "response", at) ?? []).map((x, i) => {
    if (typeof x === "string" && CYCLONEDX_RESPONSES.includes(x)) return x;
    return r.fail(
      [...at, "response", i],
      `must be one of ${CYCLONEDX_RESPONSES.join(", ")}; got ${JSON.stringify(x)}`,
    );
  });
  const detail = r.optString(analysis, "detail", at);
  const firstIssued = r.optDateTime(analysis, "firstIssued", at);
  const lastUpdated = r.optDateTime(analysis, "lastUpdated", at);
  const timestamp = lastUpdated ?? firstIssued;

  const products: VexProduct[] = [];
  (r.optArray(vuln, "affects", path) ?? []).forEach((a, i) => {
    const affectsPath = [...path, "affects", i];
    const affects = r.object(a, affectsPath);
    const ref = r.nonEmpty(affects, "ref", affectsPath, "in affects[]");
    const resolved = resolveRef(ref, components);
    if (typeof resolved === "string") {
      warnings.push(`${jsonPointer([...affectsPath, "ref"])}: ${resolved}; the entry applies to nothing`);
      return;
    }
    const versions = r.optArray(affects, "versions", affectsPath);
    products.push(...narrowToVersions(r, resolved, versions, affectsPath, warnings));
  });
  if (products.length === 0) {
    warnings.push(`${jsonPointer(path)}: the analysis names no usable affects[].ref; it applies to nothing`);
  }

  const status = CYCLONEDX_STATE_TO_STATUS[state];
  const impact =
    status === "affected"
      ? undefined
      : (detail ??
        (status === "not_affected"
          ? `CycloneDX analysis state ${state}${justification ? `, justification ${justification}` : ""}`
          : undefined));
  const action = [
    response.length > 0 ? `response: ${response.join(", ")}` : undefined,
    status === "affected" ? detail : undefined,
  ]
    .filter((s): s is string => s !== undefined && s !== "")
    .join(". ");
  return {
    ...(bomRef !== undefined ? { id: bomRef } : {}),
    vulnerability: id,
    aliases: [...new Set(aliases)],
    ...(timestamp !== undefined ? { timestamp } : {}),
    products,
    status,
    ...(justification !== undefined
      ? { justification: CYCLONEDX_JUSTIFICATION_TO_OPENVEX[justification] }
      : {}),
    ...(impact !== undefined ? { impactStatement: impact } : {}),
    ...(action !== "" ? { actionStatement: action } : {}),
  };
}

/**
 * An `affects[].ref` as a product: a bom-ref of this BOM's components (their purl and SHA-256),
 * else a purl; a BOM-link `urn:cdx:<uuid>/<version>#<bom-ref>` is resolved by its fragment and
 * keeps the UUID so it can be checked against the scanned SBOM. A string says why it resolves to
 * nothing.
 */
function resolveRef(ref: string, components: ReadonlyMap<string, CdxComponentInfo>): VexProduct | string {
  let bomRef = ref;
  let bomSerial: string | undefined;
  if (ref.toLowerCase().startsWith("urn:cdx:")) {
    const m = /^urn:cdx:([^/#]+)\/[^#]*(?:#(.*))?$/i.exec(ref);
    if (!m) return `${JSON.stringify(ref)} is not a BOM-link (urn:cdx:<serial>/<version>#<bom-ref>)`;
    bomSerial = m[1]!.toLowerCase();
    if (m[2] === undefined || m[2] === "") {
      return { id: ref, purls: [], sha256: [], bomSerial, wholeBom: true, subcomponents: [] };
    }
    try {
      bomRef = decodeURIComponent(m[2]);
    } catch {
      return `the BOM-link fragment of ${JSON.stringify(ref)} is not percent-encoded correctly`;
    }
  }
  const serial = bomSerial !== undefined ? { bomSerial } : {};
  const component = components.get(bomRef);
  if (component?.purl !== undefined) {
    return { id: ref, purls: [component.purl], sha256: component.sha256, ...serial, subcomponents: [] };
  }
  if (isPurlLike(bomRef)) return { id: ref, purls: [bomRef], sha256: [], ...serial, subcomponents: [] };
  if (component !== undefined && component.sha256.length > 0) {
    return { id: ref, purls: [], sha256: component.sha256, ...serial, subcomponents: [] };
  }
  return component !== undefined
    ? `component ${JSON.stringify(bomRef)} has neither a purl nor a SHA-256 hash`
    : `${JSON.stringify(bomRef)} is neither a bom-ref of this BOM nor a package URL`;
}

/**
 * `affects[].versions` narrows a version-less purl to the listed exact versions; ranges are not
 * evaluated (a warning says so), so versions never widen what a statement covers.
 */
function narrowToVersions(
  r: CdxReader,
  product: VexProduct,
  versions: unknown[] | undefined,
  path: Path,
  warnings: string[],
): VexProduct[] {
  if (versions === undefined || versions.length === 0) return [product];
  const exact: string[] = [];
  versions.forEach((v, i) => {
    const at = [...path, "versions", i];
    const o = r.object(v, at);
    const version = r.optString(o, "version", at);
    if (version !== undefined) exact.push(version);
    else if (r.optString(o, "range", at) !== undefined) {
      warnings.push(
        `${jsonPointer([...at, "range"])}: version ranges are not evaluated; the range is ignored`,
      );
    }
  });
  const purls = product.purls.flatMap((p) => {
    const parsed = parsePurl(p);
    if (parsed?.version !== undefined) return [p];
    return exact.map((version) => withVersion(p, version));
  });
  if (product.purls.length > 0 && purls.length === 0) return [];
  return [{ ...product, purls }];
}

/** The purl with `version` set (it had none). */
function withVersion(purl: string, version: string): string {
  const cut = purl.search(/[?#]/);
  const head = cut < 0 ? purl : purl.slice(0, cut);
  const tail = cut < 0 ? "" : purl.slice(cut);
  return `${head}@${encodeURIComponent(version)}${tail}`;
}

// ---------------------------------------------------------------------------------------------
// Purl matching.

interface Purl {
  readonly type: string;
  readonly namespace: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: ReadonlyMap<string, string>;
  readonly subpath?: string;
}

function isPurlLike(s: string): boolean {
  return /^pkg:/i.test(s);
}

/**
 * A purl parsed and normalised by packageurl-js (lower-case type and qualifier keys, and each
 * type's own rules: npm and pypi names lower-case, pypi `_` → `-`, …). When packageurl-js rejects
 * it, the generic grammar alone is used, so a type rule packageurl-js enforces too eagerly does
 * not make a statement silently inapplicable.
 */
function parsePurl(s: string): Purl | undefined {
  if (!isPurlLike(s)) return undefined;
  try {
    const p = PackageURL.fromString(s);
    return {
      type: p.type,
      namespace: p.namespace ?? "",
      name: p.name,
      ...(p.version ? { version: p.version } : {}),
      qualifiers: new Map(Object.entries(p.qualifiers ?? {})),
      ...(p.subpath ? { subpath: p.subpath } : {}),
    };
  } catch {
    return parsePurlGeneric(s);
  }
}

function parsePurlGeneric(s: string): Purl | undefined {
  try {
    let rest = s.slice(4).replace(/^\/+/, "");
    let subpath: string | undefined;
    const hash = rest.indexOf("#");
    if (hash >= 0) {
      subpath = rest
        .slice(hash + 1)
        .split("/")
        .filter((seg) => seg !== "" && seg !== "." && seg !== "..")
        .map(decodeURIComponent)
        .join("/");
      rest = rest.slice(0, hash);
    }
    const qualifiers = new Map<string, string>();
    const question = rest.indexOf("?");
    if (question >= 0) {
      for (const pair of rest.slice(question + 1).split("&")) {
        const eq = pair.indexOf("=");
        if (eq <= 0) continue;
        const value = decodeURIComponent(pair.slice(eq + 1));
        if (value !== "") qualifiers.set(pair.slice(0, eq).toLowerCase(), value);
      }
      rest = rest.slice(0, question);
    }
    let version: string | undefined;
    const at = rest.lastIndexOf("@");
    if (at > rest.lastIndexOf("/")) {
      version = decodeURIComponent(rest.slice(at + 1));
      rest = rest.slice(0, at);
    }
    const segs = rest.split("/").filter((seg) => seg !== "");
    if (segs.length < 2) return undefined;
    const type = segs[0]!.toLowerCase();
    const name = decodeURIComponent(segs.at(-1)!);
    const namespace = segs.slice(1, -1).map(decodeURIComponent).join("/");
    return {
      type,
      namespace,
      name,
      ...(version ? { version } : {}),
      qualifiers,
      ...(subpath ? { subpath } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Does the VEX purl cover the package's purl? Type, namespace and name equal; a VEX purl without
 * a version covers every version; every qualifier (and a subpath) the VEX purl has must be in the
 * package purl with the same value, qualifiers it lacks are ignored.
 */
function purlCovers(vex: Purl, pkg: Purl): boolean {
  if (vex.type !== pkg.type || vex.namespace !== pkg.namespace || vex.name !== pkg.name) return false;
  if (vex.version !== undefined && vex.version !== pkg.version) return false;
  for (const [key, value] of vex.qualifiers) if (pkg.qualifiers.get(key) !== value) return false;
  return vex.subpath === undefined || vex.subpath === pkg.subpath;
}

// ---------------------------------------------------------------------------------------------
// Applying.

interface Candidate {
  readonly doc: VexDocument;
  readonly statement: VexStatement;
  /** Input order: documents in order, statements in document order. */
  readonly seq: number;
  /** The statement's timestamp, else the document's. */
  readonly timestamp?: string;
  readonly when?: Instant;
}

/** Milliseconds since the epoch, then the nanoseconds below the millisecond. */
type Instant = readonly [number, number];

function instant(ts: string | undefined): Instant | undefined {
  if (ts === undefined) return undefined;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms)) return undefined;
  const fraction = /\.(\d+)/.exec(ts)?.[1] ?? "";
  return [ms, Number(fraction.slice(3, 9).padEnd(6, "0"))];
}

/** Is `a` the statement that wins over `b`? The later time wins; no time is earliest; ties go to input order. */
function wins(a: Candidate, b: Candidate): boolean {
  const x = a.when;
  const y = b.when;
  if (x !== undefined && y === undefined) return true;
  if (x === undefined && y !== undefined) return false;
  if (x !== undefined && y !== undefined && (x[0] !== y[0] || x[1] !== y[1])) {
    return x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]);
  }
  return a.seq > b.seq;
}

interface PreparedTarget {
  readonly purls: readonly Purl[];
  /** The digest, lower-case (`sha256:<hex>`). */
  readonly digest?: string;
  readonly sha256Hex?: string;
  readonly name?: string;
  readonly serial?: string;
}

function prepareTarget(target: VexTarget | undefined, purl: (s: string) => Purl | undefined): PreparedTarget {
  if (!target) return { purls: [] };
  const digest = target.digest?.trim().toLowerCase();
  const serial = /^urn:uuid:(.+)$/i.exec(target.bomSerialNumber ?? "")?.[1]?.toLowerCase();
  return {
    purls: (target.purls ?? []).flatMap((p) => purl(p) ?? []),
    ...(digest ? { digest } : {}),
    ...(digest?.startsWith("sha256:") ? { sha256Hex: digest.slice("sha256:".length) } : {}),
    ...(target.name ? { name: target.name } : {}),
    ...(serial ? { serial } : {}),
  };
}

/**
 * Applies VEX statements to findings. A statement applies to a finding when its vulnerability
 * (name or an alias) equals the finding's id or one of its aliases (case-insensitively) and one
 * of its products applies: a product without subcomponents applies when it names the package or
 * the scanned target; a product with subcomponents applies only when it names the package or the
 * target AND a subcomponent names the package. Of the statements that apply, the latest (statement
 * timestamp, else document timestamp; none is earliest) wins, ties going to the later in input
 * order. `not_affected` and `fixed` suppress the finding; every applied status sets `vex`.
 *
 * Returns a new array; findings no statement applies to are returned as they were.
 */
export function applyVex(
  findings: readonly Finding[],
  docs: readonly VexDocument[],
  target?: VexTarget,
): Finding[] {
  const cache = new Map<string, Purl | undefined>();
  const purl = (s: string): Purl | undefined => {
    if (!cache.has(s)) cache.set(s, parsePurl(s));
    return cache.get(s);
  };
  const t = prepareTarget(target, purl);

  const byName = new Map<string, Candidate[]>();
  let seq = 0;
  for (const doc of docs) {
    for (const statement of doc.statements) {
      const timestamp = statement.timestamp ?? doc.timestamp;
      const when = instant(timestamp);
      const candidate: Candidate = {
        doc,
        statement,
        seq: seq++,
        ...(timestamp !== undefined ? { timestamp } : {}),
        ...(when !== undefined ? { when } : {}),
      };
      for (const name of new Set([statement.vulnerability, ...statement.aliases].map(vulnKey))) {
        const list = byName.get(name) ?? [];
        list.push(candidate);
        byName.set(name, list);
      }
    }
  }

  const inScope = (s: VexSubject): boolean =>
    s.bomSerial === undefined || t.serial === undefined || s.bomSerial === t.serial;
  const namesPackage = (s: VexSubject, pkg: Purl | undefined): boolean =>
    pkg !== undefined && !s.wholeBom && inScope(s) && s.purls.some((p) => covers(purl(p), pkg));
  const namesTarget = (s: VexSubject): boolean => {
    if (!inScope(s)) return false;
    if (s.wholeBom) return t.serial !== undefined && s.bomSerial === t.serial;
    if (t.digest !== undefined) {
      if (s.id !== undefined && digestEquals(s.id.toLowerCase(), t.digest)) return true;
      if (t.sha256Hex !== undefined && s.sha256.some((h) => digestEquals(h, t.sha256Hex!))) return true;
      for (const p of s.purls) {
        const parsed = purl(p);
        if (parsed?.type === "oci" && parsed.version !== undefined) {
          if (digestEquals(parsed.version.toLowerCase(), t.digest)) return true;
        }
      }
    }
    if (t.name !== undefined && s.id === t.name) return true;
    return s.purls.some((p) => t.purls.some((tp) => covers(purl(p), tp)));
  };
  const productApplies = (p: VexProduct, pkg: Purl | undefined): boolean => {
    if (!namesPackage(p, pkg) && !namesTarget(p)) return false;
    return p.subcomponents.length === 0 || p.subcomponents.some((s) => namesPackage(s, pkg));
  };

  return findings.map((finding) => {
    const pkg = purl(finding.package.purl);
    let best: Candidate | undefined;
    const seen = new Set<Candidate>();
    for (const name of new Set([finding.id, ...finding.aliases].map(vulnKey))) {
      for (const c of byName.get(name) ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (!c.statement.products.some((p) => productApplies(p, pkg))) continue;
        if (best === undefined || wins(c, best)) best = c;
      }
    }
    if (best === undefined) return finding;
    const s = best.statement;
    const vex: VexInfo = {
      status: s.status,
      ...(s.justification !== undefined ? { justification: s.justification } : {}),
      ...(s.impactStatement !== undefined ? { impactStatement: s.impactStatement } : {}),
      ...(s.actionStatement !== undefined ? { actionStatement: s.actionStatement } : {}),
      document: best.doc.source,
      ...(s.id !== undefined ? { statementId: s.id } : {}),
      ...(best.timestamp !== undefined ? { timestamp: best.timestamp } : {}),
      format: best.doc.format,
    };
    return { ...finding, suppressed: s.status === "not_affected" || s.status === "fixed", vex };
  });
}

function covers(vex: Purl | undefined, pkg: Purl): boolean {
  return vex !== undefined && purlCovers(vex, pkg);
}

/** Vulnerability ids compare case-insensitively (`cve-2024-1` is `CVE-2024-1`). */
function vulnKey(id: string): string {
  return id.trim().toUpperCase();
}

function normalizeSha256(h: string): string {
  const lower = h.trim().toLowerCase();
  return lower.startsWith("sha256:") ? lower.slice("sha256:".length) : lower;
}

// ---------------------------------------------------------------------------------------------
// Creating.

export interface CreateOpenVexInput {
  /** The vulnerability id, e.g. `CVE-2024-1234`. */
  readonly vulnerability: string;
  readonly aliases?: readonly string[];
  /** Package URLs of the products the statement is about. */
  readonly products: readonly string[];
  /** Package URLs of subcomponents (of every product) the vulnerability lives in. */
  readonly subcomponents?: readonly string[];
  readonly status: VexStatus;
  /** One of the five OpenVEX justifications; only with `not_affected`. */
  readonly justification?: string;
  readonly impactStatement?: string;
  readonly actionStatement?: string;
  readonly author: string;
  /** RFC 3339; injected so output is reproducible. */
  readonly timestamp: string;
  /** The document IRI; defaults to `https://openvex.dev/docs/public/vex-<sha256 of the canonical document>`. */
  readonly id?: string;
}

/**
 * One OpenVEX v0.2.0 document with one statement, checked by the decoder's rules. Purls are
 * written in canonical form (packageurl-js), as both `@id` and `identifiers.purl`. Throws
 * BulwarkError `USAGE` with a message naming the offending input.
 */
export function createOpenVexDocument(input: CreateOpenVexInput): OpenVexDocument {
  const usage = (message: string): never => {
    throw new BulwarkError("USAGE", message);
  };
  const vulnerability = input.vulnerability.trim();
  if (vulnerability === "") usage("the vulnerability id must not be empty");
  if (!(OPENVEX_STATUSES as readonly string[]).includes(input.status)) {
    usage(`status must be one of ${OPENVEX_STATUSES.join(", ")}; got ${JSON.stringify(input.status)}`);
  }
  let justification: OpenVexJustification | undefined;
  if (input.justification !== undefined) {
    const j = input.justification.trim();
    if (!(OPENVEX_JUSTIFICATIONS as readonly string[]).includes(j)) {
      usage(`justification must be one of ${OPENVEX_JUSTIFICATIONS.join(", ")}; got ${JSON.stringify(j)}`);
    }
    if (input.status !== "not_affected") {
      usage(`a justification only goes with status not_affected, not ${input.status}`);
    }
    justification = j as OpenVexJustification;
  }
  const impact = textOrUndefined(input.impactStatement);
  const action = textOrUndefined(input.actionStatement);
  if (input.status === "not_affected" && justification === undefined && impact === undefined) {
    usage(
      `status not_affected needs a justification (one of ${OPENVEX_JUSTIFICATIONS.join(", ")}) or an impact statement`,
    );
  }
  if (input.status === "affected" && action === undefined) {
    usage("status affected needs an action statement saying how to remediate or mitigate");
  }
  const products = unique(input.products.map((p) => canonicalPurl(p, "product", usage)));
  if (products.length === 0) usage("at least one product (a package URL) is required");
  const subcomponents = unique(
    (input.subcomponents ?? []).map((p) => canonicalPurl(p, "subcomponent", usage)),
  );
  const aliases = unique(
    (input.aliases ?? []).map((a) => a.trim()).filter((a) => a !== "" && a !== vulnerability),
  );
  const author = input.author.trim();
  if (author === "") usage("the author must not be empty");
  if (!isRfc3339DateTime(input.timestamp)) {
    usage(`the timestamp must be an RFC 3339 date-time, got ${JSON.stringify(input.timestamp)}`);
  }
  if (input.id !== undefined && !isAbsoluteIri(input.id)) {
    usage(`the document id must be an absolute IRI, got ${JSON.stringify(input.id)}`);
  }

  const component = (purl: string): OpenVexComponent => ({ "@id": purl, identifiers: { purl } });
  const statement: OpenVexStatement = {
    vulnerability: { name: vulnerability, ...(aliases.length > 0 ? { aliases } : {}) },
    products: products.map((p) => ({
      ...component(p),
      ...(subcomponents.length > 0 ? { subcomponents: subcomponents.map(component) } : {}),
    })),
    status: input.status,
    ...(justification !== undefined ? { justification } : {}),
    ...(impact !== undefined ? { impact_statement: impact } : {}),
    ...(action !== undefined ? { action_statement: action } : {}),
  };
  const body = {
    "@context": OPENVEX_CONTEXT,
    author,
    timestamp: input.timestamp,
    version: 1,
    statements: [statement],
  } as const;
  const id =
    input.id ?? `https://openvex.dev/docs/public/vex-${canonicalDigest(body).slice("sha256:".length)}`;
  const doc: OpenVexDocument = {
    "@context": OPENVEX_CONTEXT,
    "@id": id,
    author,
    timestamp: input.timestamp,
    version: 1,
    statements: [statement],
  };
  try {
    return decodeOpenVex(doc);
  } catch (e) {
    if (e instanceof OpenVexError) throw new BulwarkError("USAGE", e.message, { cause: e });
    throw e;
  }
}

function textOrUndefined(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t === undefined || t === "" ? undefined : t;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function canonicalPurl(s: string, what: string, usage: (message: string) => never): string {
  try {
    return PackageURL.fromString(s.trim()).toString();
  } catch (e) {
    const detail = e instanceof Error && e.message.startsWith("Invalid purl") ? `: ${e.message}` : "";
    return usage(`${what} ${JSON.stringify(s)} is not a valid package URL${detail}`);
  }
}
