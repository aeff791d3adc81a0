/**
 * Schema migrations, in order. Each is forward-only and written once for both dialects (Kysely's
 * schema builder; the few dialect differences — SQLite's `WITHOUT ROWID`, binary columns — are
 * chosen here), applied in one transaction per migration by Kysely's Migrator; the applied list
 * lives in `kysely_migration`. Never edit a released migration: add the next one.
 */
import { type Kysely, type Migration, sql } from "kysely";

export type StoreDialect = "sqlite" | "postgres";

export function migrations(dialect: StoreDialect): Readonly<Record<string, Migration>> {
  const sqlite = dialect === "sqlite";
  return {
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
          .$call((t) => (sqlite ? t.modifyEnd(sql`without rowid`) : t))
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
    "0002_transparency_log": {
      async up(db: Kysely<unknown>) {
        const bytes = sqlite ? "blob" : "bytea";
        // One row: the sequenced tree (size, root, the right-edge subtree roots that extend it,
        // the latest signed checkpoint). Updated only inside the sequencer's exclusive transaction.
        await db.schema
          .createTable("tlog_state")
          .addColumn("id", "integer", (c) => c.primaryKey())
          .addColumn("origin", "text", (c) => c.notNull())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("root_hash", bytes, (c) => c.notNull())
          .addColumn("compact_range", bytes, (c) => c.notNull())
          .addColumn("checkpoint", "text", (c) => c.notNull())
          .addColumn("updated_at", "text", (c) => c.notNull())
          .execute();
        // Entries by index; the unique leaf hash is the exact de-duplication key.
        await db.schema
          .createTable("tlog_entry")
          .addColumn("idx", "bigint", (c) => c.primaryKey())
          .addColumn("leaf_hash", bytes, (c) => c.notNull().unique())
          .addColumn("body", bytes, (c) => c.notNull())
          .addColumn("kind", "text")
          .addColumn("integrated_at", "text", (c) => c.notNull())
          .execute();
        // C2SP tlog-tiles hash tiles: level, tile index, the concatenated hashes so far (a partial
        // tile grows until it holds 256 hashes).
        await db.schema
          .createTable("tlog_tile")
          .addColumn("level", "integer", (c) => c.notNull())
          .addColumn("idx", "bigint", (c) => c.notNull())
          .addColumn("hashes", bytes, (c) => c.notNull())
          .addPrimaryKeyConstraint("tlog_tile_pk", ["level", "idx"])
          .execute();
        // Every checkpoint handed out, so later ones can be proved consistent with each.
        await db.schema
          .createTable("tlog_checkpoint")
          .addColumn("size", "bigint", (c) => c.primaryKey())
          .addColumn("note", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        // Witness cosignatures (C2SP tlog-cosignature) accepted for a checkpoint.
        await db.schema
          .createTable("tlog_cosignature")
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("witness", "text", (c) => c.notNull())
          .addColumn("key_hash", "bigint", (c) => c.notNull())
          .addColumn("line", "text", (c) => c.notNull())
          .addColumn("timestamp", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("tlog_cosignature_pk", ["size", "witness", "key_hash"])
          .execute();
      },
    },
    "0003_evidence_indexes": {
      async up(db: Kysely<unknown>) {
        const bytes = sqlite ? "blob" : "bytea";
        // Content-addressed blobs when they live in the database rather than in files.
        await db.schema
          .createTable("blob")
          .addColumn("digest", "text", (c) => c.primaryKey())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("data", bytes, (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        // Attestations by predicate type; by subject through attestation_subject, clustered by
        // subject digest (SQLite: WITHOUT ROWID) so one subject's attestations are one range.
        await db.schema
          .createTable("attestation")
          .addColumn("digest", "text", (c) => c.primaryKey())
          .addColumn("predicate_type", "text", (c) => c.notNull())
          .addColumn("media_type", "text", (c) => c.notNull())
          .addColumn("subjects", "text", (c) => c.notNull())
          .addColumn("log_index", "bigint")
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("attestation_predicate")
          .on("attestation")
          .columns(["predicate_type", "created_at"])
          .execute();
        await db.schema
          .createTable("attestation_subject")
          .addColumn("subject_digest", "text", (c) => c.notNull())
          .addColumn("attestation_digest", "text", (c) => c.notNull())
          .addColumn("subject_name", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("attestation_subject_pk", ["subject_digest", "attestation_digest"])
          .$call((t) => (sqlite ? t.modifyEnd(sql`without rowid`) : t))
          .execute();
        await db.schema
          .createIndex("attestation_subject_attestation")
          .on("attestation_subject")
          .column("attestation_digest")
          .execute();
        // Decisions by subject (digest or name) and time, and by time alone.
        await db.schema
          .createTable("decision")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("decision", "text", (c) => c.notNull())
          .addColumn("subject_name", "text")
          .addColumn("subject_digest", "text")
          .addColumn("environment", "text")
          .addColumn("policy_bundle_digest", "text")
          .addColumn("input_digest", "text")
          .addColumn("time", "text", (c) => c.notNull())
          .addColumn("log_index", "bigint")
          .addColumn("body", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex("decision_subject_digest")
          .on("decision")
          .columns(["subject_digest", "time"])
          .execute();
        await db.schema
          .createIndex("decision_subject_name")
          .on("decision")
          .columns(["subject_name", "time"])
          .execute();
        await db.schema.createIndex("decision_time").on("decision").column("time").execute();
        // SBOMs and their components by version-less purl ("which artifacts contain X?").
        await db.schema
          .createTable("sbom")
          .addColumn("digest", "text", (c) => c.primaryKey())
          .addColumn("artifact_name", "text")
          .addColumn("artifact_digest", "text")
          .addColumn("format", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("components", "integer", (c) => c.notNull())
          .addColumn("skipped", "integer", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("sbom_artifact").on("sbom").column("artifact_digest").execute();
        await db.schema
          .createTable("sbom_component")
          .addColumn("sbom_digest", "text", (c) => c.notNull())
          .addColumn("purl", "text", (c) => c.notNull())
          .addColumn("purl_base", "text", (c) => c.notNull())
          .addColumn("version", "text")
          .addColumn("name", "text")
          .addPrimaryKeyConstraint("sbom_component_pk", ["sbom_digest", "purl"])
          .execute();
        await db.schema
          .createIndex("sbom_component_purl")
          .on("sbom_component")
          .columns(["purl_base", "version"])
          .execute();
        // Keys and their revocations (append-only: a key may be revoked more than once).
        await db.schema
          .createTable("signing_key")
          .addColumn("keyid", "text", (c) => c.primaryKey())
          .addColumn("algorithm", "text", (c) => c.notNull())
          .addColumn("public_key_pem", "text", (c) => c.notNull())
          .addColumn("created_at", "text", (c) => c.notNull())
          .addColumn("expires_at", "text")
          .addColumn("source", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("key_revocation")
          .addColumn("keyid", "text", (c) => c.notNull())
          .addColumn("since", "text", (c) => c.notNull())
          .addColumn("revoked_at", "text", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("log_index", "bigint")
          .addPrimaryKeyConstraint("key_revocation_pk", ["keyid", "since", "revoked_at"])
          .execute();
      },
    },
  };
}
