#!/usr/bin/env node
// Generates bench/vuln's dataset under .cache/bench/osv-250k (or BULWARK_BENCH_DIR): ≈250,000
// synthetic OSV records shaped like the real exports — per-ecosystem `all.zip` files (npm, PyPI,
// Go, Maven, Debian), GHSA/PYSEC/GO/DSA-style ids, CVE aliases, several ranges, `versions` lists
// where the real sources have them (PyPI, Maven, Debian), references, CVSS vectors — plus a
// 2,000-component SBOM whose packages all have advisories. Deterministic (seeded PRNG).
// The real exports cannot be downloaded on the build machine; this is a stand-in of the same shape.
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate } from "node:timers";
import { fileURLToPath } from "node:url";
import { Zip, ZipDeflate } from "fflate";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = process.env.BULWARK_BENCH_DIR ?? join(ROOT, ".cache/bench");
export const DATASET = join(CACHE, "osv-250k");

let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (a) => a[Math.floor(rand() * a.length)];
/** Zipf-ish: popular packages get many advisories. */
const skewed = (n) => Math.floor(n * rand() ** 2.2);
const hex = (n) => Array.from({ length: n }, () => "23456789cfghjmpqrvwx"[int(0, 19)]).join("");
const WORDS =
  "attacker remote crafted request denial service buffer overflow prototype pollution injection path traversal regular expression backtracking memory exhaustion validation bypass authentication header cookie redirect sanitization template deserialization archive symlink race condition integer signedness certificate verification".split(
    " ",
  );
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(" ");
const VECTORS = [
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
  "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
  "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
  "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
];

const ECOSYSTEMS = {
  npm: {
    records: 100_000,
    names: 30_000,
    name: (i) => (i % 7 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`),
  },
  PyPI: { records: 45_000, names: 12_000, name: (i) => `py-package-${i}` },
  Go: { records: 20_000, names: 4_000, name: (i) => `github.com/org${i % 211}/module-${i}` },
  Maven: { records: 40_000, names: 10_000, name: (i) => `org.example.group${i % 311}:artifact-${i}` },
  Debian: { records: 45_000, names: 3_000, name: (i) => `srcpkg${i}` },
};

function version(eco, major, minor, patch) {
  switch (eco) {
    case "Go":
      return `v${major}.${minor}.${patch}`;
    case "PyPI":
      return patch === 0 ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
    case "Maven":
      return `${major}.${minor}.${patch}`;
    case "Debian":
      return `${major > 2 ? "1:" : ""}${major}.${minor}.${patch}-${int(1, 4)}`;
    default:
      return `${major}.${minor}.${patch}`;
  }
}

function record(eco, n) {
  const spec = ECOSYSTEMS[eco];
  const nameIndex = skewed(spec.names);
  const name = spec.name(nameIndex);
  const year = int(2015, 2026);
  const cve = `CVE-${year}-${int(1000, 49999)}`;
  const id =
    eco === "PyPI" && n % 3 === 0
      ? `PYSEC-${year}-${n}`
      : eco === "Go"
        ? `GO-${year}-${String(n).padStart(4, "0")}`
        : eco === "Debian"
          ? `${pick(["DSA", "DLA"])}-${n}-1`
          : `GHSA-${hex(4)}-${hex(4)}-${hex(4)}`;
  const packages = eco === "Debian" ? ["Debian:11", "Debian:12"].slice(0, int(1, 2)) : [eco];
  const affected = packages.map((ecosystem) => {
    const events = [];
    const ranges = int(1, 3);
    let major = int(0, 3);
    for (let r = 0; r < ranges; r++) {
      events.push({ introduced: r === 0 && rand() < 0.4 ? "0" : version(eco, major, int(0, 5), 0) });
      if (rand() < 0.9) events.push({ fixed: version(eco, major, int(6, 12), int(0, 9)) });
      else events.push({ last_affected: version(eco, major, int(6, 12), int(0, 9)) });
      major += int(1, 2);
    }
    const a = {
      package: { ecosystem, name, ...(eco === "npm" ? { purl: `pkg:npm/${name.replace("@", "%40")}` } : {}) },
      ranges: [{ type: eco === "Go" || (eco === "npm" && rand() < 0.5) ? "SEMVER" : "ECOSYSTEM", events }],
    };
    if (eco === "PyPI" || eco === "Maven" || eco === "Debian") {
      a.versions = Array.from({ length: int(5, eco === "PyPI" ? 120 : 40) }, (_, k) =>
        version(eco, Math.floor(k / 20), Math.floor(k / 5) % 4, k % 5),
      );
    }
    if (eco === "Go")
      a.ecosystem_specific = { imports: [{ path: `${name}/internal/x`, symbols: ["Parse", "Decode"] }] };
    if (eco !== "Debian")
      a.database_specific = { source: `https://github.com/github/advisory-database/${id}.json` };
    return a;
  });
  const published = `${year}-${String(int(1, 12)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}T00:00:00Z`;
  return {
    schema_version: "1.6.0",
    id,
    modified: `2026-${String(int(1, 10)).padStart(2, "0")}-${String(int(1, 28)).padStart(2, "0")}T12:00:00Z`,
    published,
    ...(n % 997 === 0 ? { withdrawn: published } : {}),
    aliases: eco === "Debian" ? [cve, `${cve.replace("CVE", "DEBIAN-CVE")}`] : [cve],
    summary: `${name}: ${sentence(int(4, 9))}`,
    details: `${sentence(int(60, 200))}.`,
    ...(eco !== "Go" && rand() < 0.75 ? { severity: [{ type: "CVSS_V3", score: pick(VECTORS) }] } : {}),
    affected,
    references: [
      { type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/${cve}` },
      ...Array.from({ length: int(2, 6) }, (_, k) => ({
        type: pick(["WEB", "FIX", "PACKAGE", "REPORT"]),
        url: `https://example.org/${name}/${k}/${hex(8)}`,
      })),
    ],
    ...(eco === "npm" || eco === "Maven" || eco === "PyPI"
      ? {
          database_specific: {
            severity: pick(["LOW", "MODERATE", "HIGH", "CRITICAL"]),
            cwe_ids: [`CWE-${int(20, 1000)}`],
            github_reviewed: true,
          },
        }
      : {}),
  };
}

