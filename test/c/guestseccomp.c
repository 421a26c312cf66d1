// A guest's own seccomp filters against the sentry's mechanisms: one case
// per action a filter can give the sentry's fd-injection marker, execveat
// (what the sentry makes an execve run as) and the close it injects after a
// failed exec, and prctl, which an exec must not call behind the program's back. Each case runs in a child that installs its filter and calls
// execve; the parent prints what became of it. The sandbox must keep serving
// everyone whatever a guest's filter does to the guest itself.
//   guestseccomp            all cases, then a last fork+exec without filter
//   guestseccomp CASE       one case
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FD_MARKER_NR 0x3ffffff0
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

struct rule { long nr; unsigned action; };
struct testcase { const char *name; struct rule rules[2]; unsigned flags; };

static const struct testcase CASES[] = {
  {"marker-errno", {{FD_MARKER_NR, SECCOMP_RET_ERRNO | EPERM}}},
  {"marker-errno0", {{FD_MARKER_NR, SECCOMP_RET_ERRNO | 0}}},
  {"marker-errno512", {{FD_MARKER_NR, SECCOMP_RET_ERRNO | 512}}},
  {"marker-trap", {{FD_MARKER_NR, SECCOMP_RET_TRAP}}},
  {"marker-kill-thread", {{FD_MARKER_NR, SECCOMP_RET_KILL_THREAD}}},
  {"marker-kill-process", {{FD_MARKER_NR, SECCOMP_RET_KILL_PROCESS}}},
  {"marker-trace", {{FD_MARKER_NR, SECCOMP_RET_TRACE}}},
  {"marker-user-notif", {{FD_MARKER_NR, SECCOMP_RET_USER_NOTIF}}},
  {"marker-log", {{FD_MARKER_NR, SECCOMP_RET_LOG}}},
  {"marker-allow", {{FD_MARKER_NR, SECCOMP_RET_ALLOW}}},
  {"new-listener", {{FD_MARKER_NR, SECCOMP_RET_USER_NOTIF}}, SECCOMP_FILTER_FLAG_NEW_LISTENER},
  {"execve-errno", {{SYS_execve, SECCOMP_RET_ERRNO | EPERM}}},
  {"execve-trace", {{SYS_execve, SECCOMP_RET_TRACE}}},
  {"execveat-errno", {{SYS_execveat, SECCOMP_RET_ERRNO | EACCES}}},
  {"execveat-trap", {{SYS_execveat, SECCOMP_RET_TRAP}}},
  {"execveat-kill", {{SYS_execveat, SECCOMP_RET_KILL_PROCESS}}},
  {"execveat-trace", {{SYS_execveat, SECCOMP_RET_TRACE}}},
  {"execveat-user-notif", {{SYS_execveat, SECCOMP_RET_USER_NOTIF}}},
  {"close-errno", {{SYS_execveat, SECCOMP_RET_ERRNO | EACCES}, {SYS_close, SECCOMP_RET_ERRNO | EPERM}}},
  {"close-trap", {{SYS_execveat, SECCOMP_RET_ERRNO | EACCES}, {SYS_close, SECCOMP_RET_TRAP}}},
  {"close-kill", {{SYS_execveat, SECCOMP_RET_ERRNO | EACCES}, {SYS_close, SECCOMP_RET_KILL_PROCESS}}},
  // The PR_SET_NAME the sentry runs in the new program: the filter, kept across the exec, sees it.
  {"prctl-errno", {{SYS_prctl, SECCOMP_RET_ERRNO | EPERM}}},
  {"prctl-trap", {{SYS_prctl, SECCOMP_RET_TRAP}}},
  {"prctl-kill", {{SYS_prctl, SECCOMP_RET_KILL_PROCESS}}},
  // No filter: a full fd table leaves no room for the fd the exec runs from.
  {"fd-table-full", {{-1, SECCOMP_RET_ALLOW}}},
};

static const char *self;

static void on_sigsys(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)ctx;
  char buf[64];
  int n = snprintf(buf, sizeof buf, "sigsys syscall=%#x; ", (unsigned)si->si_syscall);
  (void)!write(1, buf, n);
}

static int install(const struct testcase *c) {
  struct sock_filter prog[8];
  int n = 0;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int i = 0; i < 2 && c->rules[i].action | c->rules[i].nr; i++) {
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)c->rules[i].nr, 0, 1);
    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, c->rules[i].action);
  }
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog fprog = {(unsigned short)n, prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c->flags, &fprog);
}

static void say_errno(const char *what, long r) {
  if (r < 0) printf("%s -1 %s\n", what, errno == 512 ? "512" : strerrorname_np(errno));
  else printf("%s %ld\n", what, r);
}

// In the child: install the filter, exec this program with --exec-ok.
static void child(const struct testcase *c) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  if (strcmp(c->name, "fd-table-full") == 0) {
    struct rlimit rl = {16, 16};
    setrlimit(RLIMIT_NOFILE, &rl);
    while (open("/dev/null", O_RDONLY) >= 0) {}
  }
  long r = install(c);
  if (c->flags) { say_errno("seccomp", r); if (r >= 0) close((int)r); _exit(0); }
  if (r < 0) { say_errno("seccomp", r); _exit(1); }
  char *argv[] = {(char *)self, "--exec-ok", NULL};
  r = execve(self, argv, environ);
  say_errno("execve", r);
  // A call the sentry serves, after the failed exec.
  int fd = open("/etc/hostname", O_RDONLY);
  if (fd < 0) printf("open after exec: %s\n", strerrorname_np(errno));
  _exit(0);
}

static int run(const struct testcase *c) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 1; }
  if (pid == 0) child(c);
  int st;
  if (waitpid(pid, &st, 0) < 0) { perror("waitpid"); return 1; }
  if (WIFSIGNALED(st)) printf("signal %d\n", WTERMSIG(st));
  else if (WEXITSTATUS(st) != 0) printf("exit %d\n", WEXITSTATUS(st));
  return 0;
}

int main(int argc, char **argv) {
  self = argv[0];
  if (argc > 1 && strcmp(argv[1], "--exec-ok") == 0) { printf("exec ok\n"); return 0; }
  setvbuf(stdout, NULL, _IONBF, 0);
  for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
    if (argc > 1 && strcmp(argv[1], CASES[i].name) != 0) continue;
    printf("%s: ", CASES[i].name);
    run(&CASES[i]);
  }
  if (argc > 1) return 0;
  // The sentry still serves this process: an open and an exec without filter.
  int fd = open("/etc/hostname", O_RDONLY);
  printf("open after: %s\n", fd >= 0 ? "ok" : strerror(errno));
  printf("exec after: ");
  const struct testcase none = {"none", {{-1, SECCOMP_RET_ALLOW}}};
  run(&none);
  return 0;
}
