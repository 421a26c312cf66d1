// A task's credentials, as the sentry sees them, and Linux's rules for
// changing them (kernel/sys.c, security/commoncap.c). The host process keeps
// uid 0 with no capabilities whatever these say: they only decide what the
// sentry allows, so no change here gives a guest any host power.
import { readFileSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';

export interface Creds {
  uid: number; euid: number; suid: number; fsuid: number;
  gid: number; egid: number; sgid: number; fsgid: number;
  /** Supplementary groups, sorted as Linux keeps them. */
  groups: number[];
  /** Capability sets, one bit per capability. */
  capEff: bigint; capPerm: bigint; capInh: bigint;
  /** The bounding set: what an exec may give root. */
  capBset: bigint;
  /** PR_SET_KEEPCAPS: leaving uid 0 keeps the permitted set (cleared by exec). */
  keepCaps: boolean;
  /** PR_SET_NO_NEW_PRIVS (or the container's noNewPrivileges): exec never gains set-id ids; kept across fork and exec. */
  noNewPrivs: boolean;
}

export const CAP = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7,
  SETPCAP: 8, LINUX_IMMUTABLE: 9, IPC_OWNER: 15, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_ADMIN: 21, SYS_NICE: 23, MKNOD: 27, MAC_OVERRIDE: 32,
} as const;

const bit = (cap: number) => 1n << BigInt(cap);

/** What root holds: the bounding set of the sandbox process, so root in the sandbox is root on this host. */
function boundingSet(): bigint {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? BigInt('0x' + m[1]) : 0n;
}
export const CAP_FULL = boundingSet();
const CAP_LAST = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
/** The capabilities that follow fsuid (CAP_FS_MASK). */
const CAP_FS = bit(CAP.CHOWN) | bit(CAP.DAC_OVERRIDE) | bit(CAP.DAC_READ_SEARCH) | bit(CAP.FOWNER) |
  bit(CAP.FSETID) | bit(CAP.LINUX_IMMUTABLE) | bit(CAP.MAC_OVERRIDE);

export const NGROUPS_MAX = 65536;
/** (uid_t)-1: "leave unchanged". */
export const NO_ID = 0xffffffff;

/** The first guest's credentials: root, with the sandbox process's own supplementary groups. */
export function rootCreds(groups: number[] = hostGroups()): Creds {
  return { uid: 0, euid: 0, suid: 0, fsuid: 0, gid: 0, egid: 0, sgid: 0, fsgid: 0,
    groups: [...groups].sort((a, b) => a - b), capEff: CAP_FULL, capPerm: CAP_FULL, capInh: 0n, capBset: CAP_FULL,
    keepCaps: false, noNewPrivs: false };
}

export interface CapabilitySets { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint }

/**
 * A runtime's new process (the container's, an exec): its ids, groups and
 * capabilities as its config gives them, none beyond what root holds here.
 * Without capability sets, a uid 0 process has root's and any other none,
 * as after an exec on Linux.
 */
export function processCreds(p: { uid: number; gid: number; groups?: number[]; caps?: CapabilitySets; noNewPrivs: boolean }): Creds {
  const base = rootCreds(p.groups);
  const caps = p.caps ?? (p.uid === 0
    ? { bounding: CAP_FULL, effective: CAP_FULL, permitted: CAP_FULL, inheritable: 0n }
    : { bounding: CAP_FULL, effective: 0n, permitted: 0n, inheritable: 0n });
  return {
    ...base, uid: p.uid, euid: p.uid, suid: p.uid, fsuid: p.uid, gid: p.gid, egid: p.gid, sgid: p.gid, fsgid: p.gid,
    capBset: caps.bounding & CAP_FULL, capPerm: caps.permitted & CAP_FULL, capInh: caps.inheritable & CAP_FULL,
    capEff: caps.effective & caps.permitted & CAP_FULL, noNewPrivs: p.noNewPrivs,
  };
}

