import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "../../attest/index.js";
import { BulwarkError, EXIT, type ExitCode, sha256Digest } from "../../core/index.js";
import { readStdin } from "../../policy/index.js";
import {
  type BlobStore,
  bulwarkHome,
  DatabaseBlobStore,
  defaultStoreOptions,
  EvidenceIndex,
  FileBlobStore,
  openStore,
  type Store,
} from "../../store/index.js";
import {
  decodeEntry,
  type DocumentEntry,
  entryForDocument,
  formatTlogProof,
  generateNoteKey,
  hashEquals,
  leafHash,
  type NoteSigner,
  type NoteVerifierKey,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseTlogProof,
  parseVerifierKey,
  TILE_WIDTH,
  tilePath,
  TransparencyLog,
  verifyCheckpoint,
  verifyConsistency,
  verifyTileDirectory,
  verifyTlogProof,
} from "../../tlog/index.js";
import type { Runtime } from "../runtime.js";
import { formatOf, readArg } from "../shared.js";

export interface LogInitOptions {
  origin?: string;
}
export interface LogAppendOptions {
  proofDir?: string;
}
export interface LogProveOptions {
  size?: string;
  format?: string;
}
export interface LogVerifyOptions {
  proof?: string;
  entry?: string;
  checkpoint?: string;
  vkey?: string;
  witness?: string[];
  quorum?: string;
  full?: boolean;
  tiles?: string;
}
export interface LogCheckpointOptions {
  size?: string;
  cosigned?: string;
  witness?: string[];
}
export interface LogConsistencyOptions {
  vkey?: string;
}
export interface LogExportOptions {
  tiles: string;
}

export const LOG_KEY_VAR = "BULWARK_LOG_KEY";

const FORMATS = ["table", "json"] as const;

