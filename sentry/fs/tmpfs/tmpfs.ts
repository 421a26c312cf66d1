// tmpfs: a memory filesystem owned by the sentry. A regular file's data and
// its mode, owner, size and times live in a host file of the filesystem's
// own kernel tmpfs instance (instance.ts), named by its inode number and
// opened only when a guest opens it (so guests read, write and mmap it
// natively, the host keeps size and times right, and the sentry holds no fd
// per file); directories, symlinks and special files are JavaScript objects,
// each with an empty host file that makes the kernel count it as an inode.
import { closeSync, fchmodSync, fchownSync, ftruncateSync, openSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import type { HostStat } from '../../host/native.js';
import { type DirEntry, type Filesystem, Inode, type Owner, type SetAttr, type StatFs } from '../../vfs/inode.js';
import type { Context } from '../../vfs/context.js';
import { changesBegun } from '../../vfs/notify.js';
import { allocDev, hostFileKey, openCharDevice } from '../../vfs/devices.js';
import { dtype, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, type Stat, type Timespec } from '../../abi/stat.js';
import { now } from '../../host/clock.js';
import { O, RENAME } from '../../abi/flags.js';
import { bindAsGiven, type GuestBind, hostSockets } from '../../host/sockets.js';
import { EmptyDir } from '../../host/emptydir.js';
import { dupFd, FILE_STATUS_FLAGS, host, hostFstat, reopen, reopenAsPath } from '../../host/fd.js';
import { hostFifos } from '../../host/fifos.js';
import { futimens, utimensPath } from '../../host/times.js';
import { HostTmpfs } from './instance.js';
import { type Acl, type AclKind, aclKindOf, ACL_XATTR, encodeAcl } from '../../vfs/acl.js';

const TMPFS_MAGIC = 0x01021994;
const PAGE = 4096;

/**
 * The xattr namespaces this tmpfs keeps: user, trusted and security, as
 * Linux's tmpfs, and in system.* only the POSIX ACLs (CONFIG_TMPFS_POSIX_ACL),
 * which are not kept as xattrs but as ACLs (acl, setAcl): any other system.*
 * name is EOPNOTSUPP.
 */
function keptName(name: string): void {
  if (name.startsWith('system.')) throw new SysErr(E.EOPNOTSUPP);
}

export class Tmpfs implements Filesystem {
  readonly name = 'tmpfs';
  readonly dev = allocDev();
  readonly readonly = false;
  readonly root: TmpfsDir;
  /** Where the data is, and what counts the inodes and bytes against size= and nr_inodes=. */
  readonly host: HostTmpfs;
  private nextIno = 1;

  /** `limits`: the size=, nr_blocks=, nr_inodes= options, for the kernel instance (its defaults: Linux's). */
  constructor(readonly emptyDir: EmptyDir, rootMode = 0o1777, owner: Owner = { uid: 0, gid: 0 },
      limits: [string, string][] = []) {
    this.host = new HostTmpfs(limits);
    this.root = new TmpfsDir(this, rootMode, owner, true);
  }

  allocIno(): number { return this.nextIno++; }

  /** Gives the data and inodes back to the host, for a tmpfs that was never mounted and never will be (a failed tmpcopyup). */
  release(): void { this.host.close(); }

  statfs(): StatFs {
    return { type: TMPFS_MAGIC, bsize: PAGE, ...this.host.statfs(), namelen: 255, frsize: PAGE, flags: 0x20 /* ST_RELATIME */ };
  }
}

interface Meta {
  mode: number; uid: number; gid: number; nlink: number; atime: Timespec; mtime: Timespec; ctime: Timespec; btime: Timespec;
}

export abstract class TmpfsInode extends Inode {
  readonly ino: number;
  protected meta: Meta;
  /** The host file standing for this inode in the kernel instance is named `hostName` (until the inode is gone). */
  protected named: boolean;

  /** `placeholder`: make the empty host file that counts this inode (regular files make their own; the root is the instance's). */
  constructor(readonly fs: Tmpfs, mode: number, owner: Owner, placeholder = true) {
    super();
    this.ino = fs.allocIno();
    if (placeholder) fs.host.placeholder(this.hostName);
    this.named = placeholder;
    const t = now();
    this.meta = { mode, uid: owner.uid, gid: owner.gid, nlink: 1, atime: t, mtime: t, ctime: t, btime: t };
  }

  get hostName(): string { return String(this.ino); }

  get nlink(): number { return this.meta.nlink; }
  set nlink(n: number) {
    this.meta.nlink = n;
    if (n === 0 && this.named) this.unname();
    else this.touchChanged();
  }

  /**
   * Its last name is gone: the host file goes (a regular file's data stays
   * while a description holds it), and the ctime moves.
   */
  protected unname(): void {
    this.fs.host.unlink(this.hostName);
    this.named = false;
    this.meta.ctime = now();
  }

  stat(): Stat {
    const m = this.meta;
    return { dev: this.fs.dev, ino: this.ino, mode: m.mode, nlink: m.nlink, uid: m.uid, gid: m.gid, rdev: 0,
      size: this.size(), blksize: PAGE, blocks: 0, atime: m.atime, mtime: m.mtime, ctime: m.ctime, btime: m.btime };
  }

  protected size(): number { return 0; }

  override fileType(): number { return this.meta.mode & S_IFMT; }

  override setattr(a: SetAttr): void {
    const m = this.meta;
    if (a.size !== undefined) throw new SysErr(isDirMode(m.mode) ? E.EISDIR : E.EINVAL);
    if (a.mode !== undefined) m.mode = (m.mode & S_IFMT) | (a.mode & 0o7777);
    if (a.uid !== undefined) m.uid = a.uid;
    if (a.gid !== undefined) m.gid = a.gid;
    const t = now();
    if (a.atime !== undefined) m.atime = a.atime === 'now' ? t : a.atime;
    if (a.mtime !== undefined) m.mtime = a.mtime === 'now' ? t : a.mtime;
    m.ctime = t;
  }

  /** Made on the first set: most files have none, and a tmpfs may hold millions. */
  private xattrs: Map<string, Uint8Array> | null = null;

  /** Its POSIX ACLs, made on the first set: most files have none. */
  private acls: Record<AclKind, Acl | null> | null = null;

  override getxattr(name: string): Uint8Array {
    const kind = aclKindOf(name);
    if (kind) {
      // A symlink keeps no ACLs (Linux's have no get_acl).
      if ((this.meta.mode & S_IFMT) === S_IFLNK) throw new SysErr(E.EOPNOTSUPP);
      const acl = this.acl(kind);
      if (!acl) throw new SysErr(E.ENODATA);
      return encodeAcl(acl);
    }
    keptName(name);
    const v = this.xattrs?.get(name);
    if (!v) throw new SysErr(E.ENODATA);
    return v;
  }
  /** The ACLs first, as Linux's simple_xattr_list lists them. */
  override listxattr(): string[] {
    const names: string[] = [];
    if (this.acls?.access) names.push(ACL_XATTR.access);
    if (this.acls?.default) names.push(ACL_XATTR.default);
    return this.xattrs ? [...names, ...this.xattrs.keys()] : names;
  }
  override acl(kind: AclKind): Acl | null { return this.acls === null ? null : this.acls[kind]; }
  override setAcl(kind: AclKind, acl: Acl | null, keepCtime = false): void {
    if (acl !== null || this.acls !== null) (this.acls ??= { access: null, default: null })[kind] = acl;
    if (!keepCtime) this.touchChanged();
  }
  override setxattr(name: string, value: Uint8Array, flags: number): void {
    keptName(name);
    const has = this.xattrs?.has(name) ?? false;
    if ((flags & 1 /* XATTR_CREATE */) && has) throw new SysErr(E.EEXIST);
    if ((flags & 2 /* XATTR_REPLACE */) && !has) throw new SysErr(E.ENODATA);
    (this.xattrs ??= new Map()).set(name, value);
    this.touchChanged();
  }
  override removexattr(name: string): void {
    keptName(name);
    if (!this.xattrs?.delete(name)) throw new SysErr(E.ENODATA);
    this.touchChanged();
  }

  touchModified(): void { const t = now(); this.meta.mtime = t; this.meta.ctime = t; }

  /** relatime, as the native tmpfs is mounted: only an atime older than mtime or ctime, or a day old, moves. */
  override accessed(): void {
    const m = this.meta;
    const t = now();
    const before = (a: Timespec, b: Timespec) => a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec);
    if (before(m.atime, m.mtime) || before(m.atime, m.ctime) || t.sec - m.atime.sec >= 24 * 3600) m.atime = t;
  }
  touchChanged(): void { this.meta.ctime = now(); }
}

