#!/usr/bin/env node
import { runCli } from "./program.js";

// A reader that stops early (`bulwark sbom . | head`) is not an error: stop quietly, as Unix tools do.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
