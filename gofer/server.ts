// The gofer's request loop: one request at a time, each walked from its
// base (an attach root, or a directory held for the sentry, see Hold) with
// openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), so
// no symlink and no `..` ever leads out. The last component is then acted
// on by name in its parent directory without being followed
// (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW), as lstat(2) or lchown(2) do.
// A single-file attach has only its root, path "": it is acted on through
// its O_PATH fd (AT_EMPTY_PATH) or by its name in the gofer's own root (see
// AttachRoot); anything that needs a directory of it gets ENOTDIR.
import { closeSync, fstatSync } from 'node:fs';
import { native } from '../native/index.js';
import { type Codec, type DecodedRequest, MAX_MESSAGE, type OpArgs, type OpName, PACKED_STAT_BYTES, type Response, UTIME_OMIT,
  type WireDirent, type WireStat, type WireStatFs } from './protocol.js';
import { E } from '../sentry/abi/errno.js';
import { AT, F, O, RESOLVE } from '../sentry/abi/flags.js';
import { decodeStatx, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, STATX_BASIC_STATS, STATX_BTIME, STATX_SIZE } from '../sentry/abi/stat.js';
import { direntCookie, type Dirent64, forEachDirent64, isDots } from '../sentry/abi/dirent.js';
import { bytesName, isPlainName } from '../sentry/abi/names.js';
import { c, Errno } from './syscalls.js';

const BENEATH = RESOLVE.BENEATH | RESOLVE.NO_SYMLINKS | RESOLVE.NO_MAGICLINKS;
const SEEK_SET = 0;
/** A READDIR page's budget: a SOCK_SEQPACKET message must fit in the socket's send buffer (≈ 200 KiB by default). */
const READDIR_PAGE_BYTES = 96 * 1024;
/** What one entry's lstat adds to a page, encoded (its bytes and their field's tag and length). */
const STAT_BYTES = PACKED_STAT_BYTES + 2;
/** XATTR_SIZE_MAX, XATTR_LIST_MAX; also more than PATH_MAX for readlink. */
const XATTR_MAX = 65536;

/** What an operation answers: the reply's fields, and maybe an fd to donate with them. */
interface Outcome { reply?: Partial<Response>; fd?: number }

/**
 * An attach as the server holds it: an O_PATH fd of its root, its name in
 * the gofer's root directory (the confined tmpfs, which only confine()
 * changed), and whether it is a directory. A file root cannot be reopened
 * through its fd (openat2 of "." needs a directory, and there is no /proc in
 * the confined tree): it is opened by that name, which is the mount point
 * of the attach, and checked to be the same file.
 */
export interface AttachRoot { fd: number; name: string; dir: boolean }

type Root = AttachRoot & { dev: bigint; ino: bigint };

type Handlers = { [K in OpName]: (root: Root, path: string, args: OpArgs[K]) => Outcome | void };

/** Refuses anything but plain names ("" being the root): absolute paths, `.`, `..`, empty components, NUL. */
export function checkPath(path: string): void {
  if (path === '') return;
  for (const part of path.split('/')) {
    if (!isPlainName(part)) throw new Errno(E.EINVAL, 'path');
  }
}

/** A checked path's parent and last component; the root has no last component. */
function split(path: string): { parent: string; name: string } {
  if (path === '') throw new Errno(E.EINVAL, 'path');
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { parent: '', name: path } : { parent: path.slice(0, slash), name: path.slice(slash + 1) };
}

/**
 * Runs a create with the creator's umask as the process's (0 otherwise): the
 * host kernel applies it, or in a directory with a default ACL that ACL
 * instead (posix_acl_create), which the sentry does not read before a create.
 */
function withUmask<T>(umask: number | undefined, create: () => T): T {
  if (!umask) return create();
  process.umask(umask & 0o777);
  try { return create(); } finally { process.umask(0); }
}

/** A uid or gid from the wire: -1 (leave unchanged) or a 32-bit id. */
function id(x: number): number {
  if (x === -1) return 0xffffffff;
  if (!Number.isInteger(x) || x < 0 || x >= 0xffffffff) throw new Errno(E.EINVAL, 'id');
  return x;
}

