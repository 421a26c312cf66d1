// In-memory volumes: a memfs Volume (or any object with the same fs
// interface) of the caller's program, mounted in the sandbox as a bind. It
// is served here, in the caller's process, speaking the gofer protocol
// (gofer/gofer.proto) on a socketpair whose other end the sandbox process
// is given: the sentry mounts it as any gofer bind (MountSpec.goferSocket).
//
// The gofer's data path hands the sentry a host fd per open file, which the
// guest then reads and writes natively. A memfs file has none, so each one
// the guest opens gets a memfd holding its content (made at its first open,
// kept until close): every open is a new description of that memfd, so
// offsets, O_APPEND, mmap and sharing between opens are Linux's own. The
// volume and the memfds are kept in step by ctime: before the server
// answers anything about a file, and when a run ends, a memfd the guest
// changed is copied into the volume (content, mode, owner, times), and a
// volume file the program changed is copied into its memfd.
import { closeSync, fstatSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, readSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { loadCodec, MAX_MESSAGE, type Codec, type DecodedRequest, type OpArgs, type OpName, type Response, type Timespec,
  UTIME_NOW, UTIME_OMIT, type WireDirent, type WireStat } from '../../gofer/protocol.js';
import { libcCalls, native } from '../../native/index.js';
import { E } from '../../sentry/abi/errno.js';
import { O, RENAME } from '../../sentry/abi/flags.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../sentry/abi/stat.js';
import { checkPath } from '../../gofer/server.js';
import { Errno } from '../../gofer/syscalls.js';
import { readiness } from './readiness.js';

/** What the server needs of a volume's stat: memfs's Stats and node:fs's have it. */
export interface VolumeStats {
  ino: number; mode: number; nlink: number; uid: number; gid: number; size: number;
  atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
}

/** The fs interface of a volume: memfs's Volume has it (as node:fs does, which would serve the host: do not). */
export interface VolumeFs {
  lstatSync(path: string): VolumeStats;
  fstatSync(fd: number): VolumeStats;
  readdirSync(path: string): unknown[];
  readlinkSync(path: string): unknown;
  mkdirSync(path: string, mode?: number): unknown;
  symlinkSync(target: string, path: string): void;
  linkSync(existing: string, path: string): void;
  unlinkSync(path: string): void;
  rmdirSync(path: string): void;
  renameSync(from: string, to: string): void;
  chmodSync(path: string, mode: number): void;
  lchownSync(path: string, uid: number, gid: number): void;
  lutimesSync(path: string, atime: number, mtime: number): void;
  truncateSync(path: string, len?: number): void;
  openSync(path: string, flags: string | number, mode?: number): number;
  closeSync(fd: number): void;
  readSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  writeSync(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  ftruncateSync(fd: number, len?: number): void;
  fchmodSync(fd: number, mode: number): void;
  fchownSync(fd: number, uid: number, gid: number): void;
  futimesSync(fd: number, atime: number, mtime: number): void;
}

/** A name off the wire (bytes) as memfs holds it: text. A name that is not UTF-8 does not survive (known gap memfs/bytes-names). */
const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

/** A volume file the guest opened: its memfd, a volume fd (which follows it through renames), and when each was last in step. */
interface Shadow { memfd: number; vfd: number; memfdCtime: bigint; volState: string }

const DT = { [S_IFDIR]: 4, [S_IFREG]: 8, [S_IFLNK]: 10 } as Record<number, number>;
/** tmpfs's f_type: a volume has no capacity of its own, as a tmpfs without size= (all zeros). */
const TMPFS_MAGIC = 0x01021994;
const EAGAIN = 11;
/** The biggest file copied back into a volume: memfs holds a file in one buffer. */
const MAX_VOLUME_FILE = 1 << 30;
/** The description's status flags a reopened memfd keeps from the guest's open. */
const STATUS_FLAGS = O.ACCMODE | O.APPEND | O.NONBLOCK | O.NOATIME | O.DSYNC | O.SYNC;

let codec: Codec | null = null;

/** memfs's and node:fs's errors carry the errno's name. */
function errnoOf(e: unknown): number {
  const code = (e as { code?: string }).code;
  const n = code ? (constants.errno as Record<string, number>)[code] : undefined;
  if (n === undefined) throw e;
  return n;
}

const ts = (ms: number): Timespec => ({ sec: Math.floor(ms / 1000), nsec: Math.round((ms % 1000) * 1e6) % 1e9 });
const seconds = (t: Timespec) => t.sec + t.nsec / 1e9;

/** A new file's mode: memfs keeps no ACLs, so the creator's umask always applies. */
const umasked = (a: { mode: number; umask?: number }) => a.mode & ~(a.umask ?? 0);

export class VolumeServer {
  private readonly buf = new Uint8Array(MAX_MESSAGE);
  private readonly fds = new Int32Array(4);
  private readonly nfds = new Int32Array(1);
  private readonly shadows = new Map<number, Shadow>();
  /** Files that could not be copied back (too big for the volume): close() reports them. */
  readonly failures: Error[] = [];
  private readonly codec: Codec;
  private sock: number;

  /** sock: the server's end of the socketpair (non-blocking), the server's to close. */
  constructor(private readonly vol: VolumeFs, sock: number) {
    this.codec = codec ??= loadCodec();
    this.sock = sock;
    libcCalls.fcntl(sock, 4 /* F_SETFL */, O.NONBLOCK);
    readiness.watch(sock, () => this.serveReady());
  }

  /** Copies what the guest changed into the volume. */
  sync(): void {
    for (const s of this.shadows.values()) {
      try { this.pull(s); } catch (e) { this.failures.push(e as Error); }
    }
  }

  /** Syncs, then stops serving and lets go of the memfds. */
  close(): void {
    if (this.sock < 0) return;
    this.sync();
    readiness.unwatch(this.sock);
    closeSync(this.sock);
    this.sock = -1;
    for (const s of this.shadows.values()) { closeSync(s.memfd); this.vol.closeSync(s.vfd); }
    this.shadows.clear();
  }

  private serveReady(): void {
    while (this.sock >= 0) {
      const n = native.recv(this.sock, this.buf, this.buf.length, this.fds, this.fds.length, this.nfds);
      for (let i = 0; i < this.nfds[0]!; i++) closeSync(this.fds[i]!);
      if (n === -EAGAIN) return;
      if (n <= 0) {
        // The sandbox hung up (it ended): what its guests wrote is kept.
        this.sync();
        readiness.unwatch(this.sock);
        closeSync(this.sock);
        this.sock = -1;
        return;
      }
      const { reply, fd } = this.answer(this.buf.subarray(0, n));
      const bytes = this.codec.encodeResponse(reply);
      native.send(this.sock, bytes, bytes.length, fd >= 0 ? Int32Array.of(fd) : null, fd >= 0 ? 1 : 0);
      if (fd >= 0) closeSync(fd);
    }
  }

  private answer(b: Uint8Array): { reply: Partial<Response> & { seq: number }; fd: number } {
    let seq = 0;
    try {
      const req = this.codec.decodeRequest(b);
      seq = req.seq;
      if (req.attach !== 0 || !req.op) throw new Errno(E.EINVAL, 'volume');
      const path = text(req.path);
      checkPath(path);
      const { reply = {}, fd = -1 } = this.run(req, path) ?? {};
      return { reply: Object.assign(reply, { seq }), fd };
    } catch (e) {
      return { reply: { seq, errno: e instanceof Errno ? e.errno : errnoOf(e) }, fd: -1 };
    }
  }

  private run(req: DecodedRequest, path: string): { reply?: Partial<Response>; fd?: number } | void {
    const op = req.op as OpName;
    const handler = this.handlers[op] as (path: string, args: unknown) => { reply?: Partial<Response>; fd?: number } | void;
    return handler('/' + path, req[op]);
  }

  private readonly handlers: { [K in OpName]: (path: string, args: OpArgs[K]) => { reply?: Partial<Response>; fd?: number } | void } = {
    lstat: (p) => ({ reply: { stat: this.stat(p) } }),
    readdir: (p, a) => ({ reply: this.readdir(p, a.withStat ?? false) }),
    readlink: (p) => ({ reply: { target: Buffer.from(String(this.vol.readlinkSync(p))) } }),
    open: (p, a) => ({ fd: this.open(p, a.flags, umasked(a)) }),
    mkdir: (p, a) => {
      const mode = umasked(a) & 0o7777;
      this.vol.mkdirSync(p, mode);
      if ((this.vol.lstatSync(p).mode & 0o7777) !== mode) this.vol.chmodSync(p, mode);
    },
    mknod: (p, a) => {
      // A volume holds files, directories and symlinks: memfs has no FIFOs, sockets or devices.
      if ((a.mode & S_IFMT) !== S_IFREG && (a.mode & S_IFMT) !== 0) throw new Errno(E.EPERM, 'volume');
      this.create(p, umasked(a));
    },
    symlink: (p, a) => this.vol.symlinkSync(text(a.target), p),
    link: (p, a) => { const to = text(a.newPath); checkPath(to); this.vol.linkSync(p, '/' + to); },
    unlink: (p) => {
      const st = this.vol.lstatSync(p);
      if (isDirMode(st.mode)) throw new Errno(E.EISDIR, 'volume');
      this.vol.unlinkSync(p);
      if (st.nlink <= 1) this.drop(st.ino);
    },
    rmdir: (p) => this.vol.rmdirSync(p),
    rename: (p, a) => { const to = text(a.newPath); checkPath(to); this.rename(p, '/' + to, a.flags); },
    chmod: (p, a) => {
      if ((this.vol.lstatSync(p).mode & S_IFMT) === S_IFLNK) throw new Errno(E.EOPNOTSUPP, 'volume');
      this.vol.chmodSync(p, a.mode & 0o7777);
      this.afterChange(p, (s) => fchmodSync(s.memfd, a.mode & 0o7777));
    },
    chown: (p, a) => {
      const st = this.vol.lstatSync(p);
      const uid = a.uid === -1 ? st.uid : a.uid, gid = a.gid === -1 ? st.gid : a.gid;
      this.vol.lchownSync(p, uid, gid);
      this.afterChange(p, (s) => fchownSync(s.memfd, uid, gid));
    },
    utimens: (p, a) => {
      const st = this.stat(p);
      const now = Date.now() / 1000;
      const pick = (t: Timespec | undefined, old: Timespec) =>
        !t || t.nsec === UTIME_OMIT ? seconds(old) : t.nsec === UTIME_NOW ? now : seconds(t);
      const atime = pick(a.atime, st.atime), mtime = pick(a.mtime, st.mtime);
      this.vol.lutimesSync(p, atime, mtime);
      this.afterChange(p, (s) => futimesSync(s.memfd, atime, mtime));
    },
    truncate: (p, a) => {
      const type = this.vol.lstatSync(p).mode & S_IFMT;
      if (type === S_IFDIR) throw new Errno(E.EISDIR, 'volume');
      if (type !== S_IFREG) throw new Errno(E.EINVAL, 'volume');
      this.vol.truncateSync(p, a.size);
      this.afterChange(p, (s) => ftruncateSync(s.memfd, a.size));
    },
    statfs: (p) => {
      this.vol.lstatSync(p);
      return { reply: { statfs: { type: TMPFS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0,
        namelen: 255, frsize: 4096, flags: 0 } } };
    },
    // memfs keeps no extended attributes.
    getxattr: () => { throw new Errno(E.EOPNOTSUPP, 'volume'); },
    setxattr: () => { throw new Errno(E.EOPNOTSUPP, 'volume'); },
    listxattr: (p) => { this.vol.lstatSync(p); return { reply: { names: [] } }; },
    removexattr: () => { throw new Errno(E.EOPNOTSUPP, 'volume'); },
    walkstat: (p, a) => ({ reply: this.walkStat(p, a.names.map(text)) }),
    // memfs names files by path only: a held directory could not follow its renames (a known gap,
    // memfs/held-dirs): the sentry keeps addressing it by path.
    hold: () => { throw new Errno(E.EOPNOTSUPP, 'volume'); },
  };

  /** p's lstat, then each name's in turn below it, as the gofer's WalkStat: up to a non-directory or a missing name. */
  private walkStat(p: string, names: string[]): Partial<Response> {
    for (const name of names) {
      if (name === '' || name.includes('/')) throw new Errno(E.EINVAL, 'name');
      checkPath(name);
    }
    const stats = [this.stat(p)];
    let at = p;
    for (const name of names) {
      if ((stats[stats.length - 1]!.mode & S_IFMT) !== S_IFDIR) break;
      at = at === '/' ? `/${name}` : `${at}/${name}`;
      try {
        stats.push(this.stat(at));
      } catch (e) {
        return { stats, missing: (e as NodeJS.ErrnoException).code === 'ENOENT' };
      }
    }
    return { stats };
  }

  /** The file's lstat; a file the guest has open is first brought in step, and its times are its memfd's (to the nanosecond). */
  private stat(p: string): WireStat {
    const st = this.vol.lstatSync(p);
    // A symlink's size is its target's length (memfs says 0).
    if ((st.mode & S_IFMT) === S_IFLNK) return { ...wireStat(st), size: Buffer.byteLength(String(this.vol.readlinkSync(p))) };
    const shadow = this.shadows.get(st.ino);
    if (!shadow) return wireStat(st);
    this.inStep(shadow);
    const fresh = wireStat(this.vol.lstatSync(p));
    const m = fstatSync(shadow.memfd, { bigint: true });
    const t = (ns: bigint): Timespec => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
    return { ...fresh, size: Number(m.size), blocks: Number(m.blocks), atime: t(m.atimeNs), mtime: t(m.mtimeNs) };
  }

  private readdir(p: string, withStat: boolean): Partial<Response> {
    const dirents: WireDirent[] = this.vol.readdirSync(p).map((n) => {
      const name = String(n);
      const st = this.stat(p === '/' ? `/${name}` : `${p}/${name}`);
      return { name: Buffer.from(name), ino: st.ino, type: DT[st.mode & S_IFMT] ?? 0, ...(withStat ? { stat: st } : {}) };
    });
    return { dirents, more: false };
  }

  private create(p: string, mode: number): void {
    const fd = this.vol.openSync(p, 'wx', mode & 0o7777);
    this.vol.closeSync(fd);
    // Only if memfs did not: a chmod would move ctime past the birth of a file made in one step.
    if ((this.vol.lstatSync(p).mode & 0o7777) !== (mode & 0o7777)) this.vol.chmodSync(p, mode & 0o7777);
  }

  /** A new description of the file's memfd, with the guest's flags. */
  private open(p: string, flags: number, mode: number): number {
    if (flags & O.CREAT) {
      let exists = true;
      try { this.vol.lstatSync(p); } catch { exists = false; }
      if (exists && flags & O.EXCL) throw new Errno(E.EEXIST, 'volume');
      if (!exists) this.create(p, mode);
    }
    const st = this.vol.lstatSync(p);
    const type = st.mode & S_IFMT;
    if (type === S_IFLNK) throw new Errno(E.ELOOP, 'volume');
    if (type === S_IFDIR) throw new Errno((flags & O.ACCMODE) !== O.RDONLY ? E.EISDIR : E.EOPNOTSUPP, 'volume');
    if (type !== S_IFREG) throw new Errno(E.ENXIO, 'volume');
    const shadow = this.shadowOf(p, st.ino);
    if (flags & O.TRUNC) ftruncateSync(shadow.memfd, 0);
    if (flags & O.PATH) return openSync(`/proc/self/fd/${shadow.memfd}`, O.PATH | O.CLOEXEC);
    return openSync(`/proc/self/fd/${shadow.memfd}`, (flags & STATUS_FLAGS) | O.CLOEXEC);
  }

  private rename(from: string, to: string, flags: number): void {
    if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE) || (flags & RENAME.NOREPLACE && flags & RENAME.EXCHANGE)) throw new Errno(E.EINVAL, 'volume');
    const target = (() => { try { return this.vol.lstatSync(to); } catch { return null; } })();
    const source = this.vol.lstatSync(from);
    if (flags & RENAME.NOREPLACE && target) throw new Errno(E.EEXIST, 'volume');
    // Two names of one file (or one name twice): rename(2) does nothing, whatever the flags.
    if (target && target.ino === source.ino) return;
    if (!(flags & RENAME.EXCHANGE)) {
      // memfs's rename checks none of what rename(2) does.
      if (isDirMode(source.mode) && to.startsWith(from + '/')) throw new Errno(E.EINVAL, 'volume');
      if (target) {
        if (isDirMode(source.mode) && !isDirMode(target.mode)) throw new Errno(E.ENOTDIR, 'volume');
        if (!isDirMode(source.mode) && isDirMode(target.mode)) throw new Errno(E.EISDIR, 'volume');
        if (isDirMode(target.mode)) {
          if (this.vol.readdirSync(to).length > 0) throw new Errno(E.ENOTEMPTY, 'volume');
          this.vol.rmdirSync(to);
        } else {
          // memfs's rename over a file leaves the replaced file's link count as it was.
          this.vol.unlinkSync(to);
          if (target.nlink <= 1) this.drop(target.ino);
        }
      }
      this.move(from, to);
      this.touch(to);
      return;
    }
    if (!target) throw new Errno(E.ENOENT, 'volume');
    // One request at a time: no one sees the exchange half done.
    const aside = `${to}.tvisor-exchange-${process.pid}`;
    this.move(to, aside);
    this.move(from, to);
    this.move(aside, from);
    this.touch(to);
    this.touch(from);
  }

  /**
   * Moves the entry `from` to the free name `to`. memfs's rename follows a
   * symbolic link it moves (it moves the link's target, and fails on a
   * dangling link), so a link is made anew there, with its owner and times.
   */
  private move(from: string, to: string): void {
    const st = this.vol.lstatSync(from);
    if ((st.mode & S_IFMT) !== S_IFLNK) {
      this.vol.renameSync(from, to);
      return;
    }
    this.vol.symlinkSync(String(this.vol.readlinkSync(from)), to);
    this.vol.lchownSync(to, st.uid, st.gid);
    this.vol.lutimesSync(to, st.atimeMs / 1000, st.mtimeMs / 1000);
    this.vol.unlinkSync(from);
  }

  /** Moves a renamed file's ctime on, as rename(2) does (memfs's does not): a chmod to its own mode. */
  private touch(p: string): void {
    const st = this.vol.lstatSync(p);
    if ((st.mode & S_IFMT) !== S_IFLNK) this.vol.chmodSync(p, st.mode & 0o7777);
  }

  /** The memfd of the volume file with inode `ino` at `p`, made from its content the first time. */
  private shadowOf(p: string, ino: number): Shadow {
    let s = this.shadows.get(ino);
    if (s) { this.inStep(s); return s; }
    const memfd = native.memfd('tvisor-volume', 0);
    if (memfd < 0) throw new Errno(-memfd, 'volume');
    s = { memfd, vfd: this.vol.openSync(p, 'r'), memfdCtime: 0n, volState: '' };
    this.shadows.set(ino, s);
    this.push(s);
    return s;
  }

  /**
   * The file with inode `ino` lost its last name: memfs gives its inode
   * number to the next file it makes, which must not find this memfd. The
   * guest's descriptions of the memfd are its own and live on.
   */
  private drop(ino: number): void {
    const s = this.shadows.get(ino);
    if (!s) return;
    this.shadows.delete(ino);
    closeSync(s.memfd);
    this.vol.closeSync(s.vfd);
  }

  /** Brings a file in step: the guest's change wins over the program's, as it came later (the program writes between runs). */
  private inStep(s: Shadow): void {
    if (fstatSync(s.memfd, { bigint: true }).ctimeNs !== s.memfdCtime) this.pull(s);
    else if (volState(this.vol.fstatSync(s.vfd)) !== s.volState) this.push(s);
  }

  /** After the server changed a file's attributes in the volume: its memfd, if any, gets them too. */
  private afterChange(p: string, onMemfd: (s: Shadow) => void): void {
    const st = this.vol.lstatSync(p);
    const s = this.shadows.get(st.ino);
    if (!s) return;
    onMemfd(s);
    this.marks(s);
  }

  private marks(s: Shadow): void {
    s.memfdCtime = fstatSync(s.memfd, { bigint: true }).ctimeNs;
    s.volState = volState(this.vol.fstatSync(s.vfd));
  }

  /** Volume → memfd. */
  private push(s: Shadow): void {
    const st = this.vol.fstatSync(s.vfd);
    const data = new Uint8Array(st.size);
    for (let off = 0; off < st.size;) off += this.vol.readSync(s.vfd, data, off, st.size - off, off) || st.size;
    ftruncateSync(s.memfd, 0);
    writeAll(s.memfd, data);
    fchmodSync(s.memfd, st.mode & 0o7777);
    fchownSync(s.memfd, st.uid, st.gid);
    futimesSync(s.memfd, st.atimeMs / 1000, st.mtimeMs / 1000);
    this.marks(s);
  }

  /** Memfd → volume (a file past MAX_VOLUME_FILE stays as it was: EFBIG, recorded for close()). */
  private pull(s: Shadow): void {
    const m = fstatSync(s.memfd, { bigint: true });
    if (m.ctimeNs === s.memfdCtime) return;
    const size = Number(m.size);
    if (size > MAX_VOLUME_FILE) {
      s.memfdCtime = m.ctimeNs;
      this.failures.push(new Errno(E.EFBIG, `a volume file of ${size} bytes (memfs holds at most ${MAX_VOLUME_FILE})`));
      return;
    }
    const data = new Uint8Array(size);
    // Through a description of its own with O_NOATIME: the copy is no access of the guest's.
    const reader = openSync(`/proc/self/fd/${s.memfd}`, O.RDONLY | O.NOATIME | O.CLOEXEC);
    try {
      for (let off = 0; off < size;) off += readSync(reader, data, off, size - off, off) || size;
    } finally {
      closeSync(reader);
    }
    this.vol.ftruncateSync(s.vfd, 0);
    for (let off = 0; off < size;) off += this.vol.writeSync(s.vfd, data, off, size - off, off) || size;
    this.vol.fchmodSync(s.vfd, Number(m.mode) & 0o7777);
    this.vol.fchownSync(s.vfd, Number(m.uid), Number(m.gid));
    this.vol.futimesSync(s.vfd, Number(m.atimeNs) / 1e9, Number(m.mtimeNs) / 1e9);
    this.marks(s);
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off, off);
}

/** What tells a volume file changed: memfs's ctime has only milliseconds, so its size, mtime and mode too. */
function volState(st: VolumeStats): string {
  return `${st.ctimeMs}:${st.mtimeMs}:${st.size}:${st.mode}:${st.uid}:${st.gid}`;
}

const isDirMode = (mode: number) => (mode & S_IFMT) === S_IFDIR;

function wireStat(st: VolumeStats): WireStat {
  const reg = (st.mode & S_IFMT) === S_IFREG;
  return {
    // A symlink's mode is 777 on Linux whatever made it (memfs gives it 666).
    dev: 0, ino: st.ino, mode: (st.mode & S_IFMT) === S_IFLNK ? S_IFLNK | 0o777 : st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, rdev: 0, size: st.size,
    blksize: 4096, blocks: reg ? Math.ceil(st.size / 4096) * 8 : 0,
    atime: ts(st.atimeMs), mtime: ts(st.mtimeMs), ctime: ts(st.ctimeMs), btime: ts(st.birthtimeMs),
  };
}
