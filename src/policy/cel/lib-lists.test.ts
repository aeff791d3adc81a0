import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });
const resource = { items: [3n, 1n, 2n], scores: [7.5, 9.8], names: ["b", "a"], empty: [] };

describe("Kubernetes list library (lists.go examples)", () => {
  const cases: [string, unknown][] = [
    ["[1, 2, 3].isSorted()", true],
    ["['a', 'b', 'b', 'c'].isSorted()", true],
    ["[2.0, 1.0].isSorted()", false],
    ["[1].isSorted()", true],
    ["[].isSorted()", true],
    ["[1, 3].sum()", 4n],
    ["[1.0, 3.0].sum()", 4],
    ["[duration('1m'), duration('1s')].sum() == duration('1m1s')", true],
    ["[uint(1), uint(2)].sum() == uint(3)", true],
    ["[].sum()", 0n],
    ["[1, 3].min()", 1n],
    ["[1, 3].max()", 3n],
    ["[1].min()", 1n],
    ["([0] + []).min()", 0n],
    ["['b', 'a', 'c'].max()", "c"],
    [
      "[timestamp('2024-01-01T00:00:00Z'), timestamp('2023-01-01T00:00:00Z')].min() == timestamp('2023-01-01T00:00:00Z')",
      true,
    ],
    ["[b'b', b'a'].min() == b'a'", true],
    ["[true, false].min()", false],
    ["[1, 2, 2, 3].indexOf(2)", 1n],
    ["['a', 'b', 'b', 'c'].lastIndexOf('b')", 2n],
    ["[1.0].indexOf(1.1)", -1n],
    ["[].indexOf('string')", -1n],
    ["[1, 2].indexOf(2.0)", 1n],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    ["[].min()", "min called on empty list"],
    ["[].max()", "max called on empty list"],
    ["[1, 'a'].max()", "no ordering between int and string"],
    ["[[1], [2]].isSorted()", "no ordering between list and list"],
    ["[1, 2.5].sum()", "sum: cannot add double to int"],
    ["['a'].sum()", "sum: cannot add elements of type string"],
    ["[9223372036854775807, 1].sum()", "integer overflow"],
    ["[1.0, double('NaN')].max()", "NaN values cannot be ordered"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });
});

describe("cel-go lists extension", () => {
  const cases: [string, unknown][] = [
    ["[1, 2, 3, 4].slice(1, 3)", [2n, 3n]],
    ["[1, 2, 3, 4].slice(2, 4)", [3n, 4n]],
    ["[1, 2].slice(2, 2)", []],
    ["[1, [2, 3], [4]].flatten()", [1n, 2n, 3n, 4n]],
    ["[1, [2, [3, 4]]].flatten()", [1n, 2n, [3n, 4n]]],
    ["[1, 2, [], [], [3, 4]].flatten()", [1n, 2n, 3n, 4n]],
    ["[1, [2, [3, [4]]]].flatten(2)", [1n, 2n, 3n, [4n]]],
    ["[1, [2, [3, [4]]]].flatten(0)", [1n, [2n, [3n, [4n]]]]],
    ["[1, 2, 2, 3, 3, 3].distinct()", [1n, 2n, 3n]],
    ["['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]],
    ["[1, 'b', 2, 'b'].distinct()", [1n, "b", 2n]],
    ["[1, 1.0, 1u].distinct()", [1n]],
    ["[5, 3, 1, 2].reverse()", [2n, 1n, 3n, 5n]],
    ["[3, 2, 1].sort()", [1n, 2n, 3n]],
    ["['b', 'c', 'a'].sort()", ["a", "b", "c"]],
    ["[].sort()", []],
    ["lists.range(5)", [0n, 1n, 2n, 3n, 4n]],
    ["lists.range(0)", []],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toEqual(want);
  });

  it.each([
    ["[1, 2, 3, 4].slice(3, 0)", "start index must be less than or equal to end index"],
    ["[1, 2, 3, 4].slice(0, 10)", "list is length 4"],
    ["[1, 2, 3, 4].slice(-5, 10)", "negative indexes not supported"],
    ["[1, [2, [3, [4]]]].flatten(-1)", "level must be non-negative"],
    ["[1, 'b'].sort()", "list elements must have the same type"],
    ["[[1, 2, 3]].sort()", "list elements must be comparable"],
    ["lists.range(-1)", "size must be non-negative"],
  ])("%s is an error", (expr, message) => {
    expect(() => env.evaluate(expr)).toThrow(message);
  });
});

describe("list functions on dyn data", () => {
  it.each([
    ["resource.items.sum() > 1", true],
    ["resource.items.max() + 1", 4n],
    ["resource.scores.sum() / 2.0", 8.65],
    ["resource.scores.map(s, s * 2.0).max() + 0.5", 20.1],
    ["resource.items.sort()[0]", 1n],
    ["resource.items.distinct().size()", 3n],
    ["resource.names.reverse()[0]", "a"],
    ["resource.items.flatten().size()", 3n],
    ["resource.items.isSorted()", false],
    ["resource.names.indexOf('a')", 1n],
    ["resource.empty.sum()", 0n],
  ])("%s", (expr, want) => {
    expect(env.check(expr).valid).toBe(true);
    expect(env.evaluate(expr, { resource })).toEqual(want);
  });

  it("infers element types for typed lists", () => {
    expect(env.check("[1, 2].sum()").type).toBe("int");
    expect(env.check("[1.5].max()").type).toBe("double");
    expect(env.check("['a'].sort()").type).toBe("list<string>");
    expect(env.check("resource.items.sum()").type).toBe("dyn");
    expect(env.check("lists.range(3)").type).toBe("list<int>");
  });
});
