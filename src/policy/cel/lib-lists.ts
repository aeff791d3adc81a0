import type { Environment } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { type CelOverload, defineNamespace, defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import { type CelList, celCompare, celEquals, celTypeName, checkedInt, isList, listItems } from "./values.js";

/**
 * Kubernetes' list library (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`) and the
 * parts of cel-go's lists extension (`slice`, `flatten`, `distinct`, `reverse`, `sort`,
 * `lists.range`) that cel-js lacks.
 *
 * Functions whose result has the element type are declared with a type parameter
 * (`list<A>.max(): A`), so `check` infers `int` for `[1, 2].max()` and `dyn` for a `list<dyn>`.
 * On a plain `dyn` receiver (`resource.items.max()`) cel-js takes the union of the result types of
 * every overload of the name, and a lone `A` there would leak an unbound parameter into the rest
 * of the expression; an overload returning `dyn` on a type no value has ({@link DYN_GUARD}) turns
 * that union into `dyn`.
 */
export function registerLists(env: Environment): void {
  defineNamespace(env, "lists");
  env.registerType(DYN_GUARD, DynGuard);
  defineOverloads(env, [
    ...kubernetesOverloads(),
    ...extensionOverloads(),
    {
      signature: "lists.range(int): list<int>",
      description: "The integers 0 to n-1.",
      handler: (_ns: unknown, n: bigint) => range(n),
    },
    ...GUARDED.map((call): CelOverload => ({
      signature: `${DYN_GUARD}.${call}: dyn`,
      description: "Internal: keeps this function's result dyn on dyn receivers; no value has this type.",
      handler: () => {
        throw celError("unreachable");
      },
    })),
  ]);
}

const DYN_GUARD = "bulwark.internal.DynResult";
class DynGuard {}
const GUARDED = ["sum()", "min()", "max()", "sort()", "distinct()", "slice(int, int)"] as const;

function kubernetesOverloads(): CelOverload[] {
  return [
    {
      signature: "list<dyn>.isSorted(): bool",
      description: "Whether the elements are in ascending order (comparable element types only).",
      handler: (list: CelList) => isSorted(listItems(list)),
    },
    {
      signature: "list<A>.sum(): A",
      description: "The sum of int, uint, double or duration elements; 0 for an empty list.",
      handler: (list: CelList) => sum(listItems(list)),
    },
    {
      signature: "list<A>.min(): A",
      description: "The smallest element (comparable element types only); an error on an empty list.",
      handler: (list: CelList) => extreme(listItems(list), "min", 1),
    },
    {
      signature: "list<A>.max(): A",
      description: "The largest element (comparable element types only); an error on an empty list.",
      handler: (list: CelList) => extreme(listItems(list), "max", -1),
    },
    {
      signature: "list<dyn>.indexOf(dyn): int",
      description: "The index of the first element equal to the argument, or -1.",
      handler: (list: CelList, item: unknown) => BigInt(listItems(list).findIndex((x) => celEquals(x, item))),
    },
    {
      signature: "list<dyn>.lastIndexOf(dyn): int",
      description: "The index of the last element equal to the argument, or -1.",
      handler: (list: CelList, item: unknown) =>
        BigInt(listItems(list).findLastIndex((x) => celEquals(x, item))),
    },
  ];
}

interface Summable {
  readonly is: (v: unknown) => boolean;
  readonly add: (a: never, b: never) => unknown;
}

const SUMMABLE: Readonly<Record<string, Summable>> = {
  int: { is: (v) => typeof v === "bigint", add: (a: bigint, b: bigint) => checkedInt(a + b) },
  uint: {
    is: (v) => v instanceof UnsignedInt,
    add: (a: UnsignedInt, b: UnsignedInt) => new UnsignedInt(a.valueOf() + b.valueOf()),
  },
  double: { is: (v) => typeof v === "number", add: (a: number, b: number) => a + b },
  "google.protobuf.Duration": {
    is: (v) => v instanceof Duration,
    add: (a: Duration, b: Duration) => a.addDuration(b),
  },
};

/**
 * Adds elements of one summable type. An empty list sums to int 0 (Kubernetes' `[].sum()`): the
 * element type of an empty list is not known at run time.
 */
function sum(items: readonly unknown[]): unknown {
  const [first, ...rest] = items;
  if (first === undefined) return 0n;
  const type = celTypeName(first);
  const s = Object.hasOwn(SUMMABLE, type) ? SUMMABLE[type] : undefined;
  if (!s) throw celError(`sum: cannot add elements of type ${type}`);
  const add = s.add as (a: unknown, b: unknown) => unknown;
  let total: unknown = first;
  for (const item of rest) {
    if (!s.is(item)) throw celError(`sum: cannot add ${celTypeName(item)} to ${type}`);
    total = add(total, item);
  }
  return total;
}

function isSorted(items: readonly unknown[]): boolean {
  for (let i = 1; i < items.length; i++) if (celCompare(items[i - 1], items[i]) === 1) return false;
  return true;
}

/** `min` keeps the current element unless it compares greater (1), `max` unless less (-1). */
function extreme(items: readonly unknown[], name: string, replaceWhen: 1 | -1): unknown {
  if (items.length === 0) throw celError(`${name} called on empty list`);
  let best = items[0];
  for (const item of items.slice(1)) if (celCompare(best, item) === replaceWhen) best = item;
  return best;
}

function extensionOverloads(): CelOverload[] {
  return [
    {
      signature: "list<A>.slice(int, int): list<A>",
      description: "The elements from index start (inclusive) to end (exclusive).",
      handler: (list: CelList, start: bigint, end: bigint) => slice(listItems(list), start, end),
    },
    {
      // list<dyn>, not list<list<A>>: cel-go accepts lists that are already (partly) flat.
      signature: "list<dyn>.flatten(): list<dyn>",
      description: "The list with nested lists spliced in, one level deep.",
      handler: (list: CelList) => flatten(listItems(list), 1n),
    },
    {
      signature: "list<dyn>.flatten(int): list<dyn>",
      description: "The list with nested lists spliced in, to the given depth.",
      handler: (list: CelList, depth: bigint) => flatten(listItems(list), depth),
    },
    {
      signature: "list<A>.distinct(): list<A>",
      description: "The elements without repeats (CEL equality), first occurrence kept.",
      handler: (list: CelList) => distinct(listItems(list)),
    },
    {
      signature: "list<A>.reverse(): list<A>",
      description: "The elements in reverse order.",
      handler: (list: CelList) => [...listItems(list)].reverse(),
    },
    {
      signature: "list<A>.sort(): list<A>",
      description: "The elements in ascending order; all must be of one comparable type.",
      handler: (list: CelList) => sortList(listItems(list)),
    },
  ];
}

function slice(items: readonly unknown[], start: bigint, end: bigint): unknown[] {
  if (start < 0n || end < 0n)
    throw celError(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end)
    throw celError(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (BigInt(items.length) < end)
    throw celError(`cannot slice(${start}, ${end}), list is length ${items.length}`);
  return items.slice(Number(start), Number(end));
}

function flatten(items: readonly unknown[], depth: bigint): unknown[] {
  if (depth < 0n) throw celError("flatten: level must be non-negative");
  const out: unknown[] = [];
  for (const item of items) {
    if (isList(item) && depth > 0n) out.push(...flatten(listItems(item), depth - 1n));
    else out.push(item);
  }
  return out;
}

function distinct(items: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const item of items) if (!out.some((x) => celEquals(x, item))) out.push(item);
  return out;
}

function sortList(items: readonly unknown[]): unknown[] {
  const first = items[0];
  if (first === undefined) return [];
  const type = celTypeName(first);
  if (!COMPARABLE.has(type)) throw celError("sort: list elements must be comparable");
  for (const item of items) {
    if (celTypeName(item) !== type) throw celError("sort: list elements must have the same type");
  }
  // Array#sort is stable, as Go's sort of equal keys is here in effect.
  return [...items].sort(celCompare);
}

/** The element types CEL can order (cel-go's and Kubernetes' `comparableTypes`). */
const COMPARABLE: ReadonlySet<string> = new Set([
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
]);

const MAX_RANGE = 10_000_000n;

function range(n: bigint): bigint[] {
  if (n < 0n) throw celError(`lists.range: size must be non-negative, got ${n}`);
  if (n > MAX_RANGE) throw celError(`lists.range: size ${n} exceeds maximum allowed (${MAX_RANGE})`);
  return Array.from({ length: Number(n) }, (_, i) => BigInt(i));
}
