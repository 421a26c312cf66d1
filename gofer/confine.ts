// Confines the gofer to its attach trees: a private mount namespace whose
// root is a small tmpfs holding each tree at /<id> (read-only ones made
// read-only with their submounts), so nothing else on the host is reachable.
// Kernel filesystems mounted inside a tree (the host's /proc, /sys, cgroups…)
// are detached: they are host state, not files to serve.
import { mkdirSync, readFileSync } from 'node:fs';
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

export interface Attach { path: string; readonly: boolean }

/** After this, attach i is the directory /<i>. */
export function confine(attaches: Attach[], newRoot: string): void {
  c.unshare(CLONE_NEWNS);
  c.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
  // Clone every tree before the new root exists, so no clone contains it.
  const trees = attaches.map((a) => {
    const fd = attempt(`attach ${a.path}`, () => c.openTreeClone(a.path));
    // Device nodes in a tree never open (they would be the host's devices).
    c.mountSetattr(fd, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (a.readonly ? MOUNT_ATTR_RDONLY : 0));
    return fd;
  });
  c.mount('tvisor-gofer', newRoot, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=64k,mode=0755');
  trees.forEach((fd, i) => {
    mkdirSync(`${newRoot}/${i}`);
    c.moveMount(fd, `${newRoot}/${i}`);
  });
  for (const at of kernelMountsUnder(newRoot)) {
    // ENOENT: a host mount that was under newRoot before the gofer's tmpfs covered it, reachable by no path now.
    try { c.umount2(at, MNT_DETACH); } catch (e) { if (!/ENOENT/.test((e as Error).message)) throw e; }
  }
  process.chdir(newRoot);
  c.pivotRoot('.', '.');
  c.umount2('.', MNT_DETACH);
  process.chdir('/');
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

/** Mount points of kernel filesystems below `root`, deepest first. */
function kernelMountsUnder(root: string): string[] {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const at = unescape(left.split(' ')[4] ?? '');
    if (at.startsWith(`${root}/`) && KERNEL_FILESYSTEMS.has(right.split(' ')[0] ?? '')) points.push(at);
  }
  return points.sort((a, b) => b.length - a.length);
}
