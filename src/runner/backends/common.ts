/**
 * What the sandbox backends share: spec validation, the in-sandbox launcher and product collector
 * scripts, the product stream the host receives, rlimits, per-job cgroups, log capture with secret
 * redaction, limit classification and process-tree cleanup.
 *
 * Trust model: the log is the untrusted command's; the control lines and the product stream come
 * from the launcher and the collector over socketpairs the command does not inherit and cannot
 * reopen (a socket cannot be opened through /proc/<pid>/fd; ptrace and pidfd_getfd are denied by
 * the seccomp profile). The host still treats both as hostile: it parses them strictly, caps
 * them, and re-checks every product path against the globs before writing anything.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants as fsConstants,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
} from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  writeFile,
} from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { dirname, isAbsolute, join, posix } from "node:path";
import type { Readable } from "node:stream";
import picomatch from "picomatch";
import { BulwarkError } from "../../core/index.js";
import type { Limits, LimitKind, Mount, Product, SandboxResult, SandboxSpec } from "../types.js";

/** The log keeps this many bytes of output; the rest is dropped behind a truncation marker. */
export const LOG_CAP_BYTES = 16 * 2 ** 20;
/** Secret values shorter than this are not masked in the log (masking "a" would garble it). */
export const MIN_REDACTED_SECRET_BYTES = 4;
export const REDACTION_MASK = "***";
/** Exit status the launcher uses for its own failures (copying, forwarder, collection). */
export const LAUNCHER_FAILURE_STATUS = 125;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function invalid(message: string): BulwarkError {
  return new BulwarkError("CONFIG_INVALID", message);
}

function noNul(s: string): boolean {
  return !s.includes("\0");
}

/** Checks what a backend relies on; throws CONFIG_INVALID naming the first bad field. */
export function validateSpec(spec: SandboxSpec): void {
  if (spec.command.length === 0) throw invalid("the sandbox needs a command to run");
  if (!spec.command.every(noNul)) throw invalid("the command contains a NUL byte");
  if (!isAbsolute(spec.source)) throw invalid(`the source must be an absolute path: ${spec.source}`);
  if (!isAbsolute(spec.outDir))
    throw invalid(`the output directory must be an absolute path: ${spec.outDir}`);
  for (const [k, v] of Object.entries(spec.env)) {
    if (!ENV_NAME.test(k)) throw invalid(`not an environment variable name: ${JSON.stringify(k)}`);
    if (!noNul(v)) throw invalid(`environment variable ${k} contains a NUL byte`);
  }
  const names = new Set<string>();
  for (const s of spec.secrets) {
    if (!SECRET_NAME.test(s.name) || s.name.length > 255)
      throw invalid(`not a secret name: ${JSON.stringify(s.name)}`);
    if (names.has(s.name)) throw invalid(`secret ${s.name} is given twice`);
    names.add(s.name);
  }
  for (const m of spec.readOnlyMounts) {
    if (!isAbsolute(m.host) || !noNul(m.host))
      throw invalid(`mount source must be an absolute path: ${m.host}`);
    if (!isAbsolute(m.sandbox) || !noNul(m.sandbox) || posix.normalize(m.sandbox) !== m.sandbox)
      throw invalid(`mount target must be a normalised absolute path: ${m.sandbox}`);
  }
  for (const g of spec.products)
    if (g === "" || !noNul(g) || g.startsWith("/") || g.split("/").includes(".."))
      throw invalid(`a product glob must be relative to the workspace, without "..": ${JSON.stringify(g)}`);
  const l = spec.limits;
  const positive: (keyof Limits)[] = [
    "timeoutMs",
    "pids",
    "memoryBytes",
    "cpuSeconds",
    "fileSizeBytes",
    "workspaceBytes",
    "tmpBytes",
  ];
  for (const k of positive)
    if (!Number.isSafeInteger(l[k]) || l[k] <= 0) throw invalid(`limit ${k} must be a positive integer`);
  if (l.fileSizeBytes < 512) throw invalid("limit fileSizeBytes must be at least 512");
  // Node's timers fire at once for anything longer (about 24.8 days).
  if (l.timeoutMs > 2 ** 31 - 1) throw invalid("limit timeoutMs must be at most 2147483647 (24.8 days)");
  if (spec.network.mode === "egress" && !spec.proxySocket)
    throw invalid("network egress needs the proxy's socket (proxySocket)");
}

// ---------------------------------------------------------------------------------------------
// The isolated sandboxes' layout (bwrap and oci)

export const SANDBOX_HOSTNAME = "bulwark-sandbox";
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
/** The egress forwarder's port on the sandbox's loopback. */
export const FORWARDER_PORT = 3128;
/** pids.max on top of the job's limit: bwrap, its PID-1 reaper, the launcher and the collector. */
export const PIDS_OVERHEAD = 16;
/** …and the egress forwarder (a Node process: a dozen threads). */
export const FORWARDER_PIDS = 16;
/** The PATH the sandbox runtime itself (bwrap, runc) is started with. */
export const HOST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
/** The host's system directories, read-only in the sandbox (usrmerge symlinks as symlinks). */
export const SYSTEM_DIRS: readonly string[] = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
];
/** /etc entries taken from the host when present: TLS roots, the dynamic linker, alternatives. */
export const ETC_FROM_HOST: readonly string[] = [
  "ssl",
  "ca-certificates",
  "pki",
  "crypto-policies",
  "alternatives",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "protocols",
  "services",
  "os-release",
];
/** Generated /etc files, so the command sees the same users and names in every sandbox. */
export const GENERATED_ETC: Readonly<Record<string, string>> = {
  passwd: [
    "root:x:0:0:root:/root:/usr/sbin/nologin",
    `bulwark:x:${SANDBOX_UID}:${SANDBOX_GID}:bulwark:/workspace:/bin/sh`,
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "",
  ].join("\n"),
  group: ["root:x:0:", `bulwark:x:${SANDBOX_GID}:`, "nogroup:x:65534:", ""].join("\n"),
  hosts: `127.0.0.1\tlocalhost ${SANDBOX_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n`,
  hostname: `${SANDBOX_HOSTNAME}\n`,
  "nsswitch.conf":
    "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nservices: files\nprotocols: files\n",
};
/** Paths the backends own inside the sandbox; read-only mounts may not cover them. */
export const RESERVED_PATHS: readonly string[] = [
  "/src",
  "/workspace",
  "/tmp",
  "/run/secrets",
  "/run/bulwark",
  "/proc",
  "/dev",
  "/etc",
];

function covered(path: string, by: string): boolean {
  return path === by || path.startsWith(by === "/" ? "/" : `${by}/`);
}

/** Node's installation directory when the system mounts do not already hold it. */
export function nodeInstallDir(): string | undefined {
  const dir = dirname(dirname(realpathSync(process.execPath)));
  if (dir === "/" || SYSTEM_DIRS.some((d) => covered(dir, d))) return undefined;
  return dir;
}

