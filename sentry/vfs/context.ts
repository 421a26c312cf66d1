// Who an inode operation is made for. gVisor passes a context to every
// filesystem method; here the operations whose answer depends on the caller
// take one: readlink (proc's self links, a magic link's text in the reader's
// view) and open (/dev/tty is the caller's terminal). The kernel's tasks are
// contexts; the sentry's own work (boot, copy-up) is done as no task.

export interface Context {
  /** The calling thread's host tid; null for the sentry's own work. */
  readonly tid: number | null;
  /** A pidfd of the calling thread, through which a device reaches the caller's own fds; absent for the sentry's own work. */
  pidfd?(): number;
}

export const NO_TASK: Context = { tid: null };
