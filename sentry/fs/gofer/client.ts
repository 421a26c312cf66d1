// The sentry's side of the gofer protocol: synchronous, one request in flight.
import { closeSync } from 'node:fs';
import { E, SysErr } from '../../kernel/errno.js';
import { native, repoFile } from '../../platform/native.js';
import { type Codec, loadCodec, MAX_MESSAGE, Op, READDIR_WITH_STAT, type Request, type Response, type Timespec, UTIME_NOW,
  UTIME_OMIT, type WireDirent, type WireStat, type WireStatFs } from '../../../gofer/protocol.js';

export type GoferStat = WireStat;
export type { Timespec };

type TimeArg = Timespec | 'now' | 'omit';
const wireTime = (t: TimeArg): Timespec =>
  t === 'now' ? { sec: 0, nsec: UTIME_NOW } : t === 'omit' ? { sec: 0, nsec: UTIME_OMIT } : t;

let codec: Codec | null = null;

export class GoferClient {
  private readonly buf = new Uint8Array(MAX_MESSAGE);
  private readonly fds = new Int32Array(16);
  private readonly nfds = new Int32Array(1);
  private readonly codec: Codec;
  private seq = 0;

  constructor(private sock: number) {
    this.codec = codec ??= loadCodec(repoFile('gofer/gofer.proto'));
  }

  close(): void {
    if (this.sock >= 0) closeSync(this.sock);
    this.sock = -1;
  }

  private call(req: Request): { res: Response; fd: number } {
    if (this.sock < 0) throw new SysErr(E.EIO);
    const seq = this.seq = (this.seq % 0xffffffff) + 1;
    const bytes = this.codec.encodeRequest({ ...req, seq });
    if (native.send(this.sock, bytes, bytes.length, null, 0) < 0) throw new SysErr(E.EIO, 'gofer gone');
    const n = native.recv(this.sock, this.buf, this.buf.length, this.fds, 16, this.nfds);
    if (n <= 0) throw new SysErr(E.EIO, 'gofer gone');
    const got = this.nfds[0]!;
    for (let i = 1; i < got; i++) closeSync(this.fds[i]!);
    const res = this.codec.decodeResponse(this.buf.subarray(0, n));
    if (res.seq !== seq) throw new SysErr(E.EIO, `gofer answered request ${res.seq}, not ${seq}`);
    if (res.errno) {
      if (got > 0) closeSync(this.fds[0]!);
      throw new SysErr(res.errno);
    }
    return { res, fd: got > 0 ? this.fds[0]! : -1 };
  }

  private simple(op: number, attach: number, path: string, extra: Partial<Request> = {}): Response {
    return this.call({ op, attach, path, ...extra }).res;
  }

  lstat(attach: number, path: string): GoferStat {
    return this.simple(Op.LSTAT, attach, path).stat!;
  }

  /** The entries of a directory; withStat: each with its lstat (when it still existed). */
  readdir(attach: number, path: string, withStat = false): WireDirent[] {
    const out: WireDirent[] = [];
    for (;;) {
      const res = this.simple(Op.READDIR, attach, path, { offset: out.length, flags: withStat ? READDIR_WITH_STAT : 0 });
      for (const d of res.dirents) out.push({ name: d.name, ino: d.ino, type: d.type, stat: d.stat ?? undefined });
      if (!res.more) return out;
    }
  }

  readlink(attach: number, path: string): string { return this.simple(Op.READLINK, attach, path).target; }

  /** An fd of the file opened with the guest's flags; owned by the caller. */
  open(attach: number, path: string, flags: number, mode: number): number {
    const { fd } = this.call({ op: Op.OPEN, attach, path, flags, mode });
    if (fd < 0) throw new SysErr(E.EIO, 'gofer sent no fd');
    return fd;
  }

  mkdir(attach: number, path: string, mode: number): void { this.simple(Op.MKDIR, attach, path, { mode }); }
  mknod(attach: number, path: string, mode: number, dev: number): void { this.simple(Op.MKNOD, attach, path, { mode, dev }); }
  symlink(attach: number, path: string, target: string): void { this.simple(Op.SYMLINK, attach, path, { other: target }); }
  link(attach: number, oldPath: string, newPath: string): void { this.simple(Op.LINK, attach, oldPath, { other: newPath }); }
  unlink(attach: number, path: string): void { this.simple(Op.UNLINK, attach, path); }
  rmdir(attach: number, path: string): void { this.simple(Op.RMDIR, attach, path); }
  rename(attach: number, oldPath: string, newPath: string, flags: number): void {
    this.simple(Op.RENAME, attach, oldPath, { other: newPath, flags });
  }
  chmod(attach: number, path: string, mode: number): void { this.simple(Op.CHMOD, attach, path, { mode }); }
  /** -1 leaves an id unchanged. */
  chown(attach: number, path: string, uid: number, gid: number): void { this.simple(Op.CHOWN, attach, path, { uid, gid }); }
  utimens(attach: number, path: string, atime: TimeArg, mtime: TimeArg): void {
    this.simple(Op.UTIMENS, attach, path, { atime: wireTime(atime), mtime: wireTime(mtime) });
  }
  truncate(attach: number, path: string, size: number): void { this.simple(Op.TRUNCATE, attach, path, { size }); }
  statfs(attach: number, path: string): WireStatFs { return this.simple(Op.STATFS, attach, path).statfs!; }
  getxattr(attach: number, path: string, name: string): Uint8Array { return this.simple(Op.GETXATTR, attach, path, { other: name }).value; }
  setxattr(attach: number, path: string, name: string, value: Uint8Array, flags: number): void {
    this.simple(Op.SETXATTR, attach, path, { other: name, value, flags });
  }
  listxattr(attach: number, path: string): string[] { return this.simple(Op.LISTXATTR, attach, path).names; }
  removexattr(attach: number, path: string, name: string): void { this.simple(Op.REMOVEXATTR, attach, path, { other: name }); }
}
