// Character devices a guest may open: each is the host's own device, which
// keeps no state that one sandbox could see of another; /dev/tty is the
// caller's controlling terminal. Registered in the VFS's device table at
// boot (registerDevices), through which any filesystem's nodes reach them.
import { openSync, readdirSync } from 'node:fs';
import { E, SysErr } from '../../abi/errno.js';
import { O } from '../../abi/flags.js';
import { S_IFCHR, S_IFMT } from '../../abi/stat.js';
import { host } from '../../host/fd.js';
import { ForeignFd, reopenAllowed } from '../../host/foreign.js';
import type { Context } from '../../vfs/context.js';
import { makedev, registerCharDevice } from '../../vfs/devices.js';
import type { VfsPath } from '../../vfs/mount.js';
import { hostStatFields } from '../../host/proc-stat.js';
import { type Actor, mkdirAt, mknodAt, symlinkAt } from '../../vfs/ops.js';

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

/** Registers the host's devices and /dev/tty in the VFS's device table. */
export function registerDevices(): void {
  for (const [rdev, path] of HOST_DEVICES) {
    registerCharDevice(rdev, (flags) => host(() => openSync(path, (flags & OPEN_FLAGS) | O.CLOEXEC)));
  }
  registerCharDevice(TTY, openControllingTerminal);
}

/**
 * The caller's controlling terminal, reopened from one of the caller's own
 * fds that is that terminal (device numbers alone cannot tell the sandbox's
 * ptys from the host's), with at most that fd's access: the sentry takes
 * each fd once and checks and reopens that very description. ENXIO without
 * one, as Linux answers; EACCES when every fd on it gives less access than
 * asked for.
 */
function openControllingTerminal(flags: number, ctx: Context): number {
  const t = ctx;
  if (t.tid === null || !t.pidfd) throw new SysErr(E.ENXIO);
  const caller = { pidfd: t.pidfd.bind(t) };
  const tid = t.tid;
  const ttyNr = Number(host(() => hostStatFields(tid))[4]);
  if (!ttyNr) throw new SysErr(E.ENXIO);
  let refused = false;
  for (const fd of host(() => readdirSync(`/proc/${t.tid}/fd`))) {
    let held: ForeignFd;
    try { held = ForeignFd.take(caller, Number(fd)); } catch { continue; /* closed meanwhile */ }
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
 * The nodes, links and directories of a fresh /dev (a tmpfs mounted at
 * `dev`), made by `boot` through the VFS operations as any creator's would
 * be; /dev/pts is mounted on it. `console` names the sandbox's terminal
 * (a pty of /dev/pts), when it has one.
 */
export function populateDev(boot: Actor, dev: VfsPath, console: string | null): void {
  const nodes: [string, number, number][] = [
    ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
  ];
  for (const [name, maj, min] of nodes) mknodAt(boot, dev, name, S_IFCHR | 0o666, makedev(maj, min));
  symlinkAt(boot, dev, 'fd', '/proc/self/fd');
  symlinkAt(boot, dev, 'stdin', '/proc/self/fd/0');
  symlinkAt(boot, dev, 'stdout', '/proc/self/fd/1');
  symlinkAt(boot, dev, 'stderr', '/proc/self/fd/2');
  mkdirAt(boot, dev, 'shm', 0o1777);
  mkdirAt(boot, dev, 'pts', 0o755);
  symlinkAt(boot, dev, 'ptmx', 'pts/ptmx');
  if (console) symlinkAt(boot, dev, 'console', console);
}
