// flock(2) and fcntl's open file description locks. Both locks belong to
// the open file description, and the sentry holds a copy of every
// description it made: a lock a guest left by closing its last fd (or by
// exiting) would stay. So before a guest asks for one of these locks, the
// sentry closes its copy of the locked descriptions no guest holds any more,
// and then the host kernel runs the call as made. POSIX record locks belong
// to the process and are unaffected: the sentry never takes one.
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { entry, PASS, type Reply, type SyscallFamily } from './types.js';

/** The fcntl commands the filter sends here; every other fcntl runs natively. */
export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;

function lockCall(t: Task, k: Kernel, fd: number): Reply {
  const d = k.files.lookup(t, fd);
  k.files.dropUnheld((x) => x.locked && x !== d);
  if (d) d.locked = true;
  return PASS;
}

export const lockFamily: SyscallFamily = {
  flock: entry(['fd', 'hex'], (t, a, k) => lockCall(t, k, a.int(0))),
  fcntl: entry(['fd', 'int', 'ptr'], (t, a, k) => lockCall(t, k, a.int(0))),
};
