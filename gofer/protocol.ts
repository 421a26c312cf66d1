// The gofer's messages, loaded once from gofer.proto. 64-bit fields decode
// to plain numbers: no inode, size or time here needs more than 2^53.
import protobuf from 'protobufjs';

protobuf.util.Long = undefined as never;
protobuf.configure();

export interface Timespec { sec: number; nsec: number }

export interface WireStat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atime: Timespec; mtime: Timespec; ctime: Timespec;
}

export interface WireStatFs {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number;
  namelen: number; frsize: number; flags: number;
}

export interface WireDirent { name: string; ino: number; type: number; stat?: WireStat }

/** READDIR flag: send each entry's lstat too. */
export const READDIR_WITH_STAT = 1;

export interface Request {
  seq?: number; op: number; attach: number; path: string; other?: string; flags?: number; mode?: number; uid?: number;
  gid?: number; dev?: number; size?: number; atime?: Timespec; mtime?: Timespec; value?: Uint8Array; offset?: number;
}

export interface Response {
  seq: number; errno: number; stat?: WireStat; dirents: WireDirent[]; more: boolean;
  target: string; statfs?: WireStatFs; value: Uint8Array; names: string[];
}

export const Op = {
  LSTAT: 0, READDIR: 1, READLINK: 2, OPEN: 3, MKDIR: 4, MKNOD: 5, SYMLINK: 6, LINK: 7, UNLINK: 8, RMDIR: 9,
  RENAME: 10, CHMOD: 11, CHOWN: 12, UTIMENS: 13, TRUNCATE: 14, STATFS: 15, GETXATTR: 16, SETXATTR: 17,
  LISTXATTR: 18, REMOVEXATTR: 19,
} as const;

export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

/** Big enough for a READDIR page or an xattr value. */
export const MAX_MESSAGE = 1 << 20;

export interface Codec {
  encodeRequest(r: Request): Uint8Array;
  decodeRequest(b: Uint8Array): Request;
  encodeResponse(r: Partial<Response>): Uint8Array;
  decodeResponse(b: Uint8Array): Response;
}

export function loadCodec(protoPath: string): Codec {
  const root = protobuf.loadSync(protoPath);
  const Req = root.lookupType('tvisor.gofer.Request');
  const Res = root.lookupType('tvisor.gofer.Response');
  return {
    encodeRequest: (r) => Req.encode(Req.fromObject(r)).finish(),
    decodeRequest: (b) => Req.decode(b) as unknown as Request,
    encodeResponse: (r) => Res.encode(Res.fromObject(r)).finish(),
    decodeResponse: (b) => {
      const m = Res.decode(b) as unknown as Response;
      return m;
    },
  };
}
