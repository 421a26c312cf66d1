// The one interface every filesystem implements.
import { E, SysErr } from '../abi/errno.js';
import type { Context } from './context.js';
import type { VfsPath } from './mount.js';
import type { EmptyDir } from '../host/emptydir.js';
import type { GuestBind } from '../host/sockets.js';
import { S_IFMT, type Stat, type Timespec } from '../abi/stat.js';
import type { Acl, AclKind } from './acl.js';

export interface DirEntry { name: string; ino: number; type: number }

export interface StatFs {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number;
  files: number; ffree: number; namelen: number; frsize: number; flags: number;
}

/** A change of attributes; absent fields stay as they are. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec | 'now';
  mtime?: Timespec | 'now';
}

/**
 * Who creates a file: its owner and mode are decided by the VFS. `umask`,
 * only for a filesystem whose host keeps the ACLs (hostKeepsAcls), is the
 * creator's umask for the host to apply, unless the directory has a default
 * ACL, which the host applies instead; every other filesystem gets the mode
 * with the umask or the default ACL already applied.
 */
export interface Owner { uid: number; gid: number; umask?: number }

export interface Filesystem {
  readonly name: string;
  /** st_dev of every inode of this filesystem. */
  readonly dev: number;
  readonly readonly: boolean;
  readonly root: Inode;
  statfs(): StatFs;
  /** The empty host directories behind its directories' and O_PATH descriptions (host/emptydir.ts). */
  readonly emptyDir: EmptyDir;
  /**
   * It became an overlay's lower layer, which nothing may change under the
   * mount (as overlayfs requires): a remote filesystem may cache what it
   * reads for good.
   */
  lowerLayer?(): void;
  /**
   * Its files are a host's, which keeps their POSIX ACLs itself: a guest's
   * system.posix_acl_* xattrs go to the host as they are, set with the
   * gofer's credentials, so the VFS applies the rules of set_posix_acl the
   * host cannot judge for the guest (who may set one, the setgid bit). The
   * host applies a directory's default ACL to what is made in it (Owner.umask),
   * and a chmod's rewrite of an access ACL; the VFS reads the access ACL back
   * (Inode.acl) for its permission checks.
   */
  readonly hostKeepsAcls?: boolean;
}

const notDir = (): never => { throw new SysErr(E.ENOTDIR); };

/**
 * The number of the system call being served (the kernel counts them, see
 * Kernel.trap). A remote filesystem that must ask its host for fresh
 * attributes on every lookup and stat may reuse, within one call, what it
 * fetched in that call: Linux revalidates a dentry once per walk step too,
 * not once per look at it. A change the sandbox makes counts as a new call.
 */
let callEpoch = 0;
export const calls = {
  get current(): number { return callEpoch; },
  next(): void { callEpoch++; },
};

/**
 * The inodes the sandbox holds beyond the call that found them (tasks' cwds
 * and roots, open descriptions' files, mount roots), as the kernel lists
 * them: a remote filesystem gives back the handles of the directories
 * (`pin`) that are not among them any more.
 */
export const holders = { inodes: (): Iterable<Inode> => [] };

/** The entry `name` of directory `dir` (not followed), or null when there is none. */
export function lookupChild(dir: Inode, name: string): Inode | null {
  try {
    return dir.lookup(name);
  } catch (e) {
    if (e instanceof SysErr && e.errno === E.ENOENT) return null;
    throw e;
  }
}

/**
 * An inode. Directory operations fail with ENOTDIR by default, so a
 * filesystem only overrides what its kinds of inode support. A directory
 * inode knows its parent and its name in it (directories have one), which
 * serves `..` and getcwd.
 */
export abstract class Inode {
  abstract readonly fs: Filesystem;
  parent: Inode | null = null;
  name = '';

  abstract stat(): Stat;

  /**
   * The stat of this inode through one of its open descriptions (fstat): the
   * same as stat() unless the filesystem can ask the open host file itself,
   * which still answers once its name is gone.
   */
  statOpen(_hostFd: number): Stat { return this.stat(); }

  /** The S_IFMT bits of the mode: cheaper than stat() where only the type matters. */
  fileType(): number { return this.stat().mode & S_IFMT; }

