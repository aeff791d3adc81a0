/**
 * The local vulnerability database: OSV records in the store (SQLite through Kysely), indexed by
 * package (base ecosystem + normalised name) and by alias. Imports are idempotent and incremental:
 * a record is written only when its `modified` is newer than the stored copy; withdrawn records
 * are kept (so an older copy cannot bring them back) but are never matched. Scans read only the
 * records of the packages they look for.
 */
import { join, resolve } from "node:path";
import { sql } from "kysely";
import { type Clock, systemClock } from "../../core/index.js";
import { openStore, type Store } from "../../store/index.js";
import { baseEcosystem, type MatchComponent, normalName, OsvIndex, type OsvRecord } from "../match.js";
import { readOsvInput, inputKind, type SourcedRecord } from "./read.js";

/** The database file inside a `--db` directory. */
export const VULN_DB_FILE = "vulndb.sqlite";

export interface ImportResult {
  readonly source: string;
  readonly read: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly withdrawn: number;
  readonly ms: number;
}

export interface DbStatus {
  readonly location: string;
  readonly driver: string;
  readonly records: number;
  readonly withdrawn: number;
  readonly ecosystems: readonly { readonly ecosystem: string; readonly records: number }[];
  readonly sources: readonly {
    readonly name: string;
    readonly kind: string;
    readonly location: string;
    readonly importedAt: string;
    readonly records: number;
    readonly newestModified?: string;
  }[];
  /** The latest import of any source. */
  readonly updatedAt?: string;
  readonly ageHours?: number;
}

export interface ImportOptions {
  /** The name the records are filed under (default: derived from the path). */
  readonly sourceName?: string;
  readonly clock?: Clock;
  /** Called every `progressEvery` records. */
  readonly onProgress?: (read: number) => void;
  readonly progressEvery?: number;
  /**
   * Leave records imported from files, zips and directories alone even when the incoming copy is
   * newer (for caching online answers: an npm advisory converted at query time must not replace
   * the fuller OSV record of the same id).
   */
  readonly keepImported?: boolean;
}

const BATCH = 500;

function normalisedTime(t: string): string {
  return new Date(t).toISOString();
}

export class VulnDatabase {
  private constructor(
    readonly store: Store,
    readonly location: string,
  ) {}

