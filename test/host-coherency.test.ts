// Coherency with the host: what a host process does inside a `-v` bind while
// the sandbox runs is what the guest's next call sees, as on Linux, where a
// bind mount shows the host's files themselves: no stale size, listing or
// inode, and an open directory or a cwd follows its directory when the host
// renames it. One guest (a Python loop reading statements from stdin) runs
// through each test; host and guest take turns, each turn ending with a
// marker the guest prints, so no timing decides anything.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync,
  unlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmdline, descendants } from '../src/proctree.js';
import { tempDir, TVISOR } from './helpers.js';

const MARK = '@@turn-done@@\n';

/**
 * Runs each line it reads as Python statements (each `; ` parts two, which
 * run whether the one before failed or not), then prints MARK; an OSError
 * prints its errno's name. `st(p)` prints size and inode (or the errno).
 */
const GUEST = `
import errno, os, sys
def st(p, **kw):
    s = os.stat(p, follow_symlinks=False, **kw)
    print(s.st_size, s.st_ino)
def cat(p, **kw):
    fd = os.open(p, os.O_RDONLY, **kw)
    try: print(repr(os.read(fd, 100).decode()))
    finally: os.close(fd)
g = dict(globals())
for line in sys.stdin:
    for stmt in line.split('; '):
        try: exec(stmt, g)
        except OSError as e: print(errno.errorcode.get(e.errno, e))
    print('${MARK.trim()}', flush=True)
`;

/** A sandbox running GUEST with `bind` as `-v`, and a way to take turns with it. */
class Guest {
  private readonly proc: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private waiting: (() => void) | null = null;

  get pid(): number { return this.proc.pid!; }

  constructor(bind: string) {
    this.proc = spawn(process.execPath, [TVISOR, 'do', '-v', bind, '--', '/usr/bin/python3', '-u', '-c', GUEST],
      { cwd: '/' });
    this.proc.stdout.setEncoding('utf8').on('data', (s: string) => { this.out += s; this.waiting?.(); });
    this.proc.stderr.setEncoding('utf8').on('data', (s: string) => { this.err += s; });
    this.proc.on('exit', () => this.waiting?.());
  }

  /** Runs one line of Python in the guest; its output. */
  async run(line: string): Promise<string> {
    this.proc.stdin.write(line + '\n');
    for (;;) {
      const at = this.out.indexOf(MARK);
      if (at >= 0) {
        const said = this.out.slice(0, at);
        this.out = this.out.slice(at + MARK.length);
        return said;
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`the guest ended (${this.proc.exitCode ?? this.proc.signalCode}): ${this.out}\n${this.err}`);
      }
      await new Promise<void>((resolve) => { this.waiting = resolve; });
      this.waiting = null;
    }
  }

  async end(): Promise<string> {
    this.proc.stdin.end();
    if (this.proc.exitCode === null && this.proc.signalCode === null) await new Promise((r) => this.proc.on('exit', r));
    return this.err;
  }
}

const ino = (p: string) => statSync(p).ino;

