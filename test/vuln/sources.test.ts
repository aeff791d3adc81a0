/**
 * Online vulnerability sources against a real HTTP server on 127.0.0.1 that answers in the
 * documented formats of api.osv.dev and of the npm registry's bulk advisory endpoint (neither is
 * reachable from the build machine). Advisory payloads are written here from the public facts of
 * each advisory; npm's numeric advisory ids are illustrative.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { PackageURL } from "packageurl-js";
import semver from "semver";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import {
  evaluateAffected,
  type MatchComponent,
  matchComponents,
  npmScheme,
  OsvIndex,
  type OsvRecord,
  semverScheme,
} from "../../src/vuln/index.js";
import {
  MAX_ATTEMPTS,
  NPM_AUDIT_SEMVER,
  type NpmAdvisory,
  npmAdvisoryToOsv,
  npmEnvReplace,
  npmRangeToOsv,
  npmRegistryFor,
  osvQueryFor,
  parseNpmrc,
  parseSourceName,
  queryNpmAdvisories,
  queryOsvApi,
  resolveInexact,
  retryAfterMs,
  SOURCE_NAMES,
} from "../../src/vuln/sources/index.js";

// ── A local HTTP server ─────────────────────────────────────────────────────────────────────────

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The request body, gunzipped when sent with `Content-Encoding: gzip`. */
  readonly body: string;
}
interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Sent as is when a string, JSON-encoded otherwise. */
  readonly body?: unknown;
}
type Handler = (req: Seen) => Reply | "hang" | Promise<Reply | "hang">;

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Handler): Promise<{ url: string; host: string; requests: Seen[] }> {
  const requests: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const body = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
        const seen = { method: req.method!, path: req.url!, headers: req.headers, body };
        requests.push(seen);
        const reply = await handler(seen);
        if (reply === "hang") return;
        const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {});
        res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
        res.end(text);
      })();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, requests };
}

async function rejection(p: Promise<unknown>): Promise<BulwarkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BulwarkError);
    return e as BulwarkError;
  }
  throw new Error("expected a rejection");
}

const fast = { retryDelayMs: 5 } as const;

// ── Components and OSV records (written from the advisories' public facts) ───────────────────────

const npm = (name: string, version: string, purl = `pkg:npm/${name.replace("@", "%40")}@${version}`) =>
  ({ purl, name, version, ecosystem: "npm" }) satisfies MatchComponent;

function osv(
  id: string,
  alias: string,
  summary: string,
  modified: string,
  affected: readonly [name: string, introduced: string, fixed: string][],
): OsvRecord {
  return {
    id,
    modified,
    aliases: [alias],
    summary,
    affected: affected.map(([name, introduced, fixed]) => ({
      package: { ecosystem: "npm", name },
      ranges: [{ type: "ECOSYSTEM" as const, events: [{ introduced }, { fixed }] }],
    })),
  };
}

const OSV_DB: readonly OsvRecord[] = [
  osv("GHSA-vh95-rmgr-6w4m", "CVE-2020-7598", "Prototype Pollution in minimist", "2022-04-26T21:01:40Z", [
    ["minimist", "0", "0.2.1"],
    ["minimist", "1.0.0", "1.2.3"],
  ]),
  osv("GHSA-xvch-5gv4-984h", "CVE-2021-44906", "Prototype Pollution in minimist", "2022-03-18T23:13:40Z", [
    ["minimist", "0", "0.2.4"],
    ["minimist", "1.0.0", "1.2.6"],
  ]),
  osv("GHSA-fvqr-27wr-82fm", "CVE-2018-3721", "Prototype Pollution in lodash", "2020-08-31T18:28:28Z", [
    ["lodash", "0", "4.17.5"],
  ]),
  osv("GHSA-4xc9-xhrj-v574", "CVE-2018-16487", "Prototype Pollution in lodash", "2023-11-01T23:00:52Z", [
    ["lodash", "0", "4.17.11"],
  ]),
  osv("GHSA-x5rq-j2xg-h7qm", "CVE-2019-1010266", "Prototype pollution in lodash", "2022-02-28T18:07:09Z", [
    ["lodash", "0", "4.17.11"],
  ]),
  osv("GHSA-jf85-cpcp-j695", "CVE-2019-10744", "Prototype Pollution in lodash", "2023-09-05T22:24:55Z", [
    ["lodash", "0", "4.17.12"],
  ]),
  osv("GHSA-p6mc-m468-83gw", "CVE-2020-8203", "Prototype Pollution in lodash", "2022-02-08T22:04:28Z", [
    ["lodash", "0", "4.17.20"],
  ]),
  osv("GHSA-35jh-r3h4-6jhm", "CVE-2021-23337", "Command Injection in lodash", "2022-02-08T21:35:09Z", [
    ["lodash", "0", "4.17.21"],
  ]),
  osv(
    "GHSA-29mw-wpgm-hmr9",
    "CVE-2020-28500",
    "Regular Expression Denial of Service (ReDoS) in lodash",
    "2023-09-05T22:58:25Z",
    [["lodash", "0", "4.17.21"]],
  ),
];

/** The component a documented querybatch query describes (purl, or name + ecosystem + version). */
function componentOfQuery(q: Record<string, unknown>): MatchComponent {
  const pkg = q.package as { purl?: string; name?: string; ecosystem?: string };
  if (pkg.purl) {
    const p = PackageURL.fromString(pkg.purl);
    const name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
    return { purl: pkg.purl, name, version: p.version!, ecosystem: p.type === "npm" ? "npm" : p.type };
  }
  return { purl: "", name: pkg.name!, version: q.version as string, ecosystem: pkg.ecosystem! };
}

