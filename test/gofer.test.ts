// The gofer on its own: it serves only its attach trees, never follows a
// symlink or `..`, and read-only trees are read-only in the kernel.
import { closeSync, mkdirSync, mkdtempSync, readFileSync, readSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoferClient } from '../sentry/fs/gofer/client.js';
import { spawnGofer } from '../sentry/fs/gofer/spawn.js';
import { E, SysErr } from '../sentry/kernel/errno.js';

let rw: string;
let ro: string;
let client: GoferClient;
let pid: number;

function errnoOf(fn: () => unknown): number {
  try { fn(); } catch (e) { if (e instanceof SysErr) return e.errno; throw e; }
  return 0;
}

beforeAll(() => {
  rw = mkdtempSync('/tmp/tvisor-gofer-rw-');
  ro = mkdtempSync('/tmp/tvisor-gofer-ro-');
  writeFileSync(`${ro}/file`, 'read only\n');
  mkdirSync(`${rw}/dir`);
  writeFileSync(`${rw}/dir/a`, 'a\n');
  symlinkSync('/etc/shadow', `${rw}/abs`);
  symlinkSync('../../../../etc', `${rw}/up`);
  const g = spawnGofer([{ path: rw, readonly: false }, { path: ro, readonly: true }]);
  client = new GoferClient(g.sock);
  pid = g.pid;
});

afterAll(() => client.close());

describe('gofer', () => {
  it('serves files and directories of its trees', () => {
    expect(client.readdir(0, '').map((e) => e.name).filter((n) => n !== 'big').sort()).toEqual(['abs', 'dir', 'up']);
    expect(client.lstat(0, 'dir/a').size).toBe(2);
    const fd = client.open(0, 'dir/a', 0, 0);
    const buf = Buffer.alloc(8);
    expect(readSync(fd, buf, 0, 8, 0)).toBe(2);
    closeSync(fd);
    expect(client.readlink(0, 'abs')).toBe('/etc/shadow');
  });

  it('lists a large directory, with attributes, across pages', () => {
    mkdirSync(`${rw}/big`);
    for (let i = 0; i < 5000; i++) writeFileSync(`${rw}/big/entry-with-a-longish-name-${i}`, '');
    const plain = client.readdir(0, 'big');
    const withStat = client.readdir(0, 'big', true);
    expect(plain).toHaveLength(5000);
    expect(withStat).toHaveLength(5000);
    expect(withStat.every((e) => e.stat !== undefined && (e.stat.mode & 0o170000) === 0o100000)).toBe(true);
  });

  it('creates, renames and removes in a writable tree', () => {
    client.mkdir(0, 'new', 0o750);
    closeSync(client.open(0, 'new/f', 0o101 /* O_CREAT|O_WRONLY */, 0o600));
    client.rename(0, 'new/f', 'new/g', 0);
    expect(existsSync(`${rw}/new/g`)).toBe(true);
    client.chmod(0, 'new/g', 0o644);
    expect(client.lstat(0, 'new/g').mode & 0o777).toBe(0o644);
    client.unlink(0, 'new/g');
    client.rmdir(0, 'new');
    expect(existsSync(`${rw}/new`)).toBe(false);
  });

  it('never follows a symlink or .., and refuses absolute paths', () => {
    expect(errnoOf(() => client.open(0, 'abs', 0, 0))).toBe(E.ELOOP);
    expect([E.ELOOP, E.ENOTDIR]).toContain(errnoOf(() => client.lstat(0, 'up/passwd')));
    expect(errnoOf(() => client.lstat(0, '../etc/passwd'))).toBe(E.EINVAL);
    expect(errnoOf(() => client.lstat(0, '/etc/passwd'))).toBe(E.EINVAL);
    expect(errnoOf(() => client.lstat(0, 'dir/./a'))).toBe(E.EINVAL);
    expect(errnoOf(() => client.lstat(7, ''))).toBe(E.EINVAL);
  });

  it('makes a read-only tree read-only in the kernel', () => {
    expect(errnoOf(() => client.open(1, 'file', 1 /* O_WRONLY */, 0))).toBe(E.EROFS);
    expect(errnoOf(() => client.mkdir(1, 'x', 0o755))).toBe(E.EROFS);
    expect(errnoOf(() => client.unlink(1, 'file'))).toBe(E.EROFS);
    expect(readFileSync(`${ro}/file`, 'utf8')).toBe('read only\n');
  });

  it('sees nothing of the host but its trees, and no kernel filesystem', () => {
    const g = spawnGofer([{ path: '/', readonly: true }]);
    const other = new GoferClient(g.sock);
    expect(other.lstat(0, 'etc').mode & 0o170000).toBe(0o040000);
    const mounts = readFileSync(`/proc/${g.pid}/mountinfo`, 'utf8').trim().split('\n');
    other.close();
    const at = mounts.map((l) => l.split(' ')[4]);
    const types = mounts.map((l) => l.split(' - ')[1]!.split(' ')[0]);
    expect(at).toContain('/');
    expect(at.every((p) => p === '/' || p === '/0' || p!.startsWith('/0/'))).toBe(true);
    for (const t of ['proc', 'sysfs', 'cgroup', 'cgroup2', 'devpts', 'devtmpfs']) expect(types).not.toContain(t);
    for (const l of mounts.filter((m) => m.split(' ')[4]!.startsWith('/0'))) expect(l.split(' ')[5]).toMatch(/nosuid,nodev/);
  });

  it('opens no device node', () => {
    expect(errnoOf(() => client.mknod(0, 'null', 0o020666, 0x103))).toBe(0);
    expect(errnoOf(() => client.open(0, 'null', 0, 0))).toBe(E.EACCES);
    void pid;
  });
});
