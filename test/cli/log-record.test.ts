// Other commands record into the transparency log: key events whenever a log is set up, and
// bundles and policy decisions with --log.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EvidenceIndex, openStore } from "../../src/store/index.js";
import { openSqlite } from "../../src/store/sqlite.js";
import { cli, ROOT } from "../support/cli.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function home() {
  const dir = mkdtempSync(join(tmpdir(), "bulwark-log-record-"));
  roots.push(dir);
  const env = { BULWARK_HOME: join(dir, "home") };
  return { dir, env, run: (args: string[]) => cli(args, { cwd: dir, env }) };
}

/** `attest --log` of a minimal SLSA provenance about app.txt (written with `content`) to `out`. */
async function attestLogged(h: ReturnType<typeof home>, privateKey: string, content: string, out: string) {
  writeFileSync(join(h.dir, "app.txt"), content);
  writeFileSync(
    join(h.dir, "prov.json"),
    JSON.stringify({
      buildDefinition: { buildType: "https://example.com/build/v1", externalParameters: {} },
      runDetails: { builder: { id: "https://example.com/builder" } },
    }),
  );
  return h.run([
    "attest",
    "--subject",
    "app.txt",
    "--type",
    "slsa-provenance",
    "--predicate",
    "prov.json",
    "--key",
    privateKey,
    "-o",
    out,
    "--log",
  ]);
}

async function newKey(h: ReturnType<typeof home>) {
  const r = await h.run(["keys", "generate", "--unencrypted", "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { keyid: string; privateKey: string };
}

describe("recording into the log from other commands", () => {
  it("key generation and revocation are logged once a log exists, and indexed with their log index", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "keys.example/log"])).code).toBe(0);
    const key = await newKey(h);
    const revoked = await h.run(["keys", "revoke", key.keyid, "--reason", "rotated"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toContain("recorded in the transparency log: key-event entry 1");
    const created = JSON.parse((await h.run(["log", "get", "0", "--format", "json"])).stdout);
    expect(created.entry).toMatchObject({
      kind: "key-event",
      spec: { event: "created", keyid: key.keyid, algorithm: "ecdsa-p256" },
    });
    expect(created.entry.spec.publicKey).toContain("BEGIN PUBLIC KEY");
    const rev = JSON.parse((await h.run(["log", "get", "1", "--format", "json"])).stdout);
    expect(rev.entry).toMatchObject({
      kind: "key-event",
      spec: { event: "revoked", keyid: key.keyid, reason: "rotated" },
    });

    const store = await openStore({ file: join(h.env.BULWARK_HOME, "bulwark.db"), readonly: true });
    try {
      const keys = await new EvidenceIndex(store).listKeys();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({
        keyid: key.keyid,
        algorithm: "ecdsa-p256",
        revocation: { reason: "rotated", logIndex: 1 },
      });
    } finally {
      await store.close();
    }
  });

  it("without a log, key commands log nothing and create no database", async () => {
    const h = home();
    const key = await newKey(h);
    expect((await h.run(["keys", "revoke", key.keyid, "--reason", "x"])).code).toBe(0);
    expect(existsSync(join(h.env.BULWARK_HOME, "bulwark.db"))).toBe(false);
  });

  it("attest --log and sign --log append the bundle as written and write a proof beside it", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "att.example/log"])).code).toBe(0);
    const key = await newKey(h);
    const bundle = join(h.dir, "app.prov.json");
    const a = await attestLogged(h, key.privateKey, "the artifact\n", bundle);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(
      /recorded in the transparency log: attestation entry 1 \(proof: .*app\.prov\.json\.tlog-proof\)/,
    );
    const v = await h.run(["log", "verify", bundle, "--proof", `${bundle}.tlog-proof`]);
    expect(v.code, v.stderr).toBe(0);
    // The same file appended again is the same entry.
    const again = await h.run(["log", "append", bundle, "--format", "json"]);
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ index: 1, duplicate: true });

    const sig = join(h.dir, "app.sig.json");
    const s = await h.run(["sign", "app.txt", "--key", key.privateKey, "-o", sig, "--log"]);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse((await h.run(["log", "get", "2", "--format", "json"])).stdout).entry).toMatchObject({
      kind: "signature",
    });
    expect(readFileSync(`${sig}.tlog-proof`, "utf8")).toMatch(/^c2sp\.org\/tlog-proof@v1\nindex 2\n/);
  });

  it("--log without a log is a usage error, after the bundle was written", async () => {
    const h = home();
    const key = await newKey(h);
    writeFileSync(join(h.dir, "app.txt"), "x");
    const s = await h.run(["sign", "app.txt", "--key", key.privateKey, "-o", "app.sig.json", "--log"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain("bulwark log init");
  });

  it("policy eval --log records the decision (deny still exits 1): outcome, environment, subject, digests, violated policies", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "gate.example/log"])).code).toBe(0);
    const digest = "b".repeat(64);
    const r = await h.run([
      "policy",
      "eval",
      "--policy",
      join(ROOT, "examples/shop/policies"),
      "--input",
      join(ROOT, "examples/shop/k8s"),
      "--env",
      "production",
      "--subject",
      `shop@sha256:${digest}`,
      "--log",
      "--format",
      "json",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("recorded in the transparency log: decision entry 0");
    const report = JSON.parse(r.stdout);
    const entry = JSON.parse((await h.run(["log", "get", "0", "--format", "json"])).stdout).entry;
    expect(entry.kind).toBe("decision");
    expect(entry.spec).toMatchObject({
      decision: "deny",
      environment: "production",
      subject: { name: "shop", digest: { sha256: digest } },
      policyBundleDigest: report.policySetDigest,
    });
    expect(entry.spec.inputDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(entry.spec.violations).toContain("KUBE-001");
    expect(entry.time).toBe(report.time.replace(/\.\d{3}Z$/, "Z"));
    const found = await h.run(["log", "search", "--subject", `sha256:${digest}`, "--format", "json"]);
    expect(JSON.parse(found.stdout).decisions).toEqual([
      expect.objectContaining({ decision: "deny", logIndex: 0 }),
    ]);
  });
});

