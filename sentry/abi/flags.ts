// Flag words of the file system calls (x86-64 Linux): open, *at, openat2, renameat2.

export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, ACCMODE: 3,
  CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000, NONBLOCK: 0o4000,
  DSYNC: 0o10000, ASYNC: 0o20000, DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000, NOATIME: 0o1000000, CLOEXEC: 0o2000000, SYNC: 0o4010000, PATH: 0o10000000,
  TMPFILE: 0o20200000,
} as const;

export const AT = {
  FDCWD: -100, SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800, EMPTY_PATH: 0x1000, EACCESS: 0x200,
  STATX_SYNC_TYPE: 0x6000,
} as const;

export const RESOLVE = {
  NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10, CACHED: 0x20,
} as const;

/** fcntl(2) commands. */
export const F = {
  GETFL: 3, SETFL: 4, GETLK: 5, SETLK: 6, SETLKW: 7, OFD_GETLK: 36, OFD_SETLK: 37, OFD_SETLKW: 38,
  SETLEASE: 1024, GETLEASE: 1025, NOTIFY: 1026, GET_SEALS: 1034,
} as const;

export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

export const PATH_MAX = 4096;
/** The longest argv or envp string execve takes, its NUL included (32 pages): E2BIG past it. */
export const MAX_ARG_STRLEN = 32 * 4096;
export const NAME_MAX = 255;
/** Linux's MAXSYMLINKS: symlinks one path walk may follow. */
export const SYMLINK_MAX_FOLLOWS = 40;
