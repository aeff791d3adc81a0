/**
 * Reading OSV records from what `bulwark db import` is given: the per-ecosystem `all.zip` exports
 * OSV publishes (read entry by entry through the central directory, never unpacked whole into memory), a directory of OSV
 * JSON files (recursively), or single files holding one record, an array of records or an OSV API
 * answer (`{"vulns": [...]}`). Each record is checked against the parts of the OSV schema the
 * matcher relies on; a bad record is an error naming the file (and zip entry) and the JSON path.
 */
import {
  closeSync,
  type Dirent,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from "node:fs";
import { join, relative } from "node:path";
import { inflateRawSync } from "node:zlib";
import { BulwarkError } from "../../core/index.js";
import type { OsvRecord } from "../match.js";

/** One record and where it came from (`file` or `file!entry`). */
export interface SourcedRecord {
  readonly record: OsvRecord;
  readonly where: string;
}

export type InputKind = "zip" | "directory" | "file";

export function inputKind(path: string): InputKind {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      {
        cause: e,
      },
    );
  }
  if (st.isDirectory()) return "directory";
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    // The local-header magic, or the name for archives with bytes before the first entry.
    return head.readUInt32LE(0) === 0x04034b50 || /\.zip$/i.test(path) ? "zip" : "file";
  } finally {
    closeSync(fd);
  }
}

/** Every record of one input, in a stable order (zip entry order, sorted directory walk). */
export async function* readOsvInput(path: string): AsyncGenerator<SourcedRecord> {
  const kind = inputKind(path);
  if (kind === "directory") {
    for (const file of walkJson(path)) yield* parseFile(readText(file), `${path}/${relative(path, file)}`);
  } else if (kind === "zip") {
    yield* readZip(path);
  } else {
    yield* parseFile(readText(path), path);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new BulwarkError(
      "FILE_NOT_FOUND",
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      {
        cause: e,
      },
    );
  }
}

function walkJson(dir: string): string[] {
  const out: string[] = [];
  const entries: Dirent[] = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkJson(full));
    else if (e.isFile() && e.name.endsWith(".json")) out.push(full);
  }
  return out;
}

function* parseFile(text: string, where: string): Generator<SourcedRecord> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BulwarkError("INPUT_INVALID", `${where} is not valid JSON: ${(e as Error).message}`, {
      location: { file: where },
      cause: e,
    });
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield { record: checkOsvRecord(value[i], where, `[${i}]`), where };
  } else if (
    value &&
    typeof value === "object" &&
    !("id" in value) &&
    Array.isArray((value as { vulns?: unknown }).vulns)
  ) {
    const vulns = (value as { vulns: unknown[] }).vulns;
    for (let i = 0; i < vulns.length; i++)
      yield { record: checkOsvRecord(vulns[i], where, `vulns[${i}]`), where };
  } else {
    yield { record: checkOsvRecord(value, where, ""), where };
  }
}

/**
 * A zip's `.json` entries, read through the central directory (so entries written with data
 * descriptors, ZIP64 archives and archives with leading junk all work) one at a time: only one
 * entry is in memory at once. Stored and deflated entries are supported.
 */
