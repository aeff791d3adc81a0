import type { PackageLocation } from "../../model.js";
import type { FileEntry } from "../../source.js";

export function basename(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** `a/b` + `package.json` → `a/b/package.json`; the root directory is the empty string. */
export function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** Where a cataloged file was found, as a package location. */
export function locationOf(entry: Pick<FileEntry, "path" | "layer">): PackageLocation {
  return entry.layer ? { path: entry.path, layer: entry.layer } : { path: entry.path };
}

/**
 * For catalogers that read a group of files (a folder) as one unit, so edges can cross files:
 * the call for the group's first file (in path order) reads them all, the calls for the others
 * return nothing. The files to read for `entry`: the group when `entry` is its first file,
 * undefined when it is a later member, `[entry]` when it is in no group.
 */
export function groupToRead(
  entry: FileEntry,
  group: readonly FileEntry[] | undefined,
): readonly FileEntry[] | undefined {
  if (!group?.some((f) => f.path === entry.path)) return [entry];
  return group[0]!.path === entry.path ? group : undefined;
}
