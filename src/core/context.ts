import { type Clock, systemClock } from "./clock.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { type Logger, silentLogger } from "./logger.js";

/** What every long-running operation and plugin receives: no singletons, everything injected. */
export interface Context {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly limits: Limits;
  readonly signal?: AbortSignal;
}

export function createContext(partial: Partial<Context> = {}): Context {
  return {
    logger: partial.logger ?? silentLogger,
    clock: partial.clock ?? systemClock,
    limits: partial.limits ?? DEFAULT_LIMITS,
    ...(partial.signal ? { signal: partial.signal } : {}),
  };
}
