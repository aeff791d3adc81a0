import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import {
  BulwarkError,
  EXIT,
  type ExitCode,
  errorDocsAnchor,
  LOG_LEVELS,
  toBulwarkError,
} from "../core/index.js";
import { registerAttestCommands } from "./commands/attest.js";
import { registerCheckCommand } from "./commands/check.js";
import { registerKeysCommands } from "./commands/keys.js";
import { registerLogCommands } from "./commands/log.js";
import { registerRunCommands } from "./commands/run.js";
import { registerPolicyCommands } from "./commands/policy.js";
import { registerSbomCommand } from "./commands/sbom.js";
import { registerVulnCommands } from "./commands/vuln.js";
import { mergeSettings, readConfigFile, readEnv, type Settings } from "./config.js";
import { RENDER_FORMATS } from "./render/index.js";
import { type CliIO, createRuntime, processIO } from "./runtime.js";
import { examples } from "./shared.js";

export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
})();

interface GlobalFlags {
  format?: string;
  output?: string;
  quiet?: boolean;
  color?: boolean;
  logLevel?: string;
  config?: string;
}

/**
 * Runs the CLI and resolves to the exit code (ARCHITECTURE §7). Never calls process.exit, so tests
 * run it in-process with their own IO.
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command("bulwark");
  program
    .description(
      "Zero-trust CI/CD security toolkit: policy gates, SBOMs, scans, attestations and a transparency log.",
    )
    .version(VERSION, "-V, --version")
    .addOption(
      new Option(
        "-f, --format <format>",
        `output format (${[...RENDER_FORMATS].join("|")}; commands list theirs)`,
      ),
    )
    .option("-o, --output <file>", "write the main output to FILE instead of stdout")
    .option("-q, --quiet", "print only the main output and errors")
    .option("--color", "force coloured output")
    .option("--no-color", "never colour output (also NO_COLOR=1)")
    .addOption(new Option("--log-level <level>", "log level for stderr").choices([...LOG_LEVELS]))
    .option("--config <file>", "config file (default ./bulwark.yaml)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .addHelpText(
      "after",
      examples(
        [
          "bulwark check .                                  # Dockerfiles, manifests, plans, workflows",
          "bulwark sbom . -o sbom.cdx.json",
          "bulwark db import osv/npm/all.zip && bulwark scan . --fail-on high",
          "bulwark policy eval --policy policies/ --input deploy.yaml --env production",
          "bulwark attest --subject app.tar --type cyclonedx --predicate sbom.cdx.json --key key.pem",
          "bulwark verify app.tar --bundle sbom.sigstore.json --key key.pub.pem",
          "bulwark <command> --help",
        ],
        "Settings: bulwark.yaml, then BULWARK_* variables, then flags (flags win).\nDocs: README.md and docs/.",
      ),
    );

  const action =
    <A extends unknown[]>(body: (rt: import("./runtime.js").Runtime, ...args: A) => Promise<ExitCode>) =>
    async (...args: unknown[]): Promise<void> => {
      const flags = program.opts<GlobalFlags>();
      const fromFlags: Settings = {
        ...(flags.format !== undefined ? { format: flags.format } : {}),
        ...(flags.quiet !== undefined ? { quiet: flags.quiet } : {}),
        ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel as Settings["logLevel"] } : {}),
        ...(colorSource(program) === "cli" ? { color: Boolean(flags.color) } : {}),
      };
      const settings = mergeSettings(
        readConfigFile(flags.config ?? io.env["BULWARK_CONFIG"], io.cwd),
        readEnv(io.env),
        fromFlags,
      );
      const rt = createRuntime(io, settings, flags.output, VERSION);
      // Commander passes (args…, options, command); the body receives args and options only.
      exitCode = await body(rt, ...(args.slice(0, -1) as A));
    };
  program.allowExcessArguments(false);
  registerPolicyCommands(program, action);
  registerSbomCommand(program, action);
  registerVulnCommands(program, action);
  registerCheckCommand(program, action);
  registerKeysCommands(program, action);
  registerAttestCommands(program, action);
  registerLogCommands(program, action);
  registerRunCommands(program, action);
  for (const cmd of allCommands(program))
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  try {
    await program.parseAsync(["node", "bulwark", ...argv]);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    const err = toBulwarkError(e);
    io.stderr(`error: ${err.toString()}\n`);
    if (err.code === "INTERNAL") {
      io.stderr(
        `This is a bug in Bulwark (${errorDocsAnchor("INTERNAL")}).${e instanceof Error && e.stack ? `\n${e.stack}` : ""}\n`,
      );
    } else if (err.cause instanceof BulwarkError) {
      io.stderr(`  caused by: ${err.cause.toString()}\n`);
    }
    return err.exitCode;
  }
}

function colorSource(program: Command): string | undefined {
  return program.getOptionValueSource("color");
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
