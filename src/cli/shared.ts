import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BulwarkError, type ExitCode } from "../core/index.js";
import type { Runtime } from "./runtime.js";

/** Wraps a command body: the program supplies the runtime, the body returns the exit code. */
export type CommandAction = <A extends unknown[]>(
  body: (rt: Runtime, ...args: A) => Promise<ExitCode>,
) => (...args: unknown[]) => Promise<void>;

/** `--help` footer with examples (every command has some). */
export function examples(lines: readonly string[], footer?: string): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n${footer ? `\n${footer}\n` : ""}`;
}

/** Reads a file named on the command line (relative to the working directory); FILE_NOT_FOUND otherwise. */
export function readArg(rt: Runtime, path: string, what: string): Buffer {
  try {
    return readFileSync(resolve(rt.io.cwd, path));
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `cannot read ${what} ${path}`, { cause: e });
  }
}

/** The `--format` a command was given (or its default), checked against the ones it writes. */
export function formatOf<F extends string>(
  rt: Runtime,
  allowed: readonly F[],
  command: string,
  fallback: F,
): F {
  const f = rt.settings.format ?? fallback;
  if (!(allowed as readonly string[]).includes(f))
    throw new BulwarkError("USAGE", `--format must be one of ${allowed.join(", ")} for ${command}, got ${f}`);
  return f as F;
}
