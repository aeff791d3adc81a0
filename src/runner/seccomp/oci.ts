/**
 * Translates a {@link SeccompProfile} to the OCI runtime-spec `linux.seccomp` object, which runc
 * hands to libseccomp.
 *
 * Conventions this relies on (runc `libcontainer/seccomp`, libseccomp `seccomp_rule_add(3)`):
 *  - an argument becomes `libseccomp.MakeCondition(index, op, value, valueTwo)`, i.e. `value` is
 *    libseccomp's datum_a and `valueTwo` its datum_b; for SCMP_CMP_MASKED_EQ that is
 *    `SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, datum)`: **`value` = mask, `valueTwo` = expected**
 *    (Docker's clone rule `{ value: 2114060288, op: MASKED_EQ }` means flags & 0x7E020000 == 0);
 *  - all args of one entry must hold (AND) as long as each index appears once — runc ORs them
 *    otherwise, which {@link validateProfile} rules out;
 *  - names runc cannot resolve are skipped, so unknown names are harmless but we still list only
 *    names our tables know for one of the requested architectures.
 *
 * Differences from the BPF compiler, both on the permissive side of the BPF filter's behaviour:
 * the OCI filter lists the compat ABIs (i386/x32, arm32), which libseccomp filters by the same
 * rules, where our BPF kills foreign-arch processes and refuses x32; and libseccomp compares all
 * 64 bits of an argument for `eq`/`ne`, where our BPF compares the low 32 (for `masked-eq` with a
 * 32-bit mask the two agree).
 */

import { BulwarkError } from "../../core/index.js";
import type { SeccompProfile, SeccompRule } from "../types.js";
import { EPERM, validateProfile } from "./profile.js";
import { type SeccompArch, syscallNumber, toSeccompArch } from "./syscalls.js";

export type OciSeccompAction = "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO" | "SCMP_ACT_KILL_PROCESS";
export type OciSeccompOperator = "SCMP_CMP_EQ" | "SCMP_CMP_NE" | "SCMP_CMP_MASKED_EQ";

export interface OciSeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo: number;
  readonly op: OciSeccompOperator;
}

export interface OciSeccompSyscall {
  readonly names: string[];
  readonly action: OciSeccompAction;
  readonly errnoRet?: number;
  readonly args?: OciSeccompArg[];
}

/** The runtime-spec `linux.seccomp` object (the subset we produce). */
export interface OciSeccomp {
  readonly defaultAction: "SCMP_ACT_ALLOW";
  readonly architectures: string[];
  readonly syscalls: OciSeccompSyscall[];
}

/** The native SCMP_ARCH first, then the compat ABIs the kernel also runs on that machine. */
export const OCI_ARCHITECTURES: Readonly<Record<SeccompArch, readonly string[]>> = {
  x86_64: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  aarch64: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
};

function ociArg(arg: NonNullable<SeccompRule["args"]>[number]): OciSeccompArg {
  switch (arg.op) {
    case "eq":
      return { index: arg.index, value: arg.value, valueTwo: 0, op: "SCMP_CMP_EQ" };
    case "ne":
      return { index: arg.index, value: arg.value, valueTwo: 0, op: "SCMP_CMP_NE" };
    case "masked-eq":
      return { index: arg.index, value: arg.mask ?? 0, valueTwo: arg.value, op: "SCMP_CMP_MASKED_EQ" };
    default: {
      const never: never = arg.op;
      throw new BulwarkError("INTERNAL", `seccomp: unknown argument op ${String(never)}`);
    }
  }
}

function ociSyscall(rule: SeccompRule, names: string[]): OciSeccompSyscall {
  const args = rule.args && rule.args.length > 0 ? { args: rule.args.map(ociArg) } : {};
  switch (rule.action) {
    case "errno":
      return { names, action: "SCMP_ACT_ERRNO", errnoRet: rule.errno ?? EPERM, ...args };
    case "kill":
      return { names, action: "SCMP_ACT_KILL_PROCESS", ...args };
    default: {
      const never: never = rule.action;
      throw new BulwarkError("INTERNAL", `seccomp: unknown action ${String(never)}`);
    }
  }
}

/**
 * The profile as OCI `linux.seccomp` for the given architectures (kernel or `process.arch`
 * spelling; default: this machine). Default action ALLOW; one `syscalls` entry per rule, with the
 * rule's names that exist on at least one of the architectures. Throws INPUT_INVALID for an
 * invalid profile or an unsupported architecture.
 */
export function toOciSeccomp(
  profile: SeccompProfile,
  arches: readonly string[] = [process.arch],
): OciSeccomp {
  validateProfile(profile);
  const targets = [...new Set(arches.map(toSeccompArch))];
  if (targets.length === 0) throw new BulwarkError("INPUT_INVALID", "seccomp: no architecture given");
  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.rules) {
    const names = rule.names.filter((n) => targets.some((arch) => syscallNumber(arch, n) !== undefined));
    if (names.length > 0) syscalls.push(ociSyscall(rule, names));
  }
  return {
    defaultAction: "SCMP_ACT_ALLOW",
    architectures: [...new Set(targets.flatMap((arch) => OCI_ARCHITECTURES[arch]))],
    syscalls,
  };
}
