// The seccomp-notify + ptrace platform: how guests' system calls reach the
// sentry and how it answers, on a stock Linux kernel.
//
// Trapped calls arrive as seccomp user notifications (two wake-ups per call;
// an fd is answered atomically with SECCOMP_IOCTL_NOTIF_ADDFD). ptrace
// follows fork, clone, exec and exit, delivers signals, and serves execve,
// which must be rewritten (seccomp RET_TRACE). One loop waits for both.
import { E, SysErr } from '../abi/errno.js';
import { AT } from '../abi/flags.js';
import { SOL_SOCKET } from '../abi/socket.js';
import { closeSync, readFileSync } from 'node:fs';
import { EV, EVENT_SLOTS, native, tv } from '../host/native.js';
import { type ExecHooks, type ExecOutcome, type ExecRequest, type Platform, type StopHooks, TrapEvent } from './platform.js';
import { FD_MARKER_NR } from './seccomp.js';
import { FdInstallChooser } from './fd-install.js';
import { type GuestMemory, type MemoryOwner, ProcessVmMemory } from './memory.js';

const PTRACE_O_TRACESYSGOOD = 0x01;
const PTRACE_O_TRACEFORK = 0x02;
const PTRACE_O_TRACEVFORK = 0x04;
const PTRACE_O_TRACECLONE = 0x08;
const PTRACE_O_TRACEEXEC = 0x10;
const PTRACE_O_TRACESECCOMP = 0x80;
const PTRACE_O_EXITKILL = 0x100000;

export const PTRACE_OPTIONS = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
  PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

const SYS_CLOSE = 3;
const SYS_MMAP = 9;
const SYS_MUNMAP = 11;
const PROT_READ_WRITE = 0x3;
const MAP_PRIVATE_ANONYMOUS = 0x22;
const SYS_IOCTL = 16;
const TIOCSCTTY = 0x540e;
const SYS_RECVMSG = 47;
const SYS_DUP3 = 292;
const SYS_EXECVEAT = 322;
const O_CLOEXEC = 0o2000000;
const MSG_CTRUNC = 0x8;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SCM_RIGHTS = 1;
/** Below the stack pointer, what the x86-64 ABI lets a function use without moving it. */
const RED_ZONE = 128;
/** user_regs_struct.rsp */
const RSP_OFFSET = 19 * 8;
const RAX_OFFSET = 10 * 8;
const ORIG_RAX_OFFSET = 15 * 8;
/** rdi, rsi, rdx, r10, r8, r9: a call's arguments in struct user_regs_struct. */
const ARG_OFFSETS = [14 * 8, 13 * 8, 12 * 8, 7 * 8, 9 * 8, 8 * 8];
const ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514, ERESTART_RESTARTBLOCK = 516;

/** -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK: the call is restarted after a signal. */
const isRestart = (ret: number) =>
  ret === -ERESTARTSYS || ret === -ERESTARTNOINTR || ret === -ERESTARTNOHAND || ret === -ERESTART_RESTARTBLOCK;

/**
 * Whether the stopped task has a signal it does not block pending, so that a
 * restart code at its syscall exit is the kernel's (and not an errno a guest's
 * filter chose to return).
 */
function hasUnblockedSignal(tid: number): boolean {
  let status: string;
  try { status = readFileSync(`/proc/${tid}/status`, 'latin1'); } catch { return false; }
  const mask = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1] ?? '0'));
  return ((mask('SigPnd') | mask('ShdPnd')) & ~mask('SigBlk')) !== 0n;
}

export class PtracePlatform implements Platform {
  private readonly buf = new Int32Array(EVENT_SLOTS);
  private readonly stopBuf = new Int32Array(EVENT_SLOTS);
  private readonly regsSize = native.regsSize();
  /** Events of other guests that came while the sentry drove one guest through exec. */
  private readonly deferred: TrapEvent[] = [];
  /** Fds whose readiness is an event too (EV.FD): the sentry's control connections. */
  private watched = new Int32Array(0);
  /** Which way new descriptors go into notified tasks (fd-install.ts). */
  private readonly fdInstall = new FdInstallChooser();

  constructor(readonly listener: number) {}

