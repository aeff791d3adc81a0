/**
 * SBOM decoders: CycloneDX JSON 1.4–1.7, SPDX 2.2/2.3 JSON and SPDX 3.0.x JSON-LD into Bulwark's
 * neutral model, with the format detected from the content.
 *
 * Pure and strict about shape: any value of the wrong type where the format puts something
 * Bulwark reads throws a {@link SbomDecodeError} that names the file, the line and column and the
 * path of the value; nothing else is thrown, whatever the input. Fields Bulwark does not read are
 * ignored, and values it cannot represent (a hash algorithm the model lacks) are skipped.
 */
import {
  BULWARK_PROPERTY_PREFIX,
  compareStrings,
  ecosystemFromPurl,
  sortedDependencies,
  sortedIssues,
} from "./cyclonedx.js";
import type {
  SbomComponent,
  SbomComponentType,
  SbomDocument,
  SbomHash,
  SbomIssue,
  SbomSubject,
} from "./sbom-document.js";
import { SPDX_ISSUE_PREFIX } from "./spdx.js";
import {
  DecodeError,
  type DecodeLocation,
  get,
  isObject,
  type Json,
  kindOf,
  lineColumn,
} from "./json-read.js";

/** Where a decode error is: 1-based line and column (UTF-16 units), and the path of the value. */
/** Path of the offending value, e.g. `components[3].hashes[0].content`; "" for the document. */
export type SbomDecodeLocation = DecodeLocation;

/**
 * A document that is not valid JSON, not a supported SBOM format or version, or has a value of
 * the wrong type where the format says what it must be.
 */
export class SbomDecodeError extends DecodeError {
  constructor(message: string, location: SbomDecodeLocation, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = "SbomDecodeError";
  }
}

/** The SBOM formats the decoder reads. */
export type SbomFormat = "cyclonedx" | "spdx";

export const CYCLONEDX_READ_VERSIONS = ["1.4", "1.5", "1.6", "1.7"] as const;
export const SPDX2_READ_VERSIONS = ["SPDX-2.2", "SPDX-2.3"] as const;

/**
 * Which SBOM format a parsed JSON document claims to be, from its marker fields alone
 * (`bomFormat`, `spdxVersion`, an SPDX 3 `@context`); undefined when it has none of them.
 */
export function detectSbomFormat(json: unknown): { format: SbomFormat; specVersion: string } | undefined {
  if (!isObject(json)) return undefined;
  const bomFormat = get(json, "bomFormat");
  if (bomFormat !== undefined) {
    const v = get(json, "specVersion");
    return { format: "cyclonedx", specVersion: typeof v === "string" ? v : "" };
  }
  const spdxVersion = get(json, "spdxVersion");
  if (typeof spdxVersion === "string")
    return { format: "spdx", specVersion: spdxVersion.replace(/^SPDX-/, "") };
  const v3 = spdx3ContextVersion(get(json, "@context"));
  if (v3 !== undefined) return { format: "spdx", specVersion: v3 };
  return undefined;
}

/**
 * Decodes an SBOM (CycloneDX JSON 1.4–1.7, SPDX JSON 2.2/2.3, SPDX 3.0.x JSON-LD) into the neutral
 * model. Nested CycloneDX components are flattened; components come back sorted by purl with
 * bomRefs following the model's rule (the purl, `purl#n` for repeats). `file` only labels errors.
 * Throws {@link SbomDecodeError} for anything malformed, and nothing else.
 */
export function decodeSbom(text: string, file?: string): SbomDocument {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const r = new Reader(source, file);
  if (/^\s*</.test(source)) r.fail(ROOT, "XML SBOMs are not supported; use JSON");
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (e) {
    const found = jsonSyntaxError(source);
    const at = found ? lineColumn(source, found.offset) : {};
    throw new SbomDecodeError(
      `not valid JSON: ${found?.message ?? (e as Error).message}`,
      { ...(file !== undefined ? { file } : {}), ...at, path: "" },
      { cause: e },
    );
  }
  if (!isObject(json)) return r.fail(ROOT, `an SBOM must be a JSON object, got ${kindOf(json)}`);
  if (get(json, "bomFormat") !== undefined) return decodeCycloneDx(r, json);
  if (get(json, "spdxVersion") !== undefined) return decodeSpdx2(r, json);
  if (get(json, "@context") !== undefined) return decodeSpdx3(r, json);
  return r.fail(
    ROOT,
    "not a CycloneDX or SPDX document: it has no bomFormat, spdxVersion or SPDX 3 @context",
  );
}

// ---------------------------------------------------------------------------------------------
// Reading JSON values with located errors.

/**
 * Where a value is, as a linked list from the value up to the root (undefined): extending it is
 * O(1), so deeply nested input costs no more than flat input.
 */
type Path = { readonly parent: Path; readonly seg: string | number } | undefined;
const ROOT: Path = undefined;

function sub(path: Path, ...segs: (string | number)[]): Path {
  let out = path;
  for (const seg of segs) out = { parent: out, seg };
  return out;
}

function segments(path: Path): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p = path; p !== undefined; p = p.parent) out.push(p.seg);
  return out.reverse();
}

