// POSIX ACLs, as Linux's fs/posix_acl.c keeps them: the xattr format of
// system.posix_acl_access and system.posix_acl_default, the rules of a valid
// ACL, the mode an access ACL stands for, chmod's rewrite of one, what a new
// file inherits from its directory's default ACL, and the permission an ACL
// grants. The VFS applies them (ops.ts, permissions.ts); a filesystem that
// keeps ACLs only stores them (Inode.acl, Inode.setAcl).
import { E, SysErr } from '../abi/errno.js';
import { type Creds, inGroup } from '../auth/creds.js';

export const ACL_TAG = { USER_OBJ: 0x01, USER: 0x02, GROUP_OBJ: 0x04, GROUP: 0x08, MASK: 0x10, OTHER: 0x20 } as const;
/** The id of the entries that name no one (ACL_UNDEFINED_ID). */
export const ACL_UNDEFINED_ID = 0xffffffff;
const XATTR_VERSION = 2;
const HEADER = 4;
const ENTRY = 8;

export interface AclEntry { readonly tag: number; readonly perm: number; readonly id: number }
/** Entries in the order the xattr gives them (posix_acl_valid's order); never changed in place. */
export type Acl = readonly AclEntry[];
export type AclKind = 'access' | 'default';

export const ACL_XATTR: Readonly<Record<AclKind, string>> = {
  access: 'system.posix_acl_access', default: 'system.posix_acl_default',
};

/** The kind of ACL an xattr name is, or null for any other name. */
export function aclKindOf(name: string): AclKind | null {
  return name === ACL_XATTR.access ? 'access' : name === ACL_XATTR.default ? 'default' : null;
}

/**
 * posix_acl_from_xattr: the ACL a setxattr value gives; null (no ACL) for an
 * empty value or a header alone. Only the format is checked here (EINVAL;
 * EOPNOTSUPP for another version): whether the entries make a valid ACL is
 * posix_acl_valid's, which Linux asks after the owner check.
 */
export function decodeAcl(value: Uint8Array): Acl | null {
  if (value.length === 0) return null;
  if (value.length < HEADER) throw new SysErr(E.EINVAL);
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (v.getUint32(0, true) !== XATTR_VERSION) throw new SysErr(E.EOPNOTSUPP);
  if ((value.length - HEADER) % ENTRY !== 0) throw new SysErr(E.EINVAL);
  const out: AclEntry[] = [];
  for (let off = HEADER; off < value.length; off += ENTRY) {
    const tag = v.getUint16(off, true);
    const perm = v.getUint16(off + 2, true);
    let id = v.getUint32(off + 4, true);
    switch (tag) {
      case ACL_TAG.USER_OBJ: case ACL_TAG.GROUP_OBJ: case ACL_TAG.MASK: case ACL_TAG.OTHER:
        id = ACL_UNDEFINED_ID;
        break;
      case ACL_TAG.USER: case ACL_TAG.GROUP:
        // (uid_t)-1 maps to no kernel id.
        if (id === ACL_UNDEFINED_ID) throw new SysErr(E.EINVAL);
        break;
      default:
        throw new SysErr(E.EINVAL);
    }
    out.push(Object.freeze({ tag, perm, id }));
  }
  return out.length === 0 ? null : Object.freeze(out);
}

/** posix_acl_to_xattr. */
export function encodeAcl(acl: Acl): Uint8Array {
  const out = new Uint8Array(HEADER + ENTRY * acl.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, XATTR_VERSION, true);
  acl.forEach((e, i) => {
    v.setUint16(HEADER + i * ENTRY, e.tag, true);
    v.setUint16(HEADER + i * ENTRY + 2, e.perm, true);
    v.setUint32(HEADER + i * ENTRY + 4, e.id, true);
  });
  return out;
}

/**
 * posix_acl_valid: one owner entry, named users, the owning group, named
 * groups, a mask (required with any named entry), the other entry, in that
 * order; permissions rwx only. Named entries may repeat an id, as Linux lets them.
 */
export function checkAclValid(acl: Acl): void {
  const T = ACL_TAG;
  // The tag each state may see next, as posix_acl_valid's state machine.
  let state: number = T.USER_OBJ;
  let needsMask = false;
  for (const e of acl) {
    if (e.perm & ~7) throw new SysErr(E.EINVAL);
    switch (e.tag) {
      case T.USER_OBJ:
        if (state !== T.USER_OBJ) throw new SysErr(E.EINVAL);
        state = T.USER;
        break;
      case T.USER:
        if (state !== T.USER) throw new SysErr(E.EINVAL);
        needsMask = true;
        break;
      case T.GROUP_OBJ:
        if (state !== T.USER) throw new SysErr(E.EINVAL);
        state = T.GROUP;
        break;
      case T.GROUP:
        if (state !== T.GROUP) throw new SysErr(E.EINVAL);
        needsMask = true;
        break;
      case T.MASK:
        if (state !== T.GROUP) throw new SysErr(E.EINVAL);
        state = T.OTHER;
        break;
      case T.OTHER:
        if (state !== T.OTHER && (state !== T.GROUP || needsMask)) throw new SysErr(E.EINVAL);
        state = 0;
        break;
      default:
        throw new SysErr(E.EINVAL);
    }
  }
  if (state !== 0) throw new SysErr(E.EINVAL);
}

