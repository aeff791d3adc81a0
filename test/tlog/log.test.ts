import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import { openStore } from "../../src/store/index.js";
import {
  cosignCheckpoint,
  decodeEntryBundle,
  formatTlogProof,
  generateNoteKey,
  inclusionProof,
  leafHash,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseTlogProof,
  parseVerifierKey,
  rootOf,
  TransparencyLog,
  verifyConsistency,
  verifyInclusion,
  verifyTlogProof,
} from "../../src/tlog/index.js";
import { describeStores } from "../support/stores.js";

const enc = (s: string) => new TextEncoder().encode(s);
const logKey = generateNoteKey("bulwark.test/log");
const signer = parseSignerKey(logKey.skey);
const vkey = parseVerifierKey(logKey.vkey);

describeStores("transparency log", (h) => {
  it("appends in order, proves inclusion of every entry at every checkpoint, and proves consistency", async () => {
    const store = await h.open();
    const log = await TransparencyLog.open({ store, signer, maxBatch: 97 });
    const bodies = Array.from({ length: 600 }, (_, i) => enc(`entry ${i}`));
    const results = await log.appendAll(bodies.slice(0, 300));
    expect(results.map((r) => r.index)).toEqual(bodies.slice(0, 300).map((_, i) => i));
    for (const b of bodies.slice(300)) await log.append(b); // one batch each: many checkpoints
    const head = await log.head();
    expect(head.size).toBe(600);
    const leaves = bodies.map(leafHash);
    expect(Buffer.from(head.rootHash).equals(Buffer.from(rootOf(leaves)))).toBe(true);

    const sizes = await log.checkpointSizes();
    expect(sizes[0]).toBe(0);
    expect(sizes).toContain(300);
    expect(sizes.at(-1)).toBe(600);
    for (const size of [1, 255, 256, 257, 300, 511, 512, 600]) {
      if (!sizes.includes(size)) continue;
      const cp = parseCheckpoint(parseNote((await log.checkpointAt(size))!).text);
      for (const index of [0, 1, size >> 1, size - 1]) {
        const { proof } = await log.inclusionProof(index, size);
        expect(proof.map((p) => Buffer.from(p).toString("hex"))).toEqual(
          inclusionProof(leaves, index, size).map((p) => Buffer.from(p).toString("hex")),
        );
        verifyInclusion(leaves[index]!, index, size, proof, cp.rootHash);
      }
    }
    for (const [a, b] of [
      [1, 600],
      [256, 600],
      [300, 513],
      [511, 512],
    ] as const) {
      const { proof } = await log.consistencyProof(a, b);
      verifyConsistency(a, b, await log.rootAt(a), await log.rootAt(b), proof);
    }
  });

  it("de-duplicates exactly: the same bytes get the first index, within a batch and across batches", async () => {
    const store = await h.open();
    const log = await TransparencyLog.open({ store, signer });
    const first = await log.appendAll([enc("a"), enc("b"), enc("a")]);
    expect(first.map((r) => [r.index, r.duplicate])).toEqual([
      [0, false],
      [1, false],
      [0, true],
    ]);
    const again = await log.append(enc("b"));
    expect(again).toMatchObject({ index: 1, duplicate: true, size: 2 });
    expect((await log.head()).size).toBe(2);
    expect(await log.indexOf(leafHash(enc("b")))).toBe(1);
  });

  it("two connections appending at once never fork the tree", async () => {
    const store = await h.open();
    const a = await TransparencyLog.open({ store, signer, maxBatch: 13 });
    const other = await openStore(h.lastLocation());
    try {
      const b = await TransparencyLog.open({ store: other, signer, maxBatch: 7 });
      const shared = Array.from({ length: 50 }, (_, i) => enc(`shared ${i}`));
      const [ra, rb] = await Promise.all([
        Promise.all(
          [...shared, ...Array.from({ length: 100 }, (_, i) => enc(`a ${i}`))].map((x) => a.append(x)),
        ),
        Promise.all(
          [...shared, ...Array.from({ length: 100 }, (_, i) => enc(`b ${i}`))].map((x) => b.append(x)),
        ),
      ]);
      // Both saw the same index for every shared entry; all other indexes are distinct.
      expect(ra.slice(0, 50).map((r) => r.index)).toEqual(rb.slice(0, 50).map((r) => r.index));
      const all = new Set([...ra, ...rb].map((r) => r.index));
      expect(all.size).toBe(250);
      expect(Math.max(...all)).toBe(249);
      const report = await a.verifyFull();
      expect(report.problems).toEqual([]);
      expect(report.size).toBe(250);
      // Every checkpoint handed out is consistent with the final tree.
      const head = await a.head();
      for (const r of [...ra, ...rb]) {
        const cp = parseCheckpoint(parseNote(r.checkpoint).text);
        const { proof } = await a.consistencyProof(Number(cp.size));
        if (cp.size > 0n) verifyConsistency(cp.size, head.size, cp.rootHash, head.rootHash, proof);
      }
    } finally {
      await other.close();
    }
  });

  it("serves tiles and entry bundles that re-derive the tree", async () => {
    const store = await h.open();
    const log = await TransparencyLog.open({ store, signer });
    const bodies = Array.from({ length: 300 }, (_, i) => enc(`tile entry ${i}`));
    await log.appendAll(bodies);
    const full = (await log.tile(0, 0))!;
    expect(full.length).toBe(256 * 32);
    expect(Buffer.from(full.subarray(0, 32)).equals(Buffer.from(leafHash(bodies[0]!)))).toBe(true);
    expect((await log.tile(0, 1))!.length).toBe(44 * 32);
    expect(await log.tile(0, 1, 45)).toBeUndefined();
    const level1 = (await log.tile(1, 0))!;
    expect(Buffer.from(level1).equals(Buffer.from(rootOf(bodies.slice(0, 256).map(leafHash))))).toBe(true);
    const bundle = (await log.entryBundle(1, 44))!;
    expect(decodeEntryBundle(bundle).map((e) => new TextDecoder().decode(e))).toEqual(
      bodies.slice(256).map((b) => new TextDecoder().decode(b)),
    );
    expect(await log.entryBundle(1, 45)).toBeUndefined();
  });

  it("tlog-proof: formats, parses and verifies offline, with a witness quorum", async () => {
    const store = await h.open();
    const log = await TransparencyLog.open({ store, signer });
    const results = await log.appendAll(Array.from({ length: 10 }, (_, i) => enc(`p${i}`)));
    const { proof } = await log.inclusionProof(7);
    const head = await log.head();
    const witnessKey = generateNoteKey("witness.test/w1", { cosigner: true });
    const witness = parseSignerKey(witnessKey.skey);
    const witnessV = parseVerifierKey(witnessKey.vkey);
    const cosigned = `${head.checkpoint}${cosignCheckpoint(parseNote(head.checkpoint).text, witness, 1_700_000_000)}\n`;
    expect(await log.addCosignatures(cosigned, [witnessV])).toEqual(["witness.test/w1"]);
    const checkpoint = (await log.checkpointAt(head.size))!;
    expect(checkpoint).toBe(cosigned);

    const text = formatTlogProof({ index: 7, proof, checkpoint });
    const parsed = parseTlogProof(text);
    expect(formatTlogProof(parsed)).toBe(text);
    const ok = verifyTlogProof(parsed, enc("p7"), { logKeys: [vkey], witnesses: [witnessV] });
    expect(ok.witnessedBy).toEqual(["witness.test/w1"]);
    expect(results[7]!.index).toBe(7);
    expect(() => verifyTlogProof(parsed, enc("p8"), { logKeys: [vkey] })).toThrow(/does not verify|proof/);
    const otherWitness = parseVerifierKey(generateNoteKey("witness.test/w2", { cosigner: true }).vkey);
    expect(() =>
      verifyTlogProof(parsed, enc("p7"), { logKeys: [vkey], witnesses: [witnessV, otherWitness] }),
    ).toThrow(/1 of the 2 witness cosignatures/);
    // A cosignature over a checkpoint the log never issued is refused.
    const forged = `bulwark.test/log\n10\n${Buffer.alloc(32).toString("base64")}\n`;
    const forgedNote = `${forged}\n${cosignCheckpoint(forged, witness, 1)}\n`;
    await expect(log.addCosignatures(forgedNote, [witnessV])).rejects.toMatchObject({
      code: "VERIFICATION_FAILED",
    });
  });

  it("verify --full finds a flipped byte in an entry, a leaf hash, a tile and a checkpoint", async () => {
    const store = await h.open();
    const log = await TransparencyLog.open({ store, signer });
    await log.appendAll(Array.from({ length: 700 }, (_, i) => enc(`v${i}`)));
    expect((await log.verifyFull()).problems).toEqual([]);
    const flip = (b: Uint8Array, at: number) => {
      const c = new Uint8Array(b);
      c[at] = c[at]! ^ 1;
      return c;
    };
    const e = await store.db
      .selectFrom("tlog_entry")
      .selectAll()
      .where("idx", "=", 500)
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable("tlog_entry")
      .set({ body: flip(e.body, 1) })
      .where("idx", "=", 500)
      .execute();
    const t = await store.db
      .selectFrom("tlog_tile")
      .selectAll()
      .where("level", "=", 0)
      .where("idx", "=", 1)
      .executeTakeFirstOrThrow();
    await store.db
      .updateTable("tlog_tile")
      .set({ hashes: flip(t.hashes, 40) })
      .where("level", "=", 0)
      .where("idx", "=", 1)
      .execute();
    const report = await log.verifyFull();
    expect(report.problems).toEqual(
      expect.arrayContaining([
        { what: "entry body does not match its leaf hash", where: "entry 500" },
        { what: "hash tile differs from the entries' hashes", where: "tile 0/1" },
      ]),
    );
    await expect(log.entry(500)).rejects.toMatchObject({ code: "VERIFICATION_FAILED" });
    // A tampered checkpoint signature.
    const cp = await store.db
      .selectFrom("tlog_checkpoint")
      .selectAll()
      .where("size", "=", 700)
      .executeTakeFirstOrThrow();
    const note = cp.note.replace(
      /\n— (\S+) (\S)/,
      (_m, n: string, c: string) => `\n— ${n} ${c === "A" ? "B" : "A"}`,
    );
    await store.db.updateTable("tlog_checkpoint").set({ note }).where("size", "=", 700).execute();
    const again = await log.verifyFull();
    expect(again.problems.some((p) => p.where === "checkpoint 700")).toBe(true);
  });

  it("appending is refused without the signing key, over the size limit, or with another origin's key", async () => {
    const store = await h.open();
    await TransparencyLog.open({ store, signer });
    const readOnly = await TransparencyLog.open({ store, verifierKey: vkey });
    await expect(readOnly.append(enc("x"))).rejects.toMatchObject({ code: "USAGE" });
    const log = await TransparencyLog.open({ store, signer });
    await expect(log.append(new Uint8Array(70_000))).rejects.toMatchObject({ code: "INPUT_TOO_LARGE" });
    const other = parseSignerKey(generateNoteKey("someone.else/log").skey);
    await expect(TransparencyLog.open({ store, signer: other })).rejects.toMatchObject({ code: "USAGE" });
    const otherV = parseVerifierKey(generateNoteKey("bulwark.test/log").vkey);
    const wrongKey = await TransparencyLog.open({ store, verifierKey: otherV });
    await expect(wrongKey.head()).rejects.toMatchObject({ code: "VERIFICATION_FAILED" });
    const empty = await h.open();
    await expect(TransparencyLog.open({ store: empty, verifierKey: vkey })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
    });
    await sql`select 1`.execute(store.db);
  });
});