function logDir(rt: Runtime): string {
  return join(bulwarkHome(rt.io.env, rt.io.cwd), "log");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function json(rt: Runtime, value: unknown): void {
  rt.emit(`${JSON.stringify(value, null, 2)}\n`);
}

function loadSigner(rt: Runtime): NoteSigner {
  const fromEnv = rt.io.env[LOG_KEY_VAR];
  if (fromEnv) return parseSignerKey(fromEnv);
  const path = join(logDir(rt), "log.key");
  if (!existsSync(path))
    throw new BulwarkError(
      "USAGE",
      `no log signing key: set ${LOG_KEY_VAR} or run \`bulwark log init\` (looked for ${path})`,
    );
  return parseSignerKey(readFileSync(path, "utf8"));
}

/** A verifier key given inline (`name+hash+base64`) or as a file holding one. */
function keyArg(rt: Runtime, value: string, what: string): NoteVerifierKey {
  const path = resolve(rt.io.cwd, value);
  const text = existsSync(path) ? readFileSync(path, "utf8") : value;
  try {
    return parseVerifierKey(text);
  } catch (e) {
    throw new BulwarkError(
      "USAGE",
      `${what} ${value} is neither a verifier key nor a file holding one: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

function loadVerifier(rt: Runtime, given: string | undefined): NoteVerifierKey {
  if (given) return keyArg(rt, given, "--vkey");
  const path = join(logDir(rt), "log.vkey");
  if (existsSync(path)) return parseVerifierKey(readFileSync(path, "utf8"));
  const fromEnv = rt.io.env[LOG_KEY_VAR];
  if (fromEnv) return parseVerifierKey(parseSignerKey(fromEnv).verifierKey);
  throw new BulwarkError(
    "USAGE",
    `the log's verifier key is needed: pass --vkey, or create a log here with \`bulwark log init\` (looked for ${path})`,
  );
}

function intArg(value: string, what: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new BulwarkError("USAGE", `${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function withStore<T>(rt: Runtime, write: boolean, work: (store: Store) => Promise<T>): Promise<T> {
  const options = defaultStoreOptions(rt.io.env, rt.io.cwd);
  const store = await openStore({ ...options, ...(write ? {} : { readonly: true }) }).catch((e: unknown) => {
    if (e instanceof BulwarkError && e.code === "FILE_NOT_FOUND")
      throw new BulwarkError(
        "FILE_NOT_FOUND",
        `no transparency log here (${e.message}); create one with \`bulwark log init\``,
      );
    throw e;
  });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function readInput(rt: Runtime, file: string): Promise<Uint8Array> {
  return file === "-"
    ? new TextEncoder().encode(await readStdin())
    : new Uint8Array(readArg(rt, file, "entry"));
}

// ------------------------------------------------------------------------------------------------
// bulwark log init

export async function logInit(rt: Runtime, opts: LogInitOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log init", "table");
  const dir = logDir(rt);
  const keyPath = join(dir, "log.key");
  const vkeyPath = join(dir, "log.vkey");
  let signer: NoteSigner;
  let created = false;
  if (rt.io.env[LOG_KEY_VAR] || existsSync(keyPath)) {
    signer = loadSigner(rt);
    if (opts.origin !== undefined && opts.origin !== signer.name)
      throw new BulwarkError(
        "USAGE",
        `the existing log key is named ${signer.name}; it cannot sign for origin ${opts.origin}`,
      );
  } else {
    const key = generateNoteKey(opts.origin ?? "bulwark.local/log");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(keyPath, `${key.skey}\n`, 0o600);
    writeFileAtomic(vkeyPath, `${key.vkey}\n`, 0o644);
    signer = parseSignerKey(key.skey);
    created = true;
  }
  if (!existsSync(vkeyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(vkeyPath, `${signer.verifierKey}\n`, 0o644);
  }
  const head = await withStore(rt, true, async (store) => {
    const log = await TransparencyLog.open({ store, signer });
    return { ...(await log.head()), location: store.location };
  });
  if (format === "json") {
    json(rt, {
      origin: head.origin,
      size: head.size,
      verifierKey: signer.verifierKey,
      keyCreated: created,
      store: head.location,
      ...(rt.io.env[LOG_KEY_VAR] ? {} : { key: keyPath }),
      verifierKeyFile: vkeyPath,
    });
  } else {
    rt.emit(
      [
        `origin        ${head.origin}`,
        `size          ${head.size}`,
        `verifier key  ${signer.verifierKey}`,
        `store         ${head.location}`,
        `key file      ${rt.io.env[LOG_KEY_VAR] ? `$${LOG_KEY_VAR}` : keyPath}${created ? " (new)" : ""}`,
        "",
      ].join("\n"),
    );
  }
  if (created)
    rt.note(
      `Publish the verifier key (${vkeyPath}) to everyone who verifies this log's proofs; keep log.key secret.`,
    );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log append

export interface AppendedFile {
  file: string;
  kind: string;
  index: number;
  leafHash: string;
  duplicate: boolean;
  size: number;
  proofFile?: string;
}

/**
 * Appends prepared entries in one batch: their documents to the blob store, the entries to the
 * log (acknowledged once durable), attestations and decisions to the evidence index, and a
 * tlog-proof for each entry that names a `proofFile`.
 */
export async function appendPrepared(
  rt: Runtime,
  signer: NoteSigner,
  prepared: readonly ({ file: string; proofFile?: string } & DocumentEntry)[],
): Promise<AppendedFile[]> {
  return withStore(rt, true, async (store) => {
    const log = await TransparencyLog.open({ store, signer });
    const blobs = blobStoreFor(rt, store);
    for (const p of prepared) if (p.document) await blobs.put(p.document);
    const appended = await log.appendAll(prepared.map((p) => p.bytes));
    await indexEntries(store, prepared, appended, rt.clock.now());
    const out: AppendedFile[] = [];
    for (const [i, a] of appended.entries()) {
      const p = prepared[i]!;
      if (p.proofFile) {
        const { proof } = await log.inclusionProof(a.index, a.size);
        const checkpoint = (await log.checkpointAt(a.size)) ?? a.checkpoint;
        mkdirSync(dirname(p.proofFile), { recursive: true });
        writeFileSync(p.proofFile, formatTlogProof({ index: a.index, proof, checkpoint }));
      }
      out.push({
        file: p.file,
        kind: p.entry.kind,
        index: a.index,
        leafHash: hex(a.leafHash),
        duplicate: a.duplicate,
        size: a.size,
        ...(p.proofFile ? { proofFile: p.proofFile } : {}),
      });
    }
    return out;
  });
}

/** True when this home has a log to record into (a key in BULWARK_LOG_KEY or log/log.key). */
export function logConfigured(rt: Runtime): boolean {
  return Boolean(rt.io.env[LOG_KEY_VAR]) || existsSync(join(logDir(rt), "log.key"));
}

/**
 * Records what another command produced: `documents` (bundles, typed entries) are appended and,
 * where asked, proved. Used by `attest --log`, `sign --log`, `policy eval --log` and the key
 * commands (key events are logged whenever a log is set up).
 */
export async function recordInLog(
  rt: Runtime,
  documents: readonly { file: string; bytes: Uint8Array; proofFile?: string }[],
): Promise<AppendedFile[]> {
  const signer = loadSigner(rt);
  const prepared = documents.map((d) => ({
    file: d.file,
    ...(d.proofFile ? { proofFile: d.proofFile } : {}),
    ...entryForDocument(d.bytes, d.file),
  }));
  const results = await appendPrepared(rt, signer, prepared);
  for (const r of results)
    rt.note(
      `${r.duplicate ? "already in" : "recorded in"} the transparency log: ${r.kind} entry ${r.index}${r.proofFile ? ` (proof: ${r.proofFile})` : ""}`,
    );
  return results;
}

export async function logAppend(rt: Runtime, files: string[], opts: LogAppendOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log append", "table");
  if (files.filter((f) => f === "-").length > 1)
    throw new BulwarkError("USAGE", "stdin (-) can be named once");
  const signer = loadSigner(rt);
  // Everything is parsed and validated before anything is appended: one bad file appends nothing.
  const prepared: ({ file: string } & DocumentEntry)[] = [];
  for (const file of files)
    prepared.push({ file, ...entryForDocument(await readInput(rt, file), file === "-" ? "<stdin>" : file) });
  const results = await appendPrepared(
    rt,
    signer,
    prepared.map((p) => ({
      ...p,
      ...(opts.proofDir
        ? {
            proofFile: join(
              resolve(rt.io.cwd, opts.proofDir),
              `${p.file === "-" ? "stdin" : basename(p.file)}.tlog-proof`,
            ),
          }
        : {}),
    })),
  );
  if (format === "json") json(rt, results);
  else
    rt.emit(
      results
        .map(
          (r) =>
            `${r.duplicate ? "already logged" : "appended"}  index ${r.index}  ${r.kind}  ${r.file}${r.proofFile ? `  → ${r.proofFile}` : ""}`,
        )
        .join("\n") + `\ntree size ${results.at(-1)?.size ?? 0}\n`,
    );
  return EXIT.ok;
}

/** Envelopes and bundles go to the database on PostgreSQL (shared by every replica), else to files. */
function blobStoreFor(rt: Runtime, store: Store): BlobStore {
  return store.dialect === "postgres"
    ? new DatabaseBlobStore(store)
    : new FileBlobStore(join(bulwarkHome(rt.io.env, rt.io.cwd), "blobs"));
}

/** Logged attestations and decisions become searchable (`bulwark log search`) with their log index. */
async function indexEntries(
  store: Store,
  prepared: readonly ({ file: string } & DocumentEntry)[],
  appended: readonly { index: number }[],
  now: Date,
): Promise<void> {
  const index = new EvidenceIndex(store);
  for (const [i, p] of prepared.entries()) {
    const logIndex = appended[i]!.index;
    const spec = p.entry.spec as Record<string, unknown>;
    if (p.entry.kind === "attestation") {
      const media = p.document ? mediaTypeOf(p.document) : undefined;
      if (p.document) await indexSbom(index, p.document, spec, now);
      await index.recordAttestation({
        digest: spec.envelopeDigest as string,
        predicateType: spec.predicateType as string,
        subjects: (spec.subjects as { name?: string; digest: Record<string, string> }[]).map((s) => ({
          name: s.name ?? "",
          digest: s.digest,
        })),
        mediaType: media ?? "application/vnd.dsse.envelope.v1+json",
        logIndex,
        createdAt: now,
      });
    } else if (p.entry.kind === "key-event") {
      const at = p.entry.time ?? now.toISOString();
      if (
        spec.event === "created" &&
        typeof spec.publicKey === "string" &&
        typeof spec.algorithm === "string"
      )
        await index.recordKey({
          keyid: spec.keyid as string,
          algorithm: spec.algorithm,
          publicKeyPem: spec.publicKey,
          createdAt: at,
          ...(typeof spec.expires === "string" ? { expiresAt: spec.expires } : {}),
          source: "generated",
        });
      else if (spec.event === "revoked")
        await index.recordRevocation({
          keyid: spec.keyid as string,
          revokedAt: at,
          ...(typeof spec.since === "string" ? { since: spec.since } : {}),
          reason: typeof spec.reason === "string" ? spec.reason : "",
          logIndex,
        });
    } else if (p.entry.kind === "decision") {
      const subject = spec.subject as { name?: string; digest: { sha256: string } } | undefined;
      await index.recordDecision({
        id: sha256Digest(p.bytes),
        decision: spec.decision as "allow" | "deny" | "warn",
        ...(subject?.name ? { subjectName: subject.name } : {}),
        ...(subject ? { subjectDigest: `sha256:${subject.digest.sha256}` } : {}),
        ...(typeof spec.environment === "string" ? { environment: spec.environment } : {}),
        ...(typeof spec.policyBundleDigest === "string"
          ? { policyBundleDigest: spec.policyBundleDigest }
          : {}),
        ...(typeof spec.inputDigest === "string" ? { inputDigest: spec.inputDigest } : {}),
        time: p.entry.time ?? now,
        logIndex,
        body: new TextDecoder().decode(p.bytes),
      });
    }
  }
}

const SBOM_PREDICATES = new Set(["https://cyclonedx.org/bom", "https://spdx.dev/Document"]);

/**
 * An SBOM attestation (CycloneDX or SPDX predicate) also indexes its components by purl for each
 * subject, so `log search --purl` answers "which logged artifacts contain X?".
 */
async function indexSbom(
  index: EvidenceIndex,
  document: Uint8Array,
  spec: Record<string, unknown>,
  now: Date,
): Promise<void> {
  if (typeof spec.predicateType !== "string" || !SBOM_PREDICATES.has(spec.predicateType)) return;
  let predicate: unknown;
  try {
    const json = JSON.parse(new TextDecoder().decode(document)) as {
      dsseEnvelope?: { payload?: string };
      payload?: string;
    };
    const payload = json.dsseEnvelope?.payload ?? json.payload;
    if (typeof payload !== "string") return;
    predicate = (JSON.parse(Buffer.from(payload, "base64").toString("utf8")) as { predicate?: unknown })
      .predicate;
  } catch {
    return;
  }
  const components: { purl: string; name?: string; version?: string }[] = [];
  const walk = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const c of list as { purl?: unknown; name?: unknown; version?: unknown; components?: unknown }[]) {
      if (typeof c?.purl === "string")
        components.push({
          purl: c.purl,
          ...(typeof c.name === "string" ? { name: c.name } : {}),
          ...(typeof c.version === "string" ? { version: c.version } : {}),
        });
      walk(c?.components);
    }
  };
  const p = predicate as { components?: unknown; packages?: unknown } | undefined;
  walk(p?.components);
  if (Array.isArray(p?.packages))
    for (const pkg of p.packages as { name?: unknown; versionInfo?: unknown; externalRefs?: unknown }[])
      for (const ref of Array.isArray(pkg?.externalRefs)
        ? (pkg.externalRefs as { referenceType?: unknown; referenceLocator?: unknown }[])
        : [])
        if (ref?.referenceType === "purl" && typeof ref.referenceLocator === "string")
          components.push({
            purl: ref.referenceLocator,
            ...(typeof pkg.name === "string" ? { name: pkg.name } : {}),
            ...(typeof pkg.versionInfo === "string" ? { version: pkg.versionInfo } : {}),
          });
  if (components.length === 0) return;
  // An SBOM is indexed once, for the artifact it describes (an SBOM attestation's first subject).
  const subject = (spec.subjects as { name?: string; digest: { sha256: string } }[])[0]!;
  await index.recordSbom({
    digest: spec.envelopeDigest as string,
    ...(subject.name ? { artifactName: subject.name } : {}),
    artifactDigest: `sha256:${subject.digest.sha256}`,
    format: spec.predicateType === "https://cyclonedx.org/bom" ? "cyclonedx-json" : "spdx-json",
    createdAt: now,
    components,
  });
}

function mediaTypeOf(document: Uint8Array): string | undefined {
  try {
    const j = JSON.parse(new TextDecoder().decode(document)) as { mediaType?: unknown };
    return typeof j.mediaType === "string" ? j.mediaType : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// bulwark log reindex

/**
 * Rebuilds the evidence index from the log: the index is written after each append commits, so a
 * crash between the two can leave it short; the log is the record and the index a view of it.
 * Recording is idempotent, so reindexing an intact index changes nothing.
 */
export async function logReindex(rt: Runtime): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log reindex", "table");
  const counts = await withStore(rt, true, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: loadVerifier(rt, undefined) });
    const blobs = blobStoreFor(rt, store);
    const { size } = await log.head();
    const seen: Record<string, number> = {};
    const PAGE = 1000;
    for (let start = 0; start < size; start += PAGE) {
      const page = await log.entries(start, Math.min(size, start + PAGE));
      const prepared: ({ file: string } & DocumentEntry)[] = [];
      const indexes: { index: number }[] = [];
      for (const e of page) {
        const entry = decodeEntry(e.body);
        if (!entry) continue;
        const spec = entry.spec as Record<string, unknown>;
        const digest = typeof spec.envelopeDigest === "string" ? spec.envelopeDigest : undefined;
        const document = digest ? await blobs.get(digest).catch(() => undefined) : undefined;
        prepared.push({ file: `entry ${e.index}`, entry, bytes: e.body, ...(document ? { document } : {}) });
        indexes.push({ index: e.index });
        seen[entry.kind] = (seen[entry.kind] ?? 0) + 1;
      }
      await indexEntries(store, prepared, indexes, new Date(page.at(-1)?.integratedAt ?? Date.now()));
    }
    return { size, kinds: seen };
  });
  if (format === "json") json(rt, counts);
  else
    rt.emit(
      `Reindexed ${counts.size} entries: ${
        Object.entries(counts.kinds)
          .map(([k, n]) => `${n} ${k}`)
          .join(", ") || "no typed entries"
      }\n`,
    );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log search

