// sys: the few host sysfs files that common programs read to learn about
// the machine (cpus, memory page sizes), each served as the host's own file,
// in a read-only tree the sentry builds; nothing about devices, buses,
// network interfaces or cgroups of the host. /sys/fs/cgroup is an empty
// directory: the sandbox gives no cgroup filesystem (see DESIGN.md).
import { openSync, statSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import { allocDev } from '../../vfs/devices.js';
import { type DirEntry, type Filesystem, Inode, type StatFs } from '../../vfs/inode.js';
import { dtype, S_IFDIR, S_IFREG, type Stat } from '../../abi/stat.js';
import { now } from '../../host/clock.js';
import { O } from '../../abi/flags.js';
import { host } from '../../host/fd.js';
import { type EmptyDir } from '../../host/emptydir.js';

const SYSFS_MAGIC = 0x62656572;

/** Host files served, relative to /sys (those missing on the host are left out). */
const FILES = [
  'devices/system/cpu/online', 'devices/system/cpu/possible', 'devices/system/cpu/present',
  'devices/system/cpu/offline', 'devices/system/cpu/kernel_max',
  'kernel/mm/transparent_hugepage/enabled', 'kernel/mm/transparent_hugepage/defrag',
  'kernel/mm/transparent_hugepage/hpage_pmd_size',
];
const DIRS = ['fs/cgroup'];

type Tree = Map<string, Tree | null>;

function tree(paths: string[], dirs: string[]): Tree {
  const root: Tree = new Map();
  const add = (p: string, leaf: boolean) => {
    const parts = p.split('/');
    let cur = root;
    parts.forEach((name, i) => {
      if (i === parts.length - 1 && leaf) { cur.set(name, null); return; }
      if (!cur.get(name)) cur.set(name, new Map());
      cur = cur.get(name)!;
    });
  };
  for (const p of paths) {
    try { statSync(`/sys/${p}`); add(p, true); } catch { /* not on this host */ }
  }
  for (const d of dirs) add(d, false);
  return root;
}

export class SysFs implements Filesystem {
  readonly name = 'sysfs';
  readonly dev = allocDev();
  readonly readonly = true;
  readonly root: SysDir;
  readonly time = now();
  private nextIno = 1;

  constructor(readonly emptyDir: EmptyDir) {
    this.root = new SysDir(this, '', tree(FILES, DIRS));
  }

  ino(): number { return this.nextIno++; }

  statfs(): StatFs {
    return { type: SYSFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0,
      namelen: 255, frsize: 4096, flags: 0x1 | 0x2 | 0x4 | 0x8 };
  }
}

abstract class SysInode extends Inode {
  readonly ino: number;
  constructor(readonly fs: SysFs, private readonly mode: number) {
    super();
    this.ino = fs.ino();
  }
  stat(): Stat {
    const t = this.fs.time;
    return { dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 4096, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }
}

class SysDir extends SysInode {
  private readonly children = new Map<string, SysInode>();
  constructor(fs: SysFs, path: string, entries: Tree) {
    super(fs, S_IFDIR | 0o755);
    for (const [name, sub] of entries) {
      const child = sub ? new SysDir(fs, `${path}${name}/`, sub) : new SysFile(fs, `${path}${name}`);
      child.parent = this;
      child.name = name;
      this.children.set(name, child);
    }
  }
  override stat(): Stat { return { ...super.stat(), size: 0, nlink: 2 }; }
  override lookup(name: string): Inode {
    const c = this.children.get(name);
    if (!c) throw new SysErr(E.ENOENT);
    return c;
  }
  override readdir(): DirEntry[] {
    return [...this.children].map(([name, c]) => ({ name, ino: c.ino, type: dtype(c.stat().mode) }));
  }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

class SysFile extends SysInode {
  constructor(fs: SysFs, private readonly path: string) { super(fs, S_IFREG | 0o444); }
  override sharesHostFile(): boolean { return true; }
  override open(flags: number): number {
    return host(() => openSync(`/sys/${this.path}`, (flags & O.NONBLOCK) | O.RDONLY | O.CLOEXEC));
  }
}
