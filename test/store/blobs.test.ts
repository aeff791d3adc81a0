import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import { type BlobInfo, type BlobStore, DatabaseBlobStore, FileBlobStore } from "../../src/store/index.js";
import { describeStores } from "../support/stores.js";

const enc = new TextEncoder();
const hex = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

async function all(store: BlobStore): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const b of store.list()) out.push(b);
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<BulwarkError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BulwarkError);
  return e as BulwarkError;
}

/** What both stores must do. */
function contract(open: () => Promise<BlobStore>) {
  it("puts, gets, has and lists blobs by digest", async () => {
    const store = await open();
    const a = enc.encode('{"payloadType":"application/vnd.in-toto+json"}');
    const b = Uint8Array.from([0, 1, 2, 253, 254, 255]);
    const empty = new Uint8Array(0);
    const infoA = await store.put(a);
    expect(infoA).toEqual({ digest: `sha256:${hex(a)}`, size: a.byteLength });
    await store.put(b);
    await store.put(empty);
    expect(await store.get(infoA.digest)).toEqual(a);
    expect(await store.get(`sha256:${hex(b)}`)).toEqual(b);
    expect(await store.get(`sha256:${hex(empty)}`)).toEqual(empty);
    expect(await store.has(infoA.digest)).toBe(true);
    const absent = `sha256:${hex("absent")}`;
    expect(await store.has(absent)).toBe(false);
    expect(await store.get(absent)).toBeUndefined();
    const expected = [
      { digest: `sha256:${hex(a)}`, size: a.byteLength },
      { digest: `sha256:${hex(b)}`, size: 6 },
      { digest: `sha256:${hex(empty)}`, size: 0 },
    ].sort((x, y) => (x.digest < y.digest ? -1 : 1));
    expect(await all(store)).toEqual(expected);
  });

  it("put is idempotent", async () => {
    const store = await open();
    const data = enc.encode("same bytes");
    const first = await store.put(data);
    const second = await store.put(enc.encode("same bytes"));
    expect(second).toEqual(first);
    expect(await all(store)).toEqual([first]);
  });

  it("concurrent puts of one blob store it once", async () => {
    const store = await open();
    const data = enc.encode("x".repeat(100_000));
    const infos = await Promise.all(Array.from({ length: 16 }, () => store.put(data)));
    for (const info of infos) expect(info).toEqual({ digest: `sha256:${hex(data)}`, size: 100_000 });
    expect(await all(store)).toEqual([infos[0]]);
    expect(await store.get(infos[0]!.digest)).toEqual(data);
  });

  it("refuses malformed digests with INPUT_INVALID", async () => {
    const store = await open();
    for (const bad of [
      "",
      hex("x"),
      `sha512:${hex("x")}`,
      `sha256:${hex("x").toUpperCase()}`,
      `sha256:${hex("x").slice(1)}`,
      `sha256:../../${"0".repeat(58)}`,
    ]) {
      expect((await errorOf(store.get(bad))).code).toBe("INPUT_INVALID");
      expect((await errorOf(store.has(bad))).code).toBe("INPUT_INVALID");
    }
  });
}

describe("FileBlobStore", () => {
  const root = mkdtempSync(join(tmpdir(), "bulwark-blobs-"));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const fresh = () => new FileBlobStore(join(root, `store-${++n}`));

  contract(() => Promise.resolve(fresh()));

  it("lays blobs out as sha256/<2 hex>/<64 hex> and leaves no temporary files", async () => {
    const store = fresh();
    const data = enc.encode("layout");
    const h = hex(data);
    await Promise.all([store.put(data), store.put(data), store.put(enc.encode("other"))]);
    expect(readFileSync(join(store.dir, "sha256", h.slice(0, 2), h), "utf8")).toBe("layout");
    expect(readdirSync(join(store.dir, "tmp"))).toEqual([]);
    expect(readdirSync(store.dir).sort()).toEqual(["sha256", "tmp"]);
  });

  it("does not rewrite an existing blob", async () => {
    const store = fresh();
    const data = enc.encode("written once");
    const h = hex(data);
    const file = join(store.dir, "sha256", h.slice(0, 2), h);
    await store.put(data);
    const before = statSync(file);
    await new Promise((r) => setTimeout(r, 20));
    await store.put(data);
    const after = statSync(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it("a flipped byte in the stored file is VERIFICATION_FAILED", async () => {
    const store = fresh();
    const data = enc.encode('{"_type":"https://in-toto.io/Statement/v1"}');
    const { digest } = await store.put(data);
    const h = digest.slice(7);
    const file = join(store.dir, "sha256", h.slice(0, 2), h);
    const bytes = readFileSync(file);
    bytes[5] = bytes[5]! ^ 0x01;
    writeFileSync(file, bytes);
    const err = await errorOf(store.get(digest));
    expect(err.code).toBe("VERIFICATION_FAILED");
    expect(err.message).toBe(`stored blob ${digest} does not match its digest (storage corrupted)`);
    expect(err.details).toEqual({ reason: "blob-corrupted", digest });
    // has() only reports presence; the store still lists the (corrupt) blob.
    expect(await store.has(digest)).toBe(true);
  });

  it("lists nothing for a directory that does not exist yet, and ignores stray files", async () => {
    const store = fresh();
    expect(await all(store)).toEqual([]);
    const info = await store.put(enc.encode("a"));
    const h = info.digest.slice(7);
    writeFileSync(join(store.dir, "sha256", h.slice(0, 2), "README"), "not a blob");
    writeFileSync(join(store.dir, "sha256", h.slice(0, 2), "f".repeat(64)), "wrong shard");
    expect(await all(store)).toEqual([info]);
  });
});

describeStores("DatabaseBlobStore", (h) => {
  const open = async () => new DatabaseBlobStore(await h.open(), fixedClock("2025-06-01T00:00:00Z"));

  contract(open);

  it("stores size, bytes and creation time in the blob table", async () => {
    const store = await h.open();
    const blobs = new DatabaseBlobStore(store, fixedClock("2025-06-01T00:00:00Z"));
    const data = Uint8Array.from([9, 8, 7]);
    await blobs.put(data);
    const row = await store.db.selectFrom("blob").selectAll().executeTakeFirstOrThrow();
    expect({ ...row, data: new Uint8Array(row.data) }).toEqual({
      digest: `sha256:${hex(data)}`,
      size: 3,
      data,
      created_at: "2025-06-01T00:00:00.000Z",
    });
  });

  it("a corrupted row is VERIFICATION_FAILED", async () => {
    const store = await h.open();
    const blobs = new DatabaseBlobStore(store);
    const { digest } = await blobs.put(enc.encode("sbom bytes"));
    await store.db
      .updateTable("blob")
      .set({ data: enc.encode("sbom bytez") })
      .where("digest", "=", digest)
      .execute();
    const err = await errorOf(blobs.get(digest));
    expect(err.code).toBe("VERIFICATION_FAILED");
    expect(err.details).toEqual({ reason: "blob-corrupted", digest });
  });

  it("lists more blobs than one page, in digest order", async () => {
    const blobs = new DatabaseBlobStore(await h.open());
    const infos = await Promise.all(
      Array.from({ length: 1203 }, (_, i) => blobs.put(enc.encode(`blob ${i}`))),
    );
    const listed = await all(blobs);
    expect(listed).toHaveLength(1203);
    expect(listed).toEqual([...infos].sort((x, y) => (x.digest < y.digest ? -1 : 1)));
  });
});
