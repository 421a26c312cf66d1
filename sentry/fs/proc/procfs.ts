// proc: synthesized from the sentry's own view of the sandbox (pids,
// paths, mounts), never from the host's. This is the part ordinary programs
// need (/proc/self, /proc/<pid>/{exe,cwd,root,fd,cmdline,environ,status,
// mounts}, /proc/mounts and a few system files); see DESIGN.md for the rest.
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { currentTask } from '../../kernel/current.js';
import { E, SysErr } from '../../kernel/errno.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Task, ThreadGroup } from '../../kernel/task.js';
import { native, tv } from '../../platform/native.js';
import { allocDev } from '../../vfs/devices.js';
import { type DirEntry, type Filesystem, Inode, type StatFs } from '../../vfs/inode.js';
import type { VfsPath } from '../../vfs/mount.js';
import { dtype, now, O, S_IFDIR, S_IFLNK, S_IFREG, type Stat } from '../../vfs/types.js';
import { pathOf } from '../../vfs/walk.js';
import { host, reopen, type EmptyDir } from '../host.js';

const PROC_SUPER_MAGIC = 0x9fa0;

/** System files whose host content says nothing about the host's processes or paths. */
const HOST_SYSTEM_FILES = ['meminfo', 'cpuinfo', 'uptime', 'loadavg', 'version', 'filesystems', 'stat'];

export class ProcFs implements Filesystem {
  readonly name = 'proc';
  readonly dev = allocDev();
  readonly readonly = true;
  readonly root: ProcDir;
  private readonly inos = new Map<string, number>();
  private readonly bootTime = now();

  /** The kernel is known once the first guest runs; proc is mounted before that. */
  constructor(private readonly kernelOf: () => Kernel, readonly emptyDir: EmptyDir) {
    this.root = new ProcDir(this, 'root', 0o555, () => this.rootEntries());
  }

  get kernel(): Kernel { return this.kernelOf(); }

  ino(key: string): number {
    let n = this.inos.get(key);
    if (n === undefined) { n = this.inos.size + 1; this.inos.set(key, n); }
    return n;
  }

  get time() { return this.bootTime; }

  statfs(): StatFs {
    return { type: PROC_SUPER_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0,
      namelen: 255, frsize: 4096, flags: 0x20 | 0x2 | 0x4 | 0x8 };
  }

  private rootEntries(): Map<string, () => Inode> {
    const m = new Map<string, () => Inode>();
    m.set('self', () => new ProcLink(this, 'self', () => String(self().tg.nsPid)));
    m.set('mounts', () => new ProcLink(this, 'mounts', () => 'self/mounts'));
    for (const tg of this.kernel.threadGroups()) {
      m.set(String(tg.nsPid), () => this.pidDir(tg));
    }
    for (const name of HOST_SYSTEM_FILES) {
      m.set(name, () => new ProcFile(this, name, () => readFileSync(`/proc/${name}`)));
    }
    return m;
  }

  private leader(tg: ThreadGroup): Task {
    const t = [...tg.tasks].find((x) => x.tid === tg.tgid) ?? [...tg.tasks][0];
    if (!t) throw new SysErr(E.ENOENT);
    return t;
  }

  private pidDir(tg: ThreadGroup): ProcDir {
    const key = `pid/${tg.nsPid}`;
    const fs = this;
    return new ProcDir(this, key, 0o555, () => new Map<string, () => Inode>([
      ['exe', () => new ProcLink(fs, `${key}/exe`, () => tg.exe, () => null)],
      ['cwd', () => placeLink(fs, `${key}/cwd`, () => fs.leader(tg).fs.cwd)],
      ['root', () => placeLink(fs, `${key}/root`, () => fs.leader(tg).fs.root)],
      ['cmdline', () => new ProcFile(fs, `${key}/cmdline`, () => tg.argv.map((a) => a + '\0').join(''))],
      ['environ', () => new ProcFile(fs, `${key}/environ`, () => readFileSync(`/proc/${tg.tgid}/environ`))],
      ['comm', () => new ProcFile(fs, `${key}/comm`, () => commOf(tg) + '\n')],
      ['status', () => new ProcFile(fs, `${key}/status`, () => statusOf(tg, fs.leader(tg)))],
      ['mounts', () => new ProcFile(fs, `${key}/mounts`, () => mountsOf(fs.kernel, fs.leader(tg)))],
      ['fd', () => new ProcDir(fs, `${key}/fd`, 0o500, () => fdEntries(fs, `${key}/fd`, fs.leader(tg)))],
    ]));
  }
}

function self(): Task {
  const t = currentTask();
  if (!t) throw new SysErr(E.ENOENT);
  return t;
}

/**
 * The name exec gives a task (the program's base name, 15 bytes at most).
 * The host's comm names the dynamic loader that runs it, so it is not used.
 */
function commOf(tg: ThreadGroup): string {
  return tg.exe.slice(tg.exe.lastIndexOf('/') + 1).slice(0, 15);
}

function statusOf(tg: ThreadGroup, t: Task): string {
  const ppid = tg.parent?.nsPid ?? 0;
  const c = t.creds;
  return [`Name:\t${commOf(tg)}`, 'State:\tR (running)',
    `Tgid:\t${tg.nsPid}`, `Pid:\t${tg.nsPid}`, `PPid:\t${ppid}`,
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`, `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `Groups:\t${c.groups.join(' ')}`, `Threads:\t${tg.tasks.size}`, ''].join('\n');
}

