// /proc/<pid>/fd/N for a foreign fd (a host object the sentry did not make:
// pipe, socket, terminal, a file the caller redirected…): named as the host
// names anonymous objects, and reopened from the guest's own description
// with at most its access (host/foreign.ts), never as the host's root.
import { E, SysErr } from '../../abi/errno.js';
import { ANONYMOUS_HOST_FILE, ForeignFd } from '../../host/foreign.js';
import type { Task } from '../../kernel/task.js';
import { Inode, type SetAttr } from '../../vfs/inode.js';
import type { VfsPath } from '../../vfs/mount.js';
import { S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, type Stat } from '../../abi/stat.js';
import { pathOf } from '../../vfs/walk.js';
import { devicePath } from '../dev/devices.js';
import { DevptsFs } from '../dev/devpts.js';
import { host } from '../../host/fd.js';
import { ProcLink, self } from './nodes.js';
import type { ProcFs } from './procfs.js';

/** Takes fd `fd` of `t` for a proc file: a task or fd gone meanwhile is a name that is gone. */
function withHeld<T>(t: Task, fd: number, f: (held: ForeignFd) => T): T {
  let held: ForeignFd;
  try { held = ForeignFd.take(t, fd); } catch { throw new SysErr(E.ENOENT); }
  try {
    return f(held);
  } finally {
    held.close();
  }
}

export class ForeignFdLink extends ProcLink {
  constructor(fs: ProcFs, key: string, t: Task, fd: number) {
    super(fs, key, (ctx) => withHeld(t, fd, (held) => {
      const place = sandboxObject(fs, held);
      return place ? pathOf(self(fs, ctx), place).path : nameOf(held);
    }), () => withHeld(t, fd, (held) => sandboxObject(fs, held)) ??
      { mount: fs.kernel.ns.root, inode: new ForeignFile(fs, t, fd) });
  }
}

/**
 * The sandbox place of a host object the sentry gave without a description:
 * a terminal of the sandbox's /dev/pts (ttyname finds it by its path) or a
 * FIFO end. Opening it again is opening that sandbox node, with the
 * sandbox's permissions.
 */
function sandboxObject(fs: ProcFs, held: ForeignFd): VfsPath | null {
  const s = held.stat();
  if ((s.mode & S_IFMT) === S_IFIFO) return fs.kernel.fifos.get(`${s.dev}:${s.ino}`) ?? null;
  if ((s.mode & S_IFMT) !== S_IFCHR) return null;
  for (const m of fs.kernel.ns.all()) {
    if (!(m.fs instanceof DevptsFs)) continue;
    const inode = m.fs.nodeOf(s.dev, s.rdev);
    if (inode) return { mount: m, inode };
  }
  return null;
}

/**
 * Host paths never show: anonymous objects (pipe:[…], socket:[…],
 * anon_inode:…) and memfds (/memfd:NAME (deleted)) keep their name, the
 * devices of /dev are named as the sandbox names them, and any other host
 * file is anonymous.
 */
function nameOf(held: ForeignFd): string {
  const target = host(() => held.hostName());
  if (!target.startsWith('/') || (target.startsWith('/memfd:') && held.isMemfd())) return target;
  const s = held.stat();
  return ((s.mode & S_IFMT) === S_IFCHR ? devicePath(s.rdev) : null) ?? ANONYMOUS_HOST_FILE;
}

/**
 * The object behind a foreign fd, as the link leads to it. Each use takes
 * the guest's description again and checks and uses that one copy. An
 * O_PATH open pins what the fd was then: the new O_PATH description gives
 * no access, so opening through it later is refused.
 */
class ForeignFile extends Inode {
  private pinned: Stat | null = null;

  constructor(readonly fs: ProcFs, private readonly t: Task, private readonly fd: number) {
    super();
  }

  private statOf(held: ForeignFd): Stat {
    const s = held.stat();
    const t = this.fs.time;
    return { dev: this.fs.dev, ino: 0, mode: s.mode || S_IFREG, nlink: 1, uid: 0, gid: 0, rdev: s.rdev, size: s.size,
      blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }

  stat(): Stat {
    return this.pinned ?? withHeld(this.t, this.fd, (held) => this.statOf(held));
  }

  override openedAsPath(): void { this.pinned ??= this.stat(); }

  override open(flags: number): number {
    if (this.pinned) throw new SysErr(E.EACCES);
    return withHeld(this.t, this.fd, (held) => held.reopen(flags));
  }

  override isForeign(): boolean { return true; }

  /** A pipe (a FIFO) opens as the sandbox's FIFOs do, from its held description, with at most its access. */
  override fifo(flags: number): number {
    if (this.pinned) throw new SysErr(E.EACCES);
    return withHeld(this.t, this.fd, (held) => held.pathForOpen(flags));
  }

  /** O_TRUNC of the reopened file (ftruncate runs natively on the guest's own fd, so it is no more than it holds). */
  override setattr(attr: SetAttr): void {
    if (this.pinned || Object.keys(attr).some((k) => k !== 'size')) throw new SysErr(E.EPERM);
    withHeld(this.t, this.fd, (held) => held.truncate(attr.size ?? 0));
  }
}
