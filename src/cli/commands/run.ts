import type { Command } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { BuildOptions, RebuildOptions, RunOptionsCli, TokenVerifyOptions } from "./run-actions.js";

// Bodies load on use: `bulwark run --help` loads no sandbox code.
const actions = () => import("./run-actions.js");
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Where products go and how their provenance is written, signed and logged (run and build). */
function outputOptions(cmd: Command): Command {
  return cmd
    .option("--out-dir <dir>", "where products go (default ./out)")
    .option("--provenance <file>", "write the SLSA Provenance v1 of the products (signed with --key)")
    .option("-k, --key <file>", "sign the provenance (DSSE in a Sigstore bundle) with this key")
    .option(
      "--builder-id <uri>",
      "the runner's identity in provenance (default https://bulwark.dev/runners/local)",
    )
    .option("--log", "also append the signed provenance to the transparency log")
    .option(
      "--job-token <audience>",
      "give the steps a 15-minute ES256 job token for AUDIENCE at /run/secrets/BULWARK_JOB_TOKEN",
    );
}

function sandboxOptions(cmd: Command): Command {
  return cmd
    .option("--sandbox <backend>", "bwrap (default on Linux), oci, or none (needs --insecure)")
    .option("--insecure", "allow --sandbox none (the provenance then says the build was not isolated)")
    .option(
      "--timeout <duration>",
      "wall-clock limit, e.g. 90s, 10m (default 10m); the whole process tree is killed",
    )
    .option("--pids <n>", "processes and threads at once (default 512)")
    .option("--memory <size>", "memory limit, e.g. 2Gi (default 4Gi)")
    .option("--cpu-time <seconds>", "CPU time limit (default 3600)")
    .option("--file-size <size>", "largest file a process may write (default 2Gi)")
    .option("--workspace-size <size>", "size of the writable workspace (default 2Gi)")
    .option("--tmp-size <size>", "size of /tmp (default 512Mi)")
    .option("--seccomp-profile <file>", "a seccomp profile (JSON) instead of the default deny-dangerous one")
    .option("--deny-syscall <name>", "also deny this syscall (repeatable)", collect)
    .option("--allow-syscall <name>", "do not deny this syscall of the profile (repeatable)", collect);
}

export function registerRunCommands(program: Command, action: CommandAction): void {
  program
    .command("token")
    .description("Job tokens minted by the runner (`run`/`build --job-token`)")
    .command("verify")
    .description(
      "Verify a job token: ES256 signature by the runner's key, audience, issuer, lifetime; print its claims",
    )
    .argument("<token>", "the token, or a file holding it")
    .requiredOption("--key <file>", "the runner's public key (PEM; $BULWARK_HOME/runner/runner.pub.pem)")
    .requiredOption("--audience <aud>", "the audience the token must be for")
    .option("--issuer <iss>", "the issuer (builder id) it must come from")
    .addHelpText(
      "after",
      examples([
        'bulwark token verify "$(cat /run/secrets/BULWARK_JOB_TOKEN)" --key runner.pub.pem --audience registry.example.com',
      ]),
    )
    .action(
      action(async (rt, token: string, opts: TokenVerifyOptions) =>
        (await actions()).tokenVerify(rt, token, opts),
      ),
    );

  sandboxOptions(
    outputOptions(
      program
        .command("run")
        .description(
          "Run one command in a fresh, isolated, least-privilege sandbox: the current directory is the read-only source, the command works in a writable copy of it",
        )
        .argument("<command...>", "the command and its arguments (after --)")
        .option(
          "--network <mode>",
          "none (default), or egress:HOST[:PORT],… — an allowlisting HTTP(S) proxy only",
        )
        .option(
          "--mount-ro <host[:sandbox]>",
          "bind a host directory read-only (toolchains; repeatable)",
          collect,
        )
        .option(
          "--secret <name>",
          "pass $NAME as the file /run/secrets/NAME, never as env (repeatable)",
          collect,
        )
        .option(
          "--env <name[=value]>",
          "set a variable (NAME=VALUE, recorded) or pass one from the host (NAME)",
          collect,
        )
        .option(
          "--products <glob>",
          "files to collect from the workspace (repeatable), e.g. 'dist/*.tgz'",
          collect,
        ),
    ),
  )
    .addHelpText(
      "after",
      examples(
        [
          "bulwark run -- make test",
          "bulwark run --products 'dist/*.tgz' --provenance prov.json -- npm pack --pack-destination dist",
          "bulwark run --network egress:registry.npmjs.org --products '*.tgz' --provenance p.sigstore.json --key k.pem -- sh -c 'npm ci && npm pack'",
          "NPM_TOKEN=… bulwark run --secret NPM_TOKEN -- sh -c 'cat /run/secrets/NPM_TOKEN | wc -c'",
        ],
        "Exit 0 when the command succeeded, 1 when it failed or hit a limit (the reason is printed). Docs: docs/runner.md.",
      ),
    )
    .action(
      action(async (rt, command: string[], opts: RunOptionsCli) => (await actions()).run(rt, command, opts)),
    );

  sandboxOptions(
    outputOptions(
      program
        .command("build")
        .description(
          "Run a job spec (steps in order, each in a fresh sandbox, the workspace carried between them) and write SLSA provenance of its products",
        )
        .argument("[job]", "the job spec (default: bulwark-job.yaml)")
        .option("--network <mode>", "override the spec: none, or egress:HOST[:PORT],…"),
    ),
  )
    .addHelpText(
      "after",
      examples(
        [
          "bulwark build",
          "bulwark build ci/release.job.yaml --provenance out/provenance.sigstore.json --key release.key.pem",
        ],
        "Job spec format: docs/runner.md#jobs. Secrets named by steps come from the environment.",
      ),
    )
    .action(
      action(async (rt, job: string | undefined, opts: BuildOptions) =>
        (await actions()).build(rt, job, opts),
      ),
    );

  sandboxOptions(
    program
      .command("rebuild")
      .description(
        "Re-run a recorded build in a fresh sandbox from its provenance and compare the products' digests",
      )
      .argument(
        "<provenance>",
        "the provenance: statement, DSSE envelope or Sigstore bundle (from `bulwark run --provenance`)",
      )
      .option(
        "--source <dir>",
        "the recorded source (default: the current directory); its tree digest must match",
      )
      .option(
        "--original <dir>",
        "the original products, to show which entries of a differing archive differ",
      )
      .option("--out-dir <dir>", "keep the rebuilt products here (default: a temporary directory)"),
  )
    .addHelpText(
      "after",
      examples([
        "bulwark rebuild prov.json",
        "bulwark rebuild prov.sigstore.json --source ../checkout --original out/ --format json",
      ]),
    )
    .action(
      action(async (rt, file: string, opts: RebuildOptions) => (await actions()).rebuild(rt, file, opts)),
    );
}
