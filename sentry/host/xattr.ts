// Extended attributes of an open host file, by its fd: a file of a gofer
// tree reached through an open description, which may have lost its name
// (unlinked, or renamed over) where the gofer's by-path calls would miss it;
// and those of the overlay's lower layer, which the sentry reads itself
// through its directories' fds (fs/gofer/direct.ts).
import { E, SysErr } from '../abi/errno.js';
import { bytesName, nameBytes } from '../abi/names.js';
import { libcCalls, sys } from './native.js';

/** XATTR_SIZE_MAX and XATTR_LIST_MAX. */
const XATTR_MAX = 65536;

const cName = (name: string) => nameBytes(name + '\0');
/** Every call's buffer: what it answers is copied out before the next. */
const buf = new Uint8Array(XATTR_MAX);

export function fgetxattr(fd: number, name: string): Uint8Array {
  return buf.slice(0, sys(libcCalls.fgetxattr(fd, cName(name), buf, buf.length)));
}

export function fsetxattr(fd: number, name: string, value: Uint8Array, flags: number): void {
  sys(libcCalls.fsetxattr(fd, cName(name), value, value.length, flags));
}

export function flistxattr(fd: number): string[] {
  return namesOf(sys(libcCalls.flistxattr(fd, buf, buf.length)));
}

/** lgetxattr of a path the sentry made itself (fs/gofer/direct.ts: an entry of a directory fd, through /proc/self/fd). */
export function lgetxattrAt(path: string, name: string): Uint8Array {
  return buf.slice(0, sys(libcCalls.lgetxattr(cName(path), cName(name), buf, buf.length)));
}

/** llistxattr of such a path. */
export function llistxattrAt(path: string): string[] {
  return namesOf(sys(libcCalls.llistxattr(cName(path), buf, buf.length)));
}

/** The names of a list*xattr answer of n bytes: each ends with a NUL. */
function namesOf(n: number): string[] {
  const names: string[] = [];
  for (let at = 0; at < n;) {
    const end = buf.indexOf(0, at);
    if (end < 0 || end >= n) throw new SysErr(E.EIO, 'flistxattr: a name without its NUL');
    names.push(bytesName(buf.subarray(at, end)));
    at = end + 1;
  }
  return names;
}

export function fremovexattr(fd: number, name: string): void {
  sys(libcCalls.fremovexattr(fd, cName(name)));
}