  watch(fd: number): void { this.watched = Int32Array.from([...this.watched, fd]); }
  unwatch(fd: number): void { this.watched = this.watched.filter((w) => w !== fd); }
  memory(owner: MemoryOwner): GuestMemory { return new ProcessVmMemory(owner); }

  /** The next event of any guest; null when no guest is left. */
  next(): TrapEvent | null {
    const queued = this.deferred.shift();
    if (queued) return queued;
    const r = native.nextEvent(this.listener, this.watched, this.watched.length, this.buf);
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
    return this.installFd(ev, hostFd, cloexec, true);
  }

  /** replyFd; `timed` false for the call an exec injects, which the new program's start follows (FdInstallChooser). */
  private installFd(ev: TrapEvent, hostFd: number, cloexec: boolean, timed: boolean): number {
    return this.fdInstall.install((hold) =>
      native.notifAddfd(this.listener, ev.idLo, ev.idHi, ev.pid, hostFd, cloexec ? 1 : 0, hold ? 1 : 0), timed);
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

  interruptedCall(pid: number): { nr: number; args: number[] } | null {
    const regs = new Uint8Array(this.regsSize);
    if (native.getRegs(pid, regs) < 0) return null;
    const v = new DataView(regs.buffer);
    const nr = Number(v.getBigInt64(ORIG_RAX_OFFSET, true));
    const ret = Number(v.getBigInt64(RAX_OFFSET, true));
    if (nr < 0 || (ret !== -ERESTARTSYS && ret !== -ERESTARTNOHAND)) return null;
    return { nr, args: ARG_OFFSETS.map((o) => v.getUint32(o, true)) };
  }

  restartAfterHandler(pid: number): void { tv(native.setRet(pid, -ERESTARTNOINTR)); }

  setStackPointer(pid: number, sp: number): void {
    const regs = this.saveRegs(pid);
    new DataView(regs.buffer).setBigUint64(RSP_OFFSET, BigInt(sp), true);
    this.restoreRegs(pid, regs);
  }

  /**
   * The exec at ptrace stops of the calling task (see syscalls/exec.ts):
   *   1. at the seccomp stop of execve, the call becomes the fd marker; the fd
   *      arrives and the task stops at the call's exit (if the guest's own
   *      seccomp filter ended the marker first, the exec fails with its errno);
   *   2. rewind: the syscall instruction runs again as execveat(fd, "", argv, envp, AT_EMPTY_PATH);
   *   3. it is followed to its end: the exec event (done), ETXTBSY (once:
   *      hooks.beforeRetry, and it runs again), or a failure at the call's
   *      exit: close the fd, restore the registers, return the error.
   * Each injected call is followed stop by stop to its exit (PTRACE_SYSCALL),
   * never waited for by one expected stop: a guest's filter may end it early.
   */
  execWithFd(pid: number, req: ExecRequest, hooks: ExecHooks): ExecOutcome {
    const saved = this.saveRegs(pid);
    let guestFd: number;
    try {
      guestFd = this.injectFdAt(pid, req.hostFd, true, hooks);
    } finally {
      closeSync(req.hostFd);
    }
    // The guest's own filter refused the marker: the exec fails with its answer.
    if (guestFd < 0) return this.failExec(pid, saved, guestFd, hooks);
    let at = { emptyAddr: req.emptyAddr, argvAddr: req.argvAddr, envp: req.envp };
    let mapping: { addr: number; size: number } | null = null;
    if (req.mapped) {
      const m = this.rerun(pid, SYS_MMAP, [0, req.mapped.size, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0], hooks);
      if (!m) return { kind: 'gone' };
      if (m.ret < 0 && m.ret > -4096) return this.closeAndFail(pid, saved, guestFd, m.ret, null, hooks);
      mapping = { addr: m.ret, size: req.mapped.size };
      try {
        at = req.mapped.write(mapping.addr);
      } catch (e) {
        if (!(e instanceof SysErr)) throw e;
        return this.closeAndFail(pid, saved, guestFd, -e.errno, mapping, hooks);
      }
    }
    let done;
    for (let attempt = 0; ; attempt++) {
      done = this.rerun(pid, SYS_EXECVEAT, [guestFd, at.emptyAddr, at.argvAddr, at.envp, AT.EMPTY_PATH], hooks);
      if (!done) return { kind: 'gone' };
      if (done.kind === EV.SYSCALL_EXIT && done.ret === -E.ETXTBSY && attempt === 0) {
        hooks.beforeRetry();
        continue;
      }
      break;
    }
    if (done.kind === EV.EXEC) return { kind: 'exec', pid: done.pid, formerTid: done.msg, sp: done.sp };
    return this.closeAndFail(pid, saved, guestFd, done.ret, mapping, hooks);
  }

  /** The exec failed: its fd closed (a guest's filter that refuses close leaves it the close-on-exec fd), its mapping gone. */
  private closeAndFail(pid: number, saved: Uint8Array, guestFd: number, err: number, mapping: { addr: number; size: number } | null,
      hooks: StopHooks): ExecOutcome {
    if (!this.rerun(pid, SYS_CLOSE, [guestFd], hooks)) return { kind: 'gone' };
    if (mapping && !this.rerun(pid, SYS_MUNMAP, [mapping.addr, mapping.size], hooks)) return { kind: 'gone' };
    return this.failExec(pid, saved, err, hooks);
  }

  /**
   * At a syscall-exit stop: runs the syscall instruction again as `nr`, and
   * returns the stop that ends that call (its exit, or the exec event); null
   * if the task died. The task is resumed to every stop in between, so the end
   * is seen whatever the guest's own seccomp filters make of the call (an
   * errno, SIGSYS, death, a RET_TRACE stop).
   */
  private rerun(pid: number, nr: number, args: readonly number[], hooks: StopHooks): TrapEvent | null {
    const resumeSys = (p: number, sig?: number) => this.resumeToSyscallStop(p, sig);
    this.rewind(pid, nr, args);
    this.resumeToSyscallStop(pid);
    for (;;) {
      const ev = hooks.awaitStop([EV.SYSCALL_EXIT, EV.EXEC, EV.SYSCALL_ENTRY, EV.SECCOMP], resumeSys);
      if (!ev || ev.kind === EV.SYSCALL_EXIT || ev.kind === EV.EXEC) return ev;
      this.resumeToSyscallStop(pid);
    }
  }

  /** At a syscall-exit stop: the exec returns `err` (ENOSYS if it is no errno) with the caller's registers. */
  private failExec(pid: number, saved: Uint8Array, err: number, hooks: StopHooks): ExecOutcome {
    this.restoreRegs(pid, saved);
    this.setReturn(pid, err < 0 && err > -4096 ? err : -E.ENOSYS);
    hooks.releaseHeld();
    this.resume(pid);
    return { kind: 'failed' };
  }

  /**
   * At a ptrace stop: the call returns a new descriptor of `hostFd` (or the
   * errno a guest's own filter gave the marker), with the caller's other
   * registers as they were, and the task runs on.
   */
  injectFd(pid: number, hostFd: number, cloexec: boolean, hooks: StopHooks): number {
    const saved = this.saveRegs(pid);
    const fd = this.injectFdAt(pid, hostFd, cloexec, hooks);
    this.restoreRegs(pid, saved);
    this.setReturn(pid, fd);
    hooks.releaseHeld();
    this.resume(pid);
    return fd;
  }

  /**
   * At a seccomp stop: turn the call into the marker and answer its
   * notification with `hostFd`. The task runs to the marker's exit and is
   * left stopped there whatever happened: a guest's own seccomp filter may
   * answer the marker before the sentry sees it (an errno, SIGSYS, death;
   * seccomp's precedence puts those above the sentry's notification), and
   * the sentry must see the end of the call rather than wait for a
   * notification that never comes. Returns the task's new fd, or a negative
   * errno when the marker never reached the sentry (ENOSYS when the guest's
   * filter gave no errno); throws ESRCH if the task died. Signals that stop
   * the task meanwhile are held (hooks.holdSignal); other guests' notifications are
   * kept for next().
   */
  private injectFdAt(pid: number, hostFd: number, cloexec: boolean, hooks: StopHooks): number {
    this.replace(pid, FD_MARKER_NR, []);
    this.resumeToSyscallStop(pid);
    let fd: number | null = null;
    for (;;) {
      if (fd === null) {
        const r = native.notifRecv(this.listener, 10, this.buf);
        if (r > 0) {
          const ev = new TrapEvent(this.buf);
          if (ev.pid !== pid || ev.nr !== FD_MARKER_NR) this.defer(ev);
          else {
            fd = this.installFd(ev, hostFd, cloexec, false);
            // Refused (EMFILE: the guest's table is full): the call still waits, and gets the errno.
            // ENOENT: the task was killed meanwhile; its death comes next.
            if (fd < 0 && fd !== -E.ENOENT) native.notifSend(this.listener, ev.idLo, ev.idHi, 0, fd, 0);
          }
          continue;
        }
        if (r < 0 && r !== -E.ENOENT) tv(r);
      }
      // Once answered, the call's exit comes without anyone's help.
      const stop = fd === null ? native.pollStop(pid, this.stopBuf) : native.wait(pid, this.stopBuf);
      if (stop < 0) throw new SysErr(E.ESRCH);
      if (stop === 0) continue;
      const ev = new TrapEvent(this.stopBuf);
      switch (ev.kind) {
        case EV.EXITED: case EV.SIGNALED:
          this.defer(ev);
          throw new SysErr(E.ESRCH);
        case EV.SYSCALL_EXIT:
          if (fd !== null) return fd;
          // A signal interrupted the wait for the sentry: the kernel restarts
          // the marker once the signal (held) is dealt with.
          if (isRestart(ev.ret) && hasUnblockedSignal(pid)) break;
          return ev.ret < 0 && ev.ret > -4096 ? ev.ret : -E.ENOSYS;
        case EV.SIGNAL:
          // A fault goes in at once (awaitStop): held back, the instruction would fault again.
          if (ev.fault) { this.resumeToSyscallStop(pid, ev.status); continue; }
          hooks.holdSignal(ev.status);
          break;
      }
      // The restart's entry, a signal held back, or any other stop: on to the call's exit.
      this.resumeToSyscallStop(pid);
    }
  }

  /**
   * Answers a notification with an O_PATH descriptor of `pathFd`. ADDFD
   * refuses O_PATH files (the kernel takes its source with fget), unix
   * sockets carry them: the task is interrupted (it will stop on its way back
   * to user mode), the call is answered with one end of a socketpair on which
   * the sentry sent `pathFd`, and at that stop the task is made to receive it
   * (recvmsg), move it to the number the call returned (dup3, so the number is
   * the lowest free one, as an open's) and close the spare; then it runs on
   * with the caller's registers and that number as the result. Each injected
   * call is followed to its end, whatever a guest's own filter makes of it.
   * The call is answered either way; returns the guest's fd or a negative errno.
   */
  replyPathFd(ev: TrapEvent, pathFd: number, cloexec: boolean, hooks: StopHooks): number {
    const pid = ev.pid;
    const pair = new Int32Array(2);
    tv(native.socketpair(pair));
    let fd: number;
    try {
      tv(native.send(pair[0]!, new Uint8Array(1), 1, Int32Array.of(pathFd), 1));
      fd = this.replyFdAndStop(ev, pair[1]!, cloexec, hooks);
    } finally {
      closeSync(pair[0]!);
      closeSync(pair[1]!);
    }
    if (fd < 0) return fd;
    const saved = this.saveRegs(pid);
    const result = this.receivePathFd(pid, saved, fd, cloexec, hooks);
    if (result === null) return -E.ESRCH;
    this.restoreRegs(pid, saved);
    this.setReturn(pid, result);
    hooks.releaseHeld();
    this.resume(pid);
    return result;
  }

  /**
   * Answers a notification with a new descriptor of the pty slave `hostFd`,
   * which the task then takes as its controlling terminal if it may: at a
   * stop on its way back to user mode it runs ioctl(fd, TIOCSCTTY, 0), whose
   * refusal (not a session leader, one already, the tty another session's,
   * not readable) is the open's silent "no", then goes on with the caller's
   * registers and the fd as the result. The call is answered either way; the
   * guest's fd, or a negative errno.
   */
  replyTerminalFd(ev: TrapEvent, hostFd: number, cloexec: boolean, hooks: StopHooks): number {
    const pid = ev.pid;
    const fd = this.replyFdAndStop(ev, hostFd, cloexec, hooks);
    if (fd < 0) return fd;
    const saved = this.saveRegs(pid);
    if (!this.rerun(pid, SYS_IOCTL, [fd, TIOCSCTTY, 0], hooks)) return -E.ESRCH;
    this.restoreRegs(pid, saved);
    this.setReturn(pid, fd);
    hooks.releaseHeld();
    this.resume(pid);
    return fd;
  }

  /**
   * Interrupts the task (it stops on its way back to user mode), answers its
   * call with a new descriptor of `hostFd` and waits for that stop. The
   * guest's fd, the task left stopped; or a negative errno, the task running
   * on (or gone).
   */
  private replyFdAndStop(ev: TrapEvent, hostFd: number, cloexec: boolean, hooks: StopHooks): number {
    const interrupted = native.interrupt(ev.pid);
    // The task is gone (ESRCH), and its notification with it.
    if (interrupted < 0) return interrupted;
    const fd = this.replyFd(ev, hostFd, cloexec);
    // ENOENT: the task was killed meanwhile; anything else, it still waits for an answer.
    if (fd < 0 && fd !== -E.ENOENT) native.notifSend(this.listener, ev.idLo, ev.idHi, 0, fd, 0);
    if (!hooks.awaitStop([EV.STOP], (p, sig) => this.resume(p, sig))) return -E.ESRCH;
    if (fd < 0) {
      hooks.releaseHeld();
      this.resume(ev.pid);
    }
    return fd;
  }

  /**
   * At a stop after the call returned `sock` (a socket with one message
   * carrying an fd): recvmsg, dup3 onto `sock`, close the spare. The result
   * (`sock`, now the received description, or a negative errno); null if the task died.
   */
  private receivePathFd(pid: number, saved: Uint8Array, sock: number, cloexec: boolean, hooks: StopHooks): number | null {
    // struct msghdr (56 bytes), its iovec (16), a control buffer for one fd (CMSG_SPACE(4) = 24), the byte.
    const sp = Number(new DataView(saved.buffer).getBigUint64(RSP_OFFSET, true));
    const msg = Math.floor((sp - RED_ZONE - 128) / 16) * 16;
    const buf = new Uint8Array(104);
    const v = new DataView(buf.buffer);
    v.setBigUint64(16, BigInt(msg + 56), true);
    v.setBigUint64(24, 1n, true);
    v.setBigUint64(32, BigInt(msg + 72), true);
    v.setBigUint64(40, 24n, true);
    v.setBigUint64(56, BigInt(msg + 96), true);
    v.setBigUint64(64, 1n, true);
    let err = native.writeMem(pid, msg, buf, buf.length) === buf.length ? 0 : -E.EFAULT;
    let spare = -1;
    if (!err) {
      const got = this.rerun(pid, SYS_RECVMSG, [sock, msg, cloexec ? MSG_CMSG_CLOEXEC : 0], hooks);
      if (!got) return null;
      if (got.ret < 0) err = got.ret > -4096 ? got.ret : -E.ENOSYS;
      else if (native.readMem(pid, msg, buf, buf.length) !== buf.length) err = -E.EFAULT;
      // No room in the table for it: the kernel drops it and says MSG_CTRUNC.
      else if ((v.getInt32(48, true) & MSG_CTRUNC) || v.getInt32(80, true) !== SOL_SOCKET || v.getInt32(84, true) !== SCM_RIGHTS) err = -E.EMFILE;
      else spare = v.getInt32(88, true);
    }
    if (spare >= 0) {
      const moved = this.rerun(pid, SYS_DUP3, [spare, sock, cloexec ? O_CLOEXEC : 0], hooks);
      if (!moved) return null;
      if (moved.ret < 0) err = moved.ret > -4096 ? moved.ret : -E.ENOSYS;
    }
    if (err) spare = -1;
    if (!this.rerun(pid, SYS_CLOSE, [spare >= 0 ? spare : sock], hooks)) return null;
    return err || sock;
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
