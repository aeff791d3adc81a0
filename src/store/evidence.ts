/**
 * Evidence indexes over the store: attestations by subject and predicate type, policy decisions
 * by subject and time, SBOM components by package URL ("which artifacts contain X?"), and keys
 * with their revocations. The evidence itself lives in a blob store; these tables say where to
 * look. Every `record*` is idempotent by the thing's digest or id, and writes all its rows in one
 * transaction.
 */
import { PackageURL } from "packageurl-js";
import { BulwarkError, type Digest, isDigest } from "../core/index.js";
import type { Store } from "./index.js";

export interface AttestationSubject {
  readonly name: string;
  /** in-toto DigestSet: algorithm → hex. */
  readonly digest: Readonly<Record<string, string>>;
}

export interface AttestationInput {
  /** Digest of the stored envelope or bundle blob. */
  readonly digest: string;
  readonly predicateType: string;
  readonly subjects: readonly AttestationSubject[];
  readonly mediaType: string;
  readonly logIndex?: number;
  readonly createdAt: string | Date;
}

export interface AttestationRecord {
  readonly digest: Digest;
  readonly predicateType: string;
  readonly mediaType: string;
  readonly subjects: AttestationSubject[];
  readonly logIndex?: number;
  /** `Date#toISOString()` form. */
  readonly createdAt: string;
}

export interface AttestationQuery {
  /** `alg:hex`, e.g. `sha256:…`: attestations with a subject of this digest. */
  readonly subjectDigest?: string;
  readonly predicateType?: string;
  readonly limit?: number;
}

export type DecisionOutcome = "allow" | "deny" | "warn";

export interface DecisionInput {
  /** Digest of the canonical decision (`body`). */
  readonly id: string;
  readonly decision: DecisionOutcome;
  readonly subjectName?: string;
  readonly subjectDigest?: string;
  readonly environment?: string;
  readonly policyBundleDigest?: string;
  readonly inputDigest?: string;
  readonly time: string | Date;
  readonly logIndex?: number;
  /** The canonical JSON of the decision, stored as given. */
  readonly body: string;
}

export interface DecisionRecord {
  readonly id: Digest;
  readonly decision: DecisionOutcome;
  readonly subjectName?: string;
  readonly subjectDigest?: string;
  readonly environment?: string;
  readonly policyBundleDigest?: string;
  readonly inputDigest?: string;
  readonly time: string;
  readonly logIndex?: number;
  readonly body: string;
}

export interface DecisionQuery {
  readonly subjectDigest?: string;
  readonly subjectName?: string;
  /** Inclusive. */
  readonly since?: string | Date;
  /** Exclusive. */
  readonly until?: string | Date;
  readonly decision?: DecisionOutcome;
  readonly limit?: number;
}

export interface SbomComponentInput {
  readonly purl: string;
  readonly name?: string;
  readonly version?: string;
}

export interface SbomInput {
  /** Digest of the stored SBOM blob. */
  readonly digest: string;
  readonly artifactName?: string;
  readonly artifactDigest?: string;
  /** e.g. `cyclonedx-json`, `spdx-json`. */
  readonly format: string;
  readonly createdAt: string | Date;
  readonly components: readonly SbomComponentInput[];
}

export interface SbomRecordResult {
  /** False when the SBOM was already indexed (nothing was written). */
  readonly inserted: boolean;
  /** Distinct purls indexed. */
  readonly components: number;
  /** Components skipped because their purl does not parse. */
  readonly skipped: number;
}

export interface ArtifactMatch {
  readonly artifactName?: string;
  readonly artifactDigest?: string;
  readonly sbomDigest: Digest;
  /** The component's purl as its SBOM gives it. */
  readonly purl: string;
  readonly version?: string;
}

export interface KeyInput {
  readonly keyid: string;
  readonly algorithm: string;
  readonly publicKeyPem: string;
  readonly createdAt: string | Date;
  readonly expiresAt?: string | Date;
  /** Where the key came from (`generated`, `imported`, `trusted`, …). */
  readonly source: string;
}

