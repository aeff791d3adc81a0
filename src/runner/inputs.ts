/**
 * What went into a run, for provenance: the source (its git commit when it is a clean or dirty
 * checkout, always a digest of its file tree), the lockfiles in it, the toolchain binaries the
 * command runs, and the base root filesystem (for the bwrap backend: the host's package set).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { lstat, readdir, readFile, readlink, realpath } from "node:fs/promises";
import { delimiter, join, relative } from "node:path";
import { promisify } from "node:util";
import type { ResourceDescriptor } from "../formats/index.js";

const run = promisify(execFile);

export interface GitState {
  readonly commit: string;
  readonly ref?: string;
  readonly remote?: string;
  /** Uncommitted changes: the tree digest, not the commit, identifies the source then. */
  readonly dirty: boolean;
}

export interface SourceIdentity {
  readonly dir: string;
  /** SHA-256 over the sorted (path, kind, mode, content digest) of every file but .git. */
  readonly treeDigest: string;
  readonly files: number;
  readonly git?: GitState;
}

const LOCKFILES = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "go.sum",
  "Cargo.lock",
  "poetry.lock",
  "uv.lock",
  "Pipfile.lock",
  "requirements.txt",
  "Gemfile.lock",
  "composer.lock",
  "packages.lock.json",
  "gradle.lockfile",
];

export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** The tree digest of `dir`: stable across machines (relative `/` paths, sorted, no timestamps). */
export async function treeDigest(dir: string): Promise<{ digest: string; files: number }> {
  const lines: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const full = join(d, e.name);
      const rel = relative(dir, full).split("\\").join("/");
      if (rel === ".git") continue;
      if (e.isDirectory()) await walk(full);
      else if (e.isSymbolicLink()) lines.push(`l ${rel} ${await readlink(full)}`);
      else if (e.isFile()) {
        const st = await lstat(full);
        lines.push(`f ${rel} ${st.mode & 0o111 ? "x" : "-"} ${await sha256File(full)}`);
      }
    }
  };
  await walk(dir);
  return { digest: createHash("sha256").update(lines.join("\n")).digest("hex"), files: lines.length };
}

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-C", dir, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
      timeout: 10_000,
    });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

export async function gitState(dir: string): Promise<GitState | undefined> {
  const commit = await git(dir, ["rev-parse", "--verify", "HEAD"]);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const ref = await git(dir, ["symbolic-ref", "-q", "HEAD"]);
  const remote = await git(dir, ["config", "--get", "remote.origin.url"]);
  const status = await git(dir, ["status", "--porcelain", "--untracked-files=normal"]);
  return { commit, ...(ref ? { ref } : {}), ...(remote ? { remote } : {}), dirty: status !== "" };
}

export async function sourceIdentity(dir: string): Promise<SourceIdentity> {
  const [{ digest, files }, g] = await Promise.all([treeDigest(dir), gitState(dir)]);
  return { dir, treeDigest: digest, files, ...(g ? { git: g } : {}) };
}

/** Lockfiles at the top of the source, with their digests. */
export async function lockfiles(dir: string): Promise<ResourceDescriptor[]> {
  const out: ResourceDescriptor[] = [];
  for (const name of LOCKFILES) {
    const path = join(dir, name);
    if (existsSync(path) && (await lstat(path)).isFile())
      out.push({ name: `lockfile:${name}`, uri: `file:${name}`, digest: { sha256: await sha256File(path) } });
  }
  return out;
}

/** `command` resolved on `PATH` (as the sandbox will see it), to its real file. */
export async function resolveCommand(command: string, path: string): Promise<string | undefined> {
  const candidates = command.includes("/")
    ? [command]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, command));
  for (const c of candidates) {
    try {
      const real = await realpath(c);
      if ((await lstat(real)).isFile()) return real;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Toolchain binaries (resolved, deduplicated) with their digests. */
export async function toolchain(binaries: readonly string[]): Promise<ResourceDescriptor[]> {
  const seen = new Set<string>();
  const out: ResourceDescriptor[] = [];
  for (const b of binaries) {
    const real = await realpath(b).catch(() => undefined);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    out.push({ name: `tool:${real}`, uri: `file://${real}`, digest: { sha256: await sha256File(real) } });
  }
  return out;
}

/**
 * The base root filesystem of a bwrap run: the host's /usr, identified by its package database
 * (dpkg status, or the rpm/apk equivalents) and named by os-release.
 */
export async function hostRootfs(): Promise<ResourceDescriptor | undefined> {
  const db = ["/var/lib/dpkg/status", "/lib/apk/db/installed", "/var/lib/rpm/rpmdb.sqlite"].find((p) =>
    existsSync(p),
  );
  if (!db) return undefined;
  const osRelease = await readFile("/etc/os-release", "utf8").catch(() => "");
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return {
    name: "rootfs:host",
    uri: `file://${db}`,
    digest: { sha256: await sha256File(db) },
    ...(pretty ? { annotations: { os: pretty } } : {}),
  };
}
