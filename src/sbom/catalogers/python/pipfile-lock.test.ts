import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { catalogAll, fixtureDir, fixtureSource } from "../../../../test/support/file-source.js";
import { parsePipfileLock, pipfileLockCataloger } from "./pipfile-lock.js";

const entry = { path: "Pipfile.lock", size: 0 };
const run = async (dir: string): Promise<CatalogResult> => {
  const [r] = await catalogAll(pipfileLockCataloger, fixtureSource(fixtureDir("python", "pipenv", dir)));
  return r!;
};

describe("python/pipfile-lock", () => {
  it("applies to Pipfile.lock only", () => {
    expect(pipfileLockCataloger.applies({ path: "x/Pipfile.lock", size: 1 })).toBe(true);
    expect(pipfileLockCataloger.applies({ path: "x/Pipfile", size: 1 })).toBe(false);
  });

  it("catalogs default as required and develop as dev, with hashes and markers", async () => {
    const r = await run("ok");
    expect(r.packages.map((p) => `${p.name}@${p.version}:${p.scope}`)).toEqual([
      "certifi@2024.2.2:required", // also in develop: required wins
      "flask@3.0.2:required",
      "jinja2@3.1.3:required",
      "pytest@8.0.0:dev",
    ]);
    const flask = r.packages.find((p) => p.name === "flask")!;
    expect(flask.purl).toBe("pkg:pypi/flask@3.0.2");
    expect(flask.hashes).toEqual([
      { alg: "SHA-256", content: "3232e0e9c850d781933cf0207523d1ece087eb8d87b23777ae38456e2fbe7c6e" },
      { alg: "SHA-256", content: "822c03f4b799204250a7ee84b1eddc40665395333973dfb9deebfe425fefcb7d" },
    ]);
    expect(flask.properties).toEqual({
      "python:markers": "python_version >= '3.8'",
      "python:extras": "async",
      "python:index": "pypi",
    });
    expect(r.packages.every((p) => p.dependsOn === undefined)).toBe(true);
    expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [40, "acme-tools (git) has no version; not catalogued"],
    ]);
  });

  it("malformed entries become located issues", async () => {
    const r = await run("malformed");
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["good@1.0", "badhash@2.0"]);
    expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [5, 'nohashes has version "1.0", not an exact pin; not catalogued'],
      [6, 'malformed hash "sha256:xyz" for badhash'],
      [7, "entry notanobject is not an object"],
      [9, "`develop` is not an object"],
    ]);
  });

  it("invalid JSON is one located issue", () => {
    const r = parsePipfileLock('{\n  "default": {,\n}', entry);
    expect(r.packages).toEqual([]);
    expect(r.issues![0]!.location).toMatchObject({ file: "Pipfile.lock", line: 2 });
    expect(parsePipfileLock("[]", entry).issues![0]!.message).toMatch(/top level/);
  });

  it("never throws on arbitrary JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        parsePipfileLock(JSON.stringify({ default: a, develop: { x: b } }), entry);
        parsePipfileLock(JSON.stringify(a), entry);
      }),
      { numRuns: 300 },
    );
  });
});
