// Tasks (threads), thread groups (processes) and what they share.
import type { MountNamespace, VfsPath } from '../vfs/mount.js';
import type { Actor } from '../vfs/ops.js';
import { type Creds, copyCreds } from '../auth/creds.js';
import type { FileDescription } from './files.js';
import type { GuestMemory } from '../platform/memory.js';
import type { Platform } from '../platform/platform.js';
import type { Inode } from '../vfs/inode.js';
import { readFileSync } from 'node:fs';
import { libcCalls, sys } from '../host/native.js';
import { closeQuietly, host } from '../host/fd.js';
import { FdList } from '../host/fdlist.js';
import { hostStatFields } from '../host/proc-stat.js';
import { O } from '../abi/flags.js';
import type { Container } from './container.js';

const MAX_OPENED = 4096;
/** pidfd_open's flag for a pidfd of one thread, not of its thread group (Linux 6.9): fd tables can be per thread. */
const PIDFD_THREAD = O.EXCL;

/** A host task's id in its innermost pid namespace (the sandbox's). */
export function nsIdOf(tid: number): number {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
    const ids = m?.[1]?.trim().split(/\s+/) ?? [];
    return Number(ids[ids.length - 1] ?? tid);
  } catch {
    return tid;
  }
}

/** A process's opened files (ThreadGroup.opened), and how many processes share them. */
interface OpenedFiles { readonly files: Map<Inode, string>; users: number }

/** Root, working directory and umask: shared by tasks cloned with CLONE_FS. */
export class FsContext {
  constructor(public root: VfsPath, public cwd: VfsPath, public umask: number) {}
  copy(): FsContext { return new FsContext(this.root, this.cwd, this.umask); }
}

/**
 * A dynamic program for its loader to open: the path the loader was given, and the file the exec checked, reached
 * through the sentry's open host file of it (at.through), which still reaches it when its name is gone.
 */
export interface LoaderProgram { readonly path: string; readonly at: VfsPath; release(): void }

export class ThreadGroup {
  readonly tasks = new Set<Task>();
  /** Which description a guest fd number was last seen to be: a hint, checked with kcmp before use. */
  readonly fdHints = new Map<number, FileDescription>();
  /** Sandbox path of the running executable, and its argv, for /proc. */
  exe = '';
  argv: string[] = [];
  /** The name the host gave the program at exec (its host file's name, the loader's for a dynamic one). */
  execComm = '';
  /** The program's name as exec gives it (comm): the last component of the path it was run by. */
  comm = '';

  /**
   * The name Linux gives a thread of this process whose name on the host is
   * `host`: the program's while the thread has the one the host gave at exec
   * (execComm), its own once it set one (prctl PR_SET_NAME, a comm write).
   */
  shownComm(host: string): string {
    return host === this.execComm ? this.comm : host;
  }
  /**
   * Regular files the process opened, with the path it opened them by:
   * what its memory maps are named after in /proc/<pid>/maps. A fork shares
   * its parent's until either opens a file (copy on write), so that a fork
   * does not copy up to MAX_OPENED entries.
   */
  private openedFiles: OpenedFiles = { files: new Map(), users: 1 };
  /** The process ended (its share of openedFiles is given up). */
  private ended = false;
  /** The container it belongs to (inherited by its children); null for the sandbox's init. */
  container: Container | null = null;
  /**
   * Linux's dumpable flag of the process's memory (SUID_DUMP_USER when true):
   * cleared when its credentials change (commit_creds), set again by an exec
   * that leaves its ids alike and by PR_SET_DUMPABLE. While it is clear,
   * /proc/<pid> belongs to root. The host's flag of the guest never moves
   * (its host credentials do not change): this is the sandbox's.
   */
  dumpable = true;
  /** What the last exec left for its loader to open (takeLoaderProgram). */
  private loaderProgram: LoaderProgram | null = null;

  /** An exec ran `program` (null: a static one). */
  setLoaderProgram(program: LoaderProgram | null): void {
    this.loaderProgram?.release();
    this.loaderProgram = program;
  }

  /** The program the last exec left for its loader, if `path` is the one the loader was given; the caller releases it. */
  takeLoaderProgram(path: string): LoaderProgram | null {
    const program = this.loaderProgram;
    if (program === null || program.path !== path) return null;
    this.loaderProgram = null;
    return program;
  }

  get opened(): ReadonlyMap<Inode, string> { return this.openedFiles.files; }

  noteOpened(inode: Inode, path: string): void {
    if (this.openedFiles.users > 1) {
      this.openedFiles.users--;
      this.openedFiles = { files: new Map(this.openedFiles.files), users: 1 };
    }
    const files = this.openedFiles.files;
    files.delete(inode);
    files.set(inode, path);
    if (files.size > MAX_OPENED) files.delete(files.keys().next().value!);
  }

