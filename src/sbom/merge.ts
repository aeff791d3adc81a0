import { sha256Hex } from "../core/index.js";
import type { SbomComponent, SbomHash } from "../formats/index.js";
import type { FoundPackage, PackageScope } from "./model.js";

/** Packages one cataloger found in one file, with the cataloger that found them. */
export interface FoundBatch {
  readonly cataloger: string;
  readonly packages: readonly FoundPackage[];
}

const SCOPE_RANK: Record<PackageScope, number> = { required: 0, optional: 1, dev: 2 };

interface Acc {
  first: FoundPackage;
  licenses: Set<string>;
  hashes: Map<string, SbomHash>;
  scope: PackageScope | undefined;
  scopeSeen: boolean;
  locations: Map<string, { path: string; layer?: string }>;
  foundBy: Set<string>;
  properties: Map<string, Set<string>>;
  dependsOn: Set<string>;
}

/**
 * Merges what every cataloger found into one component per distinct package (same purl): every
 * install location is kept as evidence, hashes and licenses are unioned, the widest scope wins
 * (a package required anywhere is required), and dependency edges — stated per cataloger run with
 * run-local refs — are translated to the merged components' bom-refs.
 */
export function mergePackages(batches: readonly FoundBatch[]): {
  components: SbomComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
} {
  const byPurl = new Map<string, Acc>();
  // Pass 1: components.
  for (const batch of batches) {
    for (const p of batch.packages) {
      let acc = byPurl.get(p.purl);
      if (!acc) {
        acc = {
          first: p,
          licenses: new Set(),
          hashes: new Map(),
          scope: undefined,
          scopeSeen: false,
          locations: new Map(),
          foundBy: new Set(),
          properties: new Map(),
          dependsOn: new Set(),
        };
        byPurl.set(p.purl, acc);
      }
      for (const l of p.licenses ?? []) if (l.trim()) acc.licenses.add(l.trim());
      for (const h of p.hashes ?? [])
        acc.hashes.set(`${h.alg}:${h.content.toLowerCase()}`, {
          alg: h.alg,
          content: h.content.toLowerCase(),
        });
      // No scope stated counts as required: a lockfile that does not say "dev" installs it.
      const scope = p.scope ?? "required";
      if (!acc.scopeSeen || SCOPE_RANK[scope] < SCOPE_RANK[acc.scope!]) acc.scope = scope;
      acc.scopeSeen = true;
      for (const l of p.locations)
        acc.locations.set(`${l.layer ?? ""}\u0000${l.path}`, {
          path: l.path,
          ...(l.layer ? { layer: l.layer } : {}),
        });
      acc.foundBy.add(batch.cataloger);
      for (const [k, v] of Object.entries(p.properties ?? {})) {
        if (!acc.properties.has(k)) acc.properties.set(k, new Set());
        acc.properties.get(k)!.add(v);
      }
    }
  }
  // Pass 2: edges, resolved per batch (refs are only meaningful inside the batch that made them).
  for (const batch of batches) {
    const purlOfRef = new Map(batch.packages.map((p) => [p.ref, p.purl]));
    for (const p of batch.packages) {
      const acc = byPurl.get(p.purl)!;
      for (const ref of p.dependsOn ?? []) {
        const target = purlOfRef.get(ref);
        if (target && target !== p.purl) acc.dependsOn.add(target);
      }
    }
  }
  const components: SbomComponent[] = [];
  const dependencies: { ref: string; dependsOn: string[] }[] = [];
  for (const [purl, acc] of [...byPurl].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const p = acc.first;
    const properties: Record<string, string> = {};
    for (const [k, vs] of [...acc.properties].sort(([a], [b]) => (a < b ? -1 : 1)))
      properties[k] = [...vs].sort().join(",");
    components.push({
      bomRef: purl,
      type: p.type,
      name: p.name,
      version: p.version,
      purl,
      ecosystem: p.ecosystem,
      licenses: [...acc.licenses].sort(),
      hashes: [...acc.hashes.values()].sort((a, b) => (a.alg + a.content < b.alg + b.content ? -1 : 1)),
      ...(acc.scope ? { scope: acc.scope } : {}),
      locations: [...acc.locations.values()].sort((a, b) =>
        (a.layer ?? "") + a.path < (b.layer ?? "") + b.path ? -1 : 1,
      ),
      foundBy: [...acc.foundBy].sort(),
      ...(p.sourcePackage ? { sourcePackage: p.sourcePackage } : {}),
      properties,
    });
    if (acc.dependsOn.size) dependencies.push({ ref: purl, dependsOn: [...acc.dependsOn].sort() });
  }
  return { components, dependencies };
}

/**
 * A UUID (RFC 9562 version 8 layout) derived from the document content, for `urn:uuid:` serial
 * numbers. The content is built in a fixed order from sorted data, so plain JSON is already stable
 * (and much cheaper than canonicalising thousands of components).
 */
export function contentUuid(content: unknown): string {
  const hex = sha256Hex(JSON.stringify(content)).slice(0, 32).split("");
  hex[12] = "8";
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
