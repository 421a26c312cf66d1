// The VFS operations (gVisor's VirtualFilesystem): every change of the tree
// and every open by path goes through here, from the handlers, boot and the
// loader alike, so the rules live in one place: read-only mounts (EROFS),
// sticky directories, permissions, set-id and owner rules of new entries,
// busy mount points (EBUSY), and who may change a file's mode, owner, times
// or size. Callers give a starting place (the cwd or a directory fd's place:
// a kernel matter) and a path, or for an attribute change the place itself;
// the handlers only decode arguments and encode results.
import { E, SysErr } from '../abi/errno.js';
import { O, RENAME } from '../abi/flags.js';
import { isDevice, isDir, isLnk, isReg, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID,
  S_ISUID, S_ISVTX, type Stat, type Timespec } from '../abi/stat.js';
import { CAP, capable, type Creds, inGroup, NO_ID } from '../auth/creds.js';
import { type Inode, lookupChild, type Owner, type SetAttr } from './inode.js';
import type { GuestBind } from '../host/sockets.js';
import { samePath, throughFd, type VfsPath } from './mount.js';
import { checkAccess, checkHardlink, checkSticky, isOwnerOrRoot, MAY_EXEC, MAY_READ, MAY_WRITE, type Perm, stripSgid,
  withoutSetid } from './permissions.js';
import { type ParentAndName, resolve, resolveForCreate, resolveParent, type WalkContext } from './walk.js';
import { type Acl, type AclKind, aclKindOf, aclMode, checkAclValid, chmodAcl, decodeAcl, inheritAcl } from './acl.js';
import { attrChanged, beforeChange, created, linked, moved, removed, watching, xattrChanged } from './notify.js';

/** Who acts: a walker (namespace, root, credentials, context) and the umask its new entries get. */
export interface Actor extends WalkContext {
  readonly umask: number;
}

/** The owner of a new entry in `dir`: the caller, or the directory's group when it is setgid; the umask left to the host (`m`). */
function newOwner(a: Actor, dir: Stat, m?: NewMode): Owner {
  const owner = { uid: a.creds.fsuid, gid: (dir.mode & S_ISGID) ? dir.gid : a.creds.fsgid };
  return m?.umask ? { ...owner, umask: m.umask } : owner;
}

/**
 * A new entry's permission bits, the ACLs it inherits from its directory's
 * default ACL (`dflt`), and the umask still to apply (Owner.umask).
 */
interface NewMode { mode: number; access: Acl | null; dflt: Acl | null; umask: number }

/**
 * posix_acl_create: in a directory with a default ACL, the new entry's mode
 * (already umasked when `umasked`, else not: the default ACL stands for the
 * umask) is masked by that ACL, which becomes the entry's access ACL when the
 * mode cannot say it all; elsewhere the umask applies. A host's directory
 * (hostKeepsAcls) gets the mode and the umask as they are: the host knows its
 * default ACL, which reading before each create would cost a round trip.
 */
function withDefaultAcl(a: Actor, dir: VfsPath, mode: number, umasked = false): NewMode {
  if (dir.mount.fs.hostKeepsAcls) return { mode, access: null, dflt: null, umask: umasked ? 0 : a.umask };
  const dflt = dir.inode.acl('default');
  if (!dflt) return { mode: umasked ? mode : mode & ~a.umask, access: null, dflt: null, umask: 0 };
  return { ...inheritAcl(dflt, mode), dflt, umask: 0 };
}

/**
 * The permission bits of a new non-directory: the setgid-directory rule
 * first, then the umask or the default ACL, as vfs_prepare_mode orders them.
 */
function newMode(a: Actor, dir: VfsPath, dirSt: Stat, mode: number): NewMode {
  return withDefaultAcl(a, dir, stripSgid(a.creds, dirSt, mode & 0o7777));
}

/** The ACLs a new entry inherits: an access ACL, and for a directory its parent's default ACL as its own. */
function inherit(inode: Inode, m: NewMode, isDirectory: boolean): void {
  // Only a filesystem that keeps ACLs gives a default ACL, and its new inodes keep them too.
  if (m.access) inode.setAcl!('access', m.access, true);
  if (isDirectory && m.dflt) inode.setAcl!('default', m.dflt, true);
}

