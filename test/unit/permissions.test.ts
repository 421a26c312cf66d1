// Discretionary access checks (generic_permission and the capability checks around it), in-process.
import { describe, expect, it } from 'vitest';
import { E, SysErr } from '../../sentry/abi/errno.js';
import { S_IFDIR, S_IFREG, S_ISGID, S_ISUID, S_ISVTX } from '../../sentry/abi/stat.js';
import { rootCreds, setgroups, setuid } from '../../sentry/auth/creds.js';
import { checkSticky, isOwnerOrRoot, MAY_EXEC, MAY_READ, MAY_WRITE, mayAccess, stripSgid,
  withoutSetid } from '../../sentry/vfs/permissions.js';

const root = rootCreds([]);
const alice = setuid(setgroups(root, [100]), 1000);
const file = (mode: number, uid = 1000, gid = 100) => ({ mode: S_IFREG | mode, uid, gid });
const dir = (mode: number, uid = 1000, gid = 100) => ({ mode: S_IFDIR | mode, uid, gid });

describe('permissions', () => {
  it('the owner class, then the group class, then others decide; the first that matches wins', () => {
    expect(mayAccess(alice, file(0o600), MAY_READ | MAY_WRITE)).toBe(true);
    // Owner bits deny even though others' allow: Linux does not fall through.
    expect(mayAccess(alice, file(0o066), MAY_READ)).toBe(false);
    expect(mayAccess(alice, file(0o040, 0), MAY_READ)).toBe(true);
    expect(mayAccess(alice, file(0o004, 0, 50), MAY_READ)).toBe(true);
    expect(mayAccess(alice, file(0o004, 0, 50), MAY_WRITE)).toBe(false);
    // alice's gid is still 0 (setuid changes no gid): group 0's bits are hers, and they deny.
    expect(mayAccess(alice, file(0o004, 0, 0), MAY_READ)).toBe(false);
  });

  it('root may read and write anything, but execute only a file someone may execute', () => {
    expect(mayAccess(root, file(0o000), MAY_READ | MAY_WRITE)).toBe(true);
    expect(mayAccess(root, file(0o644), MAY_EXEC)).toBe(false);
    expect(mayAccess(root, file(0o100), MAY_EXEC)).toBe(true);
    expect(mayAccess(root, dir(0o000), MAY_EXEC | MAY_WRITE)).toBe(true);
  });

  it('in a sticky directory only the entry\'s owner, the directory\'s owner or CAP_FOWNER removes', () => {
    const tmp = dir(0o777 | S_ISVTX, 0, 0);
    const theirs = file(0o644, 2000);
    expect(() => checkSticky(alice, tmp, theirs)).toThrow(SysErr);
    try { checkSticky(alice, tmp, theirs); } catch (e) { expect((e as SysErr).errno).toBe(E.EPERM); }
    expect(() => checkSticky(alice, tmp, file(0o644))).not.toThrow();
    expect(() => checkSticky(root, tmp, theirs)).not.toThrow();
    expect(() => checkSticky(alice, dir(0o777, 0, 0), theirs)).not.toThrow();
  });

  it('a change by a non-root clears set-user-id, and set-group-id when group-executable', () => {
    expect(withoutSetid(alice, file(0o755 | S_ISUID | S_ISGID))).toBe(0o755);
    expect(withoutSetid(alice, file(0o745 | S_ISGID))).toBe(0o745 | S_ISGID);
    expect(withoutSetid(root, file(0o755 | S_ISUID))).toBe(0o755 | S_ISUID);
  });

  it('a new file in a setgid directory keeps its setgid only for a member of the group', () => {
    const shared = dir(0o2775, 0, 200);
    expect(stripSgid(alice, shared, 0o2755)).toBe(0o755);
    expect(stripSgid(setuid(setgroups(root, [200]), 1000), shared, 0o2755)).toBe(0o2755);
    expect(stripSgid(alice, dir(0o775, 0, 200), 0o2755)).toBe(0o2755);
  });

  it('only the owner or CAP_FOWNER changes attributes', () => {
    expect(isOwnerOrRoot(alice, file(0o644))).toBe(true);
    expect(isOwnerOrRoot(alice, file(0o644, 0))).toBe(false);
    expect(isOwnerOrRoot(root, file(0o644, 1234))).toBe(true);
  });
});
