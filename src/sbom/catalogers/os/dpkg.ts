import type { CatalogContext, Cataloger } from "../../cataloger.js";
import type { CatalogIssue, CatalogResult, Distro, FoundPackage } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { groupToRead, Issues, locationOf } from "../shared/index.js";
import { checkAborted, Installed, osPurl, uniqueRefs } from "./common.js";
import { type ControlStanza, parseControl, parseRelations, preview, type Relation } from "./deb822.js";

const NAME = "os/dpkg";
const STATUS = "var/lib/dpkg/status";
/** Distroless images have no `status`; they drop one control file per package here instead. */
const STATUS_D = "var/lib/dpkg/status.d/";

/**
 * `Status:` states whose files are on disk. `installed` is the normal case; the others are
 * interrupted or pending operations (unpacked but not configured, triggers outstanding), where
 * the package's code is present all the same. `config-files` (removed, conffiles left) and
 * `not-installed` are skipped.
 */
const PRESENT_STATES = new Set([
  "installed",
  "triggers-pending",
  "triggers-awaited",
  "half-configured",
  "unpacked",
  "half-installed",
]);
const ABSENT_STATES = new Set(["not-installed", "config-files"]);

interface DebRecord {
  readonly ref: string;
  readonly name: string;
  readonly version: string;
  readonly arch: string | undefined;
  readonly state: string;
  readonly source: { name: string; version: string };
  readonly depends: Relation[][];
  readonly entry: FileEntry;
}

function isStatusD(path: string): boolean {
  if (!path.startsWith(STATUS_D)) return false;
  const name = path.slice(STATUS_D.length);
  // md5sums files sit beside the control files in newer distroless images.
  return name !== "" && !name.includes("/") && !name.startsWith(".") && !name.endsWith(".md5sums");
}

/**
 * Debian/Ubuntu installed packages, from dpkg's `var/lib/dpkg/status` or a distroless
 * `var/lib/dpkg/status.d/` folder (every file there is read as one unit, when the cataloger is
 * given the folder's first file, so dependency edges can cross files).
 */
export const dpkgCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: "Debian",
  targets: ["rootfs", "image"],
  applies: (entry) => entry.path === STATUS || isStatusD(entry.path),
  async catalog(entry, ctx) {
    checkAborted(ctx);
    if (entry.path === STATUS) return catalogFiles([entry], ctx);
    // Only the folder's first file triggers the run; the others were read with it.
    const members = groupToRead(
      entry,
      ctx.source.files().filter((f) => isStatusD(f.path)),
    );
    return members ? catalogFiles(members, ctx) : { packages: [] };
  },
};

async function catalogFiles(entries: readonly FileEntry[], ctx: CatalogContext): Promise<CatalogResult> {
  const issues: CatalogIssue[] = [];
  const records: DebRecord[] = [];
  const seen = new Set<string>();
  const installed = new Installed<DebRecord>();

  for (const entry of entries) {
    const log = new Issues(NAME, entry);
    let text: string;
    try {
      text = await ctx.source.readText(entry.path);
    } catch (e) {
      log.addAt(`cannot read: ${(e as Error).message}`);
      issues.push(...log.list);
      continue;
    }
    const { stanzas, problems } = parseControl(text);
    for (const p of problems) log.addAt(p.message, { line: p.line });
    const distroless = entry.path !== STATUS;
    for (const stanza of stanzas) {
      const rec = readStanza(stanza, entry, distroless, log);
      if (!rec) continue;
      if (seen.has(rec.ref)) {
        log.addAt(`package ${rec.ref} is listed twice; the first is kept`, { line: stanza.line });
        continue;
      }
      seen.add(rec.ref);
      records.push(rec);
      installed.addPackage(rec.name, rec);
      const provides = stanza.fields.get("provides");
      if (provides) {
        const parsed = parseRelations(provides.value);
        for (const group of parsed.groups) for (const alt of group) installed.addProvide(alt.name, rec);
        for (const b of parsed.bad)
          log.addAt(`unreadable Provides entry ${preview(b)}`, { line: provides.line });
      }
    }
    issues.push(...log.list);
  }

  const packages = records.map((rec) => toPackage(rec, installed, ctx.distro));
  return { packages, ...(issues.length ? { issues } : {}) };
}