/** Checks for creating or removing an entry in `dir`: a live directory, a writable mount, then write and search permission. */
function checkDirWritable(a: Actor, dir: VfsPath): Stat {
  const st = dir.inode.stat();
  if (!isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  // A removed directory (still open, or the cwd) takes no new entries.
  if (st.nlink === 0) throw new SysErr(E.ENOENT);
  if (dir.mount.readonly) throw new SysErr(E.EROFS);
  checkAccess(a, st, MAY_WRITE | MAY_EXEC, dir.inode);
  return st;
}

/** For calls that create `p.name`: an existing entry is EEXIST before the directory's permissions count. */
function checkCreate(a: Actor, p: ParentAndName): Stat {
  try {
    return checkDirWritable(a, p.dir);
  } catch (e) {
    if (e instanceof SysErr && (e.errno === E.EACCES || e.errno === E.EROFS) && lookupChild(p.dir.inode, p.name)) {
      throw new SysErr(E.EEXIST);
    }
    throw e;
  }
}

/** Parent and name for calls that create an entry; '.', '..' and '/' already exist. */
function parentForCreate(a: Actor, start: VfsPath, path: string): ParentAndName {
  const p = resolveParent(a, start, path);
  if (p.name === '' || p.name === '.' || p.name === '..') throw new SysErr(E.EEXIST);
  return p;
}

/**
 * A last name with a trailing slash asks for a directory: a call that makes
 * anything else answers EEXIST when the name is taken and ENOENT when not,
 * before its permission checks, as Linux's filename_create does.
 */
function refuseTrailingSlash(p: ParentAndName): void {
  if (p.trailingSlash) throw new SysErr(lookupChild(p.dir.inode, p.name) ? E.EEXIST : E.ENOENT);
}

/** Is something mounted on `inode` of `at`'s mount, or is it that mount's root? */
function busy(a: Actor, at: VfsPath, inode: Inode): boolean {
  return a.ns.mountedOn({ mount: at.mount, inode }) !== undefined || inode === at.mount.root;
}

export function mkdirAt(a: Actor, start: VfsPath, path: string, mode: number): VfsPath {
  beforeChange();
  const p = parentForCreate(a, start, path);
  const dirSt = checkCreate(a, p);
  const m = withDefaultAcl(a, p.dir, (mode & 0o1777) | (dirSt.mode & S_ISGID));
  const inode = p.dir.inode.mkdir(p.name, m.mode, newOwner(a, dirSt, m));
  inherit(inode, m, true);
  created(p.dir.inode, p.name, inode);
  return { mount: p.dir.mount, inode };
}

/** mknod(2): regular files, FIFOs, sockets, and device nodes for CAP_MKNOD. */
export function mknodAt(a: Actor, start: VfsPath, path: string, mode: number, dev: number): void {
  let type = mode & S_IFMT;
  if (type === 0) type = S_IFREG;
  if (type === S_IFDIR) throw new SysErr(E.EPERM);
  if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) throw new SysErr(E.EINVAL);
  if ((type === S_IFCHR || type === S_IFBLK) && !capable(a.creds, CAP.MKNOD)) throw new SysErr(E.EPERM);
  beforeChange();
  const p = parentForCreate(a, start, path);
  refuseTrailingSlash(p);
  const dirSt = checkCreate(a, p);
  const m = newMode(a, p.dir, dirSt, mode);
  const inode = type === S_IFREG ? p.dir.inode.create(p.name, m.mode, newOwner(a, dirSt, m))
    : p.dir.inode.mknod(p.name, type | m.mode, type === S_IFCHR || type === S_IFBLK ? dev : 0, newOwner(a, dirSt, m));
  inherit(inode, m, false);
  created(p.dir.inode, p.name, inode);
}

export function symlinkAt(a: Actor, start: VfsPath, path: string, target: string): void {
  if (target === '') throw new SysErr(E.ENOENT);
  beforeChange();
  const p = parentForCreate(a, start, path);
  refuseTrailingSlash(p);
  const dirSt = checkCreate(a, p);
  created(p.dir.inode, p.name, p.dir.inode.symlink(p.name, target, newOwner(a, dirSt)));
}

