// Foreign fds: host objects a guest holds that the sentry did not open (the
// stdio the caller redirected, pipes, sockets, eventfds, an fd a host process
// sent over a unix socket). The sandbox's credentials have no authority over
// them, so the only bound on what a guest may do with one is the open file
// description it holds. The sentry therefore reaches a foreign object only
// through its own copy of that very description (pidfd_getfd), never through
// /proc/<tid>/fd/N a second time: what it checks is what it uses, whatever
// another guest thread does to the fd table meanwhile, and a reopen gets at
// most the access the held description gives.
import { closeSync, readlinkSync, statfsSync, type StatsFs } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { F, O } from '../abi/flags.js';
import { isDir } from '../abi/stat.js';
import { hostFstat, reopen, reopenAsPath } from './fd.js';
import { type HostStat, libcCalls, sys } from './native.js';

/** Whose fds: a guest thread, by a pidfd of it (a kernel task is one). */
export interface FdOwner { pidfd(): number }


/** Whether a description opened with access mode `held` (and O_PATH or not) may be reopened with `flags`. */
export function reopenAllowed(held: number, flags: number): boolean {
  // An O_PATH description reads and writes nothing; access mode 3 (ioctl only) neither.
  if (held & O.PATH) return false;
  const reads = (acc: number) => acc === O.RDONLY || acc === O.RDWR;
  const writes = (acc: number) => acc === O.WRONLY || acc === O.RDWR;
  const have = held & O.ACCMODE;
  const want = flags & O.ACCMODE;
  // Access mode 3 asks for both permissions, as on Linux; O_TRUNC writes.
  const needRead = want === O.RDONLY || want === O.RDWR || want === O.ACCMODE;
  const needWrite = want !== O.RDONLY || (flags & O.TRUNC) !== 0;
  return (!needRead || reads(have)) && (!needWrite || writes(have));
}

/** The name a guest sees for a host file that is not a memfd or a device of the sandbox's /dev: never its host path. */
export const ANONYMOUS_HOST_FILE = 'anon_inode:[host]';

/** The sentry's copy of the open file description behind one guest fd. */
export class ForeignFd {
  private constructor(readonly hostFd: number) {}

  /** Takes the description behind fd `fd` of task `t`: EBADF when it has none, ESRCH when it is gone. */
  static take(t: FdOwner, fd: number): ForeignFd {
    if (fd < 0) throw new SysErr(E.EBADF);
    return new ForeignFd(sys(libcCalls.pidfdGetfd(t.pidfd(), fd, 0)));
  }

  /** Runs `f` on the taken description and closes the sentry's copy after. */
  static with<T>(t: FdOwner, fd: number, f: (held: ForeignFd) => T): T {
    const held = ForeignFd.take(t, fd);
    try {
      return f(held);
    } finally {
      held.close();
    }
  }

  /** The guest's open flags (access mode, O_PATH, O_APPEND…). */
  flags(): number { return sys(libcCalls.fcntl(this.hostFd, F.GETFL, 0)); }

  stat(): HostStat { return hostFstat(this.hostFd); }

  statfs(): StatsFs { return statfsSync(`/proc/self/fd/${this.hostFd}`); }

  /** Whether the object is a memfd (an unlinked shmem file, which alone answers F_GET_SEALS), whose name is its creator's. */
  isMemfd(): boolean {
    return libcCalls.fcntl(this.hostFd, F.GET_SEALS, 0) >= 0 && this.stat().nlink === 0;
  }

  /** The host's name of the object (a path, or pipe:[…], socket:[…], anon_inode:…): never shown to a guest as it is. */
  hostName(): string { return readlinkSync(`/proc/self/fd/${this.hostFd}`, 'latin1'); }

  /**
   * A new open file description of the same object for the guest, with at
   * most the access of the held one (EACCES otherwise, as a reopen the
   * file's permissions refuse); the host refuses what the object itself
   * refuses (ENXIO for a socket, EISDIR for a directory opened to write).
   */
  reopen(flags: number): number {
    if (!reopenAllowed(this.flags(), flags)) throw new SysErr(E.EACCES);
    if ((flags & O.DIRECTORY) && !isDir(this.stat().mode)) throw new SysErr(E.ENOTDIR);
    return reopen(this.hostFd, flags);
  }

  /**
   * The FIFO or pipe behind the held description, for an open with `flags`
   * that it allows (EACCES otherwise): an O_PATH fd of it, which the FIFO
   * open (a wait for the peer, perhaps) opens with those flags.
   */
  pathForOpen(flags: number): number {
    if (!reopenAllowed(this.flags(), flags)) throw new SysErr(E.EACCES);
    return reopenAsPath(this.hostFd);
  }

  /** O_TRUNC through a reopen: only with a description that may write. */
  truncate(size: number): void {
    if (!reopenAllowed(this.flags(), O.WRONLY)) throw new SysErr(E.EACCES);
    sys(libcCalls.ftruncate(this.hostFd, size));
  }

  close(): void { closeSync(this.hostFd); }
}
