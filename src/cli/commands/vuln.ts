import { type Command, Option } from "commander";
import { type CommandAction, examples } from "../shared.js";
import type { DbOptions, ScanOptions, VexCreateOptions } from "./vuln-actions.js";

// Bodies load on use: `bulwark policy …` never loads SQLite, `bulwark scan` never loads CEL unless asked.
const actions = () => import("./vuln-actions.js");

const collect = (v: string, prev: string[] = []) => [...prev, v];

export const SCAN_FORMATS = [
  "table",
  "json",
  "sarif",
  "cyclonedx-json",
  "cyclonedx-json@1.7",
  "cyclonedx-json@1.6",
  "cyclonedx-json@1.5",
  "intoto",
] as const;

const dbOption = () =>
  new Option("--db <dir>", "vulnerability database directory (default $BULWARK_HOME or ./.bulwark)");

export function registerVulnCommands(program: Command, action: CommandAction): void {
  program
    .command("scan")
    .description("Find the known vulnerabilities in a project, root filesystem, image or SBOM")
    .argument(
      "<target>",
      "directory, lockfile, root filesystem (--rootfs), OCI layout/archive, docker-save tarball or SBOM",
    )
    .option("--rootfs", "read the directory as a root filesystem (installed packages, os-release)")
    .option("--image", "read the target as a container image (auto-detected for layouts and archives)")
    .option("--platform <os/arch>", "platform to pick from a multi-platform image", "linux/amd64")
    .addOption(dbOption())
    .option(
      "--source <name>",
      "where advisories come from: db (the local database, default), osv-api, npm-advisories (repeatable)",
      collect,
    )
    .option("--osv-api-url <url>", "OSV API base URL for --source osv-api", "https://api.osv.dev")
    .option(
      "--registry <url>",
      "npm registry for --source npm-advisories (default: the project's npm config)",
    )
    .option("--vex <file>", "OpenVEX or CycloneDX VEX document to apply (repeatable)", collect)
    .option(
      "--fail-on <severity>",
      "exit 1 when an unsuppressed finding is at or above: critical, high, medium, low, none, unknown",
    )
    .option("--max-db-age <duration>", "warn when the database is older than this (e.g. 36h, 7d)", "7d")
    .option("--fail-on-stale-db", "fail (exit 5) instead of warning when the database is too old or empty")
    .option("--show-suppressed", "list VEX-suppressed findings in the table too")
    .option(
      "-p, --policy <path>",
      "also evaluate these policies on the report (kind vulnerability-report; repeatable)",
      collect,
    )
    .option("-e, --env <name>", "environment the policies are evaluated for (e.g. production)")
    .addHelpText(
      "after",
      examples(
        [
          "bulwark db import osv/npm/all.zip && bulwark scan .        # offline, local database",
          "bulwark scan package-lock.json --fail-on high",
          "bulwark scan image.tar --format sarif -o scan.sarif",
          "bulwark scan sbom.cdx.json --vex vex.json --format json",
          "bulwark scan ./rootfs --rootfs --format cyclonedx-json",
          "bulwark scan . --source osv-api                          # ask api.osv.dev (network)",
          "bulwark scan . --policy policies/ --env production        # gate with policies",
        ],
        `Formats: ${SCAN_FORMATS.join(", ")} (default table). JSON is documented in docs/scan.md.\nExit: 0 pass, 1 findings at/above --fail-on or a policy denied, 2 usage, 4 bad input, 5 database/source unavailable or stale.`,
      ),
    )
    .action(
      action(async (rt, target: string, opts: ScanOptions) => (await actions()).scan(rt, target, opts)),
    );

  const db = program.command("db").description("Manage the local vulnerability database (OSV records)");
  db.addHelpText(
    "after",
    examples([
      "bulwark db import osv/npm/all.zip osv/PyPI/all.zip   # OSV's per-ecosystem exports",
      "bulwark db import advisories/                         # a directory of OSV JSON files",
      "bulwark db update                                     # re-import every recorded source",
      "bulwark db status --format json",
      "bulwark db show CVE-2021-23337",
    ]),
  );
  db.command("import")
    .description("Import OSV records from zip exports, directories or JSON files (incremental by `modified`)")
    .argument("<paths...>", "OSV all.zip exports, directories of OSV JSON, or JSON files")
    .addOption(dbOption())
    .option("--source-name <name>", "record the import under this source name (one path only)")
    .action(
      action(async (rt, paths: string[], opts: DbOptions) => (await actions()).dbImport(rt, paths, opts)),
    );
  db.command("update")
    .description("Re-import every recorded file/zip/directory source from where it was imported")
    .addOption(dbOption())
    .action(action(async (rt, opts: DbOptions) => (await actions()).dbUpdate(rt, opts)));
  db.command("status")
    .description("Show the database's sources, record counts per ecosystem and age")
    .addOption(dbOption())
    .action(action(async (rt, opts: DbOptions) => (await actions()).dbStatus(rt, opts)));
  db.command("show")
    .description("Print the OSV record(s) with this id or alias")
    .argument("<id>", "advisory id or alias (GHSA-…, CVE-…, DSA-…)")
    .addOption(dbOption())
    .action(action(async (rt, id: string, opts: DbOptions) => (await actions()).dbShow(rt, id, opts)));

  const vex = program.command("vex").description("Write VEX statements (OpenVEX 0.2.0)");
  vex
    .command("create")
    .description("Write an OpenVEX document stating whether a vulnerability affects a product")
    .requiredOption("--id <vulnerability>", "vulnerability id (CVE-…, GHSA-…)")
    .requiredOption("--product <purl>", "product purl (repeatable)", collect)
    .requiredOption("--status <status>", "not_affected, affected, fixed or under_investigation")
    .option("--subcomponent <purl>", "affected subcomponent purl within the product (repeatable)", collect)
    .option("--alias <id>", "another id of the vulnerability (repeatable)", collect)
    .option(
      "--justification <j>",
      "for not_affected: component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist",
    )
    .option("--impact <text>", "impact statement (for not_affected)")
    .option("--action <text>", "action statement (required for affected)")
    .option("--author <name>", "document author", "unknown")
    .option("--doc-id <iri>", "the document @id (default: derived from the content)")
    .addHelpText(
      "after",
      examples([
        "bulwark vex create --id CVE-2021-23337 --product pkg:npm/shop-web@1.4.2 --subcomponent pkg:npm/lodash@4.17.20 \\\n      --status not_affected --justification vulnerable_code_not_in_execute_path -o vex.json",
        "bulwark vex create --id GHSA-xxxx-xxxx-xxxx --product pkg:oci/app@sha256:… --status under_investigation",
      ]),
    )
    .action(action(async (rt, opts: VexCreateOptions) => (await actions()).vexCreate(rt, opts)));
}
