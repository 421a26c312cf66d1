// open(2), openat(2), openat2(2), creat(2).
import { E, SysErr } from '../abi/errno.js';
import { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { throughFd, type VfsPath } from '../vfs/mount.js';
import * as vfs from '../vfs/ops.js';
import { closeSync, openSync } from 'node:fs';
import { host, hostFstat } from '../host/fd.js';
import { AT, O, RESOLVE } from '../abi/flags.js';
import { isDir, isFifo, isReg } from '../abi/stat.js';
import type { Perm } from '../vfs/permissions.js';
import { pathOf } from '../vfs/walk.js';
import { opened } from '../vfs/notify.js';
import { startOf } from './common.js';
import { entry, type GiveFd, type NewFd, type Reply, type SyscallFamily, type WaitingOpen } from '../kernel/syscalls.js';

const VALID_OPEN_FLAGS = O.ACCMODE | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND | O.NONBLOCK | O.DSYNC |
  O.ASYNC | O.DIRECT | O.LARGEFILE | O.DIRECTORY | O.NOFOLLOW | O.NOATIME | O.CLOEXEC | O.SYNC | O.PATH | O.TMPFILE;
const PATH_FLAGS = O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC;

/** Where an open starts: RESOLVE_IN_ROOT and RESOLVE_BENEATH scope even an absolute path to dirfd. */
function openStart(k: Kernel, t: Task, dirfd: number, path: string, res: number): VfsPath {
  return startOf(k, t, dirfd, res & (RESOLVE.IN_ROOT | RESOLVE.BENEATH) ? '' : path);
}

/** The common part of every open: the VFS's open, then a new description (or a FIFO's end). */
export function openPath(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, res = 0): Reply {
  if (flags & ~VALID_OPEN_FLAGS) flags &= VALID_OPEN_FLAGS;
  // Linux 6.4 refuses the pair, which used to create a regular file.
  if ((flags & (O.DIRECTORY | O.CREAT)) === (O.DIRECTORY | O.CREAT)) throw new SysErr(E.EINVAL);
  if ((flags & O.TMPFILE) === O.TMPFILE) return openTmpfile(k, t, dirfd, path, flags, mode, res);
  if (flags & O.PATH) flags &= PATH_FLAGS;
  // The loader's open of the dynamic program an exec ran gets the file the exec checked, whatever the path names by
  // now, and asks no read permission, as the kernel's mapping of a program asks none (LoaderProgram).
  const program = dirfd === AT.FDCWD && (flags & ~(O.CLOEXEC | O.LARGEFILE)) === O.RDONLY ? t.tg.takeLoaderProgram(path) : null;
  if (program) {
    try {
      return openPlace(k, t, program.at, vfs.placeStat(program.at), flags);
    } finally {
      program.release();
    }
  }
  const { at, st } = vfs.openAt(t, openStart(k, t, dirfd, path, res), path, flags, mode, res);
  return openPlace(k, t, at, st, flags);
}

/** The rest of every open, of a place the VFS has checked: a new description, or a FIFO's end. */
function openPlace(k: Kernel, t: Task, at: VfsPath, st: Perm, flags: number): Reply {
  if (isFifo(st.mode) && !(flags & O.PATH)) return openFifo(k, at, flags);
  // Before the open, so that a failure to hold the directory (or to read the caller's session) leaves no host fd behind.
  if (isDir(st.mode)) at.inode.pin();
  const controlling = takesTerminal(t, at, flags);
  const hostFd = k.files.withRoom(() => flags & O.PATH ? openAsPath(at, flags) : at.inode.open(flags, t, throughFd(at)));
  const d = new FileDescription(hostFd, { mount: at.mount, inode: at.inode }, flags, pathOf(t, at).path, t.creds);
  if (!(flags & O.PATH)) opened(at.inode);
  // Asked after the open, which may have copied the file up.
  d.privateLocks = !(flags & O.PATH) && at.inode.sharesHostFile();
  if (isReg(st.mode)) t.tg.noteOpened(at.inode, d.path);
  return { description: d, cloexec: (flags & O.CLOEXEC) !== 0, controlling };
}

/**
 * Linux's tty_open makes a pty slave opened without O_NOCTTY, for reading,
 * the controlling terminal of a session leader that has none (and not a
 * terminal of another session: TIOCSCTTY checks that when it runs). The
 * sentry opened the slave, so the caller takes it itself.
 */
function takesTerminal(t: Task, at: VfsPath, flags: number): boolean {
  const acc = flags & O.ACCMODE;
  return !(flags & (O.NOCTTY | O.PATH)) && (acc === O.RDONLY || acc === O.RDWR) && at.inode.isPtySlave() &&
    t.leadsSessionWithoutTerminal();
}

/**
 * O_PATH opens nothing of the file, as on Linux: the host fd is a real O_PATH
 * fd (of the filesystem's empty directory), so read, write, mmap, fsync,
 * ftruncate… on the guest's fd fail with EBADF in the host kernel, untrapped,
 * and F_GETFL shows O_PATH. The kernel puts it into the guest through a unix
 * socket (Platform.replyPathFd), as seccomp's ADDFD refuses O_PATH files.
 */
function openAsPath(at: VfsPath, flags: number): number {
  at.inode.openedAsPath();
  return at.mount.fs.emptyDir.openPath(flags);
}

/**
 * A FIFO opens its host FIFO. O_RDWR and O_NONBLOCK opens never wait and are
 * made here; the others wait for the peer on a thread of their own. Either
 * way the sentry keeps no copy of the end it gives.
 */
function openFifo(k: Kernel, at: VfsPath, flags: number): GiveFd | WaitingOpen {
  const pathFd = at.inode.fifo(flags);
  const cloexec = (flags & O.CLOEXEC) !== 0;
  // A host pipe or FIFO reopened through a foreign fd's link has no sandbox place: its ends stay foreign (pipe:[…]).
  if (!at.inode.isForeign()) {
    const hs = hostFstat(pathFd);
    k.fifos.set(`${hs.dev}:${hs.ino}`, at);
  }
  const open = flags & (O.ACCMODE | O.APPEND | O.NONBLOCK | O.NOATIME);
  if ((flags & O.ACCMODE) !== O.RDWR && !(flags & O.NONBLOCK)) return { pathFd, flags: open, cloexec };
  try {
    return { give: host(() => openSync(`/proc/self/fd/${pathFd}`, open | O.CLOEXEC | O.NOCTTY)), cloexec };
  } finally {
    closeSync(pathFd);
  }
}

/** O_TMPFILE: an unnamed file in the directory `path`, open for writing. */
function openTmpfile(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, res: number): NewFd {
  const acc = flags & O.ACCMODE;
  if (acc !== O.WRONLY && acc !== O.RDWR) throw new SysErr(E.EINVAL);
  const { dir, at } = vfs.tmpfileAt(t, openStart(k, t, dirfd, path, res), path, mode, (flags & O.EXCL) === 0, res);
  const hostFd = k.files.withRoom(() => at.inode.open(flags & ~O.TMPFILE, t));
  const d = new FileDescription(hostFd, at, flags, `${pathOf(t, dir).path}/#tmpfile (deleted)`, t.creds);
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
