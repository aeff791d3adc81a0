import { DEFAULT_LIMITS, type Limits } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import {
  catalogIssue,
  isRecord,
  locationOf,
  parseJsonYamlLocated,
  purlOrError,
  lockfileCataloger,
} from "../shared/index.js";

const NAME = "dotnet/packages-lock";

/** NuGet's `packages.lock.json` (`RestorePackagesWithLockFile`), versions 1 and 2 (central package management). */
export const packagesLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: "NuGet",
  fileName: "packages.lock.json",
  what: () => "packages.lock.json",
  parse: (text, entry, ctx) => parsePackagesLock(text, entry, ctx.limits),
});

/** The lockfile's dependency types; `Project` entries are the solution's own projects and carry no version. */
const TYPES = ["Direct", "Transitive", "CentralTransitive", "Project"] as const;
type DependencyType = (typeof TYPES)[number];

/** One `name → {type, resolved, …}` entry of one target framework. */
interface Resolution {
  readonly name: string;
  readonly type: DependencyType | undefined;
  readonly resolved: string | undefined;
  readonly raw: Record<string, unknown>;
  readonly path: readonly string[];
}

/** One package, merged over every target framework that resolved it at this version. */
interface Merged {
  readonly key: string;
  readonly name: string;
  readonly version: string;
  readonly frameworks: Set<string>;
  readonly types: Set<string>;
  readonly hashes: PackageHash[];
  readonly dependsOn: Set<string>;
  readonly path: readonly string[];
}

/**
 * Reads a `packages.lock.json`. `dependencies` holds one map per target framework (and per
 * framework/runtime pair, e.g. `net8.0/linux-x64`); a package resolved identically under several
 * frameworks is one package. `contentHash` is the base64 SHA-512 of the `.nupkg`, reported as hex.
 * Edges come from each entry's `dependencies`, resolved in the same framework (a runtime section
 * falls back to its framework's section). NuGet ids and versions compare case-insensitively.
 */
export function parsePackagesLock(
  text: string,
  entry: Pick<FileEntry, "path" | "layer">,
  limits: Limits = DEFAULT_LIMITS,
): CatalogResult {
  const parsed = parseJsonYamlLocated(text, limits);
  if (!parsed.ok)
    return {
      packages: [],
      issues: [catalogIssue(NAME, entry, `invalid JSON: ${parsed.message}`, parsed.position)],
    };
  const issues: CatalogIssue[] = [];
  const at = (path: readonly (string | number)[], message: string): void => {
    issues.push(catalogIssue(NAME, entry, message, parsed.locate(path)));
  };
  const root = parsed.value;
  if (!isRecord(root) || !isRecord(root.dependencies)) {
    at(isRecord(root) ? ["dependencies"] : [], 'packages.lock.json has no "dependencies" object');
    return { packages: [], issues };
  }

  // Pass 1: every framework's resolutions, by lowercase id.
  const frameworks = new Map<string, Map<string, Resolution>>();
  for (const [framework, deps] of Object.entries(root.dependencies)) {
    if (!isRecord(deps)) {
      at(["dependencies", framework], `target "${framework}" is not an object`);
      continue;
    }
    const resolutions = new Map<string, Resolution>();
    for (const [name, raw] of Object.entries(deps)) {
      const path = ["dependencies", framework, name];
      if (!isRecord(raw)) {
        at(path, `${name} (${framework}) is not an object`);
        continue;
      }
      const type = TYPES.find((t) => t === raw.type);
      if (raw.type !== undefined && !type)
        at([...path, "type"], `${name} (${framework}) has an unknown type ${JSON.stringify(raw.type)}`);
      const resolved = typeof raw.resolved === "string" && raw.resolved ? raw.resolved : undefined;
      if (!resolved && type !== "Project") at(path, `${name} (${framework}) has no resolved version`);
      resolutions.set(name.toLowerCase(), { name, type, resolved, raw, path });
    }
    frameworks.set(framework, resolutions);
  }

  // Pass 2: merge per id@version, with edges resolved in the entry's own framework.
  const merged = new Map<string, Merged>();
  const keyOf = (r: Resolution): string | undefined =>
    r.type === "Project" || !r.resolved ? undefined : `${r.name.toLowerCase()}@${r.resolved.toLowerCase()}`;
  for (const [framework, resolutions] of frameworks) {
    const base = frameworks.get(framework.split("/")[0]!);
    for (const r of resolutions.values()) {
      const key = keyOf(r);
      if (!key) continue;
      let m = merged.get(key);
      if (!m) {
        m = {
          key,
          name: r.name,
          version: r.resolved!,
          frameworks: new Set(),
          types: new Set(),
          hashes: [],
          dependsOn: new Set(),
          path: r.path,
        };
        merged.set(key, m);
        const hash = contentHash(r, at);
        if (hash) m.hashes.push(hash);
      }
      m.frameworks.add(framework);
      if (r.type) m.types.add(r.type);
      const deps = r.raw.dependencies;
      if (deps !== undefined && !isRecord(deps))
        at([...r.path, "dependencies"], `${r.name} (${framework}): "dependencies" is not an object`);
      for (const dep of Object.keys(isRecord(deps) ? deps : {})) {
        const target = resolutions.get(dep.toLowerCase()) ?? base?.get(dep.toLowerCase());
        const targetKey = target && keyOf(target);
        if (targetKey && targetKey !== key) m.dependsOn.add(targetKey);
      }
    }
  }

  const packages: FoundPackage[] = [];
  for (const m of merged.values()) {
    const built = purlOrError("nuget", undefined, m.name, m.version, undefined, undefined);
    if ("error" in built) {
      at(m.path, `${m.name}: cannot build a package URL: ${built.error}`);
      continue;
    }
    const { purl } = built;
    packages.push({
      ref: m.key,
      name: m.name,
      version: m.version,
      purl,
      ecosystem: "NuGet",
      type: "library",
      ...(m.hashes.length ? { hashes: m.hashes } : {}),
      locations: [locationOf(entry)],
      ...(m.dependsOn.size ? { dependsOn: [...m.dependsOn].sort() } : {}),
      properties: {
        "nuget:targetFrameworks": [...m.frameworks].sort().join(","),
        ...(m.types.size ? { "nuget:dependencyType": [...m.types].sort().join(",") } : {}),
      },
    });
  }
  return issues.length ? { packages, issues } : { packages };
}

/** `contentHash`: base64 of the 64-byte SHA-512 of the package file. */
function contentHash(
  r: Resolution,
  at: (path: readonly (string | number)[], message: string) => void,
): PackageHash | undefined {
  const value = r.raw.contentHash;
  if (value === undefined || value === "") return undefined;
  const bytes =
    typeof value === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0
      ? Buffer.from(value, "base64")
      : undefined;
  if (!bytes || bytes.length !== 64) {
    at([...r.path, "contentHash"], `${r.name} ${r.resolved}: contentHash is not a base64 SHA-512 digest`);
    return undefined;
  }
  return { alg: "SHA-512", content: bytes.toString("hex") };
}