  /** Opens the database in directory `dir` (created unless `readonly`). */
  static async open(dir: string, options: { readonly?: boolean } = {}): Promise<VulnDatabase> {
    const file = join(resolve(dir), VULN_DB_FILE);
    const store = await openStore({
      file,
      synchronous: "normal",
      ...(options.readonly ? { readonly: true } : {}),
    });
    return new VulnDatabase(store, file);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Imports an OSV zip, directory or JSON file in one transaction: all or nothing. */
  async importPath(path: string, options: ImportOptions = {}): Promise<ImportResult> {
    const kind = inputKind(path);
    const name = options.sourceName ?? defaultSourceName(path);
    return this.importRecords(readOsvInput(path), { ...options, sourceName: name }, kind, resolve(path));
  }

  /**
   * Writes records (e.g. the answer of an online source) under `sourceName`, with the same
   * newer-`modified`-wins rule as imports.
   */
  async importRecords(
    records: AsyncIterable<SourcedRecord> | Iterable<SourcedRecord>,
    options: ImportOptions & { readonly sourceName: string },
    kind = "records",
    location = options.sourceName,
  ): Promise<ImportResult> {
    const started = performance.now();
    const clock = options.clock ?? systemClock;
    const source = options.sourceName;
    const counts = { read: 0, added: 0, updated: 0, unchanged: 0, withdrawn: 0 };
    await this.store.db.transaction().execute(async (trx) => {
      const protectedSources = options.keepImported
        ? new Set(
            (await trx.selectFrom("vuln_source").select("name").where("kind", "<>", "online").execute()).map(
              (r) => r.name,
            ),
          )
        : new Set<string>();
      let batch: OsvRecord[] = [];
      const flush = async () => {
        if (!batch.length) return;
        // The newest copy of each id within the batch.
        const byId = new Map<string, OsvRecord>();
        for (const r of batch) {
          const seen = byId.get(r.id);
          if (!seen || normalisedTime(r.modified!) > normalisedTime(seen.modified!)) byId.set(r.id, r);
          else counts.unchanged++;
        }
        batch = [];
        const ids = [...byId.keys()];
        const rows = await trx
          .selectFrom("vuln_record")
          .select(["id", "modified", "source"])
          .where("id", "in", ids)
          .execute();
        const existing = new Map(rows.map((r) => [r.id, r.modified]));
        const kept = new Set(rows.filter((r) => protectedSources.has(r.source)).map((r) => r.id));
        const write: OsvRecord[] = [];
        for (const r of byId.values()) {
          const stored = existing.get(r.id);
          if (kept.has(r.id) || (stored !== undefined && stored >= normalisedTime(r.modified!)))
            counts.unchanged++;
          else {
            write.push(r);
            if (stored === undefined) counts.added++;
            else counts.updated++;
            if (r.withdrawn) counts.withdrawn++;
          }
        }
        if (!write.length) return;
        const replaced = write.filter((r) => existing.has(r.id)).map((r) => r.id);
        if (replaced.length) {
          await trx.deleteFrom("vuln_package").where("record_id", "in", replaced).execute();
          await trx.deleteFrom("vuln_alias").where("record_id", "in", replaced).execute();
        }
        await trx
          .insertInto("vuln_record")
          .values(
            write.map((r) => ({
              id: r.id,
              source,
              modified: normalisedTime(r.modified!),
              withdrawn: r.withdrawn ? normalisedTime(r.withdrawn) : null,
              extra: JSON.stringify(recordDetails(r)),
            })),
          )
          .onConflict((oc) =>
            oc.column("id").doUpdateSet((eb) => ({
              source: eb.ref("excluded.source"),
              modified: eb.ref("excluded.modified"),
              withdrawn: eb.ref("excluded.withdrawn"),
              extra: eb.ref("excluded.extra"),
            })),
          )
          .execute();
        await trx
          .insertInto("vuln_record_body")
          .values(write.map((r) => ({ id: r.id, body: JSON.stringify(r) })))
          .onConflict((oc) => oc.column("id").doUpdateSet((eb) => ({ body: eb.ref("excluded.body") })))
          .execute();
        const packages: { ecosystem: string; name: string; record_id: string; slim: string }[] = [];
        const aliases: { alias: string; record_id: string }[] = [];
        for (const r of write) {
          for (const a of new Set(r.aliases ?? []))
            if (a !== r.id) aliases.push({ alias: a, record_id: r.id });
          if (r.withdrawn) continue;
          const slim = JSON.stringify(slimRecord(r));
          const keys = new Set<string>();
          for (const a of r.affected ?? []) {
            if (!a.package) continue;
            const eco = baseEcosystem(a.package.ecosystem);
            const key = `${eco}\u0000${normalName(eco, a.package.name)}`;
            if (keys.has(key)) continue;
            keys.add(key);
            packages.push({ ecosystem: eco, name: normalName(eco, a.package.name), record_id: r.id, slim });
          }
        }
        for (let i = 0; i < packages.length; i += 1000)
          await trx
            .insertInto("vuln_package")
            .values(packages.slice(i, i + 1000))
            .execute();
        for (let i = 0; i < aliases.length; i += 2000)
          await trx
            .insertInto("vuln_alias")
            .values(aliases.slice(i, i + 2000))
            .onConflict((oc) => oc.doNothing())
            .execute();
      };
      for await (const { record } of records) {
        counts.read++;
        batch.push(record);
        if (batch.length >= BATCH) await flush();
        if (options.onProgress && counts.read % (options.progressEvery ?? 10000) === 0)
          options.onProgress(counts.read);
      }
      await flush();
      const agg = await trx
        .selectFrom("vuln_record")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.max("modified").as("newest")])
        .where("source", "=", source)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto("vuln_source")
        .values({
          name: source,
          kind,
          location,
          imported_at: clock.now().toISOString(),
          records: Number(agg.n),
          newest_modified: agg.newest ?? null,
        })
        .onConflict((oc) =>
          oc.column("name").doUpdateSet((eb) => ({
            kind: eb.ref("excluded.kind"),
            location: eb.ref("excluded.location"),
            imported_at: eb.ref("excluded.imported_at"),
            records: eb.ref("excluded.records"),
            newest_modified: eb.ref("excluded.newest_modified"),
          })),
        )
        .execute();
      // Another source's count drops when this import took records over from it.
      await sql`update vuln_source set records = (select count(*) from vuln_record where vuln_record.source = vuln_source.name) where name <> ${source}`.execute(
        trx,
      );
    });
    return { source, ...counts, ms: Math.round(performance.now() - started) };
  }

  /** The records (not withdrawn) naming any of the components' packages, as an in-memory index. */
  async indexFor(components: Iterable<MatchComponent>): Promise<OsvIndex> {
    const byEcosystem = new Map<string, Set<string>>();
    for (const c of components) {
      const names = [c.name];
      if (c.sourcePackage) names.push(c.sourcePackage.name);
      let set = byEcosystem.get(c.ecosystem);
      if (!set) byEcosystem.set(c.ecosystem, (set = new Set()));
      for (const n of names) set.add(normalName(c.ecosystem, n));
    }
    const index = new OsvIndex();
    const seen = new Set<string>();
    for (const [ecosystem, names] of byEcosystem) {
      const list = [...names];
      for (let i = 0; i < list.length; i += 500) {
        // Withdrawn records have no package rows.
        const rows = await this.store.db
          .selectFrom("vuln_package")
          .select(["record_id", "slim"])
          .where("ecosystem", "=", ecosystem)
          .where("name", "in", list.slice(i, i + 500))
          .execute();
        for (const row of rows) {
          if (seen.has(row.record_id)) continue;
          seen.add(row.record_id);
          index.add(JSON.parse(row.slim) as OsvRecord);
        }
      }
    }
    return index;
  }

  /** Summary and advisory links of the given records (those a scan matched). */
  async describe(ids: Iterable<string>): Promise<Map<string, RecordDetails>> {
    const list = [...new Set(ids)];
    const out = new Map<string, RecordDetails>();
    for (let i = 0; i < list.length; i += 500) {
      const rows = await this.store.db
        .selectFrom("vuln_record")
        .select(["id", "extra"])
        .where("id", "in", list.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(r.id, JSON.parse(r.extra) as RecordDetails);
    }
    return out;
  }

  /** A record by its id or any alias (withdrawn ones included, so `db show` can say so). */
  async lookup(id: string): Promise<OsvRecord[]> {
    const rows = await this.store.db
      .selectFrom("vuln_record_body")
      .select("body")
      .where((eb) =>
        eb.or([
          eb("id", "=", id),
          eb("id", "in", eb.selectFrom("vuln_alias").select("record_id").where("alias", "=", id)),
        ]),
      )
      .orderBy("id")
      .execute();
    return rows.map((r) => JSON.parse(r.body) as OsvRecord);
  }

  /** The sources and their age without counting records per ecosystem (cheap: scans call it). */
  async summary(
    clock: Clock = systemClock,
  ): Promise<Pick<DbStatus, "sources" | "updatedAt" | "ageHours"> & { records: number }> {
    const sources = await this.store.db.selectFrom("vuln_source").selectAll().orderBy("name").execute();
    const updatedAt = sources
      .map((s) => s.imported_at)
      .sort()
      .at(-1);
    return {
      records: sources.reduce((n, s) => n + Number(s.records), 0),
      sources: sources.map((s) => ({
        name: s.name,
        kind: s.kind,
        location: s.location,
        importedAt: s.imported_at,
        records: Number(s.records),
        ...(s.newest_modified ? { newestModified: s.newest_modified } : {}),
      })),
      ...(updatedAt ? { updatedAt, ageHours: ageHours(clock, updatedAt) } : {}),
    };
  }

  async status(clock: Clock = systemClock): Promise<DbStatus> {
    const db = this.store.db;
    const totals = await db
      .selectFrom("vuln_record")
      .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.count<number>("withdrawn").as("withdrawn")])
      .executeTakeFirstOrThrow();
    const ecosystems = await db
      .selectFrom("vuln_package")
      .select((eb) => ["ecosystem", eb.fn.count<number>("record_id").distinct().as("n")])
      .groupBy("ecosystem")
      .orderBy("ecosystem")
      .execute();
    const { sources, updatedAt, ageHours: age } = await this.summary(clock);
    return {
      location: this.location,
      driver: this.store.driver,
      records: Number(totals.n),
      withdrawn: Number(totals.withdrawn),
      ecosystems: ecosystems.map((e) => ({ ecosystem: e.ecosystem, records: Number(e.n) })),
      sources,
      ...(updatedAt ? { updatedAt, ageHours: age! } : {}),
    };
  }
}

