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
import { E, SysErr } from '../abi/errno.js';
import { O } from '../abi/flags.js';
import { isDir, isFifo, S_IFDIR, S_IFMT, S_IFREG, S_IFSOCK } from '../abi/stat.js';
import { hostFileKey } from '../vfs/devices.js';
import { native } from '../host/native.js';
import { closeQuietly, hostFstat, hostStat } from '../host/fd.js';
import type { HostStat } from '../host/native.js';
import type { DirEntry, Inode } from '../vfs/inode.js';
import type { EmptyDir } from '../host/emptydir.js';
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

/** An fd of a guest process. */
interface GuestFd { pid: number; fd: number }

/** How many of the newest fresh descriptions a search compares before it places them all (FileRegistry.search). */
const FRESH_FIRST = 4;
/** How many files' descriptions closed last the registry remembers, for one that was in flight then (adopt). */
const CLOSED_KEPT = 4096;
/** What of a description a guest's copy shows: its access mode and O_APPEND. */
const ACCESS = O.ACCMODE | O.APPEND;

export class FileRegistry {
  /** The descriptions whose place in the kernel's order of open file descriptions (kcmp's order) is known, in that order. */
  private readonly byFile: FileDescription[] = [];
  /**
   * Descriptions added since the last search of the whole registry, in no
   * order. Each is an open file description the sentry has just made (its
   * own open), so it is in the registry once without a search; kcmp would
   * only find its place. A search of the whole registry places them first
   * (settle); a sweep places only those a guest still holds.
   */
  private fresh: FileDescription[] = [];
  private sweepAt = 512;
  private readonly self = process.pid;
  /**
   * The description it closed last of each regular file (by host file and access) and directory (by inode), for
   * the CLOSED_KEPT files closed last, the oldest first: one was perhaps in flight, in a unix socket message no
   * guest had received yet, when no guest held it (adopt).
   */
  private readonly lately = new Map<string | Inode, FileDescription>();

  constructor(private readonly liveGroups: () => Iterable<ThreadGroup>,
    /** Called for each description the sentry closes (its lock proxy goes with it). */
    private readonly closed: (d: FileDescription) => void = () => {},
    /** The host directories behind the sandbox's directories. */
    private readonly emptyDir: EmptyDir | null = null) {}

  get size(): number { return this.byFile.length + this.fresh.length; }

  private *all(): Iterable<FileDescription> {
    yield* this.byFile;
    yield* this.fresh;
  }

  /** The files of the descriptions not found unheld yet. */
  *inodes(): Iterable<Inode> {
    for (const d of this.all()) if (!d.closed) yield d.at.inode;
  }

  /** Does an open description lie on mount `m` (umount's EBUSY)? */
  usesMount(m: Mount): boolean {
    const on = (d: FileDescription) => !d.closed && d.at.mount === m;
    return this.byFile.some(on) || this.fresh.some(on);
  }

