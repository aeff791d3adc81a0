/**
 * Matching SBOM components against OSV records by ecosystem, exact package name and
 * ecosystem-exact version semantics — never by fuzzy product names. Pure and in memory; the store
 * backed index of `bulwark db` will feed the same functions.
 */
import { evaluateAffected, type OsvAffected } from "./ranges.js";
import { schemeForEcosystem, semverScheme } from "./versions/index.js";

export interface OsvRecord {
  readonly id: string;
  readonly modified?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly summary?: string;
  readonly severity?: readonly { readonly type: string; readonly score: string }[];
  readonly affected?: readonly (OsvAffected & {
    readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  })[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

/** What the matcher needs of a component (the SBOM's neutral model has all of it). */
export interface MatchComponent {
  readonly purl: string;
  readonly name: string;
  readonly version: string;
  /** OSV ecosystem without release suffix: `npm`, `PyPI`, `Debian`, `Alpine`, … */
  readonly ecosystem: string;
  /** Debian/Alpine advisories are per source package. */
  readonly sourcePackage?: { readonly name: string; readonly version?: string };
}

export interface Match {
  readonly id: string;
  /** Other ids of the same issue (CVE ↔ GHSA ↔ distro ids), merged records included. */
  readonly aliases: readonly string[];
  readonly component: MatchComponent;
  /** The version the advisory was evaluated against (the source package's for distros). */
  readonly matchedVersion: string;
  readonly fixedVersions: readonly string[];
  readonly notes: readonly string[];
  /** The primary record (the reported id). */
  readonly record: OsvRecord;
  /** Every record merged into this issue, primary first. */
  readonly records: readonly OsvRecord[];
}

/** Ecosystems whose advisories name the distro's source package. */
const BY_SOURCE_PACKAGE = new Set(["Debian", "Ubuntu", "Alpine"]);

/** OSV name normalisation where the ecosystem defines one (PEP 503 for PyPI). */
export function normalName(ecosystem: string, name: string): string {
  return ecosystem === "PyPI" ? name.toLowerCase().replace(/[-_.]+/g, "-") : name;
}

/** `Debian:12` → `Debian`: the ecosystem without its release suffix. */
export function baseEcosystem(ecosystem: string): string {
  const i = ecosystem.indexOf(":");
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

function isNewer(a: OsvRecord, b: OsvRecord): boolean {
  const ta = a.modified ? Date.parse(a.modified) : 0;
  const tb = b.modified ? Date.parse(b.modified) : 0;
  return ta > tb;
}

/** Records by `ecosystem\0name`, with withdrawn records kept out. */
export class OsvIndex {
  readonly #byPackage = new Map<string, OsvRecord[]>();
  readonly #byId = new Map<string, OsvRecord>();
  #count = 0;

  constructor(records: Iterable<OsvRecord> = []) {
    for (const r of records) this.add(r);
  }

  get size(): number {
    return this.#count;
  }

  /**
   * Adds a record; a second copy of the same id (e.g. from the database and an online source)
   * replaces the first only when its `modified` is newer.
   */
  add(record: OsvRecord): void {
    if (record.withdrawn) return;
    const previous = this.#byId.get(record.id);
    if (previous) {
      if (!isNewer(record, previous)) return;
      for (const [k, list] of this.#byPackage) {
        const i = list.indexOf(previous);
        if (i >= 0) list.splice(i, 1);
        if (!list.length) this.#byPackage.delete(k);
      }
      this.#count--;
    }
    this.#byId.set(record.id, record);
    this.#count++;
    const keys = new Set<string>();
    for (const a of record.affected ?? []) {
      if (!a.package) continue;
      const eco = baseEcosystem(a.package.ecosystem);
      keys.add(`${eco}\u0000${normalName(eco, a.package.name)}`);
    }
    for (const k of keys) {
      const list = this.#byPackage.get(k);
      if (list) list.push(record);
      else this.#byPackage.set(k, [record]);
    }
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Every record held. */
  records(): IterableIterator<OsvRecord> {
    return this.#byId.values();
  }

  lookup(ecosystem: string, name: string): readonly OsvRecord[] {
    return this.#byPackage.get(`${ecosystem}\u0000${normalName(ecosystem, name)}`) ?? [];
  }
}

/**
 * The distro release in a component's purl (`distro=debian-12` → `12`, `alpine-3.20.1` → `3.20`)
 * and whether an advisory's ecosystem suffix (`Debian:12`, `Alpine:v3.20`) is for it. Unknown on
 * either side counts as a match: a missing qualifier must not hide an advisory.
 */
function releaseMatches(recordEcosystem: string, purl: string): boolean {
  const suffix = recordEcosystem.includes(":") ? recordEcosystem.slice(recordEcosystem.indexOf(":") + 1) : "";
  if (!suffix) return true;
  const distro = /[?&]distro=([^&#]+)/.exec(purl)?.[1];
  if (!distro) return true;
  const release = decodeURIComponent(distro).replace(/^[a-z]+-/, "");
  // `Ubuntu:22.04:LTS`, `Ubuntu:Pro:18.04:LTS` name the release between the markers.
  const want = suffix.replace(/^Pro:/, "").replace(/:LTS$/, "").replace(/^v/, "");
  return release === want || release.startsWith(`${want}.`);
}

/** Every advisory that applies to every component, one per issue per component (aliases merged). */
export function matchComponents(components: Iterable<MatchComponent>, index: OsvIndex): Match[] {
  const out: Match[] = [];
  for (const c of components) {
    const scheme = schemeForEcosystem(c.ecosystem);
    if (!scheme) continue;
    const bySource = BY_SOURCE_PACKAGE.has(c.ecosystem) && c.sourcePackage;
    const name = bySource ? c.sourcePackage!.name : c.name;
    const version = bySource ? (c.sourcePackage!.version ?? c.version) : c.version;
    const found: Match[] = [];
    for (const record of index.lookup(c.ecosystem, name)) {
      const notes: string[] = [];
      const fixed = new Set<string>();
      let hit = false;
      for (const a of record.affected ?? []) {
        if (!a.package || baseEcosystem(a.package.ecosystem) !== c.ecosystem) continue;
        if (normalName(c.ecosystem, a.package.name) !== normalName(c.ecosystem, name)) continue;
        if (!releaseMatches(a.package.ecosystem, c.purl)) continue;
        const r = evaluateAffected(version, a, scheme, semverScheme);
        notes.push(...r.notes);
        if (r.affected) {
          hit = true;
          for (const f of r.fixedVersions) fixed.add(f);
        }
      }
      if (!hit) continue;
      found.push({
        id: record.id,
        aliases: [...(record.aliases ?? [])].sort(),
        component: c,
        matchedVersion: version,
        fixedVersions: [...fixed],
        notes,
        record,
        records: [record],
      });
    }
    const byVersion = (x: string, y: string) =>
      scheme.isValid(x) && scheme.isValid(y) ? scheme.compare(x, y) : x < y ? -1 : 1;
    for (const m of mergeAliases(found))
      out.push({ ...m, fixedVersions: [...m.fixedVersions].sort(byVersion) });
  }
  return out;
}

/** Records that name each other (GHSA-x with alias CVE-y, and a DSA with the same CVE) are one issue. */
function mergeAliases(found: Match[]): Match[] {
  // Union-find over the ids each match names (its own and its aliases): matches sharing any id are
  // one issue, transitively (A names CVE-1, B names CVE-2, C names both: one group).
  const sorted = [...found].sort((a, b) => (a.id < b.id ? -1 : 1));
  const parent = sorted.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  sorted.forEach((m, i) => {
    for (const id of [m.id, ...m.aliases]) {
      const j = owner.get(id);
      if (j === undefined) owner.set(id, i);
      else {
        const [a, b] = [root(i), root(j)];
        // The group is named by its smallest id, so the lower index stays the root.
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  });
  const byRoot = new Map<number, Match[]>();
  sorted.forEach((m, i) => {
    const r = root(i);
    const g = byRoot.get(r);
    if (g) g.push(m);
    else byRoot.set(r, [m]);
  });
  const groups = [...byRoot.entries()].sort(([a], [b]) => a - b).map(([, g]) => g);
  return groups.map((g) => {
    const [first, ...rest] = g;
    if (!rest.length) return first!;
    const aliases = new Set([...first!.aliases, ...rest.flatMap((m) => [m.id, ...m.aliases])]);
    aliases.delete(first!.id);
    return {
      ...first!,
      aliases: [...aliases].sort(),
      fixedVersions: [...new Set(g.flatMap((m) => m.fixedVersions))],
      notes: g.flatMap((m) => m.notes),
      records: g.map((m) => m.record),
    };
  });
}
