// inotify_add_watch(2). inotify_init1 runs natively, so a guest's inotify fd
// is a real host instance; but host inotify cannot see sandbox files (a tmpfs
// directory is a JavaScript object, its files' data are written natively),
// so a watch on one is not implemented yet. The call is checked as Linux
// checks it, in Linux's order, so every error is Linux's; a valid watch gets
// ENOSYS, which is what programs without inotify see: tail -f and
// file watchers fall back to polling.
import { host } from '../host/fd.js';
import { E, SysErr } from '../abi/errno.js';
import { ForeignFd } from '../host/foreign.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { checkAccess, MAY_READ } from '../vfs/permissions.js';
import { AT } from '../abi/flags.js';
import { isDir } from '../abi/stat.js';
import { lookupAt } from './common.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

const IN_ALL_EVENTS = 0xfff;
const IN_ONLYDIR = 0x01000000;
const IN_DONT_FOLLOW = 0x02000000;
const IN_EXCL_UNLINK = 0x04000000;
const IN_MASK_CREATE = 0x10000000;
const IN_MASK_ADD = 0x20000000;
const IN_ONESHOT = 0x80000000;
const ALL_INOTIFY_BITS = IN_ALL_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD |
  IN_ONESHOT | 0x2000 /* IN_UNMOUNT */ | 0x4000 /* IN_Q_OVERFLOW */ | 0x8000 /* IN_IGNORED */ | 0x40000000 /* IN_ISDIR */;

function isInotify(t: Task, fd: number): boolean {
  return ForeignFd.with(t, fd, (held) => host(() => held.hostName()) === 'anon_inode:inotify');
}

function inotifyAddWatch(t: Task, k: Kernel, fd: number, pathAddr: number, mask: number): number {
  if (!(mask & ALL_INOTIFY_BITS)) throw new SysErr(E.EINVAL);
  if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)) throw new SysErr(E.EINVAL);
  if (fd < 0 || !isInotify(t, fd)) throw new SysErr(fd < 0 ? E.EBADF : E.EINVAL);
  const p = lookupAt(k, t, AT.FDCWD, t.mem.readPath(pathAddr), mask & IN_DONT_FOLLOW ? AT.SYMLINK_NOFOLLOW : 0);
  const st = p.inode.stat();
  if ((mask & IN_ONLYDIR) && !isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  checkAccess(t.creds, st, MAY_READ);
  throw new SysErr(E.ENOSYS);
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
  inotify_add_watch: entry(['fd', 'path', 'hex'], (t, a, k) => inotifyAddWatch(t, k, a.int(0), a.ptr(1), a.uint(2))),
};