  /**
   * Where the open file description behind `fd` of process `pid` stands in
   * byFile: its index when there, else where it would go. A negative errno
   * when kcmp fails (EBADF: no such fd). The fresh descriptions are not
   * looked at.
   */
  private place(pid: number, fd: number): { index: number; found: boolean } | number {
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

  /**
   * The description fd `fd` of `pid` is, over the whole registry (null: none
   * of the sentry's; a negative errno when kcmp fails). The newest fresh
   * descriptions are compared first: an fd without a hint is most often a
   * dup of one just given (fts dups each directory it opens), and a fresh
   * description found so is left unplaced, as the sweep may close it
   * unplaced. Then the fresh ones are placed and the registry searched.
   */
  private search(pid: number, fd: number): FileDescription | null | number {
    for (let i = this.fresh.length - 1; i >= Math.max(0, this.fresh.length - FRESH_FIRST); i--) {
      const r = native.kcmpFile(pid, this.self, fd, this.fresh[i]!.hostFd);
      if (r === KCMP_EQUAL) return this.fresh[i]!;
      if (r < 0) return r;
    }
    this.settle();
    const at = this.place(pid, fd);
    if (typeof at === 'number') return at;
    return at.found ? this.byFile[at.index]! : null;
  }

  /** Puts the fresh descriptions in their places. */
  private settle(): void {
    while (this.fresh.length) {
      const d = this.fresh[this.fresh.length - 1]!;
      const at = this.place(this.self, d.hostFd);
      if (typeof at === 'number') throw new SysErr(-at);
      this.byFile.splice(at.index, 0, d);
      this.fresh.pop();
    }
  }

  /** Registers a description the sentry has just made (a new open file description, in no guest yet). */
  add(d: FileDescription): void {
    // Sweep before adding: no guest holds `d` yet.
    if (this.size + 1 >= this.sweepAt) this.sweep();
    this.fresh.push(d);
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
    const d = this.search(t.tid, fd);
    if (typeof d === 'number') throw new SysErr(-d);
    if (d) {
      t.tg.fdHints.set(fd, d);
      return d;
    }
    if (native.kcmpFile(t.tid, t.tid, fd, fd) === -E.EBADF) throw new SysErr(E.EBADF);
    t.tg.fdHints.delete(fd);
    return this.lately.size === 0 ? null : this.adoptFd(t, fd);
  }

  /** adopt for fd `fd` of `t`: null for a pipe or a socket (most fds the sentry has no description of), at once. */
  private adoptFd(t: Task, fd: number): FileDescription | null {
    let held: ForeignFd;
    try {
      if (!adoptable(hostStat(`/proc/${t.tid}/fd/${fd}`))) return null;
      held = ForeignFd.take(t, fd);
    } catch (e) {
      // The fd or the task went meanwhile: nothing to take back.
      if (e instanceof SysErr) return null;
      throw e;
    }
    const adopted = this.adopt(held);
    if (!adopted) {
      held.close();
      return null;
    }
    t.tg.fdHints.set(fd, adopted);
    return adopted;
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
    const d = this.search(this.self, held.hostFd);
    if (d !== null && typeof d !== 'number') {
      held.close();
      t.tg.fdHints.set(fd, d);
      return d;
    }
    const adopted = this.adopt(held);
    if (adopted) {
      t.tg.fdHints.set(fd, adopted);
      return adopted;
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
    this.settle();
    this.sweepAt = Math.max(512, this.size * 2);
  }

  /**
   * Closes the sentry's copy of the descriptions `which` selects that no
   * guest process holds any more, and says how many of them one still holds.
   * The sentry's copy would otherwise keep their flock and OFD locks (which
   * belong to the description) alive, and hide their last close from inotify.
   */
  dropUnheld(which: (d: FileDescription) => boolean): number {
    const candidates = this.select(which);
    if (candidates.size === 0) return 0;
    const live = this.held(candidates, candidates.size);
    this.drop(candidates, live);
    return live.size;
  }

  /**
   * Closes the sentry's copies of the descriptions `which` selects (those of
   * a file that lost its last name) if no guest process holds any of them:
   * while a guest holds one, the file and its space stay anyway, and the
   * others go at the next sweep.
   */
  dropUnlessOneHeld(which: (d: FileDescription) => boolean): void {
    const candidates = this.select(which);
    if (candidates.size === 0) return;
    if (this.held(candidates, 1).size === 0) this.drop(candidates, new Set());
  }

  private select(which: (d: FileDescription) => boolean): Set<FileDescription> {
    const out = new Set<FileDescription>();
    for (const d of this.byFile) if (which(d)) out.add(d);
    for (const d of this.fresh) if (which(d)) out.add(d);
    return out;
  }

  private drop(candidates: Set<FileDescription>, live: Set<FileDescription>): void {
    if (live.size === candidates.size) return;
    const keep = (d: FileDescription) => {
      if (!candidates.has(d) || live.has(d)) return true;
      d.closed = true;
      closeQuietly(d.hostFd);
      this.closed(d);
      this.remember(d);
      return false;
    };
    let kept = 0;
    for (const d of this.byFile) if (keep(d)) this.byFile[kept++] = d;
    this.byFile.length = kept;
    this.fresh = this.fresh.filter(keep);
  }

  private remember(d: FileDescription): void {
    const inode = d.at.inode;
    let type: number;
    try { type = inode.fileType(); } catch { return; } // a /proc file of a process gone
    const file = type === S_IFREG ? inode.hostKey() : null;
    const key = type === S_IFDIR ? inode : file !== null ? `${file}/${d.flags & ACCESS}` : null;
    if (key === null) return;
    this.lately.delete(key);
    this.lately.set(key, d);
    if (this.lately.size > CLOSED_KEPT) this.lately.delete(this.lately.keys().next().value!);
  }

  /**
   * Takes back a description the sentry closed when no guest held it, if the
   * guest's copy `held` is one: it was in flight then, in a unix socket message
   * (SCM_RIGHTS) that a guest has received since. Known by its host file and
   * access mode (a regular file), or by its host directory (EmptyDir.dirAt);
   * `held` becomes the sentry's copy. Null when none is (the guest's fd is
   * foreign); nothing is looked at unless the guest's fd is a regular file or a
   * directory and the sentry closed some lately.
   */
  private adopt(held: ForeignFd): FileDescription | null {
    if (this.lately.size === 0) return null;
    const s = held.stat();
    if (!adoptable(s)) return null;
    // A directory by its host directory's path, which names the sandbox directory it stands for (EmptyDir).
    const key = isDir(s.mode) ? this.emptyDir?.dirAt(held.hostName()) : `${hostFileKey(s)}/${held.flags() & ACCESS}`;
    const gone = key ? this.lately.get(key as string | Inode) : undefined;
    if (!gone) return null;
    this.lately.delete(key as string | Inode);
    const d = new FileDescription(held.hostFd, gone.at, gone.flags, gone.path, gone.creds);
    d.privateLocks = gone.privateLocks;
    d.dirents = gone.dirents;
    this.fresh.push(d);
    return d;
  }

  /**
   * Which of `candidates` some guest process holds, from every fd of every
   * guest; the search ends once `enough` are found. The processes whose
   * hints name a candidate are listed first, and an fd whose hint names one
   * is checked against it first (one kcmp: a description is most often still
   * where it was given or last seen). A few candidates (an
   * unlinked file's descriptions) are compared with each fd directly; many
   * (a sweep), by a search of the placed descriptions per fd, and the fresh
   * ones among the fds no placed description matched (looseHeld).
   */
  private held(candidates: Set<FileDescription>, enough: number): Set<FileDescription> {
    const live = new Set<FileDescription>();
    const direct = candidates.size <= Math.log2(this.size + 1);
    const loose: GuestFd[] = [];
    for (const tg of this.hintedFirst(candidates)) {
      let fds: number[];
      try {
        fds = tg.fds.list();
      } catch (e) {
        // A process that is gone holds nothing. Without an fd left to list a new process's (the
        // sweep that withRoom makes to free some), it is passed over, as readdirSync's failure was:
        // keeping every copy would leave the sentry's table full for good. Any other failure keeps them.
        if (e instanceof SysErr && (e.errno === E.ENOENT || isOutOfFds(e))) continue;
        return candidates;
      }
      const rest: number[] = [];
      for (const fd of fds) {
        const d = tg.fdHints.get(fd);
        if (d && candidates.has(d) && !live.has(d) && native.kcmpFile(tg.tgid, this.self, fd, d.hostFd) === KCMP_EQUAL) {
          live.add(d);
          if (live.size >= enough) return live;
        } else {
          rest.push(fd);
        }
      }
      for (const fd of rest) {
        if (direct) {
          for (const d of candidates) {
            if (!live.has(d) && native.kcmpFile(tg.tgid, this.self, fd, d.hostFd) === KCMP_EQUAL) { live.add(d); break; }
          }
        } else {
          const at = this.place(tg.tgid, fd);
          if (typeof at === 'number') continue;
          if (!at.found) loose.push({ pid: tg.tgid, fd });
          else if (candidates.has(this.byFile[at.index]!)) live.add(this.byFile[at.index]!);
        }
        if (live.size >= enough) return live;
      }
    }
    if (direct || loose.length === 0) return live;
    for (const d of this.looseHeld(candidates, live, loose)) {
      live.add(d);
      if (live.size >= enough) break;
    }
    return live;
  }

  /** The live groups, those whose hints name one of `candidates` first (where one is most likely held). */
  private hintedFirst(candidates: Set<FileDescription>): ThreadGroup[] {
    const first: ThreadGroup[] = [];
    const then: ThreadGroup[] = [];
    for (const tg of this.liveGroups()) {
      let hinted = false;
      for (const d of tg.fdHints.values()) if (candidates.has(d)) { hinted = true; break; }
      (hinted ? first : then).push(tg);
    }
    return first.concat(then);
  }

  /**
   * The fresh candidates (not in `live`) that are one of the guest fds
   * `loose`. Each is compared (kcmp) only with the fds of its host file,
   * told by stat (both asked in the same sweep, as both follow the same
   * open file description's path, they agree): most fresh
   * descriptions of a sweep are ones the guest closed, and most loose fds
   * pipes and sockets, which no description is.
   */
  private *looseHeld(candidates: Set<FileDescription>, live: Set<FileDescription>, loose: GuestFd[]): Iterable<FileDescription> {
    const byFile = filesOf(loose);
    if (byFile.size === 0) return;
    for (const d of this.fresh) {
      if (!candidates.has(d) || live.has(d)) continue;
      const same = byFile.get(hostFileOf(d));
      if (same?.some((g) => native.kcmpFile(g.pid, this.self, g.fd, d.hostFd) === KCMP_EQUAL)) yield d;
    }
  }
}

/**
 * The host file ("dev:ino") each of `fds` has open (an fd closed meanwhile
 * has none), but pipes and sockets: no description is one (the sentry keeps
 * no copy of a FIFO's ends, see openFifo, and nothing opens a socket), and
 * they are most of a guest's fds that are not descriptions (its stdio).
 */
function filesOf(fds: GuestFd[]): Map<string, GuestFd[]> {
  const out = new Map<string, GuestFd[]>();
  for (const g of fds) {
    let s: HostStat;
    try { s = hostStat(`/proc/${g.pid}/fd/${g.fd}`); } catch { continue; }
    if (isFifo(s.mode) || (s.mode & S_IFMT) === S_IFSOCK) continue;
    const key = hostFileKey(s);
    const list = out.get(key);
    if (list) list.push(g);
    else out.set(key, [g]);
  }
  return out;
}

/** The host file the sentry's copy of `d` has open (hostFileKey). */
function hostFileOf(d: FileDescription): string {
  return hostFileKey(hostFstat(d.hostFd));
}

/** A regular file or a directory: what a description the sentry made stands for. */
function adoptable(s: HostStat): boolean {
  const type = s.mode & S_IFMT;
  return type === S_IFREG || type === S_IFDIR;
}
