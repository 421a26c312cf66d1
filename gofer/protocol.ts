// The gofer's messages (gofer.proto) as TypeScript types, and their codec:
// the code scripts/protos.mjs generates from gofer.proto. 64-bit fields
// decode to plain numbers (native/protos.ts). Names and paths are bytes (see
// gofer.proto): each end turns them into its strings of one character per
// byte (sentry/abi/names.ts).
import '../native/protos.js';
import generated from './gofer.pb.cjs';

export interface Timespec { sec: number; nsec: number }

export interface WireStat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atime: Timespec; mtime: Timespec; ctime: Timespec;
  btime?: Timespec;
}

export interface WireStatFs {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number;
  namelen: number; frsize: number; flags: number;
}

export interface WireDirent { name: Uint8Array; ino: number; type: number; stat?: WireStat }

type NoArgs = Record<string, never>;

/** Each operation's own arguments: the members of Request's `op` oneof. */
export interface OpArgs {
  lstat: { pathFd?: boolean };
  readdir: { cookie?: Uint8Array; withStat?: boolean; noatime?: boolean };
  readlink: NoArgs;
  open: { flags: number; mode: number; umask?: number };
  mkdir: { mode: number; umask?: number };
  mknod: { mode: number; dev: number; umask?: number };
  symlink: { target: Uint8Array };
  link: { newPath: Uint8Array; newAttach?: number };
  unlink: NoArgs;
  rmdir: NoArgs;
  rename: { newPath: Uint8Array; flags: number; newAttach?: number };
  chmod: { mode: number };
  chown: { uid: number; gid: number };
  utimens: { atime?: Timespec; mtime?: Timespec };
  truncate: { size: number };
  statfs: NoArgs;
  getxattr: { name: Uint8Array };
  setxattr: { name: Uint8Array; value: Uint8Array; flags: number };
  listxattr: NoArgs;
  removexattr: { name: Uint8Array };
  walkstat: { names: Uint8Array[]; pathFd?: boolean };
  hold: NoArgs;
}

export type OpName = keyof OpArgs;

/** A Request: the common fields and one operation. */
export type Request = { seq: number; attach: number; path: Uint8Array; release?: number[] } & { [K in OpName]?: OpArgs[K] };

/** A decoded Request: `op` names the operation that is set (protobufjs's oneof getter), if any. */
export type DecodedRequest = Request & { op?: OpName };

export interface Response {
  seq: number; errno: number; stat: WireStat | null; dirents: WireDirent[]; more: boolean; cookie: Uint8Array;
  target: Uint8Array; statfs: WireStatFs | null; value: Uint8Array; names: Uint8Array[]; stats: WireStat[]; missing: boolean;
  handle: number;
}

export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

/** Big enough for any message: a READDIR page or an xattr value. */
export const MAX_MESSAGE = 1 << 20;

/** What the gofer serves (gofer.proto's Attach): attach id i is the i-th of its Attaches. */
export interface WireAttach { path: string; readonly: boolean; recursive: boolean }

export interface Codec {
  encodeAttaches(a: WireAttach[]): Uint8Array;
  decodeAttaches(b: Uint8Array): WireAttach[];
  encodeRequest(r: Request): Uint8Array;
  decodeRequest(b: Uint8Array): DecodedRequest;
  encodeResponse(r: Partial<Response> & { seq: number }): Uint8Array;
  decodeResponse(b: Uint8Array): Response;
}

/** A stat's bytes on the wire (gofer.proto, above `Dirent`): 18 little-endian doubles. */
export const PACKED_STAT_BYTES = 18 * 8;

