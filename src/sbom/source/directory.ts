/**
 * File sources over the local file system: a source tree, a root filesystem, or one lockfile.
 *
 * Safety rules (each has a test):
 * - the tree is walked once, without following symlinks: a symlinked file is listed under
 *   `symlinks()` and never read, a symlinked directory is never entered;
 * - `read` opens only listed paths, with `O_NOFOLLOW`, and checks that the file it opened is the
 *   one it listed (same device and inode), so a file swapped for a link after listing is refused;
 * - paths with `..` are refused; files over `maxFileBytes` are listed but not read.
 */
import { constants, type Dirent, lstatSync, promises as fs, type Stats } from "node:fs";
import { basename, join } from "node:path";
import { BulwarkError } from "../../core/index.js";
import type { FileEntry } from "../source.js";
import {
  decodeText,
  type RootFileSource,
  type SourceIssue,
  type SourceLimits,
  sourceLimits,
  tooLarge,
  type WantFile,
} from "./common.js";
import { normalizePath, resolveInRoot } from "./paths.js";

export interface DirectorySourceOptions {
  /**
   * `directory`: a source tree; `.git` and every `node_modules` are skipped (installed packages
   * are not the project's lockfile truth). `rootfs`: a root filesystem; `proc`, `sys` and `dev`
   * at its top are skipped.
   */
  readonly kind: "directory" | "rootfs";
  readonly want: WantFile;
  readonly limits?: Partial<SourceLimits>;
  readonly signal?: AbortSignal;
}

export interface FileSourceOptions {
  readonly limits?: Partial<SourceLimits>;
  readonly signal?: AbortSignal;
}

/** A listed file and the identity it had when listed. */
interface Listed {
  readonly entry: FileEntry;
  readonly abs: string;
  readonly dev: number;
  readonly ino: number;
}

const SKIP_DIRECTORY = new Set([".git", "node_modules"]);
const SKIP_ROOTFS_TOP = new Set(["proc", "sys", "dev"]);
/** Directories read at once (the libuv pool has four threads). */
const WALK_CONCURRENCY = 4;
// O_NOFOLLOW refuses a final-component symlink; O_NONBLOCK keeps a FIFO swapped in from blocking.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** Thrown by a lazy `lstat` inside `want`, so a file that vanished mid-walk becomes an issue. */
class StatFailed extends Error {}

/** Opens a source tree or root filesystem; see {@link DirectorySourceOptions}. */
export async function openDirectorySource(
  root: string,
  options: DirectorySourceOptions,
): Promise<RootFileSource> {
  const limits = sourceLimits(options.limits);
  const rootAbs = await realDirectory(root);
  const listed = new Map<string, Listed>();
  const links = new Map<string, string>();
  const issues: SourceIssue[] = [];
  let entries = 0;

  const visit = async (rel: string): Promise<string[]> => {
    options.signal?.throwIfAborted();
    const dirAbs = rel === "" ? rootAbs : join(rootAbs, rel);
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(dirAbs, { withFileTypes: true });
    } catch (e) {
      issues.push({
        message: `directory not readable: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
        path: rel,
      });
      return [];
    }
    entries += dirents.length;
    if (entries > limits.maxEntries) {
      throw new BulwarkError("INPUT_TOO_LARGE", `${root} holds more than ${limits.maxEntries} entries`, {
        details: { limit: limits.maxEntries },
      });
    }
    const subdirs: string[] = [];
    for (const d of dirents) {
      const name = d.name;
      const path = rel === "" ? name : `${rel}/${name}`;
      if (d.isDirectory()) {
        if (options.kind === "directory" ? SKIP_DIRECTORY.has(name) : rel === "" && SKIP_ROOTFS_TOP.has(name))
          continue;
        subdirs.push(path);
      } else if (d.isFile()) {
        const found = considerFile(join(dirAbs, name), path, options.want, issues);
        if (found) listed.set(path, found);
      } else if (d.isSymbolicLink()) {
        try {
          links.set(path, await fs.readlink(join(dirAbs, name)));
        } catch (e) {
          issues.push({
            message: `symlink not readable: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
            path,
          });
        }
      }
      // Sockets, FIFOs and devices are never listed.
    }
    return subdirs;
  };

  await walk(visit);
  // Directories are read concurrently: sort what they yielded so the result is deterministic.
  const byPath = <T>(a: [string, T], b: [string, T]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const sortedLinks = new Map([...links].sort(byPath));
  issues.sort((a, b) => byPath([a.path ?? "", 0], [b.path ?? "", 0]));
  return makeSource(options.kind, root, listed, sortedLinks, issues, limits);
}

/**
 * Opens one file (a lockfile named on the command line) as a source holding one entry named by
 * its basename. A symlink is refused, as everywhere else: name the file it points to.
 */
