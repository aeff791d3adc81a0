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

/** A content-addressed blob (envelope, bundle, SBOM, report) when blobs live in the database. */
export interface BlobTable {
  /** `sha256:<hex>` of `data`: the key, re-checked on every read. */
  digest: string;
  size: number;
  data: Uint8Array;
  created_at: string;
}

/** One stored attestation (DSSE envelope or Sigstore bundle), keyed by its blob's digest. */
export interface AttestationTable {
  digest: string;
  predicate_type: string;
  media_type: string;
  /** The in-toto subjects as recorded (`[{name, digest}]` JSON), returned with the row. */
  subjects: string;
  log_index: number | null;
  created_at: string;
}

/** Which attestations name which subject: one row per subject digest (`alg:hex`). */
export interface AttestationSubjectTable {
  subject_digest: string;
  attestation_digest: string;
  subject_name: string;
}

/** One policy decision, keyed by the digest of its canonical JSON (`body`). */
export interface DecisionTable {
  id: string;
  decision: string;
  subject_name: string | null;
  subject_digest: string | null;
  environment: string | null;
  policy_bundle_digest: string | null;
  input_digest: string | null;
  /** `Date#toISOString()`, so text order is time order. */
  time: string;
  log_index: number | null;
  body: string;
}

/** One indexed SBOM, keyed by its blob's digest. */
export interface SbomTable {
  digest: string;
  artifact_name: string | null;
  artifact_digest: string | null;
  format: string;
  created_at: string;
  /** Components indexed, and components skipped for an unparsable purl. */
  components: number;
  skipped: number;
}

/** One component of an SBOM by package URL. */
export interface SbomComponentTable {
  sbom_digest: string;
  /** The purl as the SBOM gives it. */
  purl: string;
  /** `pkg:type/namespace/name`: no version, qualifiers or subpath, encoded canonically. */
  purl_base: string;
  version: string | null;
  name: string | null;
}

/** A public key Bulwark knows (generated, imported or trusted). */
export interface SigningKeyTable {
  keyid: string;
  algorithm: string;
  public_key_pem: string;
  created_at: string;
  expires_at: string | null;
  source: string;
}

/** One revocation entry; a key's earliest `since` is the one that applies. */
export interface KeyRevocationTable {
  keyid: string;
  since: string;
  revoked_at: string;
  reason: string;
  log_index: number | null;
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
  blob: BlobTable;
  attestation: AttestationTable;
  attestation_subject: AttestationSubjectTable;
  decision: DecisionTable;
  sbom: SbomTable;
  sbom_component: SbomComponentTable;
  signing_key: SigningKeyTable;
  key_revocation: KeyRevocationTable;
}
