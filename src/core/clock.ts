/** Time source. Everything that reads the time takes a Clock so output can be made deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string | number): Clock {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) throw new RangeError(`invalid fixed time: ${String(at)}`);
  return { now: () => new Date(t.getTime()) };
}

/**
 * The clock the CLI uses: `SOURCE_DATE_EPOCH` (seconds since the epoch, reproducible-builds.org)
 * when set, the system clock otherwise.
 */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const epoch = env["SOURCE_DATE_EPOCH"];
  if (epoch === undefined || epoch === "") return systemClock;
  if (!/^\d+$/.test(epoch))
    throw new RangeError(`SOURCE_DATE_EPOCH must be whole seconds, got ${JSON.stringify(epoch)}`);
  return fixedClock(Number(epoch) * 1000);
}
