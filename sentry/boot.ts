// Boots a sandbox: the gofer's filesystems, the mount tree, init, the
// kernel, the first process (at once, or when the runtime says start).
import { openSync, writeFileSync } from 'node:fs';
import { GoferClient } from './fs/gofer/client.js';
import type { GoferProcess } from './fs/gofer/spawn.js';
import { GoferFs } from './fs/gofer/fs.js';
import { EmptyDir } from './host/emptydir.js';
import { hostFifos } from './host/fifos.js';
import { hostSockets } from './host/sockets.js';
import { Overlay } from './fs/overlay/overlay.js';
import { listChanges, writeChangesTar } from './fs/overlay/changes.js';
import { populateDev, registerDevices } from './fs/dev/devices.js';
import type { DevptsFs } from './fs/dev/devpts.js';
import { SandboxProc } from './host/sandbox-proc.js';
import { closeQuietly } from './host/fd.js';
import { makeFilesystem, tmpfsLimits } from './fs/filesystems.js';
import { Tmpfs } from './fs/tmpfs/tmpfs.js';
import { rootCreds } from './auth/creds.js';
import { E, SysErr } from './abi/errno.js';
import { type ExitStatus, Kernel } from './kernel/kernel.js';
import type { LaunchHooks, Stdio } from './kernel/launch.js';
import { native } from './host/native.js';
import { PTRACE_OPTIONS, PtracePlatform } from './platform/ptrace.js';
import { formatCall } from './syscalls/strace.js';
import { guestFilter, handlerTable } from './syscalls/table.js';
import type { Filesystem } from './vfs/inode.js';
import { type MountFlags, MountNamespace, type VfsPath } from './vfs/mount.js';
import { parseMountOptions } from './vfs/mountopts.js';
import type { Log } from './log.js';
import { isDir } from './abi/stat.js';
import { textName } from './abi/names.js';
import type { Actor } from './vfs/ops.js';
import { ensureMountPoint } from './vfs/mountpoint.js';
import { resolve } from './vfs/walk.js';
import { type ProcessConfig, toProcessSpec } from './control/process.js';
import { ControlServer } from './control/server.js';

export { CommandNotFound } from './kernel/launch.js';

/** A mount of the sandbox's tree, in the OCI config's terms. */
export interface MountSpec {
  destination: string;
  /** bind (a host path, served by the gofer), tmpfs, proc, sysfs, devpts, mqueue, cgroup. */
  type: string;
  /** For a bind: the host path. */
  source?: string;
  /**
   * For a bind: served by a gofer already connected on this fd of the
   * sandbox process (its attach 0), instead of the sandbox's own gofer
   * serving `source` (the library API's in-memory volumes, src/api/volume.ts).
   */
  goferSocket?: number;
  options: string[];
}

export interface SandboxSpec {
  /** Host directory served read-only as the lower layer of the root overlay. */
  rootfs: string;
  /** The root mount is read-only (EROFS) for the guests. */
  rootReadonly?: boolean;
  /** The sandbox's hostname (uname, /proc/sys/kernel/hostname). */
  hostname?: string;
  /** Mounted in order over the root, after the sandbox's own /dev. */
  mounts: MountSpec[];
  /** Made unreadable: an empty read-only directory or /dev/null over each (absent paths are skipped). */
  maskedPaths?: string[];
  /** Made read-only (absent paths are skipped). */
  readonlyPaths?: string[];
  /**
   * The sandbox's first process: the container's process. Absent: the
   * sandbox runs only what its control socket's Exec asks, until Shutdown
   * (the library API, src/api).
   */
  process?: ProcessConfig;
  /** Start the process at boot (`do`); otherwise on the control socket's Start (OCI create, then start). */
  startAtBoot: boolean;
  /** Where the sandbox serves its control socket (the OCI runtime's commands); absent: nowhere. */
  controlSocket?: string;
  /** A network namespace to join (an engine's); absent: a new, empty one. */
  netns?: string;
  debugLog?: string;
  strace: boolean;
  /** With strace (and no debugLog): the fd of the sandbox process the strace lines go to, instead of stderr. */
  straceFd?: number;
  /** The guests' memory limit in bytes (0 or absent: none); tmpfs sizes default to half of it. */
  memory?: number;
  /** The sandbox's cgroup (src/cgroup.ts), made by the CLI: the sandbox process joins `sentryProcs`, the guests `guestProcs`. */
  cgroup?: { sentryProcs: string[]; guestProcs: string[] };
}

/** The hostname when the spec gives none. */
export const SANDBOX_HOSTNAME = 'tvisor';

export interface SandboxHooks {
  /** With a terminal: the pty's master, for whoever relays it to the user (the sentry closes its fd after). */
  terminal?(master: number): void;
  /** Open cgroup.procs files of the cgroups the guests run in (the sandbox's limits): init joins them before it runs. */
  guestCgroups?: number[];
  /** The sandbox is up (and the control socket, if any, serves): the runtime's create may return. */
  ready?(info: { initPid: number }): void;
  /** The first process started (its host pid). */
  started?(pid: number): void;
}

