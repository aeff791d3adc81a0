import { type Command, Option } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { EvalOptions } from "./policy-actions.js";

// Command bodies load on use, so `bulwark sbom` never pays for the CEL engine and vice versa.
const actions = () => import("./policy-actions.js");

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerPolicyCommands(program: Command, action: CommandAction): void {
  const policy = program
    .command("policy")
    .description("Evaluate, test, lint and bundle CEL policies (native, ValidatingAdmissionPolicy, Kyverno)");
  policy.addHelpText(
    "after",
    examples([
      "bulwark policy eval --policy policies/ --input k8s/deployment.yaml --env production",
      "bulwark policy test policies/",
      "bulwark policy lint policies/",
      "bulwark policy bundle build policies/ -o policies.bundle.json",
    ]),
  );

  policy
    .command("eval")
    .description("Evaluate input documents against a policy set and print the decision")
    .option(
      "-p, --policy <path>",
      "policy file or directory (repeatable; default from bulwark.yaml `policy`)",
      collect,
    )
    .requiredOption(
      "-i, --input <file>",
      "input file, YAML or JSON, many documents allowed; `-` reads stdin (repeatable)",
      collect,
    )
    .option(
      "--policy-bundle <file>",
      "evaluate a signed policy bundle (policy bundle sign) instead of --policy",
    )
    .option("--bundle-key <file>", "public key the --policy-bundle must be signed with (repeatable)", collect)
    .option(
      "-k, --kind <kind>",
      "input kind when it cannot be detected (e.g. Pod, sbom, vulnerability-report)",
    )
    .option("-e, --env <name>", "environment the decision is for (selects environment-scoped policies)")
    .option(
      "--params <file>",
      "params / namespace objects for ValidatingAdmissionPolicy and Kyverno (repeatable)",
      collect,
    )
    .addOption(
      new Option("--operation <op>", "admission operation presented to Kubernetes policies")
        .choices(["CREATE", "UPDATE", "DELETE", "CONNECT"])
        .default("CREATE"),
    )
    .option(
      "--subject <name>",
      "name of the subject the decision is about (default: the resource); name@sha256:<hex> names it by digest",
    )
    .option("--log", "append the decision to the transparency log (see `bulwark log init`)")
    .addHelpText(
      "after",
      examples(
        [
          "bulwark policy eval -p policies/ -i deploy.yaml",
          "bulwark policy eval -p vap.yaml -p binding.yaml -i manifests.yaml --params params.yaml",
          "helm template chart | bulwark policy eval -p policies/ -i - --format sarif -o results.sarif",
          "bulwark policy eval -p policies/ -i sbom.json --kind sbom --env production --format json",
        ],
        "Exit codes: 0 allowed (warnings printed), 1 denied, 2 usage, 4 invalid input.",
      ),
    )
    .action(action(async (rt, opts: EvalOptions) => (await actions()).policyEval(rt, opts)));

  policy
    .command("test")
    .description("Run the PolicyTest cases found beside the policies")
    .argument("<paths...>", "policy directories or files holding Policy and PolicyTest documents")
    .addHelpText(
      "after",
      examples(
        ["bulwark policy test policies/", "bulwark policy test policies/ --format junit -o policy-tests.xml"],
        "Exit codes: 0 all cases passed, 1 a case failed, 4 invalid policy or test.",
      ),
    )
    .action(action(async (rt, paths: string[]) => (await actions()).policyTest(rt, paths)));

  policy
    .command("lint")
    .description("Check policies for YAML, schema and CEL errors, with file:line:col for each")
    .argument("<paths...>", "policy directories or files")
    .addHelpText(
      "after",
      examples(
        ["bulwark policy lint policies/", "bulwark policy lint policies/ --format json"],
        "Exit codes: 0 clean, 4 errors found.",
      ),
    )
    .action(action(async (rt, paths: string[]) => (await actions()).policyLint(rt, paths)));

  const bundle = policy
    .command("bundle")
    .description("Policy bundles: a policy set as one canonical, digest-addressed document");
  bundle
    .command("build")
    .description("Build a canonical bundle (RFC 8785 JSON) of a policy set and print its digest")
    .argument("<paths...>", "policy directories or files")
    .addHelpText("after", examples(["bulwark policy bundle build policies/ -o policies.bundle.json"]))
    .action(action(async (rt, paths: string[]) => (await actions()).policyBundleBuild(rt, paths)));
  bundle
    .command("sign")
    .description("Sign a policy bundle (DSSE in a key-based Sigstore bundle) so evaluation can require it")
    .argument("<bundle>", "a bundle written by `policy bundle build`")
    .requiredOption("-k, --key <file>", "PKCS#8 private key (password from BULWARK_KEY_PASSWORD)")
    .addHelpText(
      "after",
      examples([
        "bulwark policy bundle build policies/ -o policies.bundle.json",
        "bulwark policy bundle sign policies.bundle.json --key key.pem -o policies.signed.json",
        "bulwark policy eval --policy-bundle policies.signed.json --bundle-key key.pub.pem --input k8s/",
      ]),
    )
    .action(
      action(async (rt, file: string, opts: { key: string }) =>
        (await actions()).policyBundleSign(rt, file, opts),
      ),
    );
  bundle
    .command("verify")
    .description("Verify a signed policy bundle and print the policy bundle it holds")
    .argument("<signed>", "a bundle written by `policy bundle sign`")
    .requiredOption("-k, --key <file>", "trusted public key (repeatable)", collect)
    .action(
      action(async (rt, file: string, opts: { key: string[] }) =>
        (await actions()).policyBundleVerify(rt, file, opts),
      ),
    );
}
