// Foreign fds (host objects the sentry did not open: the stdio the caller
// redirected, fds a host process sends) may be reached again through
// /proc/self/fd, /dev/std*, /dev/fd, /dev/tty, O_PATH, another process's
// /proc/<pid>/fd, and after exec, but never with more access than the
// description the guest holds.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { compile, ensureCommands, HANG_MS, tempDir, TVISOR } from './helpers.js';

let dir: string;
let victim: string;
let foreign: string;

beforeAll(() => {
  ensureCommands({ python3: 'python3' });
  foreign = compile('foreign', ['-pthread']);
  dir = tempDir('foreign');
  victim = join(dir, 'victim');
  mkdirSync(join(dir, 'dir'));
  writeFileSync(join(dir, 'dir', 'inside'), 'host directory entry\n');
});
beforeEach(() => {
  writeFileSync(victim, 'ORIGINAL\n', { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `tvisor do -- sh -c script` with the given host fds as its stdio. */
function shWithStdio(script: string, stdio: [number | 'pipe', number | 'pipe', number | 'pipe'], shell = '/bin/sh') {
  return spawnSync(process.execPath, [TVISOR, 'do', '--', shell, '-c', script], { stdio, encoding: 'utf8', timeout: HANG_MS });
}

/** Runs a Python program on the host that starts `tvisor do -- argv…` as it sets up the stdio. */
function python(program: string, args: string[]) {
  return spawnSync('python3', ['-c', program, ...args], { encoding: 'utf8', timeout: HANG_MS });
}

const SEND_FDS = `
import os, socket, subprocess, sys
a, b = socket.socketpair()
p = subprocess.Popen(sys.argv[3:], stdin=b, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
b.close()
socket.send_fds(a, [b'x'], [os.open(sys.argv[1], os.O_RDONLY), os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECTORY)])
out, err = p.communicate(timeout=300)
sys.stdout.write(out.decode()); sys.stderr.write(err.decode()); sys.exit(p.returncode)
`;

// The caller's terminal is the controlling terminal and stdin; stderr is a read-only host file.
const WITH_CTTY = `
import fcntl, os, pty, subprocess, sys, termios, threading
master, slave = pty.openpty()
ro = os.open(sys.argv[1], os.O_RDONLY)
def ctty():
    os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=subprocess.PIPE, stderr=ro, preexec_fn=ctty)
os.close(slave); os.close(ro)
def drain():
    try:
        while os.read(master, 4096): pass
    except OSError: pass
threading.Thread(target=drain, daemon=True).start()
out, _ = p.communicate(timeout=300)
sys.stdout.write(out.decode()); sys.exit(p.returncode)
`;

describe('foreign fds', () => {
  it('a host pipe reopens as a FIFO with at most the access of the end held (a stdout pipe: to write, not to read)', () => {
    // A real pipe to `cat` (Node's stdio pipes are socket pairs, which no one reopens).
    const piped = (script: string) => spawnSync('/bin/sh', ['-c', '"$@" | cat', 'sh', process.execPath, TVISOR, 'do', '--', '/bin/sh', '-c', script],
      { encoding: 'utf8', timeout: HANG_MS });
    // The caller reads the pipe: a write end reopened through /proc/self/fd (or /dev/stdout) reaches it, as on Linux,
    // and the new end is the same pipe, foreign as the first.
    const w = piped('exec 3>/proc/self/fd/1; echo through-the-link >&3; echo through-dev-stdout > /dev/stdout; ' +
      '[ "$(readlink /proc/$$/fd/3)" = "$(readlink /proc/$$/fd/1)" ] && readlink /proc/$$/fd/3 | sed "s/[0-9]*]/N]/"');
    expect(w.stderr).toBe('');
    expect(w.stdout).toBe('through-the-link\nthrough-dev-stdout\npipe:[N]\n');
    // Reading it would take what the caller is to read: the held end writes only.
    const r = piped('exec 4>&1; cat /proc/self/fd/4 >&2');
    expect(r.stderr).toMatch(/Permission denied/);
    // A host FIFO with a path, as stdin: reopened to read, the same host object, named as anonymous as the first end.
    const fifo = join(dir, 'host-fifo');
    const f = spawnSync('/bin/sh', ['-c', 'mkfifo "$1" && shift && { { echo fifo-data; sleep 2; } > "$FIFO" & } && "$@" < "$FIFO"', 'sh', fifo,
      process.execPath, TVISOR, 'do', '--', '/bin/sh', '-c',
      'exec 3</proc/self/fd/0; cat <&3; readlink /proc/$$/fd/3; [ "$(readlink /proc/$$/fd/3)" = "$(readlink /proc/$$/fd/0)" ] && echo alike'],
    { encoding: 'utf8', timeout: HANG_MS, env: { ...process.env, FIFO: fifo } });
    expect(f.stderr).toBe('');
    expect(f.stdout).toBe('fifo-data\nanon_inode:[host]\nalike\n');
  });

  it('a read-only stdin cannot be reopened for writing (/proc/self/fd/0, /dev/stdin)', () => {
    const ro = openSync(victim, 'r');
    try {
      const r = shWithStdio('exec 3<>/proc/self/fd/0 && printf PWNED >&3', [ro, 'pipe', 'pipe']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied/);
      const s = shWithStdio('printf PWNED > /dev/stdin', [ro, 'pipe', 'pipe']);
      expect(s.status).not.toBe(0);
      // Reading it again is what the guest was given (each reopen a description of its own, from offset 0).
      expect(shWithStdio('cat /proc/self/fd/0 /dev/stdin', [ro, 'pipe', 'pipe']).stdout).toBe('ORIGINAL\nORIGINAL\n');
    } finally {
      closeSync(ro);
    }
    expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
  });

  it('a write-only stdout or stderr cannot be reopened for reading', () => {
    writeFileSync(victim, 'HOST-SECRET\n');
    const wo = openSync(victim, 'a');
    try {
      const r = shWithStdio('cat /proc/self/fd/2; cat /dev/stderr; cat /dev/fd/1 >&2', ['pipe', wo, wo]);
      expect(r.status).not.toBe(0);
      // What it may do: write, as it was given.
      expect(shWithStdio('echo appended >> /dev/stderr', ['pipe', 'pipe', wo]).status).toBe(0);
    } finally {
      closeSync(wo);
    }
    const text = readFileSync(victim, 'utf8');
    expect(text.match(/HOST-SECRET/g)).toHaveLength(1);
    expect(text).toMatch(/appended\n$/);
  });

  it('a host program handed in runs by fexecve when its description is readable, never named by its host path', () => {
    const program = join(dir, 'program');
    copyFileSync(compile('progname', ['-static']), program);
    const exec = (fd: number) => `python3 -c "import os; os.execve(${fd}, ['x'], {})"`;
    const ro = openSync(program, 'r');
    try {
      expect(shWithStdio(exec(0), [ro, 'pipe', 'pipe'])).toMatchObject({
        status: 0, stderr: '', stdout: 'execfn /dev/fd/0\nanon_inode:[hos anon_inode:[hos\n' });
    } finally {
      closeSync(ro);
    }
    // Read access, as the loader needs it (the host kernel would map a file the guest may only write).
    const wo = openSync(program, 'a');
    try {
      const r = shWithStdio(exec(1), ['pipe', wo, 'pipe']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/PermissionError/);
    } finally {
      closeSync(wo);
    }
  });

  it('fds a host process sends keep their access, across exec and from other processes', () => {
    const r = python(SEND_FDS, [victim, join(dir, 'dir'), process.execPath, TVISOR, 'do', '--', foreign, 'recv']);
    const checks = [
      'write: EBADF', 'reopen rdwr: EACCES', 'reopen wronly: EACCES', 'reopen trunc: EACCES', 'reopen rdonly: ORIGINAL',
      'dev-fd rdwr: EACCES', 'via o_path rdwr: EACCES', 'via o_path rdonly: EACCES', 'other pid rdwr: EACCES',
      // A host directory: nothing is reached through it.
      'fchdir: ENOTDIR', 'openat: ENOTDIR', 'walk through: ENOTDIR', 'getdents: ENOTDIR', 'dir reopen write: EISDIR',
    ].join('\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${checks}\nafter exec\n${checks}\n`);
    expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
  });

  it('/dev/tty is checked and reopened as the same object while a thread swaps the fd', () => {
    const r = python(WITH_CTTY, [victim, process.execPath, TVISOR, 'do', '--', foreign, 'tty-race', '3']);
    expect(r.stdout).toBe('opens>0: yes\nwrong: 0\nfailed: 0\n');
    expect(readFileSync(victim, 'utf8')).toBe('ORIGINAL\n');
  });

  it('/proc/self/fd lists fds in numeric order', () => {
    const r = shWithStdio('exec 9</dev/null 10</dev/null 11</dev/null 100</dev/null; ls -U /proc/self/fd', ['pipe', 'pipe', 'pipe'], '/bin/bash');
    expect(r.stdout.trim().split('\n')).toEqual(['0', '1', '2', '3', '9', '10', '11', '100']);
  });
});
