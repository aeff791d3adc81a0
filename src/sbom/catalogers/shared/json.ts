import { type Limits, parseYamlDocuments, type YamlDocument } from "../../../core/index.js";
import { type Position } from "./issues.js";
import { LineIndex } from "./text.js";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A JSON text parsed with positions kept, so a cataloger can point an issue at the entry it skipped.
 * `JSON.parse` gives neither (and on Node 20 often not even the position of a syntax error).
 */
export type LocatedJson =
  | {
      readonly ok: true;
      readonly value: unknown;
      /** Position of the deepest key of `path` that exists (the document start for `[]`). */
      locate(path: readonly (string | number)[]): Position;
    }
  | { readonly ok: false; readonly message: string; readonly position: Position };

/** Deep enough for any real lockfile (a v1 package-lock nests two levels per install depth). */
const DEFAULT_MAX_DEPTH = 512;

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** Strict RFC 8259 JSON; never throws for bad input. */
export function parseLocatedJson(text: string, maxDepth = DEFAULT_MAX_DEPTH): LocatedJson {
  const lines = new LineIndex(text);
  const parser = new Parser(text, maxDepth);
  let value: unknown;
  try {
    value = parser.document();
  } catch (e) {
    if (e instanceof JsonSyntaxError) {
      return { ok: false, message: e.message, position: lines.at(e.offset) };
    }
    throw e;
  }
  const start = parser.start;
  return {
    ok: true,
    value,
    locate: (path) => {
      let offset = start;
      let node: unknown = value;
      for (const key of path) {
        if (typeof node !== "object" || node === null) break;
        if (Array.isArray(node)) {
          const at = parser.elementOffsets.get(node)?.[Number(key)];
          if (at === undefined) break;
          offset = at;
          node = node[Number(key)];
        } else {
          const at = parser.keyOffsets.get(node)?.get(String(key));
          if (at === undefined) break;
          offset = at;
          node = (node as Record<string, unknown>)[String(key)];
        }
      }
      return lines.at(offset);
    },
  };
}

class Parser {
  i = 0;
  start = 0;
  readonly keyOffsets = new WeakMap<object, Map<string, number>>();
  readonly elementOffsets = new WeakMap<unknown[], number[]>();

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  document(): unknown {
    this.ws();
    this.start = this.i;
    const value = this.value(0);
    this.ws();
    if (this.i < this.text.length) this.fail("unexpected content after the JSON value");
    return value;
  }

  private fail(message: string, offset = this.i): never {
    throw new JsonSyntaxError(message, offset);
  }

  private ws(): void {
    const t = this.text;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private value(depth: number): unknown {
    this.ws();
    const c = this.text.charCodeAt(this.i);
    switch (c) {
      case 0x7b:
        return this.object(depth + 1);
      case 0x5b:
        return this.array(depth + 1);
      case 0x22:
        return this.string();
      case 0x74:
        return this.literal("true", true);
      case 0x66:
        return this.literal("false", false);
      case 0x6e:
        return this.literal("null", null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        return this.unexpected();
    }
  }

  private unexpected(): never {
    if (this.i >= this.text.length) this.fail("unexpected end of input");
    this.fail(`unexpected character ${JSON.stringify(this.text[this.i])}`);
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) this.fail(`nests deeper than ${this.maxDepth} levels`);
    this.i++;
    const obj: Record<string, unknown> = {};
    const offsets = new Map<string, number>();
    this.keyOffsets.set(obj, offsets);
    this.ws();
    if (this.text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.i) !== 0x22) {
        if (this.i >= this.text.length) this.fail("unexpected end of input");
        this.fail("expected a double-quoted property name");
      }
      const at = this.i;
      const key = this.string();
      this.ws();
      if (this.text.charCodeAt(this.i) !== 0x3a) this.fail("expected ':' after a property name");
      this.i++;
      const v = this.value(depth);
      // An own `__proto__` property, as JSON.parse makes it; assignment would change the prototype.
      if (key === "__proto__") {
        Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        obj[key] = v;
      }
      offsets.set(key, at);
      this.ws();
      const c = this.text.charCodeAt(this.i);
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x7d) return obj;
      this.i--;
      if (this.i >= this.text.length) this.fail("unexpected end of input");
      this.fail("expected ',' or '}' after a property value");
    }
  }

  private array(depth: number): unknown[] {
    if (depth > this.maxDepth) this.fail(`nests deeper than ${this.maxDepth} levels`);
    this.i++;
    const arr: unknown[] = [];
    const offsets: number[] = [];
    this.elementOffsets.set(arr, offsets);
    this.ws();
    if (this.text.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return arr;
    }
    for (;;) {
      this.ws();
      offsets.push(this.i);
      arr.push(this.value(depth));
      this.ws();
      const c = this.text.charCodeAt(this.i);
      this.i++;
      if (c === 0x2c) continue;
      if (c === 0x5d) return arr;
      this.i--;
      if (this.i >= this.text.length) this.fail("unexpected end of input");
      this.fail("expected ',' or ']' after an array element");
    }
  }

  private string(): string {
    const t = this.text;
    const open = this.i;
    let i = open + 1;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (Number.isNaN(c)) this.fail("unterminated string", open);
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 0x20) this.fail("control character in a string", i);
      i++;
    }
    this.i = i + 1;
    if (!escaped) return t.slice(open + 1, i);
    try {
      return JSON.parse(t.slice(open, i + 1)) as string;
    } catch {
      return this.fail("invalid escape in a string", open);
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail("invalid number");
    this.i += m[0].length;
    return Number(m[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.unexpected();
    this.i += word.length;
    return value;
  }
}

/**
 * Like {@link parseLocatedJson}, but parses with the native `JSON.parse` (several times faster on a
 * multi-megabyte lockfile) and builds positions only if something asks where a key is — which
 * happens only when there is an issue to report — or when the text is not valid JSON.
 */
export function parseJsonFast(text: string, maxDepth = DEFAULT_MAX_DEPTH): LocatedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseLocatedJson(text, maxDepth);
  }
  let located: LocatedJson | undefined;
  return {
    ok: true,
    value,
    locate: (path) => {
      located ??= parseLocatedJson(text, maxDepth);
      return located.ok ? located.locate(path) : located.position;
    },
  };
}

