import { describe, expect, it } from "vitest";
import { fixedClock } from "../../core/index.js";
import { createCelEnvironment } from "./index.js";
import { RE2_MATCHES, rewriteMatches } from "./matches.js";

const env = createCelEnvironment({ clock: fixedClock("2026-01-01T00:00:00Z") });
const run = (expr: string, vars: Record<string, unknown> = {}) =>
  env.evaluate(rewriteMatches(expr).source, vars);

describe("matches with RE2 syntax", () => {
  it.each([
    ["'ABC'.matches('(?i)abc')", true],
    ["'gateway-a'.matches('(?i)(GATEWAY|ingress)')", true],
    ["'héllo'.matches('^\\\\pL+$')", true],
    ["'abc1'.matches('^[[:alpha:]]+$')", false],
    ["'abc'.matches('\\\\Aabc\\\\z')", true],
    ["'a.b'.matches('a\\\\Q.\\\\Eb')", true],
    ["matches('foobar', 'o+b')", true],
    ["'x'.matches('y')", false],
  ])("%s is %s", (expr, want) => {
    expect(run(expr)).toBe(want);
  });

  it("rejects what RE2 rejects (backreferences, lookaround)", () => {
    expect(() => run("'aa'.matches('(a)\\\\1')")).toThrow(/Illegal regex|error parsing/);
    expect(() => run("'ab'.matches('a(?=b)')")).toThrow(/Illegal regex|error parsing/);
  });

  it("renames only calls outside string literals, and maps offsets back", () => {
    const input = String.raw`x.matches("matches(") && matches (y, 'z') && r'\d.matches(b)' != '' && notmatches(1)`;
    const r = rewriteMatches(input);
    expect(r.source).toBe(
      input.replace("x.matches", `x.${RE2_MATCHES}`).replace("&& matches (", `&& ${RE2_MATCHES} (`),
    );
    const second = r.source.indexOf(`${RE2_MATCHES} (y`);
    expect(r.originalOffset(second)).toBe(`x.matches("matches(") && `.length);
  });
});
