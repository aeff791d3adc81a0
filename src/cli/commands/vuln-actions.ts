import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BulwarkError, canonicalDigest, EXIT, type ExitCode } from "../../core/index.js";
import { encodeOpenVex, type SbomDocument } from "../../formats/index.js";
import { PolicyEngine, loadPolicySet, parseInput } from "../../policy/index.js";
import { generateSbom, type TargetKind } from "../../sbom/index.js";
import { bulwarkHome } from "../../store/index.js";
import {
  applyVex,
  buildReport,
  createOpenVexDocument,
  type DbStatus,
  exceedsThreshold,
  type Finding,
  loadVexDocument,
  matchableComponents,
  type Matched,
  matchSbom,
  npmRegistryFor,
  type OsvRecord,
  OsvIndex,
  parseSeverity,
  queryNpmAdvisories,
  queryOsvApi,
  reportToCycloneDx,
  reportToInToto,
  type RecordDetails,
  reportToSarif,
  VULN_DB_FILE,
  VulnDatabase,
  type VexDocument,
  type VexStatus,
  type VulnerabilityReport,
} from "../../vuln/index.js";
import { humanLine } from "../render/common.js";
import { renderScanTable } from "../render/scan-table.js";
import type { Runtime } from "../runtime.js";
import { formatOf } from "../shared.js";
import { SCAN_FORMATS } from "./vuln.js";

type ScanFormat = (typeof SCAN_FORMATS)[number];

export interface DbOptions {
  db?: string;
  sourceName?: string;
}

export interface ScanOptions {
  rootfs?: boolean;
  image?: boolean;
  platform: string;
  db?: string;
  source?: string[];
  osvApiUrl: string;
  registry?: string;
  vex?: string[];
  failOn?: string;
  maxDbAge: string;
  failOnStaleDb?: boolean;
  showSuppressed?: boolean;
  policy?: string[];
  env?: string;
}

export interface VexCreateOptions {
  id: string;
  product: string[];
  status: string;
  subcomponent?: string[];
  alias?: string[];
  justification?: string;
  impact?: string;
  action?: string;
  author: string;
  docId?: string;
}

function dbDir(rt: Runtime, given: string | undefined): string {
  return given ? resolve(rt.io.cwd, given) : bulwarkHome(rt.io.env, rt.io.cwd);
}

/** `36h`, `7d`, `90m`, `2w` → hours. */
export function parseDurationHours(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(value.trim());
  if (!m)
    throw new BulwarkError(
      "USAGE",
      `--max-db-age must look like 90m, 36h, 7d or 2w, got ${JSON.stringify(value)}`,
    );
  const n = Number(m[1]);
  return m[2] === "m" ? n / 60 : m[2] === "h" ? n : m[2] === "d" ? n * 24 : n * 168;
}

// ------------------------------------------------------------------------------------------------
// bulwark db …

export async function dbImport(rt: Runtime, paths: string[], opts: DbOptions): Promise<ExitCode> {
  const format = formatOf(rt, ["table", "json"], "db import", "table");
  if (opts.sourceName && paths.length > 1)
    throw new BulwarkError("USAGE", "--source-name names one import; give one path with it");
  const db = await VulnDatabase.open(dbDir(rt, opts.db));
  const results = [];
  try {
    for (const path of paths) {
      const r = await db.importPath(path, {
        ...(opts.sourceName ? { sourceName: opts.sourceName } : {}),
        clock: rt.clock,
        onProgress: (n) => rt.note(`  ${path}: ${n} records read…`),
        progressEvery: 50_000,
      });
      results.push(r);
      if (format === "table")
        rt.note(
          `${r.source}: ${r.read} records read, ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.withdrawn} withdrawn (${r.ms} ms, ${Math.round((r.read / Math.max(r.ms, 1)) * 1000)} records/s)`,
        );
    }
    if (format === "json")
      rt.emit(`${JSON.stringify({ database: db.location, imports: results }, null, 2)}\n`);
    else rt.emit(`${db.location}: ${(await db.status(rt.clock)).records} records\n`);
  } finally {
    await db.close();
  }
  return EXIT.ok;
}

