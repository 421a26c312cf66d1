// Host unix sockets behind the guests' unix socket paths.
import { mkdtempSync, rmSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { libcCalls, sys } from './native.js';
import { SHM } from './shm.js';

const AF_UNIX = 1;
const SUN_PATH_MAX = 108;

/** A struct sockaddr_un for a host path. */
export function sockaddrUn(path: string): Uint8Array {
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

/** connect(2) of a host unix socket to a host path. */
export function connectUnix(sock: number, path: string): void {
  sys(libcCalls.connect(sock, sockaddrUn(path), 2 + Buffer.byteLength(path) + 1));
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