describe("log reindex", () => {
  it("rebuilds the search index from the log after the index was lost", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "reindex.example/log"])).code).toBe(0);
    const key = await newKey(h);
    const a = await attestLogged(h, key.privateKey, "artifact\n", join(h.dir, "b.json"));
    expect(a.code, a.stderr).toBe(0);
    expect((await h.run(["keys", "revoke", key.keyid, "--reason", "gone"])).code).toBe(0);
    const subject = `sha256:${createHash("sha256").update("artifact\n").digest("hex")}`;
    const before = JSON.parse(
      (await h.run(["log", "search", "--subject", subject, "--format", "json"])).stdout,
    );
    expect(before.attestations).toHaveLength(1);

    // Lose the index (the log stays).
    const { database: db } = openSqlite(join(h.env.BULWARK_HOME, "bulwark.db"));
    try {
      for (const t of ["attestation_subject", "attestation", "decision", "key_revocation", "signing_key"])
        db.prepare(`DELETE FROM ${t}`).run([]);
    } finally {
      db.close();
    }
    const lost = JSON.parse(
      (await h.run(["log", "search", "--subject", subject, "--format", "json"])).stdout,
    );
    expect(lost.attestations).toHaveLength(0);

    const r = await h.run(["log", "reindex", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ size: 3, kinds: { "key-event": 2, attestation: 1 } });
    const after = JSON.parse(
      (await h.run(["log", "search", "--subject", subject, "--format", "json"])).stdout,
    );
    expect(after.attestations).toEqual(
      before.attestations.map((x: object) =>
        expect.objectContaining({ ...x, createdAt: expect.any(String) }),
      ),
    );
    const store = await openStore({ file: join(h.env.BULWARK_HOME, "bulwark.db"), readonly: true });
    try {
      const keys = await new EvidenceIndex(store).listKeys();
      expect(keys[0]).toMatchObject({ keyid: key.keyid, revocation: { reason: "gone", logIndex: 2 } });
    } finally {
      await store.close();
    }
    // Reindexing an intact index changes nothing.
    expect((await h.run(["log", "reindex"])).code).toBe(0);
    expect(
      JSON.parse((await h.run(["log", "search", "--subject", subject, "--format", "json"])).stdout)
        .attestations,
    ).toHaveLength(1);
  });
});