function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$@][\w$@-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

class Reader {
  constructor(
    readonly text: string,
    readonly file: string | undefined,
  ) {}

  fail(path: Path, message: string): never {
    // A missing value has no position: point at the nearest enclosing one instead.
    const segs = segments(path);
    let offset: number | undefined;
    for (let n = segs.length; n >= 0 && offset === undefined; n--)
      offset = locateValue(this.text, segs.slice(0, n));
    const where = formatPath(segs);
    throw new SbomDecodeError(where === "" ? message : `${where}: ${message}`, {
      ...(this.file !== undefined ? { file: this.file } : {}),
      ...(offset !== undefined ? lineColumn(this.text, offset) : {}),
      path: where,
    });
  }

  object(v: unknown, path: Path): Json {
    return isObject(v) ? v : this.fail(path, `expected an object, got ${kindOf(v)}`);
  }

  optObject(o: Json, key: string, path: Path): Json | undefined {
    const v = get(o, key);
    return v === undefined || v === null ? undefined : this.object(v, sub(path, key));
  }

  array(o: Json, key: string, path: Path): unknown[] {
    const v = get(o, key);
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : this.fail(sub(path, key), `expected an array, got ${kindOf(v)}`);
  }

  string(o: Json, key: string, path: Path): string {
    const v = get(o, key);
    if (typeof v === "string") return v;
    return this.fail(sub(path, key), v === undefined ? "is required" : `expected a string, got ${kindOf(v)}`);
  }

  optString(o: Json, key: string, path: Path): string | undefined {
    const v = get(o, key);
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : this.fail(sub(path, key), `expected a string, got ${kindOf(v)}`);
  }

  /** A list of strings (a single string counts as a list of one, as JSON-LD allows). */
  strings(o: Json, key: string, path: Path): string[] {
    const v = get(o, key);
    if (typeof v === "string") return [v];
    return this.array(o, key, path).map((item, i) =>
      typeof item === "string"
        ? item
        : this.fail(sub(path, key, i), `expected a string, got ${kindOf(item)}`),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Building the model.

const SUBJECT_TYPES: ReadonlySet<string> = new Set<SbomSubject["type"]>([
  "directory",
  "rootfs",
  "image",
  "file",
]);
const HASH_ALGS: ReadonlySet<string> = new Set<SbomHash["alg"]>([
  "MD5",
  "SHA-1",
  "SHA-256",
  "SHA-384",
  "SHA-512",
]);

/** A component as read, before bomRefs are assigned. */
interface Draft {
  /** The document's own id for it (bom-ref, SPDXID, spdxId). */
  readonly key: string;
  readonly type: SbomComponentType;
  readonly name: string;
  readonly version: string;
  readonly purl: string;
  readonly ecosystem?: string;
  readonly licenses: string[];
  readonly hashes: SbomHash[];
  scope?: "required" | "optional" | "dev";
  readonly locations: { path: string; layer?: string }[];
  readonly foundBy: string[];
  readonly sourcePackage?: { name: string; version?: string };
  readonly properties: Record<string, string>;
}

/** Bulwark property names with a meaning of their own (never copied into `properties`). */
const RESERVED = new Set([
  "ecosystem",
  "foundBy",
  "layer",
  "scope",
  "sourcePackage",
  "sourcePackageVersion",
  "issue",
]);

/**
 * Finishes the document: bomRefs by the model's rule (purl, `purl#n` for repeats, the document's
 * own id when there is no purl), components sorted by purl then bomRef, dependencies translated
 * from document ids to bomRefs and sorted.
 */
function finish(
  header: Omit<SbomDocument, "components" | "dependencies" | "issues">,
  drafts: readonly Draft[],
  edges: readonly { from: string; to: string }[],
  issues: readonly SbomIssue[],
): SbomDocument {
  const refOfKey = new Map<string, string>();
  const used = new Set<string>();
  const components: SbomComponent[] = [];
  for (const d of drafts) {
    const base = d.purl !== "" ? d.purl : d.key !== "" ? d.key : `${d.name}@${d.version}`;
    let ref = base;
    for (let n = 2; used.has(ref); n++) ref = `${base}#${n}`;
    used.add(ref);
    if (d.key !== "" && !refOfKey.has(d.key)) refOfKey.set(d.key, ref);
    components.push({
      bomRef: ref,
      type: d.type,
      name: d.name,
      version: d.version,
      purl: d.purl,
      ecosystem: d.ecosystem ?? ecosystemFromPurl(d.purl),
      licenses: [...new Set(d.licenses)].sort(compareStrings),
      hashes: dedupeHashes(d.hashes),
      ...(d.scope ? { scope: d.scope } : {}),
      locations: d.locations,
      foundBy: [...new Set(d.foundBy)].sort(compareStrings),
      ...(d.sourcePackage ? { sourcePackage: d.sourcePackage } : {}),
      properties: d.properties,
    });
  }
  components.sort((a, b) => compareStrings(a.purl, b.purl) || compareStrings(a.bomRef, b.bomRef));
  const byRef = new Map<string, Set<string>>();
  for (const e of edges) {
    const from = refOfKey.get(e.from);
    const to = refOfKey.get(e.to);
    if (from === undefined || to === undefined) continue;
    const set = byRef.get(from) ?? new Set<string>();
    set.add(to);
    byRef.set(from, set);
  }
  const dependencies = sortedDependencies(
    [...byRef].map(([ref, to]) => ({ ref, dependsOn: [...to] })),
    used,
  );
  return { ...header, components, dependencies, issues: sortedIssues(issues) };
}

function dedupeHashes(hashes: readonly SbomHash[]): SbomHash[] {
  const seen = new Map(hashes.map((h) => [`${h.alg}:${h.content}`, h]));
  return [...seen.values()].sort(
    (a, b) => compareStrings(a.alg, b.alg) || compareStrings(a.content, b.content),
  );
}

/** Bulwark properties (name → values, in document order) from `[name, value]` pairs. */
function bulwarkProperties(pairs: readonly [string, string][]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    if (!name.startsWith(BULWARK_PROPERTY_PREFIX)) continue;
    const key = name.slice(BULWARK_PROPERTY_PREFIX.length);
    const values = out.get(key) ?? [];
    values.push(value);
    out.set(key, values);
  }
  return out;
}

/** Extra properties: every non-reserved `bulwark:` key, repeated values joined with `,`. */
function extraProperties(props: Map<string, string[]>): Record<string, string> {
  return Object.fromEntries(
    [...props]
      .filter(
        ([k]) =>
          !RESERVED.has(k) &&
          !k.startsWith("cataloger") &&
          !k.startsWith("subject:") &&
          !k.startsWith("image:"),
      )
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([k, vs]) => [k, [...new Set(vs)].sort(compareStrings).join(",")]),
  );
}

/** The subject facts Bulwark writes (`bulwark:subject:type`, `bulwark:image:*`), when present. */
function subjectFromFacts(
  facts: Map<string, string[]>,
  fallback: { type: SbomSubject["type"]; name: string; digest?: string },
  distro: SbomSubject["distro"] | undefined,
): SbomSubject {
  const one = (key: string) => facts.get(key)?.[0];
  const stated = one("subject:type");
  const type =
    stated !== undefined && SUBJECT_TYPES.has(stated) ? (stated as SbomSubject["type"]) : fallback.type;
  const digest = one("image:digest") ?? fallback.digest;
  const configDigest = one("image:configDigest");
  const os = one("image:os");
  const architecture = one("image:architecture");
  const base = new Set(facts.get("image:baseLayer") ?? []);
  const layers = (facts.get("image:layer") ?? []).map((d) =>
    base.has(d) ? { digest: d, base: true } : { digest: d },
  );
  return {
    type,
    name: fallback.name,
    ...(digest ? { digest } : {}),
    ...(configDigest ? { configDigest } : {}),
    ...(os ? { os } : {}),
    ...(architecture ? { architecture } : {}),
    ...(layers.length > 0 ? { layers } : {}),
    ...(distro ? { distro } : {}),
  };
}

/** `bulwark:issue` values back into issues; values that are not our JSON are kept as messages. */
function parseIssue(value: string): SbomIssue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { cataloger: "unknown", message: value };
  }
  if (!isObject(parsed)) return { cataloger: "unknown", message: value };
  const str = (k: string) => (typeof get(parsed, k) === "string" ? (get(parsed, k) as string) : undefined);
  const int = (k: string) => {
    const v = get(parsed, k);
    return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined;
  };
  const [file, line, column, layer] = [str("file"), int("line"), int("column"), str("layer")];
  return {
    cataloger: str("cataloger") ?? "unknown",
    message: str("message") ?? value,
    ...(file !== undefined ? { file } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(column !== undefined ? { column } : {}),
    ...(layer !== undefined ? { layer } : {}),
  };
}

/** `name@version` cataloger entries (`bulwark:cataloger`, the SPDX 2 creation comment). */
function parseCataloger(value: string): { name: string; version: number } | undefined {
  const m = /^(.+)@(\d{1,9})$/.exec(value.trim());
  return m ? { name: m[1]!, version: Number(m[2]) } : undefined;
}

/** `urn:uuid:<uuid>` from any text holding a UUID at its end (an SPDX namespace or id), else "". */
function serialFrom(text: string | undefined): string {
  const tail = (text ?? "").split("#", 1)[0]!.slice(-36);
  const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  return uuid.test(tail) ? `urn:uuid:${tail.toLowerCase()}` : "";
}

/** The SPDX `source package: name [version]` part of a `sourceInfo`. */
function sourcePackageFrom(info: string | undefined): { name: string; version?: string } | undefined {
  const m = /(?:^|; )source package: (\S+)(?: (\S+))?$/.exec(info ?? "");
  if (!m) return undefined;
  return m[2] ? { name: m[1]!, version: m[2] } : { name: m[1]! };
}

/** `key=value` subject facts from an SPDX comment. */
function factsFromComment(comment: string | undefined): Map<string, string[]> {
  const pairs: [string, string][] = [];
  for (const line of (comment ?? "").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && line.startsWith(BULWARK_PROPERTY_PREFIX))
      pairs.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return bulwarkProperties(pairs);
}

/**
 * `name-1.2.3` (an SPDX `Tool:` creator, an SPDX 3 tool name) → name and version: the version
 * starts at the first `-` followed by a digit (or `v` and a digit) after which only version
 * characters follow. One pass, no backtracking regex: creator strings are input.
 */
function toolFrom(text: string): { name: string; version: string } {
  const t = text.trim();
  let lastBad = -1;
  for (let i = 0; i < t.length; i++) if (!/[\w.+~-]/.test(t[i]!)) lastBad = i;
  for (let i = Math.max(1, lastBad + 1); i < t.length - 1; i++) {
    if (t[i] === "-" && /^v?\d/.test(t.slice(i + 1, i + 3)))
      return { name: t.slice(0, i), version: t.slice(i + 1) };
  }
  return { name: t, version: "" };
}

// ---------------------------------------------------------------------------------------------
// CycloneDX 1.4–1.7.

const CDX_TYPE: Readonly<Record<string, SbomComponentType>> = {
  library: "library",
  application: "application",
  framework: "framework",
  "operating-system": "operating-system",
  file: "file",
  container: "application",
  platform: "application",
  firmware: "file",
  "device-driver": "file",
  data: "file",
  "machine-learning-model": "file",
};

function decodeCycloneDx(r: Reader, root: Json): SbomDocument {
  const bomFormat = get(root, "bomFormat");
  if (bomFormat !== "CycloneDX") {
    r.fail(
      sub(ROOT, "bomFormat"),
      `must be "CycloneDX", got ${typeof bomFormat === "string" ? JSON.stringify(bomFormat.slice(0, 40)) : kindOf(bomFormat)}`,
    );
  }
  const specVersion = r.string(root, "specVersion", ROOT);
  if (!(CYCLONEDX_READ_VERSIONS as readonly string[]).includes(specVersion)) {
    r.fail(
      sub(ROOT, "specVersion"),
      `CycloneDX ${specVersion.slice(0, 20)} is not supported (reads ${CYCLONEDX_READ_VERSIONS.join(", ")})`,
    );
  }
  const metadata = r.optObject(root, "metadata", ROOT) ?? {};
  const mp: Path = sub(ROOT, "metadata");
  const timestamp = r.optString(metadata, "timestamp", mp) ?? "";
  const { tool, catalogers } = cdxTool(r, metadata);
  const metaProps = cdxProperties(r, metadata, mp);
  const issues = metaProps
    .filter(([n]) => n === `${BULWARK_PROPERTY_PREFIX}issue`)
    .map(([, v]) => parseIssue(v));

  // Components, nested ones flattened, without recursion (a hostile document can nest deeply).
  const drafts: Draft[] = [];
  let distro: SbomSubject["distro"] | undefined;
  const stack: { value: unknown; path: Path }[] = r
    .array(root, "components", ROOT)
    .map((value, i) => ({ value, path: sub(ROOT, "components", i) }))
    .reverse();
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    const c = r.object(value, path);
    const nested = r.array(c, "components", path);
    for (let i = nested.length - 1; i >= 0; i--)
      stack.push({ value: nested[i], path: sub(path, "components", i) });
    const type = r.string(c, "type", path);
    const purl = r.optString(c, "purl", path) ?? "";
    if (type === "operating-system" && purl === "" && distro === undefined) {
      const versionId = r.optString(c, "version", path);
      const prettyName = r.optString(c, "description", path);
      distro = {
        id: r.string(c, "name", path),
        ...(versionId ? { versionId } : {}),
        ...(prettyName ? { prettyName } : {}),
      };
      continue;
    }
    drafts.push(cdxComponent(r, c, path, type, purl));
  }

  const edges: { from: string; to: string }[] = [];
  r.array(root, "dependencies", ROOT).forEach((value, i) => {
    const path: Path = sub(ROOT, "dependencies", i);
    const d = r.object(value, path);
    const from = r.string(d, "ref", path);
    for (const to of r.strings(d, "dependsOn", path)) edges.push({ from, to });
  });

  const subjectValue = r.optObject(metadata, "component", mp);
  let subject: SbomSubject;
  if (subjectValue) {
    const sp: Path = sub(mp, "component");
    const facts = bulwarkProperties(cdxProperties(r, subjectValue, sp));
    const sha256 = cdxHashes(r, subjectValue, sp).find((h) => h.alg === "SHA-256");
    const ref = r.optString(subjectValue, "bom-ref", sp);
    const cdxType = r.optString(subjectValue, "type", sp);
    const digest =
      ref && /^sha256:[0-9a-f]{64}$/.test(ref) ? ref : sha256 ? `sha256:${sha256.content}` : undefined;
    subject = subjectFromFacts(
      facts,
      {
        type: cdxType === "container" ? "image" : cdxType === "file" ? "file" : "directory",
        name: r.string(subjectValue, "name", sp),
        ...(digest ? { digest } : {}),
      },
      distro,
    );
  } else {
    subject = { type: "file", name: r.file ?? "", ...(distro ? { distro } : {}) };
  }

  return finish(
    { serialNumber: r.optString(root, "serialNumber", ROOT) ?? "", timestamp, tool, catalogers, subject },
    drafts,
    edges,
    issues,
  );
}

