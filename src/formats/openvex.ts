/**
 * OpenVEX v0.2.0 (https://github.com/openvex/spec): types, a strict decoder and an encoder.
 *
 * Pure. The decoder checks what the specification and its JSON schema require of the fields
 * Bulwark reads — required fields, types, the status and justification enumerations, RFC 3339
 * timestamps, "`not_affected` needs a justification or an impact statement", "`affected` needs an
 * action statement" — and throws an {@link OpenVexError} naming the JSON pointer of the offending
 * value. Fields it does not know are ignored; hash algorithms outside the specification's table
 * are skipped.
 *
 * Legacy documents (`@context` `https://openvex.dev/ns` or `https://openvex.dev/ns/v0.0.1`) are
 * read too and normalised to v0.2.0: a plain-string `vulnerability` becomes `{ name }`, string
 * `products` become `{ "@id" }`, statement-level `subcomponents` move into every product, a string
 * `version` becomes a number (1 when absent).
 */
import { prettyJson } from "./cyclonedx.js";
import { jsonSyntaxError } from "./sbom-decode.js";
import {
  DecodeError,
  type DecodeLocation,
  get,
  isObject,
  type Json,
  jsonPointer,
  kindOf,
  lineColumn,
} from "./json-read.js";

export const OPENVEX_CONTEXT = "https://openvex.dev/ns/v0.2.0";
/** Contexts of pre-0.2.0 documents, read in compatibility mode. */
export const OPENVEX_LEGACY_CONTEXTS = ["https://openvex.dev/ns", "https://openvex.dev/ns/v0.0.1"] as const;

export const OPENVEX_STATUSES = ["not_affected", "affected", "fixed", "under_investigation"] as const;
export type OpenVexStatus = (typeof OPENVEX_STATUSES)[number];

/** The five status justifications of the VEX working group, in the specification's order. */
export const OPENVEX_JUSTIFICATIONS = [
  "component_not_present",
  "vulnerable_code_not_present",
  "vulnerable_code_not_in_execute_path",
  "vulnerable_code_cannot_be_controlled_by_adversary",
  "inline_mitigations_already_exist",
] as const;
export type OpenVexJustification = (typeof OPENVEX_JUSTIFICATIONS)[number];

/** Hash names of the specification's Appendix A (IANA textual names, extended). */
export const OPENVEX_HASH_ALGORITHMS = [
  "md5",
  "sha1",
  "sha-256",
  "sha-384",
  "sha-512",
  "sha3-224",
  "sha3-256",
  "sha3-384",
  "sha3-512",
  "blake2s-256",
  "blake2b-256",
  "blake2b-512",
] as const;
export type OpenVexHashAlgorithm = (typeof OPENVEX_HASH_ALGORITHMS)[number];
export type OpenVexHashes = Readonly<Partial<Record<OpenVexHashAlgorithm, string>>>;

/** Software identifiers; at least one is present. */
export interface OpenVexIdentifiers {
  readonly purl?: string;
  readonly cpe22?: string;
  readonly cpe23?: string;
}

/** A subcomponent: identified by `@id` or `identifiers` (at least one). */
export interface OpenVexComponent {
  readonly "@id"?: string;
  readonly identifiers?: OpenVexIdentifiers;
  readonly hashes?: OpenVexHashes;
}

export interface OpenVexProduct extends OpenVexComponent {
  readonly subcomponents?: readonly OpenVexComponent[];
}

export interface OpenVexVulnerability {
  readonly "@id"?: string;
  readonly name: string;
  readonly description?: string;
  readonly aliases?: readonly string[];
}

