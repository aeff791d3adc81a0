import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLocatedJson } from "./json.js";

describe("parseLocatedJson", () => {
  it("agrees with JSON.parse on every JSON text (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, "\t"), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const r = parseLocatedJson(text);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.value).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it("accepts exactly what JSON.parse accepts (property)", () => {
    const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z.eE+\\-]{0,24}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(parseLocatedJson(text).ok).toBe(valid);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps __proto__ as an own property, as JSON.parse does", () => {
    const r = parseLocatedJson('{"__proto__": {"polluted": true}}');
    expect(r.ok && Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(r.ok && Object.keys(r.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("locates keys and array elements, falling back to the nearest existing ancestor", () => {
    const text = '{\n  "a": {\n    "b": [1,\n      {"c": 2}]\n  }\n}';
    const r = parseLocatedJson(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.locate([])).toEqual({ line: 1, column: 1 });
    expect(r.locate(["a"])).toEqual({ line: 2, column: 3 });
    expect(r.locate(["a", "b", 1, "c"])).toEqual({ line: 4, column: 8 });
    expect(r.locate(["a", "missing", "x"])).toEqual({ line: 2, column: 3 });
  });

  it.each([
    ["", "unexpected end of input", 1, 1],
    ['{"a": 1', "unexpected end of input", 1, 8],
    ['{"a" 1}', "expected ':' after a property name", 1, 6],
    ['["a\u0001"]', "control character in a string", 1, 4],
    ['["\\x"]', "invalid escape in a string", 1, 2],
    ["[01]", "expected ',' or ']' after an array element", 1, 3],
    ["[-]", "invalid number", 1, 2],
    ["\n\n  nul", 'unexpected character "n"', 3, 3],
  ])("reports %j as %s at %i:%i", (text, message, line, column) => {
    expect(parseLocatedJson(text)).toEqual({ ok: false, message, position: { line, column } });
  });

  it("refuses hostile nesting instead of overflowing the stack", () => {
    const r = parseLocatedJson("[".repeat(100_000));
    expect(r).toMatchObject({
      ok: false,
      message: "nests deeper than 512 levels",
      position: { line: 1, column: 513 },
    });
  });
});