/** The tool that made the BOM: Bulwark's entry when present, else the first; with its catalogers. */
function cdxTool(r: Reader, metadata: Json): Pick<SbomDocument, "tool" | "catalogers"> {
  const path: Path = sub(ROOT, "metadata", "tools");
  const tools = get(metadata, "tools");
  const found: { name: string; version: string; props: [string, string][] }[] = [];
  if (Array.isArray(tools)) {
    // 1.4 (deprecated later): [{vendor, name, version}].
    tools.forEach((t, i) => {
      const o = r.object(t, sub(path, i));
      found.push({
        name: r.optString(o, "name", sub(path, i)) ?? "",
        version: r.optString(o, "version", sub(path, i)) ?? "",
        props: [],
      });
    });
  } else if (tools !== undefined && tools !== null) {
    const o = r.object(tools, path);
    r.array(o, "components", path).forEach((t, i) => {
      const cp: Path = sub(path, "components", i);
      const c = r.object(t, cp);
      found.push({
        name: r.optString(c, "name", cp) ?? "",
        version: r.optString(c, "version", cp) ?? "",
        props: cdxProperties(r, c, cp),
      });
    });
  }
  const pick = found.find((t) => t.name === "bulwark") ?? found[0];
  const catalogers = (pick?.props ?? [])
    .filter(([n]) => n === `${BULWARK_PROPERTY_PREFIX}cataloger`)
    .flatMap(([, v]) => parseCataloger(v) ?? []);
  return { tool: { name: pick?.name ?? "", version: pick?.version ?? "" }, catalogers };
}

