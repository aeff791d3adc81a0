// The log commands on PostgreSQL (BULWARK_DATABASE_URL): the same behaviour as on SQLite, with
// bundles kept in the database's blob table. Runs against the server .ci/run starts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../support/cli.js";
import { postgresUrl } from "../support/stores.js";

const url = postgresUrl();
const dirs: string[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (!url || databases.length === 0) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
});

async function freshDatabase(): Promise<string> {
  const name = `bulwark_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  databases.push(name);
  const u = new URL(url!);
  u.pathname = `/${name}`;
  return u.toString();
}

describe.skipIf(!url)("bulwark log on PostgreSQL", () => {
  it("init, append (typed entry and signed bundle), search, prove, verify offline, consistency, verify --full", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-log-pg-"));
    dirs.push(dir);
    const env = { BULWARK_HOME: join(dir, "home"), BULWARK_DATABASE_URL: await freshDatabase() };
    const run = (args: string[]) => cli(args, { cwd: dir, env });
    const init = await run(["log", "init", "--origin", "pg.example/log", "--format", "json"]);
    expect(init.code, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout).store).toMatch(/^postgres:\/\//);

    writeFileSync(
      join(dir, "d.json"),
      JSON.stringify({
        apiVersion: "bulwark.dev/log/v1",
        kind: "decision",
        spec: { decision: "deny", environment: "production" },
      }),
    );
    const key = JSON.parse((await run(["keys", "generate", "--unencrypted", "--format", "json"])).stdout) as {
      privateKey: string;
    };
    writeFileSync(join(dir, "app.txt"), "app\n");
    writeFileSync(
      join(dir, "prov.json"),
      JSON.stringify({
        buildDefinition: { buildType: "https://example.com/b", externalParameters: {} },
        runDetails: { builder: { id: "https://example.com/builder" } },
      }),
    );
    expect(
      (
        await run([
          "attest",
          "--subject",
          "app.txt",
          "--type",
          "slsa-provenance",
          "--predicate",
          "prov.json",
          "--key",
          key.privateKey,
          "-o",
          join(dir, "b.json"),
        ])
      ).code,
    ).toBe(0);
    const app = await run(["log", "append", "d.json", "b.json", "--proof-dir", "proofs", "--format", "json"]);
    expect(app.code, app.stderr).toBe(0);
    const appended = JSON.parse(app.stdout) as { index: number; kind: string }[];
    // keys generate logged a key-event first (a log exists), so these are entries 1 and 2.
    expect(appended.map((a) => [a.kind, a.index])).toEqual([
      ["decision", 1],
      ["attestation", 2],
    ]);
    expect(JSON.parse((await run(["log", "append", "b.json", "--format", "json"])).stdout)[0]).toMatchObject({
      index: 2,
      duplicate: true,
    });
    const cp = await run(["log", "checkpoint"]);
    writeFileSync(join(dir, "cp.txt"), cp.stdout);

    const found = JSON.parse(
      (await run(["log", "search", "--predicate-type", "https://slsa.dev/provenance/v1", "--format", "json"]))
        .stdout,
    );
    expect(found.attestations).toEqual([expect.objectContaining({ logIndex: 2 })]);
    const vkey = readFileSync(join(dir, "home", "log", "log.vkey"), "utf8").trim();
    const offline = await cli(
      ["log", "verify", "b.json", "--proof", "proofs/b.json.tlog-proof", "--vkey", vkey],
      { cwd: dir, env: {} },
    );
    expect(offline.code, offline.stderr).toBe(0);

    writeFileSync(
      join(dir, "e.json"),
      JSON.stringify({
        apiVersion: "bulwark.dev/log/v1",
        kind: "quarantine",
        spec: { action: "quarantine", reason: "cve", subject: { digest: { sha256: "c".repeat(64) } } },
      }),
    );
    expect((await run(["log", "append", "e.json"])).code).toBe(0);
    const cons = await run(["log", "consistency", "cp.txt"]);
    expect(cons.code, cons.stderr).toBe(0);
    const full = await run(["log", "verify", "--full", "--format", "json"]);
    expect(full.code, full.stderr).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ ok: true, size: 4, problems: [] });

    // The bundle went to the database's blob table, not to files.
    const client = new pg.Client({ connectionString: env.BULWARK_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query("select count(*)::int as n from blob");
      expect(rows[0].n).toBe(1);
      // A flipped byte in a stored tile is found.
      await client.query(
        "update tlog_tile set hashes = set_byte(hashes, 3, get_byte(hashes, 3) # 1) where level = 0 and idx = 0",
      );
    } finally {
      await client.end();
    }
    const broken = await run(["log", "verify", "--full"]);
    expect(broken.code).toBe(3);
    expect(broken.stdout).toContain("tile 0/0");
  });
});
