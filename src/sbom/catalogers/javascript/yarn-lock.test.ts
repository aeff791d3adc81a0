import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult, FoundPackage } from "../../model.js";
import {
  catalogFile,
  catalogText,
  fixturePath,
  fixtureSource,
  ids,
  readFixture,
  resultEdges,
  yarnInfoEdges,
  yarnInfoPackages,
  yarnListPackages,
} from "../../../../test/support/javascript-fixtures.js";
import { javascriptCatalogers, packageLockCataloger, yarnLockCataloger } from "./index.js";

const catalogFixture = (dir: string): Promise<CatalogResult> =>
  catalogFile(yarnLockCataloger, fixtureSource(fixturePath(dir)), "yarn.lock");

const pkg = (r: CatalogResult, ref: string): FoundPackage => {
  const found = r.packages.find((p) => p.ref === ref);
  if (!found) throw new Error(`no ${ref} in ${ids(r).join(" ")}`);
  return found;
};

/** The same project's scopes as npm computed them (lockfile flags), for cross-checking. */
async function npmScopes(): Promise<Map<string, string | undefined>> {
  const r = await catalogFile(
    packageLockCataloger,
    fixtureSource(fixturePath("npm-v3")),
    "package-lock.json",
  );
  return new Map(r.packages.map((p) => [p.ref, p.scope]));
}

