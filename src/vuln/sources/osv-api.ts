/**
 * The OSV.dev API as an online source (https://google.github.io/osv.dev/api/): `POST
 * /v1/querybatch` asks which advisories affect each component (the answer holds only `id` and
 * `modified`), pages are followed per query with `page_token`, and each distinct id is then read
 * whole with `GET /v1/vulns/{id}`. The records go through the same checks as `bulwark db import`,
 * so the caller can cache them and match them like any other record.
 */
import { BulwarkError } from "../../core/index.js";
import { checkOsvRecord } from "../db/read.js";
import type { MatchComponent, OsvRecord } from "../match.js";
import { schemeForEcosystem } from "../versions/index.js";
import { PackageURL } from "packageurl-js";
import {
  type HttpOptions,
  type JsonRequest,
  mapConcurrent,
  positiveInt,
  requestJson,
  upstreamError,
} from "./http.js";

export const OSV_API_URL = "https://api.osv.dev";

/** The API's own limit on queries per `querybatch` request. */
export const OSV_MAX_BATCH = 1000;

/** A runaway paginator (a token that never ends) fails after this many pages of one batch. */
const MAX_PAGES = 100;

export interface OsvApiOptions extends HttpOptions {
  /** API root without `/v1` (default {@link OSV_API_URL}). */
  readonly baseUrl?: string;
  /** Queries per `querybatch` request, 1 … 1000 (default 1000). */
  readonly batchSize?: number;
  /** `GET /v1/vulns/{id}` requests in flight at once (default 8). */
  readonly concurrency?: number;
}

/** What an online source returns: records to cache and match, and how many packages were asked about. */
export interface SourceResult {
  /** Distinct records, sorted by id. */
  readonly records: OsvRecord[];
  /** Distinct package queries sent (components that could not be asked about are not counted). */
  readonly queried: number;
}

/** One query of `querybatch`, in either of the two forms the API documents. */
export type OsvQuery =
  | { readonly package: { readonly purl: string } }
  | { readonly package: { readonly name: string; readonly ecosystem: string }; readonly version: string };

/**
 * purl types that the API turns into the same ecosystem and package name as its records, for which
 * a versioned purl is the documented query. Distro types are left out: OSV's records name the
 * source package, the API ignores the `distro` qualifier and an `arch` qualifier can hide every
 * result (google/osv.dev#1234, #3126), so those go by name and ecosystem instead.
 */
const PURL_TYPES = new Set([
  "npm",
  "pypi",
  "maven",
  "golang",
  "cargo",
  "gem",
  "nuget",
  "composer",
  "hex",
  "pub",
]);

/** Ecosystems whose advisories are per source package (as in the matcher). */
const BY_SOURCE_PACKAGE = new Set(["Debian", "Ubuntu", "Alpine"]);

/**
 * The query for one component, or `undefined` when it cannot be asked about: no version, or an
 * ecosystem without a version scheme here (the matcher could not use the answer). Qualifiers and
 * subpath are dropped from the purl: the API rejects purl types it has no converter for and
 * ignores or mis-applies qualifiers; the local matcher re-checks every record anyway.
 */
export function osvQueryFor(c: MatchComponent): OsvQuery | undefined {
  if (!c.version || !schemeForEcosystem(c.ecosystem)) return undefined;
  if (BY_SOURCE_PACKAGE.has(c.ecosystem) && c.sourcePackage) {
    return {
      package: { name: c.sourcePackage.name, ecosystem: c.ecosystem },
      version: c.sourcePackage.version ?? c.version,
    };
  }
  const purl = plainPurl(c.purl);
  if (purl) return { package: { purl } };
  if (!c.name) return undefined;
  return { package: { name: c.name, ecosystem: c.ecosystem }, version: c.version };
}

function plainPurl(purl: string): string | undefined {
  try {
    const p = PackageURL.fromString(purl);
    if (!PURL_TYPES.has(p.type) || !p.version) return undefined;
    return new PackageURL(p.type, p.namespace, p.name, p.version, undefined, undefined).toString();
  } catch {
    return undefined;
  }
}

