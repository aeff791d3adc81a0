import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { gemfileLockCataloger, parseGemfileLock, rubyCatalogers } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURES = new URL("../../../../test/fixtures/sbom/ruby/", import.meta.url);
const fixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), "utf8");

async function catalog(path: string, text: string): Promise<CatalogResult> {
  const ctx = contextFor(memorySource({ [path]: text }));
  return gemfileLockCataloger.catalog({ path, size: Buffer.byteLength(text) }, ctx);
}

const ids = (r: CatalogResult): string[] => r.packages.map((p) => p.ref).sort();
const get = (r: CatalogResult, ref: string) => r.packages.find((p) => p.ref === ref)!;

describe("ruby/gemfile-lock", () => {
  it("exports a stable plugin identity", () => {
    expect(rubyCatalogers).toEqual([gemfileLockCataloger]);
    expect(gemfileLockCataloger).toMatchObject({
      name: "ruby/gemfile-lock",
      version: 1,
      ecosystem: "RubyGems",
    });
    expect(gemfileLockCataloger.applies({ path: "Gemfile.lock", size: 1 })).toBe(true);
    expect(gemfileLockCataloger.applies({ path: "app/gems.locked", size: 1 })).toBe(true);
    expect(gemfileLockCataloger.applies({ path: "Gemfile", size: 1 })).toBe(false);
    expect(gemfileLockCataloger.applies({ path: "MyGemfile.lock", size: 1 })).toBe(false);
  });

  it("reads GEM, GIT and PATH specs with platforms, checksums and edges", async () => {
    const r = await catalog("app/Gemfile.lock", fixture("app/Gemfile.lock"));
    expect(r.issues).toBeUndefined();
    expect(r.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      "fixture_app@0.1.0",
      "fixture_git@0.4.0",
      "mini_portile2@2.8.5",
      "nokogiri@1.16.0",
      "nokogiri@1.16.0",
      "racc@1.7.3",
      "rack@3.0.8",
      "rake@13.1.0",
    ]);
    expect(ids(r)).toContain("nokogiri (1.16.0-x86_64-linux)");

    const linux = get(r, "nokogiri (1.16.0-x86_64-linux)");
    expect(linux).toMatchObject({
      purl: "pkg:gem/nokogiri@1.16.0?platform=x86_64-linux",
      ecosystem: "RubyGems",
      type: "library",
      hashes: [
        { alg: "SHA-256", content: "2eba0e1c4e1f54a8d2d1f2a0c7ba9ae3b7ee4a9a8f0d9c8b7a6f5e4d3c2b1a09" },
      ],
      properties: {
        "gem:sourceKind": "gem",
        "gem:remote": "https://rubygems.org/",
        "gem:platform": "x86_64-linux",
      },
      locations: [{ path: "app/Gemfile.lock" }],
      dependsOn: ["racc (1.7.3)"],
    });
    expect(get(r, "nokogiri (1.16.0)")).toMatchObject({
      purl: "pkg:gem/nokogiri@1.16.0",
      dependsOn: ["mini_portile2 (2.8.5)", "racc (1.7.3)"],
    });

    const git = get(r, "fixture_git (0.4.0)");
    expect(git.purl).toBe(
      "pkg:gem/fixture_git@0.4.0?vcs_url=" +
        encodeURIComponent(
          "git+https://github.com/example/fixture_git.git@4f1b2c3d4e5f60718293a4b5c6d7e8f901234567",
        ),
    );
    expect(git.properties).toEqual({
      "gem:sourceKind": "git",
      "gem:remote": "https://github.com/example/fixture_git.git",
      "gem:revision": "4f1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    });
    expect(git.dependsOn).toEqual(["rack (3.0.8)"]);

    const app = get(r, "fixture_app (0.1.0)");
    expect(app.type).toBe("application");
    expect(app.hashes).toBeUndefined();
    // A dependency on a gem with platform variants points at every locked variant.
    expect(app.dependsOn).toEqual(["nokogiri (1.16.0)", "nokogiri (1.16.0-x86_64-linux)", "rack (3.0.8)"]);

    expect(get(r, "rake (13.1.0)").hashes).toEqual([
      { alg: "SHA-256", content: "be6d9c3d9d5d7f9c1e2b3a4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1" },
    ]);
  });

  it("keeps the good specs of a damaged lockfile and locates each problem", async () => {
    const r = await catalog("Gemfile.lock", fixture("malformed/Gemfile.lock"));
    expect(ids(r)).toEqual(["good (1.0.0)", "other (2.0.0)"]);
    // An unlocked dependency (here missing_dep) is not an error: bundler itself is never locked.
    expect(get(r, "good (1.0.0)").dependsOn).toBeUndefined();
    expect(get(r, "other (2.0.0)").dependsOn).toEqual(["good (1.0.0)"]);
    expect(get(r, "good (1.0.0)").hashes).toBeUndefined();
    expect(r.issues?.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
      [6, 5, "gem no_version has no version"],
      [7, 4, "unexpected indentation in GEM: badly indented (1.0)"],
      [12, 3, "checksum of good (1.0.0) is not a known digest: sha256=xyz"],
      [13, 3, "checksum for ghost (9.9.9), which no spec locks"],
    ]);
    for (const i of r.issues ?? [])
      expect(i).toMatchObject({ cataloger: "ruby/gemfile-lock", location: { file: "Gemfile.lock" } });
  });

  it("reports lines that are not specs or dependencies", () => {
    const r = parseGemfileLock(
      [
        "GEM",
        "  remote: https://rubygems.org/",
        "  bogus line",
        "  specs:",
        "    a (1.0)",
        "      (broken",
        "    ???",
      ].join("\n"),
      {
        path: "Gemfile.lock",
      },
    );
    expect(ids(r)).toEqual(["a (1.0)"]);
    expect(r.issues?.map((i) => i.location.line)).toEqual([3, 6, 7]);
  });

  it("reports an unreadable file as an issue", async () => {
    const ctx = contextFor(memorySource({}));
    const r = await gemfileLockCataloger.catalog({ path: "Gemfile.lock", size: 0 }, ctx);
    expect(r.packages).toEqual([]);
    expect(r.issues?.[0]?.location).toEqual({ file: "Gemfile.lock", line: 1, column: 1 });
  });

  it("never throws on arbitrary text", () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "GEM\n",
        "GIT\n",
        "CHECKSUMS\n",
        "  specs:\n",
        "    a (1.0)\n",
        "    a (1.0-x)\n",
        "      a\n",
        "  a (1.0) sha256=\n",
        "\n",
      ),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const r = parseGemfileLock(parts.join(""), { path: "Gemfile.lock" });
        for (const p of r.packages) expect(p.purl.startsWith("pkg:gem/")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
