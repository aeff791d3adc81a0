#!/usr/bin/env node
// `npm run demo`: Bulwark's main job on the bundled example project, fully offline.
// Each step runs the real CLI and checks the outcome it must have; the demo fails if one differs.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const tty = process.stdout.isTTY;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[22m` : s);

const work = mkdtempSync(join(tmpdir(), "bulwark-demo-"));
const sbom = join(work, "shop-web.cdx.json");

const evalArgs = (input) => [
  "policy",
  "eval",
  "--policy",
  "examples/shop/policies",
  "--input",
  input,
  "--env",
  "production",
];

const steps = [
  {
    title: "Lint the example policy set (native, ValidatingAdmissionPolicy and Kyverno policies)",
    args: ["policy", "lint", "examples/shop/policies"],
    expect: 0,
  },
  {
    title: "Run the policy tests that ship with it",
    args: ["policy", "test", "examples/shop/policies"],
    expect: 0,
  },
  {
    title: "Gate the first draft of the manifests for production: it must fail",
    args: evalArgs("examples/shop/k8s"),
    expect: 1,
  },
  { title: "Gate the fixed manifests: they must pass", args: evalArgs("examples/shop/k8s-fixed"), expect: 0 },
  {
    title: "Generate the storefront's SBOM (CycloneDX 1.7, from its package-lock.json)",
    args: ["sbom", "examples/shop/app", "-o", sbom],
    expect: 0,
  },
  {
    title: "Gate the SBOM on the licence policy: no copyleft libraries in production",
    args: evalArgs(sbom),
    expect: 0,
  },
];

let failed = 0;
for (const [i, step] of steps.entries()) {
  console.log(`\n${bold(`[${i + 1}/${steps.length}] ${step.title}`)}`);
  console.log(`$ bulwark ${step.args.join(" ")}`);
  const r = spawnSync(process.execPath, [cli, ...step.args], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? "1795000000" },
  });
  const ok = r.status === step.expect;
  console.log(`${ok ? "✔" : "✘"} exit code ${r.status} (expected ${step.expect})`);
  if (!ok) failed++;
}
console.log(
  failed
    ? `\nDemo FAILED: ${failed} step(s) did not give the expected result.`
    : "\nDemo complete: the gate denied the draft and allowed the fix.",
);
process.exit(failed ? 1 : 0);