export interface OpenVexStatement {
  readonly "@id"?: string;
  readonly version?: number;
  readonly vulnerability: OpenVexVulnerability;
  /** When the statement was known true; absent means the document's timestamp (inheritance). */
  readonly timestamp?: string;
  readonly last_updated?: string;
  /** Empty when the products are left to an encapsulating document. */
  readonly products: readonly OpenVexProduct[];
  readonly status: OpenVexStatus;
  readonly supplier?: string;
  readonly status_notes?: string;
  /** Only meaningful with `not_affected`. */
  readonly justification?: OpenVexJustification;
  readonly impact_statement?: string;
  /** Required with `affected`. */
  readonly action_statement?: string;
  readonly action_statement_timestamp?: string;
}

export interface OpenVexDocument {
  readonly "@context": typeof OPENVEX_CONTEXT;
  readonly "@id": string;
  readonly author: string;
  readonly role?: string;
  readonly timestamp: string;
  readonly last_updated?: string;
  /** Integer ≥ 1, incremented on every change. */
  readonly version: number;
  readonly tooling?: string;
  readonly statements: readonly OpenVexStatement[];
}

/** Where a decode error is; `path` is an RFC 6901 JSON pointer, e.g. `/statements/0/status`. */
export type OpenVexErrorLocation = DecodeLocation;

/** A document that is not JSON, not OpenVEX, or breaks a rule of the specification. */
export class OpenVexError extends DecodeError {
  constructor(message: string, location: OpenVexErrorLocation, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = "OpenVexError";
  }
}

/** True when `context` is an OpenVEX `@context` this decoder reads (current or legacy). */
export function isOpenVexContext(context: unknown): boolean {
  return context === OPENVEX_CONTEXT || (OPENVEX_LEGACY_CONTEXTS as readonly unknown[]).includes(context);
}

/**
 * Parses JSON text (a leading BOM is allowed) and throws an {@link OpenVexError} with the line and
 * column of a syntax error. Shared by the VEX readers so every malformed file is reported alike.
 */
export function parseJsonText(text: string, file?: string): unknown {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch (e) {
    const found = jsonSyntaxError(source);
    const at = found ? lineColumn(source, found.offset) : {};
    throw new OpenVexError(
      `not valid JSON: ${found?.message ?? (e as Error).message}`,
      { ...(file !== undefined ? { file } : {}), ...at, path: "" },
      { cause: e },
    );
  }
}

/**
 * Decodes a parsed OpenVEX document (v0.2.0, or a legacy one normalised to v0.2.0). `file` only
 * labels errors. Throws {@link OpenVexError} for anything the specification forbids, and nothing
 * else, whatever the input.
 */
export function decodeOpenVex(json: unknown, file?: string): OpenVexDocument {
  const r = new Reader(file);
  const root = r.object(json, []);
  const context = get(root, "@context");
  if (typeof context !== "string") {
    return r.fail(
      ["@context"],
      context === undefined ? "is required" : `expected a string, got ${kindOf(context)}`,
    );
  }
  if (!isOpenVexContext(context)) {
    return r.fail(
      ["@context"],
      `unsupported OpenVEX context ${JSON.stringify(context)}; expected ${OPENVEX_CONTEXT} (or a legacy ${OPENVEX_LEGACY_CONTEXTS.join(" / ")})`,
    );
  }
  return new Decoder(r, context !== OPENVEX_CONTEXT).document(root);
}

/**
 * The document as spec-conformant JSON text (fields in the specification's order, two-space
 * indent, trailing newline). The document is checked with the decoder's rules first, so nothing
 * invalid is ever written: throws {@link OpenVexError} when a rule is broken.
 */
export function encodeOpenVex(doc: OpenVexDocument): string {
  const json = openVexJson(doc);
  decodeOpenVex(json);
  return prettyJson(json);
}

// ---------------------------------------------------------------------------------------------
// Encoding.