export async function dbUpdate(rt: Runtime, opts: DbOptions): Promise<ExitCode> {
  const format = formatOf(rt, ["table", "json"], "db update", "table");
  const db = await VulnDatabase.open(dbDir(rt, opts.db));
  const results = [];
  try {
    const status = await db.status(rt.clock);
    const local = status.sources.filter((s) => ["zip", "directory", "file"].includes(s.kind));
    if (!local.length)
      throw new BulwarkError(
        "USAGE",
        `no file, zip or directory sources recorded in ${db.location}; run \`bulwark db import\` first`,
      );
    for (const s of status.sources.filter((x) => !local.includes(x)))
      rt.note(`${s.name}: ${s.kind} source, refreshed by scans that use it (skipped)`);
    for (const s of local) {
      if (!existsSync(s.location))
        throw new BulwarkError(
          "FILE_NOT_FOUND",
          `source ${s.name} was imported from ${s.location}, which no longer exists`,
        );
      const r = await db.importPath(s.location, { sourceName: s.name, clock: rt.clock });
      results.push(r);
      if (format === "table")
        rt.note(`${r.source}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged (${r.ms} ms)`);
    }
    rt.emit(
      format === "json" ? `${JSON.stringify({ database: db.location, imports: results }, null, 2)}\n` : "",
    );
  } finally {
    await db.close();
  }
  return EXIT.ok;
}

export async function dbStatus(rt: Runtime, opts: DbOptions): Promise<ExitCode> {
  const format = formatOf(rt, ["table", "json"], "db status", "table");
  const db = await VulnDatabase.open(dbDir(rt, opts.db), { readonly: true });
  try {
    const s = await db.status(rt.clock);
    rt.emit(format === "json" ? `${JSON.stringify(s, null, 2)}\n` : statusTable(s));
  } finally {
    await db.close();
  }
  return EXIT.ok;
}

function statusTable(s: DbStatus): string {
  const lines = [
    `database   ${s.location} (SQLite via ${s.driver})`,
    `records    ${s.records} (${s.withdrawn} withdrawn)`,
    `updated    ${s.updatedAt ?? "never"}${s.ageHours !== undefined ? ` (${formatAge(s.ageHours)} ago)` : ""}`,
    "",
    "SOURCE".padEnd(28) +
      "KIND".padEnd(12) +
      "RECORDS".padStart(9) +
      "  IMPORTED".padEnd(28) +
      "NEWEST MODIFIED",
    ...s.sources.map(
      (x) =>
        x.name.padEnd(28) +
        x.kind.padEnd(12) +
        String(x.records).padStart(9) +
        `  ${x.importedAt}`.padEnd(28) +
        (x.newestModified ?? ""),
    ),
    "",
    "ECOSYSTEM".padEnd(28) + "RECORDS".padStart(9),
    ...s.ecosystems.map((e) => e.ecosystem.padEnd(28) + String(e.records).padStart(9)),
  ];
  return `${lines.join("\n")}\n`;
}

