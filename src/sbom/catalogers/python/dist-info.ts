import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage } from "../../model.js";
import type { FileEntry, FileSource } from "../../source.js";
import { isSpdxExpression, LICENSE_CLASSIFIERS } from "./licenses.js";
import { basename, dirname, groupToRead, issueFactory, locationOf, tryReadText } from "../shared/index.js";
import { type Draft, finish, normalizePythonName, PYPI, pypiPurl } from "./shared.js";

const NAME = "python/installed";

/**
 * Installed Python distributions: `*.dist-info/METADATA` (wheels, PEP 376/627) and
 * `*.egg-info/PKG-INFO` or a single `*.egg-info` file (setuptools). Core metadata:
 * https://packaging.python.org/en/latest/specifications/core-metadata/.
 *
 * Edges (`Requires-Dist`) join distributions installed in the same directory, and refs only
 * mean something inside one result, so one call catalogs a whole install directory: the call for
 * its first metadata file (in path order) reads every sibling, and the calls for the others
 * return nothing. `applies` also accepts `*.dist-info/RECORD` so that sources filtered by
 * `applies` list it; a call for RECORD itself returns nothing. Requirements only needed for an
 * extra (`; extra == "socks"`) are not edges; other markers are ignored (the target is either
 * installed or not).
 *
 * RECORD lists a hash per installed file but none for the distribution, so no package hash is
 * taken from it (a hash of METADATA would identify nothing a consumer could check); the number
 * of files it lists is kept as `python:record-files`.
 */
export const installedPythonCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: PYPI,
  targets: ["rootfs", "image"],
  applies: (entry) => metadataKind(entry.path) !== undefined || isRecordPath(entry.path),
  async catalog(entry, ctx) {
    if (metadataKind(entry.path) === undefined) return { packages: [] };
    const members = groupToRead(entry, installDirectories(ctx.source).get(installSite(entry.path).site));
    if (!members) return { packages: [] };
    const read = (path: string) => tryReadText((p) => ctx.source.readText(p), path);
    const docs: InstalledDocument[] = [];
    const issues: CatalogIssue[] = [];
    for (const member of members) {
      ctx.signal?.throwIfAborted();
      const text = await read(member.path);
      if ("error" in text) {
        issues.push(issueFactory(NAME, member)(`cannot read: ${text.error}`));
        continue;
      }
      let recordFiles: number | undefined;
      if (metadataKind(member.path) === "dist-info") {
        const record = await read(`${dirname(member.path)}/RECORD`);
        // RECORD is optional (and absent from sources that list only metadata).
        if ("text" in record) recordFiles = record.text.split(/\r?\n/).filter((l) => l.trim() !== "").length;
      }
      docs.push({ entry: member, text: text.text, ...(recordFiles === undefined ? {} : { recordFiles }) });
    }
    const result = parseInstalledDirectory(docs);
    issues.push(...(result.issues ?? []));
    return issues.length > 0 ? { packages: result.packages, issues } : { packages: result.packages };
  },
};

type MetadataKind = "dist-info" | "egg-info" | "egg-info-file";

function metadataKind(path: string): MetadataKind | undefined {
  const base = basename(path);
  const parent = basename(dirname(path));
  if (base === "METADATA" && parent.endsWith(".dist-info")) return "dist-info";
  if (base === "PKG-INFO" && parent.endsWith(".egg-info")) return "egg-info";
  // distutils and old setuptools install the metadata as a file named like the directory.
  if (base.endsWith(".egg-info") && /(?:^|\/)(?:site|dist)-packages$/.test(dirname(path)))
    return "egg-info-file";
  return undefined;
}

function isRecordPath(path: string): boolean {
  return basename(path) === "RECORD" && basename(dirname(path)).endsWith(".dist-info");
}

/** The directory the distribution is installed in (e.g. `…/site-packages`). */
function installSite(path: string): { site: string } {
  const metaPath = metadataKind(path) === "egg-info-file" ? path : dirname(path);
  return { site: dirname(metaPath) };
}

/** Metadata files by install directory, in path order; computed once per source. */
const directoriesBySource = new WeakMap<FileSource, Map<string, FileEntry[]>>();

function installDirectories(source: FileSource): Map<string, FileEntry[]> {
  let bySite = directoriesBySource.get(source);
  if (!bySite) {
    bySite = new Map();
    for (const f of source.files()) {
      if (metadataKind(f.path) === undefined) continue;
      const { site } = installSite(f.path);
      bySite.set(site, [...(bySite.get(site) ?? []), f]);
    }
    directoriesBySource.set(source, bySite);
  }
  return bySite;
}

/** One metadata file of an install directory, read. */
export interface InstalledDocument {
  readonly entry: FileEntry;
  readonly text: string;
  /** Lines of the RECORD beside a METADATA, when there is one. */
  readonly recordFiles?: number;
}

