// Extended attributes of an open host file, by its fd: a file of a gofer
// tree reached through an open description, which may have lost its name
// (unlinked, or renamed over) where the gofer's by-path calls would miss it.
import { E, SysErr } from '../abi/errno.js';
import { bytesName, nameBytes } from '../abi/names.js';
import { libcCalls, sys } from './native.js';

/** XATTR_SIZE_MAX and XATTR_LIST_MAX. */
const XATTR_MAX = 65536;

const cName = (name: string) => nameBytes(name + '\0');

export function fgetxattr(fd: number, name: string): Uint8Array {
  const buf = new Uint8Array(XATTR_MAX);
  return buf.slice(0, sys(libcCalls.fgetxattr(fd, cName(name), buf, buf.length)));
}

export function fsetxattr(fd: number, name: string, value: Uint8Array, flags: number): void {
  sys(libcCalls.fsetxattr(fd, cName(name), value, value.length, flags));
}

export function flistxattr(fd: number): string[] {
  const buf = new Uint8Array(XATTR_MAX);
  const n = sys(libcCalls.flistxattr(fd, buf, buf.length));
  // Each name ends with a NUL.
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