/** bind(2) of a unix socket at `path`: a new socket node (an existing name is EADDRINUSE) with the guest's socket bound behind it. */
export function bindSocketAt(a: Actor, start: VfsPath, path: string, sock: GuestBind): void {
  try {
    beforeChange();
    const p = parentForCreate(a, start, path);
    refuseTrailingSlash(p);
    const dirSt = checkCreate(a, p);
    // unix_bind applies the umask itself, before any default ACL.
    const m = withDefaultAcl(a, p.dir, 0o777 & ~a.umask, true);
    const inode = p.dir.inode.bindSocket(p.name, sock, m.mode, newOwner(a, dirSt));
    inherit(inode, m, false);
    created(p.dir.inode, p.name, inode);
  } catch (e) {
    throw e instanceof SysErr && e.errno === E.EEXIST ? new SysErr(E.EADDRINUSE) : e;
  }
}

/** unlink(2). Returns the regular file that lost a name (else null), for the caller to let go of what it holds of it. */
export function unlinkAt(a: Actor, start: VfsPath, path: string): Inode | null {
  beforeChange();
  const p = resolveParent(a, start, path);
  if (p.name === '' || p.name === '.' || p.name === '..') throw new SysErr(E.EISDIR);
  if (p.dir.mount.readonly) throw new SysErr(E.EROFS);
  const victim = p.dir.inode.lookup(p.name);
  const vst = victim.stat();
  if (p.trailingSlash && !isDir(vst.mode)) throw new SysErr(E.ENOTDIR);
  const dirSt = checkDirWritable(a, p.dir);
  checkSticky(a.creds, dirSt, vst);
  if (isDir(vst.mode)) throw new SysErr(E.EISDIR);
  if (a.ns.mountedOn({ mount: p.dir.mount, inode: victim })) throw new SysErr(E.EBUSY);
  p.dir.inode.unlink(p.name);
  removed(p.dir.inode, p.name, victim, false, vst.nlink <= 1);
  return isReg(vst.mode) ? victim : null;
}

export function rmdirAt(a: Actor, start: VfsPath, path: string): void {
  beforeChange();
  const p = resolveParent(a, start, path);
  if (p.name === '.') throw new SysErr(E.EINVAL);
  if (p.name === '..') throw new SysErr(E.ENOTEMPTY);
  if (p.name === '') throw new SysErr(E.EBUSY);
  if (p.dir.mount.readonly) throw new SysErr(E.EROFS);
  const victim = p.dir.inode.lookup(p.name);
  const dirSt = checkDirWritable(a, p.dir);
  const vst = victim.stat();
  checkSticky(a.creds, dirSt, vst);
  if (!isDir(vst.mode)) throw new SysErr(E.ENOTDIR);
  if (a.ns.mountedOn({ mount: p.dir.mount, inode: victim })) throw new SysErr(E.EBUSY);
  if (victim === a.root.inode || victim === p.dir.mount.root) throw new SysErr(E.EBUSY);
  p.dir.inode.rmdir(p.name);
  removed(p.dir.inode, p.name, victim, true, true);
}

function isAncestor(maybeAncestor: Inode, of: Inode): boolean {
  for (let i: Inode | null = of; i; i = i.parent) if (i === maybeAncestor) return true;
  return false;
}

/**
 * renameat2(2); `flags`: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT
 * (the old name is left to a whiteout, a 0:0 character device, on a
 * filesystem that makes them, else EINVAL, as Linux's tmpfs and a filesystem
 * without them answer; no capability needed since Linux 5.8). Returns the
 * regular file the move replaced (it lost its name), else null, as unlinkAt
 * does.
 */
