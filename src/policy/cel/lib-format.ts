import type { Environment } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { formatFixed, formatScientific, formatShortest } from "./float-format.js";
import {
  type CelList,
  celTypeName,
  compareCodePoints,
  isList,
  isMap,
  listItems,
  mapEntries,
  typeValueName,
} from "./values.js";

/**
 * `string.format(list)` from cel-go's strings extension, with the clause semantics of cel-go's
 * current formatter (the one the cel-spec conformance tests describe): `%s %d %f %e %b %x %X %o`,
 * an optional precision (`%.2f`), and `%%` for a percent sign.
 */
export function registerFormat(env: Environment): void {
  defineOverloads(env, [
    {
      signature: "string.format(list<dyn>): string",
      description: "printf-style substitution: %s %d %f %e %b %x %X %o, precision as in %.2f, %% for %.",
      handler: (template: string, args: CelList) => format(template, listItems(args)),
    },
  ]);
}

const DEFAULT_PRECISION = 6;
const MAX_PRECISION = 100;

type Clause = (arg: unknown) => string;

/** Substitutes `args` into `template`; errors name the clause and the offending type. */
export function format(template: string, args: readonly unknown[]): string {
  let out = "";
  let next = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== "%") {
      out += ch;
      continue;
    }
    if (template[i + 1] === "%") {
      out += "%";
      i++;
      continue;
    }
    if (next >= args.length)
      throw celError(`format: index ${next} out of range (the list has ${args.length} arguments)`);
    if (i + 1 >= template.length) throw celError("format: unexpected end of string");
    const { clause, end } = parseClause(template, i + 1);
    out += applyClause(clause, args[next]);
    next++;
    i = end - 1;
  }
  if (next < args.length) {
    throw celError(
      `format: too many arguments supplied to string.format (expected ${next}, got ${args.length})`,
    );
  }
  return out;
}

function applyClause(clause: Clause, arg: unknown): string {
  try {
    return clause(arg);
  } catch (e) {
    throw celError(`format: error during formatting: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

function parseClause(template: string, at: number): { clause: Clause; end: number } {
  let i = at;
  let precision = DEFAULT_PRECISION;
  if (template[i] === ".") {
    const digits = /^\d*/.exec(template.slice(i + 1))![0];
    i += 1 + digits.length;
    if (i >= template.length) throw clauseError("could not find end of precision specifier");
    if (digits === "") throw clauseError("missing precision after '.'");
    precision = Number(digits);
    if (precision > MAX_PRECISION)
      throw clauseError(`precision ${precision} exceeds maximum allowed precision ${MAX_PRECISION}`);
  }
  const verb = template[i]!;
  const clause = clauseFor(verb, precision);
  if (!clause) throw clauseError(`unrecognized formatting clause "${verb}"`);
  return { clause, end: i + 1 };
}

function clauseError(detail: string): Error {
  return celError(`format: could not parse formatting clause: ${detail}`);
}

function clauseFor(verb: string, precision: number): Clause | undefined {
  switch (verb) {
    case "s":
      return formatString;
    case "d":
      return formatDecimal;
    case "f":
      return (v) => formatNumber(v, "fixed-point", (x) => formatFixed(x, precision));
    case "e":
      return (v) => formatNumber(v, "scientific", (x) => formatScientific(x, precision));
    case "b":
      return formatBinary;
    case "x":
      return (v) => formatHex(v, false);
    case "X":
      return (v) => formatHex(v, true);
    case "o":
      return (v) => integerIn(v, 8, "octal clause can only be used on ints and uints");
    default:
      return undefined;
  }
}

function wrongType(what: string, v: unknown): Error {
  return new Error(`${what}, was given ${celTypeName(v)}`);
}

function integerOf(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (v instanceof UnsignedInt) return v.valueOf();
  return undefined;
}

function integerIn(v: unknown, radix: number, what: string): string {
  const n = integerOf(v);
  if (n === undefined) throw wrongType(what, v);
  return n.toString(radix);
}

function specialDouble(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  return undefined;
}

function formatDecimal(v: unknown): string {
  if (typeof v === "number") return specialDouble(v) ?? formatShortest(v);
  return integerIn(v, 10, "decimal clause can only be used on ints, uints, and doubles");
}

function formatNumber(v: unknown, clause: string, render: (x: number) => string): string {
  const n = integerOf(v);
  const x = n !== undefined ? Number(n) : v;
  if (typeof x !== "number")
    throw wrongType(`${clause} clause can only be used on ints, uints, and doubles`, v);
  return specialDouble(x) ?? render(x);
}

function formatBinary(v: unknown): string {
  if (typeof v === "boolean") return v ? "1" : "0";
  return integerIn(v, 2, "only ints, uints, and bools can be formatted as binary");
}

function formatHex(v: unknown, upper: boolean): string {
  let hex: string;
  if (typeof v === "string") hex = Buffer.from(v, "utf8").toString("hex");
  else if (v instanceof Uint8Array) hex = Buffer.from(v).toString("hex");
  else hex = integerIn(v, 16, "only ints, uints, bytes, and strings can be formatted as hex");
  return upper ? hex.toUpperCase() : hex;
}

/** `%s`: every CEL value that has a natural text form; lists and maps recursively. */
export function formatString(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "boolean":
    case "bigint":
      return String(v);
    case "number":
      return specialDouble(v) ?? formatShortest(v);
    default:
      return formatObject(v);
  }
}

function formatObject(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof UnsignedInt) return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  if (v instanceof Date) return rfc3339Nano(v);
  if (v instanceof Duration) return `${formatShortest(Number(v.seconds) + v.nanos / 1e9)}s`;
  if (isList(v)) return `[${listItems(v).map(formatString).join(", ")}]`;
  if (isMap(v)) return formatMap(mapEntries(v));
  const typeName = typeValueName(v);
  if (typeName !== undefined) return typeName;
  throw wrongType(
    "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps",
    v,
  );
}

function formatMap(entries: [unknown, unknown][]): string {
  const pairs = entries.map(([k, val]) => [formatString(k), formatString(val)] as const);
  pairs.sort((a, b) => compareCodePoints(a[0], b[0]));
  return `{${pairs.map(([k, val]) => `${k}: ${val}`).join(", ")}}`;
}

/** RFC 3339 in UTC with the fraction trimmed of trailing zeros, as Go's `time.RFC3339Nano`. */
function rfc3339Nano(d: Date): string {
  const [seconds = "", fraction = ""] = d.toISOString().slice(0, -1).split(".");
  const trimmed = fraction.replace(/0+$/, "");
  return trimmed ? `${seconds}.${trimmed}Z` : `${seconds}Z`;
}
