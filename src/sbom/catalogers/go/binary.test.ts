import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult, FoundPackage } from "../../model.js";
import {
  catalogAll,
  contextFor,
  fixtureDir,
  fixtureSource,
  memorySource,
} from "../../../../test/support/file-source.js";
import { catalogGoBinary, goBinaryCataloger, isCandidatePath, stdlibVersion } from "./binary.js";
import { BUILDINFO_MAGIC, readBuildInfo } from "./buildinfo.js";

const GO_DIR = fixtureDir("go");
const binary = (name: string): Uint8Array => new Uint8Array(readFileSync(`${GO_DIR}/bin/${name}`));
const entryFor = (name: string, data: Uint8Array) => ({
  path: `bin/${name}`,
  size: data.length,
  executable: true,
});
const catalog = (name: string): CatalogResult => {
  const data = binary(name);
  return catalogGoBinary(data, entryFor(name, data));
};
const ids = (ps: readonly FoundPackage[]) => ps.map((p) => `${p.name}@${p.version}`);

/** Ground truth: what `go version -m` printed for the fixture when it was built (see build.sh). */
function goVersionM(name: string) {
  const text = readFileSync(`${GO_DIR}/bin/${name}.go-version-m.txt`, "utf8");
  const [first, ...lines] = text.split("\n");
  const goVersion = first!.split(": ")[1]!;
  const rows = lines.filter((l) => l.startsWith("\t")).map((l) => l.slice(1).split("\t"));
  const main = rows.find((r) => r[0] === "mod")!;
  const deps: string[] = [];
  rows.forEach((r, i) => {
    if (r[0] !== "dep") return;
    const next = rows[i + 1];
    // A replacement by a module is the module built in; by a directory, the required one stays.
    if (next?.[0] === "=>" && next[2] !== "(devel)") deps.push(`${next[1]}@${next[2]}`);
    else deps.push(`${r[1]}@${r[2]}`);
  });
  const build = rows.filter((r) => r[0] === "build").map((r) => r[1]!);
  return {
    goVersion,
    main: `${main[1]}@${main[2]}`,
    deps,
    build,
    path: rows.find((r) => r[0] === "path")![1],
  };
}

