// /dev/pts: the sandbox's own devpts instance (a detached mount the sentry
// made with tv_devpts_mount), so its ptys are numbered from 0 and no host
// pty shows. Opening ptmx allocates a pty; opening N opens that pty's slave.
import { openSync, readdirSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import { major, minor } from '../../vfs/devices.js';
import { type DirEntry, type Filesystem, Inode, lookupChild, type StatFs } from '../../vfs/inode.js';
import { dtype, S_IFDIR, type Stat } from '../../abi/stat.js';
import { O } from '../../abi/flags.js';
import { native, tv } from '../../host/native.js';
import { closeQuietly, host, hostStat } from '../../host/fd.js';
import { type EmptyDir } from '../../host/emptydir.js';

const DEVPTS_SUPER_MAGIC = 0x1cd1;
const PTY_SLAVE_MAJOR = 136;

export class DevptsFs implements Filesystem {
  readonly name = 'devpts';
  /**
   * The instance's own device number: a guest's fstat of a terminal runs
   * on the host and must agree with stat of its /dev/pts path (ttyname
   * compares them).
   */
  readonly dev: number;
  readonly readonly = false;
  readonly root: DevptsDir;

  constructor(private readonly mountFd: number, readonly emptyDir: EmptyDir) {
    this.dev = hostStat(this.hostPath('')).dev;
    this.root = new DevptsDir(this);
  }

  hostPath(name: string): string { return `/proc/self/fd/${this.mountFd}/${name}`; }

  statfs(): StatFs {
    return { type: DEVPTS_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0,
      namelen: 255, frsize: 4096, flags: 0x2 | 0x8 };
  }

  /** The sandbox path's node of a host terminal fd's (st_dev, st_rdev), if it is a pty of this instance. */
  nodeOf(hostDev: number, rdev: number): Inode | null {
    if (hostDev !== this.dev) return null;
    const index = (major(rdev) - PTY_SLAVE_MAJOR) * 256 + minor(rdev);
    return lookupChild(this.root, String(index));
  }

  /** A new pty: its master and slave (sentry-owned fds) and its number. */
  openPty(): { master: number; slave: number; index: number } {
    const out = new Int32Array(2);
    const index = tv(native.openPty(this.mountFd, out));
    return { master: out[0]!, slave: out[1]!, index };
  }

  dispose(): void { closeQuietly(this.mountFd); }
}

class DevptsDir extends Inode {
  constructor(readonly fs: DevptsFs) { super(); }
  stat(): Stat {
    const s = hostStat(this.fs.hostPath(''));
    return { ...s, dev: this.fs.dev, mode: S_IFDIR | 0o755 };
  }
  override lookup(name: string): Inode {
    if (name.includes('/') || !this.names().includes(name)) throw new SysErr(E.ENOENT);
    const node = new DevptsNode(this.fs, name);
    node.parent = this;
    node.name = name;
    return node;
  }
  private names(): string[] { return host(() => readdirSync(this.fs.hostPath(''))); }
  override readdir(): DirEntry[] {
    return this.names().map((name) => {
      const st = hostStat(this.fs.hostPath(name));
      return { name, ino: st.ino, type: dtype(st.mode) };
    });
  }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

class DevptsNode extends Inode {
  constructor(readonly fs: DevptsFs, private readonly entry: string) { super(); }
  stat(): Stat { return { ...hostStat(this.fs.hostPath(this.entry)), dev: this.fs.dev }; }
  /** ptmx opens a new master, which never becomes a controlling terminal. */
  override isPtySlave(): boolean { return this.entry !== 'ptmx'; }
  /**
   * The sentry opens it, so never as its own controlling terminal
   * (O_NOCTTY); the guest's open takes it as its own afterwards (see openPath).
   */
  override open(flags: number): number {
    return host(() => openSync(this.fs.hostPath(this.entry), (flags & (O.ACCMODE | O.NONBLOCK)) | O.CLOEXEC | O.NOCTTY));
  }
}
