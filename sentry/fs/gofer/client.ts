// The sentry's side of the gofer protocol (gofer/gofer.proto): synchronous,
// one request in flight. Each call blocks on the socket until the gofer
// answers, and fails with the SysErr of the errno the gofer got. The sentry
// serves every container of a pod on one thread, so a gofer that stops
// answering would hang them all: past a deadline the client gives the gofer
// up as dead (docs/design.md, "A stalled gofer").
import { closeSync } from 'node:fs';
import { type Codec, loadCodec, MAX_MESSAGE, type OpArgs, type OpName, type Response, type Timespec, UTIME_NOW,
  UTIME_OMIT, type WireStat, type WireStatFs } from '../../../gofer/protocol.js';
import { E, SysErr } from '../../abi/errno.js';
import { O } from '../../abi/flags.js';
import { bytesName, nameBytes } from '../../abi/names.js';
import { SO, SOL_SOCKET } from '../../abi/socket.js';
import { libcCalls, native, sys } from '../../host/native.js';
import { calls } from '../../vfs/inode.js';
import { type GoferAttach, type GoferOptions, spawnGofer } from './spawn.js';

export type GoferStat = WireStat;
export type GoferStatFs = WireStatFs;
/** A directory entry: its name, DT_* type, host inode number, and with `withStat` its lstat. */
export interface GoferDirent { name: string; ino: number; type: number; stat?: WireStat }
export type { GoferAttach, GoferOptions, Timespec };

export type TimeArg = Timespec | 'now' | 'omit';


const wireTime = (t: TimeArg): Timespec =>
  t === 'now' ? { sec: 0, nsec: UTIME_NOW } : t === 'omit' ? { sec: 0, nsec: UTIME_OMIT } : t;

/** The requests that change nothing on the host: the attributes fetched before them stay good for the call (vfs/inode.ts `calls`). */
const READS: ReadonlySet<OpName> = new Set(['lstat', 'walkstat', 'readdir', 'readlink', 'statfs', 'getxattr', 'listxattr', 'hold']);
/** Open flags that change the file (its size, or a new name). */
const CHANGING_OPEN = O.CREAT | O.TRUNC | O.TMPFILE;

/** How long a request waits for its answer before the gofer counts as stalled, by default. */
export const GOFER_DEADLINE_MS = 30_000;

/**
 * The deadline of each request (0: none), and what else to do with a gofer
 * that misses it, once hung up on (kill its process: its death then ends
 * what it served).
 */
export interface GoferDeadline { ms: number; stalled: (() => void) | null }

/** One codec per process, made at the first client. */
let sharedCodec: Codec | null = null;

export class GoferClient {
  private readonly buf = new Uint8Array(MAX_MESSAGE);
  private readonly fds = new Int32Array(16);
  private readonly nfds = new Int32Array(1);
  private readonly codec: Codec;
  private seq = 0;
  /** Handles no longer needed, released with the next request. */
  private released: number[] = [];
  /** Called before each request (--strace shows the round trips). */
  onRequest: ((op: OpName, path: string) => void) | null = null;

  /** The CPU the gofer's process was last held to (native.sendHere), -1 before the first request. */
  private readonly peerCpu = Int32Array.of(-1);

  /**
   * sock: the sentry's end of a gofer's socketpair; the client owns it.
   * peer: the gofer's pid, held to the CPU the sentry sends from, so that
   * each round trip hands one CPU over instead of waking an idle one each
   * way (docs/design.md, "A round trip's cost"); 0 for a server that is not
   * the sandbox's process (an in-memory volume is the host program's).
   */
  constructor(private sock: number, private readonly deadline: GoferDeadline = { ms: 0, stalled: null },
    private readonly peer = 0) {
    this.codec = sharedCodec ??= loadCodec();
    // The socket's own timeouts: a deadline that costs no call of its own per request.
    if (deadline.ms > 0) {
      // struct timeval: two little-endian 64-bit longs, written as 32-bit halves (the array wraps each to its bits).
      const sec = Math.floor(deadline.ms / 1000);
      const tv = Int32Array.of(sec % 2 ** 32, Math.floor(sec / 2 ** 32), (deadline.ms % 1000) * 1000, 0);
      for (const opt of [SO.RCVTIMEO, SO.SNDTIMEO]) {
        sys(libcCalls.setsockoptInt(sock, SOL_SOCKET, opt, tv, tv.byteLength));
      }
    }
  }

  /**
   * Starts a gofer serving `attaches` (attach id i is attaches[i]) and
   * connects to it. The gofer exits when the client closes.
   */
  static start(attaches: GoferAttach[], opts: GoferOptions = {}): { client: GoferClient; pid: number } {
    const gofer = spawnGofer(opts);
    const client = new GoferClient(gofer.sock, undefined, gofer.pid);
    client.attach(attaches);
    return { client, pid: gofer.pid };
  }

