// The overlay (fs/overlay) in-process, over two tmpfs layers: lookups through, copy-up, whiteouts, opaque directories.
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { Overlay, type OverlayInode } from '../../sentry/fs/overlay/overlay.js';
import type { Inode } from '../../sentry/vfs/inode.js';
import { errnoOf, mkdirs, readFile, ROOT_OWNER, tmpfs, writeFile } from './fixtures.js';
import { type Acl, ACL_TAG, ACL_UNDEFINED_ID } from '../../sentry/vfs/acl.js';

const names = (dir: Inode) => dir.readdir().map((e) => e.name).sort();

/** A lower tree (etc/conf holding "lower", etc/gone) under an empty upper. */
function layers() {
  const lower = tmpfs();
  const etc = mkdirs(lower.root, 'etc');
  writeFile(etc.create('conf', 0o644, { uid: 5, gid: 6 }), 'lower');
  etc.create('gone', 0o644, ROOT_OWNER);
  const upper = tmpfs();
  return { lower, upper, overlay: new Overlay(upper, lower.root) };
}

describe('overlay', () => {
  it('shows the lower layer through, with its own device and inode numbers', () => {
    const { overlay } = layers();
    const conf = overlay.root.lookup('etc').lookup('conf');
    expect(readFile(conf)).toBe('lower');
    const st = conf.stat();
    expect([st.uid, st.gid, st.dev]).toEqual([5, 6, overlay.dev]);
    expect(names(overlay.root.lookup('etc'))).toEqual(['conf', 'gone']);
  });

  it('copies a file up on its first write, and the lower layer stays as it was', () => {
    const { lower, upper, overlay } = layers();
    const conf = overlay.root.lookup('etc').lookup('conf');
    writeFile(conf, 'upper');
    expect(readFile(conf)).toBe('upper');
    expect(readFile(lower.root.lookup('etc').lookup('conf'))).toBe('lower');
    const copied = upper.root.lookup('etc').lookup('conf');
    expect(readFile(copied)).toBe('upper');
    // Copy-up keeps the owner.
    expect([copied.stat().uid, copied.stat().gid]).toEqual([5, 6]);
  });

  it('removes a lower file with a whiteout: gone from the overlay, still in the lower layer', () => {
    const { lower, overlay } = layers();
    const etc = overlay.root.lookup('etc');
    etc.lookup('gone');
    etc.unlink('gone');
    expect(errnoOf(() => etc.lookup('gone'))).toBe(E.ENOENT);
    expect(names(etc)).toEqual(['conf']);
    expect(names(lower.root.lookup('etc'))).toEqual(['conf', 'gone']);
    // A new file of that name hides nothing and is new.
    const again = etc.create('gone', 0o600, ROOT_OWNER);
    expect(readFile(again)).toBe('');
  });

  it('makes a directory recreated over a removed one opaque', () => {
    const { overlay } = layers();
    const etc = overlay.root.lookup('etc');
    etc.unlink('conf');
    etc.unlink('gone');
    overlay.root.rmdir('etc');
    const fresh = overlay.root.mkdir('etc', 0o755, ROOT_OWNER);
    expect(names(fresh)).toEqual([]);
    expect(errnoOf(() => fresh.lookup('conf'))).toBe(E.ENOENT);
  });

  it('keeps a lower entry hidden when what was made over its whiteout goes: removed, or renamed away', () => {
    const { overlay } = layers();
    const etc = overlay.root.lookup('etc');
    // A directory over a removed lower file, removed in turn: the file stays gone (it came back, and mkdir said EEXIST).
    etc.unlink('gone');
    etc.mkdir('gone', 0o755, ROOT_OWNER);
    etc.rmdir('gone');
    expect(errnoOf(() => etc.lookup('gone'))).toBe(E.ENOENT);
    expect(names(etc)).toEqual(['conf']);
    etc.mkdir('gone', 0o755, ROOT_OWNER);
    expect(names(etc.lookup('gone'))).toEqual([]);
    // A file over a removed lower file, renamed away: the old name stays empty.
    etc.unlink('conf');
    writeFile(etc.create('conf', 0o644, ROOT_OWNER), 'new');
    etc.rename('conf', etc, 'moved', 0);
    expect(errnoOf(() => etc.lookup('conf'))).toBe(E.ENOENT);
    expect(readFile(etc.lookup('moved'))).toBe('new');
    // Renamed onto a whiteout, then removed: the lower entry under that name stays hidden too.
    etc.rename('moved', etc, 'conf', 0);
    etc.unlink('conf');
    expect(errnoOf(() => etc.lookup('conf'))).toBe(E.ENOENT);
    expect(names(etc)).toEqual(['gone']);
  });

  it('makes a directory renamed onto a removed lower one opaque, as one made there', () => {
    const { overlay } = layers();
    const etc = overlay.root.lookup('etc');
    etc.unlink('conf');
    etc.unlink('gone');
    overlay.root.rmdir('etc');
    const mine = overlay.root.mkdir('mine', 0o755, ROOT_OWNER) as OverlayInode;
    expect(mine.isOpaque).toBe(false);
    overlay.root.rename('mine', overlay.root, 'etc', 0);
    expect(overlay.root.lookup('etc')).toBe(mine);
    expect(mine.isOpaque).toBe(true);
    expect(names(mine)).toEqual([]);
  });

  it('refuses to rename a directory that has a lower layer (EXDEV, as without redirect_dir)', () => {
    const { overlay } = layers();
    overlay.root.lookup('etc');
    expect(errnoOf(() => overlay.root.rename('etc', overlay.root, 'etc2', 0))).toBe(E.EXDEV);
    const mine = overlay.root.mkdir('mine', 0o755, ROOT_OWNER);
    overlay.root.rename('mine', overlay.root, 'ours', 0);
    expect(overlay.root.lookup('ours')).toBe(mine);
  });

  it('copy-up keeps the lower file\'s xattrs and POSIX ACLs', () => {
    const { lower, upper, overlay } = layers();
    const low = lower.root.lookup('etc').lookup('conf');
    const acl: Acl = [
      { tag: ACL_TAG.USER_OBJ, perm: 6, id: ACL_UNDEFINED_ID }, { tag: ACL_TAG.USER, perm: 4, id: 1000 },
      { tag: ACL_TAG.GROUP_OBJ, perm: 4, id: ACL_UNDEFINED_ID }, { tag: ACL_TAG.MASK, perm: 4, id: ACL_UNDEFINED_ID },
      { tag: ACL_TAG.OTHER, perm: 4, id: ACL_UNDEFINED_ID },
    ];
    low.setAcl!('access', acl);
    low.setxattr('user.kept', new Uint8Array([1, 2]), 0);
    const etc = lower.root.lookup('etc');
    etc.setAcl!('default', acl);
    const conf = overlay.root.lookup('etc').lookup('conf');
    expect(conf.acl('access')).toEqual(acl);
    writeFile(conf, 'upper');
    const copied = upper.root.lookup('etc').lookup('conf');
    expect(copied.acl('access')).toEqual(acl);
    expect([...copied.getxattr('user.kept')]).toEqual([1, 2]);
    expect(copied.listxattr()).toEqual(['system.posix_acl_access', 'user.kept']);
    // The directory copied up as the file's parent keeps its default ACL.
    expect(upper.root.lookup('etc').acl('default')).toEqual(acl);
  });
});
