// The sandbox's resource limits (issue 14): a guest that exhausts one gets
// Linux's errno or is killed inside the sandbox, and the host and the
// sentry are unaffected.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, REPO, sandboxSh, TVISOR, tvisorDo } from './helpers.js';

describe('mount limit', () => {
  it('refuses an rbind past fs.mount-max (100 000) with ENOSPC, whole, and keeps serving', async () => {
    // Each rbind of / doubles the mount count: 6 mounts at the start, 98 304 after 14 steps; the 15th would pass the limit.
    const r = await sandboxShAsync('for i in $(seq 1 25); do mkdir -p /tmp/m$i; ' +
      'mount --rbind / /tmp/m$i 2>/dev/null || { echo "step $i refused"; break; }; done; ' +
      'wc -l < /proc/mounts; d=$(mktemp -d) && mount -t tmpfs none $d && echo mounted && wc -l < /proc/mounts; ' +
      'umount -l /tmp/m14 && wc -l < /proc/mounts && mount --rbind /tmp/m1 /tmp/m15 && wc -l < /proc/mounts');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('step 15 refused\n98304\nmounted\n98305\n49153\n49159\n');
  }, 300_000);
});

/**
 * `sh -c script` in tvisor without blocking the worker's event loop: a
 * synchronous run of minutes starves vitest's RPC (onTaskUpdate times out).
 */
function sandboxShAsync(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TVISOR, 'do', '--', '/bin/sh', '-c', script], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The sandbox cgroups (tvisor-<CLI pid>) of CLIs that have ended (or of `onlyPid`), in every hierarchy of this host. */
function leftCgroups(onlyPid?: number): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const pid = /^tvisor-(\d+)$/.exec(e.name)?.[1];
      if (pid && (onlyPid === undefined ? !existsSync(`/proc/${pid}`) : Number(pid) === onlyPid)) found.push(join(dir, e.name));
      else if (depth < 4) visit(join(dir, e.name), depth + 1);
    }
  };
  visit('/sys/fs/cgroup', 0);
  return found;
}