export function renameAt(a: Actor, fromStart: VfsPath, fromPath: string, toStart: VfsPath, toPath: string,
    flags: number): Inode | null {
  if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) throw new SysErr(E.EINVAL);
  if ((flags & RENAME.EXCHANGE) && (flags & (RENAME.NOREPLACE | RENAME.WHITEOUT))) throw new SysErr(E.EINVAL);
  beforeChange();
  const from = resolveParent(a, fromStart, fromPath);
  const to = resolveParent(a, toStart, toPath);
  // '/', '.' and '..' are no names to move or to replace (do_renameat2: not LAST_NORM).
  const special = (n: string) => n === '' || n === '.' || n === '..';
  if (special(from.name)) throw new SysErr(E.EBUSY);
  if (special(to.name)) throw new SysErr(flags & RENAME.NOREPLACE ? E.EEXIST : E.EBUSY);
  if (from.dir.mount !== to.dir.mount) throw new SysErr(E.EXDEV);
  if (from.dir.mount.readonly) throw new SysErr(E.EROFS);
  const moving = from.dir.inode.lookup(from.name);
  // Its type, owner and mode are all the checks read.
  const mst = moving.perm();
  const replaced = lookupChild(to.dir.inode, to.name);
  if ((from.trailingSlash || to.trailingSlash) && !isDir(mst.mode)) throw new SysErr(E.ENOTDIR);
  if (flags & RENAME.EXCHANGE) {
    if (!replaced) throw new SysErr(E.ENOENT);
  } else if (replaced) {
    if (flags & RENAME.NOREPLACE) throw new SysErr(E.EEXIST);
    if (replaced === moving) return null;
  }
  if (isDir(mst.mode) && isAncestor(moving, to.dir.inode)) throw new SysErr(E.EINVAL);
  if (replaced && (flags & RENAME.EXCHANGE) && isDir(replaced.stat().mode) && isAncestor(replaced, from.dir.inode)) {
    throw new SysErr(E.EINVAL);
  }
  for (const b of [moving, replaced]) if (b && busy(a, from.dir, b)) throw new SysErr(E.EBUSY);
  // vfs_rename: may_delete the source, may_create or may_delete the target, then a directory
  // moving to another parent must be writable itself (its ".." changes).
  const fromSt = checkDirWritable(a, from.dir);
  checkSticky(a.creds, fromSt, mst);
  const toSt = checkDirWritable(a, to.dir);
  if (replaced && replaced !== moving) {
    const rst = replaced.stat();
    checkSticky(a.creds, toSt, rst);
    if (!(flags & RENAME.EXCHANGE)) {
      if (isDir(mst.mode) && !isDir(rst.mode)) throw new SysErr(E.ENOTDIR);
      if (!isDir(mst.mode) && isDir(rst.mode)) throw new SysErr(E.EISDIR);
    }
  }
  if (from.dir.inode !== to.dir.inode) {
    if (isDir(mst.mode)) checkAccess(a, mst, MAY_WRITE, moving);
    if (replaced && (flags & RENAME.EXCHANGE) && isDir(replaced.stat().mode)) checkAccess(a, replaced.stat(), MAY_WRITE, replaced);
  }
  if (samePath(from.dir, to.dir) && from.name === to.name) return null;
  // Its last name goes (a directory's only one): IN_DELETE_SELF after the move's events.
  const rst = replaced && replaced !== moving && watching() ? replaced.stat() : null;
  const replacedNlink = rst && !isDir(rst.mode) ? rst.nlink : 0;
  const replacedFile = replaced && replaced !== moving && !(flags & RENAME.EXCHANGE) && replaced.fileType() === S_IFREG;
  if (flags & RENAME.WHITEOUT) {
    if (!from.dir.inode.makesWhiteouts()) throw new SysErr(E.EINVAL);
    from.dir.inode.rename(from.name, to.dir.inode, to.name, flags & ~RENAME.WHITEOUT);
    // Made as Linux's tmpfs makes it (shmem_whiteout): by the caller, mode 0, no event of its own.
    from.dir.inode.mknod(from.name, S_IFCHR, 0, newOwner(a, fromSt));
  } else {
    from.dir.inode.rename(from.name, to.dir.inode, to.name, flags);
  }
  moved(from.dir.inode, from.name, to.dir.inode, to.name, moving, replaced === moving ? null : replaced,
    (flags & RENAME.EXCHANGE) !== 0, replacedNlink <= 1);
  return replacedFile ? replaced : null;
}

/** link(2): a new name at `path` for the file at `target`. */
export function linkAt(a: Actor, target: VfsPath, start: VfsPath, path: string): void {
  beforeChange();
  const p = parentForCreate(a, start, path);
  if (lookupChild(p.dir.inode, p.name)) throw new SysErr(E.EEXIST);
  refuseTrailingSlash(p);
  if (p.dir.mount !== target.mount) throw new SysErr(E.EXDEV);
  if (p.dir.mount.readonly) throw new SysErr(E.EROFS);
  const tst = withSetid(target.inode);
  checkHardlink(a.creds, tst, target.inode);
  checkDirWritable(a, p.dir);
  if (isDir(tst.mode)) throw new SysErr(E.EPERM);
  p.dir.inode.link(p.name, target.inode);
  linked(p.dir.inode, p.name, target.inode);
}

