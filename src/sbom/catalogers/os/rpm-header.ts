/**
 * Pure decoding of an RPM header blob as rpmdb stores it: the header structure of the RPM file
 * format without its 8-byte magic. Layout (all integers big-endian):
 *
 *   il: u32  number of index entries        dl: u32  size of the data store
 *   il × { tag: u32, type: u32, offset: u32, count: u32 }
 *   dl bytes of data; each entry's value starts at `offset` in the store
 *
 * Types: NULL 0, CHAR 1, INT8 2, INT16 3, INT32 4, INT64 5, STRING 6, BIN 7, STRING_ARRAY 8,
 * I18NSTRING 9. Strings are NUL-terminated. Installed headers begin with a region entry
 * (HEADERIMMUTABLE, tag 63) pointing at a trailer; we read entries by tag and need not follow it.
 */

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  LICENSE: 1014,
  VENDOR: 1011,
  ARCH: 1022,
  SOURCERPM: 1044,
  PROVIDENAME: 1047,
  REQUIREFLAGS: 1048,
  REQUIRENAME: 1049,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  SHA1HEADER: 269,
  SHA256HEADER: 273,
  PAYLOADDIGEST: 5092,
  PAYLOADDIGESTALGO: 5093,
} as const;

const TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** rpm's own sanity limits (lib/header.c): at most 0xffff entries and a 256 MiB store. */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

export class RpmHeaderError extends Error {}

interface IndexEntry {
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

/** A decoded header: typed access to tag values, each checked against the data store's bounds. */
export class RpmHeader {
  private constructor(
    private readonly entries: ReadonlyMap<number, IndexEntry>,
    private readonly data: Uint8Array,
    private readonly view: DataView,
  ) {}

  /** Validates the index and store sizes; throws {@link RpmHeaderError} on a malformed blob. */
  static parse(blob: Uint8Array): RpmHeader {
    if (blob.length < 8) throw new RpmHeaderError(`header blob too short (${blob.length} bytes)`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const il = view.getUint32(0);
    const dl = view.getUint32(4);
    if (il < 1 || il > MAX_ENTRIES) throw new RpmHeaderError(`implausible index entry count ${il}`);
    if (dl > MAX_DATA) throw new RpmHeaderError(`implausible data size ${dl}`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.length) {
      throw new RpmHeaderError(`header claims ${dataStart + dl} bytes but the blob has ${blob.length}`);
    }
    const entries = new Map<number, IndexEntry>();
    for (let i = 0; i < il; i++) {
      const at = 8 + i * 16;
      const tag = view.getUint32(at);
      const type = view.getUint32(at + 4);
      const offset = view.getUint32(at + 8);
      const count = view.getUint32(at + 12);
      if (type > TYPE.I18NSTRING) throw new RpmHeaderError(`tag ${tag}: unknown type ${type}`);
      if (offset > dl) throw new RpmHeaderError(`tag ${tag}: offset ${offset} outside the ${dl}-byte store`);
      // rpm rejects duplicate tags; keep the first so a later entry cannot shadow the region.
      if (!entries.has(tag)) entries.set(tag, { type, offset, count });
    }
    const data = blob.subarray(dataStart, dataStart + dl);
    return new RpmHeader(entries, data, new DataView(data.buffer, data.byteOffset, data.byteLength));
  }

  has(tag: number): boolean {
    return this.entries.has(tag);
  }

  /** A STRING (or the first of a STRING_ARRAY / I18NSTRING) value; undefined when absent. */
  string(tag: number): string | undefined {
    const e = this.entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE.STRING && e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING) {
      throw new RpmHeaderError(`tag ${tag}: expected a string, found type ${e.type}`);
    }
    return this.readStrings(tag, e.offset, Math.min(e.count, 1))[0];
  }

  /** A STRING_ARRAY (or single STRING) value; empty when absent. */
  strings(tag: number): string[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    if (e.type === TYPE.STRING) return this.readStrings(tag, e.offset, 1);
    if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18NSTRING) {
      throw new RpmHeaderError(`tag ${tag}: expected a string array, found type ${e.type}`);
    }
    return this.readStrings(tag, e.offset, e.count);
  }

  /** An INT8/16/32 array value (unsigned); empty when absent. */
  ints(tag: number): number[] {
    const e = this.entries.get(tag);
    if (!e) return [];
    const size =
      e.type === TYPE.INT32
        ? 4
        : e.type === TYPE.INT16
          ? 2
          : e.type === TYPE.INT8 || e.type === TYPE.CHAR
            ? 1
            : 0;
    if (size === 0) throw new RpmHeaderError(`tag ${tag}: expected an integer, found type ${e.type}`);
    if (e.offset + e.count * size > this.data.length) {
      throw new RpmHeaderError(`tag ${tag}: ${e.count} values at ${e.offset} overrun the store`);
    }
    const out: number[] = [];
    for (let i = 0; i < e.count; i++) {
      const at = e.offset + i * size;
      out.push(
        size === 4 ? this.view.getUint32(at) : size === 2 ? this.view.getUint16(at) : this.view.getUint8(at),
      );
    }
    return out;
  }

  private readStrings(tag: number, offset: number, count: number): string[] {
    if (count > this.data.length)
      throw new RpmHeaderError(`tag ${tag}: ${count} strings cannot fit the store`);
    const out: string[] = [];
    let at = offset;
    const decoder = new TextDecoder("utf-8");
    for (let i = 0; i < count; i++) {
      const end = this.data.indexOf(0, at);
      if (end < 0) throw new RpmHeaderError(`tag ${tag}: unterminated string at ${at}`);
      out.push(decoder.decode(this.data.subarray(at, end)));
      at = end + 1;
    }
    return out;
  }
}