  /**
   * True when the file certainly has no set-id bit, known without a stat (a
   * chown then has none to take away); false when it may have one.
   */
  setidFree(): boolean { return false; }

  /**
   * Its type, mode, owner and group for an access check: the stat's, unless
   * the filesystem keeps them itself. Its set-id bits may be ones the file
   * has lost since (a write takes them away on the host): no decision about
   * them is taken from here.
   */
  perm(): Pick<Stat, 'mode' | 'uid' | 'gid'> { return this.stat(); }

  lookup(_name: string): Inode { return notDir(); }
  /**
   * A walk is about to look up `names` in turn below this directory: a
   * remote filesystem may fetch them all in one round trip (for this call,
   * see `calls`). Absent where a lookup is local.
   */
  prefetch?(names: readonly string[]): void;
  /**
   * This directory becomes a base that outlives the call (a cwd, a root, an
   * open description), in the call that looked it up: a remote filesystem
   * addresses it from now on by a handle of the directory itself, so that
   * it follows the directory when the host renames it, as a Linux dentry
   * does.
   */
  pin(): void { /* a local directory is its own base */ }
  /** The entries but `.` and `..`; `noatime`: the listing must not touch the directory's atime (O_NOATIME). */
  readdir(_noatime = false): DirEntry[] { return notDir(); }
  /**
   * A new regular file. `opening`: the flags of the open that creates it
   * (O_CREAT), if one does: a filesystem may make it opened so, for the open
   * that follows (Inode.open) to take.
   */
  create(_name: string, _mode: number, _owner: Owner, _opening?: number): Inode { return notDir(); }
  /** An unnamed regular file on this directory's filesystem (O_TMPFILE); `linkable` unless O_EXCL. */
  tmpfile(_mode: number, _owner: Owner, _linkable: boolean): Inode { throw new SysErr(E.EOPNOTSUPP); }
  mkdir(_name: string, _mode: number, _owner: Owner): Inode { return notDir(); }
  symlink(_name: string, _target: string, _owner: Owner): Inode { return notDir(); }
  mknod(_name: string, _mode: number, _rdev: number, _owner: Owner): Inode { return notDir(); }
  link(_name: string, _target: Inode): void { notDir(); }
  unlink(_name: string): void { notDir(); }
  rmdir(_name: string): void { notDir(); }
  /** Moves this directory's entry `oldName` to `newDir`/`newName` (same filesystem). */
  rename(_oldName: string, _newDir: Inode, _newName: string, _flags: number): void { notDir(); }

  /**
   * The directory was listed: filesystems whose times the sentry keeps
   * update atime here (relatime rules); host-backed ones do it themselves.
   */
  accessed(): void { /* the host keeps this inode's atime */ }

  /** The link's text, as `ctx` reads it. */
  readlink(_ctx: Context): string { throw new SysErr(E.EINVAL); }
  /**
   * A magic link (/proc/self/fd/N, /proc/self/exe…) leads straight to a
   * place instead of to a path to walk, so a deleted or unreachable target
   * still opens, as on Linux.
   */
  jump(): VfsPath | null { return null; }
  /**
   * Changes attributes. `hostFd`: the call came through an open description
   * with this host fd (fchmod, fchown, futimens), which a filesystem may use
   * instead of the name (gone if the file was unlinked).
   */
  setattr(_attr: SetAttr, _hostFd?: number): void { throw new SysErr(E.EPERM); }

  /**
   * A new open file description for the guest: a host fd owned by the
   * sentry, behaving right for the calls passed through to the host.
   * `flags` are the guest's open flags (access mode, O_APPEND, O_NONBLOCK…);
   * `ctx`, who opens; `through`: the host fd of an open description of the
   * file the open came through (/proc/self/fd/N, see VfsPath.through),
   * which a filesystem whose files are named by path may reopen instead.
   */
  abstract open(flags: number, ctx: Context, through?: number): number;
  /** Can a directory of this filesystem be left a whiteout by renameat2's RENAME_WHITEOUT (a 0:0 character device it makes)? */
  makesWhiteouts(): boolean { return false; }
  /** Does open take `through` (and its attributes come through it)? Files named by path do; others reach an unnamed file anyway. */
  opensThrough(): boolean { return false; }
  /**
   * Is it a host object reached through a guest's description that the
   * sentry did not make (a foreign fd's /proc link)? Opened again, it stays
   * that host object: the sentry records no sandbox place for its new ends.
   */
  isForeign(): boolean { return false; }
  /**
   * Is it a pty slave, which an open without O_NOCTTY makes the controlling
   * terminal of a session leader that has none (Linux's tty_open)?
   */
  isPtySlave(): boolean { return false; }

