import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A package loaded on first use, synchronously. Commands load only what their input needs: the
 * TOML parser when there is a TOML lockfile, SQLite when there is an rpm database. Start-up time
 * is part of every CI step's cost.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
