// /proc/<pid> and /proc/<pid>/task/<tid>: one directory per sandbox process
// and thread, built from the kernel's proc of the sandbox (state, memory,
// limits) and the sentry's view (names, paths, credentials, descriptors).
import { mayReadProcess, type ProcessIds, rootCreds } from '../../auth/creds.js';
import { E, SysErr } from '../../abi/errno.js';
import { O } from '../../abi/flags.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Task, ThreadGroup } from '../../kernel/task.js';
import { Inode } from '../../vfs/inode.js';
import { S_IFREG, type Stat } from '../../abi/stat.js';
import { fdinfoOf, mapsOf, mountinfoOf, mountsOf } from './maps.js';
import { type Entries, KernelProcFile, ProcDir, ProcFile, ProcLink, named, ROOT_OWNER, placeLink, self } from './nodes.js';
import type { FileDescription } from '../../kernel/files.js';
import type { Context } from '../../vfs/context.js';
import type { Accessor } from '../../vfs/permissions.js';
import { pathOf } from '../../vfs/walk.js';
import type { ProcFs } from './procfs.js';
import { ForeignFdLink } from './foreign.js';

/**
 * Files of the kernel's proc served as they are: they tell the process's
 * own state and name no path, mount or other process. (Left out: mem,
 * stack, syscall — ptrace's business, which the sandbox refuses —, and
 * map_files, numa_maps, mountstats, cpuset, which name host paths.)
 */
const KERNEL_FILES = ['statm', 'limits', 'oom_score', 'oom_score_adj', 'oom_adj', 'uid_map', 'gid_map', 'setgroups',
  'auxv', 'wchan', 'schedstat', 'io', 'personality', 'timerslack_ns', 'coredump_filter', 'loginuid',
  'sessionid', 'smaps_rollup', 'arch_status'];

/** A sandbox process: a thread group the sentry follows, or (null) the sandbox's init. */
export interface ProcessRef { nsPid: number; tg: ThreadGroup | null }

/** The sandbox's pid 1 reaps orphans; it runs no program of the guest's. */
const INIT_NAME = 'tvisor-init';

/** Init's view of the tree, as a proc shows it: the root of the proc's container, never the hidden directory above. */
function initView(fs: ProcFs) { return { ns: fs.kernel.ns, root: fs.initRoot }; }

export function processOf(k: Kernel, nsPid: number): ProcessRef {
  for (const tg of k.threadGroups()) if (tg.nsPid === nsPid) return { nsPid, tg };
  if (nsPid === 1) return { nsPid, tg: null };
  throw new SysErr(E.ENOENT);
}

function leader(tg: ThreadGroup): Task {
  const t = [...tg.tasks].find((x) => x.tid === tg.tgid) ?? [...tg.tasks][0];
  if (!t) throw new SysErr(E.ESRCH);
  return t;
}

/** The program's name, or the thread's own (ThreadGroup.shownComm). */
function commOf(k: Kernel, p: ProcessRef, rel: string): string {
  if (!p.tg) return INIT_NAME;
  return p.tg.shownComm(k.proc.text(`${rel}/comm`).replace(/\n$/, ''));
}

/**
 * The host shows a task the sentry holds in its group-stop as in a tracing
 * stop ('t'); Linux shows an untraced one stopped ('T').
 */
const inGroupStop = (t: Task | null) => t?.groupStopped ?? false;

/** stat with the sandbox's name for the program (field 2, between the first '(' and the last ')'), and its state (field 3). */
function statOf(text: string, comm: string, t: Task | null): string {
  const rest = text.slice(text.lastIndexOf(')') + 1);
  return `${text.slice(0, text.indexOf('('))}(${comm})${inGroupStop(t) ? rest.replace(/^ t /, ' T ') : rest}`;
}

const capHex = (caps: bigint) => caps.toString(16).padStart(16, '0');