  /** A forked child starts with its parent's opened files. */
  inheritOpened(parent: ThreadGroup): void {
    this.openedFiles = parent.openedFiles;
    this.openedFiles.users++;
  }

  /** Its last task exited. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.openedFiles.users--;
    this.fds.close();
    this.setLoaderProgram(null);
  }

  /** Its fd numbers, for the sweep. */
  readonly fds: FdList;

  constructor(public tgid: number, public nsPid: number, public parent: ThreadGroup | null) {
    this.fds = new FdList(tgid);
  }
}

export class Task implements Actor {
  readonly mem: GuestMemory;
  /** Signals that arrived while the sentry drove a multi-step call. */
  readonly heldSignals: number[] = [];
  /** In a group-stop (SIGSTOP, SIGTSTP…), which the sentry keeps as Linux would until SIGCONT. */
  groupStopped = false;

  constructor(
    public tid: number,
    public tg: ThreadGroup,
    public fs: FsContext,
    private credsNow: Creds,
    readonly ns: MountNamespace,
    private readonly platform: Platform,
  ) {
    this.mem = platform.memory(this);
    tg.tasks.add(this);
  }

  get creds(): Creds { return this.credsNow; }

  /** New credentials, as commit_creds installs them: a change of the effective or fs ids, or more permitted capabilities, makes the process non-dumpable. */
  set creds(next: Creds) {
    const old = this.credsNow;
    if (old.euid !== next.euid || old.egid !== next.egid || old.fsuid !== next.fsuid || old.fsgid !== next.fsgid ||
        (next.capPerm & ~old.capPerm) !== 0n) this.tg.dumpable = false;
    this.credsNow = next;
  }

  /**
   * Does its process lead a session that has no controlling terminal? The
   * host's answer (/proc/<tid>/stat: session, tty_nr): sessions and terminals
   * are the host kernel's.
   */
  leadsSessionWithoutTerminal(): boolean {
    const fields = host(() => hostStatFields(this.tid));
    return Number(fields[3]) === this.tg.tgid && Number(fields[4]) === 0;
  }

  /**
   * Runs fn with `c` as the task's credentials, as override_creds does for faccessat's walk: nothing is committed
   * (the process's dumpable flag stays), and the task's own come back after.
   */
  withCredsOverride<T>(c: Creds, fn: () => T): T {
    const own = this.credsNow;
    this.credsNow = c;
    try {
      return fn();
    } finally {
      this.credsNow = own;
    }
  }

  get root(): VfsPath { return this.fs.root; }
  get umask(): number { return this.fs.umask; }

  private pidfdCache = -1;
  /** A pidfd of this thread, opened on first use and kept until it exits or its id changes (release). */
  pidfd(): number {
    if (this.pidfdCache < 0) this.pidfdCache = sys(libcCalls.pidfdOpen(this.tid, PIDFD_THREAD));
    return this.pidfdCache;
  }

  /** The thread exited, or took another id at exec: its pidfd no longer names it. */
  release(): void {
    if (this.pidfdCache >= 0) closeQuietly(this.pidfdCache);
    this.pidfdCache = -1;
  }

  private nsTidCache = 0;
  /** The thread's id in the sandbox's pid namespace. */
  nsTid(): number {
    if (this.tid === this.tg.tgid) return this.tg.nsPid;
    this.nsTidCache ||= nsIdOf(this.tid);
    return this.nsTidCache;
  }

  /** The task a clone creates: a thread (same group) or a new process. */
  clone(tid: number, nsPid: number, opts: { thread: boolean; shareFs: boolean }): Task {
    const tg = opts.thread ? this.tg : new ThreadGroup(tid, nsPid, this.tg);
    if (!opts.thread) {
      tg.exe = this.tg.exe;
      tg.argv = this.tg.argv;
      tg.execComm = this.tg.execComm;
      tg.comm = this.tg.comm;
      tg.container = this.tg.container;
      tg.dumpable = this.tg.dumpable;
      tg.inheritOpened(this.tg);
      for (const [fd, d] of this.tg.fdHints) tg.fdHints.set(fd, d);
    }
    // Threads share one credentials object and a new process gets its own, as on Linux (copy_creds):
    // linkat's AT_EMPTY_PATH tells the opener of a description by it.
    return new Task(tid, tg, opts.shareFs ? this.fs : this.fs.copy(), opts.thread ? this.creds : copyCreds(this.creds), this.ns, this.platform);
  }
}
