// Open file descriptions and how a guest fd number is mapped to one.
//
// Guest fds are real host fds, so dup, dup2, fcntl(F_DUPFD), close, fork,
// exec's close-on-exec and fds sent over unix sockets all run in the host
// kernel without a trap. The sentry keeps its own fd to every open file
// description it made and identifies the description behind a guest fd
// with kcmp(KCMP_FILE) when a trapped call names that fd: one mechanism
// for every way an fd can move. The registry is kept in kcmp's order, so a
// lookup is a binary search; per-process hints make the common case one
// kcmp; descriptions no guest holds any more are swept.
import { readdirSync } from 'node:fs';
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { native } from '../host/native.js';
import { closeQuietly } from '../host/fd.js';
import type { DirEntry, Inode } from '../vfs/inode.js';
import type { Mount, VfsPath } from '../vfs/mount.js';
import type { Task, ThreadGroup } from './task.js';
import type { Creds } from '../auth/creds.js';
import { ForeignFd } from '../host/foreign.js';

export class FileDescription {
  /** Directory entries for getdents, taken when a listing starts at offset 0. */
  dirents: DirEntry[] | null = null;
  /** The sentry closed its fd (no guest held the description any more). */
  closed = false;
  /** A guest asked for a flock or OFD lock on it: it may hold one. */
  locked = false;
  /**
   * Its host file is not the sandbox's own (the overlay's lower layer, a
   * read-only bind mount, a host device): locks on it are kept in the
   * sentry's lock proxies (kernel/locks.ts), never on the host file.
   */
  privateLocks = false;
  /** Its lock proxy description, once it has one (-1: none). */
  lockProxy = -1;
  /** The lease a guest holds on it when its locks are private (F_RDLCK), else null. */
  lease: number | null = null;

  constructor(
    readonly hostFd: number,
    readonly at: VfsPath,
    /** The guest's open flags. */
    readonly flags: number,
    /** The sandbox path it was opened by, as /proc/self/fd shows it. */
    readonly path: string,
    /** The opener's credentials (Linux's f_cred): linkat's AT_EMPTY_PATH compares them with the caller's. */
    readonly creds: Creds,
  ) {}
}

/** The sentry (EMFILE) or the host (ENFILE) has no fd left. */
export const isOutOfFds = (e: unknown): boolean => e instanceof SysErr && (e.errno === E.EMFILE || e.errno === E.ENFILE);

const KCMP_EQUAL = 0;
const KCMP_LESS = 1;

export class FileRegistry {
  /** Every description, in the kernel's order of their open file descriptions (kcmp's order). */
  private readonly byFile: FileDescription[] = [];
  private sweepAt = 512;
  private readonly self = process.pid;

  constructor(private readonly liveGroups: () => Iterable<ThreadGroup>,
    /** Called for each description the sentry closes (its lock proxy goes with it). */
    private readonly closed: (d: FileDescription) => void = () => {}) {}

  get size(): number { return this.byFile.length; }

  /** The files of the descriptions not found unheld yet. */
  *inodes(): Iterable<Inode> {
    for (const d of this.byFile) if (!d.closed) yield d.at.inode;
  }

  /** Does an open description lie on mount `m` (umount's EBUSY)? */
  usesMount(m: Mount): boolean {
    return this.byFile.some((d) => !d.closed && d.at.mount === m);
  }

