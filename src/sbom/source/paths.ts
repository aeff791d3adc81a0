/**
 * Path rules shared by every source: paths are relative to the root, use `/`, and never climb
 * out of it. Symlinks are resolved lexically (no file system access), inside the root.
 */

/** Most symlinks followed while resolving one path (Linux's MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/**
 * A tar or user path in canonical form: `./` and leading `/` stripped, empty and `.` segments
 * dropped. `undefined` when a `..` segment remains (the entry would escape its directory) or
 * the path contains NUL. `""` is the root itself.
 */
export function normalizePath(raw: string): string | undefined {
  if (raw.includes("\0")) return undefined;
  // Fast path: already canonical (the common case for tar entries after `./`).
  let s = raw;
  for (;;) {
    if (s.startsWith("/")) s = s.slice(1);
    else if (s.startsWith("./")) s = s.slice(2);
    else break;
  }
  if (!s.includes("//") && !s.includes("/./") && !s.includes("..") && !s.endsWith("/.") && s !== ".") {
    return s.endsWith("/") ? s.replace(/\/+$/, "") : s;
  }
  const out: string[] = [];
  for (const seg of s.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") return undefined;
    out.push(seg);
  }
  return out.join("/");
}

/** Resolves `path` inside a root whose symlinks are `links` (path → raw target). See RootFileSource. */
export function resolveInRoot(links: ReadonlyMap<string, string>, path: string): string | undefined {
  if (path.includes("\0")) return undefined;
  const pending = path.split("/").reverse();
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const seg = pending.pop()!;
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      resolved.pop();
      continue;
    }
    resolved.push(seg);
    if (links.size === 0) continue;
    const target = links.get(resolved.join("/"));
    if (target === undefined) continue;
    if (++hops > MAX_SYMLINK_HOPS) return undefined;
    resolved.pop();
    if (target.startsWith("/")) resolved.length = 0;
    const parts = target.split("/");
    for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
  }
  return resolved.join("/");
}
