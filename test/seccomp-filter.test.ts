// The guests' seccomp program against the policy it is built from: a small
// classic-BPF interpreter runs the program on seccomp_data and its return
// must be the action verdict() gives (the function the sentry also uses to
// tell its own trace stops from a guest filter's).
import { describe, expect, it } from 'vitest';
import { BPF, SECCOMP_DATA } from '../sentry/abi/bpf.js';
import { F, O } from '../sentry/abi/flags.js';
import { AUDIT_ARCH_X86_64, verdict } from '../sentry/platform/seccomp.js';
import { SYSCALLS } from '../sentry/syscalls/numbers.js';
import { guestFilter, handlerTable, seccompPolicy } from '../sentry/syscalls/table.js';

/** Runs the program on a call with these argument low (and high) words; the action's class. */
function run(bytes: Uint8Array, nr: number, args: number[], high: number[] = []): 'allow' | 'trace' | 'notify' | 'errno' | 'kill' {
  const data = new DataView(new ArrayBuffer(64));
  data.setUint32(SECCOMP_DATA.NR, nr, true);
  data.setUint32(SECCOMP_DATA.ARCH, AUDIT_ARCH_X86_64, true);
  args.forEach((a, i) => data.setUint32(SECCOMP_DATA.argLow(i), a >>> 0, true));
  high.forEach((a, i) => data.setUint32(SECCOMP_DATA.argHigh(i), a >>> 0, true));
  const prog = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let acc = 0;
  for (let pc = 0; pc * 8 < bytes.length;) {
    const code = prog.getUint16(pc * 8, true), jt = prog.getUint8(pc * 8 + 2), jf = prog.getUint8(pc * 8 + 3);
    const k = prog.getUint32(pc * 8 + 4, true);
    pc++;
    switch (code) {
      case BPF.LD_W_ABS: acc = data.getUint32(k, true); break;
      case BPF.JMP_JA: pc += k; break;
      case BPF.JMP_JEQ_K: pc += acc === k ? jt : jf; break;
      case BPF.JMP_JGE_K: pc += acc >= k ? jt : jf; break;
      case BPF.JMP_JGT_K: pc += acc > k ? jt : jf; break;
      case BPF.JMP_JSET_K: pc += (acc & k) !== 0 ? jt : jf; break;
      case BPF.RET_K: {
        const action = (k & 0xffff0000) >>> 0;
        if (action === 0x7fff0000) return 'allow';
        if (action === 0x7ff00000) return 'trace';
        if (action === 0x7fc00000) return 'notify';
        if (action === 0x00050000) return 'errno';
        return 'kill';
      }
      default: throw new Error(`opcode ${code.toString(16)} not interpreted`);
    }
  }
  throw new Error('program ran off its end');
}

describe('the guest seccomp program', () => {
  const table = handlerTable();
  const policy = seccompPolicy(table);
  const { bytes } = guestFilter(table);

  it('traps fcntl F_SETFL only when it asks for O_NOATIME, and the other trapped commands', () => {
    const fcntl = SYSCALLS.fcntl!;
    const cases: [number, number, string][] = [
      [F.GETFL, 0, 'allow'], [F.SETFD, 1, 'allow'], [F.SETFL, O.NONBLOCK | O.APPEND, 'allow'], [F.SETFL, 0, 'allow'],
      [F.SETFL, O.NOATIME, 'notify'], [F.SETFL, O.NOATIME | O.NONBLOCK, 'notify'], [F.GETFL, O.NOATIME, 'allow'],
      [F.SETLK, O.NOATIME, 'notify'], [F.SETLK, 0, 'notify'], [F.NOTIFY, 0, 'notify'], [F.DUPFD, O.NOATIME, 'allow'],
    ];
    for (const [cmd, arg, want] of cases) {
      expect(run(bytes, fcntl, [3, cmd, arg]), `fcntl(3, ${cmd}, ${arg.toString(8)})`).toBe(want);
      expect(verdict(policy.get(fcntl)!, (i) => [3, cmd, arg][i] ?? 0)).toBe(want);
    }
  });

  it('keeps the sockets\' data path native: sendto without an address, recvfrom, recvmsg, sendmsg', () => {
    // A pointer, as its low and high words: NULL, a heap address, one whose low word is 0.
    const pointers: [number, number][] = [[0, 0], [0x5a5a1000, 0x5555], [0, 0x7fff]];
    const native = ['recvfrom', 'recvmsg', 'sendmsg', 'recvmmsg', 'sendmmsg', 'accept', 'accept4', 'getsockname', 'getpeername'];
    for (const [lo, hi] of pointers) {
      for (const name of native) {
        const args = [3, lo, 64, 0, lo, 16], high = [0, hi, 0, 0, hi, 0];
        expect(run(bytes, SYSCALLS[name]!, args, high), `${name} with pointers ${hi}:${lo}`).toBe('allow');
      }
      // sendto(fd, buf, len, flags, dest_addr, addrlen): trapped only when dest_addr is not NULL.
      const want = lo === 0 && hi === 0 ? 'allow' : 'notify';
      const args = [3, 0x5a5a2000, 64, 0, lo, lo || hi ? 110 : 0], high = [0, 0x5555, 0, 0, hi, 0];
      expect(run(bytes, SYSCALLS.sendto!, args, high), `sendto to ${hi}:${lo}`).toBe(want);
      expect(verdict(policy.get(SYSCALLS.sendto!)!, (i) => args[i] ?? 0, (i) => high[i] ?? 0)).toBe(want);
    }
  });

  it('gives every call of the policy the action verdict() gives, for a spread of arguments', () => {
    const samples = [0, 1, 2, 3, 4, 5, 6, 0x5401, O.NOATIME, O.NOATIME | 4, 0x10000000, 0xffffffff];
    for (const [nr, action] of policy) {
      for (const a of samples) for (const b of samples) {
        const args = [a, b, b, a, 0, 0];
        expect(run(bytes, nr, args), `call ${nr} args ${args.join(',')}`).toBe(verdict(action, (i) => args[i] ?? 0));
      }
    }
  });
});
