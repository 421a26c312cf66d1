// The OCI seccomp compiler (src/oci/seccomp.ts): the programs it makes are run here by a small
// classic-BPF interpreter on chosen (number, architecture, arguments), and their answers checked
// against the profile's meaning; malformed profiles fail with the field's path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/oci/errors.js';
import { compileSeccomp, seccompFilterFlags } from '../../src/oci/seccomp.js';
import { FD_MARKER_NR } from '../../sentry/platform/seccomp.js';
import { SYSCALLS } from '../../sentry/syscalls/numbers.js';
import { ROOT } from './imports.js';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;
const X32 = 0x40000000;

const KILL_THREAD = 0;
const KILL_PROCESS = 0x80000000;
const TRAP = 0x00030000;
const ERRNO = (e: number) => 0x00050000 | e;
const TRACE = (d: number) => 0x7ff00000 | d;
const LOG = 0x7ffc0000;
const ALLOW = 0x7fff0000;
const EPERM = 1;
const ENOSYS = 38;

/**
 * Runs a seccomp program as the kernel would, after the checks the kernel makes when loading it
 * (seccomp_check_filter and bpf_check_classic): only the instructions the compiler may use, word
 * loads inside struct seccomp_data, jumps forward and inside the program, at most 4096.
 */
function run(prog: Uint8Array, nr: number, arch = X86_64, args: readonly bigint[] = []): number {
  const view = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const n = prog.byteLength / 8;
  expect(Number.isInteger(n) && n > 0 && n <= 4096).toBe(true);
  const data = new DataView(new ArrayBuffer(64));
  data.setUint32(0, nr >>> 0, true);
  data.setUint32(4, arch >>> 0, true);
  args.forEach((a, i) => data.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  let a = 0;
  for (let pc = 0, steps = 0; steps <= n; steps++) {
    if (pc >= n) throw new Error(`pc ${pc} runs off the program`);
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    const branch = (cond: boolean) => { pc += 1 + (cond ? jt : jf); };
    switch (code) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k + 4 > 64) throw new Error(`load at ${k}`);
        a = data.getUint32(k, true); pc++; break;
      case 0x54: a = (a & k) >>> 0; pc++; break; // and #k
      case 0x05: pc += 1 + k; break; // ja
      case 0x15: branch(a === k); break;
      case 0x25: branch(a > k); break;
      case 0x35: branch(a >= k); break;
      case 0x45: branch((a & k) !== 0); break;
      case 0x06: return k;
      default: throw new Error(`opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('no return');
}

const docker = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/docker-default-seccomp.json'), 'utf8')) as unknown;

/** A profile with these rules and a default action that none of them gives. */
const profile = (syscalls: unknown[], extra: Record<string, unknown> = {}) =>
  ({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls, ...extra });

const messageOf = (f: () => unknown): string => {
  try { f(); } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('Docker\'s default profile', () => {
  const prog = compileSeccomp(docker);

  it('fits the kernel\'s 4096 instructions', () => {
    expect(prog.byteLength % 8).toBe(0);
    expect(prog.byteLength / 8).toBeLessThanOrEqual(4096);
  });

  it('allows the calls it lists, on x86-64, x32 and i386 with each one\'s numbers', () => {
    expect(run(prog, 0)).toBe(ALLOW); // read
    expect(run(prog, 83)).toBe(ALLOW); // mkdir
    expect(run(prog, 158)).toBe(ALLOW); // arch_prctl
    expect(run(prog, X32 + 0)).toBe(ALLOW); // x32 read
    expect(run(prog, X32 + 512)).toBe(ALLOW); // x32 rt_sigaction
    expect(run(prog, 3, I386)).toBe(ALLOW); // i386 read
    expect(run(prog, 102, I386)).toBe(ALLOW); // i386 socketcall (a name x86-64 does not have)
  });

  it('refuses the others with EPERM, and what it names with its own errno', () => {
    expect(run(prog, 272)).toBe(ERRNO(EPERM)); // unshare
    expect(run(prog, 250)).toBe(ERRNO(EPERM)); // keyctl
    expect(run(prog, 165)).toBe(ERRNO(EPERM)); // mount
    expect(run(prog, 310, I386)).toBe(ERRNO(EPERM)); // i386 unshare
    expect(run(prog, X32 + 13)).toBe(ERRNO(EPERM)); // x86-64's own rt_sigaction, not an x32 call
    expect(run(prog, 435)).toBe(ERRNO(ENOSYS)); // clone3: errnoRet 38
  });

  it('answers ENOSYS past the newest call it names, as runc does', () => {
    expect(run(prog, 449)).toBe(ALLOW); // futex_waitv
    expect(run(prog, 452)).toBe(ERRNO(ENOSYS)); // fchmodat2, newer than the profile
    expect(run(prog, 0x3fffffff)).toBe(ERRNO(ENOSYS));
    expect(run(prog, 0xffffffff, I386)).toBe(ERRNO(ENOSYS));
  });

  it('lets the sentry\'s fd marker through to the sentry\'s filter, whatever the default', () => {
    expect(run(prog, FD_MARKER_NR)).toBe(ALLOW);
    expect(run(prog, FD_MARKER_NR - 1)).toBe(ERRNO(ENOSYS));
    expect(run(prog, FD_MARKER_NR + 1)).toBe(ERRNO(ENOSYS));
    expect(run(compileSeccomp({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), FD_MARKER_NR)).toBe(ALLOW);
    expect(run(compileSeccomp({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }), FD_MARKER_NR + 1)).toBe(KILL_PROCESS);
  });

  it('kills calls of an architecture it was not built for', () => {
    expect(run(prog, 0, AARCH64)).toBe(KILL_THREAD);
  });

  it('compares arguments on 64 bits', () => {
    const personality = 135;
    expect(run(prog, personality, X86_64, [0n])).toBe(ALLOW);
    expect(run(prog, personality, X86_64, [0xffffffffn])).toBe(ALLOW);
    expect(run(prog, personality, X86_64, [0x0040000n])).toBe(ERRNO(EPERM)); // ADDR_NO_RANDOMIZE
    expect(run(prog, personality, X86_64, [0x1_00000000n])).toBe(ERRNO(EPERM)); // high half differs
    const socket = 41;
    expect(run(prog, socket, X86_64, [2n])).toBe(ALLOW);
    expect(run(prog, socket, X86_64, [40n])).toBe(ERRNO(EPERM)); // AF_VSOCK
    expect(run(prog, socket, X86_64, [0x1_00000028n])).toBe(ALLOW); // not 40 on 64 bits
    const clone = 56;
    expect(run(prog, clone, X86_64, [0x11n])).toBe(ALLOW); // SIGCHLD | CLONE_VM-less fork
    expect(run(prog, clone, X86_64, [0x10000000n | 0x11n])).toBe(ERRNO(EPERM)); // CLONE_NEWUSER
    expect(run(prog, 120, I386, [0x20000000n])).toBe(ERRNO(EPERM)); // i386 clone, CLONE_NEWNS
  });
});

describe('comparisons', () => {
  const ops = {
    SCMP_CMP_NE: (a: bigint, v: bigint) => a !== v,
    SCMP_CMP_LT: (a: bigint, v: bigint) => a < v,
    SCMP_CMP_LE: (a: bigint, v: bigint) => a <= v,
    SCMP_CMP_EQ: (a: bigint, v: bigint) => a === v,
    SCMP_CMP_GE: (a: bigint, v: bigint) => a >= v,
    SCMP_CMP_GT: (a: bigint, v: bigint) => a > v,
  } as const;
  // Values around the halves' edges, and pairs with equal high or low halves.
  const edges = [0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1_00000000n, 0x1_00000001n, 0x1_ffffffffn,
    0x2_00000000n, 0x1f_ffff_ffff_fffen, 0x1f_ffff_ffff_ffffn];
  const args = [...edges, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xdead_beef_0000_0001n];

  for (const [op, holds] of Object.entries(ops)) {
    it(`${op} orders full 64-bit values, high half first`, () => {
      for (const value of edges) {
        const prog = compileSeccomp(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value, op }] }]));
        for (const arg of args) {
          const got = run(prog, 0, X86_64, [0n, 0n, arg]);
          expect({ op, value, arg, got }).toEqual({ op, value, arg, got: holds(arg, value) ? ALLOW : KILL_PROCESS });
        }
      }
    });
  }

  it('SCMP_CMP_MASKED_EQ compares (arg & value) with valueTwo, on both halves', () => {
    const cases: [bigint, bigint][] = [[0xffn, 0x12n], [0xff_0000_00ffn, 0x12_0000_0034n], [0x1_00000000n, 0n], [0n, 0n]];
    for (const [mask, datum] of cases) {
      const prog = compileSeccomp(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 5, value: mask, valueTwo: datum, op: 'SCMP_CMP_MASKED_EQ' }] }]));
      for (const arg of [...args, 0x12n, 0x112n, 0x12_0000_0034n, 0x13_0000_0034n, 0xab12_0000_ff34n]) {
        const want = (arg & mask) === datum ? ALLOW : KILL_PROCESS;
        expect({ mask, datum, arg, got: run(prog, 0, X86_64, [0n, 0n, 0n, 0n, 0n, arg]) }).toEqual({ mask, datum, arg, got: want });
      }
    }
  });

  it('takes values given as bigint past 2^53', () => {
    const prog = compileSeccomp(profile([{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffff_ffff_ffff_fff0n, op: 'SCMP_CMP_GE' }] }]));
    expect(run(prog, 0, X86_64, [0xffff_ffff_ffff_fff1n])).toBe(ALLOW);
    expect(run(prog, 0, X86_64, [0x0fff_ffff_ffff_fff1n])).toBe(KILL_PROCESS);
  });
});

describe('rules', () => {
  it('ANDs the comparisons of one rule and ORs the rules of one call, the first that matches deciding', () => {
    const prog = compileSeccomp(profile([
      { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 5, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 2, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['write'], action: 'SCMP_ACT_LOG', args: [{ index: 0, value: 9, op: 'SCMP_CMP_EQ' }] },
    ]));
    expect(run(prog, 1, X86_64, [1n, 2n])).toBe(ERRNO(5));
    expect(run(prog, 1, X86_64, [0n, 2n])).toBe(ALLOW);
    expect(run(prog, 1, X86_64, [1n, 3n])).toBe(TRAP);
    expect(run(prog, 1, X86_64, [9n, 3n])).toBe(LOG);
    expect(run(prog, 1, X86_64, [0n, 0n])).toBe(KILL_PROCESS);
  });

  it('stops at a rule without comparisons: later rules of that call never apply', () => {
    const prog = compileSeccomp(profile([
      { names: ['read', 'write'], action: 'SCMP_ACT_ERRNO' },
      { names: ['write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
    ]));
    expect(run(prog, 0)).toBe(ERRNO(EPERM));
    expect(run(prog, 1, X86_64, [1n])).toBe(ERRNO(EPERM));
  });

  it('gives each action its return and data', () => {
    const cases: [Record<string, unknown>, number][] = [
      [{ action: 'SCMP_ACT_KILL' }, KILL_THREAD],
      [{ action: 'SCMP_ACT_KILL_THREAD' }, KILL_THREAD],
      [{ action: 'SCMP_ACT_KILL_PROCESS' }, KILL_PROCESS],
      [{ action: 'SCMP_ACT_TRAP' }, TRAP],
      [{ action: 'SCMP_ACT_ERRNO' }, ERRNO(EPERM)],
      [{ action: 'SCMP_ACT_ERRNO', errnoRet: 38 }, ERRNO(ENOSYS)],
      [{ action: 'SCMP_ACT_ERRNO', errnoRet: 0 }, ERRNO(0)],
      [{ action: 'SCMP_ACT_TRACE' }, TRACE(EPERM)],
      [{ action: 'SCMP_ACT_TRACE', errnoRet: 7 }, TRACE(7)],
      [{ action: 'SCMP_ACT_LOG' }, LOG],
      [{ action: 'SCMP_ACT_ALLOW' }, ALLOW],
    ];
    for (const [rule, ret] of cases) {
      const asRule = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 99, syscalls: [{ names: ['getpid'], ...rule }] });
      expect({ rule, got: run(asRule, 39) }).toEqual({ rule, got: ret });
      expect(run(asRule, 0)).toBe(ERRNO(99));
      const asDefault = compileSeccomp({ defaultAction: rule.action, defaultErrnoRet: rule.errnoRet, syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }] });
      expect({ rule, got: run(asDefault, 0) }).toEqual({ rule, got: ret });
      expect(run(asDefault, 39)).toBe(ERRNO(3));
    }
  });

  it('skips names x86-64 does not have, as libseccomp does', () => {
    const prog = compileSeccomp(profile([{ names: ['no_such_call', 'socketcall', 'read', 'exit_group'], action: 'SCMP_ACT_ALLOW' }]));
    expect(run(prog, 0)).toBe(ALLOW);
    expect(run(prog, 102)).toBe(KILL_PROCESS); // 102 is getuid on x86-64, socketcall on i386
  });

  it('an empty or absent list of calls leaves the default action for everything', () => {
    for (const p of [{ defaultAction: 'SCMP_ACT_ERRNO' }, { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] }]) {
      const prog = compileSeccomp(p);
      for (const nr of [0, 59, 435, 1000]) expect(run(prog, nr)).toBe(ERRNO(EPERM));
    }
  });

  it('answers ENOSYS past the newest named call only when the default refuses', () => {
    const named = [{ names: ['read'], action: 'SCMP_ACT_ERRNO' }];
    expect(run(compileSeccomp({ defaultAction: 'SCMP_ACT_KILL', syscalls: named }), 1)).toBe(ERRNO(ENOSYS));
    expect(run(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: named }), 1)).toBe(ALLOW);
    expect(run(compileSeccomp({ defaultAction: 'SCMP_ACT_LOG', syscalls: named }), 1)).toBe(LOG);
  });
});

describe('architectures', () => {
  const rules = [{ names: ['read', 'rt_sigaction'], action: 'SCMP_ACT_ALLOW' }, { names: ['write'], action: 'SCMP_ACT_ERRNO', errnoRet: 9 }];

  it('without SCMP_ARCH_X32, x32 calls (the x32 bit set) are a bad architecture', () => {
    for (const architectures of [undefined, [], ['SCMP_ARCH_X86_64']]) {
      const prog = compileSeccomp(profile(rules, { architectures }));
      expect(run(prog, 0)).toBe(ALLOW);
      expect(run(prog, 1)).toBe(ERRNO(9));
      expect(run(prog, X32 + 0)).toBe(KILL_THREAD);
      expect(run(prog, 0xffffffff)).toBe(KILL_THREAD);
      expect(run(prog, 3, I386)).toBe(KILL_THREAD);
    }
  });

  it('with SCMP_ARCH_X32, x32 calls are matched by x32 numbers', () => {
    const prog = compileSeccomp(profile(rules, { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] }));
    expect(run(prog, X32 + 0)).toBe(ALLOW);
    expect(run(prog, X32 + 1)).toBe(ERRNO(9));
    expect(run(prog, X32 + 512)).toBe(ALLOW); // x32's rt_sigaction
    expect(run(prog, 13)).toBe(ALLOW); // x86-64's
    expect(run(prog, X32 + 13)).toBe(KILL_PROCESS); // x86-64's own rt_sigaction, not an x32 call: the default
    expect(run(prog, X32 + 513)).toBe(ERRNO(ENOSYS)); // past x32's newest named (512)
    expect(run(prog, 3, I386)).toBe(KILL_THREAD);
  });

  it('with SCMP_ARCH_X86, i386 calls are matched by i386 numbers', () => {
    const prog = compileSeccomp(profile(rules, { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'] }));
    expect(run(prog, 3, I386)).toBe(ALLOW); // i386 read
    expect(run(prog, 4, I386)).toBe(ERRNO(9)); // i386 write
    expect(run(prog, 174, I386)).toBe(ALLOW); // i386 rt_sigaction
    expect(run(prog, 0, I386)).toBe(KILL_PROCESS); // restart_syscall: the default
    expect(run(prog, 3)).toBe(KILL_PROCESS); // x86-64's close
  });

  it('accepts other architectures libseccomp knows, which never reach an x86-64 filter', () => {
    const prog = compileSeccomp(profile(rules, { architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] }));
    expect(run(prog, 0)).toBe(ALLOW);
    expect(run(prog, 63, AARCH64)).toBe(KILL_THREAD);
  });
});

describe('size', () => {
  it('reaches rules more than 255 instructions away through long jumps', () => {
    // One arg rule per call makes each call's code distinct: hundreds of blocks after the search.
    const names = (docker as { syscalls: { names: string[] }[] }).syscalls[0]!.names;
    const syscalls = names.map((name, i) => ({ names: [name], action: 'SCMP_ACT_ERRNO', errnoRet: 1 + (i % 200), args: [{ index: i % 6, value: i, op: 'SCMP_CMP_EQ' }] }));
    const prog = compileSeccomp(profile(syscalls));
    expect(prog.byteLength / 8).toBeGreaterThan(1000);
    let checked = 0;
    names.forEach((name, i) => {
      const nr = SYSCALLS[name];
      if (nr === undefined) return;
      const args = [0n, 0n, 0n, 0n, 0n, 0n];
      args[i % 6] = BigInt(i);
      expect({ name, got: run(prog, nr, X86_64, args) }).toEqual({ name, got: ERRNO(1 + (i % 200)) });
      args[i % 6] = BigInt(i + 1);
      expect({ name, got: run(prog, nr, X86_64, args) }).toEqual({ name, got: KILL_PROCESS });
      checked++;
    });
    expect(checked).toBeGreaterThan(250);
  });

  it('refuses a profile past 4096 instructions, naming the profile', () => {
    const syscalls = Array.from({ length: 600 }, (_, i) => ({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: i, op: 'SCMP_CMP_GT' }] }));
    expect(messageOf(() => compileSeccomp(profile(syscalls), 'x.seccomp'))).toMatch(/^x\.seccomp: the profile compiles to \d+ BPF instructions, more than the kernel's 4096$/);
  });
});

describe('flags', () => {
  it('returns the seccomp(2) flags the profile asks for', () => {
    expect(seccompFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW' })).toBe(0);
    expect(seccompFilterFlags({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC'] })).toBe(7);
  });
});

describe('malformed profiles', () => {
  const ok = { names: ['read'], action: 'SCMP_ACT_ALLOW' };
  const cases: [unknown, string][] = [
    [null, 'linux.seccomp: must be an object'],
    [{}, 'linux.seccomp.defaultAction: is required'],
    [{ defaultAction: 'SCMP_ACT_FOO' }, 'linux.seccomp.defaultAction: unknown action SCMP_ACT_FOO'],
    [{ defaultAction: 'SCMP_ACT_NOTIFY' }, 'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported: the sentry holds the sandbox\'s only seccomp listener'],
    [{ defaultAction: 'SCMP_ACT_ALLOW', defaultErrnoRet: 1 }, 'linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 4096 }, 'linux.seccomp.defaultErrnoRet: must be an errno number in 0..4095, got 4096'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86'] }, 'linux.seccomp.architectures: must list SCMP_ARCH_X86_64 (the container runs x86-64 programs) or be absent'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_Z80'] }, 'linux.seccomp.architectures[1]: unknown architecture SCMP_ARCH_Z80'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: 'SCMP_ARCH_X86_64' }, 'linux.seccomp.architectures: must be an array of strings'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }, 'linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported: it needs a seccomp listener, which the sentry holds'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_LOG', 'FOO'] }, 'linux.seccomp.flags[1]: unknown or unsupported flag FOO'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', listenerPath: '/run/agent.sock' }, 'linux.seccomp.listenerPath: is not supported: the sentry holds the sandbox\'s only seccomp listener'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: {} }, 'linux.seccomp.syscalls: must be an array'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [ok, 3] }, 'linux.seccomp.syscalls[1]: must be an object'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.syscalls[0].names: is required'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.syscalls[0].names: must name at least one system call'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 7], action: 'SCMP_ACT_ALLOW' }] }, 'linux.seccomp.syscalls[0].names[1]: must be a string'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'] }] }, 'linux.seccomp.syscalls[0].action: is required'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [ok, { names: ['read'], action: 'SCMP_ACT_NOTIFY' }] }, 'linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY is not supported: the sentry holds the sandbox\'s only seccomp listener'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL', errnoRet: 1 }] }, 'linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }, 'linux.seccomp.syscalls[0].errnoRet: must be an errno number in 0..4095, got -1'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: {} }] }, 'linux.seccomp.syscalls[0].args: must be an array'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [ok, ok, ok, { ...ok, args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }] }, 'linux.seccomp.syscalls[3].args[0].op: unknown operator SCMP_CMP_FOO'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].index: must be an argument index in 0..5, got 6'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 0, op: 'SCMP_CMP_EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].value: is required'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 0, value: -2, op: 'SCMP_CMP_EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].value: must be an unsigned integer, got -2'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 0, value: 1, valueTwo: 1.5, op: 'SCMP_CMP_MASKED_EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].valueTwo: must be an unsigned integer, got 1.5'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 0, value: 2 ** 60, op: 'SCMP_CMP_EQ' }] }] }, `linux.seccomp.syscalls[0].args[0].value: ${2 ** 60} is past 2^53 and cannot be read exactly from JSON`],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ ...ok, args: [{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }] }] }, 'linux.seccomp.syscalls[0].args[0].value: 18446744073709551616 is not a 64-bit unsigned integer'],
  ];
  for (const [p, message] of cases) {
    it(message, () => {
      expect(messageOf(() => compileSeccomp(p))).toBe(message);
    });
  }

  it('names the field under the path the caller gives', () => {
    expect(messageOf(() => compileSeccomp({}, 'process.seccomp'))).toBe('process.seccomp.defaultAction: is required');
    const e = (() => { try { compileSeccomp({ defaultAction: 1 }); } catch (err) { return err as ConfigError; } return null; })();
    expect(e?.field).toBe('linux.seccomp.defaultAction');
  });
});
