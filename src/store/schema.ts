/**
 * The store's tables as Kysely sees them. One schema for every dialect; migrations in
 * migrations.ts create it. Columns are plain text/integers so SQLite and PostgreSQL agree.
 */

export interface MetaTable {
  key: string;
  value: string;
}

/** One imported vulnerability source (an OSV export, a directory, an online source's cache). */
export interface VulnSourceTable {
  name: string;
  kind: string;
  location: string;
  imported_at: string;
  records: number;
  newest_modified: string | null;
}

/** One OSV record, the newest `modified` seen; withdrawn records stay (so older copies cannot resurrect them). */
export interface VulnRecordTable {
  id: string;
  source: string;
  /** RFC 3339 normalised to `Date#toISOString()`, so text order is time order. */
  modified: string;
  withdrawn: string | null;
  /** `{summary, references}`: read only for the records that matched. */
  extra: string;
}

/** The record as imported (minified OSV JSON), for `db show`. */
export interface VulnRecordBodyTable {
  id: string;
  body: string;
}

/** Which records name which package: base ecosystem (no `:release`) and the ecosystem-normalised name. */
export interface VulnPackageTable {
  ecosystem: string;
  name: string;
  record_id: string;
  /** What matching reads of the record (identity, severity, affected), stored with each package. */
  slim: string;
}

/** Each record's aliases, for lookups by any id (CVE ↔ GHSA ↔ distro advisory). */
export interface VulnAliasTable {
  alias: string;
  record_id: string;
}

/** The sequenced tree: one row (id 1). */
export interface TlogStateTable {
  id: number;
  origin: string;
  size: number;
  root_hash: Uint8Array;
  /** The roots of the perfect subtrees along the right edge, largest first, concatenated. */
  compact_range: Uint8Array;
  /** The latest signed checkpoint note. */
  checkpoint: string;
  updated_at: string;
}

/** One log entry. `leaf_hash` = SHA-256(0x00 ‖ body) is unique: the de-duplication key. */
export interface TlogEntryTable {
  idx: number;
  leaf_hash: Uint8Array;
  body: Uint8Array;
  /** The typed body's kind (decision, attestation, …) when the body is a typed entry. */
  kind: string | null;
  integrated_at: string;
}

/** A C2SP hash tile: `hashes` holds up to 256 hashes of tree level `level * 8`. */
export interface TlogTileTable {
  level: number;
  idx: number;
  hashes: Uint8Array;
}

export interface TlogCheckpointTable {
  size: number;
  note: string;
  created_at: string;
}

export interface TlogCosignatureTable {
  size: number;
  witness: string;
  key_hash: number;
  /** The whole signature line, as it is appended to the checkpoint note. */
  line: string;
  timestamp: number;
}

export interface StoreSchema {
  bulwark_meta: MetaTable;
  vuln_source: VulnSourceTable;
  vuln_record: VulnRecordTable;
  vuln_record_body: VulnRecordBodyTable;
  vuln_package: VulnPackageTable;
  vuln_alias: VulnAliasTable;
  tlog_state: TlogStateTable;
  tlog_entry: TlogEntryTable;
  tlog_tile: TlogTileTable;
  tlog_checkpoint: TlogCheckpointTable;
  tlog_cosignature: TlogCosignatureTable;
}