/** `properties` as `[name, value]` pairs; entries without a name are skipped. */
function cdxProperties(r: Reader, o: Json, path: Path): [string, string][] {
  const out: [string, string][] = [];
  r.array(o, "properties", path).forEach((p, i) => {
    const pp: Path = sub(path, "properties", i);
    const prop = r.object(p, pp);
    const name = r.optString(prop, "name", pp);
    if (name !== undefined) out.push([name, r.optString(prop, "value", pp) ?? ""]);
  });
  return out;
}

function cdxHashes(r: Reader, o: Json, path: Path): SbomHash[] {
  const out: SbomHash[] = [];
  r.array(o, "hashes", path).forEach((h, i) => {
    const hp: Path = sub(path, "hashes", i);
    const hash = r.object(h, hp);
    const alg = r.string(hash, "alg", hp);
    const content = r.string(hash, "content", hp);
    if (HASH_ALGS.has(alg)) out.push({ alg: alg as SbomHash["alg"], content: content.toLowerCase() });
  });
  return out;
}

function cdxComponent(r: Reader, c: Json, path: Path, type: string, purl: string): Draft {
  const group = r.optString(c, "group", path);
  const bareName = r.string(c, "name", path);
  const name = group ? `${group}${purl.startsWith("pkg:maven/") ? ":" : "/"}${bareName}` : bareName;
  const props = bulwarkProperties(cdxProperties(r, c, path));

  const licenses: string[] = [];
  r.array(c, "licenses", path).forEach((l, i) => {
    const lp: Path = sub(path, "licenses", i);
    const entry = r.object(l, lp);
    const expression = r.optString(entry, "expression", lp);
    if (expression !== undefined) {
      licenses.push(expression);
      return;
    }
    const license = r.optObject(entry, "license", lp);
    if (!license) return;
    const text =
      r.optString(license, "id", sub(lp, "license")) ?? r.optString(license, "name", sub(lp, "license"));
    if (text !== undefined && text.trim() !== "") licenses.push(text.trim());
  });

  const scopeText = r.optString(c, "scope", path);
  const scope =
    props.get("scope")?.includes("dev") || scopeText === "excluded"
      ? "dev"
      : scopeText === "required" || scopeText === "optional"
        ? scopeText
        : undefined;

  const locations: { path: string; layer?: string }[] = [];
  const evidence = r.optObject(c, "evidence", path);
  if (evidence) {
    r.array(evidence, "occurrences", sub(path, "evidence")).forEach((o, i) => {
      const op: Path = sub(path, "evidence", "occurrences", i);
      const occurrence = r.object(o, op);
      const location = r.string(occurrence, "location", op);
      const context = r.optString(occurrence, "additionalContext", op);
      const layer = /^layer=(.+)$/.exec(context ?? "")?.[1];
      locations.push(layer ? { path: location, layer } : { path: location });
    });
  }
  // 1.5 occurrences cannot say which layer; one layer in the properties answers for all.
  const layers = props.get("layer") ?? [];
  const located =
    layers.length === 1 && locations.every((l) => l.layer === undefined)
      ? locations.map((l) => ({ path: l.path, layer: layers[0]! }))
      : locations;

  const sourceName = props.get("sourcePackage")?.[0];
  const sourceVersion = props.get("sourcePackageVersion")?.[0];
  const ecosystem = props.get("ecosystem")?.[0];
  return {
    key: r.optString(c, "bom-ref", path) ?? "",
    type: CDX_TYPE[type] ?? "library",
    name,
    version: r.optString(c, "version", path) ?? "",
    purl,
    ...(ecosystem ? { ecosystem } : {}),
    licenses,
    hashes: cdxHashes(r, c, path),
    ...(scope ? { scope } : {}),
    locations: located,
    foundBy: props.get("foundBy") ?? [],
    ...(sourceName
      ? { sourcePackage: sourceVersion ? { name: sourceName, version: sourceVersion } : { name: sourceName } }
      : {}),
    properties: extraProperties(props),
  };
}

