// A host directory tree served by the gofer. The sentry holds no host path:
// an inode is an attach point and a path relative to it, walked by the gofer
// without following symlinks. Read-only trees cache what they look up (the
// host may not change them under a sandbox that relies on that); writable
// ones ask the gofer again on each lookup and stat.
import { closeSync } from 'node:fs';
import { E, SysErr } from '../../kernel/errno.js';
import { allocDev } from '../../vfs/devices.js';
import { type DirEntry, type Filesystem, Inode, type Owner, type SetAttr, type StatFs } from '../../vfs/inode.js';
import { isDir, O, S_IFIFO, S_IFMT, S_IFSOCK, type Stat } from '../../vfs/types.js';
import { bindUnix } from '../host.js';
import type { EmptyDir } from '../host.js';
import type { GoferClient, GoferStat } from './client.js';

export class GoferFs implements Filesystem {
  readonly name = '9p';
  readonly dev = allocDev();
  readonly root: GoferInode;
  /** One inode object per host file, so hard links and repeated lookups agree. */
  private readonly byHostId = new Map<string, GoferInode>();

  constructor(readonly client: GoferClient, readonly attach: number, readonly readonly: boolean,
      readonly emptyDir: EmptyDir) {
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
    if (parent) { inode.parent = parent; inode.name = name; }
    return inode;
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

  constructor(readonly fs: GoferFs, public cached: GoferStat) {
    super();
  }

  /** Path relative to the attach root. */
  get path(): string {
    if (!this.parent) return '';
    const up = (this.parent as GoferInode).path;
    return up === '' ? this.name : `${up}/${this.name}`;
  }

  private child(name: string): string {
    const p = this.path;
    return p === '' ? name : `${p}/${name}`;
  }

  private get c() { return this.fs.client; }
  private get a() { return this.fs.attach; }

  stat(): Stat {
    if (!this.fs.readonly) this.cached = this.c.lstat(this.a, this.path);
    const s = this.cached;
    return { ...s, dev: this.fs.dev, ino: s.ino };
  }

  override fileType(): number { return this.cached.mode & S_IFMT; }

  override lookup(name: string): Inode {
    if (this.fs.readonly) {
      const hit = this.children.get(name);
      if (hit) return hit;
    }
    const inode = this.fs.inodeFor(this, name, this.c.lstat(this.a, this.child(name)));
    if (this.fs.readonly) this.children.set(name, inode);
    return inode;
  }

  /** A read-only tree's listing brings each entry's attributes: the walks that follow need no lookup. */
  override readdir(): DirEntry[] {
    const entries = this.c.readdir(this.a, this.path, this.fs.readonly);
    if (this.fs.readonly) {
      for (const e of entries) {
        if (e.stat && !this.children.has(e.name)) this.children.set(e.name, this.fs.inodeFor(this, e.name, e.stat));
      }
    }
    return entries.map((e) => ({ name: e.name, ino: e.ino, type: e.type }));
  }

  override readlink(): string { return this.c.readlink(this.a, this.path); }

  override open(flags: number): number {
    if (isDir(this.cached.mode) || (flags & O.PATH)) return this.fs.emptyDir.open(flags);
    return this.c.open(this.a, this.path, flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.CLOEXEC | O.NOCTTY), 0);
  }

  /** Gives a new file its owner; the host takes set-id bits away on chown, so they are set again after. */
  private chownNew(name: string, mode: number, owner: Owner): void {
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    if (mode & 0o6000) this.c.chmod(this.a, this.child(name), mode & 0o7777);
  }

  /**
   * The guest's socket is bound on the host, in this directory: through an
   * O_PATH fd of it from the gofer, so the host path is never walked, and a
   * new name is never a symlink followed.
   */
  override bindSocket(name: string, sock: number, mode: number, owner: Owner): Inode {
    const dir = this.c.open(this.a, this.path, O.PATH | O.DIRECTORY, 0);
    try {
      bindUnix(sock, `/proc/self/fd/${dir}/${name}`);
    } finally {
      closeSync(dir);
    }
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    this.c.chmod(this.a, this.child(name), mode & 0o7777);
    return this.created(name);
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

  private created(name: string): Inode {
    this.children.delete(name);
    return this.lookup(name);
  }

  override create(name: string, mode: number, owner: Owner): Inode {
    const fd = this.c.open(this.a, this.child(name), O.CREAT | O.EXCL | O.WRONLY, mode);
    closeSync(fd);
    this.chownNew(name, mode, owner);
    return this.created(name);
  }

  override mkdir(name: string, mode: number, owner: Owner): Inode {
    this.c.mkdir(this.a, this.child(name), mode);
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    return this.created(name);
  }

  override symlink(name: string, target: string, owner: Owner): Inode {
    this.c.symlink(this.a, this.child(name), target);
    this.c.chown(this.a, this.child(name), owner.uid, owner.gid);
    return this.created(name);
  }

  override mknod(name: string, mode: number, rdev: number, owner: Owner): Inode {
    this.c.mknod(this.a, this.child(name), mode, rdev);
    this.chownNew(name, mode, owner);
    return this.created(name);
  }

  override link(name: string, target: Inode): void {
    if (!(target instanceof GoferInode) || target.fs !== this.fs) throw new SysErr(E.EXDEV);
    this.c.link(this.a, target.path, this.child(name));
    this.children.delete(name);
  }

  override unlink(name: string): void {
    this.c.unlink(this.a, this.child(name));
    this.children.delete(name);
  }

  override rmdir(name: string): void {
    this.c.rmdir(this.a, this.child(name));
    const gone = this.children.get(name);
    if (gone) this.fs.forget(gone);
    this.children.delete(name);
  }

  override rename(oldName: string, newDir: Inode, newName: string, flags: number): void {
    if (!(newDir instanceof GoferInode) || newDir.fs !== this.fs) throw new SysErr(E.EXDEV);
    this.c.rename(this.a, this.child(oldName), newDir.child(newName), flags);
    this.children.delete(oldName);
    newDir.children.delete(newName);
    newDir.lookup(newName);
    if (flags & 2 /* RENAME_EXCHANGE */) this.lookup(oldName);
  }

  override setattr(a: SetAttr): void {
    const p = this.path;
    if (a.mode !== undefined) this.c.chmod(this.a, p, a.mode);
    if (a.uid !== undefined || a.gid !== undefined) this.c.chown(this.a, p, a.uid ?? -1, a.gid ?? -1);
    if (a.size !== undefined) this.c.truncate(this.a, p, a.size);
    if (a.atime !== undefined || a.mtime !== undefined) this.c.utimens(this.a, p, a.atime ?? 'omit', a.mtime ?? 'omit');
  }

  override getxattr(name: string): Uint8Array { return this.c.getxattr(this.a, this.path, name); }
  override listxattr(): string[] { return this.c.listxattr(this.a, this.path); }
  override setxattr(name: string, value: Uint8Array, flags: number): void { this.c.setxattr(this.a, this.path, name, value, flags); }
  override removexattr(name: string): void { this.c.removexattr(this.a, this.path, name); }
}
