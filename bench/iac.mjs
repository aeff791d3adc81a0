// bench/iac: `bulwark check` on a generated tree (bench/prepare-iac.mjs) of 5,000 Kubernetes
// documents, 500 Dockerfiles and a ~50 MB Terraform plan, with every built-in rule that applies
// (builtin:default): total wall time (hyperfine), peak memory, and the per-file cost of each part.
// Target (issue #5): the whole tree in under 10 s on this machine.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fmt, hyperfine, peakMemoryMiB, ROOT } from "./lib.mjs";
import { TREE } from "./prepare-iac.mjs";

const CLI = join(ROOT, "dist/cli/main.js");

export function run() {
  if (!existsSync(join(TREE, "plan.json")))
    throw new Error(`no tree in ${TREE}: run \`node bench/prepare-iac.mjs\` first`);
  const cmd = (target) => `node ${CLI} check ${target} --format json -q -o /dev/null`;
  const parts = [
    ["whole tree (5,000 k8s docs + 500 Dockerfiles + 50 MB plan)", TREE, 5000 + 500 + 1],
    ["1,000 manifest files (5,000 documents)", join(TREE, "k8s"), 5000],
    ["500 Dockerfiles", join(TREE, "services"), 500],
    ["50 MB Terraform plan", join(TREE, "plan.json"), 1],
  ];
  const times = hyperfine(
    parts.map(([name, target]) => [name, cmd(target)]),
    { runs: 3, warmup: 1 },
  );
  return parts.map(([name, target, units], i) => ({
    name,
    median: times[i].median,
    perUnitMs: times[i].median / units,
    peakMiB: peakMemoryMiB(cmd(target)),
  }));
}

export function print(rows) {
  console.log("\nbench/iac — bulwark check with builtin:default");
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(62)} median ${fmt(r.median)}  (${fmt(r.perUnitMs)} per document)  peak ${r.peakMiB?.toFixed(0)} MiB`,
    );
}