describe("go/binary", () => {
  it("applies to plausible executables by path, then mode and size", () => {
    const big = 2 * 1024 * 1024;
    expect(goBinaryCataloger.applies({ path: "usr/local/bin/app", size: big, executable: true })).toBe(true);
    expect(goBinaryCataloger.applies({ path: "manager", size: big, executable: true })).toBe(true);
    expect(goBinaryCataloger.applies({ path: "usr/local/bin/app", size: big, executable: false })).toBe(
      false,
    );
    expect(goBinaryCataloger.applies({ path: "usr/local/bin/app", size: 50_000, executable: true })).toBe(
      false,
    );
    for (const p of [
      "usr/lib/x86_64-linux-gnu/libc.so.6",
      "usr/share/doc/app",
      "opt/app/run.sh",
      "lib/libfoo.so",
    ])
      expect(isCandidatePath(p), p).toBe(false);
    expect(isCandidatePath("app/server.exe")).toBe(true);
    expect(goBinaryCataloger.targets).toEqual(["rootfs", "image"]);
  });

  it("never looks at size or mode for a path it rejects (sources stat lazily)", () => {
    const probe = {
      path: "usr/share/doc/readme",
      get size(): number {
        throw new Error("size read");
      },
      get executable(): boolean {
        throw new Error("mode read");
      },
    };
    expect(goBinaryCataloger.applies(probe)).toBe(false);
  });

  for (const name of ["app", "hello"]) {
    it(`${name}: main module, deps and toolchain equal \`go version -m\``, () => {
      const truth = goVersionM(name);
      const r = catalog(name);
      expect(r.issues).toBeUndefined();
      const [main, ...rest] = r.packages;
      expect(`${main!.name}@${main!.version}`).toBe(truth.main);
      expect(main!.type).toBe("application");
      expect(main!.purl).toBe(`pkg:golang/${truth.main.split("@")[0]}`); // (devel) is not a version
      expect(main!.properties!["go:devel"]).toBe("true");
      expect(main!.properties!["go:toolchain"]).toBe(truth.goVersion);
      expect(main!.properties!["go:path"]).toBe(truth.path);
      const settings = Object.entries(main!.properties!)
        .filter(([k]) => k.startsWith("go:build:"))
        .map(([k, v]) => `${k.slice("go:build:".length)}=${v}`);
      expect(settings).toEqual(truth.build);
      const stdlib = rest.find((p) => p.name === "stdlib")!;
      expect(`go${stdlib.version}`).toBe(truth.goVersion);
      expect(stdlib.purl).toBe(`pkg:golang/stdlib@${truth.goVersion.slice(2)}`);
      expect(ids(rest.filter((p) => p !== stdlib))).toEqual(truth.deps);
      expect(main!.dependsOn).toEqual([...rest.filter((p) => p !== stdlib).map((p) => p.ref), "stdlib"]);
    });
  }

  it("app: replacements, sums and purls", () => {
    const byName = new Map(catalog("app").packages.map((p) => [p.name, p]));
    expect(byName.get("example.com/colour")).toMatchObject({
      version: "v0.3.0",
      purl: "pkg:golang/example.com/colour@v0.3.0",
      ecosystem: "Go",
      type: "library",
      locations: [{ path: "bin/app" }],
      properties: {
        "go:replaces": "example.com/color@v0.2.0",
        "go:h1": "h1:4UYOuNYAyxN5/gqmgCHnhG0lndIz9D+V2ktF596KikI=",
      },
    });
    expect(byName.get("example.com/local")!.properties).toEqual({ "go:replace-path": "../local" });
    expect(byName.get("example.com/greet")!.properties).toEqual({
      "go:h1": "h1:jrv+dPWWVXClmpte/ziWEQ+4bkPB8Iakw5Mb0fOgZEQ=",
    });
    expect(byName.get("example.com/greet")!.hashes).toBeUndefined(); // h1 is not a file hash
  });

  it("catalogs the fixture tree as a root filesystem: the two binaries, nothing else", async () => {
    const results = await catalogAll(goBinaryCataloger, fixtureSource(GO_DIR, "rootfs"));
    expect(results.map((r) => r.path)).toEqual(["bin/app", "bin/hello"]);
  });

  it("finds build info without ELF sections (other formats are scanned for the magic)", () => {
    const data = binary("hello").slice();
    data.set([0, 0, 0, 0], 0); // no longer ELF
    const r = catalogGoBinary(data, entryFor("hello", data));
    expect(ids(r.packages)).toEqual(["example.com/hello@(devel)", "stdlib@1.19.8"]);
  });

  it("prefers the .go.buildinfo section to a stray magic earlier in the file", () => {
    const data = binary("hello").slice();
    const stray = new Uint8Array(32);
    stray.set(BUILDINFO_MAGIC);
    stray[14] = 8;
    stray[15] = 2; // inline strings follow: here garbage
    data.set(stray, 4096);
    const r = readBuildInfo(data);
    expect(r.kind).toBe("ok");
    expect(r.kind === "ok" && r.goVersion).toBe("go1.19.8");
  });

  it("reads the pointer-based build info of Go < 1.18 from ELF", () => {
    const mod =
      "path\texample.com/old/cmd/old\nmod\texample.com/old\tv1.4.0\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" +
      "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n";
    const data = oldFormatElf("go1.17.13", mod);
    const r = catalogGoBinary(data, { path: "usr/bin/old", size: data.length });
    expect(r.issues).toBeUndefined();
    expect(ids(r.packages)).toEqual(["example.com/old@v1.4.0", "golang.org/x/text@v0.3.7", "stdlib@1.17.13"]);
    expect(r.packages[0]!.purl).toBe("pkg:golang/example.com/old@v1.4.0");
    expect(r.packages[0]!.properties!["go:devel"]).toBeUndefined();
    expect(r.packages[0]!.properties!["go:path"]).toBe("example.com/old/cmd/old");
  });

  it("reports build info it cannot read, and ignores files without any", () => {
    const hello = binary("hello");
    const at = Buffer.from(hello).indexOf(Buffer.from(BUILDINFO_MAGIC));
    const truncated = hello.slice(0, at + 32 + 1 + "go1.19.8".length + 3); // into the module info
    truncated.set([0, 0, 0, 0], 0);
    const r = catalogGoBinary(truncated, entryFor("hello", truncated));
    expect(r.packages).toEqual([]);
    expect(r.issues!.map((i) => i.message)).toEqual(["Go build info: truncated module info string"]);
    expect(r.issues![0]!.location).toEqual({ file: "bin/hello" });

    // A .go.buildinfo section without the magic is a damaged Go binary: reported.
    const noMagic = hello.slice();
    noMagic.set(new Uint8Array(14), at);
    expect(catalogGoBinary(noMagic, entryFor("hello", noMagic)).issues![0]!.message).toBe(
      "Go build info: no build info magic at the .go.buildinfo section",
    );
    // Without the section and the magic it is just another executable: nothing, silently.
    noMagic.set([0, 0, 0, 0], 0);
    expect(catalogGoBinary(noMagic, entryFor("hello", noMagic))).toEqual({ packages: [] });

    const oldNonElf = new Uint8Array(64);
    oldNonElf.set(BUILDINFO_MAGIC);
    oldNonElf[14] = 8;
    expect(catalogGoBinary(oldNonElf, entryFor("x", oldNonElf)).issues![0]!.message).toMatch(
      /before Go 1.18/,
    );
  });

  it("reports a file the source cannot read", async () => {
    const r = await goBinaryCataloger.catalog(
      { path: "bin/gone", size: 1 << 20, executable: true },
      contextFor(memorySource({})),
    );
    expect(r.issues![0]!.message).toMatch(/^cannot read/);
  });

  it("maps Go versions to stdlib versions", () => {
    expect(stdlibVersion("go1.22.4")).toBe("1.22.4");
    expect(stdlibVersion("go1.21rc2")).toBe("1.21rc2");
    expect(stdlibVersion("go1.20.1 X:boringcrypto")).toBe("1.20.1");
    expect(stdlibVersion("devel go1.23-abcdef Tue Jan 2")).toBeUndefined();
  });

  it("never throws on random bytes, with or without a build info header in them", () => {
    const header = (inline: boolean) => {
      const h = new Uint8Array(32);
      h.set(BUILDINFO_MAGIC);
      h[14] = 8;
      h[15] = inline ? 2 : 0;
      return h;
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(2048),
        fc.boolean(),
        fc.boolean(),
        (bytes, at, inline, elfMagic) => {
          const data = new Uint8Array(bytes.length + 32);
          data.set(bytes);
          if (elfMagic && data.length >= 4) data.set([0x7f, 0x45, 0x4c, 0x46], 0);
          data.set(header(inline), Math.min(at, bytes.length));
          catalogGoBinary(data, { path: "x", size: data.length });
          catalogGoBinary(bytes, { path: "x", size: bytes.length });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws on a real binary with random bytes overwritten", () => {
    const hello = binary("hello");
    const at = Buffer.from(hello).indexOf(Buffer.from(BUILDINFO_MAGIC));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.integer({ min: -64, max: 512 }),
        (junk, shift) => {
          const data = hello.slice();
          data.set(junk, Math.max(0, at + shift));
          catalogGoBinary(data, { path: "x", size: data.length });
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * A minimal 64-bit little-endian ELF holding Go < 1.18 build info: one PT_LOAD segment maps the
 * file at 0x400000; the header's two pointers lead to Go string headers, which lead to the bytes.
 */
function oldFormatElf(goVersion: string, modinfo: string): Uint8Array {
  const base = 0x400000;
  const enc = new TextEncoder();
  const sentinelStart = new Uint8Array([
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
  ]);
  const sentinelEnd = new Uint8Array([
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
  ]);
  const mod = new Uint8Array([...sentinelStart, ...enc.encode(modinfo), ...sentinelEnd]);
  const version = enc.encode(goVersion);
  const buf = new Uint8Array(0x2000);
  const dv = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, 62, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(0x20, 64n, true); // e_phoff
  dv.setUint16(0x36, 56, true); // e_phentsize
  dv.setUint16(0x38, 1, true); // e_phnum
  dv.setUint16(0x3a, 64, true); // e_shentsize (no sections)
  dv.setUint32(64, 1, true); // PT_LOAD
  dv.setBigUint64(72, 0n, true); // p_offset
  dv.setBigUint64(80, BigInt(base), true); // p_vaddr
  dv.setBigUint64(96, BigInt(buf.length), true); // p_filesz
  dv.setBigUint64(104, BigInt(buf.length), true); // p_memsz
  buf.set(BUILDINFO_MAGIC, 0x200);
  buf[0x200 + 14] = 8;
  buf[0x200 + 15] = 0;
  dv.setBigUint64(0x210, BigInt(base + 0x300), true);
  dv.setBigUint64(0x218, BigInt(base + 0x310), true);
  dv.setBigUint64(0x300, BigInt(base + 0x400), true);
  dv.setBigUint64(0x308, BigInt(version.length), true);
  dv.setBigUint64(0x310, BigInt(base + 0x500), true);
  dv.setBigUint64(0x318, BigInt(mod.length), true);
  buf.set(version, 0x400);
  buf.set(mod, 0x500);
  return buf;
}