function mountsOf(k: Kernel, t: Task): string {
  return k.ns.all().map((m) => {
    const { path, reachable } = pathOf(t, { mount: m, inode: m.root });
    if (!reachable) return '';
    const at = m.mountpoint ? pathOf(t, { mount: m.parent!, inode: m.mountpoint }).path : path;
    const opts = [m.readonly ? 'ro' : 'rw', ...(m.flags.nosuid ? ['nosuid'] : []), ...(m.flags.nodev ? ['nodev'] : []),
      ...(m.flags.noexec ? ['noexec'] : [])].join(',');
    return `${m.source} ${at} ${m.fs.name} ${opts} 0 0\n`;
  }).join('');
}

function fdEntries(fs: ProcFs, key: string, t: Task): Map<string, () => Inode> {
  const m = new Map<string, () => Inode>();
  let fds: string[] = [];
  try { fds = readdirSync(`/proc/${t.tid}/fd`); } catch { /* the task is gone */ }
  for (const name of fds) {
    const fd = Number(name);
    m.set(name, () => {
      const d = fs.kernel.files.lookup(t, fd);
      if (d) return placeLink(fs, `${key}/${name}`, () => d.at, () => d.path);
      return new ForeignFdLink(fs, `${key}/${name}`, t.tid, fd);
    });
  }
  return m;
}

abstract class ProcInode extends Inode {
  readonly ino: number;
  constructor(readonly fs: ProcFs, readonly key: string, private readonly mode: number) {
    super();
    this.ino = fs.ino(key);
  }
  stat(): Stat {
    const t = this.fs.time;
    return { dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: 1, uid: 0, gid: 0, rdev: 0,
      size: 0, blksize: 1024, blocks: 0, atime: t, mtime: t, ctime: t };
  }
}

export class ProcDir extends ProcInode {
  constructor(fs: ProcFs, key: string, perm: number, private readonly entries: () => Map<string, () => Inode>) {
    super(fs, key, S_IFDIR | perm);
  }
  override stat(): Stat { return { ...super.stat(), nlink: 2 }; }
  override lookup(name: string): Inode {
    const make = this.entries().get(name);
    if (!make) throw new SysErr(E.ENOENT);
    const inode = make();
    inode.parent = this;
    inode.name = name;
    return inode;
  }
  override readdir(): DirEntry[] {
    return [...this.entries().keys()].map((name) => {
      const st = this.lookup(name).stat();
      return { name, ino: st.ino, type: dtype(st.mode) };
    });
  }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

/** A read-only file whose content is taken when it is opened (a memfd snapshot). */
export class ProcFile extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly content: () => string | Uint8Array) {
    super(fs, key, S_IFREG | 0o444);
  }
  override open(flags: number): number {
    if ((flags & O.ACCMODE) !== O.RDONLY) throw new SysErr(E.EACCES);
    const memfd = tv(native.memfd(this.key.slice(0, 200)));
    try {
      const data = this.content();
      writeSync(memfd, typeof data === 'string' ? Buffer.from(data) : data);
      return reopen(memfd, flags);
    } finally {
      closeSync(memfd);
    }
  }
}

export class ProcLink extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly target: () => string, private readonly place: () => VfsPath | null = () => null) {
    super(fs, key, S_IFLNK | 0o777);
  }
  override readlink(): string { return this.target(); }
  override jump(): VfsPath | null { return this.place(); }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

/** A magic link to a place: its text is the place's path in the reader's view. */
function placeLink(fs: ProcFs, key: string, place: () => VfsPath, text?: () => string): ProcLink {
  return new ProcLink(fs, key, text ?? (() => pathOf(self(), place()).path), place);
}

/** /proc/<pid>/fd/N for a host object the sentry did not make (pipe, socket, tty): reopened through the host's proc. */
class ForeignFdLink extends ProcLink {
  constructor(fs: ProcFs, key: string, private readonly tid: number, private readonly fd: number) {
    super(fs, key, () => {
      try { return readlinkHost(tid, fd); } catch { throw new SysErr(E.ENOENT); }
    }, () => ({ mount: fs.kernel.ns.root, inode: new ForeignFile(fs, key + '/target', tid, fd) }));
  }
}

function readlinkHost(tid: number, fd: number): string {
  const target = host(() => readlinkSync(`/proc/${tid}/fd/${fd}`));
  // Host paths never show: only anonymous objects (pipe:[…], socket:[…], anon_inode:…) keep their name.
  return target.startsWith('/') ? 'anon_inode:[host]' : target;
}

class ForeignFile extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly tid: number, private readonly fd: number) {
    super(fs, key, S_IFREG | 0o600);
  }
  override stat(): Stat {
    const s = host(() => statSync(`/proc/${this.tid}/fd/${this.fd}`));
    return { ...super.stat(), mode: s.mode, size: s.size };
  }
  override open(flags: number): number {
    return host(() => openSync(`/proc/${this.tid}/fd/${this.fd}`, (flags & (O.ACCMODE | O.APPEND | O.NONBLOCK)) | O.CLOEXEC | O.NOCTTY));
  }
}
