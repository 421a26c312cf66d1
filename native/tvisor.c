// tvisor native glue: the few things Node cannot do itself.
//
// Policy-free: the seccomp program, every decision about a trap and every
// path is chosen in TypeScript; this file only performs the system calls.
// Loaded with koffi. Values that may exceed 2^53 travel as lo/hi 32-bit
// halves in an Int32Array so that JavaScript never needs BigInt on the
// hot path.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/mount.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

// Linux 6.6; the distribution's headers may predate it.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif


// Keep in sync with sentry/platform/native.ts.
enum {
  TV_EV_SECCOMP = 1,      // seccomp RET_TRACE stop: nr + args
  TV_EV_SYSCALL_ENTRY = 2,
  TV_EV_SYSCALL_EXIT = 3, // ret = return value
  TV_EV_FORK = 4,         // msg = new pid
  TV_EV_VFORK = 5,
  TV_EV_CLONE = 6,        // args[0] = clone flags
  TV_EV_EXEC = 7,         // msg = former tid
  TV_EV_EXITED = 8,       // status = exit code
  TV_EV_SIGNALED = 9,     // status = signal, aux = core dumped
  TV_EV_SIGNAL = 10,      // signal-delivery-stop, status = signal
  TV_EV_STOP = 11,        // PTRACE_EVENT_STOP (group-stop or new child), status = signal
  TV_EV_NOTIF = 12,       // seccomp user notification: msg = id, nr + args
  TV_EV_FD = 13,          // a watched fd is readable (or hung up): aux = fd, pid = 0
  TV_EV_CHILD_STOP = 14,  // a child the sentry does not trace (a gofer) stopped by a signal: status = signal
};

// Event layout (int32 slots), mirrored in native.ts.
enum {
  E_PID = 0, E_KIND = 1, E_STATUS = 2, E_AUX = 3, E_MSG = 4, E_NR = 6,
  E_ARGS = 8, E_RET = 20, E_IP = 22, E_SP = 24, E_SLOTS = 32,
};

static void put64(int32_t *ev, int slot, uint64_t v) {
  ev[slot] = (int32_t)(uint32_t)v;
  ev[slot + 1] = (int32_t)(uint32_t)(v >> 32);
}

static int fill_syscall_info(pid_t pid, int32_t *ev) {
  struct __ptrace_syscall_info info;
  memset(&info, 0, sizeof info);
  long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
  if (n < 0) return -errno;
  put64(ev, E_IP, info.instruction_pointer);
  put64(ev, E_SP, info.stack_pointer);
  switch (info.op) {
  case PTRACE_SYSCALL_INFO_ENTRY:
    ev[E_KIND] = TV_EV_SYSCALL_ENTRY;
    put64(ev, E_NR, info.entry.nr);
    for (int i = 0; i < 6; i++) put64(ev, E_ARGS + 2 * i, info.entry.args[i]);
    break;
  case PTRACE_SYSCALL_INFO_SECCOMP:
    ev[E_KIND] = TV_EV_SECCOMP;
    put64(ev, E_NR, info.seccomp.nr);
    for (int i = 0; i < 6; i++) put64(ev, E_ARGS + 2 * i, info.seccomp.args[i]);
    break;
  case PTRACE_SYSCALL_INFO_EXIT:
    ev[E_KIND] = TV_EV_SYSCALL_EXIT;
    put64(ev, E_RET, (uint64_t)info.exit.rval);
    break;
  default:
    return -EINVAL;
  }
  return 0;
}

static int decode_wait(pid_t got, int status, int32_t *ev);

// Waits for the next ptrace event of `pid` (-1: any tracee) and decodes it.
// Returns the pid, or -errno (-ECHILD when nothing is left to wait for).
// The next stop of `pid` if it has one ready, else 0.
int tv_poll_stop(int pid, int32_t *ev) {
  int status;
  pid_t got;
  do {
    got = waitpid(pid, &status, __WALL | WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return got < 0 ? -errno : 0;
  return decode_wait(got, status, ev);
}

int tv_wait(int pid, int32_t *ev) {
  int status;
  pid_t got;
  do {
    got = waitpid(pid, &status, __WALL);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return -errno;
  return decode_wait(got, status, ev);
}

static int decode_wait(pid_t got, int status, int32_t *ev) {
  memset(ev, 0, E_SLOTS * sizeof *ev);
  ev[E_PID] = got;
  if (WIFEXITED(status)) {
    ev[E_KIND] = TV_EV_EXITED;
    ev[E_STATUS] = WEXITSTATUS(status);
    return got;
  }
  if (WIFSIGNALED(status)) {
    ev[E_KIND] = TV_EV_SIGNALED;
    ev[E_STATUS] = WTERMSIG(status);
    ev[E_AUX] = WCOREDUMP(status) ? 1 : 0;
    return got;
  }
  int sig = WSTOPSIG(status);
  int event = (unsigned)status >> 16;
  unsigned long msg = 0;
  ev[E_STATUS] = sig;
  if (sig == (SIGTRAP | 0x80)) {
    if (fill_syscall_info(got, ev) < 0) ev[E_KIND] = TV_EV_SIGNAL, ev[E_STATUS] = 0;
    return got;
  }
  switch (event) {
  case PTRACE_EVENT_SECCOMP:
    if (fill_syscall_info(got, ev) < 0) ev[E_KIND] = TV_EV_SIGNAL, ev[E_STATUS] = 0;
    // The SECCOMP_RET_DATA of the filter that asked for the stop: the
    // sentry's own, or a guest's (whose RET_TRACE finds no tracer of its own).
    else if (ptrace(PTRACE_GETEVENTMSG, got, 0, &msg) == 0) ev[E_AUX] = (int32_t)msg;
    return got;
  case PTRACE_EVENT_FORK:
  case PTRACE_EVENT_VFORK:
  case PTRACE_EVENT_CLONE: {
    ev[E_KIND] = event == PTRACE_EVENT_FORK ? TV_EV_FORK
               : event == PTRACE_EVENT_VFORK ? TV_EV_VFORK : TV_EV_CLONE;
    ptrace(PTRACE_GETEVENTMSG, got, 0, &msg);
    put64(ev, E_MSG, msg);
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, got, 0, &regs) == 0) {
      put64(ev, E_NR, regs.orig_rax);
      put64(ev, E_ARGS, regs.rdi);
    }
    return got;
  }
  case PTRACE_EVENT_EXEC:
    ev[E_KIND] = TV_EV_EXEC;
    ptrace(PTRACE_GETEVENTMSG, got, 0, &msg);
    put64(ev, E_MSG, msg);
    {
      struct user_regs_struct regs;
      if (ptrace(PTRACE_GETREGS, got, 0, &regs) == 0) {
        put64(ev, E_IP, regs.rip);
        put64(ev, E_SP, regs.rsp);
      }
    }
    return got;
  case PTRACE_EVENT_STOP:
    ev[E_KIND] = TV_EV_STOP;
    return got;
  default: {
    // A signal-delivery stop, with the signal's si_code in aux (who raised it: a fault's is positive). Only the
    // stopping signals stop a process that no tracer holds: a child of the sentry's own (a gofer) stopped from outside.
    siginfo_t si;
    int traced = ptrace(PTRACE_GETSIGINFO, got, 0, &si) == 0;
    int stopping = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    ev[E_KIND] = stopping && !traced && errno == ESRCH ? TV_EV_CHILD_STOP : TV_EV_SIGNAL;
    ev[E_AUX] = traced ? si.si_code : 0;
    return got;
  }
  }
}

int tv_cont(int pid, int sig) { return ptrace(PTRACE_CONT, pid, 0, (long)sig) < 0 ? -errno : 0; }
int tv_step_syscall(int pid, int sig) { return ptrace(PTRACE_SYSCALL, pid, 0, (long)sig) < 0 ? -errno : 0; }
int tv_listen(int pid) { return ptrace(PTRACE_LISTEN, pid, 0, 0) < 0 ? -errno : 0; }
// Makes a running (or waiting) tracee stop at its next return to user mode (PTRACE_EVENT_STOP).
int tv_interrupt(int pid) { return ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ? -errno : 0; }

// At a syscall-entry or seccomp stop: skip the call, make it return `value`, resume.
int tv_return(int pid, int64_t value) {
  if (ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, orig_rax), (void *)-1L) < 0) return -errno;
  if (ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, rax), (void *)value) < 0) return -errno;
  return tv_cont(pid, 0);
}