// ---------------------------------------------------------------------------------------------
// SPDX 2.2 / 2.3.

const SPDX2_ALG: Readonly<Record<string, SbomHash["alg"]>> = {
  MD5: "MD5",
  SHA1: "SHA-1",
  SHA256: "SHA-256",
  SHA384: "SHA-384",
  SHA512: "SHA-512",
};

const SPDX2_TYPE: Readonly<Record<string, SbomComponentType>> = {
  LIBRARY: "library",
  APPLICATION: "application",
  FRAMEWORK: "framework",
  OPERATING_SYSTEM: "operating-system",
  FILE: "file",
};

/** `A <type> B` means B depends on A. */
const SPDX2_DEPENDENCY_OF = new Set([
  "DEPENDENCY_OF",
  "RUNTIME_DEPENDENCY_OF",
  "DEV_DEPENDENCY_OF",
  "OPTIONAL_DEPENDENCY_OF",
  "BUILD_DEPENDENCY_OF",
  "TEST_DEPENDENCY_OF",
  "PROVIDED_DEPENDENCY_OF",
]);

/** Dependencies not needed at run time: the model's `dev` scope. */
const NOT_AT_RUNTIME = new Set(["DEV_DEPENDENCY_OF", "TEST_DEPENDENCY_OF", "BUILD_DEPENDENCY_OF"]);

function decodeSpdx2(r: Reader, root: Json): SbomDocument {
  const version = r.string(root, "spdxVersion", ROOT);
  if (!(SPDX2_READ_VERSIONS as readonly string[]).includes(version)) {
    r.fail(
      sub(ROOT, "spdxVersion"),
      `${version.slice(0, 20)} is not supported (reads ${SPDX2_READ_VERSIONS.join(", ")} and SPDX 3.0 JSON-LD)`,
    );
  }
  const creation = r.object(get(root, "creationInfo") ?? {}, sub(ROOT, "creationInfo"));
  const cp: Path = sub(ROOT, "creationInfo");
  const timestamp = r.optString(creation, "created", cp) ?? "";
  const toolText = r
    .strings(creation, "creators", cp)
    .map((c) => /^Tool:\s*(.+)$/.exec(c)?.[1])
    .filter((t): t is string => t !== undefined);
  const tools = toolText.map(toolFrom);
  const tool = tools.find((t) => t.name === "bulwark") ?? tools[0] ?? { name: "", version: "" };
  const catalogers = (/^catalogers: (.*)$/.exec(r.optString(creation, "comment", cp) ?? "")?.[1] ?? "")
    .split(", ")
    .flatMap((c) => parseCataloger(c) ?? []);

  // Free-text licenses we (or others) turned into LicenseRefs: id → name.
  const extracted = new Map<string, string>();
  r.array(root, "hasExtractedLicensingInfos", ROOT).forEach((e, i) => {
    const ep: Path = sub(ROOT, "hasExtractedLicensingInfos", i);
    const info = r.object(e, ep);
    const id = r.string(info, "licenseId", ep);
    const name = r.optString(info, "name", ep);
    if (name) extracted.set(id, name);
  });

  const relationships = r.array(root, "relationships", ROOT).map((v, i) => {
    const rp: Path = sub(ROOT, "relationships", i);
    const rel = r.object(v, rp);
    return {
      from: r.string(rel, "spdxElementId", rp),
      type: r.string(rel, "relationshipType", rp),
      to: r.string(rel, "relatedSpdxElement", rp),
    };
  });
  const described = new Set([
    ...r.strings(root, "documentDescribes", ROOT),
    ...relationships.filter((x) => x.type === "DESCRIBES").map((x) => x.to),
    ...relationships.filter((x) => x.type === "DESCRIBED_BY").map((x) => x.from),
  ]);

  const packages = r.array(root, "packages", ROOT).map((v, i) => {
    const path: Path = sub(ROOT, "packages", i);
    const p = r.object(v, path);
    return { p, path, id: r.string(p, "SPDXID", path), name: r.string(p, "name", path) };
  });
  const subjectPackage = packages.find((x) => described.has(x.id));
  let distro: SbomSubject["distro"] | undefined;
  const drafts: Draft[] = [];
  for (const { p, path, id, name } of packages) {
    if (id === subjectPackage?.id) continue;
    const purl = spdx2Purl(r, p, path);
    const purpose = r.optString(p, "primaryPackagePurpose", path);
    const version = r.optString(p, "versionInfo", path) ?? "";
    if (purpose === "OPERATING_SYSTEM" && purl === "" && distro === undefined) {
      const prettyName = r.optString(p, "description", path);
      distro = {
        id: name,
        ...(version ? { versionId: version } : {}),
        ...(prettyName ? { prettyName } : {}),
      };
      continue;
    }
    const declared = r.optString(p, "licenseDeclared", path);
    const concluded = r.optString(p, "licenseConcluded", path);
    const license = [declared, concluded].find(
      (l) => l !== undefined && l !== "NOASSERTION" && l !== "NONE" && l.trim() !== "",
    );
    const hashes: SbomHash[] = [];
    r.array(p, "checksums", path).forEach((c, i) => {
      const hp: Path = sub(path, "checksums", i);
      const checksum = r.object(c, hp);
      const alg = SPDX2_ALG[r.string(checksum, "algorithm", hp)];
      const value = r.string(checksum, "checksumValue", hp);
      if (alg) hashes.push({ alg, content: value.toLowerCase() });
    });
    const sourcePackage = sourcePackageFrom(r.optString(p, "sourceInfo", path));
    drafts.push({
      key: id,
      type: SPDX2_TYPE[purpose ?? ""] ?? "library",
      name,
      version,
      purl,
      licenses: license ? [extracted.get(license.trim()) ?? license.trim()] : [],
      hashes,
      locations: [],
      foundBy: [],
      ...(sourcePackage ? { sourcePackage } : {}),
      properties: {},
    });
  }

  const draftByKey = new Map(drafts.map((d) => [d.key, d]));
  const edges: { from: string; to: string }[] = [];
  for (const rel of relationships) {
    if (rel.type === "DEPENDS_ON") edges.push({ from: rel.from, to: rel.to });
    else if (SPDX2_DEPENDENCY_OF.has(rel.type)) edges.push({ from: rel.to, to: rel.from });
    const d = draftByKey.get(rel.from);
    if (d && NOT_AT_RUNTIME.has(rel.type)) d.scope = "dev";
    else if (
      d &&
      (rel.type === "OPTIONAL_DEPENDENCY_OF" || rel.type === "OPTIONAL_COMPONENT_OF") &&
      d.scope !== "dev"
    ) {
      d.scope = "optional";
    }
  }

  let subject: SbomSubject;
  if (subjectPackage) {
    const { p, path, name } = subjectPackage;
    const purpose = r.optString(p, "primaryPackagePurpose", path);
    const sha256 = r
      .array(p, "checksums", path)
      .map((c, i) => r.object(c, sub(path, "checksums", i)))
      .find((c) => get(c, "algorithm") === "SHA256");
    const hex =
      sha256 && typeof get(sha256, "checksumValue") === "string"
        ? (get(sha256, "checksumValue") as string)
        : "";
    subject = subjectFromFacts(
      factsFromComment(r.optString(p, "comment", path)),
      {
        type: purpose === "CONTAINER" ? "image" : purpose === "FILE" ? "file" : "directory",
        name,
        ...(hex ? { digest: `sha256:${hex.toLowerCase()}` } : {}),
      },
      distro,
    );
  } else {
    subject = { type: "file", name: r.optString(root, "name", ROOT) ?? "", ...(distro ? { distro } : {}) };
  }

  const issues = r
    .array(root, "annotations", ROOT)
    .map(
      (a, i) =>
        r.optString(r.object(a, sub(ROOT, "annotations", i)), "comment", sub(ROOT, "annotations", i)) ?? "",
    )
    .filter((c) => c.startsWith(SPDX_ISSUE_PREFIX))
    .map((c) => parseIssue(c.slice(SPDX_ISSUE_PREFIX.length)));

  return finish(
    {
      serialNumber: serialFrom(r.optString(root, "documentNamespace", ROOT)),
      timestamp,
      tool,
      catalogers,
      subject,
    },
    drafts,
    edges,
    issues,
  );
}

