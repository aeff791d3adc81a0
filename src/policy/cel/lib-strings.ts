import type { Environment } from "@marcbachmann/cel-js";
import { defineNamespace, defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { codePoints } from "./values.js";

/**
 * The parts of cel-go's strings extension (`ext.Strings`) that cel-js lacks: `charAt`,
 * `replace`, `reverse` and `strings.quote`. (`format` lives in lib-format.ts.) Indexes count code
 * points, as in cel-go.
 */
export function registerStrings(env: Environment): void {
  defineNamespace(env, "strings");
  defineOverloads(env, [
    {
      signature: "string.charAt(int): string",
      description: "The character at a code-point index; '' at the end of the string, an error beyond it.",
      handler: charAt,
    },
    {
      signature: "string.replace(string, string): string",
      description: "Replaces every occurrence of the first argument with the second.",
      handler: (s: string, from: string, to: string) => replace(s, from, to, -1n),
    },
    {
      signature: "string.replace(string, string, int): string",
      description: "Replaces at most n occurrences (all when n is negative, none when n is 0).",
      handler: replace,
    },
    {
      signature: "string.reverse(): string",
      description: "The string with its code points in reverse order.",
      handler: (s: string) => codePoints(s).reverse().join(""),
    },
    {
      signature: "strings.quote(string): string",
      description: "The string in double quotes with CEL escape sequences, safe to print.",
      handler: (_ns: unknown, s: string) => quote(s),
    },
  ]);
}

function charAt(s: string, index: bigint): string {
  const chars = codePoints(s);
  if (index < 0n || index > BigInt(chars.length)) throw celError(`index out of range: ${index}`);
  return chars[Number(index)] ?? "";
}

/** Go's `strings.Replace`, on code points: an empty `from` matches before every character. */
export function replace(s: string, from: string, to: string, limit: bigint): string {
  if (from === to || limit === 0n) return s;
  if (from === "") return replaceEmpty(codePoints(s), to, limit);
  let out = "";
  let start = 0;
  let done = 0n;
  for (;;) {
    if (limit >= 0n && done >= limit) break;
    const at = s.indexOf(from, start);
    if (at < 0) break;
    out += s.slice(start, at) + to;
    start = at + from.length;
    done++;
  }
  return out + s.slice(start);
}

function replaceEmpty(chars: string[], to: string, limit: bigint): string {
  const slots = chars.length + 1;
  const n = limit < 0n || limit > BigInt(slots) ? slots : Number(limit);
  let out = "";
  for (let i = 0; i < n; i++) out += (i > 0 ? chars[i - 1] : "") + to;
  return out + chars.slice(Math.max(n - 1, 0)).join("");
}

const QUOTE_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** cel-go's `strings.quote`: escapes, and invalid UTF-16 (lone surrogates) becomes U+FFFD. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const lone = cp >= 0xd800 && cp <= 0xdfff;
    out += lone ? "\uFFFD" : (QUOTE_ESCAPES[ch] ?? ch);
  }
  return `${out}"`;
}
