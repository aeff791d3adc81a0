import { type Command, Option } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { KeysGenerateOptions, KeysRevokeOptions } from "./keys-actions.js";

// Bodies load on use: `bulwark keys --help` loads no crypto or store code.
const actions = () => import("./keys-actions.js");

export const KEYS_FORMATS = ["table", "json"] as const;

export function registerKeysCommands(program: Command, action: CommandAction): void {
  const keys = program
    .command("keys")
    .description("Manage signing keys (ECDSA P-256, Ed25519) in $BULWARK_HOME/keys or ./.bulwark/keys");
  keys.addHelpText(
    "after",
    examples(
      [
        "BULWARK_KEY_PASSWORD=… bulwark keys generate               # ECDSA P-256, encrypted private key",
        "bulwark keys list --format json",
        'bulwark keys revoke <keyid> --since 2025-06-01T00:00:00Z --reason "laptop stolen"',
      ],
      "Key ids are the SHA-256 of the public key (SPKI DER). Docs: docs/keys.md.",
    ),
  );

  keys
    .command("generate")
    .description("Generate a key pair; the private key is encrypted with $BULWARK_KEY_PASSWORD")
    .addOption(
      new Option("--type <type>", "key type").choices(["ecdsa-p256", "ed25519"]).default("ecdsa-p256"),
    )
    .option("--unencrypted", "write the private key without a password (not recommended)")
    .option("--out <dir>", "write the key files to DIR instead of the key store")
    .option(
      "--expires <time>",
      "the key is not valid after this RFC 3339 time, or after a duration from now (e.g. 365d)",
    )
    .addHelpText(
      "after",
      examples(
        [
          "export BULWARK_KEY_PASSWORD=…  &&  bulwark keys generate",
          "bulwark keys generate --type ed25519 --format json",
          "bulwark keys generate --unencrypted --out ci-keys/    # e.g. for a throwaway test key",
        ],
        "Writes <keyid>.pub.pem (SPKI) and <keyid>.key.pem (PKCS#8, mode 0600); prints the key id and paths.",
      ),
    )
    .action(action(async (rt, opts: KeysGenerateOptions) => (await actions()).keysGenerate(rt, opts)));

  keys
    .command("list")
    .description("List the keys in the store with their type, creation time and revocation status")
    .addHelpText("after", examples(["bulwark keys list", "bulwark keys list --format json"]))
    .action(action(async (rt) => (await actions()).keysList(rt)));

  keys
    .command("revoke")
    .description("Revoke a key: signatures dated at or after --since (default: now) no longer verify")
    .argument("<keyid>", "the key id (64 hex characters, see `bulwark keys list`)")
    .option("--since <time>", "RFC 3339 time from which the key's signatures are invalid (default: now)")
    .requiredOption("--reason <text>", "why the key is revoked (recorded in revocations.json)")
    .addHelpText(
      "after",
      examples([
        'bulwark keys revoke <keyid> --reason "rotated"',
        'bulwark keys revoke <keyid> --since 2025-06-01T00:00:00Z --reason "key leaked in build log"',
      ]),
    )
    .action(
      action(async (rt, keyid: string, opts: KeysRevokeOptions) =>
        (await actions()).keysRevoke(rt, keyid, opts),
      ),
    );
}
