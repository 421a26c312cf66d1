// `tvisor do` as a user runs it: real programs on the sandbox's filesystem.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, FRONT_END, hostSh, REPO, sandboxSh, tempDir, tvisorDo } from './helpers.js';

describe('tvisor do', () => {
  it('writes to /tmp inside the sandbox and never on the host', () => {
    const name = `tvisor-x-${process.pid}`;
    const r = sandboxSh(`echo hi > /tmp/${name} && cat /tmp/${name}`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(0);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
  });

  it('names a program after the path it ran, static or dynamic, by its own name or a symlink\'s', () => {
    // A static program's host name (the file's, since Linux 6.14) is often the one Linux gives, and then the
    // sentry leaves it; a dynamic one runs as its loader, and a symlink's name is not the file's. The host runs
    // each from an fd, and its AT_EXECFN names that fd (/dev/fd/N): the path it was run by, as Linux gives it.
    const dir = tempDir('progname');
    for (const [kind, flags] of [['static', ['-static']], ['dynamic', []]] as const) {
      const bin = compile('progname', [...flags]);
      hostSh(`cp ${bin} ${dir}/prog-${kind} && ln -sf prog-${kind} ${dir}/another-${kind}-name-longer-than-15`);
      const run = `${dir}/prog-${kind}; cd ${dir} && ./another-${kind}-name-longer-than-15 threads`;
      const long = `another-${kind}-name-longer-than-15`.slice(0, 15);
      // A new thread has the program's name; one the program sets itself is its own.
      const expected = `execfn ${dir}/prog-${kind}\nprog-${kind} prog-${kind}\n` +
        `execfn ./another-${kind}-name-longer-than-15\n${long} ${long}\n${long} ${long}\nrenamed renamed\n`;
      expect(sandboxSh(run)).toMatchObject({ status: 0, stderr: '', stdout: expected });
      expect(hostSh(run).stdout).toBe(expected);
    }
  });

  it('passes the exit status through, and 128+signal for a signal', () => {
    expect(sandboxSh('exit 7').status).toBe(7);
    expect(sandboxSh('kill -9 $$').status).toBe(137);
  });

  it('lists / and reads /etc/os-release as the host has them', () => {
    const ls = sandboxSh('ls -la /');
    expect(ls.status).toBe(0);
    expect(ls.stdout).toMatch(/ usr\n/);
    expect(ls.stdout).toMatch(/ proc\n/);
    expect(sandboxSh('cat /etc/os-release').stdout).toBe(readFileSync('/etc/os-release', 'utf8'));
  });

  it('finds as many files under /usr/include as the host', () => {
    const inside = sandboxSh('find /usr/include | wc -l');
    expect(inside.status).toBe(0);
    expect(inside.stdout).toBe(hostSh('find /usr/include | wc -l').stdout);
  });

  it('runs a shell pipeline of several processes', () => {
    const r = sandboxSh('seq 1 2000 | grep 7 | sort -r | head -n 3 | tr 7 x');
    expect(r.stdout).toBe(hostSh('seq 1 2000 | grep 7 | sort -r | head -n 3 | tr 7 x').stdout);
    expect(r.status).toBe(0);
  });

  it('keeps every descriptor right while processes fork, open and exec at once', () => {
    const r = tvisorDo([compile('concexec')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('fails=0\n');
    for (let i = 0; i < 3; i++) {
      expect(sandboxSh('seq 1 2000 | grep 7 | sort -r | head -n 3 | tr 7 x').stderr).toBe('');
    }
  });

  it('runs a multi-threaded program', () => {
    const bin = compile('threads', ['-pthread']);
    const r = tvisorDo([bin]);
    expect(r.stdout).toBe('threads done, errors=0\n');
    expect(r.status).toBe(0);
  });

  it('runs python3 with its standard library', () => {
    const r = tvisorDo(['python3', '-c', 'import json, sqlite3; print(1)']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\n');
  });

  it('compiles a C file with gcc and runs it', () => {
    const r = sandboxSh(
      'cd /tmp && printf \'#include <stdio.h>\\nint main(void){puts("built");return 0;}\\n\' > t.c && gcc -o t t.c && ./t');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('built\n');
  });

  it('commits with git in /tmp', () => {
    const r = sandboxSh('cd /tmp && mkdir repo && cd repo && git init -q && echo a > f && git add f && ' +
      'git -c user.email=t@t -c user.name=t commit -qm one && git log --oneline | wc -l');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('1');
  });

  it('extracts a tarball and removes the result', () => {
    const dir = tempDir('tar');
    hostSh(`mkdir -p ${dir}/src/a/b && for i in $(seq 1 50); do echo $i > ${dir}/src/a/b/f$i; done && ` +
      `tar czf ${dir}/t.tgz -C ${dir} src`);
    const r = sandboxSh(`cd /tmp && tar xzf ${dir}/t.tgz && ls src/a/b | wc -l && cat src/a/b/f7 && rm -rf src && ` +
      'test ! -e src && echo gone');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('50\n7\ngone\n');
    rmSync(dir, { recursive: true });
  });

  it('writes /etc/passwd and /usr/bin inside without touching the host', () => {
    const before = readFileSync('/etc/passwd', 'utf8');
    const r = sandboxSh('echo intruder:x:0:0::/:/bin/sh >> /etc/passwd && tail -n 1 /etc/passwd && ' +
      'echo x > /usr/bin/tvisor-test-x && cat /usr/bin/tvisor-test-x');
    expect(r.stdout).toBe('intruder:x:0:0::/:/bin/sh\nx\n');
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(before);
    expect(existsSync('/usr/bin/tvisor-test-x')).toBe(false);
  });

  it('lets -v write a host directory, and :ro makes it EROFS', () => {
    const dir = tempDir('vol');
    writeFileSync(`${dir}/in`, 'from host\n');
    const rw = sandboxSh('cat /data/in && echo from guest > /data/out', { flags: ['-v', `${dir}:/data`] });
    expect(rw.stdout).toBe('from host\n');
    expect(readFileSync(`${dir}/out`, 'utf8')).toBe('from guest\n');
    const ro = sandboxSh('echo x > /data/out2', { flags: ['-v', `${dir}:/data:ro`] });
    expect(ro.status).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(existsSync(`${dir}/out2`)).toBe(false);
    rmSync(dir, { recursive: true });
  });

  it('says when the command is not found, and exits 127 as a shell does', () => {
    const r = tvisorDo(['no-such-command-here']);
    expect(r.status).toBe(127);
    expect(r.stderr).toBe('tvisor: no-such-command-here: command not found\n');
    expect(tvisorDo(['/no/such/file']).stderr).toBe('tvisor: /no/such/file: No such file or directory\n');
  });

  it('passes stdin through', () => {
    expect(tvisorDo(['cat'], { input: 'piped in\n' }).stdout).toBe('piped in\n');
  });
});

describe('tvisor do through the front end (bin/tvisor, as npx runs it)', () => {
  it('starts programs whose bundles are ASCII and run from their code caches', () => {
    // A character outside ASCII would make V8 hold a bundle as a two-byte string, decoded the slow way at each start.
    for (const name of ['src/cli', 'src/sandbox-main', 'src/warm-main', 'gofer/main']) {
      expect(readFileSync(join(REPO, 'dist', 'bundle', `${name}.cjs`), 'latin1')).toMatch(/^[\x00-\x7f]*$/);
    }
    const r = spawnSync(join(REPO, 'bin', 'tvisor'), ['do', '--', 'true'], { encoding: 'utf8', env: { ...process.env, TVISOR_DEBUG: '1' },
      timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/code cache/);
  });

  /** Gofers of this test: those that serve `dir`. */
  const gofersOf = (dir: string) => spawnSync('pgrep', ['-f', 'gofer/main.js'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
    .filter((pid) => { try { return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(dir); } catch { return false; } });

  it('runs the command with the gofer it started, which the command never sees, and leaves no gofer', async () => {
    const dir = tempDir('front-do');
    const run = (args: string[]) => spawnSync(join(REPO, 'bin', 'tvisor'), ['do', ...args], { encoding: 'utf8', cwd: dir,
      env: { ...process.env, TVISOR_TEST_MARK: dir }, timeout: 120_000 });
    // The command gets neither the front end's gofer's fd nor its place in the environment.
    const r = run(['-v', `${dir}:/data`, '--', 'sh', '-c', 'echo hi > /data/f; env | grep -c "^TVISOR_GOFER"; ls /proc/self/fd | wc -l']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    expect(r.stdout).toBe('0\n4\n');
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('hi\n');
    expect(run(['--', 'sh', '-c', 'exit 9']).status).toBe(9);
    // The command has the caller's NODE_EXTRA_CA_CERTS, which tvisor's own Node processes start without (one that
    // does not load would make each of them warn).
    const certs = spawnSync(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS"; env | grep -c ^TVISOR_NODE'],
      { encoding: 'utf8', cwd: dir, env: { ...process.env, NODE_EXTRA_CA_CERTS: '/no/such/certs.pem' }, timeout: 120_000 });
    expect(certs).toMatchObject({ status: 1, stdout: '/no/such/certs.pem\n0\n', stderr: '' });
    // The command gets the caller's fd limit, which Node raises for itself as it starts.
    const limited = spawnSync('prlimit', ['--nofile=512:', join(REPO, 'bin', 'tvisor'), 'do', '--', 'sh', '-c',
      'ulimit -n; ulimit -Hn; env | grep -c ^TVISOR_NOFILE'], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
    expect(limited).toMatchObject({ status: 1, stderr: '' });
    expect(limited.stdout).toBe(`512\n${spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim()}\n0\n`);
    // The gofer is the front end's: its argv[0] is the `node` the front end runs (one Node spawns has Node's path),
    // and the front end, which waits for it and for the command line (its other child), is its parent.
    const cli = spawn(join(REPO, 'bin', 'tvisor'), ['do', '--', 'sleep', '5'],
      { cwd: dir, env: { ...process.env, TVISOR_TEST_MARK: dir, NODE_EXTRA_CA_CERTS: '/no/such/certs.pem' } });
    try {
      let gofers: string[] = [];
      for (let i = 0; i < 600 && gofers.length === 0; i++) { gofers = gofersOf(dir); await new Promise((res) => setTimeout(res, 50)); }
      expect(gofers).toHaveLength(1);
      expect(readFileSync(`/proc/${gofers[0]}/cmdline`, 'utf8').split('\0')[0]).toBe('node');
      const children = readFileSync(`/proc/${cli.pid}/task/${cli.pid}/children`, 'utf8').trim().split(' ');
      expect(children).toContain(gofers[0]);
      expect(children).toHaveLength(2);
      const commandLine = children.find((pid) => pid !== gofers[0])!;
      // Both Node processes start with an fd table of 4096 slots, grown before their threads existed, so that theirs
      // never grows with the threads sharing it (each growth waits for an RCU grace period).
      const fdSize = (pid: number | string) => Number(/FDSize:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      expect(fdSize(gofers[0]!)).toBe(4096);
      expect(fdSize(commandLine)).toBe(4096);
      // Neither starts with the caller's NODE_EXTRA_CA_CERTS, which would make each load every certificate.
      const environ = (pid: number | string) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      for (const pid of [gofers[0]!, commandLine]) {
        expect(environ(pid).filter((e) => e.startsWith('NODE_EXTRA_CA_CERTS='))).toEqual([]);
        expect(environ(pid)).toContain('TVISOR_NODE_EXTRA_CA_CERTS=/no/such/certs.pem');
      }
    } finally {
      cli.kill('SIGTERM');
      await new Promise((res) => cli.on('exit', res));
    }
    expect(run(['--', '/no/such']).status).toBe(127);
    // With -t the API's sandbox process starts its own: the front end's is ended.
    expect(spawnSync('script', ['-qec', `${join(REPO, 'bin', 'tvisor')} do -t -- sh -c 'exit 4'`, '/dev/null'], { cwd: dir, timeout: 120_000,
      env: { ...process.env, TVISOR_TEST_MARK: dir } }).status).toBe(4);
    expect(gofersOf(dir)).toEqual([]);
    expect(readFileSync(join(REPO, 'package.json'), 'utf8')).toContain('"tvisor": "bin/tvisor"');
    expect(existsSync(FRONT_END)).toBe(true);
  });
});

describe('logging', () => {
  it('--strace prints each trapped call with its decoded arguments and result', () => {
    const r = tvisorDo(['/bin/sh', '-c', 'cat /etc/hostname > /dev/null'], { flags: ['--strace'] });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/openat\(AT_FDCWD, \\"\/etc\/hostname\\", 0x0, 00\) = \d+/);
    expect(r.stderr).toMatch(/execve\(\\"\/usr\/bin\/cat\\"/);
  });

  it('--debug-log writes JSON lines, and an unknown system call is logged and gets ENOSYS', () => {
    const log = `${tempDir('log')}/debug.log`;
    const r = tvisorDo(['python3', '-c',
      'import ctypes, os; r = ctypes.CDLL(None, use_errno=True).syscall(999); print(r, os.strerror(ctypes.get_errno()))'],
    { flags: ['--debug-log', log] });
    expect(r.stdout).toBe('-1 Function not implemented\n');
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; syscall?: string });
    expect(lines.some((l) => l.msg.includes('unimplemented system call') && l.syscall === '#999')).toBe(true);
  });

  it('never fails a call Linux does not interrupt with EINTR, under a stream of handled signals; a waiting read is', () => {
    // A trapped call a signal interrupted before the sentry read it restarts after the handler (Kernel.signalStop).
    const bin = compile('interrupted');
    const native = hostSh(`${bin} ${tempDir('interrupted')}`);
    expect(native.stdout).toBe('stat EINTR 0, open EINTR 0, mkdir EINTR 0\nread of an empty pipe: -1 EINTR\ninterrupted: often\n');
    const r = tvisorDo([bin, '/tmp']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(native.stdout);
  });
});
