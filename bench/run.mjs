#!/usr/bin/env node
// `npm run bench`: every benchmark, medians and ratios; results also written to bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import * as policy from "./policy.mjs";
import * as sbom from "./sbom.mjs";
import * as attest from "./attest.mjs";
import * as iac from "./iac.mjs";
import * as vuln from "./vuln.mjs";
import * as tlog from "./tlog.mjs";
import * as runner from "./runner.mjs";

const only = process.argv[2];
const results = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  date: new Date().toISOString(),
};

if (!only || only === "policy") {
  const rows = policy.run();
  const cel = await policy.celComparison();
  policy.print(rows, cel);
  results.policy = { rows, cel };
}

if (!only || only === "sbom" || only === "sbom-image") {
  const npm = only === "sbom-image" ? undefined : sbom.runNpm();
  sbom.print("npm project", npm);
  const image = sbom.runImage();
  sbom.print("Debian image", image);
  results.sbom = { npm, image };
}

if (!only || only === "vuln") {
  const r = await vuln.run();
  vuln.print(r);
  results.vuln = r;
}

if (!only || only === "iac") {
  const rows = iac.run();
  iac.print(rows);
  results.iac = rows;
}

if (!only || only === "attest") {
  const rows = await attest.run();
  attest.print(rows);
  results.attest = rows;
}

if (!only || only === "tlog") {
  const r = await tlog.run();
  tlog.print(r);
  results.tlog = r;
}

if (!only || only === "runner") {
  const r = await runner.run();
  runner.print(r);
  results.runner = r;
}

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
