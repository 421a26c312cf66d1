// fexecve of a foreign fd (host/foreign.ts): a memfd a guest made natively
// (memfd_create runs untrapped), a host file the caller handed in, which the
// sentry did not open and has no place for: planned as any program, through
// the sentry's copy of the guest's description.
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { isReg, type Stat } from '../abi/stat.js';
import { HeldFd, hostFstat, reopen } from '../host/fd.js';
import { ANONYMOUS_HOST_FILE, ForeignFd, reopenAllowed } from '../host/foreign.js';
import type { Task } from '../kernel/task.js';
import { Inode } from '../vfs/inode.js';
import type { OpenHostFile, VfsPath } from '../vfs/mount.js';

/**
 * The host file behind a guest's foreign fd, as an exec reaches it: read through an open host fd of it (the sentry's
 * copy of the guest's description while the exec is planned, then the one the loader's open is given), with its host
 * mode and the guest's host ids (0:0, as fstat shows every object a guest makes natively); never set-id, being a host
 * object (Inode.isForeign).
 */
export class ForeignProgram extends Inode {
  /** `shownAs`: how /proc/<pid>/exe names it. */
  constructor(readonly fs: Inode['fs'], private readonly held: OpenHostFile, readonly shownAs: string) {
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
 * The program of an fexecve of fd `fd` of `t`, which the sentry did not make: a regular file (a memfd, or a host file
 * the caller handed in) that the guest's description lets it read (the loader reads it; the host kernel would map it
 * whatever the description's access, but that would read a file the guest may only write); EBADF without an fd.
 * /proc/<pid>/exe names it as Linux does a memfd ("/memfd:NAME (deleted)"), and any other host file as the guest's
 * fd link names it, under / (never by its host path); `name` is its file's name, after which Linux names the program
 * ("memfd:NAME"). `release` once the exec is planned.
 */
export function foreignProgram(t: Task, fd: number): { at: VfsPath; name: string; release(): void } {
  const held = ForeignFd.take(t, fd);
  try {
    if (!isReg(held.stat().mode) || !reopenAllowed(held.flags(), O.RDONLY)) throw new SysErr(E.EACCES);
    const file = new HeldFd(held.hostFd);
    const mount = t.fs.root.mount;
    // An exe link is absolute (static glibc asserts it is as it starts).
    const link = held.isMemfd() ? held.hostName() : `/${ANONYMOUS_HOST_FILE}`;
    return {
      at: { mount, inode: new ForeignProgram(mount.fs, file, link) },
      name: link.replace(/^\//, '').replace(/ \(deleted\)$/, ''),
      release: () => file.close(),
    };
  } catch (e) {
    held.close();
    throw e;
  }
}
