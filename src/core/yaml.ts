import type { Node, Scalar } from "yaml";
import { lazyRequire } from "./lazy.js";
import { BulwarkError, type SourceLocation } from "./errors.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";

const yaml = lazyRequire<typeof import("yaml")>("yaml");

/** One document of a (possibly multi-document) YAML or JSON file, with source positions kept. */
export interface YamlDocument {
  /** 0-based index of the document in its file. */
  readonly index: number;
  /** The document as plain data (maps become objects). */
  readonly value: unknown;
  /** Where the document starts. */
  readonly location: SourceLocation;
  /** Location of the node at `path` (falls back to the nearest existing ancestor). */
  locate(path: readonly (string | number)[]): SourceLocation;
  /** Location of a character offset inside the string scalar at `path` (for CEL error positions). */
  locateInScalar(path: readonly (string | number)[], offset: number): SourceLocation;
}

export interface YamlParseOptions {
  /** File name used in locations and errors. */
  readonly file?: string;
  readonly limits?: Limits;
  /** Integers become BigInt (what CEL's `int` needs); floats stay numbers. */
  readonly intAsBigInt?: boolean;
}

/**
 * Parses every document of a YAML (or JSON, a subset) text. Fails closed with a located
 * INPUT_INVALID on any syntax error, duplicate key or alias abuse, and with INPUT_TOO_LARGE /
 * INPUT_TOO_DEEP when a limit is passed. Empty documents (e.g. a trailing `---`) are skipped.
 */
export function parseYamlDocuments(text: string, options: YamlParseOptions = {}): YamlDocument[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const file = options.file;
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxFileBytes) {
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `input is ${bytes} bytes, more than the limit of ${limits.maxFileBytes}`,
      {
        location: { ...(file ? { file } : {}) },
      },
    );
  }
  const { isNode, isScalar, LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      intAsBigInt: options.intAsBigInt ?? false,
      uniqueKeys: true,
      prettyErrors: false,
      strict: true,
    });
  } catch (e) {
    // The parser recurses per nesting level; hostile nesting ends here, not in a crash.
    if (e instanceof RangeError) {
      throw new BulwarkError(
        "INPUT_TOO_DEEP",
        `input nests too deeply to parse (limit ${limits.maxDepth} levels)`,
        {
          location: { ...(file ? { file } : {}) },
          cause: e,
        },
      );
    }
    throw e;
  }
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > limits.maxDocuments) {
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `input has ${list.length} documents, more than the limit of ${limits.maxDocuments}`,
      {
        location: { ...(file ? { file } : {}) },
      },
    );
  }
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { ...(file ? { file } : {}), line, column: col };
  };
  const out: YamlDocument[] = [];
  list.forEach((doc, index) => {
    const err = doc.errors[0];
    if (err?.code === "RESOURCE_EXHAUSTION") {
      throw new BulwarkError(
        "INPUT_TOO_DEEP",
        `input nests too deeply to parse (limit ${limits.maxDepth} levels)`,
        {
          location: { ...at(err.pos[0]), document: index },
          cause: err,
        },
      );
    }
    if (err) {
      throw new BulwarkError("INPUT_INVALID", `invalid YAML: ${firstLine(err.message)}`, {
        location: { ...at(err.pos[0]), document: index },
        cause: err,
      });
    }
    // Empty documents (a trailing `---`, a comment-only document) are not documents, as in kubectl.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.tag))
      return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        throw new BulwarkError(
          "INPUT_TOO_DEEP",
          `document nests deeper than the limit of ${limits.maxDepth} levels`,
          {
            location: { ...at(doc.contents.range?.[0] ?? 0), document: index },
            cause: e,
          },
        );
      }
      throw new BulwarkError("INPUT_TOO_LARGE", `YAML document ${index}: ${(e as Error).message}`, {
        location: { ...at(doc.contents.range?.[0] ?? 0), document: index },
        cause: e,
      });
    }
    const depth = depthOf(value, limits.maxDepth + 1);
    if (depth > limits.maxDepth) {
      throw new BulwarkError(
        "INPUT_TOO_DEEP",
        `document nests deeper than the limit of ${limits.maxDepth} levels`,
        {
          location: { ...at(doc.contents.range?.[0] ?? 0), document: index },
        },
      );
    }
    const nodeAt = (path: readonly (string | number)[]): Node | undefined => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return node;
      }
      return undefined;
    };
    const start = doc.contents.range?.[0] ?? 0;
    out.push({
      index,
      value,
      location: { ...at(start), document: index },
      locate: (path) => {
        // A field is located at its key (where a reader looks for it), anything else at its node.
        const offset =
          keyOffset(doc.getIn(path.slice(0, -1), true), path.at(-1)) ?? nodeAt(path)?.range?.[0] ?? start;
        return { ...at(offset), document: index, ...(path.length ? { path: formatPath(path) } : {}) };
      },
      locateInScalar: (path, offset) => {
        const node = nodeAt(path);
        const base = { document: index, ...(path.length ? { path: formatPath(path) } : {}) };
        if (!node?.range) return { ...at(start), ...base };
        return { ...at(scalarOffset(text, node, offset)), ...base };
      },
    });
  });
  return out;
}

/** Maps an offset in a scalar's value to an offset in the source text, for the common styles. */
function scalarOffset(text: string, node: Node, offset: number): number {
  const { isScalar } = yaml();
  const start = node.range![0];
  if (!isScalar(node) || typeof node.value !== "string") return start;
  const s = node as Scalar;
  const value = node.value as string;
  const clamped = Math.max(0, Math.min(offset, value.length));
  switch (s.type) {
    case "QUOTE_DOUBLE":
    case "QUOTE_SINGLE":
      return value.includes("\n") ? start : start + 1 + clamped;
    case "PLAIN":
      return value.includes("\n") ? start : start + clamped;
    case "BLOCK_LITERAL":
    case "BLOCK_FOLDED": {
      // Content starts on the line after the indicator; find the line and column of `offset`.
      const before = value.slice(0, clamped);
      const lineInValue = before.split("\n").length - 1;
      const colInLine = clamped - (before.lastIndexOf("\n") + 1);
      const first = text.indexOf("\n", start) + 1;
      if (first <= 0) return start;
      // The block's indentation is that of its first content line; deeper lines keep the rest.
      let indent = 0;
      while (text[first + indent] === " ") indent++;
      let pos = first;
      for (let i = 0; i < lineInValue && pos > 0; i++) pos = text.indexOf("\n", pos) + 1;
      if (pos <= 0) return start;
      return pos + indent + colInLine;
    }
    default:
      return start;
  }
}

function keyOffset(parent: unknown, key: string | number | undefined): number | undefined {
  const { isMap, isScalar } = yaml();
  if (typeof key !== "string" || !isMap(parent)) return undefined;
  for (const pair of parent.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.key.range?.[0];
  }
  return undefined;
}

function depthOf(value: unknown, cap: number): number {
  // Iterative to be safe on hostile nesting; stops early once the cap is passed.
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) max = d;
    if (max >= cap) return max;
    if (v && typeof v === "object") {
      for (const child of Array.isArray(v) ? v : Object.values(v)) {
        if (child && typeof child === "object") stack.push([child, d + 1]);
      }
    }
  }
  return max;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}
