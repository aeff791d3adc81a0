import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { basename, dirname, issueFactory, locationOf, lockfileCataloger } from "../shared/index.js";
import {
  addHashes,
  finish,
  isPlausibleVersion,
  normalizePythonName,
  parseHash,
  PYPI,
  pypiPurl,
} from "./shared.js";

const NAME = "python/requirements";

/**
 * pip requirements files (https://pip.pypa.io/en/stable/reference/requirements-file-format/).
 * Only exactly pinned requirements (`name==1.2.3`, `name===1.2.3`) are packages: anything looser
 * does not say which version is installed, so it is skipped without an issue. Includes (`-r`,
 * `-c`) are reported as issues and not followed: the included file is catalogued on its own when
 * it is named like a requirements file.
 */
export const requirementsCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: PYPI,
  applies: (entry) => isRequirementsPath(entry.path),
  parse: (text, entry) => parseRequirements(text, entry),
});

/** `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, `requirements/base.txt`. */
export function isRequirementsPath(path: string): boolean {
  const base = basename(path).toLowerCase();
  if (!base.endsWith(".txt")) return false;
  if (/^(?:.*[-_.])?requirements(?:[-_.].*)?\.txt$/.test(base)) return true;
  return basename(dirname(path)).toLowerCase() === "requirements";
}

/** A logical line: physical lines joined at trailing backslashes, as pip joins them. */
interface LogicalLine {
  readonly line: number;
  readonly text: string;
}

const COMMENT = /(^|\s+)#.*$/;

function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pending: string[] = [];
  let first = 0;
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!;
    const isComment = COMMENT.test(raw);
    if (!raw.endsWith("\\") || isComment) {
      // pip ends a continuation at a comment line, keeping the comment so it is stripped later.
      const line = isComment ? ` ${raw}` : raw;
      if (pending.length > 0) {
        out.push({ line: first, text: pending.join("") + line });
        pending = [];
      } else {
        out.push({ line: i + 1, text: line });
      }
    } else {
      if (pending.length === 0) first = i + 1;
      pending.push(raw.slice(0, -1));
    }
  }
  if (pending.length > 0) out.push({ line: first, text: pending.join("") });
  return out;
}

const INCLUDE_OPTIONS: Readonly<Record<string, string>> = {
  "-r": "requirements",
  "--requirement": "requirements",
  "-c": "constraints",
  "--constraint": "constraints",
};

const NAME_AND_REST = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)$/;

export function parseRequirements(text: string, entry: FileEntry): CatalogResult {
  const issue = issueFactory(NAME, entry);
  const issues: CatalogIssue[] = [];
  const packages: FoundPackage[] = [];
  const seen = new Map<string, number>();

  for (const { line, text: logical } of logicalLines(text)) {
    const content = logical.replace(COMMENT, "");
    const trimmed = content.trim();
    if (trimmed === "") continue;
    const column = content.length - content.trimStart().length + 1;

    if (trimmed.startsWith("-")) {
      const include = includeOf(trimmed);
      if (include) {
        issues.push(
          issue(`${include.kind} file "${include.file}" is included; it is not followed`, line, column),
        );
      }
      continue; // -e/--editable, index and build options name no pinned package.
    }

    // pip splits a line into the requirement and its options at the first token starting with "-".
    const tokens = trimmed.split(/\s+/);
    const firstOption = tokens.findIndex((t) => t.startsWith("-"));
    const requirement = (firstOption < 0 ? tokens : tokens.slice(0, firstOption)).join(" ");
    const options = firstOption < 0 ? [] : tokens.slice(firstOption);

    const m = NAME_AND_REST.exec(requirement);
    if (!m) {
      // Paths and URLs (`./pkg.whl`, `git+https://…`) are valid pip lines but name no version.
      if (!/^(?:\.{0,2}\/|[a-z][a-z0-9+.-]*:\/\/|[a-z]:\\)/i.test(requirement)) {
        issues.push(issue(`cannot parse requirement "${requirement}"`, line, column));
      }
      continue;
    }
    const [, rawName, extras, rest] = m;
    const [specifiers, ...markerParts] = rest!.split(";");
    const markers = markerParts.join(";").trim();
    if (specifiers!.trim().startsWith("@")) continue; // `name @ url`: a direct reference, no version.

    const pin = pinnedVersion(specifiers!);
    if (pin === "malformed") {
      issues.push(issue(`malformed version specifier "${specifiers!.trim()}" for ${rawName}`, line, column));
      continue;
    }
    if (pin === undefined) continue;

    const hashes: PackageHash[] = [];
    for (const h of hashOptions(options)) {
      const parsed = parseHash(h);
      if (parsed) addHashes(hashes, [parsed]);
      else issues.push(issue(`malformed hash "${h}" for ${rawName}`, line, column));
    }

    const name = normalizePythonName(rawName!);
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      issues.push(
        issue(`duplicate requirement ${rawName} (first on line ${earlier}); ignored`, line, column),
      );
      continue;
    }
    const purl = pypiPurl(name, pin.version);
    if (!purl) {
      issues.push(issue(`cannot build a package URL for ${rawName}==${pin.version}`, line, column));
      continue;
    }
    seen.set(name, line);

    const properties: Record<string, string> = {};
    if (markers) properties["python:markers"] = markers;
    const extraList = (extras ?? "")
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    if (extraList.length > 0) properties["python:extras"] = extraList.join(",");
    if (pin.operator === "===") properties["python:pin"] = "===";

    packages.push(
      finish({
        ref: `${name}@${pin.version}`,
        name,
        version: pin.version,
        purl,
        ecosystem: PYPI,
        type: "library",
        hashes,
        locations: [locationOf(entry)],
        properties,
      }),
    );
  }
  return issues.length > 0 ? { packages, issues } : { packages };
}

function includeOf(option: string): { kind: string; file: string } | undefined {
  const m = /^(--?[a-z-]+)(?:\s*=\s*|\s+|(?<=^-[rc]))(.*)$/.exec(option);
  if (!m) return undefined;
  const kind = INCLUDE_OPTIONS[m[1]!];
  return kind ? { kind, file: m[2]!.trim() } : undefined;
}

/**
 * The exact version a specifier set pins: one `==`/`===` clause without a wildcard. Other clauses
 * may accompany it (`==1.2,!=1.3` still pins 1.2). Undefined when nothing is pinned.
 */
function pinnedVersion(specifiers: string): { operator: string; version: string } | "malformed" | undefined {
  const clauses = specifiers
    .trim()
    .replace(/^\((.*)\)$/, "$1")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  let pin: { operator: string; version: string } | undefined;
  for (const clause of clauses) {
    const m = /^(===|==|!=|~=|<=|>=|<|>)\s*(\S*)$/.exec(clause);
    if (!m || m[2] === "") return "malformed";
    if (m[1] !== "==" && m[1] !== "===") continue;
    if (m[1] === "==" && m[2]!.includes("*")) return undefined; // `==1.*` is a range.
    if (m[1] === "==" && !isPlausibleVersion(m[2]!)) return "malformed";
    pin ??= { operator: m[1]!, version: m[2]! };
  }
  return pin;
}

/** The values of `--hash=alg:hex` and `--hash alg:hex` options. */
function hashOptions(options: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const opt = options[i]!;
    if (opt.startsWith("--hash=")) out.push(opt.slice("--hash=".length));
    else if (opt === "--hash" && i + 1 < options.length) out.push(options[++i]!);
  }
  return out;
}
