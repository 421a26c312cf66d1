// Locks on files the sandbox does not own (test/hostlocks.test.ts).
//   hostlocks hold MODE FILE   (in the sandbox) takes one lock on FILE opened
//                              read-only, prints the result and "held", and
//                              keeps it until its stdin closes.
//   hostlocks check FILE       (on the host) what a host process can do with
//                              FILE meanwhile.
//   hostlocks conflict FILE [rw]  two processes' locks on FILE, run natively
//                              and in the sandbox: the output must be the same.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOW(label, expr) do { errno = 0; long _r = (long)(expr); \
  if (_r < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno)); else printf("%s = %ld\n", label, _r); \
  fflush(stdout); } while (0)

static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

static void getlk(const char *label, int fd, int cmd, short type, off_t start, off_t len, pid_t parent) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  if (fcntl(fd, cmd, &fl) < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno));
  else if (fl.l_type == F_UNLCK) printf("%s: none\n", label);
  else printf("%s: %s %ld %ld pid %s\n", label, fl.l_type == F_WRLCK ? "wr" : "rd", (long)fl.l_start, (long)fl.l_len,
              fl.l_pid == -1 ? "-1" : fl.l_pid == parent ? "parent" : "other");
  fflush(stdout);
}

static int hold(const char *mode, const char *file) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) { printf("open = -1 %s\n", strerrorname_np(errno)); return 1; }
  if (!strcmp(mode, "flock")) SHOW("flock LOCK_EX", flock(fd, LOCK_EX));
  else if (!strcmp(mode, "posix")) SHOW("F_SETLK F_RDLCK", setlk(fd, F_SETLK, F_RDLCK, 0, 0));
  else if (!strcmp(mode, "ofd")) SHOW("F_OFD_SETLK F_RDLCK", setlk(fd, F_OFD_SETLK, F_RDLCK, 0, 0));
  else if (!strcmp(mode, "lease")) {
    SHOW("F_SETLEASE F_RDLCK", fcntl(fd, F_SETLEASE, F_RDLCK));
    SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
  } else if (!strcmp(mode, "wrlease")) {
    SHOW("F_SETLEASE F_WRLCK", fcntl(fd, F_SETLEASE, F_WRLCK));
  } else return 2;
  printf("held\n");
  fflush(stdout);
  char b;
  while (read(0, &b, 1) > 0) {}
  return 0;
}

static int check(const char *file) {
  // A lease would make an open for writing wait (or fail with EWOULDBLOCK, being O_NONBLOCK).
  int w = open(file, O_WRONLY | O_NONBLOCK);
  int w_errno = errno;
  int r = open(file, O_RDONLY), rw = open(file, O_RDWR | O_NONBLOCK);
  SHOW("host flock LOCK_EX|LOCK_NB", flock(r, LOCK_EX | LOCK_NB));
  SHOW("host F_SETLK F_WRLCK", setlk(rw, F_SETLK, F_WRLCK, 0, 0));
  setlk(rw, F_SETLK, F_UNLCK, 0, 0); // a POSIX lock would conflict with the OFD lock below
  SHOW("host F_OFD_SETLK F_WRLCK", setlk(rw, F_OFD_SETLK, F_WRLCK, 0, 0));
  printf("host open O_WRONLY = %s\n", w >= 0 ? "ok" : strerrorname_np(w_errno));
  return 0;
}

static int sync_pipe[2];
static void ready(void) { (void)!write(sync_pipe[1], "r", 1); }
static void await_ready(void) { char b; (void)!read(sync_pipe[0], &b, 1); usleep(100000); }
static int finish(pid_t c) { int st; waitpid(c, &st, 0); fflush(stdout); return st; }
/** A child's waiting call reports its result as its exit status; the parent prints it, in a fixed order. */
static void waited(const char *label, pid_t c) {
  int st = finish(c);
  if (!WIFEXITED(st)) printf("%s: killed\n", label);
  else if (WEXITSTATUS(st) == 0) printf("%s = 0\n", label);
  else printf("%s = -1 %s\n", label, strerrorname_np(WEXITSTATUS(st)));
}
#define WAITS(expr) _exit((expr) < 0 ? errno : 0)

