import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { dotnetCatalogers, packagesLockCataloger, parsePackagesLock } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURES = new URL("../../../../test/fixtures/sbom/dotnet/", import.meta.url);
const fixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), "utf8");

async function catalog(path: string, text: string): Promise<CatalogResult> {
  const ctx = contextFor(memorySource({ [path]: text }));
  return packagesLockCataloger.catalog({ path, size: Buffer.byteLength(text) }, ctx);
}

const ids = (r: CatalogResult): string[] => r.packages.map((p) => `${p.name}@${p.version}`).sort();
const get = (r: CatalogResult, name: string, version: string) =>
  r.packages.find((p) => p.name === name && p.version === version)!;

describe("dotnet/packages-lock", () => {
  it("exports a stable plugin identity", () => {
    expect(dotnetCatalogers).toEqual([packagesLockCataloger]);
    expect(packagesLockCataloger).toMatchObject({
      name: "dotnet/packages-lock",
      version: 1,
      ecosystem: "NuGet",
    });
    expect(packagesLockCataloger.applies({ path: "src/App/packages.lock.json", size: 1 })).toBe(true);
    expect(packagesLockCataloger.applies({ path: "packages.config", size: 1 })).toBe(false);
  });

  it("merges target frameworks, decodes content hashes and resolves edges per framework", async () => {
    const r = await catalog("src/App/packages.lock.json", fixture("app/packages.lock.json"));
    expect(r.issues).toBeUndefined();
    // Project entries (mycompany.shared) have no version and are not packages.
    expect(ids(r)).toEqual([
      "Microsoft.NETCore.Platforms@1.1.0",
      "Newtonsoft.Json@13.0.3",
      "Serilog.Sinks.Console@5.0.1",
      "Serilog@2.12.0",
      "Serilog@3.1.1",
      "System.Text.Json@8.0.0",
      "runtime.native.System@4.3.0",
    ]);
    expect(get(r, "Newtonsoft.Json", "13.0.3")).toMatchObject({
      purl: "pkg:nuget/Newtonsoft.Json@13.0.3",
      ecosystem: "NuGet",
      type: "library",
      hashes: [
        {
          alg: "SHA-512",
          content:
            "67f5220bfad3c237e2a621568546c39cb3725d954de93196de1a96334dc52a354932493f4b92567f0fbaa6b6fa5025411f3e2bb9f11bed44c93fdae70e9e87c5",
        },
      ],
      locations: [{ path: "src/App/packages.lock.json" }],
      properties: { "nuget:targetFrameworks": "net6.0,net8.0", "nuget:dependencyType": "Direct" },
    });
    // The same package resolves to a different version per framework, so the edges differ too.
    expect(get(r, "Serilog.Sinks.Console", "5.0.1").dependsOn).toEqual(["serilog@2.12.0", "serilog@3.1.1"]);
    expect(get(r, "Serilog", "2.12.0").properties).toEqual({
      "nuget:targetFrameworks": "net6.0",
      "nuget:dependencyType": "Transitive",
    });
    // A runtime section resolves against itself first, then its framework.
    expect(get(r, "System.Text.Json", "8.0.0")).toMatchObject({
      dependsOn: ["runtime.native.system@4.3.0"],
      properties: {
        "nuget:targetFrameworks": "net8.0,net8.0/linux-x64",
        "nuget:dependencyType": "CentralTransitive",
      },
    });
    expect(get(r, "runtime.native.System", "4.3.0").dependsOn).toEqual(["microsoft.netcore.platforms@1.1.0"]);
    for (const p of r.packages) expect(p.scope).toBeUndefined();
    const refs = new Set(r.packages.map((p) => p.ref));
    for (const p of r.packages) for (const d of p.dependsOn ?? []) expect(refs).toContain(d);
  });

  it("keeps the good entries of a damaged lockfile and locates each problem", async () => {
    const r = await catalog("packages.lock.json", fixture("malformed/packages.lock.json"));
    expect(ids(r)).toEqual(["Good.Package@1.0.0", "Short.Hash@3.0.0"]);
    expect(get(r, "Good.Package", "1.0.0").hashes).toBeUndefined();
    expect(get(r, "Good.Package", "1.0.0").dependsOn).toBeUndefined();
    expect(r.issues?.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
      [13, 7, "No.Version (net8.0) has no resolved version"],
      [16, 7, "Not.An.Object (net8.0) is not an object"],
      [24, 5, 'target "net6.0" is not an object'],
      [8, 9, "Good.Package 1.0.0: contentHash is not a base64 SHA-512 digest"],
      [20, 9, "Short.Hash 3.0.0: contentHash is not a base64 SHA-512 digest"],
      [21, 9, 'Short.Hash (net8.0): "dependencies" is not an object'],
    ]);
    for (const i of r.issues ?? [])
      expect(i).toMatchObject({
        cataloger: "dotnet/packages-lock",
        location: { file: "packages.lock.json" },
      });
  });

  it("locates syntax errors and missing sections", () => {
    const truncated = parsePackagesLock(fixture("app/packages.lock.json").slice(0, 200), {
      path: "packages.lock.json",
    });
    expect(truncated.packages).toEqual([]);
    expect(truncated.issues?.[0]?.location).toMatchObject({ line: 9, column: 29 });
    expect(parsePackagesLock('{"version": 1}', { path: "p.json" }).issues?.[0]?.message).toBe(
      'packages.lock.json has no "dependencies" object',
    );
    expect(parsePackagesLock('{"version": 1, "dependencies": {}}', { path: "p.json" })).toEqual({
      packages: [],
    });
  });

  it("reports an unreadable file as an issue", async () => {
    const ctx = contextFor(memorySource({}));
    const r = await packagesLockCataloger.catalog({ path: "packages.lock.json", size: 0 }, ctx);
    expect(r.issues?.[0]?.location).toEqual({ file: "packages.lock.json", line: 1, column: 1 });
  });

  it("never throws on arbitrary JSON or text", () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const entry = fc.record({
      type: fc.oneof(fc.constantFrom("Direct", "Transitive", "Project"), json),
      resolved: json,
      contentHash: json,
      dependencies: json,
    });
    const lockish = fc.record({
      dependencies: fc.dictionary(
        fc.string(),
        fc.oneof(json, fc.dictionary(fc.string(), fc.oneof(entry, json))),
      ),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          json.map((v) => JSON.stringify(v)),
          lockish.map((v) => JSON.stringify(v, null, 2)),
        ),
        (text) => {
          const r = parsePackagesLock(text, { path: "packages.lock.json" });
          for (const i of r.issues ?? []) expect(i.location.line).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