const SETID = S_ISUID | S_ISGID;
const isDirMode = (mode: number) => (mode & S_IFMT) === S_IFDIR;

export class TmpfsDir extends TmpfsInode {
  override makesWhiteouts(): boolean { return true; }
  readonly children = new Map<string, TmpfsInode>();

  constructor(fs: Tmpfs, mode: number, owner: Owner, isRoot = false) {
    super(fs, S_IFDIR | (mode & 0o7777), owner, !isRoot);
    this.meta.nlink = 2;
  }

  protected override size(): number { return PAGE; }

  override open(flags: number): number { return this.fs.emptyDir.openFor(this, flags); }

  override lookup(name: string): Inode {
    const child = this.children.get(name);
    if (!child) throw new SysErr(E.ENOENT);
    return child;
  }

  override readdir(): DirEntry[] {
    return [...this.children].map(([name, inode]) => ({ name, ino: inode.ino, type: dtype(inode.fileType()) }));
  }

  private add(name: string, inode: TmpfsInode): TmpfsInode {
    if (this.children.has(name)) throw new SysErr(E.EEXIST);
    this.children.set(name, inode);
    inode.parent = this;
    inode.name = name;
    this.touchModified();
    return inode;
  }

  override create(name: string, mode: number, owner: Owner, opening?: number): Inode {
    if (this.children.has(name)) throw new SysErr(E.EEXIST);
    return this.add(name, new TmpfsFile(this.fs, mode, owner, false, opening));
  }

