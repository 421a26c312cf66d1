// The kernel tmpfs instance behind one sandbox tmpfs: made by the sentry
// with fsopen/fsconfig/fsmount, detached (in no mount namespace, so no host
// process or guest reaches it by a path), and reached only through the
// sentry's fd of its root. It holds the data of the sandbox tmpfs's regular
// files, one host file per sandbox inode, named by the inode number, and an
// empty file for every other inode, so the kernel counts the sandbox's
// inodes and bytes and enforces size= and nr_inodes= (ENOSPC) itself.
import { closeSync, statfsSync } from 'node:fs';
import koffi from '../../../native/koffi.js';
import { SysErr } from '../../abi/errno.js';
import { decodeStat, type HostStat, native, STAT_SIZE, tv } from '../../host/native.js';
import { AT, O } from '../../abi/flags.js';
import { S_IFREG } from '../../abi/stat.js';
import { type TimeArg, utimensAt } from '../../host/times.js';

const libc = koffi.load('libc.so.6');
const openatC = libc.func('int openat(int dirfd, const char *path, int flags, uint32_t mode)') as
  (dirfd: number, path: string, flags: number, mode: number) => number;
const mknodatC = libc.func('int mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)') as
  (dirfd: number, path: string, mode: number, dev: number) => number;
const unlinkatC = libc.func('int unlinkat(int dirfd, const char *path, int flags)') as
  (dirfd: number, path: string, flags: number) => number;
const linkatC = libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)') as
  (oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number) => number;
const fstatatC = libc.func('int fstatat(int dirfd, const char *path, _Out_ uint8_t *buf, int flags)') as
  (dirfd: number, path: string, buf: Uint8Array, flags: number) => number;
const fchmodatC = libc.func('int fchmodat(int dirfd, const char *path, uint32_t mode, int flags)') as
  (dirfd: number, path: string, mode: number, flags: number) => number;
const fchownatC = libc.func('int fchownat(int dirfd, const char *path, int uid, int gid, int flags)') as
  (dirfd: number, path: string, uid: number, gid: number, flags: number) => number;

const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;

const check = (r: number): number => {
  if (r < 0) throw new SysErr(koffi.errno());
  return r;
};

/** The options Linux's tmpfs takes that the kernel instance enforces (the rest are the sentry's). */
export const KERNEL_TMPFS_OPTIONS = ['size', 'nr_blocks', 'nr_inodes'] as const;

const statBuf = new Uint8Array(STAT_SIZE);

export class HostTmpfs {
  /** The sentry's fd of the instance's root (a detached mount). */
  readonly root: number;

  /** `options`: size=, nr_blocks=, nr_inodes= as the guest wrote them; the kernel parses them (EINVAL as Linux). */
  constructor(options: [string, string][]) {
    const buf = Buffer.from(options.flat().map((x) => `${x}\0`).join(''));
    // Not noexec: guests exec these files (the sentry passes them as fds). Not relatime-less: the default is relatime.
    this.root = tv(native.fsmount('tmpfs', buf, options.length, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  }

  /**
   * Makes host file `name` (it must not exist) with `mode` (less the sentry's
   * umask); returns an fd of it opened `access` (as `open` opens: F_GETFL
   * shows no more).
   */
  create(name: string, access: number, mode: number): number {
    return check(openatC(this.root, name, O.CREAT | O.EXCL | access | O.CLOEXEC | O.NOCTTY, mode));
  }

  /** Makes empty host file `name` (it must not exist), which only counts an inode: one call, no fd. */
  placeholder(name: string): void {
    check(mknodatC(this.root, name, S_IFREG | 0o600, 0));
  }

  /** An unnamed host file (O_TMPFILE, linkable) with `mode` (less the sentry's umask): an fd of it, O_RDWR. */
  tmpfile(mode: number): number {
    return check(openatC(this.root, '.', O.TMPFILE | O.RDWR | O.CLOEXEC, mode));
  }

  /**
   * A new open file description of host file `name` with `flags` (status
   * flags and access mode, which F_GETFL shows: no O_NOFOLLOW, needless where
   * only regular files exist).
   */
  open(name: string, flags: number): number {
    return check(openatC(this.root, name, flags | O.CLOEXEC | O.NOCTTY, 0));
  }

  stat(name: string): HostStat {
    check(fstatatC(this.root, name, statBuf, AT.SYMLINK_NOFOLLOW));
    return decodeStat(statBuf);
  }

  /**
   * Attribute changes of host file `name`, each one call by its name (an open, the call and a close on an fd
   * cost three): its mode, its owner (-1: unchanged), its times.
   */
  chmod(name: string, mode: number): void {
    check(fchmodatC(this.root, name, mode, 0));
  }
  chown(name: string, uid: number, gid: number): void {
    check(fchownatC(this.root, name, uid, gid, AT.SYMLINK_NOFOLLOW));
  }
  utimens(name: string, atime: TimeArg, mtime: TimeArg): void {
    utimensAt(this.root, name, atime, mtime, AT.SYMLINK_NOFOLLOW);
  }

  /** Moves host file `name`'s ctime to now, as a chmod to its own mode does. */
  touchCtime(name: string): void {
    this.chmod(name, this.stat(name).mode & 0o7777);
  }

  unlink(name: string): void {
    check(unlinkatC(this.root, name, 0));
  }

  /** Gives the unnamed (O_TMPFILE) host file open as `fd` the name `name`. */
  link(fd: number, name: string): void {
    check(linkatC(AT.FDCWD, `/proc/self/fd/${fd}`, this.root, name, AT.SYMLINK_FOLLOW));
  }

  /** Lets the instance go (the kernel frees it with the last open file of it); for a filesystem never mounted. */
  close(): void {
    closeSync(this.root);
  }

  /** Blocks and inodes of the instance, in the kernel's figures. */
  statfs(): { blocks: number; bfree: number; bavail: number; files: number; ffree: number } {
    const s = statfsSync(`/proc/self/fd/${this.root}`);
    return { blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree };
  }
}
