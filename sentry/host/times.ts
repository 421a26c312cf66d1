// utimensat/futimens with nanoseconds, UTIME_NOW and UTIME_OMIT, which Node's fs lacks.
import koffi from '../../native/koffi.js';
import { SysErr } from '../abi/errno.js';
import type { Timespec } from '../abi/stat.js';

const libc = koffi.load('libc.so.6');
const futimensC = libc.func('int futimens(int fd, const int64_t *times)') as (fd: number, t: BigInt64Array) => number;
const utimensatC = libc.func('int utimensat(int dirfd, const char *path, const int64_t *times, int flags)') as
  (dirfd: number, path: string, t: BigInt64Array, flags: number) => number;
const AT_FDCWD = -100;

export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;

export type TimeArg = Timespec | 'now' | 'omit';

function put(buf: BigInt64Array, i: number, t: TimeArg): void {
  if (t === 'now') { buf[i] = 0n; buf[i + 1] = BigInt(UTIME_NOW); }
  else if (t === 'omit') { buf[i] = 0n; buf[i + 1] = BigInt(UTIME_OMIT); }
  else { buf[i] = BigInt(t.sec); buf[i + 1] = BigInt(t.nsec); }
}

/** The two timespecs the kernel takes, atime then mtime. */
function timesOf(atime: TimeArg, mtime: TimeArg): BigInt64Array {
  const buf = new BigInt64Array(4);
  put(buf, 0, atime);
  put(buf, 2, mtime);
  return buf;
}

export function futimens(fd: number, atime: TimeArg, mtime: TimeArg): void {
  if (futimensC(fd, timesOf(atime, mtime)) < 0) throw new SysErr(koffi.errno());
}

/** utimensat(2) of a path the sentry made (an O_PATH fd's /proc/self/fd link: futimens needs an open file). */
export function utimensPath(path: string, atime: TimeArg, mtime: TimeArg): void {
  utimensAt(AT_FDCWD, path, atime, mtime, 0);
}

/** utimensat(2) of `path` under directory fd `dirfd`. */
export function utimensAt(dirfd: number, path: string, atime: TimeArg, mtime: TimeArg, flags: number): void {
  if (utimensatC(dirfd, path, timesOf(atime, mtime), flags) < 0) throw new SysErr(koffi.errno());
}
