// The gofer's request loop: one request at a time, each walked from its
// attach root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS), so no symlink and no `..` ever leads out.
import { closeSync, ftruncateSync } from 'node:fs';
import { decodeStat, native, STAT_SIZE } from '../native/index.js';
import { type Codec, MAX_MESSAGE, Op, READDIR_WITH_STAT, type Request, type Response, type Timespec, UTIME_OMIT, type WireDirent, type WireStat } from './protocol.js';
import { AT_EMPTY_PATH, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, c, Errno, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from './syscalls.js';

const RESOLVE = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
const O_RDONLY = 0, O_WRONLY = 1, O_NONBLOCK = 0o4000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000, O_PATH = 0o10000000, O_NOCTTY = 0o400, O_CREAT = 0o100;
const EPERM = 1, EINVAL = 22, ELOOP = 40, ENODATA = 61, ENOTSUP = 95;
/** A READDIR page's budget: a SOCK_SEQPACKET message must fit in the socket's send buffer (≈ 200 KiB by default). */
const READDIR_PAGE_BYTES = 96 * 1024;
const STAT_BYTES = 120;

const decoder = new TextDecoder();

/** Splits a relative path into its parent and last component, refusing anything but plain names. */
function split(path: string): { parent: string; name: string } {
  if (path === '') throw new Errno(EINVAL, 'split');
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) throw new Errno(EINVAL, 'split');
  return { parent: parts.slice(0, -1).join('/'), name: parts[parts.length - 1]! };
}

function checkPath(path: string): void {
  if (path !== '') split(path);
}

export class GoferServer {
  private readonly buf = new Uint8Array(MAX_MESSAGE);
  private readonly fds = new Int32Array(16);
  private readonly nfds = new Int32Array(1);
  private readonly statBuf = new Uint8Array(STAT_SIZE);

  /** roots[i]: an O_PATH fd of attach i. */
  constructor(private readonly sock: number, private readonly codec: Codec, private readonly roots: number[]) {}

  /** Serves until the sentry closes its end. */
  serve(): void {
    for (;;) {
      const n = native.recv(this.sock, this.buf, this.buf.length, this.fds, 16, this.nfds);
      for (let i = 0; i < this.nfds[0]!; i++) closeSync(this.fds[i]!);
      if (n === 0) return;
      if (n < 0) throw new Error(`gofer: recv: errno ${-n}`);
      let reply: Partial<Response>;
      let fd = -1;
      let seq = 0;
      try {
        const req = this.codec.decodeRequest(this.buf.subarray(0, n));
        seq = req.seq ?? 0;
        const out = this.handle(req);
        reply = out.reply;
        fd = out.fd ?? -1;
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        reply = { errno: e.errno };
      }
      const bytes = this.codec.encodeResponse({ ...reply, seq });
      const sent = native.send(this.sock, bytes, bytes.length, fd >= 0 ? Int32Array.of(fd) : null, fd >= 0 ? 1 : 0);
      if (fd >= 0) closeSync(fd);
      if (sent < 0) {
        // EPIPE: the sentry is gone. Anything else is a gofer bug worth saying.
        if (sent !== -32) process.stderr.write(`tvisor-gofer: send: errno ${-sent}\n`);
        return;
      }
    }
  }

  private root(req: Request): number {
    const fd = this.roots[req.attach];
    if (fd === undefined) throw new Errno(EINVAL, 'attach');
    return fd;
  }

  /** An fd of `path` itself, opened with flags (never following a symlink). */
  private open(req: Request, path: string, flags: number, mode = 0): number {
    checkPath(path);
    // openat2 refuses O_NOCTTY (and any other flag) beside O_PATH.
    const extra = (flags & O_PATH) ? 0 : O_NOCTTY;
    return c.openat2(this.root(req), path === '' ? '.' : path, flags | O_NOFOLLOW | O_CLOEXEC | extra, mode, RESOLVE);
  }

