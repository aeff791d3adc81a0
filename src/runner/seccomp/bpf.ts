/**
 * Compiles a {@link SeccompProfile} to a classic BPF program, the form `seccomp(2)` with
 * SECCOMP_SET_MODE_FILTER (and bwrap's `--seccomp FD`) takes: an array of
 * `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }`, 8 bytes each, in the machine's byte
 * order (little-endian on both supported architectures).
 *
 * The program is a fixed pipeline:
 *  1. load `seccomp_data.arch`; a foreign architecture (i386 via `int 0x80`, arm32 compat) kills
 *     the process — its syscall numbers mean different things, so the rules would not apply;
 *  2. load `seccomp_data.nr`; on x86_64 any x32 call (nr has bit 30 set) fails with EPERM;
 *  3. one block per denied syscall, in number order: `jeq #nr` then the rules' argument checks
 *     and `ret` (the first matching rule wins; the profile validator makes rules agree);
 *  4. `ret ALLOW`.
 *
 * Argument conditions compare the LOW 32 BITS of `args[i]` only (offset 16 + 8·i on
 * little-endian). That is deliberate: flag masks (clone's CLONE_NEWUSER) live in the low word,
 * and for `int` arguments the kernel ignores the upper half of the register, so comparing all
 * 64 bits would let garbage in the upper half slip past an `eq`. Profile values are therefore
 * limited to 32 bits.
 *
 * Conditional jumps in classic BPF reach at most 255 instructions ahead. Argument checks only
 * jump within their own rule (≤ 6 conditions, so ≤ 19 instructions); a syscall block longer than
 * 255 instructions is skipped with `jeq #nr, 1, 0` + `ja +len` (32-bit offset) instead.
 */

import { BulwarkError } from "../../core/index.js";
import type { SeccompProfile, SeccompRule } from "../types.js";
import { EPERM, validateProfile } from "./profile.js";
import {
  AUDIT_ARCH,
  SECCOMP_ARCHES,
  type SeccompArch,
  syscallName,
  syscallNumber,
  toSeccompArch,
  X32_SYSCALL_BIT,
} from "./syscalls.js";

/** `struct sock_filter`. */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The opcodes the compiler emits (linux/bpf_common.h: class | size | mode | op | source). */
export const BPF = {
  /** BPF_LD | BPF_W | BPF_ABS: A = 32-bit word at offset k of seccomp_data. */
  LD_W_ABS: 0x20,
  /** BPF_ALU | BPF_AND | BPF_K: A &= k. */
  ALU_AND_K: 0x54,
  /** BPF_JMP | BPF_JA: pc += k (32-bit, forward only). */
  JMP_JA: 0x05,
  /** BPF_JMP | BPF_JEQ | BPF_K. */
  JMP_JEQ_K: 0x15,
  /** BPF_JMP | BPF_JGT | BPF_K. */
  JMP_JGT_K: 0x25,
  /** BPF_JMP | BPF_JGE | BPF_K. */
  JMP_JGE_K: 0x35,
  /** BPF_JMP | BPF_JSET | BPF_K: jump if A & k. */
  JMP_JSET_K: 0x45,
  /** BPF_RET | BPF_K. */
  RET_K: 0x06,
} as const;

/** Filter return values (linux/seccomp.h). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
const SECCOMP_RET_ACTION_FULL = 0xffff0000;
const SECCOMP_RET_DATA = 0x0000ffff;

/** Offsets in `struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }`. */
export const SECCOMP_DATA = { nr: 0, arch: 4, instructionPointer: 8, args: 16 } as const;

/** BPF_MAXINSNS: the kernel refuses longer programs. */
export const BPF_MAXINSNS = 4096;
const MAX_SHORT_JUMP = 255;

const ld = (offset: number): SockFilter => ({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: offset });
const and = (mask: number): SockFilter => ({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k: mask >>> 0 });
const jeq = (k: number, jt: number, jf: number): SockFilter => ({ code: BPF.JMP_JEQ_K, jt, jf, k: k >>> 0 });
const jset = (k: number, jt: number, jf: number): SockFilter => ({ code: BPF.JMP_JSET_K, jt, jf, k });
const ja = (k: number): SockFilter => ({ code: BPF.JMP_JA, jt: 0, jf: 0, k });
const ret = (k: number): SockFilter => ({ code: BPF.RET_K, jt: 0, jf: 0, k: k >>> 0 });

