// The guest must never reach a host file it was not given. A host directory
// holds a secret; the sandbox mounts an empty directory over it, so the
// secret is out of the sandbox's view, and each case tries to get it back.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxRootfs } from './engines/rootfs.js';
import { compile, ensureCommands, tempDir, tvisorDo } from './helpers.js';

let escape: string;
let hidden: string;
let secret: string;
let cover: string;
let links: string;
let lower: string;

beforeAll(() => {
  escape = compile('escape', ['-pthread']);
  hidden = tempDir('hidden');
  secret = `${hidden}/secret`;
  writeFileSync(secret, 'host secret\n');
  cover = tempDir('cover');
  links = tempDir('links');
  symlinkSync(secret, `${links}/abs`);
  symlinkSync('../../../../../../..' + secret, `${links}/rel`);
  // Host unix sockets: beside the secret (hidden) and in a directory the sandbox sees through the host root.
  lower = tempDir('lower');
  symlinkSync(`${hidden}/dg`, `${links}/sock-abs`);
  symlinkSync(`../../../../../../..${hidden}/dg`, `${links}/sock-rel`);
  symlinkSync(`${lower}/dg`, `${links}/sock-lower`);
});

function run(...args: string[]) {
  return tvisorDo([escape, ...args], { flags: ['-v', `${cover}:${hidden}`, '-v', `${links}:/links:ro`] });
}

