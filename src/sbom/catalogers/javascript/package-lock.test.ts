import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult, FoundPackage } from "../../model.js";
import {
  catalogFile,
  catalogText,
  fixturePath,
  fixtureSource,
  ids,
  lsTreeEdges,
  npmLsPackages,
  readFixture,
  resultEdges,
} from "../../../../test/support/javascript-fixtures.js";
import { javascriptCatalogers, packageLockCataloger } from "./index.js";

const catalogFixture = (dir: string): Promise<CatalogResult> =>
  catalogFile(packageLockCataloger, fixtureSource(fixturePath(dir)), "package-lock.json");

const pkg = (r: CatalogResult, ref: string): FoundPackage => {
  const found = r.packages.find((p) => p.ref === ref);
  if (!found) throw new Error(`no ${ref} in ${ids(r).join(" ")}`);
  return found;
};

describe("javascript/package-lock", () => {
  it("has a stable plugin identity", () => {
    expect(packageLockCataloger).toMatchObject({
      name: "javascript/package-lock",
      version: 1,
      ecosystem: "npm",
      targets: ["directory", "file"],
    });
    expect(javascriptCatalogers).toContain(packageLockCataloger);
  });

  it.each([
    ["package-lock.json", true],
    ["npm-shrinkwrap.json", true],
    ["apps/web/package-lock.json", true],
    ["node_modules/x/package-lock.json", false],
    ["app/node_modules/@s/x/npm-shrinkwrap.json", false],
    ["node_modules/.package-lock.json", false],
    ["package.json", false],
    ["my-package-lock.json", false],
  ])("applies to %s: %s", (path, want) => {
    expect(packageLockCataloger.applies({ path, size: 10 })).toBe(want);
  });

  it("never applies to the lockfiles real packages ship inside node_modules", () => {
    const tree = fixtureSource(fixturePath("node-modules"), "rootfs");
    const stray = tree.files().filter((e) => /(package-lock\.json|yarn\.lock)$/.test(e.path));
    expect(stray.map((e) => e.path)).toEqual([
      "opt/npm6/node_modules/npm/node_modules/npm-normalize-package-bin/package-lock.json",
      "opt/npm6/node_modules/npm/node_modules/uri-js/yarn.lock",
    ]);
    for (const cataloger of javascriptCatalogers) {
      if (cataloger.name === "javascript/node-modules") continue;
      for (const e of stray) expect(cataloger.applies(e), `${cataloger.name} on ${e.path}`).toBe(false);
    }
  });

  describe.each([
    ["npm-v3", "npm 11, lockfileVersion 3"],
    ["npm-v2", "npm 11 --lockfile-version 2"],
    ["npm-v1", "npm 6, lockfileVersion 1"],
  ])("%s (%s)", (dir) => {
    it("finds exactly the name@version set `npm ls --package-lock-only` lists", async () => {
      const r = await catalogFixture(dir);
      expect(r.issues).toBeUndefined();
      expect(ids(r)).toEqual([...npmLsPackages(readFixture(dir, "npm-ls-lockfile.json"))].sort());
    });

    it("states exactly the dependency edges of npm's tree", async () => {
      const r = await catalogFixture(dir);
      expect([...resultEdges(r)].sort()).toEqual(
        [...lsTreeEdges(readFixture(dir, "npm-ls-lockfile.json"))].sort(),
      );
    });

    it("reports the alias string-width-cjs as the real package string-width", async () => {
      const r = await catalogFixture(dir);
      expect(r.packages.some((p) => p.name === "string-width-cjs")).toBe(false);
      expect(pkg(r, "string-width@4.2.3")).toMatchObject({
        purl: "pkg:npm/string-width@4.2.3",
        properties: { "npm:alias": "string-width-cjs", "npm:installPaths": "node_modules/string-width-cjs" },
        dependsOn: ["emoji-regex@8.0.0", "is-fullwidth-code-point@3.0.0", "strip-ansi@6.0.1"],
      });
    });

    it("takes dev and optional scope from npm's flags", async () => {
      const r = await catalogFixture(dir);
      expect(pkg(r, "@types/node@20.19.43")).toMatchObject({
        scope: "dev",
        purl: "pkg:npm/%40types/node@20.19.43",
      });
      expect(pkg(r, "undici-types@6.21.0").scope).toBe("dev");
      expect(pkg(r, "debug@4.4.3").scope).toBe("dev");
      expect(pkg(r, "debug@2.6.9").scope).toBe("required");
      expect(pkg(r, "fsevents@2.3.3").scope).toBe("optional");
      expect(pkg(r, "express@4.22.3").scope).toBe("required");
      // ms@2.1.3 is reached from debug@4 (dev) and from send (prod): production wins.
      expect(pkg(r, "ms@2.1.3").scope).toBe("required");
    });

    it("turns integrity into hex hashes", async () => {
      const r = await catalogFixture(dir);
      expect(pkg(r, "ms@2.1.3").hashes).toEqual([
        {
          alg: "SHA-512",
          content:
            "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394",
        },
      ]);
      for (const p of r.packages.filter((p) => p.type === "library")) {
        expect(
          p.hashes?.map((h) => h.alg),
          p.ref,
        ).toEqual(["SHA-512"]);
        expect(p.hashes![0]!.content).toMatch(/^[0-9a-f]{128}$/);
      }
    });

    it("merges a package installed at several paths and resolves each copy's dependencies", async () => {
      const r = await catalogFixture(dir);
      expect(r.packages.filter((p) => p.name === "ms").map((p) => p.version)).toEqual(["2.0.0", "2.1.3"]);
      expect(pkg(r, "debug@2.6.9").properties!["npm:installPaths"]!.split(",")).toContain(
        "node_modules/express/node_modules/debug",
      );
      expect(pkg(r, "debug@2.6.9").dependsOn).toEqual(["ms@2.0.0"]);
      expect(pkg(r, "debug@4.4.3").dependsOn).toEqual(["ms@2.1.3"]);
      expect(pkg(r, "express@4.22.3").dependsOn).toContain("debug@2.6.9");
      expect(pkg(r, "express@4.22.3").dependsOn).not.toContain("debug@4.4.3");
      for (const p of r.packages) expect(p.locations).toEqual([{ path: "package-lock.json" }]);
    });
  });

  it("npm-v1: also what npm 6 itself installed from that lockfile (`npm@6 ls`)", async () => {
    const r = await catalogFixture("npm-v1");
    expect(ids(r)).toEqual([...npmLsPackages(readFixture("npm-v1", "npm6-ls-installed.json"))].sort());
  });

  describe("lockfile v2/v3 extras", () => {
    it("reads v2 from its packages map exactly as v3", async () => {
      expect((await catalogFixture("npm-v2")).packages).toEqual((await catalogFixture("npm-v3")).packages);
    });

    it("reports licenses and the auto-installed peer react as required", async () => {
      const r = await catalogFixture("npm-v3");
      expect(pkg(r, "express@4.22.3").licenses).toEqual(["MIT"]);
      expect(pkg(r, "react@18.3.1").scope).toBe("required");
      expect(pkg(r, "react-dom@18.3.1").dependsOn).toEqual([
        "loose-envify@1.4.0",
        "react@18.3.1",
        "scheduler@0.23.2",
      ]);
    });

    it("reports a workspace package as an application, resolving its dependencies from its folder", async () => {
      const r = await catalogFixture("npm-v3");
      expect(pkg(r, "@fixture/util@0.1.0")).toEqual({
        ref: "@fixture/util@0.1.0",
        name: "@fixture/util",
        version: "0.1.0",
        purl: "pkg:npm/%40fixture/util@0.1.0",
        ecosystem: "npm",
        type: "application",
        scope: "required",
        locations: [{ path: "package-lock.json" }],
        dependsOn: ["minimist@1.2.8", "ms@2.1.3"],
        properties: { "npm:localPath": "packages/util" },
      });
    });

    it("lets the nearest node_modules win (Node's resolution), also inside workspaces", async () => {
      const lock = {
        lockfileVersion: 3,
        packages: {
          "": { name: "root", workspaces: ["packages/a"] },
          "node_modules/a": { link: true, resolved: "packages/a" },
          "node_modules/b": { version: "1.0.0", dependencies: { c: "^1" } },
          "node_modules/c": { version: "1.0.0" },
          "node_modules/b/node_modules/d": { version: "3.0.0", dependencies: { c: "^2" } },
          "node_modules/b/node_modules/c": { version: "2.0.0", peerDependencies: { b: "*" } },
          "packages/a": { name: "a", version: "0.0.1", dependencies: { c: "^3", b: "*" } },
          "packages/a/node_modules/c": { version: "3.0.0", dev: true },
        },
      };
      const r = await catalogText(packageLockCataloger, "package-lock.json", JSON.stringify(lock));
      expect(r.issues).toBeUndefined();
      expect([...resultEdges(r)].sort()).toEqual([
        "a@0.0.1 -> b@1.0.0",
        "a@0.0.1 -> c@3.0.0",
        "b@1.0.0 -> c@2.0.0",
        "c@2.0.0 -> b@1.0.0",
        "d@3.0.0 -> c@2.0.0",
      ]);
      expect(pkg(r, "c@3.0.0").scope).toBe("dev");
    });

    it("maps devOptional to optional: npm installs it in production unless optional deps are omitted", async () => {
      const lock = {
        lockfileVersion: 3,
        packages: {
          "node_modules/a": { version: "1.0.0", devOptional: true },
          "node_modules/b": { version: "1.0.0", dev: true, optional: true },
          "node_modules/c": { version: "1.0.0", optional: true },
          "node_modules/x": { version: "1.0.0", name: "y" },
        },
      };
      const r = await catalogText(packageLockCataloger, "package-lock.json", JSON.stringify(lock));
      expect(r.packages.map((p) => [p.ref, p.scope])).toEqual([
        ["a@1.0.0", "optional"],
        ["b@1.0.0", "dev"],
        ["c@1.0.0", "optional"],
        ["y@1.0.0", "required"],
      ]);
      expect(pkg(r, "y@1.0.0").properties).toEqual({
        "npm:alias": "x",
        "npm:installPaths": "node_modules/x",
      });
    });

    it("keeps the layer of an image file in locations and issues", async () => {
      const entry = { path: "app/package-lock.json", size: 10, layer: "sha256:abc" };
      const text =
        '{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0"},"node_modules/b":{}}}';
      const r = await catalogText(packageLockCataloger, entry.path, text);
      expect(r.packages[0]!.locations).toEqual([{ path: "app/package-lock.json" }]);
      const { memorySource, contextFor } = await import("../../../../test/support/javascript-fixtures.js");
      const layered = await packageLockCataloger.catalog(
        entry,
        contextFor(memorySource({ [entry.path]: text })),
      );
      expect(layered.packages[0]!.locations).toEqual([
        { path: "app/package-lock.json", layer: "sha256:abc" },
      ]);
      expect(layered.issues![0]!.location).toMatchObject({
        file: "app/package-lock.json",
        layer: "sha256:abc",
      });
    });
  });

  describe("malformed lockfiles: located issues, never a throw", () => {
    it("truncated JSON", async () => {
      const text = readFixture("npm-v3", "package-lock.json");
      const cut = text.slice(0, text.indexOf('"node_modules/express"') + 40);
      const r = await catalogText(packageLockCataloger, "package-lock.json", cut);
      expect(r.packages).toEqual([]);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/package-lock",
          message: "invalid JSON: unterminated string",
          location: { file: "package-lock.json", line: cut.split("\n").length, column: expect.any(Number) },
        },
      ]);
    });

    it.each([
      ["an empty file", "", "invalid JSON: unexpected end of input", 1, 1],
      ["a trailing comma", '{\n  "a": 1,\n}', "invalid JSON: expected a double-quoted property name", 3, 1],
      ["a bad literal", '{"lockfileVersion": tru}', 'invalid JSON: unexpected character "t"', 1, 21],
      ["extra content", "{}\n{}", "invalid JSON: unexpected content after the JSON value", 2, 1],
      ["a top-level array", "[1]", "a package lockfile is a JSON object", 1, 1],
    ])("%s", async (_, text, message, line, column) => {
      const r = await catalogText(packageLockCataloger, "package-lock.json", text);
      expect(r.packages).toEqual([]);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/package-lock",
          message,
          location: { file: "package-lock.json", line, column },
        },
      ]);
    });

    it("wrong types: skips the bad entry or field, keeps the rest, points at each", async () => {
      const text = [
        "{", //                                                   1
        '  "lockfileVersion": 7,', //                             2
        '  "packages": {', //                                     3
        '    "node_modules/a": { "version": 1 },', //             4
        '    "node_modules/b": "x",', //                          5
        '    "node_modules/c": {', //                             6
        '      "version": "1.0.0",', //                           7
        '      "integrity": 5,', //                               8
        '      "dependencies": ["a"],', //                        9
        '      "dev": "yes"', //                                  10
        "    },", //                                              11
        '    "node_modules/d": {},', //                           12
        '    "node_modules/e": { "link": true },', //             13
        '    "node_modules/@x": { "version": "1.0.0" }', //       14
        "  }",
        "}",
      ].join("\n");
      const r = await catalogText(packageLockCataloger, "package-lock.json", text);
      expect(ids(r)).toEqual(["c@1.0.0"]);
      expect(r.issues!.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
        [2, 3, "unknown lockfileVersion 7; reading it as version 3"],
        [13, 5, "a link entry without a 'resolved' folder"],
        [4, 25, "'version' is not a string"],
        [5, 5, "a package entry is not an object"],
        [10, 7, "'dev' is not a boolean"],
        [8, 7, "'integrity' is not a string"],
        [9, 7, "'dependencies' is not an object"],
        [12, 5, "a package entry without a version"],
        [14, 5, "cannot tell the package name of this entry"],
      ]);
    });

    it("wrong types in a v1 tree", async () => {
      const text = JSON.stringify(
        {
          lockfileVersion: 1,
          dependencies: {
            a: { version: "1.0.0", requires: { b: "^2" }, dependencies: { b: { version: "2.0.0" }, c: 3 } },
            b: { version: "1.0.0" },
            d: { version: ["1"] },
            e: { version: "file:../e" },
            f: { version: "npm:@s/real@4.5.6", dev: true },
          },
        },
        null,
        2,
      );
      const r = await catalogText(packageLockCataloger, "package-lock.json", text);
      expect(ids(r)).toEqual(["@s/real@4.5.6", "a@1.0.0", "b@1.0.0", "b@2.0.0"]);
      expect(pkg(r, "a@1.0.0").dependsOn).toEqual(["b@2.0.0"]);
      expect(pkg(r, "@s/real@4.5.6")).toMatchObject({ scope: "dev", properties: { "npm:alias": "f" } });
      expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
        [13, "a dependency entry is not an object"],
        [20, "'version' is not a package version"],
      ]);
    });

    it("'packages' of the wrong type falls back to v1 'dependencies'", async () => {
      const text = '{"packages": [], "dependencies": {"a": {"version": "1.0.0"}}}';
      const r = await catalogText(packageLockCataloger, "package-lock.json", text);
      expect(ids(r)).toEqual(["a@1.0.0"]);
      expect(r.issues!.map((i) => [i.location.column, i.message])).toEqual([
        [2, "'packages' is not an object"],
      ]);
    });

    it("a file over the size limit or that cannot be read", async () => {
      const { memorySource, contextFor } = await import("../../../../test/support/javascript-fixtures.js");
      const ctx = contextFor(memorySource({}));
      const big = await packageLockCataloger.catalog(
        { path: "package-lock.json", size: ctx.limits.maxFileBytes + 1 },
        ctx,
      );
      expect(big.issues![0]!.message).toMatch(/more than the limit/);
      const gone = await packageLockCataloger.catalog({ path: "package-lock.json", size: 1 }, ctx);
      expect(gone.issues![0]!.message).toMatch(/^cannot read the file/);
    });

    it("never throws, whatever the text (property)", async () => {
      const real = readFixture("npm-v1", "package-lock.json");
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.nat({ max: real.length }).map((n) => real.slice(0, n)),
            fc
              .tuple(fc.nat({ max: real.length }), fc.string())
              .map(([n, s]) => real.slice(0, n) + s + real.slice(n)),
          ),
          async (text) => {
            const r = await catalogText(packageLockCataloger, "package-lock.json", text);
            for (const i of r.issues ?? []) {
              expect(i.location.file).toBe("package-lock.json");
              if (i.location.line !== undefined) expect(i.location.line).toBeGreaterThanOrEqual(1);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
