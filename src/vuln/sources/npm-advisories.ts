/**
 * The npm registry's bulk advisory endpoint, the one `npm audit` uses
 * (`POST <registry>/-/npm/v1/security/advisories/bulk`, body `{"<name>": ["<version>", …]}`,
 * answer `{"<name>": [advisory, …]}`), as an online source. Each advisory becomes an OSV record so
 * the caller can cache it and the ordinary matcher can evaluate it.
 *
 * The range conversion is exact. npm decides "vulnerable" with
 * `semver.satisfies(version, vulnerable_versions, { loose: true, includePrerelease: true })`
 * (@npmcli/metavuln-calculator), which for every comparator set is plain SemVer ordering, so most
 * sets become one OSV `SEMVER` range. A set OSV events cannot express (`>a`: OSV has no exclusive
 * lower bound) is resolved against the package's published versions from the registry instead,
 * and those versions are listed in `affected[].versions`.
 */
import { gzipSync } from "node:zlib";
import semver from "semver";
import { BulwarkError, type Clock, systemClock } from "../../core/index.js";
import type { MatchComponent, OsvRecord } from "../match.js";
import type { OsvEvent, OsvRange } from "../ranges.js";
import { semverScheme } from "../versions/index.js";
import {
  type HttpOptions,
  type JsonRequest,
  mapConcurrent,
  positiveInt,
  requestJson,
  upstreamError,
} from "./http.js";
import { NPM_DEFAULT_REGISTRY } from "./npmrc.js";
import type { SourceResult } from "./osv-api.js";

/** How npm audit reads `vulnerable_versions` (@npmcli/metavuln-calculator `advisory.js`). */
export const NPM_AUDIT_SEMVER = { loose: true, includePrerelease: true } as const;

/** One advisory of the bulk answer; only the fields used here are declared. */
export interface NpmAdvisory {
  readonly id: number | string;
  readonly url?: string;
  readonly title: string;
  /** `info`, `low`, `moderate`, `high` or `critical`; npm assumes `high` when absent. */
  readonly severity: string;
  /** An npm semver range; npm assumes `*` when absent. */
  readonly vulnerable_versions: string;
  readonly cwe?: readonly string[];
  readonly cvss?: { readonly score?: number; readonly vectorString?: string | null };
}

export interface NpmAdvisoriesOptions extends HttpOptions {
  /** Registry root, normally from `npmRegistryFor` (default https://registry.npmjs.org/). */
  readonly registry?: string;
  /** Bearer token for that registry. Secret: sent as `Authorization` to it only, never logged. */
  readonly token?: string;
  /** gzip the request body, as npm does (default false). */
  readonly gzip?: boolean;
  /** Stamps `modified` of the converted records (the endpoint gives no dates). */
  readonly clock?: Clock;
  /** Packument requests in flight at once, for ranges that need them (default 8). */
  readonly concurrency?: number;
}

/** What a `vulnerable_versions` range becomes in OSV terms. */
export interface NpmRangeConversion {
  /** One `SEMVER` range per comparator set that OSV events express exactly. */
  readonly ranges: readonly OsvRange[];
  /** Versions named exactly (`=1.2.3`, `1.2.3`). */
  readonly versions: readonly string[];
  /** Comparator sets (each a range string) that need the published versions to be exact. */
  readonly inexact: readonly string[];
}

interface Bound {
  readonly v: semver.SemVer;
  /** `>` for a lower bound, `<=` for an upper bound. */
  readonly flag: boolean;
}

/**
 * Converts an npm range into OSV events, exactly or not at all: the parts it cannot express are
 * returned in `inexact` for {@link resolveInexact}. Throws `INPUT_INVALID` for a range npm cannot
 * parse either.
 */
export function npmRangeToOsv(range: string): NpmRangeConversion {
  let parsed: semver.Range;
  try {
    parsed = new semver.Range(range, NPM_AUDIT_SEMVER);
  } catch (e) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `vulnerable_versions ${JSON.stringify(range)} is not an npm range`,
      {
        cause: e,
      },
    );
  }
  const ranges: OsvRange[] = [];
  const versions = new Set<string>();
  const inexact: string[] = [];
  for (const set of parsed.set) {
    const r = convertSet(set);
    if (r.kind === "range") ranges.push({ type: "SEMVER", events: r.events });
    else if (r.kind === "version") versions.add(r.version);
    else if (r.kind === "inexact") inexact.push(set.map((c) => c.value).join(" ") || "*");
  }
  return { ranges, versions: [...versions], inexact };
}

