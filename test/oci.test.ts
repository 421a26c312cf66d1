// tvisor as an OCI runtime, driven the way engines drive runc: a busybox
// bundle built at test time, every command, the state at each step, and
// the config's fields seen from inside the container. Each test checks
// that nothing is left (no state, no sandbox process, no cgroup).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, lchownSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync,
  writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStale } from '../src/cgroup.js';
import { buildBusyboxRootfs, editBundle } from './engines/rootfs.js';
import { ensurePackages } from './engines/apt.js';
import { cgroupDirs, compile, tempDir, TVISOR } from './helpers.js';
import { children, cmdline } from '../src/proctree.js';

ensurePackages(['busybox-static']);
const base = tempDir('oci');
const { dir: ROOTFS } = buildBusyboxRootfs(base);
const IDS = compile('ids', ['-static']);
copyFileSync(IDS, join(ROOTFS, 'bin/ids'));
copyFileSync(IDS, join(ROOTFS, 'bin/ids-setuid'));
chownSync(join(ROOTFS, 'bin/ids-setuid'), 0, 0);
chmodSync(join(ROOTFS, 'bin/ids-setuid'), 0o4755);
writeFileSync(join(ROOTFS, 'etc/secret'), 'secret\n');
mkdirSync(join(ROOTFS, 'root/private'));
writeFileSync(join(ROOTFS, 'root/private/key'), 'key\n');
const STATE = join(base, 'state');
/** Container ids of this run, so that the checks below see only its own cgroups. */
const PREFIX = `t${process.pid}-`;

interface Result { status: number | null; stdout: string; stderr: string }

/**
 * One runtime command. Its output goes to files, as with engines: a
 * container's sandbox inherits create's stdout and stderr, so pipes would
 * stay open until the container ends.
 */
