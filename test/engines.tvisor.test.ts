// The tvisor OCI runtime under real engines (issue 9): podman, a private
// dockerd and a private containerd run busybox containers with bin/tvisor.js
// as their runtime, and each leaves nothing behind: the harness's checks
// (engine processes, mounts, dirs) plus no tvisor state, no sandbox process
// and no tvisor-oci-* cgroup.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackages, type Install } from './engines/apt.js';
import { buildBusyboxRootfs, type Rootfs } from './engines/rootfs.js';
import { Dockerd } from './engines/docker.js';
import { Podman } from './engines/podman.js';
import { Containerd } from './engines/containerd.js';
import { alive, processesMentioning, run, sleep, type Leftovers } from './engines/host.js';
import { spawn, spawnSync } from 'node:child_process';
import { compile, FRONT_END, rootWarmsEnded } from './helpers.js';

const parent = process.env.TVISOR_TEST_TMP ?? '/tmp';
const NOTHING: Leftovers = { processes: [], mounts: [], paths: [] };
const TVISOR = resolve('bin/tvisor.js');

function packages(pkgs: string[]): Install {
  const r = ensurePackages(pkgs);
  if (!r.ok) console.error(`\n!!! ENGINE TESTS SKIPPED: apt could not install ${pkgs.join(', ')}: ${r.reason}\n`);
  return r;
}
/** A terminal's output without the one ^@ that script(1) echoes for the end of its empty stdin: its own terminal
 * echoes it whenever script reads that end, so it lands before, between or after the container's lines. */
const withoutScriptEcho = (out: string) => out.replace('^@', '');

const skipName = (r: Install) => (r.ok ? '' : ` [SKIPPED: APT COULD NOT INSTALL THE PACKAGES: ${r.reason}]`);

const base = packages(['busybox-static']);

/** The cgroup directories named tvisor-oci-* in every mounted hierarchy (the runtime's per-container cgroups). */
function ociCgroups(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 0 || !f[sep + 1]?.startsWith('cgroup')) continue;
    const at = f[4]!;
    try {
      for (const n of readdirSync(at)) if (n.startsWith('tvisor-oci-')) out.push(join(at, n));
    } catch { /* unreadable hierarchy */ }
  }
  return out.sort();
}

let work = '';
let rootfs: Rootfs;
let cgroupsBefore: string[] = [];
beforeAll(() => {
  if (!base.ok) return;
  work = mkdtempSync(join(parent, 'engines-tvisor-'));
  rootfs = buildBusyboxRootfs(work);
  cgroupsBefore = ociCgroups();
});
afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/**
 * An executable that runs the tvisor runtime with `pre` global flags before
 * the engine's own (engines exec a path). Podman passes no --root: its
 * wrapper gives a private state root, so the check that no state is left is
 * about this test's containers only.
 */
