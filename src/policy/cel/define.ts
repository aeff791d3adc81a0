import type { Environment } from "@marcbachmann/cel-js";
import { asCelError } from "./errors.js";

/**
 * A handler receives CEL runtime values (the receiver first for methods): `bigint` for int,
 * `number` for double, `string`, `boolean`, `Uint8Array`, arrays, plain objects or `Map`s, `Date`
 * for timestamps, and the library's own classes for custom types.
 */
export type CelHandler = (...args: never[]) => unknown;

/** One overload of a library function. */
export interface CelOverload {
  /** cel-js signature: `name(args): result` or `receiver.name(args): result`. */
  readonly signature: string;
  /** One sentence, shown by `env.getDefinitions()`. */
  readonly description: string;
  readonly handler: CelHandler;
}

/**
 * Registers overloads as synchronous functions. Every handler is wrapped so that whatever it
 * throws reaches the caller as a CEL evaluation error.
 */
export function defineOverloads(env: Environment, overloads: readonly CelOverload[]): void {
  for (const o of overloads) {
    const impl = o.handler as (...args: unknown[]) => unknown;
    const name = o.signature.slice(0, o.signature.indexOf("("));
    env.registerFunction({
      signature: o.signature,
      description: o.description,
      async: false,
      handler: (...args: unknown[]) => {
        try {
          return impl(...args);
        } catch (e) {
          throw asCelError(e, name);
        }
      },
    });
  }
}

/**
 * Declares a namespace such as `sets` or `strings`, so that `sets.contains(a, b)` resolves as a
 * method on a constant. This is how cel-js itself provides `cel.bind` and `optional.of`; the type
 * carries the namespace's own name so definitions read `sets.contains(...)`.
 */
export function defineNamespace(env: Environment, name: string): void {
  // One class per namespace: cel-js looks custom types up by constructor.
  const ctor = { [name]: class {} }[name] as new () => object;
  env.registerType(name, ctor);
  env.registerConstant(name, name, Object.freeze(new ctor()));
}
