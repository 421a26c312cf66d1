// Discretionary access checks, as Linux's generic_permission and the
// capability checks around it do them, with the caller's emulated creds.
import { readFileSync } from 'node:fs';
import { CAP, capable, type Creds, inGroup } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import { isDir, isReg, S_IFMT, S_ISGID, S_ISUID, S_ISVTX } from '../abi/stat.js';
import { type Acl, aclPermits } from './acl.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

export interface Perm { mode: number; uid: number; gid: number }

/** Who a check is for: the credentials it uses and the calling thread (Linux's current), as a task, a walk or an actor has them. */
export interface Accessor { readonly creds: Creds; readonly tid: number | null }

/**
 * What a check asks of the file's inode: its access ACL (Inode.acl; null for none, the answer of most filesystems),
 * and, of a filesystem that decides access itself (Linux's inode_operations.permission: proc's fd/ and fdinfo/ of a
 * process), the answer, given the generic one.
 */
export interface AclHolder {
  acl(kind: 'access'): Acl | null;
  permission?(who: Accessor, generic: boolean): boolean;
}

/**
 * acl_permission_check: the owner gets the owner bits; anyone else, when the
 * file has an access ACL and group bits (the mask), what the ACL grants;
 * else the group or other bits. With no group bits Linux does not look at the
 * ACL (a named user then gets the other bits), and neither does this.
 */
function modeAllows(c: Creds, p: Perm, want: number, acls: AclHolder | null): boolean {
  if (c.fsuid === p.uid) return ((p.mode >> 6) & want) === want;
  if (acls !== null && (p.mode & 0o070) !== 0) {
    const acl = acls.acl('access');
    if (acl !== null) return aclPermits(c, p.gid, acl, want);
  }
  const bits = inGroup(c, p.gid) ? (p.mode >> 3) & 7 : p.mode & 7;
  return (bits & want) === want;
}

/**
 * generic_permission: the file's bits (or ACL, from `acls`), or
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Either suffices, so the owner's
 * bits and the capabilities are asked first: they cost nothing, where
 * reading a host file's ACL may cost a round trip to the gofer.
 */
export function mayAccess(c: Creds, p: Perm, want: number, acls: AclHolder | null): boolean {
  if (c.fsuid === p.uid && ((p.mode >> 6) & want) === want) return true;
  return capabilitiesAllow(c, p, want) || modeAllows(c, p, want, acls);
}

function capabilitiesAllow(c: Creds, p: Perm, want: number): boolean {
  if (isDir(p.mode)) return capable(c, CAP.DAC_OVERRIDE) || ((want & MAY_WRITE) === 0 && capable(c, CAP.DAC_READ_SEARCH));
  // CAP_DAC_OVERRIDE: anything but executing a file no one may execute.
  if (capable(c, CAP.DAC_OVERRIDE) && (!(want & MAY_EXEC) || (p.mode & 0o111) !== 0)) return true;
  return want === MAY_READ && capable(c, CAP.DAC_READ_SEARCH);
}

/** inode_permission: the generic answer, or the inode's own when its filesystem decides (AclHolder.permission). */
export function inodePermission(who: Accessor, p: Perm, want: number, inode: AclHolder | null): boolean {
  const generic = mayAccess(who.creds, p, want, inode);
  return inode?.permission ? inode.permission(who, generic) : generic;
}

export function checkAccess(who: Accessor, p: Perm, want: number, inode: AclHolder | null): void {
  if (!inodePermission(who, p, want, inode)) throw new SysErr(E.EACCES);
}

/** inode_owner_or_capable: may `c` change the attributes of a file owned by p.uid (chmod, utimes with values)? */
export function isOwnerOrRoot(c: Creds, p: Perm): boolean {
  return c.fsuid === p.uid || capable(c, CAP.FOWNER);
}

/** Sticky directories: only the owner of the entry or of the directory, or CAP_FOWNER, may remove it. */
export function checkSticky(c: Creds, dir: Perm, victim: Perm): void {
  if ((dir.mode & S_ISVTX) && c.fsuid !== dir.uid && c.fsuid !== victim.uid && !capable(c, CAP.FOWNER)) {
    throw new SysErr(E.EPERM);
  }
}

/** The mode bits a change of owner or a write by `c` leaves (setattr_should_drop_suidgid). */
export function withoutSetid(c: Creds, p: Perm): number {
  let m = p.mode & 0o7777;
  if (!isReg(p.mode) || capable(c, CAP.FSETID)) return m;
  m &= ~S_ISUID;
  if ((m & S_ISGID) && ((m & 0o010) || !inGroup(c, p.gid))) m &= ~S_ISGID;
  return m;
}

/** The setgid bit a new file may keep in a setgid directory (mode_strip_sgid). */
export function stripSgid(c: Creds, dir: Perm, mode: number): number {
  if ((mode & (S_ISGID | 0o010)) !== (S_ISGID | 0o010) || !(dir.mode & S_ISGID)) return mode;
  return inGroup(c, dir.gid) || capable(c, CAP.FSETID) ? mode : mode & ~S_ISGID;
}

function sysctl(name: string): number {
  try { return Number(readFileSync(`/proc/sys/fs/${name}`, 'utf8').trim()); } catch { return 0; }
}
/** The host's fs.protected_* settings, which the sandbox follows as its kernel's. */
const PROTECTED_SYMLINKS = sysctl('protected_symlinks');
const PROTECTED_HARDLINKS = sysctl('protected_hardlinks');

/** fs.protected_symlinks: in a sticky world-writable directory, only the link's owner or the directory's follows it. */
export function checkFollow(c: Creds, dir: Perm, link: Perm): void {
  if (!PROTECTED_SYMLINKS || (dir.mode & (S_ISVTX | 0o002)) !== (S_ISVTX | 0o002)) return;
  if (c.fsuid === link.uid || dir.uid === link.uid) return;
  throw new SysErr(E.EACCES);
}

/** fs.protected_hardlinks: linking to a file one does not own needs a plain regular file one may read and write. */
export function checkHardlink(c: Creds, target: Perm, acls: AclHolder | null): void {
  if (!PROTECTED_HARDLINKS || c.fsuid === target.uid || capable(c, CAP.FOWNER)) return;
  const safe = isReg(target.mode) && !(target.mode & S_ISUID) &&
    (target.mode & (S_ISGID | 0o010)) !== (S_ISGID | 0o010) && mayAccess(c, target, MAY_READ | MAY_WRITE, acls);
  if (!safe) throw new SysErr(E.EPERM);
}

export const fileType = (mode: number) => mode & S_IFMT;
