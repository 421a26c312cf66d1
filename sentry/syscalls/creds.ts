// The uid/gid family and capget/capset, served from the task's emulated
// credentials (auth/creds.ts). Each task (thread) has its own, as on
// Linux: glibc's setuid() broadcasts the call to every thread, and each
// thread's own call changes that task.
import { CAP, capable, capset, type Creds, dropBounding, NGROUPS_MAX, setfsgid, setKeepCaps, validCap, setfsuid, setgid, setgroups, setregid, setresgid, setresuid, setreuid, setuid } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { entry, type SyscallFamily } from '../kernel/syscalls.js';

function putIds(t: Task, addrs: number[], ids: number[]): number {
  addrs.forEach((addr, i) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, ids[i]!, true);
    t.mem.write(addr, b);
  });
  return 0;
}

function getgroups(t: Task, size: number, addr: number): number {
  const groups = t.creds.groups;
  if (size < 0) throw new SysErr(E.EINVAL);
  if (size === 0) return groups.length;
  if (size < groups.length) throw new SysErr(E.EINVAL);
  const b = new Uint8Array(4 * groups.length);
  const v = new DataView(b.buffer);
  groups.forEach((g, i) => v.setUint32(4 * i, g, true));
  if (b.length) t.mem.write(addr, b);
  return groups.length;
}

function setgroupsCall(t: Task, size: number, addr: number): number {
  // Refused for want of CAP_SETGID before the size is looked at, as Linux does.
  setgroups(t.creds, []);
  if (size < 0 || size > NGROUPS_MAX) throw new SysErr(E.EINVAL);
  const raw = size ? t.mem.read(addr, 4 * size) : new Uint8Array(0);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const groups = Array.from({ length: size }, (_, i) => v.getUint32(4 * i, true));
  t.creds = setgroups(t.creds, groups);
  return 0;
}

const CAP_V1 = 0x19980330;
const CAP_V2 = 0x20071026;
const CAP_V3 = 0x20080522;

/** The capability header: how many 32-bit words the version carries, or null (EINVAL) after writing ours. */
function capWords(t: Task, hdr: number): { words: number; pid: number } | null {
  const v = new DataView(t.mem.read(hdr, 8).buffer);
  const version = v.getUint32(0, true);
  const pid = v.getInt32(4, true);
  if (version === CAP_V1) return { words: 1, pid };
  if (version === CAP_V2 || version === CAP_V3) return { words: 2, pid };
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, CAP_V3, true);
  t.mem.write(hdr, out);
  return null;
}

function capgetCall(t: Task, k: Kernel, hdr: number, data: number): number {
  const h = capWords(t, hdr);
  if (!h) { if (data === 0) return 0; throw new SysErr(E.EINVAL); }
  if (data === 0) return 0;
  if (h.pid < 0) throw new SysErr(E.EINVAL);
  let c: Creds = t.creds;
  if (h.pid !== 0 && h.pid !== t.tg.nsPid) {
    const other = [...k.tasks.values()].find((o) => o.tg.nsPid === h.pid && o.tid === o.tg.tgid);
    if (!other) throw new SysErr(E.ESRCH);
    c = other.creds;
  }
  const b = new Uint8Array(12 * h.words);
  const v = new DataView(b.buffer);
  for (let i = 0; i < h.words; i++) {
    const word = (x: bigint) => Number((x >> BigInt(32 * i)) & 0xffffffffn);
    v.setUint32(12 * i, word(c.capEff), true);
    v.setUint32(12 * i + 4, word(c.capPerm), true);
    v.setUint32(12 * i + 8, word(c.capInh), true);
  }
  t.mem.write(data, b);
  return 0;
}

function capsetCall(t: Task, hdr: number, data: number): number {
  const h = capWords(t, hdr);
  if (!h) throw new SysErr(E.EINVAL);
  if (h.pid !== 0 && h.pid !== t.tg.nsPid) throw new SysErr(E.EPERM);
  const raw = t.mem.read(data, 12 * h.words);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const set = (off: number) => {
    let x = 0n;
    for (let i = 0; i < h.words; i++) x |= BigInt(v.getUint32(12 * i + off, true)) << BigInt(32 * i);
    return x;
  };
  t.creds = capset(t.creds, set(0), set(4), set(8));
  return 0;
}

const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;
const PR_GET_KEEPCAPS = 7;
const PR_SET_KEEPCAPS = 8;
const PR_CAPBSET_READ = 23;
const PR_CAPBSET_DROP = 24;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_GET_NO_NEW_PRIVS = 39;

