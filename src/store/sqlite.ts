/**
 * The embedded SQLite driver behind Kysely's SqliteDialect. better-sqlite3 is the driver; when
 * its native binding cannot load in the running Node (it is compiled for one Node ABI — e.g. the
 * CI pass on Node 24 reuses the Node 20 build) and Node has the built-in `node:sqlite`
 * (Node ≥ 22.13), that is used instead through the same small interface. Which one is in use is
 * reported by `bulwark db status`.
 */
import { createRequire } from "node:module";
import type { SqliteDatabase, SqliteStatement } from "kysely";

export type SqliteDriverName = "better-sqlite3" | "node:sqlite";

export interface OpenedSqlite {
  readonly database: SqliteDatabase;
  readonly driver: SqliteDriverName;
  /** Runs one or more statements without results (pragmas, DDL). */
  exec(sql: string): void;
}

const require = createRequire(import.meta.url);

interface BetterSqlite3Statement {
  readonly reader: boolean;
  all(params: readonly unknown[]): unknown[];
  run(params: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(params: readonly unknown[]): IterableIterator<unknown>;
}
interface BetterSqlite3Database {
  prepare(sql: string): BetterSqlite3Statement;
  exec(sql: string): void;
  close(): void;
}
type BetterSqlite3Ctor = new (
  file: string,
  options?: { readonly?: boolean; fileMustExist?: boolean },
) => BetterSqlite3Database;

interface NodeSqliteStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns?(): unknown[];
}
interface NodeSqliteDatabase {
  prepare(sql: string): NodeSqliteStatement;
  exec(sql: string): void;
  close(): void;
}
type NodeSqliteCtor = new (file: string, options?: { readOnly?: boolean }) => NodeSqliteDatabase;

let betterSqlite3: BetterSqlite3Ctor | Error | undefined;

function loadBetterSqlite3(): BetterSqlite3Ctor | Error {
  if (betterSqlite3 === undefined) {
    try {
      const ctor = require("better-sqlite3") as BetterSqlite3Ctor;
      // The binding loads lazily on first use: open a throwaway database to find out now.
      new ctor(":memory:").close();
      betterSqlite3 = ctor;
    } catch (e) {
      betterSqlite3 = e as Error;
    }
  }
  return betterSqlite3;
}

function loadNodeSqlite(): NodeSqliteCtor | undefined {
  try {
    // Hidden from bundlers and from Node versions without the module.
    return (require("node:sqlite") as { DatabaseSync: NodeSqliteCtor }).DatabaseSync;
  } catch {
    return undefined;
  }
}

/** Statements that return rows (node:sqlite has no `reader` flag before `columns()`). */
const READER = /^\s*(?:select|with|pragma|values|explain)\b|\breturning\b/i;

function nodeSqliteAdapter(db: NodeSqliteDatabase): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const stmt = db.prepare(sql);
      const reader = stmt.columns ? stmt.columns().length > 0 : READER.test(sql);
      return {
        reader,
        all: (p) => stmt.all(...p),
        run: (p) => stmt.run(...p),
        iterate: (p) => stmt.iterate(...p),
      };
    },
  };
}

/**
 * Opens (creating unless `readonly`) the SQLite database file with the pragmas the store relies
 * on: WAL journal, `synchronous=FULL` (every commit synced) or `NORMAL` (synced at checkpoints,
 * safe against corruption and process crashes), a busy timeout for concurrent processes, and
 * foreign keys.
 */
export function openSqlite(
  file: string,
  options: { readonly?: boolean; synchronous?: "full" | "normal" } = {},
): OpenedSqlite {
  const better = loadBetterSqlite3();
  let opened: OpenedSqlite;
  if (typeof better === "function") {
    const db = new better(file, options.readonly ? { readonly: true, fileMustExist: true } : {});
    opened = { database: db, driver: "better-sqlite3", exec: (sql) => db.exec(sql) };
  } else {
    const NodeSqlite = loadNodeSqlite();
    if (!NodeSqlite) {
      throw new Error(
        `the SQLite driver better-sqlite3 cannot load (${better.message.split("\n")[0]}) and this Node has no node:sqlite; ` +
          "reinstall dependencies with this Node version (npm rebuild better-sqlite3)",
      );
    }
    const db = new NodeSqlite(file, options.readonly ? { readOnly: true } : {});
    opened = { database: nodeSqliteAdapter(db), driver: "node:sqlite", exec: (sql) => db.exec(sql) };
  }
  opened.exec("PRAGMA busy_timeout = 10000");
  if (!options.readonly)
    opened.exec(
      `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`,
    );
  opened.exec("PRAGMA foreign_keys = ON");
  return opened;
}
