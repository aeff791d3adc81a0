import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CatalogResult } from "../../model.js";
import { composerLockCataloger, parseComposerLock, phpCatalogers } from "./index.js";
import { firstSyntaxError } from "../shared/index.js";
import { contextFor, memorySource } from "../../../../test/support/file-source.js";

const FIXTURES = new URL("../../../../test/fixtures/sbom/php/", import.meta.url);
const fixture = (rel: string): string => readFileSync(new URL(rel, FIXTURES), "utf8");

async function catalog(path: string, text: string): Promise<CatalogResult> {
  const ctx = contextFor(memorySource({ [path]: text }));
  return composerLockCataloger.catalog({ path, size: Buffer.byteLength(text) }, ctx);
}

const ids = (r: CatalogResult): string[] => r.packages.map((p) => `${p.name}@${p.version}`).sort();
const get = (r: CatalogResult, name: string) => r.packages.find((p) => p.name === name)!;

describe("php/composer-lock", () => {
  it("exports a stable plugin identity", () => {
    expect(phpCatalogers).toEqual([composerLockCataloger]);
    expect(composerLockCataloger).toMatchObject({
      name: "php/composer-lock",
      version: 1,
      ecosystem: "Packagist",
    });
    expect(composerLockCataloger.applies({ path: "composer.lock", size: 1 })).toBe(true);
    expect(composerLockCataloger.applies({ path: "web/composer.lock", size: 1 })).toBe(true);
    expect(composerLockCataloger.applies({ path: "composer.json", size: 1 })).toBe(false);
  });

  it("reads packages and packages-dev with scopes, licenses, hashes and edges", async () => {
    const r = await catalog("web/composer.lock", fixture("app/composer.lock"));
    expect(r.issues).toBeUndefined();
    expect(ids(r)).toEqual([
      "example/legacy-lib@1.4.2",
      "example/tools@dev-main",
      "monolog/monolog@3.5.0",
      "phpunit/phpunit@10.5.5",
      "psr/log@3.0.0",
      "sebastian/diff@5.1.0",
      "symfony/console@v6.4.1",
      "symfony/polyfill-mbstring@v1.28.0",
    ]);
    expect(
      r.packages
        .filter((p) => p.scope === "dev")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["phpunit/phpunit", "sebastian/diff"]);
    expect(r.packages.filter((p) => p.scope === "required")).toHaveLength(6);

    // Versions stay as written (the leading v too); purl names are lowercased by the purl spec.
    expect(get(r, "symfony/console")).toMatchObject({
      purl: "pkg:composer/symfony/console@v6.4.1",
      ecosystem: "Packagist",
      type: "library",
      licenses: ["MIT"],
      locations: [{ path: "web/composer.lock" }],
      dependsOn: ["symfony/polyfill-mbstring"],
    });
    // A non-empty dist.shasum is a SHA-1 (normalised to lowercase); an empty one is no hash.
    expect(get(r, "example/legacy-lib").hashes).toEqual([
      { alg: "SHA-1", content: "0a4d55a8d778e5022fab701977c5d840bbc486d0" },
    ]);
    expect(get(r, "monolog/monolog").hashes).toBeUndefined();
    // A string license is one declaration; requirements on a virtual package resolve to its provider.
    expect(get(r, "example/legacy-lib").licenses).toEqual(["MIT"]);
    expect(get(r, "example/legacy-lib").dependsOn).toEqual(["monolog/monolog"]);
    expect(get(r, "monolog/monolog").dependsOn).toEqual(["psr/log"]);
    // Platform requirements are not edges; names match case-insensitively.
    const tools = get(r, "example/tools");
    expect(tools.dependsOn).toEqual(["symfony/console"]);
    expect(tools.licenses).toEqual(["MIT", "Apache-2.0"]);
    expect(tools.properties).toEqual({
      "composer:type": "library",
      "composer:reference": "2222222222222222222222222222222222222222",
    });
    expect(get(r, "phpunit/phpunit").dependsOn).toEqual(["sebastian/diff"]);
    expect(get(r, "psr/log").dependsOn).toBeUndefined();
  });

  it("keeps the good packages of a damaged lockfile and locates each problem", async () => {
    const r = await catalog("composer.lock", fixture("malformed/composer.lock"));
    expect(ids(r)).toEqual(["good/one@1.0.0", "good/two@2.0.0"]);
    expect(get(r, "good/one").hashes).toBeUndefined();
    expect(get(r, "good/one").licenses).toBeUndefined();
    expect(get(r, "good/two").dependsOn).toBeUndefined();
    expect(r.issues?.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
      [11, 9, "no/version has no version"],
      [14, 9, "packages[2] is not an object"],
      [16, 13, 'packages[3] has no "vendor/package" name'],
      [20, 13, "duplicate package good/one"],
      [29, 5, '"packages-dev" is not an array'],
      [9, 13, 'good/one: "license" is not a list of strings'],
      [7, 17, "good/one: dist.shasum is not a SHA-1 hex digest"],
      [26, 13, 'good/two: "require" is not an object'],
    ]);
    for (const i of r.issues ?? [])
      expect(i).toMatchObject({ cataloger: "php/composer-lock", location: { file: "composer.lock" } });
  });

  it("locates syntax errors", async () => {
    const truncated = await catalog("composer.lock", fixture("truncated/composer.lock"));
    expect(truncated.packages).toEqual([]);
    expect(truncated.issues).toEqual([
      {
        cataloger: "php/composer-lock",
        message: expect.stringMatching(/^invalid JSON: /),
        location: { file: "composer.lock", line: 19, column: 26 },
      },
    ]);
    const conflict = parseComposerLock('{\n  "packages": [\n<<<<<<< HEAD\n  ]\n}\n', {
      path: "composer.lock",
    });
    expect(conflict.issues?.[0]?.location).toMatchObject({ line: 3, column: 1 });
    const trailingComma = parseComposerLock('{\n  "packages": [\n    {},\n  ]\n}', { path: "composer.lock" });
    expect(trailingComma.issues?.[0]?.location).toMatchObject({ line: 4, column: 3 });
    expect(parseComposerLock("[]", { path: "composer.lock" }).issues?.[0]?.message).toBe(
      "composer.lock is not a JSON object",
    );
    expect(parseComposerLock("{}", { path: "composer.lock" })).toEqual({ packages: [] });
  });

  it("reports an unreadable file as an issue", async () => {
    const ctx = contextFor(memorySource({}));
    const r = await composerLockCataloger.catalog({ path: "composer.lock", size: 0 }, ctx);
    expect(r.issues?.[0]?.location).toEqual({ file: "composer.lock", line: 1, column: 1 });
  });

  it("never throws on arbitrary JSON or text", () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const lockish = fc.record({
      packages: fc.array(
        fc.oneof(
          json,
          fc.record({ name: fc.string(), version: json, require: json, license: json, dist: json }),
        ),
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
          const r = parseComposerLock(text, { path: "composer.lock" });
          for (const i of r.issues ?? []) expect(i.location.line).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds a syntax error exactly when JSON.parse rejects the text", () => {
    const valid = (t: string): boolean => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    const jsonish = fc.array(
      fc.constantFrom(
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        '"a"',
        "1",
        "-0.5e3",
        "true",
        "null",
        " ",
        "\n",
        '"\\u00e9"',
        '"\\x"',
        "01",
        "tru",
      ),
      {
        maxLength: 25,
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          jsonish.map((a) => a.join("")),
          fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
        ),
        (text) => {
          expect(firstSyntaxError(text) < 0).toBe(valid(text));
        },
      ),
      { numRuns: 2000 },
    );
    expect(firstSyntaxError("[".repeat(100_000))).toBe(100_000);
  });
});
