// Signals between the sandbox's users: who may signal whom (kill, tgkill,
// sigqueue, pidfd_send_signal, a process group, all), as
// check_kill_permission decides it from the sender's and the target's ids,
// with SIGCONT allowed within a session, a zombie included; and job
// control's stop and continue, which a tracer must not turn into a stop that
// never ends.
#include "probe.h"
#include <poll.h>
#include <signal.h>

/**
 * A child that waits in pause() for a signal (SIGUSR1 reports on `report` and goes on); setresuid'd when
 * uid >= 0. Returns once the child has its ids (and has blocked SIGUSR1), so no case races its start.
 */
static pid_t waiter(int uid, int report) {
  int ready[2];
  if (pipe(ready)) return -1;
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    if (uid >= 0 && (setresgid(uid + 1, uid + 1, uid + 1) || setresuid(uid, uid, uid))) _exit(1);
    sigset_t usr1; sigemptyset(&usr1); sigaddset(&usr1, SIGUSR1);
    if (report >= 0) sigprocmask(SIG_BLOCK, &usr1, NULL);
    (void)!write(ready[1], "r", 1);
    if (report >= 0) {
      int sig; sigwait(&usr1, &sig); (void)!write(report, "u", 1);
    }
    for (;;) pause();
  }
  char c;
  (void)!read(ready[0], &c, 1);
  close(ready[0]); close(ready[1]);
  return p;
}
static void reap(pid_t p) { kill(p, SIGKILL); waitpid(p, NULL, 0); }
#define AS_USER(uid) for (pid_t _u = (fflush(stdout), fork()); _u >= 0; _u = _u == 0 ? (fflush(stdout), _exit(0), -1) : (waitpid(_u, NULL, 0), -1)) \
  if (_u == 0 && (setresgid(uid + 1, uid + 1, uid + 1) || setresuid(uid, uid, uid))) _exit(1); else if (_u == 0)

