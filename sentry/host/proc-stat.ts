// A process's /proc/<pid>/stat, and a thread's name on the host. The stat's
// second field, the command name in parentheses, may hold spaces and
// parentheses itself: it ends at the last ')', and the other fields follow,
// separated by spaces.
import { readFileSync } from 'node:fs';

/** The fields of a stat file's text after the command name: [0] is the state (proc(5)'s field 3), [n - 3] field n. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The fields of the host's /proc/<pid>/stat after the command name (statFields). Throws as readFileSync does. */
export function hostStatFields(pid: number): string[] {
  return statFields(readFileSync(`/proc/${pid}/stat`, 'latin1'));
}

/** A thread's name on the host (/proc/<tid>/comm), '' if it is gone. */
export function hostComm(tid: number): string {
  try { return readFileSync(`/proc/${tid}/comm`, 'latin1').replace(/\n$/, ''); } catch { return ''; }
}
