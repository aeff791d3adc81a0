/**
 * The seccomp profile, its BPF and OCI compilers, and — through bwrap's `--seccomp FD` — the
 * kernel enforcing the compiled program: perl's `syscall()` calls each denied syscall with
 * harmless arguments (we may be root with every capability: a call the filter failed to stop
 * must still do nothing) and prints the errno it got.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BulwarkError } from "../../src/core/index.js";
import type { SeccompProfile } from "../../src/runner/types.js";
import {
  AUDIT_ARCH,
  BPF,
  BPF_MAXINSNS,
  CLONE_NEWUSER,
  compileBpf,
  compileInstructions,
  decodeProgram,
  DEFAULT_PROFILE,
  disassemble,
  extendProfile,
  parseProfile,
  runBpf,
  SECCOMP_ARCHES,
  SECCOMP_RET,
  type SeccompArch,
  syscallNames,
  syscallNumber,
  toOciSeccomp,
  toSeccompArch,
  validateProfile,
  X32_SYSCALL_BIT,
} from "../../src/runner/seccomp/index.js";

const EPERM = 1;
const ESRCH = 3;
const EBADF = 9;
const EINVAL = 22;
const ENOSYS = 38;
/** An errno none of the tested syscalls can produce by itself: seeing it proves the filter acted. */
const EHWPOISON = 133;
const CLONE_NEWNS = 0x20000;
const SIGCHLD = 17;
const AUDIT_ARCH_I386 = 0x40000003;
const AUDIT_ARCH_ARM = 0x40000028;

const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;

/** Every syscall name the default profile denies. */
const DENIED = [...new Set(DEFAULT_PROFILE.rules.flatMap((r) => r.names))];

function expectInputError(fn: () => unknown, code: string, ...fragments: string[]): BulwarkError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(BulwarkError);
  const err = caught as BulwarkError;
  expect(err.code).toBe(code);
  for (const f of fragments) expect(err.message).toContain(f);
  return err;
}

/** The verdict of `program` for one syscall, by name, on `arch`. */
function verdict(program: Uint8Array, arch: SeccompArch, name: string, args: number[] = []): number {
  const nr = syscallNumber(arch, name);
  if (nr === undefined) throw new Error(`${name} is not a syscall on ${arch}`);
  return runBpf(program, { arch: AUDIT_ARCH[arch], nr, args });
}

