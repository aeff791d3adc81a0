import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_SYMLINK_HOPS, normalizePath, resolveInRoot } from "./paths.js";

describe("normalizePath", () => {
  it.each([
    ["./etc/os-release", "etc/os-release"],
    ["/etc/os-release", "etc/os-release"],
    ["././//usr//lib/./x/", "usr/lib/x"],
    ["a..b/c", "a..b/c"],
    ["./", ""],
    ["/./a", "a"],
    ["./../a", undefined],
    [".", ""],
    ["dir/", "dir"],
  ])("%s → %s", (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each(["../../etc/passwd", "a/../../b", "a/..", "..", "a\0b"])("refuses %s", (raw) => {
    expect(normalizePath(raw)).toBeUndefined();
  });

  it("never yields a path with empty, . or .. segments (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", ".", "..", "", "c.d", "..."), { maxLength: 8 }),
        (segs) => {
          const n = normalizePath(segs.join("/"));
          if (n === undefined) return;
          if (n !== "") expect(n.split("/").every((s) => s !== "" && s !== "." && s !== "..")).toBe(true);
          expect(normalizePath(n)).toBe(n);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("resolveInRoot", () => {
  const links = new Map([
    ["etc/os-release", "../usr/lib/os-release"],
    ["bin", "usr/bin"],
    ["lib", "/usr/lib"],
    ["escape", "../../../../etc/shadow"],
    ["loop1", "loop2"],
    ["loop2", "/loop1"],
    ["usr/bin/python3", "python3.11"],
  ]);

  it.each([
    ["etc/os-release", "usr/lib/os-release"],
    ["bin/python3", "usr/bin/python3.11"],
    ["lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6"],
    ["escape", "etc/shadow"],
    ["../../etc/passwd", "etc/passwd"],
    ["usr/./lib/../bin", "usr/bin"],
    ["plain/file", "plain/file"],
  ])("%s → %s", (path, expected) => {
    expect(resolveInRoot(links, path)).toBe(expected);
  });

  it("gives up on loops and on chains longer than 40 links", () => {
    expect(resolveInRoot(links, "loop1")).toBeUndefined();
    expect(resolveInRoot(links, "loop2/x")).toBeUndefined();
    const chain = new Map(
      Array.from({ length: MAX_SYMLINK_HOPS + 1 }, (_, i) => [`l${i}`, `l${i + 1}`] as const),
    );
    expect(resolveInRoot(chain, "l0")).toBeUndefined();
    expect(resolveInRoot(chain, "l1")).toBe(`l${MAX_SYMLINK_HOPS + 1}`);
  });

  it("never leaves the root, whatever the links (property)", () => {
    const seg = fc.constantFrom("a", "b", "..", ".", "", "/");
    const target = fc.array(seg, { maxLength: 6 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("a", "b", "a/b", "b/a"), target),
        fc.array(seg, { maxLength: 6 }),
        (dict, path) => {
          const out = resolveInRoot(new Map(Object.entries(dict)), path.join("/"));
          if (out === undefined) return;
          expect(out.startsWith("/")).toBe(false);
          expect(out.split("/").includes("..")).toBe(false);
        },
      ),
    );
  });
});
