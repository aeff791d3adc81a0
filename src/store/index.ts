/**
 * The store layer (ARCHITECTURE §8): Kysely over embedded SQLite (better-sqlite3, or node:sqlite
 * where the native driver cannot load) with forward-only migrations. Local state lives in
 * `.bulwark/` or `BULWARK_HOME`. Domain modules receive a `Store` and query `store.db`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, type Migration, type MigrationProvider, Migrator, SqliteDialect } from "kysely";
import { BulwarkError } from "../core/index.js";
import { MIGRATIONS } from "./migrations.js";
import type { StoreSchema } from "./schema.js";
import { openSqlite, type SqliteDriverName } from "./sqlite.js";

export type * from "./schema.js";
export type { SqliteDriverName } from "./sqlite.js";

export interface Store {
  readonly db: Kysely<StoreSchema>;
  readonly dialect: "sqlite";
  readonly driver: SqliteDriverName;
  /** The database file. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The SQLite file. */
  readonly file: string;
  /** Open an existing database without writing (no migrations, no WAL switch). */
  readonly readonly?: boolean;
}

/** `BULWARK_HOME`, else `.bulwark` in the working directory. */
export function bulwarkHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.BULWARK_HOME || ".bulwark");
}

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS as Record<string, Migration>),
};

/** Opens the store, creating the file and applying pending migrations unless read-only. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const file = resolve(options.file);
  if (options.readonly && !existsSync(file))
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `no database at ${file} (create one with a write command, e.g. \`bulwark db import\`)`,
    );
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  let opened: ReturnType<typeof openSqlite>;
  try {
    opened = openSqlite(file, options.readonly ? { readonly: true } : {});
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
    close: () => db.destroy(),
  };
  try {
    if (options.readonly) await checkMigrated(db, file);
    else await migrate(db, file);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return store;
}

async function migrate(db: Kysely<StoreSchema>, file: string): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `migrating the database ${file} failed${failed ? ` at ${failed}` : ""}: ${(error as Error).message ?? error}`,
      { cause: error },
    );
  }
}

/** A read-only open must find a database at the current schema (unknown newer migrations are refused). */
async function checkMigrated(db: Kysely<StoreSchema>, file: string): Promise<void> {
  let migrations: Awaited<ReturnType<Migrator["getMigrations"]>>;
  try {
    migrations = await new Migrator({ db, provider }).getMigrations();
  } catch (e) {
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `${file} is not a Bulwark database: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  const pending = migrations.filter((m) => !m.executedAt);
  if (pending.length) {
    throw new BulwarkError(
      "STORE_UNAVAILABLE",
      `the database ${file} needs migrations (${pending.map((m) => m.name).join(", ")}); run a write command such as \`bulwark db import\` first`,
    );
  }
}