/** Finds or creates the file of an open; `created` when this call made it. */
function openTarget(a: Actor, start: VfsPath, path: string, flags: number, mode: number, res: number):
    { at: VfsPath; created: boolean } {
  const follow = (flags & O.NOFOLLOW) === 0;
  if (!(flags & O.CREAT)) return { at: resolve(a, start, path, { followFinal: follow, resolve: res }), created: false };
  // A dangling symlink in the last place is followed, and its target created, unless O_EXCL or O_NOFOLLOW.
  const end = resolveForCreate(a, start, path, follow && !(flags & O.EXCL), res);
  if ('found' in end) {
    if (flags & O.EXCL) throw new SysErr(E.EEXIST);
    return { at: end.found, created: false };
  }
  const { dir, name } = end.missing;
  const dirSt = checkDirWritable(a, dir);
  const m = newMode(a, dir, dirSt, mode);
  const inode = dir.inode.create(name, m.mode, newOwner(a, dirSt, m), flags);
  inherit(inode, m, false);
  created(dir.inode, name, inode);
  return { at: { mount: dir.mount, inode }, created: true };
}

/**
 * The path part of open(2) (may_open): finds or creates the file and checks
 * that it may be opened so; truncates for O_TRUNC. `flags` are already
 * cleaned (valid bits; O_PATH keeps only its own). The caller makes the
 * description (or, for a FIFO, the host FIFO's end).
 */
export function openAt(a: Actor, start: VfsPath, path: string, flags: number, mode: number, res = 0):
    { at: VfsPath; st: Perm } {
  if (flags & (O.CREAT | O.TRUNC)) beforeChange();
  const { at, created } = openTarget(a, start, path, flags, mode, res);
  const through = throughFd(at);
  // What the checks read: the type, mode and owner, which a filesystem may keep itself (Inode.perm), unless the
  // place was reached through an open file (its name may be gone); set-id bits too for a truncate, which takes them away.
  const st = through !== undefined ? placeStat(at) : flags & O.TRUNC ? withSetid(at.inode) : at.inode.perm();
  const acc = flags & O.ACCMODE;
  // O_DIRECTORY is checked first: Linux answers ENOTDIR for a symlink kept by O_NOFOLLOW too.
  if ((flags & O.DIRECTORY) && !isDir(st.mode)) throw new SysErr(E.ENOTDIR);
  if (isLnk(st.mode) && !(flags & O.PATH)) throw new SysErr(E.ELOOP);
  if (!(flags & O.PATH)) {
    if (isDir(st.mode) && (acc !== O.RDONLY || (flags & (O.CREAT | O.TRUNC)))) throw new SysErr(E.EISDIR);
    if (isDevice(st.mode) && at.mount.flags.nodev) throw new SysErr(E.EACCES);
    const writes = acc !== O.RDONLY || (flags & O.TRUNC) !== 0;
    if (writes && at.mount.readonly && (isReg(st.mode) || isDir(st.mode))) throw new SysErr(E.EROFS);
    if (!created) {
      // Access mode 3 neither reads nor writes (ioctl only) but needs both permissions.
      const want = (acc === O.RDONLY ? MAY_READ : acc === O.WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE) |
        (flags & O.TRUNC ? MAY_WRITE : 0);
      checkAccess(a, st, want, at.inode);
    }
    if ((flags & O.NOATIME) && !isOwnerOrRoot(a.creds, st)) throw new SysErr(E.EPERM);
    if ((flags & O.TRUNC) && isReg(st.mode) && !created) truncateOnOpen(a, { ...at, hostFd: through }, st);
  }
  return { at, st };
}

/** What Inode.perm keeps, with set-id bits that are the file's own: a stat unless the file has none (Inode.setidFree). */
const withSetid = (inode: Inode): Perm => inode.setidFree() ? inode.perm() : inode.stat();

/** The stat of a place: through the open host file it was reached through, if any (its name may be gone). */
export function placeStat(at: VfsPath): Stat {
  const through = throughFd(at);
  return through === undefined ? at.inode.stat() : at.inode.statOpen(through);
}

/**
 * O_TRUNC: even an empty file is truncated (mtime and ctime change); set-id
 * bits go as for a write. Through the description an open came through, if
 * any (its file's name may be gone).
 */
function truncateOnOpen(a: Actor, at: AttrTarget, st: Perm): void {
  const mode = withoutSetid(a.creds, st);
  changeAttr(at, { size: 0, ...(mode !== (st.mode & 0o7777) ? { mode } : {}) });
}

