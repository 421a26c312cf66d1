// /proc, /sys and /dev as the sandbox shows them: the tools that read them
// see the sandbox, and nothing of the host leaks into any file.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, ensureCommands, REPO, sandboxSh, tempDir, TVISOR, tvisorDo } from './helpers.js';

beforeAll(() => ensureCommands({ ps: 'procps', top: 'procps', free: 'procps', uptime: 'procps', mount: 'mount', python3: 'python3' }));

describe('proc, sys and dev', () => {
  it('ps and top list the sandbox\'s processes only, with the sandbox\'s pids and names', () => {
    const ps = sandboxSh('ps -e -o pid=,ppid=,comm=,args=');
    expect(ps.status).toBe(0);
    const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3']);
    expect(rows.map((r) => r[2])).toEqual(['tvisor-init', 'sh', 'ps']);
    expect(rows[2]!.slice(1, 2)).toEqual(['2']);
    const top = sandboxSh('top -b -n 1');
    expect(top.status).toBe(0);
    expect(Number(/Tasks:\s+(\d+) total/.exec(top.stdout)?.[1])).toBeLessThan(4);
    expect(top.stdout).toMatch(/\n\s+1 root .* tvisor-in/);
  });

  it('mount, df, free, uptime, nproc, id and hostname give sandbox-consistent answers', () => {
    const dir = tempDir('proc');
    try {
      const r = sandboxSh('mount; echo --; df -P; echo --; free; echo --; uptime; nproc; id; hostname; cat /proc/sys/kernel/hostname',
        { flags: ['-v', `${dir}:/data`] });
      expect(r.stderr).toBe('');
      const [mounts, df, free, rest] = r.stdout.split('--\n');
      expect(mounts!.trim().split('\n').map((l) => l.split(' ')[2])).toEqual(['/', '/dev', '/dev/pts', '/dev/shm', '/data', '/sys', '/proc']);
      expect(df).toMatch(/\n\S+\s+\d+\s+\d+\s+\d+\s+\d+%\s+\/data\n/);
      expect(df).toMatch(/\noverlay\s+\d+.* \/\n/);
      expect(free).toMatch(/^\s+total\s+used/);
      expect(free).toMatch(/\nMem:\s+\d+/);
      const lines = rest!.trim().split('\n');
      expect(lines[0]).toMatch(/ up .* load average: /);
      expect(Number(lines[1])).toBeGreaterThan(0);
      expect(lines[2]).toBe('uid=0(root) gid=0(root) groups=0(root)');
      expect(lines.slice(3)).toEqual(['tvisor', 'tvisor']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names mapped files by their sandbox paths, including deleted tmpfs files', () => {
    const r = sandboxSh(`echo hello > /dev/shm/mapped && python3 -c "
import mmap, os
f = open('/dev/shm/mapped', 'r+b'); m = mmap.mmap(f.fileno(), 0)
g = open('/tmp/gone', 'w+b'); g.write(b'x' * 4096); g.flush(); n = mmap.mmap(g.fileno(), 0); os.unlink('/tmp/gone')
st = os.stat('/dev/shm/mapped')
for line in open('/proc/self/maps'):
    if 'mapped' in line or 'gone' in line:
        dev, ino = line.split()[3:5]
        print(line.split(None, 5)[5].strip(), int(dev.split(':')[0], 16) == os.major(st.st_dev) if 'mapped' in line else '', ino == str(st.st_ino) if 'mapped' in line else '')
for line in open('/proc/self/maps'):
    assert '/memfd:' not in line and 'tvisor' not in line, line
"`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/tmp/gone (deleted)  \n/dev/shm/mapped True True\n');
  });

  it('answers writes to read-only proc and sys files as Linux does; oom_score_adj and comm take writes', () => {
    const w = 'for f in /proc/self/stat /proc/self/maps /proc/uptime /proc/sys/kernel/ostype /sys/devices/system/cpu/online; do ' +
      '( printf 1 > $f ) 2>/dev/null && echo "$f ok" || echo "$f refused"; done; ' +
      'python3 -c "import os, errno\nfor f in [\'/proc/self/stat\', \'/proc/uptime\']:\n  fd = os.open(f, os.O_WRONLY)\n  try: os.write(fd, b\'1\')\n  except OSError as e: print(f, errno.errorcode[e.errno])\n' +
      'for f in [\'/proc/sys/kernel/ostype\', \'/sys/devices/system/cpu/online\']:\n  try: os.open(f, os.O_WRONLY)\n  except OSError as e: print(f, errno.errorcode[e.errno])"; ' +
      'echo 7 > /proc/self/oom_score_adj && cat /proc/$$/oom_score_adj; echo renamed > /proc/$$/comm; cat /proc/$$/comm';
    const r = sandboxSh(w);
    expect(r.stdout).toContain('/proc/self/stat EINVAL\n/proc/uptime EIO\n/proc/sys/kernel/ostype EACCES\n/sys/devices/system/cpu/online EROFS\n');
    expect(r.stdout).toContain('7\nrenamed\n');
  });

  it('resolves and reopens /proc/self/fd links as Linux does, including a deleted tmpfs file', () => {
    const r = sandboxSh('exec 3<>/dev/shm/f; echo data >&3; rm /dev/shm/f; readlink /proc/self/fd/3; cat /proc/self/fd/3; ' +
      'readlink /proc/$$/cwd /proc/$$/root /proc/$$/exe; ls /dev/fd/ | head -3');
    expect(r.stdout).toBe('/dev/shm/f (deleted)\ndata\n/\n/\n/usr/bin/dash\n0\n1\n2\n');
  });

  it('gives /dev its devices, a private /dev/pts, and ptys from /dev/ptmx', () => {
    const r = sandboxSh('ls /dev; ls /dev/pts; python3 -c "import os, pty; m, s = pty.openpty(); print(os.ttyname(s)); os.write(m, b\'hi\\n\'); print(os.read(s, 3))"; ' +
      'head -c 4 /dev/zero | od -An -tx1; echo x > /dev/full; echo $?');
    expect(r.stdout.split('\n').slice(0, 14)).toEqual(['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero', 'ptmx']);
    expect(r.stdout).toContain('/dev/pts/0\nb\'hi\\n\'\n 00 00 00 00\n1\n');
  });

  it('makes a pty slave opened without O_NOCTTY the controlling terminal of a session leader without one, as Linux does', () => {
    const ctty = compile('ctty');
    const native = spawnSync(ctty, { encoding: 'utf8' });
    expect(native.stdout).toContain('O_RDWR: tcgetsid own session, tty_nr is the slave, /dev/tty opens\n' +
      'O_RDWR|O_NOCTTY: tcgetsid ENOTTY, tty_nr none, /dev/tty ENXIO\n');
    const r = tvisorDo([ctty]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(native.stdout);
  });
});

describe('ipc', () => {
  it('POSIX message queues work and are the sandbox\'s own', () => {
    const mq = compile('mqueue', ['-lrt']);
    const r = tvisorDo([mq, 'keep']);
    expect(r.stdout).toBe('received hello, priority 3\n');
    // Left behind in the sandbox's ipc namespace, which the host does not share.
    expect(spawnSync(mq, ['probe'], { encoding: 'utf8' }).stdout).toBe('ENOENT\n');
  });
});

describe('nothing of the host leaks into /proc or /sys', () => {
  let dir: string;
  beforeAll(() => { dir = tempDir('leak'); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The host pids of a process and its descendants (those that exit meanwhile are left out). */
  function tree(pid: number): number[] {
    let tasks: string[];
    try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return []; }
    const out = [pid];
    for (const task of tasks) {
      let children = '';
      try { children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8'); } catch { continue; }
      for (const c of children.trim().split(/\s+/).filter(Boolean)) out.push(...tree(Number(c)));
    }
    return out;
  }

  /** Waits for the sandbox to make `path` (no deadline: the test's timeout catches a hang, however slow the machine). */
  const untilExists = async (path: string, gone: () => boolean) => {
    while (!existsSync(path)) {
      if (gone()) throw new Error(`the sandbox exited before it made ${path}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /**
   * One sandbox dumps every file and link of its /proc and /sys (other
   * processes' too); the host pids are those of its processes before and
   * after the walk, the walker's included (it waits for the test to look).
   */
  async function dumpProcAndSys(dir: string): Promise<{ text: string; hostPids: number[] }> {
    const dump = `
import os, time
def wait(name):
    while not os.path.exists('/data/' + name): time.sleep(0.05)
def walk(top):
    for root, dirs, files in os.walk(top, followlinks=False):
        for n in dirs + files:
            p = os.path.join(root, n)
            if os.path.islink(p):
                try: print('L', p, os.readlink(p))
                except OSError as e: print('L', p, e.errno)
            elif os.path.isfile(p):
                try:
                    with open(p, 'rb') as f: print('F', p, f.read(1 << 20).decode('latin1'))
                except OSError as e: print('F', p, e.errno)
open('/data/walking', 'w').close(); wait('go')
walk('/proc'); walk('/sys')
`;
    const script = 'python3 -c "$0" > /data/dump; touch /data/done; while [ ! -e /data/end ]; do sleep 0.1; done';
    const child = spawn(process.execPath, [TVISOR, 'do', '--cwd', '/', '-v', `${dir}:/data`, '--', '/bin/sh', '-c', script, dump], { stdio: 'ignore' });
    let gone = false;
    const exited = new Promise((r) => child.on('exit', () => { gone = true; r(null); }));
    await untilExists(join(dir, 'walking'), () => gone);
    const before = tree(child.pid!);
    writeFileSync(join(dir, 'go'), '');
    await untilExists(join(dir, 'done'), () => gone);
    const after = tree(child.pid!);
    writeFileSync(join(dir, 'end'), '');
    await exited;
    const hostPids = [...new Set([...before, ...after])].filter((p) => p > 100);
    return { text: readFileSync(join(dir, 'dump'), 'latin1'), hostPids };
  }

  /** The files and links of a dump that show one of `pids`, with the pid shown. */
  function pidHits(text: string, pids: number[]): Map<string, string> {
    const hits = new Map<string, string>();
    for (const entry of text.split(/\n(?=[FL] \/)/)) {
      const name = entry.slice(0, entry.indexOf(' ', 2));
      for (const pid of pids) {
        const m = new RegExp(`(?<![0-9a-fx.:])${pid}(?![0-9a-f.:])`).exec(entry);
        if (m) hits.set(name, `host pid ${pid}: …${entry.slice(Math.max(0, m.index - 80), m.index + 40)}…`);
      }
    }
    return hits;
  }

  it('no host pid, host path, host mount or host name in any file or link', async () => {
    const { text, hostPids } = await dumpProcAndSys(dir);
    expect(text.length).toBeGreaterThan(100_000);
    expect(text).toMatch(/F \/proc\/\d+\/status Name:\tpython3/);
    expect(hostPids.length).toBeGreaterThan(3);
    const leaks: string[] = [];
    const check = (what: string, re: RegExp, where = text) => {
      const m = re.exec(where);
      if (m) leaks.push(`${what}: …${where.slice(Math.max(0, m.index - 80), m.index + 40)}…`);
    };
    // A counter (schedstat, io, sched…) can equal a host pid by chance: a file
    // leaks only if it shows a host pid again in a second sandbox, whose
    // processes have other host pids.
    let hits = pidHits(text, hostPids);
    if (hits.size > 0) {
      const again = tempDir('leak');
      try {
        const second = await dumpProcAndSys(again);
        const confirmed = pidHits(second.text, second.hostPids);
        hits = new Map([...hits].filter(([name]) => confirmed.has(name)));
      } finally {
        rmSync(again, { recursive: true, force: true });
      }
    }
    for (const [name, hit] of hits) leaks.push(`${name} ${hit}`);
    check('the bind mount\'s host path', new RegExp(dir));
    // The environment is the guest's own (the user's, passed on), so it may name host paths.
    const files = text.split(/\n(?=[FL] \/)/).filter((e) => !/^F \/proc\/[0-9/task]+\/environ /.test(e)).join('\n');
    check('the repository (sentry, gofer)', new RegExp(REPO.replace(/\/$/, '')), files);
    check('host directories of the sentry', /\/dev\/shm\/tvisor-|memfd:/);
    check('the host name', new RegExp(`(?<![/\\w-])${hostname()}(?![/\\w-])`));
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)) {
      const point = line.split(' ')[4]!;
      if (!['/', '/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/tmp'].includes(point)) check(`host mount ${point}`, new RegExp(` ${point.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\n]`));
    }
    expect(leaks).toEqual([]);
  }, 360_000);
});
