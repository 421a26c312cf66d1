// A private dockerd for one test file: its own data root, exec root, socket
// and pid file under one directory, no iptables, no bridge, vfs storage (no
// overlay mounts to leak). dockerd starts its own containerd under the exec
// root; shims of both land in the process table and in /run/containerd/s.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlobalDirs, privateDir, leftoversOf, run, sleep, stopProcess, unmountUnder, descendantsOf, processesMentioning, type Leftovers, type Run } from './host.js';

export interface DockerdOptions {
  /** runtime name -> path of an OCI runtime binary, as daemon.json's "runtimes". */
  runtimes: Record<string, string>;
  /** Optional default runtime name (dockerd then calls `<it> --version` for `docker info`). */
  defaultRuntime?: string;
}

// Created by dockerd (plugins) and by containerd-shim-runc-v2 (s: shim sockets) whatever their roots are.
const GLOBAL = ['/run/docker/plugins', '/run/docker', '/run/containerd/s', '/run/containerd'];

export class Dockerd {
  readonly socket: string;
  readonly log: string;
  private readonly exited: Promise<void>;
  private constructor(readonly root: string, private readonly daemon: ChildProcess, private readonly globals: GlobalDirs) {
    // Awaited in stop(): until node has reaped the daemon it is a zombie in the process table.
    this.exited = new Promise((r) => daemon.once('exit', () => r()));
    this.socket = join(root, 'docker.sock');
    this.log = join(root, 'dockerd.log');
  }

  static async start(opts: DockerdOptions): Promise<Dockerd> {
    const globals = new GlobalDirs(GLOBAL);
    const root = await privateDir('d');
    for (const d of ['data', 'exec', 'tmp']) mkdirSync(join(root, d));
    const config = {
      runtimes: Object.fromEntries(Object.entries(opts.runtimes).map(([name, path]) => [name, { path }])),
      ...(opts.defaultRuntime ? { 'default-runtime': opts.defaultRuntime } : {}),
      iptables: false, 'ip-masq': false, bridge: 'none', 'storage-driver': 'vfs',
    };
    writeFileSync(join(root, 'daemon.json'), JSON.stringify(config, null, 2));
    const logFd = openSync(join(root, 'dockerd.log'), 'a');
    const daemon = spawn('dockerd', [
      '--config-file', join(root, 'daemon.json'),
      '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'),
      '--pidfile', join(root, 'docker.pid'), '-H', `unix://${join(root, 'docker.sock')}`,
    ], {
      stdio: ['ignore', logFd, logFd],
      // Its containerd's temporary files (the goroutine dump dockerd asks of a containerd that misses its health
      // checks, as on a loaded machine: /tmp/containerd.PID.stacks.log) go with the rest of its state.
      env: { ...process.env, TMPDIR: join(root, 'tmp') },
    });
    closeSync(logFd);
    const d = new Dockerd(root, daemon, globals);
    let exited = false;
    daemon.on('exit', () => { exited = true; });
    for (;;) {
      if (exited) {
        const log = readFileSync(d.log, 'utf8');
        await d.stop();
        throw new Error(`dockerd exited during start-up:\n${log.slice(-3000)}`);
      }
      if ((await d.docker(['version'])).code === 0) return d;
      await sleep(200);
    }
  }

  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts: { input?: string; hangMs?: number } = {}): Promise<Run> {
    return run('docker', args, { ...opts, env: { ...process.env, DOCKER_HOST: `unix://${this.socket}` } });
  }

  /** `docker import` of a rootfs tar as `tag`. */
  async importImage(tar: string, tag: string): Promise<void> {
    const r = await this.docker(['import', tar, tag]);
    if (r.code !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  }

  /**
   * Removes every container, stops dockerd (and its containerd and shims),
   * unmounts what is left under the root (the netns bind mount
   * exec/netns/default stays mounted after dockerd exits), deletes the root and
   * the host-global dirs this daemon created. Returns what could not be removed.
   */
  async stop(): Promise<Leftovers> {
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const ids = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', ...ids]);
      const tree = descendantsOf(this.daemon.pid!);
      await stopProcess(this.daemon.pid!);
      await this.exited;
      for (const pid of tree) await stopProcess(pid);
    }
    for (const p of processesMentioning(this.root)) await stopProcess(p.pid);
    await unmountUnder(this.root);
    rmSync(this.root, { recursive: true, force: true });
    return leftoversOf(this.root, this.globals.release());
  }
}