const pause = () => new Promise((r) => setTimeout(r, 50));
const procsOf = (dir: string, sub: string) => readFileSync(join(dir, sub, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

/**
 * The command line a front end (bin/tvisor do) runs as its child beside the gofer, once its sandbox runs: its pid
 * and its cgroups, with the sandbox process and the gofer in sentry/ and the guests in guests/.
 */
async function sandboxRunning(frontEnd: number): Promise<{ cli: number; dirs: string[] }> {
  const commandLine = () => {
    try {
      return readFileSync(`/proc/${frontEnd}/task/${frontEnd}/children`, 'utf8').trim().split(' ').filter(Boolean)
        .find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('cli.js'));
    } catch { return undefined; }
  };
  while (commandLine() === undefined) await pause();
  const cli = Number(commandLine());
  while (leftCgroups(cli).length === 0) await pause();
  const dirs = leftCgroups(cli);
  // The moves into sentry/ are made beside the sandbox's start; the guests are in guests/ before they run.
  while (!dirs.every((d) => procsOf(d, 'guests').length > 0 && procsOf(d, 'sentry').length >= 2)) await pause();
  return { cli, dirs };
}

describe('process and memory limits of do', () => {
  afterAll(() => expect(leftCgroups()).toEqual([]));

  it('a fork bomb under --pids 64 gets EAGAIN inside, and the sandbox keeps serving', () => {
    const bomb = compile('forkbomb');
    const r = tvisorDo(['/bin/sh', '-c', `${bomb}; ${bomb}; echo still here`], { flags: ['--pids', '64'] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('forked=yes fork failed: EAGAIN\n'.repeat(2) + 'still here\n');
    expect(r.status).toBe(0);
  });

  it('a memory hog under --memory 64m is killed (137), the sentry reports it and keeps serving', () => {
    const hog = compile('memhog');
    const alone = tvisorDo([hog], { flags: ['--memory', '64m'] });
    expect(alone.stdout).toBe('');
    expect(alone.status).toBe(137);
    expect(alone.stderr).toBe('tvisor: the sandbox reached its memory limit (--memory 67108864 bytes): the kernel killed 1 process\n');
    const inShell = tvisorDo(['/bin/sh', '-c', `${hog}; echo status=$?; ls -d /usr`], { flags: ['--memory', '64m'] });
    expect(inShell.stdout).toBe('status=137\n/usr\n');
    expect(inShell.status).toBe(0);
  });

  it('puts the sandbox process and its gofer in the sandbox\'s cgroup (sentry/), the guests in guests/, as the sandbox runs', async () => {
    const frontEnd = spawn(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sleep', '2'], { stdio: 'ignore' });
    try {
      const { cli, dirs } = await sandboxRunning(frontEnd.pid!);
      for (const d of dirs) {
        const sentry = procsOf(d, 'sentry');
        expect(sentry).toContain(cli);
        expect(sentry.filter((p) => p !== cli).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8'))).toEqual(
          [expect.stringContaining('gofer/main.js')]);
        expect(procsOf(d, 'guests')).not.toContain(cli);
        expect(procsOf(d, 'sentry')).not.toContain(frontEnd.pid);
      }
    } finally {
      const exited = new Promise((r) => frontEnd.on('exit', r));
      frontEnd.kill('SIGTERM');
      await exited;
    }
  });

  it('through the front end: it removes the cgroups once the command line has exited, passes SIGTERM on, and its death ends the sandbox', async () => {
    // The front end waits for the command line, its child, and removes the cgroups the command line was in.
    const frontEnd = spawn(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sleep', '30'], { stdio: 'ignore' });
    const ended = new Promise<[number | null, string | null]>((r) => frontEnd.on('exit', (code, sig) => r([code, sig])));
    const { cli, dirs } = await sandboxRunning(frontEnd.pid!);
    frontEnd.kill('SIGTERM');
    expect(await ended).toEqual([143, null]);
    expect(existsSync(`/proc/${cli}`)).toBe(false);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
    // Killed, the front end leaves the command line SIGTERM (PR_SET_PDEATHSIG): it ends the sandbox and removes them itself.
    const killed = spawn(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sleep', '30'], { stdio: 'ignore' });
    const orphan = await sandboxRunning(killed.pid!);
    killed.kill('SIGKILL');
    for (let i = 0; i < 600 && existsSync(`/proc/${orphan.cli}`); i++) await pause();
    expect(existsSync(`/proc/${orphan.cli}`)).toBe(false);
    expect(orphan.dirs.filter((d) => existsSync(d))).toEqual([]);
    expect(spawnSync(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sh', '-c', 'exit 7'], { encoding: 'utf8' })).toMatchObject({ status: 7, stderr: '' });
  });

  it('removes the cgroup a killed CLI left, once its sandbox has ended', async () => {
    const cli = spawn(process.execPath, [TVISOR, 'do', '--', 'sleep', '1'], { stdio: 'ignore' });
    const procs = (d: string) => ['sentry', 'guests'].map((s) => readFileSync(join(d, s, 'cgroup.procs'), 'utf8')).join('');
    const guestsRun = (d: string) => readFileSync(join(d, 'guests', 'cgroup.procs'), 'utf8') !== '';
    while (leftCgroups(cli.pid).length === 0) await pause();
    const dirs = leftCgroups(cli.pid);
    while (!dirs.every(guestsRun)) await pause();
    const exited = new Promise((r) => cli.on('exit', r));
    cli.kill('SIGKILL');
    await exited;
    while (dirs.some((d) => procs(d) !== '')) await pause();
    expect(dirs.every((d) => existsSync(d))).toBe(true);
    expect(tvisorDo(['true']).status).toBe(0);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  });

  it('runs without a cgroup when both limits are 0, and refuses a bad size', () => {
    expect(tvisorDo(['true'], { flags: ['--memory=0', '--pids=0'] }).status).toBe(0);
    const bad = tvisorDo(['true'], { flags: ['--memory', 'lots'] });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a size/);
  });
});

describe('tmpfs files and the sentry\'s fds', () => {
  it('holds 200 000 files in /tmp (a sentry fd each used to stop it at ~19 700), then opens and execs', async () => {
    // A million was checked by hand (the report); this many keeps the suite's time reasonable.
    const many = compile('manyfiles');
    const r = await sandboxShAsync(`mkdir /tmp/many && ${many} /tmp/many 200000 && ls /tmp/many | wc -l && ls -d /usr && ` +
      'cat /etc/os-release > /dev/null && echo open ok');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('created 200000: all\n200000\n/usr\nopen ok\n');
  }, 600_000);

  it('enforces a tmpfs mount\'s size= and nr_inodes= with ENOSPC, as Linux, and statfs shows them', () => {
    const script = (dir: string) => `mkdir -p ${dir} && mount -t tmpfs -o size=1m,nr_inodes=10 none ${dir} && ` +
      `df -k ${dir} | tail -1 | tr -s ' ' | cut -d' ' -f2-4 && df -i ${dir} | tail -1 | tr -s ' ' | cut -d' ' -f2-4 && ` +
      `{ dd if=/dev/zero of=${dir}/big bs=1M count=2 2>&1 | grep -o 'No space left on device'; } && ` +
      `for i in $(seq 1 11); do touch ${dir}/f$i 2>/dev/null || echo "file $i: $?"; done; ` +
      `rm ${dir}/f1 && touch ${dir}/again && echo freed; umount ${dir}`;
    const dir = `/tmp/tvisor-limits-${process.pid}`;
    const linux = spawnSync('unshare', ['-m', '/bin/sh', '-c', script(dir)], { encoding: 'utf8' });
    rmdirSync(dir);
    const inside = sandboxSh(script('/tmp/t'));
    expect(inside.stderr).toBe('');
    // Linux counts the root directory as one of the 10 inodes: 8 more files besides "big".
    expect(linux.stdout).toBe('1024 0 1024\n10 1 9\nNo space left on device\nfile 9: 1\nfile 10: 1\nfile 11: 1\nfreed\n');
    expect(inside.stdout).toBe(linux.stdout);
  });

  it('sizes a tmpfs by default as half of --memory, with as many inodes as it has pages', () => {
    const r = tvisorDo(['/bin/sh', '-c', 'for d in /dev/shm /tmp; do df -k $d | tail -1 | tr -s " " | cut -d" " -f2; ' +
      'df -i $d | tail -1 | tr -s " " | cut -d" " -f2; done'], { flags: ['--memory', '64m'] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('32768\n8192\n'.repeat(2));
  });

  it('gives EMFILE when the sentry runs out of fds, and serves opens and execs once they are free', () => {
    // A low fd limit for the sandbox makes two guests holding descriptions exhaust the sentry's table quickly.
    const hold = compile('holdfds');
    const script = 'mkfifo /tmp/gate; ' +
      `{ ${hold} /etc/hostname & ${hold} /etc/hostname & } < /tmp/gate > /tmp/out & ` +
      'exec 3>/tmp/gate; until [ "$(wc -l < /tmp/out 2>/dev/null)" = 2 ]; do :; done; cat /tmp/out; exec 3>&-; wait; ' +
      'ls -d /usr && cat /etc/hostname > /dev/null && echo open ok';
    const r = spawnSync('/bin/sh', ['-c', `ulimit -n 1000 && exec "${process.execPath}" ${TVISOR} do -- /bin/sh -c '${script}'`],
      { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toBe('open failed: EMFILE\nopen failed: EMFILE\n/usr\nopen ok\n');
    expect(r.status).toBe(0);
  });
});
