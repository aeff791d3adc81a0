import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import { defaultStoreOptions, openStore } from "../../src/store/index.js";
import { describeStores } from "../support/stores.js";

describeStores("store", (h) => {
  it("migrates a fresh database and reopens it read-only", async () => {
    const store = await h.open();
    expect(store.dialect).toBe(h.dialect);
    await store.db.insertInto("bulwark_meta").values({ key: "k", value: "v" }).execute();
    const again = await openStore({ ...h.lastLocation(), readonly: true });
    try {
      expect(await again.db.selectFrom("bulwark_meta").selectAll().execute()).toEqual([
        { key: "k", value: "v" },
      ]);
    } finally {
      await again.close();
    }
  });

  it("round-trips bytes and 64-bit sizes as numbers", async () => {
    const store = await h.open();
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    await store.db
      .insertInto("tlog_checkpoint")
      .values({ size: 2 ** 40 + 3, note: "n", created_at: "t" })
      .execute();
    await store.db
      .insertInto("tlog_tile")
      .values({ level: 0, idx: 2 ** 33, hashes: bytes })
      .execute();
    const cp = await store.db.selectFrom("tlog_checkpoint").selectAll().executeTakeFirstOrThrow();
    expect(cp.size).toBe(2 ** 40 + 3);
    const tile = await store.db.selectFrom("tlog_tile").selectAll().executeTakeFirstOrThrow();
    expect(tile.idx).toBe(2 ** 33);
    expect(new Uint8Array(tile.hashes)).toEqual(bytes);
  });

  it("exclusive() serialises writers that read then write", async () => {
    const store = await h.open();
    await store.db.insertInto("bulwark_meta").values({ key: "counter", value: "0" }).execute();
    const other = await openStore(h.lastLocation());
    try {
      const bump = (s: typeof store) =>
        s.exclusive("counter", async (trx) => {
          const row = await trx
            .selectFrom("bulwark_meta")
            .select("value")
            .where("key", "=", "counter")
            .executeTakeFirstOrThrow();
          await new Promise((r) => setTimeout(r, 2));
          await trx
            .updateTable("bulwark_meta")
            .set({ value: String(Number(row.value) + 1) })
            .where("key", "=", "counter")
            .execute();
        });
      await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? store : other)));
      const row = await store.db
        .selectFrom("bulwark_meta")
        .select("value")
        .where("key", "=", "counter")
        .executeTakeFirstOrThrow();
      expect(row.value).toBe("20");
    } finally {
      await other.close();
    }
  });

  it("exclusive() rolls back when the work throws", async () => {
    const store = await h.open();
    await expect(
      store.exclusive("x", async (trx) => {
        await trx.insertInto("bulwark_meta").values({ key: "gone", value: "1" }).execute();
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await store.db.selectFrom("bulwark_meta").selectAll().execute()).toEqual([]);
    await sql`select 1`.execute(store.db);
  });
});

describe("store options", () => {
  it("BULWARK_DATABASE_URL selects PostgreSQL, else bulwark.db in the Bulwark home", () => {
    expect(defaultStoreOptions({ BULWARK_DATABASE_URL: "postgres://u@h/db" }, "/x")).toEqual({
      url: "postgres://u@h/db",
    });
    expect(defaultStoreOptions({ BULWARK_HOME: "/h" }, "/x")).toEqual({ file: "/h/bulwark.db" });
  });

  it("a non-PostgreSQL URL is a usage error; an unreachable server is STORE_UNAVAILABLE", async () => {
    await expect(openStore({ url: "mysql://u:secret@h/db" })).rejects.toMatchObject({ code: "USAGE" });
    const err = await openStore({ url: "postgres://u:secret@127.0.0.1:1/db" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BulwarkError);
    expect(err).toMatchObject({ code: "STORE_UNAVAILABLE" });
    expect((err as Error).message).not.toContain("secret");
  });
});