// At a syscall-entry or seccomp stop: replace the call about to run.
int tv_set_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5) {
  struct user_regs_struct r;
  if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) return -errno;
  r.orig_rax = nr;
  r.rdi = a0; r.rsi = a1; r.rdx = a2; r.r10 = a3; r.r8 = a4; r.r9 = a5;
  return ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 ? -errno : 0;
}

// At a syscall-exit stop: make the task execute the `syscall` instruction again
// with a new call (the instruction is 2 bytes long on x86-64).
int tv_rewind_syscall(int pid, int64_t nr, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, int64_t a5) {
  struct user_regs_struct r;
  if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) return -errno;
  r.rip -= 2;
  r.rax = nr;
  r.orig_rax = nr;
  r.rdi = a0; r.rsi = a1; r.rdx = a2; r.r10 = a3; r.r8 = a4; r.r9 = a5;
  return ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 ? -errno : 0;
}

// Whole register file, for save/restore around injected calls.
int tv_regs_size(void) { return sizeof(struct user_regs_struct); }
int tv_get_regs(int pid, void *buf) { return ptrace(PTRACE_GETREGS, pid, 0, buf) < 0 ? -errno : 0; }
int tv_set_regs(int pid, const void *buf) { return ptrace(PTRACE_SETREGS, pid, 0, buf) < 0 ? -errno : 0; }
int tv_set_ret(int pid, int64_t value) {
  return ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, rax), (void *)value) < 0 ? -errno : 0;
}
// ---- guest memory ----

// Reads up to len bytes; returns the count read (short at an unmapped page) or -errno.
int64_t tv_read_mem(int pid, double addr, void *buf, int64_t len) {
  struct iovec local = {buf, (size_t)len};
  struct iovec remote = {(void *)(uintptr_t)addr, (size_t)len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n >= 0 || errno != EFAULT) return n < 0 ? -errno : n;
  // Partial: read page by page up to the first fault.
  size_t done = 0;
  uintptr_t a = (uintptr_t)addr;
  while (done < (size_t)len) {
    size_t chunk = 4096 - ((a + done) & 4095);
    if (chunk > (size_t)len - done) chunk = (size_t)len - done;
    local.iov_base = (char *)buf + done; local.iov_len = chunk;
    remote.iov_base = (void *)(a + done); remote.iov_len = chunk;
    n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) break;
    done += n;
  }
  return done ? (int64_t)done : -EFAULT;
}

int64_t tv_write_mem(int pid, double addr, const void *buf, int64_t len) {
  struct iovec local = {(void *)buf, (size_t)len};
  struct iovec remote = {(void *)(uintptr_t)addr, (size_t)len};
  ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
  return n < 0 ? -errno : n;
}

// Reads a NUL-terminated string of at most max bytes (NUL excluded).
// Returns its length, -EFAULT, or -ENAMETOOLONG.
int tv_read_str(int pid, double addr, char *buf, int max) {
  uintptr_t a = (uintptr_t)addr;
  int done = 0;
  if (a == 0) return -EFAULT;
  while (done <= max) {
    size_t chunk = 4096 - ((a + done) & 4095);
    if (chunk > (size_t)(max + 1 - done)) chunk = max + 1 - done;
    struct iovec local = {buf + done, chunk};
    struct iovec remote = {(void *)(a + done), chunk};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -EFAULT;
    char *nul = memchr(buf + done, 0, n);
    if (nul) return (int)(nul - buf);
    done += n;
  }
  return -ENAMETOOLONG;
}

// Reads the first part of n strings in one process_vm_readv: string i goes
// to buf + i * stride, from addrs[i] to its page's end (at most max + 1
// bytes). lens[i] gets its length, or -1 when the part read holds no NUL (the
// caller reads that one with tv_read_str). Returns 0, or -1 when the read
// fell short (a pointer to memory the task has not mapped: the caller reads
// each string by itself, for the error of the first bad one).
int tv_read_strs(int pid, const double *addrs, int n, char *buf, int stride, int max, int32_t *lens) {
  struct iovec local[4], remote[4];
  if (n < 1 || n > 4 || max + 1 > stride) return -1;
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    uintptr_t a = (uintptr_t)addrs[i];
    if (a == 0) return -1;
    size_t chunk = 4096 - (a & 4095);
    if (chunk > (size_t)max + 1) chunk = max + 1;
    local[i] = (struct iovec){buf + (size_t)i * stride, chunk};
    remote[i] = (struct iovec){(void *)a, chunk};
    total += chunk;
  }
  if (process_vm_readv(pid, local, n, remote, n, 0) != (ssize_t)total) return -1;
  for (int i = 0; i < n; i++) {
    char *nul = memchr(local[i].iov_base, 0, local[i].iov_len);
    lens[i] = nul ? (int32_t)(nul - (char *)local[i].iov_base) : -1;
  }
  return 0;
}

// ---- descriptors ----

int tv_kcmp_file(int pid1, int pid2, int fd1, int fd2) {
  long r = syscall(SYS_kcmp, pid1, pid2, 0 /* KCMP_FILE */, fd1, fd2);
  return r < 0 ? -errno : (int)r;
}

