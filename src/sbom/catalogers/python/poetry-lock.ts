import type { Limits } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash, PackageScope } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { isRecord, issueFactory, locationOf, lockfileCataloger } from "../shared/index.js";
import {
  addHashes,
  type Draft,
  finish,
  normalizePythonName,
  nthLineMatching,
  parseHash,
  PYPI,
  pypiPurl,
  stringOf,
} from "./shared.js";
import { parseToml } from "./toml.js";

const NAME = "python/poetry-lock";

/**
 * Poetry lock files (https://python-poetry.org/docs/basic-usage/#installing-with-poetrylock).
 * Every lock version is read: 1.x keeps hashes under `[metadata.files]` and the scope in
 * `category`; 2.0 (Poetry 1.5–1.8) records neither group nor category, so scope is left unset;
 * 2.1 (Poetry 2) lists `groups`.
 */
export const poetryLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: PYPI,
  fileName: "poetry.lock",
  parse: (text, entry, ctx) => parsePoetryLock(text, entry, ctx.limits),
});

const PACKAGE_HEADER = /^\s*\[\[\s*package\s*\]\]/;

export function parsePoetryLock(
  text: string,
  entry: FileEntry,
  limits: Pick<Limits, "maxDepth">,
): CatalogResult {
  const issue = issueFactory(NAME, entry);
  const parsed = parseToml(text, limits);
  if (!parsed.ok)
    return { packages: [], issues: [issue(`invalid TOML: ${parsed.message}`, parsed.line, parsed.column)] };
  const doc = parsed.value;
  const issues: CatalogIssue[] = [];
  const rawPackages = Array.isArray(doc.package) ? doc.package : [];
  if (doc.package !== undefined && !Array.isArray(doc.package))
    issues.push(issue("`package` is not an array of tables"));

  const legacyFiles = isRecord(doc.metadata) && isRecord(doc.metadata.files) ? doc.metadata.files : {};
  const drafts: { draft: Draft; deps: string[] }[] = [];

  rawPackages.forEach((raw: unknown, index: number) => {
    const line = nthLineMatching(text, PACKAGE_HEADER, index);
    if (!isRecord(raw)) return void issues.push(issue("package entry is not a table", line));
    const rawName = stringOf(raw.name);
    const version = stringOf(raw.version);
    if (!rawName || !version) {
      return void issues.push(issue(`package entry without ${rawName ? "version" : "name"}; skipped`, line));
    }
    const name = normalizePythonName(rawName);
    const purl = pypiPurl(name, version);
    if (!purl) return void issues.push(issue(`cannot build a package URL for ${rawName} ${version}`, line));

    const hashes: PackageHash[] = [];
    const files = raw.files ?? legacyFiles[rawName] ?? legacyFiles[name];
    for (const f of Array.isArray(files) ? files : []) {
      const h = isRecord(f) ? stringOf(f.hash) : undefined;
      if (h === undefined) continue;
      const hash = parseHash(h);
      if (hash) addHashes(hashes, [hash]);
      else issues.push(issue(`malformed hash "${h}" for ${rawName}`, line));
    }

    const properties: Record<string, string> = {};
    const markers = markersOf(raw.markers);
    if (markers) properties["python:markers"] = markers;
    const source = sourceOf(raw.source);
    if (source) properties["python:source"] = source;
    const groups = stringList(raw.groups);
    if (groups) properties["python:groups"] = groups.join(",");
    else if (raw.groups !== undefined)
      issues.push(issue(`\`groups\` of ${rawName} is not a list of strings`, line));

    const scope = scopeOf(raw, groups);
    const deps = isRecord(raw.dependencies) ? Object.keys(raw.dependencies).map(normalizePythonName) : [];
    if (raw.dependencies !== undefined && !isRecord(raw.dependencies)) {
      issues.push(issue(`\`dependencies\` of ${rawName} is not a table`, line));
    }

    drafts.push({
      draft: {
        ref: `${name}@${version}`,
        name,
        version,
        purl,
        ecosystem: PYPI,
        type: "library",
        hashes,
        ...(scope ? { scope } : {}),
        locations: [locationOf(entry)],
        properties,
      },
      deps,
    });
  });

  const refsByName = new Map<string, string[]>();
  for (const { draft } of drafts)
    refsByName.set(draft.name, [...(refsByName.get(draft.name) ?? []), draft.ref]);
  const packages: FoundPackage[] = drafts.map(({ draft, deps }) =>
    finish({ ...draft, dependsOn: [...new Set(deps.flatMap((d) => refsByName.get(d) ?? []))] }),
  );
  return issues.length > 0 ? { packages, issues } : { packages };
}

/** `category` (lock 1.x) or `groups` (lock 2.1): dev when the package is not in the main group. */
function scopeOf(raw: Record<string, unknown>, groups: string[] | undefined): PackageScope | undefined {
  const category = stringOf(raw.category);
  let main: boolean;
  if (groups) main = groups.includes("main");
  else if (category) main = category === "main";
  else return raw.optional === true ? "optional" : undefined;
  if (!main) return "dev";
  return raw.optional === true ? "optional" : "required";
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

/** Lock 2.1 writes one marker string, or a table of markers per group. */
function markersOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (!isRecord(value)) return undefined;
  const parts = Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string");
  return parts.length > 0 ? parts.map(([g, m]) => `${g}: ${m}`).join("; ") : undefined;
}

/** A non-registry source (`git`, `url`, `file`, `directory`) as one string; registries are left out. */
function sourceOf(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const type = stringOf(value.type);
  const url = stringOf(value.url);
  if (!type || !url || type === "legacy") return undefined;
  if (type === "git") {
    const ref = stringOf(value.resolved_reference) ?? stringOf(value.reference);
    return `git+${url}${ref ? `@${ref}` : ""}`;
  }
  return type === "url" ? url : `${type}:${url}`;
}
