import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import initSqlJs from "sql.js";
import { describe, expect, it } from "vitest";
import type { CatalogResult, Distro, FoundPackage } from "../../model.js";
import { rpmCataloger } from "./index.js";
import { RpmHeader, RPMTAG } from "./rpm-header.js";
import { parseSourceRpm } from "./rpm.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURE_PATH = new URL("../../../../test/fixtures/sbom/os/rpm/rpmdb.sqlite", import.meta.url).pathname;
const FIXTURE = new Uint8Array(readFileSync(FIXTURE_PATH));
const DB = "var/lib/rpm/rpmdb.sqlite";
const ROCKY: Distro = { id: "rocky", versionId: "9.4", idLike: ["rhel", "centos", "fedora"] };

function run(bytes: Uint8Array, distro: Distro | null = ROCKY, path = DB): Promise<CatalogResult> {
  const source = memorySource({ [path]: bytes }, "image");
  return rpmCataloger.catalog({ path, size: bytes.length }, contextFor(source, distro ?? undefined));
}

function deps(pkgs: readonly FoundPackage[], name: string): string[] {
  const names = new Map(pkgs.map((p) => [p.ref, p.name]));
  return (pkgs.find((p) => p.name === name)?.dependsOn ?? []).map((r) => names.get(r)!).sort();
}

// ---- a header encoder for synthetic packages (the inverse of RpmHeader.parse) ----

type Entry =
  | { tag: number; type: "int32"; value: readonly number[] }
  | { tag: number; type: "string"; value: string }
  | { tag: number; type: "strings"; value: readonly string[] };

function encodeHeader(entries: readonly Entry[]): Uint8Array {
  const data: number[] = [];
  const index: number[][] = [];
  const utf8 = (s: string): number[] => [...new TextEncoder().encode(s), 0];
  for (const e of entries) {
    if (e.type === "int32") while (data.length % 4) data.push(0);
    const offset = data.length;
    switch (e.type) {
      case "int32":
        for (const v of e.value) data.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
        index.push([e.tag, 4, offset, e.value.length]);
        break;
      case "string":
        data.push(...utf8(e.value));
        index.push([e.tag, 6, offset, 1]);
        break;
      case "strings":
        for (const s of e.value) data.push(...utf8(s));
        index.push([e.tag, 8, offset, e.value.length]);
        break;
    }
  }
  const out = new Uint8Array(8 + index.length * 16 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, index.length);
  view.setUint32(4, data.length);
  index.forEach((row, i) => row.forEach((v, j) => view.setUint32(8 + i * 16 + j * 4, v)));
  out.set(data, 8 + index.length * 16);
  return out;
}

function pkgHeader(name: string, version: string, extra: Entry[] = [], arch = "x86_64"): Uint8Array {
  return encodeHeader([
    { tag: RPMTAG.NAME, type: "string", value: name },
    { tag: RPMTAG.VERSION, type: "string", value: version },
    { tag: RPMTAG.RELEASE, type: "string", value: "1.el9" },
    { tag: RPMTAG.ARCH, type: "string", value: arch },
    ...extra,
  ]);
}

async function rpmdbOf(blobs: readonly Uint8Array[]): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
  for (const b of blobs) db.run("INSERT INTO Packages (blob) VALUES (?)", [b]);
  const bytes = db.export();
  db.close();
  return bytes;
}

async function fixtureBlobs(): Promise<Map<string, Uint8Array>> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(FIXTURE);
  const out = new Map<string, Uint8Array>();
  for (const [, blob] of db.exec("SELECT hnum, blob FROM Packages")[0]!.values) {
    const h = RpmHeader.parse(blob as Uint8Array);
    out.set(h.string(RPMTAG.NAME)!, blob as Uint8Array);
  }
  db.close();
  return out;
}