export class GoferServer {
  private readonly buf = new Uint8Array(MAX_MESSAGE);
  private readonly fds = new Int32Array(16);
  private readonly nfds = new Int32Array(1);
  private readonly donated = new Int32Array(1);
  /** struct statx. */
  private readonly statBuf = new Uint8Array(STATX_SIZE);
  private readonly direntBuf = new Uint8Array(65536);
  private readonly valueBuf = new Uint8Array(XATTR_MAX);
  /** Where the working directory returns after an xattr call, so that it pins no directory of a tree. */
  private readonly home: number;

  private readonly roots: Root[];
  /**
   * The directories held for the sentry (Hold), by handle: numbered after
   * the attaches. Each was opened O_PATH beneath a base, so what is walked
   * from it is as confined as what is walked from its attach root.
   */
  private readonly held = new Map<number, Root>();
  private nextHandle: number;

  /** roots[i]: attach i; the working directory is the gofer's root. */
  constructor(private readonly sock: number, private readonly codec: Codec, roots: AttachRoot[]) {
    this.home = c.openat(AT.FDCWD, '/', O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
    this.roots = roots.map((r) => {
      const st = fstatSync(r.fd, { bigint: true });
      return { ...r, dev: st.dev, ino: st.ino };
    });
    this.nextHandle = this.roots.length;
  }

  /** Serves until the sentry closes its end. */
  serve(): void {
    for (;;) {
      const n = native.recv(this.sock, this.buf, this.buf.length, this.fds, this.fds.length, this.nfds);
      // The sentry has no reason to send fds; never keep one.
      for (let i = 0; i < this.nfds[0]!; i++) closeSync(this.fds[i]!);
      if (n === 0) return;
      if (n < 0 && n !== -E.EMSGSIZE) throw new Error(`recv: errno ${-n}`);
      const { reply, fd = -1 } = n < 0 ? { reply: { seq: 0, errno: E.EMSGSIZE } } : this.answer(n);
      const bytes = this.codec.encodeResponse(reply);
      this.donated[0] = fd;
      const sent = native.send(this.sock, bytes, bytes.length, fd >= 0 ? this.donated : null, fd >= 0 ? 1 : 0);
      if (fd >= 0) closeSync(fd);
      if (sent < 0) {
        // EPIPE: the sentry is gone, which ends the gofer as EOF does.
        if (sent === -E.EPIPE) return;
        throw new Error(`send: errno ${-sent}`);
      }
    }
  }

  /** Decodes and runs one request; whatever goes wrong becomes an errno for the sentry. */
  private answer(n: number): { reply: Partial<Response> & { seq: number }; fd?: number } {
    let seq = 0;
    try {
      const req = this.codec.decodeRequest(this.buf.subarray(0, n));
      seq = req.seq;
      const { reply = {}, fd } = this.run(req) ?? {};
      // Set on the reply itself: a spread copy would cost more than the encoding.
      return { reply: Object.assign(reply, { seq }), fd };
    } catch (e) {
      if (e instanceof Errno) return { reply: { seq, errno: e.errno } };
      // A request that does not decode is the sentry's bug (EINVAL); any
      // other exception is the gofer's (EIO). Neither may stop the gofer,
      // which would take every file of the sandbox with it.
      process.stderr.write(`tvisor-gofer: request ${seq}: ${(e as Error).stack ?? e}\n`);
      return { reply: { seq, errno: seq === 0 ? E.EINVAL : E.EIO } };
    }
  }

  /** The base a request names: an attach root or a held directory (EBADF for neither). */
  private base(id: number): Root {
    const root = id < this.roots.length ? this.roots[id] : this.held.get(id);
    if (root === undefined) throw new Errno(E.EBADF, 'base');
    return root;
  }

  private run(req: DecodedRequest): Outcome | void {
    for (const h of req.release ?? []) {
      const root = this.held.get(h);
      if (root) { this.held.delete(h); closeSync(root.fd); }
    }
    const op = req.op;
    if (op === undefined) throw new Errno(E.EINVAL, 'request');
    const root = this.base(req.attach);
    // Names stay bytes: one character per byte (sentry/abi/names.ts), which syscalls.ts passes on as they came.
    const path = bytesName(req.path);
    checkPath(path);
    const handler = this.handlers[op] as (root: Root, path: string, args: unknown) => Outcome | void;
    return handler(root, path, req[op]);
  }

  /** The operations, by the name of their member in Request's `op` oneof. */
  private readonly handlers: Handlers = {
    lstat: (root, path, args) => {
      if (!args.pathFd || path === '') return { reply: { stat: this.lstat(root, path) } };
      const { stat, fd } = this.inParent(root, path, (dir, name) => this.statByPathFd(dir, name));
      return fd >= 0 ? { reply: { stat }, fd } : { reply: { stat } };
    },
    readdir: (root, path, args) => ({ reply: this.readdir(root, path, args) }),
    readlink: (root, path) => ({ reply: { target: this.readlink(root, path) } }),
    open: (root, path, args) => ({ fd: withUmask(args.umask, () => this.open(root, path, args.flags, args.mode)) }),
    mkdir: (root, path, args) => {
      this.inParent(root, path, (dir, name) => withUmask(args.umask, () => c.mkdirat(dir, name, args.mode)));
    },
    mknod: (root, path, args) => {
      this.inParent(root, path, (dir, name) => withUmask(args.umask, () => c.mknodat(dir, name, args.mode, args.dev)));
    },
    symlink: (root, path, args) => { this.inParent(root, path, (dir, name) => c.symlinkat(bytesName(args.target), dir, name)); },
    link: (root, path, args) => {
      const newPath = bytesName(args.newPath);
      checkPath(newPath);
      const newRoot = args.newAttach == null ? root : this.base(args.newAttach);
      this.inParent(root, path, (oldDir, oldName) =>
        this.inParent(newRoot, newPath, (newDir, newName) => c.linkat(oldDir, oldName, newDir, newName, 0)));
    },
    unlink: (root, path) => { this.inParent(root, path, (dir, name) => c.unlinkat(dir, name, 0)); },
    rmdir: (root, path) => { this.inParent(root, path, (dir, name) => c.unlinkat(dir, name, AT.REMOVEDIR)); },
    rename: (root, path, args) => {
      const newPath = bytesName(args.newPath);
      checkPath(newPath);
      const newRoot = args.newAttach == null ? root : this.base(args.newAttach);
      this.inParent(root, path, (oldDir, oldName) =>
        this.inParent(newRoot, newPath, (newDir, newName) => c.renameat2(oldDir, oldName, newDir, newName, args.flags)));
    },
    // fchmodat2 with AT_SYMLINK_NOFOLLOW: a symlink's mode cannot change (EOPNOTSUPP), as on Linux.
    chmod: (root, path, args) => { this.atFile(root, path, (dir, name, flags) => c.fchmodat2(dir, name, args.mode, flags)); },
    chown: (root, path, args) => {
      const uid = id(args.uid), gid = id(args.gid);
      this.atFile(root, path, (dir, name, flags) => c.fchownat(dir, name, uid, gid, flags));
    },
    utimens: (root, path, args) => {
      const omit = { sec: 0, nsec: UTIME_OMIT };
      const a = args.atime ?? omit, m = args.mtime ?? omit;
      const times = BigInt64Array.of(BigInt(a.sec), BigInt(a.nsec), BigInt(m.sec), BigInt(m.nsec));
      this.atFile(root, path, (dir, name, flags) => c.utimensat(dir, name, times, flags));
    },
    truncate: (root, path, args) => {
      // As truncate(2): a directory is EISDIR, any other non-regular file
      // EINVAL, before the open, which could be refused for another reason
      // (a FIFO without a reader) and never blocks anyway. A symlink is left
      // to the open, which refuses it (ELOOP).
      const type = this.lstat(root, path).mode & S_IFMT;
      if (type === S_IFDIR) throw new Errno(E.EISDIR, 'truncate');
      if (type !== S_IFREG && type !== S_IFLNK) throw new Errno(E.EINVAL, 'truncate');
      const fd = this.openBeneath(root, path, O.WRONLY | O.NONBLOCK, 0);
      try { c.ftruncate(fd, args.size); } finally { closeSync(fd); }
    },
    statfs: (root, path) => ({ reply: { statfs: this.statfs(root, path) } }),
    getxattr: (root, path, args) => {
      const n = this.byName(root, path, (name) => c.lgetxattr(name, bytesName(args.name), this.valueBuf, this.valueBuf.length));
      return { reply: { value: this.valueBuf.slice(0, n) } };
    },
    setxattr: (root, path, args) => {
      this.byName(root, path, (name) => c.lsetxattr(name, bytesName(args.name), args.value, args.value.length, args.flags));
    },
    listxattr: (root, path) => {
      const n = this.byName(root, path, (name) => c.llistxattr(name, this.valueBuf, this.valueBuf.length));
      // Each name ends with a NUL; a copy each, as valueBuf is reused.
      const names: Uint8Array[] = [];
      for (let at = 0; at < n;) {
        const end = this.valueBuf.indexOf(0, at);
        names.push(this.valueBuf.slice(at, end));
        at = end + 1;
      }
      return { reply: { names } };
    },
    removexattr: (root, path, args) => { this.byName(root, path, (name) => c.lremovexattr(name, bytesName(args.name))); },
    walkstat: (root, path, args) => this.walkStat(root, path, args.names.map(bytesName), args.pathFd),
    hold: (root, path) => {
      const fd = this.openBeneath(root, path, O.PATH | O.DIRECTORY, 0);
      try {
        const stat = this.statx(fd, '', AT.EMPTY_PATH);
        const handle = this.nextHandle++;
        this.held.set(handle, { fd, name: '', dir: true, dev: 0n, ino: 0n });
        return { reply: { handle, stat } };
      } catch (e) {
        closeSync(fd);
        throw e;
      }
    },
  };

  /**
   * openat2 of a checked path beneath root, with O_CLOEXEC. RESOLVE_NO_SYMLINKS
   * already refuses a symlink in the last place; O_NOFOLLOW is added only for
   * O_PATH (which then opens the symlink itself), as it would stay in the
   * guest's F_GETFL.
   */
  private openBeneath(root: Root, path: string, flags: number, mode: number): number {
    const nofollow = flags & O.PATH ? O.NOFOLLOW : 0;
    if (path === '' && !root.dir) return this.openFileRoot(root, flags | nofollow | O.CLOEXEC, mode);
    return c.openat2(root.fd, path === '' ? '.' : path, flags | nofollow | O.CLOEXEC, mode, BENEATH);
  }

  /**
   * A single-file attach opened by its name in the gofer's root: one plain
   * name, no symlink followed, and what opened must be the attach's own file
   * (a mount point of the confined tmpfs, which nothing but confine() ever
   * changed; checked all the same, as no RESOLVE_NO_XDEV can be asked of a
   * walk whose one step enters the attach's mount).
   */
  private openFileRoot(root: Root, flags: number, mode: number): number {
    const fd = c.openat2(this.home, root.name, flags, mode, BENEATH);
    const st = fstatSync(fd, { bigint: true });
    if (st.dev !== root.dev || st.ino !== root.ino) {
      closeSync(fd);
      throw new Errno(E.EIO, 'attach root changed');
    }
    return fd;
  }

  /** Runs fn with an fd of the parent directory (O_PATH) and the last name. */
  private inParent<T>(root: Root, path: string, fn: (dir: number, name: string) => T): T {
    const { parent, name } = split(path);
    if (parent === '') return fn(root.fd, name);
    const dir = this.openBeneath(root, parent, O.PATH | O.DIRECTORY, 0);
    try { return fn(dir, name); } finally { closeSync(dir); }
  }

  /** Runs an *at call on the file itself: by name in its parent, or on the attach root through AT_EMPTY_PATH. */
  private atFile<T>(root: Root, path: string, fn: (dir: number, name: string, flags: number) => T): T {
    if (path === '') return fn(root.fd, '', AT.EMPTY_PATH);
    return this.inParent(root, path, (dir, name) => fn(dir, name, AT.SYMLINK_NOFOLLOW));
  }

  /**
   * Runs an l*xattr call (which takes a path) on one plain name from inside
   * its parent directory. There is no *xattrat call before Linux 6.13, an
   * O_PATH fd has no f*xattr, and opening the file itself would fail for a
   * symlink or a device node (the trees are nodev) or block on a FIFO. A
   * file root is named from the gofer's root, the working directory.
   */
  private byName<T>(root: Root, path: string, fn: (name: string) => T): T {
    const inDir = (dir: number, name: string) => {
      c.fchdir(dir);
      try { return fn(name); } finally { c.fchdir(this.home); }
    };
    if (path === '') return root.dir ? inDir(root.fd, '.') : inDir(this.home, root.name);
    return this.inParent(root, path, inDir);
  }

  private lstat(root: Root, path: string): WireStat {
    return this.atFile(root, path, (dir, name, flags) => this.statx(dir, name, flags));
  }

  /**
   * The lstat of `name` in `dir`, taken from an O_PATH fd of it, which is
   * kept for a regular file (Lstat.path_fd, WalkStat.path_fd) and else
   * closed (fd -1).
   */
  private statByPathFd(dir: number, name: string): { stat: WireStat; fd: number } {
    const fd = c.openat2(dir, name, O.PATH | O.NOFOLLOW | O.CLOEXEC, 0, BENEATH);
    let stat: WireStat;
    try {
      stat = this.statx(fd, '', AT.EMPTY_PATH);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if ((stat.mode & S_IFMT) === S_IFREG) return { stat, fd };
    closeSync(fd);
    return { stat, fd: -1 };
  }

  /** statByPathFd of a name found a regular file: null if it is gone or no longer one. */
  private regularByPathFd(dir: number, name: string): { stat: WireStat; fd: number } | null {
    try {
      const found = this.statByPathFd(dir, name);
      return found.fd >= 0 ? found : null;
    } catch (e) {
      if (e instanceof Errno) return null;
      throw e;
    }
  }

  /** statx(2), for the birth time that stat(2) does not give, decoded as the wire's Stat. */
  private statx(dir: number, name: string, flags: number): WireStat {
    c.statx(dir, name, flags, STATX_BASIC_STATS | STATX_BTIME, this.statBuf);
    return decodeStatx(this.statBuf);
  }

  /**
   * path's lstat and each name's in turn, as one walk of plain names: every
   * directory is opened from the one before with openat2(BENEATH |
   * NO_SYMLINKS), so the walk stays as confined as a walk of the whole path.
   * A name swapped for a symlink between its statx and its open ends the walk
   * there (ELOOP), as any other failure does: the sentry asks by name.
   */
  private walkStat(root: Root, path: string, names: string[], pathFd = false): Outcome {
    for (const name of names) {
      if (!isPlainName(name)) throw new Errno(E.EINVAL, 'name');
    }
    const stats = [this.lstat(root, path)];
    if (names.length === 0 || (stats[0]!.mode & S_IFMT) !== S_IFDIR) return { reply: { stats } };
    let dir = path === '' ? root.fd : this.openBeneath(root, path, O.PATH | O.DIRECTORY, 0);
    try {
      for (let i = 0; i < names.length; i++) {
        let st: WireStat;
        try {
          st = this.statx(dir, names[i]!, AT.SYMLINK_NOFOLLOW);
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          return { reply: { stats, missing: e.errno === E.ENOENT } };
        }
        if (pathFd && (st.mode & S_IFMT) === S_IFREG) {
          // The walk ends at a regular file: with its O_PATH fd, the stat taken from that (unless it was swapped for
          // something else meanwhile: then as without).
          const byFd = this.regularByPathFd(dir, names[i]!);
          if (byFd) return { reply: { stats: [...stats, byFd.stat] }, fd: byFd.fd };
        }
        stats.push(st);
        if ((st.mode & S_IFMT) !== S_IFDIR || i === names.length - 1) break;
        let next: number;
        try {
          next = c.openat2(dir, names[i]!, O.PATH | O.DIRECTORY | O.CLOEXEC, 0, BENEATH);
        } catch (e) {
          if (!(e instanceof Errno)) throw e;
          break;
        }
        if (dir !== root.fd) closeSync(dir);
        dir = next;
      }
      return { reply: { stats } };
    } finally {
      if (dir !== root.fd) closeSync(dir);
    }
  }

  private readlink(root: Root, path: string): Uint8Array {
    const n = this.inParent(root, path, (dir, name) => c.readlinkat(dir, name, this.valueBuf, this.valueBuf.length));
    return this.valueBuf.slice(0, n);
  }

  /**
   * Opens the file with the sentry's flags, never following a symlink. The
   * open itself never blocks (a FIFO without a peer would hold the gofer and
   * every file of the sandbox with it): O_NONBLOCK is cleared afterwards
   * unless asked for. Waiting for a FIFO's peer is the sentry's business.
   */
  private open(root: Root, path: string, flags: number, mode: number): number {
    // As open(2) does, O_PATH ignores the flags that openat2 refuses beside it.
    if (flags & O.PATH) return this.openBeneath(root, path, O.PATH | (flags & O.DIRECTORY), 0);
    // openat2 refuses a mode without O_CREAT or O_TMPFILE, which open(2) ignores.
    const creating = (flags & O.CREAT) !== 0 || (flags & O.TMPFILE) === O.TMPFILE;
    const fd = this.openBeneath(root, path, flags | O.NOCTTY | O.NONBLOCK, creating ? mode : 0);
    if (flags & O.NONBLOCK) return fd;
    try {
      c.fcntl(fd, F.SETFL, c.fcntl(fd, F.GETFL, 0) & ~O.NONBLOCK);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return fd;
  }

  private statfs(root: Root, path: string): WireStatFs {
    const b = new Uint8Array(120);
    if (path === '') c.fstatfs(root.fd, b);
    else {
      const fd = this.openBeneath(root, path, O.PATH, 0);
      try { c.fstatfs(fd, b); } finally { closeSync(fd); }
    }
    // struct statfs (x86-64): type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen, frsize, flags.
    const v = new DataView(b.buffer);
    const f = (i: number) => Number(v.getBigInt64(i * 8, true));
    return { type: f(0), bsize: f(1), blocks: f(2), bfree: f(3), bavail: f(4), files: f(5), ffree: f(6), namelen: f(8),
      frsize: f(9), flags: f(10) };
  }

  /**
   * One page of a directory. A page resumes where the last one ended: its
   * cookie is the kernel's position (d_off) after the page's last entry, 8
   * opaque bytes (it may exceed 2^53). So a listing of any size costs one
   * pass over the directory.
   */
  private readdir(root: Root, path: string, args: OpArgs['readdir']): Partial<Response> {
    const fd = this.openBeneath(root, path, O.RDONLY | O.DIRECTORY | (args.noatime ? O.NOATIME : 0), 0);
    try {
      const start = args.cookie;
      if (start && start.length > 0) {
        if (start.length !== 8) throw new Errno(E.EINVAL, 'cookie');
        c.lseek(fd, new DataView(start.buffer, start.byteOffset, 8).getBigInt64(0, true), SEEK_SET);
      }
      const buf = this.direntBuf;
      const dirents: WireDirent[] = [];
      const cookie = new Uint8Array(8);
      let bytes = 0;
      for (;;) {
        const n = c.getdents64(fd, buf, buf.length);
        if (n === 0) return { dirents, more: false };
        let full = false;
        forEachDirent64(buf, n, (d) => {
          if (!isDots(d.name)) {
            bytes += 19 + d.name.length + (args.withStat ? STAT_BYTES : 0);
            if (bytes > READDIR_PAGE_BYTES) return !(full = true);
            dirents.push(this.dirent(fd, d, args.withStat ?? false));
          }
          cookie.set(direntCookie(buf, d.at));
        });
        if (full) return { dirents, more: true, cookie };
      }
    } finally {
      closeSync(fd);
    }
  }

  /** A record of the getdents64 buffer, with its lstat if asked (none if it vanished meanwhile). */
  private dirent(dir: number, d: Dirent64, withStat: boolean): WireDirent {
    // A copy: direntBuf is reused for the next getdents64.
    const entry: WireDirent = { name: d.name.slice(), ino: d.ino, type: d.type };
    if (withStat) {
      try {
        entry.stat = this.statx(dir, bytesName(d.name), AT.SYMLINK_NOFOLLOW);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
      }
    }
    return entry;
  }
}
