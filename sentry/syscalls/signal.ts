// The calls that name another process by pid to signal it (or to get a
// pidfd, through which to signal it): served only for the processes of the
// caller's pid namespace. The guests of a pod are all in the sandbox's one
// host pid namespace; a container's own pid namespace is the sentry's view
// (as proc's is), so a pid of another container is ESRCH, as a pid of
// another namespace is on Linux, and kill(-1) reaches the caller's
// namespace only. What is allowed runs natively (the host checks
// permissions and delivers).
import { E, SysErr } from '../abi/errno.js';
import { CAP, capable } from '../auth/creds.js';
import type { Kernel } from '../kernel/kernel.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task } from '../kernel/task.js';

/** The sandbox's init: pid 1 of every container's view (the host keeps it from signals it does not handle). */
const INIT = 1;

/** The task with sandbox id `id` (a process's or a thread's), if the sentry follows it. */
function taskOf(k: Kernel, id: number): Task | undefined {
  for (const t of k.tasks.values()) if (t.tg.nsPid === id && t.tid === t.tg.tgid) return t;
  for (const t of k.tasks.values()) if (t.nsTid() === id) return t;
  return undefined;
}

/** Is `id` (a pid or tid) in the caller's pid namespace? */
function inView(t: Task, k: Kernel, id: number): boolean {
  if (id === INIT) return true;
  const target = taskOf(k, id);
  return target !== undefined && target.tg.container?.pidGroup === t.tg.container?.pidGroup;
}

/** ESRCH unless `id` is in the caller's pid namespace; then the host serves the call. */
export function passIfInView(t: Task, k: Kernel, id: number): Reply {
  if (id > 0 && !inView(t, k, id)) throw new SysErr(E.ESRCH);
  return PASS;
}

/** Linux's kill_ok_by_cred: CAP_KILL, or the sender's uid or euid is the target's uid or saved uid. */
function maySignal(from: Task, to: Task): boolean {
  const a = from.creds;
  const b = to.creds;
  return capable(a, CAP.KILL) || [a.uid, a.euid].some((u) => u === b.uid || u === b.suid);
}

/** kill(-1): every process of the caller's namespace but itself and init. */
function killAll(t: Task, k: Kernel, sig: number): number {
  if (sig < 0 || sig > 64) throw new SysErr(E.EINVAL);
  let sent = 0;
  let denied = false;
  for (const tg of k.threadGroups()) {
    if (tg === t.tg || tg.container?.pidGroup !== t.tg.container?.pidGroup) continue;
    const leader = [...tg.tasks][0];
    if (!leader) continue;
    if (!maySignal(t, leader)) { denied = true; continue; }
    if (sig !== 0) k.platform.kill(tg.tgid, sig);
    sent++;
  }
  if (sent > 0) return 0;
  throw new SysErr(denied ? E.EPERM : E.ESRCH);
}

export const signalFamily: SyscallFamily = {
  kill: entry(['int', 'int'], (t, a, k) => {
    const pid = a.int(0);
    if (pid === -1) return killAll(t, k, a.int(1));
    // 0: the caller's own process group; -pgid: a group, named by its leader, which must be in view.
    return passIfInView(t, k, pid < -1 ? -pid : pid);
  }),
  tkill: entry(['int', 'int'], (t, a, k) => passIfInView(t, k, a.int(0))),
  tgkill: entry(['int', 'int', 'int'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return passIfInView(t, k, a.int(1));
  }),
  rt_sigqueueinfo: entry(['int', 'int', 'ptr'], (t, a, k) => passIfInView(t, k, a.int(0))),
  rt_tgsigqueueinfo: entry(['int', 'int', 'int', 'ptr'], (t, a, k) => {
    passIfInView(t, k, a.int(0));
    return passIfInView(t, k, a.int(1));
  }),
  pidfd_open: entry(['int', 'hex'], (t, a, k) => passIfInView(t, k, a.int(0))),
};
