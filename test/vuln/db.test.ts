import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, Zip, ZipDeflate, ZipPassThrough, zipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixedClock } from "../../src/core/index.js";
import { openStore } from "../../src/store/index.js";
import { matchComponents, type OsvRecord } from "../../src/vuln/index.js";
import { VulnDatabase, defaultSourceName } from "../../src/vuln/db/index.js";
import { requireShared } from "../support/shared.js";

const shared = requireShared();

// Sample records written for these tests (invented ids), shaped like real OSV records.
function rec(id: string, modified: string, extra: Partial<OsvRecord> = {}): OsvRecord {
  return {
    id,
    modified,
    aliases: [],
    affected: [
      {
        package: { ecosystem: "npm", name: "left-pad-sample" },
        ranges: [{ type: "SEMVER", events: [{ introduced: "0" }, { fixed: "1.3.0" }] }],
      },
    ],
    ...extra,
  };
}

const npm = (name: string, version: string) => ({
  purl: `pkg:npm/${name}@${version}`,
  name,
  version,
  ecosystem: "npm",
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "bulwark-vulndb-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value));
  return path;
}

describe("VulnDatabase import", () => {
  it("imports single files, is idempotent, and updates only on a newer `modified`", async () => {
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      const f = writeJson(
        join(dir, "a.json"),
        rec("SAMPLE-1", "2024-01-01T00:00:00Z", { aliases: ["CVE-2099-1"] }),
      );
      const first = await db.importPath(f);
      expect(first).toMatchObject({ read: 1, added: 1, updated: 0, unchanged: 0 });
      const again = await db.importPath(f);
      expect(again).toMatchObject({ read: 1, added: 0, updated: 0, unchanged: 1 });

      // An older copy never replaces a newer one.
      writeJson(f, rec("SAMPLE-1", "2023-06-01T00:00:00Z", { summary: "older" }));
      expect(await db.importPath(f)).toMatchObject({ unchanged: 1, updated: 0 });
      expect((await db.lookup("SAMPLE-1"))[0]!.summary).toBeUndefined();

      // A newer copy replaces it, with its new packages and aliases only.
      writeJson(
        f,
        rec("SAMPLE-1", "2024-02-01T00:00:00+01:00", {
          aliases: ["CVE-2099-2"],
          affected: [{ package: { ecosystem: "npm", name: "right-pad-sample" }, versions: ["2.0.0"] }],
        }),
      );
      expect(await db.importPath(f)).toMatchObject({ updated: 1 });
      expect(await db.lookup("CVE-2099-1")).toEqual([]);
      expect((await db.lookup("CVE-2099-2")).map((r) => r.id)).toEqual(["SAMPLE-1"]);
      const left = await db.indexFor([npm("left-pad-sample", "1.0.0")]);
      expect(left.size).toBe(0);
      const right = await db.indexFor([npm("right-pad-sample", "2.0.0")]);
      expect(matchComponents([npm("right-pad-sample", "2.0.0")], right).map((m) => m.id)).toEqual([
        "SAMPLE-1",
      ]);
    } finally {
      await db.close();
    }
  });

  it("honours withdrawn records: kept, never matched, and not resurrected by an older copy", async () => {
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      const f = join(dir, "r.json");
      writeJson(f, rec("SAMPLE-2", "2024-01-01T00:00:00Z"));
      await db.importPath(f);
      expect((await db.indexFor([npm("left-pad-sample", "1.0.0")])).size).toBe(1);
      writeJson(f, rec("SAMPLE-2", "2024-03-01T00:00:00Z", { withdrawn: "2024-03-01T00:00:00Z" }));
      expect(await db.importPath(f)).toMatchObject({ updated: 1, withdrawn: 1 });
      expect((await db.indexFor([npm("left-pad-sample", "1.0.0")])).size).toBe(0);
      writeJson(f, rec("SAMPLE-2", "2024-01-01T00:00:00Z"));
      await db.importPath(f);
      expect((await db.indexFor([npm("left-pad-sample", "1.0.0")])).size).toBe(0);
      const status = await db.status();
      expect(status).toMatchObject({ records: 1, withdrawn: 1 });
      expect((await db.lookup("SAMPLE-2"))[0]!.withdrawn).toBe("2024-03-01T00:00:00Z");
    } finally {
      await db.close();
    }
  });

  it("reads OSV zip exports as streams, arrays and OSV API answers, and directories recursively", async () => {
    const zip = join(dir, "npm", "all.zip");
    mkdirSync(join(dir, "npm"));
    writeFileSync(
      zip,
      zipSync({
        "SAMPLE-3.json": strToU8(JSON.stringify(rec("SAMPLE-3", "2024-01-01T00:00:00Z"))),
        "SAMPLE-4.json": strToU8(JSON.stringify(rec("SAMPLE-4", "2024-01-01T00:00:00Z"))),
        "README.txt": strToU8("not a record"),
      }),
    );
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeJson(join(tree, "sub", "x.json"), [rec("SAMPLE-5", "2024-01-01T00:00:00Z")]);
    writeJson(join(tree, "api.json"), { vulns: [rec("SAMPLE-6", "2024-01-01T00:00:00Z")] });
    writeFileSync(join(tree, "notes.txt"), "ignored");
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      expect(await db.importPath(zip)).toMatchObject({ source: "npm/all.zip", read: 2, added: 2 });
      expect(await db.importPath(tree)).toMatchObject({ source: "tree", read: 2, added: 2 });
      const status = await db.status(fixedClock(new Date(Date.now() + 3_600_000)));
      expect(status.records).toBe(4);
      expect(status.sources.map((s) => [s.name, s.kind, s.records])).toEqual([
        ["npm/all.zip", "zip", 2],
        ["tree", "directory", 2],
      ]);
      expect(status.ecosystems).toEqual([{ ecosystem: "npm", records: 4 }]);
      expect(status.ageHours).toBeCloseTo(1, 0);
    } finally {
      await db.close();
    }
  });

  it("reads zips written with data descriptors, stored entries and leading bytes (central directory)", async () => {
    // A streaming writer (sizes after the data, in data descriptors), one stored entry, and 100
    // bytes prepended as self-extracting archives have.
    const chunks: Uint8Array[] = [];
    const zip = new Zip((err, chunk) => {
      if (err) throw err;
      chunks.push(chunk);
    });
    for (const id of ["SAMPLE-20", "SAMPLE-21"]) {
      const f = new ZipDeflate(`${id}.json`, { level: 9 });
      zip.add(f);
      f.push(strToU8(JSON.stringify(rec(id, "2024-01-01T00:00:00Z"))), true);
    }
    const stored = new ZipPassThrough("nested/SAMPLE-22.json");
    zip.add(stored);
    stored.push(strToU8(JSON.stringify(rec("SAMPLE-22", "2024-01-01T00:00:00Z"))), true);
    zip.end();
    const path = join(dir, "streamed.zip");
    writeFileSync(path, Buffer.concat([Buffer.alloc(100, 0x20), ...chunks]));
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      expect(await db.importPath(path)).toMatchObject({ read: 3, added: 3 });
      // A damaged entry is an error naming it.
      const bytes = readFileSync(path);
      const at = bytes.indexOf(Buffer.from("SAMPLE-21.json")) + 40;
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(path, bytes);
      await expect(db.importPath(path)).rejects.toMatchObject({ code: "INPUT_INVALID" });
    } finally {
      await db.close();
    }
  });

  it("fails closed on a bad record: a located error and nothing from that import stored", async () => {
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      const tree = join(dir, "tree");
      mkdirSync(tree);
      writeJson(join(tree, "a.json"), rec("SAMPLE-7", "2024-01-01T00:00:00Z"));
      writeJson(join(tree, "b.json"), {
        ...rec("SAMPLE-8", "2024-01-01T00:00:00Z"),
        affected: [
          {
            package: { ecosystem: "npm", name: "x" },
            ranges: [{ type: "SEMVER", events: [{ fixed: "1", introduced: "0" }] }],
          },
        ],
      });
      await expect(db.importPath(tree)).rejects.toMatchObject({
        code: "INPUT_INVALID",
        location: { file: join(tree, "b.json"), path: "affected[0].ranges[0].events[0]" },
      });
      expect((await db.status()).records).toBe(0);

      for (const [bad, where] of [
        [{ modified: "2024-01-01T00:00:00Z" }, "id"],
        [{ id: "X", modified: "yesterday" }, "modified"],
        [
          {
            id: "X",
            modified: "2024-01-01T00:00:00Z",
            affected: [{ ranges: [{ type: "RANGE", events: [{ introduced: "0" }] }] }],
          },
          "affected[0].ranges[0].type",
        ],
        [{ id: "X", modified: "2024-01-01T00:00:00Z", aliases: "CVE-1" }, "aliases"],
        [
          { id: "X", modified: "2024-01-01T00:00:00Z", affected: [{ package: { name: "p" } }] },
          "affected[0].package.ecosystem",
        ],
      ] as const) {
        const f = writeJson(join(dir, "bad.json"), bad);
        await expect(db.importPath(f)).rejects.toMatchObject({
          code: "INPUT_INVALID",
          location: { path: where },
        });
      }
      writeFileSync(join(dir, "broken.json"), "{ not json");
      await expect(db.importPath(join(dir, "broken.json"))).rejects.toMatchObject({ code: "INPUT_INVALID" });
      writeFileSync(join(dir, "trunc.zip"), zipSync({ "A.json": strToU8("{}") }).subarray(0, 20));
      await expect(db.importPath(join(dir, "trunc.zip"))).rejects.toMatchObject({ code: "INPUT_INVALID" });
      await expect(db.importPath(join(dir, "missing.json"))).rejects.toMatchObject({
        code: "FILE_NOT_FOUND",
      });
    } finally {
      await db.close();
    }
  });

  it("a record imported from a second source moves to it; both sources' counts stay true", async () => {
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      await db.importRecords([{ record: rec("SAMPLE-9", "2024-01-01T00:00:00Z"), where: "x" }], {
        sourceName: "one",
      });
      await db.importRecords([{ record: rec("SAMPLE-9", "2024-05-01T00:00:00Z"), where: "y" }], {
        sourceName: "two",
      });
      const s = await db.status();
      expect(s.sources.map((x) => [x.name, x.records])).toEqual([
        ["one", 0],
        ["two", 1],
      ]);
    } finally {
      await db.close();
    }
  });

  it("opens read-only without creating anything, and refuses a missing database", async () => {
    await expect(VulnDatabase.open(join(dir, "nope"), { readonly: true })).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
    });
    expect(readdirSync(dir)).toEqual([]);
    const db = await VulnDatabase.open(join(dir, "db"));
    await db.close();
    const ro = await VulnDatabase.open(join(dir, "db"), { readonly: true });
    expect((await ro.status()).records).toBe(0);
    await ro.close();
  });

  it("derives source names from OSV export paths", () => {
    expect(defaultSourceName("/data/osv/PyPI/all.zip")).toBe("PyPI/all.zip");
    expect(defaultSourceName("/data/osv/records")).toBe("records");
  });
});

