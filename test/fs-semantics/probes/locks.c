// Locks: POSIX record locks (F_GETLK/F_SETLK/F_SETLKW) between processes,
// open file description locks (F_OFD_*), flock(2); what releases them.
#include "probe.h"
#include <sys/file.h>
#include <sys/wait.h>

static int mkfile(const char *p) {
  int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "0123456789abcdefghij", 20);
  return fd;
}
static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}
/** F_GETLK/F_OFD_GETLK: the conflicting lock's type and range, or "none"; the pid only as "holder is the parent". */
static void getlk(const char *label, int fd, int cmd, short type, off_t start, off_t len, pid_t parent) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) < 0) { printf("%s = -1 %s\n", label, strerrorname_np(errno)); return; }
  if (fl.l_type == F_UNLCK) { printf("%s: none\n", label); return; }
  printf("%s: %s start %ld len %ld pid %s\n", label, fl.l_type == F_WRLCK ? "wr" : "rd", (long)fl.l_start, (long)fl.l_len,
         fl.l_pid == -1 ? "-1" : fl.l_pid == parent ? "parent" : "other");
}
/** Runs fn in a child and prints its result line by line through a pipe (the child shares stdout's buffer otherwise). */
static void in_child(void (*fn)(int out, void *), void *arg) {
  int p[2]; pipe(p); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { close(p[0]); fn(p[1], arg); _exit(0); }
  close(p[1]);
  char buf[4096]; long n, total = 0;
  while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
  buf[total] = 0; close(p[0]);
  int st; waitpid(c, &st, 0); fputs(buf, stdout);
}
#define CPRINT(out, ...) dprintf(out, __VA_ARGS__)
#define CSHOW(out, label, expr) do { errno = 0; long _r = (long)(expr); \
  if (_r < 0) CPRINT(out, "%s = -1 %s\n", label, strerrorname_np(errno)); else CPRINT(out, "%s = %ld\n", label, _r); } while (0)

