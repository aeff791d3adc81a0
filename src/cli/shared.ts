import type { ExitCode } from "../core/index.js";
import type { Runtime } from "./runtime.js";

/** Wraps a command body: the program supplies the runtime, the body returns the exit code. */
export type CommandAction = <A extends unknown[]>(
  body: (rt: Runtime, ...args: A) => Promise<ExitCode>,
) => (...args: unknown[]) => Promise<void>;

/** `--help` footer with examples (every command has some). */
export function examples(lines: readonly string[], footer?: string): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n${footer ? `\n${footer}\n` : ""}`;
}
