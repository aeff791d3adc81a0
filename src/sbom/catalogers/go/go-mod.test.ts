import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FoundPackage } from "../../model.js";
import {
  catalogAll,
  contextFor,
  fixtureDir,
  fixtureSource,
  memorySource,
} from "../../../../test/support/file-source.js";
import { goModCataloger, parseGoMod } from "./go-mod.js";

const run = async (...dir: string[]) => catalogAll(goModCataloger, fixtureSource(fixtureDir("go", ...dir)));
const ids = (ps: readonly FoundPackage[]) => ps.map((p) => `${p.name}@${p.version}`);
const entry = { path: "go.mod", size: 0 };

describe("go/go-mod", () => {
  it("applies to go.mod and its go.sum; a call for go.sum itself gives nothing", async () => {
    expect(goModCataloger.applies({ path: "svc/go.mod", size: 1 })).toBe(true);
    expect(goModCataloger.applies({ path: "svc/go.sum", size: 1 })).toBe(true);
    expect(goModCataloger.applies({ path: "svc/go.mod.bak", size: 1 })).toBe(false);
    const results = await run("src", "app");
    expect(results.map((r) => [r.path, r.packages.length])).toEqual([
      ["go.mod", 5],
      ["go.sum", 0],
    ]);
  });

  it("the real app module: requires after replace, with go.sum hashes written by go", async () => {
    const [r] = await run("src", "app");
    expect(r!.issues).toBeUndefined();
    expect(ids(r!.packages)).toEqual([
      "example.com/app@(devel)",
      "example.com/colour@v0.3.0",
      "example.com/greet@v1.0.0",
      "example.com/local@v0.0.0",
      "example.com/words@v1.1.0",
    ]);
    const [main, colour, greet, local, words] = r!.packages;
    expect(main).toMatchObject({
      ref: "example.com/app",
      purl: "pkg:golang/example.com/app",
      type: "application",
      ecosystem: "Go",
      dependsOn: [
        "example.com/colour@v0.3.0",
        "example.com/greet@v1.0.0",
        "example.com/local@v0.0.0",
        "example.com/words@v1.1.0",
      ],
      properties: { "go:main": "true", "go:go": "1.19" },
    });
    expect(colour!.properties).toEqual({
      "go:replaces": "example.com/color@v0.2.0",
      "go:h1": "h1:4UYOuNYAyxN5/gqmgCHnhG0lndIz9D+V2ktF596KikI=",
    });
    expect(greet!.properties).toEqual({ "go:h1": "h1:jrv+dPWWVXClmpte/ziWEQ+4bkPB8Iakw5Mb0fOgZEQ=" });
    expect(local!.properties).toEqual({ "go:replace-path": "../local" });
    expect(words!.properties).toEqual({
      "go:indirect": "true",
      "go:h1": "h1:PVZsDeRvM6raGJXigFf2fKchq7WY9kWJPIILdREpUnI=",
    });
    expect(words!.hashes).toBeUndefined();
  });

  it("the same modules as the binary built from it (go version -m)", async () => {
    const [r] = await run("src", "app");
    // bin/app.go-version-m.txt lists these deps (after replacement) for the same module.
    expect(ids(r!.packages.slice(1))).toEqual([
      "example.com/colour@v0.3.0",
      "example.com/greet@v1.0.0",
      "example.com/local@v0.0.0",
      "example.com/words@v1.1.0",
    ]);
  });

  it("every directive: block and single require, quoted paths, toolchain, exclude, version-specific replace", async () => {
    const [r] = await run("gomod", "full");
    expect(ids(r!.packages)).toEqual([
      "github.com/acme/widget/v2@(devel)",
      "github.com/google/uuid@v1.6.0",
      "golang.org/x/text@v0.14.0",
      "github.com/acme/errors@v0.9.2-0.20240102030405-abcdefabcdef",
      "github.com/sirupsen/logrus@v1.9.3",
      "gopkg.in/yaml.v3@v3.0.1",
      "github.com/acme/internal-lib@v1.2.0",
      "github.com/old/thing@v0.1.0", // the replace names v0.0.9 only
      "github.com/stretchr/testify@v1.8.4",
    ]);
    expect(r!.issues).toBeUndefined();
    const by = new Map(r!.packages.map((p) => [p.name, p]));
    expect(by.get("github.com/acme/widget/v2")!.purl).toBe("pkg:golang/github.com/acme/widget/v2");
    expect(by.get("github.com/acme/widget/v2")!.properties).toEqual({
      "go:main": "true",
      "go:go": "1.22.1",
      "go:toolchain": "go1.22.4",
    });
    expect(by.get("github.com/sirupsen/logrus")!.properties!["go:indirect"]).toBe("true"); // "indirect; …"
    expect(by.get("github.com/acme/errors")!.properties).toEqual({
      "go:replaces": "github.com/pkg/errors@v0.9.1",
      "go:h1": "h1:Q2lJmcJBYDVIuA0T4+GHm6Hy3mOwwNh/OE3B3tU1V7s=",
    });
    expect(by.get("github.com/acme/errors")!.purl).toBe(
      "pkg:golang/github.com/acme/errors@v0.9.2-0.20240102030405-abcdefabcdef",
    );
    expect(by.get("github.com/acme/internal-lib")!.properties).toEqual({
      "go:replace-path": "../internal-lib",
    });
    expect(by.get("gopkg.in/yaml.v3")!.purl).toBe("pkg:golang/gopkg.in/yaml.v3@v3.0.1");
    expect(by.get("github.com/old/thing")!.properties).toBeUndefined();
  });

  it("malformed lines become located issues; the rest is still read", async () => {
    const [r] = await run("gomod", "malformed");
    expect(ids(r!.packages)).toEqual([
      "example.com/broken@(devel)",
      "example.com/ok@v1.0.0",
      "example.com/also-ok@v0.3.1",
    ]);
    expect(r!.issues!.map((i) => [i.location.line, i.message])).toEqual([
      [12, "unterminated string"],
      [7, "malformed require directive: expected a module path and a version, got 1 field(s)"],
      [8, 'malformed require directive: "1.0.0" is not a module version'],
      [14, "malformed replace directive: expected `old [version] => new [version]`"],
      [16, 'unknown directive "frobnicate"'],
    ]);
  });

  it("reports an unterminated block, a missing module directive, a required excluded version, bad go.sum lines", () => {
    const sum = {
      entry: { path: "go.sum", size: 0 },
      text: "a v1.0.0 h1:short\nexample.com/a v1.0.0 h1:" + "A".repeat(43) + "=\n",
    };
    const r = parseGoMod(
      "require example.com/a v1.0.0\nexclude example.com/a v1.0.0\nrequire (\n",
      entry,
      sum,
    );
    expect(r.issues!.map((i) => [i.location.file, i.location.line, i.message])).toEqual([
      ["go.mod", 3, "unterminated require block"],
      ["go.sum", 1, "malformed go.sum line"],
      ["go.mod", 1, "example.com/a@v1.0.0 is required and excluded"],
      ["go.mod", undefined, "no module directive: the main module is unknown"],
    ]);
    expect(r.packages[0]!.properties).toEqual({ "go:h1": "h1:" + "A".repeat(43) + "=" });
  });

  it("reads go.mod without a go.sum, and reports an unreadable go.mod", async () => {
    const src = memorySource({ "m/go.mod": "module example.com/m\nrequire example.com/x v1.0.0\n" });
    const r = await goModCataloger.catalog({ path: "m/go.mod", size: 1 }, contextFor(src));
    expect(ids(r.packages)).toEqual(["example.com/m@(devel)", "example.com/x@v1.0.0"]);
    expect(r.issues).toBeUndefined();
    const gone = await goModCataloger.catalog({ path: "n/go.mod", size: 1 }, contextFor(src));
    expect(gone.issues![0]!.message).toMatch(/^cannot read/);
  });

  it("never throws on arbitrary text", () => {
    const word = fc.oneof(
      fc.constantFrom(
        "module",
        "require",
        "replace",
        "exclude",
        "go",
        "(",
        ")",
        "=>",
        "//",
        '"',
        "v1.0.0",
        "./x",
        "a/b",
      ),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(word, { maxLength: 6 }), { maxLength: 20 }),
        fc.string({ unit: "binary", maxLength: 300 }),
        (lines, junk) => {
          parseGoMod(lines.map((l) => l.join(" ")).join("\n"), entry, { entry, text: junk });
          parseGoMod(junk, entry);
        },
      ),
      { numRuns: 300 },
    );
  });
});
