// The sentry's own reads of the overlay's lower layer (sentry/fs/gofer/direct.ts):
// one plain entry of a directory fd at a time, never followed, never beyond it.
import { closeSync, constants, fstatSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E, SysErr } from '../../sentry/abi/errno.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../sentry/abi/stat.js';
import { DirectLower } from '../../sentry/fs/gofer/direct.js';

const O_PATH = 0o10000000;

function errnoOf(fn: () => unknown): number | null {
  try { fn(); } catch (e) { if (e instanceof SysErr) return e.errno; throw e; }
  return null;
}

describe('the lower layer read directly', () => {
  let top: string;
  let dirFd: number;
  const direct = new DirectLower(() => { throw new Error('the gofer is not asked here'); });

  beforeAll(() => {
    top = mkdtempSync(join(tmpdir(), 'tvisor-direct-'));
    mkdirSync(join(top, 'tree/sub'), { recursive: true });
    writeFileSync(join(top, 'outside'), 'not in the tree\n');
    writeFileSync(join(top, 'tree/file'), 'in the tree\n');
    symlinkSync('../outside', join(top, 'tree/up'));
    symlinkSync('sub', join(top, 'tree/link'));
    dirFd = openSync(join(top, 'tree'), O_PATH | constants.O_DIRECTORY);
  });
  afterAll(() => { closeSync(dirFd); rmSync(top, { recursive: true }); });

  it('refuses anything but one plain name before any call', () => {
    for (const bad of ['', '.', '..', '../outside', 'sub/..', 'link/x', 'a\0b']) {
      expect(errnoOf(() => direct.lstat(dirFd, bad))).toBe(E.EINVAL);
      expect(errnoOf(() => direct.openEntry(dirFd, bad))).toBe(E.EINVAL);
      expect(errnoOf(() => direct.readlink(dirFd, bad))).toBe(E.EINVAL);
      expect(errnoOf(() => direct.getxattr(dirFd, bad, 'user.x'))).toBe(E.EINVAL);
      expect(errnoOf(() => direct.listxattr(dirFd, bad))).toBe(E.EINVAL);
    }
  });

  it('follows no symlink: its lstat, its body, an O_PATH fd of the link itself', () => {
    expect(direct.lstat(dirFd, 'up').mode & S_IFMT).toBe(S_IFLNK);
    expect(direct.lstat(dirFd, 'link').mode & S_IFMT).toBe(S_IFLNK);
    expect(direct.readlink(dirFd, 'up')).toBe('../outside');
    const fd = direct.openEntry(dirFd, 'up')!;
    try {
      expect(fstatSync(fd).isSymbolicLink()).toBe(true);
    } finally {
      closeSync(fd);
    }
    expect(direct.lstat(dirFd, 'file').mode & S_IFMT).toBe(S_IFREG);
    expect(direct.lstat(dirFd, 'sub').mode & S_IFMT).toBe(S_IFDIR);
    expect(errnoOf(() => direct.lstat(dirFd, 'nothing'))).toBe(E.ENOENT);
  });

  it('lists the directory, without . and ..', () => {
    expect(direct.list(dirFd, false).map((e) => e.name).sort()).toEqual(['file', 'link', 'sub', 'up']);
  });
});
