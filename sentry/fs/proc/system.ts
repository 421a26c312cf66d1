// /proc's system files and /proc/sys. What the host kernel tells about the
// machine (memory, cpus, load, version) is shown as it is; nothing that
// names host paths, devices, mounts or other namespaces is.
import { E, SysErr } from '../../abi/errno.js';
import { O } from '../../abi/flags.js';
import { type Entries, KernelProcFile, ProcDir, ProcFile, ProcLink } from './nodes.js';
import type { ProcFs } from './procfs.js';

/** Machine-wide files read from the kernel's proc of the sandbox (loadavg's last pid is the sandbox's). */
const MACHINE_FILES = ['cpuinfo', 'meminfo', 'stat', 'uptime', 'loadavg', 'version'];


/**
 * The sysctls a guest may read: machine limits and its own namespaces'
 * names (a uts sysctl is read in the reader's namespace). Namespaced by
 * the opener (net.*) or naming host paths (core_pattern…): left out.
 */
const SYSCTLS = [
  'kernel/hostname', 'kernel/domainname', 'kernel/ostype', 'kernel/osrelease', 'kernel/version', 'kernel/pid_max',
  'kernel/ngroups_max', 'kernel/cap_last_cap', 'kernel/threads-max', 'kernel/overflowuid', 'kernel/overflowgid',
  'kernel/random/boot_id', 'kernel/random/uuid', 'kernel/random/entropy_avail', 'kernel/random/poolsize',
  'kernel/shmmax', 'kernel/shmall', 'kernel/shmmni', 'kernel/msgmax', 'kernel/msgmnb', 'kernel/msgmni', 'kernel/sem',
  'kernel/pty/max', 'kernel/pty/nr', 'kernel/yama/ptrace_scope',
  'fs/file-max', 'fs/file-nr', 'fs/nr_open', 'fs/pipe-max-size', 'fs/pipe-user-pages-soft', 'fs/aio-max-nr',
  'fs/aio-nr', 'fs/lease-break-time', 'fs/overflowuid', 'fs/overflowgid', 'fs/protected_symlinks',
  'fs/protected_hardlinks', 'fs/protected_fifos', 'fs/protected_regular', 'fs/inotify/max_user_watches',
  'fs/inotify/max_user_instances', 'fs/inotify/max_queued_events', 'fs/epoll/max_user_watches',
  'fs/mqueue/msg_max', 'fs/mqueue/queues_max', 'fs/mqueue/msgsize_max',
  'vm/overcommit_memory', 'vm/overcommit_ratio', 'vm/max_map_count', 'vm/swappiness', 'vm/mmap_min_addr',
  'vm/nr_hugepages',
];

export function systemEntries(fs: ProcFs): Entries {
  const m: Entries = new Map();
  m.set('mounts', () => new ProcLink(fs, 'mounts', () => 'self/mounts'));
  m.set('net', () => new ProcLink(fs, 'net', () => 'self/net'));
  for (const name of MACHINE_FILES) m.set(name, () => new KernelProcFile(fs, name, name));
  // The types a guest may mount.
  m.set('filesystems', () => new ProcFile(fs, 'filesystems', () => fs.mountable.map((t) => `nodev\t${t}\n`).join('')));
  m.set('sys', () => sysDir(fs, 'sys', SYSCTLS));
  return m;
}

/** The directory of /proc/sys holding `paths` (relative to it). */
function sysDir(fs: ProcFs, key: string, paths: string[]): ProcDir {
  return new ProcDir(fs, key, 0o555, () => {
    const m: Entries = new Map();
    const subdirs = new Map<string, string[]>();
    for (const p of paths) {
      const slash = p.indexOf('/');
      if (slash < 0) {
        if (exists(fs, `${key}/${p}`)) m.set(p, () => new Sysctl(fs, `${key}/${p}`));
      } else {
        const dir = p.slice(0, slash);
        subdirs.set(dir, [...(subdirs.get(dir) ?? []), p.slice(slash + 1)]);
      }
    }
    for (const [dir, rest] of subdirs) m.set(dir, () => sysDir(fs, `${key}/${dir}`, rest));
    return m;
  });
}

function exists(fs: ProcFs, rel: string): boolean {
  try { fs.kernel.proc.mode(rel); return true; } catch { return false; }
}

/**
 * A sysctl: read as the kernel's own file. /proc/sys is read-only in the
 * sandbox, as container runtimes mount it: a write-open is refused by the
 * sysctl's permission (EACCES, even for root, where its mode has no write
 * bit), else by the read-only mount (EROFS).
 */
class Sysctl extends KernelProcFile {
  constructor(fs: ProcFs, rel: string) { super(fs, rel, rel); }
  override open(flags: number): number {
    if ((flags & O.ACCMODE) !== O.RDONLY || (flags & O.TRUNC)) {
      throw new SysErr(this.stat().mode & 0o200 ? E.EROFS : E.EACCES);
    }
    return super.open(flags);
  }
}