describe("log verify --tiles", () => {
  it("verifies an exported static copy from its files alone and names what was tampered with", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "static.example/log"])).code).toBe(0);
    const files: string[] = [];
    for (let i = 0; i < 300; i++) {
      const f = join(h.dir, `e${i}.json`);
      writeFileSync(
        f,
        JSON.stringify({
          apiVersion: "bulwark.dev/log/v1",
          kind: "key-event",
          spec: { event: "created", keyid: `k${i}` },
        }),
      );
      files.push(f);
    }
    expect((await h.run(["log", "append", ...files])).code).toBe(0);
    const dir = join(h.dir, "mirror");
    expect((await h.run(["log", "export", "--tiles", dir])).code).toBe(0);
    // Verified with the verifier key only: point BULWARK_HOME elsewhere so no store is read.
    const vkey = readFileSync(join(h.env.BULWARK_HOME, "log", "log.vkey"), "utf8").trim();
    const elsewhere = { BULWARK_HOME: join(h.dir, "nothing-here") };
    const ok = await cli(["log", "verify", "--tiles", dir, "--vkey", vkey, "--format", "json"], {
      cwd: h.dir,
      env: elsewhere,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      origin: "static.example/log",
      size: 300,
      problems: [],
    });
    expect(existsSync(join(h.dir, "nothing-here"))).toBe(false);

    // Flip one byte of an entry inside the partial entry bundle.
    const bundle = join(dir, "tile", "entries", "001.p", "44");
    const bytes = readFileSync(bundle);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(bundle, bytes);
    const bad = await cli(["log", "verify", "--tiles", dir, "--vkey", vkey], { cwd: h.dir, env: elsewhere });
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain("entry 256: entry does not match its hash in the tile");

    // A checkpoint signed by another key is refused outright.
    const other = await cli(["log", "init", "--origin", "static.example/log"], {
      cwd: h.dir,
      env: { BULWARK_HOME: join(h.dir, "other") },
    });
    expect(other.code).toBe(0);
    const otherKey = readFileSync(join(h.dir, "other", "log", "log.vkey"), "utf8").trim();
    const wrong = await cli(["log", "verify", "--tiles", dir, "--vkey", otherKey], {
      cwd: h.dir,
      env: elsewhere,
    });
    expect(wrong.code).toBe(3);
  });
});

describe("log search --purl", () => {
  it("finds the logged artifacts whose SBOM attestation lists a package (any version, or exactly one)", async () => {
    const h = home();
    expect((await h.run(["log", "init", "--origin", "purl.example/log"])).code).toBe(0);
    const key = await newKey(h);
    const sbom = join(h.dir, "worker.cdx.json");
    expect((await h.run(["sbom", join(ROOT, "examples/shop/worker"), "-o", sbom])).code).toBe(0);
    const lock = join(ROOT, "examples/shop/worker/package-lock.json");
    const a = await h.run([
      "attest",
      "--subject",
      lock,
      "--type",
      "cyclonedx",
      "--predicate",
      sbom,
      "--key",
      key.privateKey,
      "-o",
      join(h.dir, "a.json"),
      "--log",
    ]);
    expect(a.code, a.stderr).toBe(0);
    const digest = `sha256:${createHash("sha256").update(readFileSync(lock)).digest("hex")}`;
    const any = JSON.parse(
      (await h.run(["log", "search", "--purl", "pkg:npm/minimist", "--format", "json"])).stdout,
    );
    expect(any.artifacts).toEqual([
      expect.objectContaining({ artifactDigest: digest, purl: "pkg:npm/minimist@1.2.5" }),
    ]);
    const exact = JSON.parse(
      (await h.run(["log", "search", "--purl", "pkg:npm/minimist@1.2.5", "--format", "json"])).stdout,
    );
    expect(exact.artifacts).toHaveLength(1);
    const other = JSON.parse(
      (await h.run(["log", "search", "--purl", "pkg:npm/minimist@1.2.6", "--format", "json"])).stdout,
    );
    expect(other.artifacts).toEqual([]);
    expect((await h.run(["log", "search", "--purl", "minimist"])).code).toBe(2);
  });
});