/** Copies the named fields that are set, in order. */
function pick(from: object, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) {
    const v = (from as Json)[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function componentJson(c: OpenVexComponent): Json {
  const out = pick(c, ["@id"]);
  if (c.identifiers) out.identifiers = pick(c.identifiers, ["purl", "cpe22", "cpe23"]);
  if (c.hashes) out.hashes = pick(c.hashes, OPENVEX_HASH_ALGORITHMS);
  return out;
}

function openVexJson(doc: OpenVexDocument): Json {
  return {
    ...pick(doc, ["@context", "@id", "author", "role", "timestamp", "last_updated", "version", "tooling"]),
    statements: doc.statements.map((s) => ({
      ...pick(s, ["@id", "version"]),
      vulnerability: pick(s.vulnerability, ["@id", "name", "description", "aliases"]),
      ...pick(s, ["timestamp", "last_updated"]),
      products: s.products.map((p) => ({
        ...componentJson(p),
        ...(p.subcomponents ? { subcomponents: p.subcomponents.map(componentJson) } : {}),
      })),
      ...pick(s, [
        "status",
        "supplier",
        "status_notes",
        "justification",
        "impact_statement",
        "action_statement",
        "action_statement_timestamp",
      ]),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding.

type Path = readonly (string | number)[];

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 `date-time` (what JSON Schema's `date-time` format means), fields in range. */
export function isRfc3339DateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  const offHour = m[7] === undefined ? 0 : Number(m[7]);
  const offMinute = m[8] === undefined ? 0 : Number(m[8]);
  return offHour <= 23 && offMinute <= 59;
}

/** An absolute IRI: a scheme, a colon, and no characters RFC 3987 never allows. */
export function isAbsoluteIri(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$/u.test(s);
}

class Reader {
  constructor(readonly file: string | undefined) {}

  fail(path: Path, message: string): never {
    const pointer = jsonPointer(path);
    throw new OpenVexError(pointer === "" ? message : `${pointer}: ${message}`, {
      ...(this.file !== undefined ? { file: this.file } : {}),
      path: pointer,
    });
  }

  object(v: unknown, path: Path): Json {
    return isObject(v) ? v : this.fail(path, `expected an object, got ${kindOf(v)}`);
  }

  optString(o: Json, key: string, path: Path): string | undefined {
    const v = get(o, key);
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : this.fail([...path, key], `expected a string, got ${kindOf(v)}`);
  }

  string(o: Json, key: string, path: Path): string {
    const v = this.optString(o, key, path);
    return v ?? this.fail([...path, key], "is required");
  }

  nonEmpty(o: Json, key: string, path: Path): string {
    const v = this.string(o, key, path);
    return v.trim() !== "" ? v : this.fail([...path, key], "must not be empty");
  }

  optIri(o: Json, key: string, path: Path): string | undefined {
    const v = this.optString(o, key, path);
    if (v === undefined || isAbsoluteIri(v)) return v;
    return this.fail([...path, key], `must be an absolute IRI, got ${JSON.stringify(v)}`);
  }

  optDateTime(o: Json, key: string, path: Path): string | undefined {
    const v = this.optString(o, key, path);
    if (v === undefined || isRfc3339DateTime(v)) return v;
    return this.fail([...path, key], `must be an RFC 3339 date-time, got ${JSON.stringify(v)}`);
  }

  optArray(o: Json, key: string, path: Path): unknown[] | undefined {
    const v = get(o, key);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v : this.fail([...path, key], `expected an array, got ${kindOf(v)}`);
  }

  optVersion(o: Json, key: string, path: Path): number | undefined {
    const v = get(o, key);
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isInteger(v) && v >= 1) return v;
    return this.fail([...path, key], `must be an integer >= 1, got ${JSON.stringify(v)}`);
  }

  oneOf<T extends string>(o: Json, key: string, allowed: readonly T[], path: Path): T | undefined {
    const v = this.optString(o, key, path);
    if (v === undefined || (allowed as readonly string[]).includes(v)) return v as T | undefined;
    return this.fail([...path, key], `must be one of ${allowed.join(", ")}; got ${JSON.stringify(v)}`);
  }
}

class Decoder {
  constructor(
    readonly r: Reader,
    /** Reading a pre-0.2.0 document: accept the older shapes and normalise them. */
    readonly legacy: boolean,
  ) {}

  document(o: Json): OpenVexDocument {
    const r = this.r;
    const id = r.optIri(o, "@id", []) ?? r.fail(["@id"], "is required");
    const author = r.string(o, "author", []);
    const role = r.optString(o, "role", []);
    const timestamp = r.optDateTime(o, "timestamp", []) ?? r.fail(["timestamp"], "is required");
    const lastUpdated = r.optDateTime(o, "last_updated", []);
    const version = this.version(o);
    const tooling = r.optString(o, "tooling", []);
    const list = r.optArray(o, "statements", []) ?? r.fail(["statements"], "is required");
    if (list.length === 0) r.fail(["statements"], "must hold at least one statement");
    const statements = list.map((s, i) => this.statement(s, ["statements", i]));
    return {
      "@context": OPENVEX_CONTEXT,
      "@id": id,
      author,
      ...(role !== undefined ? { role } : {}),
      timestamp,
      ...(lastUpdated !== undefined ? { last_updated: lastUpdated } : {}),
      version,
      ...(tooling !== undefined ? { tooling } : {}),
      statements,
    };
  }

  version(o: Json): number {
    const v = get(o, "version");
    // v0.0.1 wrote the version as a string ("1") and sometimes left it out.
    if (this.legacy && v === undefined) return 1;
    if (this.legacy && typeof v === "string" && /^[1-9]\d*$/.test(v)) return Number(v);
    return this.r.optVersion(o, "version", []) ?? this.r.fail(["version"], "is required");
  }

  statement(v: unknown, path: Path): OpenVexStatement {
    const r = this.r;
    const o = r.object(v, path);
    const id = r.optIri(o, "@id", path);
    const version = r.optVersion(o, "version", path);
    const vulnerability = this.vulnerability(o, path);
    const timestamp = r.optDateTime(o, "timestamp", path);
    const lastUpdated = r.optDateTime(o, "last_updated", path);
    const products = this.products(o, path);
    const status = r.oneOf(o, "status", OPENVEX_STATUSES, path) ?? r.fail([...path, "status"], "is required");
    const supplier = r.optString(o, "supplier", path);
    const statusNotes = r.optString(o, "status_notes", path);
    const justification = r.oneOf(o, "justification", OPENVEX_JUSTIFICATIONS, path);
    const impact = r.optString(o, "impact_statement", path);
    const action = r.optString(o, "action_statement", path);
    const actionTimestamp = r.optDateTime(o, "action_statement_timestamp", path);
    if (status === "not_affected" && justification === undefined && !hasText(impact)) {
      r.fail(path, "status not_affected requires a justification or an impact_statement");
    }
    if (status === "affected" && !hasText(action)) {
      r.fail(path, "status affected requires an action_statement");
    }
    return {
      ...(id !== undefined ? { "@id": id } : {}),
      ...(version !== undefined ? { version } : {}),
      vulnerability,
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(lastUpdated !== undefined ? { last_updated: lastUpdated } : {}),
      products,
      status,
      ...(supplier !== undefined ? { supplier } : {}),
      ...(statusNotes !== undefined ? { status_notes: statusNotes } : {}),
      ...(justification !== undefined ? { justification } : {}),
      ...(impact !== undefined ? { impact_statement: impact } : {}),
      ...(action !== undefined ? { action_statement: action } : {}),
      ...(actionTimestamp !== undefined ? { action_statement_timestamp: actionTimestamp } : {}),
    };
  }

  vulnerability(statement: Json, path: Path): OpenVexVulnerability {
    const r = this.r;
    const at = [...path, "vulnerability"];
    const v = get(statement, "vulnerability");
    if (v === undefined) return r.fail(at, "is required");
    if (this.legacy && typeof v === "string") {
      if (v.trim() === "") return r.fail(at, "must not be empty");
      const description = r.optString(statement, "vuln_description", path);
      return { name: v, ...(description !== undefined ? { description } : {}) };
    }
    const o = r.object(v, at);
    const id = r.optIri(o, "@id", at);
    const name = r.nonEmpty(o, "name", at);
    const description = r.optString(o, "description", at);
    const aliases = r
      .optArray(o, "aliases", at)
      ?.map((a, i) =>
        typeof a === "string" ? a : r.fail([...at, "aliases", i], `expected a string, got ${kindOf(a)}`),
      );
    return {
      ...(id !== undefined ? { "@id": id } : {}),
      name,
      ...(description !== undefined ? { description } : {}),
      ...(aliases !== undefined ? { aliases } : {}),
    };
  }

  products(statement: Json, path: Path): OpenVexProduct[] {
    const list = this.r.optArray(statement, "products", path) ?? [];
    const products = list.map((p, i) => this.product(p, [...path, "products", i]));
    if (!this.legacy) return products;
    // v0.0.1 listed subcomponents once per statement, for every product.
    const legacySubs = (this.r.optArray(statement, "subcomponents", path) ?? []).flatMap((s, i) =>
      s === "" ? [] : [this.component(s, [...path, "subcomponents", i])],
    );
    if (legacySubs.length === 0) return products;
    return products.map((p) => ({ ...p, subcomponents: [...(p.subcomponents ?? []), ...legacySubs] }));
  }

  product(v: unknown, path: Path): OpenVexProduct {
    const component = this.component(v, path);
    if (typeof v === "string") return component;
    const list = this.r.optArray(v as Json, "subcomponents", path);
    if (list === undefined) return component;
    return {
      ...component,
      subcomponents: list.map((s, i) => this.component(s, [...path, "subcomponents", i])),
    };
  }

  component(v: unknown, path: Path): OpenVexComponent {
    const r = this.r;
    if (this.legacy && typeof v === "string") {
      return isAbsoluteIri(v)
        ? { "@id": v }
        : r.fail(path, `must be an absolute IRI, got ${JSON.stringify(v)}`);
    }
    const o = r.object(v, path);
    const id = r.optIri(o, "@id", path);
    const identifiers = this.identifiers(o, path);
    const hashes = this.hashes(o, path);
    if (id === undefined && identifiers === undefined) r.fail(path, "needs an @id or identifiers");
    return {
      ...(id !== undefined ? { "@id": id } : {}),
      ...(identifiers !== undefined ? { identifiers } : {}),
      ...(hashes !== undefined ? { hashes } : {}),
    };
  }

  identifiers(component: Json, path: Path): OpenVexIdentifiers | undefined {
    const r = this.r;
    const v = get(component, "identifiers");
    if (v === undefined) return undefined;
    const at = [...path, "identifiers"];
    const o = r.object(v, at);
    const out = pick(
      {
        purl: r.optString(o, "purl", at),
        cpe22: r.optString(o, "cpe22", at),
        cpe23: r.optString(o, "cpe23", at),
      },
      ["purl", "cpe22", "cpe23"],
    ) as OpenVexIdentifiers;
    if (Object.keys(out).length === 0) r.fail(at, "needs at least one of purl, cpe22, cpe23");
    return out;
  }

  hashes(component: Json, path: Path): OpenVexHashes | undefined {
    const r = this.r;
    const v = get(component, "hashes");
    if (v === undefined) return undefined;
    const at = [...path, "hashes"];
    const o = r.object(v, at);
    const out: Partial<Record<OpenVexHashAlgorithm, string>> = {};
    for (const alg of OPENVEX_HASH_ALGORITHMS) {
      const h = r.optString(o, alg, at);
      if (h !== undefined) out[alg] = h;
    }
    return out;
  }
}

function hasText(s: string | undefined): boolean {
  return s !== undefined && s.trim() !== "";
}
