// inotify(7) and dnotify. An inotify instance is the sentry's (kernel/inotify.ts):
// the guest's fd is a socket whose records are the events, so read, poll
// and close run natively; these calls make and change the instance. The
// checks of inotify_add_watch are Linux's, in Linux's order.
import { E, SysErr } from '../abi/errno.js';
import { ForeignFd } from '../host/foreign.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { checkAccess, MAY_READ } from '../vfs/permissions.js';
import { AT, O } from '../abi/flags.js';
import { isDir } from '../abi/stat.js';
import { IN, IN_ALL_EVENTS } from '../vfs/notify.js';
import type { Instance } from '../kernel/inotify.js';
import { lookupAt } from './common.js';
import { entry, type GiveFd, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

const ALL_INOTIFY_BITS = IN_ALL_EVENTS | IN.ONLYDIR | IN.DONT_FOLLOW | IN.EXCL_UNLINK | IN.MASK_CREATE | IN.MASK_ADD |
  IN.ONESHOT | IN.UNMOUNT | IN.Q_OVERFLOW | IN.IGNORED | IN.ISDIR;

function inotifyInit1(k: Kernel, flags: number): GiveFd {
  return { give: k.inotify.init(flags), cloexec: (flags & O.CLOEXEC) !== 0 };
}

/** The instance behind guest fd `fd`: EBADF for no fd, EINVAL for an fd that is no inotify instance. */
function instanceOf(t: Task, k: Kernel, fd: number): Instance {
  const st = ForeignFd.with(t, fd, (held) => held.stat());
  return k.inotify.find(st.dev, st.ino);
}

function inotifyAddWatch(t: Task, k: Kernel, fd: number, pathAddr: number, mask: number): number {
  if (!(mask & ALL_INOTIFY_BITS)) throw new SysErr(E.EINVAL);
  if ((mask & IN.MASK_ADD) && (mask & IN.MASK_CREATE)) throw new SysErr(E.EINVAL);
  const inst = instanceOf(t, k, fd);
  const p = lookupAt(k, t, AT.FDCWD, t.mem.readPath(pathAddr), mask & IN.DONT_FOLLOW ? AT.SYMLINK_NOFOLLOW : 0);
  const st = p.inode.stat();
  if ((mask & IN.ONLYDIR) && !isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  checkAccess(t, st, MAY_READ, p.inode);
  return inst.addWatch(p.inode, mask);
}

function inotifyRmWatch(t: Task, k: Kernel, fd: number, wd: number): number {
  instanceOf(t, k, fd).rmWatch(wd);
  return 0;
}

const DN_MULTISHOT = 0x80000000;

/**
 * fcntl(F_NOTIFY) on a sandbox directory: EINVAL, Linux's answer when dnotify
 * is disabled, rather than a host watch on the empty host directory behind
 * the fd that would never fire. Clearing, and anything on other fds, runs
 * natively (a file gives ENOTDIR there).
 */
export function dnotify(t: Task, k: Kernel, fd: number, arg: number): Reply {
  const d = k.files.lookup(t, fd);
  if (!d || (arg & ~DN_MULTISHOT) === 0 || !isDir(d.at.inode.stat().mode)) return PASS;
  throw new SysErr(E.EINVAL);
}

export const notifyFamily: SyscallFamily = {
  inotify_init: entry([], (_t, _a, k) => inotifyInit1(k, 0)),
  inotify_init1: entry(['flags'], (_t, a, k) => inotifyInit1(k, a.int(0))),
  inotify_add_watch: entry(['fd', 'path', 'hex'], (t, a, k) => inotifyAddWatch(t, k, a.int(0), a.ptr(1), a.uint(2))),
  inotify_rm_watch: entry(['fd', 'int'], (t, a, k) => inotifyRmWatch(t, k, a.int(0), a.int(1))),
};