static void child_tries(int out, void *arg) {
  (void)arg; int fd = open("f", O_RDWR);
  CSHOW(out, "child wr 0-10", setlk(fd, F_SETLK, F_WRLCK, 0, 10));
  CSHOW(out, "child rd 0-10", setlk(fd, F_SETLK, F_RDLCK, 0, 10));
  CSHOW(out, "child wr 10-20", setlk(fd, F_SETLK, F_WRLCK, 10, 10));
  CSHOW(out, "child wr to EOF from 15", setlk(fd, F_SETLK, F_WRLCK, 15, 0));
}
CASE(posix_write_lock_conflicts) {
  int fd = mkfile("f");
  SHOW("parent wr 0-10", setlk(fd, F_SETLK, F_WRLCK, 0, 10));
  in_child(child_tries, NULL);
}
static void child_reads(int out, void *arg) {
  (void)arg; int fd = open("f", O_RDWR);
  CSHOW(out, "child rd 0-10", setlk(fd, F_SETLK, F_RDLCK, 0, 10));
  CSHOW(out, "child wr 5-6", setlk(fd, F_SETLK, F_WRLCK, 5, 1));
}
CASE(posix_read_locks_share) {
  int fd = mkfile("f");
  SHOW("parent rd 0-10", setlk(fd, F_SETLK, F_RDLCK, 0, 10));
  in_child(child_reads, NULL);
}
static void child_getlk(int out, void *arg) {
  pid_t parent = *(pid_t *)arg; int fd = open("f", O_RDWR);
  fflush(stdout); int saved = dup(1); dup2(out, 1);
  getlk("child getlk wr 0-1", fd, F_GETLK, F_WRLCK, 0, 1, parent);
  getlk("child getlk rd 3-4", fd, F_GETLK, F_RDLCK, 3, 1, parent);
  getlk("child getlk wr 8-2", fd, F_GETLK, F_WRLCK, 8, 2, parent);
  getlk("child getlk rd 12-1", fd, F_GETLK, F_RDLCK, 12, 1, parent);
  getlk("child getlk wr 12-1", fd, F_GETLK, F_WRLCK, 12, 1, parent);
  fflush(stdout); dup2(saved, 1);
}
CASE(posix_getlk_reports_holder) {
  int fd = mkfile("f"); pid_t me = getpid();
  setlk(fd, F_SETLK, F_WRLCK, 2, 6); setlk(fd, F_SETLK, F_RDLCK, 10, 5);
  getlk("own lock is no conflict", fd, F_GETLK, F_WRLCK, 0, 20, me);
  in_child(child_getlk, &me);
}
static void child_wr_all(int out, void *arg) {
  (void)arg; int fd = open("f", O_RDWR);
  CSHOW(out, "child wr 0-20", setlk(fd, F_SETLK, F_WRLCK, 0, 20));
}
CASE(posix_unlock_ranges) {
  int fd = mkfile("f");
  setlk(fd, F_SETLK, F_WRLCK, 0, 20);
  SHOW("unlock middle", setlk(fd, F_SETLK, F_UNLCK, 5, 10));
  in_child(child_wr_all, NULL);
  SHOW("unlock rest", setlk(fd, F_SETLK, F_UNLCK, 0, 0));
  in_child(child_wr_all, NULL);
}
CASE(posix_lock_modes_need_access) {
  mkfile("f"); int r = open("f", O_RDONLY), w = open("f", O_WRONLY);
  SHOW("wr on read-only fd", setlk(r, F_SETLK, F_WRLCK, 0, 1)); SHOW("rd on write-only fd", setlk(w, F_SETLK, F_RDLCK, 0, 1));
  SHOW("rd on read-only fd", setlk(r, F_SETLK, F_RDLCK, 0, 1)); SHOW("wr on write-only fd", setlk(w, F_SETLK, F_WRLCK, 5, 1));
}
CASE(posix_bad_args) {
  int fd = mkfile("f");
  SHOW("bad type", setlk(fd, F_SETLK, 7, 0, 1)); SHOW("negative start", setlk(fd, F_SETLK, F_WRLCK, -1, 1));
  struct flock fl = {.l_type = F_WRLCK, .l_whence = 9}; SHOW("bad whence", fcntl(fd, F_SETLK, &fl));
  SHOW("negative len before start", setlk(fd, F_SETLK, F_WRLCK, 0, -5)); SHOW("negative len", setlk(fd, F_SETLK, F_WRLCK, 10, -5));
  SHOW("NULL flock", fcntl(fd, F_SETLK, NULL)); SHOW("F_GETLK NULL", fcntl(fd, F_GETLK, NULL));
  SHOW("bad fd", setlk(999, F_SETLK, F_WRLCK, 0, 1));
}
CASE(posix_lock_on_directory) {
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("rd on dir", setlk(fd, F_SETLK, F_RDLCK, 0, 1)); SHOW("wr on dir", setlk(fd, F_SETLK, F_WRLCK, 0, 1));
}
static void child_wr_0_1(int out, void *arg) {
  (void)arg; int fd = open("f", O_RDWR);
  CSHOW(out, "child wr 0-1", setlk(fd, F_SETLK, F_WRLCK, 0, 1));
}
CASE(posix_released_by_any_close) {
  int fd = mkfile("f"); setlk(fd, F_SETLK, F_WRLCK, 0, 1);
  int other = open("f", O_RDONLY); close(other);
  in_child(child_wr_0_1, NULL);
}
CASE(posix_released_at_child_exit) {
  mkfile("f");
  pid_t c = fork();
  if (c == 0) { int fd = open("f", O_RDWR); setlk(fd, F_SETLK, F_WRLCK, 0, 1); _exit(0); }
  int st; waitpid(c, &st, 0);
  int fd = open("f", O_RDWR); SHOW("parent wr after child exit", setlk(fd, F_SETLK, F_WRLCK, 0, 1));
}
CASE(posix_setlkw_waits_for_unlock) {
  int fd = mkfile("f"); setlk(fd, F_SETLK, F_WRLCK, 0, 1);
  int p[2]; pipe(p); fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int f = open("f", O_RDWR); write(p[1], "r", 1);
    int r = setlk(f, F_SETLKW, F_WRLCK, 0, 1); write(p[1], r == 0 ? "y" : "n", 1); _exit(0);
  }
  char b; read(p[0], &b, 1); usleep(100000);
  SHOW("unlock", setlk(fd, F_SETLK, F_UNLCK, 0, 1));
  read(p[0], &b, 1); FACT("child got it %c\n", b);
  int st; waitpid(c, &st, 0);
}
CASE(posix_deadlock_detected) {
  int fd = mkfile("f"); setlk(fd, F_SETLK, F_WRLCK, 0, 1);
  int p[2], q[2]; pipe(p); pipe(q); fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int f = open("f", O_RDWR); setlk(f, F_SETLK, F_WRLCK, 5, 1); write(p[1], "r", 1);
    _exit(setlk(f, F_SETLKW, F_WRLCK, 0, 1) == -1 && errno == EDEADLK);
  }
  // Whichever of the two waits second closes the cycle and gets EDEADLK; the other gets its lock.
  char b; read(p[0], &b, 1); usleep(100000);
  int r = setlk(fd, F_SETLKW, F_WRLCK, 5, 1), parent_deadlock = r == -1 && errno == EDEADLK;
  setlk(fd, F_SETLK, F_UNLCK, 0, 0);
  int st; waitpid(c, &st, 0);
  FACT("exactly one EDEADLK %d\n", parent_deadlock + WEXITSTATUS(st) == 1);
}
CASE(ofd_conflicts_between_opens) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  SHOW("a wr 0-10", setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
  SHOW("b wr 5-1", setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1)); SHOW("b rd 9-1", setlk(b, F_OFD_SETLK, F_RDLCK, 9, 1));
  SHOW("b wr 10-1", setlk(b, F_OFD_SETLK, F_WRLCK, 10, 1));
  getlk("b getlk", b, F_OFD_GETLK, F_WRLCK, 0, 1, 0);
  getlk("a getlk", a, F_OFD_GETLK, F_WRLCK, 0, 20, 0);
  int d = dup(a); SHOW("dup of a wr 5-1", setlk(d, F_OFD_SETLK, F_WRLCK, 5, 1));
}
CASE(ofd_pid_must_be_zero) {
  int fd = mkfile("f");
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
  SHOW("l_pid 1", fcntl(fd, F_OFD_SETLK, &fl)); fl.l_pid = 0; SHOW("l_pid 0", fcntl(fd, F_OFD_SETLK, &fl));
}
CASE(ofd_released_on_last_close) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  setlk(a, F_OFD_SETLK, F_WRLCK, 0, 1); int d = dup(a); close(a);
  SHOW("still held by the dup", setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
  close(d); SHOW("after last close", setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
}
CASE(ofd_and_posix_conflict) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  setlk(a, F_OFD_SETLK, F_WRLCK, 0, 5);
  SHOW("posix wr over ofd lock", setlk(b, F_SETLK, F_WRLCK, 0, 1)); SHOW("posix wr after it", setlk(b, F_SETLK, F_WRLCK, 5, 1));
  SHOW("ofd over posix", setlk(a, F_OFD_SETLK, F_WRLCK, 5, 1));
}
CASE(ofd_survives_other_close) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  setlk(a, F_OFD_SETLK, F_WRLCK, 0, 1); int other = open("f", O_RDONLY); close(other);
  SHOW("still held", setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
}
CASE(flock_exclusive_and_shared) {
  int a = mkfile("f"), b = open("f", O_RDONLY);
  SHOW("a LOCK_EX", flock(a, LOCK_EX)); SHOW("b LOCK_SH|NB", flock(b, LOCK_SH | LOCK_NB)); SHOW("b LOCK_EX|NB", flock(b, LOCK_EX | LOCK_NB));
  SHOW("a LOCK_UN", flock(a, LOCK_UN)); SHOW("b LOCK_SH|NB", flock(b, LOCK_SH | LOCK_NB));
  SHOW("a LOCK_SH|NB", flock(a, LOCK_SH | LOCK_NB)); SHOW("a upgrade LOCK_EX|NB", flock(a, LOCK_EX | LOCK_NB));
  SHOW("b LOCK_UN", flock(b, LOCK_UN)); SHOW("a upgrade again", flock(a, LOCK_EX | LOCK_NB));
}
CASE(flock_shared_by_dup_and_fork) {
  int a = mkfile("f"), d = dup(a), b = open("f", O_RDWR);
  flock(a, LOCK_EX); SHOW("dup LOCK_EX|NB", flock(d, LOCK_EX | LOCK_NB)); SHOW("other open", flock(b, LOCK_EX | LOCK_NB));
  pid_t c = fork();
  if (c == 0) _exit(flock(a, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
  int st; waitpid(c, &st, 0); FACT("child with the inherited fd gets it %d\n", WEXITSTATUS(st) == 0);
  SHOW("dup unlocks for all", flock(d, LOCK_UN)); SHOW("other open", flock(b, LOCK_EX | LOCK_NB));
}
CASE(flock_released_on_close) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  flock(a, LOCK_EX); close(a); SHOW("after close", flock(b, LOCK_EX | LOCK_NB));
  int c = open("f", O_RDWR); flock(b, LOCK_UN); flock(c, LOCK_SH); int d = dup(c); close(c);
  SHOW("dup still holds", flock(b, LOCK_EX | LOCK_NB)); close(d); SHOW("after last close", flock(b, LOCK_EX | LOCK_NB));
}
CASE(flock_released_at_exit) {
  mkfile("f");
  pid_t c = fork();
  if (c == 0) { int fd = open("f", O_RDWR); flock(fd, LOCK_EX); _exit(0); }
  int st; waitpid(c, &st, 0); int fd = open("f", O_RDWR); SHOW("after child exit", flock(fd, LOCK_EX | LOCK_NB));
}
CASE(flock_bad_args) {
  int fd = mkfile("f");
  SHOW("no operation", flock(fd, 0)); SHOW("LOCK_SH|LOCK_EX", flock(fd, LOCK_SH | LOCK_EX)); SHOW("only LOCK_NB", flock(fd, LOCK_NB));
  SHOW("bad fd", flock(999, LOCK_EX)); SHOW("LOCK_UN unlocked", flock(fd, LOCK_UN)); SHOW("LOCK_MAND", flock(fd, 32 | LOCK_READ));
}
CASE(flock_read_only_and_dirs) {
  mkfile("f"); int r = open("f", O_RDONLY); SHOW("LOCK_EX on read-only fd", flock(r, LOCK_EX));
  mkdir("d", 0755); mkdir("e", 0755);
  int d1 = open("d", O_RDONLY), d2 = open("d", O_RDONLY), e = open("e", O_RDONLY);
  SHOW("dir LOCK_EX", flock(d1, LOCK_EX)); SHOW("same dir other open", flock(d2, LOCK_EX | LOCK_NB));
  SHOW("another dir", flock(e, LOCK_EX | LOCK_NB)); SHOW("cwd", flock(open(".", O_RDONLY), LOCK_EX | LOCK_NB));
}
CASE(flock_and_posix_independent) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  flock(a, LOCK_EX); SHOW("posix lock beside flock", setlk(b, F_SETLK, F_WRLCK, 0, 1));
  SHOW("ofd lock beside flock", setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1));
}
CASE(flock_blocking_waits) {
  int a = mkfile("f");
  flock(a, LOCK_EX);
  int p[2]; pipe(p); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { int f = open("f", O_RDWR); write(p[1], "r", 1); int r = flock(f, LOCK_EX); write(p[1], r == 0 ? "y" : "n", 1); _exit(0); }
  char b; read(p[0], &b, 1); usleep(100000); SHOW("LOCK_UN", flock(a, LOCK_UN));
  read(p[0], &b, 1); FACT("waiter got it %c\n", b);
  int st; waitpid(c, &st, 0);
}
CASE(locks_survive_rename_and_unlink) {
  int a = mkfile("f"), b = open("f", O_RDWR);
  flock(a, LOCK_EX); setlk(a, F_OFD_SETLK, F_WRLCK, 0, 1); rename("f", "g");
  SHOW("flock after rename", flock(b, LOCK_EX | LOCK_NB)); SHOW("ofd after rename", setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
  unlink("g"); SHOW("flock after unlink", flock(b, LOCK_EX | LOCK_NB));
  close(a); SHOW("after close", flock(b, LOCK_EX | LOCK_NB));
}

CASE(posix_whence_and_growth) {
  int fd = mkfile("f"); lseek(fd, 10, SEEK_SET);
  struct flock cur = {.l_type = F_WRLCK, .l_whence = SEEK_CUR, .l_start = -5, .l_len = 2};
  SHOW("SEEK_CUR -5 len 2", fcntl(fd, F_SETLK, &cur));
  struct flock end = {.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = 0, .l_len = 0};
  SHOW("SEEK_END to infinity", fcntl(fd, F_SETLK, &end));
  pid_t me = getpid(); int other = -1; (void)other;
  in_child(child_wr_all, NULL);
  fflush(stdout); pid_t c = fork();
  if (c == 0) { int f = open("f", O_RDWR); getlk("child sees", f, F_GETLK, F_WRLCK, 100, 1, me); fflush(stdout); _exit(0); }
  int st; waitpid(c, &st, 0);
}
CASE(posix_getlk_bad_type) {
  int fd = mkfile("f");
  struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET}; SHOW("F_GETLK F_UNLCK", fcntl(fd, F_GETLK, &fl));
  SHOW("F_OFD_GETLK bad type", ({ struct flock g = {.l_type = 9}; fcntl(fd, F_OFD_GETLK, &g); }));
  SHOW("lock beyond EOF", setlk(fd, F_SETLK, F_WRLCK, 1000, 10));
}
CASE(locks_on_unlinked_file) {
  int a = mkfile("f"); unlink("f");
  SHOW("flock unlinked", flock(a, LOCK_EX | LOCK_NB)); SHOW("posix unlinked", setlk(a, F_SETLK, F_WRLCK, 0, 1));
  SHOW("ofd unlinked", setlk(a, F_OFD_SETLK, F_RDLCK, 5, 1));
}
static void child_probe_merge(int out, void *arg) {
  pid_t parent = *(pid_t *)arg; int fd = open("f", O_RDWR);
  fflush(stdout); int saved = dup(1); dup2(out, 1);
  getlk("child getlk 0-20", fd, F_GETLK, F_RDLCK, 0, 20, parent);
  getlk("child getlk 12-8", fd, F_GETLK, F_RDLCK, 12, 8, parent);
  fflush(stdout); dup2(saved, 1);
}
CASE(posix_locks_merge_and_split) {
  int fd = mkfile("f"); pid_t me = getpid();
  setlk(fd, F_SETLK, F_WRLCK, 0, 10); setlk(fd, F_SETLK, F_WRLCK, 5, 10);
  in_child(child_probe_merge, &me);
  SHOW("unlock 4-2 splits", setlk(fd, F_SETLK, F_UNLCK, 4, 2)); in_child(child_probe_merge, &me);
}
static void child_holds_read(int out, void *arg) {
  int *pp = arg; int fd = open("f", O_RDWR); setlk(fd, F_SETLK, F_RDLCK, 0, 10);
  write(pp[1], "r", 1); char b; read(pp[2], &b, 1); (void)out;
}
CASE(posix_upgrade_and_downgrade) {
  int fd = mkfile("f");
  SHOW("parent rd 0-10", setlk(fd, F_SETLK, F_RDLCK, 0, 10));
  int a[2], b[2]; pipe(a); pipe(b); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { int pp[3] = {0, a[1], b[0]}; child_holds_read(0, pp); _exit(0); }
  char x; read(a[0], &x, 1);
  SHOW("upgrade while child reads", setlk(fd, F_SETLK, F_WRLCK, 0, 10));
  SHOW("upgrade outside child range", setlk(fd, F_SETLK, F_WRLCK, 10, 5));
  write(b[1], "g", 1); int st; waitpid(c, &st, 0);
  SHOW("upgrade after child exit", setlk(fd, F_SETLK, F_WRLCK, 0, 10)); SHOW("downgrade", setlk(fd, F_SETLK, F_RDLCK, 0, 10));
}
CASE(lockf_calls) {
  int fd = mkfile("f"); lseek(fd, 0, SEEK_SET);
  SHOW("F_TLOCK", lockf(fd, F_TLOCK, 10)); SHOW("F_TEST own", lockf(fd, F_TEST, 10));
  fflush(stdout); pid_t c = fork();
  if (c == 0) { int f = open("f", O_RDWR); _exit(lockf(f, F_TEST, 10) == -1 && (errno == EACCES || errno == EAGAIN) ? 1 : 0); }
  int st; waitpid(c, &st, 0); FACT("child F_TEST refused %d\n", WEXITSTATUS(st));
  SHOW("F_ULOCK", lockf(fd, F_ULOCK, 10)); SHOW("bad cmd", lockf(fd, 42, 10));
}
CASE(fork_and_lock_ownership) {
  int fd = mkfile("f"), other = open("f", O_RDWR);
  setlk(fd, F_SETLK, F_WRLCK, 0, 1); setlk(fd, F_OFD_SETLK, F_WRLCK, 10, 1);
  fflush(stdout); pid_t c = fork();
  if (c == 0) {
    // POSIX locks are not inherited (the child conflicts with its parent); OFD locks belong to the shared description.
    int posix = setlk(fd, F_SETLK, F_WRLCK, 0, 1) == -1 && errno == EAGAIN;
    int ofd_own = setlk(fd, F_OFD_SETLK, F_WRLCK, 10, 1) == 0;
    int ofd_unlock = setlk(fd, F_OFD_SETLK, F_UNLCK, 10, 1) == 0;
    _exit(posix | ofd_own << 1 | ofd_unlock << 2);
  }
  int st; waitpid(c, &st, 0);
  FACT("child: posix conflicts %d, ofd its own %d, ofd unlock %d\n", WEXITSTATUS(st) & 1, WEXITSTATUS(st) >> 1 & 1, WEXITSTATUS(st) >> 2 & 1);
  SHOW("other open takes the unlocked OFD range", setlk(other, F_OFD_SETLK, F_WRLCK, 10, 1));
}
int main(int argc, char **argv) {
  probe_init(argc, argv); (void)touch; (void)ftype;
  RUN(posix_write_lock_conflicts); RUN(posix_read_locks_share); RUN(posix_getlk_reports_holder); RUN(posix_unlock_ranges);
  RUN(posix_lock_modes_need_access); RUN(posix_bad_args); RUN(posix_lock_on_directory); RUN(posix_released_by_any_close);
  RUN(posix_released_at_child_exit); RUN(posix_setlkw_waits_for_unlock); RUN(posix_deadlock_detected);
  RUN(ofd_conflicts_between_opens); RUN(ofd_pid_must_be_zero); RUN(ofd_released_on_last_close); RUN(ofd_and_posix_conflict);
  RUN(ofd_survives_other_close); RUN(flock_exclusive_and_shared); RUN(flock_shared_by_dup_and_fork);
  RUN(flock_released_on_close); RUN(flock_released_at_exit); RUN(flock_bad_args); RUN(flock_read_only_and_dirs);
  RUN(flock_and_posix_independent); RUN(flock_blocking_waits); RUN(locks_survive_rename_and_unlink);
  RUN(posix_whence_and_growth); RUN(posix_getlk_bad_type); RUN(locks_on_unlinked_file);
  RUN(posix_locks_merge_and_split); RUN(posix_upgrade_and_downgrade); RUN(lockf_calls);
  RUN(fork_and_lock_ownership);
  return 0;
}
