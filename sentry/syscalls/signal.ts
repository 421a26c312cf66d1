// The calls that name another process by pid to signal it (or to get a
// pidfd, through which to signal it): served only for the processes of the
// caller's pid namespace. The guests of a pod are all in the sandbox's one
// host pid namespace; a container's own pid namespace is the sentry's view
// (as proc's is), so a pid of another container is ESRCH, as a pid of
// another namespace is on Linux, and kill(-1) reaches the caller's
// namespace only. Every guest is host uid 0, so the host would let any guest
// signal any other: the sentry checks Linux's permission (check_kill_permission)
// with the sandbox's credentials, and what it allows runs natively (the host
// delivers).
import { E, SysErr } from '../abi/errno.js';
import { CAP, capable } from '../auth/creds.js';
import { readFileSync } from 'node:fs';
import { ForeignFd } from '../host/foreign.js';
import { libcCalls } from '../host/native.js';
import { statFields } from '../host/proc-stat.js';
import type { Kernel } from '../kernel/kernel.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task, ThreadGroup } from '../kernel/task.js';
import type { ProcessIds } from '../kernel/zombies.js';

/** The sandbox's init: pid 1 of every container's view (the host keeps it from signals it does not handle). */
const INIT = 1;

/**
 * The process or thread with sandbox id `id`: a task the sentry follows, or
 * a zombie its parent has not waited for (Linux still finds it by its pid).
 */
function taskOf(k: Kernel, id: number): ProcessIds | undefined {
  for (const t of k.tasks.values()) if (t.tg.nsPid === id && t.tid === t.tg.tgid) return t;
  for (const t of k.tasks.values()) if (t.nsTid() === id) return t;
  return k.zombies.find(id);
}

/** Is the process `tg` in the caller's pid namespace (its container's pid group)? */
export function inCallersView(t: Task, tg: ThreadGroup): boolean {
  return tg.container?.pidGroup === t.tg.container?.pidGroup;
}

/** Is `id` (a pid or tid) in the caller's pid namespace? */
function inView(t: Task, k: Kernel, id: number): boolean {
  if (id === INIT) return true;
  const target = taskOf(k, id);
  return target !== undefined && inCallersView(t, target.tg);
}

/** ESRCH unless `id` is in the caller's pid namespace; then the host serves the call. */
export function passIfInView(t: Task, k: Kernel, id: number): Reply {
  if (id > 0 && !inView(t, k, id)) throw new SysErr(E.ESRCH);
  return PASS;
}

/** Linux's kill_ok_by_cred: CAP_KILL, or the sender's uid or euid is the target's uid or saved uid. */
function maySignal(from: Task, to: ProcessIds): boolean {
  const a = from.creds;
  const b = to.creds;
  return capable(a, CAP.KILL) || [a.uid, a.euid].some((u) => u === b.uid || u === b.suid);
}

const SIGCONT = 18;
/** pidfd_send_signal's flag: to the process group the pidfd's process leads. */
const PIDFD_SIGNAL_PROCESS_GROUP = 4;
const validSignal = (sig: number) => sig >= 0 && sig <= 64;

/**
 * check_kill_permission: a process may signal its own threads, a process its
 * credentials may (maySignal), and with SIGCONT one of its session. Signal 0
 * is checked too (kill(pid, 0) tells whether the caller may).
 */
function permitted(from: Task, to: ProcessIds, sig: number): boolean {
  return from.tg === to.tg || maySignal(from, to) ||
    (sig === SIGCONT && libcCalls.getsid(from.tid) === libcCalls.getsid(to.tid));
}

/**
 * A signal to one process or thread: ESRCH outside the caller's pid
 * namespace, EPERM where Linux refuses it; else the host delivers it. An
 * invalid signal is the host's to refuse (EINVAL).
 */
function toOne(t: Task, k: Kernel, id: number, sig: number): Reply {
  passIfInView(t, k, id);
  const target = id > 0 ? taskOf(k, id) : undefined;
  if (target && validSignal(sig) && !permitted(t, target, sig)) throw new SysErr(E.EPERM);
  return PASS;
}

/**
 * A signal to a process group (kill(0) or kill(-pgid)): as __kill_pgrp_info,
 * each member the caller may signal gets it, and the call fails (EPERM) only
 * when none may. When all may, the host delivers to the group itself.
 */
function toGroup(t: Task, k: Kernel, hostPgid: number, sig: number): Reply {
  if (!validSignal(sig)) return PASS;
  const members = [...k.threadGroups()].filter((tg) => tg.tasks.size > 0 && libcCalls.getpgid(tg.tgid) === hostPgid &&
    inCallersView(t, tg));
  const allowed = members.filter((tg) => permitted(t, tg.tasks.values().next().value!, sig));
  if (allowed.length === members.length) return PASS;
  if (allowed.length === 0) throw new SysErr(E.EPERM);
  if (sig !== 0) for (const tg of allowed) k.platform.kill(tg.tgid, sig);
  return 0;
}

