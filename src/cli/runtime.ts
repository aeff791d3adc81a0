import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  BulwarkError,
  type Clock,
  clockFromEnv,
  createLogger,
  EXIT,
  type ExitCode,
  type Logger,
} from "../core/index.js";
import type { Settings } from "./config.js";

/** Where the CLI reads and writes; injectable so commands run in-process in tests. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export const processIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
};

/** Everything a command needs, resolved once from config, environment and flags. */
export interface Runtime {
  readonly io: CliIO;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly color: boolean;
  readonly quiet: boolean;
  readonly output?: string;
  /** Bulwark's version, for SARIF and provenance. */
  readonly version: string;
  /** Writes the command's main output to `-o FILE` or stdout. */
  emit(text: string): void;
  /** A line for people on stderr (suppressed by --quiet). */
  note(text: string): void;
}

export function createRuntime(
  io: CliIO,
  settings: Settings,
  output: string | undefined,
  version: string,
): Runtime {
  const clock = (() => {
    try {
      return clockFromEnv(io.env);
    } catch (e) {
      throw new BulwarkError("CONFIG_INVALID", (e as Error).message, { cause: e });
    }
  })();
  const quiet = settings.quiet ?? false;
  const logger = createLogger({
    level: settings.logLevel ?? (quiet ? "error" : "warn"),
    write: (l) => io.stderr(`${l}\n`),
    clock,
  });
  const color = settings.color ?? (io.isTTY && !output);
  return {
    io,
    settings,
    logger,
    clock,
    color,
    quiet,
    version,
    ...(output !== undefined ? { output } : {}),
    emit(text: string) {
      if (output !== undefined && output !== "-") {
        try {
          writeFileSync(resolve(io.cwd, output), text);
        } catch (e) {
          throw new BulwarkError(
            "USAGE",
            `cannot write output file ${output}: ${(e as NodeJS.ErrnoException).code ?? e}`,
            { cause: e },
          );
        }
      } else io.stdout(text);
    },
    note(text: string) {
      if (!quiet) io.stderr(`${text}\n`);
    },
  };
}

export function exitFor(decision: "allow" | "warn" | "deny"): ExitCode {
  return decision === "deny" ? EXIT.denied : EXIT.ok;
}