  /**
   * Where the open file description behind `fd` of process `pid` stands in
   * byFile: its index when registered, else where it would go. A negative
   * errno when kcmp fails (EBADF: no such fd).
   */
  private search(pid: number, fd: number): { index: number; found: boolean } | number {
    let lo = 0;
    let hi = this.byFile.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = native.kcmpFile(pid, this.self, fd, this.byFile[mid]!.hostFd);
      if (r === KCMP_EQUAL) return { index: mid, found: true };
      if (r < 0) return r;
      if (r === KCMP_LESS) hi = mid - 1;
      else lo = mid + 1;
    }
    return { index: lo, found: false };
  }

  add(d: FileDescription): void {
    // Sweep before adding: no guest holds `d` yet.
    if (this.byFile.length + 1 >= this.sweepAt) this.sweep();
    const at = this.search(this.self, d.hostFd);
    if (typeof at === 'number') throw new SysErr(-at);
    this.byFile.splice(at.index, 0, d);
  }

  /** The description fd `fd` of `t` was last seen to be, if it still is (EBADF: no such fd). */
  private hinted(t: Task, fd: number): FileDescription | null {
    if (fd < 0) throw new SysErr(E.EBADF);
    const hint = t.tg.fdHints.get(fd);
    if (!hint || hint.closed) return null;
    const r = native.kcmpFile(t.tid, this.self, fd, hint.hostFd);
    if (r === -E.EBADF) throw new SysErr(E.EBADF);
    return r === KCMP_EQUAL ? hint : null;
  }

  /**
   * The description behind guest fd `fd` of task `t`, or null for a host
   * object the sentry did not make (a pipe, a socket, the inherited stdio).
   * EBADF when the guest has no such fd.
   */
  lookup(t: Task, fd: number): FileDescription | null {
    const hint = this.hinted(t, fd);
    if (hint) return hint;
    const at = this.search(t.tid, fd);
    if (typeof at === 'number') throw new SysErr(-at);
    if (at.found) {
      const d = this.byFile[at.index]!;
      t.tg.fdHints.set(fd, d);
      return d;
    }
    if (native.kcmpFile(t.tid, t.tid, fd, fd) === -E.EBADF) throw new SysErr(E.EBADF);
    t.tg.fdHints.delete(fd);
    return null;
  }

  /**
   * lookup for the calls that need an open file (Linux's fdget, where fstat,
   * fchdir and the *at calls take fdget_raw): an O_PATH description is none,
   * EBADF.
   */
  lookupOpen(t: Task, fd: number): FileDescription | null {
    const d = this.lookup(t, fd);
    if (d && d.flags & O.PATH) throw new SysErr(E.EBADF);
    return d;
  }

  /**
   * What guest fd `fd` of task `t` is: a description the sentry made, or
   * else the foreign object itself, as the sentry's own copy of the guest's
   * description (the caller closes it). Unless the hint holds, the copy is
   * taken first and looked up in the registry itself, so a guest thread that
   * swaps the fd meanwhile changes nothing: the answer is about the copy.
   */
  identify(t: Task, fd: number): FileDescription | ForeignFd {
    const hint = this.hinted(t, fd);
    if (hint) return hint;
    const held = ForeignFd.take(t, fd);
    const at = this.search(this.self, held.hostFd);
    if (typeof at !== 'number' && at.found) {
      held.close();
      const d = this.byFile[at.index]!;
      t.tg.fdHints.set(fd, d);
      return d;
    }
    t.tg.fdHints.delete(fd);
    return held;
  }

  /**
   * Runs `open` (which makes a host fd); if the sentry's fd table is full,
   * closes the copies no guest holds and tries once more. The guest gets
   * EMFILE or ENFILE only when the fds really are in use.
   */
  withRoom<T>(open: () => T): T {
    try {
      return open();
    } catch (e) {
      if (!isOutOfFds(e)) throw e;
      this.sweep();
      return open();
    }
  }

  /** Closes the sentry's copy of every description no guest process holds. */
  sweep(): void {
    this.dropUnheld(() => true);
    this.sweepAt = Math.max(512, this.byFile.length * 2);
  }

  /**
   * Closes the sentry's copy of the descriptions `which` selects that no
   * guest process holds any more. The sentry's copy would otherwise keep
   * their flock and OFD locks (which belong to the description) alive.
   */
  dropUnheld(which: (d: FileDescription) => boolean): void {
    const candidates = new Set(this.byFile.filter(which));
    if (candidates.size === 0) return;
    const live = this.held(candidates);
    if (live.size === candidates.size) return;
    let kept = 0;
    for (const d of this.byFile) {
      if (!candidates.has(d) || live.has(d)) {
        this.byFile[kept++] = d;
        continue;
      }
      d.closed = true;
      closeQuietly(d.hostFd);
      this.closed(d);
    }
    this.byFile.length = kept;
  }

  /**
   * Which of `candidates` some guest process holds, from every fd of every
   * guest. A few candidates (an unlinked file's descriptions) are compared
   * with each fd directly; many (a sweep), by a search of the registry per fd.
   */
  private held(candidates: Set<FileDescription>): Set<FileDescription> {
    const live = new Set<FileDescription>();
    const direct = candidates.size <= Math.log2(this.byFile.length + 1);
    for (const tg of this.liveGroups()) {
      let fds: string[];
      try { fds = readdirSync(`/proc/${tg.tgid}/fd`); } catch { continue; }
      for (const name of fds) {
        const fd = Number(name);
        if (direct) {
          for (const d of candidates) {
            if (!live.has(d) && native.kcmpFile(tg.tgid, this.self, fd, d.hostFd) === KCMP_EQUAL) { live.add(d); break; }
          }
        } else {
          const at = this.search(tg.tgid, fd);
          const d = typeof at !== 'number' && at.found ? this.byFile[at.index]! : null;
          if (d && candidates.has(d)) live.add(d);
        }
        if (live.size === candidates.size) return live;
      }
    }
    return live;
  }

}
