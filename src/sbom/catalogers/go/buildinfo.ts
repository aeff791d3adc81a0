import { type ElfFile, isElf, parseElf, readVirtual } from "./elf.js";

/**
 * Reading the build information the Go linker embeds in every binary (Go ≥ 1.13), as
 * `debug/buildinfo` does (https://pkg.go.dev/debug/buildinfo). The header is 32 bytes:
 * the 14-byte magic `\xff Go buildinf:`, the pointer size, a flags byte, then (Go ≥ 1.18, flag
 * 0x2) the Go version and the module info follow inline as uvarint-length-prefixed strings;
 * before 1.18 two pointers to Go string headers follow, which need the executable's segment
 * table to resolve (read here for ELF only).
 */
export type BuildInfoRead =
  | { readonly kind: "none" }
  | { readonly kind: "ok"; readonly goVersion: string; readonly modinfo: string; readonly offset: number }
  | { readonly kind: "error"; readonly message: string };

export const BUILDINFO_MAGIC = new Uint8Array([0xff, ...new TextEncoder().encode(" Go buildinf:")]);
const HEADER_SIZE = 32;
const FLAG_BIG_ENDIAN = 0x1;
const FLAG_INLINE = 0x2;
/** How many magic occurrences are tried before giving up (data can contain stray copies). */
const MAX_CANDIDATES = 32;
const MAX_STRING = 16 * 1024 * 1024;

export function readBuildInfo(data: Uint8Array): BuildInfoRead {
  const elf = isElf(data) ? parseElf(data) : undefined;
  const candidates: number[] = [];
  const section = elf?.sections.find((s) => s.name === ".go.buildinfo");
  if (section && section.offset + HEADER_SIZE <= data.length) candidates.push(section.offset);

  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let at = buf.indexOf(BUILDINFO_MAGIC); at >= 0 && candidates.length < MAX_CANDIDATES;) {
    if (!candidates.includes(at)) candidates.push(at);
    at = buf.indexOf(BUILDINFO_MAGIC, at + 1);
  }
  if (candidates.length === 0) return { kind: "none" };

  let firstError: string | undefined;
  for (const offset of candidates) {
    const r = readAt(data, offset, elf);
    if (r.kind === "ok") return r;
    if (r.kind === "error") firstError ??= r.message;
  }
  return { kind: "error", message: firstError ?? "unreadable build info" };
}

function readAt(data: Uint8Array, offset: number, elf: ElfFile | undefined): BuildInfoRead {
  if (!startsWithMagic(data, offset))
    return { kind: "error", message: "no build info magic at the .go.buildinfo section" };
  if (offset + HEADER_SIZE > data.length) return { kind: "error", message: "truncated build info header" };
  const ptrSize = data[offset + 14]!;
  const flags = data[offset + 15]!;
  if (ptrSize !== 4 && ptrSize !== 8)
    return { kind: "error", message: `implausible pointer size ${ptrSize}` };

  let goVersion: string | undefined;
  let rawModinfo: Uint8Array | undefined;
  if (flags & FLAG_INLINE) {
    let pos = offset + HEADER_SIZE;
    const version = readVarString(data, pos);
    if (!version) return { kind: "error", message: "truncated Go version string" };
    pos = version.next;
    const mod = readVarString(data, pos);
    if (!mod) return { kind: "error", message: "truncated module info string" };
    goVersion = decode(version.bytes);
    rawModinfo = mod.bytes;
  } else {
    if (!elf)
      return { kind: "error", message: "Go build info from before Go 1.18 is read from ELF binaries only" };
    const bigEndian = (flags & FLAG_BIG_ENDIAN) !== 0;
    const ptr = (bytes: Uint8Array | undefined, at: number): number | undefined =>
      readPointer(bytes, at, ptrSize, bigEndian);
    const header = data.subarray(offset, offset + HEADER_SIZE);
    const version = readGoString(elf, data, ptr(header, 16), ptrSize, ptr);
    const mod = readGoString(elf, data, ptr(header, 16 + ptrSize), ptrSize, ptr);
    if (version === undefined) return { kind: "error", message: "cannot resolve the Go version string" };
    goVersion = decode(version);
    rawModinfo = mod ?? new Uint8Array();
  }
  if (!/^(?:go\d|devel )/.test(goVersion))
    return { kind: "error", message: `implausible Go version ${JSON.stringify(goVersion.slice(0, 40))}` };
  return { kind: "ok", goVersion, modinfo: stripSentinels(rawModinfo), offset };
}

function startsWithMagic(data: Uint8Array, offset: number): boolean {
  if (offset < 0 || offset + BUILDINFO_MAGIC.length > data.length) return false;
  return BUILDINFO_MAGIC.every((b, i) => data[offset + i] === b);
}

/** A uvarint length then that many bytes (Go's `binary.Uvarint`). */
function readVarString(data: Uint8Array, pos: number): { bytes: Uint8Array; next: number } | undefined {
  let length = 0;
  let shift = 0;
  for (let i = 0; ; i++) {
    if (i >= 5 || pos >= data.length) return undefined; // lengths beyond 2^35 are not plausible
    const b = data[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  if (length > MAX_STRING || pos + length > data.length) return undefined;
  return { bytes: data.subarray(pos, pos + length), next: pos + length };
}

function readPointer(
  bytes: Uint8Array | undefined,
  at: number,
  size: number,
  bigEndian: boolean,
): number | undefined {
  if (!bytes || at + size > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  if (size === 4) return view.getUint32(0, !bigEndian);
  const v = view.getBigUint64(0, !bigEndian);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
}

/** A Go string header `{data pointer, length}` at `addr`, then its bytes. */
function readGoString(
  elf: ElfFile,
  data: Uint8Array,
  addr: number | undefined,
  ptrSize: number,
  ptr: (bytes: Uint8Array | undefined, at: number) => number | undefined,
): Uint8Array | undefined {
  if (addr === undefined) return undefined;
  const header = readVirtual(elf, data, addr, 2 * ptrSize);
  const dataAddr = ptr(header, 0);
  const length = ptr(header, ptrSize);
  if (dataAddr === undefined || length === undefined || length > MAX_STRING) return undefined;
  return readVirtual(elf, data, dataAddr, length);
}

/** cmd/go frames the module info with 16-byte sentinels; `debug/buildinfo` strips them so. */
function stripSentinels(mod: Uint8Array): string {
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) return decode(mod.subarray(16, mod.length - 16));
  return "";
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}