/** kill(2) of a pid, of the caller's group (0) or of a group (-pgid): to one, to a group, or to all (-1, killAll). */
function kill(t: Task, k: Kernel, pid: number, sig: number): Reply {
  if (pid === -1) return killAll(t, k, sig);
  if (pid > 0) return toOne(t, k, pid, sig);
  if (pid === 0) return toGroup(t, k, libcCalls.getpgid(t.tid), sig);
  // A group named by its id, its leader's pid: the leader (in view), or, once the leader has been reaped, one of
  // its members (Linux finds a group while any member lives).
  const leader = taskOf(k, -pid);
  if (leader) {
    if (!inCallersView(t, leader.tg)) throw new SysErr(E.ESRCH);
    return toGroup(t, k, leader.tg.tgid, sig);
  }
  const member = groupMember(t, k, -pid);
  if (!member) throw new SysErr(E.ESRCH);
  return toGroup(t, k, libcCalls.getpgid(member.tgid), sig);
}

/** A live process of the caller's pid group in the process group `nsPgid`, by the sandbox's proc (sandbox ids). */
function groupMember(t: Task, k: Kernel, nsPgid: number): ThreadGroup | undefined {
  for (const tg of k.threadGroups()) {
    if (tg.tasks.size === 0 || !inCallersView(t, tg)) continue;
    try {
      if (Number(statFields(k.proc.text(`${tg.nsPid}/stat`))[2]) === nsPgid) return tg;
    } catch { /* it ended meanwhile */ }
  }
  return undefined;
}

/**
 * pidfd_send_signal(2): the process the pidfd names (its host pid, from the
 * fdinfo of the sentry's copy) is checked as kill's target. Anything else
 * (not a pidfd, a process that ended, one that is not a guest) is the host's
 * to answer.
 */
function pidfdSignal(t: Task, k: Kernel, pidfd: number, sig: number, flags: number): Reply {
  const hostPid = ForeignFd.with(t, pidfd, (held) => {
    const m = /^Pid:\s*(-?\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${held.hostFd}`, 'latin1'));
    return m ? Number(m[1]) : -1;
  });
  if (hostPid > 0 && flags & PIDFD_SIGNAL_PROCESS_GROUP) return toGroup(t, k, hostPid, sig);
  const target = hostPid > 0 ? k.tasks.get(hostPid) : undefined;
  if (target && validSignal(sig) && !permitted(t, target, sig)) throw new SysErr(E.EPERM);
  return PASS;
}

/**
 * kill(-1): every process of the caller's namespace but itself and init, as
 * kill_something_info: each one the caller may signal (permitted) gets it,
 * and the call reports no EPERM, only that there was none (ESRCH) or an
 * invalid signal (EINVAL, when there is one to refuse it). A zombie counts
 * (Linux walks every task it still has) and takes nothing.
 */
function killAll(t: Task, k: Kernel, sig: number): number {
  let count = 0;
  for (const tg of k.threadGroups()) {
    if (tg === t.tg || !inCallersView(t, tg)) continue;
    const leader = [...tg.tasks][0];
    if (!leader) continue;
    count++;
    if (validSignal(sig) && sig !== 0 && permitted(t, leader, sig)) k.platform.kill(tg.tgid, sig);
  }
  if (count === 0 && !k.zombies.some((z) => z.tg !== t.tg && inCallersView(t, z.tg))) throw new SysErr(E.ESRCH);
  if (!validSignal(sig)) throw new SysErr(E.EINVAL);
  return 0;
}

export const signalFamily: SyscallFamily = {
  kill: entry(['int', 'int'], (t, a, k) => kill(t, k, a.int(0), a.int(1))),
  tkill: entry(['int', 'int'], (t, a, k) => toOne(t, k, a.int(0), a.int(1))),
  tgkill: entry(['int', 'int', 'int'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return toOne(t, k, a.int(1), a.int(2));
  }),
  rt_sigqueueinfo: entry(['int', 'int', 'ptr'], (t, a, k) => toOne(t, k, a.int(0), a.int(1))),
  rt_tgsigqueueinfo: entry(['int', 'int', 'int', 'ptr'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return toOne(t, k, a.int(1), a.int(2));
  }),
  pidfd_open: entry(['int', 'hex'], (t, a, k) => passIfInView(t, k, a.int(0))),
  pidfd_send_signal: entry(['fd', 'int', 'ptr', 'hex'], (t, a, k) => pidfdSignal(t, k, a.int(0), a.int(1), a.uint(3))),
};
