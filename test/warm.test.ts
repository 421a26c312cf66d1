// A state root's warm command lines (src/oci/warm.ts): the runtime's
// commands through the front end (native/front.c), as engines are told to
// run it. The first command runs with Node and leaves warm command lines
// for the next ones, which serve them one after another, each back in its
// own place between two; a served command's output, errors and exit status
// are those of the Node command line; a create they serve runs its sandbox in
// the spare process the front end started (the process engines wait for);
// what they do not serve goes to Node; they end once the root is empty, and
// a root whose lines were killed gets new ones.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBusyboxRootfs, editBundle } from './engines/rootfs.js';
import { ensurePackages } from './engines/apt.js';
import { FRONT_END, rootWarms, rootWarmsEnded, tempDir, TVISOR } from './helpers.js';
import { cmdline } from '../src/proctree.js';

ensurePackages(['busybox-static']);
const base = tempDir('warm');
const { dir: ROOTFS } = buildBusyboxRootfs(base);
const STATE = join(base, 'state');
mkdirSync(STATE);
const PREFIX = `w${process.pid}-`;
/** ROOT_LINES in src/oci/warm.ts. */
const LINES = 2;

interface Result { status: number | null; stdout: string; stderr: string }

/** One command through the front end (or Node's command line), its output through files (a sandbox keeps create's). */
function oci(args: string[], { node = false, out = join(base, 'cmd.out'), err = join(base, 'cmd.err') } = {}): Result {
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const [program, pre] = node ? [process.execPath, [TVISOR]] : [FRONT_END, []];
    const r = spawnSync(program, [...pre, '--root', STATE, ...args], { cwd: base, stdio: ['ignore', fds[0]!, fds[1]!], timeout: 120_000 });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

let n = 0;
function bundle(args: string[]): string {
  const dir = join(base, `b${++n}`);
  mkdirSync(dir);
  expect(oci(['spec', '--bundle', dir], { node: true }).status).toBe(0);
  editBundle(dir, ROOTFS, (c) => { c.process.args = args; });
  return dir;
}

const alive = (pid: number) => { try { return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
const state = (id: string) => JSON.parse(oci(['state', id]).stdout) as { status: string; pid: number };

async function until(f: () => boolean): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A warm command line's fds 0 to 4 and its cwd. */
const placeOf = (pid: number) => [...[0, 1, 2, 3, 4].map((k) => readlinkSync(`/proc/${pid}/fd/${k}`)), readlinkSync(`/proc/${pid}/cwd`)];

/**
 * One command through the front end with --debug, and whether a warm command line served it (its debug line in the
 * runtime's --log says so; Node's does not).
 */
async function servedBy(args: string[], opts: Parameters<typeof oci>[1] = {}): Promise<{ r: Result; served: boolean }> {
  expect(await until(() => rootWarms(STATE).length === LINES)).toBe(true);
  const log = join(base, 'runtime.log');
  writeFileSync(log, '');
  const r = oci(['--log', log, '--debug', ...args], opts);
  const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"level":"debug"') || l.includes('level=debug'));
  expect(lines).toHaveLength(lines.length && 1);
  return { r, served: lines.some((l) => l.includes('(served by a warm command line)')) };
}

afterAll(async () => {
  for (const id of readdirSync(STATE).filter((e) => e.startsWith(PREFIX))) oci(['delete', '--force', id], { node: true });
  await rootWarmsEnded(STATE);
});

describe('the state root\'s warm command lines', () => {
  it('are left by a command run with Node, and serve the next ones: start, state, kill, delete, errors as Node\'s', async () => {
    const id = `${PREFIX}a`;
    const out = join(base, 'a.out');
    expect(rootWarms(STATE)).toEqual([]);
    expect(oci(['create', '--bundle', bundle(['sh', '-c', 'echo started; exec sleep 1000']), id], { out }).status).toBe(0);
    expect(await until(() => rootWarms(STATE).length === LINES)).toBe(true);
    // Nothing of a caller's: stdio /dev/null, the root's socket and the root itself (its lock), in /.
    const lines = rootWarms(STATE);
    const place = ['/dev/null', '/dev/null', '/dev/null', expect.stringMatching(/^socket:/), STATE, '/'];
    for (const warm of lines) expect(placeOf(warm)).toEqual(place);
    expect(readdirSync(STATE).sort()).toEqual(['@warm.sock', id]);

    const start = await servedBy(['start', id]);
    expect(start).toMatchObject({ served: true, r: { status: 0, stderr: '' } });
    expect(await until(() => readFileSync(out, 'utf8') === 'started\n')).toBe(true);
    const st = await servedBy(['state', id]);
    expect(st.served).toBe(true);
    expect(JSON.parse(st.r.stdout)).toMatchObject({ id, status: 'running' });
    // An error is the command's own, on the caller's stderr.
    const missing = await servedBy(['state', `${PREFIX}missing`]);
    expect(missing).toMatchObject({ served: true, r: { status: 1, stdout: '' } });
    const firstLine = (r: Result) => r.stderr.split('\n')[0];
    expect(firstLine(missing.r)).toBe(`tvisor: container does not exist: ${PREFIX}missing`);
    expect(firstLine(oci(['--debug', 'state', `${PREFIX}missing`], { node: true }))).toBe(firstLine(missing.r));
    // The same two served them all, each back in its own place between two commands: no caller's stdio or cwd.
    expect(rootWarms(STATE)).toEqual(lines);
    for (const warm of lines) expect(placeOf(warm)).toEqual(place);
    const kill = await servedBy(['kill', id, 'KILL']);
    expect(kill).toMatchObject({ served: true, r: { status: 0 } });
    expect(await until(() => state(id).status === 'stopped')).toBe(true);
    expect(await servedBy(['delete', id])).toMatchObject({ served: true, r: { status: 0 } });
    expect(oci(['delete', '--force', id])).toMatchObject({ status: 0, stderr: '' });
    // Empty, the root loses them, and their socket.
    expect(await rootWarmsEnded(STATE)).toBe(true);
    expect(readdirSync(STATE)).toEqual([]);
  }, 300_000);

  it('serve a create with the spare sandbox process the front end started, which engines then wait for', async () => {
    const [first, id] = [`${PREFIX}first`, `${PREFIX}b`];
    expect(oci(['create', '--bundle', bundle(['sleep', '1000']), first]).status).toBe(0);
    const out = join(base, 'b.out');
    const pidFile = join(base, 'b.pid');
    const create = await servedBy(['create', '--bundle', bundle(['sh', '-c', 'echo "$0 in $(hostname)"']),
      '--pid-file', pidFile, id], { out });
    expect(create).toMatchObject({ served: true, r: { status: 0, stderr: '' } });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(cmdline(pid).split('\0').filter(Boolean).slice(1)).toEqual([expect.stringMatching(/sandbox-main\.js$/), '--spare', join(STATE, id)]);
    expect(state(id)).toMatchObject({ status: 'created', pid });
    expect(oci(['start', id]).status).toBe(0);
    expect(await until(() => !alive(pid))).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('sh in tvisor\n');
    expect(state(id).status).toBe('stopped');
    for (const c of [id, first]) expect(oci(['delete', '--force', c]).status).toBe(0);
    // A create that fails is answered as Node's (the spare is ended): nothing is left.
    expect(oci(['create', '--bundle', bundle(['true']), `${PREFIX}keep`]).status).toBe(0);
    const bad = bundle(['true']);
    const c = JSON.parse(readFileSync(join(bad, 'config.json'), 'utf8'));
    c.mounts.push({ destination: '/x', type: 'nfs', source: 'server:/x' });
    writeFileSync(join(bad, 'config.json'), JSON.stringify(c));
    const failed = await servedBy(['create', '--bundle', bad, `${PREFIX}bad`]);
    expect(failed).toMatchObject({ served: true, r: { status: 1, stderr: expect.stringMatching(/^tvisor: mounts\[\d+\]\.type: mounts of type nfs are not supported/) } });
    expect(spawnSync('pgrep', ['-f', '--', `--spare ${join(STATE, `${PREFIX}bad`)}`]).status).toBe(1);
    expect(oci(['delete', '--force', `${PREFIX}keep`]).status).toBe(0);
    expect(await rootWarmsEnded(STATE)).toBe(true);
    expect(readdirSync(STATE)).toEqual([]);
  }, 300_000);

  it('send to Node what they do not serve, and are started again once killed', async () => {
    const id = `${PREFIX}c`;
    expect(oci(['create', '--bundle', bundle(['sleep', '1000']), id]).status).toBe(0);
    expect(await until(() => rootWarms(STATE).length === LINES)).toBe(true);
    // `do`, help and an unknown command are the Node command line's: nothing served them.
    for (const [args, expected] of [
      [['do', '--', '/bin/echo', 'hi'], { status: 0, stdout: 'hi\n' }],
      [['bogus'], { status: 1, stderr: "error: unknown command 'bogus'\n" }],
    ] as const) {
      const r = await servedBy([...args]);
      expect(r).toMatchObject({ served: false, r: expected });
    }
    expect(oci(['--help']).stdout).toMatch(/^\s+do \[options\]/m);
    // An id that is a path names no container, warm or not: nothing outside the root is removed.
    const victim = join(base, 'victim');
    mkdirSync(victim);
    expect(oci(['delete', '--force', '../victim'])).toMatchObject({ status: 0 });
    expect(oci(['delete', '--force', '../victim'], { node: true })).toMatchObject({ status: 0 });
    expect(existsSync(victim)).toBe(true);
    // Killed, they leave their socket; the next command runs with Node and starts them again.
    for (const warm of rootWarms(STATE)) process.kill(warm, 'SIGKILL');
    expect(await until(() => rootWarms(STATE).length === 0)).toBe(true);
    expect(readdirSync(STATE)).toContain('@warm.sock');
    expect(JSON.parse(oci(['state', id]).stdout)).toMatchObject({ status: 'created' });
    expect(await until(() => rootWarms(STATE).length === LINES)).toBe(true);
    expect((await servedBy(['delete', '--force', id])).served).toBe(true);
    expect(await rootWarmsEnded(STATE)).toBe(true);
    expect(readdirSync(STATE)).toEqual([]);
  }, 300_000);
});
