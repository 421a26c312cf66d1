// The sandbox's control socket (a listening SOCK_SEQPACKET socket in the
// container's state directory): the runtime's start and exec reach the
// running sandbox through it. Connections are served from the kernel's own
// event loop (Kernel.watch), one request each; an exec's connection stays
// open and gets the process's end.
import { unlinkSync, writeSync } from 'node:fs';
import { E, errnoName, SysErr } from '../abi/errno.js';
import { closeQuietly } from '../host/fd.js';
import { libcCalls, native } from '../host/native.js';
import { listenAt } from '../host/sockets.js';
import type { Kernel } from '../kernel/kernel.js';
import { CommandNotFound, type ExitStatus, type LaunchHooks, type Stdio } from '../kernel/launch.js';
import type { Log } from '../log.js';
import { goferAttaches, spawnGofer } from '../fs/gofer/spawn.js';
import type { Container, GoferRef } from '../kernel/container.js';
import { goferRef, type Pod } from '../pod.js';
import { dupFd } from '../host/fd.js';
import { type ControlRequest, type ControlResponse, controlCodec } from './codec.js';
import { type ContainerConfig, type ProcessConfig, toProcessSpec } from './process.js';

export interface ControlHandlers {
  /** Starts the sandbox's own container's process (once). */
  startMain(hooks: LaunchHooks): void;
  /** Ends the sandbox (Shutdown): its processes are killed, and the kernel's run returns. */
  shutdown(): void;
  /** Writes the root overlay's changes to fd: JSON, or an OCI layer tar. */
  changes(fd: number, tar: boolean): void;
  /** The sandbox's mount tree, which containers join. */
  pod: Pod;
  /** Containers are expected to join (the sandbox of a pod): keep a gofer started ahead for the next. */
  podSandbox: boolean;
  /**
   * A pod's warm command line (src/oci/warm.ts): the socket it listens on, and how to start one with the listening
   * socket (it is started again each time one exits 0, having served a command).
   */
  warm?: { socket: string; start(listenFd: number): number };
  /** How long a request to a container's gofer may wait for its answer (GoferDeadline). */
  goferDeadlineMs: number;
  log: Log;
}

/** A container added to the pod whose process waits for Start: its process and stdio (the server's copies). */
interface Waiting { process: ProcessConfig; stdio: Stdio; closeFds: number[] }

const SOCK_CLOEXEC = 0o2000000;
const MAX_REQUEST = 512 * 1024;

export class ControlServer {
  private readonly listenFd: number;
  private readonly open = new Set<number>();
  private readonly buf = new Uint8Array(MAX_REQUEST);
  /** The most fds a request carries: CreateContainer's stdio and the socket its end is told on. */
  private readonly fds = new Int32Array(4);
  private readonly nfds = new Int32Array(1);
  private readonly waiting = new Map<Container, Waiting>();
  /**
   * A gofer started ahead for the pod's next container, told what to serve
   * when it joins: a Node start-up is most of a gofer's cost, and the sentry
   * would wait for it on its first request.
   */
  private spare: GoferRef | null;
  /** The warm command line's listening socket (-1: none, or no longer): accepted by it, not by the sentry. */
  private warmListenFd = -1;

  constructor(private readonly kernel: Kernel, private readonly path: string, private readonly h: ControlHandlers) {
    this.listenFd = listenAt(path);
    kernel.watch(this.listenFd, () => this.accept());
    this.spare = h.podSandbox ? this.startGofer() : null;
    // Blocking: the warm command line waits in accept; the sentry never reads it. A front end that comes before the
    // first one has started waits in the backlog.
    if (h.warm) this.warmListenFd = listenAt(h.warm.socket, false);
  }

  /** Once the sandbox is up (create has returned): its start-up does not compete with the sandbox's. */
  startWarmCommandLine(): void {
    if (this.h.warm && this.warmListenFd >= 0) this.startWarm(this.h.warm);
  }

  close(): void {
    // A gofer not yet told what to serve ends quietly when the sentry hangs up.
    this.spare?.client.close();
    this.spare = null;
    this.closeWarm();
    for (const fd of this.open) closeQuietly(fd);
    this.kernel.unwatch(this.listenFd);
    closeQuietly(this.listenFd);
    try { unlinkSync(this.path); } catch { /* the runtime's delete removed the directory */ }
  }

