/**
 * One repository test suite, two dialects: `describeStores` runs its body against embedded SQLite
 * (a fresh file per `open()`) and against PostgreSQL (a fresh database per `open()` on the server
 * named by `BULWARK_TEST_DATABASE_URL`, which `.ci/run` starts with scripts/postgres.sh). In CI a
 * missing PostgreSQL fails the suite; elsewhere the PostgreSQL half reports itself skipped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe } from "vitest";
import { openStore, type Store, type OpenStoreOptions } from "../../src/store/index.js";
import { isCI } from "./shared.js";

export interface StoreHarness {
  readonly dialect: "sqlite" | "postgres";
  /** A fresh, migrated, empty store (closed by the harness after the suite). */
  open(options?: Omit<OpenStoreOptions, "file" | "url">): Promise<Store>;
  /** Options that open the same database as the last `open()` (for other processes or reopening). */
  lastLocation(): { file: string } | { url: string };
  /** A fresh empty database's location without opening it. */
  fresh(): Promise<{ file: string } | { url: string }>;
}

export function postgresUrl(): string | undefined {
  const url = process.env.BULWARK_TEST_DATABASE_URL;
  if (url) return url;
  if (isCI())
    throw new Error("BULWARK_TEST_DATABASE_URL is not set: .ci/run starts PostgreSQL for the store suites");
  return undefined;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function describeStores(title: string, body: (h: StoreHarness) => void): void {
  describe(`${title} [sqlite]`, () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-store-"));
    const opened: Store[] = [];
    let n = 0;
    let last: { file: string } | undefined;
    afterAll(async () => {
      for (const s of opened) await s.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });
    const fresh = () => Promise.resolve((last = { file: join(dir, `store-${++n}.db`) }));
    body({
      dialect: "sqlite",
      fresh,
      async open(options = {}) {
        const store = await openStore({ ...(await fresh()), ...options });
        opened.push(store);
        return store;
      },
      lastLocation: () => last!,
    });
  });

  const url = postgresUrl();
  const pgSuite = url ? describe : describe.skip;
  pgSuite(`${title} [postgres]`, () => {
    const created: string[] = [];
    const opened: Store[] = [];
    let last: { url: string } | undefined;
    afterAll(async () => {
      for (const s of opened) await s.close().catch(() => {});
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    });
    const fresh = async () => {
      const name = `bulwark_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      created.push(name);
      return (last = { url: withDatabase(url!, name) });
    };
    body({
      dialect: "postgres",
      fresh,
      async open(options = {}) {
        const store = await openStore({ ...(await fresh()), ...options });
        opened.push(store);
        return store;
      },
      lastLocation: () => last!,
    });
  });
}