CASE(kill_between_users) {
  pid_t root = waiter(-1, -1), user = waiter(1000, -1), other = waiter(2000, -1);
  AS_USER(1000) {
    SHOW("kill root 0", kill(root, 0)); SHOW("kill root TERM", kill(root, SIGTERM));
    SHOW("kill other user", kill(other, SIGTERM)); SHOW("kill own uid 0", kill(user, 0));
    SHOW("tgkill root", syscall(SYS_tgkill, root, root, SIGTERM)); SHOW("tkill root", syscall(SYS_tkill, root, SIGTERM));
    union sigval v = {0}; SHOW("sigqueue root", sigqueue(root, SIGTERM, v));
    SHOW("kill root bad signal", kill(root, 99)); SHOW("kill none", kill(99999, 0));
  }
  SHOW("root kills the user 0", kill(user, 0));
  int st; SHOW("root still runs", waitpid(root, &st, WNOHANG));
  reap(root); reap(user); reap(other);
}
CASE(kill_by_real_uid) {
  pid_t target = waiter(1000, -1);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    // Real uid 1000, effective 2000: the real uid matches the target's.
    setresgid(1001, 1001, 1001); setresuid(1000, 2000, 1000);
    SHOW("ruid matches", kill(target, 0));
    setresuid(2000, 2000, 1000);
    SHOW("saved uid does not count for the sender", kill(target, 0));
    fflush(stdout); _exit(0);
  }
  waitpid(p, NULL, 0);
  reap(target);
}
CASE(pidfd_signal_between_users) {
  pid_t root = waiter(-1, -1), user = waiter(1000, -1);
  AS_USER(1000) {
    int fd = syscall(SYS_pidfd_open, root, 0); OK("pidfd_open root", fd);
    SHOW("pidfd_send_signal root", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    int mine = syscall(SYS_pidfd_open, user, 0);
    SHOW("pidfd_send_signal own uid 0", syscall(SYS_pidfd_send_signal, mine, 0, NULL, 0));
    SHOW("pidfd_send_signal a file", syscall(SYS_pidfd_send_signal, open(".", O_RDONLY), 0, NULL, 0));
  }
  int st; SHOW("root still runs", waitpid(root, &st, WNOHANG));
  reap(root); reap(user);
}
CASE(sigcont_within_a_session) {
  pid_t root = waiter(-1, -1);
  AS_USER(1000) {
    SHOW("SIGCONT to root in the session", kill(root, SIGCONT));
    SHOW("SIGTERM to root in the session", kill(root, SIGTERM));
    setsid();
    SHOW("SIGCONT to root after setsid", kill(root, SIGCONT));
  }
  reap(root);
}
CASE(process_group_of_users) {
  int report[2]; pipe(report);
  setpgid(0, 0);
  pid_t root = waiter(-1, report[1]), user = waiter(1000, report[1]);
  setpgid(root, getpid()); setpgid(user, getpid());
  signal(SIGUSR1, SIG_IGN);
  AS_USER(1000) {
    SHOW("kill group USR1 as 1000", kill(-getpgrp(), SIGUSR1));
    SHOW("kill own group 0", kill(0, 0));
  }
  AS_USER(3000) {
    setpgid(0, getppid());
    SHOW("kill group as 3000 (itself a member)", kill(0, SIGUSR1));
  }
  // The user's waiter reports; root's must not: wait for the first report, then a moment for a second.
  struct pollfd pf = {report[0], POLLIN, 0};
  char got[8]; long n = poll(&pf, 1, 10000) == 1 ? read(report[0], got, 1) : 0;
  usleep(50000);
  fcntl(report[0], F_SETFL, O_NONBLOCK);
  long more = read(report[0], got, sizeof got);
  FACT("members that got it: %ld\n", n + (more > 0 ? more : 0));
  reap(root); reap(user); signal(SIGUSR1, SIG_DFL);
  fflush(stdout);
  pid_t lone = fork();
  if (lone == 0) { setpgid(0, 0); for (;;) pause(); }
  setpgid(lone, lone);
  AS_USER(1000) { SHOW("kill a group of root's", kill(-lone, SIGUSR1)); }
  reap(lone);
}

CASE(stop_and_continue) {
  int go[2]; (void)!pipe(go);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) { char b; (void)!read(go[0], &b, 1); _exit(7); }
  usleep(20000);
  SHOW("SIGCONT to a running child", kill(c, SIGCONT));
  SHOW("SIGSTOP", kill(c, SIGSTOP));
  int st; pid_t r = waitpid(c, &st, WUNTRACED);
  FACT("stopped: %d by %d\n", r == c && WIFSTOPPED(st), WIFSTOPPED(st) ? WSTOPSIG(st) : 0);
  char path[64], buf[4096]; snprintf(path, sizeof path, "/proc/%d/status", c);
  int fd = open(path, O_RDONLY); long n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1; if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0; char *state = strstr(buf, "State:"); if (state) *strchrnul(state, '\n') = 0;
  FACT("%s\n", state ? state : "no State line");
  snprintf(path, sizeof path, "/proc/%d/stat", c);
  fd = open(path, O_RDONLY); n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1; if (fd >= 0) close(fd);
  buf[n > 0 ? n : 0] = 0; char *end = strrchr(buf, ')');
  FACT("stat state: %c\n", end && end[1] ? end[2] : '?');
  SHOW("SIGCONT", kill(c, SIGCONT));
  r = waitpid(c, &st, WCONTINUED); FACT("continued: %d\n", r == c && WIFCONTINUED(st));
  (void)!write(go[1], "g", 1);
  r = waitpid(c, &st, 0); FACT("exited: %d with %d\n", r == c && WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}
// A child that has exited and is not yet waited for is still found by its pid, with its ids; reaped, it is not.
CASE(signals_to_a_zombie) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) _exit(3);
  siginfo_t si; waitid(P_PID, c, &si, WEXITED | WNOWAIT);
  SHOW("signal 0 to the zombie", kill(c, 0));
  SHOW("SIGTERM to the zombie", kill(c, SIGTERM));
  FACT("getpgid of the zombie is ours: %d\n", getpgid(c) == getpgrp());
  FACT("getsid of the zombie is ours: %d\n", getsid(c) == getsid(0));
  int fd = syscall(SYS_pidfd_open, c, 0); FACT("pidfd_open of the zombie: %d\n", fd >= 0);
  if (fd >= 0) close(fd);
  AS_USER(1000) { SHOW("signal 0 to root's zombie as 1000", kill(c, 0)); }
  int st; waitpid(c, &st, 0); FACT("reaped with %d\n", WEXITSTATUS(st));
  SHOW("signal 0 after the reap", kill(c, 0));
}
// A process group lives on after its leader has been reaped, while one of its members does.
CASE(group_outlives_its_leader) {
  int ready[2], report[2]; (void)!pipe(ready); (void)!pipe(report);
  fflush(stdout);
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    if (fork() == 0) {
      sigset_t usr1; sigemptyset(&usr1); sigaddset(&usr1, SIGUSR1); sigprocmask(SIG_BLOCK, &usr1, NULL);
      (void)!write(ready[1], "r", 1);
      int sig; sigwait(&usr1, &sig); (void)!write(report[1], "u", 1);
      _exit(0);
    }
    _exit(0);
  }
  waitpid(leader, NULL, 0);
  char c; (void)!read(ready[0], &c, 1);
  SHOW("signal 0 to the group", kill(-leader, 0));
  SHOW("SIGUSR1 to the group", kill(-leader, SIGUSR1));
  struct pollfd pf = {report[0], POLLIN, 0};
  FACT("the member got it: %d\n", poll(&pf, 1, 10000) == 1 && read(report[0], &c, 1) == 1);
  SHOW("signal 0 to a group that is not", kill(-999999, 0));
}
CASE(kill_all_processes) {
  fflush(stdout);
  pid_t leader = fork();
  if (leader == 0) {
    // A session of its own: natively, kill(-1) as a user reaches this session and that user's processes only.
    setsid();
    pid_t root = waiter(-1, -1);
    AS_USER(1000) {
      SHOW("SIGCONT to all, root's waiter in the session", kill(-1, SIGCONT));
      SHOW("signal 0 to all, none of them the user's", kill(-1, 0));
      SHOW("a bad signal to all", kill(-1, 99));
    }
    int st; SHOW("root's waiter still runs", waitpid(root, &st, WNOHANG));
    reap(root);
    fflush(stdout); _exit(0);
  }
  waitpid(leader, NULL, 0);
}

// kill(-1) counts every process but the caller and init, a zombie too (kill_something_info walks every task Linux
// still has): with an unreaped child the only other process, it finds one (natively the host has others as well).
CASE(kill_all_finds_a_zombie) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(0);
  siginfo_t si;
  waitid(P_PID, child, &si, WEXITED | WNOWAIT);
  SHOW("signal 0 to all, an unreaped child the only other process", kill(-1, 0));
  reap(child);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(kill_between_users); RUN(kill_by_real_uid); RUN(pidfd_signal_between_users); RUN(sigcont_within_a_session);
  RUN(process_group_of_users); RUN(kill_all_processes); RUN(stop_and_continue); RUN(signals_to_a_zombie);
  RUN(group_outlives_its_leader); RUN(kill_all_finds_a_zombie);
  return 0;
}
