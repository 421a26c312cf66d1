// Confines the gofer to its attach trees: a private mount namespace whose
// root is a small tmpfs holding each tree at /<id> (read-only ones made
// read-only with their submounts), so nothing else on the host is reachable.
import { mkdirSync } from 'node:fs';
import { c } from './syscalls.js';

const CLONE_NEWNS = 0x20000;
const MS_REC = 0x4000;
const MS_PRIVATE = 0x40000;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MNT_DETACH = 2;

export interface Attach { path: string; readonly: boolean }

/** After this, attach i is the directory /<i>. */
export function confine(attaches: Attach[], newRoot: string): void {
  c.unshare(CLONE_NEWNS);
  c.mount(null, '/', null, MS_REC | MS_PRIVATE, null);
  // Clone every tree before the new root exists, so no clone contains it.
  const trees = attaches.map((a) => {
    const fd = c.openTreeClone(a.path);
    if (a.readonly) c.mountSetattrRdonly(fd);
    return fd;
  });
  c.mount('tvisor-gofer', newRoot, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=64k,mode=0755');
  trees.forEach((fd, i) => {
    mkdirSync(`${newRoot}/${i}`);
    c.moveMount(fd, `${newRoot}/${i}`);
  });
  process.chdir(newRoot);
  c.pivotRoot('.', '.');
  c.umount2('.', MNT_DETACH);
  process.chdir('/');
}
