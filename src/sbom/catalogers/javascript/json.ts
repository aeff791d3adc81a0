import { LineIndex, type Position } from "./shared.js";

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
