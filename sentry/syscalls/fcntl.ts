// fcntl(2) runs natively but for the commands the filter sends here (its
// notifyIfOneOf on the command): locks and leases, which must not reach a
// host file the sandbox does not own and which the sentry's copies of
// descriptions would disturb (lock.ts), and dnotify, which host directories
// cannot give for sandbox directories (notify.ts).
import { F } from '../abi/flags.js';
import { LOCK_COMMANDS, lockFcntl } from './lock.js';
import { dnotify } from './notify.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

/** The commands the filter traps; every other one runs natively. */
export const TRAPPED_FCNTL_COMMANDS = [...LOCK_COMMANDS, F.NOTIFY];

export const fcntlFamily: SyscallFamily = {
  fcntl: entry(['fd', 'int', 'hex'], (t, a, k) => {
    const cmd = a.int(1);
    if (cmd === F.NOTIFY) return dnotify(t, k, a.int(0), a.uint(2));
    return lockFcntl(t, k, a.int(0), cmd, cmd === F.SETLEASE ? a.int(2) : a.ptr(2));
  }),
};
