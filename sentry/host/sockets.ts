// Host unix sockets behind the guests' unix socket paths.
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { E, SysErr } from '../abi/errno.js';
import { nameBytes } from '../abi/names.js';
import { libcCalls, sys } from './native.js';
import { SHM } from './shm.js';

const AF_UNIX = 1;
const SUN_PATH_MAX = 108;

/** A struct sockaddr_un for a host path (a name: abi/names.ts). */
export function sockaddrUn(path: string): Uint8Array {
  const bytes = nameBytes(path);
  if (bytes.length >= SUN_PATH_MAX) throw new SysErr(E.ENAMETOOLONG);
  const b = new Uint8Array(2 + SUN_PATH_MAX);
  b[0] = AF_UNIX;
  b.set(bytes, 2);
  return b;
}

/**
 * Calls f with a name for `path` that fits sun_path: the path itself, or,
 * when it is too long, /proc/self/fd/<dir fd>/<basename> through a held fd
 * of its directory. Engines choose the runtime's state root, and theirs are
 * deep (docker: <exec-root>/runtime-runc/moby/<64-hex id>/).
 */
function withShortPath<T>(path: string, f: (short: string) => T): T {
  if (path.length < SUN_PATH_MAX) return f(path);
  const dir = openSync(nameBytes(dirname(path)), constants.O_RDONLY | constants.O_DIRECTORY); // node opens with O_CLOEXEC
  try {
    return f(`/proc/self/fd/${dir}/${basename(path)}`);
  } finally {
    closeSync(dir);
  }
}

/** bind(2) of a host unix socket to a host path. */
export function bindUnix(sock: number, path: string): void {
  withShortPath(path, (p) => sys(libcCalls.bind(sock, sockaddrUn(p), 2 + p.length + 1)));
}

/** connect(2) of a host unix socket to a host path. */
export function connectUnix(sock: number, path: string): void {
  withShortPath(path, (p) => sys(libcCalls.connect(sock, sockaddrUn(p), 2 + p.length + 1)));
}

/** connect(2) of a host unix socket to the host socket node behind an O_PATH fd. */
export function connectUnixAt(sock: number, pathFd: number): void {
  connectUnix(sock, `/proc/self/fd/${pathFd}`);
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