describe("javascript/yarn-lock", () => {
  it("has a stable plugin identity", () => {
    expect(yarnLockCataloger).toMatchObject({
      name: "javascript/yarn-lock",
      version: 1,
      ecosystem: "npm",
      targets: ["directory", "file"],
    });
    expect(javascriptCatalogers).toContain(yarnLockCataloger);
  });

  it.each([
    ["yarn.lock", true],
    ["packages/web/yarn.lock", true],
    ["node_modules/uri-js/yarn.lock", false],
    ["a/node_modules/b/yarn.lock", false],
    ["yarn.lock.bak", false],
  ])("applies to %s: %s", (path, want) => {
    expect(yarnLockCataloger.applies({ path, size: 10 })).toBe(want);
  });

  describe("Yarn v1", () => {
    it("finds exactly the name@version set `yarn list` prints, but for workspaces and alias names", async () => {
      const r = await catalogFixture("yarn-v1");
      expect(r.issues).toBeUndefined();
      // yarn.lock v1 does not record workspaces, and `yarn list` prints an alias by its folder name.
      const truth = [...yarnListPackages(readFixture("yarn-v1", "yarn-list.json"))]
        .filter((id) => id !== "@fixture/util@0.1.0")
        .map((id) => id.replace(/^string-width-cjs@/, "string-width@"));
      expect(ids(r)).toEqual(truth.sort());
    });

    it("reports the alias as string-width, with hex hashes from integrity and the tarball URL", async () => {
      const r = await catalogFixture("yarn-v1");
      expect(r.packages.some((p) => p.name === "string-width-cjs")).toBe(false);
      expect(pkg(r, "string-width@4.2.3")).toMatchObject({
        purl: "pkg:npm/string-width@4.2.3",
        properties: { "npm:alias": "string-width-cjs" },
        dependsOn: ["emoji-regex@8.0.0", "is-fullwidth-code-point@3.0.0", "strip-ansi@6.0.1"],
      });
      expect(pkg(r, "ms@2.1.3").hashes).toEqual([
        {
          alg: "SHA-512",
          content:
            "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394",
        },
        { alg: "SHA-1", content: "574c8138ce1d2b5861f0b44579dbadd60c6615b2" },
      ]);
    });

    it("resolves dependencies through descriptors", async () => {
      const r = await catalogFixture("yarn-v1");
      expect(pkg(r, "debug@2.6.9").dependsOn).toEqual(["ms@2.0.0"]);
      expect(pkg(r, "debug@4.4.3").dependsOn).toEqual(["ms@2.1.3"]);
      expect(pkg(r, "express@4.22.3").dependsOn).toContain("debug@2.6.9");
      expect(pkg(r, "express@4.22.3").dependsOn).not.toContain("debug@4.4.3");
      // react is an unmet peer (Yarn does not install peers): no edge to invent.
      expect(pkg(r, "react-dom@18.3.1").dependsOn).toEqual(["loose-envify@1.4.0", "scheduler@0.23.2"]);
    });

    it("computes scope from the sibling package.json, agreeing with npm's flags", async () => {
      const r = await catalogFixture("yarn-v1");
      expect(pkg(r, "@types/node@20.19.43").scope).toBe("dev");
      expect(pkg(r, "fsevents@2.3.3").scope).toBe("optional");
      const npm = await npmScopes();
      for (const p of r.packages) expect(p.scope, p.ref).toBe(npm.get(p.ref));
    });

    it("leaves scope unset when package.json cannot be read", async () => {
      const r = await catalogText(yarnLockCataloger, "yarn.lock", readFixture("yarn-v1", "yarn.lock"));
      expect(r.packages.length).toBe(93);
      expect(r.packages.every((p) => p.scope === undefined)).toBe(true);
    });
  });

  describe("Yarn Berry", () => {
    it("finds exactly the packages `yarn info -AR` lists (workspaces are the project, not packages)", async () => {
      const r = await catalogFixture("yarn-berry");
      expect(r.issues).toBeUndefined();
      const truth = yarnInfoPackages(readFixture("yarn-berry", "yarn-info.ndjson"));
      expect(ids(r)).toEqual([...truth.packages].sort());
      expect([...truth.workspaces].sort()).toEqual(["@fixture/util@0.1.0", "bulwark-js-fixture@1.0.0"]);
    });

    it("states exactly the dependency edges Yarn resolved", async () => {
      const r = await catalogFixture("yarn-berry");
      expect([...resultEdges(r)].sort()).toEqual(
        [...yarnInfoEdges(readFixture("yarn-berry", "yarn-info.ndjson"))].sort(),
      );
    });

    it("reports the alias, merges the patched fsevents, and keeps the cache checksum as a property", async () => {
      const r = await catalogFixture("yarn-berry");
      expect(pkg(r, "string-width@4.2.3").properties).toMatchObject({ "npm:alias": "string-width-cjs" });
      const fsevents = r.packages.filter((p) => p.name === "fsevents");
      expect(fsevents).toHaveLength(1);
      expect(fsevents[0]).toMatchObject({
        version: "2.3.3",
        scope: "optional",
        properties: { "yarn:patched": "true" },
      });
      // A Berry checksum hashes Yarn's cache zip, not the registry tarball: never a component hash.
      for (const p of r.packages) {
        expect(p.hashes).toBeUndefined();
        expect(p.properties?.["yarn:checksum"], p.ref).toMatch(
          /^10c0\/[0-9a-f]{128}(,10c0\/[0-9a-f]{128})*$/,
        );
      }
    });

    it("computes scope from package.json: the same as npm, and node-gyp (fsevents' build tool) optional", async () => {
      const r = await catalogFixture("yarn-berry");
      const npm = await npmScopes();
      for (const p of r.packages) {
        if (npm.has(p.ref)) expect(p.scope, p.ref).toBe(npm.get(p.ref));
        else expect(p.scope, p.ref).toBe("optional");
      }
      expect(pkg(r, "node-gyp@13.1.0").scope).toBe("optional");
    });
  });

  describe("malformed lockfiles: located issues, never a throw", () => {
    it("a v1 syntax error", async () => {
      const text = '# yarn lockfile v1\n\n\nms@^2.1.3:\n  version "2.1.3"\n bad\n';
      const r = await catalogText(yarnLockCataloger, "yarn.lock", text);
      expect(r.packages).toEqual([]);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/yarn-lock",
          message: expect.stringMatching(/^invalid yarn\.lock: Expected/),
          location: { file: "yarn.lock", line: 6, column: 2 },
        },
      ]);
    });

    it("a Berry YAML error", async () => {
      const text = '__metadata:\n  version: 8\n\n"ms@npm:^2.1.3":\n  version: [2.1.3\n';
      const r = await catalogText(yarnLockCataloger, "yarn.lock", text);
      expect(r.packages).toEqual([]);
      expect(r.issues![0]).toMatchObject({
        message: expect.stringMatching(/^invalid yarn\.lock: /),
        location: { file: "yarn.lock", line: 6, column: 1 },
      });
    });

    it("wrong types: skips the entry, keeps the rest, points at its line", async () => {
      const text = [
        "# yarn lockfile v1", // 1
        "", // 2
        "", // 3
        "a@^1:", // 4
        '  version "1.0.0"', // 5
        '  integrity "sha512-notbase64!"', // 6
        "", // 7
        "b@^1:", // 8
        '  resolved "https://registry.yarnpkg.com/b/-/b-1.0.0.tgz"', // 9
        "", // 10
        '"@s/c@^2", "@s/c@^2.1":', // 11
        '  version "2.1.0"', // 12
        "  dependencies:", // 13
        '    a "^1"', // 14
        '    b "^1"', // 15
      ].join("\n");
      const r = await catalogText(yarnLockCataloger, "yarn.lock", text);
      expect(ids(r)).toEqual(["@s/c@2.1.0", "a@1.0.0"]);
      expect(pkg(r, "a@1.0.0").hashes).toBeUndefined();
      expect(pkg(r, "@s/c@2.1.0").dependsOn).toEqual(["a@1.0.0"]);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/yarn-lock",
          message: 'entry "b@^1" has no version',
          location: { file: "yarn.lock", line: 8, column: 1 },
        },
      ]);
    });

    it("Berry entries without resolution or version", async () => {
      const text = [
        "__metadata:", // 1
        "  version: 8", // 2
        "", // 3
        '"a@npm:^1":', // 4
        "  version: 1.0.0", // 5
        "", // 6
        '"b@npm:^1":', // 7
        '  resolution: "b@npm:1.0.0"', // 8
        "", // 9
        '"c@npm:^1":', // 10
        "  - list", // 11
      ].join("\n");
      const r = await catalogText(yarnLockCataloger, "yarn.lock", text);
      expect(r.packages).toEqual([]);
      expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
        [4, 'entry "a@npm:^1" has no resolution'],
        [7, 'entry "b@npm:^1" has no version'],
        [10, 'entry "c@npm:^1" is not a mapping'],
      ]);
    });

    it("an invalid sibling package.json is reported in that file", async () => {
      const r = await catalogText(yarnLockCataloger, "web/yarn.lock", readFixture("yarn-v1", "yarn.lock"), {
        "web/package.json": "{ nope",
      });
      expect(r.packages.length).toBe(93);
      expect(r.issues).toEqual([
        {
          cataloger: "javascript/yarn-lock",
          message: "invalid JSON in the project manifest: expected a double-quoted property name",
          location: { file: "web/package.json", line: 1, column: 3 },
        },
      ]);
    });

    it("never throws, whatever the text (property)", async () => {
      const v1 = readFixture("yarn-v1", "yarn.lock");
      const berry = readFixture("yarn-berry", "yarn.lock");
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc
              .constantFrom(v1, berry)
              .chain((real) =>
                fc.tuple(fc.nat({ max: real.length }), fc.string()).map(([n, s]) => real.slice(0, n) + s),
              ),
          ),
          async (text) => {
            const r = await catalogText(yarnLockCataloger, "yarn.lock", text);
            for (const i of r.issues ?? []) expect(i.location.file).toBe("yarn.lock");
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
