/**
 * Just enough ELF (https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html) to find the
 * `.go.buildinfo` section and to turn virtual addresses into file offsets through the `PT_LOAD`
 * segments. Every read is bounds-checked; malformed headers give `undefined`, never a throw.
 */

export interface ElfFile {
  readonly bigEndian: boolean;
  readonly ptrSize: 4 | 8;
  readonly sections: readonly { readonly name: string; readonly offset: number; readonly size: number }[];
  readonly loads: readonly { readonly offset: number; readonly vaddr: number; readonly filesz: number }[];
}

const PT_LOAD = 1;
const SHT_NOBITS = 8;
const MAX_HEADERS = 65_535;

export function isElf(data: Uint8Array): boolean {
  return data.length >= 16 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

export function parseElf(data: Uint8Array): ElfFile | undefined {
  if (!isElf(data) || data.length < 52) return undefined;
  const cls = data[4];
  const enc = data[5];
  if ((cls !== 1 && cls !== 2) || (enc !== 1 && enc !== 2)) return undefined;
  const is64 = cls === 2;
  const le = enc === 1;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const u16 = (o: number) => (o + 2 <= data.length ? view.getUint16(o, le) : undefined);
  const u32 = (o: number) => (o + 4 <= data.length ? view.getUint32(o, le) : undefined);
  const word = (o: number): number | undefined => {
    if (!is64) return u32(o);
    if (o + 8 > data.length) return undefined;
    const v = view.getBigUint64(o, le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v);
  };

  const phoff = word(is64 ? 0x20 : 0x1c);
  const shoff = word(is64 ? 0x28 : 0x20);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if ([phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx].some((v) => v === undefined))
    return undefined;

  const loads: { offset: number; vaddr: number; filesz: number }[] = [];
  for (let i = 0; i < Math.min(phnum!, MAX_HEADERS); i++) {
    const at = phoff! + i * phentsize!;
    if (u32(at) !== PT_LOAD) continue;
    const offset = word(at + (is64 ? 8 : 4));
    const vaddr = word(at + (is64 ? 16 : 8));
    const filesz = word(at + (is64 ? 32 : 16));
    if (offset === undefined || vaddr === undefined || filesz === undefined) continue;
    loads.push({ offset, vaddr, filesz });
  }

  const raw: { nameOff: number; type: number; offset: number; size: number }[] = [];
  for (let i = 0; i < Math.min(shnum!, MAX_HEADERS) && shoff! > 0; i++) {
    const at = shoff! + i * shentsize!;
    const nameOff = u32(at);
    const type = u32(at + 4);
    const offset = word(at + (is64 ? 0x18 : 0x10));
    const size = word(at + (is64 ? 0x20 : 0x14));
    if (nameOff === undefined || type === undefined || offset === undefined || size === undefined) break;
    raw.push({ nameOff, type, offset, size });
  }
  const strtab = raw[shstrndx!];
  const sections = raw
    .filter((s) => s.type !== SHT_NOBITS)
    .map((s) => ({
      name: strtab ? cString(data, strtab.offset + s.nameOff, strtab.offset + strtab.size) : "",
      offset: s.offset,
      size: s.size,
    }));
  return { bigEndian: !le, ptrSize: is64 ? 8 : 4, sections, loads };
}

/** The bytes at a virtual address, as `debug/elf`'s ReadData finds them (within one segment). */
export function readVirtual(
  elf: ElfFile,
  data: Uint8Array,
  addr: number,
  length: number,
): Uint8Array | undefined {
  for (const seg of elf.loads) {
    if (addr < seg.vaddr || addr >= seg.vaddr + seg.filesz) continue;
    const start = seg.offset + (addr - seg.vaddr);
    const end = start + length;
    if (addr + length > seg.vaddr + seg.filesz || end > data.length) return undefined;
    return data.subarray(start, end);
  }
  return undefined;
}

function cString(data: Uint8Array, start: number, limit: number): string {
  let end = start;
  const stop = Math.min(limit, data.length);
  while (end < stop && data[end] !== 0) end++;
  return start < stop ? new TextDecoder().decode(data.subarray(start, end)) : "";
}
