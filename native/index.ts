// The TypeScript face of the C glue: bindings to native/build/libtvisor.so
// (see tvisor.c) and the few libc calls made directly. No policy here.
import koffi from './koffi.js';
import { repoFile } from './repo.js';

export { repoFile };

const lib = koffi.load(repoFile('native/build/libtvisor.so'));
const libc = koffi.load('libc.so.6');

type KoffiLib = ReturnType<typeof koffi.load>;
type KoffiFunction = ReturnType<KoffiLib['func']>;
/** A C prototype, typed as the function koffi makes of it. */
interface Decl<F> { proto: string; fn?: F }
const fn = <F>(proto: string): Decl<F> => ({ proto });

/**
 * The functions of `decls`, each declared to koffi at its first call, not at
 * load: parsing the ~80 prototypes costs every process that loads this
 * module milliseconds of its start-up, and the runtime's commands call a
 * few (docs/design.md, "Pods"). A first call puts koffi's function in the
 * stub's place: the object keeps its shape and later calls reach koffi's
 * function directly. A stub held elsewhere still works (it binds once).
 */
function bindings<T extends Record<string, Decl<unknown>>>(from: KoffiLib, decls: T):
    { [K in keyof T]: T[K] extends Decl<infer F> ? F : never } {
  const out: Record<string, unknown> = {};
  for (const [name, { proto }] of Object.entries(decls)) {
    let bound: KoffiFunction | undefined;
    const bind = (): KoffiFunction => {
      if (!bound) out[name] = bound = from.func(proto);
      return bound;
    };
    const stub = (...args: unknown[]): unknown => bind()(...args);
    // koffi's asynchronous call of the function (libcCalls.pollAsync.async).
    stub.async = (...args: unknown[]): unknown => bind().async(...args);
    out[name] = stub;
  }
  return out as { [K in keyof T]: T[K] extends Decl<infer F> ? F : never };
}

/** Event kinds and slots, as in native/tvisor.c. */
export const EV = {
  SECCOMP: 1, SYSCALL_ENTRY: 2, SYSCALL_EXIT: 3, FORK: 4, VFORK: 5, CLONE: 6, EXEC: 7,
  EXITED: 8, SIGNALED: 9, SIGNAL: 10, STOP: 11, NOTIF: 12, FD: 13, CHILD_STOP: 14,
} as const;
export const SLOT = { PID: 0, KIND: 1, STATUS: 2, AUX: 3, MSG: 4, NR: 6, ARGS: 8, RET: 20, IP: 22, SP: 24 } as const;
export const EVENT_SLOTS = 32;

