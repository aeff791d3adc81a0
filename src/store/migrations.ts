/**
 * Schema migrations, in order. Each is forward-only and dialect-neutral (Kysely's schema builder),
 * applied in one transaction per migration by Kysely's Migrator; the applied list lives in
 * `kysely_migration`. Never edit a released migration: add the next one.
 */
import { type Kysely, type Migration, sql } from "kysely";

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001_vulnerability_database": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("bulwark_meta")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("vuln_source")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("location", "text", (c) => c.notNull())
        .addColumn("imported_at", "text", (c) => c.notNull())
        .addColumn("records", "integer", (c) => c.notNull())
        .addColumn("newest_modified", "text")
        .execute();
      await db.schema
        .createTable("vuln_record")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("modified", "text", (c) => c.notNull())
        .addColumn("withdrawn", "text")
        .addColumn("extra", "text", (c) => c.notNull())
        .execute();
      // Full records live apart from the rows scans read, so those stay densely packed.
      await db.schema
        .createTable("vuln_record_body")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      // Clustered by package (SQLite: WITHOUT ROWID), each row holding what matching reads of the
      // record: a scan reads each package's records from one contiguous run of pages.
      await db.schema
        .createTable("vuln_package")
        .addColumn("ecosystem", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("record_id", "text", (c) => c.notNull())
        .addColumn("slim", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("vuln_package_pk", ["ecosystem", "name", "record_id"])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema.createIndex("vuln_package_record").on("vuln_package").column("record_id").execute();
      await db.schema
        .createTable("vuln_alias")
        .addColumn("alias", "text", (c) => c.notNull())
        .addColumn("record_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("vuln_alias_pk", ["alias", "record_id"])
        .execute();
      await db.schema.createIndex("vuln_alias_record").on("vuln_alias").column("record_id").execute();
    },
  },
};