/** Catalogs the metadata files of one install directory, with the edges between them. */
export function parseInstalledDirectory(docs: readonly InstalledDocument[]): CatalogResult {
  const issues: CatalogIssue[] = [];
  const parsed: { pkg: Draft; requires: string[] }[] = [];
  const refs = new Map<string, string>();
  for (const doc of docs) {
    const one = parseInstalledMetadata(doc.text, doc.entry);
    issues.push(...(one.issues ?? []));
    if (!one.package) continue;
    const pkg: Draft = { ...one.package };
    let ref = pkg.name;
    for (let n = 2; [...refs.values()].includes(ref); n++) ref = `${pkg.name}#${n}`;
    pkg.ref = ref;
    if (!refs.has(pkg.name)) refs.set(pkg.name, ref);
    if (doc.recordFiles !== undefined)
      pkg.properties = { ...pkg.properties, "python:record-files": String(doc.recordFiles) };
    parsed.push({ pkg, requires: one.requires });
  }
  const packages = parsed.map(({ pkg, requires }) => {
    const dependsOn = [...new Set(requires.flatMap((r) => refs.get(r) ?? []))]
      .filter((r) => r !== pkg.ref)
      .sort();
    return finish({ ...pkg, dependsOn });
  });
  return issues.length > 0 ? { packages, issues } : { packages };
}

/** Core-metadata headers (RFC 822 style): repeated fields keep every value, in order. */
export function parseHeaders(text: string): {
  headers: Map<string, string[]>;
  bad: { line: number; text: string }[];
} {
  const headers = new Map<string, string[]>();
  const bad: { line: number; text: string }[] = [];
  let last: { key: string; index: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // The description body follows the first empty line; a line of only spaces continues a field.
    if (line === "") break;
    if (/^[ \t]/.test(line)) {
      if (!last) {
        bad.push({ line: i + 1, text: line });
        continue;
      }
      const values = headers.get(last.key)!;
      values[last.index] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0 || !/^[A-Za-z0-9-]+$/.test(line.slice(0, colon))) {
      bad.push({ line: i + 1, text: line });
      last = undefined;
      continue;
    }
    const key = line.slice(0, colon).toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return { headers, bad };
}

/**
 * One metadata file: the package (without edges) and the normalised names it requires outside
 * extras. Undefined package when Name or Version is missing.
 */
export function parseInstalledMetadata(
  text: string,
  entry: FileEntry,
): { package?: FoundPackage; requires: string[]; issues?: CatalogIssue[] } {
  const issue = issueFactory(NAME, entry);
  const issues: CatalogIssue[] = [];
  const { headers, bad } = parseHeaders(text);
  for (const b of bad.slice(0, 5))
    issues.push(issue(`not a metadata header: ${JSON.stringify(b.text.slice(0, 80))}`, b.line, 1));
  const first = (key: string) => headers.get(key)?.[0];

  const rawName = first("name");
  const version = first("version");
  if (!rawName || !version) {
    issues.push(issue(`metadata without ${rawName ? "Version" : "Name"}; no package`));
    return { requires: [], issues };
  }
  const name = normalizePythonName(rawName);
  const purl = pypiPurl(name, version);
  if (!purl) {
    issues.push(issue(`cannot build a package URL for ${rawName} ${version}`));
    return { requires: [], issues };
  }

  const properties: Record<string, string> = {};
  const licenses = licensesOf(headers, properties, (m) => issues.push(issue(m)));
  const requires: string[] = [];
  for (const req of headers.get("requires-dist") ?? []) {
    const [spec, marker = ""] = req.split(";", 2);
    if (/\bextra\s*==/.test(marker)) continue;
    const m = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(spec!);
    if (m) requires.push(normalizePythonName(m[1]!));
    else issues.push(issue(`cannot parse Requires-Dist ${JSON.stringify(req)}`));
  }
  const metadataVersion = first("metadata-version");
  if (metadataVersion) properties["python:metadata-version"] = metadataVersion;

  const pkg = finish({
    ref: name,
    name,
    version,
    purl,
    ecosystem: PYPI,
    type: "library",
    licenses,
    locations: [locationOf(entry)],
    properties,
  });
  return issues.length > 0 ? { package: pkg, requires, issues } : { package: pkg, requires };
}

/**
 * `License-Expression` (core metadata 2.4) when present; otherwise `License` if it is an SPDX
 * expression, and the classifiers that name one SPDX license. A `License` that is not SPDX (often
 * the whole license text) is kept, shortened, as `python:license`.
 */
function licensesOf(
  headers: Map<string, string[]>,
  properties: Record<string, string>,
  report: (message: string) => void,
): string[] {
  const expression = headers.get("license-expression")?.[0];
  if (expression !== undefined) {
    if (isSpdxExpression(expression)) return [expression];
    report(`License-Expression ${JSON.stringify(expression.slice(0, 80))} is not a valid SPDX expression`);
    properties["python:license-expression"] = expression.slice(0, 200);
    return [];
  }
  const out: string[] = [];
  const license = headers.get("license")?.[0];
  if (license !== undefined && license !== "" && license.toUpperCase() !== "UNKNOWN") {
    if (isSpdxExpression(license)) out.push(license);
    else properties["python:license"] = shorten(license);
  }
  for (const classifier of headers.get("classifier") ?? []) {
    const id = LICENSE_CLASSIFIERS[classifier.trim()];
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

function shorten(text: string): string {
  const firstLine = text.split("\n", 1)[0]!.trim();
  return firstLine.length > 120 ? `${firstLine.slice(0, 117)}...` : firstLine;
}
