// Host unix sockets behind the guests' unix socket paths.
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { E, SysErr } from '../abi/errno.js';
import { bytesName, nameBytes, textName } from '../abi/names.js';
import { libcCalls, native, sys, tv } from './native.js';
import { SHM } from './shm.js';
import { host } from './fd.js';

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

const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;

/** A listening SOCK_SEQPACKET socket bound at the host path `path` (a control or warm socket). */
export function listenAt(path: string, nonblocking = true): number {
  const fd = libcCalls.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) throw new Error('control socket: socket failed');
  try {
    bindUnix(fd, textName(path));
    if (libcCalls.listen(fd, 16) < 0) throw new Error('listen failed');
  } catch (e) {
    closeSync(fd);
    throw new Error(`control socket: cannot listen at ${path}: ${(e as Error).message}`);
  }
  return fd;
}

/** A guest's socket to bind: the sentry's copy of it, and the address the guest gave (its bytes, as long as it said). */
export interface GuestBind { sock: number; addr: Uint8Array }

/**
 * Binds a guest's socket with the address it gave, so that its name is that
 * string as on Linux (getsockname, peers, /proc/net/unix), under `scratch`,
 * an empty host directory the caller made: a tree of empty directories in
 * which the path, resolved with `scratch` as the root (and, for a relative
 * path, a cwd deep enough for its `..`s), reaches a directory of the tree.
 * The sandbox resolved the path already; this tree only spells it. Returns
 * the host path of the node made.
 */
export function bindAsGiven(b: GuestBind, scratch: string): string {
  const nul = b.addr.indexOf(0, 2);
  const path = bytesName(b.addr.subarray(2, nul < 0 ? b.addr.length : nul));
  const dirs = path.split('/');
  const last = dirs.pop()!;
  const cwd = path.startsWith('/') ? [] : dirs.filter((c) => c === '..').map(() => 'w');
  const at = [...cwd];
  // Names come from splitting at '/', and '..' only climbs back: every directory is inside scratch.
  const mk = () => host(() => mkdirSync(nameBytes(`${scratch}/${at.join('/')}`), { recursive: true, mode: 0o700 }));
  mk();
  for (const c of dirs) {
    if (c === '' || c === '.') continue;
    if (c === '..') at.pop();
    else { at.push(c); mk(); }
  }
  const root = host(() => openSync(nameBytes(scratch), constants.O_RDONLY | constants.O_DIRECTORY));
  try {
    const dir = host(() => openSync(nameBytes(`${scratch}/${cwd.join('/')}`), constants.O_RDONLY | constants.O_DIRECTORY));
    try {
      tv(native.bindAs(b.sock, b.addr, b.addr.length, root, dir));
    } finally {
      closeSync(dir);
    }
  } finally {
    closeSync(root);
  }
  return [scratch, ...at, last].join('/');
}

/** Sentry-private host paths that the guests' unix sockets are bound to (see syscalls/socket.ts). */
export class HostSockets {
  private dir: string | null = null;
  private n = 0;

  /** A fresh directory, empty. */
  next(): string {
    this.dir ??= mkdtempSync(`${SHM}/tvisor-sock-${process.pid}-`);
    const dir = `${this.dir}/${this.n++}`;
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  /** A fresh name for a scratch directory made for one bind in a host directory the sandbox was given. */
  scratchName(): string {
    return `.tvisor-bind-${process.pid}-${this.n++}`;
  }

  dispose(): void {
    if (this.dir) try { rmSync(this.dir, { recursive: true, force: true }); } catch { /* already gone */ }
  }
}

export const hostSockets = new HostSockets();

