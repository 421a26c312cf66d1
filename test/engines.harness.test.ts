// The engines harness itself, driven with Debian's stock runc as the runtime:
// a private dockerd, podman with private storage and a private containerd each
// run a busybox container, and each leaves no process, mount or directory
// behind. The tvisor runtime's own engine tests reuse these helpers.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePackages, type Install } from './engines/apt.js';
import { buildBusyboxRootfs, type Rootfs } from './engines/rootfs.js';
import { Dockerd } from './engines/docker.js';
import { Podman } from './engines/podman.js';
import { Containerd } from './engines/containerd.js';
import { writeLoggingRuntime } from './engines/logrunc.js';
import type { Leftovers } from './engines/host.js';

const parent = process.env.TVISOR_TEST_TMP ?? '/tmp';
const NOTHING: Leftovers = { processes: [], mounts: [], paths: [] };

function packages(pkgs: string[]): Install {
  const r = ensurePackages(pkgs);
  if (!r.ok) console.error(`\n!!! ENGINE TESTS SKIPPED: apt could not install ${pkgs.join(', ')}: ${r.reason}\n`);
  return r;
}
const skipName = (r: Install) => (r.ok ? '' : ` [SKIPPED: APT COULD NOT INSTALL THE PACKAGES: ${r.reason}]`);

const base = packages(['busybox-static', 'runc']);
const RUNC = base.ok ? spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim() : '';

let work = '';
let rootfs: Rootfs;
beforeAll(() => {
  if (!base.ok) return;
  work = mkdtempSync(join(parent, 'engines-harness-'));
  rootfs = buildBusyboxRootfs(work);
});
afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

