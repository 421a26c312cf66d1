// Host objects that stand behind guest file descriptions.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { decodeStat, type HostStat, libcCalls, STAT_SIZE, sys } from '../platform/native.js';
import { E, SysErr } from '../kernel/errno.js';
import { O } from '../vfs/types.js';

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

/**
 * Empty, read-only host directories. A guest fd for a sandbox directory is
 * an open file description of one: `read` gives EISDIR as it should, and its
 * file position holds the guest's getdents cursor, so lseek/telldir/rewinddir
 * run natively. Everything else on it is trapped. Each sandbox directory gets
 * its own host directory (made on its first open, kept until the sandbox
 * ends), so that flock and record locks, which the host kernel keeps per
 * inode, tell two sandbox directories apart.
 */
export class EmptyDir {
  readonly path: string;
  private readonly perDir = new WeakMap<object, string>();
  private made = 0;
  constructor() {
    removeStaleEmptyDirs();
    this.path = mkdtempSync(`${SHM}/tvisor-dir-${process.pid}-`);
    chmodSync(this.path, 0o555);
  }
  /**
   * A description of the host directory of sandbox directory `dir`, with the
   * guest's status flags (and O_DIRECTORY, which F_GETFL shows).
   */
  openFor(dir: object, flags: number): number {
    let path = this.perDir.get(dir);
    if (!path) {
      path = `${this.path}/${this.made++}`;
      host(() => mkdirSync(path!, 0o555));
      this.perDir.set(dir, path);
    }
    return openEmpty(path, flags);
  }
  /**
   * The host object of O_PATH descriptions of non-directories: seccomp's
   * ADDFD cannot pass an O_PATH fd, so the guest gets a read-only one
   * (known gap: read on it gives EISDIR where Linux gives EBADF).
   */
  open(flags: number): number {
    return openEmpty(this.path, flags);
  }
  dispose(): void {
    removeEmptyDirTree(this.path);
  }
}

function openEmpty(path: string, flags: number): number {
  const kept = flags & (FILE_STATUS_FLAGS & ~O.ACCMODE | O.DIRECTORY);
  return host(() => openSync(path, O.RDONLY | kept | O.CLOEXEC));
}

/** Removes an EmptyDir's directory and the empty directories in it (nothing else: rmdir fails on anything). */
function removeEmptyDirTree(path: string): void {
  try {
    for (const name of readdirSync(path)) rmdirSync(`${path}/${name}`);
    rmdirSync(path);
  } catch { /* already gone, or not empty: not ours to judge */ }
}

const SHM = '/dev/shm';

/**
 * Host FIFOs for the sandbox's own FIFOs (tmpfs). Each is made in a private
 * directory and unlinked at once: the sentry keeps only an O_PATH fd of it,
 * through which every open of the sandbox FIFO reaches the same host pipe.
 */
export class HostFifos {
  private dir: string | null = null;
  private n = 0;

  /** A new unnamed host FIFO: an O_PATH fd of it, the caller's to keep. */
  make(): number {
    this.dir ??= mkdtempSync(`${SHM}/tvisor-fifo-${process.pid}-`);
    const path = `${this.dir}/${this.n++}`;
    sys(libcCalls.mkfifo(path, 0o600));
    try {
      return host(() => openSync(path, O.PATH | O.CLOEXEC));
    } finally {
      unlinkSync(path);
    }
  }

  dispose(): void {
    if (this.dir) try { rmdirSync(this.dir); } catch { /* already gone */ }
  }
}

/** The sandbox process's host FIFOs (one sandbox per process). */
export const hostFifos = new HostFifos();

const AF_UNIX = 1;
const SUN_PATH_MAX = 108;

function sockaddrUn(path: string): Uint8Array {
  const bytes = Buffer.from(path);
  if (bytes.length >= SUN_PATH_MAX) throw new SysErr(E.ENAMETOOLONG);
  const b = new Uint8Array(2 + SUN_PATH_MAX);
  b[0] = AF_UNIX;
  b.set(bytes, 2);
  return b;
}

/** bind(2) of a host unix socket to a host path. */
export function bindUnix(sock: number, path: string): void {
  sys(libcCalls.bind(sock, sockaddrUn(path), 2 + Buffer.byteLength(path) + 1));
}

/** connect(2) of a host unix socket to the host socket node behind an O_PATH fd. */
export function connectUnix(sock: number, pathFd: number): void {
  const path = `/proc/self/fd/${pathFd}`;
  sys(libcCalls.connect(sock, sockaddrUn(path), 2 + path.length + 1));
}

/** Sentry-private host paths that the guests' unix sockets are bound to (see syscalls/socket.ts). */
export class HostSockets {
  private dir: string | null = null;
  private n = 0;

  /** A fresh path, short enough for sun_path. */
  next(): string {
    this.dir ??= mkdtempSync(`${SHM}/tvisor-sock-${process.pid}-`);
    return `${this.dir}/${this.n++}`;
  }

  dispose(): void {
    if (this.dir) try { rmSync(this.dir, { recursive: true, force: true }); } catch { /* already gone */ }
  }
}

export const hostSockets = new HostSockets();

/** Directories left by sandbox processes that were killed (their pid is in the name). */
function removeStaleEmptyDirs(): void {
  for (const name of readdirSync(SHM)) {
    const pid = /^tvisor-(?:dir|fifo|sock)-(\d+)-/.exec(name)?.[1];
    if (!pid || existsSync(`/proc/${pid}`)) continue;
    removeEmptyDirTree(`${SHM}/${name}`);
  }
}

/** A second fd of the same open file description. */
export function dupFd(fd: number): number {
  return sys(libcCalls.dup(fd));
}

/** Opens a FIFO (by its O_PATH fd) for reading and writing without waiting: ends any open that waits for a peer. */
export function openFifoBothWays(pathFd: number): number {
  return host(() => openSync(`/proc/self/fd/${pathFd}`, O.RDWR | O.NONBLOCK | O.CLOEXEC));
}

export function closeQuietly(fd: number): void {
  try { closeSync(fd); } catch { /* not ours any more */ }
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