function formatAge(hours: number): string {
  return hours < 48 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(hours / 24)} days`;
}

export async function dbShow(rt: Runtime, id: string, opts: DbOptions): Promise<ExitCode> {
  const db = await VulnDatabase.open(dbDir(rt, opts.db), { readonly: true });
  try {
    const records = await db.lookup(id);
    if (!records.length)
      throw new BulwarkError("FILE_NOT_FOUND", `no record with id or alias ${id} in ${db.location}`);
    rt.emit(`${JSON.stringify(records.length === 1 ? records[0] : records, null, 2)}\n`);
  } finally {
    await db.close();
  }
  return EXIT.ok;
}

// ------------------------------------------------------------------------------------------------
// bulwark scan

const SOURCES = ["db", "osv-api", "npm-advisories"] as const;

export async function scan(rt: Runtime, target: string, opts: ScanOptions): Promise<ExitCode> {
  const format = formatOf(rt, SCAN_FORMATS, "scan", "table") as ScanFormat;
  const started = rt.clock.now();
  const t0 = performance.now();
  const sources = [...new Set(opts.source?.length ? opts.source : ["db"])];
  for (const s of sources)
    if (!(SOURCES as readonly string[]).includes(s))
      throw new BulwarkError("USAGE", `--source must be one of ${SOURCES.join(", ")}, got ${s}`);
  const failOn = opts.failOn === undefined ? undefined : parseSeverity(opts.failOn);
  if (opts.failOn !== undefined && !failOn)
    throw new BulwarkError(
      "USAGE",
      `--fail-on must be critical, high, medium, low, none or unknown, got ${opts.failOn}`,
    );
  const maxAge = parseDurationHours(opts.maxDbAge);
  if (opts.rootfs && opts.image)
    throw new BulwarkError("USAGE", "--rootfs and --image are mutually exclusive");
  // VEX documents are read first: a bad one fails the scan before any work.
  const vexDocs: VexDocument[] = (opts.vex ?? []).map((file) => {
    let text: string;
    try {
      text = readFileSync(resolve(rt.io.cwd, file), "utf8");
    } catch (e) {
      throw new BulwarkError("FILE_NOT_FOUND", `cannot read VEX document ${file}`, { cause: e });
    }
    return loadVexDocument(text, file);
  });

  const kind: TargetKind | undefined = opts.rootfs ? "rootfs" : opts.image ? "image" : undefined;
  const sbom: SbomDocument = await generateSbom({
    target,
    ...(kind ? { kind } : {}),
    platform: opts.platform,
    toolVersion: rt.version,
    context: { logger: rt.logger, clock: rt.clock },
  });
  const components = matchableComponents(sbom).map((c) => ({
    purl: c.purl,
    name: c.name,
    version: c.version,
    ecosystem: c.ecosystem,
    ...(c.sourcePackage ? { sourcePackage: c.sourcePackage } : {}),
  }));

  const warnings: string[] = vexDocs.flatMap((d) => d.warnings.map((w) => `VEX ${d.source}: ${w}`));
  const index = new OsvIndex();
  const sourceOf = new Map<string, string>();
  let database: VulnerabilityReport["database"];
  const online = sources.filter((s) => s !== "db");
  const dir = dbDir(rt, opts.db);
  const dbFile = join(dir, VULN_DB_FILE);
  if (sources.includes("db") && !existsSync(dbFile))
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `no vulnerability database at ${dbFile}: import OSV data first (bulwark db import <all.zip|dir>), point --db at one, or use --source osv-api`,
    );
  // Read-only unless online answers are to be cached: concurrent scans never write.
  const db =
    existsSync(dbFile) || online.length
      ? await VulnDatabase.open(dir, online.length ? {} : { readonly: true })
      : undefined;
  let matched: Matched;
  let details: Map<string, RecordDetails> | undefined;
  try {
    if (sources.includes("db") && db) {
      const fromDb = await db.indexFor(components);
      for (const r of fromDb.records()) index.add(r);
      const st = await db.summary(rt.clock);
      database = {
        sources: st.sources.map((s) => ({ name: s.name, importedAt: s.importedAt, records: s.records })),
        records: st.records,
        ...(st.updatedAt ? { updatedAt: st.updatedAt } : {}),
        ...(st.ageHours !== undefined ? { ageHours: st.ageHours } : {}),
      };
      const stale =
        st.records === 0
          ? `the vulnerability database ${db.location} is empty`
          : st.ageHours !== undefined && st.ageHours > maxAge
            ? `the vulnerability database was last updated ${formatAge(st.ageHours)} ago (more than --max-db-age ${opts.maxDbAge}); run \`bulwark db update\``
            : undefined;
      if (stale) {
        if (opts.failOnStaleDb) throw new BulwarkError("VULN_DB_STALE", stale);
        warnings.push(stale);
      }
    }
    for (const s of online) {
      let records: OsvRecord[];
      if (s === "osv-api") {
        rt.note(`querying ${opts.osvApiUrl} for ${components.length} components…`);
        records = (
          await queryOsvApi(components, { baseUrl: opts.osvApiUrl, userAgent: `bulwark/${rt.version}` })
        ).records;
      } else {
        const reg = opts.registry
          ? { registry: opts.registry }
          : npmRegistryFor(targetDir(rt, target), rt.io.env);
        rt.note(`asking ${reg.registry} for npm advisories…`);
        records = (await queryNpmAdvisories(components, { ...reg, userAgent: `bulwark/${rt.version}` }))
          .records;
      }
      for (const r of records) {
        // OSV API records are full and current (newer wins); npm advisories are converted at query
        // time and only fill gaps, so the fuller OSV record of the same id is kept.
        if (s === "npm-advisories" && index.has(r.id)) continue;
        index.add(r);
        sourceOf.set(r.id, s);
      }
      // Cached in the local database for later offline scans.
      await db!.importRecords(
        records.map((record) => ({ record, where: s })),
        { sourceName: s, clock: rt.clock, keepImported: true },
        "online",
        s === "osv-api" ? opts.osvApiUrl : "npm registry",
      );
    }
    matched = matchSbom(sbom, index);
    if (db) details = await db.describe(matched.matches.flatMap((m) => m.records.map((r) => r.id)));
  } finally {
    await db?.close();
  }

  const report = buildReport({
    sbom,
    index: matched,
    details: (id) => details?.get(id),
    sourceOf: (id) => sourceOf.get(id) ?? "db",
    ...(vexDocs.length ? { postProcess: (f: Finding[]) => applyVex(f, vexDocs, vexTarget(sbom)) } : {}),
    toolVersion: rt.version,
    time: rt.clock.now(),
    ...(database ? { database } : {}),
    warnings,
  });
  for (const w of warnings) rt.logger.warn(w);

  rt.emit(await encodeReport(format, report, sbom, rt, opts, started));
  rt.note(
    `${report.summary.total - report.summary.suppressed} vulnerabilities (${report.summary.suppressed} suppressed) in ${report.summary.components} components (${Math.round(performance.now() - t0)} ms)`,
  );
  let code: ExitCode = failOn && exceedsThreshold(report, failOn) ? EXIT.denied : EXIT.ok;
  if (failOn && code === EXIT.denied)
    rt.note(`findings at or above ${failOn}: failing (--fail-on ${failOn})`);
  if (opts.policy?.length) {
    const set = await loadPolicySet(opts.policy);
    const engine = new PolicyEngine(set, { clock: rt.clock, logger: rt.logger });
    const inputs = parseInput(JSON.stringify(report), `scan of ${report.target.name}`, {
      kind: "vulnerability-report",
    });
    const env = opts.env ?? rt.settings.env;
    const decision = engine.evaluate(inputs, {
      ...(env !== undefined ? { environment: env } : {}),
      subject: { name: report.target.name },
    });
    for (const r of decision.results) for (const v of r.violations) rt.io.stderr(`${humanLine(r, v)}\n`);
    if (decision.decision === "deny") code = EXIT.denied;
  }
  return code;
}

