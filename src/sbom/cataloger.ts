import type { Context } from "../core/index.js";
import type { CatalogResult, Distro } from "./model.js";
import type { FileEntry, FileSource } from "./source.js";

/** What a cataloger run receives besides its file. */
export interface CatalogContext extends Context {
  readonly source: FileSource;
  /** The distro of an image or rootfs, when `etc/os-release` was found. */
  readonly distro?: Distro;
}

/**
 * A cataloger reads one kind of file (a lockfile format, a package database) into packages.
 * Plugin contract (ARCHITECTURE §4):
 * - `name` is stable (`javascript/package-lock`); `version` is bumped whenever its output changes.
 * - `applies(entry)` MUST be cheap (a test on the path, maybe the size): it decides which files are read.
 * - `catalog` MUST NOT throw for bad content: it returns what it could read plus located issues.
 *   It MAY throw only for programming errors.
 * - `targets` says where it runs: lockfiles describe source trees; installed-package databases
 *   describe root filesystems and images.
 */
export interface Cataloger {
  readonly name: string;
  readonly version: number;
  readonly ecosystem: string;
  readonly targets: readonly ("directory" | "rootfs" | "image" | "file")[];
  applies(entry: FileEntry): boolean;
  /**
   * Other files the cataloger MAY read while cataloguing (e.g. the `package.json` beside a
   * `yarn.lock`, for dev scope). They are made readable but never catalogued by it. Cheap, like `applies`.
   */
  reads?(entry: FileEntry): boolean;
  catalog(entry: FileEntry, ctx: CatalogContext): Promise<CatalogResult>;
}
