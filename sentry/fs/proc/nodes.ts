// The kinds of inode proc is made of: directories built on demand, files
// whose content the sentry makes, the kernel's own files, and links.
import { closeSync, writeSync } from 'node:fs';
import koffi from '../../../native/koffi.js';
import { E, SysErr } from '../../abi/errno.js';
import { nsIdOf, type Task } from '../../kernel/task.js';
import { libcCalls, native, tv } from '../../host/native.js';
import type { Context } from '../../vfs/context.js';
import { type DirEntry, Inode, type SetAttr } from '../../vfs/inode.js';
import type { VfsPath } from '../../vfs/mount.js';
import type { Accessor } from '../../vfs/permissions.js';
import { dtype, S_IFDIR, S_IFLNK, S_IFREG, type Stat } from '../../abi/stat.js';
import { O } from '../../abi/flags.js';
import { pathOf } from '../../vfs/walk.js';
import { reopen } from '../../host/fd.js';
import type { ProcFs } from './procfs.js';

export type Entries = Map<string, () => Inode>;

/** The task that reads a link: ENOENT for the sentry's own walks, as for a reader with no pid in the sandbox. */
export function self(fs: ProcFs, ctx: Context): Task {
  const t = ctx.tid === null ? undefined : fs.kernel.tasks.get(ctx.tid);
  if (!t) throw new SysErr(E.ENOENT);
  return t;
}

/** The task's thread id in the sandbox's pid namespace. */
export function nsTidOf(t: Task): number {
  return t.tid === t.tg.tgid ? t.tg.nsPid : nsIdOf(t.tid);
}

/** A process's: its effective ids, and whether it is dumpable. */
export interface ProcOwner { uid: number; gid: number; dumpable?: boolean }
export const ROOT_OWNER: ProcOwner = { uid: 0, gid: 0 };

/**
 * The owner of a proc inode of mode `mode`: the nearest process directory's,
 * or root's above them. Of a process that is not dumpable, only the
 * directories anyone may list and enter (its own, task/<tid>, fdinfo/) stay its own
 * (task_dump_owner: ps reads a process's effective ids from them); the rest is root's.
 */
function ownerOf(inode: Inode, mode: number): ProcOwner {
  for (let i: Inode | null = inode; i; i = i.parent) {
    if (!(i instanceof ProcInode) || !i.owner) continue;
    const o = i.owner();
    return o.dumpable === false && mode !== (S_IFDIR | 0o555) ? ROOT_OWNER : o;
  }
  return ROOT_OWNER;
}

abstract class ProcInode extends Inode {
  readonly ino: number;
  /** Set on a process's directory: who owns it and everything under it. */
  owner: (() => ProcOwner) | null = null;
  constructor(readonly fs: ProcFs, readonly key: string, protected readonly mode: number) {
    super();
    this.ino = fs.ino(key);
  }
  stat(): Stat {
    const t = this.fs.time;
    const { uid, gid } = ownerOf(this, this.mode);
    return { dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: 1, uid, gid, rdev: 0,
      size: 0, blksize: 1024, blocks: 0, atime: t, mtime: t, ctime: t };
  }
  /** O_TRUNC of a proc file changes nothing (as proc_setattr lets a size through); the rest is refused. */
  override setattr(attr: SetAttr): void {
    if (Object.keys(attr).some((k) => k !== 'size') || (attr.size ?? 0) !== 0) throw new SysErr(E.EPERM);
  }
}

export class ProcDir extends ProcInode {
  /** Of fd/ and fdinfo/ of a process, which decide who may enter them (pid.ts): the answer, given the generic one. */
  permission?: (who: Accessor, generic: boolean) => boolean;
  constructor(fs: ProcFs, key: string, perm: number, private readonly entries: () => Entries) {
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
    const out: DirEntry[] = [];
    for (const name of this.entries().keys()) {
      try {
        const st = this.lookup(name).stat();
        out.push({ name, ino: st.ino, type: dtype(st.mode) });
      } catch (e) {
        // A process that ended while the listing was made is not listed.
        if (!(e instanceof SysErr)) throw e;
      }
    }
    return out;
  }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
  // Proc's lookup of a name it does not have fails (Linux makes no negative
  // dentry there), so a call that would make the name answers ENOENT.
  override create(): Inode { return absent(); }
  override mkdir(): Inode { return absent(); }
  override symlink(): Inode { return absent(); }
  override mknod(): Inode { return absent(); }
  override link(): void { absent(); }
  override bindSocket(): Inode { return absent(); }
}

const absent = (): never => { throw new SysErr(E.ENOENT); };

/**
 * A file whose content the sentry makes when it is opened (a memfd
 * snapshot). A write-only open gets the kernel's own file from
 * `writeTarget`, so writes succeed or fail as Linux's do; a read-write open
 * gets the snapshot (reading the kernel's file would tell what the
 * snapshot translates), which takes no write.
 */
export class ProcFile extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly content: () => string | Uint8Array, perm = 0o444,
      private readonly writeTarget?: (flags: number) => number) {
    super(fs, key, S_IFREG | perm);
  }
  override open(flags: number): number {
    if ((flags & O.ACCMODE) === O.WRONLY && this.writeTarget) return this.writeTarget(flags);
    const memfd = tv(native.memfd(this.key.slice(0, 200), 1));
    try {
      const data = this.content();
      writeSync(memfd, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      // A snapshot opened for reading and writing still takes no write.
      sealMemfd(memfd);
      return reopen(memfd, flags);
    } finally {
      closeSync(memfd);
    }
  }
}

const F_ADD_SEALS = 1033;
const SEALS = 0x1 | 0x2 | 0x4 | 0x8;

function sealMemfd(fd: number): void {
  if (libcCalls.fcntl(fd, F_ADD_SEALS, SEALS) < 0) throw new SysErr(koffi.errno());
}

/** A file of the kernel's proc of the sandbox, opened as it is (see SandboxProc.open). */
export class KernelProcFile extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly rel: string) {
    super(fs, key, S_IFREG | (fs.kernel.proc.mode(rel) & 0o777));
  }
  override open(flags: number): number { return this.fs.kernel.proc.open(this.rel, flags); }
}

export class ProcLink extends ProcInode {
  constructor(fs: ProcFs, key: string, private readonly target: (ctx: Context) => string, private readonly place: () => VfsPath | null = () => null,
    perm = 0o777) {
    super(fs, key, S_IFLNK | perm);
  }
  override readlink(ctx: Context): string { return this.target(ctx); }
  override jump(): VfsPath | null { return this.place(); }
  override open(flags: number): number { return this.fs.emptyDir.open(flags); }
}

/**
 * A magic link to a place: its text is the place's path in the reader's view,
 * with " (deleted)" once the place has no name left (a removed cwd), as
 * Linux's d_path of an unlinked dentry.
 */
export function placeLink(fs: ProcFs, key: string, place: () => VfsPath, text?: (ctx: Context) => string, perm?: number): ProcLink {
  return new ProcLink(fs, key, text ?? ((ctx) => {
    const at = place();
    return pathOf(self(fs, ctx), at).path + (named(() => at.inode.stat()) ? '' : ' (deleted)');
  }), place, perm);
}

/** Does a file still have a name? Its stat as its filesystem has it (a gofer file is named by path: gone is ENOENT). */
export function named(stat: () => Stat): boolean {
  try {
    return stat().nlink > 0;
  } catch (e) {
    if (e instanceof SysErr && e.errno === E.ENOENT) return false;
    throw e;
  }
}
