import { Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { celError } from "./errors.js";

/**
 * Base of the library's own value types (quantities, IPs, URLs, ...). The CEL type name and
 * equality live on the value so that generic helpers (equality in `sets`, `%s` in `format`) can
 * treat every custom type alike.
 */
export abstract class CelOpaque {
  /** The CEL type name, e.g. `net.IP`. */
  abstract readonly celType: string;
  abstract equals(other: unknown): boolean;
}

export type CelList = readonly unknown[] | ReadonlySet<unknown>;
export type CelMap = Readonly<Record<string, unknown>> | ReadonlyMap<unknown, unknown>;

export function isList(v: unknown): v is CelList {
  return Array.isArray(v) || v instanceof Set;
}

export function listItems(v: CelList): readonly unknown[] {
  return Array.isArray(v) ? v : [...(v as ReadonlySet<unknown>)];
}

export function isMap(v: unknown): v is CelMap {
  if (v instanceof Map) return true;
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function mapEntries(v: CelMap): [unknown, unknown][] {
  return v instanceof Map ? [...v.entries()] : Object.entries(v);
}

/** A value of CEL's `type` type (what `type(x)` returns); cel-js does not export the class. */
function isCelTypeValue(v: object): v is { readonly name: string } {
  return v.constructor?.name === "Type" && typeof (v as { name?: unknown }).name === "string";
}

/** The CEL type name of a runtime value, for messages and for type-directed formatting. */
export function celTypeName(v: unknown): string {
  switch (typeof v) {
    case "string":
      return "string";
    case "bigint":
      return "int";
    case "number":
      return "double";
    case "boolean":
      return "bool";
    case "object":
      return objectTypeName(v);
    default:
      return typeof v;
  }
}

function objectTypeName(v: object | null): string {
  if (v === null) return "null_type";
  if (v instanceof UnsignedInt) return "uint";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Date) return "google.protobuf.Timestamp";
  if (v instanceof Duration) return "google.protobuf.Duration";
  if (v instanceof CelOpaque) return v.celType;
  if (v instanceof Optional) return "optional_type";
  if (isList(v)) return "list";
  if (isMap(v)) return "map";
  if (isCelTypeValue(v)) return "type";
  return v.constructor?.name ?? "object";
}

/** The name of a `type` value, e.g. `int` for `type(1)`. */
export function typeValueName(v: unknown): string | undefined {
  return typeof v === "object" && v !== null && isCelTypeValue(v) ? v.name : undefined;
}

type Numeric = bigint | number | UnsignedInt;

function isNumeric(v: unknown): v is Numeric {
  return typeof v === "bigint" || typeof v === "number" || v instanceof UnsignedInt;
}

function numericValue(v: Numeric): bigint | number {
  return v instanceof UnsignedInt ? v.valueOf() : v;
}

/**
 * CEL equality (heterogeneous: `1 == 1.0` and `1u == 1` hold), recursing into lists and maps.
 * Values of different types are simply unequal.
 */
export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isNumeric(a) && isNumeric(b)) {
    const x = numericValue(a);
    const y = numericValue(b);
    // Loose equality compares bigint and number exactly, without rounding the bigint.
    // eslint-disable-next-line eqeqeq -- exact mixed bigint/number comparison is intended
    return x == y;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof CelOpaque) return a.equals(b);
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesEqual(a, b);
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Duration) return b instanceof Duration && a.seconds === b.seconds && a.nanos === b.nanos;
  if (a instanceof Optional) return b instanceof Optional && optionalsEqual(a, b);
  if (isList(a)) return isList(b) && listsEqual(listItems(a), listItems(b));
  if (isMap(a)) return isMap(b) && mapsEqual(a, b);
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function optionalsEqual(a: Optional, b: Optional): boolean {
  if (!a.hasValue() || !b.hasValue()) return a.hasValue() === b.hasValue();
  return celEquals(a.value(), b.value());
}

function listsEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
}

function mapsEqual(a: CelMap, b: CelMap): boolean {
  const ea = mapEntries(a);
  const eb = mapEntries(b);
  if (ea.length !== eb.length) return false;
  return ea.every(([k, v]) => eb.some(([k2, v2]) => celEquals(k, k2) && celEquals(v, v2)));
}

export type Ordering = -1 | 0 | 1;

function sign(n: number): Ordering {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/**
 * CEL ordering for the comparable types: numbers (across int, uint and double), strings (by code
 * point, as Go compares UTF-8), bools, bytes, timestamps and durations. Anything else, or a
 * mixture, is an error; so is NaN, which has no order.
 */
export function celCompare(a: unknown, b: unknown): Ordering {
  if (isNumeric(a) && isNumeric(b)) return compareNumbers(numericValue(a), numericValue(b));
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return sign(Number(a) - Number(b));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof Date && b instanceof Date) return sign(a.getTime() - b.getTime());
  if (a instanceof Duration && b instanceof Duration) {
    if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
    return sign(a.nanos - b.nanos);
  }
  throw celError(`no ordering between ${celTypeName(a)} and ${celTypeName(b)}`);
}

function compareNumbers(a: bigint | number, b: bigint | number): Ordering {
  if ((typeof a === "number" && Number.isNaN(a)) || (typeof b === "number" && Number.isNaN(b))) {
    throw celError("NaN values cannot be ordered");
  }
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "number" && typeof b === "number") return sign(a - b);
  return typeof a === "bigint"
    ? compareIntDouble(a, b as number)
    : ((0 - compareIntDouble(b as bigint, a)) as Ordering);
}

/** Exact comparison of an integer with a double (no rounding of large integers). */
function compareIntDouble(i: bigint, d: number): Ordering {
  if (d === Number.POSITIVE_INFINITY) return -1;
  if (d === Number.NEGATIVE_INFINITY) return 1;
  const floor = Math.floor(d);
  const fi = BigInt(floor);
  if (i !== fi) return i < fi ? -1 : 1;
  return d > floor ? -1 : 0;
}

/** Compares by Unicode code point, which is the order of the UTF-8 bytes Go compares. */
export function compareCodePoints(a: string, b: string): Ordering {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): Ordering {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return sign(a.length - b.length);
}

export const MIN_INT64 = -(2n ** 63n);
export const MAX_INT64 = 2n ** 63n - 1n;
export const MAX_UINT64 = 2n ** 64n - 1n;

/** Throws CEL's overflow error unless `v` fits a signed 64-bit integer. */
export function checkedInt(v: bigint): bigint {
  if (v < MIN_INT64 || v > MAX_INT64) throw celError("integer overflow");
  return v;
}

/** Code points of a string: CEL indexes strings by code point, not UTF-16 unit. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}