describe.skipIf(!base.ok)(`busybox rootfs${skipName(base)}`, () => {
  it('has busybox, its applets as symlinks and the mount points engines need', () => {
    const bin = readdirSync(join(rootfs.dir, 'bin'));
    expect(bin).toEqual(expect.arrayContaining(['busybox', 'sh', 'echo', 'sleep', 'cat']));
    expect(readdirSync(rootfs.dir)).toEqual(expect.arrayContaining(['proc', 'sys', 'dev', 'tmp', 'etc']));
    expect(readFileSync(join(rootfs.dir, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
    const listed = spawnSync('tar', ['-tf', rootfs.tar], { encoding: 'utf8' }).stdout;
    expect(listed).toContain('./bin/busybox');
  });
});

const dockerPkgs = base.ok ? packages(['docker.io']) : base;
describe.skipIf(!dockerPkgs.ok)(`docker with a private dockerd${skipName(dockerPkgs)}`, () => {
  it('runs echo hi via runc (through the logging runtime), detached exec/logs/stop/rm, and leaves nothing behind', async () => {
    const logDir = join(work, 'docker-calls');
    const logrunc = writeLoggingRuntime(work, logDir, RUNC);
    const d = await Dockerd.start({ runtimes: { 'under-test': RUNC, logrunc } });
    let left: Leftovers | undefined;
    try {
      await d.importImage(rootfs.tar, 'bb:1');
      const hi = await d.docker(['run', '--rm', '--runtime', 'under-test', '--network', 'none', 'bb:1', 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);

      const status = await d.docker(['run', '--rm', '--runtime', 'under-test', '--network', 'none', 'bb:1', 'sh', '-c', 'exit 42']);
      expect(status.code).toBe(42);

      const started = await d.docker(['run', '-d', '--name', 'c1', '--runtime', 'logrunc', '--network', 'none', 'bb:1',
        'sh', '-c', 'echo started; trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done']);
      expect(started.code).toBe(0);
      const ex = await d.docker(['exec', 'c1', 'echo', 'from-exec']);
      expect(ex.stdout).toBe('from-exec\n');
      expect((await d.docker(['exec', 'c1', 'sh', '-c', 'exit 3'])).code).toBe(3);
      expect((await d.docker(['stop', 'c1'])).code).toBe(0);
      expect((await d.docker(['inspect', '-f', '{{.State.ExitCode}}', 'c1'])).stdout.trim()).toBe('7');
      expect((await d.docker(['logs', 'c1'])).stdout).toBe('started\ngot-term\n');
      expect((await d.docker(['rm', 'c1'])).code).toBe(0);

      // The logging runtime saw the shim's calls, in order, with the bundle's config.
      const calls = readdirSync(logDir).filter((f) => /^call\.\d+\.\d+$/.test(f)).sort()
        .map((f) => readFileSync(join(logDir, f), 'utf8').split('\n')[0]!);
      const subcommands = calls.map((a) => /--log-format json (\w+)/.exec(a)?.[1]);
      expect(subcommands.slice(0, 3)).toEqual(['create', 'start', 'exec']);
      expect(subcommands).toContain('kill');
      expect(subcommands).toContain('delete');
      expect(readdirSync(logDir).some((f) => f.endsWith('.config.json'))).toBe(true);
    } finally {
      left = await d.stop();
    }
    expect(left).toEqual(NOTHING);
  });
});

const podmanPkgs = base.ok ? packages(['podman']) : base;
describe.skipIf(!podmanPkgs.ok)(`podman with private storage${skipName(podmanPkgs)}`, () => {
  it('runs echo hi via runc with --rootfs, reports exit status, read-only root and a volume, and leaves nothing behind', async () => {
    const p = await Podman.create(RUNC);
    let left: Leftovers | undefined;
    try {
      const hi = await p.podman(['run', '--rm', '--network', 'none', '--rootfs', rootfs.dir, 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);

      const ro = await p.podman(['run', '--rm', '--network', 'none', '--read-only', '-v', `${work}:/mnt`, '--rootfs', rootfs.dir,
        'sh', '-c', 'touch /x 2>/dev/null && echo wrote-root; ls /mnt/rootfs.tar; exit 42']);
      expect(ro.stdout).toBe('/mnt/rootfs.tar\n');
      expect(ro.code).toBe(42);

      const started = await p.podman(['run', '-d', '--name', 'c1', '--network', 'none', '--rootfs', rootfs.dir,
        'sh', '-c', 'echo started; trap "echo got-term; exit 7" TERM; while true; do sleep 0.1; done']);
      expect(started.code).toBe(0);
      expect((await p.podman(['exec', 'c1', 'echo', 'from-exec'])).stdout).toBe('from-exec\n');
      expect((await p.podman(['stop', 'c1'])).code).toBe(0);
      expect((await p.podman(['inspect', '-f', '{{.State.ExitCode}}', 'c1'])).stdout.trim()).toBe('7');
      expect((await p.podman(['logs', 'c1'])).stdout).toBe('started\ngot-term\n');
      expect((await p.podman(['rm', 'c1'])).code).toBe(0);
    } finally {
      left = await p.destroy();
    }
    expect(left).toEqual(NOTHING);
  });
});

const containerdPkgs = base.ok ? packages(['containerd']) : base;
describe.skipIf(!containerdPkgs.ok)(`containerd with ctr${skipName(containerdPkgs)}`, () => {
  it('runs echo hi via runc, exec/kill/delete of a detached task, and leaves nothing behind', async () => {
    const c = await Containerd.start();
    let left: Leftovers | undefined;
    try {
      const hi = await c.ctr(['run', '--rm', ...c.runArgs(RUNC), '--rootfs', rootfs.dir, 'hi1', 'echo', 'hi']);
      expect(hi.stderr).toBe('');
      expect(hi.stdout).toBe('hi\n');
      expect(hi.code).toBe(0);

      const started = await c.ctr(['run', '-d', ...c.runArgs(RUNC), '--rootfs', rootfs.dir, 't2', 'sh', '-c', 'while true; do sleep 0.1; done']);
      expect(started.code).toBe(0);
      const ex = await c.ctr(['task', 'exec', '--fifo-dir', join(c.root, 'fifo'), '--exec-id', 'e1', 't2', 'echo', 'from-exec']);
      expect(ex.stdout).toBe('from-exec\n');
      expect((await c.ctr(['task', 'kill', '-s', 'SIGKILL', 't2'])).code).toBe(0);
      // stop() waits for the exit and deletes task and container; here only the kill's effect is checked.
    } finally {
      left = await c.stop();
    }
    expect(left).toEqual(NOTHING);
  });
});