/** status with the sandbox's name, credentials, umask and capabilities (init: root's). */
function statusOf(text: string, comm: string, t: Task | null): string {
  const c = t?.creds ?? rootCreds([]);
  const replace: Record<string, string> = {
    Name: comm,
    ...(inGroupStop(t) ? { State: 'T (stopped)' } : {}),
    Uid: `${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`, Gid: `${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    Groups: c.groups.join(' ') + (c.groups.length ? ' ' : ''),
    ...(t ? { Umask: t.fs.umask.toString(8).padStart(4, '0') } : {}),
    CapInh: capHex(c.capInh), CapPrm: capHex(c.capPerm), CapEff: capHex(c.capEff), CapBnd: capHex(c.capBset),
    CapAmb: capHex(0n),
  };
  return text.split('\n').map((line) => {
    const key = line.slice(0, line.indexOf(':'));
    return key in replace ? `${key}:\t${replace[key]}` : line;
  }).join('\n');
}

/** The files of a process or thread directory; `rel` is its path in the kernel's proc. */
function commonEntries(fs: ProcFs, p: ProcessRef, key: string, rel: string, task: () => Task | null): Entries {
  const k = fs.kernel;
  const tg = p.tg;
  const kernelFile = (name: string) => () => new KernelProcFile(fs, `${key}/${name}`, `${rel}/${name}`);
  // Writes to the sentry's snapshots fail as the kernel's own file fails them.
  const snapshot = (name: string, content: () => string, perm = 0o444) => () =>
    new ProcFile(fs, `${key}/${name}`, content, perm, (flags) => k.proc.open(`${rel}/${name}`, flags));
  const comm = () => commOf(k, p, rel);
  const m: Entries = new Map<string, () => Inode>([
    ['stat', snapshot('stat', () => statOf(k.proc.text(`${rel}/stat`), comm(), task()))],
    ['status', snapshot('status', () => statusOf(k.proc.text(`${rel}/status`), comm(), task()))],
    ['sched', snapshot('sched', () => k.proc.text(`${rel}/sched`).replace(/^.*? \(/, `${comm()} (`), 0o644)],
    ...KERNEL_FILES.map((name) => [name, kernelFile(name)] as const),
    ['cmdline', snapshot('cmdline', () => (tg ? tg.argv : [INIT_NAME]).map((a) => a + '\0').join(''))],
    ['comm', snapshot('comm', () => comm() + '\n', 0o644)],
    ['cgroup', snapshot('cgroup', () => '0::/\n')],
    ['mounts', snapshot('mounts', () => mountsOf(k, task() ?? initView(fs)))],
    ['mountinfo', snapshot('mountinfo', () => mountinfoOf(k, task() ?? initView(fs)))],
    ['ns', () => new ProcDir(fs, `${key}/ns`, 0o511, () => nsEntries(fs, `${key}/ns`, `${rel}/ns`))],
  ]);
  if (!tg) {
    // Init's memory and environment are the sentry's, not the sandbox's.
    m.set('environ', snapshot('environ', () => '', 0o400));
    m.set('maps', snapshot('maps', () => ''));
    m.set('smaps', snapshot('smaps', () => ''));
    m.set('exe', () => new ProcLink(fs, `${key}/exe`, () => { throw new SysErr(E.ENOENT); }));
    m.set('cwd', () => placeLink(fs, `${key}/cwd`, () => fs.initRoot));
    m.set('root', () => placeLink(fs, `${key}/root`, () => fs.initRoot));
    m.set('fd', () => new ProcDir(fs, `${key}/fd`, 0o500, () => new Map()));
    m.set('fdinfo', () => initsFdinfo(new ProcDir(fs, `${key}/fdinfo`, 0o555, () => new Map())));
    return m;
  }
  const owner = () => task() ?? leader(tg);
  m.set('environ', () => new KernelProcFile(fs, `${key}/environ`, `${rel}/environ`));
  m.set('maps', snapshot('maps', () => mapsOf(k, tg, k.proc.text(`${rel}/maps`))));
  m.set('smaps', snapshot('smaps', () => mapsOf(k, tg, k.proc.text(`${rel}/smaps`))));
  m.set('exe', () => new ProcLink(fs, `${key}/exe`, () => tg.exe));
  m.set('cwd', () => placeLink(fs, `${key}/cwd`, () => owner().fs.cwd));
  m.set('root', () => placeLink(fs, `${key}/root`, () => owner().fs.root));
  m.set('fd', () => enteredByItsProcess(fs, owner, new ProcDir(fs, `${key}/fd`, 0o500, () => fdEntries(fs, `${key}/fd`, rel, owner()))));
  m.set('fdinfo', () => enteredByItsReaders(fs, owner,
    new ProcDir(fs, `${key}/fdinfo`, 0o555, () => fdinfoEntries(fs, `${key}/fdinfo`, rel, owner()))));
  return m;
}

export function processDir(fs: ProcFs, p: ProcessRef): ProcDir {
  const k = fs.kernel;
  const key = `pid/${p.nsPid}`;
  const rel = String(p.nsPid);
  const task = () => (p.tg ? leader(p.tg) : null);
  return ownedBy(task, new ProcDir(fs, key, 0o555, () => {
    const m = commonEntries(fs, p, key, rel, task);
    m.set('task', () => new ProcDir(fs, `${key}/task`, 0o555, () => new Map(k.proc.list(`${rel}/task`).map((tid) =>
      [tid, () => threadDir(fs, p, Number(tid))]))));
    m.set('net', () => mirrorDir(fs, `${key}/net`, `${rel}/net`));
    return m;
  }));
}

/**
 * A process's directory and what is in it belong to its task's effective
 * uid and gid, as Linux's task_dump_owner gives them to a dumpable task: so a
 * process that is not root may list its own /proc/self/fd (mode 0500); of
 * one that is not dumpable (it changed its ids) most is root's (nodes.ts
 * ownerOf). The sandbox's init (no task) is root's.
 */
function ownedBy(task: () => Task | null, dir: ProcDir): ProcDir {
  dir.owner = () => {
    const t = task();
    return t ? { uid: t.creds.euid, gid: t.creds.egid, dumpable: t.tg.dumpable } : ROOT_OWNER;
  };
  return dir;
}

/** Init's ids: root's. */
const INIT_IDS: ProcessIds = { uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0 };

/** Init's fdinfo/, as enteredByItsReaders's of a root process that no guest is. */
function initsFdinfo(dir: ProcDir): ProcDir {
  dir.permission = (who, generic) => generic && mayReadProcess(who.creds, INIT_IDS, true);
  return dir;
}

/** The task of the calling thread; null for the sentry's own work. */
function callerTask(fs: ProcFs, who: Accessor): Task | null {
  return who.tid === null ? null : fs.kernel.tasks.get(who.tid) ?? null;
}

/**
 * proc_fd_permission: fd/ lets its own process in whoever owns it (root, while the process is not dumpable), and
 * others by its mode.
 */
function enteredByItsProcess(fs: ProcFs, task: () => Task, dir: ProcDir): ProcDir {
  dir.permission = (who, generic) => generic || callerTask(fs, who)?.tg === task().tg;
  return dir;
}

/** proc_fdinfo_permission: fdinfo/ (mode 0555) lets in whom ptrace_may_access lets read the process, by its mode. */
function enteredByItsReaders(fs: ProcFs, task: () => Task, dir: ProcDir): ProcDir {
  dir.permission = (who, generic) => {
    const t = task();
    return generic && (callerTask(fs, who)?.tg === t.tg || mayReadProcess(who.creds, t.creds, t.tg.dumpable));
  };
  return dir;
}

function threadDir(fs: ProcFs, p: ProcessRef, nsTid: number): ProcDir {
  const key = `pid/${p.nsPid}/task/${nsTid}`;
  const rel = `${p.nsPid}/task/${nsTid}`;
  const task = () => (p.tg ? [...p.tg.tasks].find((t) => nsTidOfTask(t) === nsTid) ?? null : null);
  return ownedBy(task, new ProcDir(fs, key, 0o555, () => commonEntries(fs, p, key, rel, task)));
}

function nsTidOfTask(t: Task): number {
  return t.tid === t.tg.tgid ? t.tg.nsPid : t.nsTid();
}

/**
 * A directory of the kernel's proc shown as it is (per-process network
 * state: the sandbox's own network namespace): files are opened as the
 * kernel's, directories mirrored, links left out.
 */
function mirrorDir(fs: ProcFs, key: string, rel: string): ProcDir {
  const k = fs.kernel;
  return new ProcDir(fs, key, 0o555, () => {
    const m: Entries = new Map();
    for (const name of k.proc.list(rel)) {
      const mode = k.proc.mode(`${rel}/${name}`);
      if ((mode & 0o170000) === S_IFREG) m.set(name, () => new KernelProcFile(fs, `${key}/${name}`, `${rel}/${name}`));
      else if ((mode & 0o170000) === 0o040000) m.set(name, () => mirrorDir(fs, `${key}/${name}`, `${rel}/${name}`));
    }
    return m;
  });
}

/** Namespace links, named as the kernel names them (the sandbox's own namespaces). */
function nsEntries(fs: ProcFs, key: string, rel: string): Entries {
  const k = fs.kernel;
  return new Map(k.proc.list(rel).map((n) => [n, () => new ProcLink(fs, `${key}/${n}`, () => k.proc.readlink(`${rel}/${n}`),
    () => ({ mount: k.ns.root, inode: new Namespace(fs, `${rel}/${n}`) }))]));
}

/**
 * A namespace, as its ns/* link leads to it: the kernel's nsfs inode (so
 * comparing two processes' namespaces by inode works); opening it gives
 * the nsfs file, with which a guest can do nothing but compare (setns and
 * the nsfs ioctls are refused).
 */
class Namespace extends Inode {
  constructor(readonly fs: ProcFs, private readonly rel: string) { super(); }
  stat(): Stat { return { ...this.fs.kernel.proc.stat(this.rel) }; }
  override open(flags: number): number { return this.fs.kernel.proc.open(this.rel, flags); }
}

/** A task's fd numbers in numeric order, as Linux lists them. */
function fdNames(fs: ProcFs, rel: string): string[] {
  return fs.kernel.proc.list(rel).map(Number).sort((a, b) => a - b).map(String);
}

function fdEntries(fs: ProcFs, key: string, rel: string, t: Task): Entries {
  const m: Entries = new Map();
  for (const name of fdNames(fs, `${rel}/fd`)) {
    const fd = Number(name);
    m.set(name, () => {
      const d = fs.kernel.files.lookup(t, fd);
      if (d) {
        // An open description's link leads through it: a reopen may reach its file by its host fd.
        const place = d.flags & O.PATH ? d.at : { ...d.at, through: d };
        return placeLink(fs, `${key}/${name}`, () => place, (ctx) => fdLinkText(fs, ctx, d), fdLinkPerm(d.flags));
      }
      return new ForeignFdLink(fs, `${key}/${name}`, t, fd);
    });
  }
  return m;
}

/**
 * What /proc/<pid>/fd/N of a description reads: its file's current path in
 * the reader's view, so it follows renames of the file and of its
 * directories, as Linux's d_path of the description's dentry (every inode
 * knows its last parent and name), with " (deleted)" once the file has no
 * name left. A file that never had a name (O_TMPFILE, proc's own nodes)
 * keeps the name it was opened with.
 */
function fdLinkText(fs: ProcFs, ctx: Context, d: FileDescription): string {
  const inode = d.at.inode;
  if (!inode.parent && inode !== d.at.mount.root) return d.path;
  return pathOf(self(fs, ctx), d.at).path + (hasName(d) ? '' : ' (deleted)');
}

/** An fd link's permission bits say its description's access, as Linux's proc_fd_link mode: r-x to read, -wx to write, none for O_PATH. */
function fdLinkPerm(flags: number): number {
  if (flags & O.PATH) return 0;
  // Linux's OPEN_FMODE: access mode 3 (ioctl only) reads and writes nothing.
  const fmode = ((flags & O.ACCMODE) + 1) & O.ACCMODE;
  return (fmode & 1 ? 0o500 : 0) | (fmode & 2 ? 0o300 : 0);
}

/** Does the description's file still have a name? Asked through its host file where it has one (a gofer file is named by path). */
function hasName(d: FileDescription): boolean {
  return named(() => d.flags & O.PATH ? d.at.inode.stat() : d.at.inode.statOpen(d.hostFd));
}

function fdinfoEntries(fs: ProcFs, key: string, rel: string, t: Task): Entries {
  const k = fs.kernel;
  return new Map(fdNames(fs, `${rel}/fdinfo`).map((name) => [name, () =>
    new ProcFile(fs, `${key}/${name}`, () => fdinfoOf(k, t, Number(name), k.proc.text(`${rel}/fdinfo/${name}`)))]));
}
