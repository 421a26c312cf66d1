// flock(2), fcntl's open file description locks, and leases. The sentry
// holds a copy of every description it made until a sweep finds no guest
// holding it. Locks belong to the description: one a guest left by closing
// its last fd (or by exiting) would stay. A lease is refused while another
// description of the file is open (for writing): one the guest closed would
// still count. So before such a call the sentry closes its copy of the
// descriptions concerned that no guest holds any more, and then the host
// kernel runs the call as made. POSIX record locks belong to the process and
// are unaffected: the sentry never takes one.
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

export const F_OFD_SETLK = 37;
export const F_OFD_SETLKW = 38;
export const F_SETLEASE = 1024;

export function lockCall(t: Task, k: Kernel, fd: number): Reply {
  const d = k.files.lookup(t, fd);
  k.files.dropUnheld((x) => x.locked && x !== d);
  if (d) d.locked = true;
  return PASS;
}

export function leaseCall(t: Task, k: Kernel, fd: number): Reply {
  const d = k.files.lookup(t, fd);
  if (d) k.files.dropUnheld((x) => x !== d && x.at.inode === d.at.inode);
  return PASS;
}

export const lockFamily: SyscallFamily = {
  flock: entry(['fd', 'hex'], (t, a, k) => lockCall(t, k, a.int(0))),
};
