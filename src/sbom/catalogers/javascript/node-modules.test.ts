import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FoundPackage } from "../../model.js";
import {
  catalogText,
  contextFor,
  fixturePath,
  fixtureSource,
} from "../../../../test/support/javascript-fixtures.js";
import { installedFolderName, javascriptCatalogers, nodeModulesCataloger } from "./index.js";

/** Every package the cataloger finds in the installed-tree fixture, by path. */
async function catalogTree(): Promise<Map<string, FoundPackage[]>> {
  const source = fixtureSource(fixturePath("node-modules"), "rootfs");
  const ctx = contextFor(source);
  const out = new Map<string, FoundPackage[]>();
  for (const entry of source.files()) {
    if (!nodeModulesCataloger.applies(entry)) continue;
    const r = await nodeModulesCataloger.catalog(entry, ctx);
    expect(r.issues, entry.path).toBeUndefined();
    out.set(entry.path, [...r.packages]);
  }
  return out;
}

describe("javascript/node-modules", () => {
  it("has a stable plugin identity", () => {
    expect(nodeModulesCataloger).toMatchObject({
      name: "javascript/node-modules",
      version: 1,
      ecosystem: "npm",
      targets: ["rootfs", "image"],
    });
    expect(javascriptCatalogers).toContain(nodeModulesCataloger);
  });

  it.each([
    ["node_modules/ms/package.json", "ms"],
    ["app/node_modules/@types/node/package.json", "@types/node"],
    ["usr/lib/node_modules/npm/node_modules/glob/package.json", "glob"],
    ["app/node_modules/express/node_modules/debug/package.json", "debug"],
    ["node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json", "ms"],
    ["node_modules/.pnpm/@s+x@1.0.0/node_modules/@s/x/package.json", "@s/x"],
    [".yarn/unplugged/fsevents-npm-2.3.3-1a2b/node_modules/fsevents/package.json", "fsevents"],
    ["package.json", undefined],
    ["node_modules/package.json", undefined],
    ["node_modules/@s/package.json", undefined],
    ["node_modules/.bin/package.json", undefined],
    ["node_modules/.pnpm/node_modules/ms/package.json", undefined],
    ["node_modules/glob/dist/esm/package.json", undefined],
    ["node_modules/resolve/test/resolver/multirepo/packages/package-a/package.json", undefined],
    ["node_modules/x/test/fixtures/node_modules/y/package.json", undefined],
    ["node_modules/ms/index.js", undefined],
    ["node_modules/ms/package.json.bak", undefined],
  ])("installedFolderName(%s) = %s", (path, want) => {
    expect(installedFolderName(path)).toBe(want);
    expect(nodeModulesCataloger.applies({ path, size: 10 })).toBe(want !== undefined);
  });

  it("finds exactly the installed packages of the fixture tree, and nothing else", async () => {
    const found = await catalogTree();
    const summary = [...found].map(([path, pkgs]) => [path, pkgs.map((p) => p.ref)]);
    expect(summary).toEqual([
      ["app/node_modules/@types/node/package.json", ["@types/node@20.19.43"]],
      ["app/node_modules/debug/package.json", ["debug@4.4.3"]],
      ["app/node_modules/express/node_modules/debug/package.json", ["debug@2.6.9"]],
      ["app/node_modules/express/node_modules/ms/package.json", ["ms@2.0.0"]],
      ["app/node_modules/express/package.json", ["express@4.22.3"]],
      ["app/node_modules/ms/package.json", ["ms@2.1.3"]],
      // hand-written manifest without a version: not a package, and not an issue
      ["app/node_modules/no-version/package.json", []],
      ["app/node_modules/string-width-cjs/package.json", ["string-width@4.2.3"]],
      ["opt/npm6/node_modules/npm/node_modules/config-chain/package.json", ["config-chain@1.1.13"]],
      [
        "opt/npm6/node_modules/npm/node_modules/npm-normalize-package-bin/package.json",
        ["npm-normalize-package-bin@1.0.1"],
      ],
      ["opt/npm6/node_modules/npm/node_modules/uri-js/package.json", ["uri-js@4.4.1"]],
      ["opt/npm6/node_modules/npm/package.json", ["npm@6.14.18"]],
      [
        "pnpm-app/node_modules/.pnpm/@sindresorhus+is@4.6.0/node_modules/@sindresorhus/is/package.json",
        ["@sindresorhus/is@4.6.0"],
      ],
      ["pnpm-app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json", ["ms@2.1.3"]],
      [
        "usr/lib/node_modules/npm/node_modules/@isaacs/fs-minipass/package.json",
        ["@isaacs/fs-minipass@4.0.1"],
      ],
      ["usr/lib/node_modules/npm/node_modules/glob/package.json", ["glob@13.0.6"]],
      ["usr/lib/node_modules/npm/node_modules/qrcode-terminal/package.json", ["qrcode-terminal@0.12.0"]],
      ["usr/lib/node_modules/npm/package.json", ["npm@11.19.1"]],
    ]);
  });

  it("reads licenses as declared: a string, a legacy {type} object, a legacy licenses list", async () => {
    const found = await catalogTree();
    const one = (path: string): FoundPackage => found.get(path)![0]!;
    expect(one("usr/lib/node_modules/npm/package.json").licenses).toEqual(["Artistic-2.0"]);
    expect(one("opt/npm6/node_modules/npm/node_modules/config-chain/package.json").licenses).toEqual(["MIT"]);
    expect(one("usr/lib/node_modules/npm/node_modules/qrcode-terminal/package.json").licenses).toEqual([
      "Apache 2.0",
    ]);
  });

  it("keeps the path (and layer) as location, the folder of an alias, and npm 6's _integrity", async () => {
    const found = await catalogTree();
    expect(found.get("app/node_modules/string-width-cjs/package.json")![0]).toEqual({
      ref: "string-width@4.2.3",
      name: "string-width",
      version: "4.2.3",
      purl: "pkg:npm/string-width@4.2.3",
      ecosystem: "npm",
      type: "library",
      licenses: ["MIT"],
      locations: [{ path: "app/node_modules/string-width-cjs/package.json" }],
      properties: { "npm:alias": "string-width-cjs" },
    });
    expect(found.get("opt/npm6/node_modules/npm/node_modules/config-chain/package.json")![0]!.hashes).toEqual(
      [
        {
          alg: "SHA-512",
          content:
            "aa3f9ff003c04571eb33486b6aa5d86f6fdb395495e0fbc9425359fc3563d10ae634cdaad9eba2ce47ae55c910e7b27e5b49911fa1ef8be939d0ce09ba5d9545",
        },
      ],
    );
    const layered = await nodeModulesCataloger.catalog(
      { path: "node_modules/ms/package.json", size: 40, layer: "sha256:l1" },
      contextFor(
        (await import("../../../../test/support/javascript-fixtures.js")).memorySource({
          "node_modules/ms/package.json": '{"name":"ms","version":"2.1.3","license":"MIT"}',
        }),
      ),
    );
    expect(layered.packages[0]!.locations).toEqual([
      { path: "node_modules/ms/package.json", layer: "sha256:l1" },
    ]);
  });

  describe("malformed manifests: located issues, never a throw", () => {
    it.each([
      ["truncated JSON", '{\n  "name": "ms",\n  "version": "2.1', "invalid JSON: unterminated string", 3, 14],
      ["a top-level string", '"ms"', "a package manifest is a JSON object", 1, 1],
      ["a bad name", '{"name": "a b", "version": "1.0.0"}', "'name' is not a package name: \"a b\"", 1, 2],
    ])("%s", async (_, text, message, line, column) => {
      const r = await catalogText(nodeModulesCataloger, "node_modules/ms/package.json", text);
      expect(r.packages).toEqual([]);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/node-modules",
          message,
          location: { file: "node_modules/ms/package.json", line, column },
        },
      ]);
    });

    it("wrong types of name or version: no package, no issue", async () => {
      for (const text of [
        '{"name": 1, "version": "1.0.0"}',
        '{"name": "ms", "version": 2}',
        '{"name": "ms"}',
      ]) {
        expect(await catalogText(nodeModulesCataloger, "node_modules/ms/package.json", text)).toEqual({
          packages: [],
        });
      }
    });

    it("never throws, whatever the text (property)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (text) => {
          const r = await catalogText(nodeModulesCataloger, "node_modules/x/package.json", text);
          for (const i of r.issues ?? []) expect(i.location.file).toBe("node_modules/x/package.json");
        }),
        { numRuns: 300 },
      );
    });
  });
});
