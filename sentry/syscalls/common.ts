// What many handlers share: the start of a *at walk, stat structures, and
// the rules for creating entries.
import { host } from '../host/fd.js';
import { E, SysErr } from '../abi/errno.js';
import type { FileDescription } from '../kernel/files.js';
import { ForeignFd } from '../host/foreign.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import type { StatFs } from '../vfs/inode.js';
import type { VfsPath } from '../vfs/mount.js';
import { AT, O } from '../abi/flags.js';
import { isFifo, type Stat } from '../abi/stat.js';
import { resolve } from '../vfs/walk.js';
import { major, minor } from '../vfs/devices.js';

/** The description behind a guest fd that must be one the sentry made. */
export function sentryFile(k: Kernel, t: Task, fd: number, whenForeign: number = E.EBADF): FileDescription {
  const d = k.files.lookup(t, fd);
  if (!d) throw new SysErr(whenForeign);
  return d;
}

/**
 * Where a *at call starts: the cwd for AT_FDCWD, else the directory fd's
 * place. An absolute path starts at the root whatever dirfd is, even a bad one.
 */
export function startOf(k: Kernel, t: Task, dirfd: number, path: string): VfsPath {
  if (dirfd === AT.FDCWD || path.startsWith('/')) return t.fs.cwd;
  return sentryFile(k, t, dirfd, E.ENOTDIR).at;
}

/** For calls that accept AT_EMPTY_PATH: the fd's own place when the path is empty. */
export function lookupAt(k: Kernel, t: Task, dirfd: number, path: string, flags: number): VfsPath {
  if (path === '' && (flags & AT.EMPTY_PATH)) {
    return dirfd === AT.FDCWD ? t.fs.cwd : sentryFile(k, t, dirfd).at;
  }
  return resolve(t, startOf(k, t, dirfd, path), path, { followFinal: (flags & AT.SYMLINK_NOFOLLOW) === 0 });
}

/**
 * Runs `f` on what guest fd `fd` is (FileRegistry.identify): a description
 * the sentry made, or the sentry's copy of a foreign one, closed after.
 */
export function withFd<T>(k: Kernel, t: Task, fd: number, f: (x: FileDescription | ForeignFd) => T): T {
  const x = k.files.identify(t, fd);
  try {
    return f(x);
  } finally {
    if (x instanceof ForeignFd) x.close();
  }
}

/** Host statfs of a foreign object. */
export function foreignStatfs(held: ForeignFd): Uint8Array {
  const s = host(() => held.statfs());
  return encodeStatfs({ type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail,
    files: s.files, ffree: s.ffree, namelen: 255, frsize: s.bsize, flags: 0 }, 0, false);
}

/** Stat of an open description: through its host file, unless O_PATH (whose host object stands in for it). */
export function descriptionStat(d: FileDescription): Stat {
  return d.flags & O.PATH ? d.at.inode.stat() : d.at.inode.statOpen(d.hostFd);
}

/** The sandbox FIFO behind a guest fd the sentry gave without keeping a description (see openFifo). */
export function givenFifo(k: Kernel, st: Stat): VfsPath | undefined {
  return isFifo(st.mode) ? k.fifos.get(`${st.dev}:${st.ino}`) : undefined;
}

/** The place of a guest fd: one the sentry made, or a FIFO it gave; else `whenForeign`. */
export function fdPlace(k: Kernel, t: Task, fd: number, whenForeign: number): VfsPath {
  return withFd(k, t, fd, (x) => {
    if (!(x instanceof ForeignFd)) return x.at;
    const fifo = givenFifo(k, x.stat());
    if (!fifo) throw new SysErr(whenForeign);
    return fifo;
  });
}

/** Stat of whatever a guest fd is. */
export function fdStat(k: Kernel, t: Task, fd: number): Stat {
  return withFd(k, t, fd, (x) => {
    if (!(x instanceof ForeignFd)) return descriptionStat(x);
    const st = x.stat();
    return givenFifo(k, st)?.inode.stat() ?? st;
  });
}

/** Stores a 64-bit integer (two's complement for negatives) without BigInt. */
function set64(v: DataView, off: number, n: number): void {
  const hi = Math.floor(n / 0x1_0000_0000);
  v.setUint32(off, n - hi * 0x1_0000_0000, true);
  v.setInt32(off + 4, hi, true);
}

/** struct stat (x86-64). */
const statOut = new Uint8Array(144);
const statOutView = new DataView(statOut.buffer);

/** struct stat, in a buffer of the module's that the next call overwrites: the caller writes it out at once. */
export function encodeStat(st: Stat): Uint8Array {
  const b = statOut;
  const v = statOutView;
  set64(v, 0, st.dev);
  set64(v, 8, st.ino);
  set64(v, 16, st.nlink);
  v.setUint32(24, st.mode, true);
  v.setUint32(28, st.uid, true);
  v.setUint32(32, st.gid, true);
  set64(v, 40, st.rdev);
  set64(v, 48, st.size);
  set64(v, 56, st.blksize);
  set64(v, 64, st.blocks);
  set64(v, 72, st.atime.sec);
  set64(v, 80, st.atime.nsec);
  set64(v, 88, st.mtime.sec);
  set64(v, 96, st.mtime.nsec);
  set64(v, 104, st.ctime.sec);
  set64(v, 112, st.ctime.nsec);
  return b;
}

const STATX_BASIC_STATS = 0x7ff;
const STATX_BTIME = 0x800;
const STATX_MNT_ID = 0x1000;

/** struct statx. */
export function encodeStatx(st: Stat, mountId: number): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  const ts = (off: number, t: { sec: number; nsec: number }) => {
    set64(v, off, t.sec);
    v.setUint32(off + 8, t.nsec, true);
  };
  v.setUint32(0, STATX_BASIC_STATS | STATX_MNT_ID | (st.btime ? STATX_BTIME : 0), true);
  v.setUint32(4, st.blksize, true);
  v.setUint32(16, st.nlink, true);
  v.setUint32(20, st.uid, true);
  v.setUint32(24, st.gid, true);
  v.setUint16(28, st.mode, true);
  set64(v, 32, st.ino);
  set64(v, 40, st.size);
  set64(v, 48, st.blocks);
  ts(64, st.atime);
  if (st.btime) ts(80, st.btime);
  ts(96, st.ctime);
  ts(112, st.mtime);
  v.setUint32(128, major(st.rdev), true);
  v.setUint32(132, minor(st.rdev), true);
  v.setUint32(136, major(st.dev), true);
  v.setUint32(140, minor(st.dev), true);
  set64(v, 144, mountId);
  return b;
}

/** struct statfs (x86-64). */
export function encodeStatfs(s: StatFs, dev: number, readonly: boolean): Uint8Array {
  const b = new Uint8Array(120);
  const v = new DataView(b.buffer);
  const fields = [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  fields.forEach((x, i) => set64(v, i * 8, x));
  v.setInt32(56, dev & 0xffffffff, true);
  v.setInt32(60, 0, true);
  set64(v, 64, s.namelen);
  set64(v, 72, s.frsize);
  set64(v, 80, s.flags | (readonly ? 1 : 0) | 0x400 /* ST_VALID */);
  return b;
}