/**
 * A small OSV API: `querybatch` with per-query pagination (`pageSize` ids per page, the token is
 * the offset) and `GET /v1/vulns/{id}`; answers `{}` for a query without results, as documented.
 */
function osvApi(db: readonly OsvRecord[], pageSize = 1000): Handler {
  return (req) => {
    if (req.method === "POST" && req.path === "/v1/querybatch") {
      const { queries } = JSON.parse(req.body) as { queries: Record<string, unknown>[] };
      return {
        body: {
          results: queries.map((q) => {
            const c = componentOfQuery(q);
            const ids = db.filter((r) => matchComponents([c], new OsvIndex([r])).length > 0).map((r) => r.id);
            const from = Number((q.page_token as string | undefined) ?? "0");
            const vulns = ids
              .slice(from, from + pageSize)
              .map((id) => ({ id, modified: "2024-01-01T00:00:00Z" }));
            if (vulns.length === 0) return {};
            return from + pageSize < ids.length
              ? { vulns, next_page_token: String(from + pageSize) }
              : { vulns };
          }),
        },
      };
    }
    const m = /^\/v1\/vulns\/([^/]+)$/.exec(req.path);
    const record = m && req.method === "GET" ? db.find((r) => r.id === decodeURIComponent(m[1]!)) : undefined;
    return record ? { body: record } : { status: 404, body: { code: 5, message: "Bug not found." } };
  };
}

const queriesOf = (s: Seen) => (JSON.parse(s.body) as { queries: Record<string, unknown>[] }).queries;

// ── Source names ─────────────────────────────────────────────────────────────────────────────────

describe("parseSourceName", () => {
  it.each(SOURCE_NAMES)("accepts %s", (name) => expect(parseSourceName(name)).toBe(name));

  it.each(["", "osv", "npm", "DB", "github"])("rejects %j with USAGE", (name) => {
    expect(() => parseSourceName(name)).toThrow(expect.objectContaining({ code: "USAGE" }));
  });
});

// ── OSV API ──────────────────────────────────────────────────────────────────────────────────────

describe("osvQueryFor: the documented query forms", () => {
  it.each([
    ["npm purl with version", npm("minimist", "1.2.0"), { package: { purl: "pkg:npm/minimist@1.2.0" } }],
    [
      "qualifiers and subpath dropped",
      npm("@babel/core", "7.0.0", "pkg:npm/%40babel/core@7.0.0?vcs_url=git%2Bhttps#lib"),
      { package: { purl: "pkg:npm/%40babel/core@7.0.0" } },
    ],
    [
      "purl without version: name, ecosystem and version",
      npm("lodash", "4.17.4", "pkg:npm/lodash"),
      { package: { name: "lodash", ecosystem: "npm" }, version: "4.17.4" },
    ],
    [
      "distro package by its source package",
      {
        purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        name: "libssl3",
        version: "3.0.11-1~deb12u2",
        ecosystem: "Debian",
        sourcePackage: { name: "openssl", version: "3.0.11-1~deb12u2" },
      },
      { package: { name: "openssl", ecosystem: "Debian" }, version: "3.0.11-1~deb12u2" },
    ],
    [
      "purl type the API may not convert: name form",
      { purl: "pkg:generic/zlib@1.3", name: "zlib", version: "1.3", ecosystem: "PyPI" },
      { package: { name: "zlib", ecosystem: "PyPI" }, version: "1.3" },
    ],
  ] as const)("%s", (_, component, query) => {
    expect(osvQueryFor(component)).toEqual(query);
  });

  it("skips components without a version or with an ecosystem the matcher cannot use", () => {
    expect(osvQueryFor(npm("lodash", ""))).toBeUndefined();
    expect(
      osvQueryFor({ purl: "pkg:conan/zlib@1.3", name: "zlib", version: "1.3", ecosystem: "ConanCenter" }),
    ).toBe(undefined);
  });
});

