import type { Cataloger } from "../../cataloger.js";
import type { CatalogResult, Distro, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { Issues, locationOf } from "../shared/index.js";
import { checkAborted, Installed, osPurl, uniqueRefs } from "./common.js";
import { RpmHeader, RpmHeaderError, RPMTAG } from "./rpm-header.js";

const NAME = "os/rpm";
/** rpm ≥ 4.16 SQLite databases; Fedora ≥ 36 and openSUSE keep it under /usr/lib/sysimage. */
const RPMDB_PATHS = new Set(["var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite"]);

/** OpenPGP hash algorithm ids, as rpm records PAYLOADDIGESTALGO. */
const DIGEST_ALGOS: ReadonlyMap<number, string> = new Map([
  [1, "md5"],
  [2, "sha1"],
  [8, "sha256"],
  [9, "sha384"],
  [10, "sha512"],
  [11, "sha224"],
]);

interface RpmRecord {
  readonly ref: string;
  readonly hnum: number;
  readonly header: RpmHeader;
  readonly name: string;
  readonly epoch: number | undefined;
  readonly version: string;
  readonly release: string | undefined;
  readonly arch: string | undefined;
  readonly license: string | undefined;
  readonly sourceRpm: string | undefined;
  readonly requires: readonly string[];
  readonly provides: readonly string[];
}

/**
 * RPM installed packages (RHEL, Fedora, Rocky, Alma, openSUSE, …) from an SQLite rpmdb: table
 * `Packages(hnum, blob)` holds one RPM header per installed package.
 */
export const rpmCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: "RPM",
  targets: ["rootfs", "image"],
  applies: (entry) => RPMDB_PATHS.has(entry.path),
  async catalog(entry, ctx) {
    checkAborted(ctx);
    const log = new Issues(NAME, entry);
    let rows: { hnum: number; blob: Uint8Array }[];
    try {
      rows = await readPackagesTable(await ctx.source.read(entry.path));
    } catch (e) {
      log.addAt(`cannot read the rpmdb: ${(e as Error).message}`);
      return { packages: [], issues: log.list };
    }
    return packagesFromRows(rows, entry, ctx.distro, log);
  },
};

/** The packages of the `Packages` table's rows (exported for the fuzz tests: no SQLite needed). */
export function packagesFromRows(
  rows: readonly { hnum: number; blob: Uint8Array }[],
  entry: FileEntry,
  distro: Distro | undefined,
  log: Issues = new Issues(NAME, entry),
): CatalogResult {
  const records: RpmRecord[] = [];
  for (const row of rows) {
    const rec = readRecord(row.hnum, row.blob, log);
    if (rec) records.push(rec);
  }
  const packages = link(records, entry, distro, log);
  return { packages, ...(log.list.length ? { issues: log.list } : {}) };
}

async function readPackagesTable(bytes: Uint8Array): Promise<{ hnum: number; blob: Uint8Array }[]> {
  // SQLite (WASM) is loaded only when an rpm database is found.
  const { default: initSqlJs } = await import("sql.js");
  const SQL = await initSqlJs();
  const db = new SQL.Database(bytes);
  try {
    const rows: { hnum: number; blob: Uint8Array }[] = [];
    const stmt = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum");
    try {
      while (stmt.step()) {
        const [hnum, blob] = stmt.get();
        if (typeof hnum !== "number") continue;
        rows.push({ hnum, blob: blob instanceof Uint8Array ? blob : new Uint8Array(0) });
      }
    } finally {
      stmt.free();
    }
    return rows;
  } finally {
    db.close();
  }
}

function readRecord(hnum: number, blob: Uint8Array, log: Issues): RpmRecord | undefined {
  const where = { path: `Packages[hnum=${hnum}]` };
  try {
    const h = RpmHeader.parse(blob);
    const name = h.string(RPMTAG.NAME);
    const version = h.string(RPMTAG.VERSION);
    // gpg-pubkey "packages" are imported signing keys, not software.
    if (name === "gpg-pubkey") return undefined;
    if (!name || !version) {
      log.addAt(`package header ${hnum}: no ${name ? "VERSION" : "NAME"} tag`, where);
      return undefined;
    }
    return {
      ref: `rpm:${hnum}`,
      hnum,
      header: h,
      name,
      epoch: h.has(RPMTAG.EPOCH) ? h.ints(RPMTAG.EPOCH)[0] : undefined,
      version,
      release: h.string(RPMTAG.RELEASE) || undefined,
      arch: h.string(RPMTAG.ARCH) || undefined,
      license: h.string(RPMTAG.LICENSE) || undefined,
      sourceRpm: h.string(RPMTAG.SOURCERPM) || undefined,
      requires: h.strings(RPMTAG.REQUIRENAME),
      provides: h.strings(RPMTAG.PROVIDENAME),
    };
  } catch (e) {
    if (!(e instanceof RpmHeaderError)) throw e;
    log.addAt(`package header ${hnum}: ${e.message}`, where);
    return undefined;
  }
}

/** Requirements that name no package: rpm's own feature flags and rich (boolean) dependencies. */
function isPackageRequire(name: string): boolean {
  return name !== "" && !name.startsWith("rpmlib(") && !name.startsWith("(");
}

