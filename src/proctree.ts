// The host's view of a sandbox's processes (the runtime's ps and kill --all, tests, the soak): whose
// children are whose, and what each one runs.
import { readFileSync } from 'node:fs';

/** The host pids of `pid`'s children (none once it is gone). */
export function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Every descendant of `pid`, parents before their children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const c of children(pid)) out.push(c, ...descendants(c));
  return out;
}

/** `pid`'s command line, NUL-separated ('' once it is gone). */
export const cmdline = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return ''; } };
