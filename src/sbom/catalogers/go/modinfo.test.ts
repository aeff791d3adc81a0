import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseModInfo, quotedPrefix } from "./modinfo.js";

describe("go module info", () => {
  it("reads path, main module, deps with replacements and quoted build settings", () => {
    const text = [
      "path\texample.com/svc/cmd/svc",
      "mod\texample.com/svc\tv1.2.3\th1:abc=",
      "dep\tgithub.com/a/b\tv1.0.0\th1:def=",
      "=>\tgithub.com/fork/b\tv1.0.1\th1:ghi=",
      "dep\tgolang.org/x/sys\tv0.1.0",
      "build\t-buildmode=exe",
      'build\t-ldflags="-s -w -X main.version=1.2.3"',
      'build\t"weird key"="tab\\there"',
      "build\tvcs=git",
      "build\tvcs.revision=0123456789abcdef0123456789abcdef01234567",
      "build\tvcs.time=2024-05-01T10:00:00Z",
      "build\tvcs.modified=false",
      "",
    ].join("\n");
    const m = parseModInfo(text);
    expect(m.problems).toEqual([]);
    expect(m.path).toBe("example.com/svc/cmd/svc");
    expect(m.main).toEqual({ path: "example.com/svc", version: "v1.2.3", sum: "h1:abc=" });
    expect(m.deps).toEqual([
      {
        path: "github.com/a/b",
        version: "v1.0.0",
        sum: "h1:def=",
        replace: { path: "github.com/fork/b", version: "v1.0.1", sum: "h1:ghi=" },
      },
      { path: "golang.org/x/sys", version: "v0.1.0" },
    ]);
    expect(Object.fromEntries(m.settings)).toEqual({
      "-buildmode": "exe",
      "-ldflags": "-s -w -X main.version=1.2.3",
      "weird key": "tab\there",
      vcs: "git",
      "vcs.revision": "0123456789abcdef0123456789abcdef01234567",
      "vcs.time": "2024-05-01T10:00:00Z",
      "vcs.modified": "false",
    });
  });

  it("reports lines it cannot read, with their numbers", () => {
    const m = parseModInfo(
      '=>\ta\tv1\nmod\tonly-path\nbuild\tnoequals\nbuild\t-x="unterminated\nwhat\tever\n',
    );
    expect(m.problems).toEqual([
      { line: 1, message: "replacement without a module before it" },
      { line: 2, message: "malformed mod line" },
      { line: 3, message: "malformed build line" },
      { line: 4, message: "malformed build line" },
      { line: 5, message: 'unknown line "what"' },
    ]);
  });

  it("unquotes Go string literals", () => {
    expect(quotedPrefix('"a\\x41\\u00e9\\101\\n"rest')).toEqual({ value: "aAéA\n", length: 19 });
    expect(quotedPrefix('"\\q"')).toBeUndefined();
    expect(quotedPrefix('"open')).toBeUndefined();
  });

  it("never throws on arbitrary text", () => {
    const line = fc.tuple(
      fc.constantFrom("path", "mod", "dep", "=>", "build", "x"),
      fc.array(fc.string(), { maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.string({ unit: "binary" }), (lines, junk) => {
        parseModInfo(lines.map(([k, f]) => [k, ...f].join("\t")).join("\n"));
        parseModInfo(junk);
      }),
      { numRuns: 300 },
    );
  });
});