// A sandbox file is not sealable (EPERM), as tmpfs files are not; the
// sentry's read-only snapshots are, so that they take no write.
int tv_memfd(const char *name, int sealable) {
  long r = syscall(SYS_memfd_create, name, MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
  return r < 0 ? -errno : (int)r;
}

// ---- seccomp user notifications ----

static int fill_notif(int listener, int32_t *ev) {
  struct seccomp_notif req;
  memset(&req, 0, sizeof req);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return -errno;
  memset(ev, 0, E_SLOTS * sizeof *ev);
  ev[E_PID] = req.pid;
  ev[E_KIND] = TV_EV_NOTIF;
  put64(ev, E_MSG, req.id);
  put64(ev, E_NR, (uint32_t)req.data.nr);
  for (int i = 0; i < 6; i++) put64(ev, E_ARGS + 2 * i, req.data.args[i]);
  put64(ev, E_IP, req.data.instruction_pointer);
  return req.pid;
}

// Waits up to timeout_ms for a notification; 0 on timeout (or a signal to the
// sentry), the task's tid, or -errno (-ENOENT: it vanished before it was read).
int tv_notif_recv(int listener, int timeout_ms, int32_t *ev) {
  struct pollfd p = {listener, POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (r == 0) return 0;
  // The listener polls readable as a notification is queued, a moment before
  // RECV may take it: RECV then sleeps, and a signal to the sentry (a child's
  // SIGCHLD) ends that sleep with EINTR, which is not the guest's error.
  int n = fill_notif(listener, ev);
  return n == -EINTR ? 0 : n;
}

static uint64_t id_of(uint32_t lo, uint32_t hi) { return ((uint64_t)hi << 32) | lo; }

// Answers a notification: `error` (a negative errno) or `val`; with `cont`, the
// host runs the call as the guest made it.
int tv_notif_send(int listener, uint32_t id_lo, uint32_t id_hi, int64_t val, int error, int cont) {
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = id_of(id_lo, id_hi);
  resp.val = val;
  resp.error = error;
  resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 ? -errno : 0;
}

// Duplicates the sentry's `srcfd` into the notified task; with
// SECCOMP_ADDFD_FLAG_SEND it is also the call's return value. Returns the
// task's fd or -errno.
static int addfd(int listener, uint32_t id_lo, uint32_t id_hi, int srcfd, int cloexec, unsigned flags) {
  struct seccomp_notif_addfd add;
  memset(&add, 0, sizeof add);
  add.id = id_of(id_lo, id_hi);
  add.flags = flags;
  add.srcfd = srcfd;
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  // A signal (the SIGCHLD of any ptrace stop) interrupting the ioctl's wait
  // would make the kernel restart it after the first attempt had already
  // marked the notification answered: the task would get 0 for its fd.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int fd = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return fd < 0 ? -err : fd;
}

// A thread held to one CPU, and the mask it had.
struct held { pid_t tid; int on; cpu_set_t mask; };

// Holds thread `tid` (0: the calling thread) to the CPU this one runs on, if
// its mask allows that CPU; release() gives it its own mask back.
static struct held hold_here(pid_t tid) {
  struct held h = {.tid = tid, .on = 0};
  int cpu = sched_getcpu();
  if (cpu < 0 || sched_getaffinity(tid, sizeof h.mask, &h.mask) < 0 || !CPU_ISSET(cpu, &h.mask)) return h;
  cpu_set_t here;
  CPU_ZERO(&here);
  CPU_SET(cpu, &here);
  h.on = sched_setaffinity(tid, sizeof here, &here) == 0;
  return h;
}

static void release(struct held *h) {
  if (h->on) sched_setaffinity(h->tid, sizeof h->mask, &h->mask);
}

// Keeps thread `tid` on the CPU this thread runs on, for a thread that only
// ever runs while this one waits for it (the gofer, the ptrace waiter): held
// there when that is not `*held_cpu`, the CPU it was last held to (-1: none
// yet), which it updates. A CPU it may not use (another cpuset) is noted and
// not asked again.
static void keep_here(pid_t tid, int *held_cpu) {
  int cpu = sched_getcpu();
  if (tid <= 0 || cpu < 0 || cpu == *held_cpu) return;
  cpu_set_t here;
  CPU_ZERO(&here);
  CPU_SET(cpu, &here);
  sched_setaffinity(tid, sizeof here, &here);
  *held_cpu = cpu;
}

// Answers a notification with a new descriptor: the sentry's `srcfd`,
// duplicated into task `tid`, is the call's return value. Two ways, which
// the caller chooses:
// - direct (`hold` 0): ADDFD with its SEND flag, one ioctl. ADDFD wakes the
//   task with a plain wake-up to install the descriptor and return, and
//   waits for it to have installed it; the scheduler puts that wake-up, and
//   the task's wake-up of this thread, on the other CPU where it is idle.
// - held (`hold` 1): the task and this thread are held to this CPU for the
//   install (the task waits in the notification meanwhile: none of its own
//   code runs while it is held), get their own masks back, and NOTIF_SEND
//   answers with its SYNC_WAKE_UP hand-off. Four affinity calls more, for
//   wake-ups on this CPU instead of an idle one's.
// Returns the task's fd or -errno (the notification is then not answered).
int tv_notif_addfd(int listener, uint32_t id_lo, uint32_t id_hi, int tid, int srcfd, int cloexec, int hold) {
  if (!hold) return addfd(listener, id_lo, id_hi, srcfd, cloexec, SECCOMP_ADDFD_FLAG_SEND);
  struct held task = hold_here(tid), self = hold_here(0);
  int fd = addfd(listener, id_lo, id_hi, srcfd, cloexec, 0);
  release(&self);
  release(&task);
  if (fd < 0) return fd;
  int r = tv_notif_send(listener, id_lo, id_hi, fd, 0, 0);
  return r < 0 ? r : fd;
}

// ---- one loop for ptrace stops and notifications ----
//
// A waiter thread blocks in waitid(WNOWAIT) and turns "a ptrace event is
// ready" into an eventfd; the sentry's thread, which must make every ptrace
// request itself, polls that eventfd and the listener, and consumes events
// with waitpid(WNOHANG).

static int waiter_efd = -1;
static sem_t waiter_go;
static int waiter_armed;
// The waiter's thread id, and the CPU it was last held to (-1: none yet).
static _Atomic pid_t waiter_tid;
static int waiter_cpu = -1;

static void *waiter_main(void *arg) {
  (void)arg;
  waiter_tid = (pid_t)syscall(SYS_gettid);
  for (;;) {
    sem_wait(&waiter_go);
    siginfo_t si;
    int r;
    do {
      memset(&si, 0, sizeof si);
      r = waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    uint64_t one = 1;
    (void)!write(waiter_efd, &one, sizeof one);
  }
  return NULL;
}

// A thread of the glue's, with every signal blocked: signals are the
// sentry's thread's (Node's) business. Returns 0 or -errno.
static int create_thread(void *(*fn)(void *), void *arg, pthread_t *t) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int r = pthread_create(t, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return -r;
}

// A detached one; its id goes to *id when id is not NULL (to cancel it).
static int start_thread(void *(*fn)(void *), void *arg, pthread_t *id) {
  pthread_t t;
  int r = create_thread(fn, arg, &t);
  if (r < 0) return r;
  if (id) *id = t;
  pthread_detach(t);
  return 0;
}

// One that does a step the sentry's own thread must not (take other
// credentials, another root or namespace), waited for. A thread that takes
// other effective ids makes the process non-dumpable (commit_creds): that is
// put back. Returns 0 or -errno.
static int run_thread(void *(*fn)(void *), void *arg) {
  int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  pthread_t t;
  int r = create_thread(fn, arg, &t);
  if (r == 0) pthread_join(t, NULL);
  if (dumpable >= 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable) prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  return r;
}

static int start_waiter(void) {
  waiter_efd = eventfd(0, EFD_CLOEXEC);
  if (waiter_efd < 0) return -errno;
  if (sem_init(&waiter_go, 0, 0) < 0) return -errno;
  return start_thread(waiter_main, NULL, NULL);
}

// The next ptrace event of any guest, notification on `listener`, or one
// of the nwatch fds in `watch` readable (TV_EV_FD: the sentry's control
// connections). Returns the task's pid/tid (0 for TV_EV_FD), or -ECHILD
// when no guest is left.
#define TV_MAX_WATCH 64
int tv_next_event(int listener, const int *watch, int nwatch, int32_t *ev) {
  if (waiter_efd < 0) {
    int r = start_waiter();
    if (r < 0) return r;
  }
  if (nwatch > TV_MAX_WATCH) return -EINVAL;
  for (;;) {
    // While the waiter is armed it has seen no ptrace event yet (it would
    // have written the eventfd): no waitpid needed, one syscall fewer for
    // every notification in a row.
    if (!waiter_armed) {
      int status;
      // WUNTRACED: a stopped child that is no tracee (a gofer) is consumed here; the waiter's waitid(WSTOPPED)
      // would otherwise see it at once again, for ever, and the listener would never be read.
      pid_t got = waitpid(-1, &status, __WALL | WNOHANG | WUNTRACED);
      if (got > 0) return decode_wait(got, status, ev);
      if (got < 0 && errno != EINTR) return -errno;
      waiter_armed = 1;
      // The waiter's wake-ups (this sem_post, a guest's stop) and its eventfd's then stay on one CPU where they
      // can, instead of waking an idle one each (tens of µs on a VM), as for the gofer (tv_send_here).
      keep_here(waiter_tid, &waiter_cpu);
      sem_post(&waiter_go);
    }
    struct pollfd p[2 + TV_MAX_WATCH] = {{listener, POLLIN, 0}, {waiter_efd, POLLIN, 0}};
    for (int i = 0; i < nwatch; i++) p[2 + i] = (struct pollfd){watch[i], POLLIN, 0};
    int r = poll(p, 2 + nwatch, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (p[1].revents & POLLIN) {
      uint64_t v;
      (void)!read(waiter_efd, &v, sizeof v);
      waiter_armed = 0;
      continue;
    }
    if (p[0].revents & POLLIN) {
      int n = fill_notif(listener, ev);
      if (n == -ENOENT || n == -EINTR) continue;
      return n;
    }
    if (p[0].revents & (POLLHUP | POLLERR)) listener = -1;
    for (int i = 0; i < nwatch; i++) {
      if (!p[2 + i].revents) continue;
      memset(ev, 0, E_SLOTS * sizeof *ev);
      ev[E_KIND] = TV_EV_FD;
      ev[E_AUX] = watch[i];
      return 0;
    }
  }
}

// SOCK_SEQPACKET message with optional descriptors (SCM_RIGHTS).
int tv_send(int sock, const void *buf, int len, const int *fds, int nfds) {
  struct iovec iov = {(void *)buf, (size_t)len};
  struct msghdr m = {0};
  char ctl[CMSG_SPACE(sizeof(int) * 16)];
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (nfds > 16) return -EINVAL;
  if (nfds > 0) {
    memset(ctl, 0, sizeof ctl);
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : (int)n;
}

// tv_send without descriptors, for a request whose sender then waits for the
// answer: first keeps thread `peer` (the process that answers; 0: none) on
// this thread's CPU (keep_here, *peer_cpu its record). The peer is then woken
// on this CPU and wakes this thread there in turn: a hand-over, where a peer
// asleep on an idle CPU costs a wake-up of that CPU each way (tens of µs on a VM).
int tv_send_here(int sock, const void *buf, int len, int peer, int *peer_cpu) {
  keep_here(peer, peer_cpu);
  return tv_send(sock, buf, len, NULL, 0);
}

// Returns the message length (0 at end of stream) and stores up to maxfds
// received descriptors (close-on-exec) in fds, their count in *nfds;
// -EMFILE (the message consumed) when a descriptor sent did not fit.
int tv_recv(int sock, void *buf, int cap, int *fds, int maxfds, int *nfds) {
  struct iovec iov = {buf, (size_t)cap};
  struct msghdr m = {0};
  char ctl[CMSG_SPACE(sizeof(int) * 16)];
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t n;
  do n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  *nfds = 0;
  if (n < 0) return -errno;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int *got = (int *)CMSG_DATA(c);
    for (int i = 0; i < count; i++) {
      if (*nfds < maxfds) fds[(*nfds)++] = got[i];
      else close(got[i]);
    }
  }
  if (m.msg_flags & MSG_TRUNC) return -EMSGSIZE;
  // The buffer holds 16 fds, so a truncated control message means the
  // kernel could not install one in this process's table (it drops it).
  if (m.msg_flags & MSG_CTRUNC) {
    for (int i = 0; i < *nfds; i++) close(fds[i]);
    *nfds = 0;
    return -EMFILE;
  }
  return (int)n;
}

// ---- signals as events ----
//
// A sentry serving its guests synchronously on Node's main thread runs no JS
// signal handler. tv_signal_pipe makes each of `signals` write its number to
// a pipe (on whichever thread takes it: one write, async-signal-safe), whose
// read end the sentry's event loop watches. SA_RESTART: a call the signal
// interrupts goes on. Returns the read end (non-blocking, close-on-exec).
static int signal_pipe_w = -1;

static void signal_to_pipe(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  (void)!write(signal_pipe_w, &b, 1);
  errno = saved;
}

int tv_signal_pipe(const int *signals, int n) {
  if (signal_pipe_w >= 0) return -EBUSY;
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) return -errno;
  signal_pipe_w = p[1];
  struct sigaction sa = {0};
  sa.sa_handler = signal_to_pipe;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < n; i++)
    if (sigaction(signals[i], &sa, NULL) < 0) return -errno;
  return p[0];
}

int tv_socketpair(int *out) {
  return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, out) < 0 ? -errno : 0;
}

// ---- unix socket paths as the guest gave them ----
//
// Linux keeps a socket's name as the string bind(2) was given: getsockname,
// getpeername, accept's and recvfrom's peer address and /proc/net/unix show
// it. So the sentry binds a guest's socket with the guest's own address,
// resolved on a thread of its own whose root and cwd are in a scratch tree
// the sentry made for that string (unshare(CLONE_FS): no other thread's root
// or cwd moves). Every signal is blocked on that thread.
struct bind_as { int sock, root, cwd; const void *addr; socklen_t len; int err; };

static void *bind_as_thread(void *p) {
  struct bind_as *b = p;
  if (unshare(CLONE_FS) < 0 || fchdir(b->root) < 0 || chroot(".") < 0 || fchdir(b->cwd) < 0 ||
      bind(b->sock, b->addr, b->len) < 0)
    b->err = errno;
  return NULL;
}

int tv_bind_as(int sock, const uint8_t *addr, int len, int root, int cwd) {
  struct bind_as b = {sock, root, cwd, addr, (socklen_t)len, 0};
  int r = run_thread(bind_as_thread, &b);
  return r < 0 ? r : -b.err;
}

// connect(2) of `sock` to the host socket node behind `pathfd`, as a guest
// with effective ids `uid` and `gid`: the host records the connecting
// thread's effective ids as the peer credentials of the socket the listener
// accepts (SO_PEERCRED), and the sentry connects for the guest. A
// short-lived thread takes them (take_ids), with fs ids 0 so that the host's
// permission checks stay the sentry's. Returns 0 or -errno.
struct connect_as { int sock, pathfd; uid_t uid; gid_t gid; int err; };

static int connect_path_fd(int sock, int pathfd) {
  struct sockaddr_un to = {.sun_family = AF_UNIX};
  int n = snprintf(to.sun_path, sizeof to.sun_path, "/proc/self/fd/%d", pathfd);
  return connect(sock, (struct sockaddr *)&to, offsetof(struct sockaddr_un, sun_path) + n + 1) < 0 ? errno : 0;
}

// The calling thread takes effective ids `uid` and `gid` (its fs ids follow):
// raw calls, which change this thread only (glibc's would change them all).
// Returns 0 or -errno.
static int take_ids(uid_t uid, gid_t gid) {
  return syscall(SYS_setresgid, -1, gid, -1) < 0 || syscall(SYS_setresuid, -1, uid, -1) < 0 ? -errno : 0;
}

static void *connect_as_thread(void *arg) {
  struct connect_as *c = arg;
  int r = take_ids(c->uid, c->gid);
  if (r < 0) {
    c->err = -r;
    return NULL;
  }
  syscall(SYS_setfsuid, 0);
  syscall(SYS_setfsgid, 0);
  if (syscall(SYS_setfsuid, -1) != 0 || syscall(SYS_setfsgid, -1) != 0) {
    c->err = EPERM;
    return NULL;
  }
  c->err = connect_path_fd(c->sock, c->pathfd);
  return NULL;
}

int tv_connect_as(int sock, int pathfd, int uid, int gid) {
  if ((uid_t)uid == geteuid() && (gid_t)gid == getegid()) return -connect_path_fd(sock, pathfd);
  struct connect_as c = {sock, pathfd, (uid_t)uid, (gid_t)gid, 0};
  int r = run_thread(connect_as_thread, &c);
  return r < 0 ? r : -c.err;
}

// A socket made in the network namespace `nsfd` (the guests'), by a
// short-lived thread that joins it: the rest of the process stays where it
// is. Returns the fd or -errno.
struct socket_in { int nsfd, domain, type, protocol, fd; };

static void *socket_in_thread(void *arg) {
  struct socket_in *s = arg;
  if (setns(s->nsfd, CLONE_NEWNET) < 0) s->fd = -errno;
  else if ((s->fd = socket(s->domain, s->type | SOCK_CLOEXEC, s->protocol)) < 0) s->fd = -errno;
  return NULL;
}

int tv_socket_in(int nsfd, int domain, int type, int protocol) {
  struct socket_in s = {nsfd, domain, type, protocol, -EIO};
  int r = run_thread(socket_in_thread, &s);
  return r < 0 ? r : s.fd;
}

// The inode number of the peer of the unix socket whose inode is `ino`
// (sock_diag's UNIX_DIAG_PEER), asked on `nl`, a NETLINK_SOCK_DIAG socket of
// the socket's network namespace: 0 when it has none, or -errno (ENOENT: no
// such socket there).
int64_t tv_unix_peer(int nl, uint32_t ino) {
  struct { struct nlmsghdr h; struct unix_diag_req r; } req = {
      .h = {.nlmsg_len = sizeof req, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = NLM_F_REQUEST},
      .r = {.sdiag_family = AF_UNIX, .udiag_states = ~0U, .udiag_ino = ino, .udiag_show = UDIAG_SHOW_PEER,
            .udiag_cookie = {~0U, ~0U}}};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  union { struct nlmsghdr h; char b[1024]; } answer;
  int64_t r = -EIO;
  ssize_t n;
  if (sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  do n = recv(nl, answer.b, sizeof answer.b, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  if (!NLMSG_OK(&answer.h, (size_t)n)) return r;
  if (answer.h.nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(&answer.h))->error;
  if (answer.h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return r;
  struct rtattr *a = (struct rtattr *)((struct unix_diag_msg *)NLMSG_DATA(&answer.h) + 1);
  int len = answer.h.nlmsg_len - NLMSG_LENGTH(sizeof(struct unix_diag_msg));
  r = 0;
  for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == UNIX_DIAG_PEER && RTA_PAYLOAD(a) >= sizeof(uint32_t)) r = *(uint32_t *)RTA_DATA(a);
  return r;
}

// A System V IPC call (`nr`, its arguments in `args`) made in the ipc
// namespace `nsfd` (the guests') as a guest: with effective ids `uid` and
// `gid`, fs gid `fsgid`, supplementary groups `groups` and effective
// capabilities `caps` (low and high words), so that the host decides it as
// Linux decides it for that guest, and records those ids as an object's
// creator and owner. uid -1: as the sentry. When `buf` is given it stands for
// argument `bufarg` (a struct the call reads or writes). On a short-lived
// thread of its own; returns the call's result or -errno.
struct ipc_as {
  int nsfd, uid, gid, fsgid, ngroups, nr, bufarg;
  const uint32_t *groups;
  uint32_t caps[2];
  const int64_t *args;
  uint8_t *buf;
  int64_t result;
};

static void *ipc_as_thread(void *arg) {
  struct ipc_as *c = arg;
  if (setns(c->nsfd, CLONE_NEWIPC) < 0) { c->result = -errno; return NULL; }
  if (c->uid >= 0) {
    if (syscall(SYS_setgroups, c->ngroups, c->groups) < 0) { c->result = -errno; return NULL; }
    int r = take_ids(c->uid, c->gid);
    if (r < 0) { c->result = r; return NULL; }
    syscall(SYS_setfsgid, c->fsgid);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0) { c->result = -errno; return NULL; }
    for (int i = 0; i < 2; i++) d[i].effective &= c->caps[i];
    if (syscall(SYS_capset, &h, d) < 0) { c->result = -errno; return NULL; }
  }
  long a[4];
  for (int i = 0; i < 4; i++) a[i] = i == c->bufarg && c->buf ? (long)c->buf : (long)c->args[i];
  long r = syscall(c->nr, a[0], a[1], a[2], a[3]);
  c->result = r < 0 ? -errno : r;
  return NULL;
}

int64_t tv_ipc_as(int nsfd, int uid, int gid, int fsgid, const uint32_t *groups, int ngroups, uint32_t caps_lo,
                  uint32_t caps_hi, int nr, const int64_t *args, uint8_t *buf, int bufarg) {
  struct ipc_as c = {nsfd, uid, gid, fsgid, ngroups, nr, bufarg, groups, {caps_lo, caps_hi}, args, buf, -EIO};
  int r = run_thread(ipc_as_thread, &c);
  return r < 0 ? r : c.result;
}

// A datagram a guest sent to a sandbox socket's path, sent by the sentry from
// its copy of the guest's socket to the host socket node behind `pathfd`,
// with the guest's credentials (host pid and ids: SCM_CREDENTIALS, which
// root may set), so a receiver with SO_PASSCRED sees the sender, not the
// sentry. Returns the bytes sent or -errno.
int64_t tv_sendto_as(int sock, const uint8_t *buf, size_t len, int flags, int pathfd, int pid, int uid, int gid) {
  struct sockaddr_un to = {.sun_family = AF_UNIX};
  int n = snprintf(to.sun_path, sizeof to.sun_path, "/proc/self/fd/%d", pathfd);
  struct iovec iov = {(void *)buf, len};
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } c;
  memset(&c, 0, sizeof c);
  struct msghdr m = {.msg_name = &to, .msg_namelen = offsetof(struct sockaddr_un, sun_path) + n + 1,
                     .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b, .msg_controllen = sizeof c.b};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_CREDENTIALS;
  h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {pid, (uid_t)uid, (gid_t)gid};
  memcpy(CMSG_DATA(h), &cred, sizeof cred);
  ssize_t r = sendmsg(sock, &m, flags);
  return r < 0 ? -errno : (int64_t)r;
}

// ---- spawning the guest ----

static int child_fail(int sync, int err) {
  (void)!write(sync, &err, sizeof err);
  _exit(126);
}

// Init and every guest keep one host capability, CAP_IPC_OWNER, and no
// other: the host then lets them at every System V IPC object of their own
// ipc namespace, and the sentry, which traps every IPC call, decides with
// the sandbox's credentials (sentry/syscalls/ipc.ts). It is an ambient
// capability, so exec keeps it; nothing else can be raised.
static void drop_privileges(int sync) {
  for (int cap = 0; cap <= 63; cap++)
    if (cap != CAP_IPC_OWNER && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) child_fail(sync, errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) child_fail(sync, errno);
  // Inheritable first (an ambient capability must be), then ambient, then the
  // securebits (CAP_SETPCAP still effective), then nothing else.
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) child_fail(sync, errno);
  d[0].inheritable = 1u << CAP_IPC_OWNER;
  d[1].inheritable = 0;
  if (syscall(SYS_capset, &h, d) < 0) child_fail(sync, errno);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_IPC_OWNER, 0, 0) < 0) child_fail(sync, errno);
  if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
            0, 0, 0) < 0)
    child_fail(sync, errno);
  memset(d, 0, sizeof d);
  d[0].effective = d[0].permitted = d[0].inheritable = 1u << CAP_IPC_OWNER;
  if (syscall(SYS_capset, &h, d) < 0) child_fail(sync, errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(sync, errno);
}

