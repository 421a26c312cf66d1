// Boots a sandbox: the gofer's filesystems, the mount tree, init, the
// kernel, the first process (at once, or when the runtime says start).
import { openSync, writeFileSync } from 'node:fs';
import { type Change, listChanges, writeChangesTar } from './fs/overlay/changes.js';
import type { OverlayInode } from './fs/overlay/overlay.js';
import { goferAttaches, type GoferProcess } from './fs/gofer/spawn.js';
import { GOFER_DEADLINE_MS } from './fs/gofer/client.js';
import { EmptyDir } from './host/emptydir.js';
import { hostFifos } from './host/fifos.js';
import { hostSockets } from './host/sockets.js';
import { registerDevices } from './fs/dev/devices.js';
import { SandboxProc } from './host/sandbox-proc.js';
import { closeQuietly } from './host/fd.js';
import { makeFilesystem } from './fs/filesystems.js';
import { E, SysErr } from './abi/errno.js';
import { type ExitStatus, Kernel } from './kernel/kernel.js';
import type { LaunchHooks, Stdio } from './kernel/launch.js';
import type { Container } from './kernel/container.js';
import { libcCalls, native, sys } from './host/native.js';
import { PTRACE_OPTIONS, PtracePlatform } from './platform/ptrace.js';
import { formatCall } from './syscalls/strace.js';
import { guestFilter, handlerTable } from './syscalls/table.js';
import type { Log } from './log.js';
import { type ProcessConfig, toProcessSpec } from './control/process.js';
import { ControlServer } from './control/server.js';
import { type ContainerSpec, goferRef, Pod, type VolumeSpec } from './pod.js';

export { CommandNotFound } from './kernel/launch.js';

export type { MountSpec, VolumeSpec } from './pod.js';

export interface SandboxSpec extends ContainerSpec {
  /**
   * The sandbox's first process: the container's process. Absent: the
   * sandbox runs only what its control socket's Exec asks, until Shutdown
   * (the library API, src/api).
   */
  process?: ProcessConfig;
  /** The sandbox's own container's id (its root's name under the hidden directory); absent: `sandbox`. */
  containerId?: string;
  /** The pod's volumes (mount hints shared by its containers), served by this sandbox's gofer after its binds. */
  volumes?: VolumeSpec[];
  /** The sandbox's hostname (uname, /proc/sys/kernel/hostname): the pod's, for every container. */
  hostname?: string;
  /** Start the process at boot (`do`); otherwise on the control socket's Start (OCI create, then start). */
  startAtBoot: boolean;
  /** Where the sandbox serves its control socket (the OCI runtime's commands); absent: nowhere. */
  controlSocket?: string;
  /** The sandbox of a pod (a CRI sandbox container): other containers will join it over the control socket. */
  podSandbox?: boolean;
  /** Where the pod's warm command line listens (a pod's sandbox started by the runtime): see SandboxHooks.startWarm. */
  warmSocket?: string;
  /** A network namespace to join (an engine's); absent: a new, empty one. */
  netns?: string;
  debugLog?: string;
  strace: boolean;
  /** With strace (and no debugLog): the fd of the sandbox process the strace lines go to, instead of stderr. */
  straceFd?: number;
  /** How long a gofer request may wait for its answer before the gofer counts as stalled; absent: GOFER_DEADLINE_MS. */
  goferDeadlineMs?: number;
  /** The guests' memory limit in bytes (0 or absent: none); tmpfs sizes default to half of it. */
  memory?: number;
  /** The gofer the runtime's create started beside the sandbox process: its fds in the sandbox process, and its pid. */
  gofer?: { sockFd: number; pidfdFd: number; pid: number };
  /** The sandbox's cgroup (src/cgroup.ts), made by the CLI: the sandbox process joins `sentryProcs`, the guests `guestProcs`. */
  cgroup?: { sentryProcs: string[]; guestProcs: string[] };
}

/**
 * What the runtime's create sends a spare sandbox process (src/sandbox-main.ts) in place of argv and environment:
 * the spec (its gofer's fds are the two sent with it) and the console socket of a terminal.
 */
export interface SpareSpec { spec: SandboxSpec; consoleSocket?: string }

/** The hostname when the spec gives none. */
export const SANDBOX_HOSTNAME = 'tvisor';

