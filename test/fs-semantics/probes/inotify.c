// inotify and dnotify on sandbox files: the instance, watches and their errors, events.
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>

static char *volatile NULLPATH = NULL;

/** Reads every queued event and prints its mask bits and name, one a line. */
static void drain(int fd) {
  char buf[8192] __attribute__((aligned(8)));
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) break;
    long n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long i = 0; i < n;) {
      struct inotify_event *e = (struct inotify_event *)(buf + i);
      printf("event %#x %s\n", e->mask, e->len ? e->name : "-");
      i += sizeof *e + e->len;
    }
  }
}

CASE(inotify_init_flags) {
  OK("inotify_init", inotify_init()); OK("IN_NONBLOCK|IN_CLOEXEC", inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  SHOW("bad flags", inotify_init1(0x1)); int fd = inotify_init1(IN_CLOEXEC); SHOW("F_GETFD", fcntl(fd, F_GETFD));
  char b[64]; int nb = inotify_init1(IN_NONBLOCK); SHOW("read with no events", read(nb, b, sizeof b));
}
CASE(add_watch_errors) {
  touch("f"); symlink("f", "l"); symlink("nope", "dangling"); int in = inotify_init1(IN_NONBLOCK);
  SHOW("mask 0", inotify_add_watch(in, "f", 0)); SHOW("MASK_ADD|MASK_CREATE", inotify_add_watch(in, "f", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
  SHOW("bad fd", inotify_add_watch(999, "f", IN_MODIFY)); SHOW("not inotify", inotify_add_watch(open("f", O_RDONLY), "f", IN_MODIFY));
  SHOW("missing", inotify_add_watch(in, "nope", IN_MODIFY)); SHOW("NULL path", inotify_add_watch(in, NULLPATH, IN_MODIFY));
  SHOW("ONLYDIR on file", inotify_add_watch(in, "f", IN_MODIFY | IN_ONLYDIR)); SHOW("through file", inotify_add_watch(in, "f/x", IN_MODIFY));
  SHOW("dangling symlink", inotify_add_watch(in, "dangling", IN_MODIFY)); SHOW("empty path", inotify_add_watch(in, "", IN_MODIFY));
  SHOW("rm_watch unknown wd", inotify_rm_watch(in, 1234)); SHOW("rm_watch bad fd", inotify_rm_watch(999, 1));
}
CASE(watch_file_events) {
  int in = inotify_init1(IN_NONBLOCK); int fd = open("f", O_CREAT | O_RDWR, 0644);
  SHOW("add_watch", inotify_add_watch(in, "f", IN_ALL_EVENTS));
  write(fd, "x", 1); chmod("f", 0600); close(fd); drain(in);
}
CASE(watch_dir_events) {
  mkdir("d", 0755); int in = inotify_init1(IN_NONBLOCK);
  SHOW("add_watch", inotify_add_watch(in, "d", IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB));
  close(open("d/a", O_CREAT | O_WRONLY, 0644)); rename("d/a", "d/b"); mkdir("d/s", 0755); unlink("d/b"); rmdir("d/s"); drain(in);
}
CASE(watch_symlink_itself) {
  touch("f"); symlink("f", "l"); int in = inotify_init1(IN_NONBLOCK);
  SHOW("DONT_FOLLOW on symlink", inotify_add_watch(in, "l", IN_ATTRIB | IN_DONT_FOLLOW));
}

static volatile int dn_signals;
static void on_dnotify(int s) { (void)s; dn_signals++; }
CASE(dnotify_errors) {
  touch("f"); int f = open("f", O_RDONLY);
  SHOW("F_NOTIFY on a file", fcntl(f, F_NOTIFY, DN_CREATE)); SHOW("clear on a file", fcntl(f, F_NOTIFY, 0));
  SHOW("bad fd", fcntl(999, F_NOTIFY, DN_CREATE)); int d = open(".", O_RDONLY); SHOW("clear on a dir", fcntl(d, F_NOTIFY, 0));
}
CASE(dnotify_dir) {
  signal(SIGRTMIN, on_dnotify); int d = open(".", O_RDONLY);
  SHOW("F_SETSIG", fcntl(d, F_SETSIG, SIGRTMIN)); SHOW("F_NOTIFY DN_CREATE", fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
  touch("new"); usleep(50000); FACT("signals %d\n", dn_signals); signal(SIGRTMIN, SIG_DFL);
}
int main(int argc, char **argv) {
  probe_init(argc, argv); (void)ftype;
  RUN(inotify_init_flags); RUN(add_watch_errors); RUN(watch_file_events); RUN(watch_dir_events); RUN(watch_symlink_itself);
  RUN(dnotify_errors); RUN(dnotify_dir);
  return 0;
}
