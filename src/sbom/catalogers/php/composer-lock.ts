import { DEFAULT_LIMITS, type Limits } from "../../../core/index.js";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, FoundPackage, PackageHash, PackageScope } from "../../model.js";
import type { FileEntry } from "../../source.js";
import {
  catalogIssue,
  isRecord,
  locationOf,
  parseJsonYamlLocated,
  purlOrError,
  lockfileCataloger,
} from "../shared/index.js";

const NAME = "php/composer-lock";

/** Composer's `composer.lock`. */
export const composerLockCataloger: Cataloger = lockfileCataloger({
  name: NAME,
  ecosystem: "Packagist",
  fileName: "composer.lock",
  what: () => "composer.lock",
  parse: (text, entry, ctx) => parseComposerLock(text, entry, ctx.limits),
});

const SECTIONS = [
  ["packages", "required"],
  ["packages-dev", "dev"],
] as const satisfies readonly (readonly [string, PackageScope])[];

interface Locked {
  readonly key: string;
  readonly name: string;
  readonly version: string;
  readonly scope: PackageScope;
  readonly path: readonly (string | number)[];
  readonly raw: Record<string, unknown>;
}

/**
 * Reads a `composer.lock`: `packages` are what production installs, `packages-dev` what only
 * `composer install --dev` adds. Versions are kept exactly as written (`v6.4.1`, `dev-main`,
 * `2.x-dev`): Packagist advisories use the same strings. `require` entries become edges, except
 * platform requirements (`php`, `ext-*`, `lib-*`, `composer-*-api`: names without a vendor),
 * and requirements on virtual packages resolve through `provide` / `replace`.
 */
export function parseComposerLock(
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
  if (!isRecord(root)) {
    at([], "composer.lock is not a JSON object");
    return { packages: [], issues };
  }

  const locked: Locked[] = [];
  const byKey = new Map<string, Locked>();
  for (const [section, scope] of SECTIONS) {
    const list = root[section];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      at([section], `"${section}" is not an array`);
      continue;
    }
    list.forEach((raw: unknown, i) => {
      const path = [section, i];
      if (!isRecord(raw)) return at(path, `${section}[${i}] is not an object`);
      const { name, version } = raw;
      if (typeof name !== "string" || !/^[^/\s]+\/[^/\s]+$/.test(name))
        return at([...path, "name"], `${section}[${i}] has no "vendor/package" name`);
      if (typeof version !== "string" || !version) return at([...path, "version"], `${name} has no version`);
      const key = name.toLowerCase();
      if (byKey.has(key)) return at([...path, "name"], `duplicate package ${name}`);
      const p: Locked = { key, name, version, scope, path, raw };
      locked.push(p);
      byKey.set(key, p);
    });
  }

  // Virtual and replaced names: `psr/log-implementation` is provided by `monolog/monolog`, etc.
  const providers = new Map<string, Set<string>>();
  for (const p of locked) {
    for (const field of ["provide", "replace"] as const) {
      const map = p.raw[field];
      if (!isRecord(map)) continue;
      for (const virtual of Object.keys(map)) {
        const v = virtual.toLowerCase();
        if (!providers.has(v)) providers.set(v, new Set());
        providers.get(v)!.add(p.key);
      }
    }
  }

  const packages: FoundPackage[] = [];
  for (const p of locked) {
    const pkg = toPackage(p, byKey, providers, entry, at);
    if (pkg) packages.push(pkg);
  }
  return issues.length ? { packages, issues } : { packages };
}

function toPackage(
  p: Locked,
  byKey: ReadonlyMap<string, Locked>,
  providers: ReadonlyMap<string, ReadonlySet<string>>,
  entry: Pick<FileEntry, "path" | "layer">,
  at: (path: readonly (string | number)[], message: string) => void,
): FoundPackage | undefined {
  const [vendor, name] = p.name.split("/") as [string, string];
  const built = purlOrError("composer", vendor, name, p.version, undefined, undefined);
  if ("error" in built) {
    at([...p.path, "name"], `${p.name}: cannot build a package URL: ${built.error}`);
    return undefined;
  }
  const { purl } = built;

  const licenses = readLicenses(p, at);

  const hashes: PackageHash[] = [];
  const dist = p.raw.dist;
  if (isRecord(dist) && dist.shasum !== undefined && dist.shasum !== null && dist.shasum !== "") {
    if (typeof dist.shasum === "string" && /^[0-9a-fA-F]{40}$/.test(dist.shasum)) {
      hashes.push({ alg: "SHA-1", content: dist.shasum.toLowerCase() });
    } else {
      at([...p.path, "dist", "shasum"], `${p.name}: dist.shasum is not a SHA-1 hex digest`);
    }
  }

  const dependsOn = new Set<string>();
  const require = p.raw.require;
  if (require !== undefined && !isRecord(require))
    at([...p.path, "require"], `${p.name}: "require" is not an object`);
  for (const dep of Object.keys(isRecord(require) ? require : {})) {
    // Platform packages (php, ext-json, lib-libxml, composer-runtime-api…) have no vendor.
    if (!dep.includes("/")) continue;
    const key = dep.toLowerCase();
    const targets = byKey.has(key) ? [key] : [...(providers.get(key) ?? [])];
    for (const t of targets) if (t !== p.key) dependsOn.add(t);
  }

  const properties: Record<string, string> = {};
  if (typeof p.raw.type === "string" && p.raw.type) properties["composer:type"] = p.raw.type;
  // A dev version (`dev-main`, `2.x-dev`) names a branch; the commit it was locked at identifies it.
  const source = p.raw.source;
  if (
    (p.version.startsWith("dev-") || p.version.endsWith("-dev")) &&
    isRecord(source) &&
    typeof source.reference === "string"
  ) {
    properties["composer:reference"] = source.reference;
  }

  return {
    ref: p.key,
    name: p.name,
    version: p.version,
    purl,
    ecosystem: "Packagist",
    type: "library",
    ...(licenses.length ? { licenses } : {}),
    ...(hashes.length ? { hashes } : {}),
    scope: p.scope,
    locations: [locationOf(entry)],
    ...(dependsOn.size ? { dependsOn: [...dependsOn].sort() } : {}),
    ...(Object.keys(properties).length ? { properties } : {}),
  };
}

/** `license` is an array of SPDX identifiers (older locks sometimes have a single string). */
function readLicenses(
  p: Locked,
  at: (path: readonly (string | number)[], message: string) => void,
): string[] {
  const license = p.raw.license;
  if (license === undefined || license === null) return [];
  const list = typeof license === "string" ? [license] : Array.isArray(license) ? license : undefined;
  if (!list || !list.every((l) => typeof l === "string")) {
    at([...p.path, "license"], `${p.name}: "license" is not a list of strings`);
    return [];
  }
  return (list as string[]).map((l) => l.trim()).filter((l) => l !== "");
}
