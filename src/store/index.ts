/**
 * The store layer (ARCHITECTURE §8): one Kysely schema with forward-only migrations over two
 * dialects — embedded SQLite (better-sqlite3, or node:sqlite where the native driver cannot load)
 * in `.bulwark/` or `BULWARK_HOME`, and PostgreSQL when `BULWARK_DATABASE_URL` is set. Domain
 * modules receive a `Store` and query `store.db`; writers that must not interleave (the
 * transparency log's sequencer) take `store.exclusive()`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  type Kysely as KyselyType,
  Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
  SqliteDialect,
  type Transaction,
} from "kysely";
import { BulwarkError } from "../core/index.js";
import { migrations, type StoreDialect } from "./migrations.js";
import { openPostgres, redactUrl } from "./postgres.js";
import type { StoreSchema } from "./schema.js";
import { openSqlite, type SqliteDriverName } from "./sqlite.js";

export type * from "./schema.js";
export type { SqliteDriverName } from "./sqlite.js";
export type { StoreDialect } from "./migrations.js";
export { redactUrl } from "./postgres.js";
export { type BlobInfo, type BlobStore, DatabaseBlobStore, FileBlobStore } from "./blobs.js";
export {
  type ArtifactMatch,
  type AttestationInput,
  type AttestationQuery,
  type AttestationRecord,
  type AttestationSubject,
  type DecisionInput,
  type DecisionOutcome,
  type DecisionQuery,
  type DecisionRecord,
  EvidenceIndex,
  type KeyInput,
  type KeyRecord,
  purlKey,
  type RevocationInput,
  type RevocationRecord,
  type SbomComponentInput,
  type SbomInput,
  type SbomRecordResult,
} from "./evidence.js";

export type StoreDriverName = SqliteDriverName | "pg";

export interface Store {
  readonly db: Kysely<StoreSchema>;
  readonly dialect: StoreDialect;
  readonly driver: StoreDriverName;
  /** The database file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /**
   * Runs `fn` in a transaction that excludes every other `exclusive` writer of the same `lock`
   * name, in this process and in others: SQLite `BEGIN IMMEDIATE` (the database's one writer
   * lock), PostgreSQL a transaction-scoped advisory lock. Commits when `fn` resolves.
   */
  exclusive<T>(lock: string, fn: (trx: KyselyType<StoreSchema>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The SQLite file. */
  readonly file?: string;
  /** A `postgres://` or `postgresql://` URL (instead of `file`). */
  readonly url?: string;
  /** Open an existing database without writing (no migrations, no WAL switch). */
  readonly readonly?: boolean;
  /**
   * SQLite only: `full` (default) syncs the WAL at every commit, so a committed transaction
   * survives power loss; `normal` syncs at checkpoints (survives a process crash, not power loss).
   */
  readonly synchronous?: "full" | "normal";
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
}

/** `BULWARK_HOME`, else `.bulwark` in the working directory. */
export function bulwarkHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.BULWARK_HOME || ".bulwark");
}

/** The store the CLI uses: `BULWARK_DATABASE_URL` if set, else `bulwark.db` in the Bulwark home. */
export function defaultStoreOptions(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { url: string } | { file: string } {
  const url = env.BULWARK_DATABASE_URL;
  if (url) return { url };
  return { file: join(bulwarkHome(env, cwd), "bulwark.db") };
}

function providerFor(dialect: StoreDialect): MigrationProvider {
  const list = migrations(dialect);
  return { getMigrations: () => Promise.resolve(list as Record<string, Migration>) };
}

/** Opens the store, creating it and applying pending migrations unless read-only. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.url !== undefined) return openPostgresStore(options.url, options);
  if (options.file === undefined) throw new TypeError("openStore needs a file or a url");
  return openSqliteStore(options.file, options);
}

/**
 * SQLite drivers are synchronous: a second connection of this process waiting for the write lock
 * would block the event loop that the holder needs to finish. So exclusive writers to one file
 * take turns in-process first (other processes wait on SQLite's lock with the busy timeout).
 */
const turns = new Map<string, Promise<unknown>>();

function inProcessTurn<T>(file: string, work: () => Promise<T>): Promise<T> {
  const previous = turns.get(file) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const settled = mine.catch(() => {});
  turns.set(file, settled);
  void settled.then(() => {
    if (turns.get(file) === settled) turns.delete(file);
  });
  return mine;
}

async function openSqliteStore(given: string, options: OpenStoreOptions): Promise<Store> {
  const file = resolve(given);
  if (options.readonly && !existsSync(file))
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `no database at ${file} (create one with a write command, e.g. \`bulwark db import\`)`,
    );
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  let opened: ReturnType<typeof openSqlite>;
  try {
    opened = openSqlite(file, {
      ...(options.readonly ? { readonly: true } : {}),
      synchronous: options.synchronous ?? "full",
    });
  } catch (e) {
    throw new BulwarkError("STORE_UNAVAILABLE", `cannot open the database ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const db = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: opened.database }) });
  const store: Store = {
    db,
    dialect: "sqlite",
    driver: opened.driver,
    location: file,
    exclusive: (_lock, fn) =>
      inProcessTurn(file, () =>
        // One connection (Kysely's SQLite driver has exactly one, behind a mutex): BEGIN IMMEDIATE
        // takes the database's write lock up front, so the read-then-write inside cannot be
        // invalidated by another process (a deferred transaction would fail with SQLITE_BUSY).
        db.connection().execute(async (conn) => {
          await sql`begin immediate`.execute(conn);
          try {
            const result = await fn(conn);
            await sql`commit`.execute(conn);
            return result;
          } catch (e) {
            await sql`rollback`.execute(conn).catch(() => {});
            throw e;
          }
        }),
      ),
    close: () => db.destroy(),
  };
  await prepare(store, options);
  return store;
}

async function openPostgresStore(url: string, options: OpenStoreOptions): Promise<Store> {
  if (!/^postgres(?:ql)?:\/\//.test(url))
    throw new BulwarkError("USAGE", `BULWARK_DATABASE_URL must be a postgres:// URL, not ${redactUrl(url)}`);
  const opened = openPostgres(url, options.poolSize === undefined ? {} : { max: options.poolSize });
  const db = new Kysely<StoreSchema>({ dialect: opened.dialect });
  const location = redactUrl(url);
  const store: Store = {
    db,
    dialect: "postgres",
    driver: "pg",
    location,
    exclusive: (lock, fn) =>
      db.transaction().execute(async (trx: Transaction<StoreSchema>) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${lock}, 0))`.execute(trx);
        return fn(trx);
      }),
    close: () => db.destroy(),
  };
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy();
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `cannot reach the database ${location}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  await prepare(store, options);
  return store;
}

async function prepare(store: Store, options: OpenStoreOptions): Promise<void> {
  try {
    if (options.readonly) await checkMigrated(store);
    else await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
}

async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: providerFor(store.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `migrating the database ${store.location} failed${failed ? ` at ${failed}` : ""}: ${(error as Error).message ?? error}`,
      { cause: error },
    );
  }
}

/** A read-only open must find a database at the current schema (unknown newer migrations are refused). */
async function checkMigrated(store: Store): Promise<void> {
  let list: Awaited<ReturnType<Migrator["getMigrations"]>>;
  try {
    list = await new Migrator({ db: store.db, provider: providerFor(store.dialect) }).getMigrations();
  } catch (e) {
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `${store.location} is not a Bulwark database: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const pending = list.filter((m) => !m.executedAt);
  if (pending.length) {
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `the database ${store.location} needs migrations (${pending.map((m) => m.name).join(", ")}); run a write command first`,
    );
  }
}
