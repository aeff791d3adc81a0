/**
 * An independent reading of the OSV schema's evaluation pseudo-code
 * (https://ossf.github.io/osv-schema/#evaluation, `IsVulnerable`, `IncludedInVersions`,
 * `IncludedInRanges`, `BeforeLimits`), for the matching tests to hold the matcher against. It
 * shares no code with `src/vuln`: the version order comes from outside (node-semver, a PEP 440
 * subset written here, or the real `dpkg --compare-versions`), and so does the rule for "is this
 * `affected[].package` the installed package".
 */
import semver from "semver";

/** A version order as the oracle needs it. `compare` MUST throw outside its domain. */
export interface OracleOrder {
  readonly name: string;
  valid(v: string): boolean;
  compare(a: string, b: string): number;
}

/** The parts of an OSV record the evaluation reads, as published (nothing validated away). */
export interface OracleRecord {
  readonly id: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly affected?: readonly {
    readonly package?: { readonly ecosystem: string; readonly name: string };
    readonly ranges?: readonly {
      readonly type: string;
      readonly events: readonly Record<string, string>[];
    }[];
    readonly versions?: readonly string[];
  }[];
}

export interface OracleQuery {
  /** The version the records speak of (the source package's, for Debian). */
  readonly version: string;
  /** `IsVulnerable`'s `affected.package == pkg`, which depends on the ecosystem's naming rules. */
  readonly isPackage: (p: { readonly ecosystem: string; readonly name: string }) => boolean;
  /** The order of a range type (`ECOSYSTEM`, `SEMVER`); undefined where it cannot be evaluated (`GIT`). */
  readonly orderOf: (rangeType: string) => OracleOrder | undefined;
}

/** `IsVulnerable`. Withdrawn records affect nothing. */
export function isVulnerable(record: OracleRecord, q: OracleQuery): boolean {
  if (record.withdrawn) return false;
  for (const affected of record.affected ?? []) {
    if (!affected.package || !q.isPackage(affected.package)) continue;
    if (includedInVersions(q.version, affected.versions ?? [], q.orderOf("ECOSYSTEM"))) return true;
    if (includedInRanges(q.version, affected.ranges ?? [], q.orderOf)) return true;
  }
  return false;
}

/** `v == version`, read as the ecosystem's equality where both are versions of it, else as strings. */
function includedInVersions(v: string, versions: readonly string[], order: OracleOrder | undefined): boolean {
  return versions.some(
    (x) => x === v || (order !== undefined && order.valid(x) && order.valid(v) && order.compare(x, v) === 0),
  );
}

function includedInRanges(
  v: string,
  ranges: NonNullable<NonNullable<OracleRecord["affected"]>[number]["ranges"]>,
  orderOf: OracleQuery["orderOf"],
): boolean {
  for (const range of ranges) {
    const order = orderOf(range.type);
    // An installed version outside the order (Go's `(devel)`) cannot be placed in a range.
    if (!order || !order.valid(v)) continue;
    if (!beforeLimits(v, range.events, order)) continue;
    let vulnerable = false;
    for (const [kind, at] of sortedEvents(range.events, order)) {
      if (kind === "introduced" && (at === "0" || order.compare(v, at) >= 0)) vulnerable = true;
      else if (kind === "fixed" && order.compare(v, at) >= 0) vulnerable = false;
      else if (kind === "last_affected" && order.compare(v, at) > 0) vulnerable = false;
    }
    if (vulnerable) return true;
  }
  return false;
}

function beforeLimits(v: string, events: readonly Record<string, string>[], order: OracleOrder): boolean {
  const limits = events.flatMap((e) => (e.limit === undefined ? [] : [e.limit]));
  if (limits.length === 0) return true; // the implicit `limit: "*"`
  return limits.some((l) => l.includes("*") || order.compare(v, l) < 0);
}

const KINDS = ["introduced", "last_affected", "fixed", "limit"] as const;
type Kind = (typeof KINDS)[number];

