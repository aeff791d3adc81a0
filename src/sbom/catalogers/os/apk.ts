import type { Cataloger } from "../../cataloger.js";
import type { Distro, FoundPackage, PackageHash } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { Issues, locationOf } from "../shared/index.js";
import { checkAborted, Installed, osPurl, splitLines, uniqueRefs } from "./common.js";
import { preview } from "./deb822.js";

const NAME = "os/apk";
const INSTALLED = "lib/apk/db/installed";

interface ApkRecord {
  readonly ref: string;
  readonly line: number;
  name?: string;
  version?: string;
  arch?: string;
  license?: string;
  origin?: string;
  commit?: string;
  checksum?: PackageHash;
  depends: string[];
  provides: string[];
  /** `k:` provider priority: among several providers of one name, apk prefers the highest. */
  priority: number;
}

/**
 * Alpine (and other apk-tools distros: Wolfi, Chainguard, postmarketOS) installed packages, from
 * `lib/apk/db/installed`: blank-line-separated stanzas of `X:value` lines (apk-tools v2 format).
 */
export const apkCataloger: Cataloger = {
  name: NAME,
  version: 1,
  ecosystem: "Alpine",
  targets: ["rootfs", "image"],
  applies: (entry) => entry.path === INSTALLED,
  async catalog(entry, ctx) {
    checkAborted(ctx);
    const log = new Issues(NAME, entry);
    let text: string;
    try {
      text = await ctx.source.readText(entry.path);
    } catch (e) {
      log.addAt(`cannot read: ${(e as Error).message}`);
      return { packages: [], issues: log.list };
    }
    const records = parseInstalled(text, log);
    const packages = link(records, entry, ctx.distro);
    return { packages, ...(log.list.length ? { issues: log.list } : {}) };
  },
};

function parseInstalled(text: string, log: Issues): ApkRecord[] {
  const done: ApkRecord[] = [];
  const seen = new Set<string>();
  let cur: ApkRecord | undefined;
  const finish = (): void => {
    if (!cur) return;
    const rec = cur;
    cur = undefined;
    if (!rec.name) return log.addAt("stanza without a P: (package name) line", { line: rec.line });
    if (!rec.version) return log.addAt(`package ${rec.name}: no V: (version) line`, { line: rec.line });
    if (seen.has(rec.name))
      return log.addAt(`package ${rec.name} is listed twice; the first is kept`, { line: rec.line });
    seen.add(rec.name);
    done.push(rec);
  };

  const lines = splitLines(text.replace(/^\uFEFF/, ""));
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    if (raw.trim() === "") {
      finish();
      continue;
    }
    if (raw.length < 2 || raw[1] !== ":") {
      log.addAt(`not a "X:value" line: ${preview(raw)}`, { line: lineNo });
      continue;
    }
    cur ??= { ref: `apk:${lineNo}`, line: lineNo, depends: [], provides: [], priority: 0 };
    const value = raw.slice(2).trim();
    switch (raw[0]) {
      case "P":
        setOnce(cur, "name", value, lineNo, log);
        break;
      case "V":
        if (setOnce(cur, "version", value, lineNo, log) && !/^[0-9A-Za-z._+~-]+$/.test(value)) {
          log.addAt(`unusual version ${preview(value)}`, { line: lineNo });
        }
        break;
      case "A":
        cur.arch = value;
        break;
      case "L":
        cur.license = value;
        break;
      case "o":
        cur.origin = value;
        break;
      case "c":
        cur.commit = value;
        break;
      case "k":
        cur.priority = Number.parseInt(value, 10) || 0;
        break;
      case "C": {
        const hash = decodeChecksum(value);
        if (hash) cur.checksum = hash;
        else log.addAt(`unreadable C: checksum ${preview(value)}`, { line: lineNo });
        break;
      }
      case "D":
        cur.depends.push(...value.split(/\s+/).filter(Boolean));
        break;
      case "p":
        cur.provides.push(...value.split(/\s+/).filter(Boolean));
        break;
      default:
        // Files (F, R, Z, a, M), sizes, description, URL, maintainer, build time, …: not needed.
        break;
    }
  }
  finish();
  return done;
}

function setOnce(rec: ApkRecord, key: "name" | "version", value: string, line: number, log: Issues): boolean {
  if (rec[key] !== undefined) {
    log.addAt(`repeated ${key === "name" ? "P:" : "V:"} line in one stanza; the first is kept`, { line });
    return false;
  }
  if (value === "" || /\s/.test(value)) {
    log.addAt(`invalid package ${key} ${preview(value)}`, { line });
    return false;
  }
  rec[key] = value;
  return true;
}

/**
 * apk-tools checksums: `Q1` + base64 is SHA-1 (the identity of the package's control data),
 * `Q2` + base64 is SHA-256; a bare 32-digit hex string is the legacy MD5.
 */
export function decodeChecksum(value: string): PackageHash | undefined {
  if (value.startsWith("Q1") || value.startsWith("Q2")) {
    const b64 = value.slice(2);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined;
    const bytes = Buffer.from(b64, "base64");
    const sha1 = value[1] === "1";
    if (bytes.length !== (sha1 ? 20 : 32)) return undefined;
    return { alg: sha1 ? "SHA-1" : "SHA-256", content: bytes.toString("hex") };
  }
  if (/^[0-9a-fA-F]{32}$/.test(value)) return { alg: "MD5", content: value.toLowerCase() };
  return undefined;
}

/** `so:libc.musl-x86_64.so.1=1`, `busybox>=1.36`, `name@edge` → the bare name. */
function depName(token: string): string {
  return token.replace(/@.*$/, "").replace(/[<>=~].*$/, "");
}

function link(records: readonly ApkRecord[], entry: FileEntry, distro: Distro | undefined): FoundPackage[] {
  const installed = new Installed<ApkRecord>();
  for (const rec of records) {
    installed.addPackage(rec.name!, rec);
    for (const p of rec.provides) installed.addProvide(depName(p), rec);
  }
  const namespace = distro?.id ?? "alpine";
  return records.map((rec): FoundPackage => {
    const deps: ApkRecord[] = [];
    for (const token of rec.depends) {
      if (token.startsWith("!")) continue; // a conflict, not a dependency
      const found = installed.resolve(depName(token), rec);
      const best = Math.max(...found.map((f) => f.priority));
      deps.push(...found.filter((f) => f.priority === best));
    }
    const dependsOn = uniqueRefs(deps);
    const name = rec.name!;
    const version = rec.version!;
    const properties = rec.commit ? { "apk:commit": rec.commit } : undefined;
    return {
      ref: rec.ref,
      name,
      version,
      purl: osPurl("apk", namespace, name, version, { arch: rec.arch }, distro),
      ecosystem: ecosystemOf(distro),
      type: "library",
      locations: [locationOf(entry)],
      ...(rec.license ? { licenses: [rec.license] } : {}),
      ...(rec.checksum ? { hashes: [rec.checksum] } : {}),
      ...(rec.origin ? { sourcePackage: { name: rec.origin } } : {}),
      ...(dependsOn.length ? { dependsOn } : {}),
      ...(properties ? { properties } : {}),
    };
  });
}

function ecosystemOf(distro: Distro | undefined): string {
  switch (distro?.id) {
    case "wolfi":
      return "Wolfi";
    case "chainguard":
      return "Chainguard";
    default:
      return "Alpine";
  }
}