function wrapper(name: string, pre: string[], frontEnd = false): string {
  const path = join(work, name);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const program = frontEnd ? q(FRONT_END) : `${q(process.execPath)} ${q(TVISOR)}`;
  writeFileSync(path, `#!/bin/sh\nexec ${program} ${pre.map(q).join(' ')} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * What of tvisor outlives a test: sandbox processes and warm command lines of this test's rootfs/engine, new
 * tvisor-oci-* cgroups, state entries (the root's warm command lines, which end 5 s after the root is empty,
 * waited for first).
 */
async function tvisorLeftovers(engineRoot: string, stateRoot?: string): Promise<string[]> {
  for (const root of [stateRoot, ...runtimeRoots(engineRoot)]) if (root) await rootWarmsEnded(root);
  const sandboxes = [...processesMentioning(work), ...processesMentioning(engineRoot)]
    .filter((p) => /(sandbox|warm)-main\.js/.test(p.cmdline)).map((p) => `${p.pid} ${p.cmdline.slice(0, 200)}`);
  const cgroups = ociCgroups().filter((c) => !cgroupsBefore.includes(c));
  const state = stateRoot ? stateEntries(stateRoot).map((n) => join(stateRoot, n)) : [];
  return [...new Set(sandboxes), ...cgroups, ...state];
}

/** The entries of a tvisor state root (engines remove the root itself only with their own). */
function stateEntries(root: string): string[] {
  return existsSync(root) ? readdirSync(root) : [];
}

/** The containers of a tvisor state root: its entries but its warm command lines' socket (src/oci/warm.ts). */
function containersIn(root: string): string[] {
  return stateEntries(root).filter((e) => e !== '@warm.sock');
}

/** The state roots docker's and containerd's runtime calls give (--root), under the engine's own root. */
function runtimeRoots(engineRoot: string): string[] {
  return [join(engineRoot, 'exec/runtime-runc/moby'), join(engineRoot, 'runc/default'), join(engineRoot, 'runc/k8s.io')];
}

/** Polls `f` until it returns true (a detached container's first output arrives asynchronously). */
async function until(f: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (await f()) return true;
    await sleep(100);
  }
  return false;
}

const LOOP = 'echo started; trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done';

const podmanPkgs = base.ok ? packages(['podman']) : base;
describe.skipIf(!podmanPkgs.ok)(`podman --runtime tvisor${skipName(podmanPkgs)}`, () => {
  it('runs with output and exit status, read-only root, a volume, detached exec/logs/stop/rm, and leaves nothing behind', async () => {
    const stateRoot = join(work, 'podman-state');
    mkdirSync(stateRoot);
    const p = await Podman.create(wrapper('tvisor-podman', ['--root', stateRoot, '--log', join(work, 'podman-runtime.log'), '--log-format', 'json'], true));
    let left: Leftovers | undefined;
    try {
      const hi = await p.podman(['run', '--rm', '--network', 'none', '--rootfs', rootfs.dir, 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);

      const status = await p.podman(['run', '--rm', '--network', 'none', '--rootfs', rootfs.dir, 'sh', '-c', 'exit 42']);
      expect(status.code).toBe(42);

      const vol = join(work, 'vol');
      mkdirSync(vol);
      writeFileSync(join(vol, 'in'), 'from-host\n');
      // --read-only mounts tmpfs with tmpcopyup on /run, /tmp and /var/tmp: a root whose /run and
      // /var/tmp have entries gets them copied (owners, modes, links), and writes stay in the tmpfs.
      const roRoot = buildBusyboxRootfs(join(work, 'ro')).dir;
      mkdirSync(join(roRoot, 'run/app'), { recursive: true });
      writeFileSync(join(roRoot, 'run/app/pid'), '42\n');
      chownSync(join(roRoot, 'run/app/pid'), 1000, 1000);
      chmodSync(join(roRoot, 'run/app/pid'), 0o640);
      symlinkSync('app', join(roRoot, 'run/current'));
      mkdirSync(join(roRoot, 'var/tmp'), { recursive: true });
      writeFileSync(join(roRoot, 'var/tmp/kept'), 'kept\n');
      const ro = await p.podman(['run', '--rm', '--network', 'none', '--read-only', '-v', `${vol}:/mnt`, '--rootfs', roRoot,
        'sh', '-c', 'touch /x; cat /mnt/in; echo from-guest > /mnt/out; stat -c "%n %a %u %g" /run/app/pid; readlink /run/current; ' +
        'cat /run/current/pid /var/tmp/kept; echo w > /run/app/new && cat /run/app/new']);
      expect(ro.stderr).toMatch(/touch: \/x: Read-only file system/);
      expect(ro.stdout).toBe('from-host\n/run/app/pid 640 1000 1000\napp\n42\nkept\nw\n');
      expect(readFileSync(join(vol, 'out'), 'utf8')).toBe('from-guest\n');
      expect(existsSync(join(roRoot, 'x'))).toBe(false);
      expect(existsSync(join(roRoot, 'run/app/new'))).toBe(false);

      const started = await p.podman(['run', '-d', '--name', 'c1', '--network', 'none', '--rootfs', rootfs.dir, 'sh', '-c', LOOP]);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(await until(async () => (await p.podman(['logs', 'c1'])).stdout === 'started\n')).toBe(true);
      expect((await p.podman(['exec', 'c1', 'echo', 'from-exec'])).stdout).toBe('from-exec\n');
      expect((await p.podman(['exec', 'c1', 'sh', '-c', 'exit 3'])).code).toBe(3);
      expect((await p.podman(['stop', 'c1'])).code).toBe(0);
      expect((await p.podman(['inspect', '-f', '{{.State.ExitCode}}', 'c1'])).stdout.trim()).toBe('7');
      expect((await p.podman(['logs', 'c1'])).stdout).toBe('started\ngot-term\n');
      expect((await p.podman(['rm', 'c1'])).code).toBe(0);
    } finally {
      left = await p.destroy();
    }
    expect(left).toEqual(NOTHING);
    expect(await tvisorLeftovers(p.root, stateRoot)).toEqual([]);
  });
  it('runs -it under a pty: the container sees a terminal, its output and exit status come back', async () => {
    const stateRoot = join(work, 'podman-tty-state');
    mkdirSync(stateRoot);
    const p = await Podman.create(wrapper('tvisor-podman-tty', ['--root', stateRoot]));
    let left: Leftovers | undefined;
    try {
      const cmd = p.shellCommand(['run', '--rm', '-it', '--network', 'none', '--rootfs', rootfs.dir,
        'sh', '-c', 'tty; test -t 0 && echo stdin-is-a-tty; exit 5']);
      const r = await run('script', ['-qec', cmd, '/dev/null']);
      expect(withoutScriptEcho(r.stdout)).toMatch(/^\/dev\/pts\/\d+\r\nstdin-is-a-tty\r\n$/);
      expect(r.code).toBe(5);
    } finally {
      left = await p.destroy();
    }
    expect(left).toEqual(NOTHING);
    expect(await tvisorLeftovers(p.root, stateRoot)).toEqual([]);
  });
});

const dockerPkgs = base.ok ? packages(['docker.io']) : base;
describe.skipIf(!dockerPkgs.ok)(`docker --runtime=tvisor${skipName(dockerPkgs)}`, () => {
  it('runs with output and exit status, detached exec/logs/stop, -it, and leaves nothing behind', async () => {
    const d = await Dockerd.start({ runtimes: { tvisor: wrapper('tvisor-docker', [], true) } });
    let left: Leftovers | undefined;
    try {
      await d.importImage(rootfs.tar, 'bb:1');
      const hi = await d.docker(['run', '--rm', '--runtime=tvisor', '--network', 'none', 'bb:1', 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);

      const status = await d.docker(['run', '--rm', '--runtime=tvisor', '--network', 'none', 'bb:1', 'sh', '-c', 'exit 42']);
      expect(status.code).toBe(42);

      const started = await d.docker(['run', '-d', '--name', 'c1', '--runtime=tvisor', '--network', 'none', 'bb:1', 'sh', '-c', LOOP]);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(await until(async () => (await d.docker(['logs', 'c1'])).stdout === 'started\n')).toBe(true);
      expect((await d.docker(['exec', 'c1', 'echo', 'from-exec'])).stdout).toBe('from-exec\n');
      expect((await d.docker(['exec', 'c1', 'sh', '-c', 'exit 3'])).code).toBe(3);
      const id = (await d.docker(['inspect', '-f', '{{.Id}}', 'c1'])).stdout.trim();
      expect(containersIn(join(d.root, 'exec/runtime-runc/moby'))).toEqual([id]);
      // docker top: the runtime's `ps --format json` gives the host pids, docker runs ps(1) on them.
      const top = await d.docker(['top', 'c1']);
      expect(top.stderr).toBe('');
      expect(top.stdout).toContain('sh -c echo started');
      expect((await d.docker(['pause', 'c1'])).code).toBe(0);
      expect((await d.docker(['inspect', '-f', '{{.State.Status}}', 'c1'])).stdout.trim()).toBe('paused');
      expect((await d.docker(['unpause', 'c1'])).code).toBe(0);
      expect((await d.docker(['exec', 'c1', 'echo', 'after-unpause'])).stdout).toBe('after-unpause\n');
      expect((await d.docker(['stop', 'c1'])).code).toBe(0);
      expect((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'c1'])).stdout.trim()).toBe('7');
      expect((await d.docker(['logs', 'c1'])).stdout).toBe('started\ngot-term\n');
      expect((await d.docker(['rm', 'c1'])).code).toBe(0);
      // -it: the shim reads create's output to its end, so with a terminal the sandbox must keep none of it.
      const tty = await run('script', ['-qec', `DOCKER_HOST=unix://${d.socket} docker run --rm -it --runtime=tvisor ` +
        '--network none bb:1 sh -c \'tty; test -t 0 && echo stdin-is-a-tty; exit 5\'', '/dev/null']);
      expect(withoutScriptEcho(tty.stdout)).toMatch(/^\/dev\/pts\/\d+\r\nstdin-is-a-tty\r\n$/);
      expect(tty.code).toBe(5);
      // The runtime's state (docker's --root for it): every container was deleted, so nothing is left in it once its
      // warm command lines have gone.
      expect(await rootWarmsEnded(join(d.root, 'exec/runtime-runc/moby'))).toBe(true);
      expect(stateEntries(join(d.root, 'exec/runtime-runc/moby'))).toEqual([]);
    } finally {
      left = await d.stop();
    }
    expect(left).toEqual(NOTHING);
    expect(await tvisorLeftovers(d.root)).toEqual([]);
  });
});

