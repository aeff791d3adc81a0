/**
 * The default seccomp profile of a sandboxed step, the parser for user-supplied profiles and the
 * per-job extension (`deny`/`allow` lists).
 *
 * A profile is a deny-list (everything not matched is allowed). Its meaning MUST be the same for
 * both compilers (classic BPF for bwrap, OCI JSON for runc/libseccomp), which is why
 * {@link validateProfile} refuses what only one of them could express:
 *  - two conditions on the same argument in one rule (runc turns those into an OR, libseccomp
 *    refuses them; our BPF would AND them);
 *  - one syscall in rules with different outcomes (our BPF lets the first rule win, libseccomp
 *    merges rules by its own precedence). Rules with the same outcome are a plain union in both.
 *  - argument values outside 32 bits: the BPF compares only the low word of an argument (see
 *    `bpf.ts`), which is what flag masks and `int` arguments need.
 */

import { BulwarkError, type SourceLocation } from "../../core/index.js";
import type { SeccompProfile, SeccompRule } from "../types.js";
import { isKnownSyscall } from "./syscalls.js";

export const EPERM = 1;
export const ENOSYS = 38;
/** The largest errno the kernel passes back from SECCOMP_RET_ERRNO (MAX_ERRNO). */
export const MAX_ERRNO = 4095;
export const CLONE_NEWUSER = 0x10000000;
/** Arguments 0–5 of a syscall. */
export const MAX_ARG_INDEX = 5;
const UINT32_MAX = 0xffffffff;

type SeccompArg = NonNullable<SeccompRule["args"]>[number];

/** Matches flag arguments that request a new user namespace. */
const NEWUSER_FLAG: SeccompArg = { index: 0, op: "masked-eq", mask: CLONE_NEWUSER, value: CLONE_NEWUSER };

/**
 * "bulwark-default": a build may do anything an unprivileged process normally does; what it may
 * not do is reach for the kernel interfaces that container escapes and kernel exploits are made of.
 *
 * Deliberately left allowed (each needs a capability the sandbox does not grant anyway, so the
 * filter would only break tools that probe for them):
 *  - `chroot`: some packaging tools call it; without CAP_SYS_CHROOT it fails with EPERM, and a
 *    chroot is no escape route for an unprivileged process.
 *  - `adjtimex`: glibc's ntp_gettime/ntp_adjtime reads go through it with a struct the filter
 *    cannot inspect; changing the clock needs CAP_SYS_TIME.
 *  - `name_to_handle_at`: only encodes a handle for a path the caller can already open; the
 *    dangerous half, `open_by_handle_at`, is denied.
 *  - `personality`: `setarch -R` (no ASLR) is a reproducible-builds tool.
 */
export const DEFAULT_PROFILE: SeccompProfile = {
  name: "bulwark-default",
  rules: [
    // Reading or writing another process's memory or descriptors (secrets of sibling steps).
    {
      names: ["ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"],
      action: "errno",
      errno: EPERM,
    },
    // Mount tables: old and new mount API. The sandbox's mounts are the backend's business.
    {
      names: [
        "mount",
        "umount2",
        "pivot_root",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "move_mount",
        "open_tree",
        "open_tree_attr",
        "mount_setattr",
      ],
      action: "errno",
      errno: EPERM,
    },
    // Replacing or extending the running kernel.
    {
      names: ["kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"],
      action: "errno",
      errno: EPERM,
    },
    // Large, frequently exploited kernel attack surface no build needs: eBPF, perf events,
    // userfaultfd (used to win kernel races), io_uring (denied by Docker and ChromeOS for the same
    // reason; libuv and others fall back to threads when io_uring_setup fails).
    {
      names: [
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
      ],
      action: "errno",
      errno: EPERM,
    },
    // Kernel keyrings are not namespaced: a step could read or plant keys of the host user.
    { names: ["keyctl", "add_key", "request_key"], action: "errno", errno: EPERM },
    // Joining another namespace is never part of a build.
    { names: ["setns"], action: "errno", errno: EPERM },
    // A new user namespace hands the process a full capability set over fresh namespaces: the
    // first step of most unprivileged kernel exploits. Other namespace flags need those
    // capabilities, so unshare(CLONE_NEWNS) and plain fork/clone stay allowed.
    { names: ["unshare", "clone"], action: "errno", errno: EPERM, args: [NEWUSER_FLAG] },
    // clone3 passes its flags in memory, out of the filter's reach. ENOSYS (not EPERM) makes
    // glibc and others fall back to clone, where the rule above applies (as Docker does).
    { names: ["clone3"], action: "errno", errno: ENOSYS },
    // Host administration: power, swap, process accounting, quotas, raw I/O ports, the kernel log
    // (kernel addresses, other tenants' messages), the retired oprofile dcookie interface.
    {
      names: [
        "reboot",
        "swapon",
        "swapoff",
        "acct",
        "quotactl",
        "quotactl_fd",
        "lookup_dcookie",
        "syslog",
        "iopl",
        "ioperm",
      ],
      action: "errno",
      errno: EPERM,
    },
    // Opening files by handle bypasses path-based confinement (the "shocker" container escape).
    { names: ["open_by_handle_at"], action: "errno", errno: EPERM },
    // Setting the clock: builds read time, they never set it; timestamps are provenance.
    { names: ["settimeofday", "clock_settime", "clock_adjtime"], action: "errno", errno: EPERM },
  ],
};

