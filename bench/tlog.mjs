// bench/tlog: the transparency log's durable, de-duplicated append rate on embedded SQLite
// (WAL, synchronous=FULL: every commit fsynced) and on PostgreSQL (fsync on, synchronous_commit
// on), inclusion-proof generation from stored tiles, proof verification and checkpoint signing.
// Issue #7 targets on this machine: ≥ 5,000 appends/s on SQLite, ≥ 3,000/s on PostgreSQL,
// ≥ 50,000 proof verifications/s. Anchors: Tessera's published ~2,900 writes/s on local disks
// without de-duplication (1,600/s with) and ~10,000/s on NVMe.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { TextEncoder } from "node:util";
import { join } from "node:path";
import { ROOT, stats } from "./lib.mjs";

const tlog = await import(join(ROOT, "dist/tlog/index.js"));
const storeMod = await import(join(ROOT, "dist/store/index.js"));
const key = tlog.generateNoteKey("bench.example/log");
const signer = tlog.parseSignerKey(key.skey);
const enc = (s) => new TextEncoder().encode(s);

/** A realistic entry: a typed attestation entry (~330 bytes of canonical JSON). */
function entry(run, i) {
  const h = (n) => n.toString(16).padStart(64, "0");
  return tlog.encodeEntry(
    tlog.makeEntry(
      "attestation",
      {
        envelopeDigest: `sha256:${h(run * 1e7 + i)}`,
        predicateType: "https://slsa.dev/provenance/v1",
        subjects: [{ name: `artifact-${i}.tgz`, digest: { sha256: h(i + 1) } }],
        keyid: "5e5588485afa1662863c6490e5de865f525db25f30ddde5aab9692e4ab484d8f",
      },
      null,
    ),
  );
}

/**
 * Appends `n` entries (10% of them repeats of earlier ones, which must de-duplicate) from
 * `clients` concurrent callers, each waiting for its acknowledgement before sending the next.
 */
async function appendRate(location, { n, clients, run }) {
  const store = await storeMod.openStore(location);
  try {
    const log = await tlog.TransparencyLog.open({ store, signer });
    const bodies = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? entry(run, i - 5) : entry(run, i)));
    let next = 0;
    let duplicates = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < n) {
          const a = await log.append(bodies[next++]);
          if (a.duplicate) duplicates++;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return { rate: Math.round(n / seconds), seconds, duplicates, size: (await log.head()).size };
  } finally {
    await store.close();
  }
}

async function appendSeries(makeLocation, label, { n = 20_000, clients = 1024, runs = 3 } = {}) {
  const results = [];
  for (let run = 0; run < runs; run++)
    results.push(await appendRate(await makeLocation(run), { n, clients, run }));
  const rates = results.map((r) => r.rate);
  return {
    label,
    n,
    clients,
    median: stats(rates).median,
    rates,
    duplicates: results[0].duplicates,
    size: results[0].size,
  };
}