function readStanza(
  stanza: ControlStanza,
  entry: FileEntry,
  distroless: boolean,
  log: Issues,
): DebRecord | undefined {
  const get = (k: string): string | undefined => stanza.fields.get(k)?.value.trim() || undefined;
  const name = get("package");
  const at = { line: stanza.line };
  if (!name) {
    log.addAt("stanza without a Package field", at);
    return undefined;
  }
  if (/\s/.test(name)) {
    log.addAt(`invalid package name ${preview(name)}`, at);
    return undefined;
  }

  // dpkg writes Status for every package; distroless control files have none and are installed.
  const status = get("status");
  let state = "installed";
  if (status !== undefined) {
    const words = status.split(/\s+/);
    if (words.length !== 3) {
      log.addAt(`package ${name}: malformed Status ${preview(status)}`, {
        line: stanza.fields.get("status")!.line,
      });
      return undefined;
    }
    state = words[2]!;
    if (ABSENT_STATES.has(state)) return undefined;
    if (!PRESENT_STATES.has(state)) {
      log.addAt(`package ${name}: unknown package state ${preview(state)}`, {
        line: stanza.fields.get("status")!.line,
      });
      return undefined;
    }
  } else if (!distroless) {
    log.addAt(`package ${name}: no Status field`, at);
    return undefined;
  }

  const version = get("version");
  if (!version) {
    log.addAt(`package ${name}: no Version field`, at);
    return undefined;
  }
  if (!/^(?:\d+:)?[A-Za-z0-9][A-Za-z0-9.+~:-]*$/.test(version)) {
    log.addAt(`package ${name}: invalid version ${preview(version)}`, {
      line: stanza.fields.get("version")!.line,
    });
  }
  const arch = get("architecture");

  // dpkg's own rule (dpkg-query ${source:Package} / ${source:Version}): no Source means the
  // source package has the binary's name; no version in parentheses means the binary's version.
  let source = { name, version };
  const sourceField = get("source");
  if (sourceField) {
    const m = /^(\S+)(?:\s*\(\s*([^)\s]+)\s*\))?$/.exec(sourceField);
    if (m) source = { name: m[1]!, version: m[2] ?? version };
    else
      log.addAt(`package ${name}: unreadable Source ${preview(sourceField)}`, {
        line: stanza.fields.get("source")!.line,
      });
  }

  const depends: Relation[][] = [];
  for (const key of ["pre-depends", "depends"]) {
    const field = stanza.fields.get(key);
    if (!field) continue;
    const parsed = parseRelations(field.value);
    depends.push(...parsed.groups);
    for (const b of parsed.bad)
      log.addAt(`package ${name}: unreadable dependency ${preview(b)}`, { line: field.line });
  }

  return { ref: `${name}:${arch ?? ""}`, name, version, arch, state, source, depends, entry };
}

function toPackage(
  rec: DebRecord,
  installed: Installed<DebRecord>,
  distro: Distro | undefined,
): FoundPackage {
  const deps: DebRecord[] = [];
  for (const group of rec.depends) {
    for (const alt of group) {
      const found = installed.resolve(alt.name, rec, (cands) => pickArch(cands, rec.arch, alt.arch));
      if (found.length) {
        deps.push(...found);
        break;
      }
    }
  }
  const dependsOn = uniqueRefs(deps);
  const namespace = distro?.id ?? "debian";
  return {
    ref: rec.ref,
    name: rec.name,
    version: rec.version,
    purl: osPurl("deb", namespace, rec.name, rec.version, { arch: rec.arch }, distro),
    ecosystem: ecosystemOf(distro),
    type: "library",
    locations: [locationOf(rec.entry)],
    sourcePackage: rec.source,
    ...(dependsOn.length ? { dependsOn } : {}),
    ...(rec.state !== "installed" ? { properties: { "dpkg:status": rec.state } } : {}),
  };
}

/**
 * Multi-arch: `libc6` from an amd64 package means libc6:amd64 (or an `all` package); `:any`
 * accepts any architecture; an explicit `:i386` only that one.
 */
function pickArch(
  cands: readonly DebRecord[],
  from: string | undefined,
  qualifier: string | undefined,
): DebRecord[] {
  if (qualifier === "any") return [...cands];
  if (qualifier && qualifier !== "native") return cands.filter((c) => c.arch === qualifier);
  const same = cands.filter((c) => c.arch === from || c.arch === "all" || from === "all");
  return same.length ? same : [...cands];
}

function ecosystemOf(distro: Distro | undefined): string {
  if (distro?.id === "ubuntu") return "Ubuntu";
  if (distro?.id !== "debian" && distro?.idLike?.includes("ubuntu")) return "Ubuntu";
  return "Debian";
}
