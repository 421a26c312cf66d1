// The parts of proc that name files and mounts, told in the sandbox's terms.
import type { Kernel } from '../../kernel/kernel.js';
import type { ThreadGroup, Task } from '../../kernel/task.js';
import type { Inode } from '../../vfs/inode.js';
import { major, minor } from '../../vfs/devices.js';
import type { Mount, MountNamespace, VfsPath } from '../../vfs/mount.js';
import { pathOf } from '../../vfs/walk.js';
import { closeSync } from 'node:fs';
import { hostFstat } from '../../host/fd.js';
import { native, tv } from '../../host/native.js';

/** Whose view paths are told in: a task, or the sandbox's root for init. */
export interface View { ns: MountNamespace; root: VfsPath }

interface Known { inode: Inode; path: string }

/** The files a process opened, by the host file behind each (`major:minor:ino`). */
function knownFiles(tg: ThreadGroup): Map<string, Known> {
  const out = new Map<string, Known>();
  for (const [inode, path] of tg.opened) {
    const key = inode.hostKey();
    if (key) out.set(key, { inode, path });
  }
  return out;
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

/** The host device of memfds (the kernel's internal shmem mount), as maps writes it: found once, from a memfd of our own. */
let memfdDevice: string | null = null;
function memfdDev(): string {
  if (memfdDevice === null) {
    const fd = tv(native.memfd('tvisor-dev', 0));
    try {
      const { dev } = hostFstat(fd);
      memfdDevice = `${hex(major(dev))}:${hex(minor(dev))}`;
    } finally {
      closeSync(fd);
    }
  }
  return memfdDevice;
}

/**
 * maps and smaps: each mapping of a file names the sandbox file it came from,
 * with its sandbox device and inode number. A mapping of a host file the
 * process never opened through the sentry cannot be named without telling
 * a host path, so it shows no name; but a memfd's (a guest makes them
 * natively) is its maker's name, /memfd:NAME (deleted), with the device and
 * inode number fstat of it shows.
 */
export function mapsOf(k: Kernel, tg: ThreadGroup, text: string): string {
  let known: Map<string, Known> | null = null;
  const header = /^([0-9a-f]+-[0-9a-f]+ \S{4} [0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)(\s*)(.*)$/;
  return text.split('\n').map((line) => {
    const m = header.exec(line);
    if (!m || m[4] === '0') return line;
    known ??= knownFiles(tg);
    const hostKey = `${parseInt(m[2]!, 16)}:${parseInt(m[3]!, 16)}:${m[4]}`;
    const f = known.get(hostKey);
    if (!f) return m[6]!.startsWith('/memfd:') && `${m[2]}:${m[3]}` === memfdDev() ? line : `${m[1]} 00:00 0`;
    const st = f.inode.stat();
    const head = `${m[1]} ${hex(major(st.dev))}:${hex(minor(st.dev))} ${st.ino}`;
    return `${head.padEnd(72)} ${f.path}${st.nlink === 0 ? ' (deleted)' : ''}`;
  }).join('\n');
}

/** fdinfo: the mount and inode are the sandbox's for files the sentry serves. */
export function fdinfoOf(k: Kernel, t: Task, fd: number, text: string): string {
  const d = k.files.lookup(t, fd);
  if (!d) return text;
  const st = d.at.inode.stat();
  return text.replace(/^mnt_id:.*$/m, `mnt_id:\t${d.at.mount.id}`).replace(/^ino:.*$/m, `ino:\t${st.ino}`);
}

function options(m: Mount): string {
  return [m.readonly ? 'ro' : 'rw', ...(m.flags.nosuid ? ['nosuid'] : []), ...(m.flags.nodev ? ['nodev'] : []),
    ...(m.flags.noexec ? ['noexec'] : [])].join(',');
}

/** The mounts a view reaches, each with where it is mounted in that view. */
function reachable(k: Kernel, v: View): { m: Mount; at: string; root: string }[] {
  const out: { m: Mount; at: string; root: string }[] = [];
  for (const m of k.ns.all()) {
    // Where its root is seen: '/' for the view's root mount, whatever it is mounted on in the sentry's tree.
    const { reachable: ok, path: at } = pathOf(v, { mount: m, inode: m.root });
    if (!ok) continue;
    out.push({ m, at, root: '/' });
  }
  return out;
}

/** Octal escapes for the characters that separate fields, as the kernel writes them. */
const escape = (s: string) => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

export function mountsOf(k: Kernel, v: View): string {
  return reachable(k, v).map(({ m, at }) => `${escape(m.source)} ${escape(at)} ${m.fs.name} ${options(m)} 0 0\n`).join('');
}

export function mountinfoOf(k: Kernel, v: View): string {
  return reachable(k, v).map(({ m, at, root }) => {
    const dev = m.fs.dev;
    const parent = m.parent?.id ?? m.id;
    return `${m.id} ${parent} ${major(dev)}:${minor(dev)} ${escape(root)} ${escape(at)} ${options(m)} - ${m.fs.name} ${escape(m.source)} ${m.fs.readonly ? 'ro' : 'rw'}\n`;
  }).join('');
}
