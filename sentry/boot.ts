// Boots a sandbox: the gofer, the mount tree, the first guest, the kernel loop.
import { GoferClient } from './fs/gofer/client.js';
import type { GoferProcess } from './fs/gofer/spawn.js';
import { GoferFs } from './fs/gofer/fs.js';
import { EmptyDir } from './host/emptydir.js';
import { hostFifos } from './host/fifos.js';
import { hostSockets } from './host/sockets.js';
import { Overlay } from './fs/overlay/overlay.js';
import { populateDev, registerDevices } from './fs/dev/devices.js';
import type { DevptsFs } from './fs/dev/devpts.js';
import { SandboxProc } from './host/sandbox-proc.js';
import { closeQuietly } from './host/fd.js';
import { makeFilesystem, tmpfsLimits } from './fs/filesystems.js';
import { Tmpfs } from './fs/tmpfs/tmpfs.js';
import { rootCreds } from './auth/creds.js';
import { E, SysErr } from './abi/errno.js';
import { type ExitStatus, Kernel } from './kernel/kernel.js';
import { FsContext } from './kernel/task.js';
import { native } from './host/native.js';
import { PTRACE_OPTIONS, PtracePlatform } from './platform/ptrace.js';
import { formatCall } from './syscalls/strace.js';
import { guestFilter, handlerTable } from './syscalls/table.js';
import type { Filesystem } from './vfs/inode.js';
import { type MountFlags, MountNamespace, type VfsPath } from './vfs/mount.js';
import type { Log } from './log.js';
import { isDir, S_IFDIR } from './abi/stat.js';
import { type Actor, mkdirAt } from './vfs/ops.js';
import { resolve, type WalkContext } from './vfs/walk.js';

export interface BindMount { host: string; guest: string; readonly: boolean }

export interface SandboxSpec {
  /** argv[0] is looked up in PATH (of `env`) inside the sandbox when it has no slash. */
  argv: string[];
  env: string[];
  cwd: string;
  /** Host directory served read-only as the lower layer of the root overlay. */
  rootfs: string;
  mounts: BindMount[];
  debugLog?: string;
  strace: boolean;
  /** Give the guest a terminal (a pty of the sandbox's /dev/pts) as its stdio and controlling terminal. */
  tty?: boolean;
  /** The guests' memory limit in bytes (0 or absent: none); tmpfs sizes default to half of it. */
  memory?: number;
  /** The sandbox's cgroup (src/cgroup.ts), made by the CLI: the sandbox process joins `sentryProcs`, the guests `guestProcs`. */
  cgroup?: { sentryProcs: string[]; guestProcs: string[] };
}

/** What the sandbox's uname and /proc/sys/kernel/hostname say. */
export const SANDBOX_HOSTNAME = 'tvisor';

export interface SandboxHooks {
  /** With spec.tty: the pty's master, for whoever relays it to the user's terminal (the sentry closes its fd after). */
  terminal?(master: number): void;
  /** Open cgroup.procs files of the cgroups the guests run in (the sandbox's limits): init joins them before it runs. */
  guestCgroups?: number[];
}

const RW: MountFlags = { readonly: false, nosuid: false, nodev: false, noexec: false };
const RO: MountFlags = { ...RW, readonly: true };


/** mkdir -p in the sandbox's tree (in the overlay's upper layer) for a mount point, as root with umask 0. */
function ensureDir(actor: Actor, path: string): VfsPath {
  let cur: VfsPath = actor.root;
  for (const name of path.split('/').filter((p) => p !== '')) {
    try {
      cur = resolve(actor, cur, name, { followFinal: true });
    } catch (e) {
      if (!(e instanceof SysErr) || e.errno !== E.ENOENT) throw e;
      mkdirAt(actor, cur, name, 0o755);
      cur = resolve(actor, cur, name, { followFinal: true });
    }
  }
  if (!isDir(cur.inode.stat().mode)) throw new Error(`mount point ${path} is not a directory in the sandbox`);
  return cur;
}

/** A command the sandbox cannot run: the CLI says so and exits 127, as a shell does. */
export class CommandNotFound extends Error {}

/** The path to exec for argv[0]: found in PATH (from `cwd` for relative entries) when it has no slash. */
function findProgram(ctx: WalkContext, cwd: VfsPath, name: string, env: string[]): string {
  const exists = (p: string) => {
    try { return resolve(ctx, cwd, p, { followFinal: true }).inode.fileType() !== S_IFDIR; } catch { return false; }
  };
  if (name.includes('/')) {
    if (!exists(name)) throw new CommandNotFound(`${name}: No such file or directory`);
    return name;
  }
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/bin:/usr/bin:/bin';
  for (const dir of path.split(':')) {
    const candidate = `${dir || '.'}/${name}`;
    if (exists(candidate)) return candidate;
  }
  throw new CommandNotFound(`${name}: command not found`);
}

