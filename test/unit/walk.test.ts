// The path walk (vfs/walk.ts) on an in-process tree: components, `..`, symlinks, mounts, RESOLVE_*, permissions.
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { RESOLVE } from '../../sentry/abi/flags.js';
import { rootCreds, setuid } from '../../sentry/auth/creds.js';
import { MountNamespace } from '../../sentry/vfs/mount.js';
import { pathOf, resolve, resolveParent } from '../../sentry/vfs/walk.js';
import { errnoOf, mkdirs, ROOT_OWNER, rootedTree, RW, tmpfs } from './fixtures.js';


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

describe('mounts leaving and changing places', () => {
  it('keeps a locked submount on a lazily unmounted tree, counts the tree out, and stops ".." at its root', () => {
    const { fs, root, ctx } = rootedTree();
    const ns = new MountNamespace(fs, RW, 'tmpfs', 4);
    const inNs = { ...ctx, ns };
    const a = tmpfs();
    const top = ns.mount({ mount: ns.root, inode: mkdirs(root.inode, 'a') }, a, a.root, RW, 'tmpfs');
    const [lockedAt, plainAt] = [mkdirs(a.root, 'l'), mkdirs(a.root, 'u')];
    const [l, u] = [tmpfs(), tmpfs()];
    const locked = ns.mount({ mount: top, inode: lockedAt }, l, l.root, RW, 'tmpfs');
    locked.lock();
    ns.mount({ mount: top, inode: plainAt }, u, u.root, RW, 'tmpfs');
    ns.umount(top, true);
    expect(ns.all()).toEqual([ns.root]);
    // Whoever holds the detached tree still finds the locked mount covering its place, not the other.
    expect(ns.enter({ mount: top, inode: lockedAt }).mount).toBe(locked);
    expect(ns.enter({ mount: top, inode: plainAt })).toEqual({ mount: top, inode: plainAt });
    expect(resolve(inNs, { mount: top, inode: top.root }, '../..', { followFinal: true })).toEqual({ mount: top, inode: a.root });
    expect(pathOf(inNs, { mount: top, inode: plainAt })).toEqual({ path: '/u', reachable: false });
    // Four mounts left the namespace: three fit again under a limit of four.
    for (const name of ['x', 'y', 'z']) { const t = tmpfs(); ns.mount({ mount: ns.root, inode: mkdirs(root.inode, name) }, t, t.root, RW, 'tmpfs'); }
    expect(errnoOf(() => ns.mount({ mount: ns.root, inode: mkdirs(root.inode, 'w') }, a, a.root, RW, 'tmpfs'))).toBe(E.ENOSPC);
  });

  it('pivots: the new root takes the old one\'s place, at its height, and the old one goes on put_old', () => {
    const { fs, root } = rootedTree();
    const ns = new MountNamespace(fs, RW, 'tmpfs');
    const c = mkdirs(root.inode, 'c');
    const [r, n] = [tmpfs(), tmpfs()];
    const old = ns.mount({ mount: ns.root, inode: c }, r, r.root, RW, 'tmpfs');
    const next = ns.mount({ mount: old, inode: mkdirs(r.root, 'n') }, n, n.root, RW, 'tmpfs');
    const putOld = mkdirs(n.root, 'old');
    ns.pivot(old, next, { mount: next, inode: putOld });
    expect(ns.mountedOn({ mount: ns.root, inode: c })).toBe(next);
    expect(ns.mountedOn({ mount: next, inode: putOld })).toBe(old);
    expect(ns.children(old)).toEqual([]);
    expect(ns.all()).toEqual([ns.root, next, old]);
    expect([old.parent, old.mountpoint, next.parent, next.mountpoint]).toEqual([next, putOld, ns.root, c]);
  });
});