function rate(fn, ms = 1500) {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

async function startPostgres(dir) {
  const url = execFileSync(join(ROOT, "scripts/postgres.sh"), ["start", dir, "55499"], {
    encoding: "utf8",
  }).trim();
  return { url, stop: () => execFileSync(join(ROOT, "scripts/postgres.sh"), ["stop", dir]) };
}

async function freshPgDatabase(adminUrl, name) {
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-bench-tlog-"));
  const out = { appends: [] };
  try {
    out.appends.push(
      await appendSeries((r) => ({ file: join(dir, `append-${r}.db`) }), "SQLite (synchronous=FULL)"),
    );
    out.appends.push(
      await appendSeries(
        (r) => ({ file: join(dir, `append-1c-${r}.db`) }),
        "SQLite, 1 client (no batching)",
        {
          n: 500,
          clients: 1,
        },
      ),
    );

    let pgUrl = process.env.BULWARK_BENCH_DATABASE_URL || process.env.BULWARK_TEST_DATABASE_URL;
    let pgServer;
    if (!pgUrl) {
      try {
        pgServer = await startPostgres(join(dir, "pg"));
        pgUrl = pgServer.url;
      } catch (e) {
        out.postgres = `not measured: ${e.message.split("\n")[0]}`;
      }
    }
    if (pgUrl) {
      try {
        out.appends.push(
          await appendSeries(
            async (r) => ({ url: await freshPgDatabase(pgUrl, `bulwark_bench_${r}`) }),
            "PostgreSQL (fsync on)",
          ),
        );
      } finally {
        pgServer?.stop();
      }
    }

    // Proofs from a 100,000-entry log on SQLite.
    const store = await storeMod.openStore({ file: join(dir, "proofs.db"), synchronous: "normal" });
    const log = await tlog.TransparencyLog.open({ store, signer, maxBatch: 8192 });
    const N = 100_000;
    await log.appendAll(Array.from({ length: N }, (_, i) => enc(`proof entry ${i}`)));
    const head = await log.head();
    const indexes = Array.from({ length: 2000 }, (_, i) => (i * 7919) % N);
    const t0 = performance.now();
    const proofs = [];
    for (const i of indexes) proofs.push((await log.inclusionProof(i, N)).proof);
    const generation = Math.round(indexes.length / ((performance.now() - t0) / 1000));
    const leaves = indexes.map((i) => tlog.leafHash(enc(`proof entry ${i}`)));
    let k = 0;
    const verification = rate(() => {
      const j = k++ % indexes.length;
      tlog.verifyInclusion(leaves[j], indexes[j], N, proofs[j], head.rootHash);
    });
    const vkey = tlog.parseVerifierKey(key.vkey);
    const tlogProofs = indexes
      .slice(0, 200)
      .map((i, j) => tlog.formatTlogProof({ index: i, proof: proofs[j], checkpoint: head.checkpoint }));
    let m = 0;
    const fullProof = rate(() => {
      const j = m++ % tlogProofs.length;
      tlog.verifyTlogProof(tlog.parseTlogProof(tlogProofs[j]), leaves[j], {
        logKeys: [vkey],
        isLeafHash: true,
      });
    });
    const text = `bench.example/log\n${N}\n${Buffer.from(head.rootHash).toString("base64")}\n`;
    const signing = rate(() => tlog.signNote(text, [signer]));
    const t1 = performance.now();
    const report = await log.verifyFull();
    const verifyFullSeconds = (performance.now() - t1) / 1000;
    await store.close();
    out.proofs = {
      size: N,
      generation,
      verification,
      fullProof,
      signing,
      verifyFullSeconds,
      problems: report.problems.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function print(r) {
  console.log("\n== tlog: durable de-duplicated appends (10% repeats), median of 3 runs ==");
  for (const a of r.appends)
    console.log(
      `${a.label.padEnd(34)} ${String(a.median).padStart(7)} appends/s  (${a.n} appends, ${a.clients} concurrent clients; runs ${a.rates.join(", ")}; ${a.duplicates} de-duplicated)`,
    );
  if (typeof r.postgres === "string") console.log(`PostgreSQL ${r.postgres}`);
  const p = r.proofs;
  console.log(`\n== tlog: proofs on a ${p.size.toLocaleString("en")}-entry log ==`);
  console.log(`inclusion proof generation (from stored tiles)  ${p.generation.toLocaleString("en")}/s`);
  console.log(`inclusion proof verification (RFC 6962)         ${p.verification.toLocaleString("en")}/s`);
  console.log(
    `tlog-proof verification (parse + Ed25519 checkpoint + inclusion) ${p.fullProof.toLocaleString("en")}/s`,
  );
  console.log(`checkpoint signing (Ed25519 signed note)        ${p.signing.toLocaleString("en")}/s`);
  console.log(
    `log verify --full of ${p.size.toLocaleString("en")} entries           ${p.verifyFullSeconds.toFixed(2)} s (${p.problems} problems)`,
  );
}