describe("queryOsvApi against a local OSV API server", () => {
  const five = [
    npm("minimist", "1.2.0"),
    npm("minimist", "0.0.8"),
    npm("lodash", "4.17.4"),
    npm("lodash", "4.17.21"),
    npm("left-pad", "1.3.0"),
  ];

  it("sends batchSize queries per POST (5 components, batchSize 2 → 3 POSTs) and GETs each id once", async () => {
    const api = await serve(osvApi(OSV_DB));
    const result = await queryOsvApi(five, { baseUrl: api.url, batchSize: 2, ...fast });
    const posts = api.requests.filter((r) => r.method === "POST");
    expect(posts.map((p) => p.path)).toEqual(["/v1/querybatch", "/v1/querybatch", "/v1/querybatch"]);
    expect(posts.map((p) => queriesOf(p).length)).toEqual([2, 2, 1]);
    expect(queriesOf(posts[0]!)[0]).toEqual({ package: { purl: "pkg:npm/minimist@1.2.0" } });
    expect(posts[0]!.headers["content-type"]).toBe("application/json");
    expect(posts[0]!.headers["user-agent"]).toBe("bulwark");
    expect(result.queried).toBe(5);
    // minimist 1.2.0 and 0.0.8 both hit both minimist advisories: each id is fetched once.
    const gets = api.requests.filter((r) => r.method === "GET").map((r) => r.path);
    expect(gets).toEqual([...new Set(gets)]);
    expect(gets).toHaveLength(9);
    expect(result.records.map((r) => r.id)).toEqual(OSV_DB.map((r) => r.id).sort());
  });

  it("follows next_page_token per query, re-sending only the queries that have one", async () => {
    const api = await serve(osvApi(OSV_DB, 3));
    const result = await queryOsvApi([npm("lodash", "4.17.4"), npm("minimist", "1.2.0")], {
      baseUrl: api.url,
      ...fast,
    });
    const posts = api.requests.filter((r) => r.method === "POST").map(queriesOf);
    expect(posts).toEqual([
      [{ package: { purl: "pkg:npm/lodash@4.17.4" } }, { package: { purl: "pkg:npm/minimist@1.2.0" } }],
      [{ package: { purl: "pkg:npm/lodash@4.17.4" }, page_token: "3" }],
      [{ package: { purl: "pkg:npm/lodash@4.17.4" }, page_token: "6" }],
    ]);
    expect(result.records.filter((r) => r.summary?.includes("lodash"))).toHaveLength(7);
    expect(result.records).toHaveLength(9);
  });

  it("dedupes identical components and ids across queries and batches", async () => {
    const api = await serve(osvApi(OSV_DB));
    const result = await queryOsvApi(
      [
        npm("minimist", "1.2.0"),
        npm("minimist", "1.2.0"),
        npm("minimist", "1.2.1"),
        npm("minimist", "0.2.0"),
      ],
      { baseUrl: api.url, batchSize: 1, ...fast },
    );
    expect(result.queried).toBe(3);
    expect(api.requests.filter((r) => r.method === "POST")).toHaveLength(3);
    expect(
      api.requests
        .filter((r) => r.method === "GET")
        .map((r) => r.path)
        .sort(),
    ).toEqual(["/v1/vulns/GHSA-vh95-rmgr-6w4m", "/v1/vulns/GHSA-xvch-5gv4-984h"]);
    expect(result.records.map((r) => r.id)).toEqual(["GHSA-vh95-rmgr-6w4m", "GHSA-xvch-5gv4-984h"]);
    expect(result.records[0]).toEqual(OSV_DB[0]);
  });

  it("keeps at most `concurrency` GETs in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const inner = osvApi(OSV_DB);
    const api = await serve(async (req) => {
      if (req.method !== "GET") return inner(req);
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return inner(req);
    });
    await queryOsvApi([npm("lodash", "4.17.4")], { baseUrl: api.url, concurrency: 2, ...fast });
    expect(most).toBe(2);
  });

  it("sends nothing when no component can be asked about", async () => {
    const api = await serve(osvApi(OSV_DB));
    expect(await queryOsvApi([npm("x", "")], { baseUrl: api.url })).toEqual({ records: [], queried: 0 });
    expect(api.requests).toEqual([]);
  });

  it("retries a 429 after the Retry-After it names", async () => {
    const inner = osvApi(OSV_DB);
    let first = true;
    const api = await serve((req) => {
      if (req.method === "POST" && first) {
        first = false;
        return {
          status: 429,
          headers: { "retry-after": "1" },
          body: { code: 8, message: "Too many requests" },
        };
      }
      return inner(req);
    });
    const started = Date.now();
    const result = await queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.requests.filter((r) => r.method === "POST")).toHaveLength(2);
    expect(result.records.map((r) => r.id)).toEqual(["GHSA-vh95-rmgr-6w4m", "GHSA-xvch-5gv4-984h"]);
  });

  it("gives up with UPSTREAM_UNAVAILABLE naming URL and status after a 500 three times", async () => {
    const api = await serve(() => ({ status: 500, body: "oops" }));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toContain(`POST ${api.url}/v1/querybatch`);
    expect(e.message).toContain("HTTP 500");
    expect(e.details).toMatchObject({ status: 500, url: `${api.url}/v1/querybatch` });
    expect(api.requests).toHaveLength(MAX_ATTEMPTS);
    expect(MAX_ATTEMPTS).toBe(3);
  });

  it("does not retry a 4xx other than 429", async () => {
    const api = await serve(() => ({ status: 400, body: { code: 3, message: "Invalid PURL." } }));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/HTTP 400/);
    expect(api.requests).toHaveLength(1);
  });

  it("fails at once when Retry-After asks for longer than allowed", async () => {
    const api = await serve(() => ({ status: 503, headers: { "retry-after": "3600" } }));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast }));
    expect(e.message).toMatch(/retry after 3600000 ms/);
    expect(api.requests).toHaveLength(1);
  });

  it("rejects malformed JSON with UPSTREAM_UNAVAILABLE, without retrying", async () => {
    const api = await serve(() => ({ body: '{"results": [' }));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/not JSON/);
    expect(api.requests).toHaveLength(1);
  });

  it("rejects an answer with the wrong number of results", async () => {
    const api = await serve(() => ({ body: { results: [] } }));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, ...fast }));
    expect(e.message).toMatch(/0 results for 1 queries/);
  });

  it("rejects a vuln that is not a valid OSV record, and a vuln that is not found", async () => {
    const broken = await serve((req) =>
      req.method === "POST" ? osvApi(OSV_DB)(req) : { body: { id: "GHSA-vh95-rmgr-6w4m" } },
    );
    const e = await rejection(queryOsvApi([npm("lodash", "4.17.20")], { baseUrl: broken.url, ...fast }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/not a valid OSV record.*modified/);

    const gone = await serve((req) => (req.method === "POST" ? osvApi(OSV_DB)(req) : { status: 404 }));
    const e2 = await rejection(queryOsvApi([npm("lodash", "4.17.20")], { baseUrl: gone.url, ...fast }));
    expect(e2.message).toContain(`GET ${gone.url}/v1/vulns/`);
    expect(e2.details).toMatchObject({ status: 404 });
  });

  it("rejects with the signal's reason when aborted, and times out with UPSTREAM_UNAVAILABLE", async () => {
    const api = await serve(() => "hang");
    const controller = new AbortController();
    const reason = new Error("scan cancelled");
    setTimeout(() => controller.abort(reason), 50);
    await expect(
      queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, signal: controller.signal, ...fast }),
    ).rejects.toBe(reason);
    expect(api.requests).toHaveLength(1);

    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: api.url, timeoutMs: 100 }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/within 100 ms/);
  });

  it("reports a refused connection as UPSTREAM_UNAVAILABLE after retrying", async () => {
    const api = await serve(() => ({}));
    const dead = api.url;
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    const e = await rejection(queryOsvApi([npm("minimist", "1.2.0")], { baseUrl: dead, ...fast }));
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/network error/);
  });

  it("refuses a batch size above the API's limit of 1000", async () => {
    await expect(queryOsvApi([], { batchSize: 1001 })).rejects.toMatchObject({ code: "USAGE" });
    await expect(queryOsvApi([], { batchSize: 0 })).rejects.toMatchObject({ code: "USAGE" });
  });

  it("returns records the matcher turns into exactly the expected matches", async () => {
    const api = await serve(osvApi(OSV_DB));
    const components = [npm("minimist", "1.2.5"), npm("minimist", "1.2.6")];
    const { records } = await queryOsvApi(components, { baseUrl: api.url, ...fast });
    const matches = matchComponents(components, new OsvIndex(records));
    expect(matches.map((m) => [m.component.version, m.id, m.fixedVersions])).toEqual([
      ["1.2.5", "GHSA-xvch-5gv4-984h", ["1.2.6"]],
    ]);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(retryAfterMs("7")).toBe(7000);
    expect(retryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))).toBe(
      10_000,
    );
    expect(retryAfterMs("soon")).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

