// Credentials: Linux's rules for changing ids and capabilities (kernel/sys.c, commoncap.c), in-process.
import { describe, expect, it } from 'vitest';
import { E } from '../../sentry/abi/errno.js';
import { errnoOf } from './fixtures.js';
import { accessCreds, CAP, capable, type Creds, execCreds, inGroup, NO_ID, rootCreds, setgroups, setresuid,
  setreuid, setuid } from '../../sentry/auth/creds.js';

const root = () => rootCreds([10, 4]);

describe('credentials', () => {
  it('root starts with every id 0, sorted groups and its capabilities', () => {
    const c = root();
    expect([c.uid, c.euid, c.suid, c.fsuid, c.gid, c.egid]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(c.groups).toEqual([4, 10]);
    expect(capable(c, CAP.SETUID)).toBe(capable(rootCreds([]), CAP.SETUID));
  });

  it('setuid by root sets all ids and drops the capabilities', () => {
    const c = setuid(root(), 1000);
    expect([c.uid, c.euid, c.suid, c.fsuid]).toEqual([1000, 1000, 1000, 1000]);
    expect(c.capEff).toBe(0n);
    expect(c.capPerm).toBe(0n);
  });

  it('an unprivileged setuid may only return to its real or saved id', () => {
    const user = setuid(root(), 1000);
    expect(errnoOf(() => setuid(user, 0))).toBe(E.EPERM);
    expect(errnoOf(() => setuid(user, 1000))).toBe(0);
    expect(errnoOf(() => setuid(user, NO_ID))).toBe(E.EINVAL);
  });

  it('a saved set-user-id lets the effective id go and come back', () => {
    // As after exec of a set-user-id-1000 program by uid 2000.
    const c = execCreds(setuid(root(), 2000), 1000, null);
    expect([c.uid, c.euid, c.suid]).toEqual([2000, 1000, 1000]);
    const dropped = setreuid(c, NO_ID, 2000);
    expect(dropped.euid).toBe(2000);
    expect(setreuid(dropped, NO_ID, 1000).euid).toBe(1000);
    expect(errnoOf(() => setresuid(c, 3000, NO_ID, NO_ID))).toBe(E.EPERM);
  });

  it('exec of a set-user-id-root program gives the capabilities, and an ordinary exec by a user none', () => {
    const user = setuid(root(), 1000);
    const suid = execCreds(user, 0, null);
    expect(suid.euid).toBe(0);
    expect(suid.capEff).toBe(root().capBset);
    expect(execCreds(user, null, null).capEff).toBe(0n);
  });

  it('access(2) checks with the real ids, and root capabilities only for a real root', () => {
    const c: Creds = { ...execCreds(setuid(root(), 1000), 0, null) };
    const a = accessCreds(c);
    expect(a.fsuid).toBe(1000);
    expect(a.capEff).toBe(0n);
  });

  it('group membership is the fs gid or a supplementary group', () => {
    const c = setgroups(root(), [7, 3]);
    expect(c.groups).toEqual([3, 7]);
    expect(inGroup(c, 7)).toBe(true);
    expect(inGroup(c, 0)).toBe(true);
    expect(inGroup(c, 4)).toBe(false);
  });
});
