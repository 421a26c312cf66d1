// The platform: what the kernel needs from whatever brings it the guests'
// system calls and carries its answers back (gVisor's platform.Platform).
// PtracePlatform (ptrace.ts: seccomp user notifications and ptrace) is the
// one this sandbox runs on; another (a systrap-style one) implements the
// same interface, and neither the kernel nor the handlers see which.
// Nothing here knows the kernel: events are numbers, tasks are tids.
import { EV, EVENT_SLOTS, SLOT } from '../host/native.js';
import type { GuestMemory, MemoryOwner } from './memory.js';

export { EV };

/** The signals an instruction's fault raises: SIGILL, SIGBUS, SIGFPE, SIGSEGV. */
const FAULTS = new Set([4, 7, 8, 11]);

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
  /**
   * At a signal-delivery stop: the signal is a fault of the task's own instruction (SIGSEGV, SIGBUS, SIGILL, SIGFPE
   * raised by the kernel, si_code > 0, as for an exec that fails past its point of no return), which must go in now:
   * held back, the task would run the instruction again and fault again, for ever.
   */
  get fault(): boolean { return this.kind === EV.SIGNAL && FAULTS.has(this.status) && this.aux > 0; }
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

/** What execWithFd runs: execveat(hostFd as a guest fd, "", argv, envp, AT_EMPTY_PATH), staged by the caller. */
export interface ExecRequest {
  /** The program, as a sentry fd; the platform closes it. */
  hostFd: number;
  /** Guest addresses of the empty path, argv and envp arrays, already written (unless `mapped`). */
  emptyAddr: number;
  argvAddr: number;
  envp: number;
  /**
   * What the caller could not write where the task's memory is mapped (below its stack pointer): the platform maps
   * `size` bytes in the task for the exec (unmapped if it fails), and `write` puts them there, giving the addresses.
   */
  mapped?: { size: number; write(base: number): { emptyAddr: number; argvAddr: number; envp: number } };
}

/**
 * The kernel's side of a multi-step call: it routes the other guests' events
 * meanwhile, and holds the signals that stop the task (awaitStop,
 * holdSignal) until `releaseHeld`, which the platform calls while the task is
 * still stopped, just before it runs on: so a held signal is delivered before
 * the task's next instruction, as one the call raised would be (a guest's
 * filter's SIGSYS), not at some later point of its program.
 */
export interface StopHooks {
  /**
   * The task's next stop of one of `kinds`; others are deferred or resumed with `resume` (with the signal, for a
   * fault: TrapEvent.fault). Null if it died.
   */
  awaitStop(kinds: readonly number[], resume: (pid: number, sig?: number) => void): TrapEvent | null;
  /** A signal that stopped the task meanwhile, seen by the platform itself: sent again at releaseHeld. */
  holdSignal(sig: number): void;
  /** Sends the held signals to the task, still stopped. */
  releaseHeld(): void;
}

/** The kernel's side of an exec. */
export interface ExecHooks extends StopHooks {
  /** The exec failed with ETXTBSY: the sentry drops its writable copies before the one retry. */
  beforeRetry(): void;
}

/**
 * exec: the new program runs (stopped at its exec event, `pid` is the thread group leader, `sp` its initial stack
 * pointer); failed: the error is returned; gone: the task died.
 */
export type ExecOutcome =
  | { kind: 'exec'; pid: number; formerTid: number; sp: number } | { kind: 'failed' } | { kind: 'gone' };

export interface Platform {
  /** The next event of any guest, or EV.FD (aux: the fd) when a watched fd is readable; null when no guest is left. */
  next(): TrapEvent | null;
  /** Makes `fd` readable (or hung up) an event of next(). */
  watch(fd: number): void;
  unwatch(fd: number): void;
  /** The next stop (not notification) of any guest, for a multi-step call; null when none is left. */
  wait(): TrapEvent | null;
  /** Keeps an event for next(). */
  defer(ev: TrapEvent): void;

