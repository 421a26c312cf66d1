// Names: unlink, rename, link, symlink, mknod.
import { E, SysErr } from '../kernel/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { type Inode, lookupChild } from '../vfs/inode.js';
import { samePath } from '../vfs/mount.js';
import { checkAccess, checkHardlink, checkSticky, MAY_WRITE } from '../vfs/permissions.js';
import { AT, isDir, RENAME, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from '../vfs/types.js';
import { resolveParent } from '../vfs/walk.js';
import { checkCreate, checkDirWritable, lookupAt, newMode, newOwner, parentForCreate, startOf } from './common.js';
import { CAP, capable } from '../kernel/creds.js';
import { rmdirAt } from './dir.js';
import { entry, type SyscallFamily } from './types.js';

function unlinkAt(t: Task, k: Kernel, dirfd: number, path: string, flags: number): number {
  if (flags & ~AT.REMOVEDIR) throw new SysErr(E.EINVAL);
  if (flags & AT.REMOVEDIR) return rmdirAt(t, k, dirfd, path);
  const p = resolveParent(t, startOf(k, t, dirfd, path), path);
  if (p.name === '' || p.name === '.' || p.name === '..') throw new SysErr(E.EISDIR);
  if (p.dir.mount.readonly) throw new SysErr(E.EROFS);
  const victim = p.dir.inode.lookup(p.name);
  const vst = victim.stat();
  if (p.trailingSlash && !isDir(vst.mode)) throw new SysErr(E.ENOTDIR);
  const dirSt = checkDirWritable(t, p.dir);
  checkSticky(t.creds, dirSt, vst);
  if (isDir(vst.mode)) throw new SysErr(E.EISDIR);
  if (t.ns.mountedOn({ mount: p.dir.mount, inode: victim })) throw new SysErr(E.EBUSY);
  p.dir.inode.unlink(p.name);
  if ((vst.mode & S_IFMT) === S_IFREG) dropRemoved(k, victim);
  return 0;
}

/**
 * A file lost a name: the sentry's copies of its descriptions that no guest
 * holds go now, or they would keep the data of a deleted tmpfs file, and
 * its space (size=, nr_inodes=), alive until the next sweep.
 */
function dropRemoved(k: Kernel, file: Inode): void {
  k.files.dropUnheld((d) => d.at.inode === file);
}

function isAncestor(maybeAncestor: Inode, of: Inode): boolean {
  for (let i: Inode | null = of; i; i = i.parent) if (i === maybeAncestor) return true;
  return false;
}

function renameAt(t: Task, k: Kernel, olddir: number, oldPath: string, newdir: number, newPath: string, flags: number): number {
  if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) throw new SysErr(E.EINVAL);
  if ((flags & RENAME.EXCHANGE) && (flags & (RENAME.NOREPLACE | RENAME.WHITEOUT))) throw new SysErr(E.EINVAL);
  if (flags & RENAME.WHITEOUT) throw new SysErr(E.EINVAL);
  const from = resolveParent(t, startOf(k, t, olddir, oldPath), oldPath);
  const to = resolveParent(t, startOf(k, t, newdir, newPath), newPath);
  // '/', '.' and '..' are no names to move or to replace (do_renameat2: not LAST_NORM).
  const special = (n: string) => n === '' || n === '.' || n === '..';
  if (special(from.name)) throw new SysErr(E.EBUSY);
  if (special(to.name)) throw new SysErr(flags & RENAME.NOREPLACE ? E.EEXIST : E.EBUSY);
  if (from.dir.mount !== to.dir.mount) throw new SysErr(E.EXDEV);
  if (from.dir.mount.readonly) throw new SysErr(E.EROFS);
  const moving = from.dir.inode.lookup(from.name);
  const mst = moving.stat();
  const replaced = lookupChild(to.dir.inode, to.name);
  if ((from.trailingSlash || to.trailingSlash) && !isDir(mst.mode)) throw new SysErr(E.ENOTDIR);
  if (flags & RENAME.EXCHANGE) {
    if (!replaced) throw new SysErr(E.ENOENT);
  } else if (replaced) {
    if (flags & RENAME.NOREPLACE) throw new SysErr(E.EEXIST);
    if (replaced === moving) return 0;
  }
  if (isDir(mst.mode) && isAncestor(moving, to.dir.inode)) throw new SysErr(E.EINVAL);
  if (replaced && (flags & RENAME.EXCHANGE) && isDir(replaced.stat().mode) && isAncestor(replaced, from.dir.inode)) {
    throw new SysErr(E.EINVAL);
  }
  for (const busy of [moving, replaced]) {
    if (busy && (t.ns.mountedOn({ mount: from.dir.mount, inode: busy }) || busy === from.dir.mount.root)) {
      throw new SysErr(E.EBUSY);
    }
  }
  // vfs_rename: may_delete the source, may_create or may_delete the target, then a directory
  // moving to another parent must be writable itself (its ".." changes).
  const fromSt = checkDirWritable(t, from.dir);
  checkSticky(t.creds, fromSt, mst);
  const toSt = checkDirWritable(t, to.dir);
  if (replaced && replaced !== moving) {
    const rst = replaced.stat();
    checkSticky(t.creds, toSt, rst);
    if (!(flags & RENAME.EXCHANGE)) {
      if (isDir(mst.mode) && !isDir(rst.mode)) throw new SysErr(E.ENOTDIR);
      if (!isDir(mst.mode) && isDir(rst.mode)) throw new SysErr(E.EISDIR);
    }
  }
  if (from.dir.inode !== to.dir.inode) {
    if (isDir(mst.mode)) checkAccess(t.creds, mst, MAY_WRITE);
    if (replaced && (flags & RENAME.EXCHANGE) && isDir(replaced.stat().mode)) checkAccess(t.creds, replaced.stat(), MAY_WRITE);
  }
  if (samePath(from.dir, to.dir) && from.name === to.name) return 0;
  const replacedFile = replaced && replaced !== moving && !(flags & RENAME.EXCHANGE) && replaced.fileType() === S_IFREG;
  from.dir.inode.rename(from.name, to.dir.inode, to.name, flags);
  if (replacedFile) dropRemoved(k, replaced);
  return 0;
}

