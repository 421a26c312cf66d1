// The overlay's lower layer read by the sentry itself, through O_PATH fds of
// its directories that the gofer opened in its confined tree (gVisor's
// directfs, for this one read-only tree): a lookup is a statx of one name in
// its directory's fd, a listing the getdents64 of that directory reopened, a
// symlink's body a readlinkat, an xattr an lgetxattr of the entry through its
// directory's /proc/self/fd link, an open of a file the reopening of its
// O_PATH fd: no gofer round trip. Each call names one plain entry of a
// directory fd (never "", ".", ".." nor a name with a "/") and follows no
// symlink; an fd is opened from its directory's with openat2(RESOLVE_BENEATH
// | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) and must
// be the file its lookup found. So what the sentry reads is what the gofer
// would have read for it, on the same read-only, nodev, nosuid mount; a file
// or directory on another mount of the host's tree (which RESOLVE_NO_XDEV
// refuses) is opened by the gofer, as is the root. docs/design.md, "The
// lower layer read directly".
import { E, SysErr } from '../../abi/errno.js';
import { forEachDirent64, isDots } from '../../abi/dirent.js';
import { AT, O, RESOLVE } from '../../abi/flags.js';
import { bytesName, isPlainName, nameBytes } from '../../abi/names.js';
import { decodeStatx, isDir, type Stat, STATX_BASIC_STATS, STATX_BTIME, STATX_SIZE } from '../../abi/stat.js';
import { closeQuietly, FdCache, hostFstat, reopen } from '../../host/fd.js';
import { lgetxattrAt, llistxattrAt } from '../../host/xattr.js';
import { libcCalls, sys } from '../../host/native.js';
import type { GoferInode } from './fs.js';

/** How many directory fds a lower layer keeps (least recently used closed first). */
const DIR_FDS = 128;
const SYS_OPENAT2 = 437;
const ONE_NAME = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_XDEV;
/** PATH_MAX: no symlink body is longer. */
const LINK_MAX = 4096;

/** An entry of a listing (a gofer's brings its lstat). */
export interface DirectEntry { name: string; ino: number; type: number; stat?: Stat }

/** A directory entry's name as a C string, or EINVAL for anything but one plain name. */
function plainName(name: string): Buffer {
  if (!isPlainName(name)) throw new SysErr(E.EINVAL);
  return nameBytes(name + '\0');
}

/** Entry `name` of `dirFd` (null: the directory itself) as a path through the fd's /proc/self/fd link. */
function entryPath(dirFd: number, name: string | null): string {
  if (name !== null) plainName(name);
  return `/proc/self/fd/${dirFd}/${name ?? '.'}`;
}

export class DirectLower {
  private readonly dirFds = new FdCache<GoferInode>(DIR_FDS);
  private readonly statBuf = new Uint8Array(STATX_SIZE);
  private readonly direntBuf = new Uint8Array(32768);
  private readonly linkBuf = new Uint8Array(LINK_MAX);
  private readonly how = new BigUint64Array(3);

  /** `openByGofer`: the gofer's O_PATH fd of a directory (the root, or one across a mount). */
  constructor(private readonly openByGofer: (dir: GoferInode) => number) {}

  /** The O_PATH fd of directory `dir`, or -1 if the host's file there is no longer the one `dir` is. */
  dirFd(dir: GoferInode): number {
    let fd = this.dirFds.get(dir);
    if (fd !== undefined) return fd;
    const parent = dir.parent as GoferInode | null;
    fd = -1;
    try {
      if (parent) {
        const parentFd = this.dirFd(parent);
        if (parentFd < 0) return -1;
        try {
          fd = this.openat2(parentFd, dir.name, O.PATH | O.DIRECTORY | O.NOFOLLOW);
        } catch (e) {
          if (!(e instanceof SysErr) || e.errno !== E.EXDEV) throw e;
        }
      }
      if (fd < 0) fd = this.openByGofer(dir);
    } catch (e) {
      // Gone, or no longer a directory: the gofer is asked, and answers as it would have.
      if (e instanceof SysErr) return -1;
      throw e;
    }
    const st = hostFstat(fd);
    if (st.ino !== dir.cached.ino || st.dev !== dir.cached.dev || !isDir(st.mode)) {
      closeQuietly(fd);
      return -1;
    }
    this.dirFds.keep(dir, fd);
    return fd;
  }

  /** lstat of `name` in the directory whose fd is `dirFd`. */
  lstat(dirFd: number, name: string): Stat {
    sys(libcCalls.statx(dirFd, plainName(name), AT.SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, this.statBuf));
    return decodeStatx(this.statBuf);
  }

  /**
   * An O_PATH fd of entry `name` of `dirFd` (the caller checks it is the file
   * it looked up), or null for a mount point of another mount (a host's bind
   * of one file), which the gofer opens.
   */
  openEntry(dirFd: number, name: string): number | null {
    try {
      return this.openat2(dirFd, name, O.PATH | O.NOFOLLOW);
    } catch (e) {
      if (e instanceof SysErr && e.errno === E.EXDEV) return null;
      throw e;
    }
  }

  /**
   * The entries of the directory whose fd is `dirFd`, but "." and "..". No
   * lstat of each, as the gofer's listing brings: a lookup here costs no
   * round trip, and most listed names are never looked up (find, ls).
   */
  list(dirFd: number, noatime: boolean): DirectEntry[] {
    const fd = reopen(dirFd, O.RDONLY | (noatime ? O.NOATIME : 0));
    const out: DirectEntry[] = [];
    try {
      for (;;) {
        const n = sys(libcCalls.getdents64(fd, this.direntBuf, this.direntBuf.length));
        if (n === 0) return out;
        forEachDirent64(this.direntBuf, n, (d) => {
          if (!isDots(d.name)) out.push({ name: bytesName(d.name), ino: d.ino, type: d.type });
        });
      }
    } finally {
      closeQuietly(fd);
    }
  }

  /**
   * The xattr `attr` of entry `name` of `dirFd` (null: of the directory
   * itself), not following it: lgetxattr of its path through dirFd's
   * /proc/self/fd link, which the xattr calls need (they refuse an O_PATH fd).
   */
  getxattr(dirFd: number, name: string | null, attr: string): Uint8Array {
    return lgetxattrAt(entryPath(dirFd, name), attr);
  }

  /** The xattr names of entry `name` of `dirFd`, as getxattr. */
  listxattr(dirFd: number, name: string | null): string[] {
    return llistxattrAt(entryPath(dirFd, name));
  }

  /** The body of the symlink `name` in `dirFd`. */
  readlink(dirFd: number, name: string): string {
    const n = sys(libcCalls.readlinkat(dirFd, plainName(name), this.linkBuf, this.linkBuf.length));
    return bytesName(this.linkBuf.subarray(0, n));
  }

  /** `name` in `dirFd`, by openat2 with every resolution limit (ONE_NAME), close-on-exec. */
  private openat2(dirFd: number, name: string, flags: number): number {
    this.how[0] = BigInt((flags | O.CLOEXEC) >>> 0);
    this.how[1] = 0n;
    this.how[2] = BigInt(ONE_NAME);
    return sys(libcCalls.syscall(SYS_OPENAT2, 'int', dirFd, 'str', plainName(name), 'void *', this.how, 'size_t', 24));
  }
}