function hasRpm(): boolean {
  try {
    execFileSync("rpm", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("os/rpm header decoding", () => {
  it("reads the tags of the real rpmdb headers", async () => {
    const blobs = await fixtureBlobs();
    const base = RpmHeader.parse(blobs.get("bulwark-base")!);
    expect(base.ints(RPMTAG.EPOCH)).toEqual([2]);
    expect(base.string(RPMTAG.VERSION)).toBe("1.4.0");
    expect(base.string(RPMTAG.RELEASE)).toBe("3.bw1");
    expect(base.string(RPMTAG.ARCH)).toBe("noarch");
    expect(base.string(RPMTAG.LICENSE)).toBe("MIT");
    expect(base.strings(RPMTAG.PROVIDENAME).sort()).toEqual(["bulwark-base", "bulwark-config"]);
    const app = RpmHeader.parse(blobs.get("bulwark-app")!);
    expect(app.has(RPMTAG.EPOCH)).toBe(false);
    expect(app.string(RPMTAG.LICENSE)).toBe("Apache-2.0 OR MIT");
    expect(app.strings(RPMTAG.REQUIRENAME)).toEqual([
      "bulwark-base",
      "bulwark-config",
      "rpmlib(CompressedFileNames)",
      "rpmlib(FileDigests)",
      "rpmlib(PayloadFilesHavePrefix)",
    ]);
    expect(app.string(RPMTAG.SOURCERPM)).toBe("bulwark-app-0.9.1-1.bw1.src.rpm");
    expect(app.strings(RPMTAG.BASENAMES)).toEqual(["app.txt"]);
    expect(app.strings(RPMTAG.DIRNAMES)).toEqual(["/usr/share/bulwark-fixture/"]);
  });

  it("rejects malformed blobs with a message", () => {
    const good = pkgHeader("x", "1");
    expect(() => RpmHeader.parse(new Uint8Array(4))).toThrow(/too short/);
    expect(() => RpmHeader.parse(good.subarray(0, good.length - 1))).toThrow(/claims \d+ bytes/);
    expect(() => RpmHeader.parse(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/entry count 0/);
    const badType = good.slice();
    new DataView(badType.buffer).setUint32(8 + 4, 42);
    expect(() => RpmHeader.parse(badType)).toThrow(/unknown type 42/);
    const noNul = encodeHeader([{ tag: RPMTAG.NAME, type: "string", value: "x" }]);
    noNul[noNul.length - 1] = 0x41;
    expect(() => RpmHeader.parse(noNul).string(RPMTAG.NAME)).toThrow(/unterminated string/);
    const intsPastEnd = encodeHeader([{ tag: RPMTAG.EPOCH, type: "int32", value: [1] }]);
    new DataView(intsPastEnd.buffer).setUint32(8 + 12, 1000);
    expect(() => RpmHeader.parse(intsPastEnd).ints(RPMTAG.EPOCH)).toThrow(/overrun/);
  });
});

describe("os/rpm", () => {
  it("applies to both SQLite rpmdb locations only", () => {
    const applies = (path: string) => rpmCataloger.applies({ path, size: 1 });
    expect(applies("var/lib/rpm/rpmdb.sqlite")).toBe(true);
    expect(applies("usr/lib/sysimage/rpm/rpmdb.sqlite")).toBe(true);
    expect(applies("var/lib/rpm/rpmdb.sqlite-wal")).toBe(false);
    expect(applies("var/lib/rpm/Packages")).toBe(false);
  });

  it("reads the real rpmdb built by rpm: names, EVR, arch, license, source, requires", async () => {
    const { packages, issues } = await run(FIXTURE);
    expect(issues).toBeUndefined();
    const base = packages.find((p) => p.name === "bulwark-base")!;
    const app = packages.find((p) => p.name === "bulwark-app")!;
    expect(base).toMatchObject({
      version: "2:1.4.0-3.bw1",
      purl: "pkg:rpm/rocky/bulwark-base@1.4.0-3.bw1?arch=noarch&distro=rocky-9.4&epoch=2",
      ecosystem: "Rocky Linux",
      type: "library",
      licenses: ["MIT"],
      // Both packages come from one spec file, so one source rpm.
      sourcePackage: { name: "bulwark-app", version: "0.9.1-1.bw1" },
      locations: [{ path: DB }],
    });
    expect(app).toMatchObject({
      version: "0.9.1-1.bw1",
      purl: "pkg:rpm/rocky/bulwark-app@0.9.1-1.bw1?arch=x86_64&distro=rocky-9.4",
      licenses: ["Apache-2.0 OR MIT"],
    });
    // Requires bulwark-base (by name) and bulwark-config (a virtual provide of bulwark-base).
    expect(app.dependsOn).toEqual([base.ref]);
    expect(base.dependsOn).toBeUndefined();
    expect(base.properties?.["rpm:sha256header"]).toMatch(/^[0-9a-f]{64}$/);
    expect(base.properties?.["rpm:payloaddigest"]).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.runIf(hasRpm())("agrees with `rpm -qa` on the fixture", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bulwark-rpmdb-"));
    try {
      copyFileSync(FIXTURE_PATH, join(dir, "rpmdb.sqlite"));
      const out = execFileSync(
        "rpm",
        [
          "--dbpath",
          dir,
          "-qa",
          "--qf",
          "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{LICENSE}\\n",
        ],
        { encoding: "utf8" },
      );
      const truth = out.trim().split("\n").sort();
      const { packages } = await run(FIXTURE);
      const found = packages
        .map(
          (p) => `${p.name}\t${p.version}\t${new URL(p.purl).searchParams.get("arch")}\t${p.licenses?.[0]}`,
        )
        .sort();
      expect(found).toEqual(truth);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("maps the distro to the OSV ecosystem and the purl namespace", async () => {
    const rhel = (await run(FIXTURE, { id: "rhel", versionId: "9.4" })).packages[0]!;
    expect(rhel.ecosystem).toBe("Red Hat");
    expect(rhel.purl).toMatch(/^pkg:rpm\/rhel\/.*distro=rhel-9\.4/);
    expect((await run(FIXTURE, { id: "opensuse-leap", versionId: "15.6" })).packages[0]!.ecosystem).toBe(
      "openSUSE",
    );
    expect((await run(FIXTURE, { id: "fedora", versionId: "40" })).packages[0]!.ecosystem).toBe("RPM");
    expect((await run(FIXTURE, { id: "constructor" })).packages[0]!.ecosystem).toBe("RPM");
    const none = (await run(FIXTURE, null)).packages.find((p) => p.name === "bulwark-app")!;
    expect(none.purl).toBe("pkg:rpm/bulwark-app@0.9.1-1.bw1?arch=x86_64");
  });

  it("skips gpg-pubkey, resolves file requires, prefers the same arch, ignores rich deps", async () => {
    const bytes = await rpmdbOf([
      pkgHeader("gpg-pubkey", "fd431d51", [], "(none)"),
      pkgHeader("bash", "5.1.8", [
        { tag: RPMTAG.DIRNAMES, type: "strings", value: ["/usr/bin/", "/etc/"] },
        { tag: RPMTAG.BASENAMES, type: "strings", value: ["bash", "sh", "bashrc"] },
        { tag: RPMTAG.DIRINDEXES, type: "int32", value: [0, 0, 1] },
      ]),
      pkgHeader("glibc", "2.34"),
      pkgHeader("glibc", "2.34", [], "i686"),
      pkgHeader("app", "1.0", [
        {
          tag: RPMTAG.REQUIRENAME,
          type: "strings",
          value: ["/usr/bin/sh", "glibc", "(foo if bar)", "rpmlib(X)", "missing"],
        },
      ]),
    ]);
    const { packages, issues } = await run(bytes);
    expect(issues).toBeUndefined();
    expect(packages.map((p) => `${p.name}.${new URL(p.purl).searchParams.get("arch")}`)).toEqual([
      "bash.x86_64",
      "glibc.x86_64",
      "glibc.i686",
      "app.x86_64",
    ]);
    expect(packages.find((p) => p.name === "app")!.dependsOn).toEqual(["rpm:2", "rpm:3"]);
    expect(deps(packages, "app")).toEqual(["bash", "glibc"]);
  });

  it("parses source rpm file names", () => {
    expect(parseSourceRpm("bash-5.1.8-9.el9.src.rpm")).toEqual({ name: "bash", version: "5.1.8-9.el9" });
    expect(parseSourceRpm("python3.11-pip-22.3.1-4.el9.nosrc.rpm")).toEqual({
      name: "python3.11-pip",
      version: "22.3.1-4.el9",
    });
    expect(parseSourceRpm("nonsense")).toBeUndefined();
  });

  it("reports bad headers with their hnum and keeps the good ones", async () => {
    const truncated = pkgHeader("cut", "1").subarray(0, 20);
    const wrongType = encodeHeader([
      { tag: RPMTAG.NAME, type: "int32", value: [7] },
      { tag: RPMTAG.VERSION, type: "string", value: "1" },
    ]);
    const noVersion = encodeHeader([{ tag: RPMTAG.NAME, type: "string", value: "nov" }]);
    const bytes = await rpmdbOf([
      truncated,
      pkgHeader("good", "1.0", [{ tag: RPMTAG.SOURCERPM, type: "string", value: "junk" }]),
      wrongType,
      noVersion,
    ]);
    const { packages, issues } = await run(bytes);
    expect(packages.map((p) => p.name)).toEqual(["good"]);
    expect(issues!.map((i) => [i.location.path, i.message])).toEqual([
      [
        "Packages[hnum=1]",
        expect.stringMatching(/^package header 1: header claims \d+ bytes but the blob has 20$/),
      ],
      ["Packages[hnum=3]", "package header 3: tag 1000: expected a string, found type 4"],
      ["Packages[hnum=4]", "package header 4: no VERSION tag"],
      ["Packages[hnum=2]", 'package good: unreadable SOURCERPM "junk"'],
    ]);
    expect(issues!.every((i) => i.cataloger === "os/rpm" && i.location.file === DB)).toBe(true);
  });

  it("reports a file that is not an rpmdb instead of throwing", async () => {
    const notSqlite = await run(new TextEncoder().encode("definitely not SQLite"));
    expect(notSqlite.packages).toEqual([]);
    expect(notSqlite.issues).toEqual([
      {
        cataloger: "os/rpm",
        message: expect.stringMatching(/^cannot read the rpmdb: .*not a database/),
        location: { file: DB },
      },
    ]);
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run("CREATE TABLE Other (x)");
    const noTable = await run(db.export());
    db.close();
    expect(noTable.issues![0]!.message).toMatch(/no such table: Packages/);
  });
});
