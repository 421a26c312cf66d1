// Linux errno values (x86-64) and the one error type the sentry throws.
//
// Inside the sentry an error is a SysErr carrying a Linux errno. The syscall
// dispatcher turns it into the guest's -errno return; nothing else is ever
// thrown across a handler boundary on purpose.

export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, ENODATA: 61, ETIME: 62, EOVERFLOW: 75, EBADFD: 77, EILSEQ: 84, ENOTSOCK: 88, EMSGSIZE: 90,
  EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, ECONNREFUSED: 111, ESTALE: 116,
  EDQUOT: 122, ECANCELED: 125,
} as const;

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(E).map(([k, v]) => [v, k]));

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E${errno}`;
}

/** A system call error: the value a handler fails with. */
export class SysErr extends Error {
  constructor(readonly errno: number, detail?: string) {
    // An errno is an answer, not a fault: most calls that fail (a lookup of a
    // missing name) would spend more on capturing a stack than on the call.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail ? `${errnoName(errno)}: ${detail}` : errnoName(errno));
    Error.stackTraceLimit = limit;
  }
}
