// Podman with private storage: every podman call gets --root/--runroot/--tmpdir
// under one directory and a private containers.conf (CONTAINERS_CONF), so
// nothing of the host's podman state is read or written. Podman has no
// daemon: conmon (a subreaper) is the container's parent and outlives the CLI
// for a detached container.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GlobalDirs, privateDir, leftoversOf, processesMentioning, run, stopProcess, unmountUnder, type Leftovers, type Run } from './host.js';

// runc's default state root (conmon passes no --root to the runtime) and the
// dirs podman/netavark make there. /run/containers appears only when a network
// other than none is used; the harness always passes --network none.
const GLOBAL = ['/run/runc', '/run/containers/networks', '/run/containers'];

/** Our own hard limit for `ulimit -H<flag>` (the shell reports what setrlimit allows us). */
function hardLimit(flag: 'n' | 'u'): number {
  const r = spawnSync('sh', ['-c', `ulimit -H${flag}`], { encoding: 'utf8' });
  const v = r.stdout.trim();
  return v === 'unlimited' ? 1 << 30 : Number(v);
}

export class Podman {
  private readonly globals = new GlobalDirs(GLOBAL);
  private constructor(readonly root: string, readonly runtime: string) {}

  /** `runtime` is the OCI runtime binary every container of this instance uses. */
  static async create(runtime: string): Promise<Podman> {
    const root = await privateDir('p');
    for (const d of ['root', 'runroot', 'tmp', 'volumes']) mkdirSync(join(root, d));
    // Podman asks for RLIMIT_NOFILE=1048576 and RLIMIT_NPROC=32768 by default.
    // Raising a hard limit needs CAP_SYS_RESOURCE, which this VM's root lacks,
    // so the runtime's setrlimit fails with EPERM; ask for what we have.
    // (podman runs the runtime with NPROC lowered to 32768, hence the min.)
    const nofile = hardLimit('n');
    const nproc = Math.min(hardLimit('u'), 32768);
    writeFileSync(join(root, 'containers.conf'), [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '[engine]',
      'cgroup_manager = "cgroupfs"', // no systemd on this VM: the systemd manager fails
      'events_logger = "file"',
      '',
    ].join('\n'));
    return new Podman(root, runtime);
  }

  /** Global flags of every podman call. */
  get globalArgs(): string[] {
    return [
      '--root', join(this.root, 'root'), '--runroot', join(this.root, 'runroot'),
      '--tmpdir', join(this.root, 'tmp'), '--volumepath', join(this.root, 'volumes'),
      '--runtime', this.runtime, '--storage-driver', 'vfs',
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
    ];
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, CONTAINERS_CONF: join(this.root, 'containers.conf') };
  }

  podman(args: string[], opts: { input?: string; hangMs?: number } = {}): Promise<Run> {
    return run('podman', [...this.globalArgs, ...args], { ...opts, env: this.env });
  }

  /** The podman command line as one shell string, for running under a pty (`script -qec`). */
  shellCommand(args: string[]): string {
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    return [`CONTAINERS_CONF=${q(join(this.root, 'containers.conf'))}`, 'podman', ...this.globalArgs, ...args].map((s, i) => (i === 0 ? s : q(s))).join(' ');
  }

  /** Removes every container (killing conmon and the exit-command's cleanup if they linger), unmounts, deletes the storage. */
  async destroy(): Promise<Leftovers> {
    await this.podman(['rm', '--all', '--force', '--time', '0']);
    for (const p of processesMentioning(this.root)) await stopProcess(p.pid);
    await unmountUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
    return leftoversOf(this.root, this.globals.release());
  }
}
