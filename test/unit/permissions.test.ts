// Discretionary access checks (generic_permission and the capability checks around it), in-process.
import { describe, expect, it } from 'vitest';
import { E, SysErr } from '../../sentry/abi/errno.js';
import { S_IFDIR, S_IFREG, S_ISGID, S_ISUID, S_ISVTX } from '../../sentry/abi/stat.js';
import { rootCreds, setgroups, setuid } from '../../sentry/auth/creds.js';
import { checkSticky, isOwnerOrRoot, MAY_EXEC, MAY_READ, MAY_WRITE, mayAccess, stripSgid,
  withoutSetid } from '../../sentry/vfs/permissions.js';
import { type Acl, ACL_TAG, ACL_UNDEFINED_ID, aclMode, checkAclValid, chmodAcl, decodeAcl, encodeAcl, inheritAcl } from '../../sentry/vfs/acl.js';

const root = rootCreds([]);
const alice = setuid(setgroups(root, [100]), 1000);
const file = (mode: number, uid = 1000, gid = 100) => ({ mode: S_IFREG | mode, uid, gid });
const dir = (mode: number, uid = 1000, gid = 100) => ({ mode: S_IFDIR | mode, uid, gid });

describe('permissions', () => {
  it('the owner class, then the group class, then others decide; the first that matches wins', () => {
    expect(mayAccess(alice, file(0o600), MAY_READ | MAY_WRITE, null)).toBe(true);
    // Owner bits deny even though others' allow: Linux does not fall through.
    expect(mayAccess(alice, file(0o066), MAY_READ, null)).toBe(false);
    expect(mayAccess(alice, file(0o040, 0), MAY_READ, null)).toBe(true);
    expect(mayAccess(alice, file(0o004, 0, 50), MAY_READ, null)).toBe(true);
    expect(mayAccess(alice, file(0o004, 0, 50), MAY_WRITE, null)).toBe(false);
    // alice's gid is still 0 (setuid changes no gid): group 0's bits are hers, and they deny.
    expect(mayAccess(alice, file(0o004, 0, 0), MAY_READ, null)).toBe(false);
  });

  it('root may read and write anything, but execute only a file someone may execute', () => {
    expect(mayAccess(root, file(0o000), MAY_READ | MAY_WRITE, null)).toBe(true);
    expect(mayAccess(root, file(0o644), MAY_EXEC, null)).toBe(false);
    expect(mayAccess(root, file(0o100), MAY_EXEC, null)).toBe(true);
    expect(mayAccess(root, dir(0o000), MAY_EXEC | MAY_WRITE, null)).toBe(true);
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

describe('POSIX ACLs in permission checks', () => {
  const T = ACL_TAG;
  const U = ACL_UNDEFINED_ID;
  /** user_obj rw, user 1000 r, user 1001 rw, group_obj -, group 100 w, mask rw, other -. */
  const acl: Acl = [
    { tag: T.USER_OBJ, perm: 6, id: U }, { tag: T.USER, perm: 4, id: 1000 }, { tag: T.USER, perm: 6, id: 1001 },
    { tag: T.GROUP_OBJ, perm: 0, id: U }, { tag: T.GROUP, perm: 2, id: 100 }, { tag: T.MASK, perm: 6, id: U },
    { tag: T.OTHER, perm: 0, id: U },
  ];
  const holder = (a: Acl | null) => ({ asked: 0, acl(): Acl | null { this.asked++; return a; } });
  const bob = setuid(setgroups(root, [200]), 1001);

  it('a named user entry decides for that user, masked', () => {
    expect(mayAccess(alice, file(0o660, 0, 50), MAY_READ, holder(acl))).toBe(true);
    expect(mayAccess(alice, file(0o660, 0, 50), MAY_WRITE, holder(acl))).toBe(false);
    expect(mayAccess(bob, file(0o660, 0, 50), MAY_READ | MAY_WRITE, holder(acl))).toBe(true);
    const masked = acl.map((e) => e.tag === T.MASK ? { ...e, perm: 4 } : e);
    expect(mayAccess(bob, file(0o640, 0, 50), MAY_WRITE, holder(masked))).toBe(false);
  });

  it('a group entry grants only what it holds; a matched group denies what other would give', () => {
    const carol = setuid(setgroups(root, [100]), 1002);
    expect(mayAccess(carol, file(0o660, 0, 50), MAY_WRITE, holder(acl))).toBe(true);
    expect(mayAccess(carol, file(0o660, 0, 50), MAY_READ, holder(acl))).toBe(false);
    const generousOther = acl.map((e) => e.tag === T.OTHER ? { ...e, perm: 6 } : e);
    expect(mayAccess(carol, file(0o666, 0, 50), MAY_READ, holder(generousOther))).toBe(false);
    const dave = setuid(setgroups(root, [300]), 1003);
    expect(mayAccess(dave, file(0o666, 0, 50), MAY_READ, holder(generousOther))).toBe(true);
  });

  it('the owner and files without group bits are judged by the mode, without asking for the ACL', () => {
    const h = holder(acl);
    expect(mayAccess(alice, file(0o600, 1000, 0), MAY_READ | MAY_WRITE, h)).toBe(true);
    expect(mayAccess(bob, file(0o604, 0, 50), MAY_READ, h)).toBe(true);
    expect(h.asked).toBe(0);
    const none = holder(null);
    expect(mayAccess(alice, file(0o640, 0, 100), MAY_READ, none)).toBe(true);
    expect(none.asked).toBe(1);
  });
});

describe('ACL values', () => {
  const T = ACL_TAG;
  const U = ACL_UNDEFINED_ID;
  const bytes = (version: number, entries: [number, number, number][]) => {
    const b = new DataView(new ArrayBuffer(4 + 8 * entries.length));
    b.setUint32(0, version, true);
    entries.forEach(([tag, perm, id], i) => { b.setUint16(4 + 8 * i, tag, true); b.setUint16(6 + 8 * i, perm, true); b.setUint32(8 + 8 * i, id, true); });
    return new Uint8Array(b.buffer);
  };
  const errno = (f: () => unknown) => { try { f(); } catch (e) { return (e as SysErr).errno; } return 0; };

  it('decodes and encodes the xattr format; base entries lose their ids', () => {
    const v = bytes(2, [[T.USER_OBJ, 6, 7], [T.USER, 4, 1000], [T.GROUP_OBJ, 4, 9], [T.MASK, 4, 0], [T.OTHER, 0, 3]]);
    const acl = decodeAcl(v)!;
    expect(acl.map((e) => e.id)).toEqual([U, 1000, U, U, U]);
    expect(decodeAcl(encodeAcl(acl))).toEqual(acl);
    expect(decodeAcl(new Uint8Array(0))).toBeNull();
    expect(decodeAcl(bytes(2, []))).toBeNull();
    expect(errno(() => decodeAcl(bytes(1, [[T.USER_OBJ, 6, U]])))).toBe(E.EOPNOTSUPP);
    expect(errno(() => decodeAcl(v.subarray(0, 11)))).toBe(E.EINVAL);
    expect(errno(() => decodeAcl(bytes(2, [[0x40, 6, U]])))).toBe(E.EINVAL);
    expect(errno(() => decodeAcl(bytes(2, [[T.USER, 6, U]])))).toBe(E.EINVAL);
  });

  it('checks the order and the mask as posix_acl_valid', () => {
    const valid = (e: [number, number, number][]) => errno(() => checkAclValid(decodeAcl(bytes(2, e))!));
    expect(valid([[T.USER_OBJ, 6, U], [T.GROUP_OBJ, 4, U], [T.OTHER, 0, U]])).toBe(0);
    expect(valid([[T.USER_OBJ, 6, U], [T.USER, 4, 1], [T.GROUP_OBJ, 4, U], [T.OTHER, 0, U]])).toBe(E.EINVAL);
    expect(valid([[T.GROUP_OBJ, 4, U], [T.USER_OBJ, 6, U], [T.OTHER, 0, U]])).toBe(E.EINVAL);
    expect(valid([[T.USER_OBJ, 14, U], [T.GROUP_OBJ, 4, U], [T.OTHER, 0, U]])).toBe(E.EINVAL);
    expect(valid([[T.USER_OBJ, 6, U], [T.USER, 4, 1], [T.USER, 6, 1], [T.GROUP_OBJ, 4, U], [T.MASK, 6, U], [T.OTHER, 0, U]])).toBe(0);
  });

  it('gives the mode an ACL stands for, chmod rewrites it, and a new file inherits a default ACL masked by its mode', () => {
    const acl = decodeAcl(bytes(2, [[T.USER_OBJ, 7, U], [T.USER, 7, 5], [T.GROUP_OBJ, 5, U], [T.MASK, 7, U], [T.OTHER, 5, U]]))!;
    expect(aclMode(acl, S_IFREG | 0o4000)).toEqual({ mode: S_IFREG | 0o4775, equivalent: false });
    expect(chmodAcl(acl, 0o751).map((e) => e.perm)).toEqual([7, 7, 5, 5, 1]);
    const made = inheritAcl(acl, S_IFREG | 0o644);
    expect(made.mode).toBe(S_IFREG | 0o644);
    expect(made.access!.map((e) => e.perm)).toEqual([6, 7, 5, 4, 4]);
    const base = decodeAcl(bytes(2, [[T.USER_OBJ, 6, U], [T.GROUP_OBJ, 6, U], [T.OTHER, 4, U]]))!;
    expect(inheritAcl(base, S_IFDIR | 0o777)).toEqual({ mode: S_IFDIR | 0o664, access: null });
  });
});