/** The kernel's list (Node's process.getgroups() adds the egid to it). */
function hostGroups(): number[] {
  const m = /^Groups:(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return (m?.[1] ?? '').trim().split(/\s+/).filter((g) => g !== '').map(Number);
}

export function copyCreds(c: Creds): Creds {
  return { ...c, groups: [...c.groups] };
}

export function capable(c: Creds, cap: number): boolean {
  return (c.capEff & bit(cap)) !== 0n;
}

/** in_group_p: the fs gid or a supplementary group. */
export function inGroup(c: Creds, gid: number): boolean {
  return c.fsgid === gid || c.groups.includes(gid);
}

/** A process's real, effective and saved ids. */
export type ProcessIds = Pick<Creds, 'uid' | 'euid' | 'suid' | 'gid' | 'egid' | 'sgid'>;

/**
 * ptrace_may_access(PTRACE_MODE_READ_FSCREDS), for a caller outside the target's process (its own process always
 * may): the caller's fs ids are each of the target's uids and gids, or it has CAP_SYS_PTRACE; and a target that is
 * not dumpable needs CAP_SYS_PTRACE either way. Yama restricts attaching only.
 */
export function mayReadProcess(c: Creds, target: ProcessIds, targetDumpable: boolean): boolean {
  const sameIds = c.fsuid === target.uid && c.fsuid === target.euid && c.fsuid === target.suid &&
    c.fsgid === target.gid && c.fsgid === target.egid && c.fsgid === target.sgid;
  const traceCap = capable(c, CAP.SYS_PTRACE);
  return (sameIds || traceCap) && (targetDumpable || traceCap);
}

/** The credentials access(2) checks with: real ids, and root's capabilities only for a real root. */
export function accessCreds(c: Creds): Creds {
  return { ...c, fsuid: c.uid, fsgid: c.gid, capEff: c.uid === 0 ? c.capPerm : 0n };
}

type UidFields = Pick<Creds, 'uid' | 'euid' | 'suid' | 'fsuid'>;

/** cap_emulate_setxuid: leaving root drops capabilities, becoming euid 0 again raises them. */
function fixupSetxuid(next: Creds, old: UidFields): void {
  const wasRoot = old.uid === 0 || old.euid === 0 || old.suid === 0;
  const isRoot = next.uid === 0 || next.euid === 0 || next.suid === 0;
  if (wasRoot && !isRoot && !next.keepCaps) { next.capPerm = 0n; next.capEff = 0n; }
  if (old.euid === 0 && next.euid !== 0) next.capEff = 0n;
  if (old.euid !== 0 && next.euid === 0) next.capEff = next.capPerm;
}

/** The fs capabilities follow fsuid 0 (LSM_SETID_FS). */
function fixupSetfsuid(next: Creds, oldFsuid: number): void {
  if (oldFsuid === 0 && next.fsuid !== 0) next.capEff &= ~CAP_FS;
  if (oldFsuid !== 0 && next.fsuid === 0) next.capEff |= next.capPerm & CAP_FS;
}

const eperm = (): never => { throw new SysErr(E.EPERM); };

/** Applies a change to a copy, so a refused change leaves `c` as it was. */
function change(c: Creds, f: (n: Creds) => void): Creds {
  const n = copyCreds(c);
  f(n);
  return n;
}

export function setuid(c: Creds, uid: number): Creds {
  if (uid === NO_ID) throw new SysErr(E.EINVAL);
  return change(c, (n) => {
    if (capable(c, CAP.SETUID)) { n.uid = uid; n.suid = uid; }
    else if (uid !== c.uid && uid !== c.suid) eperm();
    n.euid = uid; n.fsuid = uid;
    fixupSetxuid(n, c);
  });
}

export function setreuid(c: Creds, ruid: number, euid: number): Creds {
  return change(c, (n) => {
    const may = capable(c, CAP.SETUID);
    if (ruid !== NO_ID) {
      if (ruid !== c.uid && ruid !== c.euid && !may) eperm();
      n.uid = ruid;
    }
    if (euid !== NO_ID) {
      if (euid !== c.uid && euid !== c.euid && euid !== c.suid && !may) eperm();
      n.euid = euid;
    }
    if (ruid !== NO_ID || (euid !== NO_ID && euid !== c.uid)) n.suid = n.euid;
    n.fsuid = n.euid;
    fixupSetxuid(n, c);
  });
}

export function setresuid(c: Creds, ruid: number, euid: number, suid: number): Creds {
  if ((ruid === NO_ID || ruid === c.uid) && (euid === NO_ID || (euid === c.euid && euid === c.fsuid)) &&
      (suid === NO_ID || suid === c.suid)) return c;
  const isNew = (id: number) => id !== NO_ID && id !== c.uid && id !== c.euid && id !== c.suid;
  if ((isNew(ruid) || isNew(euid) || isNew(suid)) && !capable(c, CAP.SETUID)) eperm();
  return change(c, (n) => {
    if (ruid !== NO_ID) n.uid = ruid;
    if (euid !== NO_ID) n.euid = euid;
    if (suid !== NO_ID) n.suid = suid;
    n.fsuid = n.euid;
    fixupSetxuid(n, c);
  });
}

export function setgid(c: Creds, gid: number): Creds {
  if (gid === NO_ID) throw new SysErr(E.EINVAL);
  return change(c, (n) => {
    if (capable(c, CAP.SETGID)) { n.gid = gid; n.sgid = gid; }
    else if (gid !== c.gid && gid !== c.sgid) eperm();
    n.egid = gid; n.fsgid = gid;
  });
}

export function setregid(c: Creds, rgid: number, egid: number): Creds {
  return change(c, (n) => {
    const may = capable(c, CAP.SETGID);
    if (rgid !== NO_ID) {
      if (rgid !== c.gid && rgid !== c.egid && !may) eperm();
      n.gid = rgid;
    }
    if (egid !== NO_ID) {
      if (egid !== c.gid && egid !== c.egid && egid !== c.sgid && !may) eperm();
      n.egid = egid;
    }
    if (rgid !== NO_ID || (egid !== NO_ID && egid !== c.gid)) n.sgid = n.egid;
    n.fsgid = n.egid;
  });
}

export function setresgid(c: Creds, rgid: number, egid: number, sgid: number): Creds {
  if ((rgid === NO_ID || rgid === c.gid) && (egid === NO_ID || (egid === c.egid && egid === c.fsgid)) &&
      (sgid === NO_ID || sgid === c.sgid)) return c;
  const isNew = (id: number) => id !== NO_ID && id !== c.gid && id !== c.egid && id !== c.sgid;
  if ((isNew(rgid) || isNew(egid) || isNew(sgid)) && !capable(c, CAP.SETGID)) eperm();
  return change(c, (n) => {
    if (rgid !== NO_ID) n.gid = rgid;
    if (egid !== NO_ID) n.egid = egid;
    if (sgid !== NO_ID) n.sgid = sgid;
    n.fsgid = n.egid;
  });
}

/** setfsuid never fails: it answers the old fsuid and changes it only when allowed. */
export function setfsuid(c: Creds, uid: number): Creds {
  if (uid === NO_ID || uid === c.fsuid) return c;
  if (uid !== c.uid && uid !== c.euid && uid !== c.suid && !capable(c, CAP.SETUID)) return c;
  return change(c, (n) => { n.fsuid = uid; fixupSetfsuid(n, c.fsuid); });
}

export function setfsgid(c: Creds, gid: number): Creds {
  if (gid === NO_ID || gid === c.fsgid) return c;
  if (gid !== c.gid && gid !== c.egid && gid !== c.sgid && !capable(c, CAP.SETGID)) return c;
  return change(c, (n) => { n.fsgid = gid; });
}

export function setgroups(c: Creds, groups: number[]): Creds {
  if (!capable(c, CAP.SETGID)) eperm();
  return change(c, (n) => { n.groups = [...groups].sort((a, b) => a - b); });
}

/** capset: the new sets may only shrink (inheritable within permitted unless CAP_SETPCAP). */
export function capset(c: Creds, eff: bigint, perm: bigint, inh: bigint): Creds {
  const within = (a: bigint, b: bigint) => (a & ~b) === 0n;
  if (!capable(c, CAP.SETPCAP) && !within(inh, c.capInh | c.capPerm)) eperm();
  if (!within(inh, c.capInh | c.capBset)) eperm();
  if (!within(perm, c.capPerm)) eperm();
  if (!within(eff, perm)) eperm();
  return change(c, (n) => { n.capEff = eff; n.capPerm = perm; n.capInh = inh; });
}

export function setKeepCaps(c: Creds, keep: boolean): Creds {
  return change(c, (n) => { n.keepCaps = keep; });
}

/** PR_CAPBSET_DROP: needs CAP_SETPCAP. */
export function dropBounding(c: Creds, cap: number): Creds {
  if (!capable(c, CAP.SETPCAP)) eperm();
  return change(c, (n) => { n.capBset &= ~bit(cap); });
}

/** A capability number this kernel knows. */
export function validCap(cap: number): boolean {
  return cap >= 0 && cap <= CAP_LAST;
}

/**
 * execve: a set-user-ID or set-group-ID program's owner becomes the effective
 * id (`setuid`/`setgid` given when the file's bits apply), the saved and fs ids
 * follow the effective ones, and capabilities are root's or none, as for a
 * program without file capabilities (cap_bprm_creds_from_file).
 */
export function execCreds(c: Creds, setuidTo: number | null, setgidTo: number | null): Creds {
  return change(c, (n) => {
    if (setuidTo !== null) n.euid = setuidTo;
    if (setgidTo !== null) n.egid = setgidTo;
    n.suid = n.fsuid = n.euid;
    n.sgid = n.fsgid = n.egid;
    n.capPerm = n.uid === 0 || n.euid === 0 ? c.capBset | c.capInh : 0n;
    n.capEff = n.euid === 0 ? n.capPerm : 0n;
    n.keepCaps = false;
  });
}
