// Mounts and mount namespaces.
import { E, SysErr } from '../abi/errno.js';
import type { Filesystem, Inode } from './inode.js';

export interface MountFlags { readonly: boolean; nosuid: boolean; nodev: boolean; noexec: boolean }

let nextMountId = 1;

export class Mount {
  readonly id = nextMountId++;
  /**
   * Made by the runtime, not by a guest (Linux's MNT_LOCKED for mounts a
   * less privileged namespace inherits): it cannot be unmounted or moved,
   * and a bind of a tree holding it must take it along, so nothing it
   * covers is ever revealed.
   */
  locked = false;
  /**
   * The runtime made it read-only (Linux's MNT_LOCK_READONLY): no remount
   * makes it or a bind copy of it writable. Its other flags guard nothing
   * from sandbox root, who may change them.
   */
  lockedReadonly = false;

  /**
   * The mounts stacked on its places, by place, the last on top. Kept on
   * the mount, not the namespace, so a detached tree keeps the mounts that
   * stay on it (see MountNamespace.umount) and goes with them.
   */
  readonly covers = new Map<Inode, Mount[]>();

  /** Locks the runtime's mount as it is now. */
  lock(): void {
    this.locked = true;
    this.lockedReadonly = this.flags.readonly;
  }
  constructor(
    readonly fs: Filesystem,
    readonly root: Inode,
    public parent: Mount | null,
    public mountpoint: Inode | null,
    public flags: MountFlags,
    /** Where the filesystem came from, as /proc/mounts shows it. */
    readonly source: string,
  ) {}

  get readonly(): boolean { return this.flags.readonly || this.fs.readonly; }
}

/**
 * A place in a mount namespace: an inode as reached through a mount.
 * `through`: it was reached through a magic link to an open description
 * (/proc/self/fd/N), whose host fd reaches the file itself while the sentry
 * keeps it (not `closed`), even when its name is gone.
 */
export interface VfsPath { readonly mount: Mount; readonly inode: Inode; readonly through?: OpenHostFile }

/** An open description's host fd, as long as the sentry has not closed it. */
export interface OpenHostFile { readonly hostFd: number; readonly closed: boolean }

/** The host fd a place was reached through (see VfsPath.through), if it is still open and its filesystem opens through one. */
export function throughFd(p: VfsPath): number | undefined {
  return p.through && !p.through.closed && p.inode.opensThrough() ? p.through.hostFd : undefined;
}

export function samePath(a: VfsPath, b: VfsPath): boolean {
  return a.mount === b.mount && a.inode === b.inode;
}

/** Linux's default fs.mount-max: a namespace holds at most this many mounts. */
export const MOUNT_MAX = 100_000;

export class MountNamespace {
  readonly root: Mount;
  /** How many mounts the namespace holds (its root included), kept so the limit costs nothing to check. */
  private count = 1;

  constructor(fs: Filesystem, flags: MountFlags, source: string, private readonly max = MOUNT_MAX) {
    this.root = new Mount(fs, fs.root, null, null, flags, source);
  }

  /** The top mount on `at`, if any. */
  mountedOn(at: VfsPath): Mount | undefined {
    const stack = at.mount.covers.get(at.inode);
    return stack?.[stack.length - 1];
  }

  /** Follows mounts stacked on `p` down to the visible root. */
  enter(p: VfsPath): VfsPath {
    let cur = p;
    for (let m = this.mountedOn(cur); m; m = this.mountedOn(cur)) cur = { mount: m, inode: m.root };
    return cur;
  }

  mount(at: VfsPath, fs: Filesystem, root: Inode, flags: MountFlags, source: string): Mount {
    this.reserve(1);
    const m = new Mount(fs, root, at.mount, at.inode, flags, source);
    this.push(at, m);
    return m;
  }

  /** The mounts stacked directly on places of `m`. */
  children(m: Mount): Mount[] {
    return [...m.covers.values()].flat();
  }

  /** Takes `m` off its mount point; with its submounts when `detach` (MNT_DETACH), else EBUSY if it has any. */
  umount(m: Mount, detach = false): void {
    if (!m.parent || !m.mountpoint) throw new SysErr(E.EINVAL);
    if (!detach && this.children(m).length > 0) throw new SysErr(E.EBUSY);
    this.leaveWith(m);
    this.detach(m);
  }

  /**
   * The mounts beneath `m` leave the namespace with it. A locked one stays
   * on its place in the detached tree (Linux's disconnect_mount), so what it
   * covers stays covered for whoever holds a place there (an fd, a cwd);
   * the others are detached.
   */
  private leaveWith(m: Mount): void {
    for (const c of this.children(m)) {
      this.leaveWith(c);
      if (c.locked) this.count--;
      else this.detach(c);
    }
  }

  private detach(m: Mount): void {
    this.unlink(m);
    // Detached, it is in no namespace: no walk climbs from it, no call takes it for one of the tree's (check_mnt).
    m.parent = null;
    m.mountpoint = null;
  }