interface BatchResult {
  readonly ids: readonly string[];
  readonly next?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The `querybatch` answer: one result per query, in order (the API guarantees the order). */
function checkBatchAnswer(value: unknown, count: number, request: JsonRequest): BatchResult[] {
  const bad = (what: string): never => {
    throw upstreamError(request, `unexpected querybatch answer: ${what}`);
  };
  if (!isObject(value) || !Array.isArray(value.results)) return bad("no `results` array");
  if (value.results.length !== count) return bad(`${value.results.length} results for ${count} queries`);
  return value.results.map((r: unknown, i): BatchResult => {
    if (!isObject(r)) return bad(`results[${i}] is not an object`);
    const vulns = r.vulns ?? [];
    if (!Array.isArray(vulns)) return bad(`results[${i}].vulns is not an array`);
    const ids = vulns.map((v: unknown, j) =>
      isObject(v) && typeof v.id === "string" && v.id !== ""
        ? v.id
        : bad(`results[${i}].vulns[${j}] has no id`),
    );
    const token = r.next_page_token;
    if (token === undefined || token === null || token === "") return { ids };
    return typeof token === "string"
      ? { ids, next: token }
      : bad(`results[${i}].next_page_token is not a string`);
  });
}

/**
 * Asks the OSV API about every component and returns the full records of every advisory it names.
 * Network is used only here, only when the caller asked for this source. Sends package names,
 * ecosystems and versions, nothing else.
 */
export async function queryOsvApi(
  components: readonly MatchComponent[],
  options: OsvApiOptions = {},
): Promise<SourceResult> {
  const base = (options.baseUrl ?? OSV_API_URL).replace(/\/+$/, "");
  const batchSize = positiveInt("batchSize", options.batchSize, OSV_MAX_BATCH, OSV_MAX_BATCH);
  const concurrency = positiveInt("concurrency", options.concurrency, 8);

  const queries = new Map<string, OsvQuery>();
  for (const c of components) {
    const q = osvQueryFor(c);
    if (q) queries.set(JSON.stringify(q), q);
  }
  const all = [...queries.values()];

  const ids = new Set<string>();
  for (let start = 0; start < all.length; start += batchSize) {
    for (const id of await queryBatch(all.slice(start, start + batchSize), base, options)) ids.add(id);
  }

  const records = await mapConcurrent([...ids].sort(), concurrency, (id) => getVuln(id, base, options));
  const byId = new Map<string, OsvRecord>();
  for (const r of records) if (!byId.has(r.id)) byId.set(r.id, r);
  return {
    records: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    queried: all.length,
  };
}

/** One batch with its pages: queries that returned a `next_page_token` are asked again with it. */
async function queryBatch(
  batch: readonly OsvQuery[],
  base: string,
  options: HttpOptions,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let pending = batch.map((query) => ({ query, token: undefined as string | undefined }));
  for (let page = 1; pending.length > 0; page++) {
    const request: JsonRequest = {
      method: "POST",
      url: `${base}/v1/querybatch`,
      body: JSON.stringify({
        queries: pending.map(({ query, token }) =>
          token === undefined ? query : { ...query, page_token: token },
        ),
      }),
    };
    if (page > MAX_PAGES) throw upstreamError(request, `still paginating after ${MAX_PAGES} pages`);
    const results = checkBatchAnswer(await requestJson(request, options), pending.length, request);
    const next: typeof pending = [];
    results.forEach((r, i) => {
      for (const id of r.ids) ids.add(id);
      const p = pending[i]!;
      if (r.next === undefined) return;
      if (r.next === p.token) throw upstreamError(request, `results[${i}] repeats its page token`);
      next.push({ query: p.query, token: r.next });
    });
    pending = next;
  }
  return ids;
}

async function getVuln(id: string, base: string, options: HttpOptions): Promise<OsvRecord> {
  const request: JsonRequest = { method: "GET", url: `${base}/v1/vulns/${encodeURIComponent(id)}` };
  const value = await requestJson(request, options);
  try {
    return checkOsvRecord(value, "record");
  } catch (e) {
    if (e instanceof BulwarkError)
      throw upstreamError(request, `not a valid OSV record: ${e.message}`, {}, e);
    throw e;
  }
}