  override tmpfile(mode: number, owner: Owner, linkable: boolean): Inode {
    const file = new TmpfsFile(this.fs, mode, owner, true);
    file.nlink = 0;
    file.linkable = linkable;
    return file;
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    const dir = this.add(name, new TmpfsDir(this.fs, mode, owner));
    this.nlink++;
    return dir;
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    return this.add(name, new TmpfsSymlink(this.fs, target, owner));
  }

  /** The guest's socket is bound in a fresh sentry-private host directory; the node records the host path. */
  override bindSocket(name: string, sock: GuestBind, mode: number, owner: Owner): Inode {
    if (this.children.has(name)) throw new SysErr(E.EEXIST);
    const hostPath = bindAsGiven(sock, hostSockets.next());
    const node = new TmpfsSpecial(this.fs, S_IFSOCK | (mode & 0o7777), 0, owner);
    node.boundTo = hostPath;
    return this.add(name, node);
  }

  override mknod(name: string, mode: number, rdev: number, owner: Owner): Inode {
    return this.add(name, new TmpfsSpecial(this.fs, mode, rdev, owner));
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof TmpfsInode) || target.fs !== this.fs) throw new SysErr(E.EXDEV);
    if (this.children.has(name)) throw new SysErr(E.EEXIST);
    // A file with no name left comes back only if it was made by O_TMPFILE without O_EXCL.
    if (target.nlink === 0 && !(target instanceof TmpfsFile && target.linkable)) throw new SysErr(E.ENOENT);
    if (target instanceof TmpfsFile) {
      target.linkable = false;
      target.renameHost();
    }
    this.children.set(name, target);
    target.nlink++;
    this.touchModified();
  }

  private take(name: string): TmpfsInode {
    const child = this.children.get(name);
    if (!child) throw new SysErr(E.ENOENT);
    return child;
  }

  override unlink(name: string): void {
    const child = this.take(name);
    if (child instanceof TmpfsDir) throw new SysErr(E.EISDIR);
    this.children.delete(name);
    child.nlink--;
    this.touchModified();
  }

  override rmdir(name: string): void {
    const child = this.take(name);
    if (!(child instanceof TmpfsDir)) throw new SysErr(E.ENOTDIR);
    if (child.children.size > 0) throw new SysErr(E.ENOTEMPTY);
    this.children.delete(name);
    child.nlink = 0;
    this.nlink--;
    this.touchModified();
  }

  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    if (!(newDir instanceof TmpfsDir) || newDir.fs !== this.fs) throw new SysErr(E.EXDEV);
    const moving = this.take(oldName);
    const replaced = newDir.children.get(newName);
    if (flags & RENAME.EXCHANGE) {
      if (!replaced) throw new SysErr(E.ENOENT);
      this.children.set(oldName, replaced);
      newDir.children.set(newName, moving);
      replaced.parent = this; replaced.name = oldName;
      moving.parent = newDir; moving.name = newName;
      if (moving instanceof TmpfsDir !== replaced instanceof TmpfsDir && this !== newDir) {
        const delta = moving instanceof TmpfsDir ? 1 : -1;
        newDir.nlink += delta; this.nlink -= delta;
      }
    } else {
      if (replaced) {
        if (replaced instanceof TmpfsDir) {
          if (replaced.children.size > 0) throw new SysErr(E.ENOTEMPTY);
          replaced.nlink = 0;
          newDir.nlink--;
        } else {
          replaced.nlink--;
        }
      }
      this.children.delete(oldName);
      newDir.children.set(newName, moving);
      moving.parent = newDir;
      moving.name = newName;
      if (moving instanceof TmpfsDir) { this.nlink--; newDir.nlink++; }
    }
    moving.touchChanged();
    this.touchModified();
    if (newDir !== this) newDir.touchModified();
  }
}