  /** Runs fn with an O_PATH fd of the parent directory and the last name. */
  private inParent<T>(req: Request, path: string, fn: (dir: number, name: string) => T): T {
    const { parent, name } = split(path);
    const dir = this.open(req, parent, O_PATH | O_DIRECTORY);
    try { return fn(dir, name); } finally { closeSync(dir); }
  }

  private lstat(req: Request, path: string): WireStat {
    if (path === '') {
      c.fstatat(this.root(req), '', this.statBuf, AT_EMPTY_PATH);
    } else {
      this.inParent(req, path, (dir, name) => c.fstatat(dir, name, this.statBuf, AT_SYMLINK_NOFOLLOW));
    }
    return decodeStat(this.statBuf);
  }

  private readdir(req: Request): Partial<Response> {
    const fd = this.open(req, req.path, O_RDONLY | O_DIRECTORY);
    const withStat = ((req.flags ?? 0) & READDIR_WITH_STAT) !== 0;
    const entries: WireDirent[] = [];
    const skip = req.offset ?? 0;
    let seen = 0;
    let bytes = 0;
    let more = false;
    try {
      const buf = new Uint8Array(65536);
      const view = new DataView(buf.buffer);
      for (;;) {
        const n = c.getdents64(fd, buf, buf.length);
        if (n === 0) break;
        for (let off = 0; off < n;) {
          const reclen = view.getUint16(off + 16, true);
          const end = buf.indexOf(0, off + 19);
          const name = decoder.decode(buf.subarray(off + 19, end));
          if (name !== '.' && name !== '..') {
            if (seen >= skip) {
              bytes += name.length + 16 + (withStat ? STAT_BYTES : 0);
              if (bytes > READDIR_PAGE_BYTES) { more = true; break; }
              const entry: WireDirent = { name, ino: Number(view.getBigUint64(off, true)), type: view.getUint8(off + 18) };
              // An entry removed meanwhile simply comes without attributes.
              if (withStat) {
                try { c.fstatat(fd, name, this.statBuf, AT_SYMLINK_NOFOLLOW); entry.stat = decodeStat(this.statBuf); } catch { /* gone */ }
              }
              entries.push(entry);
            }
            seen++;
          }
          off += reclen;
        }
        if (more) break;
      }
    } finally {
      closeSync(fd);
    }
    return { dirents: entries, more };
  }

  /** An fd to read or change xattrs through; null for a symlink, which has none here (as on tmpfs). */
  private xattrFd(req: Request): number | null {
    try {
      return this.open(req, req.path, O_RDONLY | O_NONBLOCK);
    } catch (e) {
      if (e instanceof Errno && e.errno === ELOOP) return null;
      throw e;
    }
  }