for (const kind of ['rw', 'ro'] as const) {
  describe(`a host change in a ${kind} bind shows at the guest's next call`, () => {
    let host: string;
    let guest: Guest;
    const rw = kind === 'rw';

    beforeAll(() => {
      host = tempDir(`coherency-${kind}`);
      writeFileSync(`${host}/old`, 'old name\n');
      writeFileSync(`${host}/gone`, 'soon gone\n');
      writeFileSync(`${host}/target`, 'old');
      mkdirSync(`${host}/d1`);
      writeFileSync(`${host}/d1/x`, 'x');
      for (const d of ['cwd', 'nested/deep', 'od', 'pd']) mkdirSync(`${host}/${d}`, { recursive: true });
      writeFileSync(`${host}/cwd/f`, 'in cwd');
      writeFileSync(`${host}/od/f`, 'in od');
      guest = new Guest(`${host}:/b${rw ? '' : ':ro'}`);
    });

    afterAll(async () => {
      const err = await guest.end();
      expect(err).toBe('');
      execFileSync('rm', ['-rf', host]);
    });

    it('a file the host creates: stat, open and listing see it', async () => {
      // Looked up first, so a cache of its absence would show.
      expect(await guest.run("st('/b/new'); print('new' in os.listdir('/b'))")).toBe('ENOENT\nFalse\n');
      writeFileSync(`${host}/new`, 'hello');
      expect(await guest.run("st('/b/new'); cat('/b/new'); print('new' in os.listdir('/b'))"))
        .toBe(`5 ${ino(`${host}/new`)}\n'hello'\nTrue\n`);
    });

    it('a file the host appends to or truncates: stat and read see its size', async () => {
      appendFileSync(`${host}/new`, ' world');
      expect(await guest.run("st('/b/new'); cat('/b/new')")).toBe(`11 ${ino(`${host}/new`)}\n'hello world'\n`);
      truncateSync(`${host}/new`, 2);
      expect(await guest.run("st('/b/new'); cat('/b/new')")).toBe(`2 ${ino(`${host}/new`)}\n'he'\n`);
    });

    it('a file and a directory the host renames: the old name is ENOENT, the new one the same inode', async () => {
      expect(await guest.run("st('/b/old'); st('/b/d1/x')")).toBe(`9 ${ino(`${host}/old`)}\n1 ${ino(`${host}/d1/x`)}\n`);
      renameSync(`${host}/old`, `${host}/renamed`);
      renameSync(`${host}/d1`, `${host}/d2`);
      expect(await guest.run("st('/b/old'); st('/b/renamed'); st('/b/d1/x'); st('/b/d2/x'); print(sorted(os.listdir('/b/d2')))"))
        .toBe(`ENOENT\n9 ${ino(`${host}/renamed`)}\nENOENT\n1 ${ino(`${host}/d2/x`)}\n['x']\n`);
    });

    it('a file the host deletes is ENOENT, and gone from the listing', async () => {
      expect(await guest.run("st('/b/gone')")).toBe(`10 ${ino(`${host}/gone`)}\n`);
      unlinkSync(`${host}/gone`);
      expect(await guest.run("print('gone' in os.listdir('/b')); st('/b/gone')")).toBe('False\nENOENT\n');
    });

    it('a file the host replaces by renaming another over it: the new inode and content', async () => {
      expect(await guest.run("st('/b/target'); cat('/b/target')")).toBe(`3 ${ino(`${host}/target`)}\n'old'\n`);
      writeFileSync(`${host}/target.tmp`, 'new content');
      renameSync(`${host}/target.tmp`, `${host}/target`);
      expect(await guest.run("st('/b/target'); cat('/b/target')")).toBe(`11 ${ino(`${host}/target`)}\n'new content'\n`);
    });

    it('a cwd the host renames: relative calls reach the directory under its new name', async () => {
      expect(await guest.run("os.chdir('/b/cwd'); st('f')")).toBe(`6 ${ino(`${host}/cwd/f`)}\n`);
      renameSync(`${host}/cwd`, `${host}/cwd2`);
      writeFileSync(`${host}/cwd2/g`, 'host made');
      expect(await guest.run("st('f'); st('g'); print(sorted(os.listdir('.'))); print(os.stat('.').st_ino)"))
        .toBe(`6 ${ino(`${host}/cwd2/f`)}\n9 ${ino(`${host}/cwd2/g`)}\n['f', 'g']\n${ino(`${host}/cwd2`)}\n`);
      if (rw) {
        expect(await guest.run("open('made', 'w').write('guest made'); os.mkdir('sub'); os.rename('g', 'g2')")).toBe('');
        expect(readFileSync(`${host}/cwd2/made`, 'utf8')).toBe('guest made');
        expect(statSync(`${host}/cwd2/sub`).isDirectory()).toBe(true);
        expect(readdirSync(`${host}/cwd2`).sort()).toEqual(['f', 'g2', 'made', 'sub']);
        expect(existsSync(`${host}/cwd`)).toBe(false);
      } else {
        expect(await guest.run("open('made', 'w')")).toBe('EROFS\n');
      }
    });

    it('a cwd whose parent the host renames: relative calls still reach it', async () => {
      expect(await guest.run("os.chdir('/b/nested/deep'); print(os.listdir('.'))")).toBe('[]\n');
      renameSync(`${host}/nested`, `${host}/nested2`);
      writeFileSync(`${host}/nested2/deep/h`, 'h');
      expect(await guest.run("st('h'); print(os.stat('.').st_ino)"))
        .toBe(`1 ${ino(`${host}/nested2/deep/h`)}\n${ino(`${host}/nested2/deep`)}\n`);
      if (rw) {
        expect(await guest.run("os.mkdir('m')")).toBe('');
        expect(statSync(`${host}/nested2/deep/m`).isDirectory()).toBe(true);
      }
    });

    it('an open directory the host renames: calls relative to its fd follow it', async () => {
      expect(await guest.run("fd = os.open('/b/od', os.O_RDONLY | os.O_DIRECTORY); pfd = os.open('/b/pd', os.O_PATH | os.O_DIRECTORY)"))
        .toBe('');
      renameSync(`${host}/od`, `${host}/od2`);
      renameSync(`${host}/pd`, `${host}/pd2`);
      writeFileSync(`${host}/od2/k`, 'k');
      expect(await guest.run("print(os.fstat(fd).st_ino, os.fstat(pfd).st_ino); st('f', dir_fd=fd); cat('k', dir_fd=fd); print(sorted(os.listdir(fd)))"))
        .toBe(`${ino(`${host}/od2`)} ${ino(`${host}/pd2`)}\n5 ${ino(`${host}/od2/f`)}\n'k'\n['f', 'k']\n`);
      if (rw) {
        expect(await guest.run("os.close(os.open('made', os.O_CREAT | os.O_WRONLY, dir_fd=fd)); os.mkdir('sub', dir_fd=fd); " +
          "os.mkdir('psub', dir_fd=pfd); os.unlink('k', dir_fd=fd); print(sorted(os.listdir(fd)))")).toBe("['f', 'made', 'sub']\n");
        expect(readdirSync(`${host}/od2`).sort()).toEqual(['f', 'made', 'sub']);
        expect(statSync(`${host}/pd2/psub`).isDirectory()).toBe(true);
      } else {
        expect(await guest.run("os.mkdir('sub', dir_fd=fd)")).toBe('EROFS\n');
      }
    });

    it('a bind mount made in the sandbox of a directory the host then renames: its root follows it', async () => {
      mkdirSync(`${host}/mb`);
      writeFileSync(`${host}/mb/f`, 'bound');
      expect(await guest.run("os.makedirs('/tmp/mnt', exist_ok=True); print(os.system('mount --bind /b/mb /tmp/mnt'))")).toBe('0\n');
      renameSync(`${host}/mb`, `${host}/mb2`);
      expect(await guest.run("st('/tmp/mnt/f'); print(os.listdir('/tmp/mnt'))")).toBe(`5 ${ino(`${host}/mb2/f`)}\n['f']\n`);
      expect(await guest.run("print(os.system('umount /tmp/mnt'))")).toBe('0\n');
    });

    it('a cwd the host removes: creating in it is ENOENT, as on Linux', async () => {
      expect(await guest.run("os.chdir('/b/d2')")).toBe('');
      rmSync(`${host}/d2`, { recursive: true });
      expect(await guest.run(rw ? "open('x2', 'w')" : "st('x')")).toBe('ENOENT\n');
    });
  });
}

