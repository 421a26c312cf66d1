// Open file descriptions and how a guest fd number is mapped to one.
//
// Guest fds are real host fds, so dup, dup2, fcntl(F_DUPFD), close, fork,
// exec's close-on-exec and fds sent over unix sockets all run in the host
// kernel without a trap. The sentry keeps its own fd to every open file
// description it made and identifies the description behind a guest fd
// with kcmp(KCMP_FILE) when a trapped call names that fd: one mechanism
// for every way an fd can move. Per-process hints make the common case one
// kcmp; the registry is swept of descriptions no guest holds any more.
import { readdirSync } from 'node:fs';
import { E, SysErr } from './errno.js';
import { native } from '../platform/native.js';
import { closeQuietly } from '../fs/host.js';
import type { DirEntry } from '../vfs/inode.js';
import type { VfsPath } from '../vfs/mount.js';
import type { Task, ThreadGroup } from './task.js';

export class FileDescription {
  /** Directory entries for getdents, taken when a listing starts at offset 0. */
  dirents: DirEntry[] | null = null;

  constructor(
    readonly hostFd: number,
    readonly at: VfsPath,
    /** The guest's open flags. */
    readonly flags: number,
    /** The sandbox path it was opened by, as /proc/self/fd shows it. */
    readonly path: string,
  ) {}
}

const KCMP_EQUAL = 0;
const KCMP_LESS = 1;

export class FileRegistry {
  private readonly all = new Set<FileDescription>();
  private sweepAt = 512;
  private readonly self = process.pid;

  constructor(private readonly liveGroups: () => Iterable<ThreadGroup>) {}

  get size(): number { return this.all.size; }

  add(d: FileDescription): void {
    // Sweep before adding: no guest holds `d` yet.
    if (this.all.size + 1 >= this.sweepAt) this.sweep();
    this.all.add(d);
  }

  /**
   * The description behind guest fd `fd` of task `t`, or null for a host
   * object the sentry did not make (a pipe, a socket, the inherited stdio).
   * EBADF when the guest has no such fd.
   */
  lookup(t: Task, fd: number): FileDescription | null {
    if (fd < 0) throw new SysErr(E.EBADF);
    const hint = t.tg.fdHints.get(fd);
    if (hint && this.all.has(hint)) {
      const r = native.kcmpFile(t.tid, this.self, fd, hint.hostFd);
      if (r === KCMP_EQUAL) return hint;
      if (r === -E.EBADF) throw new SysErr(E.EBADF);
    }
    for (const d of this.all) {
      const r = native.kcmpFile(t.tid, this.self, fd, d.hostFd);
      if (r === KCMP_EQUAL) {
        t.tg.fdHints.set(fd, d);
        return d;
      }
      if (r === -E.EBADF) throw new SysErr(E.EBADF);
      if (r < 0) throw new SysErr(-r);
    }
    if (native.kcmpFile(t.tid, t.tid, fd, fd) === -E.EBADF) throw new SysErr(E.EBADF);
    t.tg.fdHints.delete(fd);
    return null;
  }

  /** Closes the sentry's copy of every description no guest process holds. */
  sweep(): void {
    const sorted = [...this.all].sort((a, b) => {
      const r = native.kcmpFile(this.self, this.self, a.hostFd, b.hostFd);
      return r === KCMP_EQUAL ? 0 : r === KCMP_LESS ? -1 : 1;
    });
    const live = new Set<FileDescription>();
    for (const tg of this.liveGroups()) {
      let fds: string[];
      try { fds = readdirSync(`/proc/${tg.tgid}/fd`); } catch { continue; }
      for (const name of fds) {
        const fd = Number(name);
        let lo = 0, hi = sorted.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const r = native.kcmpFile(tg.tgid, this.self, fd, sorted[mid]!.hostFd);
          if (r === KCMP_EQUAL) { live.add(sorted[mid]!); break; }
          if (r < 0) break;
          if (r === KCMP_LESS) hi = mid - 1; else lo = mid + 1;
        }
      }
    }
    for (const d of sorted) {
      if (!live.has(d)) {
        this.all.delete(d);
        closeQuietly(d.hostFd);
      }
    }
    this.sweepAt = Math.max(512, this.all.size * 2);
  }
}
