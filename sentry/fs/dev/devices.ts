// Character devices a guest may open: each is the host's own device, which
// keeps no state that one sandbox could see of another; /dev/tty is the
// caller's controlling terminal.
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { currentTask } from '../../kernel/current.js';
import { E, SysErr } from '../../kernel/errno.js';
import { ForeignFd, reopenAllowed } from '../../kernel/foreign.js';
import { makedev } from '../../vfs/devices.js';
import type { Owner } from '../../vfs/inode.js';
import { O, S_IFCHR, S_IFMT } from '../../vfs/types.js';
import { host } from '../host.js';
import type { TmpfsDir } from '../tmpfs/tmpfs.js';

const HOST_DEVICES = new Map<number, string>([
  [makedev(1, 3), '/dev/null'],
  [makedev(1, 5), '/dev/zero'],
  [makedev(1, 7), '/dev/full'],
  [makedev(1, 8), '/dev/random'],
  [makedev(1, 9), '/dev/urandom'],
]);

const TTY = makedev(5, 0);

/** The /dev path (the host's and the sandbox's alike) of a device a guest may open, by number. */
export function devicePath(rdev: number): string | null {
  return HOST_DEVICES.get(rdev) ?? null;
}

const OPEN_FLAGS = O.ACCMODE | O.APPEND | O.NONBLOCK | O.NOCTTY;

/** Opens the host device behind a device node's number; ENXIO for any other (no such driver here). */
export function openDevice(rdev: number, flags: number): number {
  if (rdev === TTY) return openControllingTerminal(flags);
  const path = HOST_DEVICES.get(rdev);
  if (!path) throw new SysErr(E.ENXIO);
  return host(() => openSync(path, (flags & OPEN_FLAGS) | O.CLOEXEC));
}

/**
 * The caller's controlling terminal, reopened from one of the caller's own
 * fds that is that terminal (device numbers alone cannot tell the sandbox's
 * ptys from the host's), with at most that fd's access: the sentry takes
 * each fd once and checks and reopens that very description. ENXIO without
 * one, as Linux answers; EACCES when every fd on it gives less access than
 * asked for.
 */
function openControllingTerminal(flags: number): number {
  const t = currentTask();
  if (!t) throw new SysErr(E.ENXIO);
  const stat = host(() => readFileSync(`/proc/${t.tid}/stat`, 'latin1'));
  const ttyNr = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
  if (!ttyNr) throw new SysErr(E.ENXIO);
  let refused = false;
  for (const fd of host(() => readdirSync(`/proc/${t.tid}/fd`))) {
    let held: ForeignFd;
    try { held = ForeignFd.take(t, Number(fd)); } catch { continue; /* closed meanwhile */ }
    try {
      const s = held.stat();
      if ((s.mode & S_IFMT) !== S_IFCHR || s.rdev !== ttyNr) continue;
      if (reopenAllowed(held.flags(), flags)) return held.reopen(flags);
      refused = true;
    } finally {
      held.close();
    }
  }
  throw new SysErr(refused ? E.EACCES : E.ENXIO);
}

/**
 * The nodes, links and directories of a fresh /dev (a tmpfs); /dev/pts is
 * mounted on it. `console` names the sandbox's terminal (a pty of /dev/pts),
 * when it has one.
 */
export function populateDev(dev: TmpfsDir, console: string | null): void {
  const root: Owner = { uid: 0, gid: 0 };
  const nodes: [string, number, number][] = [
    ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
  ];
  for (const [name, maj, min] of nodes) dev.mknod(name, S_IFCHR | 0o666, makedev(maj, min), root);
  dev.symlink('fd', '/proc/self/fd', root);
  dev.symlink('stdin', '/proc/self/fd/0', root);
  dev.symlink('stdout', '/proc/self/fd/1', root);
  dev.symlink('stderr', '/proc/self/fd/2', root);
  dev.mkdir('shm', 0o1777, root);
  dev.mkdir('pts', 0o755, root);
  dev.symlink('ptmx', 'pts/ptmx', root);
  if (console) dev.symlink('console', console, root);
}
