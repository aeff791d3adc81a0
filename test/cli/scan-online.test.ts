// `bulwark scan --source osv-api|npm-advisories` end to end against local servers on 127.0.0.1 that
// answer in the documented formats (the real endpoints cannot be reached from the build machine).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, ROOT } from "../support/cli.js";

const SAMPLES = join(ROOT, "examples/vuln-db/osv");
const WORKER = join(ROOT, "examples/shop/worker");
const records = readdirSync(SAMPLES).map(
  (f) =>
    JSON.parse(readFileSync(join(SAMPLES, f), "utf8")) as {
      id: string;
      withdrawn?: string;
      affected: { package: { name: string } }[];
    },
);

let server: Server;
let base: string;
const seen: { method: string; path: string; body: string }[] = [];
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bulwark-online-"));
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      seen.push({ method: req.method!, path: req.url!, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method === "POST" && req.url === "/v1/querybatch") {
        // OSV API: one result per query, each listing {id, modified} of the advisories for it.
        const { queries } = JSON.parse(body) as { queries: { package: { purl?: string; name?: string } }[] };
        const results = queries.map((q) => {
          const name =
            q.package.name ?? decodeURIComponent(/^pkg:npm\/(.+)@/.exec(q.package.purl ?? "")?.[1] ?? "");
          const vulns = records
            .filter((r) => !r.withdrawn && r.affected.some((a) => a.package.name === name))
            .map((r) => ({ id: r.id, modified: "2024-03-01T00:00:00Z" }));
          return vulns.length ? { vulns } : {};
        });
        return json(200, { results });
      }
      const m = /^\/v1\/vulns\/(.+)$/.exec(req.url ?? "");
      if (req.method === "GET" && m) {
        const r = records.find((x) => x.id === decodeURIComponent(m[1]!));
        return r ? json(200, r) : json(404, { code: 5, message: "Bug not found." });
      }
      if (req.method === "POST" && req.url === "/-/npm/v1/security/advisories/bulk") {
        // The npm registry's bulk endpoint: advisories per package name.
        const asked = JSON.parse(body) as Record<string, string[]>;
        const out: Record<string, unknown[]> = {};
        if (asked.minimist)
          out.minimist = [
            {
              id: 1097677,
              url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
              title: "Prototype Pollution in minimist",
              severity: "critical",
              vulnerable_versions: "<0.2.4 || >=1.0.0 <1.2.6",
              cwe: ["CWE-1321"],
              cvss: { score: 9.8, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" },
            },
          ];
        return json(200, out);
      }
      json(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

const ids = (stdout: string) =>
  (JSON.parse(stdout) as { matches: { id: string; source: string }[] }).matches
    .map((m) => `${m.id} ${m.source}`)
    .sort();

describe("bulwark scan with online sources", () => {
  it("--source osv-api queries the API, matches locally, and caches the records for offline scans", async () => {
    const db = join(tmp, "osv-db");
    const r = await cli([
      "scan",
      WORKER,
      "--db",
      db,
      "--source",
      "osv-api",
      "--osv-api-url",
      base,
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    expect(ids(r.stdout)).toEqual([
      "GHSA-29mw-wpgm-hmr9 osv-api",
      "GHSA-35jh-r3h4-6jhm osv-api",
      "GHSA-8cf7-32gw-wr33 osv-api",
      "GHSA-cph5-m8f7-6c5x osv-api",
      "GHSA-wf5p-g6vw-rhxx osv-api",
      "GHSA-xvch-5gv4-984h osv-api",
    ]);
    expect(seen.some((s) => s.method === "POST" && s.path === "/v1/querybatch")).toBe(true);
    // The follow-redirects record was fetched (the API names it) but 1.16.3 is past its fix.
    expect(seen.some((s) => s.path === "/v1/vulns/GHSA-jchw-25xp-jwwc")).toBe(true);
    // Offline now: the same findings from the cache in the local database.
    const before = seen.length;
    const offline = await cli(["scan", WORKER, "--db", db, "--format", "json"]);
    expect(offline.code).toBe(0);
    expect(ids(offline.stdout).map((l) => l.split(" ")[0])).toEqual(
      ids(r.stdout).map((l) => l.split(" ")[0]),
    );
    expect(seen.length).toBe(before);
    const status = JSON.parse((await cli(["db", "status", "--db", db, "--format", "json"])).stdout);
    expect(status.sources).toMatchObject([{ name: "osv-api", kind: "online" }]);
  });

  it("--source npm-advisories asks the configured registry's bulk endpoint and never overrides imported records", async () => {
    const db = join(tmp, "npm-db");
    expect((await cli(["db", "import", SAMPLES, "--db", db])).code).toBe(0);
    const r = await cli([
      "scan",
      WORKER,
      "--db",
      db,
      "--source",
      "db",
      "--source",
      "npm-advisories",
      "--registry",
      base,
      "--format",
      "json",
    ]);
    expect(r.code).toBe(0);
    const bulk = seen.find((s) => s.path === "/-/npm/v1/security/advisories/bulk")!;
    expect(JSON.parse(bulk.body)).toMatchObject({ minimist: ["1.2.5"], lodash: ["4.17.20"] });
    // The same advisory from both sources is one finding, and the imported (fuller) record wins.
    const report = JSON.parse(r.stdout) as { matches: { id: string; source: string; summary?: string }[] };
    const minimist = report.matches.filter((m) => m.id === "GHSA-xvch-5gv4-984h");
    expect(minimist).toHaveLength(1);
    expect(minimist[0]).toMatchObject({ source: "db", summary: "minimist: prototype pollution" });
    const shown = JSON.parse((await cli(["db", "show", "GHSA-xvch-5gv4-984h", "--db", db])).stdout);
    expect(shown.summary).toBe("minimist: prototype pollution");
  });

  it("an unreachable source fails the scan with UPSTREAM_UNAVAILABLE (exit 5)", async () => {
    const r = await cli([
      "scan",
      WORKER,
      "--db",
      join(tmp, "x"),
      "--source",
      "osv-api",
      "--osv-api-url",
      "http://127.0.0.1:9",
    ]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("[UPSTREAM_UNAVAILABLE]");
  });
});