/**
 * `sorted(range.events)`: by version, `introduced: "0"` before everything and a `*` limit after.
 * The spec leaves ties open; here `introduced` sorts first, so `introduced: X, fixed: X` is empty.
 */
function sortedEvents(events: readonly Record<string, string>[], order: OracleOrder): [Kind, string][] {
  const list = events.map((e): [Kind, string] => {
    const kind = KINDS.find((k) => e[k] !== undefined);
    if (kind === undefined || Object.keys(e).length !== 1) throw new Error(`bad event ${JSON.stringify(e)}`);
    return [kind, e[kind]!];
  });
  const rank = (k: Kind, at: string): number =>
    k === "introduced" && at === "0" ? -1 : k === "limit" && at.includes("*") ? 1 : 0;
  return list.sort(([ka, a], [kb, b]) => {
    const ra = rank(ka, a);
    const rb = rank(kb, b);
    if (ra !== rb || ra !== 0) return ra - rb;
    return Math.sign(order.compare(a, b)) || KINDS.indexOf(ka) - KINDS.indexOf(kb);
  });
}

/**
 * Records that name each other (an id of one among the ids or aliases of another, directly or
 * through a chain) are one issue, reported under the smallest id with every other id and alias.
 */
export function mergeIssues(
  records: readonly Pick<OracleRecord, "id" | "aliases">[],
): { id: string; aliases: string[] }[] {
  const parent = records.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  records.forEach((r, i) => {
    for (const name of [r.id, ...(r.aliases ?? [])]) {
      const j = owner.get(name);
      if (j === undefined) owner.set(name, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Pick<OracleRecord, "id" | "aliases">[]>();
  records.forEach((r, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), r]));
  return [...groups.values()].map((g) => {
    const id = g.map((r) => r.id).sort()[0]!;
    const names = new Set(g.flatMap((r) => [r.id, ...(r.aliases ?? [])]));
    names.delete(id);
    return { id, aliases: [...names].sort() };
  });
}

// ---------------------------------------------------------------------------------------------
// Orders

/**
 * node-semver's SemVer 2.0.0 precedence (strict parsing; a leading `v`, as Go writes versions,
 * is accepted by node-semver). GitHub's advisories write some bounds as `1.0`; those are read as
 * `1.0.0`, the way osv.dev reads them.
 */
export const semverOrder: OracleOrder = {
  name: "node-semver",
  valid: (v) => parseSemver(v) !== null,
  compare(a, b) {
    const pa = parseSemver(a);
    const pb = parseSemver(b);
    if (!pa || !pb) throw new Error(`not a SemVer version: ${JSON.stringify(pa ? b : a)}`);
    return semver.compare(pa, pb);
  },
};

function parseSemver(v: string): semver.SemVer | null {
  const padded = /^\d+$/.test(v) ? `${v}.0.0` : /^\d+\.\d+$/.test(v) ? `${v}.0` : v;
  return semver.parse(padded);
}

/**
 * PEP 440 for final releases only (`N(.N)*`, compared with zero padding: `3.2` == `3.2.0`). It
 * throws on anything else, so a record or fixture that needs pre-, post- or dev-release ordering
 * fails the test instead of being guessed.
 */
export const pep440ReleaseOrder: OracleOrder = {
  name: "PEP 440 (final releases)",
  valid: (v) => /^\d+(\.\d+)*$/.test(v),
  compare(a, b) {
    for (const v of [a, b]) {
      if (!/^\d+(\.\d+)*$/.test(v)) throw new Error(`outside the PEP 440 subset: ${JSON.stringify(v)}`);
    }
    const pa = a.split(".").map(BigInt);
    const pb = b.split(".").map(BigInt);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const x = pa[i] ?? 0n;
      const y = pb[i] ?? 0n;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  },
};

/** PEP 503 name normalisation. */
export function pep503(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}
