import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { CatalogResult, FoundPackage } from "../../model.js";
import {
  catalogFile,
  catalogText,
  fixturePath,
  fixtureSource,
  ids,
  lsTreeEdges,
  pnpmListPackages,
  readFixture,
  resultEdges,
} from "../../../../test/support/javascript-fixtures.js";
import { javascriptCatalogers, packageLockCataloger, pnpmLockCataloger } from "./index.js";

const catalogFixture = (dir: string): Promise<CatalogResult> =>
  catalogFile(pnpmLockCataloger, fixtureSource(fixturePath(dir)), "pnpm-lock.yaml");

const pkg = (r: CatalogResult, ref: string): FoundPackage => {
  const found = r.packages.find((p) => p.ref === ref);
  if (!found) throw new Error(`no ${ref} in ${ids(r).join(" ")}`);
  return found;
};

describe("javascript/pnpm-lock", () => {
  it("has a stable plugin identity", () => {
    expect(pnpmLockCataloger).toMatchObject({
      name: "javascript/pnpm-lock",
      version: 1,
      ecosystem: "npm",
      targets: ["directory", "file"],
    });
    expect(javascriptCatalogers).toContain(pnpmLockCataloger);
  });

  it.each([
    ["pnpm-lock.yaml", true],
    ["apps/x/pnpm-lock.yaml", true],
    ["node_modules/x/pnpm-lock.yaml", false],
    ["node_modules/.pnpm/lock.yaml", false],
    ["pnpm-workspace.yaml", false],
  ])("applies to %s: %s", (path, want) => {
    expect(pnpmLockCataloger.applies({ path, size: 10 })).toBe(want);
  });

  describe.each([
    ["pnpm-v9", "pnpm 9, lockfileVersion 9.0"],
    ["pnpm-v6", "pnpm 8, lockfileVersion 6.0"],
  ])("%s (%s)", (dir) => {
    it("finds exactly the name@version set `pnpm list -r --depth Infinity` prints", async () => {
      const r = await catalogFixture(dir);
      expect(r.issues).toBeUndefined();
      expect(ids(r)).toEqual([...pnpmListPackages(readFixture(dir, "pnpm-list.json"))].sort());
    });

    it("states exactly the dependency edges of pnpm's tree", async () => {
      const r = await catalogFixture(dir);
      expect([...resultEdges(r)].sort()).toEqual([...lsTreeEdges(readFixture(dir, "pnpm-list.json"))].sort());
    });

    it("reports the alias as string-width, with SHA-512 from resolution.integrity", async () => {
      const r = await catalogFixture(dir);
      expect(r.packages.some((p) => p.name === "string-width-cjs")).toBe(false);
      expect(pkg(r, "string-width@4.2.3")).toMatchObject({
        purl: "pkg:npm/string-width@4.2.3",
        scope: "required",
        properties: { "npm:alias": "string-width-cjs" },
      });
      expect(pkg(r, "ms@2.1.3").hashes).toEqual([
        {
          alg: "SHA-512",
          content:
            "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394",
        },
      ]);
      for (const p of r.packages)
        expect(
          p.hashes?.map((h) => h.alg),
          p.ref,
        ).toEqual(["SHA-512"]);
    });

    it("computes scope from the importers, agreeing with npm's flags for the same project", async () => {
      const r = await catalogFixture(dir);
      const npm = await catalogFile(
        packageLockCataloger,
        fixtureSource(fixturePath("npm-v3")),
        "package-lock.json",
      );
      const npmScope = new Map(npm.packages.map((p) => [p.ref, p.scope]));
      for (const p of r.packages) expect(p.scope, p.ref).toBe(npmScope.get(p.ref));
      expect(pkg(r, "@types/node@20.19.43").scope).toBe("dev");
      expect(pkg(r, "fsevents@2.3.3").scope).toBe("optional");
      expect(pkg(r, "debug@2.6.9").scope).toBe("required");
    });

    it("resolves peers (react-dom → react) and duplicates at two versions", async () => {
      const r = await catalogFixture(dir);
      expect(pkg(r, "react-dom@18.3.1").dependsOn).toEqual([
        "loose-envify@1.4.0",
        "react@18.3.1",
        "scheduler@0.23.2",
      ]);
      expect(pkg(r, "debug@2.6.9").dependsOn).toEqual(["ms@2.0.0"]);
      expect(pkg(r, "debug@4.4.3").dependsOn).toEqual(["ms@2.1.3"]);
    });
  });

  it("v6: the scopes computed from importers equal pnpm's own dev/optional flags", async () => {
    const r = await catalogFixture("pnpm-v6");
    const lock = parse(readFixture("pnpm-v6", "pnpm-lock.yaml")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean }>;
    };
    const flags = new Map<string, string>();
    for (const [key, v] of Object.entries(lock.packages)) {
      const m = /^\/(@?[^@]+)@([^(]+)/.exec(key)!;
      flags.set(`${m[1]}@${m[2]}`, v.dev === true ? "dev" : v.optional === true ? "optional" : "required");
    }
    expect(new Map(r.packages.map((p) => [p.ref, p.scope]))).toEqual(flags);
  });

  it("reads the project's document when pnpm writes an env lockfile first", async () => {
    const env = [
      "---",
      "lockfileVersion: '9.0'",
      "importers:",
      "  .:",
      "    configDependencies: {}",
      "    packageManagerDependencies:",
      "      pnpm:",
      "        specifier: 10.0.0",
      "        version: 10.0.0",
      "packages:",
      "  pnpm@10.0.0:",
      "    resolution: {integrity: sha512-AAAA}",
      "snapshots:",
      "  pnpm@10.0.0: {}",
      "",
    ].join("\n");
    const r = await catalogText(
      pnpmLockCataloger,
      "pnpm-lock.yaml",
      env + "---\n" + readFixture("pnpm-v9", "pnpm-lock.yaml"),
    );
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual(ids(await catalogFixture("pnpm-v9")));
  });

  it("reads v5 keys and a single-project lockfile without importers", async () => {
    const text = [
      "lockfileVersion: 5.4",
      "specifiers:",
      "  a: ^1.0.0",
      "  '@s/b': ^2.0.0",
      "dependencies:",
      "  a: 1.0.0",
      "devDependencies:",
      "  '@s/b': 2.0.0_a@1.0.0",
      "packages:",
      "  /a/1.0.0:",
      "    resolution: {integrity: sha1-2jmyvjWgS4AFR6VkHrF0XmT0wVE=}",
      "    dev: false",
      "  /@s/b/2.0.0_a@1.0.0:",
      "    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}",
      "    dependencies:",
      "      a: 1.0.0",
      "    dev: true",
    ].join("\n");
    const r = await catalogText(pnpmLockCataloger, "pnpm-lock.yaml", text);
    expect(r.issues).toBeUndefined();
    expect(r.packages.map((p) => [p.ref, p.scope, p.dependsOn, p.hashes?.[0]?.alg])).toEqual([
      ["@s/b@2.0.0", "dev", ["a@1.0.0"], "SHA-512"],
      ["a@1.0.0", "required", undefined, "SHA-1"],
    ]);
  });

  describe("malformed lockfiles: located issues, never a throw", () => {
    it("bad YAML", async () => {
      const r = await catalogText(
        pnpmLockCataloger,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\npackages:\n  a@1: [\n",
      );
      expect(r.packages).toEqual([]);
      expect(r.issues).toHaveLength(1);
      expect(r.issues![0]).toMatchObject({
        cataloger: "javascript/pnpm-lock",
        message: expect.stringMatching(/^invalid YAML: /),
        location: { file: "pnpm-lock.yaml", line: expect.any(Number), column: expect.any(Number) },
      });
    });

    it("wrong types: skips the entry, keeps the rest, points at it", async () => {
      const text = [
        "lockfileVersion: '9.0'", // 1
        "importers:", // 2
        "  .:", // 3
        "    dependencies:", // 4
        "      a: {specifier: ^1, version: 1.0.0}", // 5
        "      b: {specifier: ^1, version: 1.0.0}", // 6
        "packages:", // 7
        "  a@1.0.0:", // 8
        "    resolution: {integrity: 42}", // 9
        "  b@1.0.0: {}", // 10
        "snapshots:", // 11
        "  a@1.0.0:", // 12
        "    dependencies: [b]", // 13
        "  b@1.0.0: just text", // 14
        "  nonsense: {}", // 15
      ].join("\n");
      const r = await catalogText(pnpmLockCataloger, "pnpm-lock.yaml", text);
      expect(ids(r)).toEqual(["a@1.0.0"]);
      expect(pkg(r, "a@1.0.0")).toMatchObject({ scope: "required" });
      expect(pkg(r, "a@1.0.0").hashes).toBeUndefined();
      expect(r.issues!.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
        [13, 5, "'dependencies' is not a mapping"],
        [14, 3, 'entry "b@1.0.0" is not a mapping'],
        [15, 3, 'cannot read a package name and version from "nonsense"'],
      ]);
    });

    it.each([
      ["a list", "- a\n- b\n", "a pnpm lockfile is a mapping"],
      ["an unknown version", "lockfileVersion: 'x'\n", 'unknown lockfileVersion "x"; reading it as 6.0'],
      ["packages of the wrong type", "lockfileVersion: '6.0'\npackages: 3\n", "'packages' is not a mapping"],
    ])("%s", async (_, text, message) => {
      const r = await catalogText(pnpmLockCataloger, "pnpm-lock.yaml", text);
      expect(r.packages).toEqual([]);
      expect(r.issues!.map((i) => i.message)).toEqual([message]);
      expect(r.issues![0]!.location.line).toBeGreaterThanOrEqual(1);
    });

    it("never throws, whatever the text (property)", async () => {
      const real = readFixture("pnpm-v9", "pnpm-lock.yaml");
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.tuple(fc.nat({ max: real.length }), fc.string()).map(([n, s]) => real.slice(0, n) + s),
          ),
          async (text) => {
            const r = await catalogText(pnpmLockCataloger, "pnpm-lock.yaml", text);
            for (const i of r.issues ?? []) expect(i.location.file).toBe("pnpm-lock.yaml");
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