export interface LogSearchOptions {
  purl?: string;
  subject?: string;
  predicateType?: string;
  decision?: string;
  since?: string;
  limit?: string;
}

export async function logSearch(rt: Runtime, opts: LogSearchOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log search", "table");
  if (opts.purl) return searchPurl(rt, format, opts.purl);
  if (!opts.subject && !opts.predicateType && !opts.decision)
    throw new BulwarkError(
      "USAGE",
      "search by --purl PURL, --subject DIGEST, --predicate-type URI and/or --decision allow|deny|warn",
    );
  if (opts.subject && !/^sha256:[0-9a-f]{64}$/.test(opts.subject))
    throw new BulwarkError("USAGE", `--subject must be sha256:<64 hex>, got ${opts.subject}`);
  if (opts.decision && !["allow", "deny", "warn"].includes(opts.decision))
    throw new BulwarkError("USAGE", `--decision must be allow, deny or warn, got ${opts.decision}`);
  const limit = opts.limit === undefined ? 100 : intArg(opts.limit, "--limit");
  const found = await withStore(rt, false, async (store) => {
    const index = new EvidenceIndex(store);
    const attestations =
      opts.decision === undefined
        ? await index.findAttestations({
            ...(opts.subject ? { subjectDigest: opts.subject } : {}),
            ...(opts.predicateType ? { predicateType: opts.predicateType } : {}),
            limit,
          })
        : [];
    const decisions =
      opts.predicateType === undefined
        ? await index.findDecisions({
            ...(opts.subject ? { subjectDigest: opts.subject } : {}),
            ...(opts.decision ? { decision: opts.decision as "allow" | "deny" | "warn" } : {}),
            ...(opts.since ? { since: opts.since } : {}),
            limit,
          })
        : [];
    return { attestations, decisions };
  });
  if (format === "json") {
    json(rt, found);
    return EXIT.ok;
  }
  const lines = [
    ...found.attestations.map(
      (a) =>
        `attestation  index ${a.logIndex ?? "-"}  ${a.predicateType}  ${a.digest}  ${a.subjects.map((s) => s.name || Object.values(s.digest)[0]).join(", ")}`,
    ),
    ...found.decisions.map((d) =>
      `decision     index ${d.logIndex ?? "-"}  ${d.decision}  ${d.time}  ${d.environment ?? ""}  ${d.subjectName ?? d.subjectDigest ?? ""}`.trimEnd(),
    ),
  ];
  if (lines.length === 0) rt.note("nothing logged matches");
  else rt.emit(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

/** `log search --purl`: the logged artifacts whose SBOM attestations list the package. */
async function searchPurl(rt: Runtime, format: "table" | "json", purl: string): Promise<ExitCode> {
  if (!purl.startsWith("pkg:"))
    throw new BulwarkError("USAGE", `--purl must be a package URL (pkg:type/name[@version]), got ${purl}`);
  const matches = await withStore(rt, false, (store) => new EvidenceIndex(store).artifactsContaining(purl));
  if (format === "json") json(rt, { artifacts: matches });
  else if (matches.length === 0) rt.note(`no logged SBOM lists ${purl}`);
  else
    rt.emit(
      `${matches.map((m) => `${m.artifactName ?? "-"}  ${m.artifactDigest ?? "-"}  ${m.purl}  (SBOM ${m.sbomDigest})`).join("\n")}\n`,
    );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log get

export async function logGet(rt: Runtime, indexArg: string): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log get", "table");
  const index = intArg(indexArg, "<index>");
  const entry = await withStore(rt, false, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: loadVerifier(rt, undefined) });
    const e = await log.entry(index);
    if (!e)
      throw new BulwarkError(
        "NOT_FOUND",
        `no entry ${index}: the log has ${(await log.head()).size} entries`,
      );
    return e;
  });
  if (format === "json") {
    const typed = decodeEntry(entry.body);
    json(rt, {
      index: entry.index,
      leafHash: hex(entry.leafHash),
      integratedAt: entry.integratedAt,
      ...(typed ? { entry: typed } : { base64: Buffer.from(entry.body).toString("base64") }),
    });
  } else {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(entry.body);
    rt.emit(text.endsWith("\n") ? text : `${text}\n`);
  }
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log prove

