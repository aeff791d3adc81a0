import { celError } from "./errors.js";

/**
 * Compiles an RE2 pattern (the syntax Kubernetes and cel-go use) to a JavaScript `RegExp` with the
 * `u` flag, so that `.` and classes work on code points as RE2 does on runes. RE2 constructs that
 * JavaScript spells differently are rewritten (`(?P<n>…)`, `\A`, `\z`, `\Q…\E`, `[[:alpha:]]`,
 * `\pL`, octal escapes, a leading `(?i)`), and `.`, `^`, `$` and `\s` are narrowed to RE2's
 * meaning (only `\n` ends a line; `\s` is ASCII). Constructs RE2 rejects (backreferences,
 * lookaround) are rejected here too, so a policy that compiles here compiles in a cluster.
 *
 * Not translated: flag groups after the start of the pattern and `(?U)`, which are errors here.
 * Matching differs from RE2 only in that JavaScript backtracks (no linear-time guarantee).
 *
 * The returned expression is cached and shared: set `lastIndex` before each use.
 */
export function compileRe2(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let compiled: RegExp;
  try {
    const { source, flags } = translate(pattern);
    compiled = new RegExp(source, `${flags}gu`);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw celError(`Illegal regex: error parsing regexp: ${detail}: \`${pattern}\``, e);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, compiled);
  return compiled;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, RegExp>();

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** RE2's `\s` is ASCII whitespace only; JavaScript's also matches Unicode spaces. */
const RE2_SPACE = "\\t\\n\\f\\r ";
const MAX_REPEAT = 1000;

function translate(pattern: string): { source: string; flags: string } {
  let rest = pattern;
  let flags = "";
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(rest);
  if (leading) {
    for (const f of leading[1]!) {
      if (f === "i" || f === "m" || f === "s") flags += flags.includes(f) ? "" : f;
      else throw new Error(`invalid or unsupported Perl syntax: \`(?${leading[1]}\``);
    }
    rest = rest.slice(leading[0].length);
  }
  return { source: new Translator(rest, flags.includes("s"), flags.includes("m")).run(), flags };
}

class Translator {
  #i = 0;
  #out = "";
  #canRepeat = false;
  readonly #p: string;
  readonly #dotAll: boolean;
  readonly #multiLine: boolean;

  constructor(pattern: string, dotAll: boolean, multiLine: boolean) {
    this.#p = pattern;
    this.#dotAll = dotAll;
    this.#multiLine = multiLine;
  }

  run(): string {
    while (this.#i < this.#p.length) this.#atom();
    return this.#out;
  }

  #emit(s: string, canRepeat: boolean): void {
    this.#out += s;
    this.#canRepeat = canRepeat;
  }

  #atom(): void {
    const c = this.#p[this.#i]!;
    switch (c) {
      case "\\":
        this.#emit(this.#escape(false), true);
        return;
      case "[":
        this.#emit(this.#charClass(), true);
        return;
      case "(":
        this.#emit(this.#group(), false);
        return;
      case "{":
        this.#brace();
        return;
      case "}":
      case "]":
        this.#i++;
        this.#emit(`\\${c}`, true);
        return;
      case ")":
      case "|":
        this.#i++;
        this.#emit(c, c === ")");
        return;
      // JavaScript also treats \r, U+2028 and U+2029 as line ends; RE2 only \n.
      case "^":
        this.#i++;
        this.#emit(this.#multiLine ? "(?<![^\\n])" : "^", false);
        return;
      case "$":
        this.#i++;
        this.#emit(this.#multiLine ? "(?![^\\n])" : "$", false);
        return;
      case ".":
        this.#i++;
        this.#emit(this.#dotAll ? "." : "[^\\n]", true);
        return;
      case "*":
      case "+":
      case "?":
        this.#repeat(c);
        return;
      default: {
        const ch = String.fromCodePoint(this.#p.codePointAt(this.#i)!);
        this.#i += ch.length;
        this.#emit(ch, true);
      }
    }
  }

  #repeat(op: string): void {
    if (!this.#canRepeat) throw new Error(`missing argument to repetition operator: \`${op}\``);
    this.#i++;
    let s = op;
    if (this.#p[this.#i] === "?") {
      s += "?";
      this.#i++;
    }
    if (/^[*+?]/.test(this.#p.slice(this.#i)))
      throw new Error(`invalid nested repetition operator: \`${s}${this.#p[this.#i]}\``);
    this.#emit(s, false);
  }

  /** `{n}`, `{n,}`, `{n,m}` after an atom repeat it; any other `{` is a literal, as in RE2. */
  #brace(): void {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#p.slice(this.#i));
    if (!m || !this.#canRepeat) {
      this.#i++;
      this.#emit("\\{", true);
      return;
    }
    const min = Number(m[1]);
    const bounded = m[3] !== undefined && m[3] !== "";
    const max = bounded ? Number(m[3]) : min;
    if (min > MAX_REPEAT || max > MAX_REPEAT || max < min)
      throw new Error(`invalid repeat count: \`${m[0]}\``);
    this.#i += m[0].length;
    const lazy = this.#p[this.#i] === "?";
    if (lazy) this.#i++;
    this.#emit(lazy ? `${m[0]}?` : m[0], false);
  }

  #group(): string {
    const rest = this.#p.slice(this.#i);
    if (!rest.startsWith("(?")) {
      this.#i++;
      return "(";
    }
    const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
    if (named) {
      this.#i += named[0].length;
      return `(?<${named[1]}>`;
    }
    if (rest.startsWith("(?:")) {
      this.#i += 3;
      return "(?:";
    }
    throw new Error(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
  }

  /** An escape; `inClass` selects the forms valid inside `[...]`. */
  #escape(inClass: boolean): string {
    const c = this.#p[this.#i + 1];
    if (c === undefined) throw new Error("trailing backslash at end of expression");
    this.#i += 2;
    if (/[0-7]/.test(c)) return this.#octal(c);
    if (/[89]/.test(c)) throw new Error(`invalid escape sequence: \`\\${c}\``);
    switch (c) {
      case "d":
      case "D":
      case "w":
      case "W":
      case "f":
      case "t":
      case "n":
      case "r":
      case "v":
        return `\\${c}`;
      case "b":
      case "B":
        if (inClass) throw new Error(`invalid escape sequence: \`\\${c}\``);
        return `\\${c}`;
      case "s":
        return inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      case "S":
        return inClass ? "\\S" : `[^${RE2_SPACE}]`;
      case "a":
        return "\\x07";
      case "A":
        if (inClass) throw new Error("invalid escape sequence: `\\A`");
        return "(?<![\\s\\S])";
      case "z":
        if (inClass) throw new Error("invalid escape sequence: `\\z`");
        return "(?![\\s\\S])";
      case "x":
        return this.#hex();
      case "p":
      case "P":
        return this.#unicodeClass(c);
      case "Q":
        return this.#quoted();
      default:
        if (/[!-/:-@[-`{-~]/.test(c)) return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
        throw new Error(`invalid escape sequence: \`\\${c}\``);
    }
  }

  /** RE2: `\0` and `\1`–`\7` followed by an octal digit start an octal code of up to 3 digits. */
  #octal(first: string): string {
    const more = /^[0-7]{0,2}/.exec(this.#p.slice(this.#i))![0];
    if (first !== "0" && more === "") throw new Error(`invalid escape sequence: \`\\${first}\``);
    this.#i += more.length;
    return `\\u{${Number.parseInt(first + more, 8).toString(16)}}`;
  }

  #hex(): string {
    const rest = this.#p.slice(this.#i);
    const braced = /^\{([0-9A-Fa-f]{1,8})\}/.exec(rest);
    if (braced) {
      this.#i += braced[0].length;
      const cp = Number.parseInt(braced[1]!, 16);
      if (cp > 0x10ffff) throw new Error(`invalid escape sequence: \`\\x${braced[0]}\``);
      return `\\u{${cp.toString(16)}}`;
    }
    const two = /^[0-9A-Fa-f]{2}/.exec(rest);
    if (!two) throw new Error("invalid escape sequence: `\\x`");
    this.#i += 2;
    return `\\x${two[0]}`;
  }

  #unicodeClass(kind: string): string {
    const rest = this.#p.slice(this.#i);
    const m = /^(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(rest);
    if (!m) throw new Error(`invalid character class range: \`\\${kind}${rest.slice(0, 1)}\``);
    this.#i += m[0].length;
    const negate = (kind === "P") !== (m[1] === "^");
    const name = m[2] ?? m[3]!;
    // One- or two-letter names are general categories (L, Lu); longer ones are scripts (Greek).
    const prop = name === "Any" ? "Any" : name.length <= 2 ? name : `Script=${name}`;
    return `\\${negate ? "P" : "p"}{${prop}}`;
  }

  #quoted(): string {
    const end = this.#p.indexOf("\\E", this.#i);
    const literal = this.#p.slice(this.#i, end < 0 ? undefined : end);
    this.#i = end < 0 ? this.#p.length : end + 2;
    return literal.replace(
      /[\\^$.*+?()[\]{}|/-]/g,
      (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`,
    );
  }

  #charClass(): string {
    this.#i++;
    let out = "[";
    if (this.#p[this.#i] === "^") {
      out += "^";
      this.#i++;
    }
    let first = true;
    for (;;) {
      const c = this.#p[this.#i];
      if (c === undefined) throw new Error(`missing closing ]: \`${this.#p}\``);
      if (c === "]" && !first) {
        this.#i++;
        return `${out}]`;
      }
      first = false;
      out += this.#classItem(c);
    }
  }

  #classItem(c: string): string {
    if (c === "\\") return this.#escape(true);
    if (c === "[") {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.#p.slice(this.#i));
      if (posix) {
        const set = POSIX_CLASSES[posix[2]!];
        if (!set || posix[1] === "^") throw new Error(`invalid character class range: \`${posix[0]}\``);
        this.#i += posix[0].length;
        return set;
      }
    }
    const ch = String.fromCodePoint(this.#p.codePointAt(this.#i)!);
    this.#i += ch.length;
    // Characters that the `u` flag wants escaped inside a class.
    return "[]/{}()|".includes(ch) ? `\\${ch}` : ch;
  }
}
