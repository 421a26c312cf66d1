// Discretionary access checks, as Linux's generic_permission does them.
import type { Creds } from '../kernel/creds.js';
import { E, SysErr } from '../kernel/errno.js';
import { isDir, S_IFMT } from './types.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

export interface Perm { mode: number; uid: number; gid: number }

export function mayAccess(c: Creds, p: Perm, want: number): boolean {
  if (c.fsuid === 0) {
    // CAP_DAC_OVERRIDE: anything but executing a file no one may execute.
    if ((want & MAY_EXEC) && !isDir(p.mode) && (p.mode & 0o111) === 0) return false;
    return true;
  }
  let bits: number;
  if (c.fsuid === p.uid) bits = (p.mode >> 6) & 7;
  else if (c.fsgid === p.gid || c.groups.includes(p.gid)) bits = (p.mode >> 3) & 7;
  else bits = p.mode & 7;
  return (bits & want) === want;
}

export function checkAccess(c: Creds, p: Perm, want: number): void {
  if (!mayAccess(c, p, want)) throw new SysErr(E.EACCES);
}

/** May `c` change the attributes of a file owned by p.uid (chmod, utimes with values)? */
export function isOwnerOrRoot(c: Creds, p: Perm): boolean {
  return c.fsuid === 0 || c.fsuid === p.uid;
}

/** Sticky directories: only the owner of the entry or of the directory, or root, may remove it. */
export function checkSticky(c: Creds, dir: Perm, victim: Perm): void {
  if ((dir.mode & 0o1000) && c.fsuid !== 0 && c.fsuid !== dir.uid && c.fsuid !== victim.uid) {
    throw new SysErr(E.EPERM);
  }
}

export const fileType = (mode: number) => mode & S_IFMT;