async function locate(rt: Runtime, log: TransparencyLog, entry: string): Promise<number> {
  if (/^(0|[1-9][0-9]*)$/.test(entry) && !existsSync(resolve(rt.io.cwd, entry)))
    return intArg(entry, "<entry>");
  let leaf: Uint8Array;
  if (/^(sha256:)?[0-9a-f]{64}$/.test(entry) && !existsSync(resolve(rt.io.cwd, entry)))
    leaf = Buffer.from(entry.replace(/^sha256:/, ""), "hex");
  else leaf = leafHash(entryForDocument(await readInput(rt, entry), entry).bytes);
  const index = await log.indexOf(leaf);
  if (index === undefined)
    throw new BulwarkError("NOT_FOUND", `${entry} is not in the log (leaf hash ${hex(leaf)})`);
  return index;
}

async function issuedCheckpoint(
  log: TransparencyLog,
  size: number | undefined,
): Promise<{ size: number; note: string }> {
  if (size === undefined) {
    const head = await log.head();
    return { size: head.size, note: (await log.checkpointAt(head.size)) ?? head.checkpoint };
  }
  const note = await log.checkpointAt(size);
  if (!note) {
    const sizes = await log.checkpointSizes();
    throw new BulwarkError(
      "NOT_FOUND",
      `no checkpoint was issued at size ${size}; the nearest are ${
        sizes
          .filter((s) => Math.abs(s - size) <= 2 * TILE_WIDTH)
          .slice(-5)
          .join(", ") || sizes.slice(-5).join(", ")
      }`,
    );
  }
  return { size, note };
}