describe("transparency log at scale [sqlite]", () => {
  it("crosses level-2 tiles (65,536 leaves) and still proves against array-computed roots", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "bulwark-tlog-"));
    const store = await openStore({ file: join(dir, "log.db"), synchronous: "normal" });
    try {
      const log = await TransparencyLog.open({ store, signer, maxBatch: 8192 });
      const n = 65_536 + 300;
      const bodies = Array.from({ length: n }, (_, i) => enc(`scale ${i}`));
      await log.appendAll(bodies);
      const leaves = bodies.map(leafHash);
      const head = await log.head();
      expect(Buffer.from(head.rootHash).equals(Buffer.from(rootOf(leaves)))).toBe(true);
      expect((await log.tile(2, 0))!.length).toBe(32);
      for (const index of [0, 65_535, 65_536, n - 1]) {
        const { proof } = await log.inclusionProof(index);
        verifyInclusion(leaves[index]!, index, n, proof, head.rootHash);
      }
      const { proof } = await log.consistencyProof(65_536);
      verifyConsistency(65_536, n, rootOf(leaves.slice(0, 65_536)), head.rootHash, proof);
      expect((await log.verifyFull()).problems).toEqual([]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("errors are BulwarkErrors", () => {
    expect(new BulwarkError("USAGE", "x").code).toBe("USAGE");
  });
});

describe("transparency log against a model [sqlite]", () => {
  it("random appends (with repeats, random batch sizes and flushes) give the model's indexes, roots and proofs", async () => {
    const fc = (await import("fast-check")).default;
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "bulwark-tlog-model-"));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 30 }), {
            minLength: 1,
            maxLength: 8,
          }),
          fc.integer({ min: 1, max: 12 }),
          async (rounds, maxBatch) => {
            const store = await openStore({ file: join(dir, `m${run++}.db`), synchronous: "normal" });
            try {
              const log = await TransparencyLog.open({ store, signer, maxBatch });
              const model: string[] = [];
              for (const round of rounds) {
                const results = await Promise.all(round.map((n) => log.append(enc(`m${n}`))));
                round.forEach((n, i) => {
                  const body = `m${n}`;
                  if (!model.includes(body)) model.push(body);
                  expect(results[i]!.index).toBe(model.indexOf(body));
                });
              }
              const leaves = model.map((b) => leafHash(enc(b)));
              const head = await log.head();
              expect(head.size).toBe(model.length);
              expect(Buffer.from(head.rootHash).equals(Buffer.from(rootOf(leaves)))).toBe(true);
              const index = model.length - 1;
              const { proof } = await log.inclusionProof(index);
              verifyInclusion(leaves[index]!, index, model.length, proof, head.rootHash);
            } finally {
              await store.close();
            }
          },
        ),
        { numRuns: 25 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
