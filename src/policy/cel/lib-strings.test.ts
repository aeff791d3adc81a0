import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("strings extension (cel-go strings_test.go)", () => {
  const cases: [string, unknown][] = [
    ["'tacocat'.charAt(3)", "o"],
    ["'tacocat'.charAt(7)", ""],
    ["'©αT'.charAt(0) == '©' && '©αT'.charAt(1) == 'α' && '©αT'.charAt(2) == 'T'", true],
    ["'😀x'.charAt(1)", "x"],
    ["'12 days 12 hours'.replace('{0}', '2')", "12 days 12 hours"],
    ["'{0} days {0} hours'.replace('{0}', '2')", "2 days 2 hours"],
    ["'{0} days {0} hours'.replace('{0}', '2', 1).replace('{0}', '23')", "2 days 23 hours"],
    ["'1 ©αT taco'.replace('αT', 'o©α')", "1 ©o©α taco"],
    ["'hello hello'.replace('he', 'we', -1)", "wello wello"],
    ["'hello hello'.replace('he', 'we', 0)", "hello hello"],
    // An empty pattern matches before every character and at the end, as Go's strings.Replace.
    ["'abc'.replace('', '-')", "-a-b-c-"],
    ["'abc'.replace('', '-', 2)", "-a-bc"],
    ["'gums'.reverse()", "smug"],
    ["'John Smith'.reverse()", "htimS nhoJ"],
    ["'u180etext'.reverse()", "txete081u"],
    ["'😀ab'.reverse()", "ba😀"],
    ["''.reverse()", ""],
    ['strings.quote("first\\nsecond")', '"first\\nsecond"'],
    ['strings.quote("bell\\a")', '"bell\\a"'],
    ['strings.quote("\\bbackspace")', '"\\bbackspace"'],
    ['strings.quote("\\fform feed")', '"\\fform feed"'],
    ['strings.quote("carriage \\r return")', '"carriage \\r return"'],
    ['strings.quote("horizontal tab\\t")', '"horizontal tab\\t"'],
    ['strings.quote("vertical \\v tab")', '"vertical \\v tab"'],
    ['strings.quote("double \\\\\\\\ slash")', '"double \\\\\\\\ slash"'],
    ['strings.quote("two escape sequences \\a\\n")', '"two escape sequences \\a\\n"'],
    ['strings.quote("verbatim")', '"verbatim"'],
    ['strings.quote("ends with \\\\")', '"ends with \\\\"'],
    ['strings.quote("\\\\ starts with")', '"\\\\ starts with"'],
    ['strings.quote("printable unicode😀")', '"printable unicode😀"'],
    ['strings.quote("mid string \\" quote")', '"mid string \\" quote"'],
    ["strings.quote('single-quote with \"double quote\"')", '"single-quote with \\"double quote\\""'],
    ['strings.quote("")', '""'],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });

  it.each([
    ["'tacocat'.charAt(30)", "index out of range: 30"],
    ["'tacocat'.charAt(-1)", "index out of range: -1"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });

  it("replaces lone surrogates when quoting", () => {
    expect(env.evaluate("strings.quote(resource)", { resource: "a\ud800b" })).toBe('"a\ufffdb"');
  });
});