type SetResult =
  | { readonly kind: "range"; readonly events: readonly OsvEvent[] }
  | { readonly kind: "version"; readonly version: string }
  | { readonly kind: "inexact" }
  | { readonly kind: "empty" };

/** One comparator set (an intersection) as OSV events. */
function convertSet(set: readonly semver.Comparator[]): SetResult {
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  const exact: semver.SemVer[] = [];
  for (const c of set) {
    if (c.value === "") continue; // `*`: no constraint
    const v = c.semver;
    switch (c.operator) {
      case "":
      case "=":
        exact.push(v);
        break;
      case ">=":
      case ">": {
        const cmp = lower ? v.compare(lower.v) : 1;
        if (cmp > 0 || (cmp === 0 && c.operator === ">")) lower = { v, flag: c.operator === ">" };
        break;
      }
      case "<":
      case "<=": {
        const cmp = upper ? v.compare(upper.v) : -1;
        if (cmp < 0 || (cmp === 0 && c.operator === "<")) upper = { v, flag: c.operator === "<=" };
        break;
      }
      default: {
        const never: never = c.operator;
        throw new Error(`unknown comparator operator ${String(never)}`);
      }
    }
  }
  const [first] = exact;
  if (first) {
    const only = exact.every((v) => v.compare(first) === 0) && set.every((c) => c.test(first));
    return only ? { kind: "version", version: first.version } : { kind: "empty" };
  }
  if (lower?.flag) return { kind: "inexact" };
  if (upper && !upper.flag && upper.v.compare("0.0.0-0") <= 0) return { kind: "empty" };
  if (lower && upper) {
    const cmp = lower.v.compare(upper.v);
    if (cmp > 0 || (cmp === 0 && !upper.flag)) return { kind: "empty" };
  }
  const from = !lower || lower.v.compare("0.0.0-0") === 0 ? "0" : lower.v.version;
  const events: OsvEvent[] = [{ introduced: from }];
  if (upper) events.push(upper.flag ? { last_affected: upper.v.version } : { fixed: upper.v.version });
  // OSV SEMVER ranges are read by strict SemVer 2.0.0; a bound it would not parse is not exact.
  const bounds = [from, ...(upper ? [upper.v.version] : [])].filter((b) => b !== "0");
  if (!bounds.every((b) => semverScheme.isValid(b))) return { kind: "inexact" };
  return { kind: "range", events };
}

/** The published versions that satisfy any of the `inexact` sets, as npm audit would test them. */
export function resolveInexact(inexact: readonly string[], published: readonly string[]): string[] {
  const sets = inexact.map((r) => new semver.Range(r, NPM_AUDIT_SEMVER));
  return published.filter((v) => sets.some((r) => r.test(v)));
}

/** The GHSA id in an advisory URL (`https://github.com/advisories/GHSA-xxxx-xxxx-xxxx`). */
function ghsaFrom(url: string | undefined): string | undefined {
  const m = /^https:\/\/github\.com\/advisories\/(GHSA(?:-[0-9a-z]{4}){3})\/?$/i.exec(url ?? "");
  return m ? `GHSA${m[1]!.slice(4).toLowerCase()}` : undefined;
}

function cvssSeverity(vector: string | null | undefined): OsvRecord["severity"] {
  if (!vector) return undefined;
  if (vector.startsWith("CVSS:3.")) return [{ type: "CVSS_V3", score: vector }];
  if (vector.startsWith("CVSS:4.")) return [{ type: "CVSS_V4", score: vector }];
  return undefined;
}