  /** Tells a gofer what it serves: its first message, sent once. A failure shows as the gofer hanging up. */
  attach(attaches: GoferAttach[]): void {
    const bytes = this.codec.encodeAttaches(attaches.map((a) => ({ path: a.path, readonly: a.readonly, recursive: a.recursive !== false })));
    const sent = native.send(this.sock, bytes, bytes.length, null, 0);
    if (sent < 0) throw new SysErr(-sent, 'the gofer hung up before it was told what to serve');
  }

  /** Hangs up: the gofer sees the end of the stream and exits. */
  close(): void {
    if (this.sock >= 0) closeSync(this.sock);
    this.sock = -1;
  }

  /** Sends one request and waits for its response; the fd donated with it, if any, is the caller's. */
  private call<K extends OpName>(op: K, attach: number, path: string, args: OpArgs[K]): { res: Response; fd: number } {
    if (this.sock < 0) throw new SysErr(E.EIO, 'gofer client closed');
    const seq = this.seq = (this.seq % 0xffffffff) + 1;
    this.onRequest?.(op, path);
    if (!READS.has(op) && !(op === 'open' && !((args as OpArgs['open']).flags & CHANGING_OPEN))) calls.next();
    // Names are strings of one byte a character (abi/names.ts), bytes on the wire.
    const release = this.released.length > 0 ? this.released : undefined;
    if (release) this.released = [];
    const bytes = this.codec.encodeRequest({ seq, attach, path: nameBytes(path), release, [op]: args });
    const sent = native.sendHere(this.sock, bytes, bytes.length, this.peer, this.peerCpu);
    if (sent === -E.EAGAIN) this.stalled(op);
    if (sent < 0) throw new SysErr(E.EIO, 'gofer gone');
    const n = native.recv(this.sock, this.buf, this.buf.length, this.fds, this.fds.length, this.nfds);
    if (n === -E.EAGAIN) this.stalled(op);
    const got = this.nfds[0]!;
    // One fd at most is meaningful; never leak the others.
    for (let i = 1; i < got; i++) closeSync(this.fds[i]!);
    const fd = got > 0 ? this.fds[0]! : -1;
    const fail = (err: SysErr): never => {
      if (fd >= 0) closeSync(fd);
      throw err;
    };
    // The sentry's fd table is full: the answer came, its fd could not; the next request is served.
    if (n === -E.EMFILE) return fail(new SysErr(E.EMFILE, 'no room for the gofer\'s fd'));
    if (n <= 0) return fail(new SysErr(E.EIO, n === 0 ? 'gofer gone' : `gofer recv: errno ${-n}`));
    const res = this.codec.decodeResponse(this.buf.subarray(0, n));
    if (res.seq !== seq) return fail(new SysErr(E.EIO, `gofer answered request ${res.seq}, not ${seq}`));
    if (res.errno) return fail(new SysErr(res.errno));
    return { res, fd };
  }

  /** The gofer missed the deadline: it is given up (killed, hung up on), and this call and every later one fail. */
  private stalled(op: OpName): never {
    this.close();
    this.deadline.stalled?.();
    throw new SysErr(E.EIO, `the gofer did not answer ${op} within ${this.deadline.ms} ms`);
  }

  private request<K extends OpName>(op: K, attach: number, path: string, args: OpArgs[K]): Response {
    const { res, fd } = this.call(op, attach, path, args);
    if (fd >= 0) closeSync(fd);
    return res;
  }

  /** The file's own attributes (a symlink's, not its target's). */
  lstat(attach: number, path: string): GoferStat {
    return this.request('lstat', attach, path, {}).stat!;
  }

  /** lstat, with an O_PATH fd of a regular file (-1 for any other), the caller's: its stat is the fd's. */
  lstatWithPathFd(attach: number, path: string): { stat: GoferStat; fd: number } {
    const { res, fd } = this.call('lstat', attach, path, { pathFd: true });
    return { stat: res.stat!, fd };
  }

  /** All entries but `.` and `..`, fetched page by page; withStat: each with its lstat. */
  readdir(attach: number, path: string, withStat = false, noatime = false): GoferDirent[] {
    const out: GoferDirent[] = [];
    let cookie: Uint8Array | undefined;
    for (;;) {
      const res = this.request('readdir', attach, path, { cookie, withStat, noatime });
      for (const d of res.dirents) {
        const entry: GoferDirent = { name: bytesName(d.name), ino: d.ino, type: d.type };
        if (d.stat) entry.stat = d.stat;
        out.push(entry);
      }
      if (!res.more) return out;
      cookie = res.cookie;
    }
  }