export async function logProve(rt: Runtime, entry: string, opts: LogProveOptions): Promise<ExitCode> {
  const format = opts.format ?? (rt.settings.format === "json" ? "json" : "tlog-proof");
  const size = opts.size === undefined ? undefined : intArg(opts.size, "--size");
  const out = await withStore(rt, false, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: loadVerifier(rt, undefined) });
    const index = await locate(rt, log, entry);
    const cp = await issuedCheckpoint(log, size);
    if (index >= cp.size)
      throw new BulwarkError("NOT_FOUND", `entry ${index} is not in the tree of size ${cp.size}`);
    const { proof } = await log.inclusionProof(index, cp.size);
    const e = (await log.entry(index))!;
    return { index, proof, checkpoint: cp.note, size: cp.size, leaf: e.leafHash };
  });
  if (format === "json")
    json(rt, {
      index: out.index,
      treeSize: out.size,
      leafHash: hex(out.leaf),
      inclusionProof: out.proof.map((h) => Buffer.from(h).toString("base64")),
      checkpoint: out.checkpoint,
    });
  else rt.emit(formatTlogProof({ index: out.index, proof: out.proof, checkpoint: out.checkpoint }));
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log verify

export async function logVerify(
  rt: Runtime,
  arg: string | undefined,
  opts: LogVerifyOptions,
): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log verify", "table");
  if (opts.full) return verifyFull(rt, format, opts);
  if (opts.tiles) return verifyTiles(rt, format, opts.tiles, opts);
  if (!arg) throw new BulwarkError("USAGE", "name the appended file to verify (or pass --full)");
  const vkey = loadVerifier(rt, opts.vkey);
  const witnesses = (opts.witness ?? []).map((w) => keyArg(rt, w, "--witness"));
  if (witnesses.some((w) => w.kind !== "ed25519-cosignature"))
    throw new BulwarkError("USAGE", "--witness keys are cosigner keys (C2SP vkey type 0x04)");
  const quorum = opts.quorum === undefined ? undefined : intArg(opts.quorum, "--quorum");
  let proofText: string | undefined;
  let entryFile = arg;
  const argText = readArg(rt, arg, "file").toString("utf8");
  if (argText.startsWith("c2sp.org/tlog-proof@v1\n")) {
    if (!opts.entry)
      throw new BulwarkError("USAGE", `${arg} is a tlog-proof: name the logged file with --entry`);
    proofText = argText;
    entryFile = opts.entry;
  } else if (opts.proof) proofText = readArg(rt, opts.proof, "proof").toString("utf8");
  const bytes = entryForDocument(await readInput(rt, entryFile), entryFile).bytes;

  let proof;
  if (proofText !== undefined) {
    proof = parseTlogProof(proofText);
  } else {
    // Online: ask the store for the proof, against a given older checkpoint or the latest one.
    const against = opts.checkpoint ? readArg(rt, opts.checkpoint, "checkpoint").toString("utf8") : undefined;
    proof = await withStore(rt, false, async (store) => {
      const log = await TransparencyLog.open({ store, verifierKey: vkey });
      const index = await log.indexOf(leafHash(bytes));
      if (index === undefined)
        throw new BulwarkError("VERIFICATION_FAILED", `${entryFile} is not in the log`, {
          details: { reason: "not-logged" },
        });
      const note = against ?? (await issuedCheckpoint(log, undefined)).note;
      const size = Number(verifyCheckpoint(note, [vkey]).size);
      const head = await log.head();
      if (size > head.size)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `the checkpoint has size ${size} but the log has only ${head.size} entries: it comes from another view of the log (split view)`,
          { details: { reason: "split-view" } },
        );
      if (index >= size)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${entryFile} was logged at index ${index}, after the checkpoint of size ${size}`,
          {
            details: { reason: "after-checkpoint" },
          },
        );
      return { index, proof: (await log.inclusionProof(index, size)).proof, checkpoint: note };
    });
  }
  const verified = verifyTlogProof(proof, bytes, {
    logKeys: [vkey],
    witnesses,
    ...(quorum === undefined ? {} : { quorum }),
  });
  const result = {
    verified: true,
    index: verified.index,
    origin: verified.checkpoint.origin,
    treeSize: Number(verified.checkpoint.size),
    rootHash: Buffer.from(verified.checkpoint.rootHash).toString("base64"),
    witnessedBy: verified.witnessedBy,
    offline: proofText !== undefined,
  };
  if (format === "json") json(rt, result);
  else
    rt.emit(
      `Verified: ${entryFile} is entry ${result.index} of ${result.origin} (tree size ${result.treeSize})` +
        `${result.witnessedBy.length ? `, cosigned by ${result.witnessedBy.join(", ")}` : ""}${result.offline ? " — offline proof" : ""}\n`,
    );
  return EXIT.ok;
}

/** `log verify --tiles DIR`: a static copy (export or mirror) checked from its files alone. */
async function verifyTiles(
  rt: Runtime,
  format: "table" | "json",
  dir: string,
  opts: LogVerifyOptions,
): Promise<ExitCode> {
  const report = verifyTileDirectory(resolve(rt.io.cwd, dir), [loadVerifier(rt, opts.vkey)]);
  if (format === "json") json(rt, { ok: report.problems.length === 0, ...report });
  else if (report.problems.length === 0)
    rt.emit(
      `Static log verified: ${plural(report.size, "entry", "entries")} of ${report.origin}, ${plural(report.tiles, "tile")} re-derived and matching the signed checkpoint\n`,
    );
  else
    rt.emit(
      `The static log in ${dir} does not match its checkpoint:\n${report.problems.map((p) => `  ${p.where}: ${p.what}`).join("\n")}\n`,
    );
  if (report.problems.length)
    throw new BulwarkError("VERIFICATION_FAILED", `the static log has ${report.problems.length} problem(s)`, {
      details: { reason: "static-log-mismatch" },
    });
  return EXIT.ok;
}

async function verifyFull(rt: Runtime, format: "table" | "json", opts: LogVerifyOptions): Promise<ExitCode> {
  const vkey = loadVerifier(rt, opts.vkey);
  const report = await withStore(rt, false, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: vkey });
    const progress = rt.io.isTTY && !rt.quiet;
    return log.verifyFull(
      progress ? (done, total) => rt.io.stderr(`\rverified ${done}/${total} entries`) : undefined,
    );
  });
  if (rt.io.isTTY && !rt.quiet) rt.io.stderr("\n");
  if (format === "json") json(rt, { ok: report.problems.length === 0, ...report });
  else if (report.problems.length === 0)
    rt.emit(
      `Log verified: ${plural(report.entries, "entry", "entries")}, ${plural(report.tiles, "tile")}, ${plural(report.checkpoints, "checkpoint")} re-derived and matching\n`,
    );
  else
    rt.emit(
      `Log storage is corrupted:\n${report.problems.map((p) => `  ${p.where}: ${p.what}`).join("\n")}\n`,
    );
  if (report.problems.length)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `log verification found ${report.problems.length} problem(s)`,
      {
        details: { reason: "storage-corrupted" },
      },
    );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log checkpoint

export async function logCheckpoint(rt: Runtime, opts: LogCheckpointOptions): Promise<ExitCode> {
  const format = formatOf(rt, ["table", "json", "note"] as const, "log checkpoint", "note");
  const size = opts.size === undefined ? undefined : intArg(opts.size, "--size");
  const out = await withStore(rt, opts.cosigned !== undefined, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: loadVerifier(rt, undefined) });
    let added: string[] = [];
    if (opts.cosigned) {
      const witnesses = (opts.witness ?? []).map((w) => keyArg(rt, w, "--witness"));
      if (witnesses.length === 0)
        throw new BulwarkError("USAGE", "--cosigned needs the witnesses' keys (--witness)");
      added = await log.addCosignatures(
        readArg(rt, opts.cosigned, "cosigned checkpoint").toString("utf8"),
        witnesses,
      );
      if (added.length === 0)
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          "the note carries no cosignature by the given witnesses",
          {
            details: { reason: "no-cosignature" },
          },
        );
    }
    const cpSize = opts.cosigned
      ? Number(
          parseCheckpoint(parseNote(readArg(rt, opts.cosigned, "cosigned checkpoint").toString("utf8")).text)
            .size,
        )
      : size;
    return { ...(await issuedCheckpoint(log, cpSize)), added };
  });
  if (out.added.length)
    rt.note(`stored cosignatures by ${out.added.join(", ")} on the checkpoint of size ${out.size}`);
  if (format === "note" || format === "table") rt.emit(out.note);
  else {
    const cp = parseCheckpoint(parseNote(out.note).text);
    json(rt, {
      origin: cp.origin,
      size: Number(cp.size),
      rootHash: Buffer.from(cp.rootHash).toString("base64"),
      signers: parseNote(out.note).signatures.map((s) => s.name),
      note: out.note,
    });
  }
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log consistency

export async function logConsistency(
  rt: Runtime,
  oldFile: string,
  opts: LogConsistencyOptions,
): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log consistency", "table");
  const vkey = loadVerifier(rt, opts.vkey);
  const oldNote = readArg(rt, oldFile, "checkpoint").toString("utf8");
  const old = verifyCheckpoint(oldNote, [vkey]);
  if (old.origin !== vkey.name)
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `${oldFile} is a checkpoint of ${old.origin}, not ${vkey.name}`,
      {
        details: { reason: "origin-mismatch" },
      },
    );
  const result = await withStore(rt, false, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: vkey });
    const head = await log.head();
    const oldSize = Number(old.size);
    if (oldSize > head.size)
      throw new BulwarkError(
        "VERIFICATION_FAILED",
        `${oldFile} has size ${oldSize} but the log has only ${head.size} entries: the log was truncated, or this is another view of it`,
        { details: { reason: "split-view" } },
      );
    if (oldSize === 0 || oldSize === head.size) {
      if (oldSize === head.size && !hashEquals(old.rootHash, head.rootHash))
        throw new BulwarkError(
          "VERIFICATION_FAILED",
          `${oldFile} has the log's size but another root: a split view`,
          {
            details: { reason: "split-view" },
          },
        );
      return { head, proof: [] as Uint8Array[] };
    }
    const { proof } = await log.consistencyProof(oldSize, head.size);
    return { head, proof };
  });
  try {
    if (Number(old.size) > 0 && Number(old.size) < result.head.size)
      verifyConsistency(old.size, result.head.size, old.rootHash, result.head.rootHash, result.proof);
  } catch (e) {
    throw new BulwarkError(
      "VERIFICATION_FAILED",
      `the log is NOT consistent with ${oldFile} (size ${old.size}): its history was rewritten, or one of the two is a split view`,
      { cause: e, details: { reason: "inconsistent" } },
    );
  }
  const out = {
    consistent: true,
    origin: old.origin,
    oldSize: Number(old.size),
    newSize: result.head.size,
    proof: result.proof.map((h) => Buffer.from(h).toString("base64")),
    checkpoint: result.head.checkpoint,
  };
  if (format === "json") json(rt, out);
  else
    rt.emit(
      `Consistent: the log at size ${out.newSize} extends ${oldFile} (size ${out.oldSize}); ${out.proof.length}-hash proof verified\n`,
    );
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark log export --tiles

