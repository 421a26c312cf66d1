// mount(2), umount2(2) and pivot_root(2) inside the sandbox: they change the
// sandbox's own mount tree (the sentry's), never the host's. Root in the
// sandbox may mount the sentry's filesystem types, bind sandbox paths,
// remount, move, unmount and pivot its root; no host filesystem can be named.
import { CAP, capable } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { type Mount, type MountFlags, reachableFrom, samePath, type VfsPath } from '../vfs/mount.js';
import { AT } from '../abi/flags.js';
import { isDir } from '../abi/stat.js';
import { resolve } from '../vfs/walk.js';
import { startOf } from './common.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

const MS = {
  RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4, NOEXEC: 0x8, REMOUNT: 0x20, BIND: 0x1000, MOVE: 0x2000, REC: 0x4000,
  UNBINDABLE: 0x20000, PRIVATE: 0x40000, SLAVE: 0x80000, SHARED: 0x100000,
  MGC_MSK: 0xffff0000, MGC_VAL: 0xc0ed0000,
} as const;
const PROPAGATION = MS.UNBINDABLE | MS.PRIVATE | MS.SLAVE | MS.SHARED;

const MNT_FORCE = 1;
const MNT_DETACH = 2;
const MNT_EXPIRE = 4;
const UMOUNT_NOFOLLOW = 8;

function requireAdmin(t: Task): void {
  if (!capable(t.creds, CAP.SYS_ADMIN)) throw new SysErr(E.EPERM);
}

function mountFlags(flags: number): MountFlags {
  return { readonly: (flags & MS.RDONLY) !== 0, nosuid: (flags & MS.NOSUID) !== 0,
    nodev: (flags & MS.NODEV) !== 0, noexec: (flags & MS.NOEXEC) !== 0 };
}

/** The mount whose root `p` is (the top one there), or EINVAL: the call needs a mount point. */
function mountAt(p: VfsPath): Mount {
  if (p.inode !== p.mount.root) throw new SysErr(E.EINVAL);
  return p.mount;
}

/**
 * `p`, or EINVAL unless it is in the caller's mount namespace, which is its
 * container's tree (the sandbox's for its init), as Linux's check_mnt: no
 * call changes the mounts of another container, or a host fd's, even
 * through an fd passed to the caller.
 */
function ownPath(t: Task, k: Kernel, p: VfsPath): VfsPath {
  if (!reachableFrom(p, t.tg.container?.root ?? k.rootView().root)) throw new SysErr(E.EINVAL);
  return p;
}

/** `p`, or ENOENT if its mount is detached (no tree to mount on: Linux's lock_mount). */
function attached(k: Kernel, p: VfsPath): VfsPath {
  let m = p.mount;
  while (m.parent) m = m.parent;
  if (m !== k.ns.root) throw new SysErr(E.ENOENT);
  return p;
}

/** Where a mount goes: a place of the caller's tree (ENOENT in a detached one, EINVAL in another's). */
function mountPoint(t: Task, k: Kernel, p: VfsPath): VfsPath {
  return ownPath(t, k, attached(k, p));
}

function resolveFromCwd(t: Task, k: Kernel, path: string, followFinal: boolean): VfsPath {
  return resolve(t, startOf(k, t, AT.FDCWD, path), path, { followFinal });
}

function readOptional(t: Task, addr: number): string | null {
  return addr === 0 ? null : t.mem.readString(addr, 4095);
}

function mount(t: Task, k: Kernel, sourceAddr: number, targetAddr: number, typeAddr: number, flagsArg: number,
    dataAddr: number): number {
  requireAdmin(t);
  let flags = flagsArg >>> 0;
  if ((flags & MS.MGC_MSK) === MS.MGC_VAL) flags &= ~MS.MGC_MSK >>> 0;
  const target = resolveFromCwd(t, k, t.mem.readPath(targetAddr), true);
  if (flags & MS.REMOUNT) {
    // With MS_BIND the mount's flags change; without, the filesystem's: per mount here either way.
    const m = mountAt(ownPath(t, k, target));
    if (m.lockedReadonly && !(flags & MS.RDONLY)) throw new SysErr(E.EPERM);
    m.flags = mountFlags(flags);
    return 0;
  }
  if (flags & MS.BIND) {
    const from = resolveFromCwd(t, k, t.mem.readPath(sourceAddr), true);
    mountPoint(t, k, target);
    ownPath(t, k, from);
    if (isDir(from.inode.stat().mode) !== isDir(target.inode.stat().mode)) throw new SysErr(E.ENOTDIR);
    // A bind mount keeps the source mount's flags; the call's are ignored (as Linux does).
    k.ns.bind(from, target, { ...from.mount.flags }, (flags & MS.REC) !== 0);
    return 0;
  }
  if (flags & PROPAGATION) {
    // One mount namespace and no peers: propagation types change nothing a guest can see.
    mountAt(ownPath(t, k, target));
    return 0;
  }
  if (flags & MS.MOVE) {
    const from = resolveFromCwd(t, k, t.mem.readPath(sourceAddr), true);
    mountPoint(t, k, target);
    const m = mountAt(ownPath(t, k, from));
    if (m.locked) throw new SysErr(E.EINVAL);
    if (samePath(target, { mount: m, inode: m.root })) return 0;
    k.ns.move(m, target);
    return 0;
  }
  const type = readOptional(t, typeAddr);
  if (type === null) throw new SysErr(E.EINVAL);
  if (!isDir(target.inode.stat().mode)) throw new SysErr(E.ENOTDIR);
  mountPoint(t, k, target);
  const fs = k.makeFilesystem(type, readOptional(t, dataAddr) ?? '', t.tg.container);
  k.ns.mount(target, fs, fs.root, mountFlags(flags), readOptional(t, sourceAddr) ?? 'none');
  return 0;
}