describe('held directories are given back', () => {
  it('keeps the gofer\'s handles bounded while a guest moves through many directories', async () => {
    const host = tempDir('coherency-sweep');
    for (let i = 0; i < 600; i++) mkdirSync(`${host}/d${i}`);
    const guest = new Guest(`${host}:/b`);
    try {
      expect(await guest.run('print(1)')).toBe('1\n');
      // The gofer is the one among the guest's `tvisor do` descendants.
      const gofer = descendants(guest.pid).find((p) => cmdline(p).includes('gofer/main.js'));
      expect(gofer).toBeDefined();
      const fds = () => readdirSync(`/proc/${gofer}/fd`).length;
      const before = fds();
      // 600 cwds one after another, each held while it is the cwd.
      expect(await guest.run("for i in range(600): os.chdir(f'/b/d{i}')")).toBe('');
      expect(await guest.run("print(os.getcwd())")).toBe('/b/d599\n');
      expect(fds() - before).toBeLessThanOrEqual(130);
      // 600 directories opened and closed: held until the sandbox's file registry finds their descriptions closed.
      expect(await guest.run("for i in range(600): os.close(os.open(f'/b/d{i}', os.O_RDONLY | os.O_DIRECTORY))")).toBe('');
      expect(await guest.run("os.chdir('/')")).toBe('');
      expect(fds() - before).toBeLessThan(600);
    } finally {
      expect(await guest.end()).toBe('');
      execFileSync('rm', ['-rf', host]);
    }
  });
});
