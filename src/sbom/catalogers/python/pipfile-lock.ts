import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash, PackageScope } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { isRecord, issueFactory, lineColumnAt, locationOf, lockfileCataloger } from "../shared/index.js";
import { addHashes, finish, normalizePythonName, parseHash, PYPI, pypiPurl, stringOf } from "./shared.js";

const NAME = "python/pipfile-lock";

/**
 * Pipenv lock files (https://pipenv.pypa.io/en/latest/pipfile.html#pipfile-lock): `default` holds
 * the required packages and `develop` the dev ones; a package in both is required. The lock has
 * no dependency graph, so no edges. Git, path and editable entries carry no version: they are
 * reported as issues, since the SBOM would otherwise miss them silently.
 */
export const pipfileLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: PYPI,
  fileName: "Pipfile.lock",
  parse: (text, entry) => parsePipfileLock(text, entry),
});

const SECTIONS = [
  ["default", "required"],
  ["develop", "dev"],
] as const satisfies readonly (readonly [string, PackageScope])[];

export function parsePipfileLock(text: string, entry: FileEntry): CatalogResult {
  const issue = issueFactory(NAME, entry);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /position (\d+)/.exec(message);
    const loc = at ? lineColumnAt(text, Number(at[1])) : undefined;
    return { packages: [], issues: [issue(`invalid JSON: ${message}`, loc?.line, loc?.column)] };
  }
  if (!isRecord(doc))
    return { packages: [], issues: [issue("not a Pipfile.lock: the top level is not an object")] };

  const issues: CatalogIssue[] = [];
  const byName = new Map<string, FoundPackage>();
  for (const [section, scope] of SECTIONS) {
    const entries = doc[section];
    if (entries === undefined) continue;
    const sectionAt = text.indexOf(`"${section}"`);
    const locate = (key: string) => {
      const at = text.indexOf(JSON.stringify(key), Math.max(sectionAt, 0));
      return at < 0 ? undefined : lineColumnAt(text, at);
    };
    if (!isRecord(entries)) {
      const loc = sectionAt < 0 ? undefined : lineColumnAt(text, sectionAt);
      issues.push(issue(`\`${section}\` is not an object`, loc?.line, loc?.column));
      continue;
    }
    for (const [rawName, raw] of Object.entries(entries)) {
      const loc = locate(rawName);
      const report = (message: string) => issues.push(issue(message, loc?.line, loc?.column));
      if (!isRecord(raw)) {
        report(`entry ${rawName} is not an object`);
        continue;
      }
      const spec = stringOf(raw.version);
      if (spec === undefined) {
        const kind = ["git", "path", "file"].find((k) => typeof raw[k] === "string") ?? "unversioned";
        report(`${rawName} (${kind}) has no version; not catalogued`);
        continue;
      }
      const m = /^===?\s*(\S+)$/.exec(spec);
      if (!m) {
        report(`${rawName} has version "${spec}", not an exact pin; not catalogued`);
        continue;
      }
      const version = m[1]!;
      const name = normalizePythonName(rawName);
      const earlier = byName.get(name);
      if (earlier) continue; // `default` comes first: a package in both is required.
      const purl = pypiPurl(name, version);
      if (!purl) {
        report(`cannot build a package URL for ${rawName} ${version}`);
        continue;
      }

      const hashes: PackageHash[] = [];
      if (raw.hashes !== undefined && !Array.isArray(raw.hashes))
        report(`\`hashes\` of ${rawName} is not a list`);
      for (const h of Array.isArray(raw.hashes) ? raw.hashes : []) {
        const hash = typeof h === "string" ? parseHash(h) : undefined;
        if (hash) addHashes(hashes, [hash]);
        else report(`malformed hash ${JSON.stringify(h)} for ${rawName}`);
      }
      const properties: Record<string, string> = {};
      const markers = stringOf(raw.markers);
      if (markers) properties["python:markers"] = markers;
      if (
        Array.isArray(raw.extras) &&
        raw.extras.every((e) => typeof e === "string") &&
        raw.extras.length > 0
      ) {
        properties["python:extras"] = raw.extras.join(",");
      }
      const index = stringOf(raw.index);
      if (index) properties["python:index"] = index;

      byName.set(
        name,
        finish({
          ref: `${name}@${version}`,
          name,
          version,
          purl,
          ecosystem: PYPI,
          type: "library",
          hashes,
          scope,
          locations: [locationOf(entry)],
          properties,
        }),
      );
    }
  }
  const packages = [...byName.values()];
  return issues.length > 0 ? { packages, issues } : { packages };
}
