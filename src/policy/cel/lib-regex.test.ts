import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";
import { compileRe2 } from "./re2.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("Kubernetes regex library (regex.go and the Kubernetes docs)", () => {
  const cases: [string, unknown][] = [
    ["'abc 123'.find('[0-9]+')", "123"],
    ["'abc 123'.find('xyz')", ""],
    ["'abc 123'.find('[0-9]*')", ""],
    ["'1, 2, 3, 4'.findAll('[0-9]+').map(x, int(x)).sum() < 100", true],
    ["'123 abc 456'.findAll('[0-9]+')", ["123", "456"]],
    ["'123 abc 456'.findAll('[0-9]+', 1)", ["123"]],
    ["'123 abc 456'.findAll('[0-9]+', 0)", []],
    ["'123 abc 456'.findAll('[0-9]+', -1)", ["123", "456"]],
    ["'123 abc 456'.findAll('xyz')", []],
    // Go's rule for empty matches: none right after a match, one at every other position.
    ["'1, 2, 3, 4'.findAll('[0-9]*')", ["1", "", "2", "", "3", "", "4"]],
    ["'123 abc 456'.findAll('[0-9]*')", ["123", "", "", "", "", "456"]],
    ["'😀😀'.findAll('')", ["", "", ""]],
    ["'😀a'.find('.')", "😀"],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it("reports an invalid pattern as Kubernetes does", () => {
    expect(() => env.evaluate("'x'.find('[')")).toThrow(/^Illegal regex/);
  });
});

describe("RE2 syntax", () => {
  const matches = (pattern: string, s: string): string | undefined => {
    const re = compileRe2(pattern);
    re.lastIndex = 0;
    return re.exec(s)?.[0];
  };

  it.each([
    ["(?i)abc", "xABCx", "ABC"],
    ["(?s)a.b", "a\nb", "a\nb"],
    ["(?P<year>\\d{4})", "in 2024", "2024"],
    ["(?<year>\\d{4})", "in 2024", "2024"],
    ["[[:alpha:]]+", "12abc3", "abc"],
    ["[[:digit:][:upper:]]+", "abC12d", "C12"],
    ["\\pL+", "12héllo3", "héllo"],
    ["\\p{Greek}+", "abc αβγ", "αβγ"],
    ["\\PL+", "ab12cd", "12"],
    ["\\Qa.b*c\\E", "xa.b*cx", "a.b*c"],
    ["\\Aab", "ab", "ab"],
    ["ab\\z", "cab", "ab"],
    ["\\x{1F600}", "a😀", "😀"],
    ["\\x41", "zA", "A"],
    ["\\101", "zA", "A"],
    ["\\-\\#\\@", "-#@", "-#@"],
    ["[\\-a]+", "-a-", "-a-"],
    ["a{2}", "aaa", "aa"],
    ["a{", "a{", "a{"],
    ["x{2,3}?", "xxx", "xx"],
    ["[]a]+", "a]a", "a]a"],
    ["\\s+", "a \t\nb", " \t\n"],
    ["a|b", "b", "b"],
    [".", "😀", "😀"],
  ])("%s matches %j as %j", (pattern, s, want) => {
    expect(matches(pattern, s)).toBe(want);
  });

  it("keeps \\s to ASCII whitespace, as RE2", () => {
    expect(matches("\\s", "\u00a0")).toBeUndefined();
    expect(matches("\\S", "\u00a0")).toBe("\u00a0");
  });

  it("does not treat \\A as a line start in multi-line mode", () => {
    expect(matches("(?m)\\Ab", "a\nb")).toBeUndefined();
    expect(matches("(?m)^b", "a\nb")).toBe("b");
  });

  it.each([
    "(a)\\1",
    "a(?=b)",
    "a(?!b)",
    "(?<=a)b",
    "(?<!a)b",
    "a**",
    "*a",
    "a{1001}",
    "a{2,1}",
    "\\8",
    "[a",
    "a)(",
    "\\C",
    "(?i:a)",
    "a(?i)b",
    "(?U)a",
    "[[:foo:]]",
  ])("rejects %j like RE2", (pattern) => {
    expect(() => compileRe2(pattern)).toThrow(/Illegal regex/);
  });
});

describe("RE2 line handling", () => {
  const all = (pattern: string, s: string): string[] => {
    const re = compileRe2(pattern);
    re.lastIndex = 0; // the compiled expression is cached and shared
    return [...s.matchAll(re)].map((m) => m[0]);
  };

  it("lets . match \\r and U+2028, which only \\n ends for RE2", () => {
    expect(all("a.b", "a\rb a\u2028b a\nb")).toEqual(["a\rb", "a\u2028b"]);
    expect(all("(?s)a.b", "a\nb")).toEqual(["a\nb"]);
  });

  it("starts and ends lines only at \\n in multi-line mode", () => {
    expect(all("(?m)^x", "x\nx\rx")).toEqual(["x", "x"]);
    expect(all("(?m)x$", "x\rx\nx")).toEqual(["x", "x"]);
    expect(all("^x", "x\nx")).toEqual(["x"]);
  });
});
