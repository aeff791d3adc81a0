/**
 * The merged file system of an image's layers, built while the layers stream past, bottom to top.
 *
 * Only what catalogers can use is kept: wanted regular files (with their bytes), symlinks and
 * the directories holding them. Everything else in a layer still counts, because it changes
 * what lower layers left behind (overlay semantics, OCI image-spec `layer.md`):
 * - an entry replaces whatever a lower layer (or earlier in the same tar) had at its path; only
 *   a directory over a directory merges;
 * - `.wh.<name>` deletes `<name>` and everything under it from lower layers;
 * - `.wh..wh..opq` makes its directory opaque: what lower layers put under it is hidden;
 * - whiteouts never hide entries of their own layer;
 * - a symlinked parent directory is resolved inside the root, as containerd does when it
 *   unpacks (`lib/x` under `lib -> usr/lib` lands at `usr/lib/x`).
 * Entries whose path climbs out of the root are skipped with an issue.
 */
import { BulwarkError } from "../../core/index.js";
import type { FileEntry } from "../source.js";
import {
  MAX_SYMLINK_HOPS,
  normalizePath,
  type SourceIssue,
  type SourceLimits,
  type WantFile,
} from "../source/index.js";
import type { TarHeader, TarSink } from "./tar.js";

/** Longest path kept (Linux PATH_MAX); longer ones are skipped with an issue. */
export const MAX_PATH_BYTES = 4096;

const DIR = 0;
const FILE = 1;
const LINK = 2;

interface DirNode {
  readonly k: typeof DIR;
  readonly layer: number;
  readonly children: Map<string, Node>;
}

/** A wanted regular file. */
export interface FileNode {
  readonly k: typeof FILE;
  readonly layer: number;
  readonly layerDigest: string;
  readonly size: number;
  readonly executable: boolean;
  /** Undefined when not held (listed, but `read` refuses it); `unread` says why. */
  readonly content: Uint8Array | undefined;
  /** Which limit kept the content out: the per-file size or the memory budget. */
  readonly unread?: "file" | "memory";
}

interface LinkNode {
  readonly k: typeof LINK;
  readonly layer: number;
  readonly target: string;
}

type Node = DirNode | FileNode | LinkNode;

interface Located {
  /** The directory that holds (or would hold) the entry; undefined when it does not exist. */
  readonly dir: DirNode | undefined;
  readonly name: string;
  /** The path after symlinked parents were resolved. */
  readonly path: string;
}

export interface MergedFile {
  readonly entry: FileEntry;
  readonly node: FileNode;
}

export class MergedTree {
  private readonly root: DirNode = { k: DIR, layer: -1, children: new Map() };
  private layer = -1;
  private layerDigest = "";
  private entries = 0;
  private buffered = 0;

  constructor(
    private readonly want: WantFile,
    private readonly limits: SourceLimits,
    private readonly issues: SourceIssue[],
  ) {}

  /** Starts the next layer (bottom first) and returns the sink its tar entries go to. */
  layerSink(digest: string): TarSink {
    this.layer++;
    this.layerDigest = digest;
    return { entry: (h) => this.entry(h) };
  }

  /** Every wanted regular file of the merged tree, sorted by path. */
  files(): MergedFile[] {
    const out: MergedFile[] = [];
    const stack: [DirNode, string][] = [[this.root, ""]];
    while (stack.length > 0) {
      const [dir, prefix] = stack.pop()!;
      for (const [name, node] of dir.children) {
        const path = prefix === "" ? name : `${prefix}/${name}`;
        if (node.k === DIR) stack.push([node, path]);
        else if (node.k === FILE) {
          out.push({
            entry: { path, size: node.size, layer: node.layerDigest, executable: node.executable },
            node,
          });
        }
      }
    }
    return out.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
  }