  /**
   * Starts the pod's warm command line. One that served a command exits 0 and is replaced; any other end closes the
   * socket, so that the front end (native/front.c) finds nothing there and runs the Node command line.
   */
  private startWarm(warm: NonNullable<ControlHandlers['warm']>): void {
    let pid: number;
    try {
      pid = warm.start(this.warmListenFd);
    } catch (e) {
      this.h.log.error({ err: (e as Error).message }, 'cannot start the warm command line');
      return this.closeWarm();
    }
    this.kernel.watchChild(pid, (status) => {
      if (this.warmListenFd < 0) return;
      if ('code' in status && status.code === 0) return this.startWarm(warm);
      this.h.log.error({ pid, status }, 'the warm command line ended without serving: joins go through Node');
      this.closeWarm();
    });
  }

  private closeWarm(): void {
    if (this.warmListenFd < 0) return;
    closeQuietly(this.warmListenFd);
    this.warmListenFd = -1;
    try { unlinkSync(this.h.warm!.socket); } catch { /* the runtime's delete removed the directory */ }
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
    const n = native.recv(conn, this.buf, this.buf.length, this.fds, this.fds.length, this.nfds);
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
      const started = (pid: number) => { this.reply(conn, { pid }); this.hangUp(conn); };
      if (!req.start.containerId || this.container(req.start.containerId) === this.kernel.sandboxContainer) {
        this.h.startMain({ started });
      } else {
        this.startContainer(this.container(req.start.containerId), started);
      }
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
    if ('createContainer' in req && req.createContainer) return this.createContainer(conn, req.createContainer, fds);
    if ('deleteContainer' in req && req.deleteContainer) {
      this.deleteContainer(this.container(req.deleteContainer.containerId));
      this.reply(conn, { message: 'deleted' });
      return this.hangUp(conn);
    }
    if ('processes' in req && req.processes) {
      const c = this.container(req.processes.containerId);
      this.reply(conn, { pids: [...this.kernel.containerProcesses(c)].map((tg) => tg.tgid) });
      return this.hangUp(conn);
    }
    if (!('exec' in req) || !req.exec?.process) throw new SysErr(E.EINVAL, 'control request');
    const container = req.exec.containerId ? this.container(req.exec.containerId) : this.kernel.sandboxContainer;
    const config = req.exec.process;
    const { stdio, master } = this.stdioOf(container, config, fds);
    try {
      this.kernel.launch(toProcessSpec(config), stdio, {
        started: (pid) => { this.reply(conn, { pid }, master); closeQuietly(master); },
        exited: (status) => { this.reply(conn, exitResponse(status)); this.hangUp(conn); },
      }, { main: false, container });
    } catch (e) {
      if (master >= 0) closeQuietly(master);
      throw e;
    }
    // Watched again only to see the runtime hang up before the process ends.
    this.kernel.watch(conn, () => this.hangUp(conn));
  }

  private container(id: string): Container {
    const c = this.kernel.containers.get(id);
    if (!c) throw new SysErr(E.ESRCH, `no container ${id} in this sandbox`);
    return c;
  }

  /** A new process's stdio: a pty of the container's devpts (its master for the runtime), or the three fds sent (kept in `fds`, closed by the caller). */
  private stdioOf(c: Container, config: ProcessConfig, fds: number[]): { stdio: Stdio; master: number } {
    if (config.terminal) {
      const pty = c.devpts.openPty();
      if (config.consoleSize) native.setWinsize(pty.master, config.consoleSize.height, config.consoleSize.width);
      fds.push(pty.slave);
      return { stdio: { fds: [pty.slave, pty.slave, pty.slave], tty: true }, master: pty.master };
    }
    if (fds.length !== 3) throw new SysErr(E.EINVAL, 'a process without a terminal takes three fds');
    return { stdio: { fds: [fds[0]!, fds[1]!, fds[2]!], tty: false }, master: -1 };
  }

  /**
   * A container joins the pod: its gofer (the sentry's child, so the
   * kernel sees it die), its tree under the hidden directory, its process
   * waiting for Start. Its end is told on the last fd received (the
   * waiter's socket), not on the connection, which closes once it is made.
   */
  private createContainer(conn: number, req: { containerId: string; spec: string; sharePidNamespace?: boolean }, fds: number[]): void {
    if (this.kernel.containers.has(req.containerId)) throw new SysErr(E.EEXIST, `container ${req.containerId}`);
    const spec = JSON.parse(req.spec) as ContainerConfig;
    if (fds.length !== (spec.process.terminal ? 1 : 4)) {
      throw new SysErr(E.EINVAL, 'a container takes its stdio (none with a terminal) and the socket its end is told on');
    }
    // Taken from the received fds, which are closed after the request: the container's end closes it.
    const exitFd = fds.pop()!;
    let master: number;
    try {
      master = this.addContainer(req, spec, fds, exitFd);
    } catch (e) {
      closeQuietly(exitFd);
      throw e;
    }
    // Not empty: an empty SOCK_SEQPACKET message reads as the sandbox hanging up.
    this.reply(conn, { message: 'created' }, master);
    if (master >= 0) closeQuietly(master);
    this.hangUp(conn);
    // After the answer: the next container's gofer starts while this one's create goes on.
    if (this.h.podSandbox) this.spare ??= this.startGofer();
  }