const containerdPkgs = base.ok ? packages(['containerd']) : base;
describe.skipIf(!containerdPkgs.ok)(`containerd ctr --runc-binary tvisor${skipName(containerdPkgs)}`, () => {
  it('runs with output, exec/kill/delete of a detached task, and leaves nothing behind', async () => {
    const c = await Containerd.start();
    const runtime = wrapper('tvisor-ctr', []);
    let left: Leftovers | undefined;
    try {
      const hi = await c.ctr(['run', '--rm', ...c.runArgs(runtime), '--rootfs', rootfs.dir, 'hi1', 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);
      const status = await c.ctr(['run', '--rm', ...c.runArgs(runtime), '--rootfs', rootfs.dir, 'st1', 'sh', '-c', 'exit 42']);
      expect(status.code).toBe(42);

      const started = await c.ctr(['run', '-d', ...c.runArgs(runtime), '--rootfs', rootfs.dir, 't2', 'sh', '-c', 'while true; do sleep 0.1; done']);
      expect(started.code).toBe(0);
      const ex = await c.ctr(['task', 'exec', '--fifo-dir', join(c.root, 'fifo'), '--exec-id', 'e1', 't2', 'echo', 'from-exec']);
      expect(ex.stdout).toBe('from-exec\n');
      expect(containersIn(join(c.root, 'runc/default'))).toEqual(['t2']);
      expect((await c.ctr(['task', 'pause', 't2'])).code).toBe(0);
      expect((await c.ctr(['task', 'ls'])).stdout).toMatch(/t2\s+\d+\s+PAUSED/);
      expect((await c.ctr(['task', 'resume', 't2'])).code).toBe(0);
      expect((await c.ctr(['task', 'ls'])).stdout).toMatch(/t2\s+\d+\s+RUNNING/);
      const ps = await c.ctr(['task', 'ps', 't2']);
      expect(ps.code).toBe(0);
      expect(ps.stdout.trim().split('\n').length).toBeGreaterThan(1);
      expect((await c.ctr(['task', 'kill', '-s', 'SIGKILL', 't2'])).code).toBe(0);
      expect(await until(async () => /t2\s+\d+\s+STOPPED/.test((await c.ctr(['task', 'ls'])).stdout))).toBe(true);
      expect((await c.ctr(['task', 'delete', 't2'])).code).toBe(0);
      expect((await c.ctr(['container', 'delete', 't2'])).code).toBe(0);
      expect(await rootWarmsEnded(join(c.root, 'runc/default'))).toBe(true);
      expect(stateEntries(join(c.root, 'runc/default'))).toEqual([]);
    } finally {
      left = await c.stop();
    }
    expect(left).toEqual(NOTHING);
    expect(await tvisorLeftovers(c.root)).toEqual([]);
  });

  it('runs a pod (CRI annotations) in one sentry: a shared volume and its locks, own /tmp and roots, delete of one container', async () => {
    const c = await Containerd.start();
    // The front end, as a pod's runtime is best given: a join goes to the pod's warm command line.
    const runtime = wrapper('tvisor-ctr-pod', [], true);
    const volume = join(work, 'pod-volume');
    mkdirSync(volume);
    writeFileSync(join(volume, 'lock'), '');
    const hostlocks = compile('hostlocks', ['-static']);
    const member = (kind: string) => ['--annotation', `io.kubernetes.cri.container-type=${kind}`,
      '--annotation', 'io.kubernetes.cri.sandbox-id=pod1', '--annotation', 'io.kubernetes.cri.sandbox-name=pod1',
      '--annotation', 'io.kubernetes.cri.sandbox-namespace=default'];
    const vol = ['--mount', `type=bind,src=${volume},dst=/vol,options=rbind:rw`,
      '--mount', `type=bind,src=${hostlocks},dst=/bin/hostlocks,options=rbind:ro`];
    const exec = async (task: string, script: string) => (await c.ctr(['task', 'exec', '--fifo-dir', join(c.root, 'fifo'),
      '--exec-id', `e${Math.random().toString(36).slice(2, 8)}`, task, 'sh', '-c', script]));
    const sentries = () => [...new Set(processesMentioning(c.root).filter((p) => p.cmdline.includes('sandbox-main.js')).map((p) => p.pid))]
      .filter((pid, _, all) => !all.includes(Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])));
    let left: Leftovers | undefined;
    let lastWarm = 0;
    try {
      const runPod = (id: string, kind: string, extra: string[] = []) =>
        c.ctr(['run', '-d', ...c.runArgs(runtime), ...member(kind), ...extra, '--rootfs', rootfs.dir, id, 'sleep', '600']);
      expect((await runPod('pod1', 'sandbox')).code).toBe(0);
      expect(sentries().length).toBe(1);
      const warmOf = () => Number(spawnSync('pgrep', ['-P', String(sentries()[0]), '-f', 'warm-main.js'], { encoding: 'utf8' }).stdout.trim());
      expect(await until(async () => warmOf() > 0)).toBe(true);
      const warm = warmOf();
      for (const id of ['a', 'b']) expect((await runPod(id, 'container', vol)).code).toBe(0);
      // The joins were the warm command line's: the first one served and ended.
      expect(alive(warm)).toBe(false);
      expect((await runPod('c', 'container')).code).toBe(0);
      // One sentry process for the pod, counted from the host.
      expect(sentries().length).toBe(1);
      expect((await exec('a', 'echo from-a > /vol/f')).code).toBe(0);
      expect((await exec('b', 'cat /vol/f')).stdout).toBe('from-a\n');
      expect((await exec('a', 'echo a > /tmp/mine; cat /tmp/mine')).stdout).toBe('a\n');
      expect((await exec('b', 'cat /tmp/mine 2>/dev/null || echo none')).stdout).toBe('none\n');
      // A lock held in a blocks b.
      const holder = spawn('ctr', ['--address', c.address, 'task', 'exec', '--fifo-dir', join(c.root, 'fifo'), '--exec-id', 'hold',
        'a', 'hostlocks', 'hold', 'flock', '/vol/lock'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let held = '';
      await new Promise<void>((r) => holder.stdout.on('data', (d) => { held += d; if (held.includes('held')) r(); }));
      expect((await exec('b', 'hostlocks check /vol/lock')).stdout).toContain('host flock LOCK_EX|LOCK_NB = -1 EAGAIN');
      holder.stdin.end();
      await new Promise((r) => holder.on('exit', r));
      expect((await exec('b', 'hostlocks check /vol/lock')).stdout).toContain('host flock LOCK_EX|LOCK_NB = 0');
      // Escapes from a towards b's root and the hidden directory.
      expect((await exec('b', 'echo s > /secret-of-b')).code).toBe(0);
      const escape = await exec('a', 'ls -a / /.. /proc/1/root/ | grep -c tvisor; find / -name secret-of-b 2>/dev/null | wc -l; ' +
        'ls /__tvisor_containers__ 2>&1 | grep -c "No such file"');
      expect(escape.stdout.split('\n').map((l) => l.trim())).toEqual(['0', '0', '1', '']);
      // Deleting a container leaves the others running.
      expect((await c.ctr(['task', 'kill', '-s', 'SIGKILL', 'c'])).code).toBe(0);
      expect(await until(async () => /\bc\s+\d+\s+STOPPED/.test((await c.ctr(['task', 'ls'])).stdout))).toBe(true);
      expect((await c.ctr(['task', 'delete', 'c'])).code).toBe(0);
      expect((await c.ctr(['container', 'delete', 'c'])).code).toBe(0);
      expect((await exec('b', 'echo ok')).stdout).toBe('ok\n');
      expect((await c.ctr(['task', 'ls'])).stdout).toMatch(/\bpod1\s+\d+\s+RUNNING[\s\S]*\ba\s+\d+\s+RUNNING|\ba\s+\d+\s+RUNNING[\s\S]*\bpod1\s+\d+\s+RUNNING/);
      expect(sentries().length).toBe(1);
      lastWarm = warmOf();
    } finally {
      left = await c.stop();
    }
    expect(left).toEqual(NOTHING);
    expect(await tvisorLeftovers(c.root)).toEqual([]);
    // The pod's warm command line went with its sandbox.
    expect(lastWarm).toBeGreaterThan(0);
    expect(alive(lastWarm)).toBe(false);
  });
});
