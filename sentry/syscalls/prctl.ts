// prctl(2): the options the sandbox answers, which the filter sends here
// (every other runs on the host): the credential ones (creds.ts), and
// PR_GET_NAME, the thread's name as Linux gives it (ThreadGroup.shownComm).
import { hostComm } from '../host/proc-stat.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task } from '../kernel/task.js';
import { CREDS_PRCTLS, credsPrctl } from './creds.js';

const PR_GET_NAME = 16;

export const TRAPPED_PRCTLS = [...CREDS_PRCTLS, PR_GET_NAME];

/** PR_GET_NAME: the calling thread's name in 16 bytes, NUL-padded. */
function getName(t: Task, addr: number): number {
  const name = Buffer.alloc(16);
  name.write(t.tg.shownComm(hostComm(t.tid)).slice(0, 15), 'latin1');
  t.mem.write(addr, name);
  return 0;
}

export const prctlFamily: SyscallFamily = {
  prctl: entry(['int', 'hex', 'hex', 'hex', 'hex'], (t, a) =>
    a.int(0) === PR_GET_NAME ? getName(t, a.ptr(1)) : credsPrctl(t, a.int(0), a.ptr(1), [a.ptr(2), a.ptr(3), a.ptr(4)])),
};
