// bind(2) and connect(2) of unix sockets with a path. The guest's host root
// is empty, so a path must be resolved in the sandbox: bind makes a socket
// node in the sandbox and binds the guest's socket (taken with pidfd_getfd)
// to a sentry-private host path that the node records; connect finds the
// node and connects the guest's socket to that host path. Every other
// address (other families, abstract and unnamed unix addresses) is the
// host's: a guest that changes the address after the check only reaches
// its empty, read-only host root.
import { closeSync } from 'node:fs';
import { connectUnixAt } from '../host/sockets.js';
import { E, SysErr } from '../abi/errno.js';
import { bytesName } from '../abi/names.js';
import { ForeignFd } from '../host/foreign.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { libcCalls, sys } from '../host/native.js';
import { checkAccess, MAY_WRITE } from '../vfs/permissions.js';
import { AT, F, O } from '../abi/flags.js';
import { S_IFMT, S_IFSOCK } from '../abi/stat.js';
import { resolve } from '../vfs/walk.js';
import * as vfs from '../vfs/ops.js';
import { startOf } from './common.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

const AF_UNIX = 1;
const SUN_PATH_MAX = 108;

/** The path of a unix socket address, or null for any address the host may have. */
function unixPath(t: Task, addr: number, len: number): string | null {
  if (len <= 2 || len > 2 + SUN_PATH_MAX) return null;
  const raw = t.mem.read(addr, len);
  if ((raw[0]! | (raw[1]! << 8)) !== AF_UNIX || raw[2] === 0) return null;
  const end = raw.indexOf(0, 2);
  return bytesName(raw.subarray(2, end < 0 ? len : end));
}

/** Runs `f` with the sentry's copy of the guest's fd, which must be a socket (nothing else of the guest's is touched). */
function withSocket<T>(t: Task, fd: number, f: (sock: number) => T): T {
  return ForeignFd.with(t, fd, (held) => {
    if ((held.stat().mode & S_IFMT) !== S_IFSOCK) throw new SysErr(E.ENOTSOCK);
    return f(held.hostFd);
  });
}

/** bind(2): a new socket node (an existing name is EADDRINUSE) with the guest's socket bound behind it. */
function bindAt(t: Task, k: Kernel, fd: number, path: string): number {
  return withSocket(t, fd, (sock) => {
    vfs.bindSocketAt(t, startOf(k, t, AT.FDCWD, path), path, sock);
    return 0;
  });
}

/** connect(2): the sandbox node must be a socket the caller may write, bound by a guest. */
function connectTo(t: Task, fd: number, path: string): number {
  const at = resolve(t, t.fs.cwd, path, { followFinal: true });
  const st = at.inode.stat();
  checkAccess(t.creds, st, MAY_WRITE);
  if ((st.mode & S_IFMT) !== S_IFSOCK) throw new SysErr(E.ECONNREFUSED);
  return withSocket(t, fd, (sock) => {
    const pathFd = at.inode.hostSocket();
    // The sentry must not wait for a full backlog: a blocking socket is made
    // non-blocking for the call (known gap: EAGAIN where Linux would wait).
    const flags = sys(libcCalls.fcntl(sock, F.GETFL, 0));
    if (!(flags & O.NONBLOCK)) sys(libcCalls.fcntl(sock, F.SETFL, flags | O.NONBLOCK));
    try {
      connectUnixAt(sock, pathFd);
    } finally {
      if (!(flags & O.NONBLOCK)) libcCalls.fcntl(sock, F.SETFL, flags);
      closeSync(pathFd);
    }
    return 0;
  });
}

function unixCall(t: Task, addr: number, len: number, f: (path: string) => number): Reply {
  const path = unixPath(t, addr, len);
  return path === null ? PASS : f(path);
}

export const socketFamily: SyscallFamily = {
  bind: entry(['fd', 'ptr', 'int'], (t, a, k) => unixCall(t, a.ptr(1), a.uint(2), (p) => bindAt(t, k, a.int(0), p))),
  connect: entry(['fd', 'ptr', 'int'], (t, a) => unixCall(t, a.ptr(1), a.uint(2), (p) => connectTo(t, a.int(0), p))),
};
