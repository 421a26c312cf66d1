// The kernel: follows the guests' process tree and serves their traps.
import { writeFileSync } from 'node:fs';
import type { Log } from '../log.js';
import { EV, type Platform, type StopHooks, type TrapEvent } from '../platform/platform.js';
import type { MountNamespace, VfsPath } from '../vfs/mount.js';
import { closeQuietly, dupFd, openFifoBothWays } from '../host/fd.js';
import { libcCalls, native } from '../host/native.js';
import { E, errnoName, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { FileDescription, FileRegistry, isOutOfFds } from './files.js';
import { calls, holders, type Inode } from '../vfs/inode.js';
import { LockProxies } from './locks.js';
import { PeerCredentials } from './peers.js';
import { IpcObjects } from './ipc.js';
import { Zombies } from './zombies.js';
import { Inotify } from './inotify.js';
import { FsContext, nsIdOf, Task, ThreadGroup } from './task.js';
import { type CallFormatter, PASS, type Reply, RESUMED, type SyscallTable, type TracedCall } from './syscalls.js';
import type { SandboxProc } from '../host/sandbox-proc.js';
import type { Filesystem } from '../vfs/inode.js';
import { encodeLaunch, type ExitStatus, findProgram, type LaunchHooks, type PendingLaunch, type ProcessSpec,
  type Stdio } from './launch.js';
import { resolve } from '../vfs/walk.js';
import type { Container, GoferRef } from './container.js';

export type { ExitStatus };

const CLONE_FS = 0x200;
const CLONE_THREAD = 0x10000;
const SIGKILL = 9;
const SIGTRAP = 5;

export interface KernelOptions {
  platform: Platform;
  ns: MountNamespace;
  table: SyscallTable;
  log: Log;
  /** With --strace: how each trapped call is shown. */
  strace: CallFormatter | null;
  /** The root of the sentry's tree (init's): the hidden directory of the containers' roots is in it. */
  root: VfsPath;
  initPid: number;
  /** The sentry's end of init's request socket (launch). */
  initCtl: number;
  /** The kernel's proc of the sandbox's pid namespace. */
  proc: SandboxProc;
  /** A new filesystem of a type the sandbox may mount (mount(2)), from its data string. */
  makeFilesystem: (type: string, data: string, container: Container | null) => Filesystem;
}

export class Kernel {
  readonly tasks = new Map<number, Task>();
  readonly files: FileRegistry;
  readonly locks = new LockProxies();
  /** Who the peer of a unix socket is in the sandbox (SO_PEERCRED). */
  readonly peers = new PeerCredentials(process.pid, this.tasks, () => `/proc/${this.initPid}/ns/net`);
  /** The sandbox's System V IPC objects' owners (syscalls/ipc.ts). */
  readonly ipc = new IpcObjects(() => `/proc/${this.initPid}/ns/ipc`);
  /** Processes that ended and that their parent has not waited for, which Linux still finds by pid. */
  readonly zombies = new Zombies();
  readonly platform: Platform;
  readonly ns: MountNamespace;
  readonly log: Log;
  readonly proc: SandboxProc;
  readonly makeFilesystem: (type: string, data: string, container: Container | null) => Filesystem;
  private readonly table: SyscallTable;
  private readonly strace: CallFormatter | null;
  private readonly root: VfsPath;
  private readonly initPid: number;
  private readonly initCtl: number;
  /** Launches asked of init, in order, whose fork has not come yet. */
  private readonly launches: PendingLaunch[] = [];
  /** Processes started by launch, by thread group id: told of their end. */
  private readonly launched = new Map<number, LaunchHooks>();
  /** Fds watched for the sentry's own use (control connections): what to do when one is readable. */
  private readonly watchers = new Map<number, () => void>();
  /** New tasks whose first stop came before their parent's clone event. */
  private readonly earlyStops = new Set<number>();
  /** New tasks whose first stop has not come yet. */
  private readonly awaitingFirstStop = new Set<number>();
  private mainTgid = 0;
  private mainStatus: ExitStatus | null = null;
  /** pidfds of host processes (the gofer) whose death ends the sandbox. */
  private readonly critical = new Set<number>();
  /** The containers of the sandbox, by id; the first is the sandbox's own (whose end ends the sandbox). */
  readonly containers = new Map<string, Container>();
  /** The sentry's own child processes (the gofers of a pod's containers, its warm command line): what their end does. */
  private readonly children = new Map<number, (status: ExitStatus) => void>();
  /** Tasks whose FIFO open waits on a thread: an O_PATH fd of that FIFO. */
  private readonly waitingOpens = new Map<number, number>();
  /** Tasks whose lock call waits on a thread: its handle. */
  private readonly waitingLocks = new Map<number, number>();
  /** The sandbox place of each host FIFO the sandbox opened ("dev:ino"), for fstat of the fds it gave. */
  readonly fifos = new Map<string, VfsPath>();
  /** The sandbox's inotify instances (and the host inotify behind them). */
  readonly inotify = new Inotify({
    watch: (fd, f) => this.watch(fd, f), unwatch: (fd) => this.unwatch(fd), dropUnheld: (which) => this.files.dropUnheld(which),
  });

  constructor(o: KernelOptions) {
    this.platform = o.platform;
    this.ns = o.ns;
    this.table = o.table;
    this.log = o.log;
    this.strace = o.strace;
    this.root = o.root;
    this.initPid = o.initPid;
    this.initCtl = o.initCtl;
    this.proc = o.proc;
    this.makeFilesystem = o.makeFilesystem;
    this.files = new FileRegistry(() => this.threadGroups(), (d) => {
      this.locks.dropDescription(d);
      this.inotify.lastClose(d);
    }, o.root.mount.fs.emptyDir);
    holders.inodes = () => this.heldInodes();
  }

  /** The inodes held beyond a call: cwds, roots, open descriptions' files, mount roots, the cwds of processes being launched. */
  private *heldInodes(): Iterable<Inode> {
    for (const t of this.tasks.values()) { yield t.fs.cwd.inode; yield t.fs.root.inode; }
    for (const m of this.ns.all()) yield m.root;
    yield* this.files.inodes();
    for (const l of this.launches) yield l.cwd.inode;
  }

  /** Ends the sandbox (as SIGKILL ends a process) when the process of `pidfd` dies: it need not be the sentry's child. */
  watchCritical(pidfd: number, what: string): void {
    this.critical.add(pidfd);
    this.watch(pidfd, () => {
      this.log.error({ what }, `${what} died: stopping the sandbox`);
      this.unwatch(pidfd);
      this.critical.delete(pidfd);
      this.mainStatus = { signal: SIGKILL, core: false };
    });
  }

  /** A gofer serving containers of a pod: if it dies, the containers using it end, and no other. */
  watchGofer(g: GoferRef): void {
    this.watchChild(g.pid, () => {
      for (const c of g.users) {
        if (!c.status) this.log.error({ pid: g.pid, container: c.id }, 'a gofer died: ending the containers it served');
        this.killContainer(c);
        c.ended({ signal: SIGKILL, core: false });
      }
    });
  }

  /** A child process of the sentry: `ended` runs when it ends; the sandbox's end kills it. */
  watchChild(pid: number, ended: (status: ExitStatus) => void): void { this.children.set(pid, ended); }

  addContainer(c: Container): void {
    if (this.containers.has(c.id)) throw new SysErr(E.EEXIST, `container ${c.id}`);
    this.containers.set(c.id, c);
  }

  /** The sandbox's own container (the pod's first). */
  get sandboxContainer(): Container { return this.containers.values().next().value!; }

  /** The thread groups of container `c`. */
  *containerProcesses(c: Container): Iterable<ThreadGroup> {
    for (const tg of this.threadGroups()) if (tg.container === c) yield tg;
  }

  /** Kills every process of container `c` (its first process's death, its gofer's, its deletion). */
  killContainer(c: Container): void {
    // A launch of the container whose fork is not seen yet is killed when it is (startLaunched).
    for (const t of this.tasks.values()) if (t.tg.container === c) this.platform.kill(t.tid, SIGKILL);
  }

  /** The sandbox's own view of its tree (init's: the sandbox's root). */
  rootView(): { ns: MountNamespace; root: VfsPath } { return { ns: this.ns, root: this.root }; }

  /**
   * Starts a new process of the sandbox with `stdio` (the host fds are
   * the caller's to close). Throws CommandNotFound or a SysErr (the cwd)
   * before anything starts; hooks.started follows when the fork is seen.
   */
  launch(spec: ProcessSpec, stdio: Stdio, hooks: LaunchHooks,
      opts: { main: boolean; container?: Container; containerInit?: boolean }): void {
    const container = opts.container ?? this.sandboxContainer;
    if (container.status) throw new SysErr(E.ESRCH, `container ${container.id} has ended`);
    const actor = { ns: this.ns, root: container.root, creds: spec.creds, tid: null };
    const cwd = resolve(actor, container.root, spec.cwd, { followFinal: true });
    cwd.inode.pin();
    const program = findProgram(actor, cwd, spec.argv[0] ?? '', spec.env);
    const request = encodeLaunch(program, spec, stdio.tty);
    const sent = native.send(this.initCtl, request, request.length, Int32Array.from(stdio.fds), 3);
    if (sent < 0) throw new SysErr(-sent, 'asking init for a new process');
    this.launches.push({ spec, cwd, hooks, main: opts.main, container, containerInit: opts.containerInit ?? opts.main });
  }

  /** Calls `onReadable` from the event loop whenever `fd` is readable or hung up. */
  watch(fd: number, onReadable: () => void): void {
    this.watchers.set(fd, onReadable);
    this.platform.watch(fd);
  }

  unwatch(fd: number): void {
    this.watchers.delete(fd);
    this.platform.unwatch(fd);
  }

  *threadGroups(): Iterable<ThreadGroup> {
    const seen = new Set<ThreadGroup>();
    for (const t of this.tasks.values()) if (!seen.has(t.tg)) { seen.add(t.tg); yield t.tg; }
  }

  /** Serves the guests until the main process exits (or init, before there is one); returns its status. */
  run(): ExitStatus {
    for (;;) {
      const ev = this.platform.next();
      if (!ev) break;
      this.handle(ev);
      if (this.mainStatus) break;
    }
    return this.mainStatus ?? { code: 125 };
  }

  /** Kills every guest (init's death takes its pid namespace with it) and reaps them. */
  shutdown(): void {
    this.platform.kill(this.initPid, SIGKILL);
    for (const t of this.tasks.values()) this.platform.kill(t.tid, SIGKILL);
    for (const pidfd of this.critical) libcCalls.pidfdSendSignal(pidfd, SIGKILL, null, 0);
    for (const pid of this.children.keys()) this.platform.kill(pid, SIGKILL);
    for (let ev = this.platform.wait(); ev; ev = this.platform.wait()) {
      if (ev.kind !== EV.EXITED && ev.kind !== EV.SIGNALED) this.platform.kill(ev.pid, SIGKILL);
    }
    for (const t of this.tasks.values()) t.release();
    this.tasks.clear();
    this.peers.close();
    this.ipc.close();
  }

  private handle(ev: TrapEvent): void {
    calls.next();
    switch (ev.kind) {
      case EV.SECCOMP: case EV.NOTIF: return this.trap(ev);
      case EV.FORK: case EV.VFORK: case EV.CLONE: return this.cloned(ev);
      case EV.STOP: return this.stopped(ev);
      case EV.SIGNAL: return this.signalStop(ev);
      case EV.EXEC: return this.platform.resume(ev.pid);
      case EV.EXITED: case EV.SIGNALED: return this.exited(ev);
      case EV.SYSCALL_ENTRY: case EV.SYSCALL_EXIT: return this.platform.resume(ev.pid);
      case EV.FD: return this.watchers.get(ev.aux)?.();
      // A gofer stopped from outside: nothing to do until it is asked something (its deadline, GoferClient).
      case EV.CHILD_STOP: return this.log.warn({ pid: ev.pid, signal: ev.status }, 'a child of the sentry was stopped');
    }
  }

  private trap(ev: TrapEvent): void {
    if (ev.kind === EV.SECCOMP && !this.table.tracedBySentry(ev)) {
      // A guest's own filter's RET_TRACE: with no tracer of its own, Linux's answer.
      this.platform.answer(ev.pid, -E.ENOSYS);
      return;
    }
    if (this.waitingOpens.size) this.endWaitingOpen(ev.pid, false);
    this.waitingLocks.delete(ev.pid);
    const t = this.tasks.get(ev.pid);
    if (!t) {
      this.log.warn({ pid: ev.pid, nr: ev.nr }, 'trap from an unknown task');
      if (ev.kind === EV.NOTIF) this.platform.reply(ev, -E.ENOSYS);
      else this.platform.answer(ev.pid, -E.ENOSYS);
      return;
    }
    const entry = this.table.entries.get(ev.nr);
    const call = this.strace ? this.strace(t, ev, entry) : null;
    let reply: Reply;
    try {
      reply = entry ? entry.handler(t, ev, this) : this.unimplemented(ev);
    } catch (e) {
      if (e instanceof SysErr) {
        reply = -e.errno;
        // Out of fds: the copies no guest holds go now, so the next call has room (the sweep waits otherwise).
        if (isOutOfFds(e)) this.files.sweep();
      } else {
        this.log.error({ err: e, syscall: this.table.name(ev.nr), tid: t.tid }, 'handler failed');
        reply = -E.EIO;
      }
    }
    this.reply(t, ev, call, reply);
  }

  private unimplemented(ev: TrapEvent): Reply {
    this.log.warn({ syscall: this.table.name(ev.nr) }, 'unimplemented system call: ENOSYS');
    return -E.ENOSYS;
  }

  private reply(t: Task, ev: TrapEvent, call: TracedCall | null, reply: Reply): void {
    const notified = ev.kind === EV.NOTIF;
    let shown: string;
    if (typeof reply === 'number') {
      if (notified) this.platform.reply(ev, reply);
      else this.platform.answer(t.tid, reply);
      // Formatted for --strace only: most calls end here.
      if (!call) return;
      shown = reply < 0 && reply > -4096 ? `-1 ${errnoName(-reply)}` : String(reply);
    } else if (reply === RESUMED) {
      if (notified) throw new Error('a notified call cannot be resumed by its handler');
      shown = '(resumed)';
    } else if (reply === PASS) {
      if (notified) this.platform.pass(ev);
      else this.platform.resume(t.tid);
      shown = '(host)';
    } else if ('give' in reply) {
      shown = String(this.giveFd(t, ev, reply.give, reply.cloexec));
    } else if ('pathFd' in reply) {
      shown = this.openWaiting(t, ev, reply.pathFd, reply.flags, reply.cloexec);
    } else if ('lockFd' in reply) {
      shown = this.lockWaiting(t, ev, reply.lockFd, reply.op, reply.flock);
    } else {
      shown = String(this.installFd(t, ev, reply.description, reply.cloexec, reply.controlling ?? false));
    }
    if (call) this.log.info({ tid: t.tid, syscall: call.name, args: call.args, result: shown }, `${call.name}(${call.args.join(', ')}) = ${shown}`);
  }

  /**
   * Puts a new description into the guest as the result of the trapped call;
   * `controlling`: a pty slave the caller takes as its controlling terminal if it may.
   */
  private installFd(t: Task, ev: TrapEvent, d: FileDescription, cloexec: boolean, controlling: boolean): number {
    this.files.add(d);
    if ((d.flags & O.PATH || controlling) && ev.kind === EV.NOTIF) {
      const hooks = this.stopHooks(t);
      const fd = d.flags & O.PATH ? this.platform.replyPathFd(ev, d.hostFd, cloexec, hooks) :
        this.platform.replyTerminalFd(ev, d.hostFd, cloexec, hooks);
      if (fd >= 0) t.tg.fdHints.set(fd, d);
      return fd;
    }
    let fd: number;
    try {
      fd = ev.kind === EV.NOTIF ? this.platform.replyFd(ev, d.hostFd, cloexec) : this.injectFd(t, d.hostFd, cloexec);
    } catch (e) {
      if (e instanceof SysErr) return -e.errno;
      throw e;
    }
    if (fd >= 0) t.tg.fdHints.set(fd, d);
    // ENOENT: the task was killed meanwhile; anything else, it still waits for an answer.
    else if (ev.kind === EV.NOTIF && fd !== -E.ENOENT) this.platform.reply(ev, fd);
    return fd;
  }

  /**
   * At a ptrace stop: the fd as the call's result (or the errno a guest's own
   * filter gave the marker), with the caller's other registers as they were;
   * signals that stop the task meanwhile are held, then sent (StopHooks).
   */
  private injectFd(t: Task, hostFd: number, cloexec: boolean): number {
    return this.platform.injectFd(t.tid, hostFd, cloexec, this.stopHooks(t));
  }

  /** Puts a host fd into the guest as the call's result, keeping no description of it. */
  private giveFd(t: Task, ev: TrapEvent, hostFd: number, cloexec: boolean): number {
    if (ev.kind === EV.NOTIF) return this.platform.giveFd(ev, hostFd, cloexec);
    try {
      return this.injectFd(t, hostFd, cloexec);
    } catch (e) {
      if (e instanceof SysErr) return -e.errno;
      throw e;
    } finally {
      closeQuietly(hostFd);
    }
  }

  /**
   * An open that waits for a FIFO's peer runs on a thread that answers the
   * call. The sentry keeps the FIFO's O_PATH fd until the task's next call
   * (the open is done by then); if the task dies waiting, the sentry opens
   * the FIFO both ways for a moment, which ends the wait, and the thread's
   * answer finds no one.
   */
  private openWaiting(t: Task, ev: TrapEvent, pathFd: number, flags: number, cloexec: boolean): string {
    if (ev.kind !== EV.NOTIF) { closeQuietly(pathFd); throw new Error('a waiting open must be a notified call'); }
    const mine = dupFd(pathFd);
    const r = this.platform.openWaiting(ev, pathFd, flags, cloexec);
    if (r < 0) {
      closeQuietly(pathFd);
      closeQuietly(mine);
      this.platform.reply(ev, r);
      return `-1 ${errnoName(-r)}`;
    }
    this.waitingOpens.set(t.tid, mine);
    return '(waiting)';
  }

  /** The task made another call or died: its waiting open is over, or must be ended. */
  private endWaitingOpen(tid: number, died: boolean): void {
    const fd = this.waitingOpens.get(tid);
    if (fd === undefined) return;
    this.waitingOpens.delete(tid);
    if (died) closeQuietly(openFifoBothWays(fd));
    closeQuietly(fd);
  }

  /**
   * A lock call that waits runs on a thread that answers the call. If the
   * task dies meanwhile, the wait is cancelled (and a lock it got undone).
   */
  private lockWaiting(t: Task, ev: TrapEvent, fd: number, op: number, flock: Uint8Array | null): string {
    if (ev.kind !== EV.NOTIF) throw new Error('a waiting lock must be a notified call');
    const r = this.platform.lockWaiting(ev, fd, op, flock);
    if (r < 0) {
      this.platform.reply(ev, r);
      return `-1 ${errnoName(-r)}`;
    }
    this.waitingLocks.set(t.tid, r);
    return '(waiting)';
  }

  private cloned(ev: TrapEvent): void {
    const child = ev.msg;
    if (ev.pid === this.initPid) {
      this.startLaunched(child);
    } else {
      const parent = this.tasks.get(ev.pid);
      if (!parent) {
        this.log.warn({ pid: ev.pid, child }, 'clone from an unknown task');
      } else {
        const flags = ev.kind === EV.CLONE ? ev.uint(0) : 0;
            const thread = (flags & CLONE_THREAD) !== 0;
        const nsPid = thread ? parent.tg.nsPid : nsIdOf(child);
        if (!thread) this.zombies.forget(nsPid);
        this.tasks.set(child, parent.clone(child, nsPid, { thread, shareFs: (flags & CLONE_FS) !== 0 }));
      }
    }
    this.platform.resume(ev.pid);
    if (this.earlyStops.delete(child)) this.platform.resume(child);
    else this.awaitingFirstStop.add(child);
  }

  /** Init forked for the oldest launch: the new task is what the launch asked for. */
  private startLaunched(child: number): void {
    const launch = this.launches.shift();
    if (!launch) {
      // Init forks only when asked: anything else is not a guest of this kernel.
      this.log.error({ child }, 'init forked unasked: killing the child');
      this.platform.kill(child, SIGKILL);
      return;
    }
    const { spec, cwd, hooks, main, container, containerInit } = launch;
    const tg = new ThreadGroup(child, nsIdOf(child), null);
    this.zombies.forget(tg.nsPid);
    tg.container = container;
    this.tasks.set(child, new Task(child, tg, new FsContext(container.root, cwd, spec.umask), spec.creds, this.ns, this.platform));
    if (container.status) this.platform.kill(child, SIGKILL);
    this.enterCgroup(child, container);
    if (containerInit) container.initTgid = child;
    for (const l of spec.rlimits) {
      if (libcCalls.prlimit(child, l.resource, BigUint64Array.of(l.soft, l.hard), null) < 0) {
        this.log.warn({ child, resource: l.resource }, 'setting a resource limit of a new process failed');
      }
    }
    if (main) this.mainTgid = child;
    this.launched.set(child, hooks);
    hooks.started?.(child);
  }

  /**
   * A signal-delivery stop: the signal goes in. A call the sentry serves by
   * notification that the signal interrupted before the sentry read it
   * would fail with EINTR under a handler without SA_RESTART, where Linux,
   * which never interrupts a stat or a mkdir, would have served it: it
   * restarts after the handler instead, as if the signal had come just
   * before it. (Once read, a call waits killably: WAIT_KILLABLE_RECV.)
   */
  private signalStop(ev: TrapEvent): void {
    const call = this.platform.interruptedCall(ev.pid);
    if (call && this.table.restartsAfterSignal(call.nr, call.args)) {
      try { this.platform.restartAfterHandler(ev.pid); } catch { /* gone: its death comes next */ }
    }
    this.platform.resume(ev.pid, ev.status);
  }

  /**
   * Moves a process the container launched into the container's cgroup,
   * before it runs (its children follow it there). One that cannot go there
   * is killed: it would run outside the container's limits.
   */
  private enterCgroup(child: number, container: Container): void {
    for (const procs of container.cgroupProcs) {
      try {
        writeFileSync(procs, String(child));
      } catch (e) {
        this.log.error({ child, container: container.id, err: (e as Error).message }, 'cannot put a process in its container\'s cgroup: killing it');
        this.platform.kill(child, SIGKILL);
        return;
      }
    }
  }

  private stopped(ev: TrapEvent): void {
    if (this.awaitingFirstStop.delete(ev.pid)) return this.platform.resume(ev.pid);
    if (!this.tasks.has(ev.pid) && ev.pid !== this.initPid) {
      this.earlyStops.add(ev.pid);
      return;
    }
    const t = this.tasks.get(ev.pid);
    // PTRACE_EVENT_STOP with SIGTRAP is no group-stop but the notice of a SIGCONT (or of an interrupt) to a task
    // whose group is not stopped (do_jobctl_trap): it runs on, as it would untraced.
    if (ev.status === SIGTRAP) {
      if (t) t.groupStopped = false;
      return this.platform.resume(ev.pid);
    }
    // A group-stop (SIGSTOP, SIGTSTP…): stay stopped until SIGCONT, as without a tracer.
    if (t) t.groupStopped = true;
    this.platform.listen(ev.pid);
  }

  private exited(ev: TrapEvent): void {
    const status: ExitStatus = ev.kind === EV.EXITED ? { code: ev.status } : { signal: ev.status, core: ev.aux !== 0 };
    const child = this.children.get(ev.pid);
    if (child) {
      this.children.delete(ev.pid);
      child(status);
      return;
    }
    if (this.waitingOpens.size) this.endWaitingOpen(ev.pid, true);
    const lock = this.waitingLocks.get(ev.pid);
    if (lock !== undefined) { this.waitingLocks.delete(ev.pid); this.platform.cancelLock(lock); }
    const t = this.tasks.get(ev.pid);
    if (t) {
      this.tasks.delete(ev.pid);
      t.release();
      t.tg.tasks.delete(t);
      // Its flock and OFD locks go with its last fds, unless the sentry's copy keeps them (lock.ts);
      // its POSIX locks on files whose locks the sentry keeps go with it.
      if (t.tg.tasks.size === 0) {
        t.tg.end();
        this.zombies.ended(t.tg, t.creds);
        this.files.dropUnheld((d) => d.locked);
        this.locks.dropProcess(t.tg);
        this.peers.processEnded(t);
      }
    }
    const launched = this.launched.get(ev.pid);
    if (launched) {
      this.launched.delete(ev.pid);
      launched.exited?.(status);
    }
    // A container's first process ended: the rest of the container goes with it, as a pid namespace's
    // processes go with its init.
    const c = t?.tg.container;
    if (c && c.initTgid === ev.pid && t.tg.tgid === ev.pid) {
      this.killContainer(c);
      c.ended(status);
    }
    if (ev.pid === this.mainTgid) {
      this.mainStatus = ev.kind === EV.EXITED ? { code: ev.status } : { signal: ev.status, core: ev.aux !== 0 };
    } else if (ev.pid === this.initPid && !this.mainStatus) {
      this.mainStatus = { code: 125 };
    }
  }

  /**
   * During a multi-step call (exec): the next stop of `t` of one of the
   * `wanted` kinds. Other guests' events wait in the platform's queue until
   * the call is done: serving them now could start another multi-step call
   * inside this one, whose waits would take this one's stops. Signals for
   * `t` are held back and sent again when the call is done. Null if `t` died.
   */
  awaitStop(t: Task, wanted: readonly number[], resumeAfterSignal: (pid: number, sig?: number) => void): TrapEvent | null {
    for (;;) {
      const ev = this.platform.wait();
      if (!ev) return null;
      const mine = ev.pid === t.tid || (ev.kind === EV.EXEC && ev.msg === t.tid);
      if (!mine) { this.platform.defer(ev); continue; }
      if (wanted.includes(ev.kind)) return ev;
      if (ev.kind === EV.EXITED || ev.kind === EV.SIGNALED) { this.exited(ev); return null; }
      // A fault goes in at once (the task dies of it unless it handles it), any other signal after the call.
      if (ev.fault) { resumeAfterSignal(ev.pid, ev.status); continue; }
      if (ev.kind === EV.SIGNAL) t.heldSignals.push(ev.status);
      else this.log.debug({ tid: t.tid, kind: ev.kind }, 'unexpected stop during a multi-step call');
      resumeAfterSignal(ev.pid);
    }
  }

  /** Sends the signals held back during a multi-step call (to the task still stopped: see StopHooks). */
  releaseSignals(t: Task): void {
    for (const sig of t.heldSignals.splice(0)) this.platform.kill(t.tid, sig);
  }

  /** The kernel's side of a multi-step call of task `t` (platform.ts StopHooks). */
  stopHooks(t: Task): StopHooks {
    return {
      awaitStop: (kinds, resume) => this.awaitStop(t, kinds, resume),
      holdSignal: (sig) => t.heldSignals.push(sig),
      releaseHeld: () => this.releaseSignals(t),
    };
  }

  /** Replaces the task known as `formerTid` by `tid` after an exec by a non-leader thread. */
  renameTask(formerTid: number, tid: number): Task | undefined {
    const t = this.tasks.get(formerTid);
    if (!t || formerTid === tid) return t;
    const leader = this.tasks.get(tid);
    if (leader) { this.tasks.delete(tid); leader.tg.tasks.delete(leader); leader.release(); }
    this.tasks.delete(formerTid);
    t.release();
    t.tid = tid;
    this.tasks.set(tid, t);
    return t;
  }
}