// ── npm bulk advisories ──────────────────────────────────────────────────────────────────────────

/** Bulk-endpoint advisories as the registry returns them. */
const NPM_ADVISORIES: Record<string, NpmAdvisory[]> = {
  minimist: [
    {
      id: 1179,
      url: "https://github.com/advisories/GHSA-vh95-rmgr-6w4m",
      title: "Prototype Pollution in minimist",
      severity: "moderate",
      vulnerable_versions: "<0.2.1 || >=1.0.0 <1.2.3",
      cwe: ["CWE-1321"],
      cvss: { score: 5.6, vectorString: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L" },
    },
    {
      id: 1096466,
      url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
      title: "Prototype Pollution in minimist",
      severity: "critical",
      vulnerable_versions: "<0.2.4 || >=1.0.0 <1.2.6",
      cwe: ["CWE-1321"],
      cvss: { score: 9.8, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" },
    },
  ],
  lodash: [
    {
      id: 577,
      url: "https://github.com/advisories/GHSA-fvqr-27wr-82fm",
      title: "Prototype Pollution in lodash",
      severity: "low",
      vulnerable_versions: "<4.17.5",
      cwe: ["CWE-471"],
      cvss: { score: 0, vectorString: null },
    },
  ],
};

/** Published versions, as in the public packuments (fabricated here, no network). */
const MINIMIST_VERSIONS = [
  ...["0.0.0", "0.0.1", "0.0.2", "0.0.3", "0.0.4", "0.0.5", "0.0.6", "0.0.7", "0.0.8", "0.0.9", "0.0.10"],
  ...["0.1.0", "0.2.0", "0.2.1", "0.2.2", "0.2.3", "0.2.4", "1.0.0", "1.1.0", "1.1.1", "1.1.2", "1.1.3"],
  ...["1.2.0", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8"],
];
const LODASH_VERSIONS = ["4.17.0", "4.17.4", "4.17.5", "4.17.10", "4.17.11", "4.17.15", "4.17.20", "4.17.21"];
/** A package with the usual pre-release trains (beta, rc, nightly dev builds). */
const PRERELEASE_VERSIONS = [
  ...["4.9.4", "4.9.5", "5.0.0-dev.20230112", "5.0.0-dev.20230126", "5.0.0-beta", "5.0.0-rc", "5.0.0"],
  ...["5.0.1-rc", "5.0.2", "5.0.3", "5.0.4", "5.1.0-dev.20230401", "5.1.0-beta", "5.1.0-rc.1", "5.1.0-rc.2"],
  ...["5.1.0", "5.1.3", "5.1.6", "5.2.0-beta", "5.2.2", "6.0.0-alpha.1", "6.0.0-alpha.10", "6.0.0-alpha.2"],
];
const PACKUMENTS: Record<string, readonly string[]> = {
  minimist: MINIMIST_VERSIONS,
  lodash: LODASH_VERSIONS,
  "@types/prerelease-train": PRERELEASE_VERSIONS,
};

/**
 * A small npm registry: the bulk endpoint (advisories of the requested names that affect any of
 * the requested versions, as the real one answers) and abbreviated packuments.
 */
function npmRegistry(advisories: Record<string, readonly NpmAdvisory[]>, packuments = PACKUMENTS): Handler {
  return (req) => {
    if (req.method === "POST" && req.path.endsWith("/-/npm/v1/security/advisories/bulk")) {
      const asked = JSON.parse(req.body) as Record<string, string[]>;
      const out: Record<string, NpmAdvisory[]> = {};
      for (const [name, versions] of Object.entries(asked)) {
        const hits = (advisories[name] ?? []).filter((a) =>
          versions.some((v) => semver.satisfies(v, a.vulnerable_versions, NPM_AUDIT_SEMVER)),
        );
        if (hits.length) out[name] = hits;
      }
      return { body: out };
    }
    const name = decodeURIComponent(req.path.replace(/^.*?\/(?=[^/]+$)/, ""));
    const versions = packuments[name];
    if (req.method !== "GET" || !versions) return { status: 404, body: { error: "Not found" } };
    return {
      headers: { "content-type": "application/vnd.npm.install-v1+json" },
      body: {
        name,
        "dist-tags": { latest: versions.at(-1) },
        versions: Object.fromEntries(versions.map((v) => [v, {}])),
      },
    };
  };
}

const clock = fixedClock("2026-01-02T03:04:05Z");

describe("queryNpmAdvisories against a local npm registry", () => {
  const components: MatchComponent[] = [
    npm("minimist", "1.2.0"),
    npm("minimist", "0.0.8"),
    npm("minimist", "1.2.0"),
    npm("lodash", "4.17.4"),
    npm("@babel/core", "7.0.0"),
    { purl: "pkg:pypi/jinja2@2.4.1", name: "jinja2", version: "2.4.1", ecosystem: "PyPI" },
  ];

  it("POSTs { name: [versions] } of the npm components only, to <registry>/-/npm/v1/security/advisories/bulk", async () => {
    const reg = await serve(npmRegistry(NPM_ADVISORIES));
    const result = await queryNpmAdvisories(components, { registry: `${reg.url}/`, clock, ...fast });
    expect(reg.requests).toHaveLength(1);
    const [post] = reg.requests;
    expect(post!.method).toBe("POST");
    expect(post!.path).toBe("/-/npm/v1/security/advisories/bulk");
    expect(post!.headers["content-type"]).toBe("application/json");
    expect(post!.headers.authorization).toBeUndefined();
    expect(JSON.parse(post!.body)).toEqual({
      "@babel/core": ["7.0.0"],
      lodash: ["4.17.4"],
      minimist: ["0.0.8", "1.2.0"],
    });
    expect(result.queried).toBe(4);
    expect(result.records.map((r) => r.id)).toEqual([
      "GHSA-fvqr-27wr-82fm",
      "GHSA-vh95-rmgr-6w4m",
      "GHSA-xvch-5gv4-984h",
    ]);
  });

  it("gzips the body when asked, as npm does", async () => {
    const reg = await serve(npmRegistry(NPM_ADVISORIES));
    await queryNpmAdvisories([npm("lodash", "4.17.4")], { registry: reg.url, gzip: true, clock, ...fast });
    expect(reg.requests[0]!.headers["content-encoding"]).toBe("gzip");
    expect(JSON.parse(reg.requests[0]!.body)).toEqual({ lodash: ["4.17.4"] });
  });

  it("converts an advisory into an OSV-shaped record", async () => {
    const reg = await serve(npmRegistry(NPM_ADVISORIES));
    const { records } = await queryNpmAdvisories([npm("minimist", "1.2.0"), npm("lodash", "4.17.4")], {
      registry: reg.url,
      clock,
      ...fast,
    });
    expect(records.find((r) => r.id === "GHSA-vh95-rmgr-6w4m")).toEqual({
      id: "GHSA-vh95-rmgr-6w4m",
      modified: "2026-01-02T03:04:05.000Z",
      summary: "Prototype Pollution in minimist",
      severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L" }],
      affected: [
        {
          package: { ecosystem: "npm", name: "minimist" },
          ranges: [
            { type: "SEMVER", events: [{ introduced: "0" }, { fixed: "0.2.1" }] },
            { type: "SEMVER", events: [{ introduced: "1.0.0" }, { fixed: "1.2.3" }] },
          ],
        },
      ],
      references: [{ type: "ADVISORY", url: "https://github.com/advisories/GHSA-vh95-rmgr-6w4m" }],
      database_specific: {
        source: "npm-advisories",
        npm_advisory_id: 1179,
        severity: "moderate",
        cwe: ["CWE-1321"],
        vulnerable_versions: "<0.2.1 || >=1.0.0 <1.2.3",
        cvss_score: 5.6,
      },
    });
    const lodash = records.find((r) => r.id === "GHSA-fvqr-27wr-82fm")!;
    expect(lodash.severity).toBeUndefined(); // vectorString null: no CVSS to state
    expect(lodash.database_specific).toMatchObject({ severity: "low", cwe: ["CWE-471"] });
  });

  it("uses NPM-<id> when the advisory URL is not a GHSA, and CVSS_V4 by the vector's prefix", async () => {
    const record = await npmAdvisoryToOsv(
      "left-pad",
      {
        id: 1234,
        url: "https://www.npmjs.com/advisories/1234",
        title: "Sample",
        severity: "high",
        vulnerable_versions: "<1.3.0",
        cvss: { score: 8.7, vectorString: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N" },
      },
      { publishedVersions: () => Promise.reject(new Error("not needed")), clock },
    );
    expect(record.id).toBe("NPM-1234");
    expect(record.severity).toEqual([
      { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N" },
    ]);
  });

  it("lists the published versions from the packument when a range has no exact OSV form", async () => {
    const advisories: Record<string, NpmAdvisory[]> = {
      minimist: [{ ...NPM_ADVISORIES.minimist![0]!, vulnerable_versions: ">1.2.0 <1.2.6 || <0.0.2" }],
      "@types/prerelease-train": [
        { id: 9, title: "Sample", severity: "low", vulnerable_versions: ">5.0.0-beta <5.0.2", url: "" },
      ],
    };
    const reg = await serve(npmRegistry(advisories));
    const { records } = await queryNpmAdvisories(
      [npm("minimist", "1.2.4"), npm("minimist", "1.2.4"), npm("@types/prerelease-train", "5.0.1-rc")],
      { registry: reg.url, clock, ...fast },
    );
    // One POST, then each packument once (fetched concurrently, so in either order).
    expect(reg.requests[0]!.path).toBe("/-/npm/v1/security/advisories/bulk");
    expect(
      reg.requests
        .slice(1)
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    ).toEqual(["GET /@types%2fprerelease-train", "GET /minimist"]);
    expect(reg.requests[1]!.headers.accept).toMatch(/application\/vnd\.npm\.install-v1\+json/);
    const minimist = records.find((r) => r.id === "GHSA-vh95-rmgr-6w4m")!;
    expect(minimist.affected).toEqual([
      {
        package: { ecosystem: "npm", name: "minimist" },
        ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "0.0.2" }] }],
        versions: ["1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5"],
      },
    ]);
    expect(records.find((r) => r.id === "NPM-9")!.affected![0]!.versions).toEqual([
      "5.0.0-dev.20230112", // "dev" sorts after "beta"
      "5.0.0-dev.20230126",
      "5.0.0-rc",
      "5.0.0",
      "5.0.1-rc",
    ]);
  });

  it("sends the token only to the registry it is configured for, and never puts it in an error", async () => {
    const reg = await serve(
      npmRegistry({ minimist: [{ ...NPM_ADVISORIES.minimist![0]!, vulnerable_versions: ">1.0.0 <1.2.3" }] }),
    );
    const dir = tempDir();
    const home = join(dir, "home");
    mkdirSync(home);
    writeFileSync(
      join(dir, ".npmrc"),
      `registry=${reg.url}/\n//${reg.host}/:_authToken=\${NPM_TOKEN}\n//registry.npmjs.org/:_authToken=other-token\n`,
    );
    const config = npmRegistryFor(dir, { HOME: home, NPM_TOKEN: "s3cret-token" });
    expect(config).toEqual({ registry: `${reg.url}/`, token: "s3cret-token" });
    await queryNpmAdvisories([npm("minimist", "1.2.0")], { ...config, clock, ...fast });
    expect(reg.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ["POST", "Bearer s3cret-token"],
      ["GET", "Bearer s3cret-token"],
    ]);

    // The same project with the token configured for another host: nothing is sent.
    writeFileSync(
      join(dir, ".npmrc"),
      `registry=${reg.url}/\n//registry.example.com/:_authToken=s3cret-token\n`,
    );
    const other = npmRegistryFor(dir, { HOME: home });
    expect(other).toEqual({ registry: `${reg.url}/` });
    await queryNpmAdvisories([npm("minimist", "1.2.0")], { ...other, clock, ...fast });
    expect(reg.requests.slice(2).map((r) => r.headers.authorization)).toEqual([undefined, undefined]);

    const denied = await serve(() => ({ status: 401, body: { error: "bad token s3cret-token" } }));
    const e = await rejection(
      queryNpmAdvisories([npm("minimist", "1.2.0")], {
        registry: denied.url,
        token: "s3cret-token",
        ...fast,
      }),
    );
    expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(e.message).toMatch(/HTTP 401.*credentials/);
    expect(`${e.message} ${JSON.stringify(e.toJSON())} ${String(e)}`).not.toContain("s3cret");
  });

  it("rejects answers of the wrong shape and ranges npm cannot parse", async () => {
    for (const body of [
      [],
      { lodash: { id: 1 } },
      { lodash: [{ title: "no id" }] },
      { lodash: [{ id: 1, cvss: "9.8" }] },
    ]) {
      const reg = await serve(() => ({ body }));
      const e = await rejection(
        queryNpmAdvisories([npm("lodash", "4.17.4")], { registry: reg.url, ...fast }),
      );
      expect(e.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(e.message).toMatch(/unexpected answer/);
    }
    const reg = await serve(() => ({ body: { lodash: [{ id: 1, vulnerable_versions: ">=4.x.y <<5" }] } }));
    const e = await rejection(queryNpmAdvisories([npm("lodash", "4.17.4")], { registry: reg.url, ...fast }));
    expect(e.message).toMatch(/advisory 1 of lodash: vulnerable_versions ">=4.x.y <<5" is not an npm range/);
    expect((e.cause as BulwarkError).code).toBe("INPUT_INVALID");
  });

  it("applies npm's defaults: no range means every version, no severity means high", async () => {
    const reg = await serve(() => ({ body: { lodash: [{ id: 7, title: "Sample" }] } }));
    const { records } = await queryNpmAdvisories([npm("lodash", "4.17.21")], {
      registry: reg.url,
      clock,
      ...fast,
    });
    expect(records[0]!.affected![0]!.ranges).toEqual([{ type: "SEMVER", events: [{ introduced: "0" }] }]);
    expect(records[0]!.database_specific).toMatchObject({ severity: "high", vulnerable_versions: "*" });
  });

  it("sends nothing when there is no npm component", async () => {
    const reg = await serve(npmRegistry(NPM_ADVISORIES));
    expect(await queryNpmAdvisories([components[5]!], { registry: reg.url })).toEqual({
      records: [],
      queried: 0,
    });
    expect(reg.requests).toEqual([]);
  });

  it("returns records the matcher turns into exactly the expected matches", async () => {
    const reg = await serve(npmRegistry(NPM_ADVISORIES));
    const scanned = [
      npm("minimist", "1.2.0"),
      npm("minimist", "1.2.6"),
      npm("lodash", "4.17.4"),
      npm("lodash", "4.17.21"),
    ];
    const { records } = await queryNpmAdvisories(scanned, { registry: reg.url, clock, ...fast });
    const matches = matchComponents(scanned, new OsvIndex(records));
    expect(matches.map((m) => [`${m.component.name}@${m.component.version}`, m.id, m.fixedVersions])).toEqual(
      [
        ["minimist@1.2.0", "GHSA-vh95-rmgr-6w4m", ["1.2.3"]],
        ["minimist@1.2.0", "GHSA-xvch-5gv4-984h", ["1.2.6"]],
        ["lodash@4.17.4", "GHSA-fvqr-27wr-82fm", ["4.17.5"]],
      ],
    );
  });
});

// ── The range conversion is exact ────────────────────────────────────────────────────────────────

/** Whether OSV evaluation of the converted range (as the matcher runs it) says `version` is affected. */
function osvSays(version: string, range: string, published: readonly string[]): boolean {
  const c = npmRangeToOsv(range);
  const versions = [...c.versions, ...resolveInexact(c.inexact, published)];
  return evaluateAffected(version, { ranges: c.ranges, versions }, npmScheme, semverScheme).affected;
}

const npmSays = (version: string, range: string) => semver.satisfies(version, range, NPM_AUDIT_SEMVER);

describe("vulnerable_versions → OSV agrees with npm audit on every published version", () => {
  const M = "minimist";
  const P = "@types/prerelease-train";
  // [range, package (its fabricated packument), converted without the packument?]
  const table: [string, string, boolean][] = [
    ["*", M, true],
    ["", M, true],
    ["<0.2.1", M, true],
    ["< 0.2.1", M, true],
    ["<=1.2.5", M, true],
    [">=1.0.0", M, true],
    [">=1.0.0 <1.2.6", M, true],
    [">= 1.0.0 < 1.2.6", M, true],
    ["<0.2.1 || >=1.0.0 <1.2.3", M, true],
    ["<0.2.4 || >=1.0.0 <1.2.6", M, true],
    ["=1.2.5", M, true],
    ["1.2.5", M, true],
    ["v1.2.5", M, true],
    ["1.2.5 || 1.2.7", M, true],
    ["=1.2.5 >=1.3.0", M, true],
    ["^1.2.0", M, true],
    ["~0.2.0", M, true],
    ["1.x", M, true],
    ["0.0.x", M, true],
    ["1.2.0 - 1.2.5", M, true],
    ["<=1.2", M, true],
    [">1.2", M, true],
    [">=0.2.0 >=0.2.3 <1.2.6 <=1.1.3", M, true],
    [">=1.1.0 <=1.1.0", M, true],
    [">=1.1.0 <1.1.0", M, true],
    [">=1.2.0 <1.0.0", M, true],
    ["<0.0.0-0", M, true],
    [">=0.0.0", M, true],
    [">1.2.0 <1.2.6", M, false],
    [">1.2.8", M, false],
    [">0.0.10 <0.2.4 || >=1.2.7", M, false],
    ["<5.0.0", P, true],
    ["<5.0.0-0", P, true],
    [">=5.0.0-beta <5.0.2", P, true],
    ["<=5.0.0-rc", P, true],
    ["^5.0.0", P, true],
    ["~5.1.0-beta", P, true],
    ["5.x", P, true],
    [">=5.1.0-dev.20230401 <5.1.3", P, true],
    ["5.0.0-rc - 5.1.0-beta", P, true],
    [">=6.0.0-alpha.2", P, true],
    [">=6.0.0-alpha", P, true],
    [">5.0.0-beta", P, false],
    [">5.0.0 <=5.1.0-rc.1 || 4.9.4", P, false],
  ];

  it.each(table)("%j on %s (exact without the packument: %s)", (range, name, exact) => {
    const published = PACKUMENTS[name]!;
    expect(npmRangeToOsv(range).inexact.length === 0).toBe(exact);
    for (const v of published) expect([v, osvSays(v, range, published)]).toEqual([v, npmSays(v, range)]);
  });

  it("holds for random comparator sets over the published versions", () => {
    const all = [...MINIMIST_VERSIONS, ...PRERELEASE_VERSIONS];
    const versions = [...all, "0.0.0-0", "2.0.0-0", "1.2.9", "5.0.0-0"];
    const comparator = fc
      .tuple(fc.constantFrom("", "=", "<", "<=", ">", ">="), fc.constantFrom(...versions))
      .map(([op, v]) => `${op}${v}`);
    const range = fc
      .array(fc.array(comparator, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
      .map((sets) => sets.map((s) => s.join(" ")).join(" || "));
    fc.assert(
      fc.property(range, (r) => {
        for (const v of all) if (osvSays(v, r, all) !== npmSays(v, r)) return false;
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("never produces a range with a bound strict SemVer rejects", () => {
    for (const [range] of table)
      for (const r of npmRangeToOsv(range).ranges)
        for (const e of r.events)
          for (const v of Object.values(e)) expect(v === "0" || semverScheme.isValid(v)).toBe(true);
  });
});

// ── npmRegistryFor ───────────────────────────────────────────────────────────────────────────────

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "bulwark-sources-"));
  temps.push(d);
  return d;
}

describe("npmRegistryFor: the registry npm would use for a project", () => {
  function layout(project?: string, user?: string): { project: string; home: string } {
    const root = tempDir();
    const projectDir = join(root, "project");
    const home = join(root, "home");
    mkdirSync(projectDir);
    mkdirSync(home);
    if (project !== undefined) writeFileSync(join(projectDir, ".npmrc"), project);
    if (user !== undefined) writeFileSync(join(home, ".npmrc"), user);
    return { project: projectDir, home };
  }

  it("defaults to the public registry", () => {
    const { project, home } = layout();
    expect(npmRegistryFor(project, { HOME: home })).toEqual({ registry: "https://registry.npmjs.org/" });
  });

  it("takes the user config, then the project config over it, then npm_config_registry over both", () => {
    const { project, home } = layout(undefined, "registry=https://user.example/npm\n");
    expect(npmRegistryFor(project, { HOME: home }).registry).toBe("https://user.example/npm/");
    writeFileSync(join(project, ".npmrc"), "; project\nregistry = https://project.example/\n");
    expect(npmRegistryFor(project, { HOME: home }).registry).toBe("https://project.example/");
    expect(
      npmRegistryFor(project, { HOME: home, npm_config_registry: "https://env.example/" }).registry,
    ).toBe("https://env.example/");
    expect(
      npmRegistryFor(project, { HOME: home, NPM_CONFIG_REGISTRY: "https://ENV.example/a" }).registry,
    ).toBe("https://env.example/a/");
    expect(npmRegistryFor(project, { HOME: home, npm_config_registry: "" }).registry).toBe(
      "https://project.example/",
    );
  });

  it("reads npm_config_userconfig instead of $HOME/.npmrc", () => {
    const { project, home } = layout(undefined, "registry=https://home.example/\n");
    const alt = join(home, "alt-npmrc");
    writeFileSync(alt, "registry=https://alt.example/\n//alt.example/:_authToken=alt-token\n");
    expect(npmRegistryFor(project, { HOME: home, npm_config_userconfig: alt })).toEqual({
      registry: "https://alt.example/",
      token: "alt-token",
    });
  });

  it.each([
    ["https://reg.example/", "//reg.example/:_authToken=t", "t"],
    ["https://reg.example/npm/", "//reg.example/npm/:_authToken=t", "t"],
    ["https://reg.example/npm/", "//reg.example/:_authToken=t", "t"],
    ["https://reg.example/npm/", "//reg.example/:_authToken=a\n//reg.example/npm/:_authToken=b", "b"],
    ["https://reg.example/npm/", "//reg.example/other/:_authToken=t", undefined],
    ["https://reg.example/", "//reg.example/npm/:_authToken=t", undefined],
    ["https://reg.example:8443/", "//reg.example/:_authToken=t", undefined],
    ["https://reg.example:8443/", "//reg.example:8443/:_authToken=t", "t"],
    ["https://reg.example/", "//other.example/:_authToken=t", undefined],
    ["https://reg.example/", "//reg.example/:_authToken=${UNSET_TOKEN}", undefined],
    ["https://reg.example/", "//reg.example/:_authToken=${UNSET_TOKEN?}", undefined],
    ["https://reg.example/", '//reg.example/:_authToken="${TOKEN}"', "from-env"],
    ["https://reg.example/", "//${HOST}/:_authToken=${TOKEN} ; comment", "from-env"],
  ])("registry %s with %j → token %j", (registry, rc, token) => {
    const { project, home } = layout(`registry=${registry}\n${rc}\n`);
    const got = npmRegistryFor(project, { HOME: home, TOKEN: "from-env", HOST: "reg.example" });
    expect(got).toEqual(token === undefined ? { registry } : { registry, token });
  });

  it("prefers the project's token over the user's for the same registry", () => {
    const { project, home } = layout(
      "//reg.example/:_authToken=project-token\n",
      "registry=https://reg.example/\n//reg.example/:_authToken=user-token\n",
    );
    expect(npmRegistryFor(project, { HOME: home })).toEqual({
      registry: "https://reg.example/",
      token: "project-token",
    });
  });

  it("refuses a registry that is not an http(s) URL with CONFIG_INVALID", () => {
    const { project, home } = layout("registry=ftp://reg.example/\n");
    expect(() => npmRegistryFor(project, { HOME: home })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(() => npmRegistryFor(project, { HOME: home, npm_config_registry: "not a url" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
  });

  it("replaces ${ENV} as npm does, escapes included", () => {
    const env = { A: "x" };
    expect(npmEnvReplace("${A}-${B}-${B?}", env)).toBe("x-${B}-");
    expect(npmEnvReplace("\\${A} \\\\${A}", env)).toBe("${A} \\x");
    expect([...parseNpmrc("a = 1\n[section]\nb = 2\nc[] = 3\n", env)]).toEqual([["a", "1"]]);
    expect(parseNpmrc("k = 'q;uoted' \nl = a\\;b # c\n", env)).toEqual(
      new Map([
        ["k", "q;uoted"],
        ["l", "a;b"],
      ]),
    );
  });
});
