// File descriptors: fcntl flags, dup/dup2/dup3, F_DUPFD*, close, close_range.
#include "probe.h"
#include <linux/close_range.h>
#include <signal.h>
#include <sys/wait.h>

static int mkfile(const char *p, const char *data) {
  int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (data) write(fd, data, strlen(data));
  return fd;
}
/** The status flags F_GETFL reports, without O_LARGEFILE (which only says the kernel is 64-bit). */
static long getfl(int fd) { long f = fcntl(fd, F_GETFL); return f < 0 ? f : f & ~O_LARGEFILE; }

CASE(getfl_access_modes) {
  close(mkfile("f", NULL));
  int r = open("f", O_RDONLY), w = open("f", O_WRONLY), rw = open("f", O_RDWR);
  FACT("rdonly %lo wronly %lo rdwr %lo\n", getfl(r), getfl(w), getfl(rw));
}
CASE(getfl_creation_flags_not_kept) {
  int fd = open("f", O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_RDWR, 0644);
  FACT("flags %lo\n", getfl(fd));
}
CASE(getfl_open_status_flags) {
  close(mkfile("f", NULL));
  int a = open("f", O_WRONLY | O_APPEND), n = open("f", O_RDONLY | O_NONBLOCK), s = open("f", O_RDWR | O_SYNC);
  int d = open("f", O_RDWR | O_DSYNC), na = open("f", O_RDONLY | O_NOATIME), c = open("f", O_RDONLY | O_CLOEXEC);
  FACT("append %lo nonblock %lo sync %lo dsync %lo noatime %lo cloexec %lo\n", getfl(a), getfl(n), getfl(s), getfl(d),
       getfl(na), getfl(c));
}
CASE(getfl_directory) {
  int a = open(".", O_RDONLY), b = open(".", O_RDONLY | O_DIRECTORY), c = open(".", O_RDONLY | O_NONBLOCK);
  FACT("plain %lo O_DIRECTORY %lo O_NONBLOCK %lo\n", getfl(a), getfl(b), getfl(c));
}
CASE(setfl_append_and_nonblock) {
  int fd = mkfile("f", "abc");
  SHOW("F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND)); FACT("flags %lo\n", getfl(fd));
  lseek(fd, 0, SEEK_SET); write(fd, "d", 1); FACT("pos after append write %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  SHOW("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK)); FACT("flags %lo\n", getfl(fd));
  lseek(fd, 0, SEEK_SET); write(fd, "X", 1);
  char b[8] = {0}; pread(fd, b, 8, 0); FACT("content %s\n", b);
}
CASE(setfl_ignored_flags) {
  int fd = mkfile("f", NULL);
  SHOW("F_SETFL access mode and creation flags", fcntl(fd, F_SETFL, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL));
  FACT("flags %lo\n", getfl(fd));
  SHOW("F_SETFL O_SYNC", fcntl(fd, F_SETFL, O_SYNC)); FACT("flags %lo\n", getfl(fd));
  SHOW("F_SETFL O_NOATIME", fcntl(fd, F_SETFL, O_NOATIME)); FACT("flags %lo\n", getfl(fd));
  SHOW("F_SETFL 0", fcntl(fd, F_SETFL, 0)); FACT("flags %lo\n", getfl(fd));
}
CASE(setfl_shared_by_dup) {
  int fd = mkfile("f", NULL), d = dup(fd);
  fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK); FACT("dup sees %lo\n", getfl(d));
  int o = open("f", O_RDWR); FACT("other open sees %lo\n", getfl(o));
}
CASE(setfl_directory) {
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK)); FACT("flags %lo\n", getfl(fd));
}
CASE(getfd_setfd) {
  int fd = mkfile("f", NULL), c = open("f", O_RDONLY | O_CLOEXEC);
  SHOW("F_GETFD plain", fcntl(fd, F_GETFD)); SHOW("F_GETFD O_CLOEXEC", fcntl(c, F_GETFD));
  SHOW("F_SETFD 1", fcntl(fd, F_SETFD, FD_CLOEXEC)); SHOW("F_GETFD", fcntl(fd, F_GETFD));
  SHOW("F_SETFD 0", fcntl(c, F_SETFD, 0)); SHOW("F_GETFD", fcntl(c, F_GETFD));
  SHOW("F_SETFD other bits", fcntl(fd, F_SETFD, 0xfe)); SHOW("F_GETFD", fcntl(fd, F_GETFD));
}
CASE(cloexec_not_shared_by_dup) {
  int fd = open(".", O_RDONLY | O_CLOEXEC), d = dup(fd);
  SHOW("original", fcntl(fd, F_GETFD)); SHOW("dup", fcntl(d, F_GETFD));
}
CASE(fcntl_bad_fd_and_cmd) {
  SHOW("F_GETFL -1", fcntl(-1, F_GETFL)); SHOW("F_GETFL 999", fcntl(999, F_GETFL)); SHOW("F_SETFD 999", fcntl(999, F_SETFD, 0));
  int fd = mkfile("f", NULL); SHOW("unknown cmd", fcntl(fd, 9999));
}
CASE(dupfd_min) {
  int fd = mkfile("f", NULL);
  long a = fcntl(fd, F_DUPFD, 100), b = fcntl(fd, F_DUPFD, 100), c = fcntl(fd, F_DUPFD_CLOEXEC, 200);
  FACT("first %ld second %ld cloexec %ld\n", a, b, c);
  SHOW("F_GETFD dupfd", fcntl((int)a, F_GETFD)); SHOW("F_GETFD dupfd_cloexec", fcntl((int)c, F_GETFD));
  SHOW("same file", syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, fd, (int)c));
}
CASE(dupfd_limits) {
  int fd = mkfile("f", NULL);
  SHOW("negative min", fcntl(fd, F_DUPFD, -1)); SHOW("min at RLIMIT_NOFILE", fcntl(fd, F_DUPFD, 1 << 30));
  SHOW("bad fd", fcntl(999, F_DUPFD, 0));
}
CASE(dup_shares_offset) {
  int fd = mkfile("f", "0123456789"), d = dup(fd);
  lseek(fd, 3, SEEK_SET); FACT("dup offset %ld\n", (long)lseek(d, 0, SEEK_CUR));
  char b[3] = {0}; read(d, b, 2); FACT("read %s original offset %ld\n", b, (long)lseek(fd, 0, SEEK_CUR));
  int o = open("f", O_RDONLY); FACT("second open offset %ld\n", (long)lseek(o, 0, SEEK_CUR));
}
CASE(dup_bad_fd) { SHOW("dup -1", dup(-1)); SHOW("dup 999", dup(999)); }
CASE(dup2_cases) {
  int fd = mkfile("f", "abc"), other = open(".", O_RDONLY);
  SHOW("dup2 to self returns it", dup2(fd, fd) == fd); SHOW("dup2 bad old", dup2(999, 50)); SHOW("dup2 bad old to self", dup2(999, 999));
  SHOW("dup2 onto open fd returns it", dup2(fd, other) == other); struct stat st; fstat(other, &st); FACT("replaced is %s\n", ftype(st.st_mode));
  SHOW("dup2 negative new", dup2(fd, -1)); SHOW("dup2 huge new", dup2(fd, 1 << 30));
}
CASE(dup2_clears_cloexec) {
  int fd = open(".", O_RDONLY | O_CLOEXEC); dup2(fd, 60); SHOW("F_GETFD of copy", fcntl(60, F_GETFD));
}
CASE(dup3_cases) {
  int fd = mkfile("f", NULL);
  SHOW("dup3 same fd", dup3(fd, fd, 0)); SHOW("dup3 same fd cloexec", dup3(fd, fd, O_CLOEXEC));
  SHOW("dup3 bad flags", dup3(fd, 70, O_NONBLOCK)); SHOW("dup3 bad old", dup3(999, 70, 0));
  SHOW("dup3 O_CLOEXEC", dup3(fd, 71, O_CLOEXEC)); SHOW("F_GETFD", fcntl(71, F_GETFD));
  SHOW("dup3 plain", dup3(fd, 72, 0)); SHOW("F_GETFD", fcntl(72, F_GETFD));
}
CASE(dup_of_directory_keeps_cursor) {
  touch("a"); touch("b"); touch("c");
  int fd = open(".", O_RDONLY | O_DIRECTORY); char buf[4096];
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf); int d = dup(fd);
  SHOW("listing not empty", n > 0); SHOW("dup at end", syscall(SYS_getdents64, d, buf, sizeof buf));
  lseek(d, 0, SEEK_SET); FACT("rewind through dup lists again %d\n", syscall(SYS_getdents64, fd, buf, sizeof buf) == n);
}
CASE(close_cases) {
  int fd = mkfile("f", NULL);
  SHOW("close", close(fd)); SHOW("close again", close(fd)); SHOW("close -1", close(-1)); SHOW("close huge", close(1 << 30));
  SHOW("use after close", fcntl(fd, F_GETFD));
}
CASE(close_keeps_dup) {
  int fd = mkfile("f", "xyz"), d = dup(fd); close(fd);
  char b[4] = {0}; SHOW("pread on dup", pread(d, b, 3, 0)); FACT("read %s\n", b);
}
CASE(close_range_basic) {
  int fd = mkfile("f", NULL);
  for (int i = 80; i < 90; i++) dup2(fd, i);
  SHOW("close_range 82..85", syscall(SYS_close_range, 82, 85, 0));
  for (int i = 80; i < 90; i++) FACT("%d:%d ", i, fcntl(i, F_GETFD) >= 0);
  FACT("\n");
  SHOW("close_range empty gap", syscall(SYS_close_range, 82, 85, 0));
  SHOW("close_range to max", syscall(SYS_close_range, 88, ~0U, 0)); FACT("88 %d 89 %d 87 %d\n", fcntl(88, F_GETFD) >= 0,
      fcntl(89, F_GETFD) >= 0, fcntl(87, F_GETFD) >= 0);
}
CASE(close_range_cloexec) {
  int fd = mkfile("f", NULL);
  for (int i = 90; i < 95; i++) dup2(fd, i);
  SHOW("CLOSE_RANGE_CLOEXEC", syscall(SYS_close_range, 91, 93, CLOSE_RANGE_CLOEXEC));
  for (int i = 90; i < 95; i++) FACT("%d:%ld ", i, (long)fcntl(i, F_GETFD));
  FACT("\n");
}
CASE(close_range_bad_args) {
  SHOW("first > last", syscall(SYS_close_range, 10, 5, 0)); SHOW("bad flags", syscall(SYS_close_range, 100, 101, 0x80));
  SHOW("unshare flag", syscall(SYS_close_range, 1000, 1001, CLOSE_RANGE_UNSHARE));
}
CASE(fork_shares_description) {
  int fd = mkfile("f", "0123456789");
  pid_t p = fork();
  if (p == 0) { lseek(fd, 7, SEEK_SET); _exit(0); }
  int st; waitpid(p, &st, 0); FACT("offset after child seek %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  p = fork();
  if (p == 0) { fcntl(fd, F_SETFL, O_APPEND); _exit(0); }
  waitpid(p, &st, 0); FACT("flags set by child %lo\n", getfl(fd));
}
CASE(fd_flags_after_fork_and_close) {
  int fd = mkfile("f", NULL); fcntl(fd, F_SETFD, FD_CLOEXEC);
  pid_t p = fork();
  if (p == 0) _exit(fcntl(fd, F_GETFD) == FD_CLOEXEC && close(fd) == 0 ? 0 : 1);
  int st; waitpid(p, &st, 0); FACT("child saw cloexec and closed %d\n", WEXITSTATUS(st) == 0);
  SHOW("parent still has it", fcntl(fd, F_GETFD));
}
CASE(lowest_free_fd) {
  int a = mkfile("f", NULL), b = open("f", O_RDONLY), c = open("f", O_RDONLY);
  close(b); int n = open("f", O_RDONLY); FACT("reuses lowest %d\n", n == b);
  close(a); n = open(".", O_RDONLY); FACT("directory takes lowest %d\n", n == a); (void)c;
}

CASE(leases) {
  close(mkfile("f", NULL)); int r = open("f", O_RDONLY);
  SHOW("F_GETLEASE none", fcntl(r, F_GETLEASE)); SHOW("F_SETLEASE F_RDLCK", fcntl(r, F_SETLEASE, F_RDLCK));
  SHOW("F_GETLEASE", fcntl(r, F_GETLEASE)); SHOW("F_SETLEASE F_UNLCK", fcntl(r, F_SETLEASE, F_UNLCK));
  SHOW("F_SETLEASE bad type", fcntl(r, F_SETLEASE, 7));
  int w = open("f", O_RDWR); SHOW("write lease with another open", fcntl(w, F_SETLEASE, F_WRLCK));
  SHOW("read lease with a writer open", fcntl(r, F_SETLEASE, F_RDLCK));
  SHOW("lease on dir", fcntl(open(".", O_RDONLY), F_SETLEASE, F_RDLCK));
}
CASE(write_lease_alone) {
  int fd = mkfile("f", NULL); close(fd); fd = open("f", O_RDWR);
  SHOW("F_SETLEASE F_WRLCK", fcntl(fd, F_SETLEASE, F_WRLCK)); SHOW("F_GETLEASE", fcntl(fd, F_GETLEASE));
}
CASE(owner_and_signal) {
  int fd = mkfile("f", NULL);
  SHOW("F_GETOWN", fcntl(fd, F_GETOWN)); SHOW("F_SETOWN self", fcntl(fd, F_SETOWN, getpid())); SHOW("F_GETOWN is self", fcntl(fd, F_GETOWN) == getpid());
  SHOW("F_GETSIG", fcntl(fd, F_GETSIG)); SHOW("F_SETSIG", fcntl(fd, F_SETSIG, SIGUSR1)); SHOW("F_GETSIG", fcntl(fd, F_GETSIG));
  SHOW("F_SETSIG bad", fcntl(fd, F_SETSIG, 99999));
  SHOW("F_SETFL O_ASYNC", fcntl(fd, F_SETFL, O_ASYNC)); FACT("flags %lo\n", getfl(fd));
}
CASE(direct_io) {
  int fd = open("f", O_CREAT | O_RDWR | O_DIRECT, 0644);
  FACT("O_DIRECT open %d flags %lo\n", fd >= 0, fd >= 0 ? getfl(fd) : 0);
  void *buf = NULL; posix_memalign(&buf, 4096, 4096); memset(buf, 'd', 4096);
  SHOW("aligned write", pwrite(fd, buf, 4096, 0)); SHOW("aligned read", pread(fd, buf, 4096, 0));
  int plain = open("f", O_RDWR); SHOW("F_SETFL O_DIRECT", fcntl(plain, F_SETFL, O_DIRECT)); FACT("flags %lo\n", getfl(plain));
}
CASE(seals_on_sandbox_files) {
  int fd = mkfile("f", "x");
  // tmpfs answers EPERM (its files are sealed against sealing), filesystems without seals EINVAL: both refuse.
  long r = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE); FACT("F_ADD_SEALS refused %d\n", r == -1 && (errno == EPERM || errno == EINVAL));
  SHOW("write still works", write(fd, "y", 1)); SHOW("ftruncate still works", ftruncate(fd, 0));
}

