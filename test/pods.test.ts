// A Kubernetes pod run with tvisor, driven through the runtime's CLI as
// containerd's CRI plugin drives a runtime: a sandbox container, then
// containers of the pod created with the annotations CRI writes. One
// sentry serves the pod; each container has its own root (under the hidden
// directory) and its own gofer; a volume bound into several containers is
// one filesystem. Escapes from one container towards another's root and the
// hidden directory are each tried, and fail.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBusyboxRootfs } from './engines/rootfs.js';
import { ensurePackages } from './engines/apt.js';
import { cgroupDirs, compile, FRONT_END, rootWarmsEnded, tempDir, TVISOR } from './helpers.js';
import { cmdline } from '../src/proctree.js';

ensurePackages(['busybox-static']);
const base = tempDir('pods');
const { dir: ROOTFS } = buildBusyboxRootfs(base);
copyFileSync(compile('hostlocks', ['-static']), join(ROOTFS, 'bin/hostlocks'));
copyFileSync(compile('pidcalls', ['-static']), join(ROOTFS, 'bin/pidcalls'));
copyFileSync(compile('escape', ['-static', '-pthread']), join(ROOTFS, 'bin/escape'));
const STATE = join(base, 'state');
const VOLUME = join(base, 'volume');
mkdirSync(VOLUME);
/** Volumes the pod declares with runsc's mount hints: a bind, and an emptyDir the pod keeps in memory. */
const HINTED = join(base, 'hinted');
const MEMORY = join(base, 'memory');
mkdirSync(HINTED);
mkdirSync(MEMORY);
const HINTS = {
  'dev.gvisor.spec.mount.hinted.source': HINTED, 'dev.gvisor.spec.mount.hinted.type': 'bind',
  'dev.gvisor.spec.mount.hinted.share': 'pod', 'dev.gvisor.spec.mount.hinted.options': 'rw,rprivate',
  'dev.gvisor.spec.mount.memory.source': MEMORY, 'dev.gvisor.spec.mount.memory.type': 'tmpfs',
  'dev.gvisor.spec.mount.memory.share': 'pod',
};
const PREFIX = `p${process.pid}-`;

interface Result { status: number | null; stdout: string; stderr: string }

/**
 * One runtime command through the front end, as engines run the runtime (a join goes to the pod's warm command
 * line), or through the Node command line (`node: true`); its output through files (a container's waiter keeps
 * create's stdio open).
 */