/**
 * posix_acl_equiv_mode: the permission bits `acl` stands for in `mode`
 * (owner, owning group or the mask, other), and whether the mode alone says
 * all of it (no named entries, no mask): then Linux keeps no ACL.
 */
export function aclMode(acl: Acl, mode: number): { mode: number; equivalent: boolean } {
  let bits = 0;
  let equivalent = true;
  for (const e of acl) {
    switch (e.tag) {
      case ACL_TAG.USER_OBJ: bits |= (e.perm & 7) << 6; break;
      case ACL_TAG.GROUP_OBJ: bits |= (e.perm & 7) << 3; break;
      case ACL_TAG.OTHER: bits |= e.perm & 7; break;
      case ACL_TAG.MASK: bits = (bits & ~0o070) | ((e.perm & 7) << 3); equivalent = false; break;
      default: equivalent = false;
    }
  }
  return { mode: (mode & ~0o777) | bits, equivalent };
}

/** posix_acl_chmod_masq: the ACL after a chmod to `mode` (owner, mask or owning group, other follow the mode). */
export function chmodAcl(acl: Acl, mode: number): Acl {
  const hasMask = acl.some((e) => e.tag === ACL_TAG.MASK);
  return Object.freeze(acl.map((e) => {
    switch (e.tag) {
      case ACL_TAG.USER_OBJ: return Object.freeze({ ...e, perm: (mode >> 6) & 7 });
      case ACL_TAG.OTHER: return Object.freeze({ ...e, perm: mode & 7 });
      case ACL_TAG.MASK: return Object.freeze({ ...e, perm: (mode >> 3) & 7 });
      case ACL_TAG.GROUP_OBJ: return hasMask ? e : Object.freeze({ ...e, perm: (mode >> 3) & 7 });
      default: return e;
    }
  }));
}

/**
 * posix_acl_create (with posix_acl_create_masq): a new file in a directory
 * with default ACL `dflt`, asked with `mode` (no umask: the default ACL
 * stands for it), gets this mode and access ACL (null when the mode says it
 * all); a new directory also takes `dflt` as its own default ACL.
 */
export function inheritAcl(dflt: Acl, mode: number): { mode: number; access: Acl | null } {
  let m = mode;
  let equivalent = true;
  let groupAt = -1;
  let maskAt = -1;
  const out = dflt.map((e) => ({ ...e }));
  out.forEach((e, i) => {
    switch (e.tag) {
      case ACL_TAG.USER_OBJ:
        e.perm &= (m >> 6) & 7;
        m &= (e.perm << 6) | ~0o700;
        break;
      case ACL_TAG.OTHER:
        e.perm &= m & 7;
        m &= e.perm | ~0o007;
        break;
      case ACL_TAG.GROUP_OBJ: groupAt = i; break;
      case ACL_TAG.MASK: maskAt = i; equivalent = false; break;
      default: equivalent = false;
    }
  });
  const g = out[maskAt >= 0 ? maskAt : groupAt];
  if (!g) throw new SysErr(E.EIO);
  g.perm &= (m >> 3) & 7;
  m &= (g.perm << 3) | ~0o070;
  return { mode: m, access: equivalent ? null : Object.freeze(out.map((e) => Object.freeze(e))) };
}

/**
 * posix_acl_permission, for a caller who is not the owner (the owner's bits
 * are the mode's): the first named user entry of the caller decides (with
 * the mask), else any of the caller's groups whose entry grants all of
 * `want` (with the mask), else the other entry if no group entry matched.
 */
export function aclPermits(c: Creds, gid: number, acl: Acl, want: number): boolean {
  let mask = 7;
  for (const e of acl) if (e.tag === ACL_TAG.MASK) mask = e.perm;
  let groupMatched = false;
  for (const e of acl) {
    switch (e.tag) {
      case ACL_TAG.USER:
        if (e.id === c.fsuid) return (e.perm & mask & want) === want;
        break;
      case ACL_TAG.GROUP_OBJ: case ACL_TAG.GROUP:
        if (inGroup(c, e.tag === ACL_TAG.GROUP_OBJ ? gid : e.id)) {
          groupMatched = true;
          if ((e.perm & want) === want) return (e.perm & mask & want) === want;
        }
        break;
      case ACL_TAG.OTHER:
        return !groupMatched && (e.perm & want) === want;
    }
  }
  return false;
}
