#!/usr/bin/env node
// `npm run demo`: Bulwark's main job on the bundled example project, fully offline.
// Each step runs the real CLI and checks the outcome it must have; the demo fails if one differs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const tty = process.stdout.isTTY;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[22m` : s);

const work = mkdtempSync(join(tmpdir(), "bulwark-demo-"));
const sbom = join(work, "shop-web.cdx.json");
const db = join(work, "vulndb");
const home = join(work, "home");
const keyFile = (suffix) => {
  const dir = join(home, "keys");
  return join(
    dir,
    readdirSync(dir).find((f) => f.endsWith(suffix)),
  );
};
const attestation = join(work, "shop-web.sbom.sigstore.json");
const signedPolicies = join(work, "shop-policies.signed.json");
const policyBundle = join(work, "shop-policies.bundle.json");
const vex = join(work, "shop-worker.vex.json");
const proofs = join(work, "proofs");
const releaseOut = join(work, "release");
const releaseProvenance = join(work, "shop-web.provenance.sigstore.json");
// The runner's default sandbox is bubblewrap; on a machine without it the demo still runs, unisolated.
const hasBwrap = spawnSync("bwrap", ["--version"], { stdio: "ignore" }).status === 0;
const sandboxArgs = hasBwrap ? [] : ["--sandbox", "none", "--insecure"];
if (!hasBwrap)
  console.log(
    "note: bubblewrap (bwrap) is not installed: the build steps run unisolated (--sandbox none --insecure)",
  );
const checkpoint = join(work, "checkpoint-1.txt");

// The audit trail: the production gate's decisions as typed log entries.
const lockfileDigest = createHash("sha256")
  .update(readFileSync(fileURLToPath(new URL("../examples/shop/app/package-lock.json", import.meta.url))))
  .digest("hex");
