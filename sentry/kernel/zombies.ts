// Processes that have ended and that their parent may not yet have waited
// for. Linux still finds a zombie by its pid: kill (with the permission check
// of its credentials), getpgid, getsid and pidfd_open answer for it until its
// parent reaps it. The sentry forgets a task at its exit (its tracer's wait
// leaves the zombie to the real parent, and the parent's wait is not trapped),
// so the last processes that ended are kept here, and the host's proc says
// whether one is still a zombie when its pid is asked for. What is found here
// only lets a call through to the host, which answers for the pid as it is
// then: a stale entry cannot make a call reach a process it would not.
import type { Creds } from '../auth/creds.js';
import { hostStatFields } from '../host/proc-stat.js';
import type { ThreadGroup } from './task.js';

/** What a signal's permission check reads of a process (kill's target): a zombie has no task left. */
export interface ProcessIds { tg: ThreadGroup; creds: Creds; tid: number }

/** The most kept: a process still unreaped after this many others ended is no longer found (ESRCH). */
const KEPT = 4096;

export class Zombies {
  private readonly byNsPid = new Map<number, ProcessIds>();

  /** The thread group `tg` ended (its last task exited); `creds` were its last. */
  ended(tg: ThreadGroup, creds: Creds): void {
    this.byNsPid.delete(tg.nsPid);
    this.byNsPid.set(tg.nsPid, { tg, creds, tid: tg.tgid });
    if (this.byNsPid.size > KEPT) this.byNsPid.delete(this.byNsPid.keys().next().value!);
  }

  /** The zombie with this pid in the sandbox's pid namespace, if its parent has not reaped it. */
  find(nsPid: number): ProcessIds | undefined {
    const z = this.byNsPid.get(nsPid);
    if (z && !isZombie(z.tid)) {
      this.byNsPid.delete(nsPid);
      return undefined;
    }
    return z;
  }

  /** Whether an unreaped zombie satisfies `f` (the stale entries met on the way are dropped). */
  some(f: (z: ProcessIds) => boolean): boolean {
    for (const [nsPid, z] of [...this.byNsPid]) {
      if (!isZombie(z.tid)) this.byNsPid.delete(nsPid);
      else if (f(z)) return true;
    }
    return false;
  }

  /** A new process has the pid: the one that ended with it is gone. */
  forget(nsPid: number): void {
    this.byNsPid.delete(nsPid);
  }
}

/** The host process `pid` has exited and is not reaped (state Z). */
function isZombie(pid: number): boolean {
  try {
    return hostStatFields(pid)[0] === 'Z';
  } catch {
    return false;
  }
}
