// overlay: a writable tmpfs upper layer over a read-only lower filesystem,
// with copy-up on the first change and whiteouts for removed lower entries,
// like Linux's overlayfs (renaming a directory that has a lower layer gives
// EXDEV, as overlayfs does without redirect_dir; tools fall back to copying).
import type { GuestBind } from '../../host/sockets.js';
import { E, SysErr } from '../../abi/errno.js';
import { type Context, NO_TASK } from '../../vfs/context.js';
import { copyData } from '../../vfs/copytree.js';
import { allocDev } from '../../vfs/devices.js';
import { type DirEntry, type Filesystem, Inode, lookupChild, type Owner, type SetAttr, type StatFs } from '../../vfs/inode.js';
import { isDir, isLnk, isReg, type Stat } from '../../abi/stat.js';
import { O } from '../../abi/flags.js';
import type { Tmpfs } from '../tmpfs/tmpfs.js';
import type { EmptyDir } from '../../host/emptydir.js';
import { type Acl, type AclKind, aclKindOf, decodeAcl } from '../../vfs/acl.js';

export class Overlay implements Filesystem {
  readonly name = 'overlay';
  readonly dev = allocDev();
  readonly readonly = false;
  readonly root: OverlayInode;
  private nextIno = 1;
  /** Hard links: every name of an upper file is the same overlay inode. */
  private readonly byUpper = new WeakMap<Inode, OverlayInode>();

  constructor(readonly upper: Tmpfs, lowerRoot: Inode) {
    lowerRoot.fs.lowerLayer?.();
    this.root = new OverlayInode(this, upper.root, lowerRoot);
  }

  get emptyDir(): EmptyDir { return this.upper.emptyDir; }

  allocIno(): number { return this.nextIno++; }

  /** The overlay inode of (upper, lower): the existing one for another name of the same upper file. */
  inodeFor(up: Inode | null, lo: Inode | null): OverlayInode {
    const known = up && !isDir(up.fileType()) ? this.byUpper.get(up) : undefined;
    if (known) return known;
    const inode = new OverlayInode(this, up, lo);
    if (up) this.noteUpper(inode, up);
    return inode;
  }

  noteUpper(inode: OverlayInode, up: Inode): void {
    if (!isDir(up.fileType())) this.byUpper.set(up, inode);
  }
  statfs(): StatFs { return { ...this.upper.statfs(), type: 0x794c7630 /* OVERLAYFS_SUPER_MAGIC */ }; }
}

export class OverlayInode extends Inode {
  readonly ino: number;
  private readonly children = new Map<string, OverlayInode>();
  /** Lower entries removed in this directory. */
  private readonly whiteouts = new Set<string>();
  /**
   * Names with a lower entry beneath whatever they hold now (the lower entry itself, a copy of it, or an entry made
   * over its whiteout or renamed onto it): the name's removal, or its entry's rename away, leaves a whiteout. Kept by
   * name, not by inode: the hard links of a file share one inode, each name over its own lower entry or none.
   */
  private readonly overLower = new Set<string>();
  /** A directory recreated over a removed one: the lower directory no longer shows through. */
  private opaque = false;

  constructor(readonly fs: Overlay, public upper: Inode | null, public lower: Inode | null) {
    super();
    this.ino = fs.allocIno();
  }

  private get top(): Inode { return (this.upper ?? this.lower)!; }

  /** The lower entries removed in this directory (its whiteouts; changes.ts lists them). */
  removedNames(): string[] { return [...this.whiteouts]; }
  /** Made over a removed directory: nothing of the lower one shows through. */
  get isOpaque(): boolean { return this.opaque; }

  stat(): Stat { return { ...this.top.stat(), dev: this.fs.dev, ino: this.ino }; }
  override fileType(): number { return this.top.fileType(); }
  override setidFree(): boolean { return this.top.setidFree(); }
  override perm(): Pick<Stat, 'mode' | 'uid' | 'gid'> { return this.top.perm(); }
  // A FIFO of the host's root is copied up before it opens: the sandbox gets a
  // pipe of its own, never one a host process listens on.
  override fifo(flags: number): number { return this.copyUp().fifo(flags); }
  // A socket of the host's root is never the sandbox's to reach.
  override hostSocket(): number {
    if (!this.upper) throw new SysErr(E.ECONNREFUSED);
    return this.upper.hostSocket();
  }

  override lookup(name: string): Inode {
    const cached = this.children.get(name);
    if (cached) return cached;
    if (this.whiteouts.has(name)) throw new SysErr(E.ENOENT);
    const up = this.upper ? lookupChild(this.upper, name) : null;
    let lo: Inode | null = null;
    if (!this.opaque && this.lower && (!up || isDir(up.fileType()))) {
      lo = lookupChild(this.lower, name);
      if (lo) this.overLower.add(name);
      if (lo && up && !isDir(lo.fileType())) lo = null;
    }
    if (!up && !lo) throw new SysErr(E.ENOENT);
    return this.adopt(name, this.fs.inodeFor(up, lo));
  }