/** Status flags an open of a host tmpfs file never fails on (O_DIRECT may: kernels before 6.6). */
const CREATE_STATUS_FLAGS = O.APPEND | O.NONBLOCK | O.NOATIME | O.SYNC | O.DSYNC;

/** How the host file of a create by an open with `flags` is made opened: as the open asks, but O_DIRECT. */
function createdAs(flags: number): number {
  const access = flags & O.ACCMODE;
  return (access === O.ACCMODE ? O.RDWR : access) | (flags & CREATE_STATUS_FLAGS);
}

/**
 * The host stats of files taken during the change under way (changesBegun):
 * the calls that change makes afterwards need not ask again (an unlink's last
 * stat is the one its sticky check took). A few at most, and none kept past
 * the next change: stats between changes (a guest's stat calls) would fill it.
 */
class ChangeStats {
  /** A change stats a file or two (an unlink the one it removes, a rename the one it replaces). */
  private static readonly MAX = 4;
  private change = -1;
  private readonly stats = new Map<TmpfsFile, HostStat>();

  note(file: TmpfsFile, s: HostStat): void {
    this.current();
    if (this.stats.size < ChangeStats.MAX || this.stats.has(file)) this.stats.set(file, s);
  }

  /** `file`'s stat from this change, once (what follows changes the file). */
  take(file: TmpfsFile): HostStat | null {
    this.current();
    const s = this.stats.get(file) ?? null;
    this.stats.delete(file);
    return s;
  }

  forget(file: TmpfsFile): void { this.stats.delete(file); }

  private current(): void {
    const now = changesBegun();
    if (now === this.change) return;
    this.change = now;
    this.stats.clear();
  }
}
const changeStats = new ChangeStats();

export class TmpfsFile extends TmpfsInode {
  /** An O_TMPFILE file that linkat may still give a name. */
  linkable = false;
  /** The host file as `major:minor:ino` (it never changes). */
  private readonly key: string;
  /**
   * Host fds that opens of it made (the descriptions'), to reach the host
   * file once its name is gone; an fd number may have been closed and
   * reused, so each is checked against `key` before use.
   */
  private readonly opened = new Set<number>();
  private pruneAt = 16;
  /**
   * The fd its creation made and what it is opened for (access mode and
   * status flags), until its first open, which takes it if it asks for just
   * that (an O_TMPFILE file's is its only way to the host file till then).
   */
  private created: { fd: number; flags: number } | null = null;
  /**
   * Its stat as its creation left it, for the check of the open that made it
   * (the first stat), if nothing changed it before; the open drops it.
   */
  private freshStat: HostStat | null = null;
  /** Its stat when its name went, for a stat with no description left to ask. */
  private lastStat: HostStat | null = null;

