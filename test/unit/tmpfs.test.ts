// tmpfs (fs/tmpfs) in-process: the directory operations, link counts, rename rules, and data through its memfds.
import { closeSync, readSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { O, RENAME } from '../../sentry/abi/flags.js';
import { isDir, isLnk, S_IFIFO, S_IFMT } from '../../sentry/abi/stat.js';
import { NO_TASK } from '../../sentry/vfs/context.js';
import { errnoOf, mkdirs, ROOT_OWNER, tmpfs } from './fixtures.js';

const names = (dir: { readdir(): { name: string }[] }) => dir.readdir().map((e) => e.name).sort();

describe('tmpfs', () => {
  it('creates files, directories and symlinks with the owner and mode given', () => {
    const fs = tmpfs();
    const f = fs.root.create('f', 0o640, { uid: 7, gid: 8 });
    const st = f.stat();
    expect([st.mode & 0o7777, st.uid, st.gid, st.nlink, st.size, st.dev]).toEqual([0o640, 7, 8, 1, 0, fs.dev]);
    const d = fs.root.mkdir('d', 0o750, ROOT_OWNER);
    expect(isDir(d.stat().mode)).toBe(true);
    expect(d.stat().nlink).toBe(2);
    expect(fs.root.stat().nlink).toBe(3);
    const l = fs.root.symlink('l', 'f', ROOT_OWNER);
    expect(isLnk(l.stat().mode)).toBe(true);
    expect(l.readlink(NO_TASK)).toBe('f');
    expect(names(fs.root)).toEqual(['d', 'f', 'l']);
    expect(errnoOf(() => fs.root.create('f', 0o644, ROOT_OWNER))).toBe(E.EEXIST);
    expect(errnoOf(() => fs.root.lookup('nope'))).toBe(E.ENOENT);
  });

  it('keeps a file\'s data in the host file behind it', () => {
    const fs = tmpfs();
    const f = fs.root.create('f', 0o644, ROOT_OWNER);
    const w = f.open(O.WRONLY, NO_TASK);
    writeSync(w, 'hello');
    closeSync(w);
    expect(f.stat().size).toBe(5);
    const r = f.open(O.RDONLY, NO_TASK);
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, readSync(r, buf)).toString()).toBe('hello');
    closeSync(r);
  });

  it('counts hard links, and unlink and rmdir refuse the wrong kind', () => {
    const fs = tmpfs();
    const f = fs.root.create('f', 0o644, ROOT_OWNER);
    fs.root.link('g', f);
    expect(f.stat().nlink).toBe(2);
    fs.root.unlink('f');
    expect(f.stat().nlink).toBe(1);
    expect(fs.root.lookup('g')).toBe(f);
    const d = mkdirs(fs.root, 'd/sub');
    expect(errnoOf(() => fs.root.unlink('d'))).toBe(E.EISDIR);
    expect(errnoOf(() => fs.root.rmdir('g'))).toBe(E.ENOTDIR);
    expect(errnoOf(() => fs.root.rmdir('d'))).toBe(E.ENOTEMPTY);
    fs.root.lookup('d').rmdir('sub');
    expect(d.stat().nlink).toBe(0);
    fs.root.rmdir('d');
    expect(names(fs.root)).toEqual(['g']);
  });

  // The kinds (EISDIR, ENOTDIR) and RENAME_NOREPLACE are the syscall layer's checks, made before the inode's rename.
  it('renames as renameat2 does: replace, EXCHANGE, and a directory only over an empty one', () => {
    const fs = tmpfs();
    const a = fs.root.create('a', 0o644, ROOT_OWNER);
    const b = fs.root.create('b', 0o644, ROOT_OWNER);
    fs.root.rename('a', fs.root, 'b', RENAME.EXCHANGE);
    expect(fs.root.lookup('a')).toBe(b);
    expect(fs.root.lookup('b')).toBe(a);
    fs.root.rename('a', fs.root, 'b', 0);
    expect(names(fs.root)).toEqual(['b']);
    expect(fs.root.lookup('b')).toBe(b);
    mkdirs(fs.root, 'full/x');
    const empty = fs.root.mkdir('empty', 0o755, ROOT_OWNER);
    const moved = fs.root.mkdir('moved', 0o755, ROOT_OWNER);
    expect(errnoOf(() => fs.root.rename('moved', fs.root, 'full', 0))).toBe(E.ENOTEMPTY);
    fs.root.rename('moved', fs.root, 'empty', 0);
    expect(fs.root.lookup('empty')).toBe(moved);
    expect(empty.stat().nlink).toBe(0);
    expect(moved.parent).toBe(fs.root);
    expect(errnoOf(() => fs.root.rename('b', tmpfs().root, 'b', 0))).toBe(E.EXDEV);
  });

  it('makes FIFO nodes backed by a host FIFO', () => {
    const fs = tmpfs();
    const p = fs.root.mknod('p', S_IFIFO | 0o600, 0, ROOT_OWNER);
    expect(p.stat().mode & S_IFMT).toBe(S_IFIFO);
    const fd = p.fifo();
    expect(fd).toBeGreaterThan(2);
    closeSync(fd);
  });
});
