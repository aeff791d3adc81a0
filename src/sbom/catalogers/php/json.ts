import { type Limits, parseYamlDocuments, type YamlDocument } from "../../../core/index.js";

/** A line and column (both 1-based) in the JSON text. */
export interface JsonPosition {
  readonly line: number;
  readonly column: number;
}

export type LocatedJson =
  | { readonly ok: true; readonly value: unknown; locate(path: readonly (string | number)[]): JsonPosition }
  | { readonly ok: false; readonly message: string; readonly position: JsonPosition };

/**
 * Parses JSON with `JSON.parse` (fast, exact) and finds positions only when an issue needs one:
 * `locate` re-reads the text with the core YAML reader (JSON is YAML) on first use. A syntax
 * error is located by a small scanner (V8 gives an offset for only some errors).
 */
export function parseLocatedJson(text: string, limits: Limits): LocatedJson {
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

function syntaxErrorPosition(text: string): JsonPosition {
  const offset = firstSyntaxError(text);
  return offset < 0 ? { line: 1, column: 1 } : positionOf(text, offset);
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

function positionOf(text: string, offset: number): JsonPosition {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const nl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: before.length - nl };
}