  /**
   * `opening`: the flags of the open that creates it, if one does: the host
   * file is made opened so, and that open takes the fd.
   */
  constructor(fs: Tmpfs, mode: number, owner: Owner, unnamed: boolean, opening?: number) {
    super(fs, S_IFREG | (mode & 0o7777), owner, false);
    const access = unnamed || opening === undefined ? O.RDWR : createdAs(opening);
    const fd = unnamed ? fs.host.tmpfile(mode & 0o777) : fs.host.create(this.hostName, access, mode & 0o777);
    try {
      let s = hostFstat(fd);
      // Made by the sentry, with the sentry's umask: most files are the sentry's own (root's) with the mode asked.
      // Owner first: a change of owner would take set-id bits away.
      const chown = s.uid !== owner.uid || s.gid !== owner.gid;
      if (chown) host(() => fchownSync(fd, owner.uid, owner.gid));
      const chmod = (s.mode & 0o7777) !== (mode & 0o7777);
      if (chmod) host(() => fchmodSync(fd, mode & 0o7777));
      // One timestamp for atime, mtime, ctime and birth, as a file created in one step has (a new host file has).
      if (chown || chmod) {
        futimens(fd, 'now', 'now');
        s = hostFstat(fd);
      }
      this.meta.btime = s.ctime;
      this.key = hostFileKey(s);
      if (!unnamed && opening !== undefined) this.freshStat = s;
    } catch (e) {
      closeSync(fd);
      if (!unnamed) fs.host.unlink(this.hostName);
      throw e;
    }
    if (unnamed || opening !== undefined) this.created = { fd, flags: access };
    else closeSync(fd);
    this.named = !unnamed;
  }

  private hostStat(): HostStat {
    const s = this.readHostStat();
    changeStats.note(this, s);
    // The set-id bits it may have are the ones the host file still has.
    this.meta.mode &= ~SETID | s.mode;
    return s;
  }

  /**
   * The mode, owner and group of a regular file are the host file's, and its
   * `meta` keeps them too, for the checks that need no more (no host call):
   * only the sentry sets a host file's mode and owner, so they stay the
   * same, but for the set-id bits, which the host takes away on a guest's
   * native write or truncate. So `meta`'s set-id bits are the ones the file
   * may have, dropped when a stat shows it has lost them.
   */
  override perm(): Pick<Stat, 'mode' | 'uid' | 'gid'> { return this.meta; }

  override setidFree(): boolean { return !(this.meta.mode & SETID); }

  private readHostStat(): HostStat {
    const fresh = this.freshStat;
    if (fresh) {
      this.freshStat = null;
      return fresh;
    }
    if (this.named) return this.fs.host.stat(this.hostName);
    const fd = this.reachable();
    if (fd >= 0) return hostFstat(fd);
    return this.lastStat!;
  }

  private statFrom(s: HostStat): Stat {
    return { dev: this.fs.dev, ino: this.ino, mode: S_IFREG | (s.mode & 0o7777), nlink: this.meta.nlink, uid: s.uid,
      gid: s.gid, rdev: 0, size: s.size, blksize: PAGE, blocks: s.blocks, atime: s.atime, mtime: s.mtime, ctime: s.ctime,
      btime: this.meta.btime };
  }

  override stat(): Stat { return this.statFrom(this.hostStat()); }

  override statOpen(hostFd: number): Stat { return this.statFrom(hostFstat(hostFd)); }

  override hostKey(): string { return this.key; }

  override dataFile(): number {
    if (this.named) return this.fs.host.open(this.hostName, O.PATH);
    const fd = this.reachable();
    return fd < 0 ? -1 : dupFd(fd);
  }

  /** An fd of the unnamed host file that the sentry still holds, or -1. */
  private reachable(): number {
    if (this.created) return this.created.fd;
    for (const fd of this.opened) if (this.isOurs(fd)) return fd;
    return -1;
  }

  /** Runs `fn` with a new fd of the host file opened with `flags` (its name, or a description it still has). */
  private withFd<T>(flags: number, fn: (fd: number) => T): T {
    const fd = this.openHost(flags);
    try { return fn(fd); } finally { closeSync(fd); }
  }

