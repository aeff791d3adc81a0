import type { Command } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { CheckOptions } from "./check-actions.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCheckCommand(program: Command, action: CommandAction): void {
  program
    .command("check")
    .description(
      "Check Dockerfiles, Kubernetes manifests, Terraform plans and CI workflows against the built-in policy library and your own policies",
    )
    .argument(
      "[paths...]",
      "files or directories (default .); `-` reads YAML from stdin (helm template … | bulwark check -)",
    )
    .option(
      "-p, --policy <path>",
      "policy set: builtin:NAME[@v1.N] (default builtin:default) and/or your files and directories (repeatable)",
      collect,
    )
    .option("-e, --env <name>", "environment, for environment-scoped rules (e.g. production)")
    .option(
      "-t, --type <type>",
      "force the file type: dockerfile, kubernetes, terraform-plan, github-workflow, github-action, gitlab-ci, image-config",
    )
    .option("--platform <os/arch>", "platform to pick from a multi-platform image", "linux/amd64")
    .option(
      "-x, --exclude <glob>",
      "leave out paths matching the glob, relative to each directory checked (repeatable), e.g. 'test/fixtures/**'",
      collect,
    )
    .option(
      "--params <file>",
      "parameter objects: ConfigMaps/custom resources for paramRefs, Namespaces (e.g. allowed registries), repeatable",
      collect,
    )
    .addHelpText(
      "after",
      examples(
        [
          "bulwark check .                                          # every built-in rule that applies",
          "bulwark check k8s/ --policy builtin:pss-restricted@v1.30",
          "bulwark check Dockerfile --policy builtin:dockerfile --format sarif -o check.sarif",
          "terraform show -json plan.out > plan.json && bulwark check plan.json",
          "helm template chart | bulwark check - --policy builtin:pss-baseline",
          "bulwark check image.tar --policy builtin:image                # the image config: user, ports, env",
          "bulwark check . --policy builtin:default --policy policies/ --env production",
        ],
        "Built-in sets: builtin:default, pss-baseline, pss-restricted, kubernetes, dockerfile, terraform, workflows, image, vulnerabilities (docs/library.md).\nWaive a finding in place: # bulwark:ignore <ID> -- <reason>   (on the line, or the line above).\nExit: 0 pass (warnings allowed), 1 a deny finding, 2 usage, 4 invalid input.",
      ),
    )
    .action(
      action(async (rt, paths: string[], opts: CheckOptions) =>
        (await import("./check-actions.js")).check(rt, paths, opts),
      ),
    );
}