  // Answers to a notified call.
  /** A value, or a negative errno. */
  reply(ev: TrapEvent, value: number): void;
  /** Lets the host run the call as the guest made it. */
  pass(ev: TrapEvent): void;
  /** A new descriptor of `hostFd` (the sentry keeps its own); the guest's fd, or a negative errno. */
  replyFd(ev: TrapEvent, hostFd: number, cloexec: boolean): number;
  /**
   * A new descriptor of the O_PATH description `pathFd` (the sentry keeps its
   * own), which seccomp's ADDFD cannot pass; the call is answered either way.
   * The guest's fd, or a negative errno.
   */
  replyPathFd(ev: TrapEvent, pathFd: number, cloexec: boolean, hooks: StopHooks): number;
  /**
   * A new descriptor of the pty slave `hostFd` (the sentry keeps its own),
   * which the task takes as its controlling terminal if it may before it runs
   * on (TIOCSCTTY); the call is answered either way. The guest's fd, or a
   * negative errno.
   */
  replyTerminalFd(ev: TrapEvent, hostFd: number, cloexec: boolean, hooks: StopHooks): number;
  /** A new descriptor of `hostFd`, closed on the sentry's side before the task runs on. */
  giveFd(ev: TrapEvent, hostFd: number, cloexec: boolean): number;
  /** Opens the FIFO behind `pathFd` (handed over) on a thread that answers the call; 0 or a negative errno. */
  openWaiting(ev: TrapEvent, pathFd: number, flags: number, cloexec: boolean): number;
  /**
   * Makes a lock call that may wait on a thread that answers the call:
   * flock(fd, op), or with `fl` (a struct flock) fcntl(fd, F_OFD_SETLKW, fl).
   * A handle for cancelLock, or a negative errno.
   */
  lockWaiting(ev: TrapEvent, fd: number, op: number, fl: Uint8Array | null): number;
  /** Ends a lock call's wait (its task died); a lock it took meanwhile is undone. */
  cancelLock(handle: number): void;

  // A task stopped at a trapped call (not notified).
  /** Skips the call, which returns `value`, and resumes the task. */
  answer(pid: number, value: number): void;
  /**
   * Makes the call return a new descriptor of `hostFd` (or the errno a guest's
   * own seccomp filter gave the injection) and resumes the task with its
   * registers as they were; signals that stop the task meanwhile are held (StopHooks).
   */
  injectFd(pid: number, hostFd: number, cloexec: boolean, hooks: StopHooks): number;
  /**
   * Runs an exec of an fd in place of the task's call (see ExecRequest),
   * following every call it injects to its end whatever the guest's own
   * seccomp filters make of it; a failure leaves the caller's registers with the errno.
   */
  execWithFd(pid: number, req: ExecRequest, hooks: ExecHooks): ExecOutcome;
  /** Sets the stopped task's stack pointer. */
  setStackPointer(pid: number, sp: number): void;

  /** A thread's memory (read and written on every call that takes a pointer: the hot path). */
  memory(owner: MemoryOwner): GuestMemory;

  // Task control.
  resume(pid: number, sig?: number): void;
  /**
   * At a signal-delivery stop: the call the signal interrupted, whose result
   * says "restart" (ERESTARTSYS, ERESTARTNOHAND: after an SA_RESTART handler
   * the kernel restarts it, after any other it fails with EINTR); null if
   * the task was in no call, or its call was not interrupted so.
   */
  interruptedCall(pid: number): { nr: number; args: number[] } | null;
  /** At a signal-delivery stop: the interrupted call restarts after the handler, SA_RESTART or not (ERESTARTNOINTR). */
  restartAfterHandler(pid: number): void;
  /** Leaves a task in its group-stop until SIGCONT. */
  listen(pid: number): void;
  kill(pid: number, sig: number): void;
}