export interface RevocationInput {
  readonly keyid: string;
  readonly revokedAt: string | Date;
  /** Signatures dated at or after this are invalid; defaults to `revokedAt`. */
  readonly since?: string | Date;
  readonly reason: string;
  readonly logIndex?: number;
}

export interface RevocationRecord {
  readonly keyid: string;
  readonly since: string;
  readonly revokedAt: string;
  readonly reason: string;
  readonly logIndex?: number;
}

export interface KeyRecord {
  readonly keyid: string;
  readonly algorithm: string;
  readonly publicKeyPem: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly source: string;
  /** The revocation that applies (the earliest `since`), if the key is revoked. */
  readonly revocation?: RevocationRecord;
}

/** Rows per INSERT: far below SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

const DECISIONS: readonly string[] = ["allow", "deny", "warn"];

function invalid(message: string): BulwarkError {
  return new BulwarkError("INPUT_INVALID", message);
}

function requireDigest(value: string, what: string): Digest {
  if (typeof value !== "string" || !isDigest(value))
    throw invalid(
      `${what} must be sha256:<64 lowercase hex>, got ${JSON.stringify(String(value).slice(0, 100))}`,
    );
  return value;
}

function requireText(value: string, what: string): string {
  if (typeof value !== "string" || value === "") throw invalid(`${what} must be a non-empty string`);
  return value;
}

/** `alg:hex` with both parts lowercased: the form digests are indexed and looked up in. */
function digestKey(alg: string, hex: string, what: string): string {
  if (!/^[A-Za-z0-9_+.-]+$/.test(alg) || !/^[0-9A-Fa-f]+$/.test(hex))
    throw invalid(`${what} must be <algorithm>:<hex>, got ${JSON.stringify(`${alg}:${hex}`.slice(0, 100))}`);
  return `${alg.toLowerCase()}:${hex.toLowerCase()}`;
}

function parseDigestKey(value: string, what: string): string {
  const i = typeof value === "string" ? value.indexOf(":") : -1;
  if (i < 0)
    throw invalid(`${what} must be <algorithm>:<hex>, got ${JSON.stringify(String(value).slice(0, 100))}`);
  return digestKey(value.slice(0, i), value.slice(i + 1), what);
}

/** Times are stored as `Date#toISOString()`, so text order is time order in both dialects. */
function isoTime(value: string | Date, what: string): string {
  const t = value instanceof Date ? value : typeof value === "string" ? new Date(value) : new Date(NaN);
  if (Number.isNaN(t.getTime()))
    throw invalid(`${what} must be a date-time, got ${JSON.stringify(String(value))}`);
  return t.toISOString();
}

function logIndexOf(value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 0)
    throw invalid(`logIndex must be a non-negative integer, got ${String(value)}`);
  return value;
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1))
    throw invalid(`limit must be a positive integer, got ${String(limit)}`);
  return limit;
}

