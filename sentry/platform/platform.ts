// The platform: how guests' system calls reach the sentry and how it answers.
//
// Trapped calls arrive as seccomp user notifications (two wake-ups per call;
// an fd is answered atomically with SECCOMP_IOCTL_NOTIF_ADDFD). ptrace
// follows fork, clone, exec and exit, delivers signals, and serves execve,
// which must be rewritten (seccomp RET_TRACE). One loop waits for both.
import { E, SysErr } from '../kernel/errno.js';
import { EV, EVENT_SLOTS, native, SLOT, tv } from './native.js';

const PTRACE_O_TRACESYSGOOD = 0x01;
const PTRACE_O_TRACEFORK = 0x02;
const PTRACE_O_TRACEVFORK = 0x04;
const PTRACE_O_TRACECLONE = 0x08;
const PTRACE_O_TRACEEXEC = 0x10;
const PTRACE_O_TRACESECCOMP = 0x80;
const PTRACE_O_EXITKILL = 0x100000;

export const PTRACE_OPTIONS = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
  PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

/**
 * The syscall number the filter turns into a user notification for a task
 * stopped by ptrace that must receive a descriptor (exec): the sentry makes
 * the task call it. A guest calling it on its own gets ENOSYS.
 */
export const FD_MARKER_NR = 0x3ffffff0;


export { EV };

/** One decoded event; the numbers are copied out of the shared event buffer. */
export class TrapEvent {
  readonly pid: number;
  readonly kind: number;
  readonly status: number;
  readonly aux: number;
  private readonly raw: Int32Array;

  constructor(buf: Int32Array) {
    this.raw = buf.slice(0, EVENT_SLOTS);
    this.pid = buf[SLOT.PID]!;
    this.kind = buf[SLOT.KIND]!;
    this.status = buf[SLOT.STATUS]!;
    this.aux = buf[SLOT.AUX]!;
  }

  private u64(slot: number): number {
    return (this.raw[slot + 1]! >>> 0) * 0x1_0000_0000 + (this.raw[slot]! >>> 0);
  }
  private i64(slot: number): number { return this.raw[slot + 1]! * 0x1_0000_0000 + (this.raw[slot]! >>> 0); }

  get msg(): number { return this.u64(SLOT.MSG); }
  /** A notification's id, as the two halves the native calls take. */
  get idLo(): number { return this.raw[SLOT.MSG]! >>> 0; }
  get idHi(): number { return this.raw[SLOT.MSG + 1]! >>> 0; }
  get nr(): number { return this.raw[SLOT.NR]!; }
  /** The stack pointer, at ptrace stops. */
  get sp(): number { return this.u64(SLOT.SP); }
  /** The return value at a syscall-exit stop (a negative errno on failure). */
  get ret(): number { return this.i64(SLOT.RET); }

  /** Argument i as a signed 32-bit int (fds, flags given to int parameters). */
  int(i: number): number { return this.raw[SLOT.ARGS + 2 * i]!; }
  /** Argument i as an unsigned 32-bit value (modes, unsigned flags). */
  uint(i: number): number { return this.raw[SLOT.ARGS + 2 * i]! >>> 0; }
  /** Argument i as an address or size (up to 2^53; larger values saturate, which no user address is). */
  ptr(i: number): number { return Math.min(this.u64(SLOT.ARGS + 2 * i), Number.MAX_SAFE_INTEGER); }
  /** Argument i as a signed 64-bit value (offsets, lengths). */
  long(i: number): number { return this.i64(SLOT.ARGS + 2 * i); }
}

export class Platform {
  private readonly buf = new Int32Array(EVENT_SLOTS);
  private readonly stopBuf = new Int32Array(EVENT_SLOTS);
  private readonly regsSize = native.regsSize();
  /** Events of other guests that came while the sentry drove one guest through exec. */
  private readonly deferred: TrapEvent[] = [];

  constructor(readonly listener: number) {}

  /** The next event of any guest; null when no guest is left. */
  next(): TrapEvent | null {
    const queued = this.deferred.shift();
    if (queued) return queued;
    const r = native.nextEvent(this.listener, this.buf);
    if (r === -10 /* ECHILD */) return null;
    tv(r);
    return new TrapEvent(this.buf);
  }

  /** Keeps an event for next(). */
  defer(ev: TrapEvent): void { this.deferred.push(ev); }

  /** The next ptrace event of `pid` (-1: of any guest); null when no guest is left. */
  wait(pid = -1): TrapEvent | null {
    const r = native.wait(pid, this.buf);
    if (r === -10 /* ECHILD */) return null;
    tv(r);
    return new TrapEvent(this.buf);
  }

  // ---- notifications ----

  /** Answers a notification: a value, or a negative errno. */
  reply(ev: TrapEvent, value: number): void {
    const isErr = value < 0 && value > -4096;
    native.notifSend(this.listener, ev.idLo, ev.idHi, isErr ? 0 : value, isErr ? value : 0, 0);
  }

