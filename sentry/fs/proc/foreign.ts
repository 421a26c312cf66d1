// /proc/<pid>/fd/N for a host object the sentry did not make (pipe, socket,
// terminal, eventfd…): named as the host names anonymous objects, reopened
// through the host's proc as Linux reopens them.
import { openSync, readlinkSync, statSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import { Inode } from '../../vfs/inode.js';
import type { VfsPath } from '../../vfs/mount.js';
import { O } from '../../abi/flags.js';
import { S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, type Stat } from '../../abi/stat.js';
import { pathOf } from '../../vfs/walk.js';
import { devicePath } from '../dev/devices.js';
import { DevptsFs } from '../dev/devpts.js';
import { host, hostStat } from '../../host/fd.js';
import { ProcLink, self } from './nodes.js';
import type { ProcFs } from './procfs.js';

export class ForeignFdLink extends ProcLink {
  constructor(fs: ProcFs, key: string, tid: number, fd: number) {
    super(fs, key, (ctx) => {
      const place = sandboxObject(fs, tid, fd);
      if (place) return pathOf(self(fs, ctx), place).path;
      try { return nameOf(tid, fd); } catch { throw new SysErr(E.ENOENT); }
    }, () => sandboxObject(fs, tid, fd) ?? { mount: fs.kernel.ns.root, inode: new ForeignFile(fs, tid, fd) });
  }
}

/**
 * The sandbox place of a host object the sentry gave without a description:
 * a terminal of the sandbox's /dev/pts (ttyname finds it by its path) or a
 * FIFO end.
 */
function sandboxObject(fs: ProcFs, tid: number, fd: number): VfsPath | null {
  let s;
  try { s = hostStat(`/proc/${tid}/fd/${fd}`); } catch { return null; }
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
 * anon_inode:…) keep their name, the devices of /dev are named as the
 * sandbox names them, and any other host file is anonymous.
 */
function nameOf(tid: number, fd: number): string {
  const target = host(() => readlinkSync(`/proc/${tid}/fd/${fd}`));
  if (!target.startsWith('/')) return target;
  const s = hostStat(`/proc/${tid}/fd/${fd}`);
  return ((s.mode & S_IFMT) === S_IFCHR ? devicePath(s.rdev) : null) ?? 'anon_inode:[host]';
}

class ForeignFile extends Inode {
  constructor(readonly fs: ProcFs, private readonly tid: number, private readonly fd: number) {
    super();
  }
  stat(): Stat {
    const s = host(() => statSync(`/proc/${this.tid}/fd/${this.fd}`));
    const t = this.fs.time;
    return { dev: this.fs.dev, ino: 0, mode: s.mode || S_IFREG, nlink: 1, uid: 0, gid: 0, rdev: s.rdev, size: s.size,
      blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
  }
  override open(flags: number): number {
    return host(() => openSync(`/proc/${this.tid}/fd/${this.fd}`, (flags & (O.ACCMODE | O.APPEND | O.NONBLOCK)) | O.CLOEXEC | O.NOCTTY));
  }
}
