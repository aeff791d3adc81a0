/**
 * PostgreSQL behind Kysely's PostgresDialect (node-postgres pool), selected with
 * `BULWARK_DATABASE_URL=postgres://…`. 64-bit integers come back as JavaScript numbers (log
 * indexes and sizes stay below 2^53; a larger value is refused rather than rounded).
 */
import pg from "pg";
import { PostgresDialect } from "kysely";

const INT8_OID = 20;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer ${text} is beyond 2^53`);
  return n;
}

export interface OpenedPostgres {
  readonly dialect: PostgresDialect;
  readonly pool: pg.Pool;
}

/** A pool for the URL; connections are made lazily (the first query reports an unreachable server). */
export function openPostgres(url: string, options: { max?: number } = {}): OpenedPostgres {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server is reported on the next query; do not crash the process.
  pool.on("error", () => {});
  return { dialect: new PostgresDialect({ pool }), pool };
}

/** The URL without its password, for messages and `status` output. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://…";
  }
}
