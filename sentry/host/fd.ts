// Host file descriptors of the sentry: Node fs errors as SysErr values, reopen, dup, stat.
import { closeSync, openSync } from 'node:fs';
import { SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { decodeStat, type HostStat, libcCalls, STAT_SIZE, sys } from './native.js';

/** Runs a Node fs call, turning its error into a SysErr with the same errno. */
export function host<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (typeof errno === 'number') throw new SysErr(Math.abs(errno));
    throw e;
  }
}

/** Flags that an open file description keeps and the host honours for the data path. */
export const FILE_STATUS_FLAGS = O.ACCMODE | O.APPEND | O.NONBLOCK | O.NOATIME | O.DIRECT | O.SYNC | O.DSYNC;

/** A new open file description of the same host file as `fd`, with the guest's flags. */
export function reopen(fd: number, flags: number): number {
  return host(() => openSync(`/proc/self/fd/${fd}`, (flags & FILE_STATUS_FLAGS) | O.CLOEXEC | O.NOCTTY));
}

/** A host fd the sentry holds for a while (an OpenHostFile, VfsPath.through): `closed` once let go. */
export class HeldFd {
  closed = false;
  constructor(readonly hostFd: number) {}
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.hostFd);
  }
}

/** An O_PATH fd of the host file behind `fd` (a FIFO's, to open it as a FIFO end later, perhaps after a wait). */
export function reopenAsPath(fd: number): number {
  return host(() => openSync(`/proc/self/fd/${fd}`, O.PATH | O.CLOEXEC));
}

const F_DUPFD_CLOEXEC = 1030;

/**
 * A second fd of the same open file description, close-on-exec as every fd
 * the sentry opens: a process it starts (a gofer) must not inherit it. A
 * pod's spare gofer, started just after a CreateContainer, kept the
 * container's stdio open this way (its engine saw no end of its output).
 */
export function dupFd(fd: number): number {
  return sys(libcCalls.fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

/** Opens a FIFO (by its O_PATH fd) for reading and writing without waiting: ends any open that waits for a peer. */
export function openFifoBothWays(pathFd: number): number {
  return host(() => openSync(`/proc/self/fd/${pathFd}`, O.RDWR | O.NONBLOCK | O.CLOEXEC));
}

export function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* not ours any more */ }
}

/** Fds kept by key, at most `max` of them: one more closes the least recently used. */
export class FdCache<K> {
  private readonly fds = new Map<K, number>();
  constructor(private readonly max: number) {}

  /** The fd kept for `key`, now the most recently used; undefined if none is. */
  get(key: K): number | undefined {
    const fd = this.fds.get(key);
    if (fd !== undefined) {
      this.fds.delete(key);
      this.fds.set(key, fd);
    }
    return fd;
  }

  /** Keeps `fd` for `key`, or closes it if one is kept already. */
  keep(key: K, fd: number): void {
    if (this.fds.has(key)) {
      closeQuietly(fd);
      return;
    }
    this.fds.set(key, fd);
    if (this.fds.size > this.max) {
      const [oldest, old] = this.fds.entries().next().value!;
      this.fds.delete(oldest);
      closeQuietly(old);
    }
  }
}

const statBuf = new Uint8Array(STAT_SIZE);

/** stat(2) of a host path (the sentry's /proc/<tid>/fd/N links). */
export function hostStat(path: string): HostStat {
  sys(libcCalls.stat(path, statBuf));
  return decodeStat(statBuf);
}

/** fstat(2) of a sentry-owned fd. */
export function hostFstat(fd: number): HostStat {
  sys(libcCalls.fstat(fd, statBuf));
  return decodeStat(statBuf);
}

const RLIMIT_NOFILE = 7;

/**
 * The sentry holds an fd per open description of its guests (and the
 * gofer's fds while it serves them): its soft limit on fds goes up to the
 * hard one. The guests inherit it, as they could raise it themselves.
 */
export function raiseFdLimit(): void {
  const limit = new BigUint64Array(2);
  if (libcCalls.prlimit(0, RLIMIT_NOFILE, null, limit) < 0) throw new Error('getting RLIMIT_NOFILE');
  if (limit[0] === limit[1]) return;
  limit[0] = limit[1]!;
  if (libcCalls.prlimit(0, RLIMIT_NOFILE, limit, null) < 0) throw new Error('raising RLIMIT_NOFILE');
}