  /** Moves `m` (with its submounts) onto `at` (MS_MOVE). */
  move(m: Mount, at: VfsPath): void {
    if (!m.parent || !m.mountpoint) throw new SysErr(E.EINVAL);
    for (let p: Mount | null = at.mount; p; p = p.parent) if (p === m) throw new SysErr(E.ELOOP);
    this.unlink(m);
    m.parent = at.mount;
    m.mountpoint = at.inode;
    this.push(at, m);
  }

  /**
   * pivot_root's change of the tree (Linux's attach_mnt pair): `newRoot`
   * leaves its mount point and takes `root`'s place, at the same height of
   * the stack there, and `root` is mounted on `putOld`. The count does not
   * change: two mounts move.
   */
  pivot(root: Mount, newRoot: Mount, putOld: VfsPath): void {
    if (!root.parent || !root.mountpoint || !newRoot.parent) throw new SysErr(E.EINVAL);
    this.unlink(newRoot);
    const stack = root.parent.covers.get(root.mountpoint)!;
    stack[stack.indexOf(root)] = newRoot;
    newRoot.parent = root.parent;
    newRoot.mountpoint = root.mountpoint;
    root.parent = putOld.mount;
    root.mountpoint = putOld.inode;
    this.push(putOld, root);
  }

  /**
   * A bind mount of `from` onto `at`; `recursive` (MS_REC) copies the
   * mounts beneath `from` too. The source tree is taken as it is before the
   * call (a copy never copies itself), and a copy that would take the
   * namespace past its limit fails whole with ENOSPC, changing nothing.
   */
  bind(from: VfsPath, at: VfsPath, flags: MountFlags, recursive: boolean): Mount {
    const beneath = this.mountsBeneath(from);
    if (!recursive && beneath.some((c) => c.locked)) throw new SysErr(E.EINVAL);
    const copies: { source: Mount; parent: number }[] = [];
    if (recursive) {
      // Counting stops at what the limit leaves, so a refused call costs at most that much.
      const budget = this.max - this.count - 1;
      // Parents are listed before their children, and mounts stacked on one place in their order
      // (a stack, not recursion: a guest may nest mounts deep).
      const pending = beneath.map((source) => ({ source, parent: 0 })).reverse();
      for (let next = pending.pop(); next; next = pending.pop()) {
        if (copies.length >= budget) throw new SysErr(E.ENOSPC);
        copies.push(next);
        const parent = copies.length;
        pending.push(...this.children(next.source).map((source) => ({ source, parent })).reverse());
      }
    }
    this.reserve(1 + copies.length);
    // The bound directory is the new mount's root for as long as it stands: it follows its inode (Inode.pin).
    from.inode.pin();
    const top = this.mount(at, from.mount.fs, from.inode, flags, from.mount.source);
    top.lockedReadonly = from.mount.lockedReadonly;
    const made = [top];
    for (const { source, parent } of copies) {
      const copy = this.mount({ mount: made[parent]!, inode: source.mountpoint! }, source.fs, source.root, source.flags,
        source.source);
      copy.locked = source.locked;
      copy.lockedReadonly = source.lockedReadonly;
      made.push(copy);
    }
    return top;
  }

  /** The mounts of `from`'s mount stacked on `from` or below it. */
  private mountsBeneath(from: VfsPath): Mount[] {
    const all = this.children(from.mount);
    return from.inode === from.mount.root ? all : all.filter((c) => c.mountpoint && isBeneath(c.mountpoint, from.inode));
  }

  /** ENOSPC unless `n` more mounts fit under the limit (Linux's count_mounts). */
  private reserve(n: number): void {
    if (this.count + n > this.max) throw new SysErr(E.ENOSPC);
  }

  private push(at: VfsPath, m: Mount): void {
    const stack = at.mount.covers.get(at.inode) ?? [];
    stack.push(m);
    at.mount.covers.set(at.inode, stack);
    this.count++;
  }

  private unlink(m: Mount): void {
    const stack = m.parent?.covers.get(m.mountpoint!);
    const i = stack?.indexOf(m) ?? -1;
    if (!stack || i < 0) throw new SysErr(E.EINVAL);
    stack.splice(i, 1);
    this.count--;
    if (stack.length === 0) m.parent!.covers.delete(m.mountpoint!);
  }

  /** Every mount, parents before children (the order of /proc/mounts). */
  all(): Mount[] {
    const out: Mount[] = [];
    const visit = (m: Mount) => {
      out.push(m);
      for (const stack of m.covers.values()) stack.forEach(visit);
    };
    visit(this.root);
    return out;
  }
}

/**
 * Is `p` at or below `top`, climbing mount points (Linux's
 * is_path_reachable)? What a walk from `top` can reach, `..` apart.
 */
export function reachableFrom(p: VfsPath, top: VfsPath): boolean {
  let at = p;
  while (at.mount !== top.mount && at.mount.parent && at.mount.mountpoint) {
    at = { mount: at.mount.parent, inode: at.mount.mountpoint };
  }
  return at.mount === top.mount && isBeneath(at.inode, top.inode);
}

/** Is `inode` `top` or below it (through directories' parents)? */
function isBeneath(inode: Inode, top: Inode): boolean {
  for (let i: Inode | null = inode; i; i = i.parent) if (i === top) return true;
  return false;
}