const retErrno = (errno: number) => ret(SECCOMP_RET.ERRNO | (errno & SECCOMP_RET_DATA));

function actionOf(rule: SeccompRule): SockFilter {
  switch (rule.action) {
    case "errno":
      return retErrno(rule.errno ?? EPERM);
    case "kill":
      return ret(SECCOMP_RET.KILL_PROCESS);
    default: {
      const never: never = rule.action;
      throw new BulwarkError("INTERNAL", `seccomp: unknown action ${String(never)}`);
    }
  }
}

/** Offset of the low 32 bits of `args[index]` (little-endian). */
const argLow = (index: number) => SECCOMP_DATA.args + 8 * index;

function shortJump(distance: number): number {
  if (distance > MAX_SHORT_JUMP)
    throw new BulwarkError("INTERNAL", `seccomp: conditional jump of ${distance} exceeds ${MAX_SHORT_JUMP}`);
  return distance;
}

/** One rule: its argument checks (each jumping past the rule when it fails) and its `ret`. */
function ruleCode(rule: SeccompRule): SockFilter[] {
  let code: SockFilter[] = [actionOf(rule)];
  for (const arg of [...(rule.args ?? [])].reverse()) {
    const skip = shortJump(code.length);
    const load = [ld(argLow(arg.index))];
    switch (arg.op) {
      case "eq":
        code = [...load, jeq(arg.value, 0, skip), ...code];
        break;
      case "ne":
        code = [...load, jeq(arg.value, skip, 0), ...code];
        break;
      case "masked-eq":
        code = [...load, and(arg.mask ?? 0), jeq(arg.value, 0, skip), ...code];
        break;
      default: {
        const never: never = arg.op;
        throw new BulwarkError("INTERNAL", `seccomp: unknown argument op ${String(never)}`);
      }
    }
  }
  return code;
}

/** `if (nr == N) { rules… }`, leaving A = nr for the next block whichever way it is left. */
function syscallBlock(nr: number, rules: readonly SeccompRule[]): SockFilter[] {
  const body: SockFilter[] = [];
  let returns = false;
  for (const rule of rules) {
    body.push(...ruleCode(rule));
    if ((rule.args ?? []).length === 0) {
      returns = true; // later rules for this syscall are unreachable
      break;
    }
  }
  if (!returns) body.push(ld(SECCOMP_DATA.nr)); // the argument checks overwrote A
  if (body.length <= MAX_SHORT_JUMP) return [jeq(nr, 0, body.length), ...body];
  return [jeq(nr, 1, 0), ja(body.length), ...body];
}

/** Rules per syscall number on `arch`, numbers ascending, rules in profile order. */
function rulesByNumber(profile: SeccompProfile, arch: SeccompArch): [number, SeccompRule[]][] {
  const byNr = new Map<number, SeccompRule[]>();
  for (const rule of profile.rules) {
    for (const name of rule.names) {
      const nr = syscallNumber(arch, name);
      if (nr === undefined) continue; // not on this architecture
      const list = byNr.get(nr) ?? [];
      if (!list.includes(rule)) list.push(rule);
      byNr.set(nr, list);
    }
  }
  return [...byNr.entries()].sort((a, b) => a[0] - b[0]);
}

/** The program as instructions (before encoding); see {@link compileBpf}. */
export function compileInstructions(profile: SeccompProfile, arch: string = process.arch): SockFilter[] {
  const target = toSeccompArch(arch);
  validateProfile(profile);
  const prog: SockFilter[] = [
    ld(SECCOMP_DATA.arch),
    jeq(AUDIT_ARCH[target], 1, 0),
    ret(SECCOMP_RET.KILL_PROCESS),
    ld(SECCOMP_DATA.nr),
  ];
  if (target === "x86_64") prog.push(jset(X32_SYSCALL_BIT, 0, 1), retErrno(EPERM));
  for (const [nr, rules] of rulesByNumber(profile, target)) prog.push(...syscallBlock(nr, rules));
  prog.push(ret(SECCOMP_RET.ALLOW));
  if (prog.length > BPF_MAXINSNS)
    throw new BulwarkError(
      "INPUT_TOO_LARGE",
      `seccomp profile "${profile.name}" compiles to ${prog.length} BPF instructions for ${target}; ` +
        `the kernel accepts at most ${BPF_MAXINSNS}`,
      { details: { instructions: prog.length, limit: BPF_MAXINSNS } },
    );
  return prog;
}