/**
 * Like {@link parseJsonFast}, but locates through the core YAML reader (JSON is YAML), which obeys
 * `limits` rather than a depth cap, and reports `JSON.parse`'s own message for a syntax error. The
 * Composer and .NET catalogers use it. Parses JSON with `JSON.parse` (fast, exact) and finds positions only when an issue needs one:
 * `locate` re-reads the text with the core YAML reader (JSON is YAML) on first use. A syntax
 * error is located by a small scanner (V8 gives an offset for only some errors).
 */
export function parseJsonYamlLocated(text: string, limits: Limits): LocatedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message.split("\n", 1)[0]!;
    return { ok: false, message, position: syntaxErrorPosition(text) };
  }
  let doc: YamlDocument | null | undefined;
  return {
    ok: true,
    value,
    locate(path) {
      if (doc === undefined) {
        try {
          doc = parseYamlDocuments(text, { limits })[0] ?? null;
        } catch {
          doc = null;
        }
      }
      const loc = doc?.locate(path);
      return { line: loc?.line ?? 1, column: loc?.column ?? 1 };
    },
  };
}

function syntaxErrorPosition(text: string): Position {
  const offset = firstSyntaxError(text);
  return offset < 0
    ? { line: 1, column: 1 }
    : new LineIndex(text).at(Math.max(0, Math.min(offset, text.length)));
}

const SCALAR = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

/**
 * Offset of the first character that makes `text` invalid JSON (RFC 8259), or -1. V8's messages
 * give an offset for only some errors, so this small scanner finds it for all of them; it keeps
 * its own stack, so hostile nesting cannot overflow the call stack.
 */
export function firstSyntaxError(text: string): number {
  let i = 0;
  const stack: ("{" | "[")[] = [];
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = (): boolean => {
    for (i++; i < text.length;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const n = text[i + 1];
        if (n === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (n !== undefined && n !== "u" && '"\\/bfnrt'.includes(n)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  /** `"key":` after `{` or `,` in an object. */
  const key = (): boolean => {
    skipSpace();
    if (text[i] !== '"' || !string()) return false;
    skipSpace();
    if (text[i] !== ":") return false;
    i++;
    return true;
  };

  let expectValue = true;
  for (;;) {
    skipSpace();
    const c = text[i];
    if (expectValue) {
      if (c === "{" || c === "[") {
        stack.push(c);
        i++;
        skipSpace();
        if (text[i] === (c === "{" ? "}" : "]")) {
          stack.pop();
          i++;
          expectValue = false;
        } else if (c === "{" && !key()) return i;
        continue;
      }
      if (c === '"') {
        if (!string()) return i;
      } else {
        SCALAR.lastIndex = i;
        if (!SCALAR.test(text)) return i;
        i = SCALAR.lastIndex;
      }
      expectValue = false;
      continue;
    }
    const top = stack.at(-1);
    if (top === undefined) return i < text.length ? i : -1;
    if (c === ",") {
      i++;
      if (top === "{" && !key()) return i;
      expectValue = true;
    } else if ((top === "{" && c === "}") || (top === "[" && c === "]")) {
      stack.pop();
      i++;
    } else return i;
  }
}