/** Is anything still using mount `m`: a task's root or cwd, or an open description? */
function inUse(k: Kernel, m: Mount): boolean {
  for (const t of k.tasks.values()) if (t.fs.cwd.mount === m || t.fs.root.mount === m) return true;
  // Descriptions on it that the guests closed are still the sentry's until dropped.
  k.files.dropUnheld((d) => d.at.mount === m);
  return k.files.usesMount(m);
}

function umount2(t: Task, k: Kernel, targetAddr: number, flags: number): number {
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) throw new SysErr(E.EINVAL);
  if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH))) throw new SysErr(E.EINVAL);
  requireAdmin(t);
  // The mount on top of where the path ends, "." included (Linux's LOOKUP_MOUNTPOINT): after
  // pivot_root(".", "."), umount2(".") takes the old root stacked on the cwd.
  const target = k.ns.enter(resolveFromCwd(t, k, t.mem.readPath(targetAddr), (flags & UMOUNT_NOFOLLOW) === 0));
  const m = mountAt(ownPath(t, k, target));
  if (m.locked) throw new SysErr(E.EINVAL);
  if (m === t.fs.root.mount || !m.parent) throw new SysErr(E.EBUSY);
  // The first MNT_EXPIRE only marks a mount as a candidate.
  if (flags & MNT_EXPIRE) throw new SysErr(E.EAGAIN);
  const detach = (flags & MNT_DETACH) !== 0;
  if (!detach && (k.ns.children(m).length > 0 || inUse(k, m))) throw new SysErr(E.EBUSY);
  k.ns.umount(m, detach);
  return 0;
}

function resolveDir(t: Task, k: Kernel, addr: number): VfsPath {
  const p = resolveFromCwd(t, k, t.mem.readPath(addr), true);
  if (!isDir(p.inode.fileType())) throw new SysErr(E.ENOTDIR);
  return p;
}

/**
 * pivot_root(2), with Linux's checks in Linux's order: the caller's root
 * mount goes onto `put_old` and the mount at `new_root` takes its place in
 * the tree. In a pod the caller's root is its container's root, mounted on
 * the hidden directory: the new root is mounted there instead, and the old
 * one is under it, so nothing above the container's root comes into view.
 */
function pivotRoot(t: Task, k: Kernel, newRootAddr: number, putOldAddr: number): number {
  requireAdmin(t);
  const next = resolveDir(t, k, newRootAddr);
  // Whatever is mounted on put_old is what the old root goes on top of (Linux's lock_mount).
  const old = attached(k, k.ns.enter(resolveDir(t, k, putOldAddr)));
  const root = ownPath(t, k, t.fs.root);
  ownPath(t, k, next);
  if (next.mount.locked) throw new SysErr(E.EINVAL);
  if (next.inode.stat().nlink === 0) throw new SysErr(E.ENOENT);
  if (next.mount === root.mount || old.mount === root.mount) throw new SysErr(E.EBUSY);
  if (root.inode !== root.mount.root || !root.mount.parent) throw new SysErr(E.EINVAL);
  if (next.inode !== next.mount.root || !next.mount.parent) throw new SysErr(E.EINVAL);
  if (!reachableFrom(old, next) || !reachableFrom(next, root)) throw new SysErr(E.EINVAL);
  // The runtime's lock goes with the place (Linux moves MNT_LOCKED): the new root cannot be unmounted, the old one can.
  if (root.mount.locked) {
    next.mount.locked = true;
    root.mount.locked = false;
  }
  k.ns.pivot(root.mount, next.mount, old);
  const to = { mount: next.mount, inode: next.mount.root };
  // The container's later processes (exec, its proc's init) start at its root, as its pivoted ones are.
  const c = t.tg.container;
  if (c && samePath(c.root, root)) c.root = to;
  moveRoots(k, root, to);
  return 0;
}


/** Every task whose root or cwd is `from` gets `to` instead (Linux's chroot_fs_refs). */
function moveRoots(k: Kernel, from: VfsPath, to: VfsPath): void {
  for (const task of k.tasks.values()) {
    if (samePath(task.fs.root, from)) task.fs.root = to;
    if (samePath(task.fs.cwd, from)) task.fs.cwd = to;
  }
}

export const mountFamily: SyscallFamily = {
  mount: entry(['path', 'path', 'str', 'hex', 'str'], (t, a, k) => mount(t, k, a.ptr(0), a.ptr(1), a.ptr(2), a.uint(3), a.ptr(4))),
  umount2: entry(['path', 'hex'], (t, a, k) => umount2(t, k, a.ptr(0), a.int(1))),
  pivot_root: entry(['path', 'path'], (t, a, k) => pivotRoot(t, k, a.ptr(0), a.ptr(1))),
};
