// Calls on descriptors of sandbox files: the generic ioctls (FIONREAD,
// FIOCLEX, FIONBIO, FIGETBSZ), lseek at the edges of the
// offset range and on other kinds, RLIMIT_NOFILE against each call that makes
// a descriptor, and reads and writes by kind of file.
#include "probe.h"
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>

/** Closes every descriptor above stderr, so that a limit counts only the case's own. */
static void close_others(void) { for (int i = 3; i < 1024; i++) close(i); }

CASE(ioctl_fionread_on_files) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "0123456789", 10); int n = -1;
  lseek(fd, 3, SEEK_SET); SHOW("FIONREAD at 3", ioctl(fd, FIONREAD, &n)); FACT("n %d\n", n);
  lseek(fd, 20, SEEK_SET); SHOW("FIONREAD past end", ioctl(fd, FIONREAD, &n)); FACT("n %d\n", n);
  mkdir("d", 0755); int d = open("d", O_RDONLY); SHOW("FIONREAD on dir", ioctl(d, FIONREAD, &n));
  SHOW("FIONREAD bad pointer", ioctl(fd, FIONREAD, (int *)16));
}
CASE(ioctl_fioclex_fionbio) {
  int fd = open("f", O_CREAT | O_RDWR, 0644), on = 1, off = 0;
  SHOW("FIOCLEX", ioctl(fd, FIOCLEX)); FACT("FD_CLOEXEC %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
  SHOW("FIONCLEX", ioctl(fd, FIONCLEX)); FACT("FD_CLOEXEC %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
  SHOW("FIONBIO on", ioctl(fd, FIONBIO, &on)); FACT("O_NONBLOCK %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
  SHOW("FIONBIO off", ioctl(fd, FIONBIO, &off)); FACT("O_NONBLOCK %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
  int p = open("f", O_PATH); SHOW("FIOCLEX on O_PATH", ioctl(p, FIOCLEX)); SHOW("bad fd", ioctl(999, FIOCLEX));
}
CASE(ioctl_unknown_and_tty) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); struct winsize ws;
  SHOW("TIOCGWINSZ on file", ioctl(fd, TIOCGWINSZ, &ws)); SHOW("unknown request", ioctl(fd, 0x7777, 0));
  mkdir("d", 0755); int d = open("d", O_RDONLY); SHOW("TCGETS on dir", ioctl(d, TCGETS, &ws)); SHOW("isatty", isatty(fd));
}
CASE(ioctl_figetbsz) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); int b = 0; struct stat st; fstat(fd, &st);
  SHOW("FIGETBSZ", ioctl(fd, FIGETBSZ, &b)); FACT("matches st_blksize %d\n", b == st.st_blksize);
  mkdir("d", 0755); int d = open("d", O_RDONLY); b = 0; SHOW("FIGETBSZ on dir", ioctl(d, FIGETBSZ, &b)); FACT("positive %d\n", b > 0);
  SHOW("FIGETBSZ bad pointer", ioctl(fd, FIGETBSZ, (int *)16)); SHOW("FIGETBSZ on O_PATH", ioctl(open("f", O_PATH), FIGETBSZ, &b));
}
CASE(lseek_offset_range) {
  // Offsets below every filesystem's largest file (ext4's is 16 TiB), so that the answers are the VFS's.
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3);
  SHOW("SEEK_SET 1<<40", lseek(fd, 1L << 40, SEEK_SET)); SHOW("SEEK_CUR overflowing", lseek(fd, 0x7fffffffffffffffL, SEEK_CUR));
  SHOW("offset kept", lseek(fd, 0, SEEK_CUR)); SHOW("SEEK_END max", lseek(fd, 0x7fffffffffffffffL, SEEK_END));
  SHOW("SEEK_END min", lseek(fd, -0x7fffffffffffffffL - 1, SEEK_END)); SHOW("write there", write(fd, "x", 1));
  struct stat st; fstat(fd, &st); FACT("size %lld\n", (long long)st.st_size); char b[4] = {1, 1, 1, 1};
  SHOW("pread in the hole", pread(fd, b, 4, 1L << 39)); FACT("zeros %d\n", !b[0] && !b[3]); SHOW("pwrite at max", pwrite(fd, "x", 1, 0x7fffffffffffffffL));
  SHOW("pread negative", pread(fd, b, 1, -1));
  ftruncate(fd, 0); unlink("f");  // a terabyte of hole is no file to leave on a volume (memfs holds at most 1 GiB)
}
CASE(lseek_other_kinds) {
  int p[2]; pipe(p); mkfifo("fifo", 0644); int ff = open("fifo", O_RDWR); int nul = open("/dev/null", O_RDWR), z = open("/dev/zero", O_RDONLY);
  SHOW("pipe", lseek(p[0], 0, SEEK_SET)); SHOW("fifo", lseek(ff, 0, SEEK_CUR)); SHOW("/dev/null", lseek(nul, 100, SEEK_SET));
  SHOW("/dev/zero", lseek(z, 100, SEEK_SET)); int o = open(".", O_PATH); SHOW("O_PATH", lseek(o, 0, SEEK_SET));
  SHOW("symlink O_PATH", (symlink("x", "l"), lseek(open("l", O_PATH | O_NOFOLLOW), 0, SEEK_SET)));
}
CASE(lseek_data_hole_past_end) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3);
  SHOW("SEEK_DATA at size", lseek(fd, 3, SEEK_DATA)); SHOW("SEEK_HOLE at size", lseek(fd, 3, SEEK_HOLE));
  SHOW("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA)); SHOW("SEEK_HOLE at 1", lseek(fd, 1, SEEK_HOLE));
  SHOW("SEEK_DATA at 2", lseek(fd, 2, SEEK_DATA));
}
CASE(nofile_limit_each_call) {
  touch("f");
  IN_CHILD {
    close_others(); struct rlimit r = {16, 16}; setrlimit(RLIMIT_NOFILE, &r); int fds = 0;
    while (open("f", O_RDONLY) >= 0) fds++;
    FACT("opened %d, then %s\n", fds, strerrorname_np(errno));
    SHOW("openat", openat(AT_FDCWD, "f", O_RDONLY)); SHOW("creat", creat("g", 0644)); SHOW("dup", dup(0));
    SHOW("dup2 to 15", dup2(0, 15)); SHOW("dup2 to 16", dup2(0, 16)); SHOW("F_DUPFD 16", fcntl(0, F_DUPFD, 16));
    int p[2]; SHOW("pipe", pipe(p)); SHOW("opendir", opendir(".") ? 0 : -1); SHOW("mkdir still works", mkdir("d", 0755));
  }
}
CASE(nofile_limit_lowered_below_open_fds) {
  touch("f");
  IN_CHILD {
    close_others(); int hi = fcntl(open("f", O_RDONLY), F_DUPFD, 20);
    struct rlimit r = {10, 10}; SHOW("lower below an open fd", setrlimit(RLIMIT_NOFILE, &r));
    SHOW("the high fd still works", fcntl(hi, F_GETFD)); SHOW("dup2 onto it", dup2(0, hi)); SHOW("close it", close(hi));
    SHOW("F_DUPFD 9", fcntl(0, F_DUPFD, 9)); SHOW("then full", fcntl(0, F_DUPFD, 9));
  }
}
CASE(read_write_each_kind) {
  mkdir("d", 0755); mkfifo("p", 0644); symlink("f", "l"); touch("f"); char b[8];
  int d = open("d", O_RDONLY), p = open("p", O_RDWR | O_NONBLOCK), l = open("l", O_PATH | O_NOFOLLOW), o = open("f", O_PATH);
  SHOW("read dir", read(d, b, 8)); SHOW("pread dir", pread(d, b, 8, 0)); SHOW("write dir", write(d, "x", 1));
  SHOW("read empty fifo nonblock", read(p, b, 8)); SHOW("pread fifo", pread(p, b, 8, 0)); SHOW("pwrite fifo", pwrite(p, "x", 1, 0));
  SHOW("read O_PATH symlink", read(l, b, 8)); SHOW("read O_PATH file", read(o, b, 8)); SHOW("write O_PATH file", write(o, "x", 1));
}
CASE(readv_writev_kinds_and_limits) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); char a[4] = "abcd", b[4] = "efgh";
  struct iovec v[3] = {{a, 4}, {NULL, 0}, {b, 4}}; SHOW("writev with an empty iovec", writev(fd, v, 3));
  int volatile many = 1025, neg = -1; SHOW("writev IOV_MAX+1", writev(fd, v, many)); SHOW("writev negative count", writev(fd, v, neg));
  lseek(fd, 0, SEEK_SET); char r1[3], r2[10]; struct iovec rv[2] = {{r1, 3}, {r2, 10}}; SHOW("readv spread", readv(fd, rv, 2));
  FACT("%.3s|%.5s\n", r1, r2); SHOW("preadv at 6", preadv(fd, rv, 2, 6)); FACT("%.2s\n", r1);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(ioctl_fionread_on_files); RUN(ioctl_fioclex_fionbio); RUN(ioctl_unknown_and_tty); RUN(ioctl_figetbsz); RUN(lseek_offset_range);
  RUN(lseek_other_kinds); RUN(lseek_data_hole_past_end); RUN(nofile_limit_each_call); RUN(nofile_limit_lowered_below_open_fds);
  RUN(read_write_each_kind); RUN(readv_writev_kinds_and_limits);
  return 0;
}