function oci(args: string[], { timeout = 120_000, node = false, out = join(base, 'cmd.out'), err = join(base, 'cmd.err') } = {}): Result {
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = node ? spawnSync('node', [TVISOR, '--root', STATE, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout })
      : spawnSync(FRONT_END, ['--root', STATE, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

let n = 0;
/** A bundle as CRI makes one: the default spec, the CRI annotations, the pod's namespaces. */
function bundle(kind: 'sandbox' | 'container', sandboxId: string, name: string, edit: (c: Record<string, any>) => void = () => {}): string {
  const dir = join(base, `b${++n}`);
  mkdirSync(dir);
  expect(oci(['spec', '--bundle', dir]).status).toBe(0);
  const path = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(path, 'utf8'));
  c.root = { path: ROOTFS, readonly: false };
  c.process.terminal = false;
  c.hostname = 'the-pod';
  c.annotations = kind === 'sandbox' ? {
    'io.kubernetes.cri.container-type': 'sandbox',
    'io.kubernetes.cri.sandbox-id': sandboxId,
    'io.kubernetes.cri.sandbox-name': 'pod',
    'io.kubernetes.cri.sandbox-namespace': 'default',
    'io.kubernetes.cri.sandbox-uid': 'a1b2c3',
    'io.kubernetes.cri.sandbox-log-directory': '/var/log/pods/default_pod_a1b2c3',
  } : {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.container-name': name,
    'io.kubernetes.cri.image-name': 'docker.io/library/busybox:latest',
    'io.kubernetes.cri.sandbox-id': sandboxId,
    'io.kubernetes.cri.sandbox-name': 'pod',
    'io.kubernetes.cri.sandbox-namespace': 'default',
    'io.kubernetes.cri.sandbox-uid': 'a1b2c3',
  };
  if (kind === 'sandbox') {
    c.process.args = ['sleep', '3600'];
  } else {
    // CRI puts a container in the sandbox's network, IPC and UTS namespaces by path.
    const pause = JSON.parse(oci(['state', sandboxId]).stdout).pid as number;
    c.linux.namespaces = [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc', path: `/proc/${pause}/ns/ipc` },
      { type: 'uts', path: `/proc/${pause}/ns/uts` }, { type: 'network', path: `/proc/${pause}/ns/net` }];
    c.process.args = ['sleep', '3600'];
  }
  edit(c);
  writeFileSync(path, JSON.stringify(c));
  return dir;
}

const withVolume = (c: Record<string, any>) => {
  c.mounts.push({ destination: '/vol', type: 'bind', source: VOLUME, options: ['rbind', 'rw'] });
  c.mounts.push({ destination: '/hinted', type: 'bind', source: HINTED, options: ['rbind', 'rw'] });
  c.mounts.push({ destination: '/memory', type: 'bind', source: MEMORY, options: ['rbind', 'rw'] });
};

const state = (id: string) => JSON.parse(oci(['state', id]).stdout) as { status: string; pid: number };
const alive = (pid: number) => { try { return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
const sh = (id: string, script: string) => oci(['exec', id, 'sh', '-c', script]);

/** Host processes running the sandbox (the sentry) of this test's containers (not its init, a fork of it). */
function sentries(): number[] {
  const out = spawnSync('pgrep', ['-f', `sandbox-main.js.*${STATE}`], { encoding: 'utf8' }).stdout;
  const pids = out.split('\n').filter(Boolean).map(Number);
  const ppid = (pid: number) => { try { return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]); } catch { return 0; } };
  return pids.filter((p) => !pids.includes(ppid(p)));
}

/** The pod's warm command line (src/oci/warm.ts): the sentry's child waiting for a joining create; 0 while none is. */
function warmOf(sentry: number): number {
  const out = spawnSync('pgrep', ['-P', String(sentry), '-f', 'warm-main.js'], { encoding: 'utf8' }).stdout;
  const pids = out.split('\n').filter(Boolean).map(Number);
  expect(pids.length).toBeLessThan(2);
  return pids[0] ?? 0;
}

async function until(f: () => boolean, ms = 30_000): Promise<void> {
  for (let i = 0; i < ms / 50 && !f(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(f()).toBe(true);
}

function createAndStart(dir: string, id: string): void {
  const r = oci(['create', '--bundle', dir, id]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(oci(['start', id]).status).toBe(0);
}

afterAll(() => {
  for (const id of existsSync(STATE) ? readdirSync(STATE) : []) oci(['delete', '--force', id]);
});

describe('a pod of three busybox containers, created with CRI annotations', () => {
  const SB = `${PREFIX}sandbox`;
  const [A, B, C] = [`${PREFIX}a`, `${PREFIX}b`, `${PREFIX}c`];

  it('runs every container in one sentry, each in its own root, sharing the pod\'s volume and hostname', async () => {
    createAndStart(bundle('sandbox', SB, 'pause', (c) => Object.assign(c.annotations, HINTS)), SB);
    const before = sentries();
    expect(before.length).toBe(1);
    createAndStart(bundle('container', SB, 'a', withVolume), A);
    createAndStart(bundle('container', SB, 'b', withVolume), B);
    createAndStart(bundle('container', SB, 'c'), C);
    // One sentry for the pod, counted from the host.
    expect(sentries()).toEqual(before);
    for (const id of [SB, A, B, C]) expect(state(id).status).toBe('running');
    // The pod's hostname in every container.
    for (const id of [A, B, C]) expect(sh(id, 'hostname')).toMatchObject({ status: 0, stdout: 'the-pod\n' });
    // A write in the shared volume by one container is read by another at once.
    expect(sh(A, 'echo from-a > /vol/f').status).toBe(0);
    expect(sh(B, 'cat /vol/f')).toMatchObject({ status: 0, stdout: 'from-a\n' });
    expect(readFileSync(join(VOLUME, 'f'), 'utf8')).toBe('from-a\n');
    // The same through the volumes the hints declare: the bind is the host's directory, the tmpfs the sentry's memory.
    expect(sh(A, 'echo h > /hinted/f; echo m > /memory/f').status).toBe(0);
    expect(sh(B, 'cat /hinted/f /memory/f; grep -E " /(hinted|memory) " /proc/mounts | cut -d" " -f2,3')).toMatchObject(
      { status: 0, stdout: 'h\nm\n/hinted 9p\n/memory tmpfs\n' });
    expect(readFileSync(join(HINTED, 'f'), 'utf8')).toBe('h\n');
    expect(readdirSync(MEMORY)).toEqual([]);
    // An unshared /tmp (the container's own root) differs per container.
    expect(sh(A, 'echo a > /tmp/mine').status).toBe(0);
    expect(sh(B, 'cat /tmp/mine 2>&1; echo b > /tmp/mine; cat /tmp/mine').stdout).toBe('cat: can\'t open \'/tmp/mine\': No such file or directory\nb\n');
    expect(sh(A, 'cat /tmp/mine').stdout).toBe('a\n');
    expect(sh(C, 'ls /vol 2>&1').status).not.toBe(0);
  }, 300_000);

  it('hands a joining create to the pod\'s warm command line, which the sandbox replaces; Node joins as well', async () => {
    const [sentry] = sentries();
    await until(() => warmOf(sentry!) > 0);
    const warm = warmOf(sentry!);
    // It holds none of the sentry's descriptors: its stdio is /dev/null, fd 3 the warm socket, the rest Node's own.
    const links = readdirSync(`/proc/${warm}/fd`).map((fd) => readlinkSync(`/proc/${warm}/fd/${fd}`));
    expect(links.filter((l) => /seccomp|pidfd|\/dev\/pts|^\/(?!dev\/null)/.test(l))).toEqual([]);
    // Its create's stdio is the container's: the front end hands its own over.
    const W = `${PREFIX}w`;
    const [out, err] = [join(base, 'w.out'), join(base, 'w.err')];
    const dir = bundle('container', SB, 'w', (c) => { c.process.args = ['sh', '-c', 'echo out-w; echo err-w >&2; hostname']; });
    expect(oci(['create', '--bundle', dir, W], { out, err })).toMatchObject({ status: 0 });
    // That one served it and ended; the sandbox started another.
    await until(() => !alive(warm) && warmOf(sentry!) > 0);
    expect(readFileSync(`/proc/${state(W).pid}/cmdline`, 'utf8')).toMatch(/^[^\0]*\/tvisor-waiter\0/);
    expect(oci(['start', W]).status).toBe(0);
    await until(() => state(W).status === 'stopped');
    expect(readFileSync(out, 'utf8')).toBe('out-w\nthe-pod\n');
    expect(readFileSync(err, 'utf8')).toBe('err-w\n');
    expect(oci(['delete', W]).status).toBe(0);
    // A warm create's error is the command's, on its stderr, as Node's would be.
    const second = warmOf(sentry!);
    expect(oci(['create', '--bundle', bundle('container', SB, 'w'), A])).toMatchObject(
      { status: 1, stderr: `tvisor: container with id exists: ${A}\n` });
    await until(() => !alive(second) && warmOf(sentry!) > 0);
    // The Node command line joins a pod the same way, without the warm one.
    const third = warmOf(sentry!);
    const N = `${PREFIX}n`;
    expect(oci(['create', '--bundle', bundle('container', SB, 'n'), N], { node: true })).toMatchObject({ status: 0, stderr: '' });
    expect(oci(['start', N]).status).toBe(0);
    expect(sh(N, 'hostname')).toMatchObject({ status: 0, stdout: 'the-pod\n' });
    expect(warmOf(sentry!)).toBe(third);
    expect(oci(['delete', '--force', N]).status).toBe(0);
  }, 180_000);

  it('makes a lock held in one container block another (flock and fcntl)', async () => {
    writeFileSync(join(VOLUME, 'lock'), '');
    for (const [mode, conflict] of [['flock', 'host flock LOCK_EX|LOCK_NB = -1 EAGAIN'], ['posix', 'host F_SETLK F_WRLCK = -1 EAGAIN']]) {
      // The holder keeps its lock until its stdin (this test's pipe) closes.
      const holder = spawn('node', [TVISOR, '--root', STATE, 'exec', A, 'hostlocks', 'hold', mode!, '/vol/lock'],
        { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      await new Promise<void>((r) => holder.stdout.on('data', (d) => { out += d; if (out.includes('held')) r(); }));
      expect(out).toMatch(/ = 0\nheld\n/);
      expect(sh(B, 'hostlocks check /vol/lock').stdout).toContain(conflict);
      holder.stdin.end();
      await new Promise((r) => holder.on('exit', r));
      expect(sh(B, 'hostlocks check /vol/lock').stdout).toContain(conflict!.replace(/-1 \w+$/, '0'));
    }
  }, 120_000);

  it('keeps each container to its own processes: ps, state, events, the calls that name a pid', () => {
    const pidsIn = (id: string) => sh(id, 'ls /proc | grep -E "^[0-9]+$" | sort -n').stdout.trim().split('\n');
    const inA = pidsIn(A);
    const inB = pidsIn(B);
    // pid 1 (the sandbox's init) is in every view; otherwise nothing in common.
    expect(inA.filter((p) => inB.includes(p))).toEqual(['1']);
    // The calls that name a process (limits, scheduling, priorities, group, session, kcmp) reach only one's own.
    const target = inB.find((p) => p !== '1')!;
    const calls = (id: string) => sh(id, `pidcalls ${target}`).stdout.trim().split('\n').map((l) => l.split(' '));
    const fromB = calls(B);
    expect(fromB.length).toBe(11);
    expect(fromB.filter(([, r]) => r !== '0')).toEqual([]);
    expect(calls(A)).toEqual(fromB.map(([name]) => [name, 'ESRCH']));
    // A uid's priority (PRIO_USER: root's, in both) reaches the caller's container only.
    expect(sh(B, `pidcalls user 5 ${target}`).stdout).toBe(`setpriority_user 0\nnice ${target} 5\n`);
    expect(sh(A, 'pidcalls user 12 $$').stdout).toMatch(/^setpriority_user 0\nnice \d+ 12\n$/);
    expect(sh(B, `pidcalls user - ${target}`).stdout).toBe(`nice ${target} 5\n`);
    const ps = (id: string) => JSON.parse(oci(['ps', '--format', 'json', id]).stdout) as number[];
    const [psA, psB] = [ps(A), ps(B)];
    expect(psA.length).toBe(1);
    expect(psB.length).toBe(1);
    expect(psA[0]).not.toBe(psB[0]);
    const stats = JSON.parse(oci(['events', '--stats', A]).stdout);
    expect(stats).toMatchObject({ type: 'stats', id: A, data: { pids: { current: 1 } } });
    expect(stats.data.memory.usage.usage).toBeGreaterThan(0);
  }, 120_000);

  it('lets no container reach the hidden directory or another container\'s root', () => {
    expect(sh(B, 'echo secret > /secret-of-b').status).toBe(0);
    const bPids = sh(B, 'ls /proc | grep -E "^[0-9]+$" | grep -vx 1 | sort -n').stdout.trim().split('\n');
    expect(bPids.length).toBeGreaterThan(0);
    const attempts = [
      'ls -a / | grep -c tvisor',
      'ls -a /.. /../.. | grep -c tvisor',
      'cd /../../..; ls -a | grep -c tvisor',
      'stat /__tvisor_containers__ 2>&1 | grep -c "No such file"',
      `ls /__tvisor_containers__/${B} 2>&1 | grep -c "No such file"`,
      `cat /../__tvisor_containers__/${B}/secret-of-b 2>&1 | grep -c "No such file"`,
      'ls -a /proc/1/root/ /proc/1/root/.. /proc/1/cwd/.. | grep -c tvisor',
      'ls /proc/self/root/../.. | grep -c tvisor',
      'cat /proc/self/mountinfo /proc/1/mountinfo /proc/mounts | grep -c tvisor',
      'find / -name secret-of-b 2>/dev/null | wc -l',
      ...bPids.flatMap((p) => [`ls /proc/${p}/root/ 2>&1 | grep -c "No such file"`, `ls /proc/${p}/cwd/ 2>&1 | grep -c "No such file"`,
        `cat /proc/${p}/root/secret-of-b 2>&1 | grep -c "No such file"`,
        // Another container's processes are not there to signal.
        `kill -0 ${p} 2>&1 | grep -c "No such process"`, `kill -9 -${p} 2>&1 | grep -c "No such process"`]),
    ];
    const expected = attempts.map((a) => (a.includes('No such') ? '1' : '0'));
    const got = sh(A, attempts.map((a) => `${a} || true`).join('; ')).stdout.trim().split('\n');
    expect(got).toEqual(expected);
    // The sandbox's own container sees no hidden directory either.
    expect(sh(SB, 'ls -a / | grep -c tvisor; cat /proc/1/mountinfo | grep -c tvisor').stdout).toBe('0\n0\n');
  }, 120_000);

  it('lets a container pivot_root its own root only, and reach nothing above the new one', () => {
    const P = `${PREFIX}pivot`;
    // Mounting needs CAP_SYS_ADMIN, which the default spec does not give (b's pivot_root is refused).
    expect(sh(B, 'pivot_root / / 2>&1 | grep -c "not permitted"').stdout).toBe('1\n');
    createAndStart(bundle('container', SB, 'pivot', (c) => {
      for (const set of ['bounding', 'effective', 'permitted']) c.process.capabilities[set].push('CAP_SYS_ADMIN');
    }), P);
    // A container runtime's sequence, with the guest's own busybox in a tmpfs as the new root.
    const pivot = sh(P, 'mount -t tmpfs none /mnt && mkdir /mnt/bin /mnt/old /mnt/proc && cp /bin/busybox /bin/escape /mnt/bin/ && ' +
      'for a in sh ls cat stat grep mount umount wc; do ln -s busybox /mnt/bin/$a; done && echo pivoted > /mnt/marker && ' +
      'cd /mnt && pivot_root . old && umount -l /old && mount -t proc proc /proc && echo done');
    expect(pivot).toEqual({ status: 0, stdout: 'done\n', stderr: '' });
    // Its later processes start at the new root, its first one was moved there, and its proc's init shows it.
    const first = sh(P, 'ls /proc | grep -E "^[0-9]+$" | grep -vx 1 | sort -n').stdout.trim().split('\n')[0];
    expect(sh(P, `cat /marker /proc/1/root/marker /proc/${first}/root/marker; ls /old | wc -l`).stdout).toBe('pivoted\npivoted\npivoted\n0\n');
    const attempts = [
      'ls -a / /.. /../.. | grep -c tvisor',
      'stat /__tvisor_containers__ 2>&1 | grep -c "No such file"',
      `cat /../__tvisor_containers__/${B}/secret-of-b 2>&1 | grep -c "No such file"`,
      'ls -a /proc/1/root/ /proc/1/root/.. /proc/self/root/../.. /proc/1/cwd/.. | grep -c tvisor',
      'cat /proc/self/mountinfo /proc/1/mountinfo /proc/mounts | grep -c tvisor',
      `cat /proc/self/root/../__tvisor_containers__/${B}/secret-of-b 2>&1 | grep -c "No such file"`,
    ];
    const got = sh(P, attempts.map((a) => `${a} || true`).join('; ')).stdout.trim().split('\n');
    expect(got).toEqual(attempts.map((a) => (a.includes('No such') ? '1' : '0')));
    // The other containers' roots are theirs as before.
    expect(sh(B, 'cat /secret-of-b; ls /marker 2>&1 | grep -c "No such file"').stdout).toBe('secret\n1\n');
    // Another container's root passed over a socket is no mount of this one's to pivot to, bind, mount on or take.
    const server = spawn('node', [TVISOR, '--root', STATE, 'exec', B, 'escape', 'serve-root', `${PREFIX}root`], { stdio: 'ignore' });
    try {
      expect(sh(P, `escape pivot-passed ${PREFIX}root`).stdout).toBe(['pivot to it: EINVAL', 'bind it: EINVAL', 'mount on it: EINVAL',
        'remount it: EINVAL', 'make it private: EINVAL', 'move it: EINVAL', 'umount it: EINVAL', 'pivot to it from there: EINVAL', ''].join('\n'));
    } finally {
      server.kill();
    }
    // A pivoted container is deleted as any other, its new root with it.
    expect(oci(['delete', '--force', P]).status).toBe(0);
    expect(sh(B, 'echo ok').stdout).toBe('ok\n');
  }, 180_000);

  it('ends a container whose first process ends, and deletes a container, leaving the others running', async () => {
    const D = `${PREFIX}d`;
    // Its first process ends when told (a fixed sleep lost the race with `state` on a busy machine).
    createAndStart(bundle('container', SB, 'd', (c) => {
      c.process.args = ['sh', '-c', 'sleep 600 & until [ -e /tmp/end ]; do sleep 0.1; done; exit 3'];
    }), D);
    // The pid engines wait for is a small waiter, not a Node process.
    expect(readFileSync(`/proc/${state(D).pid}/cmdline`, 'utf8')).toMatch(/^[^\0]*\/tvisor-waiter\0/);
    expect(sh(D, 'touch /tmp/end').status).toBe(0);
    // Stopped: its waiter has ended (a zombie until its reaper reaps it).
    await until(() => state(D).status === 'stopped');
    expect(oci(['delete', D]).status).toBe(0);
    // The waiter exits as the container's first process did: run waits for it (and deletes the container, as runc's).
    const exits = [['exit 7', 7], ['kill -TERM $$', 128 + 15]] as const;
    for (const [i, [script, status]] of exits.entries()) {
      expect(oci(['run', '--bundle', bundle('container', SB, `e${i}`, (c) => { c.process.args = ['sh', '-c', script]; }),
        `${PREFIX}e${i}`])).toMatchObject({ status, stderr: '' });
    }
    // Its background sleep went with it: a's view has no stray process.
    for (const id of [SB, A, B, C]) expect(state(id).status).toBe('running');
    // kill -1 in a container reaches its own processes only.
    sh(C, 'kill -9 -1');
    await until(() => state(C).status === 'stopped');
    for (const id of [SB, A, B]) expect(state(id).status).toBe('running');
    // Deleting the container whose gofer serves the shared volume leaves it served for the other.
    expect(oci(['delete', '--force', A]).status).toBe(0);
    expect(state(B).status).toBe('running');
    expect(sh(B, 'cat /vol/f; echo more >> /vol/f; cat /vol/f')).toMatchObject({ status: 0, stdout: 'from-a\nfrom-a\nmore\n' });
    expect(oci(['delete', C]).status).toBe(0);
    expect(sh(B, 'echo ok')).toMatchObject({ status: 0, stdout: 'ok\n' });
    expect(sentries().length).toBe(1);
  }, 300_000);

  it('tears the pod down with its sandbox container', async () => {
    const sentry = sentries();
    const warm = warmOf(sentry[0]!);
    expect(warm).toBeGreaterThan(0);
    const late = bundle('container', SB, 'late');
    expect(oci(['delete', '--force', SB]).status).toBe(0);
    await until(() => state(B).status === 'stopped');
    expect(oci(['delete', B]).status).toBe(0);
    for (const pid of [...sentry, warm]) expect(alive(pid)).toBe(false);
    // With no pod's socket to hand it to, the front end runs the Node command line (the root's warm one does not
    // serve a join), which says why it cannot join.
    expect(oci(['create', '--bundle', late, `${PREFIX}late`])).toMatchObject(
      { status: 1, stderr: `tvisor: container does not exist: ${SB}\n` });
    expect(await rootWarmsEnded(STATE)).toBe(true);
    expect(readdirSync(STATE)).toEqual([]);
  }, 120_000);
});

describe('a pod one of whose gofers stops answering', () => {
  const SB = `${PREFIX}stall`;
  const [X, Y] = [`${PREFIX}x`, `${PREFIX}y`];
  const [DX, DY] = [join(base, 'stall-x'), join(base, 'stall-y')];

  /** The gofers the sentry started, by the host directories in their mount tables. */
  function goferServing(sentry: number, dir: string): number {
    const out = spawnSync('pgrep', ['-P', String(sentry), '-f', 'gofer/main.js'], { encoding: 'utf8' }).stdout;
    const pids = out.split('\n').filter(Boolean).map(Number)
      .filter((p) => { try { return readFileSync(`/proc/${p}/mountinfo`, 'utf8').includes(dir); } catch { return false; } });
    expect(pids).toHaveLength(1);
    return pids[0]!;
  }

  it('ends the container that gofer serves after --gofer-timeout, and no other: the sentry keeps serving', async () => {
    mkdirSync(DX);
    mkdirSync(DY);
    const pause = bundle('sandbox', SB, 'pause');
    expect(oci(['--gofer-timeout', '1', 'create', '--bundle', pause, SB])).toMatchObject({ status: 0, stderr: '' });
    expect(oci(['start', SB]).status).toBe(0);
    const [sentry] = sentries().filter((p) => cmdline(p).includes(SB));
    const bind = (source: string) => (c: Record<string, any>) => {
      c.mounts.push({ destination: '/data', type: 'bind', source, options: ['rbind', 'rw'] });
      // Each turn asks the gofer: a bind is coherent with the host, so its stat is never served from a cache.
      c.process.args = ['sh', '-c', 'while :; do stat /data >/dev/null; sleep 0.1; done'];
    };
    createAndStart(bundle('container', SB, 'x', bind(DX)), X);
    createAndStart(bundle('container', SB, 'y', bind(DY)), Y);
    const gofer = goferServing(sentry!, DX);
    process.kill(gofer, 'SIGSTOP');
    await until(() => state(X).status === 'stopped');
    await until(() => !alive(gofer));
    // The rest of the pod is served: Y's own gofer, the sandbox's.
    for (const id of [SB, Y]) expect(state(id).status).toBe('running');
    expect(sh(Y, 'echo y > /data/f; cat /data/f; hostname')).toMatchObject({ status: 0, stdout: 'y\nthe-pod\n' });
    expect(oci(['delete', X]).status).toBe(0);
    expect(oci(['delete', '--force', SB]).status).toBe(0);
    await until(() => state(Y).status === 'stopped');
    expect(oci(['delete', Y]).status).toBe(0);
    expect(alive(sentry!)).toBe(false);
  }, 120_000);
});

describe('a pod whose containers have limits of their own', () => {
  const SB = `${PREFIX}limits`;
  const [L, M] = [`${PREFIX}l`, `${PREFIX}m`];

  it('holds each container to its limits: a memory hog or a fork bomb in one fails there alone', () => {
    createAndStart(bundle('sandbox', SB, 'pause'), SB);
    createAndStart(bundle('container', SB, 'l', (c) => {
      c.linux.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 8 }, cpu: { shares: 512 } };
    }), L);
    createAndStart(bundle('container', SB, 'm'), M);
    // From the host: the container's own cgroup under the pod's guests, with its limits (cgroup v2: one
    // hierarchy; v1: one per controller).
    const dirs = cgroupDirs(`tvisor-oci-${SB}`);
    const withFile = (file: string) => {
      const found = dirs.map((d) => join(d, 'guests')).filter((g) => existsSync(join(g, L, file)));
      expect(found).toHaveLength(1);
      return (id: string, name = file) => join(found[0]!, id, name);
    };
    const v2 = existsSync(withFile('pids.max')(L, 'memory.max'));
    const memory = withFile(v2 ? 'memory.max' : 'memory.limit_in_bytes');
    const pids = withFile('pids.max');
    expect(readFileSync(memory(L), 'utf8')).toBe(`${64 * 1024 * 1024}\n`);
    expect(readFileSync(pids(L), 'utf8')).toBe('8\n');
    // Its first process is there, and events --stats reports its cgroup.
    expect(readFileSync(pids(L, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number)).toContain(
      Number(oci(['ps', '--format', 'json', L]).stdout.match(/\d+/)![0]));
    expect(JSON.parse(oci(['events', '--stats', L]).stdout)).toMatchObject({ type: 'stats', id: L,
      data: { memory: { usage: { limit: 64 * 1024 * 1024 } }, pids: { current: 1, limit: 8 } } });
    // A hog exec'd in L is killed by L's limit; L, M and the pod go on.
    expect(sh(L, 'awk \'BEGIN { s = "x"; while (1) s = s s }\'; echo "hog $?"')).toMatchObject({ status: 0, stdout: 'hog 137\n' });
    const events = v2 ? 'memory.events' : 'memory.oom_control';
    expect(readFileSync(memory(L, events), 'utf8')).toMatch(/^oom_kill [1-9]/m);
    expect(readFileSync(memory(M, events), 'utf8')).toMatch(/^oom_kill 0$/m);
    // Forks in L fail past its pids limit; M forks as many as it asks.
    expect(sh(L, 'for i in $(seq 1 20); do sleep 5 & done 2>&1 | grep -c "can.t fork" >/dev/null && echo refused').stdout).toBe('refused\n');
    expect(sh(M, 'for i in $(seq 1 20); do sleep 1 & done; wait; echo forked')).toMatchObject({ status: 0, stdout: 'forked\n' });
    // A copy-up is the sentry's write, outside L's cgroup: L's root takes at most half of L's memory, so a
    // lower file larger than that cannot be copied up (ENOSPC, as overlayfs over a full upper); M's can.
    const big = join(ROOTFS, 'big');
    writeFileSync(big, Buffer.alloc(40 << 20));
    try {
      const r = sh(L, 'echo x >> /big');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/No space left on device/);
      expect(sh(M, 'echo x >> /big && wc -c < /big')).toMatchObject({ status: 0, stdout: `${(40 << 20) + 2}\n` });
    } finally {
      rmSync(big);
    }
    for (const id of [SB, L, M]) expect(state(id).status).toBe('running');
    // Deleting L takes its cgroup; deleting the pod, the rest.
    expect(oci(['delete', '--force', L]).status).toBe(0);
    for (const d of dirs) expect(existsSync(join(d, 'guests', L))).toBe(false);
    expect(oci(['delete', '--force', M]).status).toBe(0);
    expect(oci(['delete', '--force', SB]).status).toBe(0);
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  }, 120_000);
});
