// fcntl(2) runs natively but for the commands the filter sends here (its
// notifyIfOneOf on the command): locks and leases the sentry's copies of
// descriptions would disturb (lock.ts), and dnotify, which host directories
// cannot give for sandbox directories (notify.ts).
import { F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, leaseCall, lockCall } from './lock.js';
import { dnotify, F_NOTIFY } from './notify.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

/** The commands the filter traps; every other one runs natively. */
export const TRAPPED_FCNTL_COMMANDS = [F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_NOTIFY];

export const fcntlFamily: SyscallFamily = {
  fcntl: entry(['fd', 'int', 'hex'], (t, a, k) => {
    switch (a.int(1)) {
      case F_SETLEASE: return leaseCall(t, k, a.int(0));
      case F_NOTIFY: return dnotify(t, k, a.int(0), a.uint(2));
      default: return lockCall(t, k, a.int(0));
    }
  }),
};
