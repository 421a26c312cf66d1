// The syscall table as the kernel sees it (gVisor's kernel.SyscallTable):
// what a handler is and what it may answer. The table itself and its
// handlers live in syscalls/, above the kernel, and are handed to it at boot.
import type { TrapEvent } from '../platform/platform.js';
import type { FileDescription } from './files.js';
import type { Kernel } from './kernel.js';
import type { Task } from './task.js';

/**
 * A new descriptor for the guest: `description` is registered and put into the
 * guest as the call's result. `controlling`: a pty slave the caller takes as
 * its controlling terminal if it still may (TIOCSCTTY, run by the caller).
 */
export interface NewFd { description: FileDescription; cloexec: boolean; controlling?: boolean }

/** The handler has resumed the task itself (exec). */
export const RESUMED = Symbol('resumed');

/** Let the host kernel run the call as the guest made it (after the handler checked it). */
export const PASS = Symbol('pass');

/**
 * A host fd the guest gets as the call's result, which the sentry then closes
 * instead of keeping a description: a FIFO end the sentry held would keep its
 * pipe open (a reader would never see EOF).
 */
export interface GiveFd { give: number; cloexec: boolean }

/**
 * An open that may wait for a FIFO's peer: made on a thread of its own
 * (`pathFd`, an O_PATH fd handed over, reopened with `flags`), which answers
 * the call when the open completes.
 */
export interface WaitingOpen { pathFd: number; flags: number; cloexec: boolean }

/**
 * A lock call that may wait, made by the sentry on a description of its own
 * (a lock proxy, kernel/locks.ts) on a thread that answers the call:
 * flock(lockFd, op), or with `flock` (a struct flock) F_OFD_SETLKW.
 */
export interface WaitingLock { lockFd: number; op: number; flock: Uint8Array | null }

export type Reply = number | NewFd | GiveFd | WaitingOpen | WaitingLock | typeof RESUMED | typeof PASS;

export type Handler = (t: Task, a: TrapEvent, k: Kernel) => Reply;

/** How --strace prints an argument. */
export type ArgFormat = 'int' | 'hex' | 'oct' | 'fd' | 'path' | 'str' | 'ptr' | 'flags';

export interface SyscallEntry {
  readonly handler: Handler;
  readonly args: readonly ArgFormat[];
}

export type SyscallFamily = Readonly<Record<string, SyscallEntry>>;

/** The calls the kernel serves, by number, and their names for its logs. */
export interface SyscallTable {
  readonly entries: ReadonlyMap<number, SyscallEntry>;
  name(nr: number): string;
  /**
   * Whether a seccomp (ptrace) stop is one the sentry's own filter asked for;
   * any other is a guest's own filter's RET_TRACE, which the kernel answers
   * as Linux does with no tracer of the guest's (ENOSYS).
   */
  tracedBySentry(ev: TrapEvent): boolean;
  /**
   * Whether call `nr` with these arguments (low 32 bits of each) is one
   * the sentry serves by notification and Linux never interrupts: one that
   * a signal interrupted before the sentry read it restarts after the
   * handler, SA_RESTART or not (Kernel.signalStop).
   */
  restartsAfterSignal(nr: number, args: readonly number[]): boolean;
}

/** --strace's rendering of a call as it was made: its name and decoded arguments. */
/** A trapped call as --strace shows it: its name and decoded arguments. */
export interface TracedCall { name: string; args: string[] }

export type CallFormatter = (t: Task, ev: TrapEvent, entry: SyscallEntry | undefined) => TracedCall;

export function entry(args: readonly ArgFormat[], handler: Handler): SyscallEntry {
  return { handler, args };
}