/** O_TMPFILE: an unnamed file in the directory at `path`; `linkable` unless O_EXCL. */
export function tmpfileAt(a: Actor, start: VfsPath, path: string, mode: number, linkable: boolean, res = 0):
    { dir: VfsPath; at: VfsPath } {
  const dir = resolve(a, start, path, { followFinal: true, resolve: res });
  const dirSt = checkDirWritable(a, dir);
  const m = newMode(a, dir, dirSt, mode);
  const inode = dir.inode.tmpfile(m.mode, newOwner(a, dirSt, m), linkable);
  inherit(inode, m, false);
  return { dir, at: { mount: dir.mount, inode } };
}

/**
 * The program file of an exec (may_open with MAY_EXEC): a regular file on a
 * mount without noexec, executable by the actor. Its host fd, read-only, and
 * the attributes it was checked by.
 */
export function openExecutable(a: Actor, at: VfsPath): { hostFd: number; st: Stat } {
  const st = placeStat(at);
  if (!isReg(st.mode)) throw new SysErr(E.EACCES);
  if (at.mount.flags.noexec) throw new SysErr(E.EACCES);
  checkAccess(a, st, MAY_EXEC, at.inode);
  return { hostFd: at.inode.open(O.RDONLY, a, throughFd(at)), st };
}

/**
 * What an attribute change applies to: a place, and for the f* calls the
 * host fd of the open description named (its name may be gone; the change
 * goes through it).
 */
export type AttrTarget = VfsPath & { hostFd?: number };

/** Its attributes: through the open description when there is one. */
const statOf = (p: AttrTarget) => p.hostFd === undefined ? p.inode.stat() : p.inode.statOpen(p.hostFd);
/** statOf(p) when first asked: a change the caller's capabilities allow whoever owns the file needs no stat. */
function lazyStat(p: AttrTarget): () => Stat {
  let st: Stat | undefined;
  return () => (st ??= statOf(p));
}
/** isOwnerOrRoot, with the owner asked only when CAP_FOWNER does not decide. */
const ownerOrRoot = (c: Creds, st: () => Stat) => capable(c, CAP.FOWNER) || isOwnerOrRoot(c, st());

function writable(p: VfsPath): void {
  if (p.mount.readonly) throw new SysErr(E.EROFS);
  beforeChange();
}

/** Every attribute change: the filesystem's (a new mode rewrites an access ACL, posix_acl_chmod), then its events. */
function changeAttr(p: AttrTarget, attr: SetAttr): void {
  p.inode.setattr(attr, p.hostFd);
  // A host that keeps the ACLs rewrites its own (p.inode.setAcl is absent).
  if (attr.mode !== undefined && p.inode.setAcl) {
    const acl = p.inode.acl('access');
    if (acl) p.inode.setAcl!('access', chmodAcl(acl, attr.mode), true);
  }
  attrChanged(p.inode, attr);
}

/** chmod(2): the owner's (or CAP_FOWNER's); setgid goes unless the caller is in the group or has CAP_FSETID. */
export function setMode(a: Actor, p: AttrTarget, mode: number): void {
  writable(p);
  // notify_change: a symlink has no mode to change (reached by fchmodat2's AT_SYMLINK_NOFOLLOW).
  if (isLnk(p.inode.fileType())) throw new SysErr(E.EOPNOTSUPP);
  const st = lazyStat(p);
  if (!ownerOrRoot(a.creds, st)) throw new SysErr(E.EPERM);
  let m = mode & 0o7777;
  if ((m & S_ISGID) && !capable(a.creds, CAP.FSETID) && !inGroup(a.creds, st().gid)) m &= ~S_ISGID;
  changeAttr(p, { mode: m });
}

