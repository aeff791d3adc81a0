import { PackageURL } from "packageurl-js";
import type { CatalogContext } from "../../cataloger.js";
import type { Distro } from "../../model.js";

/**
 * Builds an OS package purl: the namespace is the distro id (lowercase, as purl requires), the
 * `distro` qualifier is `<id>-<VERSION_ID>` when the distro states a version.
 */
export function osPurl(
  type: "deb" | "apk" | "rpm",
  namespace: string | undefined,
  name: string,
  version: string,
  qualifiers: Record<string, string | undefined>,
  distro: Distro | undefined,
): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v !== undefined && v !== "") q[k] = v;
  const d = distroQualifier(distro);
  if (d) q.distro = d;
  return new PackageURL(type, namespace?.toLowerCase(), name, version, q).toString();
}

/** `debian-12`, `alpine-3.20.1`; undefined without a `VERSION_ID` (a rolling or unknown release). */
export function distroQualifier(distro: Distro | undefined): string | undefined {
  if (!distro?.versionId) return undefined;
  return `${distro.id.toLowerCase()}-${distro.versionId}`;
}

/**
 * Resolves a dependency on `name` to installed packages: the package of that name if installed,
 * else every installed package that provides it (a virtual package, a shared-library soname, a
 * command or a file path). Never resolves to the depending package itself.
 */
export class Installed<T extends { readonly ref: string }> {
  private readonly real = new Map<string, T[]>();
  private readonly provided = new Map<string, T[]>();

  addPackage(name: string, pkg: T): void {
    push(this.real, name, pkg);
  }

  addProvide(name: string, pkg: T): void {
    push(this.provided, name, pkg);
  }

  has(name: string): boolean {
    return this.real.has(name) || this.provided.has(name);
  }

  /** Candidates for `name`: real packages first, then providers; `prefer` picks among real ones. */
  resolve(name: string, self: T, prefer?: (candidates: readonly T[]) => readonly T[]): T[] {
    const real = (this.real.get(name) ?? []).filter((p) => p !== self);
    if (real.length) return [...(prefer ? prefer(real) : real)];
    return (this.provided.get(name) ?? []).filter((p) => p !== self);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

/** Unique refs in first-seen order. */
export function uniqueRefs(pkgs: Iterable<{ readonly ref: string }>): string[] {
  return [...new Set([...pkgs].map((p) => p.ref))];
}

/** Context check shared by the catalogers: an aborted scan stops before reading anything. */
export function checkAborted(ctx: CatalogContext): void {
  ctx.signal?.throwIfAborted();
}

/** Splits text into lines, accepting LF and CRLF, keeping 1-based numbering. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}