  private openHost(flags: number): number {
    if (this.named) return this.fs.host.open(this.hostName, flags);
    const fd = this.reachable();
    // No description left: nothing can reach the file any more but through this inode, which has no data left.
    if (fd < 0) throw new SysErr(E.ENOENT);
    return reopen(fd, flags);
  }

  override setattr(a: SetAttr): void {
    this.freshStat = null;
    changeStats.forget(this);
    if (a.size !== undefined) this.withFd(O.WRONLY, (fd) => host(() => ftruncateSync(fd, a.size)));
    if (a.mode === undefined && a.uid === undefined && a.gid === undefined && a.atime === undefined && a.mtime === undefined) {
      return;
    }
    if (this.named) {
      const { host: h } = this.fs;
      if (a.mode !== undefined) {
        h.chmod(this.hostName, a.mode & 0o7777);
        this.keepMode(a.mode);
      }
      if (a.uid !== undefined || a.gid !== undefined) {
        h.chown(this.hostName, a.uid ?? -1, a.gid ?? -1);
        this.keepOwner(a);
      }
      if (a.atime !== undefined || a.mtime !== undefined) h.utimens(this.hostName, a.atime ?? 'omit', a.mtime ?? 'omit');
      return;
    }
    this.withFd(O.RDONLY, (fd) => {
      if (a.mode !== undefined) {
        host(() => fchmodSync(fd, a.mode! & 0o7777));
        this.keepMode(a.mode);
      }
      if (a.uid !== undefined || a.gid !== undefined) {
        const s = hostFstat(fd);
        host(() => fchownSync(fd, a.uid ?? s.uid, a.gid ?? s.gid));
        this.keepOwner(a);
      }
      if (a.atime !== undefined || a.mtime !== undefined) futimens(fd, a.atime ?? 'omit', a.mtime ?? 'omit');
    });
  }

  /** What the host file was given (perm), once it has it. A chown's loss of set-id bits is the host's. */
  private keepMode(mode: number): void { this.meta.mode = S_IFREG | (mode & 0o7777); }
  private keepOwner(a: SetAttr): void {
    if (a.uid !== undefined) this.meta.uid = a.uid;
    if (a.gid !== undefined) this.meta.gid = a.gid;
  }

  /**
   * chmod to the same mode: the host sets ctime, as a link count change must.
   * The mode kept (perm) is the host file's when it has no set-id bit: one
   * host call. A file that may have one is stat'ed right before instead, for
   * a guest's write may have taken that bit away, and a chmod must not give
   * it back (that pair is not atomic against such a write either; a host
   * link and unlink of a spare name would be).
   */
  override touchChanged(): void {
    this.freshStat = null;
    changeStats.forget(this);
    const known = this.setidFree() ? this.meta.mode & 0o7777 : null;
    if (this.named) {
      if (known !== null) return this.fs.host.chmod(this.hostName, known);
      return this.fs.host.touchCtime(this.hostName);
    }
    if (this.reachable() < 0) return;
    this.withFd(O.RDONLY, (fd) => host(() => fchmodSync(fd, known ?? hostFstat(fd).mode & 0o7777)));
  }

  /** The host's unlink moves the host file's ctime, as Linux's moves the inode's: a stat after it asks the host. */
  protected override unname(): void {
    const s = changeStats.take(this) ?? this.readHostStat();
    super.unname();
    this.lastStat = { ...s, ctime: now() };
  }

  /** An unnamed (O_TMPFILE) file is linked: its host file gets its name back. */
  renameHost(): void {
    if (this.named) return;
    this.freshStat = null;
    const fd = this.reachable();
    if (fd < 0) throw new SysErr(E.ENOENT);
    this.fs.host.link(fd, this.hostName);
    this.named = true;
  }

  override open(flags: number): number {
    const asked = flags & FILE_STATUS_FLAGS;
    const made = this.created;
    this.freshStat = null;
    const fd = made?.flags === asked ? made.fd : this.openHost(asked);
    if (made) {
      if (made.fd !== fd) closeSync(made.fd);
      this.created = null;
    }
    this.remember(fd);
    return fd;
  }