function spdx2Purl(r: Reader, p: Json, path: Path): string {
  for (const [i, v] of r.array(p, "externalRefs", path).entries()) {
    const rp: Path = sub(path, "externalRefs", i);
    const ref = r.object(v, rp);
    const category = r.string(ref, "referenceCategory", rp);
    const type = r.string(ref, "referenceType", rp);
    const locator = r.string(ref, "referenceLocator", rp);
    // 2.2 wrote the category with an underscore, 2.3 with a hyphen.
    if ((category === "PACKAGE-MANAGER" || category === "PACKAGE_MANAGER") && type === "purl") return locator;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// SPDX 3.0.x JSON-LD.

function spdx3ContextVersion(context: unknown): string | undefined {
  const contexts = Array.isArray(context) ? context : [context];
  for (const c of contexts) {
    if (typeof c !== "string") continue;
    const m = /^https?:\/\/spdx\.org\/rdf\/(3\.0\.\d+)\/spdx-context\.jsonld$/.exec(c);
    if (m) return m[1];
  }
  return undefined;
}

const SPDX3_ALG: Readonly<Record<string, SbomHash["alg"]>> = {
  md5: "MD5",
  sha1: "SHA-1",
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

const SPDX3_TYPE: Readonly<Record<string, SbomComponentType>> = {
  library: "library",
  application: "application",
  framework: "framework",
  operatingSystem: "operating-system",
  file: "file",
  container: "application",
  executable: "application",
  module: "library",
};

const LISTED_LICENSE_IRI = /^https?:\/\/spdx\.org\/licenses\/([A-Za-z0-9.+-]+)$/;

interface Spdx3Element {
  readonly o: Json;
  readonly path: Path;
  readonly type: string;
  readonly id: string;
}

function decodeSpdx3(r: Reader, root: Json): SbomDocument {
  if (spdx3ContextVersion(get(root, "@context")) === undefined) {
    r.fail(
      sub(ROOT, "@context"),
      `must be the SPDX 3.0 context (${"https://spdx.org/rdf/3.0.1/spdx-context.jsonld"})`,
    );
  }
  const graph: { value: unknown; path: Path }[] =
    get(root, "@graph") !== undefined
      ? r.array(root, "@graph", ROOT).map((value, i) => ({ value, path: sub(ROOT, "@graph", i) }))
      : [{ value: root, path: ROOT }];
  const elements: Spdx3Element[] = graph.map(({ value, path }) => {
    const o = r.object(value, path);
    const type =
      r.optString(o, "type", path) ??
      r.optString(o, "@type", path) ??
      r.fail(sub(path, "type"), "is required");
    const id = r.optString(o, "spdxId", path) ?? r.optString(o, "@id", path) ?? "";
    return { o, path, type, id };
  });
  const byId = new Map(elements.filter((e) => e.id !== "").map((e) => [e.id, e]));
  const ofType = (type: string) => elements.filter((e) => e.type === type);

  const creation = ofType("CreationInfo")[0];
  const timestamp = creation ? (r.optString(creation.o, "created", creation.path) ?? "") : "";
  const toolIds = creation ? r.strings(creation.o, "createdUsing", creation.path) : [];
  const tools = toolIds
    .map((id) => byId.get(id))
    .filter((e): e is Spdx3Element => e?.type === "Tool")
    .map((e) => toolFrom(r.optString(e.o, "name", e.path) ?? ""));
  const tool = tools.find((t) => t.name === "bulwark") ?? tools[0] ?? { name: "", version: "" };
  const document = ofType("SpdxDocument")[0];

  const relationships = elements
    .filter((e) => e.type === "Relationship" || e.type === "LifecycleScopedRelationship")
    .map((e) => ({
      from: r.string(e.o, "from", e.path),
      type: r.string(e.o, "relationshipType", e.path),
      to: r.strings(e.o, "to", e.path),
      scope: r.optString(e.o, "scope", e.path),
    }));
  // License relationships by type and source, so each package finds its own without a scan.
  const licensed = new Map<string, string[]>();
  for (const x of relationships) {
    if (x.type !== "hasDeclaredLicense" && x.type !== "hasConcludedLicense") continue;
    const key = `${x.type}\u0000${x.from}`;
    const list = licensed.get(key) ?? [];
    for (const to of x.to) list.push(to);
    licensed.set(key, list);
  }
  const sbom = ofType("software_Sbom")[0];
  const roots = sbom ? r.strings(sbom.o, "rootElement", sbom.path) : [];
  const describedIds = [
    ...roots,
    ...relationships.filter((x) => x.type === "describes").flatMap((x) => x.to),
  ];
  const subjectElement = describedIds.map((id) => byId.get(id)).find((e) => e?.type === "software_Package");

  const licenseText = (id: string): string | undefined => {
    const listed = LISTED_LICENSE_IRI.exec(id);
    if (listed) return listed[1];
    const e = byId.get(id);
    if (e?.type !== "simplelicensing_LicenseExpression") return undefined;
    const expression = r.string(e.o, "simplelicensing_licenseExpression", e.path).trim();
    // A lone LicenseRef made for free text: give back the text.
    for (const [i, v] of r.array(e.o, "simplelicensing_customIdToUri", e.path).entries()) {
      const dp: Path = sub(e.path, "simplelicensing_customIdToUri", i);
      const entry = r.object(v, dp);
      const target = byId.get(r.optString(entry, "value", dp) ?? "");
      if (
        r.string(entry, "key", dp) === expression &&
        target?.type === "simplelicensing_SimpleLicensingText"
      ) {
        return r.optString(target.o, "name", target.path) ?? expression;
      }
    }
    return expression === "NOASSERTION" || expression === "NONE" || expression === ""
      ? undefined
      : expression;
  };

  let distro: SbomSubject["distro"] | undefined;
  const drafts: Draft[] = [];
  for (const e of ofType("software_Package")) {
    if (e === subjectElement) continue;
    const { o, path } = e;
    const name = r.optString(o, "name", path) ?? "";
    const version = r.optString(o, "software_packageVersion", path) ?? "";
    let purl = r.optString(o, "software_packageUrl", path) ?? "";
    for (const [i, v] of r.array(o, "externalIdentifier", path).entries()) {
      const xp: Path = sub(path, "externalIdentifier", i);
      const x = r.object(v, xp);
      if (purl === "" && r.optString(x, "externalIdentifierType", xp) === "packageUrl")
        purl = r.string(x, "identifier", xp);
    }
    const purpose = r.optString(o, "software_primaryPurpose", path);
    if (purpose === "operatingSystem" && purl === "" && distro === undefined) {
      const prettyName = r.optString(o, "description", path);
      distro = {
        id: name,
        ...(version ? { versionId: version } : {}),
        ...(prettyName ? { prettyName } : {}),
      };
      continue;
    }
    const hashes: SbomHash[] = [];
    r.array(o, "verifiedUsing", path).forEach((v, i) => {
      const hp: Path = sub(path, "verifiedUsing", i);
      const h = r.object(v, hp);
      if ((get(h, "type") ?? get(h, "@type")) !== "Hash") return;
      const alg = SPDX3_ALG[r.string(h, "algorithm", hp)];
      const value = r.string(h, "hashValue", hp);
      if (alg) hashes.push({ alg, content: value.toLowerCase() });
    });
    const declared = licensed.get(`hasDeclaredLicense\u0000${e.id}`) ?? [];
    const concluded = licensed.get(`hasConcludedLicense\u0000${e.id}`) ?? [];
    const licenses = (declared.length > 0 ? declared : concluded).flatMap((id) => licenseText(id) ?? []);
    const sourcePackage = sourcePackageFrom(r.optString(o, "software_sourceInfo", path));
    drafts.push({
      key: e.id,
      type: SPDX3_TYPE[purpose ?? ""] ?? "library",
      name,
      version,
      purl,
      licenses,
      hashes,
      locations: [],
      foundBy: [],
      ...(sourcePackage ? { sourcePackage } : {}),
      properties: {},
    });
  }

  const draftByKey = new Map(drafts.map((d) => [d.key, d]));
  const edges: { from: string; to: string }[] = [];
  for (const rel of relationships) {
    if (rel.type === "dependsOn") for (const to of rel.to) edges.push({ from: rel.from, to });
    const scope =
      rel.type === "dependsOn" && ["development", "test", "build"].includes(rel.scope ?? "")
        ? "dev"
        : rel.type === "hasOptionalDependency"
          ? "optional"
          : undefined;
    if (!scope) continue;
    for (const to of rel.to) {
      const d = draftByKey.get(to);
      if (d && d.scope !== "dev") d.scope = scope;
    }
  }

  let subject: SbomSubject;
  if (subjectElement) {
    const { o, path } = subjectElement;
    const purpose = r.optString(o, "software_primaryPurpose", path);
    const sha256 = r
      .array(o, "verifiedUsing", path)
      .map((v, i) => r.object(v, sub(path, "verifiedUsing", i)))
      .find((h) => get(h, "algorithm") === "sha256" && typeof get(h, "hashValue") === "string");
    subject = subjectFromFacts(
      factsFromComment(r.optString(o, "comment", path)),
      {
        type:
          purpose === "container"
            ? "image"
            : purpose === "file"
              ? "file"
              : purpose === "filesystemImage"
                ? "rootfs"
                : "directory",
        name: r.optString(o, "name", path) ?? "",
        ...(sha256 ? { digest: `sha256:${(get(sha256, "hashValue") as string).toLowerCase()}` } : {}),
      },
      distro,
    );
  } else {
    const name = document ? (r.optString(document.o, "name", document.path) ?? "") : "";
    subject = { type: "file", name, ...(distro ? { distro } : {}) };
  }

  const issues = ofType("Annotation")
    .map((a) => r.optString(a.o, "statement", a.path) ?? "")
    .filter((s) => s.startsWith(SPDX_ISSUE_PREFIX))
    .map((s) => parseIssue(s.slice(SPDX_ISSUE_PREFIX.length)));

  return finish(
    { serialNumber: serialFrom(document?.id), timestamp, tool, catalogers: [], subject },
    drafts,
    edges,
    issues,
  );
}

// ---------------------------------------------------------------------------------------------
// Positions: where a JSON syntax error is, and where the value at a path starts.

const WS = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Scans a string starting at `i` (on the quote); returns the index after it, or an error. */
function scanString(text: string, i: number): number | { offset: number; message: string } {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return { offset: j, message: "control character in a string" };
    if (c === 0x5c) {
      const e = text[j + 1];
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6)))
          return { offset: j, message: "bad \\u escape" };
        j += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
        j++;
      } else {
        return { offset: j, message: "bad escape in a string" };
      }
    }
  }
  return { offset: text.length, message: "unterminated string" };
}

