// The stat family, statfs, access and readlink.
import { accessCreds } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { VfsPath } from '../vfs/mount.js';
import { inodePermission } from '../vfs/permissions.js';
import { AT } from '../abi/flags.js';
import { nameBytes } from '../abi/names.js';
import { isLnk, isReg, type Stat } from '../abi/stat.js';
import { resolve } from '../vfs/walk.js';
import { descriptionStat, encodeStat, encodeStatfs, encodeStatx, fdStat, foreignStatfs, lookupAt, startOf, withFd } from './common.js';
import { ForeignFd } from '../host/foreign.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

const F_OK = 0;
const ACCESS_MODES = 7;

function statAt(t: Task, k: Kernel, dirfd: number, path: string, flags: number): Stat {
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT)) throw new SysErr(E.EINVAL);
  return path === '' && (flags & AT.EMPTY_PATH) && dirfd !== AT.FDCWD
    ? fdStat(k, t, dirfd)
    : lookupAt(k, t, dirfd, path, flags).inode.stat();
}

/** A path argument that may be NULL with AT_EMPTY_PATH (Linux 6.11): then it is the empty path. */
function pathArg(t: Task, addr: number, flags: number): string {
  return addr === 0 && (flags & AT.EMPTY_PATH) ? '' : t.mem.readPath(addr);
}

const STATX_RESERVED = 0x80000000;

function writeStat(t: Task, addr: number, st: Stat): number {
  t.mem.write(addr, encodeStat(st));
  return 0;
}

function statxCall(t: Task, k: Kernel, dirfd: number, path: string, flags: number, buf: number): number {
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH | AT.NO_AUTOMOUNT | AT.STATX_SYNC_TYPE)) throw new SysErr(E.EINVAL);
  if ((flags & AT.STATX_SYNC_TYPE) === AT.STATX_SYNC_TYPE) throw new SysErr(E.EINVAL);
  let mountId = 0;
  let st;
  if (path === '' && (flags & AT.EMPTY_PATH) && dirfd !== AT.FDCWD) {
    const d = k.files.lookup(t, dirfd);
    st = d ? descriptionStat(d) : fdStat(k, t, dirfd);
    mountId = d?.at.mount.id ?? 0;
  } else {
    const p = lookupAt(k, t, dirfd, path, flags);
    st = p.inode.stat();
    mountId = p.mount.id;
  }
  t.mem.write(buf, encodeStatx(st, mountId));
  return 0;
}

function accessCall(t: Task, k: Kernel, dirfd: number, path: string, mode: number, flags: number): number {
  if (mode & ~ACCESS_MODES) throw new SysErr(E.EINVAL);
  if (flags & ~(AT.EACCESS | AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new SysErr(E.EINVAL);
  // access(2) walks and checks with the real ids unless AT_EACCESS, as faccessat's override_creds.
  const creds = (flags & AT.EACCESS) ? t.creds : accessCreds(t.creds);
  const p = t.withCredsOverride(creds, () => lookupAt(k, t, dirfd, path, flags));
  if (mode === F_OK) return 0;
  const st = p.inode.perm();
  if (!inodePermission({ creds, tid: t.tid }, st, mode, p.inode)) throw new SysErr(E.EACCES);
  if ((mode & 2) && p.mount.readonly && !isLnk(st.mode)) throw new SysErr(E.EROFS);
  if ((mode & 1) && p.mount.flags.noexec && isReg(st.mode)) throw new SysErr(E.EACCES);
  return 0;
}

function readlinkCall(t: Task, k: Kernel, dirfd: number, path: string, buf: number, size: number): number {
  if (size <= 0) throw new SysErr(E.EINVAL);
  const p = path === '' ? lookupAt(k, t, dirfd, path, AT.EMPTY_PATH)
    : resolve(t, startOf(k, t, dirfd, path), path, { followFinal: false });
  if (!isLnk(p.inode.stat().mode)) throw new SysErr(path === '' ? E.ENOENT : E.EINVAL);
  if (!p.mount.readonly) p.inode.accessed();
  const target = nameBytes(p.inode.readlink(t));
  const n = Math.min(size, target.length);
  t.mem.write(buf, target.subarray(0, n));
  return n;
}

function statfsOf(t: Task, p: VfsPath, buf: number): number {
  const s = p.mount.fs.statfs();
  // The mount's own flags, as statfs(2) reports them: ST_NOSUID, ST_NODEV, ST_NOEXEC.
  const f = p.mount.flags;
  const flags = s.flags | (f.nosuid ? 2 : 0) | (f.nodev ? 4 : 0) | (f.noexec ? 8 : 0);
  t.mem.write(buf, encodeStatfs({ ...s, flags }, p.mount.fs.dev, p.mount.readonly));
  return 0;
}

export const statFamily: SyscallFamily = {
  stat: entry(['path', 'ptr'], (t, a, k) =>
    writeStat(t, a.ptr(1), statAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), 0))),
  lstat: entry(['path', 'ptr'], (t, a, k) =>
    writeStat(t, a.ptr(1), statAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), AT.SYMLINK_NOFOLLOW))),
  fstat: entry(['fd', 'ptr'], (t, a, k) => writeStat(t, a.ptr(1), fdStat(k, t, a.int(0)))),
  newfstatat: entry(['fd', 'path', 'ptr', 'flags'], (t, a, k) =>
    writeStat(t, a.ptr(2), statAt(t, k, a.int(0), pathArg(t, a.ptr(1), a.int(3)), a.int(3)))),
  statx: entry(['fd', 'path', 'flags', 'hex', 'ptr'], (t, a, k) => {
    if (a.uint(3) & STATX_RESERVED) throw new SysErr(E.EINVAL);
    return statxCall(t, k, a.int(0), pathArg(t, a.ptr(1), a.int(2)), a.int(2), a.ptr(4));
  }),
  access: entry(['path', 'oct'], (t, a, k) => accessCall(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.int(1), 0)),
  faccessat: entry(['fd', 'path', 'oct'], (t, a, k) => accessCall(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), 0)),
  faccessat2: entry(['fd', 'path', 'oct', 'flags'], (t, a, k) =>
    accessCall(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.int(2), a.int(3))),
  readlink: entry(['path', 'ptr', 'int'], (t, a, k) =>
    readlinkCall(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.ptr(1), a.int(2))),
  readlinkat: entry(['fd', 'path', 'ptr', 'int'], (t, a, k) =>
    readlinkCall(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.ptr(2), a.int(3))),
  statfs: entry(['path', 'ptr'], (t, a, k) =>
    statfsOf(t, lookupAt(k, t, AT.FDCWD, t.mem.readPath(a.ptr(0)), 0), a.ptr(1))),
  fstatfs: entry(['fd', 'ptr'], (t, a, k) => withFd(k, t, a.int(0), (x) => {
    if (!(x instanceof ForeignFd)) return statfsOf(t, x.at, a.ptr(1));
    t.mem.write(a.ptr(1), foreignStatfs(x));
    return 0;
  })),
};