static int conflict(const char *file, int rw) {
  int acc = rw ? O_RDWR : O_RDONLY;
  pid_t me = getpid();
  pipe(sync_pipe);
  setvbuf(stdout, NULL, _IONBF, 0);

  printf("== flock\n");
  int a = open(file, acc);
  SHOW("parent LOCK_EX", flock(a, LOCK_EX));
  pid_t c = fork();
  if (c == 0) {
    int f = open(file, acc);
    SHOW("child LOCK_EX|LOCK_NB", flock(f, LOCK_EX | LOCK_NB));
    SHOW("child LOCK_SH|LOCK_NB", flock(f, LOCK_SH | LOCK_NB));
    ready();
    WAITS(flock(f, LOCK_EX));
  }
  await_ready();
  SHOW("parent LOCK_UN", flock(a, LOCK_UN));
  waited("child LOCK_EX (waits)", c);
  SHOW("parent LOCK_EX|LOCK_NB after child exit", flock(a, LOCK_EX | LOCK_NB));
  SHOW("parent LOCK_SH (conversion)", flock(a, LOCK_SH));
  c = fork();
  if (c == 0) { int f = open(file, acc); SHOW("child LOCK_SH|LOCK_NB", flock(f, LOCK_SH | LOCK_NB)); _exit(0); }
  finish(c);
  flock(a, LOCK_UN);

  printf("== flock waiter killed\n");
  flock(a, LOCK_EX);
  int b = open(file, acc);
  c = fork();
  if (c == 0) { ready(); flock(b, LOCK_EX); _exit(0); }
  await_ready();
  kill(c, SIGKILL);
  finish(c);
  SHOW("parent LOCK_UN", flock(a, LOCK_UN));
  usleep(100000);
  // The killed waiter never got its lock: the description it shared holds none.
  int third = open(file, acc);
  SHOW("third description LOCK_EX|LOCK_NB", flock(third, LOCK_EX | LOCK_NB));
  SHOW("shared description LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
  close(third);

  printf("== posix\n");
  short type = rw ? F_WRLCK : F_RDLCK;
  SHOW("parent F_SETLK 0-10", setlk(a, F_SETLK, type, 0, 10));
  getlk("parent F_GETLK own", a, F_GETLK, F_WRLCK, 0, 10, me);
  c = fork();
  if (c == 0) {
    int f = open(file, acc);
    getlk("child F_GETLK wr 0-1", f, F_GETLK, F_WRLCK, 0, 1, me);
    getlk("child F_GETLK wr 20-1", f, F_GETLK, F_WRLCK, 20, 1, me);
    SHOW("child F_SETLK rd 5-1", setlk(f, F_SETLK, F_RDLCK, 5, 1));
    SHOW("child F_SETLK wr 5-1", setlk(f, F_SETLK, F_WRLCK, 5, 1));
    SHOW("child F_SETLK wr 10-5", setlk(f, F_SETLK, F_WRLCK, 10, 5));
    ready();
    WAITS(setlk(f, F_SETLKW, F_WRLCK, 0, 1));
  }
  await_ready();
  SHOW("parent F_SETLK unlock", setlk(a, F_SETLK, F_UNLCK, 0, 0));
  waited("child F_SETLKW wr 0-1 (waits)", c);
  SHOW("parent F_SETLK after child exit", setlk(a, F_SETLK, type, 0, 0));
  struct flock cur = {.l_type = F_UNLCK, .l_whence = SEEK_CUR, .l_start = 0, .l_len = 0};
  SHOW("parent SEEK_CUR unlock", fcntl(a, F_SETLK, &cur));
  struct flock bad = {.l_type = 9, .l_whence = SEEK_SET};
  SHOW("bad type", fcntl(a, F_SETLK, &bad));
  SHOW("NULL flock", fcntl(a, F_SETLK, NULL));

  printf("== ofd\n");
  SHOW("a F_OFD_SETLK 0-10", setlk(a, F_OFD_SETLK, type, 0, 10));
  getlk("b F_OFD_GETLK wr 0-1", b, F_OFD_GETLK, F_WRLCK, 0, 1, me);
  SHOW("b F_OFD_SETLK rd 5-1", setlk(b, F_OFD_SETLK, F_RDLCK, 5, 1));
  SHOW("b F_OFD_SETLK wr 5-1", setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1));
  c = fork();
  if (c == 0) {
    int f = open(file, acc);
    getlk("child F_GETLK wr 0-1", f, F_GETLK, F_WRLCK, 0, 1, me);
    SHOW("child posix wr 0-1 over ofd", setlk(f, F_SETLK, F_WRLCK, 0, 1));
    ready();
    WAITS(setlk(f, F_OFD_SETLKW, F_WRLCK, 0, 1));
  }
  await_ready();
  SHOW("a F_OFD_SETLK unlock", setlk(a, F_OFD_SETLK, F_UNLCK, 0, 0));
  waited("child F_OFD_SETLKW wr 0-1 (waits)", c);
  SHOW("b F_OFD_SETLK unlock", setlk(b, F_OFD_SETLK, F_UNLCK, 0, 0));
  close(b);
  close(a);
  return 0;
}

/** Lease rules on a file opened read-only (a write lease only where another description is open). */
static int leases(const char *file) {
  int fd = open(file, O_RDONLY), other = open(file, O_RDONLY);
  SHOW("F_SETLEASE F_UNLCK without a lease", fcntl(fd, F_SETLEASE, F_UNLCK));
  SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
  SHOW("F_SETLEASE bad type", fcntl(fd, F_SETLEASE, 7));
  SHOW("F_SETLEASE F_RDLCK", fcntl(fd, F_SETLEASE, F_RDLCK));
  SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
  SHOW("F_SETLEASE F_RDLCK again", fcntl(fd, F_SETLEASE, F_RDLCK));
  SHOW("other F_GETLEASE", fcntl(other, F_GETLEASE));
  SHOW("other F_SETLEASE F_RDLCK", fcntl(other, F_SETLEASE, F_RDLCK));
  SHOW("F_SETLEASE F_WRLCK while another is open", fcntl(fd, F_SETLEASE, F_WRLCK));
  SHOW("F_SETLEASE F_UNLCK", fcntl(fd, F_SETLEASE, F_UNLCK));
  SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
  SHOW("F_SETLEASE F_UNLCK again", fcntl(fd, F_SETLEASE, F_UNLCK));
  pid_t c = fork();
  if (c == 0) { SHOW("inherited F_GETLEASE", fcntl(other, F_GETLEASE)); _exit(0); }
  finish(c);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "leases")) return leases(argv[2]);
  if (argc >= 4 && !strcmp(argv[1], "hold")) return hold(argv[2], argv[3]);
  if (argc >= 3 && !strcmp(argv[1], "check")) return check(argv[2]);
  if (argc >= 3 && !strcmp(argv[1], "conflict")) return conflict(argv[2], argc >= 4 && !strcmp(argv[3], "rw"));
  fprintf(stderr, "usage: hostlocks hold flock|posix|ofd|lease FILE | check FILE | conflict FILE [rw]\n");
  return 2;
}