const RW: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false };
const RO: MountFlags = { ...RW, readonly: true };

/** The place at `path`, or null when nothing is there. */
function lookup(actor: Actor, path: string): VfsPath | null {
  try {
    return resolve(actor, actor.root, path, { followFinal: true });
  } catch (e) {
    if (e instanceof SysErr && (e.errno === E.ENOENT || e.errno === E.ENOTDIR)) return null;
    throw e;
  }
}

/**
 * tmpcopyup's copy is done for an empty or missing directory only (nothing to
 * copy: podman's /tmp, /run, /var/tmp of a busybox or distro root); copying
 * content is not implemented, and a start that would hide it fails instead.
 */
function refuseCopyUpOfContent(actor: Actor, destination: string): void {
  const at = lookup(actor, destination);
  if (at && isDir(at.inode.stat().mode) && at.inode.readdir(true).length > 0) {
    throw new Error(`the tmpfs at ${destination}: tmpcopyup of a non-empty directory is not supported`);
  }
}

/** The mounts every sandbox has: a /dev of its own (with the default devices) and its devpts. */
const DEV_MOUNTS: MountSpec[] = [
  { destination: '/dev', type: 'tmpfs', options: ['nosuid', 'noexec', 'mode=755'] },
  { destination: '/dev/pts', type: 'devpts', options: ['nosuid', 'noexec'] },
];

