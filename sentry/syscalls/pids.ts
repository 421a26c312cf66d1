// The calls that name a process by pid to read or change it, other than
// signals (signal.ts): its limits, scheduling, priorities, process group
// and session. As for signals, a process of another container of the pod is
// not in the caller's pid namespace: ESRCH, as Linux answers for a pid
// outside its namespace. The seccomp filter lets a call on the caller itself
// (pid 0) run natively untrapped (allowIfEqual); what the sentry allows runs
// natively too (the host checks permissions and acts).
import { entry, PASS, type SyscallFamily } from '../kernel/syscalls.js';
import { passIfInView } from './signal.js';

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

/**
 * A priority call: a process, or a group named by its leader, must be in
 * view. A uid's processes (PRIO_USER) are left to the host, which reaches
 * those of the sandbox's whole pid namespace: the pod's (a known gap).
 */
function byWho(kinds: { PROCESS: number; PGRP: number }) {
  return entry(['int', 'int'], (t, a, k) => {
    const which = a.int(0);
    return which === kinds.PROCESS || which === kinds.PGRP ? passIfInView(t, k, a.int(1)) : PASS;
  });
}

export const pidsFamily: SyscallFamily = {
  prlimit64: byPid, sched_setaffinity: byPid, sched_getaffinity: byPid, sched_setparam: byPid, sched_getparam: byPid,
  sched_setscheduler: byPid, sched_getscheduler: byPid, sched_rr_get_interval: byPid, sched_setattr: byPid,
  sched_getattr: byPid, getpgid: byPid, getsid: byPid, get_robust_list: byPid,
  getpriority: byWho(PRIO), setpriority: byWho(PRIO), ioprio_get: byWho(IOPRIO_WHO), ioprio_set: byWho(IOPRIO_WHO),
  // kcmp compares two processes' resources: both must be in view (it is rare: always trapped).
  kcmp: entry(['int', 'int', 'int'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return passIfInView(t, k, a.int(1));
  }),
};