const decision = (name, verdict, violations) => {
  const file = join(work, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "bulwark.dev/log/v1",
      kind: "decision",
      time: "2026-11-22T10:00:00Z",
      spec: {
        decision: verdict,
        environment: "production",
        subject: { name: "shop-web", digest: { sha256: lockfileDigest } },
        violations,
      },
    }),
  );
  return file;
};
const denied = decision("decision-draft-denied", "deny", ["KUBE-001"]);
const allowed = decision("decision-fixed-allowed", "allow", []);

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
    title:
      "Check the draft manifests against the Pod Security Standards (restricted, built in): exact fields",
    args: ["check", "examples/shop/k8s", "--policy", "builtin:pss-restricted"],
    expect: 1,
  },
  {
    title: "…and the fixed manifests: they meet the restricted standard",
    args: ["check", "examples/shop/k8s-fixed", "--policy", "builtin:pss-restricted"],
    expect: 0,
  },
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
  {
    title: "Import OSV advisories into a local vulnerability database (sample records, offline)",
    args: ["db", "import", "examples/vuln-db/osv", "--db", db],
    expect: 0,
  },
  {
    title: "Scan the background worker (old lodash, minimist, axios, jsonwebtoken) against it",
    args: ["scan", "examples/shop/worker", "--db", db],
    expect: 0,
  },
  {
    title: "Gate the scan for production with the built-in policy: a critical finding must fail it",
    args: [
      "scan",
      "examples/shop/worker",
      "--db",
      db,
      "-q",
      "--policy",
      "builtin:vulnerabilities",
      "--env",
      "production",
    ],
    expect: 1,
  },
  {
    title: "Record that the lodash template() injection does not affect the worker (OpenVEX)",
    args: [
      "vex",
      "create",
      "--id",
      "CVE-2021-23337",
      "--product",
      "pkg:npm/lodash@4.17.20",
      "--status",
      "not_affected",
      "--justification",
      "vulnerable_code_not_in_execute_path",
      "--impact",
      "shop-worker never calls _.template",
      "--author",
      "shop security team",
      "-o",
      vex,
    ],
    expect: 0,
  },
  {
    title: "Scan again with the VEX statement applied: the lodash finding is suppressed, with its reason",
    args: [
      "scan",
      "examples/shop/worker",
      "--db",
      db,
      "--vex",
      vex,
      "--show-suppressed",
      "--fail-on",
      "critical",
    ],
    expect: 1,
  },
  {
    title: "Generate a signing key (ECDSA P-256, encrypted with BULWARK_KEY_PASSWORD)",
    args: ["keys", "generate"],
    expect: 0,
  },
  {
    title:
      "Attest the storefront's SBOM about its lockfile: an in-toto statement in a signed Sigstore bundle",
    args: () => [
      "attest",
      "--subject",
      "examples/shop/app/package-lock.json",
      "--type",
      "cyclonedx",
      "--predicate",
      sbom,
      "--key",
      keyFile(".key.pem"),
      "-o",
      attestation,
    ],
    expect: 0,
  },
  {
    title: "Verify the attestation: signature, key not revoked, subject digest, predicate type",
    args: () => [
      "verify",
      "examples/shop/app/package-lock.json",
      "--bundle",
      attestation,
      "--key",
      keyFile(".pub.pem"),
      "--type",
      "https://cyclonedx.org/bom",
    ],
    expect: 0,
  },
  {
    title: "…and for another file it must fail (the subject digest does not match)",
    args: () => [
      "verify",
      "examples/shop/app/package.json",
      "--bundle",
      attestation,
      "--key",
      keyFile(".pub.pem"),
    ],
    expect: 3,
  },
  {
    title: "Bundle the team's policy set (canonical JSON, digest-addressed)",
    args: () => ["policy", "bundle", "build", "examples/shop/policies", "-o", policyBundle],
    expect: 0,
  },
  {
    title: "Sign the policy bundle with the same key",
    args: () => [
      "policy",
      "bundle",
      "sign",
      policyBundle,
      "--key",
      keyFile(".key.pem"),
      "-o",
      signedPolicies,
    ],
    expect: 0,
  },
  {
    title: "Gate the fixed manifests with the verified, signed policy set only",
    args: () => [
      "policy",
      "eval",
      "--policy-bundle",
      signedPolicies,
      "--bundle-key",
      keyFile(".pub.pem"),
      "--input",
      "examples/shop/k8s-fixed",
      "--env",
      "production",
    ],
    expect: 0,
  },
  {
    title: "Create the transparency log (Ed25519 checkpoint key; the key's name is the log's origin)",
    args: ["log", "init", "--origin", "demo.bulwark.example/log"],
    expect: 0,
  },
  {
    title: "Log the SBOM attestation and the draft's deny decision; each append is acknowledged once durable",
    args: ["log", "append", attestation, denied, "--proof-dir", proofs],
    expect: 0,
  },
  {
    title: "Save today's signed checkpoint",
    args: ["log", "checkpoint", "-o", checkpoint],
    expect: 0,
  },
  {
    title: "Verify the attestation's inclusion offline: the C2SP tlog-proof and the log's public key only",
    args: () => [
      "log",
      "verify",
      attestation,
      "--proof",
      join(proofs, "shop-web.sbom.sigstore.json.tlog-proof"),
      "--vkey",
      join(home, "log", "log.vkey"),
    ],
    expect: 0,
  },
  {
    title: "Log the fixed manifests' allow decision, then prove the log still extends the saved checkpoint",
    args: ["log", "append", allowed],
    expect: 0,
  },
  { title: "…consistency with the saved checkpoint", args: ["log", "consistency", checkpoint], expect: 0 },
  {
    title: "Search the log: everything recorded about the storefront's lockfile digest",
    args: ["log", "search", "--subject", `sha256:${lockfileDigest}`],
    expect: 0,
  },
  {
    title: "Blast radius: which logged artifacts contain jsonwebtoken (from their SBOM attestations)?",
    args: ["log", "search", "--purl", "pkg:npm/jsonwebtoken"],
    expect: 0,
  },
  {
    title: "Re-derive the whole log from its entries (tiles, checkpoints, signatures)",
    args: ["log", "verify", "--full"],
    expect: 0,
  },
  {
    title:
      "Build the storefront release in fresh sandboxes with no network, with signed SLSA provenance (logged)",
    cwd: "examples/shop/app",
    args: () => [
      "build",
      ...sandboxArgs,
      "--out-dir",
      releaseOut,
      "--provenance",
      releaseProvenance,
      "--key",
      keyFile(".key.pem"),
      "--log",
    ],
    expect: 0,
  },
  {
    title: "Verify the release tarball against its provenance: signature, subject digest, SLSA build level",
    args: () => [
      "verify",
      join(releaseOut, "dist", "shop-web-1.4.2.tgz"),
      "--bundle",
      releaseProvenance,
      "--key",
      keyFile(".pub.pem"),
      "--type",
      "https://slsa.dev/provenance/v1",
      ...(hasBwrap ? ["--slsa-level", "3", "--builder-id", "https://bulwark.dev/runners/local"] : []),
    ],
    expect: 0,
  },
  {
    title: "Rebuild from the provenance in a fresh sandbox: the tarball must be bit-for-bit the same",
    args: () => ["rebuild", ...sandboxArgs, releaseProvenance, "--source", "examples/shop/app"],
    expect: 0,
  },
];

let failed = 0;
for (const [i, step] of steps.entries()) {
  // Arguments may depend on what earlier steps wrote (the generated key's file names).
  const args = typeof step.args === "function" ? step.args() : step.args;
  console.log(`\n${bold(`[${i + 1}/${steps.length}] ${step.title}`)}`);
  console.log(`${step.cwd ? `(in ${step.cwd}) ` : ""}$ bulwark ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: step.cwd ? join(root, step.cwd) : root,
    stdio: "inherit",
    env: {
      ...process.env,
      SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? "1795000000",
      // The demo's own key store and a demo-only key password.
      BULWARK_HOME: home,
      BULWARK_KEY_PASSWORD: "demo only: use a real secret",
    },
  });
  const ok = r.status === step.expect;
  console.log(`${ok ? "✔" : "✘"} exit code ${r.status} (expected ${step.expect})`);
  if (!ok) failed++;
}
console.log(
  failed
    ? `\nDemo FAILED: ${failed} step(s) did not give the expected result.`
    : "\nDemo complete: the gates denied the draft manifests and the vulnerable worker, allowed the fix, the signed SBOM and policy set verified, every decision is in the verified transparency log, and the release was built in a sandbox and rebuilt bit for bit from its provenance.",
);
process.exit(failed ? 1 : 0);
