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
  lstat: NoArgs;
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
  walkstat: { names: Uint8Array[] };
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

/**
 * The codec of gofer.proto. Messages are encoded straight from plain
 * objects, and decoded to messages whose unset fields read as their
 * defaults: both ends build them with the right types.
 */
export function loadCodec(): Codec {
  const { Attaches, Request: Req, Response: Res } = generated.tvisor.gofer;
  return {
    encodeAttaches: (attach) => Attaches.encode({ attach }).finish(),
    decodeAttaches: (b) => (Attaches.decode(b) as { attach: WireAttach[] }).attach,
    encodeRequest: (r) => Req.encode(r).finish(),
    decodeRequest: (b) => Req.decode(b) as DecodedRequest,
    encodeResponse: (r) => Res.encode(r).finish(),
    decodeResponse: (b) => Res.decode(b) as Response,
  };
}