// ---------------------------------------------------------------------------------------------
// Parsing and validation

export interface ParseProfileOptions {
  /** Shown in error locations (e.g. the path of the profile file). */
  readonly file?: string;
}

function fail(path: string, message: string, file: string | undefined): never {
  const location: SourceLocation = file === undefined ? { path } : { file, path };
  const where = `${file ?? "seccomp profile"}: ${path || "(root)"}`;
  throw new BulwarkError("INPUT_INVALID", `${where}: ${message}`, { location });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, file?: string) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key))
      fail(path ? `${path}.${key}` : key, `unknown field (expected one of ${allowed.join(", ")})`, file);
  }
}

function isUint32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= UINT32_MAX;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function parseArg(raw: unknown, path: string, file?: string): SeccompArg {
  if (!isRecord(raw)) fail(path, "must be an object { index, op, value, mask? }", file);
  checkKeys(raw, ["index", "op", "value", "mask"], path, file);
  const { index, op, value, mask } = raw;
  if (op !== "eq" && op !== "ne" && op !== "masked-eq")
    fail(`${path}.op`, `must be "eq", "ne" or "masked-eq", not ${JSON.stringify(op)}`, file);
  if (typeof index !== "number") fail(`${path}.index`, "must be a number", file);
  if (typeof value !== "number") fail(`${path}.value`, "must be a number", file);
  if (mask !== undefined && typeof mask !== "number") fail(`${path}.mask`, "must be a number", file);
  return mask === undefined ? { index, op, value } : { index, op, value, mask };
}

function parseRule(raw: unknown, path: string, file?: string): SeccompRule {
  if (!isRecord(raw)) fail(path, "must be an object { names, action, errno?, args? }", file);
  checkKeys(raw, ["names", "action", "errno", "args"], path, file);
  const { names, action, errno, args } = raw;
  if (!Array.isArray(names)) fail(`${path}.names`, "must be an array of syscall names", file);
  const list = names.map((n: unknown, i) =>
    typeof n === "string" ? n : fail(`${path}.names[${i}]`, "must be a string", file),
  );
  if (action !== "errno" && action !== "kill")
    fail(`${path}.action`, `must be "errno" or "kill", not ${JSON.stringify(action)}`, file);
  if (errno !== undefined && typeof errno !== "number") fail(`${path}.errno`, "must be a number", file);
  if (args !== undefined && !Array.isArray(args)) fail(`${path}.args`, "must be an array", file);
  return {
    names: list,
    action,
    ...(errno === undefined ? {} : { errno }),
    ...(args === undefined ? {} : { args: args.map((a, i) => parseArg(a, `${path}.args[${i}]`, file)) }),
  };
}

/**
 * Parses a user-supplied profile: JSON text or an already-parsed value of the
 * {@link SeccompProfile} shape. Unknown fields are errors (this is security configuration).
 * Throws INPUT_INVALID with the JSON path of the first problem in its message and location.
 */
export function parseProfile(input: unknown, options: ParseProfileOptions = {}): SeccompProfile {
  const { file } = options;
  let doc = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new BulwarkError(
        "INPUT_INVALID",
        `${file ?? "seccomp profile"}: not JSON: ${(e as Error).message}`,
        { cause: e, ...(file === undefined ? {} : { location: { file } }) },
      );
    }
  }
  if (!isRecord(doc)) fail("", "must be an object { name, rules }", file);
  checkKeys(doc, ["name", "rules"], "", file);
  const { name, rules } = doc;
  if (typeof name !== "string") fail("name", "must be a string", file);
  if (!Array.isArray(rules)) fail("rules", "must be an array", file);
  const profile: SeccompProfile = { name, rules: rules.map((r, i) => parseRule(r, `rules[${i}]`, file)) };
  return validateProfile(profile, options);
}

function outcome(rule: SeccompRule): string {
  return rule.action === "kill" ? "kill" : `errno ${rule.errno ?? EPERM}`;
}

