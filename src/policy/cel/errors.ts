import { EvaluationError } from "@marcbachmann/cel-js";

/**
 * The error a library function throws for bad input. It is the evaluator's own error class, so
 * `env.evaluate` reports it like any other runtime error (the engine turns it into CEL_RUNTIME)
 * and `||`/`&&` can absorb it as CEL's commutative error semantics require.
 */
export function celError(message: string, cause?: unknown): EvaluationError {
  return new EvaluationError({ code: "function_error", message, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Normalises anything a handler threw into an {@link EvaluationError}. A plain `Error` (a bug in a
 * handler, or a library that throws) must still surface as an evaluation error, never escape as
 * something the caller does not expect.
 */
export function asCelError(e: unknown, fn: string): EvaluationError {
  if (e instanceof EvaluationError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return celError(`${fn}: ${detail}`, e);
}