/** chown(2) as chown_common and setattr_prepare decide it; NO_ID (-1) keeps that id. */
export function setOwner(a: Actor, p: AttrTarget, uid: number, gid: number): void {
  writable(p);
  const c = a.creds;
  // Root changing a file with no set-id bit needs no stat (lazyStat).
  const st = lazyStat(p);
  const newUid = uid === NO_ID ? undefined : uid;
  const newGid = gid === NO_ID ? undefined : gid;
  const mayChown = capable(c, CAP.CHOWN);
  const owner = () => c.fsuid === st().uid;
  if (newUid !== undefined && !mayChown && !(owner() && newUid === st().uid)) throw new SysErr(E.EPERM);
  if (newGid !== undefined && !mayChown && !(owner() && (newGid === st().gid || inGroup(c, newGid)))) throw new SysErr(E.EPERM);
  // chown(-1, -1) changes nothing but ctime, as on Linux: set the owner it has.
  const attr: SetAttr = newUid === undefined && newGid === undefined ? { uid: st().uid } : { uid: newUid, gid: newGid };
  if (!isDir(p.inode.fileType()) && !p.inode.setidFree()) {
    // Any chown takes setuid away, and setgid when the group may execute or the caller is not in the group.
    const had = st().mode & 0o7777;
    const fsetid = capable(c, CAP.FSETID);
    let m = had & ~S_ISUID;
    if ((m & S_ISGID) && ((m & 0o010) || !(inGroup(c, st().gid) || fsetid))) m &= ~S_ISGID;
    if (m !== had) {
      if (!isOwnerOrRoot(c, st())) throw new SysErr(E.EPERM);
      if (!inGroup(c, newGid ?? st().gid) && !fsetid) m &= ~S_ISGID;
      attr.mode = m;
    }
  }
  changeAttr(p, attr);
}

/** A time utimensat(2) is given: a value, now (UTIME_NOW, or a NULL array), or left as it is (UTIME_OMIT). */
export type TimeChange = Timespec | 'now' | 'omit';

/** utimensat(2): setting both times to now is a "touch", which write permission allows; any other change is the owner's. */
export function setTimes(a: Actor, p: AttrTarget, atime: TimeChange, mtime: TimeChange): void {
  if (atime === 'omit' && mtime === 'omit') return;
  writable(p);
  const st = lazyStat(p);
  const touch = atime === 'now' && mtime === 'now';
  if (!ownerOrRoot(a.creds, st)) {
    if (!touch) throw new SysErr(E.EPERM);
    checkAccess(a, st(), MAY_WRITE, p.inode);
  }
  const attr: SetAttr = {};
  if (atime !== 'omit') attr.atime = atime;
  if (mtime !== 'omit') attr.mtime = mtime;
  changeAttr(p, attr);
}

/** The caller's RLIMIT_FSIZE, which the kernel layer knows: the soft limit, and the signal past it (SIGXFSZ). */
export interface FileSizeLimit {
  soft(): number;
  exceeded(): void;
}

/** truncate(2) by path: a regular file the caller may write; growing past `limit` is EFBIG (inode_newsize_ok). */
export function truncateAt(a: Actor, p: VfsPath, length: number, limit: FileSizeLimit): void {
  if (length < 0) throw new SysErr(E.EINVAL);
  const st = p.inode.stat();
  if (isDir(st.mode)) throw new SysErr(E.EISDIR);
  if (!isReg(st.mode)) throw new SysErr(E.EINVAL);
  writable(p);
  checkAccess(a, st, MAY_WRITE, p.inode);
  if (length > st.size && length > limit.soft()) {
    limit.exceeded();
    throw new SysErr(E.EFBIG);
  }
  const attr: SetAttr = { size: length };
  const m = withoutSetid(a.creds, st);
  if (m !== (st.mode & 0o7777)) attr.mode = m;
  changeAttr(p, attr);
}

/**
 * xattr_permission, and EROFS for a change: user.* follows the file's
 * permissions (regular files and directories only; a sticky directory's are
 * its owner's to change), trusted.* is CAP_SYS_ADMIN's, the rest the filesystem's.
 */
export function checkXattrAccess(a: Actor, p: AttrTarget, name: string, want: typeof MAY_READ | typeof MAY_WRITE): void {
  if (want === MAY_WRITE) writable(p);
  const st = statOf(p);
  if (name.startsWith('trusted.')) {
    if (!capable(a.creds, CAP.SYS_ADMIN)) throw new SysErr(want === MAY_WRITE ? E.EPERM : E.ENODATA);
    return;
  }
  if (!name.startsWith('user.')) return;
  if (!isReg(st.mode) && !isDir(st.mode)) throw new SysErr(want === MAY_WRITE ? E.EPERM : E.ENODATA);
  if (isDir(st.mode) && (st.mode & S_ISVTX) && want === MAY_WRITE && !isOwnerOrRoot(a.creds, st)) throw new SysErr(E.EPERM);
  checkAccess(a, st, want, p.inode);
}