/**
 * The profile as a classic BPF program for `arch` (kernel or `process.arch` spelling; default:
 * this machine), ready for `seccomp(SECCOMP_SET_MODE_FILTER)` or bwrap's `--seccomp FD`.
 * Throws INPUT_INVALID for an invalid profile or unsupported architecture, INPUT_TOO_LARGE past
 * BPF_MAXINSNS instructions.
 */
export function compileBpf(profile: SeccompProfile, arch: string = process.arch): Uint8Array {
  return encodeProgram(compileInstructions(profile, arch));
}

export function encodeProgram(prog: readonly SockFilter[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const view = new DataView(out.buffer);
  prog.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, true);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  return out;
}

export function decodeProgram(program: Uint8Array): SockFilter[] {
  if (program.length % 8 !== 0)
    throw new BulwarkError("INPUT_INVALID", `BPF program length ${program.length} is not a multiple of 8`);
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const out: SockFilter[] = [];
  for (let off = 0; off < program.length; off += 8)
    out.push({
      code: view.getUint16(off, true),
      jt: view.getUint8(off + 2),
      jf: view.getUint8(off + 3),
      k: view.getUint32(off + 4, true),
    });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Debugging aids: a disassembler and an interpreter for the instructions the compiler emits.

/** The input of a seccomp filter; `args` are the low 32 bits of each argument. */
export interface SeccompData {
  readonly nr: number;
  readonly arch: number;
  readonly args?: readonly number[];
}

function loadWord(data: SeccompData, offset: number): number {
  if (offset === SECCOMP_DATA.nr) return data.nr >>> 0;
  if (offset === SECCOMP_DATA.arch) return data.arch >>> 0;
  const i = (offset - SECCOMP_DATA.args) / 8;
  if (Number.isInteger(i) && i >= 0 && i < 6) return (data.args?.[i] ?? 0) >>> 0;
  return 0; // instruction pointer and upper argument words: not modelled
}

/**
 * Runs a program on one syscall the way the kernel would and returns the filter's verdict
 * (a SECCOMP_RET_* value). Supports the instructions {@link compileBpf} emits.
 */
export function runBpf(program: Uint8Array | readonly SockFilter[], data: SeccompData): number {
  const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
  let a = 0;
  let pc = 0;
  for (let steps = 0; steps <= prog.length; steps++) {
    const ins = prog[pc];
    if (!ins) throw new BulwarkError("INPUT_INVALID", `BPF: fell off the end of the program at ${pc}`);
    pc++;
    switch (ins.code) {
      case BPF.LD_W_ABS:
        a = loadWord(data, ins.k);
        break;
      case BPF.ALU_AND_K:
        a = (a & ins.k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += ins.k;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === ins.k ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGT_K:
        pc += a > ins.k ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= ins.k ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JSET_K:
        pc += (a & ins.k) !== 0 ? ins.jt : ins.jf;
        break;
      case BPF.RET_K:
        return ins.k;
      default:
        throw new BulwarkError("INPUT_INVALID", `BPF: unsupported opcode 0x${ins.code.toString(16)}`);
    }
  }
  throw new BulwarkError("INPUT_INVALID", "BPF: program does not terminate");
}

function describeReturn(k: number): string {
  const data = k & SECCOMP_RET_DATA;
  switch ((k & SECCOMP_RET_ACTION_FULL) >>> 0) {
    case SECCOMP_RET.KILL_PROCESS:
      return "KILL_PROCESS";
    case SECCOMP_RET.KILL_THREAD:
      return "KILL_THREAD";
    case SECCOMP_RET.TRAP:
      return "TRAP";
    case SECCOMP_RET.ERRNO:
      return `ERRNO(${data})`;
    case SECCOMP_RET.USER_NOTIF:
      return "USER_NOTIF";
    case SECCOMP_RET.TRACE:
      return `TRACE(${data})`;
    case SECCOMP_RET.LOG:
      return "LOG";
    case SECCOMP_RET.ALLOW:
      return "ALLOW";
    default:
      return "?";
  }
}

function describeLoad(offset: number): string {
  if (offset === SECCOMP_DATA.nr) return "nr";
  if (offset === SECCOMP_DATA.arch) return "arch";
  if (offset === SECCOMP_DATA.instructionPointer || offset === SECCOMP_DATA.instructionPointer + 4)
    return "instruction_pointer";
  const rel = offset - SECCOMP_DATA.args;
  return `args[${Math.floor(rel / 8)}] (${rel % 8 === 0 ? "low" : "high"} 32 bits)`;
}

function archOf(prog: readonly SockFilter[]): SeccompArch | undefined {
  for (const ins of prog) {
    if (ins.code !== BPF.JMP_JEQ_K) continue;
    const found = SECCOMP_ARCHES.find((arch) => AUDIT_ARCH[arch] === ins.k);
    if (found) return found;
  }
  return undefined;
}

const hex = (n: number) => `0x${n.toString(16)}`;

function jumpName(code: number): string {
  switch (code) {
    case BPF.JMP_JEQ_K:
      return "jeq";
    case BPF.JMP_JGT_K:
      return "jgt";
    case BPF.JMP_JGE_K:
      return "jge";
    default:
      return "jset";
  }
}

/**
 * A text listing, one instruction a line with absolute jump targets and comments: what a load
 * reads, which syscall a `jeq` on `nr` tests (names from the table of `arch`, by default the
 * architecture the program checks for), what a `ret` does.
 */
export function disassemble(program: Uint8Array | readonly SockFilter[], arch?: string): string {
  const prog = program instanceof Uint8Array ? decodeProgram(program) : program;
  const target = arch === undefined ? archOf(prog) : toSeccompArch(arch);
  let loaded = "";
  const lines = prog.map((ins, pc) => {
    let text: string;
    let note = "";
    const to = (d: number) => pc + 1 + d;
    switch (ins.code) {
      case BPF.LD_W_ABS:
        loaded = describeLoad(ins.k);
        text = `ld [${ins.k}]`;
        note = loaded;
        break;
      case BPF.ALU_AND_K:
        loaded = `${loaded} & ${hex(ins.k)}`;
        text = `and #${hex(ins.k)}`;
        break;
      case BPF.JMP_JA:
        text = `ja ${to(ins.k)}`;
        break;
      case BPF.JMP_JEQ_K:
      case BPF.JMP_JGT_K:
      case BPF.JMP_JGE_K:
      case BPF.JMP_JSET_K: {
        const op = jumpName(ins.code);
        const k = loaded === "nr" && op !== "jset" ? String(ins.k) : hex(ins.k);
        text = `${op} #${k}, ${to(ins.jt)}, ${to(ins.jf)}`;
        if (loaded === "arch") {
          const a = SECCOMP_ARCHES.find((x) => AUDIT_ARCH[x] === ins.k);
          note = a ? `AUDIT_ARCH_${a.toUpperCase()}` : "";
        } else if (loaded === "nr") {
          if (op === "jset" && ins.k === X32_SYSCALL_BIT) note = "x32 ABI";
          else if (op === "jeq" && target) note = syscallName(target, ins.k) ?? "";
        }
        break;
      }
      case BPF.RET_K:
        text = `ret #${hex(ins.k)}`;
        note = describeReturn(ins.k);
        break;
      default:
        text = `.insn code=${hex(ins.code)} jt=${ins.jt} jf=${ins.jf} k=${hex(ins.k)}`;
    }
    const line = `${String(pc).padStart(4)}: ${text}`;
    return note ? `${line.padEnd(40)} ; ${note}` : line;
  });
  return lines.join("\n") + "\n";
}
