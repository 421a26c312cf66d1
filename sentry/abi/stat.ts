// The stat record every filesystem fills, file type and mode bits (x86-64 Linux).

export interface Timespec { sec: number; nsec: number }

export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime?: Timespec;
}

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000;
export const S_ISGID = 0o2000;
export const S_ISVTX = 0o1000;

export const isDir = (mode: number) => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number) => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number) => (mode & S_IFMT) === S_IFLNK;
export const isFifo = (mode: number) => (mode & S_IFMT) === S_IFIFO;
export const isDevice = (mode: number) => (mode & S_IFMT) === S_IFCHR || (mode & S_IFMT) === S_IFBLK;

/** d_type of a mode. */
export function dtype(mode: number): number {
  return (mode & S_IFMT) >> 12;
}

/** statx(2)'s mask: what stat(2) gives, and the birth time it does not. */
export const STATX_BASIC_STATS = 0x7ff;
export const STATX_BTIME = 0x800;
/** sizeof(struct statx). */
export const STATX_SIZE = 256;

/**
 * A struct statx filled for STATX_BASIC_STATS | STATX_BTIME, as the stat
 * record: st_dev and st_rdev encoded as stat(2) encodes them (new_encode_dev).
 */
export function decodeStatx(buf: Uint8Array): Stat {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u64 = (o: number) => v.getUint32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
  const ts = (o: number) => ({ sec: v.getInt32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true), nsec: v.getUint32(o + 8, true) });
  const dev = (o: number) => {
    const major = v.getUint32(o, true), minor = v.getUint32(o + 4, true);
    return (minor & 0xff) + major * 256 + (minor - (minor & 0xff)) * 4096;
  };
  const st: Stat = {
    dev: dev(136), ino: u64(32), mode: v.getUint16(28, true), nlink: v.getUint32(16, true), uid: v.getUint32(20, true),
    gid: v.getUint32(24, true), rdev: dev(128), size: u64(40), blksize: v.getUint32(4, true), blocks: u64(48),
    atime: ts(64), mtime: ts(112), ctime: ts(96),
  };
  if (v.getUint32(0, true) & STATX_BTIME) st.btime = ts(80);
  return st;
}