/**
 * The first JSON syntax error in `text` (offset and a short message), or undefined when it is
 * valid. Iterative, so nesting depth cannot overflow the stack. Only used to locate an error
 * JSON.parse reported, whose messages lack positions on some Node versions.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const stack: string[] = [];
  let state: "value" | "valueOrClose" | "key" | "keyOrClose" | "colon" | "after" = "value";
  let i = 0;
  for (;;) {
    while (i < text.length && WS.has(text[i]!)) i++;
    if (i >= text.length) {
      return state === "after" && stack.length === 0
        ? undefined
        : { offset: i, message: "unexpected end of input" };
    }
    const ch = text[i]!;
    switch (state) {
      case "value":
      case "valueOrClose": {
        if (state === "valueOrClose" && ch === "]") {
          stack.pop();
          i++;
          state = "after";
        } else if (ch === "{") {
          stack.push("}");
          i++;
          state = "keyOrClose";
        } else if (ch === "[") {
          stack.push("]");
          i++;
          state = "valueOrClose";
        } else if (ch === '"') {
          const end = scanString(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = "after";
        } else {
          const literal = ["true", "false", "null"].find((l) => text.startsWith(l, i));
          NUMBER.lastIndex = i;
          const number = literal === undefined ? NUMBER.exec(text) : null;
          if (literal === undefined && !number)
            return { offset: i, message: `unexpected character ${JSON.stringify(ch)}` };
          i += literal?.length ?? number![0].length;
          state = "after";
        }
        break;
      }
      case "key":
      case "keyOrClose": {
        if (state === "keyOrClose" && ch === "}") {
          stack.pop();
          i++;
          state = "after";
          break;
        }
        if (ch !== '"') return { offset: i, message: "expected a property name in double quotes" };
        const end = scanString(text, i);
        if (typeof end !== "number") return end;
        i = end;
        state = "colon";
        break;
      }
      case "colon":
        if (ch !== ":") return { offset: i, message: "expected ':' after a property name" };
        i++;
        state = "value";
        break;
      case "after": {
        const close = stack.at(-1);
        if (close === undefined) return { offset: i, message: "unexpected content after the JSON value" };
        if (ch === ",") {
          i++;
          state = close === "}" ? "key" : "value";
        } else if (ch === close) {
          stack.pop();
          i++;
        } else {
          return { offset: i, message: `expected ',' or '${close}'` };
        }
        break;
      }
    }
  }
}

/** Index just past the JSON value starting at `i` in valid JSON (no recursion). */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') {
    const end = scanString(text, i);
    return typeof end === "number" ? end : text.length;
  }
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') {
        const end = scanString(text, j);
        if (typeof end !== "number") return text.length;
        j = end - 1;
      } else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !WS.has(text[j]!) && !",]}".includes(text[j]!)) j++;
  return j;
}