  private handle(req: Request): { reply: Partial<Response>; fd?: number } {
    const path = req.path ?? '';
    switch (req.op) {
      case Op.LSTAT: return { reply: { stat: this.lstat(req, path) } };
      case Op.READDIR: return { reply: this.readdir(req) };
      case Op.READLINK: {
        const out = new Uint8Array(4096);
        const n = this.inParent(req, path, (dir, name) => c.readlinkat(dir, name, out, out.length));
        return { reply: { target: decoder.decode(out.subarray(0, n)) } };
      }
      case Op.OPEN: {
        const flags = req.flags ?? 0;
        if (flags & O_CREAT) {
          const fd = this.inParent(req, path, (dir, name) =>
            c.openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, req.mode ?? 0));
          return { reply: {}, fd };
        }
        return { reply: {}, fd: this.open(req, path, flags, 0) };
      }
      case Op.MKDIR: this.inParent(req, path, (d, n) => c.mkdirat(d, n, req.mode ?? 0)); break;
      case Op.MKNOD: this.inParent(req, path, (d, n) => c.mknodat(d, n, req.mode ?? 0, req.dev ?? 0)); break;
      case Op.SYMLINK: this.inParent(req, path, (d, n) => c.symlinkat(req.other ?? '', d, n)); break;
      case Op.LINK:
        this.inParent(req, path, (od, on) => this.inParent(req, req.other ?? '', (nd, nn) => c.linkat(od, on, nd, nn, 0)));
        break;
      case Op.UNLINK: this.inParent(req, path, (d, n) => c.unlinkat(d, n, 0)); break;
      case Op.RMDIR: this.inParent(req, path, (d, n) => c.unlinkat(d, n, AT_REMOVEDIR)); break;
      case Op.RENAME:
        this.inParent(req, path, (od, on) =>
          this.inParent(req, req.other ?? '', (nd, nn) => c.renameat2(od, on, nd, nn, req.flags ?? 0)));
        break;
      case Op.CHMOD: {
        const fd = this.open(req, path, O_PATH);
        try { c.fchmodat2(fd, '', req.mode ?? 0, AT_EMPTY_PATH); } finally { closeSync(fd); }
        break;
      }
      case Op.CHOWN: {
        const uid = req.uid ?? -1, gid = req.gid ?? -1;
        if (path === '') c.fchownat(this.root(req), '', uid >>> 0, gid >>> 0, AT_EMPTY_PATH);
        else this.inParent(req, path, (d, n) => c.fchownat(d, n, uid >>> 0, gid >>> 0, AT_SYMLINK_NOFOLLOW));
        break;
      }
      case Op.UTIMENS: {
        const t = (x?: Timespec) => x ?? { sec: 0, nsec: UTIME_OMIT };
        const a = t(req.atime), m = t(req.mtime);
        const times = BigInt64Array.of(BigInt(a.sec), BigInt(a.nsec), BigInt(m.sec), BigInt(m.nsec));
        if (path === '') c.utimensat(this.root(req), '', times, AT_EMPTY_PATH);
        else this.inParent(req, path, (d, n) => c.utimensat(d, n, times, AT_SYMLINK_NOFOLLOW));
        break;
      }
      case Op.TRUNCATE: {
        const fd = this.open(req, path, O_WRONLY);
        try { ftruncateSync(fd, req.size ?? 0); } finally { closeSync(fd); }
        break;
      }
      case Op.STATFS: {
        const b = new Uint8Array(120);
        c.fstatfs(this.root(req), b);
        const v = new DataView(b.buffer);
        const f = (i: number) => Number(v.getBigInt64(i * 8, true));
        return { reply: { statfs: { type: f(0), bsize: f(1), blocks: f(2), bfree: f(3), bavail: f(4), files: f(5),
          ffree: f(6), namelen: f(8), frsize: f(9), flags: f(10) } } };
      }
      case Op.GETXATTR: {
        const fd = this.xattrFd(req);
        if (fd === null) throw new Errno(ENODATA, 'getxattr');
        try {
          const out = new Uint8Array(65536);
          const n = c.fgetxattr(fd, req.other ?? '', out, out.length);
          return { reply: { value: out.slice(0, n) } };
        } finally { closeSync(fd); }
      }
      case Op.SETXATTR: {
        const fd = this.xattrFd(req);
        if (fd === null) throw new Errno(EPERM, 'setxattr');
        try { c.fsetxattr(fd, req.other ?? '', req.value ?? new Uint8Array(), req.value?.length ?? 0, req.flags ?? 0); }
        finally { closeSync(fd); }
        break;
      }
      case Op.LISTXATTR: {
        const fd = this.xattrFd(req);
        if (fd === null) return { reply: { names: [] } };
        try {
          const out = new Uint8Array(65536);
          const n = c.flistxattr(fd, out, out.length);
          const names = decoder.decode(out.subarray(0, n)).split('\0').filter((x) => x !== '');
          return { reply: { names } };
        } finally { closeSync(fd); }
      }
      case Op.REMOVEXATTR: {
        const fd = this.xattrFd(req);
        if (fd === null) throw new Errno(ENODATA, 'removexattr');
        try { c.fremovexattr(fd, req.other ?? ''); } finally { closeSync(fd); }
        break;
      }
      default:
        throw new Errno(ENOTSUP, 'op');
    }
    return { reply: {} };
  }
}
