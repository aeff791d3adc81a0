// bench/attest: signing and verification rates with Bulwark's signers and verifier (and DSSE
// envelopes when the attest module provides them) against raw node:crypto and `openssl speed`
// on the same machine, for ECDSA P-256 and Ed25519. Issue #6 target: verification within 1.5×
// of the raw node:crypto verify rate.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./lib.mjs";

const PAYLOAD = Buffer.alloc(1024, 7);

function rate(fn, ms = 1500) {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

function opensslSpeed() {
  try {
    const out = execFileSync("openssl", ["speed", "-seconds", "2", "ecdsap256", "ed25519"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const p256 = /nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/.exec(out);
    const ed = /Ed25519\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)/.exec(out);
    return {
      "ecdsa-p256": p256 && { sign: Number(p256[1]), verify: Number(p256[2]) },
      ed25519: ed && { sign: Number(ed[1]), verify: Number(ed[2]) },
    };
  } catch {
    return {};
  }
}

export async function run() {
  const attest = await import(join(ROOT, "dist/attest/index.js"));
  const dir = mkdtempSync(join(tmpdir(), "bulwark-bench-attest-"));
  const ssl = opensslSpeed();
  const rows = [];
  for (const algorithm of ["ecdsa-p256", "ed25519"]) {
    const pair = attest.generateKeyPair({ algorithm, unencrypted: true });
    const keyFile = join(dir, `${algorithm}.pem`);
    writeFileSync(keyFile, pair.privateKeyPem);
    const signer = attest.FileSigner.open(keyFile);
    const trusted = new attest.TrustedKeys([pair.publicKey]);
    const priv = createPrivateKey(pair.privateKeyPem);
    const pub = createPublicKey(pair.publicKey.pem);
    const hash = algorithm === "ed25519" ? null : "sha256";
    const sig = sign(hash, PAYLOAD, priv);
    const raw = {
      sign: rate(() => sign(hash, PAYLOAD, priv)),
      verify: rate(() => verify(hash, PAYLOAD, pub, sig)),
    };
    let bulwarkSign = 0;
    {
      // Signer.sign is async: measure sequential awaited signatures.
      const start = performance.now();
      while (performance.now() - start < 1500) {
        await signer.sign(PAYLOAD);
        bulwarkSign++;
      }
      bulwarkSign = Math.round(bulwarkSign / ((performance.now() - start) / 1000));
    }
    const bulwarkVerify = rate(() => trusted.verify(PAYLOAD, sig, pair.publicKey.keyid));
    const row = {
      algorithm,
      raw,
      bulwark: { sign: bulwarkSign, verify: bulwarkVerify },
      verifyRatio: raw.verify / bulwarkVerify,
      openssl: ssl[algorithm] ?? undefined,
    };
    if (attest.signEnvelope && attest.verifyEnvelope) {
      const env = await attest.signEnvelope("application/vnd.in-toto+json", PAYLOAD, [signer]);
      row.dsseVerify = rate(() => attest.verifyEnvelope(env, trusted));
    }
    rows.push(row);
  }
  // Keyless: a real sigstore-conformance bundle verified offline (certificate chain, SCTs, Rekor
  // proof, identity), cold and from the verification cache.
  const shared = process.env.BULWARK_SHARED_DIR ?? join(ROOT, "../shared");
  const vectors = join(shared, "test-vectors/sigstore");
  if (existsSync(join(vectors, "trusted_root.production.json"))) {
    const bundle = readFileSync(
      join(vectors, "conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json"),
    );
    const artifact = readFileSync(join(vectors, "conformance/a.txt"));
    const trustedRoot = readFileSync(join(vectors, "trusted_root.production.json"));
    const identity = {
      subject:
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
      issuer: "https://token.actions.githubusercontent.com",
    };
    const cold = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      attest.verifySigstoreBundle({ bundle, artifact, trustedRoot, identity });
      cold.push(performance.now() - t);
    }
    const cache = new attest.SigstoreVerificationCache();
    attest.verifySigstoreBundle({ bundle, artifact, trustedRoot, identity, cache });
    const warm = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      attest.verifySigstoreBundle({ bundle, artifact, trustedRoot, identity, cache });
      warm.push(performance.now() - t);
    }
    const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    rows.keyless = { coldMs: med(cold), cachedMs: med(warm) };
  }
  return rows;
}

export function print(rows) {
  if (rows.keyless)
    console.log(
      `  keyless Sigstore bundle verification (offline): ${rows.keyless.coldMs.toFixed(2)} ms median, ${(rows.keyless.cachedMs * 1000).toFixed(0)} µs from the cache (target < 0.1 ms)`,
    );
  console.log("\nbench/attest — operations per second on a 1 KiB payload (higher is better)");
  for (const r of rows) {
    console.log(
      `  ${r.algorithm.padEnd(11)} sign: bulwark ${r.bulwark.sign}/s, node:crypto ${r.raw.sign}/s${r.openssl ? `, openssl speed ${Math.round(r.openssl.sign)}/s` : ""}`,
    );
    console.log(
      `  ${"".padEnd(11)} verify: bulwark ${r.bulwark.verify}/s, node:crypto ${r.raw.verify}/s (ratio ${r.verifyRatio.toFixed(2)}×, target ≤ 1.5×)${r.openssl ? `, openssl speed ${Math.round(r.openssl.verify)}/s` : ""}${r.dsseVerify ? `; DSSE envelope verify ${r.dsseVerify}/s` : ""}`,
    );
  }
}