CASE(close_range_with_directories) {
  touch("a"); int d = open(".", O_RDONLY | O_DIRECTORY); dup2(d, 120); dup2(d, 121);
  char buf[4096]; syscall(SYS_getdents64, 120, buf, sizeof buf);
  SHOW("close_range 120..120", syscall(SYS_close_range, 120, 120, 0));
  SHOW("dup 121 shares the cursor at end", syscall(SYS_getdents64, 121, buf, sizeof buf));
  SHOW("120 closed", fcntl(120, F_GETFD)); SHOW("original still open", fcntl(d, F_GETFD));
}
int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(getfl_access_modes); RUN(getfl_creation_flags_not_kept); RUN(getfl_open_status_flags); RUN(getfl_directory);
  RUN(setfl_append_and_nonblock); RUN(setfl_ignored_flags); RUN(setfl_shared_by_dup); RUN(setfl_directory);
  RUN(getfd_setfd); RUN(cloexec_not_shared_by_dup); RUN(fcntl_bad_fd_and_cmd); RUN(dupfd_min); RUN(dupfd_limits);
  RUN(dup_shares_offset); RUN(dup_bad_fd); RUN(dup2_cases); RUN(dup2_clears_cloexec); RUN(dup3_cases);
  RUN(dup_of_directory_keeps_cursor); RUN(close_cases); RUN(close_keeps_dup); RUN(close_range_basic);
  RUN(close_range_cloexec); RUN(close_range_bad_args); RUN(fork_shares_description); RUN(fd_flags_after_fork_and_close);
  RUN(lowest_free_fd); RUN(leases); RUN(write_lease_alone); RUN(owner_and_signal); RUN(direct_io); RUN(seals_on_sandbox_files);
  RUN(close_range_with_directories);
  return 0;
}
