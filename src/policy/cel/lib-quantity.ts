import type { Environment } from "@marcbachmann/cel-js";
import { defineOverloads } from "./define.js";
import { celError } from "./errors.js";
import {
  addQuantities,
  compareQuantities,
  parseQuantity,
  Quantity,
  QuantityError,
  quantityFromInt,
  subQuantities,
} from "./quantity.js";

const Q = "kubernetes.Quantity";

/** Kubernetes' quantity library over {@link Quantity} (`quantity('1.5Gi').isGreaterThan(...)`). */
export function registerQuantity(env: Environment): void {
  env.registerType(Q, Quantity);
  env.registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => compareQuantities(a, b) === 0);
  defineOverloads(env, [
    {
      signature: `quantity(string): ${Q}`,
      description: "Parses a Kubernetes resource quantity (1.5Gi, 200m, 1e3); an error if it is not one.",
      handler: toQuantity,
    },
    {
      signature: "isQuantity(string): bool",
      description: "Whether quantity() would accept the string.",
      handler: (s: string) => tryParse(s) !== undefined,
    },
    {
      signature: `${Q}.sign(): int`,
      description: "1, 0 or -1 as the quantity is positive, zero or negative.",
      handler: (q: Quantity) => BigInt(q.sign()),
    },
    {
      // Kubernetes declares sign as a global overload; both spellings work here.
      signature: `sign(${Q}): int`,
      description: "1, 0 or -1 as the quantity is positive, zero or negative.",
      handler: (q: Quantity) => BigInt(q.sign()),
    },
    {
      signature: `${Q}.isGreaterThan(${Q}): bool`,
      description: "Whether the receiver is greater than the argument (exact comparison).",
      handler: (a: Quantity, b: Quantity) => compareQuantities(a, b) === 1,
    },
    {
      signature: `${Q}.isLessThan(${Q}): bool`,
      description: "Whether the receiver is less than the argument (exact comparison).",
      handler: (a: Quantity, b: Quantity) => compareQuantities(a, b) === -1,
    },
    {
      signature: `${Q}.compareTo(${Q}): int`,
      description: "-1, 0 or 1 as the receiver is less than, equal to or greater than the argument.",
      handler: (a: Quantity, b: Quantity) => BigInt(compareQuantities(a, b)),
    },
    {
      signature: `${Q}.asApproximateFloat(): double`,
      description: "The quantity as a double, possibly losing precision (±Inf beyond the double range).",
      handler: (q: Quantity) => q.asApproximateFloat(),
    },
    {
      signature: `${Q}.isInteger(): bool`,
      description: "Whether asInteger() would succeed.",
      handler: (q: Quantity) => q.asInt64() !== undefined,
    },
    {
      signature: `${Q}.asInteger(): int`,
      description: "The quantity as an int; an error if that would overflow or lose precision.",
      handler: asInteger,
    },
    {
      signature: `${Q}.add(${Q}): ${Q}`,
      description: "The sum of two quantities.",
      handler: addQuantities,
    },
    {
      signature: `${Q}.add(int): ${Q}`,
      description: "The quantity plus an integer.",
      handler: (q: Quantity, n: bigint) => addQuantities(q, quantityFromInt(n)),
    },
    {
      signature: `${Q}.sub(${Q}): ${Q}`,
      description: "The difference of two quantities.",
      handler: subQuantities,
    },
    {
      signature: `${Q}.sub(int): ${Q}`,
      description: "The quantity minus an integer.",
      handler: (q: Quantity, n: bigint) => subQuantities(q, quantityFromInt(n)),
    },
  ]);
}

function toQuantity(s: string): Quantity {
  try {
    return parseQuantity(s);
  } catch (e) {
    if (e instanceof QuantityError) throw celError(e.message, e);
    throw e;
  }
}

function tryParse(s: string): Quantity | undefined {
  try {
    return parseQuantity(s);
  } catch (e) {
    if (e instanceof QuantityError) return undefined;
    throw e;
  }
}

function asInteger(q: Quantity): bigint {
  const v = q.asInt64();
  if (v === undefined) throw celError("cannot convert value to integer");
  return v;
}
