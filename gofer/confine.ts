// Confines the gofer to its attach trees: a private mount namespace whose
// root is a small tmpfs holding each attach at /<id> (read-only ones made
// read-only with their submounts), so nothing else on the host is reachable.
// An attach is a directory tree, or a single file (as `mount --bind FILE`
// makes: the clone is mounted on an empty file of the tmpfs). Kernel
// filesystems mounted inside a tree (the host's /proc, /sys, cgroups…) are
// detached: they are host state, not files to serve.
import { textName } from '../sentry/abi/names.js';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { c } from './syscalls.js';

const CLONE_NEWNS = 0x20000;
const MS_REC = 0x4000;
const MS_PRIVATE = 0x40000;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MNT_DETACH = 2;
const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;

/**
 * recursive: clone the tree with the mounts beneath it (OCI's `rbind`, the
 * default), or only the mount holding `path` (`bind`: a submount's place
 * shows the directory under it).
 */
export interface Attach { path: string; readonly: boolean; recursive: boolean }

/** After this, attach i is /<i>: a directory, or a file for a single-file attach (isDir[i] false). */
export function confine(attaches: Attach[], newRoot: string): { isDir: boolean[] } {
  c.unshare(CLONE_NEWNS);
  c.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
  // Clone every tree before the new root exists, so no clone contains it.
  const trees = attaches.map((a) => {
    const fd = attempt(`attach ${a.path}`, () => c.openTreeClone(textName(a.path), a.recursive));
    // Device nodes in a tree never open (they would be the host's devices).
    c.mountSetattr(fd, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (a.readonly ? MOUNT_ATTR_RDONLY : 0));
    // The type of what was cloned, not of what the path names now.
    return { fd, isDir: fstatSync(fd).isDirectory() };
  });
  c.mount('tvisor-gofer', newRoot, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=64k,mode=0755');
  trees.forEach(({ fd, isDir }, i) => {
    const at = `${newRoot}/${i}`;
    // A mount's root and its mount point are both directories or both not (ENOTDIR otherwise).
    if (isDir) mkdirSync(at);
    else closeSync(openSync(at, 'wx', 0o600));
    c.moveMount(fd, at);
    closeSync(fd);
  });
  const { attachRoots, inside } = kernelMounts(newRoot);
  // An attach on a kernel filesystem itself would be served as the empty mount point under it.
  if (attachRoots.length > 0) {
    const i = Number(attachRoots[0]!.slice(newRoot.length + 1));
    throw new Error(`attach ${attaches[i]?.path}: a kernel filesystem is host state, not files to serve`);
  }
  for (const at of inside) c.umount2(at, MNT_DETACH);
  process.chdir(newRoot);
  c.pivotRoot('.', '.');
  c.umount2('.', MNT_DETACH);
  process.chdir('/');
  return { isDir: trees.map((t) => t.isDir) };
}

/** Runs a step, saying what it was for if it fails. */
function attempt<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

const KERNEL_FILESYSTEMS = new Set(['proc', 'sysfs', 'devtmpfs', 'cgroup', 'cgroup2', 'devpts', 'mqueue', 'debugfs', 'tracefs',
  'securityfs', 'bpf', 'pstore', 'configfs', 'fusectl', 'binfmt_misc', 'efivarfs', 'hugetlbfs', 'autofs', 'nsfs']);

/**
 * The kernel filesystems of the tree mounted at `root` (the gofer's tmpfs):
 * those that are an attach's root, and those inside an attach (deepest
 * first). The tree is told by mount ids, not by paths: the host's own mounts
 * under `root`'s path, which the tmpfs covers, are no part of it (detaching
 * one by its path would reach the tmpfs instead).
 */
function kernelMounts(root: string): { attachRoots: string[]; inside: string[] } {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  // Read as names (sentry/abi/names.ts), as c.umount2 takes them: a mount point's name may be any bytes.
  const mounts = readFileSync('/proc/self/mountinfo', 'latin1').split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    if (!left || !right) return [];
    const f = left.split(' ');
    const [type, source] = right.split(' ');
    return [{ id: f[0]!, parent: f[1]!, at: unescape(f[4] ?? ''), type: type ?? '', source: source ?? '' }];
  });
  // The newest mount of the gofer's tmpfs at root: the top one there.
  const top = mounts.filter((m) => m.at === root && m.type === 'tmpfs' && m.source === 'tvisor-gofer').pop();
  if (!top) throw new Error(`the gofer's root at ${root} is not in mountinfo`);
  const attachRoots: string[] = [];
  const inside: string[] = [];
  const tree = new Set([top.id]);
  // Until no mount joins: mountinfo's order is by mount id, and the clones were made before the tmpfs.
  for (let grew = true; grew;) {
    grew = false;
    for (const m of mounts) {
      if (tree.has(m.id) || !tree.has(m.parent)) continue;
      tree.add(m.id);
      grew = true;
      if (KERNEL_FILESYSTEMS.has(m.type)) (m.parent === top.id ? attachRoots : inside).push(m.at);
    }
  }
  return { attachRoots, inside: inside.sort((a, b) => b.length - a.length) };
}
