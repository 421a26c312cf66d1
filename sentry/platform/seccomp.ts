// Builds the guests' seccomp program from the syscall policy.
//
// The program checks the architecture, then finds the syscall number with a
// balanced binary search (a few comparisons whatever the table's size) and
// returns the action the policy gives that number. Numbers the policy does
// not name are traced, so the sentry logs them and answers ENOSYS.
import { BPF, BPF_MAXINSNS, encodeProgram, type Insn, SECCOMP_DATA } from '../abi/bpf.js';

/**
 * The syscall number the filter turns into a user notification for a task
 * stopped by ptrace that must receive a descriptor (exec): the sentry makes
 * the task call it. A guest calling it on its own gets ENOSYS.
 */
export const FD_MARKER_NR = 0x3ffffff0;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_USER_NOTIF = 0x7fc00000;
const RET_TRACE = 0x7ff00000;
/**
 * The SECCOMP_RET_DATA of the sentry's RET_TRACE: a seccomp stop without it
 * comes from a guest's own filter (its RET_TRACE beat the sentry's ALLOW, or
 * tied with the sentry's RET_TRACE and, being newer, gave its data).
 */
export const SENTRY_TRACE_DATA = 0x7476;
const RET_TRACE_SENTRY = RET_TRACE | SENTRY_TRACE_DATA;
const RET_ALLOW = 0x7fff0000;


/** What the filter does with one system call. */
export type Action =
  | { kind: 'allow' }
  | { kind: 'trace' }
  | { kind: 'notify' }
  | { kind: 'errno'; errno: number }
  /** Allowed unless the (low 32 bits of the) argument has one of `mask`'s bits: then errno. */
  | { kind: 'allowUnlessBits'; arg: number; mask: number; errno: number }
  /** Allowed when the argument's low 32 bits is one of `values`, else traced. */
  | { kind: 'allowIfOneOf'; arg: number; values: readonly number[] }
  /**
   * Notified when the argument's low 32 bits is one of `values`, or is
   * `masked.value` while argument `masked.arg` has one of `masked.mask`'s
   * bits; else allowed.
   */
  | { kind: 'notifyIfOneOf'; arg: number; values: readonly number[];
      masked?: { readonly value: number; readonly arg: number; readonly mask: number } }
  /** Allowed when each listed argument's low 32 bits is its value (a call on the caller itself), else notified. */
  | { kind: 'allowIfEqual'; args: readonly (readonly [arg: number, value: number])[] }
  /** Allowed when the argument (both of its 32-bit halves: a pointer) is 0, else notified. */
  | { kind: 'allowIfNull'; arg: number };

/** What the action does with a call whose arguments' low and high 32 bits are `arg(i)` and `argHigh(i)`, as the program decides it. */
export function verdict(a: Action, arg: (i: number) => number, argHigh: (i: number) => number = () => 0): 'allow' | 'trace' | 'notify' | 'errno' {
  switch (a.kind) {
    case 'allowUnlessBits': return (arg(a.arg) & a.mask) !== 0 ? 'errno' : 'allow';
    case 'allowIfOneOf': return a.values.some((v) => (v >>> 0) === (arg(a.arg) >>> 0)) ? 'allow' : 'trace';
    case 'notifyIfOneOf': {
      const m = a.masked;
      const hit = a.values.some((v) => (v >>> 0) === (arg(a.arg) >>> 0)) ||
        (m !== undefined && (m.value >>> 0) === (arg(a.arg) >>> 0) && (arg(m.arg) & m.mask) !== 0);
      return hit ? 'notify' : 'allow';
    }
    case 'allowIfEqual': return a.args.every(([i, v]) => (v >>> 0) === (arg(i) >>> 0)) ? 'allow' : 'notify';
    case 'allowIfNull': return (arg(a.arg) >>> 0) === 0 && (argHigh(a.arg) >>> 0) === 0 ? 'allow' : 'notify';
    default: return a.kind;
  }
}


function retOf(a: Action): number {
  switch (a.kind) {
    case 'allow': return RET_ALLOW;
    case 'trace': return RET_TRACE_SENTRY;
    case 'notify': return RET_USER_NOTIF;
    case 'errno': return RET_ERRNO | (a.errno & 0xffff);
    default: throw new Error(`action ${a.kind} has no single return`);
  }
}

const ret = (k: number): Insn => ({ code: BPF.RET_K, jt: 0, jf: 0, k: k >>> 0 });

/** Returns `match` when the argument's low 32 bits is one of `values`, else `other`. */
function oneOf(arg: number, values: readonly number[], match: number, other: number): Insn[] {
  const out: Insn[] = [{ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(arg) }];
  values.forEach((v, i) => out.push({ code: BPF.JMP_JEQ_K, jt: values.length - i, jf: 0, k: v >>> 0 }));
  out.push(ret(other), ret(match));
  return out;
}