export const native = bindings(lib, {
  wait: fn<(pid: number, ev: Int32Array) => number>('int tv_wait(int pid, _Out_ int32_t *ev)'),
  pollStop: fn<(pid: number, ev: Int32Array) => number>('int tv_poll_stop(int pid, _Out_ int32_t *ev)'),
  cont: fn<(pid: number, sig: number) => number>('int tv_cont(int pid, int sig)'),
  stepSyscall: fn<(pid: number, sig: number) => number>('int tv_step_syscall(int pid, int sig)'),
  listen: fn<(pid: number) => number>('int tv_listen(int pid)'),
  interrupt: fn<(pid: number) => number>('int tv_interrupt(int pid)'),
  ret: fn<(pid: number, value: number) => number>('int tv_return(int pid, int64_t value)'),
  setSyscall: fn<(pid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number>('int tv_set_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5)'),
  rewindSyscall: fn<(pid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number>('int tv_rewind_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5)'),
  regsSize: fn<() => number>('int tv_regs_size(void)'),
  getRegs: fn<(pid: number, buf: Uint8Array) => number>('int tv_get_regs(int pid, _Out_ uint8_t *buf)'),
  setRegs: fn<(pid: number, buf: Uint8Array) => number>('int tv_set_regs(int pid, const uint8_t *buf)'),
  setRet: fn<(pid: number, value: number) => number>('int tv_set_ret(int pid, int64_t value)'),
  readMem: fn<(pid: number, addr: number, buf: Uint8Array, len: number) => number>('int64_t tv_read_mem(int pid, double addr, _Out_ uint8_t *buf, int64_t len)'),
  writeMem: fn<(pid: number, addr: number, buf: Uint8Array, len: number) => number>('int64_t tv_write_mem(int pid, double addr, const uint8_t *buf, int64_t len)'),
  readStr: fn<(pid: number, addr: number, buf: Uint8Array, max: number) => number>('int tv_read_str(int pid, double addr, _Out_ uint8_t *buf, int max)'),
  readStrs: fn<(pid: number, addrs: Float64Array, n: number, buf: Uint8Array, stride: number, max: number, lens: Int32Array) => number>('int tv_read_strs(int pid, const double *addrs, int n, _Out_ uint8_t *buf, int stride, int max, _Out_ int32_t *lens)'),
  kcmpFile: fn<(pid1: number, pid2: number, fd1: number, fd2: number) => number>('int tv_kcmp_file(int pid1, int pid2, int fd1, int fd2)'),
  memfd: fn<(name: string, sealable: number) => number>('int tv_memfd(const char *name, int sealable)'),
  nextEvent: fn<(listener: number, watch: Int32Array, nwatch: number, ev: Int32Array) => number>('int tv_next_event(int listener, const int *watch, int nwatch, _Out_ int32_t *ev)'),
  notifRecv: fn<(listener: number, timeoutMs: number, ev: Int32Array) => number>('int tv_notif_recv(int listener, int timeout_ms, _Out_ int32_t *ev)'),
  notifSend: fn<(listener: number, idLo: number, idHi: number, val: number, error: number, cont: number) => number>('int tv_notif_send(int listener, uint32_t id_lo, uint32_t id_hi, int64_t val, int error, int cont)'),
  notifAddfd: fn<(listener: number, idLo: number, idHi: number, tid: number, srcfd: number, cloexec: number, hold: number) => number>('int tv_notif_addfd(int listener, uint32_t id_lo, uint32_t id_hi, int tid, int srcfd, int cloexec, int hold)'),
  send: fn<(sock: number, buf: Uint8Array, len: number, fds: Int32Array | null, nfds: number) => number>('int tv_send(int sock, const uint8_t *buf, int len, const int *fds, int nfds)'),
  sendHere: fn<(sock: number, buf: Uint8Array, len: number, peer: number, peerCpu: Int32Array) => number>('int tv_send_here(int sock, const uint8_t *buf, int len, int peer, _Inout_ int *peer_cpu)'),
  recv: fn<(sock: number, buf: Uint8Array, cap: number, fds: Int32Array, maxfds: number, nfds: Int32Array) => number>('int tv_recv(int sock, _Out_ uint8_t *buf, int cap, _Out_ int *fds, int maxfds, _Out_ int *nfds)'),
  socketpair: fn<(out: Int32Array) => number>('int tv_socketpair(_Out_ int *out)'),
  signalPipe: fn<(signals: Int32Array, n: number) => number>('int tv_signal_pipe(const int *signals, int n)'),
  spawn: fn<(root: string, filter: Uint8Array, filterLen: number, ptraceOptions: number, hostname: string, netns: number,
     join: Int32Array, njoin: number, fds: Int32Array) => number>('int tv_spawn(const char *root, const uint8_t *filter, int filterLen, int ptraceOptions, const char *hostname, int netns, const int *join, int njoin, _Out_ int *fds)'),
  initReady: fn<(pid: number, pending: Int32Array, fds: Int32Array) => number>('int tv_init_ready(int pid, const int *pending, _Out_ int *fds)'),
  devptsMount: fn<() => number>('int tv_devpts_mount(void)'),
  fsmount: fn<(type: string, optbuf: Uint8Array, nopts: number, attrs: number) => number>('int tv_fsmount(const char *type, const uint8_t *optbuf, int nopts, uint32_t attrs)'),
  openPty: fn<(devpts: number, out: Int32Array) => number>('int tv_open_pty(int devpts, _Out_ int *out)'),
  setWinsize: fn<(fd: number, rows: number, cols: number) => number>('int tv_set_winsize(int fd, int rows, int cols)'),
  sysctlIn: fn<(nsfile: string, nstype: number, path: string, value: string) => number>('int tv_sysctl_in(const char *nsfile, int nstype, const char *path, const char *value)'),
  kill: fn<(pid: number, sig: number) => number>('int tv_kill(int pid, int sig)'),
  // Called with .async (src/cgroup.ts: a move into a cgroup, which waits for an RCU grace period).
  writeAll: fn<KoffiFunction>('int tv_write_all(int fd, const uint8_t *buf, int len)'),
  bindAs: fn<(sock: number, addr: Uint8Array, len: number, root: number, cwd: number) => number>(
    'int tv_bind_as(int sock, const uint8_t *addr, int len, int root, int cwd)'),
  connectAs: fn<(sock: number, pathFd: number, uid: number, gid: number) => number>(
    'int tv_connect_as(int sock, int pathfd, int uid, int gid)'),
  socketIn: fn<(nsfd: number, domain: number, type: number, protocol: number) => number>('int tv_socket_in(int nsfd, int domain, int type, int protocol)'),
  unixPeer: fn<(nl: number, ino: number) => number>('int64_t tv_unix_peer(int nl, uint32_t ino)'),
  ipcAs: fn<(nsfd: number, uid: number, gid: number, fsgid: number, groups: Uint32Array, ngroups: number, capsLo: number,
    capsHi: number, nr: number, args: BigInt64Array, buf: Uint8Array | null, bufarg: number) => number>(
    'int64_t tv_ipc_as(int nsfd, int uid, int gid, int fsgid, const uint32_t *groups, int ngroups, uint32_t caps_lo, uint32_t caps_hi, int nr, const int64_t *args, _Inout_ uint8_t *buf, int bufarg)'),
  sendtoAs: fn<(sock: number, buf: Uint8Array, len: number, flags: number, pathFd: number, pid: number, uid: number, gid: number) => number>(
    'int64_t tv_sendto_as(int sock, const uint8_t *buf, size_t len, int flags, int pathfd, int pid, int uid, int gid)'),
  notifGive: fn<(listener: number, idLo: number, idHi: number, srcfd: number, cloexec: number) => number>('int tv_notif_give(int listener, uint32_t id_lo, uint32_t id_hi, int srcfd, int cloexec)'),
  openWaiting: fn<(listener: number, idLo: number, idHi: number, pathFd: number, flags: number, cloexec: number) => number>('int tv_open_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int pathfd, int flags, int cloexec)'),
  lockWaiting: fn<(listener: number, idLo: number, idHi: number, fd: number, kind: number, op: number, fl: Uint8Array | null) => number>('int tv_lock_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int fd, int kind, int op, const uint8_t *fl)'),
  lockCancel: fn<(handle: number) => void>('void tv_lock_cancel(int handle)'),
});

/** libc calls the sentry uses directly; they return -1 and set errno (read with koffi.errno()). */
export const libcCalls = bindings(libc, {
  close: fn<(fd: number) => number>('int close(int fd)'),
  ftruncate: fn<(fd: number, len: number) => number>('int ftruncate(int fd, int64_t len)'),
  lseek: fn<(fd: number, off: number, whence: number) => number>('int64_t lseek(int fd, int64_t off, int whence)'),
  fchmod: fn<(fd: number, mode: number) => number>('int fchmod(int fd, uint32_t mode)'),
  fchown: fn<(fd: number, uid: number, gid: number) => number>('int fchown(int fd, uint32_t uid, uint32_t gid)'),
  copyFileRange: fn<(fdIn: number, offIn: null, fdOut: number, offOut: null, len: number, flags: number) => number>('int64_t copy_file_range(int fdin, int64_t *offin, int fdout, int64_t *offout, size_t len, unsigned int flags)'),
  sendfile: fn<(out: number, fdIn: number, off: null, count: number) => number>('int64_t sendfile(int out, int in, int64_t *off, size_t count)'),
  getpid: fn<() => number>('int getpid(void)'),
  prctl: fn<(option: number, a2: number, a3: number, a4: number, a5: number) => number>('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)'),
  fstat: fn<(fd: number, buf: Uint8Array) => number>('int fstat(int fd, _Out_ uint8_t *buf)'),
  stat: fn<(path: string, buf: Uint8Array) => number>('int stat(const char *path, _Out_ uint8_t *buf)'),
  mkfifo: fn<(path: string, mode: number) => number>('int mkfifo(const char *path, uint32_t mode)'),
  // Unix socket paths: the sentry binds and connects a guest's socket (taken with pidfd_getfd).
  pidfdOpen: fn<(pid: number, flags: number) => number>('int pidfd_open(int pid, unsigned int flags)'),
  getpgid: fn<(pid: number) => number>('int getpgid(int pid)'),
  getsid: fn<(pid: number) => number>('int getsid(int pid)'),
  pidfdSendSignal: fn<(pidfd: number, sig: number, info: null, flags: number) => number>('int pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags)'),
  pidfdGetfd: fn<(pidfd: number, fd: number, flags: number) => number>('int pidfd_getfd(int pidfd, int fd, unsigned int flags)'),
  bind: fn<(fd: number, addr: Uint8Array, len: number) => number>('int bind(int fd, const uint8_t *addr, uint32_t len)'),
  connect: fn<(fd: number, addr: Uint8Array, len: number) => number>('int connect(int fd, const uint8_t *addr, uint32_t len)'),
  socket: fn<(domain: number, type: number, protocol: number) => number>('int socket(int domain, int type, int protocol)'),
  listen: fn<(fd: number, backlog: number) => number>('int listen(int fd, int backlog)'),
  accept4: fn<(fd: number, addr: null, len: null, flags: number) => number>('int accept4(int fd, void *addr, void *len, int flags)'),
  fcntl: fn<(fd: number, cmd: number, arg: number) => number>('int fcntl(int fd, int cmd, int arg)'),
  dup3: fn<(oldFd: number, newFd: number, flags: number) => number>('int dup3(int oldfd, int newfd, int flags)'),
  // Extended attributes of an open host file (a gofer file that may have lost its name); names are C strings of their bytes.
  fgetxattr: fn<(fd: number, name: Uint8Array, value: Uint8Array, size: number) => number>('int64_t fgetxattr(int fd, const uint8_t *name, _Out_ uint8_t *value, size_t size)'),
  fsetxattr: fn<(fd: number, name: Uint8Array, value: Uint8Array, size: number, flags: number) => number>('int fsetxattr(int fd, const uint8_t *name, const uint8_t *value, size_t size, int flags)'),
  flistxattr: fn<(fd: number, list: Uint8Array, size: number) => number>('int64_t flistxattr(int fd, _Out_ uint8_t *list, size_t size)'),
  fremovexattr: fn<(fd: number, name: Uint8Array) => number>('int fremovexattr(int fd, const uint8_t *name)'),
  // Those of an entry of a directory fd, by a path through /proc/self/fd (sentry/fs/gofer/direct.ts).
  lgetxattr: fn<(path: Uint8Array, name: Uint8Array, value: Uint8Array, size: number) => number>('int64_t lgetxattr(const uint8_t *path, const uint8_t *name, _Out_ uint8_t *value, size_t size)'),
  llistxattr: fn<(path: Uint8Array, list: Uint8Array, size: number) => number>('int64_t llistxattr(const uint8_t *path, _Out_ uint8_t *list, size_t size)'),
  // An O_TMPFILE file of a bind given a name (through /proc/self/fd, AT_SYMLINK_FOLLOW); the new name is a C string of its bytes.
  linkat: fn<(oldDirFd: number, oldPath: string, newDirFd: number, newPath: Uint8Array, flags: number) => number>('int linkat(int olddirfd, const char *oldpath, int newdirfd, const uint8_t *newpath, int flags)'),
  // A socket a guest bound on a bind mount, moved from its scratch tree to its name (RENAME_NOREPLACE).
  renameat2: fn<(oldDirFd: number, oldPath: Uint8Array, newDirFd: number, newPath: Uint8Array, flags: number) => number>(
    'int renameat2(int olddirfd, const uint8_t *oldpath, int newdirfd, const uint8_t *newpath, unsigned int flags)'),
  // The overlay's lower layer, read through the gofer's directory fds (sentry/fs/gofer/direct.ts); names are C strings of their bytes.
  statx: fn<(dirFd: number, name: Uint8Array, flags: number, mask: number, buf: Uint8Array) => number>('int statx(int dirfd, const uint8_t *name, int flags, unsigned int mask, _Out_ uint8_t *buf)'),
  readlinkat: fn<(dirFd: number, name: Uint8Array, buf: Uint8Array, size: number) => number>('int64_t readlinkat(int dirfd, const uint8_t *name, _Out_ uint8_t *buf, size_t size)'),
  // A uid's priorities (PRIO_USER, IOPRIO_WHO_USER), set and read by the sentry thread by thread.
  getpriority: fn<(which: number, who: number) => number>('int getpriority(int which, int who)'),
  setpriority: fn<(which: number, who: number, prio: number) => number>('int setpriority(int which, int who, int prio)'),
  schedGetscheduler: fn<(pid: number) => number>('int sched_getscheduler(int pid)'),
  // A guest process's fd numbers, from its /proc/<tgid>/fd kept open (sentry/host/fdlist.ts).
  getdents64: fn<(fd: number, buf: Uint8Array, count: number) => number>('int64_t getdents64(int fd, _Out_ uint8_t *buf, size_t count)'),
  // Variadic: each argument after the number is given as a type and a value ('int', 3).
  syscall: fn<(nr: number, ...typedArgs: unknown[]) => number>('long syscall(long nr, ...)'),
  prlimit: fn<(pid: number, resource: number, limit: BigUint64Array | null, old: BigUint64Array | null) => number>('int prlimit(int pid, int resource, const uint64_t *limit, _Out_ uint64_t *old)'),
  // Lock proxies (sentry/kernel/locks.ts): the sentry's own lock calls.
  flock: fn<(fd: number, op: number) => number>('int flock(int fd, int op)'),
  fcntlLock: fn<(fd: number, cmd: number, fl: Uint8Array) => number>('int fcntl(int fd, int cmd, _Inout_ uint8_t *fl)'),
  inotifyInit1: fn<(flags: number) => number>('int inotify_init1(int flags)'),
  inotifyAddWatch: fn<(fd: number, path: string, mask: number) => number>('int inotify_add_watch(int fd, const char *path, uint32_t mask)'),
  inotifyRmWatch: fn<(fd: number, wd: number) => number>('int inotify_rm_watch(int fd, int wd)'),
  // The check for inotify's close events (sentry/kernel/inotify.ts).
  timerfdCreate: fn<(clock: number, flags: number) => number>('int timerfd_create(int clock, int flags)'),
  timerfdSettime: fn<(fd: number, flags: number, spec: BigInt64Array, old: null) => number>('int timerfd_settime(int fd, int flags, const int64_t *spec, void *old)'),
  send: fn<(fd: number, buf: Uint8Array, len: number, flags: number) => number>('int64_t send(int fd, const uint8_t *buf, size_t len, int flags)'),
  ioctlInt: fn<(fd: number, req: number, out: Int32Array) => number>('int ioctl(int fd, unsigned long req, _Out_ int32_t *out)'),
  poll: fn<(fds: Int16Array, n: number, timeout: number) => number>('int poll(_Inout_ int16_t *fds, uint64_t n, int timeout)'),
  setsockoptInt: fn<(fd: number, level: number, name: number, val: Int32Array, len: number) => number>('int setsockopt(int fd, int level, int name, const int32_t *val, uint32_t len)'),
  getsockoptInt: fn<(fd: number, level: number, name: number, val: Int32Array, len: Uint32Array) => number>('int getsockopt(int fd, int level, int name, _Out_ int32_t *val, _Inout_ uint32_t *len)'),
  // The library API (src/api): its guests' stdio pipes, and readiness of the sockets it serves (called with .async).
  pipe2: fn<(fds: Int32Array, flags: number) => number>('int pipe2(_Out_ int *fds, int flags)'),
  pollAsync: fn<KoffiFunction>('int poll(_Inout_ uint8_t *fds, uint64_t nfds, int timeout)'),
});

const SYS_IOPRIO_SET = 251;
const SYS_IOPRIO_GET = 252;

/** ioprio_get/ioprio_set, which libc does not wrap: -1 and errno, as the libc calls. */
export const ioprio = {
  get: (which: number, who: number): number => libcCalls.syscall(SYS_IOPRIO_GET, 'int', which, 'int', who),
  set: (which: number, who: number, prio: number): number => libcCalls.syscall(SYS_IOPRIO_SET, 'int', which, 'int', who, 'int', prio),
};

export interface HostTimespec { sec: number; nsec: number }

/** A struct stat (x86-64) as plain numbers. */
export interface HostStat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atime: HostTimespec; mtime: HostTimespec; ctime: HostTimespec;
}

export const STAT_SIZE = 144;

/** Decodes a struct stat without BigInt (no field of interest exceeds 2^53). */
let lastStatBuf: Uint8Array | null = null;
let lastStatView: DataView | null = null;

export function decodeStat(b: Uint8Array): HostStat {
  // Callers pass their one stat buffer each time: its view is made once.
  if (b !== lastStatBuf) { lastStatBuf = b; lastStatView = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  const v = lastStatView!;
  const u = (o: number) => v.getUint32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
  const i = (o: number) => v.getInt32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
  return {
    dev: u(0), ino: u(8), nlink: u(16), mode: v.getUint32(24, true), uid: v.getUint32(28, true),
    gid: v.getUint32(32, true), rdev: u(40), size: i(48), blksize: i(56), blocks: i(64),
    atime: { sec: i(72), nsec: i(80) }, mtime: { sec: i(88), nsec: i(96) }, ctime: { sec: i(104), nsec: i(112) },
  };
}
