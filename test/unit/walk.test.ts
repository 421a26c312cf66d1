// The path walk (vfs/walk.ts) on an in-process tree: components, `..`, symlinks, mounts, RESOLVE_*, permissions.
import { describe, expect, it } from 'vitest';
import { E, SysErr } from '../../sentry/abi/errno.js';
import { RESOLVE } from '../../sentry/abi/flags.js';
import { rootCreds, setuid } from '../../sentry/auth/creds.js';
import { pathOf, resolve, resolveParent } from '../../sentry/vfs/walk.js';
import { mkdirs, ROOT_OWNER, rootedTree, RW, tmpfs } from './fixtures.js';

const errnoOf = (f: () => unknown) => {
  try { f(); } catch (e) { if (e instanceof SysErr) return e.errno; throw e; }
  return 0;
};

describe('the path walk', () => {
  it('finds nested entries, and "." and ".." within them', () => {
    const { root, ctx } = rootedTree();
    const c = mkdirs(root.inode, 'a/b/c');
    expect(resolve(ctx, root, '/a/b/c', { followFinal: true }).inode).toBe(c);
    expect(resolve(ctx, root, 'a/./b/../b/c/', { followFinal: true }).inode).toBe(c);
    expect(pathOf(ctx, resolve(ctx, root, 'a//b', { followFinal: true })).path).toBe('/a/b');
  });

  it('never goes above the root', () => {
    const { root, ctx } = rootedTree();
    mkdirs(root.inode, 'a');
    expect(resolve(ctx, root, '../../..', { followFinal: true }).inode).toBe(root.inode);
    expect(resolve(ctx, root, '/a/../../a/..', { followFinal: true }).inode).toBe(root.inode);
  });

  it('gives ENOENT, ENOTDIR and ENAMETOOLONG as Linux does', () => {
    const { root, ctx } = rootedTree();
    root.inode.create('f', 0o644, ROOT_OWNER);
    expect(errnoOf(() => resolve(ctx, root, 'missing', { followFinal: true }))).toBe(E.ENOENT);
    expect(errnoOf(() => resolve(ctx, root, '', { followFinal: true }))).toBe(E.ENOENT);
    expect(errnoOf(() => resolve(ctx, root, 'f/x', { followFinal: true }))).toBe(E.ENOTDIR);
    expect(errnoOf(() => resolve(ctx, root, 'f/', { followFinal: true }))).toBe(E.ENOTDIR);
    expect(errnoOf(() => resolve(ctx, root, 'x'.repeat(256), { followFinal: true }))).toBe(E.ENAMETOOLONG);
    expect(errnoOf(() => resolve(ctx, root, 'a/'.repeat(2048), { followFinal: true }))).toBe(E.ENAMETOOLONG);
  });

  it('follows symlinks, relative to the link\'s directory, and the last one only when asked', () => {
    const { root, ctx } = rootedTree();
    const target = mkdirs(root.inode, 'd/target');
    const d = resolve(ctx, root, 'd', { followFinal: true }).inode;
    d.symlink('rel', 'target', ROOT_OWNER);
    root.inode.symlink('abs', '/d/target', ROOT_OWNER);
    expect(resolve(ctx, root, 'd/rel', { followFinal: true }).inode).toBe(target);
    expect(resolve(ctx, root, 'abs', { followFinal: true }).inode).toBe(target);
    expect(resolve(ctx, root, 'abs', { followFinal: false }).inode.readlink(ctx)).toBe('/d/target');
    // A trailing slash follows the last link too.
    expect(resolve(ctx, root, 'abs/', { followFinal: false }).inode).toBe(target);
  });

  it('gives ELOOP past 40 links, and for a loop', () => {
    const { root, ctx } = rootedTree();
    root.inode.symlink('loop', 'loop', ROOT_OWNER);
    expect(errnoOf(() => resolve(ctx, root, 'loop', { followFinal: true }))).toBe(E.ELOOP);
    mkdirs(root.inode, 'end');
    let prev = 'end';
    for (let i = 0; i < 41; i++) { root.inode.symlink(`l${i}`, prev, ROOT_OWNER); prev = `l${i}`; }
    expect(errnoOf(() => resolve(ctx, root, 'l39', { followFinal: true }))).toBe(0);
    expect(errnoOf(() => resolve(ctx, root, 'l40', { followFinal: true }))).toBe(E.ELOOP);
  });

  it('enters mounts, and ".." at a mount\'s root leaves it', () => {
    const { root, ns, ctx } = rootedTree();
    const mnt = mkdirs(root.inode, 'mnt');
    const other = tmpfs();
    const inner = mkdirs(other.root, 'inner');
    const m = ns.mount(resolve(ctx, root, 'mnt', { followFinal: true }), other, other.root, RW, 'tmpfs');
    const p = resolve(ctx, root, '/mnt/inner', { followFinal: true });
    expect(p.inode).toBe(inner);
    expect(p.mount).toBe(m);
    const up = resolve(ctx, p, '../..', { followFinal: true });
    expect(up.inode).toBe(root.inode);
    expect(resolve(ctx, root, 'mnt/..', { followFinal: true }).inode).toBe(root.inode);
    expect(mnt).not.toBe(other.root);
    expect(pathOf(ctx, p).path).toBe('/mnt/inner');
  });

  it('keeps openat2\'s RESOLVE_BENEATH, NO_SYMLINKS, NO_XDEV and IN_ROOT', () => {
    const { root, ns, ctx } = rootedTree();
    const a = mkdirs(root.inode, 'a/b');
    const start = resolve(ctx, root, 'a', { followFinal: true });
    root.inode.symlink('s', 'a', ROOT_OWNER);
    expect(errnoOf(() => resolve(ctx, start, '..', { followFinal: true, resolve: RESOLVE.BENEATH }))).toBe(E.EXDEV);
    expect(errnoOf(() => resolve(ctx, start, '/a', { followFinal: true, resolve: RESOLVE.BENEATH }))).toBe(E.EXDEV);
    expect(resolve(ctx, start, 'b/..', { followFinal: true, resolve: RESOLVE.BENEATH }).inode).toBe(start.inode);
    expect(errnoOf(() => resolve(ctx, root, 's', { followFinal: true, resolve: RESOLVE.NO_SYMLINKS }))).toBe(E.ELOOP);
    // IN_ROOT: ".." and "/" stay at the starting directory.
    expect(resolve(ctx, start, '../../b', { followFinal: true, resolve: RESOLVE.IN_ROOT }).inode).toBe(a);
    const other = tmpfs();
    ns.mount(resolve(ctx, root, 'a/b', { followFinal: true }), other, other.root, RW, 'tmpfs');
    expect(errnoOf(() => resolve(ctx, start, 'b', { followFinal: true, resolve: RESOLVE.NO_XDEV }))).toBe(E.EXDEV);
  });

  it('needs search permission on every directory it passes', () => {
    const { root, ctx } = rootedTree();
    mkdirs(root.inode, 'private/inside', 0o700);
    const user = { ...ctx, creds: setuid(rootCreds([]), 1000) };
    expect(errnoOf(() => resolve(user, root, 'private/inside', { followFinal: true }))).toBe(E.EACCES);
    expect(errnoOf(() => resolve(ctx, root, 'private/inside', { followFinal: true }))).toBe(0);
  });

  it('splits off the last component for calls that create or remove it', () => {
    const { root, ctx } = rootedTree();
    const a = mkdirs(root.inode, 'a');
    const p = resolveParent(ctx, root, '/a/new/');
    expect(p.dir.inode).toBe(a);
    expect(p.name).toBe('new');
    expect(p.trailingSlash).toBe(true);
    expect(resolveParent(ctx, root, '/').name).toBe('');
  });
});