describe("the store", () => {
  it("refuses a file that is not a Bulwark database and one with unknown newer migrations", async () => {
    writeFileSync(
      join(dir, "junk.sqlite"),
      "this is not sqlite at all, just text that is long enough to matter",
    );
    await expect(openStore({ file: join(dir, "junk.sqlite") })).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
    const store = await openStore({ file: join(dir, "ok.sqlite") });
    await store.db
      .insertInto("kysely_migration" as never)
      .values({ name: "9999_from_the_future", timestamp: new Date().toISOString() } as never)
      .execute();
    await store.close();
    await expect(openStore({ file: join(dir, "ok.sqlite") })).rejects.toMatchObject({
      code: "STORE_UNAVAILABLE",
    });
  });
});

describe.skipIf(!shared)("VulnDatabase with the shared real OSV records", () => {
  it("imports all 86 records and matches exactly like the in-memory index", async () => {
    const osvDir = join(shared!, "vuln-data", "osv");
    const db = await VulnDatabase.open(join(dir, "db"));
    try {
      const r = await db.importPath(osvDir);
      const files = readdirSync(osvDir).filter((f) => f.endsWith(".json"));
      expect(r.read).toBe(files.length);
      const withdrawn = files.filter(
        (f) => JSON.parse(readFileSync(join(osvDir, f), "utf8")).withdrawn,
      ).length;
      expect(r.withdrawn).toBe(withdrawn);
      expect(withdrawn).toBeGreaterThan(0);
      const components = [
        npm("lodash", "4.17.15"),
        npm("minimist", "1.2.0"),
        npm("jsonwebtoken", "8.5.1"),
        { purl: "pkg:pypi/django@3.2.0", name: "Django", version: "3.2.0", ecosystem: "PyPI" },
        {
          purl: "pkg:golang/golang.org/x/net@v0.7.0",
          name: "golang.org/x/net",
          version: "v0.7.0",
          ecosystem: "Go",
        },
      ];
      const { OsvIndex } = await import("../../src/vuln/index.js");
      const all = new OsvIndex(
        files.map((f) => JSON.parse(readFileSync(join(osvDir, f), "utf8")) as OsvRecord),
      );
      const fromDb = matchComponents(components, await db.indexFor(components));
      const inMemory = matchComponents(components, all);
      expect(fromDb.map((m) => `${m.id}@${m.component.name}`).sort()).toEqual(
        inMemory.map((m) => `${m.id}@${m.component.name}`).sort(),
      );
      expect(fromDb.length).toBeGreaterThan(5);
      // Aliases are searchable.
      const cve = inMemory
        .find((m) => m.aliases.some((a) => a.startsWith("CVE-")))!
        .aliases.find((a) => a.startsWith("CVE-"))!;
      expect((await db.lookup(cve)).length).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });
});
