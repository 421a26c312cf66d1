// Compiles an OCI config's `linux.seccomp` profile into a classic BPF seccomp program for
// x86-64, as runc gets one from libseccomp. The container's process installs it right before
// its execve; the host kernel runs it beside the sentry's own filter (docs/design.md, "OCI
// seccomp profiles", records each decision).
//
// Semantics: per architecture section, a call whose number the profile names is matched against
// that name's rules in the profile's order, the first rule whose argument comparisons all hold
// giving its action; any other call gets the default action. Comparisons are on the full 64-bit
// seccomp_data argument (high half, then low half). The program is a binary search over the
// numbers (as sentry/platform/seccomp.ts), every exit a shared return, long jumps where an
// offset passes 255.

import { BPF, BPF_MAXINSNS, encodeProgram, SECCOMP_DATA } from '../../sentry/abi/bpf.js';
import { FD_MARKER_NR } from '../../sentry/platform/seccomp.js';
import { SYSCALLS } from '../../sentry/syscalls/numbers.js';
import { ConfigError } from './errors.js';
import { I386_SYSCALLS, X32_SYSCALLS } from './syscall-tables.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const X32_SYSCALL_BIT = 0x40000000;
const MAX_ERRNO = 4095;
const EPERM = 1;
const ENOSYS = 38;

const RET_KILL_PROCESS = 0x80000000;
const RET_KILL_THREAD = 0x00000000;
const RET_TRAP = 0x00030000;
const RET_ERRNO = 0x00050000;
const RET_TRACE = 0x7ff00000;
const RET_LOG = 0x7ffc0000;
const RET_ALLOW = 0x7fff0000;
/** libseccomp's default for a call of an architecture the filter was not built for. */
const RET_BAD_ARCH = RET_KILL_THREAD;