function byNpmVersion(a: string, b: string): number {
  const x = semver.parse(a, NPM_AUDIT_SEMVER);
  const y = semver.parse(b, NPM_AUDIT_SEMVER);
  return x && y ? x.compare(y) : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One advisory as an OSV record: id from the GHSA URL (else `NPM-<id>`), title as summary, the
 * CVSS vector as severity, the npm facts under `database_specific` (with `source:
 * "npm-advisories"`), and the range converted exactly. `publishedVersions` is called only when the
 * range has a part OSV events cannot express.
 */
export async function npmAdvisoryToOsv(
  name: string,
  advisory: NpmAdvisory,
  options: {
    readonly publishedVersions: (name: string) => Promise<readonly string[]>;
    readonly clock?: Clock;
  },
): Promise<OsvRecord> {
  const conversion = npmRangeToOsv(advisory.vulnerable_versions);
  const versions = new Set(conversion.versions);
  if (conversion.inexact.length > 0) {
    for (const v of resolveInexact(conversion.inexact, await options.publishedVersions(name)))
      versions.add(v);
  }
  const severity = cvssSeverity(advisory.cvss?.vectorString);
  const record = {
    id: ghsaFrom(advisory.url) ?? `NPM-${advisory.id}`,
    modified: (options.clock ?? systemClock).now().toISOString(),
    summary: advisory.title,
    ...(severity ? { severity } : {}),
    affected: [
      {
        package: { ecosystem: "npm", name },
        ...(conversion.ranges.length > 0 ? { ranges: conversion.ranges } : {}),
        ...(versions.size > 0 ? { versions: [...versions].sort(byNpmVersion) } : {}),
      },
    ],
    ...(advisory.url ? { references: [{ type: "ADVISORY", url: advisory.url }] } : {}),
    database_specific: {
      source: "npm-advisories",
      npm_advisory_id: advisory.id,
      severity: advisory.severity,
      cwe: advisory.cwe ?? [],
      vulnerable_versions: advisory.vulnerable_versions,
      ...(advisory.cvss?.score !== undefined ? { cvss_score: advisory.cvss.score } : {}),
    },
  } satisfies OsvRecord & { references?: readonly { type: string; url: string }[] };
  return record;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** One advisory of the bulk answer, checked; npm's own defaults fill `severity` and the range. */
export function checkNpmAdvisory(value: unknown, where: string): NpmAdvisory {
  const bad = (what: string): never => {
    throw new BulwarkError("INPUT_INVALID", `${where}: ${what}`);
  };
  if (!isObject(value)) return bad("an advisory must be an object");
  const { id, url, title, severity, vulnerable_versions: range, cwe, cvss } = value;
  if (!((typeof id === "number" && Number.isFinite(id)) || (typeof id === "string" && id !== "")))
    bad("`id` must be a number or a non-empty string");
  const optionalString = (v: unknown, field: string) => {
    if (v !== undefined && v !== null && typeof v !== "string") bad(`\`${field}\` must be a string`);
  };
  optionalString(url, "url");
  optionalString(title, "title");
  optionalString(severity, "severity");
  optionalString(range, "vulnerable_versions");
  if (cwe !== undefined && cwe !== null && !(Array.isArray(cwe) && cwe.every((c) => typeof c === "string")))
    bad("`cwe` must be an array of strings");
  if (cvss !== undefined && cvss !== null) {
    if (!isObject(cvss)) bad("`cvss` must be an object");
    const c = cvss as Record<string, unknown>;
    if (c.score !== undefined && c.score !== null && typeof c.score !== "number")
      bad("`cvss.score` must be a number");
    optionalString(c.vectorString, "cvss.vectorString");
  }
  const c = isObject(cvss) ? cvss : undefined;
  return {
    id: id as number | string,
    ...(typeof url === "string" && url !== "" ? { url } : {}),
    title: typeof title === "string" ? title : "",
    severity: typeof severity === "string" && severity !== "" ? severity : "high",
    vulnerable_versions: typeof range === "string" && range.trim() !== "" ? range : "*",
    ...(Array.isArray(cwe) ? { cwe: cwe as string[] } : {}),
    ...(c
      ? {
          cvss: {
            ...(typeof c.score === "number" ? { score: c.score } : {}),
            vectorString: typeof c.vectorString === "string" ? c.vectorString : null,
          },
        }
      : {}),
  };
}

/** `@scope/name` → `@scope%2fname`, the registry's path for a packument (as npm-package-arg escapes it). */
function packumentPath(name: string): string {
  return encodeURIComponent(name).replace(/^%40/, "@").replace(/%2F/i, "%2f");
}

/**
 * Asks the registry's bulk advisory endpoint about every npm component (others are not sent) and
 * returns the advisories as OSV records. Sends package names and versions; the token, when given,
 * goes in `Authorization` to this registry only.
 */
export async function queryNpmAdvisories(
  components: readonly MatchComponent[],
  options: NpmAdvisoriesOptions = {},
): Promise<SourceResult> {
  const registry = (options.registry ?? NPM_DEFAULT_REGISTRY).replace(/\/*$/, "/");
  const concurrency = positiveInt("concurrency", options.concurrency, 8);
  const wanted = new Map<string, Set<string>>();
  for (const c of components) {
    if (c.ecosystem !== "npm" || !c.name || !c.version) continue;
    const set = wanted.get(c.name) ?? new Set<string>();
    set.add(c.version);
    wanted.set(c.name, set);
  }
  const body: Record<string, string[]> = {};
  let queried = 0;
  for (const name of [...wanted.keys()].sort()) {
    body[name] = [...wanted.get(name)!].sort(byNpmVersion);
    queried += body[name].length;
  }
  if (queried === 0) return { records: [], queried };

  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const json = JSON.stringify(body);
  const request: JsonRequest = {
    method: "POST",
    url: `${registry}-/npm/v1/security/advisories/bulk`,
    headers: { ...auth, ...(options.gzip ? { "content-encoding": "gzip" } : {}) },
    body: options.gzip ? new Uint8Array(gzipSync(json)) : json,
  };
  const answer = await requestJson(request, options);
  if (!isObject(answer)) throw upstreamError(request, "unexpected answer: not a JSON object");

  const items: { name: string; advisory: NpmAdvisory }[] = [];
  for (const name of Object.keys(body)) {
    const list = answer[name];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list))
      throw upstreamError(request, `unexpected answer: ${JSON.stringify(name)} is not an array`);
    list.forEach((a: unknown, i) => {
      try {
        items.push({ name, advisory: checkNpmAdvisory(a, `${name}[${i}]`) });
      } catch (e) {
        throw upstreamError(request, `unexpected answer: ${(e as Error).message}`, {}, e);
      }
    });
  }

  const packuments = new Map<string, Promise<readonly string[]>>();
  const publishedVersions = (name: string): Promise<readonly string[]> => {
    let p = packuments.get(name);
    if (!p) {
      p = fetchVersions(`${registry}${packumentPath(name)}`, auth, options);
      packuments.set(name, p);
    }
    return p;
  };
  const converted = await mapConcurrent(items, concurrency, async ({ name, advisory }) => {
    try {
      return await npmAdvisoryToOsv(name, advisory, {
        publishedVersions,
        ...(options.clock ? { clock: options.clock } : {}),
      });
    } catch (e) {
      if (e instanceof BulwarkError && e.code === "INPUT_INVALID")
        throw upstreamError(request, `advisory ${String(advisory.id)} of ${name}: ${e.message}`, {}, e);
      throw e;
    }
  });
  return { records: mergeById(converted), queried };
}

/** Records sharing an id (one advisory listed under two names) become one with both packages. */
function mergeById(records: readonly OsvRecord[]): OsvRecord[] {
  const byId = new Map<string, OsvRecord>();
  for (const r of records) {
    const seen = byId.get(r.id);
    byId.set(r.id, seen ? { ...seen, affected: [...(seen.affected ?? []), ...(r.affected ?? [])] } : r);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The version list of a packument (the abbreviated form is enough). */
async function fetchVersions(
  url: string,
  auth: Readonly<Record<string, string>>,
  options: HttpOptions,
): Promise<readonly string[]> {
  const request: JsonRequest = {
    method: "GET",
    url,
    headers: { ...auth, accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8" },
  };
  const doc = await requestJson(request, options);
  if (!isObject(doc)) throw upstreamError(request, "unexpected packument: not a JSON object");
  if (doc.versions === undefined) return [];
  if (!isObject(doc.versions))
    throw upstreamError(request, "unexpected packument: `versions` is not an object");
  return Object.keys(doc.versions);
}
