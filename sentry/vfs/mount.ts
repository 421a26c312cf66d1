// Mounts and mount namespaces.
import { E, SysErr } from '../kernel/errno.js';
import type { Filesystem, Inode } from './inode.js';

export interface MountFlags { readonly: boolean; nosuid: boolean; nodev: boolean; noexec: boolean }

let nextMountId = 1;

export class Mount {
  readonly id = nextMountId++;
  constructor(
    readonly fs: Filesystem,
    readonly root: Inode,
    readonly parent: Mount | null,
    readonly mountpoint: Inode | null,
    public flags: MountFlags,
    /** Where the filesystem came from, as /proc/mounts shows it. */
    readonly source: string,
  ) {}

  get readonly(): boolean { return this.flags.readonly || this.fs.readonly; }
}

/** A place in a mount namespace: an inode as reached through a mount. */
export interface VfsPath { readonly mount: Mount; readonly inode: Inode }

export function samePath(a: VfsPath, b: VfsPath): boolean {
  return a.mount === b.mount && a.inode === b.inode;
}

export class MountNamespace {
  private readonly covered = new Map<Mount, Map<Inode, Mount[]>>();
  readonly root: Mount;

  constructor(fs: Filesystem, flags: MountFlags, source: string) {
    this.root = new Mount(fs, fs.root, null, null, flags, source);
  }

  /** The top mount on `at`, if any. */
  mountedOn(at: VfsPath): Mount | undefined {
    const stack = this.covered.get(at.mount)?.get(at.inode);
    return stack?.[stack.length - 1];
  }

  /** Follows mounts stacked on `p` down to the visible root. */
  enter(p: VfsPath): VfsPath {
    let cur = p;
    for (let m = this.mountedOn(cur); m; m = this.mountedOn(cur)) cur = { mount: m, inode: m.root };
    return cur;
  }

  mount(at: VfsPath, fs: Filesystem, root: Inode, flags: MountFlags, source: string): Mount {
    const m = new Mount(fs, root, at.mount, at.inode, flags, source);
    let byInode = this.covered.get(at.mount);
    if (!byInode) this.covered.set(at.mount, byInode = new Map());
    const stack = byInode.get(at.inode) ?? [];
    stack.push(m);
    byInode.set(at.inode, stack);
    return m;
  }

  umount(m: Mount): void {
    if (!m.parent || !m.mountpoint) throw new SysErr(E.EINVAL);
    if ((this.covered.get(m)?.size ?? 0) > 0) throw new SysErr(E.EBUSY);
    const stack = this.covered.get(m.parent)?.get(m.mountpoint);
    const i = stack?.indexOf(m) ?? -1;
    if (!stack || i < 0) throw new SysErr(E.EINVAL);
    stack.splice(i, 1);
    if (stack.length === 0) this.covered.get(m.parent)!.delete(m.mountpoint);
  }

  /** Every mount, parents before children (the order of /proc/mounts). */
  all(): Mount[] {
    const out: Mount[] = [];
    const visit = (m: Mount) => {
      out.push(m);
      for (const stack of this.covered.get(m)?.values() ?? []) stack.forEach(visit);
    };
    visit(this.root);
    return out;
  }
}
