// The *at system calls the gofer walks with, bound from libc with koffi.
// Each returns its result or throws an Errno. A path or name is a string of
// one character per byte (sentry/abi/names.ts), passed on as those bytes.
import koffi from '../native/koffi.js';
import { constants } from 'node:os';
import { AT } from '../sentry/abi/flags.js';
import { nameBytes } from '../sentry/abi/names.js';

const libc = koffi.load('libc.so.6');

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** A failed system call: its errno, and a message naming the call and the error. */
export class Errno extends Error {
  constructor(readonly errno: number, op: string) { super(`${op}: ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}`); }
}

/** A string argument as the C string of its bytes (koffi would encode it as UTF-8). */
const cArg = (a: unknown): unknown => typeof a === 'string' ? nameBytes(a + '\0') : a;

function call<T extends unknown[]>(name: string, sig: string): (...args: T) => number {
  const f = libc.func(sig) as (...args: unknown[]) => number;
  return (...args: T) => {
    const r = f(...args.map(cArg));
    if (r < 0) throw new Errno(koffi.errno(), name);
    return r;
  };
}

const syscall = libc.func('long syscall(long nr, ...)') as (...args: unknown[]) => number;

function sys(name: string, ...args: unknown[]): number {
  // The type names between the arguments are strings too, but koffi's, not C strings.
  const r = syscall(...args.map((a, i) => i % 2 === 0 && i > 0 ? cArg(a) : a));
  if (r < 0) throw new Errno(koffi.errno(), name);
  return r;
}

export const c = {
  openat: call<[number, string, number, number]>('openat', 'int openat(int, const char *, int, uint32_t)'),
  openat2: (dirfd: number, path: string, flags: number, mode: number, resolve: number): number => {
    const how = new BigUint64Array([BigInt(flags >>> 0), BigInt(mode), BigInt(resolve)]);
    return sys('openat2', 437, 'int', dirfd, 'str', path, 'void *', how, 'size_t', 24);
  },
  statx: call<[number, string, number, number, Uint8Array]>('statx',
    'int statx(int, const char *, int, unsigned int, _Out_ uint8_t *)'),
  getdents64: call<[number, Uint8Array, number]>('getdents64', 'int64_t getdents64(int, _Out_ uint8_t *, size_t)'),
  readlinkat: call<[number, string, Uint8Array, number]>('readlinkat', 'int64_t readlinkat(int, const char *, _Out_ uint8_t *, size_t)'),
  mkdirat: call<[number, string, number]>('mkdirat', 'int mkdirat(int, const char *, uint32_t)'),
  mknodat: call<[number, string, number, number]>('mknodat', 'int mknodat(int, const char *, uint32_t, uint64_t)'),
  symlinkat: call<[string, number, string]>('symlinkat', 'int symlinkat(const char *, int, const char *)'),
  linkat: call<[number, string, number, string, number]>('linkat', 'int linkat(int, const char *, int, const char *, int)'),
  unlinkat: call<[number, string, number]>('unlinkat', 'int unlinkat(int, const char *, int)'),
  renameat2: call<[number, string, number, string, number]>('renameat2', 'int renameat2(int, const char *, int, const char *, unsigned int)'),
  fchownat: call<[number, string, number, number, number]>('fchownat', 'int fchownat(int, const char *, uint32_t, uint32_t, int)'),
  fchmodat2: (dirfd: number, path: string, mode: number, flags: number): number =>
    sys('fchmodat2', 452, 'int', dirfd, 'str', path, 'uint32_t', mode, 'int', flags),
  utimensat: call<[number, string, BigInt64Array, number]>('utimensat', 'int utimensat(int, const char *, const int64_t *, int)'),
  ftruncate: call<[number, number]>('ftruncate', 'int ftruncate(int, int64_t)'),
  fstatfs: call<[number, Uint8Array]>('fstatfs', 'int fstatfs(int, _Out_ uint8_t *)'),
  lseek: call<[number, bigint, number]>('lseek', 'int64_t lseek(int, int64_t, int)'),
  fcntl: call<[number, number, number]>('fcntl', 'int fcntl(int, int, int)'),
  fchdir: call<[number]>('fchdir', 'int fchdir(int)'),
  // The l*xattr calls take a path, resolved from the working directory: the
  // gofer passes one plain name after fchdir to its parent (see server.ts).
  lgetxattr: call<[string, string, Uint8Array, number]>('lgetxattr', 'int64_t lgetxattr(const char *, const char *, _Out_ uint8_t *, size_t)'),
  lsetxattr: call<[string, string, Uint8Array, number, number]>('lsetxattr', 'int lsetxattr(const char *, const char *, const uint8_t *, size_t, int)'),
  llistxattr: call<[string, Uint8Array, number]>('llistxattr', 'int64_t llistxattr(const char *, _Out_ uint8_t *, size_t)'),
  lremovexattr: call<[string, string]>('lremovexattr', 'int lremovexattr(const char *, const char *)'),
  unshare: call<[number]>('unshare', 'int unshare(int)'),
  mount: call<[string | null, string, string | null, number, string | null]>('mount',
    'int mount(const char *, const char *, const char *, unsigned long, const char *)'),
  umount2: call<[string, number]>('umount2', 'int umount2(const char *, int)'),
  pivotRoot: (newRoot: string, putOld: string): number => sys('pivot_root', 155, 'str', newRoot, 'str', putOld),
  /** A detached copy of the mount at `path` (following symlinks); `recursive`: with its submounts (as mount --rbind). */
  openTreeClone: (path: string, recursive: boolean): number =>
    sys('open_tree', 428, 'int', -100, 'str', path, 'unsigned int',
      1 /* OPEN_TREE_CLONE */ | (recursive ? 0x8000 /* AT_RECURSIVE */ : 0) | 0o2000000 /* OPEN_TREE_CLOEXEC */),
  moveMount: (fromFd: number, toPath: string): number =>
    sys('move_mount', 429, 'int', fromFd, 'str', '', 'int', -100, 'str', toPath, 'unsigned int', 4 /* F_EMPTY_PATH */),
  /** mount_setattr(AT_RECURSIVE) setting MOUNT_ATTR_* flags on a detached tree. */
  mountSetattr: (dirfd: number, set: number): number => {
    // struct mount_attr { attr_set, attr_clr, propagation, userns_fd }
    const attr = new BigUint64Array([BigInt(set), 0n, 0n, 0n]);
    return sys('mount_setattr', 442, 'int', dirfd, 'str', '', 'unsigned int', AT.EMPTY_PATH | 0x8000 /* AT_RECURSIVE */,
      'void *', attr, 'size_t', 32);
  },
};