// Closes every fd from 3 up except the n in keep (sorted here).
static void close_others(int *keep, int n) {
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
  unsigned lo = 3;
  for (int i = 0; i < n; i++) {
    if (keep[i] < (int)lo) continue;
    if (keep[i] > (int)lo) syscall(SYS_close_range, lo, keep[i] - 1, 0);
    lo = keep[i] + 1;
  }
  syscall(SYS_close_range, lo, ~0U, 0);
}

static void enter_empty_root(const char *root, int sync) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(sync, errno);
  if (mount("tvisor-empty", root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
    child_fail(sync, errno);
  if (chdir(root) < 0) child_fail(sync, errno);
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(sync, errno);
  if (umount2(".", MNT_DETACH) < 0) child_fail(sync, errno);
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    child_fail(sync, errno);
  if (chdir("/") < 0) child_fail(sync, errno);
}

// A detached mount of a new filesystem instance (fsopen/fsmount): nothing
// in any mount namespace sees it; its holder reaches it through the fd.
static int detached_mount(const char *type, const char *const *options, unsigned attrs) {
  int fs = syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
  if (fs < 0) return -errno;
  for (; options && options[0]; options += 2) {
    if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, options[0], options[1], 0) < 0) goto fail;
  }
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) goto fail;
  int m = syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
  if (m < 0) goto fail;
  close(fs);
  return m;