/**
 * setxattr(2) after its checks (checkXattrAccess): the filesystem's, then
 * IN_ATTRIB. A POSIX ACL on a filesystem that keeps them is the VFS's to
 * decode and apply (do_set_acl: XATTR_CREATE and XATTR_REPLACE do not apply).
 */
export function setXattr(a: Actor, p: AttrTarget, name: string, value: Uint8Array, flags: number): void {
  beforeChange();
  const kind = aclKindOf(name);
  const set = () => p.inode.setxattr(name, value, flags, p.hostFd);
  if (!kind) set();
  else if (p.inode.setAcl) setAcl(a, p, kind, decodeAcl(value));
  else if (p.mount.fs.hostKeepsAcls) {
    // The format is checked before who sets it (do_set_acl), here as on the host.
    decodeAcl(value);
    setHostAcl(a, p, kind, set);
  }
  else set();
  xattrChanged(p.inode);
}

export function removeXattr(a: Actor, p: AttrTarget, name: string): void {
  beforeChange();
  const kind = aclKindOf(name);
  const remove = () => p.inode.removexattr(name, p.hostFd);
  if (!kind) remove();
  else if (p.inode.setAcl) setAcl(a, p, kind, null);
  else if (p.mount.fs.hostKeepsAcls) setHostAcl(a, p, kind, remove);
  else remove();
  xattrChanged(p.inode);
}

/**
 * An ACL of a host's file (Filesystem.hostKeepsAcls): the host checks the
 * value and sets the mode from it, but would let anyone set one (the gofer is
 * privileged) and keep the setgid bit, so the owner rule comes first and the
 * setgid rule after, as set_posix_acl and posix_acl_update_mode have them.
 */
function setHostAcl(a: Actor, p: AttrTarget, kind: AclKind, change: () => void): void {
  const st = statOf(p);
  // A symlink, or a default ACL of a non-directory: the host's answer comes before the owner's rule.
  const hostDecides = isLnk(st.mode) || (kind === 'default' && !isDir(st.mode));
  if (!hostDecides && !isOwnerOrRoot(a.creds, st)) throw new SysErr(E.EPERM);
  change();
  if (hostDecides || kind !== 'access' || inGroup(a.creds, st.gid) || capable(a.creds, CAP.FSETID)) return;
  const mode = statOf(p).mode & 0o7777;
  if (mode & S_ISGID) p.inode.setattr({ mode: mode & ~S_ISGID }, p.hostFd);
}

/**
 * set_posix_acl and simple_set_acl (null removes): not on a symlink, a
 * default ACL only on a directory (removing one elsewhere succeeds), only
 * the owner's or CAP_FOWNER's, then posix_acl_valid. An access ACL sets the
 * mode's bits and is kept only when they cannot say it all
 * (posix_acl_update_mode); setgid goes when the caller is not in the file's
 * group and lacks CAP_FSETID, even when the ACL is removed.
 */
function setAcl(a: Actor, p: AttrTarget, kind: AclKind, acl: Acl | null): void {
  const st = statOf(p);
  if (isLnk(st.mode)) throw new SysErr(E.EOPNOTSUPP);
  if (kind === 'default' && !isDir(st.mode)) {
    if (acl) throw new SysErr(E.EACCES);
    return;
  }
  if (!isOwnerOrRoot(a.creds, st)) throw new SysErr(E.EPERM);
  if (acl) checkAclValid(acl);
  let kept = acl;
  if (kind === 'access') {
    let mode = st.mode & 0o7777;
    if (acl) {
      const m = aclMode(acl, mode);
      mode = m.mode;
      if (m.equivalent) kept = null;
    }
    if (!inGroup(a.creds, st.gid) && !capable(a.creds, CAP.FSETID)) mode &= ~S_ISGID;
    if (mode !== (st.mode & 0o7777)) p.inode.setattr({ mode }, p.hostFd);
  }
  p.inode.setAcl!(kind, kept);
}

/** The names listxattr(2) shows the caller: trusted.* only to CAP_SYS_ADMIN. */
export function visibleXattrs(a: Actor, names: string[]): string[] {
  return capable(a.creds, CAP.SYS_ADMIN) ? names : names.filter((n) => !n.startsWith('trusted.'));
}