export async function logExport(rt: Runtime, opts: LogExportOptions): Promise<ExitCode> {
  const format = formatOf(rt, FORMATS, "log export", "table");
  const dir = resolve(rt.io.cwd, opts.tiles);
  const stats = await withStore(rt, false, async (store) => {
    const log = await TransparencyLog.open({ store, verifierKey: loadVerifier(rt, undefined) });
    const head = await log.head();
    let written = 0;
    let kept = 0;
    const put = (path: string, data: Uint8Array, immutable: boolean) => {
      const file = join(dir, path);
      if (immutable && existsSync(file)) {
        kept++;
        return;
      }
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, Buffer.from(data) as unknown as string);
      written++;
    };
    // Hash tiles of every level, full ones immutable, the partial ones at the checkpoint's width.
    for (let level = 0, count = head.size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
      const tiles = Math.ceil(count / TILE_WIDTH);
      for (let t = 0; t < tiles; t++) {
        const width = Math.min(TILE_WIDTH, count - t * TILE_WIDTH);
        const data = await log.tile(level, t, width);
        if (!data)
          throw new BulwarkError("VERIFICATION_FAILED", `hash tile ${level}/${t} is missing from the store`);
        put(tilePath(level, t, width), data, width === TILE_WIDTH);
        if (level === 0) {
          const bundle = await log.entryBundle(t, width);
          if (!bundle)
            throw new BulwarkError("VERIFICATION_FAILED", `entries of tile ${t} are missing from the store`);
          put(tilePath("entries", t, width), bundle, width === TILE_WIDTH);
        }
      }
      if (count < TILE_WIDTH) break;
    }
    put(
      "checkpoint",
      new TextEncoder().encode((await log.checkpointAt(head.size)) ?? head.checkpoint),
      false,
    );
    return { size: head.size, written, kept };
  });
  if (format === "json") json(rt, { directory: dir, ...stats });
  else
    rt.emit(
      `Exported ${stats.size} entries to ${dir}: ${stats.written} files written, ${stats.kept} unchanged full tiles kept\n`,
    );
  return EXIT.ok;
}
