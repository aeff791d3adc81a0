import type { Environment } from "@marcbachmann/cel-js";
import { defineNamespace, defineOverloads } from "./define.js";
import { type CelList, celEquals, listItems } from "./values.js";

/**
 * cel-go's sets extension, as Kubernetes enables it: set relations over lists, with CEL equality
 * (so `1`, `1u` and `1.0` are the same element). The lists are `list<dyn>` rather than
 * `list(T)`: data read from `resource` is `dyn`, and two lists of different element types are then
 * simply not related instead of failing to find an overload.
 */
export function registerSets(env: Environment): void {
  defineNamespace(env, "sets");
  defineOverloads(env, [
    {
      signature: "sets.contains(list<dyn>, list<dyn>): bool",
      description:
        "Whether every element of the second list is in the first (true for an empty second list).",
      handler: (_ns: unknown, a: CelList, b: CelList) => contains(listItems(a), listItems(b)),
    },
    {
      signature: "sets.equivalent(list<dyn>, list<dyn>): bool",
      description: "Whether both lists hold the same set of elements, ignoring order and repeats.",
      handler: (_ns: unknown, a: CelList, b: CelList) => {
        const x = listItems(a);
        const y = listItems(b);
        return contains(x, y) && contains(y, x);
      },
    },
    {
      signature: "sets.intersects(list<dyn>, list<dyn>): bool",
      description: "Whether the lists share at least one element.",
      handler: (_ns: unknown, a: CelList, b: CelList) => {
        const x = listItems(a);
        return listItems(b).some((v) => has(x, v));
      },
    },
  ]);
}

function has(list: readonly unknown[], v: unknown): boolean {
  return list.some((x) => celEquals(x, v));
}

function contains(list: readonly unknown[], sub: readonly unknown[]): boolean {
  return sub.every((v) => has(list, v));
}
