/**
 * The version schemes of the second group of OSV ecosystems, keyed by the ecosystem name as OSV
 * writes it in `affected[].package.ecosystem` (without any `:release` suffix such as
 * `Debian:12` or `Alpine:v3.18`, which callers strip first).
 */
import { alpineScheme } from "./alpine.js";
import { cargoScheme } from "./cargo.js";
import { debianScheme } from "./debian.js";
import { nugetScheme } from "./nuget.js";
import { packagistScheme } from "./packagist.js";
import { rpmScheme } from "./rpm.js";
import { rubygemsScheme } from "./rubygems.js";
import type { VersionScheme } from "./types.js";

export const PART2_SCHEMES: ReadonlyMap<string, VersionScheme> = new Map<string, VersionScheme>([
  ["RubyGems", rubygemsScheme],
  ["Packagist", packagistScheme],
  ["NuGet", nugetScheme],
  ["crates.io", cargoScheme],
  ["Debian", debianScheme],
  ["Ubuntu", debianScheme],
  ["Alpine", alpineScheme],
  ["Red Hat", rpmScheme],
  ["Rocky Linux", rpmScheme],
  ["AlmaLinux", rpmScheme],
  ["openSUSE", rpmScheme],
  ["SUSE", rpmScheme],
  ["Mageia", rpmScheme],
]);
