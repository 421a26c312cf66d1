// Lock proxies: where the locks on files the sandbox does not own live.
//
// A guest's description of a file of the overlay's lower layer or of a
// read-only bind mount is the host file's own open description (read and
// mmap run natively), and a lock made on it would land on the host inode:
// host processes would see it and wait for it. So locks on those files are
// made on proxies instead: descriptions of a memfd, one memfd per sandbox
// inode. The host kernel still does all the lock arithmetic (conflicts,
// ranges, merges, upgrades, waiting), between proxies only:
// - flock and OFD locks belong to an open file description: each guest
//   description has its own proxy description (opened with the same access
//   mode, so the host checks it as it would the file's), closed with the
//   sentry's copy of the guest description;
// - POSIX record locks belong to the process: each process has one proxy
//   description per inode, on which they are made as OFD locks; it is closed
//   when the process exits.
import { closeQuietly, reopen } from '../host/fd.js';
import { native, tv } from '../host/native.js';
import type { Inode } from '../vfs/inode.js';
import { O } from '../abi/flags.js';
import type { FileDescription } from './files.js';
import type { ThreadGroup } from './task.js';

export class LockProxies {
  /** The proxy descriptions of each sandbox inode (all of one memfd). */
  private readonly byInode = new Map<Inode, Set<number>>();
  /** Each process's proxy of each inode it holds POSIX locks on. */
  private readonly byProcess = new Map<ThreadGroup, Map<Inode, number>>();

  private open(inode: Inode, accessMode: number): number {
    let fds = this.byInode.get(inode);
    if (!fds) this.byInode.set(inode, fds = new Set());
    let fd: number;
    const any = fds.values().next();
    if (!any.done) {
      fd = reopen(any.value, accessMode);
    } else {
      const memfd = tv(native.memfd('tvisor-lock', 0));
      try { fd = reopen(memfd, accessMode); } finally { closeQuietly(memfd); }
    }
    fds.add(fd);
    return fd;
  }

  private close(inode: Inode, fd: number): void {
    closeQuietly(fd);
    const fds = this.byInode.get(inode);
    fds?.delete(fd);
    if (fds?.size === 0) this.byInode.delete(inode);
  }

  /** The proxy of description `d` (its flock and OFD locks). */
  forDescription(d: FileDescription): number {
    if (d.lockProxy < 0) d.lockProxy = this.open(d.at.inode, d.flags & O.ACCMODE);
    return d.lockProxy;
  }

  /** The proxy of process `tg`'s POSIX locks on `inode`. */
  forProcess(tg: ThreadGroup, inode: Inode): number {
    let mine = this.byProcess.get(tg);
    if (!mine) this.byProcess.set(tg, mine = new Map());
    let fd = mine.get(inode);
    if (fd === undefined) mine.set(inode, fd = this.open(inode, O.RDWR));
    return fd;
  }

  /** The sentry dropped its copy of `d`: its locks go. */
  dropDescription(d: FileDescription): void {
    if (d.lockProxy >= 0) this.close(d.at.inode, d.lockProxy);
    d.lockProxy = -1;
  }

  /** Process `tg` exited: its POSIX locks go. */
  dropProcess(tg: ThreadGroup): void {
    const mine = this.byProcess.get(tg);
    if (!mine) return;
    this.byProcess.delete(tg);
    for (const [inode, fd] of mine) this.close(inode, fd);
  }

  /** The processes with a POSIX proxy of `inode`, and their proxies. */
  *processesOn(inode: Inode): Iterable<[ThreadGroup, number]> {
    for (const [tg, mine] of this.byProcess) {
      const fd = mine.get(inode);
      if (fd !== undefined) yield [tg, fd];
    }
  }
}
