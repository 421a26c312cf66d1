// open(2), openat(2), openat2(2), creat(2).
import { E, SysErr } from '../kernel/errno.js';
import { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { VfsPath } from '../vfs/mount.js';
import { checkAccess, isOwnerOrRoot, MAY_READ, MAY_WRITE, withoutSetid } from '../vfs/permissions.js';
import { closeSync, openSync } from 'node:fs';
import { host, hostFstat } from '../fs/host.js';
import { AT, isDevice, isDir, isFifo, isLnk, isReg, O, RESOLVE, type Stat } from '../vfs/types.js';
import { pathOf, resolve, resolveParent } from '../vfs/walk.js';
import { checkDirWritable, newMode, newOwner, startOf } from './common.js';
import { lookupChild } from '../vfs/inode.js';
import { entry, type GiveFd, type NewFd, type Reply, type SyscallFamily, type WaitingOpen } from './types.js';

const VALID_OPEN_FLAGS = O.ACCMODE | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND | O.NONBLOCK | O.DSYNC |
  O.ASYNC | O.DIRECT | O.LARGEFILE | O.DIRECTORY | O.NOFOLLOW | O.NOATIME | O.CLOEXEC | O.SYNC | O.PATH | O.TMPFILE;
const PATH_FLAGS = O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;

/** Where an open starts: RESOLVE_IN_ROOT and RESOLVE_BENEATH scope even an absolute path to dirfd. */
function openStart(k: Kernel, t: Task, dirfd: number, path: string, res: number): VfsPath {
  return startOf(k, t, dirfd, res & (RESOLVE.IN_ROOT | RESOLVE.BENEATH) ? '' : path);
}

/** Finds or creates the file; `created` when this call made it. */
function openTarget(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, res: number):
    { at: VfsPath; created: boolean } {
  const start = openStart(k, t, dirfd, path, res);
  const follow = (flags & O.NOFOLLOW) === 0;
  if (!(flags & O.CREAT)) return { at: resolve(t, start, path, { followFinal: follow, resolve: res }), created: false };
  let p = resolveParent(t, start, path, res);
  if (p.name === '' || p.name === '.' || p.name === '..' || p.trailingSlash) throw new SysErr(E.EISDIR);
  // A dangling symlink in the last place is followed, and its target created, unless O_EXCL or O_NOFOLLOW.
  for (let links = 0; ; links++) {
    const existing = lookupChild(p.dir.inode, p.name);
    if (!existing) break;
    if (flags & O.EXCL) throw new SysErr(E.EEXIST);
    if (!follow || !isLnk(existing.fileType())) return { at: t.ns.enter({ mount: p.dir.mount, inode: existing }), created: false };
    try {
      return { at: resolve(t, p.dir, p.name, { followFinal: true, resolve: res }), created: false };
    } catch (e) {
      if (!(e instanceof SysErr) || e.errno !== E.ENOENT || links >= 40) throw e;
    }
    p = resolveParent(t, p.dir, existing.readlink(), res);
    if (p.name === '' || p.name === '.' || p.name === '..' || p.trailingSlash) throw new SysErr(E.EISDIR);
  }
  const dirSt = checkDirWritable(t, p.dir);
  const inode = p.dir.inode.create(p.name, newMode(t, dirSt, mode), newOwner(t, dirSt));
  return { at: { mount: p.dir.mount, inode }, created: true };
}

/** The common part of every open: checks, truncation, and a new description. */
export function openPath(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, res = 0): Reply {
  if (flags & ~VALID_OPEN_FLAGS) flags &= VALID_OPEN_FLAGS;
  // Linux 6.4 refuses the pair, which used to create a regular file.
  if ((flags & (O.DIRECTORY | O.CREAT)) === (O.DIRECTORY | O.CREAT)) throw new SysErr(E.EINVAL);
  if ((flags & O.TMPFILE) === O.TMPFILE) return openTmpfile(k, t, dirfd, path, flags, mode, res);
  if (flags & O.PATH) flags &= PATH_FLAGS;
  const { at, created } = openTarget(k, t, dirfd, path, flags, mode, res);
  const st = at.inode.stat();
  const acc = flags & O.ACCMODE;
  if (isLnk(st.mode) && !(flags & O.PATH)) throw new SysErr(E.ELOOP);
  if ((flags & O.DIRECTORY) && !isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  if (!(flags & O.PATH)) {
    if (isDir(st.mode) && (acc !== O.RDONLY || (flags & (O.CREAT | O.TRUNC)))) throw new SysErr(E.EISDIR);
    if (isDevice(st.mode) && at.mount.flags.nodev) throw new SysErr(E.EACCES);
    const writes = acc !== O.RDONLY || (flags & O.TRUNC) !== 0;
    if (writes && at.mount.readonly && (isReg(st.mode) || isDir(st.mode))) throw new SysErr(E.EROFS);
    if (!created) {
      // Access mode 3 neither reads nor writes (ioctl only) but needs both permissions.
      const want = (acc === O.RDONLY ? MAY_READ : acc === O.WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE) |
        (flags & O.TRUNC ? MAY_WRITE : 0);
      checkAccess(t.creds, st, want);
    }
    if ((flags & O.NOATIME) && !isOwnerOrRoot(t.creds, st)) throw new SysErr(E.EPERM);
    if ((flags & O.TRUNC) && isReg(st.mode) && !created) truncateOnOpen(t, at, st);
  }
  if (isFifo(st.mode) && !(flags & O.PATH)) return openFifo(k, at, flags);
  const hostFd = k.files.withRoom(() => at.inode.open(flags));
  const d = new FileDescription(hostFd, at, flags, pathOf(t, at).path);
  if (isReg(st.mode)) t.tg.noteOpened(at.inode, d.path);
  return { description: d, cloexec: (flags & O.CLOEXEC) !== 0 };
}

/**
 * A FIFO opens its host FIFO. O_RDWR and O_NONBLOCK opens never wait and are
 * made here; the others wait for the peer on a thread of their own. Either
 * way the sentry keeps no copy of the end it gives.
 */
function openFifo(k: Kernel, at: VfsPath, flags: number): GiveFd | WaitingOpen {
  const pathFd = at.inode.fifo();
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const hs = hostFstat(pathFd);
  k.fifos.set(`${hs.dev}:${hs.ino}`, at);
  const open = flags & (O.ACCMODE | O.APPEND | O.NONBLOCK | O.NOATIME);
  if ((flags & O.ACCMODE) !== O.RDWR && !(flags & O.NONBLOCK)) return { pathFd, flags: open, cloexec };
  try {
    return { give: host(() => openSync(`/proc/self/fd/${pathFd}`, open | O.CLOEXEC | O.NOCTTY)), cloexec };
  } finally {
    closeSync(pathFd);
  }
}

/** O_TRUNC: even an empty file is truncated (mtime and ctime change); set-id bits go as for a write. */
function truncateOnOpen(t: Task, at: VfsPath, st: Stat): void {
  const mode = withoutSetid(t.creds, st);
  at.inode.setattr({ size: 0, ...(mode !== (st.mode & 0o7777) ? { mode } : {}) });
}

/** O_TMPFILE: an unnamed file in the directory `path`, open for writing. */
function openTmpfile(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, res: number): NewFd {
  const acc = flags & O.ACCMODE;
  if (acc !== O.WRONLY && acc !== O.RDWR) throw new SysErr(E.EINVAL);
  const dir = resolve(t, openStart(k, t, dirfd, path, res), path, { followFinal: true, resolve: res });
  const dirSt = checkDirWritable(t, dir);
  const inode = dir.inode.tmpfile(newMode(t, dirSt, mode), newOwner(t, dirSt), (flags & O.EXCL) === 0);
  const at = { mount: dir.mount, inode };
  const d = new FileDescription(k.files.withRoom(() => inode.open(flags & ~O.TMPFILE)), at, flags, `${pathOf(t, dir).path}/#tmpfile (deleted)`);
  return { description: d, cloexec: (flags & O.CLOEXEC) !== 0 };
}

interface OpenHow { flags: number; mode: number; resolve: number }

function readOpenHow(t: Task, addr: number, size: number): OpenHow {
  if (size < 24) throw new SysErr(E.EINVAL);
  if (size > 4096) throw new SysErr(E.E2BIG);
  const raw = t.mem.read(addr, size);
  const v = new DataView(raw.buffer);
  for (let i = 24; i < size; i++) if (raw[i] !== 0) throw new SysErr(E.E2BIG);
  const flags = v.getBigUint64(0, true);
  const mode = v.getBigUint64(8, true);
  const res = v.getBigUint64(16, true);
  if (flags >> 32n) throw new SysErr(E.EINVAL);
  if (Number(flags) & ~VALID_OPEN_FLAGS) throw new SysErr(E.EINVAL);
  if (mode & ~0o7777n) throw new SysErr(E.EINVAL);
  if (mode !== 0n && !(Number(flags) & O.CREAT) && (Number(flags) & O.TMPFILE) !== O.TMPFILE) throw new SysErr(E.EINVAL);
  const allResolve = BigInt(RESOLVE.NO_XDEV | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH |
    RESOLVE.IN_ROOT | RESOLVE.CACHED);
  if (res & ~allResolve) throw new SysErr(E.EINVAL);
  if ((res & BigInt(RESOLVE.BENEATH)) && (res & BigInt(RESOLVE.IN_ROOT))) throw new SysErr(E.EINVAL);
  if (res & BigInt(RESOLVE.CACHED)) throw new SysErr(E.EAGAIN);
  return { flags: Number(flags), mode: Number(mode), resolve: Number(res) };
}

export const openFamily: SyscallFamily = {
  open: entry(['path', 'flags', 'oct'], (t, a, k) =>
    openPath(k, t, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.int(1), a.uint(2))),
  openat: entry(['fd', 'path', 'flags', 'oct'], (t, a, k) =>
    openPath(k, t, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), a.uint(3))),
  creat: entry(['path', 'oct'], (t, a, k) =>
    openPath(k, t, AT.FDCWD, t.mem.readPath(a.ptr(0)), O.CREAT | O.WRONLY | O.TRUNC, a.uint(1))),
  openat2: entry(['fd', 'path', 'ptr', 'int'], (t, a, k) => {
    const how = readOpenHow(t, a.ptr(2), a.ptr(3));
    // Magic links are the sentry's own /proc; none of them may lead out, so NO_MAGICLINKS changes nothing.
    return openPath(k, t, a.int(0), t.mem.readPath(a.ptr(1)), how.flags, how.mode, how.resolve);
  }),
};
