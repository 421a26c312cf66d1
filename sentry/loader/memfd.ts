// fexecve of a memfd a guest made natively (memfd_create runs untrapped), which
// the sentry did not make and has no place for: planned as any program, through
// the sentry's copy of the guest's description (host/foreign.ts).
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { isReg, type Stat } from '../abi/stat.js';
import { HeldFd, hostFstat, reopen } from '../host/fd.js';
import { ForeignFd, reopenAllowed } from '../host/foreign.js';
import type { Task } from '../kernel/task.js';
import { Inode } from '../vfs/inode.js';
import type { OpenHostFile, VfsPath } from '../vfs/mount.js';

/**
 * The memfd behind a guest's fd, as an exec reaches it: read through an open host fd of it (the sentry's copy of the
 * guest's description while the exec is planned, then the one the loader's open is given), with its host mode and
 * the guest's host ids (0:0, as fstat shows every object a guest makes natively); never set-id, being a host object
 * (Inode.isForeign).
 */
class MemfdProgram extends Inode {
  constructor(readonly fs: Inode['fs'], private readonly held: OpenHostFile) {
    super();
  }

  stat(): Stat { return this.statOpen(this.heldFd()); }
  override statOpen(hostFd: number): Stat { return { ...hostFstat(hostFd), uid: 0, gid: 0 }; }
  override opensThrough(): boolean { return true; }
  override isForeign(): boolean { return true; }

  open(flags: number, _ctx?: unknown, through?: number): number {
    if ((flags & O.ACCMODE) !== O.RDONLY) throw new SysErr(E.EACCES);
    return reopen(through ?? this.heldFd(), flags);
  }

  /** Once the exec is planned, only an open host file of it reaches it. */
  private heldFd(): number {
    if (this.held.closed) throw new SysErr(E.EBADF);
    return this.held.hostFd;
  }
}

/**
 * The program of an fexecve of fd `fd` of `t`, which the sentry did not make: a memfd that the guest's description
 * lets it read (the loader reads it; the host kernel would map it whatever the description's access, but that would
 * read a file the guest may only write); EBADF without an fd. `link` is how Linux's /proc/<pid>/exe names it
 * ("/memfd:NAME (deleted)"), `name` its file's name, after which Linux names the program ("memfd:NAME"). `release`
 * once the exec is planned.
 */
export function memfdProgram(t: Task, fd: number): { at: VfsPath; link: string; name: string; release(): void } {
  const held = ForeignFd.take(t, fd);
  try {
    if (!isReg(held.stat().mode) || !held.isMemfd() || !reopenAllowed(held.flags(), O.RDONLY)) throw new SysErr(E.EACCES);
    const file = new HeldFd(held.hostFd);
    const mount = t.fs.root.mount;
    const link = held.hostName();
    return {
      at: { mount, inode: new MemfdProgram(mount.fs, file) }, link, name: link.slice(1).replace(/ \(deleted\)$/, ''),
      release: () => file.close(),
    };
  } catch (e) {
    held.close();
    throw e;
  }
}
