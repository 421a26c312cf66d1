// The times of a FIFO node around reads and writes of it (pipe_read moves
// atime by relatime's rule, pipe_write mtime and ctime): repeated, after the
// times were set, through a second name, with O_NOATIME, and fstat of an end.
#include "probe.h"
#include "times.h"

static const struct timespec NEWER_ATIME[2] = {{2000000000, 0}, {1000000000, 0}};

CASE(fifo_times_repeated_io) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); char b[4];
  age("p"); WATCH1("p", write(fd, "a", 1)); usleep(20000); WATCH1("p", write(fd, "b", 1));
  WATCH1("p", read(fd, b, 1)); usleep(20000); WATCH1("p", read(fd, b, 1));
  WATCH1("p", SHOW("read of an empty FIFO", (fcntl(fd, F_SETFL, O_NONBLOCK), read(fd, b, 1))));
  WATCH1("p", SHOW("write of nothing", write(fd, b, 0)));
}
CASE(fifo_times_after_utimensat) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); char b[4];
  write(fd, "ab", 2);
  SHOW("atime after mtime", utimensat(AT_FDCWD, "p", NEWER_ATIME, 0)); usleep(20000);
  WATCH1("p", read(fd, b, 1));
  age("p"); WATCH1("p", read(fd, b, 1));
  SHOW("chmod", chmod("p", 0600)); usleep(20000); WATCH1("p", write(fd, "c", 1));
}
CASE(fifo_times_through_links_and_fds) {
  mkfifo("p", 0644); link("p", "q"); int w = open("q", O_RDWR); char b[4];
  age("p"); WATCH2("p", "q", write(w, "x", 1));
  struct stat a, c; fstat(w, &a); stat("p", &c); FACT("fstat of the end agrees: %d\n", a.st_mtim.tv_sec == c.st_mtim.tv_sec && a.st_mtim.tv_nsec == c.st_mtim.tv_nsec);
  int r = open("p", O_RDONLY | O_NOATIME | O_NONBLOCK); OK("O_NOATIME end", r);
  age("p"); WATCH1("p", read(r, b, 1));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(fifo_times_repeated_io); RUN(fifo_times_after_utimensat); RUN(fifo_times_through_links_and_fds);
  return 0;
}