function oci(args: string[], opts: { timeout?: number } = {}): Result {
  const out = join(base, 'cmd.out');
  const err = join(base, 'cmd.err');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync('node', [TVISOR, '--root', STATE, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: opts.timeout ?? 120_000 });
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

let n = 0;
/** A bundle whose config is the default spec changed by `edit`. */
function bundle(edit: (c: Record<string, any>) => void): string {
  const dir = join(base, `b${++n}`);
  mkdirSync(dir);
  expect(oci(['spec', '--bundle', dir]).status).toBe(0);
  editBundle(dir, ROOTFS, edit);
  return dir;
}

/** create + start, the container's stdout collected; resolves with the sandbox's exit status and output. */
function runToEnd(dir: string, id: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn('node', [TVISOR, '--root', STATE, 'run', '--bundle', dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

const state = (id: string) => JSON.parse(oci(['state', id]).stdout) as { status: string; pid: number; id: string; bundle: string };
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

afterEach(() => {
  for (const id of existsSync(STATE) ? readdirSync(STATE) : []) oci(['delete', '--force', id]);
  expect(existsSync(STATE) ? readdirSync(STATE) : []).toEqual([]);
  const cgroups = spawnSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 4 -name "tvisor-oci-${PREFIX}*"`], { encoding: 'utf8' }).stdout;
  expect(cgroups).toBe('');
});

describe('tvisor as an OCI runtime', () => {
  it('runs the lifecycle as runc does: create, start, state, exec, kill, delete', async () => {
    const dir = bundle((c) => { c.process.args = ['sh', '-c', 'echo started; sleep 600']; });
    const pidFile = join(dir, 'pid');
    expect(oci(['create', '--bundle', dir, '--pid-file', pidFile, `${PREFIX}c1`])).toMatchObject({ status: 0 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(state(`${PREFIX}c1`)).toMatchObject({ id: `${PREFIX}c1`, status: 'created', pid, bundle: dir });
    // A second create with the id fails; the first keeps running.
    const again = oci(['create', '--bundle', dir, `${PREFIX}c1`]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`container with id exists: ${PREFIX}c1`);
    expect(state(`${PREFIX}c1`).status).toBe('created');
    expect(oci(['start', `${PREFIX}c1`]).status).toBe(0);
    expect(state(`${PREFIX}c1`).status).toBe('running');
    expect(oci(['start', `${PREFIX}c1`]).status).toBe(1);
    const ex = oci(['exec', `${PREFIX}c1`, 'sh', '-c', 'echo $((6*7)); hostname; exit 3']);
    expect(ex).toMatchObject({ status: 3, stdout: '42\ntvisor\n' });
    const ps = JSON.parse(oci(['ps', '--format', 'json', `${PREFIX}c1`]).stdout) as number[];
    expect(ps.length).toBeGreaterThanOrEqual(1);
    for (const p of ps) expect(alive(p)).toBe(true);
    expect(JSON.parse(oci(['list', '--format', 'json']).stdout)).toMatchObject([{ id: `${PREFIX}c1`, status: 'running' }]);
    expect(oci(['pause', `${PREFIX}c1`]).status).toBe(0);
    expect(state(`${PREFIX}c1`).status).toBe('paused');
    expect(oci(['resume', `${PREFIX}c1`]).status).toBe(0);
    expect(JSON.parse(oci(['events', '--stats', `${PREFIX}c1`]).stdout)).toMatchObject({ type: 'stats', id: `${PREFIX}c1` });
    expect(oci(['delete', `${PREFIX}c1`])).toMatchObject({ status: 1 });
    expect(oci(['kill', `${PREFIX}c1`, 'KILL']).status).toBe(0);
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(state(`${PREFIX}c1`).status).toBe('stopped');
    expect(oci(['delete', `${PREFIX}c1`]).status).toBe(0);
    expect(oci(['kill', `${PREFIX}c1`]).status).toBe(1);
    expect(oci(['delete', `${PREFIX}c1`]).status).toBe(1);
    expect(oci(['delete', '--force', `${PREFIX}c1`]).status).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 300_000);

  it('starts the gofer beside the sandbox process, in its cgroup, and stops the container when the gofer dies', async () => {
    const id = `${PREFIX}g1`;
    const dir = bundle((c) => { c.process.args = ['sleep', '600']; });
    const pidFile = join(dir, 'pid');
    expect(oci(['create', '--bundle', dir, '--pid-file', pidFile, id]).status).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const sentryProcs = cgroupDirs(`tvisor-oci-${id}`).map((d) => readFileSync(join(d, 'sentry', 'cgroup.procs'), 'utf8'));
    expect(sentryProcs.length).toBeGreaterThan(0);
    const gofers = sentryProcs[0]!.trim().split('\n').map(Number).filter((p) => cmdline(p).includes('gofer/main.js'));
    expect(gofers).toHaveLength(1);
    // Not the sandbox process's child: create started it.
    expect(children(pid)).not.toContain(gofers[0]);
    expect(oci(['start', id]).status).toBe(0);
    process.kill(gofers[0]!, 'SIGKILL');
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
    expect(state(id).status).toBe('stopped');
  }, 300_000);

  it('passes the exit status through and runs the hooks with the state on stdin, in order', async () => {
    const log = join(base, 'hooks.log');
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `(echo ${name}; cat; echo) >> ${log}`] });
    const dir = bundle((c) => {
      c.process.args = ['sh', '-c', 'exit 7'];
      c.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')], poststart: [hook('poststart')],
        poststop: [hook('poststop')] };
    });
    const r = await runToEnd(dir, `${PREFIX}c2`);
    expect(r.code).toBe(7);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines.filter((_, i) => i % 2 === 0)).toEqual(['prestart', 'createRuntime', 'poststart', 'poststop']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ id: `${PREFIX}c2`, status: 'created' });
  }, 300_000);

  it('honours the config: read-only root, a single-file bind, tmpfs size, rlimits, masked paths, hostname, user, env, cwd', async () => {
    const file = join(base, 'hosts');
    writeFileSync(file, '127.0.0.1 bound\n');
    const dir = bundle((c) => {
      c.hostname = 'box';
      c.process.env.push('GREETING=hi');
      c.process.cwd = '/tmp';
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [5] };
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 200, hard: 300 }];
      c.mounts.push({ destination: '/etc/hosts', type: 'bind', source: file, options: ['rbind', 'ro'] });
      c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1777'] });
      c.linux.maskedPaths.push('/etc/secret', '/root/private');
      c.process.args = ['sh', '-c', [
        'hostname', 'echo $GREETING', 'pwd', 'id -u; id -g; id -G', 'ulimit -n; ulimit -Hn', 'cat /etc/hosts',
        'touch /newfile 2>&1 | grep -o "Read-only file system"',
        'dd if=/dev/zero of=/tmp/big bs=64k count=64 2>&1 | grep -o "No space left on device"',
        'cat /etc/secret | wc -c', 'ls /root/private | wc -l', 'cat /proc/kcore 2>/dev/null | wc -c',
      ].join('; ')];
    });
    const r = await runToEnd(dir, `${PREFIX}c3`);
    expect(r.err).toBe('');
    expect(r.out).toBe('box\nhi\n/tmp\n1000\n1000\n1000 5\n200\n300\n127.0.0.1 bound\nRead-only file system\nNo space left on device\n0\n0\n0\n');
    expect(r.code).toBe(0);
  }, 300_000);

  it('keeps set-user-ID programs from gaining privileges under noNewPrivileges', async () => {
    const run = async (nnp: boolean, id: string) => (await runToEnd(bundle((c) => {
      c.root.readonly = false;
      c.process.noNewPrivileges = nnp;
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.args = ['/bin/ids-setuid'];
    }), id)).out;
    expect(await run(false, `${PREFIX}c4`)).toBe('uid=1000 euid=0\n');
    expect(await run(true, `${PREFIX}c5`)).toBe('uid=1000 euid=1000\n');
  }, 300_000);

  it('applies linux.resources: a pids limit fails fork, a memory limit kills a hog', async () => {
    const pids = await runToEnd(bundle((c) => {
      c.linux.resources = { pids: { limit: 8 } };
      c.process.args = ['sh', '-c', 'for i in $(seq 1 20); do sleep 5 & done 2>&1 | grep -c "can.t fork" >/dev/null && echo refused'];
    }), `${PREFIX}c6`);
    expect(pids.out).toBe('refused\n');
    const mem = await runToEnd(bundle((c) => {
      c.linux.resources = { memory: { limit: 64 * 1024 * 1024 } };
      c.process.args = ['sh', '-c', 'awk \'BEGIN { s = "x"; while (1) s = s s }\''];
    }), `${PREFIX}c7`);
    expect(mem.code).toBe(137);
  }, 300_000);

  it('gives the container a terminal through the console socket, as engines ask', async () => {
    const sock = join(base, 'console.sock');
    const receiver = spawn('python3', ['-c', `
import socket, os, sys, array
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(${JSON.stringify(sock)}); s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(c, 1024, 1)
out = b""
while True:
    try:
        b = os.read(fds[0], 1024)
    except OSError:
        break
    if not b: break
    out += b
sys.stdout.write(out.decode())
`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let got = '';
    receiver.stdout.on('data', (d) => { got += d; });
    await new Promise((r) => receiver.stdout.once('data', r));
    const dir = bundle((c) => { 
      c.process.terminal = true;
      c.process.consoleSize = { height: 33, width: 101 };
      c.process.args = ['sh', '-c', 'tty; test -t 0 && echo interactive; stty size'];
    });
    expect(oci(['create', '--bundle', dir, '--console-socket', sock, `${PREFIX}c8`]).status).toBe(0);
    expect(oci(['start', `${PREFIX}c8`]).status).toBe(0);
    await new Promise((r) => receiver.on('exit', r));
    expect(got).toContain('/dev/pts/0\r\ninteractive\r\n33 101\r\n');
  }, 300_000);

  it('sweeps the cgroup of a container whose sandbox died and whose state was lost, and no live one', async () => {
    const sleeper = () => bundle((c) => { c.process.args = ['sleep', '600']; });
    const dead = `${PREFIX}swept`;
    const live = `${PREFIX}kept`;
    const pidFile = join(base, 'swept.pid');
    expect(oci(['create', '--bundle', sleeper(), '--pid-file', pidFile, dead]).status).toBe(0);
    expect(oci(['create', '--bundle', sleeper(), live]).status).toBe(0);
    const cgroupsOf = (id: string) => spawnSync('sh', ['-c', `find /sys/fs/cgroup -maxdepth 4 -name "tvisor-oci-${id}"`],
      { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const [deadCgroup] = cgroupsOf(dead);
    expect(deadCgroup).toBeDefined();
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && readFileSync(join(deadCgroup!, 'sentry', 'cgroup.procs'), 'utf8') !== ''; i++) await new Promise((r) => setTimeout(r, 50));
    rmSync(join(STATE, dead), { recursive: true, force: true });
    // As a later create would, a minute on (a younger cgroup may be one whose sandbox is starting).
    removeStale(dirname(deadCgroup!), Date.now() + 120_000);
    expect(cgroupsOf(dead)).toEqual([]);
    expect(cgroupsOf(live)).toHaveLength(1);
    expect(state(live).status).toBe('created');
  }, 300_000);

  it('copies the covered directory into a tmpcopyup tmpfs, links as links, within the tmpfs size', async () => {
    // A root of its own, with a /run holding what runc's copy keeps: content, modes (set-id
    // included), owners, a subdirectory, a FIFO, and symlinks, two of them aimed at a host file.
    const { dir: root } = buildBusyboxRootfs(join(base, 'copyup'));
    const hostFile = join(base, 'host-file');
    writeFileSync(hostFile, 'host\n');
    const run = join(root, 'run');
    mkdirSync(join(run, 'sub'), { recursive: true });
    writeFileSync(join(run, 'file'), 'hello\n');
    writeFileSync(join(run, 'sub/deep'), 'deep\n');
    symlinkSync('file', join(run, 'link'));
    symlinkSync(hostFile, join(run, 'abs'));
    symlinkSync(`../../../../../../../../../..${hostFile}`, join(run, 'up'));
    expect(spawnSync('mkfifo', ['-m', '0620', join(run, 'fifo')]).status).toBe(0);
    chmodSync(run, 0o751);
    chmodSync(join(run, 'file'), 0o640);
    chownSync(join(run, 'file'), 1000, 1001);
    chmodSync(join(run, 'sub'), 0o2710);
    chownSync(join(run, 'sub'), 1002, 1003);
    chmodSync(join(run, 'sub/deep'), 0o4755);
    lchownSync(join(run, 'link'), 1004, 1005);
    mkdirSync(join(root, 'var/tmp'), { recursive: true });
    writeFileSync(join(root, 'var/tmp/big'), Buffer.alloc(256 << 10, 1));
    const dir = bundle((c) => {
      c.root = { path: root, readonly: true };
      c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
      // Root reads and writes others' files as an engine's container root does.
      for (const set of Object.values(c.process.capabilities) as string[][]) set.push('CAP_DAC_OVERRIDE');
      c.process.args = ['sh', '-c', [
        'stat -f -c %T /run', 'stat -c "%n %a %u %g %F" /run /run/file /run/sub /run/sub/deep /run/fifo',
        'stat -c "%n %u %g %F %N" /run/link /run/abs /run/up', 'cat /run/file /run/link /run/sub/deep',
        'cat /run/abs /run/up 2>&1', 'echo changed > /run/file; echo made > /run/sub/new; cat /run/file /run/sub/new',
      ].join('; ')];
    });
    const r = await runToEnd(dir, `${PREFIX}c11`);
    expect(r.err).toBe('');
    expect(r.out).toBe([
      'tmpfs', '/run 751 0 0 directory', '/run/file 640 1000 1001 regular file', '/run/sub 2710 1002 1003 directory',
      '/run/sub/deep 4755 0 0 regular file', '/run/fifo 620 0 0 fifo',
      "/run/link 1004 1005 symbolic link '/run/link' -> 'file'",
      `/run/abs 0 0 symbolic link '/run/abs' -> '${hostFile}'`,
      `/run/up 0 0 symbolic link '/run/up' -> '../../../../../../../../../..${hostFile}'`,
      'hello', 'hello', 'deep',
      `cat: can't open '/run/abs': No such file or directory`, `cat: can't open '/run/up': No such file or directory`,
      'changed', 'made', '',
    ].join('\n'));
    expect(r.code).toBe(0);
    // The writes went to the tmpfs; the root on the host is as it was.
    expect(readFileSync(join(run, 'file'), 'utf8')).toBe('hello\n');
    expect(existsSync(join(run, 'sub/new'))).toBe(false);
    expect(readFileSync(hostFile, 'utf8')).toBe('host\n');

    // A copy bigger than the tmpfs's size= fails create, naming the mount and the entry.
    const small = bundle((c) => {
      c.root = { path: root, readonly: true };
      c.mounts.push({ destination: '/var/tmp', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup', 'size=64k'] });
    });
    const failed = oci(['create', '--bundle', small, `${PREFIX}c12`]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/the tmpfs at \/var\/tmp: tmpcopyup of \/var\/tmp\/big: ENOSPC.*size=/);
  }, 300_000);

  it('runs `do --root DIR` in that root instead of the host\'s', () => {
    const r = spawnSync('node', [TVISOR, 'do', '--root', ROOTFS, '--', 'sh', '-c', 'pwd; cat /etc/group; ls /bin/ids'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`/\n${readFileSync(join(ROOTFS, 'etc/group'), 'utf8')}/bin/ids\n`);
  });

  it('fails create with a message naming the field it cannot honour, and leaves nothing', () => {
    const dir = bundle((c) => { c.linux.namespaces.push({ type: 'user' }); });
    const r = oci(['create', '--bundle', dir, `${PREFIX}c9`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/linux\.namespaces\[5\]: user namespaces are not supported/);
    const bad = bundle((c) => { c.mounts.push({ destination: '/x', type: 'nfs', source: 'h:/x' }); });
    expect(oci(['create', '--bundle', bad, `${PREFIX}c10`]).stderr).toMatch(/mounts\[6\]\.type: mounts of type nfs are not supported/);
  });
});
