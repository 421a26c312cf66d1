// The overlay against a model of what its tree must show: random creates, mkdirs, unlinks, rmdirs, renames, writes,
// hard links and exchanges over a lower tree, each followed by a comparison of every directory's listing, lookups
// and every file's content. Names made and removed over lower entries (whiteouts, entries made over them, renames
// onto and away from them, exchanges) are where it went wrong: it finds both bugs fixed with it.
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { RENAME } from '../../sentry/abi/flags.js';
import { isDir } from '../../sentry/abi/stat.js';
import { Overlay } from '../../sentry/fs/overlay/overlay.js';
import type { Inode } from '../../sentry/vfs/inode.js';
import { errnoOf, readFile, ROOT_OWNER, tmpfs, writeFile } from './fixtures.js';

const NAMES = ['x', 'y', 'z'];

/**
 * What the overlay must show at a path: a directory, and whether a lower one is merged into it (EXDEV to rename, as
 * overlayfs without redirect_dir); or a file and its content (`file`: one object for every hard link of it).
 */
type Entry = { dir: boolean; merged: boolean; file?: { text: string } };

/** A lower tree that uses the names the operations use, as files and as directories. */
function lowerTree(): { overlay: Overlay; model: Map<string, Entry> } {
  const lower = tmpfs();
  const model = new Map<string, Entry>([['', { dir: true, merged: true }]]);
  const file = (path: string) => {
    writeFile(walk(lower.root, parentOf(path)).create(baseOf(path), 0o644, ROOT_OWNER), path);
    model.set(path, { dir: false, merged: false, file: { text: path } });
  };
  const dir = (path: string) => {
    walk(lower.root, parentOf(path)).mkdir(baseOf(path), 0o755, ROOT_OWNER);
    model.set(path, { dir: true, merged: true });
  };
  dir('x'); file('x/x'); dir('x/y'); file('x/y/z');
  file('y');
  dir('z'); file('z/x'); dir('z/z');
  return { overlay: new Overlay(tmpfs(), lower.root), model };
}

function walk(root: Inode, path: string): Inode {
  return path === '' ? root : path.split('/').reduce((d, n) => d.lookup(n), root);
}

const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
const childrenOf = (model: Map<string, Entry>, dir: string) =>
  [...model.keys()].filter((p) => p !== '' && parentOf(p) === dir).map(baseOf).sort();

/** xorshift32: the same operations for a seed, every run. */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) % n; };
}

/** Every directory lists what the model holds there, and every other name of NAMES is ENOENT there. */
function check(overlay: Overlay, model: Map<string, Entry>, step: string): void {
  for (const [path, e] of model) {
    const inode = walk(overlay.root, path);
    expect(isDir(inode.stat().mode), `${step}: type of ${path}`).toBe(e.dir);
    if (e.file) expect(readFile(inode), `${step}: content of ${path}`).toBe(e.file.text);
    if (!e.dir) continue;
    expect(inode.readdir().map((d) => d.name).sort(), `${step}: listing of /${path}`).toEqual(childrenOf(model, path));
    for (const n of NAMES) {
      if (!model.has(join(path, n))) expect(errnoOf(() => inode.lookup(n)), `${step}: lookup of ${join(path, n)}`).toBe(E.ENOENT);
    }
  }
}

/** One random operation that the VFS above would let reach the overlay, applied to the overlay and to the model. */
function step(overlay: Overlay, model: Map<string, Entry>, pick: (n: number) => number): string {
  const dirs = [...model].filter(([, e]) => e.dir).map(([p]) => p);
  const parent = dirs[pick(dirs.length)]!;
  const name = NAMES[pick(NAMES.length)]!;
  const path = join(parent, name);
  const at = walk(overlay.root, parent);
  const here = model.get(path);
  const files = [...model].filter(([, e]) => e.file);
  switch (pick(8)) {
    case 0:
      if (here) { expect(errnoOf(() => at.create(name, 0o644, ROOT_OWNER))).toBe(E.EEXIST); return `create ${path}: EEXIST`; }
      at.create(name, 0o644, ROOT_OWNER);
      model.set(path, { dir: false, merged: false, file: { text: '' } });
      return `create ${path}`;
    case 5: {
      // A write: a lower file is copied up first, and its other names see it.
      if (files.length === 0) return 'no write';
      const [p, e] = files[pick(files.length)]!;
      const text = `w${pick(1000)}`;
      writeFile(walk(overlay.root, p), text);
      e.file!.text = text;
      return `write ${p}`;
    }
    case 6: {
      // A hard link of a file to a new name.
      if (files.length === 0 || here) return 'no link';
      const [p, e] = files[pick(files.length)]!;
      at.link(name, walk(overlay.root, p));
      model.set(path, { dir: false, merged: false, file: e.file! });
      return `link ${p} ${path}`;
    }
    case 7: {
      // RENAME_EXCHANGE of two files (lower ones too: both are copied up).
      if (files.length < 2) return 'no exchange';
      const [a, ea] = files[pick(files.length)]!;
      const [b, eb] = files[pick(files.length)]!;
      if (a === b) return 'no exchange';
      const exchange = () => walk(overlay.root, parentOf(a)).rename(baseOf(a), walk(overlay.root, parentOf(b)), baseOf(b), RENAME.EXCHANGE);
      exchange();
      model.set(a, eb);
      model.set(b, ea);
      return `exchange ${a} ${b}`;
    }
    case 1:
      if (here) { expect(errnoOf(() => at.mkdir(name, 0o755, ROOT_OWNER))).toBe(E.EEXIST); return `mkdir ${path}: EEXIST`; }
      at.mkdir(name, 0o755, ROOT_OWNER);
      model.set(path, { dir: true, merged: false });
      return `mkdir ${path}`;
    case 2:
      if (!here || here.dir) return 'no unlink';
      at.unlink(name);
      model.delete(path);
      return `unlink ${path}`;
    case 3:
      if (!here?.dir) return 'no rmdir';
      if (childrenOf(model, path).length > 0) { expect(errnoOf(() => at.rmdir(name))).toBe(E.ENOTEMPTY); return `rmdir ${path}: ENOTEMPTY`; }
      at.rmdir(name);
      model.delete(path);
      return `rmdir ${path}`;
    default: {
      // A rename: a file to any directory (over a file or to a new name), a directory to a new name beside it.
      if (!here) return 'no rename';
      const toParent = here.dir ? parent : dirs[pick(dirs.length)]!;
      const toName = NAMES[pick(NAMES.length)]!;
      const to = join(toParent, toName);
      const there = model.get(to);
      if (to === path || (there && (here.dir || there.dir))) return 'no rename';
      const toDir = walk(overlay.root, toParent);
      if (here.dir && here.merged) { expect(errnoOf(() => at.rename(name, toDir, toName, 0))).toBe(E.EXDEV); return `rename ${path} ${to}: EXDEV`; }
      at.rename(name, toDir, toName, 0);
      for (const [p, e] of [...model]) {
        if (p === path || p.startsWith(`${path}/`)) { model.delete(p); model.set(to + p.slice(path.length), e); }
      }
      return `rename ${path} ${to}`;
    }
  }
}

describe('overlay against a model', () => {
  it.each([1, 7, 42, 1234, 7922, 87112, 99991])('shows what the operations left, seed %i', (seed) => {
    const { overlay, model } = lowerTree();
    const pick = random(seed);
    const done: string[] = [];
    for (let i = 0; i < 300; i++) {
      done.push(step(overlay, model, pick));
      check(overlay, model, done.slice(-6).join('; '));
    }
  });
});
