// A dying sentry or gofer takes every guest with it: none is left running untraced.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupDirs, HANG_MS, tempDir, TVISOR, tvisorDo } from './helpers.js';
import { children, cmdline } from '../src/proctree.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In clock_nanosleep (230) or nanosleep (35), per /proc/<pid>/syscall. */
function sleeping(pid: number): boolean {
  try { return ['230', '35'].includes(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]!); } catch { return false; }
}

// No deadline decides these tests: a busy machine starts a sandbox, or kills processes, many times slower.
async function startSleeper(flags: string[] = [], command = ['sleep', '1000'], started = sleeping) {
  const cli = spawn(process.execPath, [TVISOR, 'do', ...flags, '--', ...command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  cli.stderr!.on('data', (d) => { stderr += d; });
  let ended = false;
  // Its code once its stderr is read to the end.
  const exited = new Promise<number | null>((r) => cli.on('close', (code) => { ended = true; r(code); }));
  while (!ended) {
    // `do`'s command line is the sandbox process: CLI → { gofer, init → guest }
    const sandbox = cli.pid!;
    const kids = children(sandbox);
    const gofer = kids.find((p) => cmdline(p).includes('gofer/main.js'));
    const init = kids.find((p) => p !== gofer);
    const guest = init ? children(init).find((p) => cmdline(p).includes(command[0]!)) : undefined;
    // Started, for a sleeper, means sleeping: exec and the loader done, nothing more asked of the sentry.
    if (gofer && guest && started(guest)) return { cli, exited, sandbox, gofer, guest, stderr: () => stderr };
    await sleep(50);
  }
  throw new Error('the sandbox ended before its guest started');
}

/** Whether `pid` dies (or is a zombie) within the hang bound. */
async function gone(pid: number): Promise<boolean> {
  for (let waited = 0; waited < HANG_MS; waited += 50) {
    if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z') return true;
    await sleep(50);
  }
  return false;
}

describe('the guest, seen from the host', () => {
  it('has no capability but CAP_IPC_OWNER, no_new_privs, a seccomp filter, an empty root and its own namespaces', async () => {
    const s = await startSleeper();
    try {
      const status = readFileSync(`/proc/${s.guest}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
      // CAP_IPC_OWNER (15) alone, in every set, ambient so that exec keeps it (Credentials: System V IPC).
      for (const set of ['CapEff', 'CapPrm', 'CapInh', 'CapBnd', 'CapAmb']) expect(field(set)).toBe('0000000000008000');
      expect(field('NoNewPrivs')).toBe('1');
      expect(field('Seccomp')).toBe('2');
      // Every signal at its default action, as a shell starts a command (Node, the sentry, ignores SIGPIPE).
      expect(field('SigIgn')).toBe('0000000000000000');
      expect(readdirSync(`/proc/${s.guest}/root`)).toEqual([]);
      for (const ns of ['pid', 'mnt', 'net', 'ipc', 'uts']) {
        expect(readlinkSync(`/proc/${s.guest}/ns/${ns}`)).not.toBe(readlinkSync(`/proc/self/ns/${ns}`));
      }
      // Only stdio: nothing of the sandbox process leaks into the guest.
      expect(readdirSync(`/proc/${s.guest}/fd`).map(Number).sort()).toEqual([0, 1, 2]);
    } finally {
      process.kill(s.sandbox, 'SIGKILL');
      await s.exited;
    }
  });
});

describe('lifecycle', () => {
  it('killing the sandbox process (do\'s command line) kills the gofer and the guests, and the next sandbox cleans what it left', async () => {
    const s = await startSleeper();
    const leftover = () => readdirSync('/dev/shm').filter((n) => n.startsWith(`tvisor-dir-${s.sandbox}-`));
    expect(leftover()).toHaveLength(1);
    process.kill(s.sandbox, 'SIGKILL');
    expect(await gone(s.guest)).toBe(true);
    expect(await gone(s.gofer)).toBe(true);
    await s.exited;
    expect(tvisorDo(['true']).status).toBe(0);
    expect(leftover()).toHaveLength(0);
  });

  it('SIGTERM ends the sandbox, its gofer and its guests (143), and its cgroup goes', async () => {
    const s = await startSleeper();
    // The sandbox process is in its sandbox's cgroup (v1 or v2) while it serves.
    expect(readFileSync(`/proc/${s.sandbox}/cgroup`, 'utf8')).toContain(`/tvisor-${s.sandbox}/sentry\n`);
    expect(cgroupDirs(`tvisor-${s.sandbox}`).length).toBeGreaterThan(0);
    process.kill(s.sandbox, 'SIGTERM');
    expect(await s.exited).toBe(143);
    expect(await gone(s.gofer)).toBe(true);
    expect(await gone(s.guest)).toBe(true);
    expect(cgroupDirs(`tvisor-${s.sandbox}`)).toEqual([]);
  });

  it('SIGINT and SIGQUIT, which a terminal sends its whole process group, leave the sandbox running', async () => {
    const s = await startSleeper();
    try {
      process.kill(s.sandbox, 'SIGINT');
      process.kill(s.sandbox, 'SIGQUIT');
      await sleep(300);
      expect(sleeping(s.guest)).toBe(true);
    } finally {
      process.kill(s.sandbox, 'SIGKILL');
      await s.exited;
    }
  });

  it('killing the gofer stops the sandbox and its guests', async () => {
    const s = await startSleeper();
    process.kill(s.gofer, 'SIGKILL');
    expect(await gone(s.guest)).toBe(true);
    expect(await s.exited).toBe(137);
    // Why, on stderr.
    expect(s.stderr()).toBe('tvisor: the gofer died: stopping the sandbox\n');
  });

  it('a gofer that stops answering is given up after --gofer-timeout: the sandbox ends instead of hanging', async () => {
    // Each turn of the loop asks the gofer: a bind mount is coherent with the host, so its stat is never
    // served from a cache (the root's lower layer is). The gofer stops once the shell runs its loop (it has
    // a child): stopped earlier, the launch itself, or the loader's opening of the shell's libraries, would
    // fail and end the shell (127) before the sandbox gives the gofer up (a busy machine showed it).
    const dir = tempDir('stall');
    const log = join(dir, 'debug.log');
    const s = await startSleeper(['--gofer-timeout', '1', '--debug-log', log, '-v', `${dir}:/data`],
      ['sh', '-c', 'while :; do stat /data >/dev/null; sleep 0.1; done'], (p) => children(p).length > 0);
    process.kill(s.gofer, 'SIGSTOP');
    expect(await gone(s.guest)).toBe(true);
    expect(await gone(s.gofer)).toBe(true);
    expect(await s.exited).toBe(137);
    expect(readFileSync(log, 'utf8')).toMatch(/"deadlineMs":1000,"msg":"a gofer did not answer within 1000 ms: killing it"/);
  });

  it('refuses a --gofer-timeout that is not a number of seconds, naming the flag', () => {
    for (const bad of ['soon', '-1', '2x']) {
      expect(tvisorDo(['true'], { flags: ['--gofer-timeout', bad] })).toMatchObject({ status: 1, stdout: '',
        stderr: `error: option '--gofer-timeout <seconds>' argument '${bad}' is invalid. ${bad}: expected a number of seconds\n` });
    }
  });
});
