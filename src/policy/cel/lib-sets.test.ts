import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";

const env = createCelEnvironment({ clock: fixedClock("2025-01-15T12:00:00Z") });

describe("sets extension (cel-go sets_test.go)", () => {
  const cases: [string, boolean][] = [
    ["sets.contains([], [])", true],
    ["sets.contains([1], [])", true],
    ["sets.contains([1], [1])", true],
    ["sets.contains([1], [1, 1])", true],
    ["sets.contains([1, 1], [1])", true],
    ["sets.contains([2, 1], [1])", true],
    ["sets.contains([1, 2, 3, 4], [2, 3])", true],
    ["sets.contains([1], [1.0, 1])", true],
    ["sets.contains([1, 2], [2u, 2.0])", true],
    ["sets.contains([1, 2u], [2, 2.0])", true],
    ["sets.contains([1, 2.0, 3u], [1.0, 2u, 3])", true],
    ["sets.contains([[1], [2, 3]], [[2, 3.0]])", true],
    ["sets.contains([{'a': 1}], [{'a': 1.0}])", true],
    ["sets.contains([1], [2])", false],
    ["sets.contains([1], [1, 2])", false],
    ["sets.contains([1], ['1', 1])", false],
    ["sets.contains([1], [1.1, 1u])", false],
    ["sets.equivalent([], [])", true],
    ["sets.equivalent([1], [1, 1])", true],
    ["sets.equivalent([1], [1u, 1.0])", true],
    ["sets.equivalent([1, 2, 3], [3u, 2.0, 1])", true],
    ["sets.equivalent([[1.0], [2, 3]], [[1], [2, 3.0]])", true],
    ["sets.equivalent([2, 1], [1])", false],
    ["sets.equivalent([1], [1, 2])", false],
    ["sets.equivalent([1, 2], [2u, 2, 2.0])", false],
    ["sets.intersects([1], [1])", true],
    ["sets.intersects([1], [1, 1])", true],
    ["sets.intersects([1, 1], [1])", true],
    ["sets.intersects([2, 1], [1])", true],
    ["sets.intersects([1], [1, 2])", true],
    ["sets.intersects([1], [1.0, 2])", true],
    ["sets.intersects([1, 2], [2u, 2, 2.0])", true],
    ["sets.intersects([[1], [2, 3]], [[1, 2], [2, 3.0]])", true],
    ["sets.intersects([], [])", false],
    ["sets.intersects([1], [])", false],
    ["sets.intersects([1], [2])", false],
    ["sets.intersects([1], ['1', 2])", false],
    ["sets.intersects([1], [1.1, 2u])", false],
  ];

  it.each(cases)("%s", (expr, want) => {
    expect(env.evaluate(expr)).toBe(want);
  });

  it("works on dyn lists of different element types", () => {
    const resource = { a: [1n, 2n], b: ["x"] };
    expect(env.evaluate("sets.contains(resource.a, resource.b)", { resource })).toBe(false);
    expect(env.evaluate("sets.intersects(resource.a, [2])", { resource })).toBe(true);
  });

  it("rejects non-lists at check time", () => {
    expect(env.check("sets.contains(1, [1])").valid).toBe(false);
  });
});