  /** A gofer the kernel watches (it kills it with the sandbox, and ends the containers it serves if it dies). */
  private startGofer(): GoferRef {
    const gofer = goferRef(spawnGofer(), this.h.goferDeadlineMs, this.h.log);
    this.kernel.watchGofer(gofer);
    return gofer;
  }

  /** Returns the master of the container's pty (-1 without a terminal), the caller's to send and close. */
  private addContainer(req: { containerId: string; sharePidNamespace?: boolean }, spec: ContainerConfig, fds: number[],
      exitFd: number): number {
    const gofer = this.spare ?? this.startGofer();
    this.spare = null;
    let container: Container;
    let master = -1;
    try {
      gofer.client.attach(goferAttaches(spec));
      const pidGroup = req.sharePidNamespace ? this.kernel.sandboxContainer.pidGroup : req.containerId;
      let pty: { master: number; slave: number; index: number } | null = null;
      container = this.h.pod.mountContainer(req.containerId, spec, gofer, pidGroup,
        (devpts) => (pty = spec.process.terminal ? devpts.openPty() : null)).container;
      const tty = pty as { master: number; slave: number } | null;
      if (tty) {
        master = tty.master;
        fds.push(tty.slave);
        if (spec.process.consoleSize) native.setWinsize(tty.master, spec.process.consoleSize.height, spec.process.consoleSize.width);
      }
      container.cgroupProcs = spec.cgroupProcs ?? [];
      this.kernel.addContainer(container);
      this.h.pod.sealContainer(container, spec);
    } catch (e) {
      gofer.client.close();
      this.kernel.platform.kill(gofer.pid, 9);
      if (master >= 0) closeQuietly(master);
      throw e;
    }
    // The received fds (and the pty's slave) are closed after this request: the container keeps copies until Start.
    const given = master >= 0 ? [fds.at(-1)!, fds.at(-1)!, fds.at(-1)!] : fds;
    const copy = new Map([...new Set(given)].map((fd) => [fd, dupFd(fd)]));
    this.waiting.set(container, {
      process: spec.process, stdio: { fds: given.map((fd) => copy.get(fd)!) as [number, number, number], tty: master >= 0 },
      closeFds: [...copy.values()],
    });
    container.onEnd.push((s) => {
      try { writeSync(exitFd, Uint8Array.of(exitCode(s))); } catch { /* the waiter was killed */ }
      closeQuietly(exitFd);
    });
    return master;
  }

  private startContainer(c: Container, started: (pid: number) => void): void {
    const w = this.waiting.get(c);
    if (!w) throw new SysErr(E.EEXIST, `container ${c.id} has started already`);
    this.kernel.launch(toProcessSpec(w.process), w.stdio, { started }, { main: false, container: c, containerInit: true });
    this.waiting.delete(c);
    for (const fd of w.closeFds) closeQuietly(fd);
  }

  private deleteContainer(c: Container): void {
    if (c === this.kernel.sandboxContainer) throw new SysErr(E.EINVAL, 'the sandbox\'s own container ends with the sandbox');
    this.kernel.killContainer(c);
    c.ended({ signal: 9, core: false });
    const w = this.waiting.get(c);
    if (w) for (const fd of w.closeFds) closeQuietly(fd);
    this.waiting.delete(c);
    this.kernel.containers.delete(c.id);
    for (const g of this.h.pod.unmountContainer(c)) {
      g.client.close();
      this.kernel.platform.kill(g.pid, 9);
    }
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

/** The code a waiter exits with for a process that ended so (a shell's \$?). */
function exitCode(s: ExitStatus): number {
  return 'code' in s ? s.code & 0xff : 128 + s.signal;
}

function exitResponse(s: ExitStatus): ControlResponse {
  return 'code' in s ? { exited: true, code: s.code } : { exited: true, signal: s.signal };
}

function failure(e: unknown): ControlResponse {
  if (e instanceof CommandNotFound) return { errno: E.ENOENT, message: e.message, notFound: true };
  if (e instanceof SysErr) return { errno: e.errno, message: e.message };
  return { errno: E.EIO, message: (e as Error).message };
}
