import type { Environment } from "@marcbachmann/cel-js";
import { defineOverloads } from "./define.js";
import { RE2_MATCHES } from "./matches.js";
import { compileRe2 } from "./re2.js";

/** Kubernetes' regex library: `find` and `findAll` with RE2 syntax. */
export function registerRegex(env: Environment): void {
  defineOverloads(env, [
    {
      signature: "string.find(string): string",
      description: "The first match of the regular expression, or '' when there is none.",
      handler: (s: string, re: string) => findAll(s, re, 1n)[0] ?? "",
    },
    {
      signature: "string.findAll(string): list<string>",
      description: "All successive non-overlapping matches of the regular expression.",
      handler: (s: string, re: string) => findAll(s, re, -1n),
    },
    {
      signature: "string.findAll(string, int): list<string>",
      description: "At most n matches (all when n is negative).",
      handler: findAll,
    },
    {
      signature: `string.${RE2_MATCHES}(string): bool`,
      description:
        "`matches` with RE2 syntax (expressions are compiled with `matches` calls renamed to this).",
      handler: (s: string, re: string) => re2Test(s, re),
    },
    {
      signature: `${RE2_MATCHES}(string, string): bool`,
      description: "The global form `matches(s, re)`.",
      handler: (s: string, re: string) => re2Test(s, re),
    },
  ]);
}

/**
 * Go's `Regexp.FindAllString`: successive non-overlapping matches; an empty match right after the
 * previous match is skipped, and after an empty match the search moves on by one character.
 */
export function findAll(s: string, pattern: string, limit: bigint): string[] {
  const re = compileRe2(pattern);
  const out: string[] = [];
  let pos = 0;
  let prevEnd = -1;
  while ((limit < 0n || BigInt(out.length) < limit) && pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === pos) {
      accept = start !== prevEnd;
      pos += s.codePointAt(pos)! > 0xffff ? 2 : 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) out.push(m[0]);
  }
  return out;
}

/** RE2 `matches`: true when the pattern matches anywhere in the string (unanchored, as in cel-go). */
export function re2Test(s: string, pattern: string): boolean {
  const re = compileRe2(pattern);
  re.lastIndex = 0;
  return re.test(s);
}
