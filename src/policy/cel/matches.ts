/**
 * `matches` with RE2 semantics. The evaluator's built-in `string.matches` hands the pattern to
 * JavaScript's RegExp untranslated, so RE2 syntax real policies use (`(?i)…`, `\pL`, `[[:alpha:]]`,
 * `\A`…) fails or answers differently, and it cannot be overridden. Expressions are therefore
 * compiled with every `matches` call renamed to an internal function that translates the pattern
 * with `compileRe2`, as `find`/`findAll` do; offsets of compile errors are mapped back.
 */
export const RE2_MATCHES = "__bulwark_matches";

const DELTA = RE2_MATCHES.length - "matches".length;

export interface Rewritten {
  readonly source: string;
  /** Maps an offset in the rewritten source back to the original expression. */
  originalOffset(offset: number): number;
}

/** Renames `matches` calls (method and global form) outside string literals. */
export function rewriteMatches(source: string): Rewritten {
  const at: number[] = [];
  let out = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const end = skipString(source, i);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    if (isIdentStart(ch) && (i === 0 || !isIdentPart(source[i - 1]!))) {
      let j = i + 1;
      while (j < source.length && isIdentPart(source[j]!)) j++;
      const word = source.slice(i, j);
      if (word === "matches" && /^\s*\(/.test(source.slice(j))) {
        at.push(out.length);
        out += RE2_MATCHES;
      } else {
        out += word;
      }
      i = j;
      continue;
    }
    out += ch;
    i++;
  }
  return {
    source: out,
    originalOffset: (offset) => offset - DELTA * at.filter((p) => p < offset).length,
  };
}

/** End of the string literal starting at `start` (handles r/b prefixes already copied, triple quotes, escapes). */
function skipString(s: string, start: number): number {
  const q = s[start]!;
  const raw =
    start > 0 &&
    /[rR]/.test(s[start - 1]!) &&
    (start < 2 || !isIdentPart(s[start - 2]!) || /[bB]/.test(s[start - 2]!));
  const triple = s.startsWith(q.repeat(3), start);
  const close = triple ? q.repeat(3) : q;
  let i = start + close.length;
  while (i < s.length) {
    if (!raw && s[i] === "\\") {
      i += 2;
      continue;
    }
    if (s.startsWith(close, i)) return i + close.length;
    if (!triple && s[i] === "\n") return i;
    i++;
  }
  return s.length;
}

function isIdentStart(c: string): boolean {
  return /[A-Za-z_]/.test(c);
}

function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}
