import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BulwarkError } from "../../core/index.js";
import {
  concat,
  padded,
  rawHeader,
  tarOf,
  type TarEntry,
} from "../../../test/fixtures/sbom/image/build-image.js";
import { type TarHeader, TarParser } from "./tar.js";

interface Parsed {
  header: TarHeader;
  data?: Uint8Array;
}

/** Parses `bytes` fed in chunks of the given sizes (cycled), keeping every file's data. */
function parse(bytes: Uint8Array, chunkSizes: readonly number[] = [bytes.length || 1]): Parsed[] {
  const out: Parsed[] = [];
  const parser = new TarParser({
    entry(header) {
      const p: Parsed = { header };
      out.push(p);
      if (header.type !== "file") return undefined;
      p.data = new Uint8Array(header.size);
      return p.data;
    },
  });
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = Math.max(1, chunkSizes[k++ % chunkSizes.length]!);
    parser.push(bytes.subarray(i, i + n));
    i += n;
  }
  parser.end();
  return out;
}

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe("TarParser", () => {
  it("reads files, directories, symlinks and hardlinks written by tar-stream", async () => {
    const bytes = await tarOf([
      { path: "etc/", type: "directory" },
      { path: "etc/os-release", content: "ID=debian\n", mode: 0o644 },
      { path: "usr/bin/tool", content: "#!/bin/sh\n", mode: 0o755 },
      { path: "etc/link", type: "symlink", linkname: "../usr/lib/os-release" },
      { path: "etc/hard", type: "link", linkname: "etc/os-release" },
    ]);
    const entries = parse(bytes);
    expect(entries.map((e) => [e.header.name, e.header.type])).toEqual([
      ["etc/", "directory"],
      ["etc/os-release", "file"],
      ["usr/bin/tool", "file"],
      ["etc/link", "symlink"],
      ["etc/hard", "hardlink"],
    ]);
    expect(text(entries[1]!.data)).toBe("ID=debian\n");
    expect(entries[2]!.header.mode).toBe(0o755);
    expect(entries[3]!.header.linkname).toBe("../usr/lib/os-release");
    expect(entries[4]!.header.linkname).toBe("etc/os-release");
  });

  it("gives the same result whatever the chunking (1-byte chunks included)", async () => {
    const bytes = await tarOf([
      { path: "a", content: "x".repeat(700) },
      { path: "b".repeat(150), content: "long name via pax" },
      { path: "c", content: "" },
    ]);
    const whole = parse(bytes);
    for (const sizes of [[1], [7, 511, 513], [512], [1000, 3]]) {
      const chunked = parse(bytes, sizes);
      expect(chunked.map((e) => [e.header.name, text(e.data)])).toEqual(
        whole.map((e) => [e.header.name, text(e.data)]),
      );
    }
    expect(whole[1]!.header.name).toBe("b".repeat(150));
  });

  it("reads GNU long names, ustar prefixes and base-256 sizes", () => {
    const long = `${"d".repeat(120)}/file.txt`;
    const bytes = concat(
      rawHeader({ name: "././@LongLink", typeflag: "L", size: long.length + 1, gnu: true }),
      padded(`${long}\0`),
      rawHeader({ name: long.slice(0, 100), size: 3, gnu: true }),
      padded("abc"),
      rawHeader({ name: "name.txt", prefix: "some/prefix", size: 2 }),
      padded("hi"),
      rawHeader({ name: "big", size: 5, base256Size: true }),
      padded("12345"),
      new Uint8Array(1024),
    );
    const entries = parse(bytes);
    expect(entries.map((e) => [e.header.name, text(e.data)])).toEqual([
      [long, "abc"],
      ["some/prefix/name.txt", "hi"],
      ["big", "12345"],
    ]);
  });

  it("ignores the size field of header-only entries, as Go's reader does", () => {
    const bytes = concat(
      rawHeader({ name: "link", typeflag: "2", linkname: "target", size: 1024 }),
      rawHeader({ name: "f", size: 1 }),
      padded("z"),
    );
    expect(parse(bytes).map((e) => [e.header.name, e.header.size])).toEqual([
      ["link", 0],
      ["f", 1],
    ]);
  });

  it("accepts a last entry without padding or end marker (umoci writes those)", () => {
    const bytes = concat(rawHeader({ name: "hello.txt", size: 6 }), new TextEncoder().encode("hello\n"));
    expect(parse(bytes).map((e) => text(e.data))).toEqual(["hello\n"]);
  });

  it("ignores whatever follows the end-of-archive marker", () => {
    const bytes = concat(
      rawHeader({ name: "a", size: 1 }),
      padded("a"),
      new Uint8Array(1024),
      new Uint8Array(512).fill(0x41),
    );
    expect(parse(bytes)).toHaveLength(1);
  });

  it.each([
    [
      "a bad checksum",
      () => {
        const h = rawHeader({ name: "x" });
        h[0] = 0x79;
        return h;
      },
      /bad checksum/,
    ],
    [
      "a truncated entry",
      () => concat(rawHeader({ name: "x", size: 1000 }), new Uint8Array(100)),
      /truncated/,
    ],
    ["a truncated header", () => rawHeader({ name: "x" }).subarray(0, 300), /truncated/],
    [
      "a malformed pax header",
      () => concat(rawHeader({ name: "pax", typeflag: "x", size: 10 }), padded("zz path=a\n")),
      /pax/,
    ],
  ])("rejects %s with INPUT_INVALID", (_name, make, message) => {
    const error = (() => {
      try {
        parse(make());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BulwarkError);
    expect((error as BulwarkError).code).toBe("INPUT_INVALID");
    expect((error as BulwarkError).message).toMatch(message);
  });

  it("refuses oversized extended headers with INPUT_TOO_LARGE", () => {
    const bytes = rawHeader({ name: "pax", typeflag: "x", size: 2 * 1024 * 1024 });
    expect(() => parse(bytes)).toThrow(expect.objectContaining({ code: "INPUT_TOO_LARGE" }));
  });

  it("reads back every archive tar-stream writes, however it is chunked (property)", async () => {
    const name = fc
      .array(fc.stringMatching(/^[a-zA-Z0-9._\- é日]{1,40}$/), { minLength: 1, maxLength: 5 })
      .map((segs) => segs.join("/"));
    const entry: fc.Arbitrary<TarEntry> = fc.oneof(
      fc.record({ path: name, content: fc.uint8Array({ maxLength: 2000 }).map((b) => b as Uint8Array) }),
      fc.record({ path: name, type: fc.constant("symlink" as const), linkname: name }),
      fc.record({ path: name, type: fc.constant("directory" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 4 }),
        async (entries, sizes) => {
          const parsed = parse(await tarOf(entries), sizes);
          expect(parsed.map((p) => p.header.name.replace(/\/$/, ""))).toEqual(entries.map((e) => e.path));
          entries.forEach((e, i) => {
            if (e.content !== undefined)
              expect(Buffer.from(parsed[i]!.data!).equals(Buffer.from(e.content))).toBe(true);
            if (e.linkname !== undefined) expect(parsed[i]!.header.linkname).toBe(e.linkname);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("never throws anything but a BulwarkError on random or damaged input (property)", async () => {
    const valid = await tarOf([
      { path: "etc/os-release", content: "ID=x\n" },
      { path: "l", type: "symlink", linkname: "etc/os-release" },
      { path: "p".repeat(130), content: "pax" },
    ]);
    const damaged = fc
      .array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      })
      .map((edits) => {
        const b = valid.slice();
        for (const [at, v] of edits) b[at] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4096 }), damaged), (bytes) => {
        try {
          parse(bytes, [97]);
        } catch (e) {
          expect(e).toBeInstanceOf(BulwarkError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