  /**
   * An O_PATH description of this inode was made. Linux's O_PATH opens
   * nothing of the file (no filesystem open is called), and neither does the
   * sentry: the description's host fd is the filesystem's O_PATH stand-in
   * (EmptyDir.openPath). A filesystem notes it here if it must.
   */
  openedAsPath(): void { /* nothing is opened */ }

  /**
   * Is a description made by open() (not O_PATH) a host file the sandbox does
   * not own (a file of a read-only host tree, a host device)? Locks and leases
   * on it must stay in the sentry (kernel/locks.ts): on the host file, host
   * processes would see them and wait for them.
   */
  sharesHostFile(): boolean { return false; }

  /**
   * An O_PATH host fd (the caller closes it) of the host file whose changes
   * the host's inotify reports for this inode: the file holding its data
   * (native reads and writes), or a bind mount's host file or directory
   * (changes host processes make). -1 when there is none.
   */
  dataFile(): number { return -1; }

  /** The host file holding this inode's data, as `major:minor:ino` of the host's stat (for /proc/<pid>/maps). */
  hostKey(): string | null { return null; }

  /**
   * For a FIFO: an O_PATH host fd of the host FIFO behind it, for an open
   * with `flags` (the caller closes it). The sentry opens the FIFO through
   * it, so that every open of a sandbox FIFO, whatever filesystem holds it,
   * meets the same host pipe.
   */
  fifo(_flags: number): number { throw new SysErr(E.ENXIO); }

  /**
   * bind(2) of a unix socket at `name` in this directory: makes the socket
   * node and binds the guest's socket, with the address it gave, to the host
   * node behind it.
   */
  bindSocket(_name: string, _sock: GuestBind, _mode: number, _owner: Owner): Inode { return notDir(); }
  /**
   * For a socket node a guest bound: an O_PATH host fd of the host socket
   * behind it (the caller closes it), to connect through; ECONNREFUSED when
   * no guest socket is bound there.
   */
  hostSocket(): number { throw new SysErr(E.ECONNREFUSED); }

  /*
   * Extended attributes. `hostFd`: the call came through an open description
   * with this host fd (the f*xattr calls), which a filesystem may use instead
   * of the name, as setattr does.
   */
  getxattr(_name: string, _hostFd?: number): Uint8Array { throw new SysErr(E.ENODATA); }
  listxattr(_hostFd?: number): string[] { return []; }
  setxattr(_name: string, _value: Uint8Array, _flags: number, _hostFd?: number): void { throw new SysErr(E.EOPNOTSUPP); }
  removexattr(_name: string, _hostFd?: number): void { throw new SysErr(E.ENODATA); }

  /*
   * POSIX ACLs (vfs/acl.ts), for a filesystem that keeps them as Linux's
   * tmpfs does: the VFS decides (format, validity, who may, the mode an ACL
   * sets, inheritance, chmod) and the filesystem stores. `acl` answers every
   * permission check of a caller other than the owner, so it must be cheap:
   * null when the file has none, as every filesystem without ACLs answers.
   * `setAcl` keeps `acl` as given (null: none) and changes ctime, unless
   * `keepCtime`: the ACLs a new file inherits (Linux caches them without a
   * change) and chmod's rewrite (its setattr moved ctime). A filesystem
   * without setAcl keeps no ACLs, and system.posix_acl_* are its xattrs to
   * answer. getxattr and
   * listxattr of a filesystem with ACLs show them (posix_acl_to_xattr).
   */
  acl(_kind: AclKind): Acl | null { return null; }
  setAcl?(kind: AclKind, acl: Acl | null, keepCtime?: boolean): void;
}
