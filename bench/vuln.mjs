// bench/vuln: the vulnerability database and matcher on a ≈250,000-record OSV-shaped dataset
// (bench/prepare-vuln.mjs): import speed (records/s, peak memory), index open time, and matching a
// 2,000-component SBOM whose packages all have advisories — in-process medians and whole
// `bulwark scan` commands (hyperfine). Targets (issue #4): open < 200 ms, match 2,000 < 500 ms.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchComponents, DATASET } from "./prepare-vuln.mjs";
import { fmt, hyperfine, ROOT, stats } from "./lib.mjs";

const CLI = join(ROOT, "dist/cli/main.js");
const ECOSYSTEMS = ["npm", "PyPI", "Go", "Maven", "Debian"];

function sbomOf(components) {
  const purl = (c) => {
    switch (c.eco) {
      case "npm":
        return `pkg:npm/${c.name.replace("@", "%40")}@${c.version}`;
      case "PyPI":
        return `pkg:pypi/${c.name}@${c.version}`;
      case "Go":
        return `pkg:golang/${c.name}@${c.version}`;
      case "Maven": {
        const [g, a] = c.name.split(":");
        return `pkg:maven/${g}/${a}@${c.version}`;
      }
      default:
        return `pkg:deb/debian/${c.name}@${encodeURIComponent(c.version)}?arch=amd64&distro=debian-12`;
    }
  };
  return {
    serialNumber: "urn:uuid:00000000-0000-4000-8000-000000000000",
    timestamp: "2026-11-21T00:00:00Z",
    subject: { type: "directory", name: "bench-2000" },
    tool: { name: "bulwark", version: "bench" },
    catalogers: [],
    components: components.map((c) => ({
      bomRef: purl(c),
      type: "library",
      name: c.name,
      version: c.version,
      purl: purl(c),
      ecosystem: c.eco,
      licenses: [],
      hashes: [],
      locations: [{ path: "bench" }],
      foundBy: ["bench"],
      ...(c.eco === "Debian" ? { sourcePackage: { name: c.name, version: c.version } } : {}),
      properties: {},
    })),
    dependencies: [],
    issues: [],
  };
}

function timeCommand(cmd) {
  const r = spawnSync("/usr/bin/time", ["-v", "sh", "-c", cmd], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} failed:\n${r.stderr}`);
  const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(r.stderr);
  const ms = wall ? ((Number(wall[1] ?? 0) * 60 + Number(wall[2])) * 60 + Number(wall[3])) * 1000 : NaN;
  const mem = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { ms, peakMiB: mem ? Number(mem[1]) / 1024 : undefined, stdout: r.stdout };
}

export async function run() {
  if (!existsSync(join(DATASET, "Debian/all.zip")))
    throw new Error(`no dataset in ${DATASET}: run \`node bench/prepare-vuln.mjs\` first`);
  const { VulnDatabase, buildReport, matchableComponents, matchSbom } = await import("../dist/vuln/index.js");
  const { encodeCycloneDx } = await import("../dist/formats/index.js");
  const work = mkdtempSync(join(tmpdir(), "bulwark-bench-vuln-"));
  const dbDir = join(work, "db");
  const zips = ECOSYSTEMS.map((e) => join(DATASET, e, "all.zip"));

  // Import: one full import into an empty database, then the same again (all unchanged).
  const first = timeCommand(`node ${CLI} db import ${zips.join(" ")} --db ${dbDir} --format json -q`);
  const imports = JSON.parse(first.stdout).imports;
  const records = imports.reduce((n, i) => n + i.read, 0);
  const again = timeCommand(`node ${CLI} db import ${zips.join(" ")} --db ${dbDir} --format json -q`);
  const unchanged = JSON.parse(again.stdout).imports.reduce((n, i) => n + i.unchanged, 0);

  // Index open (in-process, read-only, including the migration check).
  const opens = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const db = await VulnDatabase.open(dbDir, { readonly: true });
    await db.store.db.selectFrom("vuln_record").select("id").limit(1).execute();
    opens.push(performance.now() - t);
    await db.close();
  }

  // Matching 2,000 components (in-process: read their records, match, build the report).
  const sbom = sbomOf(benchComponents());
  const db = await VulnDatabase.open(dbDir, { readonly: true });
  const matchTimes = [];
  let report;
  for (let i = 0; i < 12; i++) {
    const t = performance.now();
    const comps = matchableComponents(sbom);
    const index = await db.indexFor(comps);
    const matched = matchSbom(sbom, index);
    const details = await db.describe(matched.matches.flatMap((m) => m.records.map((r) => r.id)));
    report = buildReport({
      sbom,
      index: matched,
      details: (id) => details.get(id),
      toolVersion: "bench",
      time: new Date(),
    });
    if (i >= 2) matchTimes.push(performance.now() - t);
  }
  await db.close();
  const sbomFile = join(work, "bench-2000.cdx.json");
  writeFileSync(sbomFile, encodeCycloneDx(sbom, "1.7"));
  const whole = hyperfine(
    [
      [
        "bulwark scan (2,000-component SBOM, 250k-record db)",
        `node ${CLI} scan ${sbomFile} --db ${dbDir} --format json -q -o /dev/null`,
      ],
      ["bulwark db status", `node ${CLI} db status --db ${dbDir} -o /dev/null`],
      ["node startup (baseline)", "node -e 0"],
    ],
    { runs: 10, warmup: 2 },
  );
  rmSync(work, { recursive: true, force: true });
  return {
    records,
    import: {
      ms: first.ms,
      recordsPerSecond: Math.round(records / (first.ms / 1000)),
      peakMiB: first.peakMiB,
    },
    reimport: { ms: again.ms, unchanged, recordsPerSecond: Math.round(records / (again.ms / 1000)) },
    open: stats(opens),
    match: { ...stats(matchTimes), components: sbom.components.length, findings: report.matches.length },
    whole,
  };
}

export function print(r) {
  console.log(`\nbench/vuln — ${r.records} OSV-shaped records (npm, PyPI, Go, Maven, Debian)`);
  console.log(
    `  import (empty db)      ${fmt(r.import.ms)}  ${r.import.recordsPerSecond} records/s, peak ${r.import.peakMiB?.toFixed(0)} MiB`,
  );
  console.log(
    `  re-import (unchanged)  ${fmt(r.reimport.ms)}  ${r.reimport.recordsPerSecond} records/s (${r.reimport.unchanged} unchanged)`,
  );
  console.log(
    `  index open             median ${fmt(r.open.median)}, p99 ${fmt(r.open.p99)}   (target < 200 ms)`,
  );
  console.log(
    `  match ${r.match.components} components  median ${fmt(r.match.median)}, p99 ${fmt(r.match.p99)}, ${r.match.findings} findings   (target < 500 ms)`,
  );
  for (const w of r.whole) console.log(`  ${w.name.padEnd(52)} median ${fmt(w.median)}`);
}
