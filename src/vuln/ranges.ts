/**
 * OSV range semantics (OSV schema 1.7, "Evaluation"): whether a version is affected by one
 * `affected[]` entry, and which fixed versions are the nearest upgrade. Pure; the version scheme of
 * the ecosystem is passed in. `GIT` ranges describe commits, not versions, and are skipped with a
 * note; `SEMVER` ranges always use SemVer ordering whatever the ecosystem.
 */
import type { VersionScheme } from "./versions/types.js";

export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface OsvRange {
  readonly type: "ECOSYSTEM" | "SEMVER" | "GIT";
  readonly events: readonly OsvEvent[];
  readonly repo?: string;
}

export interface OsvAffected {
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
}

export interface AffectedResult {
  readonly affected: boolean;
  /** Why: `versions` (listed explicitly) or the index of the matching range. */
  readonly via?: "versions" | number;
  /** Every `fixed` of the ranges that matched, nearest first (for "upgrade to …"). */
  readonly fixedVersions: readonly string[];
  /** Problems met (unparseable bounds, GIT ranges skipped); never silent. */
  readonly notes: readonly string[];
}

type Kind = "introduced" | "fixed" | "last_affected" | "limit";

function kindOf(e: OsvEvent): [Kind, string] {
  if ("introduced" in e) return ["introduced", e.introduced];
  if ("fixed" in e) return ["fixed", e.fixed];
  if ("last_affected" in e) return ["last_affected", e.last_affected];
  return ["limit", e.limit];
}

/**
 * Evaluates `version` against one affected entry. `scheme` orders ECOSYSTEM ranges and `versions`
 * comparisons; `semver` orders SEMVER ranges. An unparseable installed version is compared only
 * against the explicit `versions` list (exact string match), never guessed into a range.
 */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  scheme: VersionScheme,
  semver: VersionScheme,
): AffectedResult {
  const notes: string[] = [];
  const fixed: string[] = [];
  let via: AffectedResult["via"];
  const listed = affected.versions;
  if (listed?.length) {
    // Exact spelling first; then equal-but-differently-spelled versions (`1.0` = `1.0.0` in PyPI).
    if (listed.includes(version)) via = "versions";
    else if (
      scheme.isValid(version) &&
      listed.some((v) => scheme.isValid(v) && scheme.compare(v, version) === 0)
    )
      via = "versions";
  }
  (affected.ranges ?? []).forEach((range, i) => {
    if (range.type === "GIT") {
      notes.push(`range ${i} is a GIT range (commits, not versions): not evaluated`);
      return;
    }
    const s = range.type === "SEMVER" ? semver : scheme;
    if (!s.isValid(version)) {
      notes.push(
        `installed version ${JSON.stringify(version)} is not a valid ${s.name} version: range ${i} not evaluated`,
      );
      return;
    }
    const r = rangeIncludes(version, range, s, notes, i);
    if (r.affected) {
      via ??= i;
      fixed.push(...r.fixed);
    }
  });
  const nearest = [...new Set(fixed)].sort((a, b) =>
    scheme.isValid(a) && scheme.isValid(b) ? scheme.compare(a, b) : a < b ? -1 : 1,
  );
  return {
    affected: via !== undefined,
    ...(via !== undefined ? { via } : {}),
    fixedVersions: via !== undefined ? nearest : [],
    notes,
  };
}

/** The spec's algorithm: walk the events in version order, toggling "vulnerable". */
function rangeIncludes(
  version: string,
  range: OsvRange,
  s: VersionScheme,
  notes: string[],
  index: number,
): { affected: boolean; fixed: string[] } {
  const events: [Kind, string][] = [];
  // `limit: "*"` is infinity: every version is before it, whatever other limits say (BeforeLimits).
  let unlimited = false;
  for (const e of range.events) {
    const [kind, v] = kindOf(e);
    if (kind === "introduced" && v === "0") {
      events.push([kind, v]);
      continue;
    }
    if (kind === "limit" && v.includes("*")) {
      unlimited = true;
      continue;
    }
    if (!s.isValid(v)) {
      notes.push(
        `range ${index}: ${kind} ${JSON.stringify(v)} is not a valid ${s.name} version; event ignored`,
      );
      continue;
    }
    events.push([kind, v]);
  }
  const cmp = (a: string, b: string) => (a === "0" ? (b === "0" ? 0 : -1) : b === "0" ? 1 : s.compare(a, b));
  events.sort(([ka, a], [kb, b]) => cmp(a, b) || order(ka) - order(kb));
  const limits = events.filter(([k]) => k === "limit").map(([, v]) => v);
  if (!unlimited && limits.length && !limits.some((l) => s.compare(version, l) < 0)) {
    return { affected: false, fixed: [] };
  }
  let vulnerable = false;
  let upper: string | undefined;
  for (const [kind, v] of events) {
    if (kind === "introduced" && (v === "0" || s.compare(version, v) >= 0)) {
      vulnerable = true;
      upper = undefined;
    } else if (kind === "fixed" && s.compare(version, v) >= 0) {
      vulnerable = false;
    } else if (kind === "last_affected" && s.compare(version, v) > 0) {
      vulnerable = false;
    } else if (vulnerable && upper === undefined && kind === "fixed") {
      upper = v;
    }
  }
  return { affected: vulnerable, fixed: vulnerable && upper !== undefined ? [upper] : [] };
}

/** Events at the same version: introduced first, so `introduced: X, fixed: X` is an empty range. */
function order(k: Kind): number {
  return { introduced: 0, last_affected: 1, fixed: 2, limit: 3 }[k];
}
