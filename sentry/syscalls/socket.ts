// bind(2), connect(2) and sendto(2) of unix sockets with a path. The guest's
// host root is empty, so a path must be resolved in the sandbox: bind makes a
// socket node in the sandbox and binds the guest's socket (taken with
// pidfd_getfd), with the very address the guest gave, to a host node behind
// it (so the socket's name is the guest's string, as on Linux: see
// host/sockets.ts's bindAsGiven); connect finds the node and connects the
// guest's socket to that host node; sendto of a datagram to a path is sent
// by the sentry from its copy of the guest's socket. Every other address
// (other families, abstract and unnamed unix addresses) is the host's: a
// guest that changes the address after the check only reaches its empty,
// read-only host root.
import { closeSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { bytesName } from '../abi/names.js';
import { SO, SOL_SOCKET } from '../abi/socket.js';
import { ForeignFd } from '../host/foreign.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { libcCalls, native, sys, tv } from '../host/native.js';
import { checkAccess, MAY_WRITE } from '../vfs/permissions.js';
import { AT, F, O } from '../abi/flags.js';
import { S_IFMT, S_IFSOCK } from '../abi/stat.js';
import { resolve } from '../vfs/walk.js';
import * as vfs from '../vfs/ops.js';
import { startOf } from './common.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';

const AF_UNIX = 1;
const SUN_PATH_MAX = 108;
const SOCK_DGRAM = 2;
const MSG = { OOB: 0x1, DONTWAIT: 0x40, NOSIGNAL: 0x4000 } as const;

/** A unix socket address with a path: the path, and the address's bytes as the guest gave them. */
interface UnixPath { path: string; addr: Uint8Array }

/** The path of a unix socket address, or null for any address the host may have. */
function unixPath(t: Task, addr: number, len: number): UnixPath | null {
  if (len <= 2 || len > 2 + SUN_PATH_MAX) return null;
  const raw = t.mem.read(addr, len);
  if ((raw[0]! | (raw[1]! << 8)) !== AF_UNIX || raw[2] === 0) return null;
  const end = raw.indexOf(0, 2);
  return { path: bytesName(raw.subarray(2, end < 0 ? len : end)), addr: raw };
}

/** Runs `f` with the sentry's copy of the guest's fd, which must be a socket (nothing else of the guest's is touched), and its inode number. */
function withSocket<T>(t: Task, fd: number, f: (sock: number, ino: number) => T): T {
  return ForeignFd.with(t, fd, (held) => {
    const st = held.stat();
    if ((st.mode & S_IFMT) !== S_IFSOCK) throw new SysErr(E.ENOTSOCK);
    return f(held.hostFd, Number(st.ino));
  });
}

function socketOption(sock: number, name: number): number {
  const v = new Int32Array(1);
  sys(libcCalls.getsockoptInt(sock, SOL_SOCKET, name, v, new Uint32Array([4])));
  return v[0]!;
}

/** bind(2): a new socket node (an existing name is EADDRINUSE) with the guest's socket bound behind it. */
function bindAt(t: Task, k: Kernel, fd: number, to: UnixPath): number {
  return withSocket(t, fd, (sock) => {
    vfs.bindSocketAt(t, startOf(k, t, AT.FDCWD, to.path), to.path, { sock, addr: to.addr });
    return 0;
  });
}

/** An O_PATH host fd of the socket node at `path` (the caller closes it): a socket the caller may write, bound by a guest. */
function boundSocket(t: Task, path: string): number {
  const at = resolve(t, t.fs.cwd, path, { followFinal: true });
  const st = at.inode.stat();
  checkAccess(t, st, MAY_WRITE, at.inode);
  if ((st.mode & S_IFMT) !== S_IFSOCK) throw new SysErr(E.ECONNREFUSED);
  return at.inode.hostSocket();
}

/** connect(2): the sandbox node must be a socket the caller may write, bound by a guest. */
function connectTo(t: Task, k: Kernel, fd: number, path: string): number {
  return withSocket(t, fd, (sock, ino) => {
    const pathFd = boundSocket(t, path);
    try {
      // The sentry must not wait for a full backlog: a blocking socket is made
      // non-blocking for the call (known gap: EAGAIN where Linux would wait).
      const flags = sys(libcCalls.fcntl(sock, F.GETFL, 0));
      if (!(flags & O.NONBLOCK)) sys(libcCalls.fcntl(sock, F.SETFL, flags | O.NONBLOCK));
      try {
        // Made with the guest's effective ids, which the listener's SO_PEERCRED then shows.
        tv(native.connectAs(sock, pathFd, t.creds.euid, t.creds.egid));
        k.peers.connectedFor(t, ino);
      } finally {
        if (!(flags & O.NONBLOCK)) libcCalls.fcntl(sock, F.SETFL, flags);
      }
    } finally {
      closeSync(pathFd);
    }
    return 0;
  });
}

/**
 * sendto(2) of a datagram to a sandbox socket's path, sent by the sentry from
 * its copy of the guest's socket (so the receiver sees the guest's socket's
 * name), in Linux's order of checks (unix_dgram_sendmsg). Other kinds of
 * socket, and MSG_OOB, get the host's answer, which never resolves the path
 * (a stream socket refuses an address, a seqpacket socket ignores it).
 */
function sendtoPath(t: Task, fd: number, buf: number, len: number, flags: number, to: UnixPath): Reply {
  return withSocket(t, fd, (sock): Reply => {
    if (socketOption(sock, SO.TYPE) !== SOCK_DGRAM || flags & MSG.OOB) return PASS;
    if (len > socketOption(sock, SO.SNDBUF) - 32) throw new SysErr(E.EMSGSIZE);
    const data = t.mem.read(buf, len);
    const pathFd = boundSocket(t, to.path);
    try {
      // The sentry must not wait for room in the receiver's queue (known gap:
      // EAGAIN where Linux would wait). A datagram socket raises no SIGPIPE.
      // It carries the sender's real ids, as Linux's SCM_CREDENTIALS do.
      return tv(native.sendtoAs(sock, data, len, flags | MSG.DONTWAIT | MSG.NOSIGNAL, pathFd, t.tg.tgid,
        t.creds.uid, t.creds.gid));
    } finally {
      closeSync(pathFd);
    }
  });
}

/**
 * getsockopt(2) of SO_PEERCRED (the one option trapped, table.ts): the
 * host's answer for the sentry's copy of the socket, told as the sandbox
 * knows its processes (kernel/peers.ts), in sock_getsockopt's order.
 */
function peerCredentials(t: Task, k: Kernel, fd: number, optval: number, optlen: number): number {
  return withSocket(t, fd, (sock, ino) => {
    const len = new DataView(t.mem.read(optlen, 4).buffer).getInt32(0, true);
    if (len < 0) throw new SysErr(E.EINVAL);
    const host = new Int32Array(3);
    sys(libcCalls.getsockoptInt(sock, SOL_SOCKET, SO.PEERCRED, host, Uint32Array.of(host.byteLength)));
    const cred = k.peers.translate({ pid: host[0]!, uid: host[1]! >>> 0, gid: host[2]! >>> 0 }, ino);
    const out = new Uint8Array(Uint32Array.of(cred.pid, cred.uid, cred.gid).buffer, 0, Math.min(len, host.byteLength));
    t.mem.write(optval, out);
    t.mem.write(optlen, new Uint8Array(Int32Array.of(out.length).buffer));
    return 0;
  });
}

function unixCall(t: Task, addr: number, len: number, f: (to: UnixPath) => Reply): Reply {
  const to = unixPath(t, addr, len);
  return to === null ? PASS : f(to);
}

export const socketFamily: SyscallFamily = {
  bind: entry(['fd', 'ptr', 'int'], (t, a, k) => unixCall(t, a.ptr(1), a.uint(2), (to) => bindAt(t, k, a.int(0), to))),
  connect: entry(['fd', 'ptr', 'int'], (t, a, k) => unixCall(t, a.ptr(1), a.uint(2), (to) => connectTo(t, k, a.int(0), to.path))),
  // Trapped only for SO_PEERCRED (table.ts); another level's option of that number runs natively.
  getsockopt: entry(['fd', 'int', 'int', 'ptr', 'ptr'], (t, a, k) =>
    a.int(1) === SOL_SOCKET ? peerCredentials(t, k, a.int(0), a.ptr(3), a.ptr(4)) : PASS),
  // Trapped only with an address (table.ts): without one it is the native data path.
  sendto: entry(['fd', 'ptr', 'int', 'hex', 'ptr', 'int'], (t, a) =>
    unixCall(t, a.ptr(4), a.uint(5), (to) => sendtoPath(t, a.int(0), a.ptr(1), a.ptr(2), a.int(3), to))),
};