/** `{key: value}` when the column holds a value, `{}` for NULL (optional fields stay absent). */
function opt<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return (value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Byte-order comparison with absent values last (the same order in every dialect and locale). */
function compare(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/** `pkg:type/namespace/name` (canonically encoded) and the version of a purl; undefined if it does not parse. */
export function purlKey(purl: string): { base: string; version: string | undefined } | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  return {
    base: new PackageURL(p.type, p.namespace, p.name, undefined, undefined, undefined).toString(),
    version: p.version ?? undefined,
  };
}

export class EvidenceIndex {
  constructor(readonly store: Store) {}

  /** Indexes an attestation by its subjects' digests; true if it was not indexed before. */
  async recordAttestation(input: AttestationInput): Promise<boolean> {
    const digest = requireDigest(input.digest, "attestation digest");
    const predicateType = requireText(input.predicateType, "predicateType");
    const mediaType = requireText(input.mediaType, "mediaType");
    const createdAt = isoTime(input.createdAt, "createdAt");
    const logIndex = logIndexOf(input.logIndex);
    const subjects = input.subjects.map((s) => ({ name: s.name, digest: { ...s.digest } }));
    const rows = new Map<
      string,
      { subject_digest: string; attestation_digest: string; subject_name: string }
    >();
    for (const s of subjects) {
      if (typeof s.name !== "string") throw invalid("every subject needs a name");
      for (const [alg, hex] of Object.entries(s.digest)) {
        const key = digestKey(alg, hex, `subject ${JSON.stringify(s.name)} digest`);
        if (!rows.has(key))
          rows.set(key, { subject_digest: key, attestation_digest: digest, subject_name: s.name });
      }
    }
    return this.store.db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto("attestation")
        .values({
          digest,
          predicate_type: predicateType,
          media_type: mediaType,
          subjects: JSON.stringify(subjects),
          log_index: logIndex,
          created_at: createdAt,
        })
        .onConflict((oc) => oc.column("digest").doNothing())
        .executeTakeFirst();
      if (!Number(result.numInsertedOrUpdatedRows ?? 0)) {
        // Recorded before it was logged: the log index may arrive later.
        if (logIndex !== null)
          await trx
            .updateTable("attestation")
            .set({ log_index: logIndex })
            .where("digest", "=", digest)
            .where("log_index", "is", null)
            .execute();
        return false;
      }
      // Sorted by key, so concurrent writers lock rows in one order.
      const sorted = [...rows.values()].sort((a, b) => compare(a.subject_digest, b.subject_digest));
      for (let i = 0; i < sorted.length; i += CHUNK)
        await trx
          .insertInto("attestation_subject")
          .values(sorted.slice(i, i + CHUNK))
          .onConflict((oc) => oc.doNothing())
          .execute();
      return true;
    });
  }

  /** Attestations matching every given filter, newest first (then by digest). */
  async findAttestations(query: AttestationQuery = {}): Promise<AttestationRecord[]> {
    const limit = checkLimit(query.limit);
    const subject =
      query.subjectDigest === undefined ? undefined : parseDigestKey(query.subjectDigest, "subjectDigest");
    let q = this.store.db.selectFrom("attestation").selectAll();
    if (subject !== undefined)
      q = q.where("digest", "in", (eb) =>
        eb
          .selectFrom("attestation_subject")
          .select("attestation_digest")
          .where("subject_digest", "=", subject),
      );
    if (query.predicateType !== undefined) q = q.where("predicate_type", "=", query.predicateType);
    q = q.orderBy("created_at", "desc").orderBy("digest");
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map((r) => ({
      digest: r.digest as Digest,
      predicateType: r.predicate_type,
      mediaType: r.media_type,
      subjects: JSON.parse(r.subjects) as AttestationSubject[],
      ...opt("logIndex", r.log_index),
      createdAt: r.created_at,
    }));
  }

  /** Indexes a decision; true if it was not indexed before. */
  async recordDecision(input: DecisionInput): Promise<boolean> {
    const id = requireDigest(input.id, "decision id");
    if (!DECISIONS.includes(input.decision))
      throw invalid(`decision must be allow, deny or warn, got ${JSON.stringify(input.decision)}`);
    const logIndex = logIndexOf(input.logIndex);
    const row = {
      id,
      decision: input.decision,
      subject_name: input.subjectName ?? null,
      subject_digest:
        input.subjectDigest === undefined ? null : parseDigestKey(input.subjectDigest, "subjectDigest"),
      environment: input.environment ?? null,
      policy_bundle_digest: input.policyBundleDigest ?? null,
      input_digest: input.inputDigest ?? null,
      time: isoTime(input.time, "time"),
      log_index: logIndex,
      body: requireText(input.body, "body"),
    };
    return this.store.db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto("decision")
        .values(row)
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0)) return true;
      if (logIndex !== null)
        await trx
          .updateTable("decision")
          .set({ log_index: logIndex })
          .where("id", "=", id)
          .where("log_index", "is", null)
          .execute();
      return false;
    });
  }

  /** Decisions matching every given filter, newest first (then by id). */
  async findDecisions(query: DecisionQuery = {}): Promise<DecisionRecord[]> {
    const limit = checkLimit(query.limit);
    let q = this.store.db.selectFrom("decision").selectAll();
    if (query.subjectDigest !== undefined)
      q = q.where("subject_digest", "=", parseDigestKey(query.subjectDigest, "subjectDigest"));
    if (query.subjectName !== undefined) q = q.where("subject_name", "=", query.subjectName);
    if (query.since !== undefined) q = q.where("time", ">=", isoTime(query.since, "since"));
    if (query.until !== undefined) q = q.where("time", "<", isoTime(query.until, "until"));
    if (query.decision !== undefined) q = q.where("decision", "=", query.decision);
    q = q.orderBy("time", "desc").orderBy("id");
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map((r) => ({
      id: r.id as Digest,
      decision: r.decision as DecisionOutcome,
      ...opt("subjectName", r.subject_name),
      ...opt("subjectDigest", r.subject_digest),
      ...opt("environment", r.environment),
      ...opt("policyBundleDigest", r.policy_bundle_digest),
      ...opt("inputDigest", r.input_digest),
      time: r.time,
      ...opt("logIndex", r.log_index),
      body: r.body,
    }));
  }

  /**
   * Indexes an SBOM's components by purl. A component's version is its purl's, else its own
   * `version`; a purl that does not parse is skipped (and counted), the same purl twice is indexed once.
   */
  async recordSbom(input: SbomInput): Promise<SbomRecordResult> {
    const digest = requireDigest(input.digest, "SBOM digest");
    const format = requireText(input.format, "format");
    const createdAt = isoTime(input.createdAt, "createdAt");
    const rows = new Map<
      string,
      { sbom_digest: string; purl: string; purl_base: string; version: string | null; name: string | null }
    >();
    let skipped = 0;
    for (const c of input.components) {
      const key = typeof c.purl === "string" ? purlKey(c.purl) : undefined;
      if (!key) {
        skipped++;
        continue;
      }
      if (rows.has(c.purl)) continue;
      rows.set(c.purl, {
        sbom_digest: digest,
        purl: c.purl,
        purl_base: key.base,
        version: key.version ?? c.version ?? null,
        name: c.name ?? null,
      });
    }
    const components = rows.size;
    const inserted = await this.store.db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto("sbom")
        .values({
          digest,
          artifact_name: input.artifactName ?? null,
          artifact_digest: input.artifactDigest ?? null,
          format,
          created_at: createdAt,
          components,
          skipped,
        })
        .onConflict((oc) => oc.column("digest").doNothing())
        .executeTakeFirst();
      if (!Number(result.numInsertedOrUpdatedRows ?? 0)) return false;
      const sorted = [...rows.values()].sort((a, b) => compare(a.purl, b.purl));
      for (let i = 0; i < sorted.length; i += CHUNK)
        await trx
          .insertInto("sbom_component")
          .values(sorted.slice(i, i + CHUNK))
          .onConflict((oc) => oc.doNothing())
          .execute();
      return true;
    });
    return { inserted, components, skipped };
  }

  /**
   * The artifacts whose SBOMs contain the package: a purl with a version matches that version
   * exactly, one without matches every version; qualifiers and subpath are ignored. Sorted by
   * artifact name, artifact digest, SBOM digest, purl.
   */
  async artifactsContaining(purl: string): Promise<ArtifactMatch[]> {
    const key = purlKey(purl);
    if (!key) throw invalid(`not a package URL: ${JSON.stringify(String(purl).slice(0, 200))}`);
    let q = this.store.db
      .selectFrom("sbom_component as c")
      .innerJoin("sbom as s", "s.digest", "c.sbom_digest")
      .select(["s.artifact_name", "s.artifact_digest", "c.sbom_digest", "c.purl", "c.version"])
      .where("c.purl_base", "=", key.base);
    if (key.version !== undefined) q = q.where("c.version", "=", key.version);
    const matches: ArtifactMatch[] = (await q.execute()).map((r) => ({
      ...opt("artifactName", r.artifact_name),
      ...opt("artifactDigest", r.artifact_digest),
      sbomDigest: r.sbom_digest as Digest,
      purl: r.purl,
      ...opt("version", r.version),
    }));
    // Sorted here: NULL order and text collation differ between the dialects.
    return matches.sort(
      (a, b) =>
        compare(a.artifactName, b.artifactName) ||
        compare(a.artifactDigest, b.artifactDigest) ||
        compare(a.sbomDigest, b.sbomDigest) ||
        compare(a.purl, b.purl),
    );
  }

  /** Records a key (idempotent by key id); true if it was not known before. */
  async recordKey(input: KeyInput): Promise<boolean> {
    const result = await this.store.db
      .insertInto("signing_key")
      .values({
        keyid: requireText(input.keyid, "keyid"),
        algorithm: requireText(input.algorithm, "algorithm"),
        public_key_pem: requireText(input.publicKeyPem, "publicKeyPem"),
        created_at: isoTime(input.createdAt, "createdAt"),
        expires_at: input.expiresAt === undefined ? null : isoTime(input.expiresAt, "expiresAt"),
        source: requireText(input.source, "source"),
      })
      .onConflict((oc) => oc.column("keyid").doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * Adds a revocation entry (append-only, the same entry twice is one row). The key need not be
   * recorded: revocations may arrive for keys known only elsewhere. True if the entry is new.
   */
  async recordRevocation(input: RevocationInput): Promise<boolean> {
    const revokedAt = isoTime(input.revokedAt, "revokedAt");
    const result = await this.store.db
      .insertInto("key_revocation")
      .values({
        keyid: requireText(input.keyid, "keyid"),
        since: input.since === undefined ? revokedAt : isoTime(input.since, "since"),
        revoked_at: revokedAt,
        reason: requireText(input.reason, "reason"),
        log_index: logIndexOf(input.logIndex),
      })
      .onConflict((oc) => oc.columns(["keyid", "since", "revoked_at"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Every recorded key by key id, each with the revocation that applies to it. */
  async listKeys(): Promise<KeyRecord[]> {
    const keys = await this.store.db.selectFrom("signing_key").selectAll().execute();
    const revocations = await this.store.db.selectFrom("key_revocation").selectAll().execute();
    const effective = new Map<string, RevocationRecord>();
    for (const r of revocations) {
      const rec: RevocationRecord = {
        keyid: r.keyid,
        since: r.since,
        revokedAt: r.revoked_at,
        reason: r.reason,
        ...opt("logIndex", r.log_index),
      };
      const seen = effective.get(r.keyid);
      if (
        !seen ||
        compare(rec.since, seen.since) < 0 ||
        (rec.since === seen.since && compare(rec.revokedAt, seen.revokedAt) < 0)
      )
        effective.set(r.keyid, rec);
    }
    return keys
      .map((k) => ({
        keyid: k.keyid,
        algorithm: k.algorithm,
        publicKeyPem: k.public_key_pem,
        createdAt: k.created_at,
        ...opt("expiresAt", k.expires_at),
        source: k.source,
        ...opt("revocation", effective.get(k.keyid) ?? null),
      }))
      .sort((a, b) => compare(a.keyid, b.keyid));
  }

  /**
   * Whether signatures by the key dated `at` are revoked: the earliest `since` is at or before
   * `at`. Without `at` any revocation counts (an untrusted signing time cannot predate it).
   */
  async isRevoked(keyid: string, at?: Date): Promise<boolean> {
    if (at !== undefined && !(at instanceof Date && !Number.isNaN(at.getTime())))
      throw invalid("isRevoked: at must be a valid Date");
    const row = await this.store.db
      .selectFrom("key_revocation")
      .select((eb) => eb.fn.min("since").as("since"))
      .where("keyid", "=", keyid)
      .executeTakeFirst();
    const since = row?.since ?? null;
    if (since === null) return false;
    return at === undefined || since <= at.toISOString();
  }
}
