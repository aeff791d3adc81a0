/**
 * Small helpers every decoder of untrusted JSON shares: own-property reads (a hostile
 * `constructor` key never reaches the prototype), type names for messages, RFC 6901 pointers, and
 * the located decode error the decoders throw (the domain layer wraps it in a BulwarkError).
 */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only: a hostile `constructor` key never reaches the prototype. */
export function get(o: Json, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** `null`, `an array`, `an object`, `a string`… for "expected X, got Y" messages. */
export function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function jsonPointer(path: readonly (string | number)[]): string {
  return path.map((seg) => `/${String(seg).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Where a decode error is: the file, a line and column when known, and a path inside the document. */
export interface DecodeLocation {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
}

/**
 * A document that is not valid JSON or breaks its format's rules. `code` is the core error code
 * callers map it to (`INPUT_INVALID`, exit 4).
 */
export class DecodeError extends Error {
  readonly code = "INPUT_INVALID" as const;
  readonly location: DecodeLocation;

  constructor(message: string, location: DecodeLocation, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DecodeError";
    this.location = location;
  }

  /** `file:line:col: message [INPUT_INVALID]`, like every Bulwark error on stderr. */
  override toString(): string {
    const { file, line, column } = this.location;
    let where = file ?? "<input>";
    if (line !== undefined) where += `:${line}${column !== undefined ? `:${column}` : ""}`;
    return `${where}: ${this.message} [${this.code}]`;
  }
}
