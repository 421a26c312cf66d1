// Names: unlink, rename, link, symlink, mknod (the rules are the VFS's, vfs/ops.ts).
import { E, SysErr } from '../abi/errno.js';
import { AT } from '../abi/flags.js';
import type { Kernel } from '../kernel/kernel.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task } from '../kernel/task.js';
import type { Inode } from '../vfs/inode.js';
import * as vfs from '../vfs/ops.js';
import { lookupAt, sentryFile, startOf } from './common.js';
import { CAP, capable } from '../auth/creds.js';
import type { FileDescription } from '../kernel/files.js';
import { rmdirAt } from './dir.js';

function unlinkAt(t: Task, k: Kernel, dirfd: number, path: string, flags: number): number {
  if (flags & ~AT.REMOVEDIR) throw new SysErr(E.EINVAL);
  if (flags & AT.REMOVEDIR) return rmdirAt(t, k, dirfd, path);
  dropRemoved(k, vfs.unlinkAt(t, startOf(k, t, dirfd, path), path));
  return 0;
}

/**
 * A regular file lost a name: unless a guest holds one of its descriptions,
 * the sentry's copies of them go now, or they would keep the data of a
 * deleted tmpfs file, and its space (size=, nr_inodes=), alive until the
 * next sweep.
 */
function dropRemoved(k: Kernel, file: Inode | null): void {
  if (file) k.files.dropUnlessOneHeld((d) => d.at.inode === file);
}

/** A call's two path arguments, read together (GuestMemory.readPaths), given to `fn`. */
const twoPaths = <R>(t: Task, first: number, second: number, fn: (a: string, b: string) => R): R => fn(...t.mem.readPaths(first, second));

function renameAt(t: Task, k: Kernel, olddir: number, oldPath: string, newdir: number, newPath: string, flags: number): number {
  dropRemoved(k, vfs.renameAt(t, startOf(k, t, olddir, oldPath), oldPath, startOf(k, t, newdir, newPath), newPath, flags));
  return 0;
}

function linkAt(t: Task, k: Kernel, olddir: number, oldPath: string, newdir: number, newPath: string, flags: number): number {
  if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
  if ((flags & AT.EMPTY_PATH) && oldPath === '' && olddir !== AT.FDCWD) mayLinkDescription(t, sentryFile(k, t, olddir));
  const target = lookupAt(k, t, olddir, oldPath, (flags & AT.EMPTY_PATH) | ((flags & AT.SYMLINK_FOLLOW) ? 0 : AT.SYMLINK_NOFOLLOW));
  vfs.linkAt(t, target, startOf(k, t, newdir, newPath), newPath);
  return 0;
}

/**
 * Giving an open file a name (flink) is for the description's opener, by
 * the very credentials it opened with (not a forked child's or a set*id's
 * new ones), or for a caller with CAP_DAC_READ_SEARCH: Linux 6.10's rule.
 */
function mayLinkDescription(t: Task, d: FileDescription): void {
  if (d.creds !== t.creds && !capable(t.creds, CAP.DAC_READ_SEARCH)) throw new SysErr(E.ENOENT);
}

function symlinkAt(t: Task, k: Kernel, target: string, dirfd: number, path: string): number {
  vfs.symlinkAt(t, startOf(k, t, dirfd, path), path, target);
  return 0;
}

function mknodAt(t: Task, k: Kernel, dirfd: number, path: string, mode: number, dev: number): number {
  vfs.mknodAt(t, startOf(k, t, dirfd, path), path, mode, dev);
  return 0;
}

export const linkFamily: SyscallFamily = {
  unlink: entry(['path'], (t, a, k) => unlinkAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), 0)),
  unlinkat: entry(['fd', 'path', 'flags'], (t, a, k) => unlinkAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2))),
  rename: entry(['path', 'path'], (t, a, k) =>
    twoPaths(t, a.ptr(0), a.ptr(1), (from, to) => renameAt(t, k, AT.FDCWD, from, AT.FDCWD, to, 0))),
  renameat: entry(['fd', 'path', 'fd', 'path'], (t, a, k) =>
    twoPaths(t, a.ptr(1), a.ptr(3), (from, to) => renameAt(t, k, a.int(0), from, a.int(2), to, 0))),
  renameat2: entry(['fd', 'path', 'fd', 'path', 'flags'], (t, a, k) =>
    twoPaths(t, a.ptr(1), a.ptr(3), (from, to) => renameAt(t, k, a.int(0), from, a.int(2), to, a.uint(4)))),
  link: entry(['path', 'path'], (t, a, k) =>
    twoPaths(t, a.ptr(0), a.ptr(1), (from, to) => linkAt(t, k, AT.FDCWD, from, AT.FDCWD, to, 0))),
  linkat: entry(['fd', 'path', 'fd', 'path', 'flags'], (t, a, k) =>
    twoPaths(t, a.ptr(1), a.ptr(3), (from, to) => linkAt(t, k, a.int(0), from, a.int(2), to, a.int(4)))),
  symlink: entry(['str', 'path'], (t, a, k) =>
    twoPaths(t, a.ptr(0), a.ptr(1), (target, path) => symlinkAt(t, k, target, AT.FDCWD, path))),
  symlinkat: entry(['str', 'fd', 'path'], (t, a, k) =>
    twoPaths(t, a.ptr(0), a.ptr(2), (target, path) => symlinkAt(t, k, target, a.int(1), path))),
  mknod: entry(['path', 'oct', 'hex'], (t, a, k) =>
    mknodAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.uint(1), a.uint(2))),
  mknodat: entry(['fd', 'path', 'oct', 'hex'], (t, a, k) =>
    mknodAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.uint(2), a.uint(3))),
};