/** The prctl options about credentials, which the filter sends here (prctl.ts); every other option is the host's. */
export const CREDS_PRCTLS = [PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ,
  PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS];

export function credsPrctl(t: Task, option: number, arg: number, rest: number[]): number {
  switch (option) {
    case PR_GET_DUMPABLE: return t.tg.dumpable ? 1 : 0;
    case PR_SET_DUMPABLE:
      // SUID_DUMP_DISABLE or SUID_DUMP_USER; a process may not ask for root's core dumps (2).
      if (arg !== 0 && arg !== 1) throw new SysErr(E.EINVAL);
      t.tg.dumpable = arg === 1;
      return 0;
    case PR_GET_KEEPCAPS: return t.creds.keepCaps ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (arg !== 0 && arg !== 1) throw new SysErr(E.EINVAL);
      t.creds = setKeepCaps(t.creds, arg === 1);
      return 0;
    case PR_CAPBSET_READ:
      if (!validCap(arg)) throw new SysErr(E.EINVAL);
      return (t.creds.capBset >> BigInt(arg)) & 1n ? 1 : 0;
    case PR_CAPBSET_DROP:
      if (!capable(t.creds, CAP.SETPCAP)) throw new SysErr(E.EPERM);
      if (!validCap(arg)) throw new SysErr(E.EINVAL);
      t.creds = dropBounding(t.creds, arg);
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      if (arg !== 1 || rest.some((a) => a !== 0)) throw new SysErr(E.EINVAL);
      t.creds = { ...t.creds, groups: t.creds.groups, noNewPrivs: true };
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (arg !== 0 || rest.some((a) => a !== 0)) throw new SysErr(E.EINVAL);
      return t.creds.noNewPrivs ? 1 : 0;
    default: throw new SysErr(E.EINVAL);
  }
}

export const credsFamily: SyscallFamily = {
  getuid: entry([], (t) => t.creds.uid),
  geteuid: entry([], (t) => t.creds.euid),
  getgid: entry([], (t) => t.creds.gid),
  getegid: entry([], (t) => t.creds.egid),
  getresuid: entry(['ptr', 'ptr', 'ptr'], (t, a) =>
    putIds(t, [a.ptr(0), a.ptr(1), a.ptr(2)], [t.creds.uid, t.creds.euid, t.creds.suid])),
  getresgid: entry(['ptr', 'ptr', 'ptr'], (t, a) =>
    putIds(t, [a.ptr(0), a.ptr(1), a.ptr(2)], [t.creds.gid, t.creds.egid, t.creds.sgid])),
  setuid: entry(['int'], (t, a) => { t.creds = setuid(t.creds, a.uint(0)); return 0; }),
  setgid: entry(['int'], (t, a) => { t.creds = setgid(t.creds, a.uint(0)); return 0; }),
  setreuid: entry(['int', 'int'], (t, a) => { t.creds = setreuid(t.creds, a.uint(0), a.uint(1)); return 0; }),
  setregid: entry(['int', 'int'], (t, a) => { t.creds = setregid(t.creds, a.uint(0), a.uint(1)); return 0; }),
  setresuid: entry(['int', 'int', 'int'], (t, a) => {
    t.creds = setresuid(t.creds, a.uint(0), a.uint(1), a.uint(2));
    return 0;
  }),
  setresgid: entry(['int', 'int', 'int'], (t, a) => {
    t.creds = setresgid(t.creds, a.uint(0), a.uint(1), a.uint(2));
    return 0;
  }),
  setfsuid: entry(['int'], (t, a) => { const old = t.creds.fsuid; t.creds = setfsuid(t.creds, a.uint(0)); return old; }),
  setfsgid: entry(['int'], (t, a) => { const old = t.creds.fsgid; t.creds = setfsgid(t.creds, a.uint(0)); return old; }),
  getgroups: entry(['int', 'ptr'], (t, a) => getgroups(t, a.int(0), a.ptr(1))),
  setgroups: entry(['int', 'ptr'], (t, a) => setgroupsCall(t, a.int(0), a.ptr(1))),
  capget: entry(['ptr', 'ptr'], (t, a, k) => capgetCall(t, k, a.ptr(0), a.ptr(1))),
  capset: entry(['ptr', 'ptr'], (t, a) => capsetCall(t, a.ptr(0), a.ptr(1))),
};
