// The sandbox's control socket (a listening SOCK_SEQPACKET socket in the
// container's state directory): the runtime's start and exec reach the
// running sandbox through it. Connections are served from the kernel's own
// event loop (Kernel.watch), one request each; an exec's connection stays
// open and gets the process's end.
import { unlinkSync } from 'node:fs';
import { E, errnoName, SysErr } from '../abi/errno.js';
import { closeQuietly } from '../host/fd.js';
import { libcCalls, native } from '../host/native.js';
import { bindUnix } from '../host/sockets.js';
import { textName } from '../abi/names.js';
import type { Kernel } from '../kernel/kernel.js';
import { CommandNotFound, type ExitStatus, type LaunchHooks, type Stdio } from '../kernel/launch.js';
import type { Log } from '../log.js';
import type { DevptsFs } from '../fs/dev/devpts.js';
import { type ControlRequest, type ControlResponse, controlCodec } from './codec.js';
import { toProcessSpec } from './process.js';

export interface ControlHandlers {
  /** Starts the container's process (once). */
  startMain(hooks: LaunchHooks): void;
  /** Ends the sandbox (Shutdown): its processes are killed, and the kernel's run returns. */
  shutdown(): void;
  /** Writes the root overlay's changes to fd: JSON, or an OCI layer tar. */
  changes(fd: number, tar: boolean): void;
  devpts: DevptsFs;
  log: Log;
}

const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOCK_NONBLOCK = 0o4000;
const MAX_REQUEST = 512 * 1024;

export class ControlServer {
  private readonly listenFd: number;
  private readonly open = new Set<number>();
  private readonly buf = new Uint8Array(MAX_REQUEST);
  private readonly fds = new Int32Array(3);
  private readonly nfds = new Int32Array(1);

  constructor(private readonly kernel: Kernel, private readonly path: string, private readonly h: ControlHandlers) {
    this.listenFd = listenAt(path);
    kernel.watch(this.listenFd, () => this.accept());
  }

  close(): void {
    for (const fd of this.open) closeQuietly(fd);
    this.kernel.unwatch(this.listenFd);
    closeQuietly(this.listenFd);
    try { unlinkSync(this.path); } catch { /* the runtime's delete removed the directory */ }
  }

  private accept(): void {
    const fd = libcCalls.accept4(this.listenFd, null, null, SOCK_CLOEXEC);
    if (fd < 0) return;
    this.open.add(fd);
    this.kernel.watch(fd, () => this.serve(fd));
  }

  /** A connection's one request, or its hang-up. */
  private serve(conn: number): void {
    // Only the request is read from a connection: later readiness is its end.
    this.kernel.unwatch(conn);
    const n = native.recv(conn, this.buf, this.buf.length, this.fds, 3, this.nfds);
    const received = Array.from(this.fds.subarray(0, this.nfds[0]!));
    try {
      if (n <= 0) return this.hangUp(conn);
      const req = controlCodec.decodeRequest(this.buf.subarray(0, n));
      this.handle(conn, req, received);
    } catch (e) {
      this.reply(conn, failure(e));
      this.hangUp(conn);
    } finally {
      for (const fd of received) closeQuietly(fd);
    }
  }

  private handle(conn: number, req: ControlRequest, fds: number[]): void {
    if ('start' in req && req.start) {
      this.h.startMain({ started: (pid) => { this.reply(conn, { pid }); this.hangUp(conn); } });
      return;
    }
    if ('shutdown' in req && req.shutdown) {
      this.reply(conn, { message: 'ending' });
      this.hangUp(conn);
      this.h.shutdown();
      return;
    }
    if ('changes' in req && req.changes) {
      if (fds.length !== 1) throw new SysErr(E.EINVAL, 'a Changes request takes one fd');
      this.h.changes(fds[0]!, req.changes.tar ?? false);
      // Not empty: an empty SEQPACKET message reads as the end of the stream.
      this.reply(conn, { message: 'written' });
      this.hangUp(conn);
      return;
    }
    if (!('exec' in req) || !req.exec?.process) throw new SysErr(E.EINVAL, 'control request');
    const config = req.exec.process;
    const spec = toProcessSpec(config);
    let stdio: Stdio;
    let master = -1;
    if (config.terminal) {
      const pty = this.h.devpts.openPty();
      master = pty.master;
      if (config.consoleSize) native.setWinsize(pty.master, config.consoleSize.height, config.consoleSize.width);
      stdio = { fds: [pty.slave, pty.slave, pty.slave], tty: true };
      fds.push(pty.slave);
    } else {
      if (fds.length !== 3) throw new SysErr(E.EINVAL, 'an exec without a terminal takes three fds');
      stdio = { fds: [fds[0]!, fds[1]!, fds[2]!], tty: false };
    }
    try {
      this.kernel.launch(spec, stdio, {
        started: (pid) => { this.reply(conn, { pid }, master); closeQuietly(master); },
        exited: (status) => { this.reply(conn, exitResponse(status)); this.hangUp(conn); },
      }, { main: false });
    } catch (e) {
      if (master >= 0) closeQuietly(master);
      throw e;
    }
    // Watched again only to see the runtime hang up before the process ends.
    this.kernel.watch(conn, () => this.hangUp(conn));
  }

  private reply(conn: number, r: ControlResponse, fd = -1): void {
    if (!this.open.has(conn)) return;
    const bytes = controlCodec.encodeResponse(r);
    const sent = native.send(conn, bytes, bytes.length, fd >= 0 ? Int32Array.of(fd) : null, fd >= 0 ? 1 : 0);
    if (sent < 0) this.h.log.warn({ errno: errnoName(-sent) }, 'control: the runtime hung up before its answer');
  }

  private hangUp(conn: number): void {
    if (!this.open.delete(conn)) return;
    this.kernel.unwatch(conn);
    closeQuietly(conn);
  }
}

function exitResponse(s: ExitStatus): ControlResponse {
  return 'code' in s ? { exited: true, code: s.code } : { exited: true, signal: s.signal };
}

function failure(e: unknown): ControlResponse {
  if (e instanceof CommandNotFound) return { errno: E.ENOENT, message: e.message, notFound: true };
  if (e instanceof SysErr) return { errno: e.errno, message: e.message };
  return { errno: E.EIO, message: (e as Error).message };
}

/** A listening SOCK_SEQPACKET socket bound at `path`. */
function listenAt(path: string): number {
  const fd = libcCalls.socket(1 /* AF_UNIX */, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw new Error('control socket: socket failed');
  try {
    bindUnix(fd, textName(path));
    if (libcCalls.listen(fd, 16) < 0) throw new Error('listen failed');
  } catch (e) {
    closeQuietly(fd);
    throw new Error(`control socket: cannot listen at ${path}: ${(e as Error).message}`);
  }
  return fd;
}
