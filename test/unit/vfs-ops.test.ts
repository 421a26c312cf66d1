// The VFS operations (vfs/ops.ts) in-process: the EROFS, sticky, permission, owner and busy-mount rules in one place.
import { closeSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { O, RENAME } from '../../sentry/abi/flags.js';
import { isDir, S_IFCHR, S_ISGID, S_ISUID, S_ISVTX } from '../../sentry/abi/stat.js';
import { rootCreds, setgroups, setuid } from '../../sentry/auth/creds.js';
import type { VfsPath } from '../../sentry/vfs/mount.js';
import { type Actor, checkXattrAccess, type FileSizeLimit, linkAt, mkdirAt, mknodAt, openAt, renameAt, rmdirAt, setMode, setOwner,
  setTimes, symlinkAt, truncateAt, unlinkAt, visibleXattrs } from '../../sentry/vfs/ops.js';
import { MAY_READ, MAY_WRITE } from '../../sentry/vfs/permissions.js';
import { resolve } from '../../sentry/vfs/walk.js';
import { errnoOf, rootedTree, RW, tmpfs } from './fixtures.js';


/** A tree with root's actor (umask 022) and a user's (uid 1000, group 100) in it. */
function world() {
  const { ns, root, ctx } = rootedTree();
  const rootActor: Actor = { ...ctx, umask: 0o022 };
  const user: Actor = { ...rootActor, creds: setuid(setgroups(rootCreds([]), [100]), 1000) };
  const at = (path: string): VfsPath => resolve(rootActor, root, path, { followFinal: true });
  return { ns, root, rootActor, user, at };
}

describe('VFS operations', () => {
  it('mkdir applies the umask, the creator as owner, and a setgid parent\'s group and bit', () => {
    const { root, rootActor, user, at } = world();
    const shared = mkdirAt(rootActor, root, 'shared', 0o777);
    shared.inode.setattr({ mode: 0o2777, gid: 100 });
    mkdirAt(user, root, 'shared/mine', 0o777);
    const st = at('shared/mine').inode.stat();
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o755 | S_ISGID, 1000, 100]);
  });

  it('gives EEXIST before EACCES or EROFS for a name that exists, and EACCES otherwise', () => {
    const { root, rootActor, user } = world();
    mkdirAt(rootActor, root, 'taken', 0o755);
    expect(errnoOf(() => mkdirAt(user, root, 'taken', 0o755))).toBe(E.EEXIST);
    expect(errnoOf(() => mkdirAt(user, root, 'free', 0o755))).toBe(E.EACCES);
    expect(errnoOf(() => mkdirAt(rootActor, root, '.', 0o755))).toBe(E.EEXIST);
  });

  it('refuses every change on a read-only mount with EROFS', () => {
    const { ns, root, rootActor, at } = world();
    mkdirAt(rootActor, root, 'ro', 0o755);
    const fs = tmpfs();
    fs.root.create('f', 0o644, { uid: 0, gid: 0 });
    fs.root.mkdir('d', 0o755, { uid: 0, gid: 0 });
    ns.mount(at('ro'), fs, fs.root, { ...RW, readonly: true }, 'tmpfs');
    const ro = at('ro');
    expect(errnoOf(() => mkdirAt(rootActor, ro, 'new', 0o755))).toBe(E.EROFS);
    expect(errnoOf(() => unlinkAt(rootActor, ro, 'f'))).toBe(E.EROFS);
    expect(errnoOf(() => rmdirAt(rootActor, ro, 'd'))).toBe(E.EROFS);
    expect(errnoOf(() => renameAt(rootActor, ro, 'f', ro, 'g', 0))).toBe(E.EROFS);
    expect(errnoOf(() => openAt(rootActor, ro, 'f', O.WRONLY, 0))).toBe(E.EROFS);
    expect(errnoOf(() => openAt(rootActor, ro, 'f', O.RDONLY, 0))).toBe(0);
  });

  it('keeps sticky directories: a user removes or renames only what it owns', () => {
    const { root, rootActor, user } = world();
    const tmp = mkdirAt(rootActor, root, 'tmp', 0o777);
    tmp.inode.setattr({ mode: 0o777 | S_ISVTX });
    openAt(rootActor, root, 'tmp/roots', O.CREAT | O.WRONLY, 0o666);
    openAt(user, root, 'tmp/users', O.CREAT | O.WRONLY, 0o666);
    expect(errnoOf(() => unlinkAt(user, root, 'tmp/roots'))).toBe(E.EPERM);
    expect(errnoOf(() => renameAt(user, root, 'tmp/roots', root, 'tmp/x', 0))).toBe(E.EPERM);
    expect(errnoOf(() => unlinkAt(user, root, 'tmp/users'))).toBe(0);
  });

  it('refuses to remove or rename a mount point (EBUSY)', () => {
    const { ns, root, rootActor, at } = world();
    mkdirAt(rootActor, root, 'mnt', 0o755);
    const fs = tmpfs();
    ns.mount(at('mnt'), fs, fs.root, RW, 'tmpfs');
    expect(errnoOf(() => rmdirAt(rootActor, root, 'mnt'))).toBe(E.EBUSY);
    expect(errnoOf(() => renameAt(rootActor, root, 'mnt', root, 'moved', 0))).toBe(E.EBUSY);
    expect(errnoOf(() => rmdirAt(rootActor, root, '/'))).toBe(E.EBUSY);
  });

  it('renames by renameat2\'s rules: NOREPLACE, EXDEV across mounts, no directory into itself, kinds must match', () => {
    const { ns, root, rootActor, at } = world();
    mkdirAt(rootActor, root, 'a/', 0o755);
    mkdirAt(rootActor, root, 'a/sub', 0o755);
    openAt(rootActor, root, 'f', O.CREAT | O.WRONLY, 0o644);
    openAt(rootActor, root, 'g', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => renameAt(rootActor, root, 'f', root, 'g', RENAME.NOREPLACE))).toBe(E.EEXIST);
    expect(errnoOf(() => renameAt(rootActor, root, 'a', root, 'a/sub/a', 0))).toBe(E.EINVAL);
    expect(errnoOf(() => renameAt(rootActor, root, 'f', root, 'a', 0))).toBe(E.EISDIR);
    expect(errnoOf(() => renameAt(rootActor, root, 'a', root, 'f', 0))).toBe(E.ENOTDIR);
    expect(errnoOf(() => renameAt(rootActor, root, 'f', root, 'g', RENAME.WHITEOUT | RENAME.EXCHANGE))).toBe(E.EINVAL);
    mkdirAt(rootActor, root, 'mnt', 0o755);
    const fs = tmpfs();
    ns.mount(at('mnt'), fs, fs.root, RW, 'tmpfs');
    expect(errnoOf(() => renameAt(rootActor, root, 'f', root, 'mnt/f', 0))).toBe(E.EXDEV);
    renameAt(rootActor, root, 'f', root, 'g', 0);
    expect(errnoOf(() => at('f'))).toBe(E.ENOENT);
  });

  it('links only non-directories, on the same mount, to a free name', () => {
    const { root, rootActor, at } = world();
    openAt(rootActor, root, 'f', O.CREAT | O.WRONLY, 0o644);
    mkdirAt(rootActor, root, 'd', 0o755);
    linkAt(rootActor, at('f'), root, 'f2');
    expect(at('f2').inode).toBe(at('f').inode);
    expect(errnoOf(() => linkAt(rootActor, at('f'), root, 'f2'))).toBe(E.EEXIST);
    expect(errnoOf(() => linkAt(rootActor, at('d'), root, 'd2'))).toBe(E.EPERM);
  });

  it('opens with O_CREAT through a dangling symlink by creating its target, unless O_EXCL', () => {
    const { root, rootActor, at } = world();
    symlinkAt(rootActor, root, 'link', 'target');
    expect(errnoOf(() => openAt(rootActor, root, 'link', O.CREAT | O.EXCL | O.WRONLY, 0o600))).toBe(E.EEXIST);
    const { at: created } = openAt(rootActor, root, 'link', O.CREAT | O.WRONLY, 0o666);
    expect(at('target').inode).toBe(created.inode);
    expect(created.inode.stat().mode & 0o777).toBe(0o644);
  });

  it('creates through a dangling symlink in one walk: the link is read once, and its target made where that reading said', () => {
    const { root, rootActor, at } = world();
    mkdirAt(rootActor, root, 'a', 0o755);
    mkdirAt(rootActor, root, 'b', 0o755);
    symlinkAt(rootActor, root, 'link', 'a/target');
    const link = resolve(rootActor, root, 'link', { followFinal: false }).inode;
    // A link whose body changes between two readings (another guest replacing it meanwhile).
    const bodies = ['a/target', 'b/target'];
    let reads = 0;
    link.readlink = () => bodies[Math.min(reads++, 1)]!;
    const { at: created } = openAt(rootActor, root, 'link', O.CREAT | O.WRONLY, 0o644);
    expect(reads).toBe(1);
    expect(at('a/target').inode).toBe(created.inode);
    expect(errnoOf(() => at('b/target'))).toBe(E.ENOENT);
  });

  it('gives EISDIR for O_CREAT of a dangling link whose body ends in a slash, and ELOOP for a loop', () => {
    const { root, rootActor } = world();
    symlinkAt(rootActor, root, 'slash', 'nothere/');
    symlinkAt(rootActor, root, 'loop', 'loop');
    expect(errnoOf(() => openAt(rootActor, root, 'slash', O.CREAT | O.WRONLY, 0o644))).toBe(E.EISDIR);
    expect(errnoOf(() => openAt(rootActor, root, 'loop', O.CREAT | O.WRONLY, 0o644))).toBe(E.ELOOP);
    expect(errnoOf(() => openAt(rootActor, root, 'missing/x', O.CREAT | O.WRONLY, 0o644))).toBe(E.ENOENT);
  });

  it('checks an open\'s permissions and truncates with O_TRUNC', () => {
    const { root, rootActor, user } = world();
    const { at: f } = openAt(rootActor, root, 'f', O.CREAT | O.WRONLY, 0o644);
    const fd = f.inode.open(O.WRONLY, rootActor);
    writeSync(fd, 'data');
    closeSync(fd);
    expect(errnoOf(() => openAt(user, root, 'f', O.WRONLY, 0))).toBe(E.EACCES);
    expect(errnoOf(() => openAt(user, root, 'f', O.RDONLY, 0))).toBe(0);
    expect(errnoOf(() => openAt(rootActor, root, '/', O.WRONLY, 0))).toBe(E.EISDIR);
    openAt(rootActor, root, 'f', O.WRONLY | O.TRUNC, 0);
    expect(f.inode.stat().size).toBe(0);
  });

  it('names the regular file an unlink or a rename over removed, for the kernel to let go of', () => {
    const { root, rootActor, at } = world();
    openAt(rootActor, root, 'a', O.CREAT | O.WRONLY, 0o644);
    openAt(rootActor, root, 'b', O.CREAT | O.WRONLY, 0o644);
    openAt(rootActor, root, 'c', O.CREAT | O.WRONLY, 0o644);
    symlinkAt(rootActor, root, 'link', 'a');
    const a = at('a').inode;
    const b = at('b').inode;
    expect(renameAt(rootActor, root, 'a', root, 'b', 0)).toBe(b);
    expect(renameAt(rootActor, root, 'b', root, 'c', RENAME.EXCHANGE)).toBeNull();
    expect(renameAt(rootActor, root, 'b', root, 'new', 0)).toBeNull();
    expect(unlinkAt(rootActor, root, 'link')).toBeNull();
    expect(unlinkAt(rootActor, root, 'c')).toBe(a);
  });

  it('makes device nodes only with CAP_MKNOD, and no directories', () => {
    const { root, rootActor, user, at } = world();
    const pub = mkdirAt(rootActor, root, 'pub', 0o777);
    pub.inode.setattr({ mode: 0o777 });
    expect(errnoOf(() => mknodAt(user, root, 'pub/null', S_IFCHR | 0o666, 0x103))).toBe(E.EPERM);
    expect(errnoOf(() => mknodAt(rootActor, root, 'pub/dir', 0o040755, 0))).toBe(E.EPERM);
    mknodAt(rootActor, root, 'pub/null', S_IFCHR | 0o666, 0x103);
    expect(at('pub/null').inode.stat().rdev).toBe(0x103);
    expect(isDir(at('pub').inode.stat().mode)).toBe(true);
  });

  it('lets only the owner (or CAP_FOWNER) chmod, and drops setgid for a caller outside the group', () => {
    const { root, rootActor, user, at } = world();
    const pub = mkdirAt(rootActor, root, 'pub', 0o777);
    pub.inode.setattr({ mode: 0o777 });
    openAt(rootActor, root, 'pub/roots', O.CREAT | O.WRONLY, 0o666);
    openAt(user, root, 'pub/users', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => setMode(user, at('pub/roots'), 0o600))).toBe(E.EPERM);
    at('pub/users').inode.setattr({ gid: 200 });
    setMode(user, at('pub/users'), 0o2755);
    expect(at('pub/users').inode.stat().mode & 0o7777).toBe(0o755);
    setMode(rootActor, at('pub/roots'), 0o2755);
    expect(at('pub/roots').inode.stat().mode & 0o7777).toBe(0o2755);
    symlinkAt(rootActor, root, 'link', 'pub/roots');
    expect(errnoOf(() => setMode(rootActor, resolve(rootActor, root, 'link', { followFinal: false }), 0o600))).toBe(E.EOPNOTSUPP);
  });

  it('chowns by chown_common\'s rules: a user only to a group of its own, and setuid goes', () => {
    const { root, rootActor, user, at } = world();
    const pub = mkdirAt(rootActor, root, 'pub', 0o777);
    pub.inode.setattr({ mode: 0o777 });
    openAt(user, root, 'pub/f', O.CREAT | O.WRONLY, 0o755);
    expect(errnoOf(() => setOwner(user, at('pub/f'), 0, 0xffffffff))).toBe(E.EPERM);
    expect(errnoOf(() => setOwner(user, at('pub/f'), 0xffffffff, 300))).toBe(E.EPERM);
    setOwner(user, at('pub/f'), 0xffffffff, 100);
    expect(at('pub/f').inode.stat().gid).toBe(100);
    at('pub/f').inode.setattr({ mode: 0o755 | S_ISUID });
    setOwner(rootActor, at('pub/f'), 0, 0);
    const st = at('pub/f').inode.stat();
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, 0, 0o755]);
  });

  it('lets a writer set both times to now but only the owner set given times', () => {
    const { root, rootActor, user, at } = world();
    openAt(rootActor, root, 'shared', O.CREAT | O.WRONLY, 0o666);
    at('shared').inode.setattr({ mode: 0o666 });
    openAt(rootActor, root, 'private', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => setTimes(user, at('shared'), 'now', 'now'))).toBe(0);
    expect(errnoOf(() => setTimes(user, at('shared'), { sec: 5, nsec: 0 }, 'omit'))).toBe(E.EPERM);
    expect(errnoOf(() => setTimes(user, at('private'), 'now', 'now'))).toBe(E.EACCES);
    setTimes(rootActor, at('private'), { sec: 5, nsec: 0 }, 'omit');
    expect(at('private').inode.stat().atime.sec).toBe(5);
  });

  it('truncates only a regular file the caller may write, and not past its file size limit', () => {
    const { root, rootActor, user, at } = world();
    openAt(rootActor, root, 'f', O.CREAT | O.WRONLY, 0o644);
    mkdirAt(rootActor, root, 'd', 0o755);
    let exceeded = 0;
    const limit: FileSizeLimit = { soft: () => 100, exceeded: () => { exceeded++; } };
    expect(errnoOf(() => truncateAt(user, at('f'), 10, limit))).toBe(E.EACCES);
    expect(errnoOf(() => truncateAt(rootActor, at('d'), 10, limit))).toBe(E.EISDIR);
    expect(errnoOf(() => truncateAt(rootActor, at('f'), -1, limit))).toBe(E.EINVAL);
    expect(errnoOf(() => truncateAt(rootActor, at('f'), 101, limit))).toBe(E.EFBIG);
    expect(exceeded).toBe(1);
    truncateAt(rootActor, at('f'), 100, limit);
    expect(at('f').inode.stat().size).toBe(100);
  });

  it('refuses attribute changes on a read-only mount with EROFS', () => {
    const { ns, root, rootActor, at } = world();
    mkdirAt(rootActor, root, 'ro', 0o755);
    const fs = tmpfs();
    fs.root.create('f', 0o644, { uid: 0, gid: 0 });
    ns.mount(at('ro'), fs, fs.root, { ...RW, readonly: true }, 'tmpfs');
    const f = at('ro/f');
    const limit: FileSizeLimit = { soft: () => Infinity, exceeded: () => {} };
    expect(errnoOf(() => setMode(rootActor, f, 0o600))).toBe(E.EROFS);
    expect(errnoOf(() => setOwner(rootActor, f, 1, 1))).toBe(E.EROFS);
    expect(errnoOf(() => setTimes(rootActor, f, 'now', 'now'))).toBe(E.EROFS);
    expect(errnoOf(() => truncateAt(rootActor, f, 0, limit))).toBe(E.EROFS);
    expect(errnoOf(() => checkXattrAccess(rootActor, f, 'user.a', MAY_WRITE))).toBe(E.EROFS);
    expect(errnoOf(() => checkXattrAccess(rootActor, f, 'user.a', MAY_READ))).toBe(0);
  });

  it('keeps trusted.* extended attributes to CAP_SYS_ADMIN', () => {
    const { root, rootActor, user, at } = world();
    openAt(rootActor, root, 'f', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => checkXattrAccess(user, at('f'), 'trusted.a', MAY_READ))).toBe(E.ENODATA);
    expect(errnoOf(() => checkXattrAccess(user, at('f'), 'trusted.a', MAY_WRITE))).toBe(E.EPERM);
    expect(errnoOf(() => checkXattrAccess(user, at('f'), 'user.a', MAY_WRITE))).toBe(E.EACCES);
    expect(visibleXattrs(user, ['user.a', 'trusted.b'])).toEqual(['user.a']);
    expect(visibleXattrs(rootActor, ['user.a', 'trusted.b'])).toEqual(['user.a', 'trusted.b']);
  });
});
