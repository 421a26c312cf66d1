// flock(2), fcntl's record locks (POSIX and open file description locks) and
// leases.
//
// On a file the sandbox owns (tmpfs, the overlay's upper layer, a writable
// bind mount) the host kernel runs the call as made, after housekeeping: the
// sentry holds a copy of every description it made until a sweep finds no
// guest holding it, and flock and OFD locks belong to the description, so one
// a guest left by closing its last fd (or by exiting) would stay; a lease is
// refused while another description of the file is open. So before such a
// call the sentry closes its copy of the descriptions concerned that no guest
// holds any more. POSIX record locks belong to the process: the sentry never
// takes one, they run as made.
//
// On a file it does not own (description.privateLocks: the lower layer, a
// read-only bind mount, a host device) no lock call reaches the host file:
// locks are made on the sentry's lock proxies (kernel/locks.ts) and leases
// are answered from the sentry's record.
import koffi from '../../native/koffi.js';
import { readFileSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { capable } from '../auth/creds.js';
import type { FileDescription } from '../kernel/files.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { libcCalls, sys } from '../host/native.js';
import { isReg } from '../abi/stat.js';
import { F, O } from '../abi/flags.js';
import { descriptionStat } from './common.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';


const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const SEEK_CUR = 1;
const SEEK_END = 2;
const CAP_LEASE = 28;
const OFFSET_MAX = (1n << 63n) - 1n;

/**
 * The description behind `fd` when the sentry must make the lock call
 * itself, else null (the host runs it as made). `owns`: the call may leave a
 * flock or OFD lock on the description (see the housekeeping above).
 */
function privateLocks(t: Task, k: Kernel, fd: number, owns: boolean): FileDescription | null {
  const d = k.files.lookup(t, fd);
  if (owns) {
    k.files.dropUnheld((x) => x.locked && x !== d);
    if (d) d.locked = true;
  }
  return d?.privateLocks ? d : null;
}

/** A lock call made by the sentry: 0, or the negative errno. */
function result(r: number): number {
  return r < 0 ? -koffi.errno() : r;
}

function flock(t: Task, k: Kernel, fd: number, op: number): Reply {
  const d = privateLocks(t, k, fd, true);
  if (!d) return PASS;
  const proxy = k.locks.forDescription(d);
  // A lock free now is taken without a thread. (A failed conversion has
  // dropped the old lock, as the waiting one does on Linux.)
  const r = result(libcCalls.flock(proxy, op | LOCK_NB));
  if (r !== -E.EAGAIN || (op & (LOCK_NB | LOCK_UN))) return r;
  return { lockFd: proxy, op, flock: null };
}

/** struct flock (x86-64): the request as a guest gave it. */
class Flock {
  constructor(readonly raw: Uint8Array) {}
  private get v() { return new DataView(this.raw.buffer, this.raw.byteOffset, 32); }
  get type(): number { return this.v.getInt16(0, true); }
  get whence(): number { return this.v.getInt16(2, true); }
  get start(): bigint { return this.v.getBigInt64(8, true); }
  get len(): bigint { return this.v.getBigInt64(16, true); }
  get pid(): number { return this.v.getInt32(24, true); }
  static of(type: number, whence: number, start: bigint, len: bigint, pid: number, from?: Uint8Array): Flock {
    const f = new Flock(from ? Uint8Array.from(from) : new Uint8Array(32));
    const v = f.v;
    v.setInt16(0, type, true);
    v.setInt16(2, whence, true);
    v.setBigInt64(8, start, true);
    v.setBigInt64(16, len, true);
    v.setInt32(24, pid, true);
    return f;
  }
}

/**
 * The request with its start made absolute (SEEK_SET), as Linux computes it
 * (flock_to_posix_lock): the proxy has neither the guest's file position nor
 * its size. Linux's EINVAL and EOVERFLOW.
 */
function absolute(d: FileDescription, fl: Flock, pid: number): Flock {
  let base = 0n;
  if (fl.whence === SEEK_CUR) base = BigInt(sys(libcCalls.lseek(d.hostFd, 0, SEEK_CUR)));
  else if (fl.whence === SEEK_END) base = BigInt(descriptionStat(d).size);
  else if (fl.whence !== 0) throw new SysErr(E.EINVAL);
  if (fl.start > OFFSET_MAX - base) throw new SysErr(E.EOVERFLOW);
  let start = base + fl.start;
  if (start < 0n) throw new SysErr(E.EINVAL);
  let len = fl.len;
  if (len > 0n && len - 1n > OFFSET_MAX - start) throw new SysErr(E.EOVERFLOW);
  if (len < 0n) {
    start += len;
    len = -len;
    if (start < 0n) throw new SysErr(E.EINVAL);
  }
  return Flock.of(fl.type, 0, start, len, pid);
}

/**
 * fcntl's lock commands on a description whose locks are private. POSIX
 * locks are made as OFD locks on the process's proxy of the file, which
 * behaves as their owner; OFD locks on the description's proxy.
 */
function recordLock(t: Task, k: Kernel, fd: number, cmd: number, addr: number): Reply {
  const ofd = cmd === F.OFD_GETLK || cmd === F.OFD_SETLK || cmd === F.OFD_SETLKW;
  const getlk = cmd === F.GETLK || cmd === F.OFD_GETLK;
  const d = privateLocks(t, k, fd, ofd && !getlk);
  if (!d) return PASS;
  const asked = new Flock(t.mem.read(addr, 32));
  // Linux's order of checks: the type first for a test, after the range for a lock.
  const known = asked.type === F_RDLCK || asked.type === F_WRLCK;
  if (getlk && !known) throw new SysErr(E.EINVAL);
  // OFD requests keep the guest's l_pid, which the host checks (it must be 0).
  const fl = absolute(d, asked, ofd ? asked.pid : 0);
  if (!known && asked.type !== F_UNLCK) throw new SysErr(E.EINVAL);
  let proxy: number;
  if (ofd) {
    // Opened with the description's access mode: the host checks it.
    proxy = k.locks.forDescription(d);
  } else {
    const acc = d.flags & O.ACCMODE;
    if (!getlk && ((fl.type === F_RDLCK && acc === O.WRONLY) || (fl.type === F_WRLCK && acc === O.RDONLY))) {
      throw new SysErr(E.EBADF);
    }
    proxy = k.locks.forProcess(t.tg, d.at.inode);
  }
  if (getlk) return testLock(t, k, d, proxy, asked, fl, addr);
  const r = result(libcCalls.fcntlLock(proxy, F.OFD_SETLK, fl.raw));
  if (r !== -E.EAGAIN || (cmd !== F.SETLKW && cmd !== F.OFD_SETLKW)) return r;
  return { lockFd: proxy, op: 0, flock: fl.raw };
}

/**
 * F_GETLK and F_OFD_GETLK: the first conflicting lock, with the pid of the
 * process whose POSIX lock it is (-1 for an OFD lock), as Linux reports it.
 * With no conflict, only l_type changes (to F_UNLCK).
 */
function testLock(t: Task, k: Kernel, d: FileDescription, proxy: number, asked: Flock, fl: Flock, addr: number): number {
  const r = result(libcCalls.fcntlLock(proxy, F.OFD_GETLK, fl.raw));
  if (r < 0) return r;
  const found = fl;
  const reply = found.type === F_UNLCK
    ? Flock.of(F_UNLCK, asked.whence, asked.start, asked.len, asked.pid, asked.raw)
    : Flock.of(found.type, 0, found.start, found.len, holderPid(k, d, proxy, found), asked.raw);
  t.mem.write(addr, reply.raw);
  return 0;
}

/**
 * Whose POSIX lock `found` is: the process whose proxy of the file holds that
 * very lock, as the proxy's fdinfo lists it; -1 when none does (an OFD
 * lock, which has no owning process).
 */
function holderPid(k: Kernel, d: FileDescription, asker: number, found: Flock): number {
  const type = found.type === F_WRLCK ? 'WRITE' : 'READ';
  const end = found.len === 0n ? 'EOF' : String(found.start + found.len - 1n);
  const lock = new RegExp(`^lock:.*\\s${type}\\s+\\S+\\s+\\S+\\s+${found.start}\\s+${end}$`, 'm');
  for (const [tg, proxy] of k.locks.processesOn(d.at.inode)) {
    if (proxy === asker) continue;
    let info: string;
    try { info = readFileSync(`/proc/self/fdinfo/${proxy}`, 'utf8'); } catch { continue; }
    if (lock.test(info)) return tg.nsPid;
  }
  return -1;
}

/**
 * F_SETLEASE on a description whose locks are private: answered from the
 * sentry's record with Linux's checks (generic_setlease), never made on the
 * host file. A read lease needs the file open for writing nowhere: in the
 * sandbox a file it does not own never is (a write copies it up to another
 * inode, a read-only mount refuses it), so a read lease is granted and never
 * broken. A write lease is refused (EAGAIN, as while another description is
 * open): the sentry would have to break it at every other open of the file.
 */
function setLease(t: Task, k: Kernel, fd: number, arg: number): Reply {
  const d = k.files.lookup(t, fd);
  if (!d?.privateLocks) {
    if (d) k.files.dropUnheld((x) => x !== d && x.at.inode === d.at.inode);
    return PASS;
  }
  if (arg !== F_RDLCK && arg !== F_WRLCK && arg !== F_UNLCK) throw new SysErr(E.EINVAL);
  const st = descriptionStat(d);
  if (st.uid !== t.creds.fsuid && !capable(t.creds, CAP_LEASE)) throw new SysErr(E.EACCES);
  if (!isReg(st.mode)) throw new SysErr(E.EINVAL);
  if (arg === F_UNLCK) {
    if (d.lease === null) throw new SysErr(E.EAGAIN);
    d.lease = null;
    return 0;
  }
  if (arg === F_WRLCK || (d.flags & O.ACCMODE) !== O.RDONLY) throw new SysErr(E.EAGAIN);
  d.lease = F_RDLCK;
  return 0;
}

function getLease(t: Task, k: Kernel, fd: number): Reply {
  const d = k.files.lookup(t, fd);
  if (!d?.privateLocks) return PASS;
  return d.lease ?? F_UNLCK;
}

/** The fcntl commands served here (fcntl.ts traps them). */
export const LOCK_COMMANDS = [F.GETLK, F.SETLK, F.SETLKW, F.OFD_GETLK, F.OFD_SETLK, F.OFD_SETLKW, F.SETLEASE, F.GETLEASE];

export function lockFcntl(t: Task, k: Kernel, fd: number, cmd: number, arg: number): Reply {
  switch (cmd) {
    case F.SETLEASE: return setLease(t, k, fd, arg);
    case F.GETLEASE: return getLease(t, k, fd);
    default: return recordLock(t, k, fd, cmd, arg);
  }
}

export const lockFamily: SyscallFamily = {
  flock: entry(['fd', 'hex'], (t, a, k) => flock(t, k, a.int(0), a.int(1))),
};
