// fcntl(2) runs natively but for the commands the filter sends here (its
// notifyIfOneOf on the command): locks and leases, which must not reach a
// host file the sandbox does not own and which the sentry's copies of
// descriptions would disturb (lock.ts), and dnotify, which host directories
// cannot give for sandbox directories (notify.ts). F_SETFL is trapped only
// when it asks for O_NOATIME (setflNoatime).
import { E, SysErr } from '../abi/errno.js';
import { F, O } from '../abi/flags.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { libcCalls, sys } from '../host/native.js';
import { isOwnerOrRoot } from '../vfs/permissions.js';
import { descriptionStat } from './common.js';
import { LOCK_COMMANDS, lockFcntl } from './lock.js';
import { dnotify } from './notify.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

/** The commands the filter traps; every other one runs natively. */
export const TRAPPED_FCNTL_COMMANDS = [...LOCK_COMMANDS, F.NOTIFY];
/** F_SETFL is trapped when its argument has one of these bits (seccomp.ts's masked notifyIfOneOf). */
export const TRAPPED_SETFL_BITS = O.NOATIME;

/**
 * F_SETFL with O_NOATIME: Linux lets only the file's owner (by fsuid) or
 * CAP_FOWNER set it. Run natively, the host would judge by the host file's
 * owner and the guest's host uid, so for a description the sentry made it
 * judges by the sandbox's and sets the flags through its own copy of the
 * description (the same open file description as the guest's). Any other fd
 * (a pipe or socket the guest made, a foreign fd) is the host's to judge.
 */
function setflNoatime(t: Task, k: Kernel, fd: number, flags: number): Reply {
  const d = k.files.lookup(t, fd);
  if (!d) return PASS;
  // fcntl on an O_PATH fd takes only the fd-table commands and F_GETFL.
  if (d.flags & O.PATH) throw new SysErr(E.EBADF);
  if (!isOwnerOrRoot(t.creds, descriptionStat(d))) throw new SysErr(E.EPERM);
  return sys(libcCalls.fcntl(d.hostFd, F.SETFL, flags));
}

export const fcntlFamily: SyscallFamily = {
  fcntl: entry(['fd', 'int', 'hex'], (t, a, k) => {
    const cmd = a.int(1);
    if (cmd === F.NOTIFY) return dnotify(t, k, a.int(0), a.uint(2));
    if (cmd === F.SETFL) return setflNoatime(t, k, a.int(0), a.uint(2));
    return lockFcntl(t, k, a.int(0), cmd, cmd === F.SETLEASE ? a.int(2) : a.ptr(2));
  }),
};
