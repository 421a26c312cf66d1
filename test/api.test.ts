// The library API (src/api), through its public face only: the package's
// own export, as another package imports it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, tempDir } from './helpers.js';
import { descendants } from '../src/proctree.js';
import { Sandbox, SandboxError } from 'tvisor';

const mountinfo = () => readFileSync('/proc/self/mountinfo', 'utf8');
const leftovers = (pid: number) => [
  ...readdirSync('/dev/shm').filter((n) => n.includes(`-${pid}-`)),
  ...readdirSync('/tmp').filter((n) => n.startsWith(`tvisor-api-${process.pid}-`)),
];

describe('Sandbox', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await Sandbox.create({ limits: { memory: '1g', pids: 512 } }); });
  afterAll(async () => { await sb?.close(); });

  it('runs a command to its end: stdout, stderr, exit code, input, env, cwd', async () => {
    const r = await sb.exec(['sh', '-c', 'echo out; cat; echo "$GREETING" >&2; pwd; exit 3'],
      { input: 'in\n', env: { GREETING: 'hi' }, cwd: '/usr' });
    expect(r).toEqual({ code: 3, signal: null, timedOut: false, stdout: 'out\nin\n/usr\n', stderr: 'hi\n' });
  });

  it('runs one after another in one overlay, which never reaches the host', async () => {
    const name = `/tmp/api-${process.pid}`;
    expect((await sb.exec(['sh', '-c', `echo kept > ${name}`])).code).toBe(0);
    expect((await sb.exec(['cat', name])).stdout).toBe('kept\n');
    expect(existsSync(name)).toBe(false);
  });

  it('runs two at once: one reads a FIFO the other writes', async () => {
    await sb.exec(['mkfifo', '/tmp/api-fifo']);
    const reader = sb.run(['cat', '/tmp/api-fifo']);
    await reader.started;
    const writer = sb.run(['sh', '-c', 'echo through > /tmp/api-fifo']);
    const out: Buffer[] = [];
    reader.stdout!.on('data', (d: Buffer) => out.push(d));
    // exit is the process's end; its output may still be on its way (as child_process's 'exit' and 'close').
    const drained = new Promise((r) => reader.stdout!.on('end', r));
    expect(await Promise.all([reader.exit, writer.exit])).toEqual([
      { code: 0, signal: null, timedOut: false }, { code: 0, signal: null, timedOut: false }]);
    await drained;
    expect(Buffer.concat(out).toString()).toBe('through\n');
  });

  it('streams stdin and stdout while the run lives', async () => {
    const run = sb.run(['sh', '-c', 'read line; echo "got $line"'], { stdin: 'pipe' });
    const first = new Promise<string>((res) => run.stdout!.once('data', (d: Buffer) => res(d.toString())));
    run.stdin!.write('ping\n');
    expect(await first).toBe('got ping\n');
    expect((await run.exit).code).toBe(0);
  });

  it('kills a run with the signal asked for', async () => {
    const run = sb.run(['sleep', '100']);
    await run.started;
    run.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: null, signal: 'SIGTERM', timedOut: false });
  });

  it('kills a runaway and what it started at its wall time', async () => {
    const run = sb.run(['sh', '-c', 'sleep 1000 & while :; do :; done'], { wallTime: 1000 });
    const pid = await run.started;
    const children = new Promise<number[]>((res) => setTimeout(() => res(descendants(pid)), 500));
    expect(await run.exit).toEqual({ code: null, signal: 'SIGKILL', timedOut: true });
    for (const c of await children) expect(existsSync(`/proc/${c}/cmdline`) && readFileSync(`/proc/${c}/cmdline`, 'utf8')).toBeFalsy();
  });

  it('says when the command is not found, and keeps serving', async () => {
    const run = sb.run(['no-such-command']);
    await expect(run.exit).rejects.toMatchObject({ notFound: true, errno: 2 });
    await expect(run.exit).rejects.toBeInstanceOf(SandboxError);
    expect((await sb.exec(['true'])).code).toBe(0);
  });

  it('gives a run a terminal of the sandbox', async () => {
    const run = sb.run(['sh', '-c', 'tty; stty size'], { tty: { rows: 33, columns: 99 } });
    const out: Buffer[] = [];
    run.stdout!.on('data', (d: Buffer) => out.push(d));
    const ended = new Promise((r) => run.stdout!.once('end', r));
    expect((await run.exit).code).toBe(0);
    await ended;
    expect(Buffer.concat(out).toString()).toMatch(/^\/dev\/pts\/\d+\r\n33 99\r\n$/);
  });
});