export function packStat(st: WireStat): Uint8Array {
  const out = new Uint8Array(PACKED_STAT_BYTES);
  const v = new DataView(out.buffer);
  const put = (i: number, x: number) => v.setFloat64(i * 8, x, true);
  put(0, st.dev); put(1, st.ino); put(2, st.mode); put(3, st.nlink); put(4, st.uid); put(5, st.gid); put(6, st.rdev);
  put(7, st.size); put(8, st.blksize); put(9, st.blocks);
  put(10, st.atime.sec); put(11, st.atime.nsec); put(12, st.mtime.sec); put(13, st.mtime.nsec);
  put(14, st.ctime.sec); put(15, st.ctime.nsec);
  put(16, st.btime ? st.btime.sec : NaN); put(17, st.btime ? st.btime.nsec : 0);
  return out;
}

export function unpackStat(b: Uint8Array): WireStat {
  if (b.length !== PACKED_STAT_BYTES) throw new RangeError(`a packed stat has ${PACKED_STAT_BYTES} bytes, not ${b.length}`);
  const v = new DataView(b.buffer, b.byteOffset, PACKED_STAT_BYTES);
  const at = (i: number) => v.getFloat64(i * 8, true);
  const st: WireStat = {
    dev: at(0), ino: at(1), mode: at(2), nlink: at(3), uid: at(4), gid: at(5), rdev: at(6), size: at(7), blksize: at(8),
    blocks: at(9), atime: { sec: at(10), nsec: at(11) }, mtime: { sec: at(12), nsec: at(13) },
    ctime: { sec: at(14), nsec: at(15) },
  };
  const btime = at(16);
  if (!Number.isNaN(btime)) st.btime = { sec: btime, nsec: at(17) };
  return st;
}

/** The fields of a Response as gofer.proto has them: its stats packed. */
type WireResponse = Omit<Partial<Response>, 'stat' | 'stats' | 'dirents'> &
  { seq: number; stat?: Uint8Array | null; stats?: Uint8Array[]; dirents?: WireDirentOut[] };
interface WireDirentOut { name: Uint8Array; ino: number; type: number; stat?: Uint8Array }

function packResponse(r: Partial<Response> & { seq: number }): WireResponse {
  const { stat, stats, dirents, ...rest } = r;
  const out: WireResponse = rest;
  if (stat) out.stat = packStat(stat);
  if (stats) out.stats = stats.map(packStat);
  if (dirents) out.dirents = dirents.map((d) => (d.stat ? { name: d.name, ino: d.ino, type: d.type, stat: packStat(d.stat) } : d as WireDirentOut));
  return out;
}

/** A decoded Response (its unset fields read as their defaults) with its stats unpacked, in place. */
function unpackResponse(m: Record<string, unknown>): Response {
  const stat = m.stat as Uint8Array;
  m.stat = stat.length > 0 ? unpackStat(stat) : null;
  const stats = m.stats as Uint8Array[];
  if (stats.length > 0) m.stats = stats.map(unpackStat);
  for (const d of m.dirents as Array<{ stat: Uint8Array | WireStat | undefined }>) {
    const packed = d.stat as Uint8Array;
    d.stat = packed.length > 0 ? unpackStat(packed) : undefined;
  }
  return m as unknown as Response;
}

/**
 * The codec of gofer.proto. Messages are encoded straight from plain
 * objects, and decoded to messages whose unset fields read as their
 * defaults: both ends build them with the right types. A Response's stats
 * are WireStats on either side and packed bytes between them.
 */
export function loadCodec(): Codec {
  const { Attaches, Request: Req, Response: Res } = generated.tvisor.gofer;
  return {
    encodeAttaches: (attach) => Attaches.encode({ attach }).finish(),
    decodeAttaches: (b) => (Attaches.decode(b) as { attach: WireAttach[] }).attach,
    encodeRequest: (r) => Req.encode(r).finish(),
    decodeRequest: (b) => Req.decode(b) as DecodedRequest,
    encodeResponse: (r) => Res.encode(packResponse(r)).finish(),
    decodeResponse: (b) => unpackResponse(Res.decode(b) as unknown as Record<string, unknown>),
  };
}
