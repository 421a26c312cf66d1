// The calls that name a process by pid to read or change it, other than
// signals (signal.ts): its limits, scheduling, priorities, process group
// and session. As for signals, a process of another container of the pod is
// not in the caller's pid namespace: ESRCH, as Linux answers for a pid
// outside its namespace. The seccomp filter lets a call on the caller itself
// (pid 0) run natively untrapped (allowIfEqual); what the sentry allows runs
// natively too (the host checks permissions and acts). A uid's processes
// (PRIO_USER, IOPRIO_WHO_USER) are the sentry's to find, as the host knows
// neither the guests' uids nor the containers: it acts on each thread itself.
import koffi from '../../native/koffi.js';
import { E, SysErr } from '../abi/errno.js';
import { CAP, capable } from '../auth/creds.js';
import { ioprio as hostIoprio, libcCalls } from '../host/native.js';
import type { Kernel } from '../kernel/kernel.js';
import { entry, PASS, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task } from '../kernel/task.js';
import { inCallersView, passIfInView } from './signal.js';

/** setpriority's and ioprio_set's `which` (their numbers differ). */
const PRIO = { PROCESS: 0, PGRP: 1, USER: 2 };
const IOPRIO_WHO = { PROCESS: 1, PGRP: 2, USER: 3 };

/** Each call's filter rule (seccomp.ts's allowIfEqual): native when it names the caller itself, trapped otherwise. */
export const PID_CALL_RULES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  prlimit64: [[0, 0]],
  sched_setaffinity: [[0, 0]], sched_getaffinity: [[0, 0]], sched_setparam: [[0, 0]], sched_getparam: [[0, 0]],
  sched_setscheduler: [[0, 0]], sched_getscheduler: [[0, 0]], sched_rr_get_interval: [[0, 0]],
  sched_setattr: [[0, 0]], sched_getattr: [[0, 0]],
  getpgid: [[0, 0]], getsid: [[0, 0]], get_robust_list: [[0, 0]],
  getpriority: [[0, PRIO.PROCESS], [1, 0]], setpriority: [[0, PRIO.PROCESS], [1, 0]],
  ioprio_get: [[0, IOPRIO_WHO.PROCESS], [1, 0]], ioprio_set: [[0, IOPRIO_WHO.PROCESS], [1, 0]],
};

const byPid = entry(['int'], (t, a, k) => passIfInView(t, k, a.int(0)));

/** A priority call: a process, or a group named by its leader, must be in view; a uid's are served by `forUser`. */
function byWho(kinds: { PROCESS: number; PGRP: number; USER: number }, forUser: (t: Task, k: Kernel, who: number, value: number) => number) {
  return entry(['int', 'int', 'int'], (t, a, k) => {
    const which = a.int(0);
    if (which === kinds.PROCESS || which === kinds.PGRP) return passIfInView(t, k, a.int(1));
    if (which !== kinds.USER) throw new SysErr(E.EINVAL);
    return forUser(t, k, a.uint(1), a.int(2));
  });
}

/** The threads of the caller's pid namespace whose real uid is `uid` (Linux's task_uid). */
function* threadsOf(t: Task, k: Kernel, uid: number): Iterable<Task> {
  for (const p of k.tasks.values()) if (p.creds.uid === uid && inCallersView(t, p.tg)) yield p;
}

/** A host call on one thread: its value, or null if the thread is gone meanwhile. */
function onThread(ret: number): number | null {
  if (ret !== -1) return ret;
  const errno = koffi.errno();
  if (errno === E.ESRCH) return null;
  throw new SysErr(errno);
}

const MIN_NICE = -20;
const MAX_NICE = 19;
const RLIMIT_NICE = 13;
const niceToRlimit = (nice: number) => 20 - nice;

/** The thread's nice value, read from the host (errno cleared first: -1 is a nice value). */
function niceOf(p: Task): number | null {
  koffi.errno(0);
  const nice = libcCalls.getpriority(PRIO.PROCESS, p.tid);
  return nice === -1 && koffi.errno() !== 0 ? onThread(-1) : nice;
}

/** Linux's can_nice: RLIMIT_NICE of the target, or CAP_SYS_NICE of the caller. */
function canNice(t: Task, p: Task, nice: number): boolean {
  if (capable(t.creds, CAP.SYS_NICE)) return true;
  const lim = new BigUint64Array(2);
  if (libcCalls.prlimit(p.tid, RLIMIT_NICE, null, lim) < 0) return false;
  return BigInt(niceToRlimit(nice)) <= lim[0]!;
}

