import type { Command } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { SbomOptions } from "./sbom-actions.js";

export const SBOM_FORMATS = [
  "cyclonedx-json",
  "cyclonedx-json@1.7",
  "cyclonedx-json@1.6",
  "cyclonedx-json@1.5",
  "spdx-json",
  "spdx3-json",
] as const;

export function registerSbomCommand(program: Command, action: CommandAction): void {
  program
    .command("sbom")
    .description("Generate an SBOM of a source tree, lockfile, root filesystem or container image")
    .argument(
      "<target>",
      "directory, lockfile, root filesystem (--rootfs), OCI layout, OCI archive or docker-save tarball",
    )
    .option("--rootfs", "read the directory as a root filesystem (installed packages, os-release)")
    .option("--image", "read the target as a container image (auto-detected for layouts and archives)")
    .option("--platform <os/arch>", "platform to pick from a multi-platform image", "linux/amd64")
    .option(
      "--catalogers <names>",
      "comma-separated cataloger names or ecosystems to run (default: all that apply)",
    )
    .option("--random-serial", "use a random serial number instead of one derived from the content")
    .addHelpText(
      "after",
      examples(
        [
          "bulwark sbom .                                   # CycloneDX 1.7 JSON of a source tree",
          "bulwark sbom package-lock.json --format spdx-json",
          "bulwark sbom image.tar -o sbom.cdx.json          # docker save / OCI archive",
          "bulwark sbom ./rootfs --rootfs --format spdx3-json",
          "bulwark sbom oci-layout-dir --format cyclonedx-json@1.5",
        ],
        `Formats: ${SBOM_FORMATS.join(", ")} (default cyclonedx-json = CycloneDX 1.7).\nOutput is deterministic: same input and SOURCE_DATE_EPOCH give the same bytes.`,
      ),
    )
    .action(
      action(async (rt, target: string, opts: SbomOptions) =>
        (await import("./sbom-actions.js")).sbom(rt, target, opts),
      ),
    );
}