export interface SandboxHooks {
  /** With a terminal: the pty's master, for whoever relays it to the user (the sentry closes its fd after). */
  terminal?(master: number): void;
  /** Open cgroup.procs files of the cgroups the guests run in (the sandbox's limits): init joins them before it runs. */
  guestCgroups?: number[];
  /** The sandbox is up (and the control socket, if any, serves): the runtime's create may return. */
  ready?(info: { initPid: number }): void;
  /** Starts the pod's warm command line (src/oci/warm.ts) with the listening socket at spec.warmSocket; returns its pid. */
  startWarm?(listenFd: number): number;
  /** The first process started (its host pid). */
  started?(pid: number): void;
  /**
   * An fd of the sandbox process the kernel loop watches (`do`'s signals):
   * when it is readable, onReadable says whether the sandbox ends, and how.
   */
  stopper?: { fd: number; onReadable(): ExitStatus | null };
  /** The main process has ended, the filesystems are still there: what it changed in the root overlay, if asked. */
  finished?(changes: () => Change[]): void;
}

/** Runs the sandbox with its gofer (spawnGofer's, told to serve goferAttaches(spec)) until the main process exits. */
export function runSandbox(spec: SandboxSpec, goferProcess: GoferProcess, log: Log, hooks: SandboxHooks = {}): ExitStatus {
  const emptyDir = new EmptyDir();
  const goferDeadlineMs = spec.goferDeadlineMs ?? GOFER_DEADLINE_MS;
  const gofer = goferRef(goferProcess, goferDeadlineMs, log);
  gofer.client.attach(goferAttaches(spec));
  // --strace shows the gofer's round trips too, each before the call it serves.
  if (spec.strace) gofer.client.onRequest = (op, path) => log.info({ gofer: op }, `gofer ${op}(${JSON.stringify(path)})`);
  const closers: (() => void)[] = [];
  try {
    let kernel: Kernel | undefined;
    // Init is made while the gofer starts and sets itself up while the mount tree below is built (from the
    // gofer's answers): init needs nothing of that tree, and its namespaces, cgroups and filter are then off the
    // start-up's critical path.
    const table = handlerTable();
    const init = spawnInit(spec, table, emptyDir, hooks.guestCgroups ?? []);
    const { initPid, initCtl } = init;
    // Until the kernel owns init, a failure here ends it; afterwards the kernel's shutdown does.
    closers.push(() => init.close(!kernel));
    const makeFs = (type: string, data = '', container: Container | null = null) =>
      makeFilesystem({ emptyDir, kernel: () => kernel!, memoryLimit: spec.memory ?? 0 }, type, data, container);
    const pod = new Pod({ emptyDir, log, memory: spec.memory ?? 0, makeFs, closers, goferDeadlineMs });
    const ns = pod.ns;
    const opened: { pty: { master: number; slave: number; index: number } | null } = { pty: null };
    const { container: sandbox } = pod.mountContainer(spec.containerId ?? 'sandbox', spec, gofer, spec.containerId ?? 'sandbox',
      (devpts) => (opened.pty = spec.process?.terminal ? devpts.openPty() : null));
    const terminal = opened.pty;
    closers.push(() => sandbox.devpts.dispose());
    const size = spec.process?.consoleSize;
    if (terminal && size) native.setWinsize(terminal.master, size.height, size.width);
    if (terminal) closers.push(() => { closeQuietly(terminal.master); closeQuietly(terminal.slave); });
    pod.addVolumes(spec.volumes ?? [], gofer, 1 + spec.mounts.filter((m) => m.type === 'bind' && m.goferSocket === undefined).length);
    registerDevices();
    const { listener, proc } = init.ready();
    kernel = new Kernel({
      platform: new PtracePlatform(listener), ns, table, log, strace: spec.strace ? formatCall : null,
      root: pod.top, initPid, initCtl, proc, makeFilesystem: makeFs,
    });
    kernel.addContainer(sandbox);
    // The sentry's child is not reaped before the kernel runs: its pid still names it here.
    const goferPidfd = goferProcess.pidfd ?? sys(libcCalls.pidfdOpen(gofer.pid, 0));
    closers.push(() => closeQuietly(goferPidfd));
    kernel.watchCritical(goferPidfd, 'the gofer');
    // The other containers' terminals and gofers go with the sandbox.
    closers.push(() => { for (const c of kernel!.containers.values()) if (c !== sandbox) for (const g of pod.unmountContainer(c)) g.client.close(); });
    pod.sealContainer(sandbox, spec);

    const main = spec.process && toProcessSpec(spec.process);
    const tty = terminal;
    const stdio: Stdio = tty ? { fds: [tty.slave, tty.slave, tty.slave], tty: true } : { fds: [0, 1, 2], tty: false };
    let started = false;
    const startMain = (launchHooks: LaunchHooks) => {
      if (!main) throw new SysErr(E.EINVAL, 'the sandbox has no process of its own to start');
      if (started) throw new SysErr(E.EEXIST, 'the container\'s process has started already');
      kernel!.launch(main, stdio, { ...launchHooks, started: (pid) => { hooks.started?.(pid); launchHooks.started?.(pid); } },
        { main: true, container: sandbox });
      started = true;
      if (tty) closeQuietly(tty.slave);
    };
    if (tty) hooks.terminal?.(tty.master);
    if (spec.startAtBoot) startMain({});
    // Shutdown kills init, whose pid namespace takes every guest with it; the kernel's run then returns.
    let closing = false;
    const shutdown = () => { closing = true; native.kill(initPid, 9); };
    const overlayRoot = sandbox.root.inode as OverlayInode;
    const control = spec.controlSocket ? new ControlServer(kernel, spec.controlSocket, {
      startMain, shutdown, pod, log, podSandbox: spec.podSandbox ?? false, goferDeadlineMs,
      ...(spec.warmSocket && hooks.startWarm ? { warm: { socket: spec.warmSocket, start: hooks.startWarm } } : {}),
      changes: (fd, tar) => {
        if (tar) writeChangesTar(overlayRoot, fd);
        else writeFileSync(fd, JSON.stringify(listChanges(overlayRoot)));
      },
    }) : null;
    if (control) closers.push(() => control.close());
    let stopped: ExitStatus | null = null;
    const stopper = hooks.stopper;
    if (stopper) {
      kernel.watch(stopper.fd, () => {
        stopped ??= stopper.onReadable();
        if (stopped) { kernel!.unwatch(stopper.fd); shutdown(); }
      });
    }
    log.debug({ argv: spec.process?.args, initPid, goferPid: gofer.pid }, 'sandbox started');
    hooks.ready?.({ initPid });
    control?.startWarmCommandLine();
    try {
      const status = kernel.run();
      hooks.finished?.(() => listChanges(overlayRoot));
      return stopped ?? (closing ? { code: 0 } : status);
    } finally {
      kernel.shutdown();
    }
  } finally {
    for (const close of closers) close();
    gofer.client.close();
    emptyDir.dispose();
    hostFifos.dispose();
    hostSockets.dispose();
  }
}