const encodeStrings = (xs: string[]) => Buffer.from(xs.map((x) => x + '\0').join(''));

/** Runs the sandbox with its gofer (started with goferAttaches(spec)) until the main process exits. */
export function runSandbox(spec: SandboxSpec, gofer: GoferProcess, log: Log, hooks: SandboxHooks = {}): ExitStatus {
  const emptyDir = new EmptyDir();
  const client = new GoferClient(gofer.sock);
  const goferPid = gofer.pid;
  const closers: (() => void)[] = [];
  try {
    const lower = new GoferFs(client, 0, true, emptyDir);
    const lowerRoot = lower.root.stat();
    const upper = new Tmpfs(emptyDir, lowerRoot.mode & 0o7777, { uid: lowerRoot.uid, gid: lowerRoot.gid },
      tmpfsLimits(spec.memory ?? 0));
    const ns = new MountNamespace(new Overlay(upper, lower.root), RW, 'overlay');
    const boot: Actor = { ns, root: { mount: ns.root, inode: ns.root.root }, creds: rootCreds(), tid: null, umask: 0 };
    const mountFs = (path: string, fs: Filesystem, flags: MountFlags, source: string) =>
      ns.mount(ensureDir(boot, path), fs, fs.root, flags, source);

    const table = handlerTable();
    const filter = guestFilter(table);
    const fds = new Int32Array(2);
    const argv = [...spec.argv];

    let kernel: Kernel | undefined;
    const makeFs = (type: string, data = '') => makeFilesystem({ emptyDir, kernel: () => kernel!, memoryLimit: spec.memory ?? 0 },
      type, data);
    const devpts = makeFs('devpts') as DevptsFs;
    closers.push(() => devpts.dispose());
    const terminal = spec.tty ? devpts.openPty() : null;
    if (terminal) closers.push(() => { closeQuietly(terminal.master); closeQuietly(terminal.slave); });
    const dev = makeFs('tmpfs', 'mode=755') as Tmpfs;
    registerDevices();
    const devMount = mountFs('/dev', dev, { ...RW, noexec: true }, 'tmpfs');
    populateDev(boot, { mount: devMount, inode: dev.root }, terminal ? `pts/${terminal.index}` : null);
    mountFs('/dev/pts', devpts, { ...RW, nosuid: true, noexec: true }, 'devpts');
    mountFs('/dev/shm', makeFs('tmpfs'), { ...RW, nosuid: true, nodev: true }, 'shm');
    // A bind mount's source is not told: it is a host path. nosuid,nodev as the gofer serves it.
    spec.mounts.forEach((m, i) => mountFs(m.guest, new GoferFs(client, i + 1, m.readonly, emptyDir),
      { ...(m.readonly ? RO : RW), nosuid: true, nodev: true }, 'none'));

    mountFs('/sys', makeFs('sysfs'), { ...RO, nosuid: true, nodev: true, noexec: true }, 'sysfs');
    mountFs('/proc', makeFs('proc'), { ...RW, nosuid: true, nodev: true, noexec: true }, 'proc');
    // The runtime's mounts are the sandbox's floor: no guest unmounts or loosens them.
    for (const m of ns.all()) m.lock();
    const cwd = resolve(boot, boot.root, spec.cwd, { followFinal: true });
    const program = findProgram(boot, cwd, spec.argv[0]!, spec.env);
    const initPid = native.spawn(emptyDir.path, program, encodeStrings(argv), argv.length, encodeStrings(spec.env),
      spec.env.length, filter.bytes, filter.length, PTRACE_OPTIONS, SANDBOX_HOSTNAME, terminal?.slave ?? -1,
      Int32Array.from(hooks.guestCgroups ?? []), hooks.guestCgroups?.length ?? 0, fds);
    if (initPid < 0) throw new SysErr(-initPid, 'starting the guest');
    const proc = new SandboxProc(fds[1]!);
    closers.push(() => proc.close());
    if (terminal) {
      hooks.terminal?.(terminal.master);
      closeQuietly(terminal.slave);
    }
    kernel = new Kernel({
      platform: new PtracePlatform(fds[0]!), ns, table, log, strace: spec.strace ? formatCall : null,
      initialFs: new FsContext(boot.root, cwd, 0o022), initPid, proc, makeFilesystem: makeFs,
    });
    kernel.watchCritical(goferPid, 'the gofer');
    log.debug({ argv, program, initPid, goferPid }, 'sandbox started');
    try {
      return kernel.run();
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