  /**
   * The walk's next names, when the first is not known here: the lower
   * layer fetches what it lacks of them in one round trip (GoferInode's
   * WalkStat) instead of one lookup a name.
   */
  override prefetch(names: readonly string[]): void {
    if (this.opaque || !this.lower?.prefetch || names.length === 0) return;
    if (this.children.has(names[0]!) || this.whiteouts.has(names[0]!)) return;
    this.lower.prefetch(names);
  }

  private adopt(name: string, child: OverlayInode): OverlayInode {
    child.parent = this;
    child.name = name;
    this.children.set(name, child);
    return child;
  }

  override readdir(): DirEntry[] {
    const seen = new Map<string, DirEntry>();
    if (this.upper) for (const e of this.upper.readdir()) seen.set(e.name, e);
    if (this.lower && !this.opaque) {
      for (const e of this.lower.readdir()) if (!seen.has(e.name) && !this.whiteouts.has(e.name)) seen.set(e.name, e);
    }
    // Inode numbers are the overlay's, as stat reports them.
    return [...seen.values()].map((e) => {
      const child = this.children.get(e.name);
      return child ? { ...e, ino: child.ino } : e;
    });
  }

  /** Gives this inode an upper copy (and its parents first), as overlayfs copy-up does. */
  copyUp(): Inode {
    if (this.upper) return this.upper;
    const parent = this.parent as OverlayInode | null;
    if (!parent) throw new SysErr(E.EIO);
    const dir = parent.copyUp();
    const lower = this.lower!;
    const st = lower.stat();
    const owner: Owner = { uid: st.uid, gid: st.gid };
    let up: Inode;
    if (isDir(st.mode)) up = dir.mkdir(this.name, st.mode & 0o7777, owner);
    else if (isLnk(st.mode)) up = dir.symlink(this.name, lower.readlink(NO_TASK), owner);
    else if (isReg(st.mode)) up = copyFile(dir, this.name, lower, st, owner);
    else up = dir.mknod(this.name, st.mode, st.rdev, owner);
    copyXattrs(lower, up);
    up.setattr({ atime: st.atime, mtime: st.mtime });
    this.upper = up;
    this.fs.noteUpper(this, up);
    return up;
  }

  private removeEntry(name: string, dirWanted: boolean): void {
    const child = this.lookup(name) as OverlayInode;
    const up = this.copyUp();
    if (dirWanted && child.readdir().length > 0) throw new SysErr(E.ENOTEMPTY);
    if (child.upper) {
      if (dirWanted) up.rmdir(name);
      else up.unlink(name);
    }
    this.leaveName(name);
    this.children.delete(name);
  }

  /** `name` is empty now: a lower entry beneath it stays hidden. */
  private leaveName(name: string): void {
    if (this.overLower.delete(name)) this.whiteouts.add(name);
  }

  override unlink(name: string): void {
    if (isDir(this.lookup(name).fileType())) throw new SysErr(E.EISDIR);
    this.removeEntry(name, false);
  }

  override rmdir(name: string): void {
    if (!isDir(this.lookup(name).fileType())) throw new SysErr(E.ENOTDIR);
    this.removeEntry(name, true);
  }

  private createWith(name: string, make: (up: Inode) => Inode): Inode {
    if (lookupChild(this, name)) throw new SysErr(E.EEXIST);
    const wasWhiteout = this.whiteouts.has(name);
    const child = this.fs.inodeFor(make(this.copyUp()), null);
    if (wasWhiteout) {
      this.whiteouts.delete(name);
      this.overLower.add(name);
      if (isDir(child.fileType())) child.opaque = true;
    }
    return this.adopt(name, child);
  }