/** The sandbox's init, started: ready() waits until it has set itself up; close() lets go of it (ending it: `end`). */
interface Init {
  initPid: number;
  initCtl: number;
  ready(): { listener: number; proc: SandboxProc };
  close(end: boolean): void;
}

/**
 * Spawns the sandbox's init (native tv_spawn): its namespaces, an empty root, the guests' cgroups and the guest
 * filter. Init sets itself up while the sentry goes on (joining a cgroup waits for an RCU grace period, 3-8 ms
 * here); ready() waits for it, once, and gives its seccomp listener and its proc mount.
 */
function spawnInit(spec: SandboxSpec, table: ReturnType<typeof handlerTable>, emptyDir: EmptyDir, guestCgroups: number[]): Init {
  const filter = guestFilter(table);
  const pending = new Int32Array(3);
  const netns = spec.netns ? openNetns(spec.netns) : -1;
  const initPid = native.spawn(emptyDir.path, filter.bytes, filter.length, PTRACE_OPTIONS,
    spec.hostname ?? SANDBOX_HOSTNAME, netns, Int32Array.from(guestCgroups), guestCgroups.length, pending);
  if (netns >= 0) closeQuietly(netns);
  if (initPid < 0) throw new SysErr(-initPid, 'starting the sandbox\'s init');
  const initCtl = pending[2]!;
  let waited = false;
  let set: { listener: number; proc: SandboxProc } | null = null;
  const waitForInit = () => {
    // tv_init_ready closes both pending ends, whatever it answers.
    waited = true;
    const fds = new Int32Array(2);
    const r = native.initReady(initPid, pending, fds);
    if (r < 0) throw new SysErr(-r, 'starting the sandbox\'s init');
    return { listener: fds[0]!, proc: new SandboxProc(fds[1]!) };
  };
  return {
    initPid,
    initCtl,
    ready: () => (set ??= waitForInit()),
    close: (end) => {
      closeQuietly(initCtl);
      if (!waited) { closeQuietly(pending[0]!); closeQuietly(pending[1]!); }
      set?.proc.close();
      if (!end) return;
      if (set) closeQuietly(set.listener);
      native.kill(initPid, 9);
      native.wait(initPid, new Int32Array(32));
    },
  };
}

function openNetns(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot open the network namespace ${path}: ${(e as Error).message}`);
  }
}
