import type { Command } from "commander";
import { BulwarkError } from "../../core/index.js";
import { type CommandAction, examples } from "../shared.js";
import type { AttestOptions, SignOptions, VerifyOptions } from "./attest-actions.js";
import type { VerifyLayoutOptions } from "./intoto-actions.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];
const actions = () => import("./attest-actions.js");
const intotoActions = () => import("./intoto-actions.js");

export function registerAttestCommands(program: Command, action: CommandAction): void {
  program
    .command("sign")
    .description("Sign a file's digest with a key, as a Sigstore bundle (v0.3, key-based)")
    .argument("<file>", "the artifact to sign")
    .requiredOption(
      "-k, --key <file>",
      "PKCS#8 private key (ECDSA P-256; password from BULWARK_KEY_PASSWORD)",
    )
    .option("--log", "also append the bundle to the transparency log (proof written beside -o FILE)")
    .addHelpText(
      "after",
      examples([
        "bulwark keys generate && bulwark sign app.tar --key .bulwark/keys/<keyid>.key.pem -o app.tar.sigstore.json",
        "bulwark verify app.tar --bundle app.tar.sigstore.json --key .bulwark/keys/<keyid>.pub.pem",
      ]),
    )
    .action(action(async (rt, file: string, opts: SignOptions) => (await actions()).sign(rt, file, opts)));

  program
    .command("attest")
    .description("Sign an in-toto attestation (DSSE in a Sigstore bundle) about an artifact")
    .requiredOption(
      "-s, --subject <file|name@sha256:hex>",
      "what the attestation is about: a file (hashed) or name@sha256:<digest> (repeatable)",
      collect,
    )
    .requiredOption(
      "-t, --type <type>",
      "predicate type URI, or: slsa-provenance, vsa, test-result, vulns, release, cyclonedx, spdx, policy-decision",
    )
    .requiredOption("--predicate <file>", "the predicate JSON (validated for the known types)")
    .requiredOption("-k, --key <file>", "PKCS#8 private key (password from BULWARK_KEY_PASSWORD)")
    .option("--log", "also append the bundle to the transparency log (proof written beside -o FILE)")
    .addHelpText(
      "after",
      examples([
        "bulwark sbom . -o sbom.cdx.json && bulwark attest --subject app.tar --type cyclonedx --predicate sbom.cdx.json --key key.pem -o sbom.sigstore.json",
        "bulwark attest --subject ghcr.io/acme/app@sha256:4f…e1 --type slsa-provenance --predicate provenance.json --key key.pem",
        "bulwark attest … -o provenance.sigstore.json --log     # + provenance.sigstore.json.tlog-proof",
      ]),
    )
    .action(action(async (rt, opts: AttestOptions) => (await actions()).attest(rt, opts)));

  program
    .command("verify")
    .description(
      "Verify Sigstore bundles (signatures and attestations) for an artifact, key-based or keyless, offline; or an in-toto layout and its links (--layout)",
    )
    .argument(
      "[artifact]",
      "the artifact file the bundles are about, or (attestations) its digest: sha256:<hex> or name@sha256:<hex> (not with --layout)",
    )
    .option("-b, --bundle <file>", "Sigstore bundle to verify (repeatable: every one must verify)", collect)
    .option("--layout <file>", "legacy in-toto layout (root.layout) to verify the supply chain against")
    .option(
      "--layout-key <file>",
      "--layout: the owner's public key, securesystemslib JSON or RSA PEM (repeatable: each must have signed)",
      collect,
    )
    .option("--links <dir>", "--layout: directory of the <step>.<keyid>.link files (default: the layout's)")
    .option("-k, --key <file>", "trusted SPKI public key (repeatable); key-based bundles", collect)
    .option("--trusted-root <file>", "Sigstore trusted_root.json (keyless bundles; offline)")
    .option("--certificate-identity <san>", "keyless: the certificate's identity, exactly")
    .option(
      "--certificate-identity-regexp <re>",
      "keyless: a regular expression the whole identity must match",
    )
    .option("--certificate-oidc-issuer <url>", "keyless: the OIDC issuer, exactly")
    .option("-t, --type <uri>", "attestations: require this predicate type")
    .option(
      "-p, --policy <path>",
      "evaluate policies on each verified in-toto statement (kind attestation)",
      collect,
    )
    .option("-e, --env <name>", "environment for the policies")
    .option("--slsa-level <n>", "require SLSA provenance supporting this SLSA Build level (1, 2 or 3)")
    .option(
      "--builder-id <id>",
      "trusted builder id(s) for --slsa-level (repeatable; the provenance's builder.id must be one; trusting one for level 3 means you vouch it is hardened)",
      collect,
    )
    .addHelpText(
      "after",
      examples(
        [
          "bulwark verify app.tar --bundle app.tar.sigstore.json --key owner.pub.pem",
          "bulwark verify --layout root.layout --layout-key owner.pub --links links/",
          "bulwark verify app.tar --bundle prov.sigstore.json --trusted-root trusted_root.json \\\n      --certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main \\\n      --certificate-oidc-issuer https://token.actions.githubusercontent.com --type https://slsa.dev/provenance/v1 --policy policies/",
        ],
        "Exit: 0 verified, 1 a policy denied, 2 usage, 3 verification failed (with the reason), 4 malformed bundle.",
      ),
    )
    .action(
      action(async (rt, artifact: string | undefined, opts: VerifyOptions & Partial<VerifyLayoutOptions>) => {
        if (opts.layout !== undefined) {
          if (artifact !== undefined || opts.bundle?.length)
            throw new BulwarkError(
              "USAGE",
              "--layout verifies a supply chain: give no artifact and no --bundle",
            );
          return (await intotoActions()).verifyLayoutCommand(rt, {
            layout: opts.layout,
            layoutKey: opts.layoutKey ?? [],
            ...(opts.links !== undefined ? { links: opts.links } : {}),
          });
        }
        if (artifact === undefined || !opts.bundle?.length)
          throw new BulwarkError(
            "USAGE",
            "give an artifact and --bundle (Sigstore bundles), or --layout with --layout-key (an in-toto layout)",
          );
        return (await actions()).verify(rt, artifact, opts);
      }),
    );
}