describe("syscall tables", () => {
  it("hold the kernel's numbers for the profile's syscalls", () => {
    expect(syscallNumber("x86_64", "ptrace")).toBe(101);
    expect(syscallNumber("aarch64", "ptrace")).toBe(117);
    expect(syscallNumber("x86_64", "unshare")).toBe(272);
    expect(syscallNumber("aarch64", "unshare")).toBe(97);
    expect(syscallNumber("x86_64", "clone")).toBe(56);
    expect(syscallNumber("aarch64", "clone")).toBe(220);
    expect(syscallNumber("x86_64", "kexec_load")).toBe(246);
    expect(syscallNumber("aarch64", "kexec_load")).toBe(104);
    for (const arch of SECCOMP_ARCHES) expect(syscallNumber(arch, "clone3")).toBe(435);
    expect(AUDIT_ARCH).toEqual({ x86_64: 0xc000003e, aarch64: 0xc00000b7 });
  });

  it("skip names an architecture lacks, and never resolve prototype keys", () => {
    expect(syscallNumber("aarch64", "iopl")).toBeUndefined();
    expect(syscallNumber("aarch64", "open")).toBeUndefined();
    expect(syscallNumber("x86_64", "iopl")).toBe(172);
    expect(syscallNumber("x86_64", "constructor")).toBeUndefined();
    expect(syscallNumber("x86_64", "__proto__")).toBeUndefined();
  });

  it("know every name of the default profile on x86_64, and all but the x86-only ones on aarch64", () => {
    const missing = (arch: SeccompArch) => DENIED.filter((n) => syscallNumber(arch, n) === undefined);
    expect(missing("x86_64")).toEqual([]);
    expect(missing("aarch64").sort()).toEqual(["ioperm", "iopl"]);
  });

  it("map no two names to one number", () => {
    for (const arch of SECCOMP_ARCHES) {
      const numbers = syscallNames(arch).map((n) => syscallNumber(arch, n));
      expect(new Set(numbers).size).toBe(numbers.length);
    }
  });

  // An independent source when the machine has the kernel's UAPI headers (linux-libc-dev).
  const x86Header = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
  it.skipIf(!existsSync(x86Header))("agree with the installed x86_64 <asm/unistd_64.h>", () => {
    const defs = [...readFileSync(x86Header, "utf8").matchAll(/^#define __NR_(\w+) (\d+)$/gm)];
    expect(defs.length).toBeGreaterThan(300);
    for (const [, name, n] of defs) expect([name, syscallNumber("x86_64", name!)]).toEqual([name, Number(n)]);
  });

  const genericHeader = "/usr/include/asm-generic/unistd.h";
  it.skipIf(!existsSync(genericHeader))("agree with the installed <asm-generic/unistd.h> (aarch64)", () => {
    const text = readFileSync(genericHeader, "utf8");
    const value = new Map<string, string>();
    for (const [, name, v] of text.matchAll(/^#define (__NR3264_\w+|__NR_\w+) (\w+)\s*$/gm))
      value.set(name!, v!);
    let compared = 0;
    for (const name of syscallNames("aarch64")) {
      let v = value.get(`__NR_${name}`);
      if (v?.startsWith("__NR3264_")) v = value.get(v);
      if (v === undefined) continue; // newer than the installed headers
      expect([name, syscallNumber("aarch64", name)]).toEqual([name, Number(v)]);
      compared++;
    }
    expect(compared).toBeGreaterThan(250);
  });

  it("accept Node's and the kernel's spelling of an architecture, nothing else", () => {
    expect(toSeccompArch("x64")).toBe("x86_64");
    expect(toSeccompArch("arm64")).toBe("aarch64");
    expect(toSeccompArch("aarch64")).toBe("aarch64");
    expectInputError(() => toSeccompArch("ia32"), "INPUT_INVALID", 'unsupported architecture "ia32"');
  });
});

describe("compileBpf", () => {
  for (const arch of SECCOMP_ARCHES) {
    describe(arch, () => {
      const program = compileBpf(DEFAULT_PROFILE, arch);
      const prog = decodeProgram(program);

      it("is a whole number of 8-byte sock_filter entries within BPF_MAXINSNS", () => {
        expect(program.length % 8).toBe(0);
        expect(prog.length).toBeGreaterThan(10);
        expect(prog.length).toBeLessThanOrEqual(BPF_MAXINSNS);
      });

      it("checks the architecture first and kills foreign ones", () => {
        expect(prog.slice(0, 4)).toEqual([
          { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 },
          { code: BPF.JMP_JEQ_K, jt: 1, jf: 0, k: AUDIT_ARCH[arch] },
          { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.KILL_PROCESS },
          { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 0 },
        ]);
        // Little-endian encoding of the first instruction: code 0x0020, jt 0, jf 0, k 4.
        expect([...program.slice(0, 8)]).toEqual([0x20, 0, 0, 0, 4, 0, 0, 0]);
        for (const foreign of [AUDIT_ARCH_I386, AUDIT_ARCH_ARM, ...Object.values(AUDIT_ARCH)]) {
          if (foreign === AUDIT_ARCH[arch]) continue;
          expect(runBpf(program, { arch: foreign, nr: 0 })).toBe(SECCOMP_RET.KILL_PROCESS);
        }
        expect(prog.at(-1)).toEqual({ code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.ALLOW });
      });

      it("lists each denied syscall of the architecture in the disassembly", () => {
        const text = disassemble(program);
        expect(text).toContain(`; AUDIT_ARCH_${arch.toUpperCase()}`);
        for (const name of DENIED) {
          if (syscallNumber(arch, name) === undefined) expect(text).not.toContain(`; ${name}\n`);
          else expect(text).toMatch(new RegExp(`jeq #${syscallNumber(arch, name)}, .*; ${name}\\n`));
        }
        expect(text).toContain("; KILL_PROCESS");
        expect(text).toContain("; ERRNO(1)");
        expect(text).toContain("; ERRNO(38)");
        expect(text).toContain("; args[0] (low 32 bits)");
      });

      it("gives every denied syscall its outcome and allows everything else", () => {
        for (const name of DENIED) {
          if (syscallNumber(arch, name) === undefined || name === "unshare" || name === "clone") continue;
          expect([name, verdict(program, arch, name)]).toEqual([
            name,
            ERRNO(name === "clone3" ? ENOSYS : EPERM),
          ]);
        }
        for (const name of ["read", "write", "execve", "openat", "chroot", "adjtimex", "name_to_handle_at"])
          expect([name, verdict(program, arch, name)]).toEqual([name, SECCOMP_RET.ALLOW]);
      });

      it("denies unshare and clone only when the flags ask for a user namespace", () => {
        for (const name of ["unshare", "clone"]) {
          expect(verdict(program, arch, name, [CLONE_NEWUSER])).toBe(ERRNO(EPERM));
          expect(verdict(program, arch, name, [CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD])).toBe(ERRNO(EPERM));
          expect(verdict(program, arch, name, [0])).toBe(SECCOMP_RET.ALLOW);
          expect(verdict(program, arch, name, [CLONE_NEWNS | SIGCHLD])).toBe(SECCOMP_RET.ALLOW);
          expect(verdict(program, arch, name, [~CLONE_NEWUSER >>> 0])).toBe(SECCOMP_RET.ALLOW);
        }
      });
    });
  }

  it("refuses the x32 ABI on x86_64 (and only there)", () => {
    const x86 = compileBpf(DEFAULT_PROFILE, "x86_64");
    const getpid = syscallNumber("x86_64", "getpid")!;
    expect(decodeProgram(x86).slice(4, 6)).toEqual([
      { code: BPF.JMP_JSET_K, jt: 0, jf: 1, k: X32_SYSCALL_BIT },
      { code: BPF.RET_K, jt: 0, jf: 0, k: ERRNO(EPERM) },
    ]);
    expect(runBpf(x86, { arch: AUDIT_ARCH.x86_64, nr: X32_SYSCALL_BIT | getpid })).toBe(ERRNO(EPERM));
    expect(runBpf(x86, { arch: AUDIT_ARCH.x86_64, nr: getpid })).toBe(SECCOMP_RET.ALLOW);
    const arm = decodeProgram(compileBpf(DEFAULT_PROFILE, "aarch64"));
    expect(arm.some((i) => i.code === BPF.JMP_JSET_K)).toBe(false);
  });

  it("compiles eq, ne and masked-eq conditions, ANDed within a rule, first rule first", () => {
    const profile: SeccompProfile = {
      name: "conditions",
      rules: [
        {
          names: ["socket"],
          action: "errno",
          errno: 97,
          args: [
            { index: 0, op: "eq", value: 16 },
            { index: 2, op: "ne", value: 0 },
          ],
        },
        {
          names: ["socket"],
          action: "errno",
          errno: 97,
          args: [{ index: 1, op: "masked-eq", mask: 0xf, value: 3 }],
        },
        { names: ["getppid"], action: "kill" },
      ],
    };
    const p = compileBpf(profile, "x86_64");
    expect(verdict(p, "x86_64", "socket", [16, 1, 9])).toBe(ERRNO(97));
    expect(verdict(p, "x86_64", "socket", [16, 1, 0])).toBe(SECCOMP_RET.ALLOW); // ne fails, masked-eq fails
    expect(verdict(p, "x86_64", "socket", [2, 0x803, 0])).toBe(ERRNO(97)); // second rule
    expect(verdict(p, "x86_64", "socket", [2, 0x804, 0])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict(p, "x86_64", "getppid")).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(verdict(p, "x86_64", "getpid")).toBe(SECCOMP_RET.ALLOW);
    expect(disassemble(p)).toMatch(/and #0xf\n/);
  });

  it("skips a syscall block longer than 255 instructions with a long jump", () => {
    const profile = manyRules(100);
    const p = compileBpf(profile, "x86_64");
    const prog = decodeProgram(p);
    const ja = prog.findIndex((i) => i.code === BPF.JMP_JA);
    expect(ja).toBeGreaterThan(0);
    expect(prog[ja - 1]).toMatchObject({ code: BPF.JMP_JEQ_K, jt: 1, jf: 0 });
    expect(prog[ja]!.k).toBeGreaterThan(255);
    expect(verdict(p, "x86_64", "getpriority", [1000])).toBe(ERRNO(77));
    expect(verdict(p, "x86_64", "getpriority", [1099])).toBe(ERRNO(77));
    expect(verdict(p, "x86_64", "getpriority", [0])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict(p, "x86_64", "setpriority", [1000])).toBe(ERRNO(EPERM)); // after the long block
    expect(verdict(p, "x86_64", "read")).toBe(SECCOMP_RET.ALLOW);
    for (const i of prog) if (i.code !== BPF.JMP_JA) expect(Math.max(i.jt, i.jf)).toBeLessThanOrEqual(255);
  });

  it("throws INPUT_TOO_LARGE past BPF_MAXINSNS", () => {
    expect(compileInstructions(manyRules(1300), "x86_64").length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expectInputError(() => compileBpf(manyRules(1400), "x86_64"), "INPUT_TOO_LARGE", "4096");
  });

  it("validates the profile it compiles", () => {
    const bad = { name: "x", rules: [{ names: ["nope"], action: "errno" }] } satisfies SeccompProfile;
    expectInputError(() => compileBpf(bad, "x86_64"), "INPUT_INVALID", "rules[0].names[0]");
    expectInputError(() => toOciSeccomp(bad, ["x86_64"]), "INPUT_INVALID", "rules[0].names[0]");
  });
});

/** `count` rules on getpriority (3 instructions each) with one outcome, then setpriority. */
function manyRules(count: number): SeccompProfile {
  return {
    name: "many",
    rules: [
      ...Array.from({ length: count }, (_, i) => ({
        names: ["getpriority"],
        action: "errno" as const,
        errno: 77,
        args: [{ index: 0, op: "eq" as const, value: 1000 + i }],
      })),
      { names: ["setpriority"], action: "errno", errno: EPERM },
    ],
  };
}

describe("toOciSeccomp", () => {
  it("allows by default and lists the native and compat architectures", () => {
    expect(toOciSeccomp(DEFAULT_PROFILE, ["x86_64"])).toMatchObject({
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    });
    expect(toOciSeccomp(DEFAULT_PROFILE, ["arm64"]).architectures).toEqual([
      "SCMP_ARCH_AARCH64",
      "SCMP_ARCH_ARM",
    ]);
    expect(toOciSeccomp(DEFAULT_PROFILE, ["x64", "aarch64"]).architectures).toHaveLength(5);
    expectInputError(() => toOciSeccomp(DEFAULT_PROFILE, ["riscv64"]), "INPUT_INVALID", "riscv64");
  });

  it("has one entry per rule, names resolved for the architectures, EPERM as errnoRet", () => {
    const x86 = toOciSeccomp(DEFAULT_PROFILE, ["x86_64"]);
    expect(x86.syscalls).toHaveLength(DEFAULT_PROFILE.rules.length);
    expect(x86.syscalls.flatMap((s) => s.names).sort()).toEqual([...DENIED].sort());
    const arm = toOciSeccomp(DEFAULT_PROFILE, ["aarch64"]);
    expect(arm.syscalls.flatMap((s) => s.names)).not.toContain("iopl");
    expect(arm.syscalls.flatMap((s) => s.names)).toContain("ptrace");
    const ptrace = x86.syscalls.find((s) => s.names.includes("ptrace"));
    expect(ptrace).toEqual({
      names: ["ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 1,
    });
    expect(x86.syscalls.find((s) => s.names.includes("clone3"))).toEqual({
      names: ["clone3"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 38,
    });
    expect(JSON.parse(JSON.stringify(x86))).toEqual(x86);
  });

  it("writes masked-eq the libseccomp way: value = mask, valueTwo = expected value", () => {
    const clone = toOciSeccomp(DEFAULT_PROFILE, ["x86_64"]).syscalls.find((s) => s.names.includes("clone"));
    expect(clone).toEqual({
      names: ["unshare", "clone"],
      action: "SCMP_ACT_ERRNO",
      errnoRet: 1,
      args: [{ index: 0, value: 0x10000000, valueTwo: 0x10000000, op: "SCMP_CMP_MASKED_EQ" }],
    });
    const custom = toOciSeccomp(
      {
        name: "c",
        rules: [
          {
            names: ["socket"],
            action: "kill",
            args: [
              { index: 1, op: "masked-eq", mask: 0xff, value: 0x3 },
              { index: 0, op: "eq", value: 16 },
              { index: 2, op: "ne", value: 9 },
            ],
          },
        ],
      },
      ["x86_64"],
    );
    expect(custom.syscalls).toEqual([
      {
        names: ["socket"],
        action: "SCMP_ACT_KILL_PROCESS",
        args: [
          { index: 1, value: 0xff, valueTwo: 0x3, op: "SCMP_CMP_MASKED_EQ" },
          { index: 0, value: 16, valueTwo: 0, op: "SCMP_CMP_EQ" },
          { index: 2, value: 9, valueTwo: 0, op: "SCMP_CMP_NE" },
        ],
      },
    ]);
  });
});

describe("parseProfile", () => {
  it("round-trips the default profile through JSON", () => {
    expect(parseProfile(JSON.stringify(DEFAULT_PROFILE))).toEqual(DEFAULT_PROFILE);
    expect(parseProfile(JSON.parse(JSON.stringify(DEFAULT_PROFILE)))).toEqual(DEFAULT_PROFILE);
    expect(validateProfile(DEFAULT_PROFILE)).toBe(DEFAULT_PROFILE);
  });

  const rule = (extra: object) => ({ names: ["ptrace"], action: "errno", ...extra });
  const doc = (...rules: object[]) => ({ name: "user", rules });

  const cases: [string, unknown, string[]][] = [
    [
      "an unknown syscall name",
      doc(rule({}), rule({ names: ["ptrace_me"] })),
      ["rules[1].names[0]", '"ptrace_me"'],
    ],
    ["a bad action", doc(rule({ action: "deny" })), ["rules[0].action", '"deny"']],
    [
      "a bad argument op",
      doc(
        rule({
          args: [
            { index: 0, op: "eq", value: 1 },
            { index: 1, op: "gt", value: 2 },
          ],
        }),
      ),
      ["rules[0].args[1].op", '"gt"'],
    ],
    [
      "an argument index past 5",
      doc(rule({ args: [{ index: 6, op: "eq", value: 1 }] })),
      ["rules[0].args[0].index"],
    ],
    [
      "two conditions on one argument",
      doc(
        rule({
          args: [
            { index: 0, op: "ne", value: 1 },
            { index: 0, op: "ne", value: 2 },
          ],
        }),
      ),
      ["rules[0].args[1].index", "args[0]"],
    ],
    [
      "a value past 32 bits",
      doc(rule({ args: [{ index: 0, op: "eq", value: 2 ** 32 }] })),
      ["rules[0].args[0].value"],
    ],
    [
      "masked-eq without mask",
      doc(rule({ args: [{ index: 0, op: "masked-eq", value: 1 }] })),
      ["args[0].mask"],
    ],
    ["a mask on eq", doc(rule({ args: [{ index: 0, op: "eq", value: 1, mask: 1 }] })), ["args[0].mask"]],
    [
      "a value outside its mask",
      doc(rule({ args: [{ index: 0, op: "masked-eq", mask: 0xf0, value: 0x1 }] })),
      ["rules[0].args[0].value", "never match"],
    ],
    ["an errno on kill", doc(rule({ action: "kill", errno: 1 })), ["rules[0].errno"]],
    ["an errno out of range", doc(rule({ errno: 70000 })), ["rules[0].errno"]],
    ["a syscall twice in a rule", doc(rule({ names: ["ptrace", "ptrace"] })), ["rules[0].names[1]"]],
    [
      "one syscall with two outcomes",
      doc(rule({}), rule({ names: ["bpf", "ptrace"], errno: 13 })),
      ["rules[1].names[1]", "rules[0]", "errno 1 vs errno 13"],
    ],
    ["an empty names list", doc(rule({ names: [] })), ["rules[0].names"]],
    ["a non-string name", doc(rule({ names: ["bpf", 7] })), ["rules[0].names[1]"]],
    ["an unknown rule field", doc(rule({ comment: "x" })), ["rules[0].comment", "unknown field"]],
    ["an unknown top-level field", { ...doc(), defaultAction: "x" }, ["defaultAction"]],
    ["rules that are not an array", { name: "x", rules: {} }, ["rules: must be an array"]],
    ["an empty name", { name: " ", rules: [] }, ["name: must not be empty"]],
    ["not an object", [], ["(root)"]],
    ["text that is not JSON", "{ rules: ", ["not JSON"]],
  ];
  for (const [what, input, fragments] of cases) {
    it(`rejects ${what} with a located INPUT_INVALID`, () => {
      const err = expectInputError(
        () => parseProfile(input, { file: "seccomp.json" }),
        "INPUT_INVALID",
        "seccomp.json",
        ...fragments,
      );
      expect(err.location?.file).toBe("seccomp.json");
    });
  }

  it("puts the JSON path in the error location", () => {
    const err = expectInputError(
      () => parseProfile(doc(rule({ action: "x" }))),
      "INPUT_INVALID",
      "seccomp profile",
    );
    expect(err.location).toEqual({ path: "rules[0].action" });
  });
});

describe("extendProfile", () => {
  it("denies extra syscalls with EPERM and allows listed ones", () => {
    const ext = extendProfile(DEFAULT_PROFILE, {
      deny: ["personality", "clone3"],
      allow: ["ptrace", "syslog"],
    });
    expect(ext.name).toBe("bulwark-default+custom");
    const p = compileBpf(ext, "x86_64");
    expect(verdict(p, "x86_64", "personality")).toBe(ERRNO(EPERM));
    expect(verdict(p, "x86_64", "clone3")).toBe(ERRNO(EPERM)); // deny overrides the base's ENOSYS
    expect(verdict(p, "x86_64", "ptrace")).toBe(SECCOMP_RET.ALLOW);
    expect(verdict(p, "x86_64", "syslog")).toBe(SECCOMP_RET.ALLOW);
    expect(verdict(p, "x86_64", "process_vm_readv")).toBe(ERRNO(EPERM)); // rest of ptrace's rule stays
    expect(verdict(p, "x86_64", "unshare", [CLONE_NEWUSER])).toBe(ERRNO(EPERM));
    expect(disassemble(p)).not.toMatch(/; ptrace\n/);
    expect(DEFAULT_PROFILE.rules[0]!.names).toContain("ptrace"); // the base is untouched
  });

  it("drops rules left empty and turns a conditional rule into a full deny", () => {
    const ext = extendProfile(DEFAULT_PROFILE, { allow: ["setns"], deny: ["clone"], name: "job" });
    expect(ext.name).toBe("job");
    expect(ext.rules.some((r) => r.names.includes("setns"))).toBe(false);
    const p = compileBpf(ext, "aarch64");
    expect(verdict(p, "aarch64", "clone", [SIGCHLD])).toBe(ERRNO(EPERM));
    expect(verdict(p, "aarch64", "unshare", [0])).toBe(SECCOMP_RET.ALLOW);
    expect(verdict(p, "aarch64", "unshare", [CLONE_NEWUSER])).toBe(ERRNO(EPERM));
    expect(verdict(p, "aarch64", "setns")).toBe(SECCOMP_RET.ALLOW);
  });

  it("returns the base itself when nothing changes", () => {
    expect(extendProfile(DEFAULT_PROFILE, {})).toBe(DEFAULT_PROFILE);
  });

  it("rejects unknown names and names both denied and allowed", () => {
    expectInputError(
      () => extendProfile(DEFAULT_PROFILE, { deny: ["bpf", "fly"] }),
      "INPUT_INVALID",
      "deny[1]",
      "fly",
    );
    expectInputError(() => extendProfile(DEFAULT_PROFILE, { allow: ["nope"] }), "INPUT_INVALID", "allow[0]");
    expectInputError(
      () => extendProfile(DEFAULT_PROFILE, { deny: ["bpf"], allow: ["mount", "bpf"] }),
      "INPUT_INVALID",
      "allow[1]",
      "both denied and allowed",
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The kernel enforcing the program, through bwrap.

const HAVE_BWRAP = spawnSync("bwrap", ["--version"]).status === 0;
const NATIVE: SeccompArch | undefined =
  process.arch === "x64" ? "x86_64" : process.arch === "arm64" ? "aarch64" : undefined;

type Arg = number | string;
/** Harmless arguments for each denied syscall: invalid fds, missing paths, bad magic numbers. */
const SAFE_ARGS: Record<string, Arg[]> = {
  ptrace: [16 /* PTRACE_ATTACH */, 999999, 0, 0],
  process_vm_readv: [999999, 0, 0, 0, 0, 0],
  process_vm_writev: [999999, 0, 0, 0, 0, 0],
  pidfd_getfd: [-1, 0, 0],
  kcmp: [999999, 999999, 0, 0, 0],
  mount: ["none", "/nonexistent-bulwark", "tmpfs", 0, 0],
  umount2: ["/nonexistent-bulwark", 0],
  pivot_root: ["/nonexistent-bulwark", "/nonexistent-bulwark"],
  fsopen: ["bulwark-no-such-fs", 0],
  fsconfig: [-1, 0, 0, 0, 0],
  fsmount: [-1, 0, 0],
  fspick: [-1, "/nonexistent-bulwark", 0],
  move_mount: [-1, "/nonexistent-bulwark", -1, "/nonexistent-bulwark", 0],
  open_tree: [-1, "/nonexistent-bulwark", 0],
  open_tree_attr: [-1, "/nonexistent-bulwark", 0, 0, 0],
  mount_setattr: [-1, "/nonexistent-bulwark", 0, 0, 0],
  kexec_load: [0, 0, 0, 0xdead0000 /* no such KEXEC_ARCH: EINVAL, never an unload */],
  kexec_file_load: [-1, -1, 0, 0, 0x10000 /* unknown flag: EINVAL */],
  init_module: [0, 0, ""],
  finit_module: [-1, "", 0],
  delete_module: ["bulwark_no_such_module", 0x800 /* O_NONBLOCK */],
  bpf: [999, 0, 0],
  perf_event_open: [0, 0, -1, -1, 0],
  userfaultfd: [0x80000 /* O_CLOEXEC */],
  io_uring_setup: [0, 0],
  io_uring_enter: [-1, 0, 0, 0, 0, 0],
  io_uring_register: [-1, 0, 0, 0],
  keyctl: [0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0],
  add_key: [0, 0, 0, 0, 0],
  request_key: [0, 0, 0, 0],
  setns: [-1, 0],
  unshare: [CLONE_NEWUSER],
  clone: [CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0],
  clone3: [0, 0],
  reboot: [0, 0, 0, 0 /* wrong magic: EINVAL */],
  swapon: ["/nonexistent-bulwark", 0],
  swapoff: ["/nonexistent-bulwark"],
  acct: ["/nonexistent-bulwark/acct"],
  quotactl: [0, 0, 0, 0],
  quotactl_fd: [-1, 0, 0, 0],
  lookup_dcookie: [0, 0, 0],
  syslog: [10 /* SYSLOG_ACTION_SIZE_BUFFER */, 0, 0],
  iopl: [0],
  ioperm: [0, 0, 0],
  open_by_handle_at: [-1, 0, 0],
  settimeofday: [0, 0 /* both NULL: a no-op */],
  clock_settime: [0, 0],
  clock_adjtime: [0, 0],
};

interface Call {
  readonly label: string;
  readonly nr: number;
  readonly args: readonly Arg[];
}

/** `label errno=N`, `label ok=R` or, for clone, `label ok=child` per call. Clone children exit at once. */
function perlScript(calls: readonly Call[]): string {
  const arg = (a: Arg) => (typeof a === "number" ? String(a) : `'${a}'`);
  return [
    "use strict; use POSIX (); $| = 1;",
    "sub t { my ($l, $nr, @a) = @_; $! = 0; my $r = syscall($nr, @a);",
    "  if ($r == 0 && $l =~ /^clone/) { POSIX::_exit(0) }",
    '  if ($r > 0 && $l =~ /^clone/) { waitpid($r, 0); $r = "child" }',
    '  print "$l ", ($r eq "-1" ? "errno=" . ($! + 0) : "ok=$r"), "\\n" }',
    ...calls.map((c) => `t(${["'" + c.label + "'", c.nr, ...c.args.map(arg)].join(", ")});`),
  ].join("\n");
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let workdir = "";

/** Runs argv in a bwrap sandbox, with `program` as its seccomp filter (fd 3) when given. */
async function bwrap(argv: readonly string[], program?: Uint8Array): Promise<Run> {
  let fd: number | undefined;
  if (program) {
    const file = join(workdir, `filter-${Math.random().toString(36).slice(2)}.bpf`);
    writeFileSync(file, program);
    fd = openSync(file, "r");
  }
  try {
    const child = spawn(
      "bwrap",
      [
        ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--die-with-parent"],
        ...(fd === undefined ? [] : ["--seccomp", "3"]),
        "--",
        ...argv,
      ],
      { stdio: ["ignore", "pipe", "pipe", ...(fd === undefined ? [] : [fd])] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve(code));
    });
    return { status, stdout, stderr };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function runCalls(calls: readonly Call[], program?: Uint8Array): Promise<Map<string, string>> {
  const run = await bwrap(["perl", "-e", perlScript(calls)], program);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const results = new Map<string, string>();
  for (const line of run.stdout.trim().split("\n")) {
    const [label, result] = line.split(" ");
    results.set(label!, result!);
  }
  expect([...results.keys()]).toEqual(calls.map((c) => c.label));
  return results;
}

describe.skipIf(!HAVE_BWRAP && !process.env.CI)("enforcement by the kernel through bwrap --seccomp", () => {
  const arch = NATIVE ?? toSeccompArch(process.arch); // throws on an unsupported machine
  const nr = (name: string) => syscallNumber(arch, name)!;
  const call = (label: string, name: string, args: readonly Arg[] = SAFE_ARGS[name]!): Call => ({
    label,
    nr: nr(name),
    args,
  });
  /** Every denied syscall this architecture has, with its harmless arguments; user namespaces last. */
  const deniedCalls = DENIED.filter((n) => syscallNumber(arch, n) !== undefined)
    .sort((a, b) => Number(a === "unshare") - Number(b === "unshare"))
    .map((n) => call(n, n));
  /** Calls the argument conditions must let through (and calls whose result must not change). */
  const allowedCalls = [
    call("unshare(0)", "unshare", [0]),
    call("unshare(CLONE_NEWNS)", "unshare", [CLONE_NEWNS]),
    call("clone(SIGCHLD)", "clone", [SIGCHLD, 0, 0, 0, 0]),
    call("getpid", "getpid", []),
  ];
  const x32Call: Call = { label: "x32-getpid", nr: X32_SYSCALL_BIT | 39, args: [] };

  beforeAll(() => {
    workdir = mkdtempSync(join(tmpdir(), "bulwark-seccomp-"));
  });
  afterAll(() => rmSync(workdir, { recursive: true, force: true }));

  it("has harmless arguments for every syscall of the default profile", () => {
    expect(DENIED.filter((n) => !(n in SAFE_ARGS))).toEqual([]);
  });

  it("denies each dangerous syscall with EPERM, clone3 with ENOSYS", async () => {
    const results = await runCalls(deniedCalls, compileBpf(DEFAULT_PROFILE, arch));
    for (const c of deniedCalls)
      expect([c.label, results.get(c.label)]).toEqual([
        c.label,
        `errno=${c.label === "clone3" ? ENOSYS : EPERM}`,
      ]);
  });

  it("matches every denied syscall itself: with a marker errno, every call returns the marker", async () => {
    const marked: SeccompProfile = {
      name: "marked",
      rules: DEFAULT_PROFILE.rules.map((r) => ({ ...r, action: "errno", errno: EHWPOISON })),
    };
    const results = await runCalls([...allowedCalls, ...deniedCalls], compileBpf(marked, arch));
    for (const c of deniedCalls)
      expect([c.label, results.get(c.label)]).toEqual([c.label, `errno=${EHWPOISON}`]);
    for (const c of allowedCalls) expect(results.get(c.label)).not.toBe(`errno=${EHWPOISON}`);
  });

  it("lets unshare/clone through unless they ask for CLONE_NEWUSER", async () => {
    const filtered = await runCalls(
      [...allowedCalls, call("clone(NEWUSER)", "clone"), call("unshare(NEWUSER)", "unshare")],
      compileBpf(DEFAULT_PROFILE, arch),
    );
    const unfiltered = await runCalls(allowedCalls);
    expect(filtered.get("unshare(0)")).toBe("ok=0");
    expect(filtered.get("clone(SIGCHLD)")).toBe("ok=child");
    expect(filtered.get("getpid")).toMatch(/^ok=\d+$/);
    // Whether unshare(CLONE_NEWNS) succeeds depends on bwrap's capabilities, not on the filter.
    expect(filtered.get("unshare(CLONE_NEWNS)")).toBe(unfiltered.get("unshare(CLONE_NEWNS)"));
    expect(filtered.get("clone(NEWUSER)")).toBe(`errno=${EPERM}`);
    expect(filtered.get("unshare(NEWUSER)")).toBe(`errno=${EPERM}`);
  });

  it("without the filter the same calls fail (or succeed) differently", async () => {
    const calls = [
      call("ptrace", "ptrace"),
      call("setns", "setns"),
      call("clone3", "clone3"),
      call("getpid", "getpid", []),
      ...(arch === "x86_64" ? [x32Call] : []),
      call("unshare(NEWUSER)", "unshare"),
    ];
    const results = await runCalls(calls);
    expect(results.get("ptrace")).toBe(`errno=${ESRCH}`);
    expect(results.get("setns")).toBe(`errno=${EBADF}`);
    expect(results.get("clone3")).toBe(`errno=${EINVAL}`);
    expect(results.get("getpid")).toMatch(/^ok=\d+$/);
    if (arch === "x86_64") expect(results.get("x32-getpid")).not.toBe(`errno=${EPERM}`);
    // As root (this test machine), bwrap keeps its capabilities and a user namespace is allowed.
    if (process.getuid?.() === 0) expect(results.get("unshare(NEWUSER)")).toBe("ok=0");
  });

  it.skipIf(arch !== "x86_64")("refuses the x32 ABI", async () => {
    const results = await runCalls([x32Call], compileBpf(DEFAULT_PROFILE, arch));
    expect(results.get("x32-getpid")).toBe(`errno=${EPERM}`);
  });

  it("kills the process for a kill rule", async () => {
    const profile: SeccompProfile = { name: "kill", rules: [{ names: ["getppid"], action: "kill" }] };
    const run = await bwrap(
      ["perl", "-e", `$| = 1; print "before\\n"; syscall(${nr("getppid")}); print "after\\n"`],
      compileBpf(profile, arch),
    );
    expect(run.stdout).toBe("before\n");
    expect(run.status).toBe(128 + 31); // SIGSYS, as reported by bwrap
  });

  it("loads a program with long jumps, and its far rules still apply", async () => {
    const program = compileBpf(manyRules(100), arch);
    const results = await runCalls(
      [
        call("first", "getpriority", [1000, 0]),
        call("last", "getpriority", [1099, 0]),
        call("other", "getpriority", [0, 0]),
        call("after", "setpriority", [1000, 0, 0]),
      ],
      program,
    );
    expect(results.get("first")).toBe("errno=77");
    expect(results.get("last")).toBe("errno=77");
    expect(results.get("other")).toMatch(/^ok=/);
    expect(results.get("after")).toBe(`errno=${EPERM}`);
  });

  it("runs ordinary commands: a shell pipeline, node with a child process and file I/O", async () => {
    const program = compileBpf(DEFAULT_PROFILE, arch);
    const sh = await bwrap(["/bin/sh", "-c", "echo ok; ls / | grep -x usr; (echo sub) | cat"], program);
    expect(sh).toEqual({ status: 0, stdout: "ok\nusr\nsub\n", stderr: "" });
    const js = [
      "const cp = require('node:child_process');",
      "const fs = require('node:fs');",
      "fs.readFileSync('/proc/self/status');",
      "console.log(cp.execFileSync('/bin/echo', ['child']).toString().trim());",
      "new (require('node:worker_threads').Worker)('1', { eval: true }).on('exit', () => console.log(1));",
    ].join(" ");
    const node = await bwrap([process.execPath, "-e", js], program);
    expect(node).toEqual({ status: 0, stdout: "child\n1\n", stderr: "" });
  });

  it("is really installed: the sandboxed process reports a seccomp filter", async () => {
    const run = await bwrap(
      ["/bin/sh", "-c", "grep -E '^Seccomp:' /proc/self/status"],
      compileBpf(DEFAULT_PROFILE, arch),
    );
    expect(run.stdout).toBe("Seccomp:\t2\n");
  });
});
