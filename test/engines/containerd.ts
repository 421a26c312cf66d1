// A private containerd (root, state, gRPC/ttrpc sockets under one directory,
// CRI plugin disabled) driven with ctr. ctr's runtime is chosen per container
// (--runc-binary) and so is the runtime's state root (--runc-root, else the
// shim uses /run/containerd/runc/<namespace>). Shims daemonise: they are not
// containerd's children, they are subreapers of their containers.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalDirs, privateDir, leftoversOf, processesMentioning, run, sleep, stopProcess, unmountUnder, type Leftovers, type Run } from './host.js';

// Shim sockets always go to /run/containerd/s; fifo and runc appear when ctr
// is not given --fifo-dir / --runc-root (runArgs() gives both).
const GLOBAL = ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc', '/run/containerd'];

export class Containerd {
  readonly address: string;
  readonly log: string;
  private readonly exited: Promise<void>;
  private constructor(readonly root: string, private readonly daemon: ChildProcess, private readonly globals: GlobalDirs) {
    // Awaited in stop(): until node has reaped the daemon it is a zombie in the process table.
    this.exited = new Promise((r) => daemon.once('exit', () => r()));
    this.address = join(root, 'containerd.sock');
    this.log = join(root, 'containerd.log');
  }

  static async start(): Promise<Containerd> {
    const globals = new GlobalDirs(GLOBAL);
    const root = await privateDir('c');
    for (const d of ['root', 'state', 'fifo', 'runc']) mkdirSync(join(root, d));
    writeFileSync(join(root, 'config.toml'), [
      'version = 2',
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      `root = "${join(root, 'root')}"`,
      `state = "${join(root, 'state')}"`,
      '[grpc]', `  address = "${join(root, 'containerd.sock')}"`,
      '[ttrpc]', `  address = "${join(root, 'containerd.sock.ttrpc')}"`,
      '[debug]', '  address = ""',
      '[metrics]', '  address = ""',
      '',
    ].join('\n'));
    const logFd = openSync(join(root, 'containerd.log'), 'a');
    const daemon = spawn('containerd', ['--config', join(root, 'config.toml')], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const c = new Containerd(root, daemon, globals);
    let exited = false;
    daemon.on('exit', () => { exited = true; });
    for (;;) {
      if (exited) {
        const log = readFileSync(c.log, 'utf8');
        await c.stop();
        throw new Error(`containerd exited during start-up:\n${log.slice(-3000)}`);
      }
      if ((await c.ctr(['version'])).code === 0) return c;
      await sleep(200);
    }
  }

  ctr(args: string[], opts: { input?: string; hangMs?: number } = {}): Promise<Run> {
    return run('ctr', ['--address', this.address, ...args], opts);
  }

  /**
   * Flags for `ctr run` that make `runtime` the OCI runtime, keep its state and
   * the IO fifos under our root, and give PATH (a --rootfs container has no
   * image config, so no PATH: `echo` would not be found).
   */
  runArgs(runtime: string): string[] {
    return ['--runc-binary', runtime, '--runc-root', join(this.root, 'runc'), '--fifo-dir', join(this.root, 'fifo'), '--env', 'PATH=/bin:/sbin'];
  }

  /** Kills and deletes every task and container, stops containerd and any shim, unmounts, deletes the root. */
  async stop(): Promise<Leftovers> {
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const tasks = (await this.ctr(['task', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      for (const t of tasks) {
        await this.ctr(['task', 'kill', '-a', '-s', 'SIGKILL', t]);
        // The task's exit is asynchronous: delete once the shim reports it stopped.
        for (let i = 0; i < 300; i++) {
          if ((await this.ctr(['task', 'delete', t])).code === 0) break;
          await sleep(100);
        }
      }
      for (const id of (await this.ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean)) await this.ctr(['container', 'delete', id]);
      await stopProcess(this.daemon.pid!);
      await this.exited;
    }
    for (const p of processesMentioning(this.root)) await stopProcess(p.pid);
    await unmountUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
    return leftoversOf(this.root, this.globals.release());
  }
}