async function* readZip(path: string): AsyncGenerator<SourcedRecord> {
  const fd = openSync(path, "r");
  try {
    const entries = zipDirectory(path, fd);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let n = 0;
    for (const e of entries) {
      if (!e.name.endsWith(".json") || e.name.endsWith("/")) continue;
      const where = `${path}!${e.name}`;
      const fail = (message: string, cause?: unknown): never => {
        throw new BulwarkError("INPUT_INVALID", `${where}: ${message}`, {
          location: { file: where },
          ...(cause ? { cause } : {}),
        });
      };
      const local = Buffer.alloc(30);
      if (readSync(fd, local, 0, 30, e.offset) !== 30 || local.readUInt32LE(0) !== 0x04034b50)
        fail("local header missing (truncated or corrupt archive)");
      const dataStart = e.offset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const packed = Buffer.alloc(e.compressedSize);
      if (readSync(fd, packed, 0, e.compressedSize, dataStart) !== e.compressedSize)
        fail("entry data truncated");
      let data: Buffer;
      if (e.method === 0) data = packed;
      else if (e.method === 8) {
        try {
          data = inflateRawSync(packed, { maxOutputLength: Math.max(e.size, 1) });
        } catch (err) {
          return fail(`cannot inflate: ${(err as Error).message}`, err);
        }
      } else return fail(`unsupported compression method ${e.method}`);
      if (data.length !== e.size) fail(`inflated to ${data.length} bytes, the directory says ${e.size}`);
      let text: string;
      try {
        text = decoder.decode(data);
      } catch (err) {
        return fail("not UTF-8", err);
      }
      yield* parseFile(text, where);
      // Let other work (progress output, signals) run during long imports.
      if (++n % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    closeSync(fd);
  }
}

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
}

/** The central directory's entries (EOCD found by scanning the tail; ZIP64 records honoured). */
function zipDirectory(path: string, fd: number): ZipEntry[] {
  const bad = (message: string): never => {
    throw new BulwarkError("INPUT_INVALID", `${path}: ${message}`, { location: { file: path } });
  };
  const size = fstatSync(fd).size;
  const len = Math.min(size, 22 + 0xffff);
  const tail = Buffer.alloc(len);
  readSync(fd, tail, 0, len, size - len);
  let eocd = -1;
  for (let i = len - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return bad("not a complete zip archive (no end-of-central-directory record)");
  let count = tail.readUInt16LE(eocd + 10);
  let dirSize = tail.readUInt32LE(eocd + 12);
  let dirOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== 0x07064b50) return bad("ZIP64 locator missing");
    const rec = Buffer.alloc(56);
    readSync(fd, rec, 0, 56, Number(tail.readBigUInt64LE(locator + 8)));
    if (rec.readUInt32LE(0) !== 0x06064b50) return bad("ZIP64 end-of-central-directory record missing");
    count = Number(rec.readBigUInt64LE(32));
    dirSize = Number(rec.readBigUInt64LE(40));
    dirOffset = Number(rec.readBigUInt64LE(48));
  }
  // Archives with data prepended (self-extracting) shift every offset by the same amount.
  const shift = size - len + eocd - (dirOffset + dirSize);
  if (shift < 0) return bad("central directory points past the end of the file (truncated archive)");
  const dir = Buffer.alloc(dirSize);
  if (readSync(fd, dir, 0, dirSize, dirOffset + shift) !== dirSize) return bad("central directory truncated");
  const entries: ZipEntry[] = [];
  let p = 0;
  // Walk the whole directory: writers without ZIP64 support let the 16-bit count wrap past 65,535.
  for (let i = 0; p < dir.length; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== 0x02014b50)
      return bad(`central directory entry ${i} is corrupt`);
    const method = dir.readUInt16LE(p + 10);
    let compressedSize = dir.readUInt32LE(p + 20);
    let usize = dir.readUInt32LE(p + 24);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let offset = dir.readUInt32LE(p + 42);
    const name = dir.toString("utf8", p + 46, p + 46 + nameLen);
    // ZIP64 extended information: the 64-bit values, in order, of the fields that overflowed.
    let x = p + 46 + nameLen;
    const extraEnd = x + extraLen;
    while (x + 4 <= extraEnd) {
      const id = dir.readUInt16LE(x);
      const sz = dir.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) {
          usize = Number(dir.readBigUInt64LE(q));
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = Number(dir.readBigUInt64LE(q));
          q += 8;
        }
        if (offset === 0xffffffff) offset = Number(dir.readBigUInt64LE(q));
      }
      x += 4 + sz;
    }
    entries.push({ name, method, compressedSize, size: usize, offset: offset + shift });
    p = extraEnd + commentLen;
  }
  if (entries.length % 0x10000 !== count % 0x10000)
    return bad(`the central directory holds ${entries.length} entries, its end record says ${count}`);
  return entries;
}

const EVENT_KINDS = new Set(["introduced", "fixed", "last_affected", "limit"]);
const RANGE_TYPES = new Set(["ECOSYSTEM", "SEMVER", "GIT"]);

