// Locks and leases on files the sandbox does not own (the overlay's lower
// layer, a read-only bind mount, a host device) stay in the sentry: the host
// sees none of them, and guests of one sandbox still see each other's, as on
// Linux.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, TVISOR, tvisorDo } from './helpers.js';

let prog: string;
// Made before any sandbox starts: a file of the host root, which the sandbox
// sees in its lower layer, and one it sees through a read-only bind mount.
const lowerDir = mkdtempSync('/tmp/tvisor-hostlocks-lower-');
writeFileSync(`${lowerDir}/f`, '0123456789abcdefghij');
const roDir = mkdtempSync('/tmp/tvisor-hostlocks-ro-');
writeFileSync(`${roDir}/f`, '0123456789abcdefghij');

beforeAll(() => {
  prog = compile('hostlocks');
});

afterAll(() => {
  rmSync(lowerDir, { recursive: true, force: true });
  rmSync(roDir, { recursive: true, force: true });
});

const RO_BIND = () => ['-v', `${roDir}:/ro:ro`];

/** The host file and the path the guest opens it by. */
const targets = () => [
  { name: 'lower layer', host: `${lowerDir}/f`, guest: `${lowerDir}/f` },
  { name: 'ro bind mount', host: `${roDir}/f`, guest: '/ro/f' },
];

/** The host's /proc/locks lines for a host file. */
function hostLocksOn(file: string): string[] {
  const st = statSync(file);
  const dev = `${(st.dev >> 8).toString(16).padStart(2, '0')}:${(st.dev & 0xff).toString(16).padStart(2, '0')}`;
  return readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => l.includes(` ${dev}:${st.ino} `));
}

/** What a host process can do with the file now. */
function hostCheck(file: string): string {
  const r = spawnSync(prog, ['check', file], { encoding: 'utf8' });
  const util = spawnSync('flock', ['-n', file, 'true']);
  return r.stdout + `flock(1) -n: exit ${util.status}\n`;
}

const FREE = 'host flock LOCK_EX|LOCK_NB = 0\nhost F_SETLK F_WRLCK = 0\nhost F_OFD_SETLK F_WRLCK = 0\n' +
  'host open O_WRONLY = ok\nflock(1) -n: exit 0\n';

/** Runs `hostlocks hold MODE FILE` in a sandbox until it holds its lock, then `whileHeld`, then lets it go. */
async function whileGuestHolds(mode: string, guestFile: string, whileHeld: () => void): Promise<string> {
  const child = spawn(process.execPath, [TVISOR, 'do', ...RO_BIND(), '--', prog, 'hold', mode, guestFile],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('held\n')) resolve();
    });
    child.on('exit', () => reject(new Error(`the guest ended before holding its lock: ${out}`)));
  });
  try {
    whileHeld();
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
  }
  return out;
}

describe('guest locks on files the sandbox does not own', () => {
  it.each([...targets().flatMap((t) => ['flock', 'posix', 'ofd', 'lease'].map((mode) => ({ ...t, mode }))),
    ...['flock', 'posix', 'ofd'].map((mode) => ({ name: 'host device /dev/null', host: '/dev/null', guest: '/dev/null', mode }))])(
    '$mode on the $name never reaches the host file', async ({ host, guest, mode }) => {
      let seen: string[] = [];
      let check = '';
      const out = await whileGuestHolds(mode, guest, () => {
        seen = hostLocksOn(host);
        check = hostCheck(host);
      });
      expect(out).toMatch(/ = 0\n/);
      expect(out).not.toMatch(/= -1/);
      if (mode === 'lease') expect(out).toMatch(/F_GETLEASE = 0\n/);
      expect(seen).toEqual([]);
      expect(check).toBe(FREE);
    }, 60_000);

  // The same checks see a host process's lock: they would see the guest's.
  it.each([
    { mode: 'flock', shows: /host flock LOCK_EX\|LOCK_NB = -1 EAGAIN/ },
    { mode: 'posix', shows: /host F_SETLK F_WRLCK = -1 EAGAIN/ },
    { mode: 'ofd', shows: /host F_OFD_SETLK F_WRLCK = -1 EAGAIN/ },
    { mode: 'lease', shows: /host open O_WRONLY = EAGAIN/ },
  ])('the checks see a host process\'s $mode', async ({ mode, shows }) => {
    const file = `${lowerDir}/f`;
    const holder = spawn(prog, ['hold', mode, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve) => holder.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('held\n')) resolve();
    }));
    const seen = hostLocksOn(file);
    const check = spawnSync(prog, ['check', file], { encoding: 'utf8' }).stdout;
    holder.stdin.end();
    await new Promise((resolve) => holder.on('close', resolve));
    expect(seen).toHaveLength(1);
    expect(check).toMatch(shows);
  });

  // Two guest processes still conflict, block and are woken as on Linux: the
  // same program's output natively (on the host file itself) and in the sandbox.
  it.each([...targets().map((t) => ({ ...t, rw: false })),
    { name: 'host device /dev/null', host: '/dev/null', guest: '/dev/null', rw: true }])(
    'flock, POSIX and OFD locks between guests on the $name are Linux\'s', ({ host, guest, rw }) => {
      const args = ['conflict', guest, ...(rw ? ['rw'] : [])];
      const native = spawnSync(prog, ['conflict', host, ...(rw ? ['rw'] : [])], { encoding: 'utf8' });
      const r = tvisorDo([prog, ...args], { flags: RO_BIND() });
      expect(native.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(native.stdout);
      expect(r.stdout).toMatch(/child LOCK_EX\|LOCK_NB = -1 EAGAIN/);
    }, 60_000);

  it('leases on such a file follow Linux\'s rules for read leases; a write lease is refused', () => {
    for (const t of targets()) {
      const native = spawnSync(prog, ['leases', t.host], { encoding: 'utf8' });
      const r = tvisorDo([prog, 'leases', t.guest], { flags: RO_BIND() });
      expect(native.status).toBe(0);
      expect(r.stdout).toBe(native.stdout);
      expect(r.stdout).toMatch(/F_SETLEASE F_RDLCK = 0\nF_GETLEASE = 0\n/);
      // Linux grants it to the only open description; the sentry cannot break it at another open.
      expect(tvisorDo([prog, 'hold', 'wrlease', t.guest], { flags: RO_BIND() }).stdout)
        .toBe('F_SETLEASE F_WRLCK = -1 EAGAIN\nheld\n');
    }
    expect(tvisorDo([prog, 'leases', '/dev/null']).stdout).toBe(spawnSync(prog, ['leases', '/dev/null'], { encoding: 'utf8' }).stdout);
  }, 60_000);
});