/** The SECCOMP_FILTER_FLAG_* a profile may ask for; the installer passes them to seccomp(2). */
const FILTER_FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};
/** Flags the spec names that only make sense with a listener, which tvisor does not give. */
const LISTENER_FLAGS = new Set(['SECCOMP_FILTER_FLAG_NEW_LISTENER', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']);

/**
 * Architectures libseccomp knows. The x86 family gets a section each; the others cannot reach
 * a filter on an x86-64 kernel (their calls would go to the bad-architecture return anyway).
 */
const OTHER_ARCHES = new Set([
  'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
]);

type Op = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
const OPS: readonly Op[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

interface Comparison { index: number; op: Op; value: bigint; valueTwo: bigint }
interface Rule { comparisons: Comparison[]; ret: number }
interface Profile {
  defaultRet: number;
  defaultAllows: boolean;
  x32: boolean;
  i386: boolean;
  flags: number;
  /** The rules in the profile's order, each with the names it applies to. */
  rules: { names: string[]; rule: Rule }[];
}

// ---- validation ----------------------------------------------------------------------------

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new ConfigError(field, 'must be an array of strings');
  v.forEach((s, i) => { if (typeof s !== 'string') throw new ConfigError(`${field}[${i}]`, 'must be a string'); });
  return v as string[];
}

function uint64(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new ConfigError(field, `${v} is not a 64-bit unsigned integer`);
    return v;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(field, `must be an unsigned integer, got ${JSON.stringify(v)}`);
  // JSON numbers past 2^53 have already lost their low bits: refuse rather than compare another value.
  if (!Number.isSafeInteger(v)) throw new ConfigError(field, `${v} is past 2^53 and cannot be read exactly from JSON`);
  return BigInt(v);
}

function errnoOf(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_ERRNO) {
    throw new ConfigError(field, `must be an errno number in 0..${MAX_ERRNO}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The SECCOMP_RET_* value of an action; `errnoRet` is its data where the action takes one. */
function actionRet(action: unknown, errnoRet: unknown, field: string, errnoField: string): number {
  if (typeof action !== 'string') throw new ConfigError(field, `must be a string, got ${JSON.stringify(action)}`);
  const data = (fallback: number) => (errnoRet === undefined ? fallback : errnoOf(errnoRet, errnoField));
  const takesNoData = () => {
    if (errnoRet !== undefined) throw new ConfigError(errnoField, `${action} takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`);
  };
  switch (action) {
    case 'SCMP_ACT_ERRNO': return RET_ERRNO | data(EPERM);
    // runc's data for a trace without errnoRet.
    case 'SCMP_ACT_TRACE': return RET_TRACE | data(EPERM);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': takesNoData(); return RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': takesNoData(); return RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP': takesNoData(); return RET_TRAP;
    case 'SCMP_ACT_LOG': takesNoData(); return RET_LOG;
    case 'SCMP_ACT_ALLOW': takesNoData(); return RET_ALLOW;
    case 'SCMP_ACT_NOTIFY':
      throw new ConfigError(field, 'SCMP_ACT_NOTIFY is not supported: the sentry holds the sandbox\'s only seccomp listener');
    default: throw new ConfigError(field, `unknown action ${action}`);
  }
}

function comparison(v: unknown, field: string): Comparison {
  if (!isObject(v)) throw new ConfigError(field, 'must be an object');
  const { index, op } = v;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) {
    throw new ConfigError(`${field}.index`, `must be an argument index in 0..5, got ${JSON.stringify(index)}`);
  }
  if (typeof op !== 'string') throw new ConfigError(`${field}.op`, `must be a string, got ${JSON.stringify(op)}`);
  if (!(OPS as readonly string[]).includes(op)) throw new ConfigError(`${field}.op`, `unknown operator ${op}`);
  if (v.value === undefined) throw new ConfigError(`${field}.value`, 'is required');
  const value = uint64(v.value, `${field}.value`);
  const valueTwo = v.valueTwo === undefined ? 0n : uint64(v.valueTwo, `${field}.valueTwo`);
  return { index, op: op as Op, value, valueTwo };
}

function parseProfile(p: unknown, field: string): Profile {
  if (!isObject(p)) throw new ConfigError(field, 'must be an object');
  if (p.defaultAction === undefined) throw new ConfigError(`${field}.defaultAction`, 'is required');
  const defaultRet = actionRet(p.defaultAction, p.defaultErrnoRet, `${field}.defaultAction`, `${field}.defaultErrnoRet`);

  let x32 = false;
  let i386 = false;
  if (p.architectures !== undefined && p.architectures !== null) {
    const arches = stringArray(p.architectures, `${field}.architectures`);
    arches.forEach((a, i) => {
      if (a === 'SCMP_ARCH_X32') x32 = true;
      else if (a === 'SCMP_ARCH_X86') i386 = true;
      else if (a !== 'SCMP_ARCH_X86_64' && !OTHER_ARCHES.has(a)) throw new ConfigError(`${field}.architectures[${i}]`, `unknown architecture ${a}`);
    });
    if (arches.length > 0 && !arches.includes('SCMP_ARCH_X86_64')) {
      throw new ConfigError(`${field}.architectures`, 'must list SCMP_ARCH_X86_64 (the container runs x86-64 programs) or be absent');
    }
  }

  let flags = 0;
  if (p.flags !== undefined && p.flags !== null) {
    stringArray(p.flags, `${field}.flags`).forEach((f, i) => {
      const at = `${field}.flags[${i}]`;
      if (LISTENER_FLAGS.has(f)) throw new ConfigError(at, `${f} is not supported: it needs a seccomp listener, which the sentry holds`);
      const bit = FILTER_FLAGS[f];
      if (bit === undefined) throw new ConfigError(at, `unknown or unsupported flag ${f}`);
      flags |= bit;
    });
  }
  if (p.listenerPath !== undefined && p.listenerPath !== '') {
    throw new ConfigError(`${field}.listenerPath`, 'is not supported: the sentry holds the sandbox\'s only seccomp listener');
  }
  if (p.listenerMetadata !== undefined && p.listenerMetadata !== '') {
    throw new ConfigError(`${field}.listenerMetadata`, 'is not supported (it goes with listenerPath)');
  }

  const rules: Profile['rules'] = [];
  if (p.syscalls !== undefined && p.syscalls !== null) {
    if (!Array.isArray(p.syscalls)) throw new ConfigError(`${field}.syscalls`, 'must be an array');
    p.syscalls.forEach((s: unknown, i: number) => {
      const at = `${field}.syscalls[${i}]`;
      if (!isObject(s)) throw new ConfigError(at, 'must be an object');
      if (s.names === undefined) throw new ConfigError(`${at}.names`, 'is required');
      const names = stringArray(s.names, `${at}.names`);
      if (names.length === 0) throw new ConfigError(`${at}.names`, 'must name at least one system call');
      if (s.action === undefined) throw new ConfigError(`${at}.action`, 'is required');
      const ret = actionRet(s.action, s.errnoRet, `${at}.action`, `${at}.errnoRet`);
      let comparisons: Comparison[] = [];
      if (s.args !== undefined && s.args !== null) {
        if (!Array.isArray(s.args)) throw new ConfigError(`${at}.args`, 'must be an array');
        comparisons = s.args.map((a: unknown, j: number) => comparison(a, `${at}.args[${j}]`));
      }
      rules.push({ names, rule: { comparisons, ret } });
    });
  }
  return { defaultRet, defaultAllows: defaultRet === RET_ALLOW || defaultRet === RET_LOG, x32, i386, flags, rules };
}

// ---- assembly --------------------------------------------------------------------------------


type Label = number;
type Item =
  | { kind: 'label'; label: Label }
  | { kind: 'stmt'; code: number; k: number }
  | { kind: 'jump'; code: number; k: number; t: Label; f: Label }
  | { kind: 'ja'; to: Label };

/** A program under construction: straight code, conditional jumps to labels, labels. */
class Assembler {
  private items: Item[] = [];
  private labels = 0;
  private rets = new Map<number, Label>();

  label(): Label { return this.labels++; }
  place(label: Label): void { this.items.push({ kind: 'label', label }); }
  load(offset: number): void { this.items.push({ kind: 'stmt', code: BPF.LD_W_ABS, k: offset }); }
  and(mask: number): void { this.items.push({ kind: 'stmt', code: BPF.ALU_AND_K, k: mask >>> 0 }); }
  jump(code: number, k: number, t: Label, f: Label): void { this.items.push({ kind: 'jump', code, k: k >>> 0, t, f }); }
  goto(to: Label): void { this.items.push({ kind: 'ja', to }); }
  /** A label on `ret value`, one per value, placed at the end of the program. */
  ret(value: number): Label {
    let l = this.rets.get(value >>> 0);
    if (l === undefined) { l = this.label(); this.rets.set(value >>> 0, l); }
    return l;
  }

  /**
   * The instructions. A conditional jump whose offset passes 255 becomes `j?? 0,1; ja t; ja f`;
   * growing one may push another past 255, so the layout is redone until none grows.
   */
  finish(): { code: number; jt: number; jf: number; k: number }[] {
    const items: Item[] = [...this.items];
    for (const [value, label] of this.rets) items.push({ kind: 'label', label }, { kind: 'stmt', code: BPF.RET_K, k: value });
    const long = new Set<number>();
    for (;;) {
      const at = new Map<Label, number>();
      const size = (it: Item, i: number) => (it.kind === 'label' ? 0 : it.kind === 'jump' && long.has(i) ? 3 : 1);
      let pc = 0;
      items.forEach((it, i) => { if (it.kind === 'label') at.set(it.label, pc); pc += size(it, i); });
      let grew = false;
      pc = 0;
      items.forEach((it, i) => {
        if (it.kind === 'jump' && !long.has(i)) {
          const dt = at.get(it.t)! - pc - 1;
          const df = at.get(it.f)! - pc - 1;
          if (dt > 255 || df > 255) { long.add(i); grew = true; }
        }
        pc += size(it, i);
      });
      if (grew) continue;
      const out: { code: number; jt: number; jf: number; k: number }[] = [];
      for (const [i, it] of items.entries()) {
        const pcNow = out.length;
        const rel = (l: Label, from: number) => {
          const d = at.get(l)! - from - 1;
          if (d < 0) throw new Error('seccomp compiler: backward jump');
          return d;
        };
        if (it.kind === 'stmt') out.push({ code: it.code, jt: 0, jf: 0, k: it.k });
        else if (it.kind === 'ja') out.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: rel(it.to, pcNow) });
        else if (it.kind === 'jump' && long.has(i)) {
          out.push({ code: it.code, jt: 0, jf: 1, k: it.k });
          out.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: rel(it.t, pcNow + 1) });
          out.push({ code: BPF.JMP_JA, jt: 0, jf: 0, k: rel(it.f, pcNow + 2) });
        } else if (it.kind === 'jump') out.push({ code: it.code, jt: rel(it.t, pcNow), jf: rel(it.f, pcNow), k: it.k });
      }
      return out;
    }
  }
}

const high = (v: bigint) => Number((v >> 32n) & 0xffff_ffffn);
const low = (v: bigint) => Number(v & 0xffff_ffffn);

/** Jumps to `pass` when the 64-bit argument satisfies `c`, else to `fail`: high half first. */
function compare(asm: Assembler, c: Comparison, pass: Label, fail: Label): void {
  const lowHalf = asm.label();
  const hi = high(c.value);
  const lo = low(c.value);
  asm.load(SECCOMP_DATA.argHigh(c.index));
  // The high half decides unless it equals the value's; then the low half does, unsigned.
  const ordered = (above: Label, below: Label, lowCode: number, lowTrue: Label, lowFalse: Label) => {
    const equalHigh = asm.label();
    asm.jump(BPF.JMP_JGT_K, hi, above, equalHigh);
    asm.place(equalHigh);
    asm.jump(BPF.JMP_JEQ_K, hi, lowHalf, below);
    asm.place(lowHalf);
    asm.load(SECCOMP_DATA.argLow(c.index));
    asm.jump(lowCode, lo, lowTrue, lowFalse);
  };
  switch (c.op) {
    case 'SCMP_CMP_EQ':
    case 'SCMP_CMP_NE': {
      const [t, f] = c.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
      asm.jump(BPF.JMP_JEQ_K, hi, lowHalf, f);
      asm.place(lowHalf);
      asm.load(SECCOMP_DATA.argLow(c.index));
      asm.jump(BPF.JMP_JEQ_K, lo, t, f);
      return;
    }
    case 'SCMP_CMP_GT': return ordered(pass, fail, BPF.JMP_JGT_K, pass, fail);
    case 'SCMP_CMP_GE': return ordered(pass, fail, BPF.JMP_JGE_K, pass, fail);
    case 'SCMP_CMP_LE': return ordered(fail, pass, BPF.JMP_JGT_K, fail, pass);
    case 'SCMP_CMP_LT': return ordered(fail, pass, BPF.JMP_JGE_K, fail, pass);
    case 'SCMP_CMP_MASKED_EQ': {
      // value is the mask, valueTwo the datum (runc's order for libseccomp's SCMP_CMP_MASKED_EQ).
      asm.and(hi);
      asm.jump(BPF.JMP_JEQ_K, high(c.valueTwo), lowHalf, fail);
      asm.place(lowHalf);
      asm.load(SECCOMP_DATA.argLow(c.index));
      asm.and(lo);
      asm.jump(BPF.JMP_JEQ_K, low(c.valueTwo), pass, fail);
      return;
    }
  }
}

/** The rules of one number, cut after the first that has no comparison (later ones never run). */
function reachable(rules: Rule[]): Rule[] {
  const cut = rules.findIndex((r) => r.comparisons.length === 0);
  return cut < 0 ? rules : rules.slice(0, cut + 1);
}

/**
 * Entries of rule lists: a list is tried in order, then `fallback`. Identical lists share one
 * block of code; a list whose first rule has no comparison is just that rule's return.
 */
class RuleBlocks {
  private blocks = new Map<string, { entry: Label; rules: Rule[]; fallback: number }>();
  constructor(private asm: Assembler) {}

  entry(rules: Rule[], fallback: number): Label {
    if (rules.length === 0) return this.asm.ret(fallback);
    if (rules[0]!.comparisons.length === 0) return this.asm.ret(rules[0]!.ret);
    const key = JSON.stringify(rules, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + `|${fallback}`;
    let block = this.blocks.get(key);
    if (!block) { block = { entry: this.asm.label(), rules, fallback }; this.blocks.set(key, block); }
    return block.entry;
  }

  /** Places every block asked for (after the code that jumps to them). */
  place(): void {
    const asm = this.asm;
    for (const { entry, rules, fallback } of this.blocks.values()) {
      asm.place(entry);
      rules.forEach((rule, i) => {
        const next = i + 1 < rules.length ? asm.label() : asm.ret(fallback);
        const action = asm.ret(rule.ret);
        rule.comparisons.forEach((c, j) => {
          const pass = j + 1 < rule.comparisons.length ? asm.label() : action;
          compare(asm, c, pass, next);
          if (pass !== action) asm.place(pass);
        });
        if (i + 1 < rules.length) asm.place(next);
      });
    }
    this.blocks.clear();
  }
}

interface Range { lo: number; rules: Rule[]; fallback: number }

/**
 * One architecture's section over the numbers lo..hi, entered with the number in A: a binary
 * search over ranges of numbers sharing their code, then the rules' code.
 */
function section(asm: Assembler, numbers: Map<number, Rule[]>, lo: number, hi: number, profile: Profile, sentryOwn: number[] = []): void {
  const profiles = [...numbers.keys()].sort((a, b) => a - b);
  // runc's rule: numbers past the highest the profile names (calls newer than the profile) get
  // ENOSYS rather than a refusing default, so that libc falls back to older calls.
  const newest = profiles.length > 0 && !profile.defaultAllows ? profiles[profiles.length - 1]! : hi;
  for (const nr of sentryOwn) numbers.set(nr, [{ comparisons: [], ret: RET_ALLOW }]);
  const named = [...numbers.keys()].sort((a, b) => a - b);
  const ranges: Range[] = [];
  const push = (from: number, rules: Rule[], fallback: number) => ranges.push({ lo: from, rules, fallback });
  const pushRest = (from: number, to: number) => {
    if (from <= Math.min(to, newest)) push(from, [], profile.defaultRet);
    if (to > newest) push(Math.max(from, newest + 1), [], RET_ERRNO | ENOSYS);
  };
  let next = lo;
  for (const nr of named) {
    if (nr > next) pushRest(next, nr - 1);
    push(nr, reachable(numbers.get(nr)!), profile.defaultRet);
    next = nr + 1;
  }
  if (next <= hi) pushRest(next, hi);

  const blocks = new RuleBlocks(asm);
  const starts: number[] = [];
  const targets: Label[] = [];
  for (const r of ranges) {
    const target = blocks.entry(r.rules, r.fallback);
    if (targets[targets.length - 1] === target) continue; // same code as the numbers before: one range
    starts.push(r.lo);
    targets.push(target);
  }
  // Each node sends numbers >= its middle range's first to the right; children follow it.
  const node = (from: number, to: number, here: Label): void => {
    const mid = (from + to) >> 1;
    const left = mid - from === 1 ? targets[from]! : asm.label();
    const right = to - mid === 1 ? targets[mid]! : asm.label();
    asm.place(here);
    asm.jump(BPF.JMP_JGE_K, starts[mid]!, right, left);
    if (mid - from > 1) node(from, mid, left);
    if (to - mid > 1) node(mid, to, right);
  };
  if (targets.length === 1) asm.goto(targets[0]!);
  else node(0, targets.length, asm.label());
  blocks.place();
}

/** Numbers → rules for one architecture; names it does not have are skipped, as libseccomp does. */
function numbersFor(profile: Profile, table: Readonly<Record<string, number>>, base: number): Map<number, Rule[]> {
  const out = new Map<number, Rule[]>();
  for (const { names, rule } of profile.rules) {
    for (const name of names) {
      if (!Object.hasOwn(table, name)) continue;
      const nr = (base + table[name]!) >>> 0;
      const list = out.get(nr) ?? [];
      if (!list.includes(rule)) list.push(rule);
      out.set(nr, list);
    }
  }
  return out;
}

function program(profile: Profile): { code: number; jt: number; jf: number; k: number }[] {
  const asm = new Assembler();
  const x8664 = asm.label();
  const i386 = asm.label();
  const x32 = asm.label();
  const badArch = asm.ret(RET_BAD_ARCH);
  asm.load(SECCOMP_DATA.ARCH);
  if (profile.i386) {
    const notX8664 = asm.label();
    asm.jump(BPF.JMP_JEQ_K, AUDIT_ARCH_X86_64, x8664, notX8664);
    asm.place(notX8664);
    asm.jump(BPF.JMP_JEQ_K, AUDIT_ARCH_I386, i386, badArch);
  } else {
    asm.jump(BPF.JMP_JEQ_K, AUDIT_ARCH_X86_64, x8664, badArch);
  }
  asm.place(x8664);
  asm.load(SECCOMP_DATA.NR);
  const native = asm.label();
  // x32 calls share x86-64's audit token and set the x32 bit; without SCMP_ARCH_X32 they are a bad architecture.
  asm.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, profile.x32 ? x32 : badArch, native);
  asm.place(native);
  // The sentry's fd marker must reach the sentry's filter (its notification outranks ALLOW): the
  // sentry makes a guest call it during every exec, and Linux has no such call.
  section(asm, numbersFor(profile, SYSCALLS, 0), 0, X32_SYSCALL_BIT - 1, profile, [FD_MARKER_NR]);
  if (profile.x32) {
    asm.place(x32);
    section(asm, numbersFor(profile, X32_SYSCALLS, X32_SYSCALL_BIT), X32_SYSCALL_BIT, 0xffff_ffff, profile);
  }
  if (profile.i386) {
    asm.place(i386);
    asm.load(SECCOMP_DATA.NR);
    section(asm, numbersFor(profile, I386_SYSCALLS, 0), 0, 0xffff_ffff, profile);
  }
  return asm.finish();
}

/**
 * The BPF program (struct sock_filter[], 8 little-endian bytes an instruction) enforcing an OCI
 * seccomp profile on x86-64. Throws ConfigError naming the field (under `field`) that is
 * malformed or asks for what tvisor does not support.
 */
export function compileSeccomp(profile: unknown, field = 'linux.seccomp'): Uint8Array {
  const insns = program(parseProfile(profile, field));
  if (insns.length > BPF_MAXINSNS) {
    throw new ConfigError(field, `the profile compiles to ${insns.length} BPF instructions, more than the kernel's ${BPF_MAXINSNS}`);
  }
  return encodeProgram(insns);
}

/** The SECCOMP_FILTER_FLAG_* bits the profile's `flags` ask seccomp(2) for (validated as compileSeccomp does). */
export function seccompFilterFlags(profile: unknown, field = 'linux.seccomp'): number {
  return parseProfile(profile, field).flags;
}