  override create(name: string, mode: number, owner: Owner, opening?: number): Inode {
    return this.createWith(name, (up) => up.create(name, mode, owner, opening));
  }
  override mkdir(name: string, mode: number, owner: Owner): Inode {
    return this.createWith(name, (up) => up.mkdir(name, mode, owner));
  }
  override tmpfile(mode: number, owner: Owner, linkable: boolean): Inode {
    return this.fs.inodeFor(this.copyUp().tmpfile(mode, owner, linkable), null);
  }
  override symlink(name: string, target: string, owner: Owner): Inode {
    return this.createWith(name, (up) => up.symlink(name, target, owner));
  }
  /** A guest's whiteout is a device node of the upper layer (the overlay's own whiteouts are its `whiteouts`). */
  override makesWhiteouts(): boolean { return true; }
  override mknod(name: string, mode: number, rdev: number, owner: Owner): Inode {
    return this.createWith(name, (up) => up.mknod(name, mode, rdev, owner));
  }
  override bindSocket(name: string, sock: GuestBind, mode: number, owner: Owner): Inode {
    return this.createWith(name, (up) => up.bindSocket(name, sock, mode, owner));
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof OverlayInode) || target.fs !== this.fs) throw new SysErr(E.EXDEV);
    const targetUp = target.copyUp();
    this.createWith(name, (up) => { up.link(name, targetUp); return up.lookup(name); });
  }

  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    if (!(newDir instanceof OverlayInode) || newDir.fs !== this.fs) throw new SysErr(E.EXDEV);
    const moving = this.lookup(oldName) as OverlayInode;
    if (moving.lower && isDir(moving.fileType())) throw new SysErr(E.EXDEV);
    const replaced = lookupChild(newDir, newName) as OverlayInode | null;
    if (flags & 2 /* RENAME_EXCHANGE */) {
      if (!replaced) throw new SysErr(E.ENOENT);
      if (replaced.lower && isDir(replaced.fileType())) throw new SysErr(E.EXDEV);
    }
    if (replaced && !(flags & 2) && isDir(replaced.fileType()) && replaced.readdir().length > 0) {
      throw new SysErr(E.ENOTEMPTY);
    }
    moving.copyUp();
    // Exchanged, both are the upper layer's files (overlayfs copies both up: only a merged directory cannot move).
    if (flags & 2) replaced!.copyUp();
    const fromUp = this.copyUp();
    const toUp = newDir.copyUp();
    if (replaced && !(flags & 2) && !replaced.upper) {
      // Only a lower entry is replaced: the upper directory has nothing to overwrite there.
      replaced.copyUp();
    }
    fromUp.rename(oldName, toUp, newName, flags);
    this.children.delete(oldName);
    if (flags & 2) {
      // Both names stay taken, each over the lower entry it had (overLower), whichever file it holds now.
      this.adopt(oldName, replaced!);
    } else {
      this.leaveName(oldName);
      // A lower entry under the new name stays hidden: the entry moved there covers it.
      if (newDir.whiteouts.has(newName)) newDir.overLower.add(newName);
      // A directory moved there hides the lower entry whole, in a layer of the changes too (.wh..wh..opq).
      if (newDir.overLower.has(newName) && isDir(moving.fileType())) moving.opaque = true;
      // A replaced directory, empty, may still be someone's cwd: nothing of the lower one shows through it.
      if (replaced?.lower && isDir(replaced.fileType())) replaced.lower = null;
    }
    newDir.whiteouts.delete(newName);
    newDir.children.delete(newName);
    newDir.adopt(newName, moving);
    moving.lower = null;
  }

  override readlink(ctx: Context): string { return this.top.readlink(ctx); }

  override accessed(): void { this.upper?.accessed(); }

  override setattr(attr: SetAttr): void { this.copyUp().setattr(attr); }

  override open(flags: number, ctx: Context): number {
    const writes = (flags & O.ACCMODE) !== O.RDONLY || (flags & O.TRUNC) !== 0;
    if (isDir(this.fileType())) return this.fs.upper.emptyDir.openFor(this, flags);
    if (writes) return this.copyUp().open(flags, ctx);
    return this.top.open(flags, ctx);
  }

  override hostKey(): string | null { return this.top.hostKey(); }
  override dataFile(): number { return this.top.dataFile(); }
  override sharesHostFile(): boolean { return this.top.sharesHostFile(); }
  override getxattr(name: string): Uint8Array { return this.top.getxattr(name); }
  override listxattr(): string[] { return this.top.listxattr(); }
  override setxattr(name: string, value: Uint8Array, flags: number): void { this.copyUp().setxattr(name, value, flags); }
  override removexattr(name: string): void { this.copyUp().removexattr(name); }
  // The upper layer keeps ACLs; a lower file's are those its filesystem keeps as ACLs (none from a gofer's host tree).
  override acl(kind: AclKind): Acl | null { return this.top.acl(kind); }
  override setAcl(kind: AclKind, acl: Acl | null, keepCtime?: boolean): void {
    const up = this.copyUp();
    if (!up.setAcl) throw new SysErr(E.EOPNOTSUPP);
    up.setAcl(kind, acl, keepCtime);
  }
}

/**
 * ovl_copy_xattr: a copied-up file keeps its xattrs, its ACLs as ACLs. A
 * name the upper layer does not keep (EOPNOTSUPP) is left behind, as
 * overlayfs leaves it, but not an ACL: without it the copy-up fails.
 */
function copyXattrs(lower: Inode, up: Inode): void {
  let names: string[];
  try {
    names = lower.listxattr();
  } catch (e) {
    if (e instanceof SysErr && e.errno === E.EOPNOTSUPP) return;
    throw e;
  }
  for (const name of names) {
    const kind = aclKindOf(name);
    if (kind) {
      if (!up.setAcl) throw new SysErr(E.EOPNOTSUPP);
      up.setAcl(kind, decodeAcl(lower.getxattr(name)));
      continue;
    }
    try {
      up.setxattr(name, lower.getxattr(name), 0);
    } catch (e) {
      if (!(e instanceof SysErr && e.errno === E.EOPNOTSUPP)) throw e;
    }
  }
}

function copyFile(dir: Inode, name: string, lower: Inode, st: Stat, owner: Owner): Inode {
  const up = dir.create(name, st.mode & 0o7777, owner);
  copyData(lower, up, st.size);
  return up;
}