  /** Lets the host run the notified call as the guest made it. */
  pass(ev: TrapEvent): void {
    native.notifSend(this.listener, ev.idLo, ev.idHi, 0, 0, 1);
  }

  /** Answers a notification with a new descriptor; returns its number, or a negative errno. */
  replyFd(ev: TrapEvent, hostFd: number, cloexec: boolean): number {
    return native.notifAddfd(this.listener, ev.idLo, ev.idHi, hostFd, cloexec ? 1 : 0);
  }

  // ---- ptrace ----

  resume(pid: number, sig = 0): void { native.cont(pid, sig); }
  resumeToSyscallStop(pid: number, sig = 0): void { tv(native.stepSyscall(pid, sig)); }
  listen(pid: number): void { native.listen(pid); }

  /** At a seccomp stop: skip the call, return `value`, resume. */
  answer(pid: number, value: number): void { native.ret(pid, value); }

  /** At a seccomp stop: run this call instead. */
  replace(pid: number, nr: number, args: readonly number[]): void {
    tv(native.setSyscall(pid, nr, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0));
  }

  /** At a syscall-exit stop: run the syscall instruction again, as this call. */
  rewind(pid: number, nr: number, args: readonly number[]): void {
    tv(native.rewindSyscall(pid, nr, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0));
  }

  saveRegs(pid: number): Uint8Array {
    const regs = new Uint8Array(this.regsSize);
    tv(native.getRegs(pid, regs));
    return regs;
  }
  restoreRegs(pid: number, regs: Uint8Array): void { tv(native.setRegs(pid, regs)); }
  setReturn(pid: number, value: number): void { tv(native.setRet(pid, value)); }

  /**
   * At a seccomp stop: turn the call into the marker, resume, and answer its
   * notification with `hostFd`; the guest's call returns the new descriptor
   * and, with `thenStop`, the guest stops again at the call's exit. Other
   * guests' notifications that arrive meanwhile are kept for next().
   */
  injectFd(pid: number, hostFd: number, cloexec: boolean, thenStop: boolean, holdSignal: (sig: number) => void): number {
    this.replace(pid, FD_MARKER_NR, []);
    const go = () => (thenStop ? this.resumeToSyscallStop(pid) : this.resume(pid));
    go();
    for (;;) {
      const r = native.notifRecv(this.listener, 10, this.buf);
      if (r === 0) {
        // A signal interrupts the call before the sentry has received it
        // (-ERESTARTSYS): hold the signal back and let the kernel restart the
        // call, past the stops that this brings (syscall exit and entry).
        const stop = native.pollStop(pid, this.stopBuf);
        if (stop < 0) throw new SysErr(E.ESRCH);
        if (stop > 0) {
          const ev = new TrapEvent(this.stopBuf);
          if (ev.kind === EV.EXITED || ev.kind === EV.SIGNALED) {
            this.defer(ev);
            throw new SysErr(E.ESRCH);
          }
          if (ev.kind === EV.SIGNAL) holdSignal(ev.status);
          go();
        }
        continue;
      }
      if (r === -E.ENOENT) continue;
      tv(r);
      const ev = new TrapEvent(this.buf);
      if (ev.pid !== pid || ev.nr !== FD_MARKER_NR) {
        this.defer(ev);
        continue;
      }
      return tv(native.notifAddfd(this.listener, ev.idLo, ev.idHi, hostFd, cloexec ? 1 : 0));
    }
  }

  kill(pid: number, sig: number): void { native.kill(pid, sig); }

  /** Answers a notification with `hostFd` (closed before the task runs on); the task's fd, or a negative errno. */
  giveFd(ev: TrapEvent, hostFd: number, cloexec: boolean): number {
    return native.notifGive(this.listener, ev.idLo, ev.idHi, hostFd, cloexec ? 1 : 0);
  }

  /** Opens the FIFO behind `pathFd` (handed over) on a thread that answers the notification; 0 or a negative errno. */
  openWaiting(ev: TrapEvent, pathFd: number, flags: number, cloexec: boolean): number {
    return native.openWaiting(this.listener, ev.idLo, ev.idHi, pathFd, flags, cloexec ? 1 : 0);
  }

  /**
   * Makes a lock call that may wait on a thread that answers the
   * notification: flock(fd, op), or with `fl` (a struct flock)
   * fcntl(fd, F_OFD_SETLKW, fl). A handle for cancelLock, or a negative errno.
   */
  lockWaiting(ev: TrapEvent, fd: number, op: number, fl: Uint8Array | null): number {
    return native.lockWaiting(this.listener, ev.idLo, ev.idHi, fd, fl ? 1 : 0, op, fl);
  }

  /** Ends a lock call's wait (its task died); a lock it took meanwhile is undone. */
  cancelLock(handle: number): void { native.lockCancel(handle); }
}