  /** Every symlink of the merged tree: path → target as stored. */
  symlinks(): Map<string, string> {
    const out = new Map<string, string>();
    const stack: [DirNode, string][] = [[this.root, ""]];
    while (stack.length > 0) {
      const [dir, prefix] = stack.pop()!;
      for (const [name, node] of dir.children) {
        const path = prefix === "" ? name : `${prefix}/${name}`;
        if (node.k === DIR) stack.push([node, path]);
        else if (node.k === LINK) out.set(path, node.target);
      }
    }
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private issue(message: string, path: string): void {
    this.issues.push({ message, path, layer: this.layerDigest });
  }

  private entry(h: TarHeader): Uint8Array | undefined {
    if (++this.entries > this.limits.maxEntries) {
      throw new BulwarkError(
        "INPUT_TOO_LARGE",
        `the image has more than ${this.limits.maxEntries} layer entries`,
        {
          details: { limit: this.limits.maxEntries },
        },
      );
    }
    const path = normalizePath(h.name);
    if (path === undefined) {
      this.issue("entry skipped: its path leaves the image root", h.name);
      return undefined;
    }
    if (path === "") return undefined;
    if (path.length > MAX_PATH_BYTES) {
      this.issue(`entry skipped: path longer than ${MAX_PATH_BYTES} bytes`, path.slice(0, 200));
      return undefined;
    }
    const slash = path.lastIndexOf("/");
    const base = slash < 0 ? path : path.slice(slash + 1);
    if (base.startsWith(".wh.")) {
      this.whiteout(path, slash, base);
      return undefined;
    }
    switch (h.type) {
      case "file":
        return this.file(path, h);
      case "directory": {
        const at = this.locate(path, false);
        const existing = at?.dir?.children.get(at.name);
        if (at?.dir && existing && existing.k !== DIR) at.dir.children.set(at.name, this.newDir());
        return undefined;
      }
      case "symlink": {
        const at = this.locate(path, true);
        if (at) at.dir!.children.set(at.name, { k: LINK, layer: this.layer, target: h.linkname });
        return undefined;
      }
      case "hardlink":
        this.hardlink(path, h.linkname);
        return undefined;
      case "sparse":
        this.issue("sparse file skipped: its content is not read", path);
        this.remove(path);
        return undefined;
      case "char":
      case "block":
      case "fifo":
      case "other":
        this.remove(path);
        return undefined;
      default: {
        const never: never = h.type;
        throw new Error(`unknown tar entry type ${String(never)}`);
      }
    }
  }

  private file(path: string, h: TarHeader): Uint8Array | undefined {
    const at = this.locate(path, false);
    if (!at) return undefined;
    const executable = (h.mode & 0o111) !== 0;
    if (!this.want({ path: at.path, size: h.size, layer: this.layerDigest, executable })) {
      if (at.dir) at.dir.children.delete(at.name);
      return undefined;
    }
    const place = at.dir ? at : this.locate(at.path, true);
    if (!place) return undefined;
    let content: Uint8Array | undefined;
    let unread: FileNode["unread"];
    if (h.size > this.limits.maxFileBytes) {
      unread = "file";
      this.issue(`file over the ${this.limits.maxFileBytes}-byte limit is listed but not read`, at.path);
    } else if (this.buffered + h.size > this.limits.maxBufferedBytes) {
      // Over the memory budget: keep listing, stop holding (the scan goes on, with an issue).
      unread = "memory";
      this.issue(
        `file listed but not read: wanted files exceed the ${this.limits.maxBufferedBytes}-byte memory budget`,
        at.path,
      );
    } else {
      this.buffered += h.size;
      content = new Uint8Array(h.size);
    }
    place.dir!.children.set(place.name, {
      k: FILE,
      layer: this.layer,
      layerDigest: this.layerDigest,
      size: h.size,
      executable,
      content,
      ...(unread ? { unread } : {}),
    });
    return content;
  }

  private hardlink(path: string, linkname: string): void {
    const targetPath = normalizePath(linkname);
    const target = targetPath ? this.locate(targetPath, false) : undefined;
    const node = target?.dir?.children.get(target.name);
    const at = this.locate(path, false);
    if (!at) return;
    if (targetPath === undefined)
      this.issue(`hardlink skipped: its target ${linkname} leaves the image root`, path);
    if (node?.k !== FILE) {
      // Not a file we kept (not wanted, or absent): the link only replaces what was there.
      if (at.dir) at.dir.children.delete(at.name);
      return;
    }
    const wanted = this.want({
      path: at.path,
      size: node.size,
      layer: this.layerDigest,
      executable: node.executable,
    });
    const place = wanted ? this.locate(at.path, true) : at;
    if (!place?.dir) return;
    if (!wanted) {
      place.dir.children.delete(place.name);
      return;
    }
    place.dir.children.set(place.name, { ...node, layer: this.layer, layerDigest: this.layerDigest });
  }

  private whiteout(path: string, slash: number, base: string): void {
    const parent = slash < 0 ? "" : path.slice(0, slash);
    if (base === ".wh..wh..opq") {
      const at = parent === "" ? undefined : this.locate(parent, false);
      const node = parent === "" ? this.root : at?.dir?.children.get(at.name);
      if (node?.k === DIR) this.prune(node);
      return;
    }
    if (base.startsWith(".wh..wh.")) return; // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs)
    const name = base.slice(4);
    if (name === "" || name === "." || name === "..") {
      this.issue("malformed whiteout skipped", path);
      return;
    }
    const at = this.locate(parent === "" ? name : `${parent}/${name}`, false);
    const node = at?.dir?.children.get(at.name);
    if (!at?.dir || !node || node.layer === this.layer) return;
    if (node.k === DIR) {
      this.prune(node);
      if (node.children.size === 0) at.dir.children.delete(at.name);
    } else {
      at.dir.children.delete(at.name);
    }
  }

  /** Removes what lower layers put under `dir`, keeping this layer's entries. */
  private prune(dir: DirNode): void {
    for (const [name, child] of dir.children) {
      if (child.layer === this.layer && child.k !== DIR) continue;
      if (child.k === DIR) {
        this.prune(child);
        if (child.children.size === 0 && child.layer < this.layer) dir.children.delete(name);
      } else {
        dir.children.delete(name);
      }
    }
  }

  private remove(path: string): void {
    const at = this.locate(path, false);
    at?.dir?.children.delete(at.name);
  }

  private newDir(): DirNode {
    return { k: DIR, layer: this.layer, children: new Map() };
  }

  /**
   * Finds the directory that holds `path`'s last component, resolving symlinked parents inside
   * the root. With `create`, missing parents are made (and a file in the way is replaced by a
   * directory, as a later layer's directory would). Undefined when the parents form a symlink
   * loop (reported).
   */
  private locate(path: string, create: boolean): Located | undefined {
    let segs = path.split("/");
    let hops = 0;
    restart: for (;;) {
      let dir: DirNode = this.root;
      const last = segs.length - 1;
      for (let i = 0; i < last; i++) {
        const seg = segs[i]!;
        let child = dir.children.get(seg);
        if (child === undefined || child.k === FILE) {
          if (!create) return { dir: undefined, name: segs[last]!, path: segs.join("/") };
          child = this.newDir();
          dir.children.set(seg, child);
        } else if (child.k === LINK) {
          if (++hops > MAX_SYMLINK_HOPS) {
            this.issue("entry skipped: its parent directories form a symlink loop", path);
            return undefined;
          }
          const target = child.target;
          const next = target.startsWith("/") ? [] : segs.slice(0, i);
          for (const t of target.split("/")) {
            if (t === "" || t === ".") continue;
            if (t === "..") next.pop();
            else next.push(t);
          }
          for (let j = i + 1; j <= last; j++) next.push(segs[j]!);
          if (next.length === 0) return undefined;
          segs = next;
          continue restart;
        }
        dir = child;
      }
      return { dir, name: segs[last]!, path: segs.join("/") };
    }
  }
}
