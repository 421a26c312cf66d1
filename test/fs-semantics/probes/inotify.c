// inotify and dnotify on sandbox files: the instance, watches and their errors, events.
#include "probe.h"
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/fs.h>

static char *volatile NULLPATH = NULL;

/**
 * Reads every queued event and prints its wd, mask bits and name, one a line; a move's cookie as
 * "paired" with the last one. It waits 300 ms for more: in tvisor the events of native writes
 * come through the sentry's event loop, a moment after the write.
 */
static void drain(int fd) {
  char buf[8192] __attribute__((aligned(8)));
  unsigned last_cookie = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 300) <= 0) break;
    long n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long i = 0; i < n;) {
      struct inotify_event *e = (struct inotify_event *)(buf + i);
      const char *c = !e->cookie ? "" : e->cookie == last_cookie ? " paired" : " cookie";
      printf("event %d %#x %s%s\n", e->wd, e->mask, e->len ? e->name : "-", c);
      if (e->cookie) last_cookie = e->cookie;
      i += sizeof *e + e->len;
    }
  }
}

/** An instance watching `path` with `mask`, its wd printed. */
static int watching(const char *path, unsigned mask) {
  int in = inotify_init1(IN_NONBLOCK);
  SHOW("add_watch", inotify_add_watch(in, path, mask));
  return in;
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

CASE(file_self_events) {
  touch("f"); int in = watching("f", IN_ALL_EVENTS);
  rename("f", "g"); unlink("g"); drain(in);
  SHOW("rm_watch after deletion", inotify_rm_watch(in, 1));
}
CASE(dir_and_child_watches) {
  mkdir("d", 0755); touch("d/f"); int in = watching("d", IN_ALL_EVENTS);
  SHOW("add_watch child", inotify_add_watch(in, "d/f", IN_ALL_EVENTS));
  chmod("d/f", 0600); unlink("d/f"); drain(in);
}
CASE(rmdir_watched) {
  mkdir("d", 0755); mkdir("d/s", 0755); int in = watching("d", IN_ALL_EVENTS);
  SHOW("add_watch s", inotify_add_watch(in, "d/s", IN_ALL_EVENTS)); rmdir("d/s"); drain(in);
}
CASE(rename_over) {
  mkdir("d", 0755); mkdir("e", 0755); touch("d/a"); touch("e/b"); int in = watching("d", IN_MOVED_FROM | IN_MOVED_TO);
  SHOW("add_watch e", inotify_add_watch(in, "e", IN_ALL_EVENTS));
  SHOW("add_watch b", inotify_add_watch(in, "e/b", IN_ALL_EVENTS));
  SHOW("add_watch a", inotify_add_watch(in, "d/a", IN_ALL_EVENTS));
  rename("d/a", "e/b"); drain(in);
}
CASE(rename_exchange) {
  mkdir("d", 0755); touch("d/a"); mkdir("d/b", 0755); int in = watching("d", IN_MOVED_FROM | IN_MOVED_TO);
  SHOW("exchange", renameat2(AT_FDCWD, "d/a", AT_FDCWD, "d/b", RENAME_EXCHANGE)); drain(in);
}
CASE(dir_self_events) {
  mkdir("p", 0755); mkdir("p/d", 0755); int in = watching("p", IN_ALL_EVENTS & ~IN_CLOSE);
  SHOW("add_watch d", inotify_add_watch(in, "p/d", IN_ALL_EVENTS & ~IN_CLOSE));
  chmod("p/d", 0700); close(open("p/d", O_RDONLY | O_DIRECTORY)); rename("p/d", "p/e"); rmdir("p/e"); drain(in);
}
CASE(link_and_symlink) {
  touch("f"); int in = watching(".", IN_CREATE | IN_ATTRIB);
  SHOW("add_watch f", inotify_add_watch(in, "f", IN_ATTRIB)); link("f", "g"); symlink("f", "l"); mknod("p", S_IFIFO | 0644, 0);
  drain(in);
}
CASE(attrib_changes) {
  touch("f"); int in = watching("f", IN_ALL_EVENTS);
  chown("f", getuid(), -1); utimes("f", NULL);
  struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}}; utimensat(AT_FDCWD, "f", ts, 0);
  struct timespec ta[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}}; utimensat(AT_FDCWD, "f", ta, 0);
  truncate("f", 3); SHOW("setxattr", setxattr("f", "user.x", "v", 1, 0)); drain(in);
}
CASE(open_events) {
  mkdir("d", 0755); touch("d/f"); int in = watching("d", IN_OPEN | IN_CREATE);
  SHOW("add_watch f", inotify_add_watch(in, "d/f", IN_OPEN)); close(open("d/f", O_RDONLY)); close(open("d", O_RDONLY | O_DIRECTORY));
  close(open("d/f", O_PATH)); close(open("d/n", O_CREAT | O_WRONLY, 0644)); drain(in);
}
CASE(oneshot) {
  touch("f"); int in = watching("f", IN_ATTRIB | IN_ONESHOT); chmod("f", 0600); chmod("f", 0644); drain(in);
  SHOW("rm_watch after oneshot", inotify_rm_watch(in, 1));
  SHOW("new wd", inotify_add_watch(in, "f", IN_ATTRIB));
}
CASE(rm_watch_events) {
  touch("f"); int in = watching("f", IN_ATTRIB); SHOW("rm_watch", inotify_rm_watch(in, 1));
  SHOW("rm_watch again", inotify_rm_watch(in, 1)); chmod("f", 0600); drain(in);
}
CASE(mask_update) {
  touch("f"); link("f", "g"); int in = watching("f", IN_ATTRIB);
  SHOW("same inode, other name", inotify_add_watch(in, "g", IN_OPEN));
  SHOW("MASK_CREATE existing", inotify_add_watch(in, "f", IN_ATTRIB | IN_MASK_CREATE));
  chmod("f", 0600); close(open("f", O_RDONLY)); drain(in);
  SHOW("MASK_ADD", inotify_add_watch(in, "f", IN_ATTRIB | IN_MASK_ADD)); chmod("f", 0644); close(open("f", O_RDONLY)); drain(in);
  SHOW("ONLYDIR on dir", inotify_add_watch(in, ".", IN_CREATE | IN_ONLYDIR));
}
CASE(dont_follow) {
  touch("f"); symlink("f", "l"); int in = watching("l", IN_ATTRIB | IN_DONT_FOLLOW);
  chmod("f", 0600); drain(in); SHOW("followed", inotify_add_watch(in, "l", IN_ATTRIB)); chmod("l", 0644); drain(in);
}
CASE(modify_coalesced) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); int in = watching("f", IN_MODIFY);
  // chmod, a change the watch does not ask about, is a trapped call: tvisor has translated the
  // writes' events when it returns, so merging is tested, not the moment of delivery.
  write(fd, "a", 1); write(fd, "b", 1); write(fd, "c", 1); chmod("f", 0600); close(fd); drain(in);
}
CASE(modify_then_open) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); int in = watching("f", IN_MODIFY | IN_OPEN);
  write(fd, "a", 1); close(open("f", O_RDONLY)); write(fd, "b", 1); close(fd); drain(in);
}
CASE(modify_by_another_process) {
  touch("f"); int in = watching("f", IN_MODIFY | IN_ATTRIB);
  pid_t pid = fork();
  if (pid == 0) { int fd = open("f", O_WRONLY | O_APPEND); write(fd, "line\n", 5); _exit(0); }
  waitpid(pid, NULL, 0); drain(in);
}
CASE(nonblock_and_fionread) {
  touch("f"); int in = watching("f", IN_ATTRIB); char b[4096];
  SHOW("read empty", read(in, b, sizeof b)); int n = -1; SHOW("FIONREAD empty", ioctl(in, FIONREAD, &n)); FACT("queued %d\n", n);
  chmod("f", 0600); chmod("f", 0644); usleep(20000); n = -1; SHOW("FIONREAD", ioctl(in, FIONREAD, &n)); FACT("queued %d\n", n);
  struct pollfd p = {in, POLLIN, 0}; SHOW("poll", poll(&p, 1, 0)); FACT("revents %#x\n", p.revents);
  long got = 0; for (long r; (r = read(in, b, sizeof b)) > 0;) got += r; FACT("read %ld bytes\n", got);
}
CASE(small_buffer) {
  touch("f"); int in = watching(".", IN_ATTRIB); chmod("f", 0600); usleep(20000); char b[64];
  SHOW("read 8 bytes", read(in, b, 8)); SHOW("read whole", read(in, b, sizeof b));
}
CASE(dir_child_modify) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); int in = watching(".", IN_MODIFY); write(fd, "x", 1); close(fd); drain(in);
}
CASE(close_events) {
  touch("f"); int in = watching("f", IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  close(open("f", O_RDONLY)); close(open("f", O_WRONLY)); drain(in);
}
/* The close that counts is the description's last: a dup's, then a forked child's exit, leave it open. */
CASE(close_last_of_shared) {
  touch("f"); int in = watching("f", IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  int fd = open("f", O_RDWR), two = dup(fd);
  close(fd); FACT("after the first of two fds\n"); drain(in);
  pid_t p = fork();
  if (p == 0) { close(two); _exit(0); }
  waitpid(p, NULL, 0); FACT("after the child's close\n"); drain(in);
  close(two); FACT("after the last\n"); drain(in);
}
/* A process that exits with the file open closes it; so does exec's close-on-exec. */
CASE(close_at_exit_and_exec) {
  touch("f"); int in = watching("f", IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  pid_t p = fork();
  if (p == 0) { open("f", O_WRONLY); _exit(0); }
  waitpid(p, NULL, 0); FACT("exit\n"); drain(in);
  p = fork();
  if (p == 0) { open("f", O_RDONLY | O_CLOEXEC); execl("/bin/true", "true", (char *)NULL); _exit(127); }
  waitpid(p, NULL, 0); FACT("exec\n"); drain(in);
}
/* A directory's watch gets its entries' closes with their names, and its own (IN_ISDIR); a close before the watch is none. */
CASE(close_in_watched_dir) {
  mkdir("d", 0755); touch("d/a"); touch("d/b");
  int early = open("d/b", O_WRONLY); close(early);
  int in = watching("d", IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
  close(open("d/a", O_WRONLY | O_TRUNC)); close(open("d", O_RDONLY | O_DIRECTORY)); close(open("d", O_PATH));
  drain(in);
}
/* Other events and the close keep their order: the write, the close, then a rename. */
CASE(close_then_rename) {
  mkdir("d", 0755); int in = watching("d", IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO);
  int fd = open("d/a", O_CREAT | O_WRONLY, 0644); write(fd, "x", 1); close(fd); rename("d/a", "d/b"); drain(in);
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
  RUN(file_self_events); RUN(dir_and_child_watches); RUN(rmdir_watched); RUN(rename_over); RUN(rename_exchange); RUN(dir_self_events);
  RUN(link_and_symlink); RUN(attrib_changes); RUN(open_events); RUN(oneshot); RUN(rm_watch_events); RUN(mask_update);
  RUN(dont_follow); RUN(modify_coalesced); RUN(modify_then_open); RUN(modify_by_another_process); RUN(nonblock_and_fionread); RUN(small_buffer);
  RUN(dir_child_modify); RUN(close_events); RUN(close_last_of_shared); RUN(close_at_exit_and_exec); RUN(close_in_watched_dir);
  RUN(close_then_rename);
  RUN(dnotify_errors); RUN(dnotify_dir);
  return 0;
}