describe('limits and close', () => {
  it('applies the pids limit to the whole sandbox', async () => {
    const sb = await Sandbox.create({ limits: { pids: 24, memory: 0 } });
    try {
      const forks = 'import os, time\nn = 0\ntry:\n  for i in range(100):\n    if os.fork() == 0:\n      time.sleep(3); os._exit(0)\n' +
        '    n += 1\nexcept OSError as e:\n  print(e.errno, n < 24)\n';
      const r = await sb.exec(['python3', '-c', forks]);
      expect(r.stdout).toBe('11 True\n');
    } finally {
      await sb.close();
    }
  });

  it('close() kills the runs and leaves no process, mount, cgroup or directory', async () => {
    const before = mountinfo();
    const sb = await Sandbox.create({ limits: { memory: '256m', pids: 64 } });
    const pid = sb.pid;
    // Started through the front end (`tvisor --node`): its fd table grown before Node's threads share it.
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^FDSize:\s*4096$/m);
    const run = sb.run(['sleep', '1000']);
    await run.started;
    await sb.exec(['sh', '-c', 'mkfifo /tmp/f; ls / > /dev/null']);
    const tree = [pid, ...descendants(pid)];
    expect(tree.length).toBeGreaterThan(2);
    await sb.close();
    expect(await run.exit).toMatchObject({ signal: 'SIGKILL' });
    for (const p of tree) expect(existsSync(`/proc/${p}/stat`)).toBe(false);
    expect(leftovers(pid)).toEqual([]);
    expect(mountinfo()).toBe(before);
    expect(readFileSync('/proc/self/cgroup', 'utf8')).not.toContain(`tvisor-${process.pid}`);
    const cgroups = spawnSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 2 -name 'tvisor-${process.pid}*'`], { encoding: 'utf8' });
    expect(cgroups.stdout).toBe('');
    expect(() => sb.run(['true'])).toThrow(SandboxError);
  });
});

describe('onSyscall', () => {
  it('gives each trapped call as an object: name, decoded arguments, result', async () => {
    const calls: { tid: number; name: string; args: string[]; result: string }[] = [];
    const sb = await Sandbox.create({ limits: { memory: 0, pids: 0 }, onSyscall: (c) => calls.push(c) });
    try {
      const run = sb.run(['cat', '/etc/hostname', '/no-such-file']);
      expect((await run.exit).code).toBe(1);
    } finally {
      // Once close() has resolved, every record has come.
      await sb.close();
    }
    const opens = calls.filter((c) => c.name === 'openat' && /hostname|no-such-file/.test(c.args[1]!));
    expect(opens.map((c) => [c.args[1], /^\d+$/.test(c.result) ? 'fd' : c.result])).toEqual([
      ['"/etc/hostname"', 'fd'], ['"/no-such-file"', '-1 ENOENT']]);
    expect(calls.find((c) => c.name === 'execve')?.args[0]).toBe('"/usr/bin/cat"');
    expect(calls.every((c) => Number.isInteger(c.tid) && typeof c.result === 'string')).toBe(true);
  });
});

describe('the package', () => {
  it('runs the README example as written, importing the package by its name', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf("## The library: `import { Sandbox } from 'tvisor'`"));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    const pkg = tempDir('api-user');
    mkdirSync(join(pkg, 'node_modules'));
    symlinkSync(REPO, join(pkg, 'node_modules', 'tvisor'));
    writeFileSync(join(pkg, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(pkg, 'example.mjs'), code);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: pkg, encoding: 'utf8' });
    expect(out).toBe('0 45\nhello\n{ code: 0, signal: null, timedOut: false }\n');
    // Its types resolve through the package's exports, for a TypeScript user.
    writeFileSync(join(pkg, 'example.ts'), code);
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', join(REPO, 'node_modules/@types'),
      '--types', 'node', 'example.ts'], { cwd: pkg, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
  });
});