function link(
  records: readonly RpmRecord[],
  entry: FileEntry,
  distro: Distro | undefined,
  log: Issues,
): FoundPackage[] {
  const installed = new Installed<RpmRecord>();
  for (const rec of records) {
    installed.addPackage(rec.name, rec);
    for (const p of rec.provides) installed.addProvide(p, rec);
  }
  addFileProvides(records, installed, log);

  return records.map((rec): FoundPackage => {
    const deps: RpmRecord[] = [];
    for (const req of rec.requires) {
      if (!isPackageRequire(req)) continue;
      deps.push(...installed.resolve(req, rec, (cands) => sameArch(cands, rec.arch)));
    }
    const dependsOn = uniqueRefs(deps);
    const evr = rec.release ? `${rec.version}-${rec.release}` : rec.version;
    const version = rec.epoch !== undefined ? `${rec.epoch}:${evr}` : evr;
    const source = rec.sourceRpm ? parseSourceRpm(rec.sourceRpm) : undefined;
    if (rec.sourceRpm && !source)
      log.addAt(`package ${rec.name}: unreadable SOURCERPM "${rec.sourceRpm}"`, {
        path: `Packages[hnum=${rec.hnum}]`,
      });
    const properties = digestProperties(rec.header);
    return {
      ref: rec.ref,
      name: rec.name,
      version,
      // purl spec: the epoch is a qualifier for rpm, the version is `version-release`.
      purl: osPurl(
        "rpm",
        distro?.id,
        rec.name,
        evr,
        { arch: rec.arch, epoch: rec.epoch?.toString() },
        distro,
      ),
      ecosystem: ecosystemOf(distro),
      type: "library",
      locations: [locationOf(entry)],
      ...(rec.license ? { licenses: [rec.license] } : {}),
      ...(source ? { sourcePackage: source } : {}),
      ...(dependsOn.length ? { dependsOn } : {}),
      ...(Object.keys(properties).length ? { properties } : {}),
    };
  });
}

/**
 * A requirement on a path (`/bin/sh`, `/usr/bin/python3`) is met by the package owning that file.
 * Only the required paths are looked up, so file lists are decoded but not kept.
 */
function addFileProvides(records: readonly RpmRecord[], installed: Installed<RpmRecord>, log: Issues): void {
  const wanted = new Set(
    records.flatMap((r) => r.requires.filter((q) => q.startsWith("/") && !installed.has(q))),
  );
  if (!wanted.size) return;
  for (const rec of records) {
    try {
      const dirs = rec.header.strings(RPMTAG.DIRNAMES);
      const bases = rec.header.strings(RPMTAG.BASENAMES);
      const index = rec.header.ints(RPMTAG.DIRINDEXES);
      for (let i = 0; i < bases.length; i++) {
        const dir = dirs[index[i] ?? -1];
        if (dir === undefined) continue;
        const path = dir + bases[i]!;
        if (wanted.has(path)) installed.addProvide(path, rec);
      }
    } catch (e) {
      if (!(e instanceof RpmHeaderError)) throw e;
      log.addAt(`package header ${rec.hnum}: file list: ${e.message}`, {
        path: `Packages[hnum=${rec.hnum}]`,
      });
    }
  }
}

/** Multilib: a dependency of an x86_64 package means the x86_64 (or noarch) package. */
function sameArch(cands: readonly RpmRecord[], arch: string | undefined): RpmRecord[] {
  const same = cands.filter((c) => c.arch === arch || c.arch === "noarch" || arch === "noarch");
  return same.length ? same : [...cands];
}

/** `bash-5.1.8-9.el9.src.rpm` → `{ name: "bash", version: "5.1.8-9.el9" }`. */
export function parseSourceRpm(file: string): { name: string; version: string } | undefined {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(file);
  return m ? { name: m[1]!, version: `${m[2]!}-${m[3]!}` } : undefined;
}

function digestProperties(h: RpmHeader): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    const header = h.string(RPMTAG.SHA256HEADER);
    if (header && /^[0-9a-f]{64}$/.test(header)) out["rpm:sha256header"] = header;
    const payload = h.strings(RPMTAG.PAYLOADDIGEST)[0];
    const algo = DIGEST_ALGOS.get(h.ints(RPMTAG.PAYLOADDIGESTALGO)[0] ?? 8);
    if (payload && algo && /^[0-9a-f]+$/.test(payload)) out["rpm:payloaddigest"] = `${algo}:${payload}`;
  } catch (e) {
    if (!(e instanceof RpmHeaderError)) throw e;
  }
  return out;
}

const ECOSYSTEMS: ReadonlyMap<string, string> = new Map([
  ["rhel", "Red Hat"],
  ["rocky", "Rocky Linux"],
  ["almalinux", "AlmaLinux"],
  ["opensuse", "openSUSE"],
  ["opensuse-leap", "openSUSE"],
  ["opensuse-tumbleweed", "openSUSE"],
  ["sles", "SUSE"],
  ["sles_sap", "SUSE"],
  ["sled", "SUSE"],
  ["mageia", "Mageia"],
  ["openEuler", "openEuler"],
  ["openeuler", "openEuler"],
  ["photon", "Photon OS"],
]);

/** OSV ecosystem of the distro; `RPM` when OSV has none for it (Fedora, CentOS, Amazon Linux, …). */
function ecosystemOf(distro: Distro | undefined): string {
  return (distro && ECOSYSTEMS.get(distro.id)) ?? "RPM";
}