/**
 * Offset where the value at `path` starts in valid JSON text, or undefined if the path is not
 * there. A repeated key is found at its first occurrence (JSON.parse keeps the last): good enough
 * to point a reader at the place, and it keeps the search linear in the text.
 */
function locateValue(text: string, path: readonly (string | number)[]): number | undefined {
  const skipWs = (i: number) => {
    while (i < text.length && WS.has(text[i]!)) i++;
    return i;
  };
  let pos = skipWs(0);
  for (const seg of path) {
    const open = text[pos];
    if (open === "{" && typeof seg === "string") {
      let found: number | undefined;
      let i = skipWs(pos + 1);
      while (text[i] === '"') {
        const keyEnd = scanString(text, i);
        if (typeof keyEnd !== "number") return undefined;
        let key: unknown;
        try {
          key = JSON.parse(text.slice(i, keyEnd));
        } catch {
          return undefined;
        }
        const valueStart = skipWs(skipWs(keyEnd) + 1);
        if (key === seg) {
          found = valueStart;
          break;
        }
        i = skipWs(skipValue(text, valueStart));
        if (text[i] !== ",") break;
        i = skipWs(i + 1);
      }
      if (found === undefined) return undefined;
      pos = found;
    } else if (open === "[" && typeof seg === "number") {
      let i = skipWs(pos + 1);
      for (let n = 0; n < seg; n++) {
        if (text[i] === "]") return undefined;
        i = skipWs(skipValue(text, i));
        if (text[i] !== ",") return undefined;
        i = skipWs(i + 1);
      }
      if (text[i] === "]" || i >= text.length) return undefined;
      pos = i;
    } else {
      return undefined;
    }
  }
  return pos;
}
