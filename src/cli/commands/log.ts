import { type Command, Option } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type {
  LogAppendOptions,
  LogCheckpointOptions,
  LogConsistencyOptions,
  LogExportOptions,
  LogInitOptions,
  LogProveOptions,
  LogSearchOptions,
  LogVerifyOptions,
} from "./log-actions.js";

// Bodies load on use: `bulwark log --help` loads no store code.
const actions = () => import("./log-actions.js");

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerLogCommands(program: Command, action: CommandAction): void {
  const log = program
    .command("log")
    .description(
      "The transparency log: append-only, tile-based, signed checkpoints, offline-verifiable proofs",
    );
  log.addHelpText(
    "after",
    examples(
      [
        "bulwark log init --origin example.com/bulwark-log",
        "bulwark log append decision.json release.sigstore.json",
        "bulwark log prove release.sigstore.json > release.tlog-proof",
        "bulwark log verify release.sigstore.json --proof release.tlog-proof --vkey log.vkey",
        "bulwark log consistency saved-checkpoint.txt",
        "bulwark log export --tiles public/log/",
        "bulwark log verify --full",
      ],
      "The log lives in the store: $BULWARK_DATABASE_URL (PostgreSQL) or $BULWARK_HOME/bulwark.db (SQLite).\n" +
        "Its signing key: $BULWARK_LOG_KEY, else $BULWARK_HOME/log/log.key. Docs: docs/tlog.md.",
    ),
  );

  log
    .command("init")
    .description("Create the log and its Ed25519 checkpoint-signing key (the key's name is the log's origin)")
    .option(
      "--origin <name>",
      "the log's origin line, e.g. example.com/bulwark-log (default: bulwark.local/log)",
    )
    .addHelpText(
      "after",
      examples(["bulwark log init --origin ci.example.com/log", "bulwark log init --format json"]),
    )
    .action(action(async (rt, opts: LogInitOptions) => (await actions()).logInit(rt, opts)));

  log
    .command("append")
    .description("Append entries; each is acknowledged only once committed under a signed checkpoint")
    .argument(
      "<files...>",
      "typed entries (apiVersion bulwark.dev/log/v1), Sigstore bundles or DSSE envelopes; - for stdin",
    )
    .option("--proof-dir <dir>", "also write <file>.tlog-proof for each entry into DIR")
    .addHelpText(
      "after",
      examples(
        [
          "bulwark log append decision.json",
          "bulwark log append dist/*.sigstore.json --format json",
          'bulwark policy eval … --format json | jq \'{apiVersion:"bulwark.dev/log/v1",kind:"decision",spec:{decision}}\' | bulwark log append -',
        ],
        "Appending the same bytes again returns the first index (exact de-duplication).",
      ),
    )
    .action(
      action(async (rt, files: string[], opts: LogAppendOptions) =>
        (await actions()).logAppend(rt, files, opts),
      ),
    );

  log
    .command("search")
    .description(
      "Find logged attestations (by subject digest, predicate type) and decisions (by subject, outcome, time)",
    )
    .option(
      "--purl <purl>",
      "artifacts whose logged SBOM attestations list this package (any version without @version)",
    )
    .option("--subject <digest>", "sha256:<hex> of the artifact")
    .option("--predicate-type <uri>", "e.g. https://slsa.dev/provenance/v1")
    .option("--decision <outcome>", "allow, deny or warn (decisions only)")
    .option("--since <time>", "decisions at or after this RFC 3339 time")
    .option("--limit <n>", "at most this many of each (default 100)")
    .addHelpText(
      "after",
      examples([
        "bulwark log search --subject sha256:5f2b…",
        "bulwark log search --purl pkg:npm/minimist@1.2.5     # which logged artifacts contain it?",
        "bulwark log search --predicate-type https://slsa.dev/provenance/v1 --format json",
        "bulwark log search --decision deny --since 2025-06-01T00:00:00Z",
      ]),
    )
    .action(action(async (rt, opts: LogSearchOptions) => (await actions()).logSearch(rt, opts)));

  log
    .command("reindex")
    .description("Rebuild the search index (attestations, decisions, keys) from the log's entries")
    .addHelpText("after", examples(["bulwark log reindex", "bulwark log reindex --format json"]))
    .action(action(async (rt) => (await actions()).logReindex(rt)));

  log
    .command("get")
    .description("Print the entry at an index (its logged bytes; --format json adds index, leaf hash, time)")
    .argument("<index>", "the entry's index")
    .addHelpText("after", examples(["bulwark log get 42", "bulwark log get 42 --format json"]))
    .action(action(async (rt, index: string) => (await actions()).logGet(rt, index)));

  log
    .command("prove")
    .description(
      "Inclusion proof of an entry as a C2SP tlog-proof (checkpoint and witness cosignatures included)",
    )
    .argument("<entry>", "an index, a leaf hash (64 hex), or the file that was appended")
    .option("--size <n>", "prove against the checkpoint issued at this tree size (default: the latest)")
    .addOption(new Option("--format <format>", "output format").choices(["tlog-proof", "json"]))
    .addHelpText(
      "after",
      examples([
        "bulwark log prove 42 > entry.tlog-proof",
        "bulwark log prove release.sigstore.json --format json",
      ]),
    )
    .action(
      action(async (rt, entry: string, opts: LogProveOptions) => (await actions()).logProve(rt, entry, opts)),
    );

  log
    .command("verify")
    .description("Verify an entry's inclusion (offline with --proof), or the whole stored log with --full")
    .argument("[entry]", "the appended file (or a tlog-proof with --entry)")
    .option("--proof <file>", "a C2SP tlog-proof: verify offline, without the store")
    .option("--entry <file>", "the appended file, when the argument is the proof")
    .option("--checkpoint <file>", "verify against this (older, trusted) checkpoint instead of the latest")
    .option("--vkey <key|file>", "the log's verifier key (default: $BULWARK_HOME/log/log.vkey)")
    .option(
      "--witness <key|file>",
      "a witness cosigner key whose cosignature is required (repeatable)",
      collect,
    )
    .option("--quorum <n>", "how many of the --witness keys must have cosigned (default: all)")
    .option("--full", "re-derive the whole log from its entries: leaf hashes, every tile, every checkpoint")
    .option(
      "--tiles <dir>",
      "verify a static copy (log export --tiles, a mirror) from its files and the verifier key alone",
    )
    .addHelpText(
      "after",
      examples([
        "bulwark log verify release.sigstore.json --proof release.tlog-proof --vkey example.com+1a2b3c4d+AQ…",
        "bulwark log verify release.sigstore.json --checkpoint checkpoint-2025-06-01.txt",
        "bulwark log verify --full",
        "bulwark log verify --tiles mirror/ --vkey log.vkey   # a static copy, from its files alone",
      ]),
    )
    .action(
      action(async (rt, entry: string | undefined, opts: LogVerifyOptions) =>
        (await actions()).logVerify(rt, entry, opts),
      ),
    );

  log
    .command("checkpoint")
    .description("Print the latest signed checkpoint (or one issued at --size); accept witness cosignatures")
    .option("--size <n>", "the checkpoint issued at this tree size")
    .option(
      "--cosigned <file>",
      "store the witness cosignatures on this checkpoint note (verified with --witness keys)",
    )
    .option("--witness <key|file>", "a witness cosigner key (repeatable)", collect)
    .addHelpText(
      "after",
      examples([
        "bulwark log checkpoint > checkpoint.txt",
        "bulwark log checkpoint --format json",
        "bulwark log checkpoint --cosigned cosigned.txt --witness witness.example+0badc0de+BB…",
      ]),
    )
    .action(action(async (rt, opts: LogCheckpointOptions) => (await actions()).logCheckpoint(rt, opts)));

  log
    .command("consistency")
    .description(
      "Prove the log's current tree extends an older checkpoint (detects rewritten history and split views)",
    )
    .argument("<old-checkpoint>", "a checkpoint note handed out earlier")
    .option("--vkey <key|file>", "the log's verifier key (default: $BULWARK_HOME/log/log.vkey)")
    .addHelpText(
      "after",
      examples([
        "bulwark log consistency checkpoint-yesterday.txt",
        "bulwark log consistency old.txt --format json",
      ]),
    )
    .action(
      action(async (rt, old: string, opts: LogConsistencyOptions) =>
        (await actions()).logConsistency(rt, old, opts),
      ),
    );

  log
    .command("export")
    .description("Write the log as static C2SP tlog-tiles files (checkpoint, tile/<L>/<N>, tile/entries/<N>)")
    .requiredOption("--tiles <dir>", "the directory to write (existing full tiles are kept)")
    .addHelpText("after", examples(["bulwark log export --tiles public/log/"]))
    .action(action(async (rt, opts: LogExportOptions) => (await actions()).logExport(rt, opts)));
}