function leaf(a: Action): Insn[] {
  switch (a.kind) {
    case 'allowUnlessBits':
      return [
        { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(a.arg) },
        { code: BPF.JMP_JSET_K, jt: 0, jf: 1, k: a.mask >>> 0 },
        ret(RET_ERRNO | a.errno),
        ret(RET_ALLOW),
      ];
    case 'allowIfOneOf': return oneOf(a.arg, a.values, RET_ALLOW, RET_TRACE_SENTRY);
    case 'notifyIfOneOf': {
      const m = a.masked;
      if (!m) return oneOf(a.arg, a.values, RET_USER_NOTIF, RET_ALLOW);
      // The listed values, then the masked one, whose other argument is tested.
      const out: Insn[] = [{ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(a.arg) }];
      a.values.forEach((v, i) => out.push({ code: BPF.JMP_JEQ_K, jt: a.values.length - i + 3, jf: 0, k: v >>> 0 }));
      out.push(
        { code: BPF.JMP_JEQ_K, jt: 0, jf: 2, k: m.value >>> 0 },
        { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(m.arg) },
        { code: BPF.JMP_JSET_K, jt: 1, jf: 0, k: m.mask >>> 0 },
        ret(RET_ALLOW),
        ret(RET_USER_NOTIF),
      );
      return out;
    }
    case 'allowIfEqual': {
      // Each argument that differs jumps over the rest to the notification.
      const n = a.args.length;
      return [
        ...a.args.flatMap(([arg, value], i) => [
          { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(arg) },
          { code: BPF.JMP_JEQ_K, jt: 0, jf: 2 * (n - i) - 1, k: value >>> 0 },
        ]),
        ret(RET_ALLOW),
        ret(RET_USER_NOTIF),
      ];
    }
    case 'allowIfNull':
      return [
        { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argLow(a.arg) },
        { code: BPF.JMP_JEQ_K, jt: 0, jf: 3, k: 0 },
        { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.argHigh(a.arg) },
        { code: BPF.JMP_JEQ_K, jt: 0, jf: 1, k: 0 },
        ret(RET_ALLOW),
        ret(RET_USER_NOTIF),
      ];
    default:
      return [ret(retOf(a))];
  }
}

interface Range { lo: number; hi: number; action: Action }

function sameAction(a: Action, b: Action): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Ranges [lo, hi] of numbers sharing one action, covering 0 .. X32_SYSCALL_BIT-1. */
function ranges(policy: ReadonlyMap<number, Action>, fallback: Action): Range[] {
  const out: Range[] = [];
  const push = (lo: number, hi: number, action: Action) => {
    const last = out[out.length - 1];
    if (last && last.hi === lo - 1 && sameAction(last.action, action)) last.hi = hi;
    else out.push({ lo, hi, action });
  };
  let next = 0;
  for (const nr of [...policy.keys()].sort((a, b) => a - b)) {
    if (nr > next) push(next, nr - 1, fallback);
    push(nr, nr, policy.get(nr)!);
    next = nr + 1;
  }
  if (next < X32_SYSCALL_BIT) push(next, X32_SYSCALL_BIT - 1, fallback);
  return out;
}

/** The search tree over ranges: `nr >= mid.lo` goes right, through a long jump. */
function tree(rs: Range[]): Insn[] {
  if (rs.length === 1) return leaf(rs[0]!.action);
  const mid = rs.length >> 1;
  const left = tree(rs.slice(0, mid));
  const right = tree(rs.slice(mid));
  return [
    { code: BPF.JMP_JGE_K, jt: 0, jf: 1, k: rs[mid]!.lo },
    { code: BPF.JMP_JA, jt: 0, jf: 0, k: left.length },
    ...left,
    ...right,
  ];
}

/** The whole program as struct sock_filter[] bytes, and its length in instructions. */
export function buildFilter(policy: ReadonlyMap<number, Action>, fallback: Action): { bytes: Uint8Array; length: number } {
  const prog: Insn[] = [
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.ARCH },
    { code: BPF.JMP_JEQ_K, jt: 1, jf: 0, k: AUDIT_ARCH_X86_64 },
    { code: BPF.RET_K, jt: 0, jf: 0, k: RET_KILL_PROCESS },
    { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA.NR },
    { code: BPF.JMP_JGE_K, jt: 0, jf: 1, k: X32_SYSCALL_BIT },
    { code: BPF.RET_K, jt: 0, jf: 0, k: RET_ERRNO | 38 /* ENOSYS */ },
    ...tree(ranges(policy, fallback)),
  ];
  if (prog.length > BPF_MAXINSNS) throw new Error(`seccomp program too long: ${prog.length}`);
  return { bytes: encodeProgram(prog), length: prog.length };
}
