import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { formatFixed, formatScientific, formatShortest } from "./float-format.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });
const fmt = (template: string, args: string): unknown =>
  env.evaluate(`${JSON.stringify(template)}.format([${args}])`);

describe("string.format (cel-go formatting tests)", () => {
  const cases: [string, string, string][] = [
    ["no substitution", "", "no substitution"],
    ["str is %s and some more", '"filler"', "str is filler and some more"],
    ["%% and also %%", "", "% and also %"],
    ["%%%s%%", '"text"', "%text%"],
    [
      "%d %d %d, %s %s %s, %d %d %d, %s %s %s",
      '1, 2, 3, "A", "B", "C", 4, 5, 6, "D", "E", "F"',
      "1 2 3, A B C, 4 5 6, D E F",
    ],
    ["%.3f", "1.2345", "1.234"],
    ["this is 5 in binary: %b", "5", "this is 5 in binary: 101"],
    ["this is -5 in binary: %b", "-5", "this is -5 in binary: -101"],
    ["unsigned 64 in binary: %b", "uint(64)", "unsigned 64 in binary: 1000000"],
    ["bit set from bool: %b", "true", "bit set from bool: 1"],
    ["%o", "11", "13"],
    ["%o", "-11", "-13"],
    ["this is an unsigned octal: %o", "uint(65535)", "this is an unsigned octal: 177777"],
    ["%x is 30 in hexadecimal", "30", "1e is 30 in hexadecimal"],
    ["%X is 20 in hexadecimal", "30", "1E is 20 in hexadecimal"],
    ["%x is -30 in hexadecimal", "-30", "-1e is -30 in hexadecimal"],
    ["%X is 6000 in hexadecimal", "uint(6000)", "1770 is 6000 in hexadecimal"],
    ["%x", '"Hello world!"', "48656c6c6f20776f726c6421"],
    ["%X", '"Hello world!"', "48656C6C6F20776F726C6421"],
    ["%x", 'b"byte string"', "6279746520737472696e67"],
    ["%X", 'b"byte string"', "6279746520737472696E67"],
    ["%.6e", "1052.032911275", "1.052033e+03"],
    ["%e", "2.71828", "2.718280e+00"],
    ["%e", "1234.0", "1.234000e+03"],
    ["%.1e", "-3.14", "-3.1e+00"],
    ["%e", "3u", "3.000000e+00"],
    ["%e", "0.0", "0.000000e+00"],
    ["%e", "1.5e-10", "1.500000e-10"],
    ["%f", "2.71828", "2.718280"],
    ["%.2f", "1234.5", "1234.50"],
    ["%f", "3", "3.000000"],
    ["%.0f", "2.5", "2"],
    ["%.0f", "3.5", "4"],
    ["%.2f", "0.125", "0.12"],
    ["%.1f", "1e21", "1000000000000000000000.0"],
    ["%f", 'double("NaN")', "NaN"],
    ["%f", 'double("Inf")', "Infinity"],
    ["%f", 'double("-Inf")', "-Infinity"],
    ["%s", "2.71", "2.71"],
    ["%s", "[2.71]", "[2.71]"],
    ["%s", "0.000000002", "0.000000002"],
    ["%s", "1e21", "1000000000000000000000"],
    ["%s", 'double("NaN")', "NaN"],
    ["%s", 'double("Inf")', "Infinity"],
    ["%d", "uint(64)", "64"],
    ["%d", "3.5", "3.5"],
    ["null: %s", "null", "null: null"],
    ["%s", "999999999999", "999999999999"],
    ["some bytes: %s", 'b"xyz"', "some bytes: xyz"],
    ["type is %s", 'type("test string")', "type is string"],
    ["%s", 'timestamp("2023-02-03T23:31:20+00:00")', "2023-02-03T23:31:20Z"],
    ["%s", 'timestamp("2023-02-03T23:31:20.5Z")', "2023-02-03T23:31:20.5Z"],
    ["%s", 'duration("1h45m47s")', "6347s"],
    ["%s", 'duration("2ns")', "0.000000002s"],
    ["%s", '["abc", 3.14, null, [9, 8, 7, 6], true]', "[abc, 3.14, null, [9, 8, 7, 6], true]"],
    ["%s", '{"b": 2, "a": [1], "c": {"d": true}}', "{a: [1], b: 2, c: {d: true}}"],
    [
      "true bool: %s - false bool: %s\nbinary bool: %b",
      "true, false, true",
      "true bool: true - false bool: false\nbinary bool: 1",
    ],
  ];

  it.each(cases)("%j with [%s]", (template, args, want) => {
    expect(fmt(template, args)).toBe(want);
  });

  it.each([
    ["%d", '"a string"', "decimal clause can only be used on ints, uints, and doubles, was given string"],
    ["%f", '"NaN"', "fixed-point clause can only be used on ints, uints, and doubles, was given string"],
    ["%e", "true", "scientific clause can only be used on ints, uints, and doubles, was given bool"],
    ["%b", "1.5", "only ints, uints, and bools can be formatted as binary, was given double"],
    ["%x", "[1]", "only ints, uints, bytes, and strings can be formatted as hex, was given list"],
    ["%o", '"x"', "octal clause can only be used on ints and uints, was given string"],
    [
      "%s",
      'ip("1.2.3.4")',
      "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given net.IP",
    ],
    ["%z", "1", 'unrecognized formatting clause "z"'],
    ["%.f", "1.0", "missing precision"],
    ["%.", "1.0", "could not find end of precision specifier"],
    ["%.101f", "1.0", "precision 101 exceeds maximum allowed precision 100"],
    ["%d %d", "1", "index 1 out of range"],
    ["%d", "", "index 0 out of range"],
    ["%", "1", "unexpected end of string"],
    ["%d", "1, 2", "too many arguments supplied to string.format (expected 1, got 2)"],
  ])("%j with [%s] is an error", (template, args, message) => {
    expect(() => fmt(template, args)).toThrow(message);
  });

  it("type-checks with mixed argument lists", () => {
    expect(env.check("'%s %d'.format(['a', 1])").valid).toBe(true);
    expect(env.check("'%s'.format([resource.name])").valid).toBe(true);
    expect(env.check("'%s'.format('a')").valid).toBe(false);
  });
});

describe("Go float formatting", () => {
  it("rounds to the nearest decimal with the requested digits", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e15, max: 1e15 }),
        fc.integer({ min: 0, max: 12 }),
        (x, p) => {
          const text = formatFixed(x, p);
          expect(text).toMatch(p === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${p}}$`));
          expect(Math.abs(Number(text) - x)).toBeLessThanOrEqual(0.5 * 10 ** -p + Math.abs(x) * 1e-15);
        },
      ),
    );
  });

  it("rounds exact halves to even, as Go does (toFixed rounds them up)", () => {
    expect(formatFixed(0.5, 0)).toBe("0");
    expect(formatFixed(1.5, 0)).toBe("2");
    expect(formatFixed(0.375, 2)).toBe("0.38");
    expect(formatFixed(-2.5, 0)).toBe("-2");
  });

  it("prints the shortest round-tripping digits", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(formatShortest(x))).toBe(x);
      }),
    );
  });

  it("writes scientific notation with a two-digit exponent", () => {
    expect(formatScientific(9.995, 2)).toBe("9.99e+00");
    expect(formatScientific(9.9951, 2)).toBe("1.00e+01");
    expect(formatScientific(1e-300, 1)).toBe("1.0e-300");
    expect(formatScientific(-0, 1)).toBe("-0.0e+00");
  });
});
