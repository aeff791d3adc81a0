import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import type { FileEntry } from "../../source.js";
import { cargoLockCataloger, parseCargoLock, rustCatalogers } from "./index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURES = new URL("../../../../test/fixtures/sbom/rust/", import.meta.url);
const fixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), "utf8");

async function catalog(path: string, text: string): Promise<CatalogResult> {
  const ctx = contextFor(memorySource({ [path]: text }));
  const entry: FileEntry = { path, size: Buffer.byteLength(text) };
  return cargoLockCataloger.catalog(entry, ctx);
}

const ids = (r: CatalogResult): string[] => r.packages.map((p) => `${p.name}@${p.version}`).sort();
const byName = (r: CatalogResult, name: string, version?: string) =>
  r.packages.find((p) => p.name === name && (version === undefined || p.version === version))!;

describe("rust/cargo-lock", () => {
  it("exports a stable plugin identity", () => {
    expect(rustCatalogers).toEqual([cargoLockCataloger]);
    expect(cargoLockCataloger).toMatchObject({ name: "rust/cargo-lock", version: 1, ecosystem: "crates.io" });
    expect(cargoLockCataloger.applies({ path: "Cargo.lock", size: 1 })).toBe(true);
    expect(cargoLockCataloger.applies({ path: "crates/x/Cargo.lock", size: 1 })).toBe(true);
    expect(cargoLockCataloger.applies({ path: "Cargo.toml", size: 1 })).toBe(false);
    expect(cargoLockCataloger.applies({ path: "NotCargo.lock", size: 1 })).toBe(false);
  });

  it("reads the workspace lockfile cargo generated (v4, path crates only)", async () => {
    const r = await catalog("Cargo.lock", fixture("workspace/Cargo.lock"));
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual(["fixture-app@0.3.1", "fixture-macros@0.1.0", "fixture-util@1.2.0"]);
    for (const p of r.packages) {
      expect(p.type).toBe("application");
      expect(p.ecosystem).toBe("crates.io");
      expect(p.properties).toEqual({ "cargo:sourceKind": "path" });
      expect(p.locations).toEqual([{ path: "Cargo.lock" }]);
    }
    expect(byName(r, "fixture-app").purl).toBe("pkg:cargo/fixture-app@0.3.1");
    expect(byName(r, "fixture-app").dependsOn).toEqual(["fixture-macros 0.1.0", "fixture-util 1.2.0"]);
    expect(byName(r, "fixture-util").dependsOn).toEqual(["fixture-macros 0.1.0"]);
    expect(byName(r, "fixture-macros").dependsOn).toBeUndefined();
  });

  it("reads registry, alternative-registry and git crates with checksums and edges", async () => {
    const r = await catalog("app/Cargo.lock", fixture("extended/Cargo.lock"));
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual([
      "fixture-app@0.3.1",
      "fixture-git@0.9.0",
      "fixture-macros@0.1.0",
      "fixture-util@1.2.0",
      "itoa@0.4.8",
      "itoa@1.0.11",
      "private-crate@2.0.0",
      "serde@1.0.210",
      "serde_derive@1.0.210",
    ]);
    const serde = byName(r, "serde");
    expect(serde).toMatchObject({
      purl: "pkg:cargo/serde@1.0.210",
      type: "library",
      hashes: [
        { alg: "SHA-256", content: "c8e3592472072e6e22e0a54d5904d9febf8508f65fb8552499a1abc7d1078c3a" },
      ],
      properties: {
        "cargo:sourceKind": "registry",
        "cargo:source": "registry+https://github.com/rust-lang/crates.io-index",
      },
      locations: [{ path: "app/Cargo.lock" }],
    });
    expect(serde.dependsOn).toEqual([
      "serde_derive 1.0.210 (registry+https://github.com/rust-lang/crates.io-index)",
    ]);

    // Uppercase hex is normalised; an alternative registry keeps its index as repository_url.
    const priv = byName(r, "private-crate");
    expect(priv.hashes).toEqual([
      { alg: "SHA-256", content: "ab0e5a2c6e7e3c5d8c1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c" },
    ]);
    expect(priv.purl).toBe(
      "pkg:cargo/private-crate@2.0.0?repository_url=https%3A%2F%2Fcrates.example.com%2Findex%2F",
    );

    const git = byName(r, "fixture-git");
    expect(git.purl).toBe(
      "pkg:cargo/fixture-git@0.9.0?vcs_url=" +
        encodeURIComponent(
          "git+https://github.com/example/fixture-git@0123456789abcdef0123456789abcdef01234567",
        ),
    );
    expect(git.type).toBe("library");
    expect(git.hashes).toBeUndefined();
    expect(git.properties?.["cargo:sourceKind"]).toBe("git");
    expect(git.dependsOn).toEqual(["itoa 0.4.8 (registry+https://github.com/rust-lang/crates.io-index)"]);

    // `name version` disambiguates between two locked versions.
    const app = byName(r, "fixture-app");
    expect(app.dependsOn).toContain("itoa 1.0.11 (registry+https://github.com/rust-lang/crates.io-index)");
    expect(app.dependsOn).toHaveLength(6);
    // Every edge points at a package of the same run.
    const refs = new Set(r.packages.map((p) => p.ref));
    for (const p of r.packages) for (const d of p.dependsOn ?? []) expect(refs).toContain(d);
  });

  it("reads lockfile v1: [root], full dependency ids and [metadata] checksums", async () => {
    const r = await catalog("Cargo.lock", fixture("v1/Cargo.lock"));
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual(["legacy-app@0.1.0", "libc@0.2.40", "local-helper@0.1.0"]);
    expect(byName(r, "libc").hashes).toEqual([
      { alg: "SHA-256", content: "6fd41f331ac7c5b8ac259b8bf82c75c0fb2e469bbf37d2becbba9a6a2221965b" },
    ]);
    expect(byName(r, "legacy-app").type).toBe("application");
    expect(byName(r, "legacy-app").dependsOn).toEqual([
      "libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index)",
      "local-helper 0.1.0",
    ]);
  });

  it("locates a bad v1 [metadata] checksum at its own line", () => {
    const text = fixture("v1/Cargo.lock").replace(/= "6fd4[0-9a-f]+"/, '= "short"');
    const r = parseCargoLock(text, { path: "Cargo.lock" });
    expect(r.issues?.map((i) => [i.location.line, i.message])).toEqual([
      [
        22,
        "package libc 0.2.40 (registry+https://github.com/rust-lang/crates.io-index): checksum is not a SHA-256 hex digest",
      ],
    ]);
  });

  it("keeps what parses from a damaged lockfile and locates each problem", async () => {
    const r = await catalog("Cargo.lock", fixture("malformed/Cargo.lock"));
    expect(ids(r)).toEqual(["also-good@0.5.0", "good@1.0.0"]);
    expect(byName(r, "good").hashes).toBeUndefined();
    expect(r.issues?.map((i) => [i.location.line, i.message])).toEqual([
      [14, expect.stringMatching(/^invalid TOML in \[\[package\]\]: /)],
      [17, "package without a name"],
      [24, "package also-good 0.5.0: dependencies must be an array of strings"],
      [
        7,
        "package good 1.0.0 (registry+https://github.com/rust-lang/crates.io-index): checksum is not a SHA-256 hex digest",
      ],
      [
        8,
        'package good 1.0.0 (registry+https://github.com/rust-lang/crates.io-index): dependency "missing-crate" is not in the lockfile',
      ],
    ]);
    for (const i of r.issues ?? []) {
      expect(i).toMatchObject({
        cataloger: "rust/cargo-lock",
        location: { file: "Cargo.lock", column: expect.any(Number) },
      });
    }
  });

  it("reports ambiguous and duplicate packages", async () => {
    const text = [
      "[[package]]",
      'name = "a"',
      'version = "1.0.0"',
      'dependencies = ["b"]',
      "",
      "[[package]]",
      'name = "b"',
      'version = "1.0.0"',
      "",
      "[[package]]",
      'name = "b"',
      'version = "2.0.0"',
      "",
      "[[package]]",
      'name = "b"',
      'version = "2.0.0"',
    ].join("\n");
    const r = await catalog("Cargo.lock", text);
    expect(ids(r)).toEqual(["a@1.0.0", "b@1.0.0", "b@2.0.0"]);
    expect(r.issues?.map((i) => [i.location.line, i.message])).toEqual([
      [14, "duplicate package b 2.0.0"],
      [4, 'package a 1.0.0: dependency "b" matches more than one package'],
    ]);
  });

  it("reports an unreadable file as an issue", async () => {
    const ctx = contextFor(memorySource({}));
    const r = await cargoLockCataloger.catalog({ path: "Cargo.lock", size: 0 }, ctx);
    expect(r.packages).toEqual([]);
    expect(r.issues?.[0]?.message).toMatch(/^cannot read Cargo.lock/);
  });

  it("keeps the image layer in locations and issues", () => {
    const r = parseCargoLock('[[package]]\nname = "x"\nversion = "1"\nchecksum = "zz"\n', {
      path: "src/Cargo.lock",
      layer: "sha256:ab",
    });
    expect(r.packages[0]?.locations).toEqual([{ path: "src/Cargo.lock", layer: "sha256:ab" }]);
    expect(r.issues?.[0]?.location).toEqual({
      file: "src/Cargo.lock",
      line: 4,
      column: 1,
      layer: "sha256:ab",
    });
  });

  it("never throws on arbitrary text", () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "[[package]]\n",
        "[metadata]\n",
        'name = "a"\n',
        'version = "1"\n',
        "dependencies = [\n",
        '"a 1 (x)",\n',
        "]\n",
        "\n",
      ),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const r = parseCargoLock(parts.join(""), { path: "Cargo.lock" });
        for (const i of r.issues ?? []) expect(i.location.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });
});
