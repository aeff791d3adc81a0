import type { Environment } from "@marcbachmann/cel-js";
import { PackageURL } from "packageurl-js";
import picomatch from "picomatch";
import semver from "semver";
import { sha256Hex } from "../../core/index.js";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { ImageRefError, parseImageRef } from "./image-ref.js";
import { toCidr } from "./lib-cidr.js";
import { toIp } from "./lib-ip.js";

const TS = "google.protobuf.Timestamp";
const DAY_MS = 86_400_000;

/** What Bulwark's own functions need from the outside world. */
export interface BulwarkLibraryOptions {
  /** The evaluation clock; `now()`, `daysSince` and `expired` read it, never the system time. */
  readonly clock: { now(): Date };
}

/**
 * Bulwark's own functions: glob matching, loose semver, package URLs, digests, image references
 * and time relative to the injected clock. Each is documented in docs/cel-functions.md.
 * Needs the IP and CIDR libraries.
 */
export function registerBulwark(env: Environment, options: BulwarkLibraryOptions): void {
  const { clock } = options;
  defineOverloads(env, [
    {
      signature: "glob(string, string): bool",
      description:
        "Whether the string matches the glob pattern: * stays within a path segment, ** crosses '/'.",
      handler: (pattern: string, s: string) => matcher(pattern)(s),
    },
    {
      signature: "semverCompare(string, string): int",
      description: "-1, 0 or 1 by semver precedence; loose parsing accepts a leading 'v' or '='.",
      handler: (a: string, b: string) => BigInt(semver.compare(looseVersion(a), looseVersion(b))),
    },
    {
      signature: "semverSatisfies(string, string): bool",
      description: "Whether the version is in the npm-style range (^1.2, >=1.0.0 <2, 1.x || 3.x).",
      handler: satisfies,
    },
    {
      signature: "purl(string): map<string, dyn>",
      description: "The parts of a package URL: type, namespace, name, version, qualifiers (map), subpath.",
      handler: purl,
    },
    {
      signature: "isPurl(string): bool",
      description: "Whether purl() would accept the string.",
      handler: (s: string) => tryPurl(s) !== undefined,
    },
    {
      signature: "cidrContains(string, string): bool",
      description: "Whether the IP address is inside the CIDR (strings; parsed as cidr() and ip() do).",
      handler: (cidr: string, ip: string) => toCidr(cidr).containsIp(toIp(ip)),
    },
    {
      signature: "isDigest(string): bool",
      description: "Whether the string is sha256:<64 lowercase hex> or sha512:<128 lowercase hex>.",
      handler: (s: string) => DIGEST.test(s),
    },
    {
      signature: "digestAlgorithm(string): string",
      description: "The algorithm of an OCI digest (the part before ':'); an error if it is no digest.",
      handler: digestAlgorithm,
    },
    {
      signature: "imageRef(string): map<string, dyn>",
      description: "A normalised image reference: registry, repository, tag, digest, pinned (has a digest).",
      handler: imageRef,
    },
    {
      signature: "indexBy(list<dyn>, string): map<string, list<dyn>>",
      description:
        "Groups the list's maps by the value at a dotted path (a list value indexes the item under each element): constant-time look-ups instead of nested comprehensions over large inputs.",
      handler: indexBy,
    },
    {
      signature: "podContainers(dyn): list<map<string, dyn>>",
      description:
        "Every container of a pod spec — initContainers, containers, ephemeralContainers — as {kind, index, name, path, container}; path (spec.containers[0]) points into the object, for fieldPathExpression.",
      handler: podContainers,
    },
    {
      signature: `now(): ${TS}`,
      description: "The evaluation time, from the injected clock.",
      handler: () => clock.now(),
    },
    {
      signature: `daysSince(${TS}): int`,
      description: "Whole days from the timestamp to now (rounded down; negative for the future).",
      handler: (t: Date) => BigInt(Math.floor((clock.now().getTime() - t.getTime()) / DAY_MS)),
    },
    {
      signature: `expired(${TS}): bool`,
      description: "Whether the timestamp is now or in the past.",
      handler: (t: Date) => clock.now().getTime() >= t.getTime(),
    },
    {
      signature: "expired(string): bool",
      description:
        "Whether the expiry has passed; YYYY-MM-DD is valid through that day (UTC), or an RFC 3339 time.",
      handler: (s: string) => clock.now().getTime() >= parseExpiry(s).getTime(),
    },
    {
      signature: "sha256(string): string",
      description: "The SHA-256 of the UTF-8 string, as lowercase hex.",
      handler: (s: string) => sha256Hex(s),
    },
    {
      signature: "sha256(bytes): string",
      description: "The SHA-256 of the bytes, as lowercase hex.",
      handler: (b: Uint8Array) => sha256Hex(b),
    },
  ]);
}