/**
 * Checks the fields the index and matcher rely on (OSV schema 1.7): `id`, `modified`, optional
 * `withdrawn`, `aliases`, `severity`, and `affected[]` with `package`, `ranges[].type/events`
 * (each event exactly one of introduced/fixed/last_affected/limit) and `versions`. Other fields
 * are kept as they are.
 */
export function checkOsvRecord(value: unknown, file: string, base = ""): OsvRecord {
  const fail = (path: string, message: string): never => {
    const p = `${base}${path}`.replace(/^\./, "");
    throw new BulwarkError("INPUT_INVALID", `${file}${p ? ` at ${p}` : ""}: ${message}`, {
      location: { file, ...(p ? { path: p } : {}) },
    });
  };
  const isObj = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === "object" && !Array.isArray(v);
  const str = (v: unknown, path: string, what: string) => {
    if (typeof v !== "string" || v === "") fail(path, `${what} must be a non-empty string`);
  };
  const date = (v: unknown, path: string) => {
    str(v, path, "a timestamp");
    if (Number.isNaN(Date.parse(v as string))) fail(path, `not an RFC 3339 timestamp: ${JSON.stringify(v)}`);
  };
  const strings = (v: unknown, path: string) => {
    if (v === undefined || v === null) return;
    if (!Array.isArray(v)) fail(path, "must be an array of strings");
    (v as unknown[]).forEach((x, i) => str(x, `${path}[${i}]`, "each entry"));
  };
  if (!isObj(value)) return fail("", "an OSV record must be a JSON object");
  const r = value as Record<string, unknown>;
  str(r.id, ".id", "id");
  date(r.modified, ".modified");
  if (r.withdrawn !== undefined && r.withdrawn !== null) date(r.withdrawn, ".withdrawn");
  strings(r.aliases, ".aliases");
  if (r.severity !== undefined && r.severity !== null) {
    if (!Array.isArray(r.severity)) fail(".severity", "must be an array");
    (r.severity as unknown[]).forEach((s, i) => {
      if (!isObj(s)) fail(`.severity[${i}]`, "must be an object");
      str((s as Record<string, unknown>).type, `.severity[${i}].type`, "type");
      str((s as Record<string, unknown>).score, `.severity[${i}].score`, "score");
    });
  }
  if (r.affected !== undefined && r.affected !== null) {
    if (!Array.isArray(r.affected)) fail(".affected", "must be an array");
    (r.affected as unknown[]).forEach((a, i) => {
      const at = `.affected[${i}]`;
      if (!isObj(a)) fail(at, "must be an object");
      const aff = a as Record<string, unknown>;
      if (aff.package !== undefined) {
        if (!isObj(aff.package)) fail(`${at}.package`, "must be an object");
        const pkg = aff.package as Record<string, unknown>;
        str(pkg.ecosystem, `${at}.package.ecosystem`, "ecosystem");
        str(pkg.name, `${at}.package.name`, "name");
      }
      strings(aff.versions, `${at}.versions`);
      if (aff.ranges !== undefined) {
        if (!Array.isArray(aff.ranges)) fail(`${at}.ranges`, "must be an array");
        (aff.ranges as unknown[]).forEach((rg, j) => {
          const rat = `${at}.ranges[${j}]`;
          if (!isObj(rg)) fail(rat, "must be an object");
          const range = rg as Record<string, unknown>;
          if (!RANGE_TYPES.has(range.type as string))
            fail(`${rat}.type`, `must be ECOSYSTEM, SEMVER or GIT, got ${JSON.stringify(range.type)}`);
          if (!Array.isArray(range.events) || range.events.length === 0)
            fail(`${rat}.events`, "must be a non-empty array");
          (range.events as unknown[]).forEach((e, k) => {
            const keys = isObj(e) ? Object.keys(e) : [];
            if (keys.length !== 1 || !EVENT_KINDS.has(keys[0]!))
              fail(
                `${rat}.events[${k}]`,
                "each event must have exactly one of introduced, fixed, last_affected, limit",
              );
            str(
              (e as Record<string, unknown>)[keys[0]!],
              `${rat}.events[${k}].${keys[0]}`,
              "the event version",
            );
          });
        });
      }
    });
  }
  return value as unknown as OsvRecord;
}