/** The project directory whose npm configuration applies: the target, or the lockfile's directory. */
function targetDir(rt: Runtime, target: string): string {
  const path = resolve(rt.io.cwd, target);
  return existsSync(path) && statSync(path).isFile() ? dirname(path) : path;
}

function vexTarget(sbom: SbomDocument): { purls?: string[]; digest?: string; name?: string } {
  const s = sbom.subject;
  return {
    name: s.name,
    ...(s.digest ? { digest: s.digest } : {}),
    purls: sbom.components.filter((c) => c.type === "application" && c.purl).map((c) => c.purl),
  };
}

async function encodeReport(
  format: ScanFormat,
  report: VulnerabilityReport,
  sbom: SbomDocument,
  rt: Runtime,
  opts: ScanOptions,
  started: Date,
): Promise<string> {
  switch (format) {
    case "table":
      return renderScanTable(report, {
        color: rt.color,
        ...(opts.showSuppressed ? { showSuppressed: true } : {}),
      });
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(reportToSarif(report), null, 2)}\n`;
    case "cyclonedx-json":
    case "cyclonedx-json@1.7":
      return reportToCycloneDx(report, sbom, "1.7");
    case "cyclonedx-json@1.6":
      return reportToCycloneDx(report, sbom, "1.6");
    case "cyclonedx-json@1.5":
      return reportToCycloneDx(report, sbom, "1.5");
    case "intoto": {
      const digest =
        sbom.subject.digest?.replace(/^sha256:/, "") ?? canonicalDigest(sbom).replace(/^sha256:/, "");
      return reportToInToto(report, { name: sbom.subject.name, sha256: digest }, started);
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// bulwark vex create

export async function vexCreate(rt: Runtime, opts: VexCreateOptions): Promise<ExitCode> {
  const doc = createOpenVexDocument({
    vulnerability: opts.id,
    ...(opts.alias?.length ? { aliases: opts.alias } : {}),
    products: opts.product,
    ...(opts.subcomponent?.length ? { subcomponents: opts.subcomponent } : {}),
    status: opts.status as VexStatus,
    ...(opts.justification ? { justification: opts.justification } : {}),
    ...(opts.impact ? { impactStatement: opts.impact } : {}),
    ...(opts.action ? { actionStatement: opts.action } : {}),
    author: opts.author,
    timestamp: rt.clock.now().toISOString(),
    ...(opts.docId ? { id: opts.docId } : {}),
  });
  rt.emit(encodeOpenVex(doc));
  return EXIT.ok;
}
