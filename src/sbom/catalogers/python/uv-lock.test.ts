import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../../core/index.js";
import type { CatalogResult } from "../../model.js";
import { catalogAll, fixtureDir, fixtureSource } from "../../../../test/support/file-source.js";
import { parseUvLock, uvLockCataloger } from "./uv-lock.js";

const entry = { path: "uv.lock", size: 0 };
const run = async (dir: string): Promise<CatalogResult> => {
  const [r] = await catalogAll(uvLockCataloger, fixtureSource(fixtureDir("python", "uv", dir)));
  return r!;
};
const pkg = (r: CatalogResult, name: string) => r.packages.find((p) => p.name === name)!;

describe("python/uv-lock", () => {
  it("applies to uv.lock only", () => {
    expect(uvLockCataloger.applies({ path: "svc/uv.lock", size: 1 })).toBe(true);
    expect(uvLockCataloger.applies({ path: "svc/uv.lock.json", size: 1 })).toBe(false);
  });

  it("catalogs every locked package but the editable project, with scopes from the project", async () => {
    const r = await run("ok");
    expect(r.issues).toBeUndefined();
    expect(r.packages.map((p) => `${p.name}@${p.version}:${p.scope}`)).toEqual([
      "anyio@4.4.0:required",
      "click@8.1.7:optional",
      "colorama@0.4.6:optional", // reached through click (optional) before pytest (dev)
      "idna@3.7:required",
      "iniconfig@2.0.0:dev",
      "pytest@8.2.2:dev",
      "sniffio@1.3.1:required",
      "tomli@2.0.1:undefined", // in the lock, reached from no project
    ]);
  });

  it("takes hashes from sdist and wheels, edges from dependencies, and non-registry sources", async () => {
    const r = await run("ok");
    expect(pkg(r, "anyio").hashes).toEqual([
      { alg: "SHA-256", content: "5aadc6a1bbb7cdb0bede386cac5e2940f5e2ff3aa20277e991cf028e0585ce94" },
      { alg: "SHA-256", content: "c1b2d8f46a8a812513012e1107cb0e68c17159a7a594208005a57dc776e1bdc7" },
    ]);
    expect(pkg(r, "anyio").dependsOn).toEqual(["idna@3.7", "sniffio@1.3.1"]);
    expect(pkg(r, "pytest").dependsOn).toEqual(["colorama@0.4.6", "iniconfig@2.0.0"]);
    expect(pkg(r, "anyio").properties).toBeUndefined();
    expect(pkg(r, "tomli").properties).toEqual({
      "python:source":
        "git+https://github.com/hukkin/tomli?rev=2.0.1#7e563eed5286b5d46b8290a9f56a86d955b23a9a",
    });
    expect(pkg(r, "tomli").purl).toBe("pkg:pypi/tomli@2.0.1");
  });

  it("follows extras requested on a dependency", () => {
    const toml = `
[[package]]
name = "app"
version = "1.0"
source = { virtual = "." }
dependencies = [{ name = "httpx", extra = ["http2"] }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
http2 = [{ name = "h2" }]

[[package]]
name = "h2"
version = "4.1.0"
source = { registry = "https://pypi.org/simple" }
`;
    const r = parseUvLock(toml, entry, DEFAULT_LIMITS);
    expect(r.packages.map((p) => `${p.name}:${p.scope}:${(p.dependsOn ?? []).join()}`)).toEqual([
      "httpx:required:h2@4.1.0",
      "h2:required:",
    ]);
  });

  it("resolves a dependency to the version it names when a package is locked twice", () => {
    const toml = `
[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b", version = "2.0", source = { registry = "https://pypi.org/simple" } }]

[[package]]
name = "b"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "b"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
`;
    const r = parseUvLock(toml, entry, DEFAULT_LIMITS);
    expect(pkg(r, "a").dependsOn).toEqual(["b@2.0"]);
  });

  it("malformed entries become located issues", async () => {
    const r = await run("malformed");
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["ok@1.0", "weird-dep@2.0"]);
    expect(pkg(r, "weird-dep").dependsOn).toEqual(["ok@1.0"]);
    expect(r.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [3, "dependencies of ok is not a list"],
      [3, "`wheels` of ok is not a list"],
      [3, 'malformed hash "sha256:short" for ok'],
      [11, "noversion has no version; not catalogued"],
      [15, "dependencies of weird-dep: an entry has no name"],
    ]);
  });

  it("never throws on arbitrary text or shapes", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parseUvLock(text, entry, DEFAULT_LIMITS);
      }),
      { numRuns: 300 },
    );
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant([{ name: "a" }]),
      fc.constant({ editable: "." }),
      fc.dictionary(fc.string(), fc.string()),
    );
    const keys = fc.constantFrom(
      "name",
      "version",
      "source",
      "dependencies",
      "sdist",
      "wheels",
      "optional-dependencies",
      "dev-dependencies",
    );
    fc.assert(
      fc.property(fc.array(fc.dictionary(keys, value)), (pkgs) => {
        const toml = pkgs
          .map(
            (p) =>
              `[[package]]\n${Object.entries(p)
                .map(([k, v]) => `"${k}" = ${tomlValue(v)}`)
                .join("\n")}\n`,
          )
          .join("\n");
        parseUvLock(toml, entry, DEFAULT_LIMITS);
      }),
      { numRuns: 200 },
    );
  });
});

function tomlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(", ")}]`;
  if (typeof v === "object" && v !== null)
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)} = ${tomlValue(x)}`)
      .join(", ")} }`;
  return JSON.stringify(v);
}