/** Runs the sandbox with its gofer (started with goferAttaches(spec)) until the main process exits. */
export function runSandbox(spec: SandboxSpec, gofer: GoferProcess, log: Log, hooks: SandboxHooks = {}): ExitStatus {
  const emptyDir = new EmptyDir();
  const client = new GoferClient(gofer.sock);
  // --strace shows the gofer's round trips too, each before the call it serves.
  if (spec.strace) client.onRequest = (op, path) => log.info({ gofer: op }, `gofer ${op}(${JSON.stringify(path)})`);
  const goferPid = gofer.pid;
  const closers: (() => void)[] = [];
  try {
    const lower = new GoferFs(client, 0, true, emptyDir);
    const lowerRoot = lower.root.stat();
    const upper = new Tmpfs(emptyDir, lowerRoot.mode & 0o7777, { uid: lowerRoot.uid, gid: lowerRoot.gid },
      tmpfsLimits(spec.memory ?? 0));
    const overlay = new Overlay(upper, lower.root);
    const ns = new MountNamespace(overlay, RW, 'overlay');
    const boot: Actor = { ns, root: { mount: ns.root, inode: ns.root.root }, creds: rootCreds(), tid: null, umask: 0 };

    let kernel: Kernel | undefined;
    const makeFs = (type: string, data = '') => makeFilesystem({ emptyDir, kernel: () => kernel!, memoryLimit: spec.memory ?? 0 },
      type, data);
    // One devpts per sandbox, wherever the spec mounts one: the terminals of its processes are its ptys.
    const devpts = makeFs('devpts') as DevptsFs;
    closers.push(() => devpts.dispose());
    const terminal = spec.process?.terminal ? devpts.openPty() : null;
    const size = spec.process?.consoleSize;
    if (terminal && size) native.setWinsize(terminal.master, size.height, size.width);
    if (terminal) closers.push(() => { closeQuietly(terminal.master); closeQuietly(terminal.slave); });

    registerDevices();
    let hasDev = false;
    let attach = 1;
    const mountOne = (m: MountSpec) => {
      const opts = parseMountOptions(m.type, m.options);
      let fs: Filesystem;
      let flags = opts.flags;
      // The spec's paths are text; the sandbox's names are bytes (abi/names.ts).
      const destination = textName(m.destination);
      let source = textName(m.source ?? m.type);
      switch (m.type) {
        case 'bind':
          // Served nosuid,nodev by the gofer; its source is a host path, not told.
          fs = m.goferSocket === undefined ? new GoferFs(client, attach++, opts.flags.readonly, emptyDir)
            : new GoferFs(connectedGofer(m.goferSocket, closers), 0, opts.flags.readonly, emptyDir);
          flags = { ...flags, nosuid: true, nodev: true };
          source = 'none';
          break;
        case 'devpts': fs = devpts; break;
        case 'mqueue': case 'cgroup': case 'cgroup2':
          // Known gap (docs/design.md): POSIX queues and cgroups are the host's, shown nowhere in the sandbox.
          log.warn({ destination: m.destination, type: m.type }, 'mounted as an empty read-only directory');
          fs = makeFs('tmpfs', 'mode=555');
          flags = { ...flags, readonly: true };
          break;
        default:
          fs = makeFs(m.type, opts.data);
      }
      if (opts.copyUp) refuseCopyUpOfContent(boot, destination);
      if (m.destination === '/dev' && !(fs instanceof Tmpfs)) throw new Error('/dev must be a tmpfs in the sandbox');
      const mount = ns.mount(ensureMountPoint(boot, destination, isDir(fs.root.stat().mode) ? 'dir' : 'file'), fs, fs.root, flags, source);
      if (m.destination === '/dev') {
        // The default devices, as runc makes them in the container's /dev, before anything is mounted in it.
        populateDev(boot, { mount, inode: fs.root }, terminal ? `pts/${terminal.index}` : null);
        hasDev = true;
      }
    };
    const explicit = new Set(spec.mounts.map((m) => m.destination));
    for (const m of DEV_MOUNTS) if (!explicit.has(m.destination)) mountOne(m);
    for (const m of spec.mounts) mountOne(m);
    if (!hasDev) throw new Error('the sandbox has no /dev');
    const table = handlerTable();
    const filter = guestFilter(table);
    const fds = new Int32Array(3);
    const netns = spec.netns ? openNetns(spec.netns) : -1;
    const initPid = native.spawn(emptyDir.path, filter.bytes, filter.length, PTRACE_OPTIONS,
      spec.hostname ?? SANDBOX_HOSTNAME, netns, Int32Array.from(hooks.guestCgroups ?? []), hooks.guestCgroups?.length ?? 0, fds);
    if (netns >= 0) closeQuietly(netns);
    if (initPid < 0) throw new SysErr(-initPid, 'starting the sandbox\'s init');
    const [listener, procFd, initCtl] = [fds[0]!, fds[1]!, fds[2]!];
    closers.push(() => closeQuietly(initCtl));
    const proc = new SandboxProc(procFd);
    closers.push(() => proc.close());
    kernel = new Kernel({
      platform: new PtracePlatform(listener), ns, table, log, strace: spec.strace ? formatCall : null,
      root: boot.root, initPid, initCtl, proc, makeFilesystem: makeFs,
    });
    kernel.watchCritical(goferPid, 'the gofer');
    // After the kernel: proc's entries are the kernel's.
    for (const path of spec.maskedPaths ?? []) {
      const at = lookup(boot, path);
      if (!at) continue;
      if (isDir(at.inode.stat().mode)) {
        const empty = makeFs('tmpfs', 'mode=555');
        ns.mount(at, empty, empty.root, RO, 'tmpfs');
      } else {
        ns.bind(lookup(boot, '/dev/null')!, at, RO, false);
      }
    }
    for (const path of spec.readonlyPaths ?? []) {
      const at = lookup(boot, path);
      if (at) ns.bind(at, at, { ...at.mount.flags, readonly: true }, true);
    }
    if (spec.rootReadonly) ns.root.flags = { ...ns.root.flags, readonly: true };
    // The runtime's mounts are the sandbox's floor: no guest unmounts or loosens them.
    for (const m of ns.all()) m.lock();


    const main = spec.process && toProcessSpec(spec.process);
    const stdio: Stdio = terminal ? { fds: [terminal.slave, terminal.slave, terminal.slave], tty: true } : { fds: [0, 1, 2], tty: false };
    let started = false;
    const startMain = (launchHooks: LaunchHooks) => {
      if (!main) throw new SysErr(E.EINVAL, 'the sandbox has no process of its own to start');
      if (started) throw new SysErr(E.EEXIST, 'the container\'s process has started already');
      kernel!.launch(main, stdio, { ...launchHooks, started: (pid) => { hooks.started?.(pid); launchHooks.started?.(pid); } },
        { main: true });
      started = true;
      if (terminal) closeQuietly(terminal.slave);
    };
    if (terminal) hooks.terminal?.(terminal.master);
    if (spec.startAtBoot) startMain({});
    // Shutdown kills init, whose pid namespace takes every guest with it; the kernel's run then returns.
    let closing = false;
    const shutdown = () => { closing = true; native.kill(initPid, 9); };
    const control = spec.controlSocket ? new ControlServer(kernel, spec.controlSocket, {
      startMain, shutdown, devpts, log,
      changes: (fd, tar) => {
        if (tar) writeChangesTar(overlay.root, fd);
        else writeFileSync(fd, JSON.stringify(listChanges(overlay.root)));
      },
    }) : null;
    if (control) closers.push(() => control.close());
    log.debug({ argv: spec.process?.args, initPid, goferPid }, 'sandbox started');
    hooks.ready?.({ initPid });
    try {
      const status = kernel.run();
      return closing ? { code: 0 } : status;
    } finally {
      kernel.shutdown();
    }
  } finally {
    for (const close of closers) close();
    client.close();
    emptyDir.dispose();
    hostFifos.dispose();
    hostSockets.dispose();
  }
}

/** A gofer client on an fd the sandbox process was given; closed with the sandbox. */
function connectedGofer(fd: number, closers: (() => void)[]): GoferClient {
  const client = new GoferClient(fd);
  closers.push(() => client.close());
  return client;
}

function openNetns(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot open the network namespace ${path}: ${(e as Error).message}`);
  }
}
