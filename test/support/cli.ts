/** Runs the `bulwark` CLI in-process, capturing its output, for the CLI tests. */
import { runCli } from "../../src/cli/program.js";
import type { CliIO } from "../../src/cli/runtime.js";

/** The repository root, the CLI's working directory unless a test says otherwise. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs `bulwark <args>` with a fixed `SOURCE_DATE_EPOCH` (and `env` on top); never a TTY unless asked. */
export async function cli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; isTTY?: boolean } = {},
) {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTTY: options.isTTY ?? false,
    env: { SOURCE_DATE_EPOCH: "1795000000", ...options.env },
    cwd: options.cwd ?? ROOT,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}
