// inotify instances. A guest's inotify fd is one end of a SOCK_SEQPACKET
// socketpair whose other end the sentry keeps: each event is one record, so
// a read returns whole events (one a read), poll/epoll, O_NONBLOCK,
// close-on-exec, FIONREAD (the bytes queued), fork, dup and SCM_RIGHTS are
// the host's, untrapped. The sentry keeps the instance (its watches, wds and
// masks) and writes the events the VFS hooks make (vfs/notify.ts) into it.
// What the sentry does not see is asked of the host's inotify: one host
// instance per sandbox watches the host files behind watched sandbox files
// (a tmpfs file's host file, a bind mount's host files) and its events are
// translated to the guest's watches: native writes and reads, and the
// changes host processes make in a bind mount. close(2) runs natively too,
// and the sentry's copy of each description keeps the host file open past
// the guest's last close: the last close of a watched file is found by
// looking (the file registry's held check), before each change and on a
// timer while such a file is open, and the copy is closed then.
import { closeSync, readSync } from 'node:fs';
import koffi from '../../native/koffi.js';
import { E, SysErr } from '../abi/errno.js';
import { F, O } from '../abi/flags.js';
import { closeQuietly } from '../host/fd.js';
import { libcCalls, native, sys, tv } from '../host/native.js';
import { bytesName, nameBytes } from '../abi/names.js';
import { SO, SOL_SOCKET } from '../abi/socket.js';
import { type Inode, lookupChild } from '../vfs/inode.js';
import { isDir, isReg } from '../abi/stat.js';
import { closed, deleted, IN, IN_ALL_EVENTS, IN_CLOSE, type HostEvents, type Mark, type OwnChange, addMark, beforeChange,
  marksOf, notifyEntry, notifyInode, removeMark, setHostEvents, wantsClose } from '../vfs/notify.js';
import type { FileDescription } from './files.js';

const EVENT_SIZE = 16;
const DT_REG = 8;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SIOCOUTQ = 0x5411;
const POLLHUP = 0x10;
/** Linux's default fs.inotify.max_user_instances, per sandbox. */
const MAX_INSTANCES = 128;
/** Linux's default fs.inotify.max_user_watches (the low end of its memory-scaled range). */
const MAX_WATCHES = 8192;
/** Room kept in the queue for IN_Q_OVERFLOW (one event's socket buffer charge, generously). */
const OVERFLOW_ROOM = 2048;
/** How long a guest's last close of a watched file may wait for its event when no other call comes first. */
const CLOSE_CHECK_NS = 10_000_000n;
const CLOCK_MONOTONIC = 1;
const TFD_NONBLOCK = 0o4000, TFD_CLOEXEC = 0o2000000;

/** The descriptions whose last close a watch wants (an O_PATH one has none). */
const closeWatched = (d: FileDescription) => !(d.flags & O.PATH) && wantsClose(d.at.inode);

/** What the kernel does for inotify: its event loop watches fds; its file registry drops the copies no guest holds. */
export interface InotifyKernel {
  watch(fd: number, f: () => void): void;
  unwatch(fd: number): void;
  /** FileRegistry.dropUnheld: each copy closed reaches `lastClose`; answers how many of those selected are still held. */
  dropUnheld(which: (d: FileDescription) => boolean): number;
}

