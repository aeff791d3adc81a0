import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../../core/index.js";
import type { CatalogResult } from "../../model.js";
import { catalogAll, fixtureDir, fixtureSource } from "../../../../test/support/file-source.js";
import { parsePoetryLock, poetryLockCataloger } from "./poetry-lock.js";

const entry = { path: "poetry.lock", size: 0 };
const run = async (dir: string): Promise<CatalogResult> => {
  const [r] = await catalogAll(poetryLockCataloger, fixtureSource(fixtureDir("python", "poetry", dir)));
  return r!;
};
const ids = (r: CatalogResult) => r.packages.map((p) => `${p.name}@${p.version}`);
const pkg = (r: CatalogResult, name: string) => r.packages.find((p) => p.name === name)!;

describe("python/poetry-lock", () => {
  it("applies to poetry.lock only", () => {
    expect(poetryLockCataloger.applies({ path: "a/poetry.lock", size: 1 })).toBe(true);
    expect(poetryLockCataloger.applies({ path: "a/poetry.lock.bak", size: 1 })).toBe(false);
  });

  it("lock 2.1 (Poetry 2): packages, group scopes, hashes, sources and edges", async () => {
    const r = await run("lock-2.1");
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual([
      "certifi@2024.2.2",
      "colorama@0.4.6",
      "idna@3.6",
      "iniconfig@2.0.0",
      "pysocks@1.7.1",
      "pytest@8.0.0",
      "requests@2.31.0",
      "acme-tools@0.3.0",
    ]);
    expect(Object.fromEntries(r.packages.map((p) => [p.name, p.scope]))).toEqual({
      certifi: "required",
      colorama: "dev",
      idna: "required",
      iniconfig: "dev",
      pysocks: "optional",
      pytest: "dev",
      requests: "required", // in main and dev: main wins
      "acme-tools": "required",
    });
    expect(pkg(r, "certifi").hashes).toEqual([
      { alg: "SHA-256", content: "dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1" },
      { alg: "SHA-256", content: "0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f" },
    ]);
    expect(pkg(r, "pysocks").purl).toBe("pkg:pypi/pysocks@1.7.1");
    expect(pkg(r, "requests").dependsOn).toEqual(["certifi@2024.2.2", "idna@3.6", "pysocks@1.7.1"]);
    expect(pkg(r, "pytest").dependsOn).toEqual(["colorama@0.4.6", "iniconfig@2.0.0"]);
    expect(pkg(r, "colorama").properties).toEqual({
      "python:markers": 'sys_platform == "win32"',
      "python:groups": "dev",
    });
    expect(pkg(r, "acme-tools").properties).toEqual({
      "python:source": "git+https://github.com/acme/acme-tools.git@4f2a9c0d2b7e8f1a3c5d6e7f8a9b0c1d2e3f4a5b",
      "python:groups": "main",
    });
    expect(pkg(r, "acme-tools").hashes).toBeUndefined();
  });

  it("lock 2.0 (Poetry 1.5–1.8) states no group: scope is left unset", async () => {
    const r = await run("lock-2.0");
    expect(ids(r)).toEqual(["click@8.1.7", "colorama@0.4.6"]);
    expect(r.packages.map((p) => p.scope)).toEqual([undefined, undefined]);
    expect(pkg(r, "click").dependsOn).toEqual(["colorama@0.4.6"]);
    expect(pkg(r, "click").hashes).toHaveLength(2);
  });

  it("lock 1.1: category scopes and hashes from [metadata.files]", async () => {
    const r = await run("lock-1.1");
    expect(ids(r)).toEqual(["six@1.16.0", "toml@0.10.2"]);
    expect(r.packages.map((p) => p.scope)).toEqual(["required", "dev"]);
    expect(pkg(r, "toml").hashes).toEqual([
      { alg: "SHA-256", content: "806143ae5bfb6a3c6e736a764057db0e6a0e05e338b5630894a5f779cabb4f9b" },
      { alg: "SHA-256", content: "b3bda1d108d5dd99f4a20d24d9c348e91c4db7ab1b749200bded2f839ccbe68f" },
    ]);
  });

  it("malformed entries become located issues", async () => {
    const r = await run("malformed");
    expect(ids(r)).toEqual(["ok@1.0.0", "ok-too@2.0"]);
    expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [1, 'malformed hash "md5:zz" for ok'],
      [6, "package entry without version; skipped"],
      [9, "package entry without name; skipped"],
      [12, "`groups` of ok-too is not a list of strings"],
      [12, "`dependencies` of ok-too is not a table"],
    ]);
  });

  it("invalid TOML is one issue with the parser's position", () => {
    const r = parsePoetryLock('[[package]]\nname = "x\n', entry, DEFAULT_LIMITS);
    expect(r.packages).toEqual([]);
    expect(r.issues![0]!.location).toMatchObject({ file: "poetry.lock", line: 2 });
    expect(r.issues![0]!.message).toMatch(/^invalid TOML/);
  });

  it("never throws on arbitrary text or arbitrary TOML shapes", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parsePoetryLock(text, entry, DEFAULT_LIMITS);
      }),
      { numRuns: 300 },
    );
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant([]),
      fc.dictionary(fc.string(), fc.string()),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(
            fc.constantFrom(
              "name",
              "version",
              "files",
              "groups",
              "dependencies",
              "source",
              "category",
              "optional",
              "markers",
            ),
            value,
          ),
        ),
        (pkgs) => {
          const toml = pkgs
            .map(
              (p) =>
                `[[package]]\n${Object.entries(p)
                  .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
                  .join("\n")}\n`,
            )
            .join("\n");
          parsePoetryLock(toml, entry, DEFAULT_LIMITS);
        },
      ),
      { numRuns: 200 },
    );
  });
});