fail:;
  int e = errno;
  close(fs);
  return -e;
}

// A detached mount of a new `type` instance configured by nopts key/value
// string pairs, back to back NUL-terminated in optbuf; attrs: MOUNT_ATTR_*.
int tv_fsmount(const char *type, const char *optbuf, int nopts, unsigned attrs) {
  const char **options = calloc(2 * nopts + 1, sizeof *options);
  if (!options) return -ENOMEM;
  for (int i = 0; i < 2 * nopts; i++) { options[i] = optbuf; optbuf += strlen(optbuf) + 1; }
  int r = detached_mount(type, options, attrs);
  free(options);
  return r;
}

// A private devpts instance (its own pty numbering), as a detached mount.
int tv_devpts_mount(void) {
  static const char *const options[] = {"ptmxmode", "0666", "mode", "0620", "gid", "5", NULL};
  return detached_mount("devpts", options, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
}

// A new pty of the devpts instance behind `devpts` (a mount fd): stores the
// unlocked master and its slave (both close-on-exec) in out; returns the
// pty's number.
int tv_open_pty(int devpts, int *out) {
  int m = openat(devpts, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return -errno;
  int n, unlock = 0;
  if (ioctl(m, TIOCGPTN, &n) < 0 || ioctl(m, TIOCSPTLCK, &unlock) < 0) goto fail;
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) goto fail;
  out[0] = m;
  out[1] = s;
  return n;
fail:;
  int e = errno;
  close(m);
  return -e;
}

int tv_set_winsize(int fd, int rows, int cols) {
  struct winsize w = {(unsigned short)rows, (unsigned short)cols, 0, 0};
  return ioctl(fd, TIOCSWINSZ, &w) < 0 ? -errno : 0;
}

// ---- init: pid 1 of the sandbox, which starts the guests it is asked for ----
//
// The sentry asks init (over the socketpair `ctl`) for each new process of
// the sandbox: the container's process, each `exec`, `do`'s command. Init
// forks; the child takes the three fds sent with the request as its stdio,
// closes everything else, optionally leads a new session with fd 0 as its
// controlling terminal, installs the seccomp filter sent with it if any
// (the container's own profile, stacked under the sentry's), and calls
// execve(path, argv, envp), which the sentry serves like any other. Every
// other decision (credentials, cwd, limits of the new task) is the
// sentry's, made when it sees the fork.
// Request: int32 flags, argc, envc, filter length (instructions), the
// filter, then path, argv and envp back to back, NUL-terminated;
// SCM_RIGHTS: exactly three fds.

enum { TV_LAUNCH_TTY = 1 };
#define TV_LAUNCH_MAX (256 * 1024)

static void on_sigchld(int sig) { (void)sig; }

static void launch(int ctl, char *buf) {
  int fds[3], nfds = 0;
  int n = tv_recv(ctl, buf, TV_LAUNCH_MAX, fds, 3, &nfds);
  if (n == 0) _exit(0);  // the sentry is gone; PDEATHSIG follows
  int32_t hdr[4];
  if (n < (int)sizeof hdr || nfds != 3) goto done;
  memcpy(hdr, buf, sizeof hdr);
  int argc = hdr[1], envc = hdr[2], filter_len = hdr[3];
  if (argc < 1 || envc < 0 || argc + envc > TV_LAUNCH_MAX / 2) goto done;
  if (filter_len < 0 || filter_len > 4096 || (long)sizeof hdr + 8L * filter_len > n) goto done;
  struct sock_fprog filter = {(unsigned short)filter_len, (struct sock_filter *)(buf + sizeof hdr)};
  char **strs = calloc(argc + envc + 3, sizeof *strs);
  if (!strs) goto done;
  char *p = buf + sizeof hdr + 8L * filter_len, *end = buf + n;
  char *path = p;
  for (int i = -1; i < argc + envc; i++) {
    char *nul = memchr(p, 0, end - p);
    if (!nul) { free(strs); goto done; }
    if (i >= 0) strs[i < argc ? i : i + 1] = p;
    p = nul + 1;
  }
  char **argv = strs, **envp = strs + argc + 1;
  long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (child == 0) {
    for (int fd = 0; fd < 3; fd++)
      if (dup2(fds[fd], fd) < 0) _exit(126);
    syscall(SYS_close_range, 3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    if ((hdr[0] & TV_LAUNCH_TTY) && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0)) _exit(126);
    if (filter_len > 0 && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) < 0) _exit(126);
    syscall(SYS_execve, path, argv, envp);
    _exit(127);
  }
  free(strs);
done:
  for (int i = 0; i < nfds; i++) close(fds[i]);
}