export async function openFileSource(path: string, options: FileSourceOptions = {}): Promise<RootFileSource> {
  const limits = sourceLimits(options.limits);
  let st: Stats;
  try {
    st = await fs.lstat(path);
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `file not found: ${path}`, { cause: e });
  }
  if (st.isSymbolicLink()) {
    throw new BulwarkError(
      "INPUT_INVALID",
      `${path} is a symlink; Bulwark never follows symlinks, so name the file it points to`,
    );
  }
  if (!st.isFile()) throw new BulwarkError("INPUT_INVALID", `${path} is not a regular file`);
  const name = basename(path);
  const entry: FileEntry = { path: name, size: st.size, executable: (st.mode & 0o111) !== 0 };
  const listed = new Map([[name, { entry, abs: path, dev: st.dev, ino: st.ino }]]);
  return makeSource("file", path, listed, new Map(), [], limits);
}

function makeSource(
  kind: RootFileSource["kind"],
  name: string,
  listed: ReadonlyMap<string, Listed>,
  links: ReadonlyMap<string, string>,
  issues: readonly SourceIssue[],
  limits: SourceLimits,
): RootFileSource {
  const files = [...listed.values()]
    .map((l) => l.entry)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const read = async (path: string): Promise<Uint8Array> => readListed(listed, path, limits);
  return {
    kind,
    name,
    issues,
    files: () => files,
    read,
    readText: async (path) => decodeText(await read(path)),
    symlinks: () => links,
    resolveInRoot: (path) => resolveInRoot(links, path),
  };
}

/** Runs `visit` over the tree breadth-first, a few directories at a time. */
async function walk(visit: (rel: string) => Promise<string[]>): Promise<void> {
  const queue = [""];
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (queue.length > 0 && failure === undefined) {
      const rel = queue.pop()!;
      try {
        queue.push(...(await visit(rel)));
      } catch (e) {
        failure ??= e;
      }
    }
  };
  // Workers that find the queue empty stop; rerun until the queue stays empty.
  while (queue.length > 0 && failure === undefined) {
    await Promise.all(Array.from({ length: Math.min(WALK_CONCURRENCY, queue.length) }, worker));
  }
  if (failure !== undefined) throw failure;
}

/** Asks `want` about one regular file, stat-ing it only if `want` looks at its size or mode. */
function considerFile(abs: string, path: string, want: WantFile, issues: SourceIssue[]): Listed | undefined {
  let st: Stats | undefined;
  const stat = (): Stats => {
    if (st) return st;
    try {
      st = lstatSync(abs);
    } catch (e) {
      throw new StatFailed((e as NodeJS.ErrnoException).code ?? String(e));
    }
    return st;
  };
  const probe: FileEntry = {
    path,
    get size() {
      return stat().size;
    },
    get executable() {
      return (stat().mode & 0o111) !== 0;
    },
  };
  try {
    if (!want(probe)) return undefined;
    const s = stat();
    // Replaced by a link or directory since readdir: not what was listed.
    if (!s.isFile()) return undefined;
    return { entry: { path, size: s.size, executable: (s.mode & 0o111) !== 0 }, abs, dev: s.dev, ino: s.ino };
  } catch (e) {
    if (!(e instanceof StatFailed)) throw e;
    issues.push({ message: `file not readable: ${e.message}`, path });
    return undefined;
  }
}

async function readListed(
  listed: ReadonlyMap<string, Listed>,
  path: string,
  limits: SourceLimits,
): Promise<Uint8Array> {
  if (normalizePath(path) !== path || path === "") {
    throw new BulwarkError(
      "INPUT_INVALID",
      `path ${JSON.stringify(path)} is not a plain path inside the source root`,
    );
  }
  const l = listed.get(path);
  if (!l) throw new BulwarkError("FILE_NOT_FOUND", `${path} is not a file listed by this source`);
  if (l.entry.size > limits.maxFileBytes) throw tooLarge(path, l.entry.size, limits.maxFileBytes);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(l.abs, OPEN_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      throw new BulwarkError("INPUT_INVALID", `${path} became a symlink after it was listed`, { cause: e });
    throw new BulwarkError("FILE_NOT_FOUND", `${path} cannot be opened: ${code ?? String(e)}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== l.dev || st.ino !== l.ino) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `${path} was replaced after it was listed; refusing to read it`,
      );
    }
    if (st.size > limits.maxFileBytes) throw tooLarge(path, st.size, limits.maxFileBytes);
    const out = new Uint8Array(st.size);
    let off = 0;
    while (off < out.length) {
      const { bytesRead } = await fh.read(out, off, out.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === out.length ? out : out.subarray(0, off);
  } finally {
    await fh.close();
  }
}

async function realDirectory(root: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(root);
  } catch (e) {
    throw new BulwarkError("FILE_NOT_FOUND", `directory not found: ${root}`, { cause: e });
  }
  const st = await fs.stat(real);
  if (!st.isDirectory()) throw new BulwarkError("INPUT_INVALID", `${root} is not a directory`);
  return real;
}