/** Refuses a read-only mount over `/` or over (or under) one of the `reserved` paths. */
export function checkMountTargets(mounts: readonly Mount[], reserved = RESERVED_PATHS): void {
  for (const m of mounts)
    if (m.sandbox === "/" || reserved.some((r) => covered(m.sandbox, r) || covered(r, m.sandbox)))
      throw new BulwarkError("CONFIG_INVALID", `a read-only mount may not cover ${m.sandbox}`);
}

/** The source's real path; throws unless it is a directory. */
export async function resolveSource(spec: SandboxSpec): Promise<string> {
  const source = await realpath(spec.source).catch((e: unknown) => {
    throw new BulwarkError("FILE_NOT_FOUND", `the source ${spec.source} cannot be read`, { cause: e });
  });
  if (!(await lstat(source)).isDirectory())
    throw new BulwarkError("CONFIG_INVALID", `the source ${spec.source} is not a directory`);
  return source;
}

/** Checks what the spec names on the host (source, mount sources, proxy socket); returns the source's real path. */
export async function checkHostPaths(spec: SandboxSpec): Promise<string> {
  const source = await resolveSource(spec);
  for (const m of spec.readOnlyMounts)
    await lstat(m.host).catch((e: unknown) => {
      throw new BulwarkError("FILE_NOT_FOUND", `the mount source ${m.host} does not exist`, { cause: e });
    });
  if (spec.network.mode === "egress" && !(await lstat(spec.proxySocket!).catch(() => undefined))?.isSocket())
    throw new BulwarkError("CONFIG_INVALID", `the egress proxy socket ${spec.proxySocket} is not a socket`);
  return source;
}

/** pids.max of an isolated sandbox: the job's limit plus the launcher's own processes. */
export function sandboxPidsLimit(spec: Pick<SandboxSpec, "limits" | "network">): number {
  return spec.limits.pids + PIDS_OVERHEAD + (spec.network.mode === "egress" ? FORWARDER_PIDS : 0);
}

// ---------------------------------------------------------------------------------------------
// Products

/** The product globs as regular expressions (picomatch, dotfiles included: `**` is everything). */
export interface ProductMatcher {
  test(path: string): boolean;
  /** `[source, flags]` of each expression, for the in-sandbox collector. */
  readonly expressions: readonly (readonly [string, string])[];
}

export function productMatcher(globs: readonly string[]): ProductMatcher {
  const res = globs.map((g) => picomatch.makeRe(g, { dot: true }));
  return {
    test: (path) => isSafeRelativePath(path) && res.some((re) => re.test(path)),
    expressions: res.map((re) => [re.source, re.flags] as const),
  };
}

/** `a/b/c`: relative, `/`-separated, no empty, `.` or `..` segments, no NUL or backslash. */
export function isSafeRelativePath(path: string): boolean {
  if (path === "" || path.length > 4096 || /[\0\\]/.test(path)) return false;
  return path.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

interface OpenProduct {
  readonly path: string;
  readonly handle: import("node:fs/promises").FileHandle;
  readonly hash: ReturnType<typeof createHash>;
  size: number;
}

/**
 * Receives products into a staging directory inside `outDir` (same filesystem, so publishing is a
 * rename) and publishes them only when the run succeeded as a whole; `discard` leaves `outDir` as
 * it was. Digests are computed over exactly the bytes written. Nothing is created before the
 * first product arrives: `outDir` often lies inside the source, which the sandbox copies first.
 */
export class ProductSink {
  private readonly done: Product[] = [];
  private readonly seen = new Set<string>();
  private current: OpenProduct | undefined;
  private staging: string | undefined;
  private total = 0;

  constructor(
    readonly outDir: string,
    private readonly matcher: ProductMatcher,
    private readonly maxBytes: number,
  ) {}

  /** A sink for `outDir` (kept async for callers written against the eager version). */
  static async create(outDir: string, matcher: ProductMatcher, maxBytes: number): Promise<ProductSink> {
    return new ProductSink(outDir, matcher, maxBytes);
  }

  private async stagingDir(): Promise<string> {
    if (this.staging === undefined) {
      await mkdir(this.outDir, { recursive: true });
      this.staging = await mkdtemp(join(this.outDir, ".bulwark-staging-"));
    }
    return this.staging;
  }

  get bytes(): number {
    return this.total;
  }

  async begin(path: string, mode: number): Promise<void> {
    if (this.current) throw new Error("a product is still open");
    if (!this.matcher.test(path)) throw new Error(`not a product path: ${JSON.stringify(path)}`);
    if (this.seen.has(path)) throw new Error(`product ${path} sent twice`);
    this.seen.add(path);
    const dest = join(await this.stagingDir(), ...path.split("/"));
    await mkdir(join(dest, ".."), { recursive: true });
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
    const handle = await open(dest, flags, mode & 0o755);
    this.current = { path, handle, hash: createHash("sha256"), size: 0 };
  }

  async write(chunk: Uint8Array): Promise<void> {
    const c = this.current;
    if (!c) throw new Error("no product is open");
    this.total += chunk.length;
    if (this.total > this.maxBytes) throw new Error(`products exceed ${this.maxBytes} bytes`);
    c.hash.update(chunk);
    c.size += chunk.length;
    let off = 0;
    while (off < chunk.length) off += (await c.handle.write(chunk, off)).bytesWritten;
  }

  async end(): Promise<void> {
    const c = this.current;
    if (!c) throw new Error("no product is open");
    this.current = undefined;
    await c.handle.close();
    this.done.push({ path: c.path, sha256: c.hash.digest("hex"), size: c.size });
  }

  /** Moves the products into `outDir` (never through a symlink there) and returns them sorted. */
  async commit(): Promise<Product[]> {
    if (this.current) throw new Error("a product is still open");
    await mkdir(this.outDir, { recursive: true });
    const staging = this.staging ?? "";
    const products = [...this.done].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const p of products) {
      const parts = p.path.split("/");
      let dir = this.outDir;
      for (const part of parts.slice(0, -1)) {
        dir = join(dir, part);
        const st = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
          if (e.code === "ENOENT") return undefined;
          throw e;
        });
        if (!st) await mkdir(dir);
        else if (!st.isDirectory())
          throw new BulwarkError(
            "INPUT_INVALID",
            `cannot write product ${p.path}: ${dir} is not a directory`,
          );
      }
      const dest = join(this.outDir, ...parts);
      const st = await lstat(dest).catch(() => undefined);
      if (st && !st.isFile())
        throw new BulwarkError(
          "INPUT_INVALID",
          `cannot write product ${p.path}: ${dest} exists and is not a file`,
        );
      await rename(join(staging, ...parts), dest);
    }
    await this.discard();
    return products;
  }

  async discard(): Promise<void> {
    if (this.current) {
      await this.current.handle.close().catch(() => undefined);
      this.current = undefined;
    }
    if (this.staging !== undefined) await rm(this.staging, { recursive: true, force: true });
    this.staging = undefined;
  }
}