  /**
   * The sentry reuses the numbers of the fds it closes, so the set stays about
   * as large as its fd table: pruned (the numbers not of this file any more)
   * only when it has doubled since.
   */
  private remember(fd: number): void {
    this.opened.add(fd);
    if (this.opened.size < this.pruneAt) return;
    for (const x of this.opened) if (!this.isOurs(x)) this.opened.delete(x);
    this.pruneAt = Math.max(16, 2 * this.opened.size);
  }

  private isOurs(fd: number): boolean {
    try {
      return hostFileKey(hostFstat(fd)) === this.key;
    } catch {
      return false;
    }
  }
}

export class TmpfsSymlink extends TmpfsInode {
  constructor(fs: Tmpfs, readonly target: string, owner: Owner) {
    super(fs, S_IFLNK | 0o777, owner);
  }
  protected override size(): number { return this.target.length; }
  override readlink(): string { return this.target; }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

/**
 * FIFOs, sockets and device nodes. A character device opens the host device
 * of that number when it is one a sandbox may use (dev/devices.ts), any other
 * device gives ENXIO, as a number without a driver does; a FIFO is a host
 * FIFO made with the node (the sentry opens it, see fifo()); a socket does not
 * open (ENXIO, as on Linux).
 */
export class TmpfsSpecial extends TmpfsInode {
  /** O_PATH fd of the host FIFO behind a FIFO node. */
  private hostFifo = -1;
  /**
   * The host FIFO's times when last seen. Reads and writes of the FIFO run
   * natively on the host pipe, whose inode's times they move as Linux's
   * pipe_read (atime, relatime) and pipe_write (mtime, ctime) do; the node's
   * own times follow each move. Times the sandbox sets are set on the host
   * FIFO too, so that its relatime decisions start from the same times.
   */
  private seen: HostStat | null = null;

  constructor(fs: Tmpfs, mode: number, readonly rdev: number, owner: Owner) {
    super(fs, mode, owner);
    if ((mode & S_IFMT) === S_IFIFO) {
      this.hostFifo = hostFifos.make();
      this.mirrorTimes();
    }
  }
  override stat(): Stat {
    if (this.hostFifo >= 0) this.followHostFifo();
    return { ...super.stat(), rdev: this.rdev };
  }

  private followHostFifo(): void {
    const h = hostFstat(this.hostFifo);
    const s = this.seen;
    this.seen = h;
    if (!s) return;
    const m = this.meta;
    if (moved(h.atime, s.atime)) m.atime = h.atime;
    if (moved(h.mtime, s.mtime)) m.mtime = h.mtime;
    if (moved(h.ctime, s.ctime)) m.ctime = h.ctime;
  }

  /** The node's atime and mtime onto the host FIFO; its times as they are now are the ones seen. */
  private mirrorTimes(): void {
    utimensPath(`/proc/self/fd/${this.hostFifo}`, this.meta.atime, this.meta.mtime);
    this.seen = hostFstat(this.hostFifo);
  }

  override setattr(a: SetAttr): void {
    if (this.hostFifo >= 0) this.followHostFifo();
    super.setattr(a);
    if (this.hostFifo >= 0 && (a.atime !== undefined || a.mtime !== undefined)) this.mirrorTimes();
  }
  /** A character device opens the host's device. */
  override sharesHostFile(): boolean { return (this.meta.mode & S_IFMT) === S_IFCHR; }
  override open(flags: number, ctx: Context): number {
    if ((this.meta.mode & S_IFMT) === S_IFCHR) return openCharDevice(this.rdev, flags, ctx);
    throw new SysErr(E.ENXIO);
  }
  /** For a socket node made by bind(2): the sentry-private host path its socket is bound to. */
  boundTo: string | null = null;
  override hostSocket(): number {
    if (!this.boundTo) throw new SysErr(E.ECONNREFUSED);
    return host(() => openSync(this.boundTo!, O.PATH | O.CLOEXEC));
  }

  override fifo(): number {
    if (this.hostFifo < 0) throw new SysErr(E.ENXIO);
    return reopenAsPath(this.hostFifo);
  }
}

function moved(a: Timespec, b: Timespec): boolean {
  return a.sec !== b.sec || a.nsec !== b.nsec;
}