/** setpriority(PRIO_USER): Linux's set_one_prio on each thread; the last error stands, else 0 (ESRCH: none). */
function setUserNice(t: Task, k: Kernel, who: number, value: number): number {
  const uid = who || t.creds.uid;
  const nice = Math.min(MAX_NICE, Math.max(MIN_NICE, value));
  let result = -E.ESRCH;
  for (const p of threadsOf(t, k, uid)) {
    const current = niceOf(p);
    if (current === null) continue;
    if (p.creds.uid !== t.creds.euid && p.creds.euid !== t.creds.euid && !capable(t.creds, CAP.SYS_NICE)) result = -E.EPERM;
    else if (nice < current && !canNice(t, p, nice)) result = -E.EACCES;
    else if (onThread(libcCalls.setpriority(PRIO.PROCESS, p.tid, nice)) !== null && result === -E.ESRCH) result = 0;
  }
  return result;
}

/** getpriority(PRIO_USER): the highest priority (as the raw call counts it, 20 - nice) of the uid's threads. */
function getUserNice(t: Task, k: Kernel, who: number): number {
  const uid = who || t.creds.uid;
  let best = -E.ESRCH;
  for (const p of threadsOf(t, k, uid)) {
    const nice = niceOf(p);
    if (nice !== null && niceToRlimit(nice) > best) best = niceToRlimit(nice);
  }
  return best;
}

const IOPRIO_CLASS = { NONE: 0, RT: 1, BE: 2, IDLE: 3 };
const IOPRIO_CLASS_SHIFT = 13;
const IOPRIO_NR_LEVELS = 8;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_IDLE = 5;

/**
 * ioprio_set(IOPRIO_WHO_USER): the value's checks (ioprio_check_cap), then
 * each thread, stopping at the first error. Its who 0 is uid 0, not the
 * caller's (Linux takes make_kuid of it as it is).
 */
function setUserIoprio(t: Task, k: Kernel, uid: number, ioprio: number): number {
  const cls = (ioprio >>> IOPRIO_CLASS_SHIFT) & 0x7;
  const level = ioprio & 0x7;
  if (cls === IOPRIO_CLASS.RT && !capable(t.creds, CAP.SYS_NICE) && !capable(t.creds, CAP.SYS_ADMIN)) return -E.EPERM;
  if (((cls === IOPRIO_CLASS.RT || cls === IOPRIO_CLASS.BE) && level >= IOPRIO_NR_LEVELS) ||
      (cls === IOPRIO_CLASS.NONE && level !== 0) || cls > IOPRIO_CLASS.IDLE) return -E.EINVAL;
  let result = -E.ESRCH;
  for (const p of threadsOf(t, k, uid)) {
    if (p.creds.uid !== t.creds.euid && p.creds.uid !== t.creds.uid && !capable(t.creds, CAP.SYS_NICE)) return -E.EPERM;
    if (onThread(hostIoprio.set(IOPRIO_WHO.PROCESS, p.tid, ioprio)) !== null) result = 0;
  }
  return result;
}

/**
 * A thread's I/O priority as ioprio_get counts it for a group or a uid
 * (get_task_ioprio): one it never set follows its scheduling and nice value.
 */
function effectiveIoprio(p: Task): number | null {
  const raw = onThread(hostIoprio.get(IOPRIO_WHO.PROCESS, p.tid));
  if (raw === null || raw >>> IOPRIO_CLASS_SHIFT !== IOPRIO_CLASS.NONE) return raw;
  const policy = onThread(libcCalls.schedGetscheduler(p.tid));
  const nice = niceOf(p);
  if (policy === null || nice === null) return null;
  const cls = policy === SCHED_IDLE ? IOPRIO_CLASS.IDLE : policy === SCHED_FIFO || policy === SCHED_RR ? IOPRIO_CLASS.RT : IOPRIO_CLASS.BE;
  return (cls << IOPRIO_CLASS_SHIFT) | Math.floor((nice + 20) / 5);
}

/** ioprio_get(IOPRIO_WHO_USER, who 0: the caller's uid): the best (lowest) of the uid's threads' priorities. */
function getUserIoprio(t: Task, k: Kernel, who: number): number {
  let best = -E.ESRCH;
  for (const p of threadsOf(t, k, who || t.creds.uid)) {
    const prio = effectiveIoprio(p);
    if (prio !== null) best = best === -E.ESRCH ? prio : Math.min(best, prio);
  }
  return best;
}

export const pidsFamily: SyscallFamily = {
  prlimit64: byPid, sched_setaffinity: byPid, sched_getaffinity: byPid, sched_setparam: byPid, sched_getparam: byPid,
  sched_setscheduler: byPid, sched_getscheduler: byPid, sched_rr_get_interval: byPid, sched_setattr: byPid,
  sched_getattr: byPid, getpgid: byPid, getsid: byPid, get_robust_list: byPid,
  getpriority: byWho(PRIO, getUserNice), setpriority: byWho(PRIO, setUserNice),
  ioprio_get: byWho(IOPRIO_WHO, getUserIoprio), ioprio_set: byWho(IOPRIO_WHO, setUserIoprio),
  // kcmp compares two processes' resources: both must be in view (it is rare: always trapped).
  kcmp: entry(['int', 'int', 'int'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return passIfInView(t, k, a.int(1));
  }),
};
