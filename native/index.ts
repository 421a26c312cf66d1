// The TypeScript face of the C glue: bindings to native/build/libtvisor.so
// (see tvisor.c) and the few libc calls made directly. No policy here.
import koffi from './koffi.js';
import { repoFile } from './repo.js';

export { repoFile };

const lib = koffi.load(repoFile('native/build/libtvisor.so'));
const libc = koffi.load('libc.so.6');

/** Event kinds and slots, as in native/tvisor.c. */
export const EV = {
  SECCOMP: 1, SYSCALL_ENTRY: 2, SYSCALL_EXIT: 3, FORK: 4, VFORK: 5, CLONE: 6, EXEC: 7,
  EXITED: 8, SIGNALED: 9, SIGNAL: 10, STOP: 11, NOTIF: 12, FD: 13,
} as const;
export const SLOT = { PID: 0, KIND: 1, STATUS: 2, AUX: 3, MSG: 4, NR: 6, ARGS: 8, RET: 20, IP: 22, SP: 24 } as const;
export const EVENT_SLOTS = 32;

export const native = {
  wait: lib.func('int tv_wait(int pid, _Out_ int32_t *ev)') as (pid: number, ev: Int32Array) => number,
  pollStop: lib.func('int tv_poll_stop(int pid, _Out_ int32_t *ev)') as (pid: number, ev: Int32Array) => number,
  cont: lib.func('int tv_cont(int pid, int sig)') as (pid: number, sig: number) => number,
  stepSyscall: lib.func('int tv_step_syscall(int pid, int sig)') as (pid: number, sig: number) => number,
  listen: lib.func('int tv_listen(int pid)') as (pid: number) => number,
  interrupt: lib.func('int tv_interrupt(int pid)') as (pid: number) => number,
  ret: lib.func('int tv_return(int pid, int64_t value)') as (pid: number, value: number) => number,
  setSyscall: lib.func('int tv_set_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5)') as
    (pid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number,
  rewindSyscall: lib.func('int tv_rewind_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5)') as
    (pid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number,
  regsSize: lib.func('int tv_regs_size(void)') as () => number,
  getRegs: lib.func('int tv_get_regs(int pid, _Out_ uint8_t *buf)') as (pid: number, buf: Uint8Array) => number,
  setRegs: lib.func('int tv_set_regs(int pid, const uint8_t *buf)') as (pid: number, buf: Uint8Array) => number,
  setRet: lib.func('int tv_set_ret(int pid, int64_t value)') as (pid: number, value: number) => number,
  readMem: lib.func('int64_t tv_read_mem(int pid, double addr, _Out_ uint8_t *buf, int64_t len)') as
    (pid: number, addr: number, buf: Uint8Array, len: number) => number,
  writeMem: lib.func('int64_t tv_write_mem(int pid, double addr, const uint8_t *buf, int64_t len)') as
    (pid: number, addr: number, buf: Uint8Array, len: number) => number,
  readStr: lib.func('int tv_read_str(int pid, double addr, _Out_ uint8_t *buf, int max)') as
    (pid: number, addr: number, buf: Uint8Array, max: number) => number,
  kcmpFile: lib.func('int tv_kcmp_file(int pid1, int pid2, int fd1, int fd2)') as
    (pid1: number, pid2: number, fd1: number, fd2: number) => number,
  memfd: lib.func('int tv_memfd(const char *name, int sealable)') as (name: string, sealable: number) => number,
  nextEvent: lib.func('int tv_next_event(int listener, const int *watch, int nwatch, _Out_ int32_t *ev)') as
    (listener: number, watch: Int32Array, nwatch: number, ev: Int32Array) => number,
  notifRecv: lib.func('int tv_notif_recv(int listener, int timeout_ms, _Out_ int32_t *ev)') as
    (listener: number, timeoutMs: number, ev: Int32Array) => number,
  notifSend: lib.func('int tv_notif_send(int listener, uint32_t id_lo, uint32_t id_hi, int64_t val, int error, int cont)') as
    (listener: number, idLo: number, idHi: number, val: number, error: number, cont: number) => number,
  notifAddfd: lib.func('int tv_notif_addfd(int listener, uint32_t id_lo, uint32_t id_hi, int srcfd, int cloexec)') as
    (listener: number, idLo: number, idHi: number, srcfd: number, cloexec: number) => number,
  send: lib.func('int tv_send(int sock, const uint8_t *buf, int len, const int *fds, int nfds)') as
    (sock: number, buf: Uint8Array, len: number, fds: Int32Array | null, nfds: number) => number,
  recv: lib.func('int tv_recv(int sock, _Out_ uint8_t *buf, int cap, _Out_ int *fds, int maxfds, _Out_ int *nfds)') as
    (sock: number, buf: Uint8Array, cap: number, fds: Int32Array, maxfds: number, nfds: Int32Array) => number,
  socketpair: lib.func('int tv_socketpair(_Out_ int *out)') as (out: Int32Array) => number,
  spawn: lib.func('int tv_spawn(const char *root, const uint8_t *filter, int filterLen, int ptraceOptions, const char *hostname, int netns, const int *join, int njoin, _Out_ int *fds)') as
    (root: string, filter: Uint8Array, filterLen: number, ptraceOptions: number, hostname: string, netns: number,
     join: Int32Array, njoin: number, fds: Int32Array) => number,
  devptsMount: lib.func('int tv_devpts_mount(void)') as () => number,
  fsmount: lib.func('int tv_fsmount(const char *type, const uint8_t *optbuf, int nopts, uint32_t attrs)') as
    (type: string, optbuf: Uint8Array, nopts: number, attrs: number) => number,
  openPty: lib.func('int tv_open_pty(int devpts, _Out_ int *out)') as (devpts: number, out: Int32Array) => number,
  setWinsize: lib.func('int tv_set_winsize(int fd, int rows, int cols)') as (fd: number, rows: number, cols: number) => number,
  sysctlIn: lib.func('int tv_sysctl_in(const char *nsfile, int nstype, const char *path, const char *value)') as
    (nsfile: string, nstype: number, path: string, value: string) => number,
  kill: lib.func('int tv_kill(int pid, int sig)') as (pid: number, sig: number) => number,
  notifGive: lib.func('int tv_notif_give(int listener, uint32_t id_lo, uint32_t id_hi, int srcfd, int cloexec)') as
    (listener: number, idLo: number, idHi: number, srcfd: number, cloexec: number) => number,
  openWaiting: lib.func('int tv_open_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int pathfd, int flags, int cloexec)') as
    (listener: number, idLo: number, idHi: number, pathFd: number, flags: number, cloexec: number) => number,
  lockWaiting: lib.func('int tv_lock_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int fd, int kind, int op, const uint8_t *fl)') as
    (listener: number, idLo: number, idHi: number, fd: number, kind: number, op: number, fl: Uint8Array | null) => number,
  lockCancel: lib.func('void tv_lock_cancel(int handle)') as (handle: number) => void,
};

/** libc calls the sentry uses directly; they return -1 and set errno (read with koffi.errno()). */
export const libcCalls = {
  close: libc.func('int close(int fd)') as (fd: number) => number,
  dup: libc.func('int dup(int fd)') as (fd: number) => number,
  ftruncate: libc.func('int ftruncate(int fd, int64_t len)') as (fd: number, len: number) => number,
  lseek: libc.func('int64_t lseek(int fd, int64_t off, int whence)') as (fd: number, off: number, whence: number) => number,
  fchmod: libc.func('int fchmod(int fd, uint32_t mode)') as (fd: number, mode: number) => number,
  fchown: libc.func('int fchown(int fd, uint32_t uid, uint32_t gid)') as (fd: number, uid: number, gid: number) => number,
  copyFileRange: libc.func('int64_t copy_file_range(int fdin, int64_t *offin, int fdout, int64_t *offout, size_t len, unsigned int flags)') as
    (fdIn: number, offIn: null, fdOut: number, offOut: null, len: number, flags: number) => number,
  sendfile: libc.func('int64_t sendfile(int out, int in, int64_t *off, size_t count)') as
    (out: number, fdIn: number, off: null, count: number) => number,
  getpid: libc.func('int getpid(void)') as () => number,
  prctl: libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)') as
    (option: number, a2: number, a3: number, a4: number, a5: number) => number,
  fstat: libc.func('int fstat(int fd, _Out_ uint8_t *buf)') as (fd: number, buf: Uint8Array) => number,
  stat: libc.func('int stat(const char *path, _Out_ uint8_t *buf)') as (path: string, buf: Uint8Array) => number,
  mkfifo: libc.func('int mkfifo(const char *path, uint32_t mode)') as (path: string, mode: number) => number,
  // Unix socket paths: the sentry binds and connects a guest's socket (taken with pidfd_getfd).
  pidfdOpen: libc.func('int pidfd_open(int pid, unsigned int flags)') as (pid: number, flags: number) => number,
  pidfdGetfd: libc.func('int pidfd_getfd(int pidfd, int fd, unsigned int flags)') as (pidfd: number, fd: number, flags: number) => number,
  bind: libc.func('int bind(int fd, const uint8_t *addr, uint32_t len)') as (fd: number, addr: Uint8Array, len: number) => number,
  connect: libc.func('int connect(int fd, const uint8_t *addr, uint32_t len)') as (fd: number, addr: Uint8Array, len: number) => number,
  socket: libc.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
  listen: libc.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
  accept4: libc.func('int accept4(int fd, void *addr, void *len, int flags)') as (fd: number, addr: null, len: null, flags: number) => number,
  fcntl: libc.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number,
  // Extended attributes of an open host file (a gofer file that may have lost its name); names are C strings of their bytes.
  fgetxattr: libc.func('int64_t fgetxattr(int fd, const uint8_t *name, _Out_ uint8_t *value, size_t size)') as
    (fd: number, name: Uint8Array, value: Uint8Array, size: number) => number,
  fsetxattr: libc.func('int fsetxattr(int fd, const uint8_t *name, const uint8_t *value, size_t size, int flags)') as
    (fd: number, name: Uint8Array, value: Uint8Array, size: number, flags: number) => number,
  flistxattr: libc.func('int64_t flistxattr(int fd, _Out_ uint8_t *list, size_t size)') as
    (fd: number, list: Uint8Array, size: number) => number,
  fremovexattr: libc.func('int fremovexattr(int fd, const uint8_t *name)') as (fd: number, name: Uint8Array) => number,
  // An O_TMPFILE file of a bind given a name (through /proc/self/fd, AT_SYMLINK_FOLLOW); the new name is a C string of its bytes.
  linkat: libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const uint8_t *newpath, int flags)') as
    (oldDirFd: number, oldPath: string, newDirFd: number, newPath: Uint8Array, flags: number) => number,
  prlimit: libc.func('int prlimit(int pid, int resource, const uint64_t *limit, _Out_ uint64_t *old)') as
    (pid: number, resource: number, limit: BigUint64Array | null, old: BigUint64Array | null) => number,
  // Lock proxies (sentry/kernel/locks.ts): the sentry's own lock calls.
  flock: libc.func('int flock(int fd, int op)') as (fd: number, op: number) => number,
  fcntlLock: libc.func('int fcntl(int fd, int cmd, _Inout_ uint8_t *fl)') as (fd: number, cmd: number, fl: Uint8Array) => number,
  inotifyInit1: libc.func('int inotify_init1(int flags)') as (flags: number) => number,
  inotifyAddWatch: libc.func('int inotify_add_watch(int fd, const char *path, uint32_t mask)') as
    (fd: number, path: string, mask: number) => number,
  inotifyRmWatch: libc.func('int inotify_rm_watch(int fd, int wd)') as (fd: number, wd: number) => number,
  send: libc.func('int64_t send(int fd, const uint8_t *buf, size_t len, int flags)') as
    (fd: number, buf: Uint8Array, len: number, flags: number) => number,
  ioctlInt: libc.func('int ioctl(int fd, unsigned long req, _Out_ int32_t *out)') as (fd: number, req: number, out: Int32Array) => number,
  poll: libc.func('int poll(_Inout_ int16_t *fds, uint64_t n, int timeout)') as (fds: Int16Array, n: number, timeout: number) => number,
  setsockoptInt: libc.func('int setsockopt(int fd, int level, int name, const int32_t *val, uint32_t len)') as
    (fd: number, level: number, name: number, val: Int32Array, len: number) => number,
  getsockoptInt: libc.func('int getsockopt(int fd, int level, int name, _Out_ int32_t *val, _Inout_ uint32_t *len)') as
    (fd: number, level: number, name: number, val: Int32Array, len: Uint32Array) => number,
  // The library API (src/api): its guests' stdio pipes, and readiness of the sockets it serves (called with .async).
  pipe2: libc.func('int pipe2(_Out_ int *fds, int flags)') as (fds: Int32Array, flags: number) => number,
  pollAsync: libc.func('int poll(_Inout_ uint8_t *fds, uint64_t nfds, int timeout)'),
};

export interface HostTimespec { sec: number; nsec: number }

/** A struct stat (x86-64) as plain numbers. */
export interface HostStat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atime: HostTimespec; mtime: HostTimespec; ctime: HostTimespec;
}

export const STAT_SIZE = 144;

/** Decodes a struct stat without BigInt (no field of interest exceeds 2^53). */
export function decodeStat(b: Uint8Array): HostStat {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u = (o: number) => v.getUint32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
  const i = (o: number) => v.getInt32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
  return {
    dev: u(0), ino: u(8), nlink: u(16), mode: v.getUint32(24, true), uid: v.getUint32(28, true),
    gid: v.getUint32(32, true), rdev: u(40), size: i(48), blksize: i(56), blocks: i(64),
    atime: { sec: i(72), nsec: i(80) }, mtime: { sec: i(88), nsec: i(96) }, ctime: { sec: i(104), nsec: i(112) },
  };
}