static void init_serve(int ctl) {
  char *buf = malloc(TV_LAUNCH_MAX);
  if (!buf) _exit(125);
  // SIGCHLD only interrupts ppoll, so that init reaps between requests.
  struct sigaction sa = {0};
  sa.sa_handler = on_sigchld;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t chld, open_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &open_mask);
  sigdelset(&open_mask, SIGCHLD);
  for (;;) {
    while (syscall(SYS_wait4, -1, 0, __WALL | WNOHANG, 0) > 0) {}
    struct pollfd p = {ctl, POLLIN, 0};
    if (ppoll(&p, 1, NULL, &open_mask) < 0) continue;
    if (p.revents & POLLIN) launch(ctl, buf);
    else if (p.revents & (POLLHUP | POLLERR)) _exit(0);
  }
}

// Starts the sandbox's init (pid 1 of fresh pid, mount, ipc, uts and net
// namespaces, an empty read-only host root, no capabilities, no_new_privs,
// the seccomp `filter`), attached with PTRACE_SEIZE by the calling thread,
// which must be the thread that serves the traps. Init then starts the
// guests the sentry asks for (init_serve) and reaps orphans.
// With netns >= 0, the sandbox joins that network namespace instead of a
// new one (an engine's, given in the OCI config).
// Before it does anything else, init writes itself to each of the njoin
// files `join` (cgroup.procs files: every guest starts in those cgroups).
// Returns init's host pid once init is seized and let go: init sets itself
// up (a move into a cgroup waits for an RCU grace period) while the caller
// goes on, and tv_init_ready waits for it. fds gets the two ends that
// tv_init_ready takes: init's answer socket and its error pipe.
int tv_spawn(const char *root, const void *filter, int filter_len, int ptrace_options, const char *hostname,
             int netns, const int *join, int njoin, int *fds) {
  struct sock_fprog prog = {(unsigned short)filter_len, (struct sock_filter *)filter};

  int syncp[2], errp[2], sock[2], ctl[2];
  if (pipe2(syncp, O_CLOEXEC) < 0) return -errno;
  if (pipe2(errp, O_CLOEXEC) < 0) return -errno;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) return -errno;
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) return -errno;

  long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  if (netns < 0) flags |= CLONE_NEWNET;
  long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) return -errno;
  if (pid == 0) {
    int ew = errp[1];
    close(syncp[1]);
    close(errp[0]);
    close(sock[0]);
    close(ctl[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // Init, and so every guest, starts with each signal at its default
    // action, as a process a shell starts: Node ignores SIGPIPE and SIGXFSZ
    // (an ignored signal stays ignored across execve), and the sentry's own
    // handlers mean nothing here.
    for (int s = 1; s < NSIG; s++)
      if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    char c;
    // EOF here means the sentry died before attaching.
    if (read(syncp[0], &c, 1) != 1) _exit(125);
    // "0" is the writer itself.
    for (int i = 0; i < njoin; i++)
      if (write(join[i], "0", 1) != 1) child_fail(ew, errno);
    if (netns >= 0 && setns(netns, CLONE_NEWNET) < 0) child_fail(ew, errno);
    // Init keeps the sandbox's stdio, whatever Node marked close-on-exec,
    // and nothing else of the sandbox process.
    for (int fd = 0; fd <= 2; fd++) fcntl(fd, F_SETFD, 0);
    int keep[] = {syncp[0], ew, sock[1], ctl[1]};
    close_others(keep, 4);
    enter_empty_root(root, ew);
    if (sethostname(hostname, strlen(hostname)) < 0) child_fail(ew, errno);
    // proc takes the pid namespace of whoever creates it: this one.
    int procfd = detached_mount("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (procfd < 0) child_fail(ew, -procfd);
    drop_privileges(ew);
    // No process of the sandbox may read init's memory or take its fds.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) child_fail(ew, errno);
    // Once the sentry has read a notification, only a fatal signal interrupts
    // the call (as for a Linux filesystem call): no restart repeats an open.
    int lfd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
    if (lfd < 0) child_fail(ew, errno);
    // From here every call passes the filter; these are all passed through.
    char one = 1;
    struct iovec iov = {&one, 1};
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    struct msghdr m = {0};
    m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int pass[2] = {lfd, procfd};
    memcpy(CMSG_DATA(cm), pass, sizeof pass);
    if (sendmsg(sock[1], &m, 0) < 0) child_fail(ew, errno);
    close(lfd);
    close(procfd);
    close(sock[1]);
    close(syncp[0]);
    close(ew);
    init_serve(ctl[1]);
  }
  close(syncp[0]);
  close(errp[1]);
  close(sock[1]);
  close(ctl[1]);
  int result = (int)pid;
  if (ptrace(PTRACE_SEIZE, pid, 0, (long)ptrace_options) < 0) {
    result = -errno;
    kill(pid, SIGKILL);
  }
  char go = 1;
  if (result > 0 && write(syncp[1], &go, 1) != 1) result = -errno;
  close(syncp[1]);
  if (result < 0) {
    close(sock[0]);
    close(errp[0]);
    close(ctl[0]);
    waitpid(pid, NULL, __WALL);
    return result;
  }
  fds[0] = sock[0];
  fds[1] = errp[0];
  fds[2] = ctl[0];
  return result;
}

// Waits for the init tv_spawn started to be set up, and closes the two ends
// tv_spawn gave for it (pending[0..1]). Returns 0 and stores in fds the
// seccomp listener and a detached read-only proc mount of the sandbox's pid
// namespace; or -errno, init's own failure if it told one, and kills it.
int tv_init_ready(int pid, const int *pending, int *fds) {
  char b;
  int n, result = 0;
  int rc = tv_recv(pending[0], &b, 1, fds, 2, &n);
  if (rc <= 0 || n != 2) {
    for (int i = 0; i < n; i++) close(fds[i]);
    int err = 0;
    if (read(pending[1], &err, sizeof err) == sizeof err && err > 0) result = -err;
    else result = rc < 0 ? rc : -ECHILD;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, __WALL);
  }
  // Synchronous wake-ups (Linux 6.6): the guest's notification runs the
  // sentry on the guest's CPU and the answer runs the guest on the sentry's,
  // as a hand-off rather than two remote wake-ups. An older kernel refuses
  // the flag and the listener works as before, only slower.
  if (result == 0) (void)ioctl(fds[0], SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  close(pending[0]);
  close(pending[1]);
  return result;
}

int tv_kill(int pid, int sig) { return kill(pid, sig) < 0 ? -errno : 0; }

// write(2) of the whole of buf, or -errno: for koffi's asynchronous calls,
// which run on a worker thread whose errno the caller cannot read.
int tv_write_all(int fd, const void *buf, int len) {
  for (int done = 0; done < len;) {
    ssize_t n = write(fd, (const char *)buf + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    done += n;
  }
  return len;
}

// ---- opens that wait (FIFOs) ----
//
// Opening a FIFO waits for its peer. The sentry's thread must not wait, so
// such an open runs on a thread of its own, which answers the notification
// itself: with the new descriptor (ADDFD, SEND), or with the open's error.
// If the task is gone by then, the answer fails and the descriptor is closed.

// Answers a notification with `srcfd` as the new descriptor and closes the
// sentry's copy before the task runs again: a FIFO end that lingered in the
// sentry would be a reader or writer the guest cannot see. Returns the
// task's fd or -errno.
int tv_notif_give(int listener, uint32_t id_lo, uint32_t id_hi, int srcfd, int cloexec) {
  int fd = addfd(listener, id_lo, id_hi, srcfd, cloexec, 0);
  close(srcfd);
  if (fd < 0) {
    if (fd != -ENOENT) tv_notif_send(listener, id_lo, id_hi, 0, fd, 0);
    return fd;
  }
  int r = tv_notif_send(listener, id_lo, id_hi, fd, 0, 0);
  return r < 0 ? r : fd;
}

struct waiting_open { int listener; uint64_t id; int pathfd; int flags; int cloexec; };

static void *waiting_open_main(void *arg) {
  struct waiting_open *w = arg;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", w->pathfd);
  int fd;
  do fd = open(path, w->flags | O_CLOEXEC | O_NOCTTY); while (fd < 0 && errno == EINTR);
  uint32_t lo = (uint32_t)w->id, hi = (uint32_t)(w->id >> 32);
  if (fd < 0) tv_notif_send(w->listener, lo, hi, 0, -errno, 0);
  else tv_notif_give(w->listener, lo, hi, fd, w->cloexec);
  close(w->pathfd);
  free(w);
  return NULL;
}

// Opens /proc/self/fd/<pathfd> with `flags` on a new thread and answers the
// notification with the result. Takes ownership of pathfd.
int tv_open_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int pathfd, int flags, int cloexec) {
  struct waiting_open *w = malloc(sizeof *w);
  if (!w) return -ENOMEM;
  *w = (struct waiting_open){listener, id_of(id_lo, id_hi), pathfd, flags, cloexec};
  int r = start_thread(waiting_open_main, w, NULL);
  if (r < 0) free(w);
  return r;
}

// ---- lock calls that wait ----
//
// A blocking flock(2) or F_OFD_SETLKW that the sentry makes on a description
// of its own (a lock proxy) runs on a thread of its own, which answers the
// notification. A lock granted to a task that is gone by then (the answer
// fails) is undone, and so is one whose wait the sentry cancels because the
// task died (tv_lock_cancel): a dead task's lock call never takes a lock.

enum { TV_LOCK_FLOCK = 0, TV_LOCK_OFD = 1 };
#define LOCK_SLOTS 1024

struct waiting_lock { int listener; uint64_t id; int fd; int kind; int op; struct flock fl; int slot; };

static pthread_mutex_t lock_slots_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { pthread_t thread; unsigned gen; int used; } lock_slots[LOCK_SLOTS];

static void undo_lock(void *arg) {
  struct waiting_lock *w = arg;
  if (w->kind == TV_LOCK_FLOCK) {
    syscall(SYS_flock, w->fd, LOCK_UN);
  } else {
    struct flock un = w->fl;
    un.l_type = F_UNLCK;
    syscall(SYS_fcntl, w->fd, F_OFD_SETLK, &un);
  }
}

static void waiting_lock_done(void *arg) {
  struct waiting_lock *w = arg;
  pthread_mutex_lock(&lock_slots_mu);
  lock_slots[w->slot].used = 0;
  lock_slots[w->slot].gen++;
  pthread_mutex_unlock(&lock_slots_mu);
  close(w->fd);
  free(w);
}

static void *waiting_lock_main(void *arg) {
  struct waiting_lock *w = arg;
  // Cancellation (the task died) may come only while the call waits.
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  long r;
  int err = 0;
  pthread_cleanup_push(waiting_lock_done, w);
  pthread_cleanup_push(undo_lock, w);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  r = w->kind == TV_LOCK_FLOCK ? syscall(SYS_flock, w->fd, w->op) : syscall(SYS_fcntl, w->fd, F_OFD_SETLKW, &w->fl);
  if (r < 0) err = errno;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
  pthread_cleanup_pop(0);
  uint32_t lo = (uint32_t)w->id, hi = (uint32_t)(w->id >> 32);
  if (tv_notif_send(w->listener, lo, hi, 0, -err, 0) < 0 && !err) undo_lock(w);
  pthread_cleanup_pop(1);
  return NULL;
}

// Makes flock(fd, op) (kind TV_LOCK_FLOCK) or fcntl(fd, F_OFD_SETLKW, fl)
// (TV_LOCK_OFD, fl a struct flock) on a new thread, which answers the
// notification with the result. fd is the caller's: the thread uses a copy.
// Returns a handle for tv_lock_cancel, or -errno.
int tv_lock_waiting(int listener, uint32_t id_lo, uint32_t id_hi, int fd, int kind, int op, const void *fl) {
  struct waiting_lock *w = calloc(1, sizeof *w);
  if (!w) return -ENOMEM;
  *w = (struct waiting_lock){listener, id_of(id_lo, id_hi), -1, kind, op, {0}, -1};
  if (kind == TV_LOCK_OFD) memcpy(&w->fl, fl, sizeof w->fl);
  w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (w->fd < 0) { int e = errno; free(w); return -e; }
  pthread_mutex_lock(&lock_slots_mu);
  for (int i = 0; i < LOCK_SLOTS; i++) if (!lock_slots[i].used) { w->slot = i; break; }
  int r = -ENOLCK;
  if (w->slot >= 0) {
    lock_slots[w->slot].used = 1;
    // The thread's own end takes lock_slots_mu, so it cannot free its slot before this records it.
    r = start_thread(waiting_lock_main, w, &lock_slots[w->slot].thread);
    if (r == 0) {
      r = w->slot | (int)((lock_slots[w->slot].gen & 0x1fffff) << 10);
    } else {
      lock_slots[w->slot].used = 0;
    }
  }
  pthread_mutex_unlock(&lock_slots_mu);
  if (r < 0) { close(w->fd); free(w); }
  return r;
}

// Ends the wait of a lock call started by tv_lock_waiting (its task died);
// nothing if it is over already.
void tv_lock_cancel(int handle) {
  int slot = handle & (LOCK_SLOTS - 1);
  unsigned gen = (unsigned)handle >> 10;
  pthread_mutex_lock(&lock_slots_mu);
  if (lock_slots[slot].used && (lock_slots[slot].gen & 0x1fffff) == gen) pthread_cancel(lock_slots[slot].thread);
  pthread_mutex_unlock(&lock_slots_mu);
}

// Writes `value` to /proc/sys/<path> as seen from the namespace `nsfile`
// (e.g. "/proc/<init pid>/ns/net") of type `nstype`: a namespaced sysctl
// of the sandbox, set by a short-lived child that joins the namespace (the
// calling process, multi-threaded, cannot). Returns 0 or -errno.
int tv_sysctl_in(const char *nsfile, int nstype, const char *path, const char *value) {
  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid == 0) {
    int ns = open(nsfile, O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, nstype) < 0) _exit(errno);
    char full[512];
    if (snprintf(full, sizeof full, "/proc/sys/%s", path) >= (int)sizeof full) _exit(ENAMETOOLONG);
    int fd = open(full, O_WRONLY | O_CLOEXEC);
    if (fd < 0) _exit(errno);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t)len) _exit(errno ? errno : EIO);
    _exit(0);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) return -errno;
  return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
}