const MATCHER_CACHE_LIMIT = 256;
const matchers = new Map<string, (s: string) => boolean>();

/**
 * `dot: true` so that `**` also walks hidden directories (`.github/workflows/ci.yml` matches
 * `**\/*.yml`); a policy about paths should not silently skip them.
 */
function matcher(pattern: string): (s: string) => boolean {
  let m = matchers.get(pattern);
  if (!m) {
    m = picomatch(pattern, { dot: true });
    if (matchers.size >= MATCHER_CACHE_LIMIT) matchers.delete(matchers.keys().next().value!);
    matchers.set(pattern, m);
  }
  return m;
}

function looseVersion(v: string): semver.SemVer {
  const parsed = semver.parse(v, { loose: true });
  if (!parsed) throw celError(`semverCompare: ${JSON.stringify(v)} is not a semantic version`);
  return parsed;
}

function satisfies(version: string, range: string): boolean {
  const v = semver.parse(version, { loose: true });
  if (!v) throw celError(`semverSatisfies: ${JSON.stringify(version)} is not a semantic version`);
  let r: semver.Range;
  try {
    r = new semver.Range(range, { loose: true });
  } catch (e) {
    throw celError(`semverSatisfies: ${JSON.stringify(range)} is not a version range`, e);
  }
  return r.test(v);
}

function tryPurl(s: string): PackageURL | undefined {
  try {
    return PackageURL.fromString(s);
  } catch {
    return undefined;
  }
}

function purl(s: string): Map<string, unknown> {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(s);
  } catch (e) {
    throw celError(`purl: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const qualifiers = new Map<string, string>(
    Object.entries(p.qualifiers ?? {}).map(([k, v]) => [k, String(v)]),
  );
  return new Map<string, unknown>([
    ["type", p.type],
    ["namespace", p.namespace ?? ""],
    ["name", p.name],
    ["version", p.version ?? ""],
    ["qualifiers", qualifiers],
    ["subpath", p.subpath ?? ""],
  ]);
}

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** The OCI image-spec digest grammar: algorithm ":" encoded. */
const OCI_DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):[a-zA-Z0-9=_-]+$/;

/** `indexBy(items, 'values.bucket')`: items grouped by the string(s) at the path. */
function indexBy(items: unknown[], path: string): Map<string, unknown[]> {
  const keys = path.split(".").filter(Boolean);
  const out = new Map<string, unknown[]>();
  const add = (k: unknown, item: unknown) => {
    if (typeof k !== "string") return;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  };
  for (const item of items) {
    let v: unknown = item;
    for (const k of keys) v = field(v, k);
    if (Array.isArray(v)) for (const k of new Set(v)) add(k, item);
    else add(v, item);
  }
  return out;
}

const CONTAINER_KINDS = ["initContainers", "containers", "ephemeralContainers"] as const;

function field(o: unknown, key: string): unknown {
  if (o instanceof Map) return o.get(key);
  return o !== null && typeof o === "object" && Object.hasOwn(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined;
}

function podContainers(spec: unknown): Map<string, unknown>[] {
  const out: Map<string, unknown>[] = [];
  for (const kind of CONTAINER_KINDS) {
    const list = field(spec, kind);
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const name = field(c, "name");
      out.push(
        new Map<string, unknown>([
          ["kind", kind],
          ["index", BigInt(i)],
          ["name", typeof name === "string" ? name : ""],
          ["path", `spec.${kind}[${i}]`],
          ["container", c],
        ]),
      );
    });
  }
  return out;
}

function digestAlgorithm(s: string): string {
  const m = OCI_DIGEST.exec(s);
  if (!m) throw celError(`digestAlgorithm: ${JSON.stringify(s)} is not a digest (algorithm:encoded)`);
  return m[1]!;
}

function imageRef(s: string): Map<string, unknown> {
  try {
    const ref = parseImageRef(s);
    return new Map<string, unknown>([
      ["registry", ref.registry],
      ["repository", ref.repository],
      ["tag", ref.tag],
      ["digest", ref.digest],
      ["pinned", ref.digest !== ""],
    ]);
  } catch (e) {
    if (e instanceof ImageRefError) throw celError(`imageRef: ${e.message}: ${JSON.stringify(s)}`, e);
    throw e;
  }
}

/**
 * The same reading as a policy exception's `expires`: a date means the end of that day in UTC,
 * otherwise an RFC 3339 time with an explicit offset.
 */
function parseExpiry(s: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const d = new Date(`${s}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s)
      return new Date(d.getTime() + DAY_MS);
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw celError(`expired: ${JSON.stringify(s)} is neither a date (YYYY-MM-DD) nor an RFC 3339 time`);
}
