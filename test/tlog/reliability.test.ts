/**
 * Reliability of the log with real processes: `kill -9` in the middle of a stream of appends,
 * and several processes appending at once. Runs on embedded SQLite and on PostgreSQL.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import {
  generateNoteKey,
  leafHash,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  TransparencyLog,
  verifyConsistency,
  verifyNote,
} from "../../src/tlog/index.js";
import { describeStores } from "../support/stores.js";

const APPENDER = fileURLToPath(new URL("./fixtures/appender.mjs", import.meta.url));
const key = generateNoteKey("bulwark.test/crash");
const vkey = parseVerifierKey(key.vkey);

interface Ack {
  index: number;
  leaf: string;
  size: number;
  checkpoint: string;
}

/** Runs an appender; resolves with its acks when it exits (or is killed after `killAfter` acks). */
function runAppender(
  location: object,
  options: { prefix: string; count: number; shared?: boolean; killAfter?: number; maxBatch?: number },
): Promise<{ acks: Ack[]; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [APPENDER, JSON.stringify({ location, skey: key.skey, ...options })],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const acks: Ack[] = [];
    let buffered = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^ACK (\d+) ([0-9a-f]{64}) (\d+) (\S+)$/.exec(line);
        if (!m) continue;
        acks.push({
          index: Number(m[1]),
          leaf: m[2]!,
          size: Number(m[3]),
          checkpoint: Buffer.from(m[4]!, "base64").toString(),
        });
        if (options.killAfter !== undefined && acks.length === options.killAfter) child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ acks, signal, code, stderr }));
  });
}

/** Every acknowledged entry is where it was acknowledged, and every checkpoint handed out is a prefix of the tree now. */
async function checkAcks(log: TransparencyLog, acks: readonly Ack[]): Promise<void> {
  const head = await log.head();
  for (const a of acks) {
    const e = await log.entry(a.index);
    expect(e, `acknowledged entry ${a.index}`).toBeDefined();
    expect(Buffer.from(e!.leafHash).toString("hex")).toBe(a.leaf);
  }
  const seen = new Set<number>();
  for (const a of acks) {
    if (seen.has(a.size)) continue;
    seen.add(a.size);
    verifyNote(a.checkpoint, [vkey]);
    const cp = parseCheckpoint(parseNote(a.checkpoint).text);
    expect(Number(cp.size)).toBe(a.size);
    if (a.size === 0 || a.size === head.size) continue;
    const { proof } = await log.consistencyProof(a.size);
    verifyConsistency(cp.size, head.size, cp.rootHash, head.rootHash, proof);
  }
}

describeStores("transparency log reliability", (h) => {
  it("kill -9 during a stream of appends loses no acknowledged entry and forks nothing", async () => {
    const location = await h.fresh();
    const store = await openStore(location);
    try {
      await TransparencyLog.open({ store, signer: parseSignerKey(key.skey) });
      const killed = await runAppender(location, { prefix: "crash", count: 100_000, killAfter: 700 });
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.acks.length).toBeGreaterThanOrEqual(700);

      const log = await TransparencyLog.open({ store, signer: parseSignerKey(key.skey) });
      await checkAcks(log, killed.acks);
      // No entry twice: as many distinct leaves as the tree's size.
      const head = await log.head();
      const entries = await log.entries(0, head.size);
      expect(new Set(entries.map((e) => Buffer.from(e.leafHash).toString("hex"))).size).toBe(head.size);
      expect((await log.verifyFull()).problems).toEqual([]);

      // After the restart the stream continues; re-sending what was in flight de-duplicates.
      const resumed = await runAppender(location, { prefix: "crash", count: killed.acks.length + 50 });
      expect(resumed.code, resumed.stderr).toBe(0);
      for (const a of killed.acks) expect(resumed.acks.find((r) => r.leaf === a.leaf)?.index).toBe(a.index);
      await checkAcks(log, [...killed.acks, ...resumed.acks]);
      expect((await log.verifyFull()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);

  it("several processes appending at once build one tree", async () => {
    const location = await h.fresh();
    const store = await openStore(location);
    try {
      await TransparencyLog.open({ store, signer: parseSignerKey(key.skey) });
      const runs = await Promise.all(
        ["p1", "p2", "p3"].map((prefix, i) =>
          runAppender(location, { prefix, count: 600, shared: true, maxBatch: 16 + i * 20 }),
        ),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const log = await TransparencyLog.open({ store, verifierKey: vkey });
      const all = runs.flatMap((r) => r.acks);
      await checkAcks(log, all);
      // The shared entries got one index each, whoever appended them.
      const byLeaf = new Map<string, Set<number>>();
      for (const a of all) byLeaf.set(a.leaf, (byLeaf.get(a.leaf) ?? new Set()).add(a.index));
      for (const indexes of byLeaf.values()) expect(indexes.size).toBe(1);
      const head = await log.head();
      expect(head.size).toBe(byLeaf.size);
      expect(head.size).toBe(3 * 400 + 200);
      expect(await log.indexOf(leafHash(new TextEncoder().encode("shared 0")))).toBeDefined();
      expect((await log.verifyFull()).problems).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
