// Directories: getdents64, mkdir, rmdir, chdir, fchdir, getcwd, chroot.
import { CAP, capable } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import type { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { libcCalls, sys } from '../host/native.js';
import type { VfsPath } from '../vfs/mount.js';
import * as vfs from '../vfs/ops.js';
import { checkAccess, MAY_EXEC } from '../vfs/permissions.js';
import { AT, O, PATH_MAX } from '../abi/flags.js';
import { dtype, isDir, S_IFDIR } from '../abi/stat.js';
import { parentOf, pathOf, resolve } from '../vfs/walk.js';
import { sentryFile, startOf } from './common.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';
import { nameBytes } from '../abi/names.js';

const SEEK_SET = 0;
const SEEK_CUR = 1;

/** ".", ".." and the entries, taken when a listing starts. */
function snapshot(t: Task, d: FileDescription) {
  const self = d.at.inode.stat();
  const up = parentOf(t, d.at).inode.stat();
  return [
    { name: '.', ino: self.ino, type: dtype(S_IFDIR) },
    { name: '..', ino: up.ino, type: dtype(S_IFDIR) },
    ...d.at.inode.readdir((d.flags & O.NOATIME) !== 0),
  ];
}

/** A directory entry as getdents64 lays it out (linux_dirent64), or as the old getdents does (linux_dirent). */
type DirentLayout = (view: DataView, out: Uint8Array, at: number, ino: number, off: number, type: number, name: string) => number;

/** d_ino and d_off: two halves each, no BigInt (no inode number or offset here reaches 2^53). */
function putInoOff(view: DataView, at: number, ino: number, off: number): void {
  view.setUint32(at, ino >>> 0, true);
  view.setUint32(at + 4, Math.floor(ino / 0x1_0000_0000), true);
  view.setUint32(at + 8, off >>> 0, true);
  view.setUint32(at + 12, Math.floor(off / 0x1_0000_0000), true);
}

/** Writes `name` (a character a byte, abi/names.ts) at `at`, without an allocation. */
function putName(out: Uint8Array, at: number, name: string): void {
  for (let i = 0; i < name.length; i++) out[at + i] = name.charCodeAt(i);
}

const dirent64: DirentLayout = (view, out, at, ino, off, type, name) => {
  const len = name.length;
  const reclen = (19 + len + 1 + 7) & ~7;
  if (at + reclen > out.length) return 0;
  putInoOff(view, at, ino, off);
  view.setUint16(at + 16, reclen, true);
  view.setUint8(at + 18, type);
  putName(out, at + 19, name);
  out.fill(0, at + 19 + len, at + reclen);
  return reclen;
};

/** linux_dirent: the name, a NUL, then d_type in the record's last byte. */
const direntOld: DirentLayout = (view, out, at, ino, off, type, name) => {
  const len = name.length;
  const reclen = (18 + len + 2 + 7) & ~7;
  if (at + reclen > out.length) return 0;
  putInoOff(view, at, ino, off);
  view.setUint16(at + 16, reclen, true);
  putName(out, at + 18, name);
  out.fill(0, at + 18 + len, at + reclen);
  view.setUint8(at + reclen - 1, type);
  return reclen;
};

/** One buffer for every listing: the records are copied into the guest before the next call. */
const direntBuf = new Uint8Array(1 << 20);
const direntView = new DataView(direntBuf.buffer);

/**
 * getdents64(2) and getdents(2). The offset of the guest's open file
 * description (shared with the sentry's copy) is the index of the next
 * entry, so lseek, telldir and rewinddir work natively.
 */
function getdents(t: Task, k: Kernel, fd: number, buf: number, count: number, layout: DirentLayout): number {
  const d = sentryFile(k, t, fd, E.ENOTDIR);
  if (d.flags & O.PATH) throw new SysErr(E.EBADF);
  const st = d.at.inode.stat();
  if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  if (st.nlink === 0) throw new SysErr(E.ENOENT);
  const pos = sys(libcCalls.lseek(d.hostFd, 0, SEEK_CUR));
  if (pos === 0 || !d.dirents) d.dirents = snapshot(t, d);
  const out = direntBuf.subarray(0, Math.min(count, direntBuf.length));
  const view = direntView;
  let used = 0;
  let i = pos;
  for (; i < d.dirents.length; i++) {
    const e = d.dirents[i]!;
    const n = layout(view, out, used, e.ino, i + 1, e.type, e.name);
    if (n === 0) break;
    used += n;
  }
  if (used === 0 && i < d.dirents.length) throw new SysErr(E.EINVAL);
  t.mem.write(buf, out.subarray(0, used));
  // At the end already (a listing's last call): the offset stays.
  if (i !== pos) sys(libcCalls.lseek(d.hostFd, i, SEEK_SET));
  if (!(d.flags & O.NOATIME) && !d.at.mount.readonly) d.at.inode.accessed();
  return used;
}

function mkdirAt(t: Task, k: Kernel, dirfd: number, path: string, mode: number): number {
  vfs.mkdirAt(t, startOf(k, t, dirfd, path), path, mode);
  return 0;
}

export function rmdirAt(t: Task, k: Kernel, dirfd: number, path: string): number {
  vfs.rmdirAt(t, startOf(k, t, dirfd, path), path);
  return 0;
}

function changeDir(t: Task, to: VfsPath): number {
  const st = to.inode.stat();
  if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  checkAccess(t, st, MAY_EXEC, to.inode);
  to.inode.pin();
  t.fs.cwd = to;
  return 0;
}

function getcwd(t: Task, buf: number, size: number): number {
  // The cwd was removed: Linux has no path for it.
  if (t.fs.cwd.inode.stat().nlink === 0) throw new SysErr(E.ENOENT);
  const { path, reachable } = pathOf(t, t.fs.cwd);
  const bytes = nameBytes((reachable ? '' : '(unreachable)') + path + '\0');
  // Linux builds the path in a PATH_MAX page: a longer one is ENAMETOOLONG, whatever the buffer.
  if (bytes.length > PATH_MAX) throw new SysErr(E.ENAMETOOLONG);
  if (size < bytes.length) throw new SysErr(E.ERANGE);
  t.mem.write(buf, bytes);
  return bytes.length;
}

export const dirFamily: SyscallFamily = {
  getdents64: entry(['fd', 'ptr', 'int'], (t, a, k) => getdents(t, k, a.int(0), a.ptr(1), a.uint(2), dirent64)),
  getdents: entry(['fd', 'ptr', 'int'], (t, a, k) => getdents(t, k, a.int(0), a.ptr(1), a.uint(2), direntOld)),
  mkdir: entry(['path', 'oct'], (t, a, k) => mkdirAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)), a.uint(1))),
  mkdirat: entry(['fd', 'path', 'oct'], (t, a, k) => mkdirAt(t, k, a.int(0), t.mem.readPath(a.ptr(1)), a.uint(2))),
  rmdir: entry(['path'], (t, a, k) => rmdirAt(t, k, AT.FDCWD, t.mem.readPath(a.ptr(0)))),
  chdir: entry(['path'], (t, a) =>
    changeDir(t, resolve(t, t.fs.cwd, t.mem.readPath(a.ptr(0)), { followFinal: true }))),
  fchdir: entry(['fd'], (t, a, k) => changeDir(t, sentryFile(k, t, a.int(0), E.ENOTDIR).at)),
  getcwd: entry(['ptr', 'int'], (t, a) => getcwd(t, a.ptr(0), a.ptr(1))),
  chroot: entry(['path'], (t, a) => {
    const to = resolve(t, t.fs.cwd, t.mem.readPath(a.ptr(0)), { followFinal: true });
    const st = to.inode.stat();
    if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
    checkAccess(t, st, MAY_EXEC, to.inode);
    if (!capable(t.creds, CAP.SYS_CHROOT)) throw new SysErr(E.EPERM);
    to.inode.pin();
    t.fs.root = to;
    return 0;
  }),
};