/** struct inotify_event, its name NUL-padded to a multiple of 16 as Linux pads it. */
function encodeEvent(wd: number, mask: number, cookie: number, name: string): Uint8Array {
  const len = name === '' ? 0 : Math.ceil((name.length + 1) / EVENT_SIZE) * EVENT_SIZE;
  const b = new Uint8Array(EVENT_SIZE + len);
  const v = new DataView(b.buffer);
  v.setInt32(0, wd, true);
  v.setUint32(4, mask >>> 0, true);
  v.setUint32(8, cookie, true);
  v.setUint32(12, len, true);
  if (name !== '') b.set(nameBytes(name), EVENT_SIZE);
  return b;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** One watch: a wd of an instance on an inode. */
class Watch implements Mark {
  constructor(readonly owner: Instance, readonly wd: number, readonly inode: Inode, public mask: number) {}

  event(mask: number, cookie: number, name: string): void {
    if (!(mask & this.mask & IN_ALL_EVENTS)) return;
    this.owner.queue(this.wd, mask & (IN_ALL_EVENTS | IN.ISDIR), cookie, name);
    if (this.mask & IN.ONESHOT) this.ignored();
  }

  ignored(): void {
    if (this.owner.forget(this)) this.owner.queue(this.wd, IN.IGNORED, 0, '');
  }
}

/** An inotify instance: the sentry's end of the guest's socket, and its watches. */
export class Instance {
  private readonly byWd = new Map<number, Watch>();
  private readonly byInode = new Map<Inode, Watch>();
  private nextWd = 1;
  private last: Uint8Array | null = null;
  private readonly room: number;
  private readonly outq = new Int32Array(1);

  constructor(private readonly system: Inotify, readonly sock: number, readonly key: string) {
    const size = new Int32Array([1 << 22]);
    libcCalls.setsockoptInt(sock, SOL_SOCKET, SO.SNDBUF, size, 4);
    const got = new Uint32Array([4]);
    sys(libcCalls.getsockoptInt(sock, SOL_SOCKET, SO.SNDBUF, size, got));
    this.room = size[0]! - OVERFLOW_ROOM;
  }

  /** inotify_add_watch on `inode`, whose checks are done: a new wd, or the existing watch's, its mask replaced or added to. */
  addWatch(inode: Inode, mask: number): number {
    const bits = mask & (IN_ALL_EVENTS | IN.ONESHOT | IN.EXCL_UNLINK);
    const w = this.byInode.get(inode);
    if (w) {
      if (mask & IN.MASK_CREATE) throw new SysErr(E.EEXIST);
      const now = mask & IN.MASK_ADD ? w.mask | bits : bits;
      if (now & IN_CLOSE && !(w.mask & IN_CLOSE)) this.system.closesWatched(inode, 1);
      else if (w.mask & IN_CLOSE && !(now & IN_CLOSE)) this.system.closesWatched(inode, -1);
      w.mask = now;
      addMark(inode, w);
      return w.wd;
    }
    if (this.system.watches >= MAX_WATCHES) throw new SysErr(E.ENOSPC);
    if (bits & IN_CLOSE) this.system.closesWatched(inode, 1);
    const nw = new Watch(this, this.nextWd++, inode, bits);
    this.byWd.set(nw.wd, nw);
    this.byInode.set(inode, nw);
    this.system.watches++;
    addMark(inode, nw);
    return nw.wd;
  }

  /** inotify_rm_watch: IN_IGNORED, and the wd is free. */
  rmWatch(wd: number): void {
    const w = this.byWd.get(wd);
    if (!w) throw new SysErr(E.EINVAL);
    beforeChange();
    w.ignored();
  }

  /** Drops a watch; false if it was already gone. */
  forget(w: Watch): boolean {
    if (this.byWd.get(w.wd) !== w) return false;
    this.byWd.delete(w.wd);
    this.byInode.delete(w.inode);
    this.system.watches--;
    if (w.mask & IN_CLOSE) this.system.closesWatched(w.inode, -1);
    removeMark(w.inode, w);
    return true;
  }

  /**
   * Queues an event as inotify's fsnotify_add_event does: the same event as
   * the last one still unread is merged into it; past the queue's room,
   * one IN_Q_OVERFLOW (wd -1) and the rest dropped.
   */
  queue(wd: number, mask: number, cookie: number, name: string): void {
    const ev = encodeEvent(wd, mask, cookie, name);
    const queued = libcCalls.ioctlInt(this.sock, SIOCOUTQ, this.outq) === 0 ? this.outq[0]! : 0;
    if (queued > 0 && this.last && mask !== IN.IGNORED && sameBytes(this.last, ev)) return;
    if (queued > this.room) {
      const overflow = encodeEvent(-1, IN.Q_OVERFLOW, 0, '');
      if (this.last && sameBytes(this.last, overflow)) return;
      this.send(overflow);
      return;
    }
    this.send(ev);
  }

  private send(ev: Uint8Array): void {
    if (libcCalls.send(this.sock, ev, ev.length, MSG_DONTWAIT | MSG_NOSIGNAL) === ev.length) this.last = ev;
    else if (koffi.errno() === E.EPIPE) this.system.drop(this);
  }

  /** The guest closed its last fd of the instance: its watches go. */
  close(): void {
    for (const w of [...this.byWd.values()]) this.forget(w);
    closeQuietly(this.sock);
  }
}

/** The sandbox's inotify: its instances, by the host socket the guest holds, and the host inotify behind them. */
export class Inotify implements HostEvents {
  private readonly instances = new Map<string, Instance>();
  watches = 0;
  private hostFd = -1;
  /** Host wd → the sandbox inodes watched through it (an overlay file and its upper file share one). */
  private readonly byHostWd = new Map<number, Set<Inode>>();
  private readonly hostWdOf = new Map<Inode, number>();
  /** Host move cookies → the sandbox's, so a host-side rename pairs as Linux pairs it. */
  private readonly cookies = new Map<number, number>();
  private nextCookie = 0x40000000;
  private readonly buf = new Uint8Array(64 * 1024);
  /** Watched directories followed file by file (track), and those files' names in them. */
  private readonly dirFiles = new Map<Inode, Map<string, Inode>>();
  private readonly namesOf = new Map<Inode, Array<[Inode, string]>>();
  /** Watches that want close events: while there are any, the copies of the files they watch are checked. */
  private closeWatches = 0;
  /** A one-shot timer (timerfd) for the check when no other call comes; -1 until the first. */
  private closeTimer = -1;
  private closeTimerArmed = false;
  private readonly closeTimerSpec = BigInt64Array.of(0n, 0n, 0n, CLOSE_CHECK_NS);
  private readonly timerBuf = new Uint8Array(8);

  constructor(private readonly k: InotifyKernel) {
    setHostEvents(this);
  }

  /** inotify_init1: the guest's end of a new instance's socket, for the caller to give (and close). */
  init(flags: number): number {
    if (flags & ~(O.CLOEXEC | O.NONBLOCK)) throw new SysErr(E.EINVAL);
    this.sweep();
    if (this.instances.size >= MAX_INSTANCES) throw new SysErr(E.EMFILE);
    const pair = new Int32Array(2);
    tv(native.socketpair(pair));
    const [mine, theirs] = [pair[0]!, pair[1]!];
    try {
      sys(libcCalls.fcntl(mine, F.SETFL, O.NONBLOCK));
      if (flags & O.NONBLOCK) sys(libcCalls.fcntl(theirs, F.SETFL, O.NONBLOCK));
      const st = new Uint8Array(144);
      sys(libcCalls.fstat(theirs, st));
      const v = new DataView(st.buffer);
      const key = `${v.getBigUint64(0, true)}:${v.getBigUint64(8, true)}`;
      const inst = new Instance(this, mine, key);
      this.instances.set(key, inst);
      return theirs;
    } catch (e) {
      closeQuietly(mine);
      closeQuietly(theirs);
      throw e;
    }
  }

  /** The instance behind a guest's fd, by its host socket's identity (dev:ino of its fstat); EINVAL if it is none. */
  find(dev: number, ino: number): Instance {
    const inst = this.instances.get(`${dev}:${ino}`);
    if (!inst) throw new SysErr(E.EINVAL);
    return inst;
  }

  /**
   * Ends the instances whose every guest fd is closed (their socket hung up):
   * their watches go. Asked at each inotify_init1 (one poll of all of them)
   * and when an event finds the peer gone, rather than watching each socket
   * in the event loop; until then a forgotten instance only keeps its watches.
   */
  private sweep(): void {
    const all = [...this.instances.values()];
    if (all.length === 0) return;
    const p = new Int16Array(all.length * 4);
    const fds = new Int32Array(p.buffer);
    all.forEach((inst, i) => { fds[i * 2] = inst.sock; });
    libcCalls.poll(p, all.length, 0);
    all.forEach((inst, i) => { if (p[i * 4 + 3]! & POLLHUP) this.drop(inst); });
  }

  drop(inst: Instance): void {
    if (this.instances.get(inst.key) !== inst) return;
    this.instances.delete(inst.key);
    inst.close();
  }

  // ---- close events ----

  /**
   * A watch on `inode` starts (+1) or stops (-1) wanting close events.
   * Before it starts, what is due goes to the watches that were there, and
   * the copies of `inode`'s (or its entries') descriptions that no guest
   * holds already are closed unreported: their last close came before the
   * watch, which Linux would not tell it.
   */
  closesWatched(inode: Inode, change: 1 | -1): void {
    if (change > 0) {
      this.drain();
      this.k.dropUnheld((d) => d.at.inode === inode || d.at.inode.parent === inode);
    }
    this.closeWatches += change;
  }

  /** The sentry closed its copy of `d`, which no guest held any more: its last close (fsnotify_close). */
  lastClose(d: FileDescription): void {
    if (!(d.flags & O.PATH)) closed(d.at.inode, (d.flags & O.ACCMODE) !== O.RDONLY);
  }

  /** Reports the last closes of watched files so far; while one is still open, the timer looks again. */
  private closes(): void {
    if (this.closeWatches > 0 && this.k.dropUnheld(closeWatched) > 0) this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimerArmed) return;
    if (this.closeTimer < 0) {
      this.closeTimer = sys(libcCalls.timerfdCreate(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
      this.k.watch(this.closeTimer, () => {
        try { readSync(this.closeTimer, this.timerBuf); } catch { /* EAGAIN: read already */ }
        this.closeTimerArmed = false;
        this.drain();
      });
    }
    sys(libcCalls.timerfdSettime(this.closeTimer, 0, this.closeTimerSpec, null));
    this.closeTimerArmed = true;
  }

  // ---- the host's inotify ----

  private hostInotify(): number {
    if (this.hostFd < 0) {
      this.hostFd = sys(libcCalls.inotifyInit1(O.NONBLOCK | O.CLOEXEC));
      this.k.watch(this.hostFd, () => this.drain());
    }
    return this.hostFd;
  }

  /** What the host reports of a watched file: its data and attributes; for a bind mount's directory, its entries too. */
  private static readonly HOST_MASK = IN.MODIFY | IN.ACCESS | IN.ATTRIB | IN.CREATE | IN.DELETE | IN.MOVED_FROM |
    IN.MOVED_TO | IN.DELETE_SELF | IN.MOVE_SELF;

  /**
   * Watches `inode`'s host file while it has marks or is a file of a watched
   * directory. A watched directory with no host file of its own (tmpfs, the
   * overlay) has its regular files watched instead, each by its name there:
   * their data events go to the directory's watches with that name.
   */
  track(inode: Inode): void {
    if (this.closeWatches > 0 && wantsClose(inode)) this.armCloseTimer();
    const watched = (marksOf(inode)?.size ?? 0) > 0;
    const wanted = watched || this.namesOf.has(inode);
    if (!wanted && !this.hostWdOf.has(inode) && !this.dirFiles.has(inode)) return;
    const fd = wanted ? inode.dataFile() : -1;
    if (isDir(inode.fileType())) this.followFiles(inode, watched && fd < 0);
    this.hostWatch(inode, fd);
  }

  entry(dir: Inode, name: string, child: Inode, added: boolean): void {
    const files = this.dirFiles.get(dir);
    if (!files || !isReg(child.fileType())) return;
    if (added) {
      const before = files.get(name);
      if (before && before !== child) this.entry(dir, name, before, false);
      files.set(name, child);
      const names = this.namesOf.get(child) ?? [];
      names.push([dir, name]);
      this.namesOf.set(child, names);
    } else {
      if (files.get(name) === child) files.delete(name);
      const names = (this.namesOf.get(child) ?? []).filter(([d, n]) => d !== dir || n !== name);
      if (names.length) this.namesOf.set(child, names);
      else this.namesOf.delete(child);
    }
    this.track(child);
  }

  private followFiles(dir: Inode, follow: boolean): void {
    if (follow === this.dirFiles.has(dir)) return;
    if (follow) {
      this.dirFiles.set(dir, new Map());
      for (const e of dir.readdir(true)) {
        if (e.type !== DT_REG) continue;
        const child = lookupChild(dir, e.name);
        if (child) this.entry(dir, e.name, child, true);
      }
    } else {
      for (const [name, child] of [...this.dirFiles.get(dir)!]) this.entry(dir, name, child, false);
      this.dirFiles.delete(dir);
    }
  }

  /** Points `inode`'s host watch at the host file `fd` (closed here), or drops it (-1). */
  private hostWatch(inode: Inode, fd: number): void {
    const old = this.hostWdOf.get(inode);
    let wd = -1;
    if (fd >= 0) {
      try {
        // A host limit (fs.inotify.max_user_watches) leaves the file without host events.
        wd = libcCalls.inotifyAddWatch(this.hostInotify(), `/proc/self/fd/${fd}`, Inotify.HOST_MASK);
      } finally {
        closeSync(fd);
      }
    }
    if (wd === old) return;
    if (old !== undefined) {
      this.hostWdOf.delete(inode);
      const set = this.byHostWd.get(old);
      set?.delete(inode);
      if (set?.size === 0) {
        this.byHostWd.delete(old);
        libcCalls.inotifyRmWatch(this.hostFd, old);
      }
    }
    if (wd < 0) return;
    this.hostWdOf.set(inode, wd);
    let set = this.byHostWd.get(wd);
    if (!set) this.byHostWd.set(wd, set = new Set());
    set.add(inode);
  }

  /**
   * Reads the host's queued events and hands them to the sandbox's watches,
   * then the last closes of watched files: a native write comes before the
   * close that follows it, and both before the sentry's next change.
   */
  drain(): void {
    for (const ev of this.read()) this.translate(ev.wd, ev.mask, ev.cookie, ev.name);
    this.closes();
  }

  afterOwn(own: OwnChange): void {
    for (const ev of this.read()) {
      if (!(ev.mask & IN.IGNORED) && this.isOwn(own, ev.wd, ev.name)) continue;
      this.translate(ev.wd, ev.mask, ev.cookie, ev.name);
    }
  }

  /** Whether the host's event (on the files watched through `wd`, about entry `name` or, with none, themselves) is `own`'s. */
  private isOwn(own: OwnChange, wd: number, name: string): boolean {
    const watched = this.byHostWd.get(wd);
    if (!watched) return true;
    if (name === '') return own.files.some((f) => watched.has(f));
    return own.entries.some(([dir, n]) => n === name && watched.has(dir));
  }

  private *read(): Iterable<{ wd: number; mask: number; cookie: number; name: string }> {
    if (this.hostFd < 0) return;
    for (;;) {
      let n: number;
      try { n = readSync(this.hostFd, this.buf); } catch { return; }
      const v = new DataView(this.buf.buffer, 0, n);
      for (let i = 0; i + EVENT_SIZE <= n;) {
        const len = v.getUint32(i + 12, true);
        const raw = this.buf.subarray(i + EVENT_SIZE, i + EVENT_SIZE + len);
        const end = raw.indexOf(0);
        yield { wd: v.getInt32(i, true), mask: v.getUint32(i + 4, true), cookie: v.getUint32(i + 8, true),
          name: bytesName(end < 0 ? raw : raw.subarray(0, end)) };
        i += EVENT_SIZE + len;
      }
    }
  }

  private translate(wd: number, mask: number, hostCookie: number, name: string): void {
    const inodes = this.byHostWd.get(wd);
    if (mask & IN.IGNORED) {
      this.byHostWd.delete(wd);
      for (const i of inodes ?? []) this.hostWdOf.delete(i);
      return;
    }
    if (!inodes) return;
    let cookie = 0;
    if (hostCookie) {
      cookie = this.cookies.get(hostCookie) ?? this.nextCookie++;
      this.cookies.set(hostCookie, cookie);
      if (this.cookies.size > 64) this.cookies.delete(this.cookies.keys().next().value!);
    }
    const bits = mask & (IN_ALL_EVENTS | IN.ISDIR);
    for (const inode of [...inodes]) {
      // Names only, as Linux gives them: the entry of a watched directory the guest sees.
      if (name !== '') notifyEntry(inode, name, null, bits, cookie);
      else if (mask & IN.DELETE_SELF) deleted(inode);
      else {
        for (const [dir, n] of this.namesOf.get(inode) ?? []) notifyEntry(dir, n, null, bits, cookie);
        notifyInode(inode, bits, cookie);
      }
    }
  }
}
