// Attributes: chmod, chown, utimes, truncate, umask and extended attributes.
import { readFileSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { host } from '../host/fd.js';
import type { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { VfsPath } from '../vfs/mount.js';
import { MAY_READ, MAY_WRITE } from '../vfs/permissions.js';
import { type AttrTarget, checkXattrAccess, type FileSizeLimit, setMode, setOwner, setTimes, type TimeChange, truncateAt,
  removeXattr, setXattr, visibleXattrs } from '../vfs/ops.js';
import { AT } from '../abi/flags.js';
import { nameBytes } from '../abi/names.js';
import type { Timespec } from '../abi/stat.js';
import { UTIME_NOW, UTIME_OMIT } from '../host/times.js';
import { fdPlace, lookupAt, sentryFile } from './common.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

/** Reads a struct timespec[2] (or NULL: both now) with UTIME_NOW/UTIME_OMIT. */
function readTimes(t: Task, addr: number): [TimeChange, TimeChange] {
  if (addr === 0) return ['now', 'now'];
  const v = new DataView(t.mem.read(addr, 32).buffer);
  const one = (off: number): TimeChange => {
    const nsec = Number(v.getBigInt64(off + 8, true));
    if (nsec === UTIME_NOW) return 'now';
    if (nsec === UTIME_OMIT) return 'omit';
    if (nsec < 0 || nsec > 999_999_999) throw new SysErr(E.EINVAL);
    return { sec: Number(v.getBigInt64(off, true)), nsec };
  };
  return [one(0), one(16)];
}

/** struct timeval[2] (utimes, futimesat) or NULL. */
function readTimevals(t: Task, addr: number): [Timespec | 'now', Timespec | 'now'] {
  if (addr === 0) return ['now', 'now'];
  const v = new DataView(t.mem.read(addr, 32).buffer);
  const one = (off: number): Timespec => {
    const usec = Number(v.getBigInt64(off + 8, true));
    if (usec < 0 || usec > 999_999) throw new SysErr(E.EINVAL);
    return { sec: Number(v.getBigInt64(off, true)), nsec: usec * 1000 };
  };
  return [one(0), one(16)];
}

function utimensat(t: Task, k: Kernel, dirfd: number, pathAddr: number, times: number, flags: number): number {
  // Linux reads and checks the times before the flags (do_utimes), and the
  // NULL-path form (futimens) takes no flags at all (do_utimes_fd).
  const [atime, mtime] = readTimes(t, times);
  // Nothing to change: Linux answers before it looks at the flags, the fd or the path.
  if (atime === 'omit' && mtime === 'omit') return 0;
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
  if (pathAddr === 0 && dirfd !== AT.FDCWD && flags !== 0) throw new SysErr(E.EINVAL);
  const p = pathAddr === 0
    ? (dirfd === AT.FDCWD ? (() => { throw new SysErr(E.EFAULT); })() : openTarget(k.files.lookupOpen(t, dirfd) ?? sentryFile(k, t, dirfd)))
    : lookupAt(k, t, dirfd, t.mem.readPath(pathAddr), flags);
  setTimes(t, p, atime, mtime);
  return 0;
}

/** The guest's RLIMIT_FSIZE for a truncate by path (ftruncate is native and obeys it itself). */
function fileSizeLimit(t: Task): FileSizeLimit {
  return {
    soft: () => {
      const line = host(() => readFileSync(`/proc/${t.tid}/limits`, 'utf8')).split('\n').find((l) => l.startsWith('Max file size'));
      const soft = line?.slice('Max file size'.length).trim().split(/\s+/)[0];
      return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
    },
    exceeded: () => {
      try { process.kill(t.tid, 'SIGXFSZ'); } catch { /* the task is gone */ }
    },
  };
}

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

/**
 * An xattr name as Linux takes it (import_xattr_name, xattr_resolve_name):
 * ERANGE when empty or longer than 255 bytes (however long the string runs),
 * EOPNOTSUPP outside the four namespaces, EINVAL for a namespace alone.
 * Which names of a namespace a filesystem keeps is its own (tmpfs: only the POSIX ACLs of system.*).
 */
function xattrName(t: Task, addr: number): string {
  let name: string;
  try {
    name = t.mem.readString(addr, XATTR_NAME_MAX + 1);
  } catch (e) {
    throw e instanceof SysErr && e.errno === E.ENAMETOOLONG ? new SysErr(E.ERANGE) : e;
  }
  // One character per byte (abi/names.ts).
  if (name.length === 0 || name.length > XATTR_NAME_MAX) throw new SysErr(E.ERANGE);
  const ns = /^(user|trusted|security|system)\./.exec(name);
  if (!ns) throw new SysErr(E.EOPNOTSUPP);
  if (ns[0].length === name.length) throw new SysErr(E.EINVAL);
  return name;
}

function getxattr(t: Task, p: AttrTarget, nameAddr: number, buf: number, size: number): number {
  const name = xattrName(t, nameAddr);
  checkXattrAccess(t, p, name, MAY_READ);
  const value = p.inode.getxattr(name, p.hostFd);
  if (size === 0) return value.length;
  if (size < value.length) throw new SysErr(E.ERANGE);
  t.mem.write(buf, value);
  return value.length;
}

function setxattr(t: Task, p: AttrTarget, nameAddr: number, buf: number, size: number, flags: number): number {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw new SysErr(E.EINVAL);
  const name = xattrName(t, nameAddr);
  if (size > XATTR_SIZE_MAX) throw new SysErr(E.E2BIG);
  checkXattrAccess(t, p, name, MAY_WRITE);
  setXattr(t, p, name, t.mem.read(buf, size), flags);
  return 0;
}

function listxattr(t: Task, p: AttrTarget, buf: number, size: number): number {
  const names = visibleXattrs(t, p.inode.listxattr(p.hostFd));
  const bytes = nameBytes(names.map((n) => n + '\0').join(''));
  if (size === 0) return bytes.length;
  if (size < bytes.length) throw new SysErr(E.ERANGE);
  t.mem.write(buf, bytes);
  return bytes.length;
}

function removexattr(t: Task, p: AttrTarget, nameAddr: number): number {
  const name = xattrName(t, nameAddr);
  checkXattrAccess(t, p, name, MAY_WRITE);
  removeXattr(t, p, name);
  return 0;
}

const at = (k: Kernel, t: Task, addr: number, nofollow: boolean) =>
  lookupAt(k, t, AT.FDCWD, t.mem.readPath(addr), nofollow ? AT.SYMLINK_NOFOLLOW : 0);
const openTarget = (d: FileDescription): AttrTarget => ({ ...d.at, hostFd: d.hostFd });
/** A described fd's place with its host fd (EBADF for O_PATH), or a FIFO end's sandbox FIFO (the sentry keeps no description of those). */
function fdAt(k: Kernel, t: Task, fd: number): AttrTarget {
  const d = k.files.lookupOpen(t, fd);
  return d ? openTarget(d) : fdPlace(k, t, fd, E.EPERM);
}

/** The 0 a call answers once its operation (which returns nothing) succeeded. */
const ok = (_: void): number => 0;

export const attrFamily: SyscallFamily = {
  chmod: entry(['path', 'oct'], (t, a, k) => ok(setMode(t, at(k, t, a.ptr(0), false), a.uint(1)))),
  fchmod: entry(['fd', 'oct'], (t, a, k) => ok(setMode(t, fdAt(k, t, a.int(0)), a.uint(1)))),
  fchmodat: entry(['fd', 'path', 'oct'], (t, a, k) =>
    ok(setMode(t, lookupAt(k, t, a.int(0), t.mem.readPath(a.ptr(1)), 0), a.uint(2)))),
  fchmodat2: entry(['fd', 'path', 'oct', 'flags'], (t, a, k) => {
    const flags = a.int(3);
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
    return ok(setMode(t, lookupAt(k, t, a.int(0), t.mem.readPath(a.ptr(1)), flags), a.uint(2)));
  }),
  chown: entry(['path', 'int', 'int'], (t, a, k) => ok(setOwner(t, at(k, t, a.ptr(0), false), a.uint(1), a.uint(2)))),
  lchown: entry(['path', 'int', 'int'], (t, a, k) => ok(setOwner(t, at(k, t, a.ptr(0), true), a.uint(1), a.uint(2)))),
  fchown: entry(['fd', 'int', 'int'], (t, a, k) => ok(setOwner(t, fdAt(k, t, a.int(0)), a.uint(1), a.uint(2)))),
  fchownat: entry(['fd', 'path', 'int', 'int', 'flags'], (t, a, k) => {
    const flags = a.int(4);
    if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
    return ok(setOwner(t, lookupAt(k, t, a.int(0), t.mem.readPath(a.ptr(1)), flags), a.uint(2), a.uint(3)));
  }),
  utimensat: entry(['fd', 'path', 'ptr', 'flags'], (t, a, k) => utimensat(t, k, a.int(0), a.ptr(1), a.ptr(2), a.int(3))),
  utimes: entry(['path', 'ptr'], (t, a, k) => {
    const [atime, mtime] = readTimevals(t, a.ptr(1));
    return ok(setTimes(t, at(k, t, a.ptr(0), false), atime, mtime));
  }),
  futimesat: entry(['fd', 'path', 'ptr'], (t, a, k) => {
    const [atime, mtime] = readTimevals(t, a.ptr(2));
    return ok(setTimes(t, lookupAt(k, t, a.int(0), t.mem.readPath(a.ptr(1)), 0), atime, mtime));
  }),
  utime: entry(['path', 'ptr'], (t, a, k) => {
    let times: [Timespec | 'now', Timespec | 'now'] = ['now', 'now'];
    if (a.ptr(1) !== 0) {
      const v = new DataView(t.mem.read(a.ptr(1), 16).buffer);
      times = [{ sec: Number(v.getBigInt64(0, true)), nsec: 0 }, { sec: Number(v.getBigInt64(8, true)), nsec: 0 }];
    }
    return ok(setTimes(t, at(k, t, a.ptr(0), false), times[0], times[1]));
  }),
  truncate: entry(['path', 'int'], (t, a, k) => ok(truncateAt(t, at(k, t, a.ptr(0), false), a.long(1), fileSizeLimit(t)))),
  umask: entry(['oct'], (t, a) => {
    const old = t.fs.umask;
    t.fs.umask = a.uint(0) & 0o777;
    return old;
  }),
  getxattr: entry(['path', 'str', 'ptr', 'int'], (t, a, k) => getxattr(t, at(k, t, a.ptr(0), false), a.ptr(1), a.ptr(2), a.ptr(3))),
  lgetxattr: entry(['path', 'str', 'ptr', 'int'], (t, a, k) => getxattr(t, at(k, t, a.ptr(0), true), a.ptr(1), a.ptr(2), a.ptr(3))),
  fgetxattr: entry(['fd', 'str', 'ptr', 'int'], (t, a, k) => getxattr(t, fdAt(k, t, a.int(0)), a.ptr(1), a.ptr(2), a.ptr(3))),
  setxattr: entry(['path', 'str', 'ptr', 'int', 'flags'], (t, a, k) =>
    setxattr(t, at(k, t, a.ptr(0), false), a.ptr(1), a.ptr(2), a.ptr(3), a.int(4))),
  lsetxattr: entry(['path', 'str', 'ptr', 'int', 'flags'], (t, a, k) =>
    setxattr(t, at(k, t, a.ptr(0), true), a.ptr(1), a.ptr(2), a.ptr(3), a.int(4))),
  fsetxattr: entry(['fd', 'str', 'ptr', 'int', 'flags'], (t, a, k) =>
    setxattr(t, fdAt(k, t, a.int(0)), a.ptr(1), a.ptr(2), a.ptr(3), a.int(4))),
  listxattr: entry(['path', 'ptr', 'int'], (t, a, k) => listxattr(t, at(k, t, a.ptr(0), false), a.ptr(1), a.ptr(2))),
  llistxattr: entry(['path', 'ptr', 'int'], (t, a, k) => listxattr(t, at(k, t, a.ptr(0), true), a.ptr(1), a.ptr(2))),
  flistxattr: entry(['fd', 'ptr', 'int'], (t, a, k) => listxattr(t, fdAt(k, t, a.int(0)), a.ptr(1), a.ptr(2))),
  removexattr: entry(['path', 'str'], (t, a, k) => removexattr(t, at(k, t, a.ptr(0), false), a.ptr(1))),
  lremovexattr: entry(['path', 'str'], (t, a, k) => removexattr(t, at(k, t, a.ptr(0), true), a.ptr(1))),
  fremovexattr: entry(['fd', 'str'], (t, a, k) => removexattr(t, fdAt(k, t, a.int(0)), a.ptr(1))),
};
