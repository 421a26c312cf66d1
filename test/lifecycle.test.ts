// A dying sentry or gofer takes every guest with it: none is left running untraced.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HANG_MS, TVISOR, tvisorDo } from './helpers.js';
import { children, cmdline } from '../src/proctree.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In clock_nanosleep (230) or nanosleep (35), per /proc/<pid>/syscall. */
function sleeping(pid: number): boolean {
  try { return ['230', '35'].includes(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]!); } catch { return false; }
}

// No deadline decides these tests: a busy machine starts a sandbox, or kills processes, many times slower.
async function startSleeper() {
  const cli = spawn(process.execPath, [TVISOR, 'do', '--', 'sleep', '1000'], { stdio: 'ignore' });
  let ended = false;
  const exited = new Promise<number | null>((r) => cli.on('exit', (code) => { ended = true; r(code); }));
  while (!ended) {
    // CLI → sandbox process → { gofer, init → guest }
    const sandbox = children(cli.pid!)[0];
    const kids = sandbox ? children(sandbox) : [];
    const gofer = kids.find((p) => cmdline(p).includes('gofer/main.js'));
    const init = kids.find((p) => p !== gofer);
    const guest = init ? children(init).find((p) => cmdline(p).includes('sleep')) : undefined;
    // Started means sleeping: exec and the loader done, nothing more asked of the sentry.
    if (sandbox && gofer && guest && sleeping(guest)) return { cli, exited, sandbox, gofer, guest };
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
  it('has no capabilities, no_new_privs, a seccomp filter, an empty root and its own namespaces', async () => {
    const s = await startSleeper();
    try {
      const status = readFileSync(`/proc/${s.guest}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
      expect(field('CapEff')).toBe('0000000000000000');
      expect(field('CapPrm')).toBe('0000000000000000');
      expect(field('CapBnd')).toBe('0000000000000000');
      expect(field('NoNewPrivs')).toBe('1');
      expect(field('Seccomp')).toBe('2');
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
  it('killing the sandbox process kills the guests, and the next sandbox cleans what it left', async () => {
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

  it('killing the CLI kills the sandbox, its gofer and its guests', async () => {
    const s = await startSleeper();
    s.cli.kill('SIGKILL');
    await s.exited;
    expect(await gone(s.sandbox)).toBe(true);
    expect(await gone(s.gofer)).toBe(true);
    expect(await gone(s.guest)).toBe(true);
  });

  it('killing the gofer stops the sandbox and its guests', async () => {
    const s = await startSleeper();
    process.kill(s.gofer, 'SIGKILL');
    expect(await gone(s.guest)).toBe(true);
    expect(await s.exited).toBe(137);
  });
});
