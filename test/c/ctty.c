// Which opens of a pty slave make it the opener's controlling terminal.
// Linux's tty_open: a session leader without one takes the slave it opens
// unless O_NOCTTY, if the open can read and the tty belongs to no session.
// Each case runs in a child of its own that leads a new session (or, for
// "not a leader", in a grandchild that does not), and prints whether
// tcgetsid (TIOCGSID) of the slave is its session and /proc/self/stat's
// tty_nr is the slave's device.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int tty_nr(void) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f || !fgets(buf, sizeof buf, f)) return -1;
  fclose(f);
  char *p = strrchr(buf, ')');
  int nr = -1;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %d", &nr) != 1) return -1;
  return nr;
}

/** A new pty's master (which never becomes a controlling terminal); its slave's path in `name`. */
static int new_pty(char *name, size_t n) {
  int m = posix_openpt(O_RDWR);
  if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, n)) { printf("pty: %s\n", strerrorname_np(errno)); exit(1); }
  return m;
}

static void report(const char *label, int s) {
  if (s < 0) { printf("%s: open %s\n", label, strerrorname_np(errno)); return; }
  struct stat st;
  fstat(s, &st);
  pid_t sid = tcgetsid(s);
  const char *owner = sid < 0 ? strerrorname_np(errno) : sid == getsid(0) ? "own session" : "other session";
  printf("%s: tcgetsid %s, tty_nr %s, /dev/tty %s\n", label, owner, tty_nr() == (int)st.st_rdev ? "is the slave" :
    tty_nr() == 0 ? "none" : "other", access("/dev/tty", F_OK) == 0 && open("/dev/tty", O_RDONLY) >= 0 ? "opens" : strerrorname_np(errno));
}

/** Runs `fn` in a child that leads a session of its own (or, with `leader` 0, one that does not), and waits. */
static void in_session(int leader, void (*fn)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    setsid();
    if (!leader) {
      pid_t q = fork();
      if (q != 0) { waitpid(q, NULL, 0); _exit(0); }
    }
    fn();
    fflush(stdout);
    _exit(0);
  }
  waitpid(p, NULL, 0);
}

static char name[64];

static void plain(void) { new_pty(name, sizeof name); report("O_RDWR", open(name, O_RDWR)); }
static void noctty(void) { new_pty(name, sizeof name); report("O_RDWR|O_NOCTTY", open(name, O_RDWR | O_NOCTTY)); }
static void rdonly(void) { new_pty(name, sizeof name); report("O_RDONLY", open(name, O_RDONLY)); }
static void wronly(void) { new_pty(name, sizeof name); report("O_WRONLY", open(name, O_WRONLY)); }
static void not_leader(void) { new_pty(name, sizeof name); report("not a leader", open(name, O_RDWR)); }
static void second(void) {
  new_pty(name, sizeof name);
  int a = open(name, O_RDWR);
  report("first open", a);
  report("second open", open(name, O_RDWR));
}
static void already_has_one(void) {
  new_pty(name, sizeof name);
  open(name, O_RDWR);
  char other[64];
  new_pty(other, sizeof other);
  report("another pty after one", open(other, O_RDWR));
}
/** The slave is another session's terminal: a second leader's open does not take it. */
static void taken(void) {
  new_pty(name, sizeof name);
  int a = open(name, O_RDWR);
  (void)a;
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) { setsid(); report("other session's terminal", open(name, O_RDWR)); fflush(stdout); _exit(0); }
  waitpid(p, NULL, 0);
}

int main(void) {
  in_session(1, plain);
  in_session(1, noctty);
  in_session(1, rdonly);
  in_session(1, wronly);
  in_session(0, not_leader);
  in_session(1, second);
  in_session(1, already_has_one);
  in_session(1, taken);
  return 0;
}
