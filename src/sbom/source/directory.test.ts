import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BulwarkError } from "../../core/index.js";
import type { FileEntry } from "../source.js";
import { openDirectorySource, openFileSource } from "./index.js";

let tmp: string;
let root: string;
const all = (): boolean => true;

function write(path: string, content = "x"): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content);
}

async function rejection(p: Promise<unknown>): Promise<BulwarkError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "bulwark-dir-test-"));
  root = join(tmp, "tree");
  write(join(root, "package-lock.json"), "{}");
  write(join(root, "src/app.js"), "console.log(1)");
  write(join(root, "node_modules/left-pad/package.json"), '{"name":"left-pad"}');
  write(join(root, "packages/a/node_modules/b/package.json"), "{}");
  write(join(root, "packages/a/package.json"), '{"name":"a"}');
  write(join(root, ".git/config"), "[core]");
  write(join(root, "usr/lib/os-release"), "ID=debian\n");
  write(join(root, "proc/1/status"), "x");
  write(join(root, "sys/kernel/x"), "x");
  write(join(root, "dev/x"), "x");
  write(join(root, "usr/dev/kept"), "x");
  write(join(root, "bin/tool"), "#!/bin/sh\n");
  mkdirSync(join(root, "etc"), { recursive: true });
  symlinkSync("/etc/passwd", join(root, "passwd-link"));
  symlinkSync("/etc", join(root, "etc-link"));
  symlinkSync("../usr/lib/os-release", join(root, "etc/os-release"));
  symlinkSync("../../../../../../../../etc/shadow", join(root, "etc/escape"));
  symlinkSync("loop-b", join(root, "loop-a"));
  symlinkSync("loop-a", join(root, "loop-b"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("openDirectorySource", () => {
  it("lists a source tree without .git and node_modules, in path order", async () => {
    const src = await openDirectorySource(root, { kind: "directory", want: all });
    const paths = src.files().map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toContain("package-lock.json");
    expect(paths).toContain("packages/a/package.json");
    expect(paths.some((p) => p.includes("node_modules"))).toBe(false);
    expect(paths.some((p) => p.startsWith(".git/"))).toBe(false);
    expect(paths).toContain("proc/1/status"); // only a rootfs skips proc
  });

  it("lists node_modules in a rootfs, and skips proc, sys and dev at its top only", async () => {
    const src = await openDirectorySource(root, { kind: "rootfs", want: all });
    const paths = src.files().map((f) => f.path);
    expect(paths).toContain("node_modules/left-pad/package.json");
    expect(paths).toContain("packages/a/node_modules/b/package.json");
    expect(paths).toContain("usr/dev/kept");
    expect(paths.some((p) => /^(proc|sys|dev)\//.test(p))).toBe(false);
    expect(src.kind).toBe("rootfs");
  });

  it("never reads through a symlink: a link to /etc/passwd is not listed or read", async () => {
    const src = await openDirectorySource(root, { kind: "rootfs", want: all });
    const paths = src.files().map((f) => f.path);
    expect(paths).not.toContain("passwd-link");
    expect((await rejection(src.read("passwd-link"))).code).toBe("FILE_NOT_FOUND");
    expect(src.symlinks().get("passwd-link")).toBe("/etc/passwd");
  });

  it("never enters a symlinked directory", async () => {
    const src = await openDirectorySource(root, { kind: "rootfs", want: all });
    expect(src.files().some((f) => f.path.startsWith("etc-link/"))).toBe(false);
    expect((await rejection(src.read("etc-link/passwd"))).code).toBe("FILE_NOT_FOUND");
  });

  it("resolves symlinks inside the root only, lexically", async () => {
    const src = await openDirectorySource(root, { kind: "rootfs", want: all });
    expect(src.resolveInRoot("etc/os-release")).toBe("usr/lib/os-release");
    expect(await src.readText(src.resolveInRoot("etc/os-release")!)).toBe("ID=debian\n");
    expect(src.resolveInRoot("etc/escape")).toBe("etc/shadow"); // clamped at the root, never the host's
    expect(src.resolveInRoot("etc-link/passwd")).toBe("etc/passwd");
    expect(src.resolveInRoot("loop-a")).toBeUndefined();
  });

  it("refuses paths with .. and absolute paths", async () => {
    const src = await openDirectorySource(join(root, "src"), { kind: "directory", want: all });
    for (const p of ["../package-lock.json", "./../package-lock.json", "a/../app.js", "/etc/passwd", ""]) {
      expect((await rejection(src.read(p))).code).toBe("INPUT_INVALID");
    }
    expect(await src.readText("app.js")).toBe("console.log(1)");
  });

  it("reads only what `want` accepts, and gives it size and mode", async () => {
    const asked: FileEntry[] = [];
    const src = await openDirectorySource(root, {
      kind: "rootfs",
      want: (e) => {
        if (!e.path.startsWith("bin/") && !e.path.endsWith(".json")) return false;
        asked.push({ path: e.path, size: e.size, executable: e.executable ?? false });
        return e.path.startsWith("bin/") || e.size > 2;
      },
    });
    expect(src.files().map((f) => f.path)).toEqual([
      "bin/tool",
      "node_modules/left-pad/package.json",
      "packages/a/package.json",
    ]);
    expect(asked.find((e) => e.path === "package-lock.json")).toEqual({
      path: "package-lock.json",
      size: 2,
      executable: false,
    });
    expect((await rejection(src.read("src/app.js"))).code).toBe("FILE_NOT_FOUND");
  });

  it("lists files over the per-file limit but refuses to read them", async () => {
    const src = await openDirectorySource(root, {
      kind: "directory",
      want: all,
      limits: { maxFileBytes: 5 },
    });
    expect(src.files().map((f) => f.path)).toContain("src/app.js");
    expect((await rejection(src.read("src/app.js"))).code).toBe("INPUT_TOO_LARGE");
    expect(await src.readText("package-lock.json")).toBe("{}");
  });

  it("stops at the entry limit", async () => {
    const e = await rejection(
      openDirectorySource(root, { kind: "rootfs", want: all, limits: { maxEntries: 5 } }),
    );
    expect(e.code).toBe("INPUT_TOO_LARGE");
  });

  it("refuses a file swapped for a symlink after it was listed", async () => {
    const dir = join(tmp, "swap");
    write(join(dir, "lock.json"), "{}");
    const src = await openDirectorySource(dir, { kind: "directory", want: all });
    renameSync(join(dir, "lock.json"), join(dir, "old.json"));
    symlinkSync("/etc/passwd", join(dir, "lock.json"));
    expect((await rejection(src.read("lock.json"))).code).toBe("INPUT_INVALID");
    rmSync(join(dir, "lock.json"));
    write(join(dir, "lock.json"), "{}"); // a different file (inode) at the same path
    expect((await rejection(src.read("lock.json"))).code).toBe("INPUT_INVALID");
  });

  it("strips a BOM from text", async () => {
    const dir = join(tmp, "bom");
    write(join(dir, "a.txt"), "\uFEFFhello");
    const src = await openDirectorySource(dir, { kind: "directory", want: all });
    expect(await src.readText("a.txt")).toBe("hello");
  });

  it("fails clearly for a missing root or a file as root", async () => {
    expect(
      (await rejection(openDirectorySource(join(tmp, "missing"), { kind: "directory", want: all }))).code,
    ).toBe("FILE_NOT_FOUND");
    expect(
      (
        await rejection(
          openDirectorySource(join(root, "package-lock.json"), { kind: "directory", want: all }),
        )
      ).code,
    ).toBe("INPUT_INVALID");
  });

  it("honours an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      openDirectorySource(root, { kind: "directory", want: all, signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });
});

describe("openFileSource", () => {
  it("is one entry named by the file's basename", async () => {
    const src = await openFileSource(join(root, "packages/a/package.json"));
    expect(src.kind).toBe("file");
    expect(src.files()).toEqual([{ path: "package.json", size: 12, executable: false }]);
    expect(await src.readText("package.json")).toBe('{"name":"a"}');
    expect((await rejection(src.read("../package.json"))).code).toBe("INPUT_INVALID");
    expect((await rejection(src.read("other.json"))).code).toBe("FILE_NOT_FOUND");
  });

  it("refuses a symlink, a directory and a missing file", async () => {
    expect((await rejection(openFileSource(join(root, "passwd-link")))).message).toMatch(/symlink/);
    expect((await rejection(openFileSource(root))).code).toBe("INPUT_INVALID");
    expect((await rejection(openFileSource(join(root, "nope.json")))).code).toBe("FILE_NOT_FOUND");
  });
});