const MAX_HEADER_BYTES = 8192;

/**
 * Reads the collector's product stream: per product a JSON header line `{"path","size","mode"}`
 * followed by exactly `size` bytes; finally `{"end":true,"count":N}`. Anything else is a protocol
 * error: the reader then stops writing, keeps draining (so no writer blocks) and reports it.
 */
export class ProductStreamReader {
  error: string | undefined;
  ended = false;
  private header: Buffer[] = [];
  private headerBytes = 0;
  private remaining = 0;
  private count = 0;

  constructor(private readonly sink: ProductSink) {}

  async consume(stream: Readable): Promise<void> {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (this.error !== undefined) continue;
        try {
          await this.push(chunk);
        } catch (e) {
          this.error = e instanceof Error ? e.message : String(e);
        }
      }
    } catch (e) {
      this.error ??= `the product stream failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (this.error === undefined && (this.remaining > 0 || this.headerBytes > 0) && this.ended === false)
      this.error = "the product stream ended in the middle of a product";
  }

  private async push(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.ended) throw new Error("data after the end of the product stream");
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        await this.sink.write(chunk.subarray(off, off + n));
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) await this.sink.end();
        continue;
      }
      const nl = chunk.indexOf(0x0a, off);
      const piece = chunk.subarray(off, nl === -1 ? chunk.length : nl);
      this.headerBytes += piece.length;
      if (this.headerBytes > MAX_HEADER_BYTES) throw new Error("a product header is too long");
      this.header.push(piece);
      if (nl === -1) return;
      off = nl + 1;
      const line = Buffer.concat(this.header).toString("utf8");
      this.header = [];
      this.headerBytes = 0;
      await this.onHeader(line);
    }
  }

  private async onHeader(line: string): Promise<void> {
    let h: unknown;
    try {
      h = JSON.parse(line);
    } catch {
      throw new Error("a product header is not JSON");
    }
    if (typeof h !== "object" || h === null) throw new Error("a product header is not an object");
    const o = h as Record<string, unknown>;
    if (o.end === true) {
      if (o.count !== this.count) throw new Error("the product count does not match");
      this.ended = true;
      return;
    }
    const { path, size, mode } = o;
    if (typeof path !== "string" || !Number.isSafeInteger(size) || (size as number) < 0)
      throw new Error("a product header lacks its path or size");
    if (!Number.isSafeInteger(mode)) throw new Error("a product header lacks its mode");
    await this.sink.begin(path, mode as number);
    this.count++;
    this.remaining = size as number;
    if (this.remaining === 0) await this.sink.end();
  }
}

/** Host-side collection (the `none` backend): regular files under `root` matching the globs. */
export async function collectLocalProducts(
  root: string,
  matcher: ProductMatcher,
  sink: ProductSink,
): Promise<void> {
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(dir, e.name);
      if (e.isDirectory()) await walk(abs, r);
      else if (e.isFile() && matcher.test(r)) {
        const handle = await open(
          abs,
          fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK,
        );
        try {
          const st = await handle.stat();
          if (!st.isFile()) continue;
          await sink.begin(r, st.mode);
          for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>)
            await sink.write(chunk);
          await sink.end();
        } finally {
          await handle.close();
        }
      }
    }
  };
  await walk(root, "");
}

/**
 * The in-sandbox collector (run by the launcher with the host's Node after every other process in
 * the sandbox is dead, so nothing can swap files under it): reports the workspace's free space on
 * the control fd (3), then streams every regular file under /workspace whose path matches to the
 * product fd (4). Directories are entered only when they are directories (never through a
 * symlink) and files are opened with O_NOFOLLOW, so nothing outside /workspace is ever read.
 */
export function collectorScript(matcher: ProductMatcher): string {
  return `// Bulwark product collector (generated).
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statfsSync, writeSync } from "node:fs";
const EXPRESSIONS = ${JSON.stringify(matcher.expressions)};
const CTL = 3;
const OUT = 4;
function put(fd, buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}
function ctl(line) {
  put(CTL, Buffer.from("\\n" + line + "\\n"));
}
for (const [name, path] of [["workspace", "/workspace"], ["tmp", "/tmp"]]) {
  const s = statfsSync(path);
  ctl(\`fs \${name} \${s.bavail * s.bsize} \${s.ffree} \${s.blocks * s.bsize}\`);
}
if (process.argv[2] === "--stats") process.exit(0);
const res = EXPRESSIONS.map(([source, flags]) => new RegExp(source, flags));
const buf = Buffer.alloc(1 << 20);
let count = 0;
function emit(abs, rel) {
  let fd;
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (e.code === "ELOOP") return;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return;
    put(OUT, Buffer.from(JSON.stringify({ path: rel, size: st.size, mode: st.mode & 0o777 }) + "\\n"));
    let left = st.size;
    while (left > 0) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) throw new Error(rel + " shrank while it was collected");
      put(OUT, buf.subarray(0, n));
      left -= n;
    }
    count++;
  } finally {
    closeSync(fd);
  }
}
function walk(abs, rel) {
  const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? rel + "/" + e.name : e.name;
    if (e.isDirectory()) walk(abs + "/" + e.name, r);
    else if (e.isFile() && res.some((re) => re.test(r))) emit(abs + "/" + e.name, r);
  }
}
walk("/workspace", "");
put(OUT, Buffer.from(JSON.stringify({ end: true, count }) + "\\n"));
`;
}

// ---------------------------------------------------------------------------------------------
// Launcher and rlimits

/** `s` as one single-quoted POSIX shell word. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Resource limits set with `ulimit` just before the command (so never on the launcher itself). */
export interface RlimitPlan {
  readonly cpuSeconds: number;
  readonly fileSizeBytes: number;
  /** RLIMIT_AS, only when no memory cgroup applies. */
  readonly addressSpaceBytes?: number;
  /** RLIMIT_NPROC, only when no pids cgroup applies (and the host user is not root). */
  readonly nproc?: number;
}

/**
 * `ulimit` commands (POSIX sh units: `-f` in 512-byte blocks, `-v` in KiB; dash, bash in POSIX
 * mode and busybox ash agree). The CPU hard limit is one second above the soft one: at the soft
 * limit the kernel sends SIGXCPU (which names the limit), at the hard one SIGKILL.
 */
export function rlimitCommands(plan: RlimitPlan): string {
  const cmds = [
    `ulimit -S -t ${plan.cpuSeconds}`,
    `ulimit -H -t ${plan.cpuSeconds + 1}`,
    `ulimit -f ${Math.floor(plan.fileSizeBytes / 512)}`,
  ];
  if (plan.addressSpaceBytes !== undefined)
    cmds.push(`ulimit -v ${Math.floor(plan.addressSpaceBytes / 1024)}`);
  if (plan.nproc !== undefined) cmds.push(`ulimit -u ${plan.nproc}`);
  return cmds.join(" && ");
}

export interface LauncherOptions {
  /** Node inside the sandbox (the host's binary, mounted at the same path). */
  readonly node: string;
  readonly collector: string;
  /**
   * No product globs: the launcher reports the filesystems with `stat -f` and ends the product
   * stream itself instead of starting Node for the collector (saves Node's start-up, ~40 ms).
   */
  readonly noProducts?: boolean;
  readonly rlimits: RlimitPlan;
  /** Start the egress forwarder first. */
  readonly egress?: { readonly forwarder: string; readonly socket: string; readonly port: number };
}

/**
 * The launcher: `/bin/sh -c <script> bulwark-launcher <command…>` as the sandbox's first process.
 * fd 3 is the control channel (phase, status, times, fs lines), fd 4 the product stream; the
 * command gets neither (nor fds 5–9), and stdin from /dev/null.
 *
 * 1. copy /src into /workspace;
 * 2. for egress, start the forwarder (its stdin is the launcher's, a pipe the host holds open)
 *    and wait for its `ready` through a FIFO that is unlinked before the command starts;
 * 3. run the command under its rlimits;
 * 4. SIGKILL every other process in the sandbox (`kill -1` spares only itself and the PID
 *    namespace's init; the kernel makes it atomic against fork), so nothing runs during collection;
 * 5. report the status and the CPU time of its children, then collect the products.
 */
/** The product stream's end marker for zero products (what the collector writes). */
const NO_PRODUCTS_END = JSON.stringify({ end: true, count: 0 });

export function launcherScript(o: LauncherOptions): string {
  const node = shQuote(o.node);
  const collector = shQuote(o.collector);
  const lines = [
    "set -u",
    `ctl() { printf '\\n%s\\n' "$*" >&3; }`,
    `fail() { ctl "error $1"; printf 'bulwark: %s\\n' "$2" >&2; exit ${LAUNCHER_FAILURE_STATUS}; }`,
    // The collector's "fs <name> <free bytes> <free inodes> <total bytes>" line, from stat -f.
    // Both filesystems from one `stat -f` (one fork): "<free blocks> <block size> <free inodes> <blocks>" each.
    'fsstats() { s=$(stat -f -c "%a %S %d %b" /workspace /tmp) || return 1; set -- $s; ctl "fs workspace $(($1 * $2)) $3 $(($4 * $2))"; ctl "fs tmp $(($5 * $6)) $7 $(($8 * $6))"; }',
    'ctl "phase start"',
    // An empty source needs no copy (a glob loop, so checking costs no fork).
    'has_src=no; for f in /src/* /src/.[!.]* /src/..?*; do [ -e "$f" ] || [ -L "$f" ] && { has_src=yes; break; }; done',
    'if [ "$has_src" = yes ] && ! cp -a /src/. /workspace/; then',
    `  ctl "error copy"; ${node} ${collector} --stats; exit ${LAUNCHER_FAILURE_STATUS}`,
    "fi",
    'ctl "phase copied"',
  ];
  if (o.egress) {
    lines.push(
      'fifo_dir=$(mktemp -d /tmp/.bulwark-XXXXXXXX) || fail forwarder "cannot create a FIFO for the egress forwarder"',
      'mkfifo -m 600 "$fifo_dir/ready" || fail forwarder "cannot create a FIFO for the egress forwarder"',
      // An asynchronous command's stdin is /dev/null unless redirected from a saved copy.
      "exec 8<&0",
      `${node} ${shQuote(o.egress.forwarder)} ${shQuote(o.egress.socket)} ${o.egress.port} <&8 >"$fifo_dir/ready" 3>&- 4>&- 8<&- &`,
      "exec 8<&-",
      'exec 9<"$fifo_dir/ready"',
      'rm -rf "$fifo_dir"',
      "ready=no; n=0",
      'while [ "$n" -lt 100 ] && IFS= read -r line <&9; do',
      '  [ "$line" = ready ] && { ready=yes; break; }',
      "  n=$((n + 1))",
      "done",
      '[ "$ready" = yes ] || fail forwarder "the egress forwarder did not start"',
      'ctl "phase forwarder"',
    );
  }
  lines.push(
    'ctl "phase command"',
    "(",
    `  ${rlimitCommands(o.rlimits)} || { ctl "error rlimit"; echo 'bulwark: cannot set resource limits' >&2; exit ${LAUNCHER_FAILURE_STATUS}; }`,
    '  exec "$@" </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-',
    ")",
    "st=$?",
    "kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null",
    "wait 2>/dev/null",
    "exec 9<&-",
    'ctl "status $st"',
    "printf '\\ntimes\\n' >&3; times >&3",
    o.noProducts
      ? `fsstats && printf '%s\\n' '${NO_PRODUCTS_END}' >&4 || fail collect "reporting the filesystems failed"`
      : `${node} ${collector} || fail collect "collecting the products failed"`,
    'ctl "phase end"',
    'exit "$st"',
  );
  return lines.join("\n") + "\n";
}

/**
 * The sandbox's first process: the launcher (collector and forwarder under /run/bulwark) with
 * `rlimits`, then the command.
 */
export function launcherCommand(spec: SandboxSpec, rlimits: RlimitPlan): string[] {
  const script = launcherScript({
    node: realpathSync(process.execPath),
    collector: "/run/bulwark/collect.mjs",
    noProducts: spec.products.length === 0,
    rlimits,
    ...(spec.network.mode === "egress"
      ? {
          egress: {
            forwarder: "/run/bulwark/forwarder.mjs",
            socket: "/run/bulwark/proxy.sock",
            port: FORWARDER_PORT,
          },
        }
      : {}),
  });
  return ["/bin/sh", "-c", script, "bulwark-launcher", ...spec.command];
}

// ---------------------------------------------------------------------------------------------
// Control channel

export interface LauncherReport {
  /** The last `phase` the launcher reached (`start`, `copied`, `forwarder`, `command`, `end`). */
  readonly phase?: string;
  /** `copy`, `forwarder`, `rlimit`, `collect` when the launcher itself failed. */
  readonly error?: string;
  readonly status?: number;
  /** User + system CPU seconds of the launcher's waited-for children (the command among them). */
  readonly childCpuSeconds?: number;
  readonly fs: Readonly<Record<string, { free: number; freeFiles: number; total: number }>>;
}

const CONTROL_KEEP_BYTES = 64 * 1024;

/**
 * The launcher's control lines. Should a command ever reach this channel (a seccomp profile that
 * allows pidfd_getfd, say), only the last occurrence of each line counts (the launcher's, written
 * after every other process is dead), and nothing read here can turn a failed step into a
 * successful one: the exit status is bwrap's and success also needs the complete product stream.
 */
export class ControlChannel {
  private text = "";

  push(chunk: Uint8Array): void {
    this.text += Buffer.from(chunk).toString("latin1");
    if (this.text.length > 2 * CONTROL_KEEP_BYTES) this.text = this.text.slice(-CONTROL_KEEP_BYTES);
  }

  report(): LauncherReport {
    let phase: string | undefined;
    let error: string | undefined;
    let status: number | undefined;
    let childCpuSeconds: number | undefined;
    const fs: Record<string, { free: number; freeFiles: number; total: number }> = {};
    for (const line of this.text.split("\n")) {
      let m: RegExpExecArray | null;
      if ((m = /^phase ([a-z-]+)$/.exec(line))) phase = m[1];
      else if ((m = /^error ([a-z-]+)$/.exec(line))) error = m[1];
      else if ((m = /^status (\d{1,3})$/.exec(line))) status = Number(m[1]);
      else if ((m = /^fs ([a-z]+) (\d+) (\d+) (\d+)$/.exec(line)))
        fs[m[1]!] = { free: Number(m[2]), freeFiles: Number(m[3]), total: Number(m[4]) };
      else if ((m = /^(\d+)m\s*([\d.]+)s\s+(\d+)m\s*([\d.]+)s$/.exec(line.trim())))
        childCpuSeconds = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
    }
    return {
      ...(phase !== undefined ? { phase } : {}),
      ...(error !== undefined ? { error } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(childCpuSeconds !== undefined ? { childCpuSeconds } : {}),
      fs,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Log capture

/**
 * Masks secret values in a byte stream that arrives in chunks. Only a tail that could be the
 * beginning of a secret is held back (until the next chunk or the end), so output is otherwise
 * passed on at once and a value split across chunks is still found.
 */
export class Redactor {
  private pending: Buffer = Buffer.alloc(0);
  private readonly needles: Buffer[];
  private readonly mask = Buffer.from(REDACTION_MASK);

  constructor(secrets: readonly Uint8Array[]) {
    this.needles = secrets
      .filter((s) => s.length >= MIN_REDACTED_SECRET_BYTES)
      .map((s) => Buffer.from(s))
      .sort((a, b) => b.length - a.length);
  }

  push(chunk: Uint8Array): Buffer {
    if (this.needles.length === 0) return Buffer.from(chunk);
    const buf = Buffer.concat([this.pending, chunk]);
    return this.scan(buf, buf.length - this.partialTail(buf));
  }

  flush(): Buffer {
    const buf = this.pending;
    this.pending = Buffer.alloc(0);
    return this.needles.length === 0 ? buf : this.scan(buf, buf.length);
  }

  /** The length of the longest end of `buf` that is a proper prefix of a secret. */
  private partialTail(buf: Buffer): number {
    let hold = 0;
    for (const n of this.needles)
      for (let k = Math.min(n.length - 1, buf.length); k > hold; k--)
        if (buf.subarray(buf.length - k).equals(n.subarray(0, k))) {
          hold = k;
          break;
        }
    return hold;
  }

  /** Emits `buf` up to `safeEnd`; a match starting before it lies wholly in `buf`. */
  private scan(buf: Buffer, safeEnd: number): Buffer {
    const out: Buffer[] = [];
    let i = 0;
    for (;;) {
      let at = -1;
      let len = 0;
      for (const n of this.needles) {
        const p = buf.indexOf(n, i);
        if (p !== -1 && (at === -1 || p < at)) {
          at = p;
          len = n.length;
        }
      }
      if (at === -1 || at >= safeEnd) break;
      out.push(buf.subarray(i, at), this.mask);
      i = at + len;
    }
    const end = Math.max(i, safeEnd);
    out.push(buf.subarray(i, end));
    this.pending = Buffer.from(buf.subarray(end));
    return Buffer.concat(out);
  }
}

export type OutputStream = "stdout" | "stderr";

/**
 * stdout and stderr interleaved as they arrive, secrets masked, capped at `cap` bytes (then one
 * truncation marker); the same bytes go to `onOutput` live. An exception from `onOutput` is kept
 * and rethrown by {@link finish}, after the sandbox is cleaned up.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private readonly redactors: Record<OutputStream, Redactor>;
  private callbackError: unknown;

  constructor(
    secrets: readonly Uint8Array[],
    private readonly onOutput: ((stream: OutputStream, chunk: Uint8Array) => void) | undefined,
    private readonly cap: number = LOG_CAP_BYTES,
  ) {
    this.redactors = { stdout: new Redactor(secrets), stderr: new Redactor(secrets) };
  }

  /** The capture of a run of `spec`: its secrets masked, its `onOutput` fed. */
  static forSpec(spec: SandboxSpec, cap: number = LOG_CAP_BYTES): OutputCapture {
    return new OutputCapture(
      spec.secrets.map((s) => s.value),
      spec.onOutput,
      cap,
    );
  }

  push(stream: OutputStream, chunk: Uint8Array): void {
    this.append(stream, this.redactors[stream].push(chunk));
  }

  end(stream: OutputStream): void {
    this.append(stream, this.redactors[stream].flush());
  }

  /** Captures what `readable` delivers as `stream`, until it ends. */
  follow(stream: OutputStream, readable: Readable): void {
    readable.on("data", (c: Buffer) => this.push(stream, c));
    readable.on("end", () => this.end(stream));
  }

  /** A line of the backend's own (e.g. why the sandbox could not start), on stderr. */
  note(text: string): void {
    this.append("stderr", Buffer.from(`bulwark: ${text}\n`));
  }

  private append(stream: OutputStream, data: Buffer): void {
    if (data.length === 0 || this.truncated) return;
    const room = this.cap - this.size;
    const take = data.length <= room ? data : data.subarray(0, Math.max(room, 0));
    if (take.length > 0) {
      this.chunks.push(take);
      this.size += take.length;
      this.emit(stream, take);
    }
    if (take.length < data.length) {
      this.truncated = true;
      const marker = Buffer.from(`\n[bulwark: output truncated after ${this.cap} bytes]\n`);
      this.chunks.push(marker);
      this.emit("stderr", marker);
    }
  }

  private emit(stream: OutputStream, data: Buffer): void {
    if (!this.onOutput || this.callbackError !== undefined) return;
    try {
      this.onOutput(stream, new Uint8Array(data));
    } catch (e) {
      this.callbackError = e;
    }
  }

  log(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }

  /** The tail of the log as text, for error messages (the log is already redacted). */
  tail(bytes = 2000): string {
    const all = Buffer.concat(this.chunks);
    return all
      .subarray(Math.max(0, all.length - bytes))
      .toString("utf8")
      .trim();
  }

  finish(): void {
    if (this.callbackError !== undefined) throw this.callbackError;
  }
}

// ---------------------------------------------------------------------------------------------
// Cgroups

/** How the pids and memory limits were enforced in a run (for provenance and debugging). */
export interface LimitEnforcement {
  readonly pids: "cgroup-v1" | "cgroup-v2" | "rlimit" | "none";
  readonly memory: "cgroup-v1" | "cgroup-v2" | "rlimit";
  readonly cpu: "rlimit";
  readonly fileSize: "rlimit";
  readonly workspace: "tmpfs" | "none";
}

export interface CgroupReport {
  /** Forks refused because pids.max was reached. */
  readonly pidsRefused: number;
  /** Processes the memory cgroup's OOM killer killed. */
  readonly oomKills: number;
}

type Controller = "pids" | "memory";

/** The cgroup of this process in a v1 hierarchy holding `controller`, or in the v2 hierarchy. */
function ownCgroupPath(controller: Controller | ""): string | undefined {
  let text: string;
  try {
    text = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || path === undefined) continue;
    if (controller === "" ? controllers === "" : controllers.split(",").includes(controller)) return path;
  }
  return undefined;
}

async function writeCgroupFile(dir: string, file: string, value: string): Promise<void> {
  await writeFile(join(dir, file), value);
}

async function readCgroupFile(dir: string, file: string): Promise<string> {
  return readFile(join(dir, file), "utf8").catch(() => "");
}

function counter(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The pids and memory counters of a cgroup (v1: one directory a controller; v2: the same one).
 * Without `version`, a memory directory with a `memory.events` file is taken for v2.
 */
export async function readCgroupReport(
  dirs: { readonly pids?: string | undefined; readonly memory?: string | undefined },
  version?: 1 | 2,
): Promise<CgroupReport> {
  const pidsRefused = dirs.pids ? counter(await readCgroupFile(dirs.pids, "pids.events"), "max") : 0;
  if (!dirs.memory) return { pidsRefused, oomKills: 0 };
  if (version !== 1) {
    const events = await readCgroupFile(dirs.memory, "memory.events");
    if (events || version === 2) return { pidsRefused, oomKills: counter(events, "oom_kill") };
  }
  const oom = await readCgroupFile(dirs.memory, "memory.oom_control");
  // Kernels before 4.13 have no oom_kill counter: a failed charge is the best evidence then.
  const oomKills = /^oom_kill /m.test(oom)
    ? counter(oom, "oom_kill")
    : Number((await readCgroupFile(dirs.memory, "memory.failcnt")).trim() || 0);
  return { pidsRefused, oomKills };
}

async function isDir(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * A per-job cgroup for the pids and memory limits (cgroup v1 controllers, or cgroup v2 when this
 * process sits in the root of a unified hierarchy with both controllers). The processes join it
 * themselves before bwrap runs (the spawn wrapper writes `0` to each `cgroup.procs` and then
 * execs), so nothing of the job ever runs outside it. Creating it needs write access to the
 * hierarchy (in practice root); otherwise the backend falls back to rlimits and says so.
 */
export class JobCgroups {
  private constructor(
    readonly version: 1 | 2,
    readonly pidsDir: string | undefined,
    readonly memoryDir: string | undefined,
  ) {}

  /** The `cgroup.procs` files a process writes `0` to in order to join. */
  get procsFiles(): string[] {
    return [...new Set([this.pidsDir, this.memoryDir])]
      .filter((d): d is string => d !== undefined)
      .map((d) => join(d, "cgroup.procs"));
  }

  get enforcement(): Pick<LimitEnforcement, "pids" | "memory"> {
    const mech = this.version === 1 ? "cgroup-v1" : "cgroup-v2";
    return { pids: this.pidsDir ? mech : "none", memory: this.memoryDir ? mech : "rlimit" };
  }

  /**
   * The job's cgroups as a backend's options ask for them: none when `cgroupRoot` is `false`,
   * else named `cgroupPrefix` (default `bulwark-`) plus a fresh job id, under `cgroupRoot`.
   */
  static async forJob(
    options: { readonly cgroupRoot?: string | false; readonly cgroupPrefix?: string },
    pidsMax: number,
    memoryBytes: number,
  ): Promise<JobCgroups | undefined> {
    if (options.cgroupRoot === false) return undefined;
    return JobCgroups.create(
      `${options.cgroupPrefix ?? "bulwark-"}${jobId()}`,
      pidsMax,
      memoryBytes,
      options.cgroupRoot,
    );
  }

  /**
   * Creates the job's cgroups, named `name`, under `root` (default /sys/fs/cgroup) and below this
   * process's own cgroup where that is visible; undefined when it cannot.
   */
  static async create(
    name: string,
    pidsMax: number,
    memoryBytes: number,
    root = "/sys/fs/cgroup",
  ): Promise<JobCgroups | undefined> {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name))
      throw invalid(`not a cgroup name: ${JSON.stringify(name)}`);
    if (process.platform !== "linux") return undefined;
    if (await isDir(join(root, "pids"))) return JobCgroups.createV1(root, name, pidsMax, memoryBytes);
    const controllers = await readCgroupFile(root, "cgroup.controllers");
    if (controllers) return JobCgroups.createV2(root, name, pidsMax, memoryBytes, controllers);
    return undefined;
  }

  private static async createV1(
    root: string,
    name: string,
    pidsMax: number,
    memoryBytes: number,
  ): Promise<JobCgroups | undefined> {
    const make = async (controller: Controller): Promise<string | undefined> => {
      const base = join(root, controller);
      const own = ownCgroupPath(controller);
      const parent = own && (await isDir(join(base, own))) ? join(base, own) : base;
      const dir = join(parent, name);
      try {
        await mkdir(dir);
      } catch {
        return undefined;
      }
      try {
        if (controller === "pids") await writeCgroupFile(dir, "pids.max", String(pidsMax));
        else {
          await writeCgroupFile(dir, "memory.limit_in_bytes", String(memoryBytes));
          // Without swap accounting this file is absent; the limit then covers RAM only.
          await writeCgroupFile(dir, "memory.memsw.limit_in_bytes", String(memoryBytes)).catch(
            () => undefined,
          );
        }
        return dir;
      } catch {
        await rmdir(dir).catch(() => undefined);
        return undefined;
      }
    };
    const pidsDir = await make("pids");
    const memoryDir = await make("memory");
    if (!pidsDir && !memoryDir) return undefined;
    return new JobCgroups(1, pidsDir, memoryDir);
  }

  private static async createV2(
    root: string,
    name: string,
    pidsMax: number,
    memoryBytes: number,
    controllers: string,
  ): Promise<JobCgroups | undefined> {
    // Only from the hierarchy's root: a non-root cgroup holding this process cannot delegate
    // controllers to a child ("no internal processes").
    if (ownCgroupPath("") !== "/") return undefined;
    const have = controllers.trim().split(/\s+/);
    if (!have.includes("pids") || !have.includes("memory")) return undefined;
    const dir = join(root, name);
    try {
      await writeCgroupFile(root, "cgroup.subtree_control", "+pids +memory").catch(() => undefined);
      await mkdir(dir);
    } catch {
      return undefined;
    }
    try {
      await writeCgroupFile(dir, "pids.max", String(pidsMax));
      await writeCgroupFile(dir, "memory.max", String(memoryBytes));
      await writeCgroupFile(dir, "memory.swap.max", "0").catch(() => undefined);
      return new JobCgroups(2, dir, dir);
    } catch {
      await rmdir(dir).catch(() => undefined);
      return undefined;
    }
  }

  private dirs(): string[] {
    return [...new Set([this.pidsDir, this.memoryDir])].filter((d): d is string => d !== undefined);
  }

  /** Every process still in the job's cgroups. */
  async members(): Promise<number[]> {
    const pids = new Set<number>();
    for (const d of this.dirs())
      for (const line of (await readCgroupFile(d, "cgroup.procs")).split("\n"))
        if (/^\d+$/.test(line)) pids.add(Number(line));
    return [...pids];
  }

  async report(): Promise<CgroupReport> {
    return readCgroupReport({ pids: this.pidsDir, memory: this.memoryDir }, this.version);
  }

  /**
   * SIGKILLs whatever is left in the cgroups until they are empty, then removes them. Throws
   * INTERNAL when processes survive `deadlineMs` (the caller must not report success then).
   */
  async destroy(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      const left = await this.members();
      if (left.length === 0) break;
      if (Date.now() > until)
        throw new BulwarkError("INTERNAL", `processes of a sandbox survived its end: ${left.join(", ")}`);
      for (const pid of left) killQuietly(pid);
      await sleep(20);
    }
    for (const d of this.dirs()) {
      for (;;) {
        try {
          await rmdir(d);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") break;
          if (code !== "EBUSY" || Date.now() > until)
            throw new BulwarkError("INTERNAL", `cannot remove the job cgroup ${d}: ${code}`, { cause: e });
          await sleep(20);
        }
      }
    }
  }
}

/**
 * Which mechanism enforces each limit, and the rlimits the command gets: the cgroup's pids and
 * memory limits when there is one; otherwise RLIMIT_AS, and RLIMIT_NPROC unless this process is
 * root (the kernel never applies RLIMIT_NPROC to the host's uid 0, which bwrap maps the sandbox
 * user to when run as root): then there is no pids limit at all, and the enforcement says so.
 */
export function planLimits(
  limits: Limits,
  cgroups: JobCgroups | undefined,
  workspace: LimitEnforcement["workspace"],
): { enforcement: LimitEnforcement; rlimits: RlimitPlan } {
  const cg = cgroups?.enforcement;
  const isRoot = process.getuid?.() === 0;
  const pids = cg && cg.pids !== "none" ? cg.pids : isRoot ? "none" : "rlimit";
  const memory = cg ? cg.memory : "rlimit";
  return {
    enforcement: { pids, memory, cpu: "rlimit", fileSize: "rlimit", workspace },
    rlimits: {
      cpuSeconds: limits.cpuSeconds,
      fileSizeBytes: limits.fileSizeBytes,
      ...(memory === "rlimit" ? { addressSpaceBytes: limits.memoryBytes } : {}),
      ...(pids === "rlimit" ? { nproc: limits.pids } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function killQuietly(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Live processes whose PID namespace is `pid:[inode]`. Zombies are left out: they are already
 * dead (the namespace's init, reparented to the host's init, waits there to be reaped).
 */
export function processesInPidNamespace(inode: number): number[] {
  const want = `pid:[${inode}]`;
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== want) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z") out.push(Number(name));
    } catch {
      // gone, or not ours to inspect
    }
  }
  return out;
}

/** SIGKILLs every process left in PID namespace `inode`; throws INTERNAL if any survives. */
export async function killPidNamespace(inode: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const left = processesInPidNamespace(inode);
    if (left.length === 0) return;
    if (Date.now() > until)
      throw new BulwarkError("INTERNAL", `processes of a sandbox survived its end: ${left.join(", ")}`);
    for (const pid of left) killQuietly(pid);
    await sleep(20);
  }
}

/** O_CLOEXEC on Linux (absent from Node's fs.constants). */
const O_CLOEXEC = 0o2000000;

/**
 * Extra `stdio` entries that put /dev/null over every descriptor this process would leak to a
 * child: libuv marks its own descriptors close-on-exec, but one inherited without that flag
 * (from whoever started Bulwark) would otherwise reach the sandbox. `from` is the first
 * descriptor number not already assigned.
 */
export function leakedFdShields(from: number): { stdio: (number | "ignore")[]; close: () => void } {
  const leaked: number[] = [];
  try {
    for (const name of readdirSync("/proc/self/fd")) {
      const fd = Number(name);
      if (!Number.isInteger(fd) || fd < from) continue;
      let info: string;
      try {
        info = readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
      } catch {
        continue;
      }
      const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) leaked.push(fd);
    }
  } catch {
    return { stdio: [], close: () => undefined };
  }
  if (leaked.length === 0) return { stdio: [], close: () => undefined };
  const max = Math.max(...leaked);
  if (max > 4096)
    throw new BulwarkError(
      "INTERNAL",
      `file descriptor ${max} is inherited without close-on-exec and cannot be shielded`,
    );
  const devNull = openSync("/dev/null", "r");
  const stdio: (number | "ignore")[] = [];
  for (let fd = from; fd <= max; fd++) stdio.push(leaked.includes(fd) ? devNull : "ignore");
  return {
    stdio,
    close: () => {
      try {
        closeSync(devNull);
      } catch {
        // already closed
      }
    },
  };
}

/** Exit status as a shell reports it: 128+N means killed by signal N. */
export function decodeStatus(status: number): { exitCode: number | null; signal: string | null } {
  if (status > 128 && status <= 128 + 64) {
    const n = status - 128;
    const name = Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
    if (name) return { exitCode: null, signal: name };
  }
  return { exitCode: status, signal: null };
}

// ---------------------------------------------------------------------------------------------
// Limits

export interface LimitEvidence {
  readonly limits: Limits;
  readonly timedOut: boolean;
  readonly cgroup?: CgroupReport;
  /** The command's signal (decoded from the launcher's status). */
  readonly signal: string | null;
  readonly failed: boolean;
  readonly childCpuSeconds?: number;
  /** Free bytes/inodes of the workspace after the command. */
  readonly workspace?: { readonly free: number; readonly freeFiles: number; readonly total: number };
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 ? `${+(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;
}

/**
 * Which limit ended the step, from evidence the command cannot forge where it matters: the
 * host's own timer and the cgroup counters first; then the command's signal (SIGXCPU/SIGXFSZ,
 * SIGKILL at the CPU hard limit, corroborated by the CPU time used); then a full workspace after
 * a failure (tmpfs reports ENOSPC only when it is full: less than 2% or 1 MiB left, or no inodes).
 */
export function classifyLimit(e: LimitEvidence): { kind: LimitKind; message: string } | undefined {
  const l = e.limits;
  if (e.timedOut)
    return { kind: "timeout", message: `the command ran longer than ${l.timeoutMs} ms and was killed` };
  if (e.cgroup && e.cgroup.oomKills > 0)
    return {
      kind: "memory",
      message: `the sandbox reached its memory limit (${mib(l.memoryBytes)}); ${e.cgroup.oomKills} process(es) killed`,
    };
  if (e.cgroup && e.cgroup.pidsRefused > 0)
    return {
      kind: "pids",
      message: `the sandbox reached its process limit (${l.pids}); ${e.cgroup.pidsRefused} fork(s) refused`,
    };
  const cpuUsed = e.childCpuSeconds !== undefined && e.childCpuSeconds >= l.cpuSeconds * 0.95;
  if (e.signal === "SIGXCPU" || (e.signal === "SIGKILL" && cpuUsed))
    return { kind: "cpu", message: `the command used more than ${l.cpuSeconds} s of CPU time` };
  if (e.signal === "SIGXFSZ")
    return { kind: "file-size", message: `the command wrote a file larger than ${mib(l.fileSizeBytes)}` };
  const w = e.workspace;
  if (e.failed && w && (w.freeFiles === 0 || w.free < Math.min(2 ** 20, w.total * 0.02)))
    return { kind: "workspace", message: `the workspace (${mib(l.workspaceBytes)}) is full` };
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// A run's end

/** How a sandbox's process ended, as the host saw it. */
export interface Spawned {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
}

/**
 * Calls `kill` when the spec's wall-clock limit passes (then `timedOut`) or its signal aborts
 * (then `aborted`), until {@link stop}.
 */
export class RunWatch {
  timedOut = false;
  aborted = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: () => void;

  constructor(
    private readonly spec: SandboxSpec,
    kill: () => void,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      kill();
    }, spec.limits.timeoutMs);
    this.onAbort = () => {
      this.aborted = true;
      kill();
    };
    spec.signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.spec.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** What every result carries besides the command's outcome. */
type ResultBase = Omit<SandboxResult, "exitCode" | "signal" | "limit" | "products">;

/** The result of a run the host's timer killed. */
export function timedOutResult<B extends ResultBase>(limits: Limits, base: B): B & SandboxResult {
  const limit = classifyLimit({ limits, timedOut: true, signal: "SIGKILL", failed: true });
  return { ...base, exitCode: null, signal: "SIGKILL", ...(limit ? { limit } : {}), products: [] };
}

/** What the host knows when an isolated sandbox (launcher, collector, product stream) has ended. */
export interface SandboxEnd {
  /** The backend's name, for errors. */
  readonly backend: string;
  readonly spec: SandboxSpec;
  readonly spawned: Pick<Spawned, "code" | "signal" | "timedOut">;
  readonly control: ControlChannel;
  readonly reader: ProductStreamReader;
  readonly sink: ProductSink;
  readonly cgroup: CgroupReport | undefined;
  /** The log's tail, for errors. */
  readonly tail: () => string;
  /** Why the sandbox did not start, from the runtime's own records ("" when they say nothing). */
  readonly startFailure?: () => Promise<string>;
}

/**
 * How a finished sandbox went: the result (its products committed, or discarded when the run
 * failed), or an error when the sandbox itself failed.
 */
export async function interpretSandboxEnd<B extends ResultBase>(
  end: SandboxEnd,
  base: B,
): Promise<B & SandboxResult> {
  const { spec, spawned, reader, sink, cgroup, tail } = end;
  if (spawned.timedOut) return timedOutResult(spec.limits, base);
  const report = end.control.report();
  if (report.phase === undefined || spawned.code === null) {
    const why = (await end.startFailure?.()) || tail() || "no output";
    throw new BulwarkError("INTERNAL", `the ${end.backend} sandbox did not start: ${why}`, {
      details: { exitCode: spawned.code, signal: spawned.signal },
    });
  }
  if (report.error === "copy") {
    const ws = report.fs.workspace;
    if (ws && ws.free < Math.min(2 ** 20, ws.total * 0.02)) {
      const message = `the source does not fit in the workspace (${spec.limits.workspaceBytes} bytes)`;
      return { ...base, exitCode: null, signal: null, limit: { kind: "workspace", message }, products: [] };
    }
    throw new BulwarkError("INTERNAL", `copying the source into the sandbox failed: ${tail()}`);
  }
  if (report.error === "forwarder" || report.error === "rlimit")
    throw new BulwarkError("INTERNAL", `the sandbox launcher failed (${report.error}): ${tail()}`);

  const { exitCode, signal } = decodeStatus(spawned.code);
  const failed = spawned.code !== 0;
  const limit = classifyLimit({
    limits: spec.limits,
    timedOut: false,
    ...(cgroup ? { cgroup } : {}),
    signal,
    failed,
    ...(report.childCpuSeconds !== undefined ? { childCpuSeconds: report.childCpuSeconds } : {}),
    ...(report.fs.workspace ? { workspace: report.fs.workspace } : {}),
  });
  const outcome = { ...base, exitCode, signal, ...(limit ? { limit } : {}) };
  // Products count only when the launcher finished and the stream is whole; a step that
  // succeeded without them is a sandbox failure, never a success with fewer products.
  const complete =
    report.phase === "end" && report.status === spawned.code && reader.ended && reader.error === undefined;
  if (complete) return { ...outcome, products: await sink.commit() };
  if (!failed && !limit)
    throw new BulwarkError(
      "INTERNAL",
      `collecting the products failed: ${reader.error ?? report.error ?? "the launcher did not finish"}`,
    );
  await sink.discard();
  return { ...outcome, products: [] };
}

/**
 * After a run of bwrap or none, whatever happened: the staged products, the job's cgroups and the
 * run directory go (the directory even when the cgroups cannot).
 */
export async function releaseRun(
  sink: ProductSink,
  cgroups: JobCgroups | undefined,
  runDir: string,
): Promise<void> {
  await sink.discard().catch(() => undefined);
  try {
    await cgroups?.destroy();
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

/** A short random id for temp and cgroup names. */
export function jobId(): string {
  return randomBytes(8).toString("hex");
}