function ageHours(clock: Clock, since: string): number {
  return Math.max(0, Math.round(((clock.now().getTime() - Date.parse(since)) / 3_600_000) * 10) / 10);
}

const REFERENCE_TYPES = new Set(["ADVISORY", "WEB", "REPORT"]);

/** What a report shows of a record besides the match: its summary and a few advisory links. */
export interface RecordDetails {
  readonly summary?: string;
  readonly references?: readonly { readonly type: string; readonly url: string }[];
}

export function recordDetails(r: OsvRecord): RecordDetails {
  const refs = ((r as { references?: { type?: string; url?: string }[] }).references ?? [])
    .filter((x): x is { type: string; url: string } => !!x.type && REFERENCE_TYPES.has(x.type) && !!x.url)
    .slice(0, 8);
  return { ...(r.summary ? { summary: r.summary } : {}), ...(refs.length ? { references: refs } : {}) };
}

/**
 * The part of a record matching reads: identity, aliases, severity, affected ranges and versions.
 * Summary and links are in `extra` (read for matched records only); the full record in the body
 * table (`db show`).
 */
export function slimRecord(r: OsvRecord): OsvRecord {
  const severity = r.database_specific?.severity;
  return {
    id: r.id,
    ...(r.modified ? { modified: r.modified } : {}),
    ...(r.withdrawn ? { withdrawn: r.withdrawn } : {}),
    ...(r.aliases?.length ? { aliases: r.aliases } : {}),
    ...(r.severity?.length ? { severity: r.severity } : {}),
    affected: (r.affected ?? []).map((a) => {
      const es = (a as { ecosystem_specific?: Record<string, unknown> }).ecosystem_specific;
      const rating = es?.urgency ?? es?.severity;
      return {
        ...(a.package ? { package: a.package } : {}),
        ...(a.ranges ? { ranges: a.ranges } : {}),
        ...(a.versions ? { versions: a.versions } : {}),
        ...(typeof rating === "string" ? { ecosystem_specific: { severity: rating } } : {}),
      };
    }),
    ...(typeof severity === "string" ? { database_specific: { severity } } : {}),
  } as OsvRecord;
}

/** `…/npm/all.zip` → `npm/all.zip`; a directory or file → its base name. */
export function defaultSourceName(path: string): string {
  const parts = resolve(path).split(/[\\/]/).filter(Boolean);
  const base = parts.at(-1) ?? path;
  return /^all\.zip$/i.test(base) && parts.length > 1 ? `${parts.at(-2)}/${base}` : base;
}
