import { readFileSync } from "node:fs";
import fc from "fast-check";
import initSqlJs from "sql.js";
import { describe, expect, it } from "vitest";
import type { Cataloger } from "../../cataloger.js";
import type { CatalogResult } from "../../model.js";
import { apkCataloger, dpkgCataloger, osCatalogers, readOsRelease, rpmCataloger } from "./index.js";
import { RpmHeader, RpmHeaderError, RPMTAG } from "./rpm-header.js";
import { packagesFromRows } from "./rpm.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const fixture = (path: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/sbom/os/${path}`, import.meta.url)));
const DPKG_STATUS = new TextDecoder().decode(fixture("dpkg/var/lib/dpkg/status"));
const APK_INSTALLED = new TextDecoder().decode(fixture("apk/lib/apk/db/installed"));
const RPMDB = fixture("rpm/rpmdb.sqlite");

function runOn(cataloger: Cataloger, path: string, bytes: Uint8Array): Promise<CatalogResult> {
  const source = memorySource({ [path]: bytes }, "image");
  return cataloger.catalog(
    { path, size: bytes.length },
    contextFor(source, { id: "debian", versionId: "12" }),
  );
}

/** Lines made of the fragments real databases use, so the fuzzer reaches past the first check. */
function lineSoup(fragments: readonly string[]) {
  return fc
    .array(fc.oneof(fc.constantFrom(...fragments), fc.string(), fc.constant("")), { maxLength: 60 })
    .map((lines) => lines.join("\n"));
}

/** A few bytes of the input replaced at random positions. */
function mutated(base: Uint8Array) {
  return fc
    .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 8,
    })
    .map((edits) => {
      const out = base.slice();
      for (const [at, v] of edits) out[at] = v;
      return out;
    });
}

describe("os catalogers never throw on bad input (fast-check)", () => {
  const cases: [Cataloger, string, Uint8Array, string[]][] = [
    [
      dpkgCataloger,
      "var/lib/dpkg/status",
      new TextEncoder().encode(DPKG_STATUS),
      [
        "Package: a",
        "Package: b",
        "Status: install ok installed",
        "Status: deinstall ok config-files",
        "Version: 1:2.0-1",
        "Architecture: amd64",
        "Depends: b | c, d:any (>= 1)",
        "Provides: c",
        "Source: s (1)",
        " continued",
        "Source: (",
        "Depends: ,|,",
      ],
    ],
    [
      apkCataloger,
      "lib/apk/db/installed",
      new TextEncoder().encode(APK_INSTALLED),
      [
        "P:a",
        "P:b",
        "V:1.0-r0",
        "A:x86_64",
        "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "C:Q2",
        "D:b so:x !c /bin/sh",
        "p:so:x=1 /bin/sh",
        "k:NaN",
        "o:a",
        "L:MIT",
      ],
    ],
  ];

  for (const [cataloger, path, real, fragments] of cases) {
    it(`${cataloger.name}: random bytes`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
          const r = await runOn(cataloger, path, bytes);
          expect(Array.isArray(r.packages)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it(`${cataloger.name}: line soup`, async () => {
      await fc.assert(
        fc.asyncProperty(lineSoup(fragments), async (text) => {
          const r = await runOn(cataloger, path, new TextEncoder().encode(text));
          const refs = new Set(r.packages.map((p) => p.ref));
          expect(refs.size).toBe(r.packages.length);
          for (const p of r.packages) for (const d of p.dependsOn ?? []) expect(refs.has(d)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it(`${cataloger.name}: mutated real database`, async () => {
      await fc.assert(
        fc.asyncProperty(mutated(real), async (bytes) => {
          await runOn(cataloger, path, bytes);
        }),
        { numRuns: 200 },
      );
    });
  }

  it("readOsRelease: any text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          lineSoup(['ID="a', "ID='x'", 'A="\\', "ID=x\\", "# c", "B=a b", "=", 'C="a" # x']),
        ),
        (text) => {
          const d = readOsRelease(text);
          if (d) expect(typeof d.id).toBe("string");
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("RpmHeader: random bytes fail only with RpmHeaderError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          const h = RpmHeader.parse(bytes);
          for (const tag of Object.values(RPMTAG)) {
            h.strings(tag);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(RpmHeaderError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("os/rpm: mutated real headers", async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database(RPMDB);
    const blobs = db.exec("SELECT blob FROM Packages")[0]!.values.map((r) => r[0] as Uint8Array);
    db.close();
    const entry = { path: "var/lib/rpm/rpmdb.sqlite", size: 1 };
    fc.assert(
      fc.property(mutated(blobs[0]!), mutated(blobs[1]!), (a, b) => {
        const r = packagesFromRows(
          [
            { hnum: 1, blob: a },
            { hnum: 2, blob: b },
          ],
          entry,
          { id: "rhel", versionId: "9" },
        );
        expect(r.packages.length + (r.issues?.length ?? 0)).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it("os/rpm: random and mutated SQLite files", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 4096 }), mutated(RPMDB)), async (bytes) => {
        const r = await runOn(rpmCataloger, "var/lib/rpm/rpmdb.sqlite", bytes);
        expect(Array.isArray(r.packages)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("os cataloger registry (plugin contract)", () => {
  it("lists dpkg, apk and rpm with stable names, integer versions and OS targets", () => {
    expect(osCatalogers.map((c) => c.name)).toEqual(["os/dpkg", "os/apk", "os/rpm"]);
    for (const c of osCatalogers) {
      expect(Number.isInteger(c.version) && c.version >= 1).toBe(true);
      expect(c.targets).toEqual(["rootfs", "image"]);
      expect(c.applies({ path: "package-lock.json", size: 10 })).toBe(false);
    }
  });
});
