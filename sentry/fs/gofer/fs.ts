// A host directory tree served by the gofer. The sentry holds no host path:
// an inode is a base (the attach root, or a directory the gofer holds open
// for it: a cwd, a root, an open directory; see `pin`) and a path relative to
// it, walked by the gofer without following symlinks. An overlay's lower
// layer caches what it looks up (nothing may change it under the mount), and
// the sentry reads it itself through the gofer's directory fds (direct.ts);
// every other tree, a bind mount, asks the gofer again in each system call
// that looks up or stats (see vfs/inode.ts `calls`), and a walk asks for all
// its names at once (WalkStat).
import { closeSync, fchmodSync, fchownSync, ftruncateSync, mkdirSync, rmSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import { allocDev, hostFileKey } from '../../vfs/devices.js';
import { calls, type DirEntry, type Filesystem, holders, Inode, lookupChild, type Owner, type SetAttr,
  type StatFs } from '../../vfs/inode.js';
import { isDir, isReg, S_IFIFO, S_IFMT, S_IFSOCK, type Stat } from '../../abi/stat.js';
import { AT, F, O, RENAME } from '../../abi/flags.js';
import { isPlainName, nameBytes } from '../../abi/names.js';
import { libcCalls, sys } from '../../host/native.js';
import { bindAsGiven, type GuestBind, hostSockets } from '../../host/sockets.js';
import { type EmptyDir } from '../../host/emptydir.js';
import { type Acl, ACL_XATTR, type AclKind, decodeAcl } from '../../vfs/acl.js';
import { closeQuietly, FdCache, host, hostFstat, reopen } from '../../host/fd.js';
import { futimens } from '../../host/times.js';
import { fgetxattr, flistxattr, fremovexattr, fsetxattr } from '../../host/xattr.js';
import type { GoferClient, GoferStat } from './client.js';
import { type DirectEntry, DirectLower } from './direct.js';

/** How many O_PATH fds a lower layer keeps for reopening (GoferFs.pathFdOf). */
const PATH_FDS = 256;
/** Held directories a tree has before it gives back those no longer held (GoferFs.sweep). */
const MIN_HELD = 64;
/** A lower-layer directory's remembered missing names, at most (then it starts again). */
const MAX_ABSENT = 4096;
/** What a Hold may meet that leaves the directory named by path (GoferFs.hold). */
const HOLD_MISSED: ReadonlySet<number> = new Set([E.ENOENT, E.ENOTDIR, E.ELOOP, E.EOPNOTSUPP]);

export class GoferFs implements Filesystem {
  readonly name = '9p';
  readonly hostKeepsAcls = true;
  readonly dev = allocDev();
  readonly root: GoferInode;
  /** One inode object per host file, so hard links and repeated lookups agree. */
  private readonly byHostId = new Map<string, GoferInode>();
  /** A coherent tree's lookups in the current call (`calls`), by base and path; null: the name does not exist. */
  private recent = new Map<string, GoferInode | null>();
  private recentCall = -1;
  /**
   * An overlay's lower layer (`lowerLayer`): what it looks up, lists and
   * reads of symlinks is cached for good. Every other tree is coherent with
   * the host: asked again in each call.
   */
  permanent = false;
  /** The host filesystem answered EOPNOTSUPP for an ACL: it keeps none (GoferInode.acl). */
  noAcls = false;
  /** The directories the gofer holds for this tree (`pin`). */
  private readonly pinned = new Set<GoferInode>();
  private sweepAt = MIN_HELD;

  /**
   * `openFdsAreFiles`: an fd the server opens is the host file itself (a
   * gofer's), which calls on an open description may use in place of its
   * name; an in-memory volume's is a memfd holding a copy of the file.
   */
  constructor(readonly client: GoferClient, readonly attach: number, readonly readonly: boolean,
      readonly emptyDir: EmptyDir, readonly openFdsAreFiles = true) {
    this.root = this.inodeFor(null, '', client.lstat(attach, ''));
  }

  inodeFor(parent: GoferInode | null, name: string, st: GoferStat): GoferInode {
    const key = `${st.dev}:${st.ino}`;
    let inode = this.byHostId.get(key);
    if (!inode || (inode.cached.mode & S_IFMT) !== (st.mode & S_IFMT)) {
      inode = new GoferInode(this, st);
      this.byHostId.set(key, inode);
    }
    inode.cached = st;
    inode.fetched = calls.current;
    inode.nameless = false;
    if (parent) { inode.parent = parent; inode.name = name; }
    return inode;
  }

  /** The lower layer of host files, read through its directories' fds (direct.ts); null for every other tree. */
  direct: DirectLower | null = null;

  lowerLayer(): void {
    this.permanent = true;
    if (this.openFdsAreFiles) this.direct = new DirectLower((dir) => this.client.open(dir.base, dir.path, O.PATH | O.DIRECTORY, 0));
  }

  /** The fd of directory `dir` of the lower layer read directly, or -1 (then the gofer is asked). */
  directFd(dir: GoferInode): number {
    return this.direct ? this.direct.dirFd(dir) : -1;
  }

  /** What a lookup of `key` (GoferInode.key) found in this call: an inode, null (none), or undefined (not looked up). */
  recentLookup(key: string): GoferInode | null | undefined {
    return this.recentCall === calls.current ? this.recent.get(key) : undefined;
  }

  rememberLookup(key: string, found: GoferInode | null): void {
    if (this.recentCall !== calls.current) {
      this.recent.clear();
      this.recentCall = calls.current;
    }
    this.recent.set(key, found);
  }

  /**
   * Makes `dir` a base of its own: a handle of it in the gofer, taken while
   * its path is the one just looked up, and checked to be the same
   * directory (if the host swapped or removed it meanwhile, it stays
   * addressed by path). Handles of directories the sandbox no longer holds
   * are given back when the held ones have doubled since the last sweep.
   */
  hold(dir: GoferInode): void {
    if (this.pinned.size >= this.sweepAt) this.sweep();
    let held: { handle: number; stat: GoferStat };
    try {
      held = this.client.hold(dir.base, dir.path);
    } catch (e) {
      // Gone or swapped for a non-directory since its lookup, or a server that holds nothing (an
      // in-memory volume): addressed by path, as before. Anything else (EMFILE…) is the call's error.
      if (e instanceof SysErr && HOLD_MISSED.has(e.errno)) return;
      throw e;
    }
    const { handle, stat } = held;
    if (stat.dev !== dir.cached.dev || stat.ino !== dir.cached.ino) {
      this.client.release(handle);
      return;
    }
    dir.handle = handle;
    this.pinned.add(dir);
  }

  private sweep(): void {
    const live = new Set(holders.inodes());
    for (const dir of this.pinned) {
      if (live.has(dir)) continue;
      this.pinned.delete(dir);
      this.client.release(dir.handle);
      dir.handle = -1;
    }
    this.sweepAt = Math.max(MIN_HELD, 2 * this.pinned.size);
  }

  /**
   * O_PATH fds of a read-only tree's regular files opened last (least
   * recently used first): a file opened again is reopened through
   * /proc/self/fd, with no round trip, on the same read-only, nodev mount
   * of the gofer's confined tree.
   */
  private readonly pathFds = new FdCache<GoferInode>(PATH_FDS);

  /** The O_PATH fd of `inode` (a lower layer's regular file), or -1 when the host file is no longer the one cached. */
  pathFdOf(inode: GoferInode): number {
    let fd = this.pathFds.get(inode);
    if (fd !== undefined) return fd;
    const dirFd = inode.parent ? this.directFd(inode.parent as GoferInode) : -1;
    fd = (dirFd >= 0 ? this.direct!.openEntry(dirFd, inode.name) : null) ?? this.client.openPath(inode.base, inode.path);
    const st = hostFstat(fd);
    if (st.ino !== inode.cached.ino || st.dev !== inode.cached.dev || !isReg(st.mode)) {
      closeSync(fd);
      return -1;
    }
    this.keepPathFd(inode, fd);
    return fd;
  }

  /** Keeps `fd`, an O_PATH fd of the regular file `inode` is (its stat taken from it), for pathFdOf. */
  keepPathFd(inode: GoferInode, fd: number): void {
    this.pathFds.keep(inode, fd);
  }

  forget(inode: GoferInode): void {
    const key = `${inode.cached.dev}:${inode.cached.ino}`;
    if (this.byHostId.get(key) === inode) this.byHostId.delete(key);
  }

  statfs(): StatFs {
    return this.client.statfs(this.attach, '');
  }
}

export class GoferInode extends Inode {
  private readonly children = new Map<string, GoferInode>();
  /**
   * A lower layer's names found missing: overlayfs leaves a lower layer that
   * changes undefined, so an absence is as lasting as a presence, and the
   * overlay asks the lower layer about every name it creates, renames to or
   * looks up in vain (a gofer round trip each).
   */
  private readonly absent = new Set<string>();
  /** A directory the sandbox removed: it has no path left to ask the gofer about. */
  private removed = false;
  /** An in-memory volume's file, once opened: the host file its descriptions are (its memfd), as maps shows it. */
  private memfdKey: string | null = null;

  /** The call (`calls`) in which `cached` was fetched. */
  fetched = -1;
  /** The host's ACLs as read at ctime `at` (`acl`); a kind not read yet is absent. */
  private acls: { at: string; access?: Acl | null; default?: Acl | null } | null = null;
  /**
   * Its path leads to no file or to another one (unlinked, renamed over,
   * moved by the host): reached by identity since (an open description, an
   * fd link), it shows its last attributes with no link, as an unlinked
   * file's fstat does, until a lookup finds it again (GoferFs.inodeFor).
   */
  nameless = false;
  /** The gofer's handle of this directory, once it is a base of its own (`pin`); else -1. */
  handle = -1;

  constructor(readonly fs: GoferFs, public cached: GoferStat) {
    super();
  }

  /** What `path` is relative to: the nearest held directory at or above this inode, else the attach root. */
  get base(): number {
    for (let i: GoferInode = this; ; i = i.parent as GoferInode) {
      if (i.handle >= 0) return i.handle;
      if (!i.parent) return this.fs.attach;
    }
  }

  /** Path relative to `base`. */
  get path(): string {
    if (!this.parent || this.handle >= 0) return '';
    const up = (this.parent as GoferInode).path;
    return up === '' ? this.name : `${up}/${this.name}`;
  }

  /** The child `name` as this call's lookups are keyed: its base and path. */
  private key(name: string): string {
    const base = this.base;
    return base === this.fs.attach ? this.child(name) : `${base}\0${this.child(name)}`;
  }

  private child(name: string): string {
    const p = this.path;
    return p === '' ? name : `${p}/${name}`;
  }

  private get c() { return this.fs.client; }
  private get a() { return this.base; }

  stat(): Stat {
    if (this.removed) return { ...this.cached, nlink: 0, dev: this.fs.dev };
    if (!this.fs.permanent && this.fetched !== calls.current) this.refetch();
    if (this.nameless) return { ...this.cached, nlink: 0, dev: this.fs.dev };
    const s = this.cached;
    return { ...s, dev: this.fs.dev, ino: s.ino };
  }

  /** The file at its path, if that is still this inode's file (see `nameless`). */
  private refetch(): void {
    this.fetched = calls.current;
    let st: GoferStat;
    try {
      st = this.c.lstat(this.a, this.path);
    } catch (e) {
      if (!(e instanceof SysErr) || e.errno !== E.ENOENT || !this.parent) throw e;
      this.nameless = true;
      return;
    }
    this.nameless = st.dev !== this.cached.dev || st.ino !== this.cached.ino;
    if (!this.nameless) this.cached = st;
  }

  override fileType(): number { return this.cached.mode & S_IFMT; }

  // A read-only tree (the overlay's lower layer, a ro bind mount) is the host's; directories open EmptyDir's.
  override sharesHostFile(): boolean { return this.fs.readonly && !isDir(this.cached.mode); }

  /** The host file itself: its data, and for a directory its entries, as host processes change them too. */
  override dataFile(): number {
    // A read-only tree (the overlay's lower layer: the host's root) is not watched: the
    // sandbox never changes it, and what host processes do there (names they make, their
    // reads of /usr/bin/ls) is none of the sandbox's.
    if (this.removed || this.fs.readonly) return -1;
    try { return this.c.open(this.a, this.path, O.PATH, 0); } catch { return -1; }
  }

  override hostKey(): string { return this.memfdKey ?? hostFileKey(this.cached); }

  /** An open regular file is the host file itself: fstat it (an unlinked file has no path to ask the gofer about). */
  override statOpen(hostFd: number): Stat {
    if (isDir(this.cached.mode)) return this.stat();
    return { ...hostFstat(hostFd), dev: this.fs.dev, btime: this.cached.btime };
  }

  override lookup(name: string): Inode {
    if (this.fs.permanent) {
      const hit = this.children.get(name);
      if (hit) return hit;
      if (this.absent.has(name)) throw new SysErr(E.ENOENT);
    } else {
      const recent = this.fs.recentLookup(this.key(name));
      if (recent === null) throw new SysErr(E.ENOENT);
      if (recent && recent.parent === this && recent.name === name && recent.fetched === calls.current) return recent;
    }
    try {
      if (!this.fs.permanent) return this.found(name, this.c.lstat(this.a, this.child(name)));
      const dirFd = this.fs.directFd(this);
      if (dirFd >= 0) return this.found(name, this.fs.direct!.lstat(dirFd, name));
      // A lower layer's regular file comes with the O_PATH fd an open of it reopens (pathFdOf): no round trip then.
      const { stat, fd } = this.c.lstatWithPathFd(this.a, this.child(name));
      const inode = this.found(name, stat);
      if (fd >= 0) this.fs.keepPathFd(inode, fd);
      return inode;
    } catch (e) {
      if (this.fs.permanent && e instanceof SysErr && e.errno === E.ENOENT) this.noteAbsent(name);
      throw e;
    }
  }

  private noteAbsent(name: string): void {
    if (this.absent.size >= MAX_ABSENT) this.absent.clear();
    this.absent.add(name);
  }

  /** The entry `name` changed: what is known of it is asked again. */
  private forgetName(name: string): void {
    this.children.delete(name);
    this.absent.delete(name);
  }

  /** The child `name` whose lstat is `st`, remembered as the tree's kind of cache has it. */
  private found(name: string, st: GoferStat): GoferInode {
    const inode = this.fs.inodeFor(this, name, st);
    if (this.fs.permanent) this.children.set(name, inode);
    else this.fs.rememberLookup(this.key(name), inode);
    return inode;
  }

  /**
   * The walk's next names in one round trip, unless the first is known
   * already (a lower layer's cache, or this call's lookups): the stats
   * come back for this directory and each name until one is not a
   * directory or does not exist.
   */
  override prefetch(names: readonly string[]): void {
    // A lower layer knows its own attributes for good: for one name, its lookup's lstat is the cheaper request.
    if (names.length < (this.fs.permanent ? 2 : 1) || this.removed || !isDir(this.cached.mode) || this.fs.direct) return;
    const first = names[0]!;
    if (this.fs.permanent ? this.children.has(first) || this.absent.has(first) : this.fs.recentLookup(this.key(first)) !== undefined) return;
    const { stats, missing, fd } = this.c.walkStat(this.a, this.path, names, this.fs.permanent);
    if (stats.length === 0) {
      if (fd >= 0) closeQuietly(fd);
      return;
    }
    this.cached = stats[0]!;
    this.fetched = calls.current;
    let dir: GoferInode = this;
    for (let i = 1; i < stats.length; i++) {
      const name = names[i - 1]!;
      dir = (this.fs.permanent && dir.children.get(name)) || dir.found(name, stats[i]!);
    }
    // A lower layer's walk that ended at a regular file brought its O_PATH fd, for an open of it (pathFdOf).
    if (fd >= 0) this.fs.keepPathFd(dir, fd);
    if (missing && stats.length - 1 < names.length) {
      const name = names[stats.length - 1]!;
      if (this.fs.permanent) dir.noteAbsent(name);
      else this.fs.rememberLookup(dir.key(name), null);
    }
  }

  /**
   * A lower layer's listing by the gofer brings each entry's attributes, so
   * the walks that follow need no round trip; one the sentry reads itself
   * (direct.ts) brings none, as a lookup there is one statx.
   */
  override readdir(noatime = false): DirEntry[] {
    const dirFd = this.fs.permanent ? this.fs.directFd(this) : -1;
    const entries: DirectEntry[] = dirFd >= 0 ? this.fs.direct!.list(dirFd, noatime) : this.c.readdir(this.a, this.path, this.fs.permanent, noatime);
    if (this.fs.permanent) {
      for (const e of entries) {
        if (e.stat && !this.children.has(e.name)) this.children.set(e.name, this.fs.inodeFor(this, e.name, e.stat));
      }
    }
    return entries.map((e) => ({ name: e.name, ino: e.ino, type: e.type }));
  }

  /** A lower layer's symlink body, once read (a symlink's body never changes: another is another inode). */
  private target: string | null = null;

  override readlink(): string {
    if (!this.fs.permanent) return this.c.readlink(this.a, this.path);
    const dirFd = this.parent ? this.fs.directFd(this.parent as GoferInode) : -1;
    return this.target ??= dirFd >= 0 ? this.fs.direct!.readlink(dirFd, this.name) : this.c.readlink(this.a, this.path);
  }

  /** A host directory takes a whiteout (a 0:0 device node); an in-memory volume has no device nodes. */
  override makesWhiteouts(): boolean { return this.fs.openFdsAreFiles; }

  /** A regular file's open description reaches it whatever became of its name (not an in-memory volume's memfd). */
  override opensThrough(): boolean { return this.fs.openFdsAreFiles && isReg(this.cached.mode); }

  override open(flags: number, _ctx?: unknown, through?: number): number {
    if (isDir(this.cached.mode)) return this.fs.emptyDir.openFor(this, flags);
    // Through an open description (/proc/self/fd/N): the file it has open, whatever became of its name.
    if (through !== undefined) return reopen(through, flags);
    // A lower layer's file only: in a coherent tree, an inode number the host reused would reopen a removed file.
    if (this.fs.permanent && isReg(this.cached.mode) && (flags & O.ACCMODE) === O.RDONLY) {
      const pathFd = this.fs.pathFdOf(this);
      if (pathFd >= 0) return reopen(pathFd, flags);
      // The host replaced the file since it was looked up: opened by its path, as any other open.
    }
    const fd = this.c.open(this.a, this.path, flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.CLOEXEC | O.NOCTTY), 0);
    if (!this.fs.openFdsAreFiles && isReg(this.cached.mode)) {
      this.memfdKey = hostFileKey(hostFstat(fd));
    }
    return fd;
  }

  /**
   * The guest's socket is bound on the host, in this directory, reached
   * through an O_PATH fd of it from the gofer, so the host path is never
   * walked: bound in a scratch tree made in this directory (the name must be
   * the guest's string, see bindAsGiven), then moved to its name, which is
   * never replaced (RENAME_NOREPLACE) nor a symlink followed.
   */
  override bindSocket(name: string, sock: GuestBind, mode: number, owner: Owner): Inode {
    const dir = this.c.open(this.a, this.path, O.PATH | O.DIRECTORY, 0);
    try {
      const scratch = `/proc/self/fd/${dir}/${hostSockets.scratchName()}`;
      host(() => mkdirSync(nameBytes(scratch), { mode: 0o700 }));
      try {
        const bound = bindAsGiven(sock, scratch);
        sys(libcCalls.renameat2(AT.FDCWD, nameBytes(bound + '\0'), dir, nameBytes(name + '\0'), RENAME.NOREPLACE));
      } finally {
        rmSync(nameBytes(scratch), { recursive: true, force: true });
      }
    } finally {
      closeSync(dir);
    }
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    this.c.chmod(this.a, this.child(name), mode & 0o7777);
    return this.created(name, owner);
  }

  /** The socket node itself (the gofer opens it without following symlinks). */
  override hostSocket(): number {
    if ((this.cached.mode & S_IFMT) !== S_IFSOCK) throw new SysErr(E.ECONNREFUSED);
    return this.c.open(this.a, this.path, O.PATH, 0);
  }

  override fifo(): number {
    if ((this.cached.mode & S_IFMT) !== S_IFIFO) throw new SysErr(E.ENXIO);
    return this.c.open(this.a, this.path, O.PATH, 0);
  }

  /**
   * The new entry `name`, given to `owner` unless the gofer already made it
   * theirs (a chown would move its ctime past its birth time, which a file
   * created in one step does not show). The host takes set-id bits away on
   * chown, so they are set again after.
   */
  private created(name: string, owner: Owner): Inode {
    this.forgetName(name);
    const inode = this.lookup(name);
    const st = (inode as GoferInode).cached;
    if (st.uid === owner.uid && st.gid === owner.gid) return inode;
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    // The chown took the set-id bits of a file away: its mode as made (the umask or default ACL applied) again.
    if (!isDir(st.mode) && (st.mode & 0o6000)) this.c.chmod(this.a, this.child(name), st.mode & 0o7777);
    return this.lookup(name);
  }

  override create(name: string, mode: number, owner: Owner): Inode {
    const fd = this.c.open(this.a, this.child(name), O.CREAT | O.EXCL | O.WRONLY, mode, owner.umask);
    closeSync(fd);
    return this.created(name, owner);
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    this.c.mkdir(this.a, this.child(name), mode, owner.umask);
    return this.created(name, owner);
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    this.c.symlink(this.a, this.child(name), target);
    return this.created(name, owner);
  }

  override mknod(name: string, mode: number, rdev: number, owner: Owner): Inode {
    this.c.mknod(this.a, this.child(name), mode, rdev, owner.umask);
    return this.created(name, owner);
  }

  /**
   * O_TMPFILE: an unnamed host file the gofer makes in this directory,
   * given to `owner` through its fd (then set-id bits again, as `created`).
   */
  override tmpfile(mode: number, owner: Owner, linkable: boolean): Inode {
    if (!this.fs.openFdsAreFiles) throw new SysErr(E.EOPNOTSUPP);
    const fd = this.c.open(this.a, this.path, O.TMPFILE | O.RDWR | (linkable ? 0 : O.EXCL), mode, owner.umask);
    try {
      const st = hostFstat(fd);
      if (st.uid !== owner.uid || st.gid !== owner.gid) {
        setattrOpen(fd, { uid: owner.uid, gid: owner.gid });
        if (st.mode & 0o6000) setattrOpen(fd, { mode: st.mode & 0o7777 });
      }
      return new GoferTmpfile(this.fs, fd, linkable);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  override link(name: string, target: Inode): void {
    if (target instanceof GoferTmpfile && target.fs === this.fs) return this.linkTmpfile(name, target);
    if (!(target instanceof GoferInode) || target.fs !== this.fs) throw new SysErr(E.EXDEV);
    // The gofer links by path: a file whose name is gone (or leads to another) has none to link from.
    if (target.stat().nlink === 0) throw new SysErr(E.ENOENT);
    this.c.link(target.a, target.path, this.child(name), this.a);
    this.forgetName(name);
  }

  /**
   * Names an O_TMPFILE file: the sentry links it through /proc/self/fd into
   * an O_PATH fd of this directory from the gofer (as bindSocket binds), so
   * no host path is walked; both are on the gofer's mount of the tree, and
   * `name` is one plain name of it.
   */
  private linkTmpfile(name: string, target: GoferTmpfile): void {
    if (!isPlainName(name)) throw new SysErr(E.EINVAL);
    const file = target.linkableFd();
    const dir = this.c.open(this.a, this.path, O.PATH | O.DIRECTORY, 0);
    try {
      sys(libcCalls.linkat(AT.FDCWD, `/proc/self/fd/${file}`, dir, nameBytes(name + '\0'), AT.SYMLINK_FOLLOW));
    } finally {
      closeSync(dir);
    }
    calls.next();
    this.forgetName(name);
  }

  override unlink(name: string): void {
    this.c.unlink(this.a, this.child(name));
    this.forgetName(name);
  }

  override rmdir(name: string): void {
    // The inode may still be open or a cwd; it has to know that its path is gone.
    const gone = lookupChild(this, name) as GoferInode | null;
    this.c.rmdir(this.a, this.child(name));
    if (gone) { gone.removed = true; this.fs.forget(gone); }
    this.forgetName(name);
  }

  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    if (!(newDir instanceof GoferInode) || newDir.fs !== this.fs) throw new SysErr(E.EXDEV);
    this.c.rename(this.a, this.child(oldName), newDir.child(newName), flags, newDir.a);
    this.forgetName(oldName);
    newDir.forgetName(newName);
    newDir.lookup(newName);
    if (flags & 2 /* RENAME_EXCHANGE */) this.lookup(oldName);
  }

  /** A coherent tree's directory held beyond this call follows its directory, not its path (GoferFs.hold). */
  override pin(): void {
    if (this.handle < 0 && this.parent && !this.fs.permanent && !this.removed && isDir(this.cached.mode)) this.fs.hold(this);
  }

  override setattr(a: SetAttr, hostFd?: number): void {
    // Through an open fd the gofer is not asked: the attributes fetched in this call are stale all the same.
    calls.next();
    if (hostFd !== undefined && !isDir(this.cached.mode)) return setattrOpen(hostFd, a);
    const p = this.path;
    if (a.mode !== undefined) this.c.chmod(this.a, p, a.mode);
    if (a.uid !== undefined || a.gid !== undefined) this.c.chown(this.a, p, a.uid ?? -1, a.gid ?? -1);
    if (a.size !== undefined) this.c.truncate(this.a, p, a.size);
    if (a.atime !== undefined || a.mtime !== undefined) this.c.utimens(this.a, p, a.atime ?? 'omit', a.mtime ?? 'omit');
  }

  /**
   * The host's ACL of the file, for the VFS's permission checks (the host
   * keeps it: hostKeepsAcls). Read when a check needs it (a caller that is
   * neither the owner nor capable, with group bits set) and kept while the
   * file's ctime stays the same: any change of an ACL moves the ctime, which
   * a coherent tree fetches in each call anyway.
   */
  override acl(kind: AclKind): Acl | null {
    if (kind === 'default' && !isDir(this.cached.mode)) return null;
    if (this.fs.noAcls) return null;
    // This call's attributes: their ctime keys what was read.
    this.stat();
    if (this.removed || this.nameless) return this.acls?.[kind] ?? null;
    const at = `${this.cached.ctime.sec}.${this.cached.ctime.nsec}`;
    if (this.acls?.at !== at) this.acls = { at };
    return this.acls[kind] ??= this.readAcl(kind);
  }

  private readAcl(kind: AclKind): Acl | null {
    try {
      return decodeAcl(this.readXattr(ACL_XATTR[kind]));
    } catch (e) {
      if (!(e instanceof SysErr)) throw e;
      if (e.errno === E.ENODATA) return null;
      // A host filesystem without ACLs (or an in-memory volume): none to read, in any file of the tree.
      if (e.errno === E.EOPNOTSUPP) { this.fs.noAcls = true; return null; }
      throw e;
    }
  }

  // Through an open file's fd, its own xattrs, whatever became of its name (a directory's fd is EmptyDir's).
  override getxattr(name: string, hostFd?: number): Uint8Array {
    if (this.throughFd(hostFd)) return fgetxattr(hostFd, name);
    return this.readXattr(name);
  }
  override listxattr(hostFd?: number): string[] {
    if (this.throughFd(hostFd)) return flistxattr(hostFd);
    const at = this.directEntry();
    return at ? this.fs.direct!.listxattr(at.dirFd, at.name) : this.c.listxattr(this.a, this.path);
  }

  /** The xattr `name` of the file at this inode's name: read directly in the lower layer, else asked of the gofer. */
  private readXattr(name: string): Uint8Array {
    const at = this.directEntry();
    return at ? this.fs.direct!.getxattr(at.dirFd, at.name, name) : this.c.getxattr(this.a, this.path, name);
  }

  /** This file of the lower layer read directly (direct.ts) as its directory's fd and its name (null: the root); null: ask the gofer. */
  private directEntry(): { dirFd: number; name: string | null } | null {
    if (!this.fs.direct || this.removed) return null;
    const dirFd = this.fs.directFd(this.parent ? this.parent as GoferInode : this);
    return dirFd < 0 ? null : { dirFd, name: this.parent ? this.name : null };
  }
  override setxattr(name: string, value: Uint8Array, flags: number, hostFd?: number): void {
    if (!this.throughFd(hostFd)) return this.c.setxattr(this.a, this.path, name, value, flags);
    calls.next();
    fsetxattr(hostFd, name, value, flags);
  }
  override removexattr(name: string, hostFd?: number): void {
    if (!this.throughFd(hostFd)) return this.c.removexattr(this.a, this.path, name);
    calls.next();
    fremovexattr(hostFd, name);
  }

  private throughFd(hostFd: number | undefined): hostFd is number {
    return hostFd !== undefined && this.fs.openFdsAreFiles && !isDir(this.cached.mode);
  }
}

/**
 * An O_TMPFILE file of a host directory. It has no name to ask the gofer
 * about: it is reached only through host fds of it, the one it was made
 * with until its first open, then the descriptions' (each checked to still
 * be this file, as an fd number may have been closed and reused), so the
 * host frees it when the guest's last description goes, as Linux does.
 */
export class GoferTmpfile extends Inode {
  private unnamedFd: number;
  private opened: number[] = [];
  private readonly dev: number;
  private readonly ino: number;
  /** Its stat when last seen, for a stat with no description left to ask. */
  private last: Stat;

  constructor(readonly fs: GoferFs, fd: number, private readonly linkable: boolean) {
    super();
    const s = hostFstat(fd);
    this.unnamedFd = fd;
    this.dev = s.dev;
    this.ino = s.ino;
    this.last = { ...s, dev: fs.dev };
  }

  /** A host fd of the file that the sentry still holds, or -1. */
  private reachable(): number {
    if (this.unnamedFd >= 0) return this.unnamedFd;
    this.opened = this.opened.filter((fd) => {
      try {
        const s = hostFstat(fd);
        return s.dev === this.dev && s.ino === this.ino;
      } catch {
        return false;
      }
    });
    return this.opened[0] ?? -1;
  }

  private fd(): number {
    const fd = this.reachable();
    if (fd < 0) throw new SysErr(E.ENOENT);
    return fd;
  }

  /** The fd to link it by: ENOENT for an O_EXCL one (never linkable) or one no description holds. */
  linkableFd(): number {
    if (!this.linkable) throw new SysErr(E.ENOENT);
    return this.fd();
  }

  stat(): Stat {
    const fd = this.reachable();
    if (fd >= 0) this.last = { ...hostFstat(fd), dev: this.fs.dev };
    return this.last;
  }

  override statOpen(hostFd: number): Stat { return { ...hostFstat(hostFd), dev: this.fs.dev }; }
  override fileType(): number { return this.last.mode & S_IFMT; }
  override hostKey(): string { return hostFileKey({ dev: this.dev, ino: this.ino }); }

  override open(flags: number): number {
    const fd = reopen(this.fd(), flags);
    // The fds of closed descriptions go at each look (reachable); many opens and no look, here.
    if (this.opened.length >= 16) this.reachable();
    this.opened.push(fd);
    if (this.unnamedFd >= 0) {
      closeSync(this.unnamedFd);
      this.unnamedFd = -1;
    }
    return fd;
  }

  override setattr(a: SetAttr, hostFd?: number): void {
    calls.next();
    setattrOpen(hostFd ?? this.fd(), a);
  }

  override getxattr(name: string, hostFd?: number): Uint8Array { return fgetxattr(hostFd ?? this.fd(), name); }
  override listxattr(hostFd?: number): string[] { return flistxattr(hostFd ?? this.fd()); }
  override setxattr(name: string, value: Uint8Array, flags: number, hostFd?: number): void {
    calls.next();
    fsetxattr(hostFd ?? this.fd(), name, value, flags);
  }
  override removexattr(name: string, hostFd?: number): void {
    calls.next();
    fremovexattr(hostFd ?? this.fd(), name);
  }
}

/** fchmod, fchown, ftruncate, futimens on an open host file: it was opened through the gofer, and may have no name left. */
function setattrOpen(fd: number, a: SetAttr): void {
  if (a.mode !== undefined) host(() => fchmodSync(fd, a.mode! & 0o7777));
  if (a.uid !== undefined || a.gid !== undefined) {
    const s = hostFstat(fd);
    host(() => fchownSync(fd, a.uid ?? s.uid, a.gid ?? s.gid));
  }
  if (a.size !== undefined) truncateOpen(fd, a.size);
  if (a.atime !== undefined || a.mtime !== undefined) futimens(fd, a.atime ?? 'omit', a.mtime ?? 'omit');
}

/**
 * A truncation through an open file (an O_TRUNC open through /proc/self/fd,
 * checked by the sentry): a description open for reading only is reopened
 * for writing, as Linux's O_RDONLY | O_TRUNC truncates too.
 */
function truncateOpen(fd: number, size: number): void {
  const acc = sys(libcCalls.fcntl(fd, F.GETFL, 0)) & O.ACCMODE;
  if (acc === O.WRONLY || acc === O.RDWR) return host(() => ftruncateSync(fd, size));
  const w = reopen(fd, O.WRONLY);
  try { host(() => ftruncateSync(w, size)); } finally { closeSync(w); }
}
