// The bare round trip of one trapped call under each way a platform could
// bring it to the sentry, in nanoseconds, measured side by side in one run:
//   notify-sync  seccomp user notification, listener with SYNC_WAKE_UP (tvisor's platform)
//   notify       the same without SYNC_WAKE_UP (kernels before 6.6)
//   sigsys       systrap's way: SECCOMP_RET_TRAP, a SIGSYS handler in the guest
//                hands the call over shared memory, wakes the sentry with a
//                futex and sleeps on another until the answer is written
//   addfd-direct, addfd-held
//                notify-sync answered with a new descriptor (of /dev/null),
//                which the guest closes: the two ways tvisor's glue installs
//                one (tv_notif_addfd, linked from native/build/libtvisor.so;
//                the sentry picks by timing them, sentry/platform/fd-install.ts)
// The "guest" makes `getppid`, trapped; the "sentry" answers 7 at once. No
// handler work: only the mechanism's cost. usage: platforms ITERATIONS
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#define SYNC_WAKE_UP 1UL

enum { NOTIFY_SYNC, NOTIFY, SIGSYS_FUTEX, ADDFD_DIRECT, ADDFD_HELD };
static const char *const NAMES[] = {"notify-sync", "notify", "sigsys", "addfd-direct", "addfd-held"};
static int answers_fd(int mode) { return mode == ADDFD_DIRECT || mode == ADDFD_HELD; }

int tv_notif_addfd(int listener, uint32_t id_lo, uint32_t id_hi, int tid, int srcfd, int cloexec, int hold);

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static long futex(_Atomic int *addr, int op, int val) { return syscall(SYS_futex, addr, op, val, NULL, NULL, 0); }

// The page the guest's stub and the sentry share: a doorbell the stub rings,
// the call's state (0 idle, 1 asked, 2 answered), its number and answer.
struct shared { _Atomic int bell; _Atomic int state; long nr; long ret; };
static struct shared *page;

static void stub(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  page->nr = si->si_syscall;
  atomic_store(&page->state, 1);
  atomic_fetch_add(&page->bell, 1);
  futex(&page->bell, FUTEX_WAKE, 1);
  for (int s; (s = atomic_load(&page->state)) != 2;) futex(&page->state, FUTEX_WAIT, s);
  ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = page->ret;
  atomic_store(&page->state, 0);
}

static void send_fd(int sock, int fd) {
  char cbuf[CMSG_SPACE(sizeof fd)];
  struct iovec iov = {"x", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fd);
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &m, 0) < 0) _exit(2);
}

static int recv_fd(int sock) {
  char cbuf[CMSG_SPACE(sizeof(int))], b;
  struct iovec iov = {&b, 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  if (recvmsg(sock, &m, 0) <= 0) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  return fd;
}

static void guest(int mode, int n, int sock) {
  struct sigaction sa = {0};
  sa.sa_sigaction = stub;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  sigaction(SIGSYS, &sa, NULL);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, mode == SIGSYS_FUTEX ? SECCOMP_RET_TRAP : SECCOMP_RET_USER_NOTIF),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, mode == SIGSYS_FUTEX ? 0 : SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) _exit(3);
  send_fd(sock, mode == SIGSYS_FUTEX ? 0 : (int)fd);
  long sum = 0;
  double t0 = now();
  for (int i = 0; i < n; i++) {
    long r = syscall(SYS_getppid);
    if (answers_fd(mode)) sum += close((int)r) == 0 ? 7 : 0;
    else sum += r;
  }
  double per = (now() - t0) / n;
  printf("%s %.0f\n", NAMES[mode], sum == 7L * n ? per : -1.0);
  fflush(stdout);
  _exit(0);
}

static void serve_notifications(int listener, int mode) {
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (;;) {
    struct pollfd p = {listener, POLLIN, 0};
    if (poll(&p, 1, -1) < 0) continue;
    if (p.revents & (POLLHUP | POLLERR)) return;
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;
    if (answers_fd(mode)) {
      tv_notif_addfd(listener, (uint32_t)req.id, (uint32_t)(req.id >> 32), (int)req.pid, null, 0, mode == ADDFD_HELD);
      continue;
    }
    struct seccomp_notif_resp resp = {.id = req.id, .val = 7};
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  close(null);
}

static void serve_stub(pid_t child) {
  for (;;) {
    int bell = atomic_load(&page->bell);
    if (atomic_load(&page->state) == 1) {
      page->ret = 7;
      atomic_store(&page->state, 2);
      futex(&page->state, FUTEX_WAKE, 1);
      continue;
    }
    if (waitpid(child, NULL, WNOHANG) == child) return;
    struct timespec slice = {0, 50 * 1000 * 1000};
    syscall(SYS_futex, &page->bell, FUTEX_WAIT, bell, &slice, NULL, 0);
  }
}

static void run(int mode, int n) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) exit(1);
  atomic_store(&page->state, 0);
  pid_t child = fork();
  if (child == 0) guest(mode, n, sv[0]);
  int listener = recv_fd(sv[1]);
  if (mode == SIGSYS_FUTEX) {
    serve_stub(child);
    return;
  }
  if (mode != NOTIFY && ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SYNC_WAKE_UP) < 0) {
    printf("%s unsupported\n", NAMES[mode]);
    fflush(stdout);
  }
  serve_notifications(listener, mode);
  close(listener);
  waitpid(child, NULL, 0);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  // Interleaved rounds, so that the machine's load falls on each alike.
  for (int round = 0; round < 3; round++)
    for (int mode = NOTIFY_SYNC; mode <= ADDFD_HELD; mode++) run(mode, n);
  return 0;
}
