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

/** The harness over `fresh()` locations: every store it opens is closed after the suite. */
function harness(
  dialect: StoreHarness["dialect"],
  fresh: () => Promise<{ file: string } | { url: string }>,
  cleanup: () => Promise<void>,
): StoreHarness {
  const opened: Store[] = [];
  let last: { file: string } | { url: string } | undefined;
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => {});
    await cleanup();
  });
  const next = async () => (last = await fresh());
  return {
    dialect,
    fresh: next,
    async open(options = {}) {
      const store = await openStore({ ...(await next()), ...options });
      opened.push(store);
      return store;
    },
    lastLocation: () => last!,
  };
}

async function withAdmin<T>(url: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

export function describeStores(title: string, body: (h: StoreHarness) => void): void {
  describe(`${title} [sqlite]`, () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-store-"));
    let n = 0;
    body(
      harness(
        "sqlite",
        () => Promise.resolve({ file: join(dir, `store-${++n}.db`) }),
        () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
      ),
    );
  });

  const url = postgresUrl();
  const pgSuite = url ? describe : describe.skip;
  pgSuite(`${title} [postgres]`, () => {
    const created: string[] = [];
    const fresh = async () => {
      const name = `bulwark_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
      await withAdmin(url!, (admin) => admin.query(`create database ${name}`));
      created.push(name);
      return { url: withDatabase(url!, name) };
    };
    const cleanup = () =>
      withAdmin(url!, async (admin) => {
        for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
      });
    body(harness("postgres", fresh, cleanup));
  });
}
