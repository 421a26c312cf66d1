// What many handlers share: the start of a *at walk, stat structures, and
// the rules for creating entries.
import { statfsSync, statSync } from 'node:fs';
import { E, SysErr } from '../kernel/errno.js';
import type { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { Owner, StatFs } from '../vfs/inode.js';
import type { VfsPath } from '../vfs/mount.js';
import { checkAccess, MAY_EXEC, MAY_WRITE } from '../vfs/permissions.js';
import { AT, isDir, S_ISGID, type Stat } from '../vfs/types.js';
import { resolve, resolveParent, type ParentAndName } from '../vfs/walk.js';
import { major, minor } from '../vfs/devices.js';

/** The description behind a guest fd that must be one the sentry made. */
export function sentryFile(k: Kernel, t: Task, fd: number, whenForeign: number = E.EBADF): FileDescription {
  const d = k.files.lookup(t, fd);
  if (!d) throw new SysErr(whenForeign);
  return d;
}

/** Where a *at call starts: the cwd for AT_FDCWD, else the directory fd's place. */
export function startOf(k: Kernel, t: Task, dirfd: number): VfsPath {
  if (dirfd === AT.FDCWD) return t.fs.cwd;
  return sentryFile(k, t, dirfd, E.ENOTDIR).at;
}

/** For calls that accept AT_EMPTY_PATH: the fd's own place when the path is empty. */
export function lookupAt(k: Kernel, t: Task, dirfd: number, path: string, flags: number): VfsPath {
  if (path === '' && (flags & AT.EMPTY_PATH)) {
    return dirfd === AT.FDCWD ? t.fs.cwd : sentryFile(k, t, dirfd).at;
  }
  return resolve(t, startOf(k, t, dirfd), path, { followFinal: (flags & AT.SYMLINK_NOFOLLOW) === 0 });
}

/** Host stat of a guest fd the sentry did not make (pipe, socket, inherited tty). */
export function foreignStat(t: Task, fd: number): Stat {
  let s;
  try { s = statSync(`/proc/${t.tid}/fd/${fd}`, { bigint: true }); } catch { throw new SysErr(E.EBADF); }
  const ts = (ns: bigint) => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
  return { dev: Number(s.dev), ino: Number(s.ino), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid),
    gid: Number(s.gid), rdev: Number(s.rdev), size: Number(s.size), blksize: Number(s.blksize),
    blocks: Number(s.blocks), atime: ts(s.atimeNs), mtime: ts(s.mtimeNs), ctime: ts(s.ctimeNs) };
}

/** Host statfs of a guest fd the sentry did not make. */
export function foreignStatfs(t: Task, fd: number): Uint8Array {
  let s;
  try { s = statfsSync(`/proc/${t.tid}/fd/${fd}`); } catch { throw new SysErr(E.EBADF); }
  return encodeStatfs({ type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail,
    files: s.files, ffree: s.ffree, namelen: 255, frsize: s.bsize, flags: 0 }, 0, false);
}

/** Stat of whatever a guest fd is. */
export function fdStat(k: Kernel, t: Task, fd: number): Stat {
  const d = k.files.lookup(t, fd);
  return d ? d.at.inode.stat() : foreignStat(t, fd);
}

const big = (n: number) => BigInt(Math.trunc(n));

/** struct stat (x86-64). */
export function encodeStat(st: Stat): Uint8Array {
  const b = new Uint8Array(144);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, big(st.dev), true);
  v.setBigUint64(8, big(st.ino), true);
  v.setBigUint64(16, big(st.nlink), true);
  v.setUint32(24, st.mode, true);
  v.setUint32(28, st.uid, true);
  v.setUint32(32, st.gid, true);
  v.setBigUint64(40, big(st.rdev), true);
  v.setBigInt64(48, big(st.size), true);
  v.setBigInt64(56, big(st.blksize), true);
  v.setBigInt64(64, big(st.blocks), true);
  v.setBigInt64(72, big(st.atime.sec), true);
  v.setBigInt64(80, big(st.atime.nsec), true);
  v.setBigInt64(88, big(st.mtime.sec), true);
  v.setBigInt64(96, big(st.mtime.nsec), true);
  v.setBigInt64(104, big(st.ctime.sec), true);
  v.setBigInt64(112, big(st.ctime.nsec), true);
  return b;
}

const STATX_BASIC_STATS = 0x7ff;
const STATX_MNT_ID = 0x1000;

/** struct statx. */
export function encodeStatx(st: Stat, mountId: number): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  const ts = (off: number, t: { sec: number; nsec: number }) => {
    v.setBigInt64(off, big(t.sec), true);
    v.setUint32(off + 8, t.nsec, true);
  };
  v.setUint32(0, STATX_BASIC_STATS | STATX_MNT_ID, true);
  v.setUint32(4, st.blksize, true);
  v.setUint32(16, st.nlink, true);
  v.setUint32(20, st.uid, true);
  v.setUint32(24, st.gid, true);
  v.setUint16(28, st.mode, true);
  v.setBigUint64(32, big(st.ino), true);
  v.setBigUint64(40, big(st.size), true);
  v.setBigUint64(48, big(st.blocks), true);
  ts(64, st.atime);
  ts(96, st.ctime);
  ts(112, st.mtime);
  v.setUint32(128, major(st.rdev), true);
  v.setUint32(132, minor(st.rdev), true);
  v.setUint32(136, major(st.dev), true);
  v.setUint32(140, minor(st.dev), true);
  v.setBigUint64(144, big(mountId), true);
  return b;
}

/** struct statfs (x86-64). */
export function encodeStatfs(s: StatFs, dev: number, readonly: boolean): Uint8Array {
  const b = new Uint8Array(120);
  const v = new DataView(b.buffer);
  const fields = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  fields.forEach((x, i) => v.setBigInt64(i * 8, big(x), true));
  v.setInt32(56, dev & 0xffffffff, true);
  v.setInt32(60, 0, true);
  v.setBigInt64(64, big(s.namelen), true);
  v.setBigInt64(72, big(s.frsize), true);
  v.setBigInt64(80, big(s.flags | (readonly ? 1 : 0) | 0x400 /* ST_VALID */), true);
  return b;
}

/** The owner of a new entry in `dir`: the caller, or the directory's group when it is setgid. */
export function newOwner(t: Task, dir: Stat): Owner {
  return { uid: t.creds.fsuid, gid: (dir.mode & S_ISGID) ? dir.gid : t.creds.fsgid };
}

/** Checks for creating or removing an entry in `p.dir`: a writable directory on a writable mount. */
export function checkDirWritable(t: Task, dir: VfsPath): Stat {
  const st = dir.inode.stat();
  if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  checkAccess(t.creds, st, MAY_WRITE | MAY_EXEC);
  if (dir.mount.readonly) throw new SysErr(E.EROFS);
  return st;
}

/** Parent and name for calls that create an entry; '.', '..' and '/' already exist. */
export function parentForCreate(k: Kernel, t: Task, dirfd: number, path: string): ParentAndName {
  const p = resolveParent(t, startOf(k, t, dirfd), path);
  if (p.name === '' || p.name === '.' || p.name === '..') throw new SysErr(E.EEXIST);
  return p;
}

/** Does `name` exist in `dir`? (without following it) */
export function exists(dir: VfsPath, name: string): boolean {
  try {
    dir.inode.lookup(name);
    return true;
  } catch (e) {
    if (e instanceof SysErr && e.errno === E.ENOENT) return false;
    throw e;
  }
}
