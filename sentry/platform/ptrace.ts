// The seccomp-notify + ptrace platform: how guests' system calls reach the
// sentry and how it answers, on a stock Linux kernel.
//
// Trapped calls arrive as seccomp user notifications (two wake-ups per call;
// an fd is answered atomically with SECCOMP_IOCTL_NOTIF_ADDFD). ptrace
// follows fork, clone, exec and exit, delivers signals, and serves execve,
// which must be rewritten (seccomp RET_TRACE). One loop waits for both.
import { E, SysErr } from '../abi/errno.js';
import { AT } from '../abi/flags.js';
import { closeSync } from 'node:fs';
import { EV, EVENT_SLOTS, native, tv } from '../host/native.js';
import { type ExecHooks, type ExecOutcome, type ExecRequest, type Platform, TrapEvent } from './platform.js';

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

const SYS_CLOSE = 3;
const SYS_EXECVEAT = 322;
/** user_regs_struct.rsp */
const RSP_OFFSET = 19 * 8;


export class PtracePlatform implements Platform {
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
  private resumeToSyscallStop(pid: number, sig = 0): void { tv(native.stepSyscall(pid, sig)); }
  listen(pid: number): void { native.listen(pid); }

  /** At a seccomp stop: skip the call, return `value`, resume. */
  answer(pid: number, value: number): void { native.ret(pid, value); }

  /** At a seccomp stop: run this call instead. */
  private replace(pid: number, nr: number, args: readonly number[]): void {
    tv(native.setSyscall(pid, nr, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0));
  }

  /** At a syscall-exit stop: run the syscall instruction again, as this call. */
  private rewind(pid: number, nr: number, args: readonly number[]): void {
    tv(native.rewindSyscall(pid, nr, args[0] ?? 0, args[1] ?? 0, args[2] ?? 0, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0));
  }

  private saveRegs(pid: number): Uint8Array {
    const regs = new Uint8Array(this.regsSize);
    tv(native.getRegs(pid, regs));
    return regs;
  }
  private restoreRegs(pid: number, regs: Uint8Array): void { tv(native.setRegs(pid, regs)); }
  private setReturn(pid: number, value: number): void { tv(native.setRet(pid, value)); }

  stackPointer(pid: number): number {
    return Number(new DataView(this.saveRegs(pid).buffer).getBigUint64(RSP_OFFSET, true));
  }

  /**
   * The exec at ptrace stops of the calling task (see syscalls/exec.ts):
   *   1. at the seccomp stop of execve, the call becomes the fd marker; the fd
   *      arrives and the task stops at the call's exit;
   *   2. rewind: the syscall instruction runs again as execveat(fd, "", argv, envp, AT_EMPTY_PATH);
   *   3. its seccomp stop is let through; then either the exec event (done),
   *      ETXTBSY (once: hooks.beforeRetry, and it runs again), or a failure at
   *      the call's exit: close the fd, restore the registers, return the error.
   */
  execWithFd(pid: number, req: ExecRequest, hooks: ExecHooks): ExecOutcome {
    const saved = this.saveRegs(pid);
    const resumeSys = (p: number) => this.resumeToSyscallStop(p);
    let guestFd: number;
    try {
      guestFd = this.injectFdAt(pid, req.hostFd, true, true, hooks.holdSignal);
    } finally {
      closeSync(req.hostFd);
    }
    if (!hooks.awaitStop([EV.SYSCALL_EXIT], resumeSys)) return { kind: 'gone' };
    let done;
    for (let attempt = 0; ; attempt++) {
      this.rewind(pid, SYS_EXECVEAT, [guestFd, req.emptyAddr, req.argvAddr, req.envp, AT.EMPTY_PATH]);
      this.resume(pid);
      if (!hooks.awaitStop([EV.SECCOMP], (p) => this.resume(p))) return { kind: 'gone' };
      this.resumeToSyscallStop(pid);
      done = hooks.awaitStop([EV.EXEC, EV.SYSCALL_EXIT], resumeSys);
      if (!done) return { kind: 'gone' };
      if (done.kind === EV.SYSCALL_EXIT && done.ret === -E.ETXTBSY && attempt === 0) {
        hooks.beforeRetry();
        continue;
      }
      break;
    }
    if (done.kind === EV.EXEC) return { kind: 'exec', pid: done.pid, formerTid: done.msg };
    const err = done.ret;
    this.rewind(pid, SYS_CLOSE, [guestFd]);
    this.resumeToSyscallStop(pid);
    if (!hooks.awaitStop([EV.SYSCALL_ENTRY], resumeSys)) return { kind: 'gone' };
    this.resumeToSyscallStop(pid);
    if (!hooks.awaitStop([EV.SYSCALL_EXIT], resumeSys)) return { kind: 'gone' };
    this.restoreRegs(pid, saved);
    this.setReturn(pid, err);
    this.resume(pid);
    return { kind: 'failed' };
  }

  /**
   * At a seccomp stop: turn the call into the marker, resume, and answer its
   * notification with `hostFd`; the guest's call returns the new descriptor
   * and, with `thenStop`, the guest stops again at the call's exit. Other
   * guests' notifications that arrive meanwhile are kept for next().
   */
  injectFd(pid: number, hostFd: number, cloexec: boolean, holdSignal: (sig: number) => void): number {
    return this.injectFdAt(pid, hostFd, cloexec, false, holdSignal);
  }

  private injectFdAt(pid: number, hostFd: number, cloexec: boolean, thenStop: boolean,
      holdSignal: (sig: number) => void): number {
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

  lockWaiting(ev: TrapEvent, fd: number, op: number, fl: Uint8Array | null): number {
    return native.lockWaiting(this.listener, ev.idLo, ev.idHi, fd, fl ? 1 : 0, op, fl);
  }

  cancelLock(handle: number): void { native.lockCancel(handle); }
}