describe('escapes', () => {
  it.each(['direct', 'dotdot', 'proc-root', 'proc-cwd', 'chroot', 'dirfd'])('%s stays in the sandbox', (c) => {
    const r = run(c, secret);
    expect(r.stdout).not.toMatch(/reached/);
    expect(r.stdout).toMatch(/ENOENT/);
  });

  it('symlinks inside a bind mount resolve in the sandbox', () => {
    expect(run('symlink', secret, '/links/abs').stdout).toBe('symlink: ENOENT\n');
    expect(run('symlink', secret, '/links/rel').stdout).toBe('symlink: ENOENT\n');
  });

  it('openat2 resolves in the sandbox, and RESOLVE_BENEATH refuses ..', () => {
    const r = run('openat2', secret);
    expect(r.stdout).toBe('openat2-in-root: ENOENT\nopenat2-beneath: ENOENT\n');
  });

  it('file handles are refused', () => {
    expect(run('handle', secret).stdout).toBe('name_to_handle_at: EOPNOTSUPP\nopen_by_handle_at: EPERM\n');
  });

  it('ptrace is refused', () => {
    expect(run('ptrace', secret).stdout).toBe('ptrace: EPERM\n');
  });

  it('mounts in the sandbox cannot uncover what the runtime\'s mounts cover', () => {
    expect(run('mount', secret).stdout).toBe('bind /: EINVAL\nrbind /: ok\nvia rbind: ENOENT\numount cover: EINVAL\n' +
      'detach cover: EINVAL\nmove cover: EINVAL\nremount /links rw: EPERM\ndirect: ENOENT\n');
  });

  it('sendto and connect never reach a host unix socket, by any path or race', async () => {
    const host = spawn(compile('hostsock'), [hidden, lower], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = once(host, 'exit');
    while (!out.includes('ready\n')) await once(host.stdout, 'data');
    const r = run('socket', secret, hidden, lower);
    host.stdin.end();
    await exited;
    const tries = ['hidden dg', 'hidden st', 'dotdot', 'proc-root', 'symlink abs', 'symlink rel', 'relative dotdot'];
    const refused = ['host root dg', 'host root st', 'symlink to host root'];
    expect(r.stdout).toBe([
      ...tries.flatMap((w) => [`${w} sendto: ENOENT`, `${w} connect: ENOENT`]),
      ...refused.flatMap((w) => [`${w} sendto: ECONNREFUSED`, `${w} connect: ECONNREFUSED`]),
      'race: none', '',
    ].join('\n'));
    expect(out).toBe('ready\ndatagrams 0 connections 0\n');
  });

  it('a host daemon behind a bind-mounted socket sees the guest\'s ids, not the sentry\'s root', async () => {
    const peercred = compile('peercred');
    const dir = tempDir('peer');
    chmodSync(dir, 0o755);
    const host = spawn(peercred, ['serve', `${dir}/s`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const exited = once(host, 'exit');
    while (!out.includes('ready\n')) await once(host.stdout, 'data');
    const r = tvisorDo([peercred, 'connect', '1000', '1001', '/peer/s'], { flags: ['-v', `${dir}:/peer`] });
    if (r.stdout !== 'connected\n') host.kill();
    await exited;
    expect(r.stdout).toBe('connected\n');
    expect(out).toBe('ready\npeer uid 1000 gid 1001\n');
  });

  it('a lazily unmounted copy of the root still has the runtime\'s mounts covering what they cover', () => {
    expect(run('detach', secret).stdout).toBe('rbind /: ok\ndetach: ok\nvia detached copy: ENOENT\nfrom its cwd: ENOENT\n' +
      'umount its cover: EINVAL\nafter: ENOENT\n');
  });

  it('pivot_root, then every way above the new root: nothing of the sentry\'s tree nor the covered secret', () => {
    expect(run('pivot', secret).stdout).toBe([
      'pivot: ok', 'umount old root: ok', 'dotdot: ENOENT', 'proc-root: ENOENT', 'proc-init-root: ENOENT', 'proc-cwd: ENOENT',
      'old-root-fd: ENOENT', '/../__tvisor_containers__: ENOENT', '/proc/self/root/../__tvisor_containers__: ENOENT',
      '/proc/1/root/../__tvisor_containers__: ENOENT', '/proc/1/cwd/../__tvisor_containers__: ENOENT',
      'old-root-fd hidden: ENOENT', 'mounts: 2 naming tvisor: 0', 'put_old the root: EINVAL', 'put_old above: EBUSY',
      'new root above: EINVAL', 'new root the old root\'s fd: ENOENT', 'direct: ENOENT', ''].join('\n'));
  });

  it('an exec racing a path change never runs a host file', () => {
    expect(run('exec-race', secret).stdout).toBe('exec-race: ENOENT\n');
  });
});

// The overlay's lower layer is read by the sentry itself, through O_PATH fds of its directories
// that the gofer opened (sentry/fs/gofer/direct.ts): one name at a time, no symlink followed, a
// host mount inside the tree crossed by the gofer. A root of our own holds links to the secret.
describe('the lower layer read through the gofer\'s directory fds', () => {
  let root: string;
  let sub: string;
  beforeAll(() => {
    ensureCommands({ busybox: 'busybox-static' });
    root = buildBusyboxRootfs(tempDir('direct-lower')).dir;
    symlinkSync(secret, `${root}/abs`);
    symlinkSync('../../../../../../..' + secret, `${root}/rel`);
    symlinkSync(hidden, `${root}/absdir`);
    symlinkSync('/', `${root}/bin/up`);
    sub = `${root}/sub`;
    mkdirSync(sub);
    writeFileSync(`${sub}/under`, 'covered by the mount\n');
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', sub]).status).toBe(0);
    mkdirSync(`${sub}/d`);
    writeFileSync(`${sub}/d/file`, 'on the mount\n');
    // One file bound over another, as engines bind /etc/hosts.
    writeFileSync(`${root}/filemount`, 'covered by the bind\n');
    writeFileSync(`${dirname(root)}/bound`, 'a bound file\n');
    expect(spawnSync('mount', ['--bind', `${dirname(root)}/bound`, `${root}/filemount`]).status).toBe(0);
  });
  afterAll(() => { spawnSync('umount', [sub]); spawnSync('umount', [`${root}/filemount`]); });

  it('follows no symlink out of the tree, and shows a mount inside it as the host does', () => {
    const r = tvisorDo(['sh', '-c', 'for p in /abs /rel /absdir/secret /bin/up/abs /bin/up/../..' + secret + '; do cat $p; done; ' +
      'ls /absdir; ls /sub; ls /sub/d; cat /sub/d/file /sub/d/../d/file; cd /sub/d && ls .. && cat ../../sub/d/file /filemount'],
    { flags: ['--root', root] });
    expect(r.stdout).toBe('d\nfile\non the mount\non the mount\nd\non the mount\na bound file\n');
    expect(r.stderr).not.toMatch(/host secret/);
    expect(r.stderr.match(/No such file or directory/g)).toHaveLength(6);
  });
});