function validateArgs(rule: SeccompRule, path: string, file?: string): void {
  const seen = new Map<number, number>();
  (rule.args ?? []).forEach((arg, j) => {
    const at = `${path}.args[${j}]`;
    if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > MAX_ARG_INDEX)
      fail(`${at}.index`, `must be an integer 0–${MAX_ARG_INDEX}, not ${arg.index}`, file);
    const earlier = seen.get(arg.index);
    if (earlier !== undefined)
      fail(
        `${at}.index`,
        `argument ${arg.index} is already compared by args[${earlier}]; one rule may compare each ` +
          "argument once (libseccomp refuses it, runc would OR the conditions): use two rules",
        file,
      );
    seen.set(arg.index, j);
    if (arg.op !== "eq" && arg.op !== "ne" && arg.op !== "masked-eq")
      fail(`${at}.op`, `must be "eq", "ne" or "masked-eq", not ${JSON.stringify(arg.op)}`, file);
    if (!isUint32(arg.value))
      fail(`${at}.value`, `must be an integer 0–0xffffffff (the low 32 bits are compared)`, file);
    if (arg.op !== "masked-eq") {
      if (arg.mask !== undefined) fail(`${at}.mask`, `only "masked-eq" takes a mask`, file);
      return;
    }
    if (!isUint32(arg.mask) || arg.mask === 0)
      fail(`${at}.mask`, `"masked-eq" needs a mask, an integer 1–0xffffffff`, file);
    if ((arg.value & ~arg.mask) >>> 0 !== 0)
      fail(
        `${at}.value`,
        `${hex(arg.value)} has bits outside the mask ${hex(arg.mask)}, so the rule could never match`,
        file,
      );
  });
}

/**
 * Checks a profile (parsed or built in code) against the rules both compilers rely on and returns
 * it unchanged. Throws INPUT_INVALID, located by JSON path, at the first problem.
 */
export function validateProfile(profile: SeccompProfile, options: ParseProfileOptions = {}): SeccompProfile {
  const { file } = options;
  if (profile.name.trim() === "") fail("name", "must not be empty", file);
  const firstRule = new Map<string, number>();
  profile.rules.forEach((rule, i) => {
    const path = `rules[${i}]`;
    if (rule.names.length === 0) fail(`${path}.names`, "must name at least one syscall", file);
    if (rule.action !== "errno" && rule.action !== "kill")
      fail(`${path}.action`, `must be "errno" or "kill", not ${JSON.stringify(rule.action)}`, file);
    if (rule.errno !== undefined) {
      if (rule.action !== "errno") fail(`${path}.errno`, `only action "errno" takes an errno`, file);
      if (!Number.isInteger(rule.errno) || rule.errno < 1 || rule.errno > MAX_ERRNO)
        fail(`${path}.errno`, `must be an integer 1–${MAX_ERRNO}, not ${rule.errno}`, file);
    }
    validateArgs(rule, path, file);
    const inRule = new Set<string>();
    rule.names.forEach((name, j) => {
      const at = `${path}.names[${j}]`;
      if (!isKnownSyscall(name))
        fail(at, `unknown syscall "${name}" (not in the x86_64 or aarch64 table)`, file);
      if (inRule.has(name)) fail(at, `"${name}" is listed twice`, file);
      inRule.add(name);
      const other = firstRule.get(name);
      if (other === undefined) {
        firstRule.set(name, i);
      } else if (outcome(profile.rules[other]!) !== outcome(rule)) {
        fail(
          at,
          `"${name}" is also in rules[${other}] with a different outcome ` +
            `(${outcome(profile.rules[other]!)} vs ${outcome(rule)}); a syscall's rules must agree`,
          file,
        );
      }
    });
  });
  return profile;
}

// ---------------------------------------------------------------------------------------------
// Per-job extension

export interface ProfileExtension {
  /** Syscalls that always fail with EPERM (replacing whatever the base does with them). */
  readonly deny?: readonly string[];
  /** Syscalls taken out of the profile entirely (no rule applies to them any more). */
  readonly allow?: readonly string[];
  /** Name of the result; default `<base>+custom` when anything changed. */
  readonly name?: string;
}

/**
 * The base profile with a job's changes: `allow` removes syscalls from every rule (dropping rules
 * left empty), `deny` makes syscalls fail with EPERM unconditionally. A name in both lists, or a
 * name no supported architecture knows, is an INPUT_INVALID error located at `deny[i]`/`allow[i]`.
 */
export function extendProfile(base: SeccompProfile, ext: ProfileExtension): SeccompProfile {
  const deny = ext.deny ?? [];
  const allow = ext.allow ?? [];
  for (const [list, names] of [
    ["deny", deny],
    ["allow", allow],
  ] as const) {
    names.forEach((name, i) => {
      if (typeof name !== "string" || !isKnownSyscall(name))
        fail(`${list}[${i}]`, `unknown syscall ${JSON.stringify(name)}`, undefined);
    });
  }
  allow.forEach((name, i) => {
    if (deny.includes(name)) fail(`allow[${i}]`, `"${name}" is both denied and allowed`, undefined);
  });
  if (deny.length === 0 && allow.length === 0 && ext.name === undefined) return base;
  // Denied names leave their old rules too, so that "deny" means the same whatever the base did.
  const removed = new Set([...allow, ...deny]);
  const rules: SeccompRule[] = [];
  for (const rule of base.rules) {
    const names = rule.names.filter((n) => !removed.has(n));
    if (names.length > 0) rules.push({ ...rule, names });
  }
  const denied = [...new Set(deny)];
  if (denied.length > 0) rules.push({ names: denied, action: "errno", errno: EPERM });
  return validateProfile({ name: ext.name ?? `${base.name}+custom`, rules });
}