function linkAt(t: Task, k: Kernel, olddir: number, oldPath: string, newdir: number, newPath: string, flags: number): number {
  if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
  const target = lookupAt(k, t, olddir, oldPath, (flags & AT.EMPTY_PATH) | ((flags & AT.SYMLINK_FOLLOW) ? 0 : AT.SYMLINK_NOFOLLOW));
  const p = parentForCreate(k, t, newdir, newPath);
  if (lookupChild(p.dir.inode, p.name)) throw new SysErr(E.EEXIST);
  if (p.dir.mount !== target.mount) throw new SysErr(E.EXDEV);
  if (p.dir.mount.readonly) throw new SysErr(E.EROFS);
  const tst = target.inode.stat();
  checkHardlink(t.creds, tst);
  checkDirWritable(t, p.dir);
  if (isDir(tst.mode)) throw new SysErr(E.EPERM);
  if (p.trailingSlash) throw new SysErr(E.ENOENT);
  p.dir.inode.link(p.name, target.inode);
  return 0;
}

function symlinkAt(t: Task, k: Kernel, target: string, dirfd: number, path: string): number {
  if (target === '') throw new SysErr(E.ENOENT);
  const p = parentForCreate(k, t, dirfd, path);
  const dirSt = checkCreate(t, p);
  if (p.trailingSlash) throw new SysErr(E.ENOENT);
  p.dir.inode.symlink(p.name, target, newOwner(t, dirSt));
  return 0;
}

function mknodAt(t: Task, k: Kernel, dirfd: number, path: string, mode: number, dev: number): number {
  let type = mode & S_IFMT;
  if (type === 0) type = S_IFREG;
  if (type === S_IFDIR) throw new SysErr(E.EPERM);
  if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) throw new SysErr(E.EINVAL);
  if ((type === S_IFCHR || type === S_IFBLK) && !capable(t.creds, CAP.MKNOD)) throw new SysErr(E.EPERM);
  const p = parentForCreate(k, t, dirfd, path);
  const dirSt = checkCreate(t, p);
  if (p.trailingSlash) throw new SysErr(E.ENOENT);
  const perm = newMode(t, dirSt, mode);
  if (type === S_IFREG) p.dir.inode.create(p.name, perm, newOwner(t, dirSt));
  else p.dir.inode.mknod(p.name, type | perm, type === S_IFCHR || type === S_IFBLK ? dev : 0, newOwner(t, dirSt));
  return 0;
}

export const linkFamily: SyscallFamily = {
  unlink: entry(['path'], (t, a, k) => unlinkAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), 0)),
  unlinkat: entry(['fd', 'path', 'flags'], (t, a, k) => unlinkAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2))),
  rename: entry(['path', 'path'], (t, a, k) =>
    renameAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), AT.FDCWD, t.mem.readPath(a.ptr(1)), 0)),
  renameat: entry(['fd', 'path', 'fd', 'path'], (t, a, k) =>
    renameAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), t.mem.readPath(a.ptr(3)), 0)),
  renameat2: entry(['fd', 'path', 'fd', 'path', 'flags'], (t, a, k) =>
    renameAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), t.mem.readPath(a.ptr(3)), a.uint(4))),
  link: entry(['path', 'path'], (t, a, k) =>
    linkAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), AT.FDCWD, t.mem.readPath(a.ptr(1)), 0)),
  linkat: entry(['fd', 'path', 'fd', 'path', 'flags'], (t, a, k) =>
    linkAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), t.mem.readPath(a.ptr(3)), a.int(4))),
  symlink: entry(['str', 'path'], (t, a, k) =>
    symlinkAt(t, k, t.mem.readPath(a.ptr(0)), AT.FDCWD, t.mem.readPath(a.ptr(1)))),
  symlinkat: entry(['str', 'fd', 'path'], (t, a, k) =>
    symlinkAt(t, k, t.mem.readPath(a.ptr(0)), a.int(1), t.mem.readPath(a.ptr(2)))),
  mknod: entry(['path', 'oct', 'hex'], (t, a, k) =>
    mknodAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.uint(1), a.uint(2))),
  mknodat: entry(['fd', 'path', 'oct', 'hex'], (t, a, k) =>
    mknodAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.uint(2), a.uint(3))),
};