async function writeZip(path, eco) {
  const out = createWriteStream(path);
  const zip = new Zip((err, chunk, final) => {
    if (err) throw err;
    out.write(chunk);
    if (final) out.end();
  });
  const ids = new Set();
  for (let n = 0; n < ECOSYSTEMS[eco].records; n++) {
    const r = record(eco, n);
    if (ids.has(r.id)) continue;
    ids.add(r.id);
    const entry = new ZipDeflate(`${r.id}.json`, { level: 6 });
    zip.add(entry);
    entry.push(Buffer.from(JSON.stringify(r, null, 2)), true);
    if (n % 5000 === 0) await new Promise((res) => setImmediate(res));
  }
  zip.end();
  await new Promise((res) => out.on("close", res));
  return ids.size;
}

/** 2,000 components whose packages all have advisories (versions random, so some are affected). */
export function benchComponents() {
  seed = 0x1234567;
  const out = [];
  const plan = { npm: 1000, PyPI: 400, Go: 200, Maven: 200, Debian: 200 };
  for (const [eco, count] of Object.entries(plan)) {
    const spec = ECOSYSTEMS[eco];
    const seen = new Set();
    while (seen.size < count) {
      const name = spec.name(skewed(spec.names));
      if (seen.has(name)) continue;
      seen.add(name);
      const v = version(eco, int(0, 4), int(0, 12), int(0, 9));
      out.push({ eco, name, version: v });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(DATASET, { recursive: true });
  let total = 0;
  for (const eco of Object.keys(ECOSYSTEMS)) {
    const dir = join(DATASET, eco);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "all.zip");
    if (existsSync(path)) continue;
    const t = Date.now();
    const n = await writeZip(path, eco);
    total += n;
    console.error(`${eco}: ${n} records → ${path} (${Date.now() - t} ms)`);
  }
  writeFileSync(
    join(DATASET, "README"),
    "Synthetic OSV-shaped data for bench/vuln (bench/prepare-vuln.mjs). Not real advisories.\n",
  );
  console.error(`dataset ready in ${DATASET}${total ? ` (${total} records written)` : ""}`);
}
