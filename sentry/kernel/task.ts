// Tasks (threads), thread groups (processes) and what they share.
import type { MountNamespace, VfsPath } from '../vfs/mount.js';
import type { WalkContext } from '../vfs/walk.js';
import { type Creds, copyCreds } from './creds.js';
import type { FileDescription } from './files.js';
import { GuestMemory } from './memory.js';

/** Root, working directory and umask: shared by tasks cloned with CLONE_FS. */
export class FsContext {
  constructor(public root: VfsPath, public cwd: VfsPath, public umask: number) {}
  copy(): FsContext { return new FsContext(this.root, this.cwd, this.umask); }
}

export class ThreadGroup {
  readonly tasks = new Set<Task>();
  /** Which description a guest fd number was last seen to be: a hint, checked with kcmp before use. */
  readonly fdHints = new Map<number, FileDescription>();
  /** Sandbox path of the running executable, and its argv, for /proc. */
  exe = '';
  argv: string[] = [];

  constructor(public tgid: number, public nsPid: number, public parent: ThreadGroup | null) {}
}

export class Task implements WalkContext {
  readonly mem: GuestMemory;
  /** Signals that arrived while the sentry drove a multi-step call. */
  readonly heldSignals: number[] = [];

  constructor(
    public tid: number,
    public tg: ThreadGroup,
    public fs: FsContext,
    public creds: Creds,
    readonly ns: MountNamespace,
  ) {
    this.mem = new GuestMemory(() => this.tid);
    tg.tasks.add(this);
  }

  get root(): VfsPath { return this.fs.root; }

  /** The task a clone creates: a thread (same group) or a new process. */
  clone(tid: number, nsPid: number, opts: { thread: boolean; shareFs: boolean }): Task {
    const tg = opts.thread ? this.tg : new ThreadGroup(tid, nsPid, this.tg);
    if (!opts.thread) {
      tg.exe = this.tg.exe;
      tg.argv = this.tg.argv;
      for (const [fd, d] of this.tg.fdHints) tg.fdHints.set(fd, d);
    }
    return new Task(tid, tg, opts.shareFs ? this.fs : this.fs.copy(), copyCreds(this.creds), this.ns);
  }
}