  /**
   * `path`'s lstat, then each of `names`' in turn below it, in one round
   * trip: it ends after a name that is not a directory, or before one that
   * does not exist (`missing`) or fails otherwise. With `pathFd`, one that
   * ends at a regular file brings its O_PATH fd (else -1), the caller's.
   */
  walkStat(attach: number, path: string, names: readonly string[], pathFd = false): { stats: GoferStat[]; missing: boolean; fd: number } {
    const { res, fd } = this.call('walkstat', attach, path, pathFd ? { names: names.map(nameBytes), pathFd } : { names: names.map(nameBytes) });
    return { stats: res.stats, missing: res.missing, fd };
  }

  readlink(attach: number, path: string): string {
    return bytesName(this.request('readlink', attach, path, {}).target);
  }

  /**
   * The file opened with these O_* flags (the gofer adds O_NOFOLLOW,
   * O_CLOEXEC, O_NOCTTY); the fd, close-on-exec, is the caller's. A FIFO is
   * opened without waiting for its peer. `umask`: the creator's, for a file
   * it makes, which the gofer applies unless the directory has a default ACL.
   */
  open(attach: number, path: string, flags: number, mode: number, umask = 0): number {
    const { fd } = this.call('open', attach, path, umask ? { flags, mode, umask } : { flags, mode });
    if (fd < 0) throw new SysErr(E.EIO, 'gofer sent no fd');
    return fd;
  }

  /** An O_PATH fd of the file itself, a symlink included; the caller's. */
  openPath(attach: number, path: string): number {
    return this.open(attach, path, O.PATH, 0);
  }

  /** `umask`: as open's. */
  mkdir(attach: number, path: string, mode: number, umask = 0): void { this.request('mkdir', attach, path, { mode, umask }); }
  mknod(attach: number, path: string, mode: number, dev: number, umask = 0): void {
    this.request('mknod', attach, path, { mode, dev, umask });
  }
  /** Creates `path` as a symlink to `target`. */
  symlink(attach: number, path: string, target: string): void { this.request('symlink', attach, path, { target: nameBytes(target) }); }
  /** newAttach: the base of newPath, when not `attach` (a handle in the same attach). */
  link(attach: number, oldPath: string, newPath: string, newAttach = attach): void {
    this.request('link', attach, oldPath, { newPath: nameBytes(newPath), newAttach: newAttach === attach ? undefined : newAttach });
  }
  unlink(attach: number, path: string): void { this.request('unlink', attach, path, {}); }
  rmdir(attach: number, path: string): void { this.request('rmdir', attach, path, {}); }
  /** renameat2(2) within one attach (newAttach: newPath's base); flags: RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
  rename(attach: number, oldPath: string, newPath: string, flags: number, newAttach = attach): void {
    this.request('rename', attach, oldPath,
      { newPath: nameBytes(newPath), flags, newAttach: newAttach === attach ? undefined : newAttach });
  }

  /**
   * A handle of the directory at `path`: a base for later requests that
   * follows the directory wherever the host moves it; and its lstat then.
   */
  hold(attach: number, path: string): { handle: number; stat: GoferStat } {
    const res = this.request('hold', attach, path, {});
    return { handle: res.handle, stat: res.stat! };
  }

  /** Gives a handle back (with the next request: no round trip of its own). */
  release(handle: number): void { this.released.push(handle); }
  /** Never follows; a symlink's mode cannot change (EOPNOTSUPP). */
  chmod(attach: number, path: string, mode: number): void { this.request('chmod', attach, path, { mode }); }
  /** As lchown(2); -1 leaves an id unchanged. */
  chown(attach: number, path: string, uid: number, gid: number): void { this.request('chown', attach, path, { uid, gid }); }
  /** As utimensat(2) with AT_SYMLINK_NOFOLLOW. */
  utimens(attach: number, path: string, atime: TimeArg, mtime: TimeArg): void {
    this.request('utimens', attach, path, { atime: wireTime(atime), mtime: wireTime(mtime) });
  }
  truncate(attach: number, path: string, size: number): void { this.request('truncate', attach, path, { size }); }
  /** The host filesystem holding `path`. */
  statfs(attach: number, path: string): GoferStatFs { return this.request('statfs', attach, path, {}).statfs!; }
  /** The xattrs of the file itself (as lgetxattr(2) and friends). */
  getxattr(attach: number, path: string, name: string): Uint8Array {
    // A copy: decoded bytes are a view of the receive buffer, which the next call overwrites.
    return this.request('getxattr', attach, path, { name: nameBytes(name) }).value.slice();
  }
  /** flags: XATTR_CREATE / XATTR_REPLACE. */
  setxattr(attach: number, path: string, name: string, value: Uint8Array, flags: number): void {
    this.request('setxattr', attach, path, { name: nameBytes(name), value, flags });
  }
  listxattr(attach: number, path: string): string[] { return this.request('listxattr', attach, path, {}).names.map(bytesName); }
  removexattr(attach: number, path: string, name: string): void { this.request('removexattr', attach, path, { name: nameBytes(name) }); }
}
