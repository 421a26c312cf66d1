// O_PATH descriptors: what each call on one gives (most: EBADF; fstat,
// fchdir of a directory, *at calls and F_GETFL work), for a file, a
// directory and a symlink opened with O_NOFOLLOW.
#include "probe.h"
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

/** The calls that need a real open file, on an O_PATH fd. */
static void data_calls(int fd) {
  char b[8];
  SHOW("read", read(fd, b, sizeof b));
  SHOW("write", write(fd, "x", 1));
  SHOW("pread", pread(fd, b, sizeof b, 0));
  SHOW("lseek", lseek(fd, 0, SEEK_SET));
  SHOW("fsync", fsync(fd));
  SHOW("fdatasync", fdatasync(fd));
  SHOW("ftruncate", ftruncate(fd, 0));
  void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  printf("mmap = %s\n", m == MAP_FAILED ? strerrorname_np(errno) : "ok");
  if (m != MAP_FAILED) munmap(m, 4096);
  SHOW("fchmod", fchmod(fd, 0600));
  SHOW("fchown", fchown(fd, 0, 0));
  SHOW("futimens", futimens(fd, NULL));
  SHOW("fgetxattr", fgetxattr(fd, "user.a", b, sizeof b));
  SHOW("fsetxattr", fsetxattr(fd, "user.a", "v", 1, 0));
  SHOW("flistxattr", flistxattr(fd, b, sizeof b));
  SHOW("fremovexattr", fremovexattr(fd, "user.a"));
  int n;
  SHOW("ioctl FIONREAD", ioctl(fd, FIONREAD, &n));
  SHOW("ioctl FS_IOC_GETVERSION", ioctl(fd, 0x80087601, &n));
  SHOW("flock", flock(fd, LOCK_SH));
  struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
  SHOW("F_SETLK", fcntl(fd, F_SETLK, &fl));
  SHOW("F_GETLK", fcntl(fd, F_GETLK, &fl));
  SHOW("F_SETFL", fcntl(fd, F_SETFL, O_NONBLOCK));
  SHOW("fallocate", fallocate(fd, 0, 0, 10));
  int adv = posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL);
  printf("fadvise = %s\n", adv ? strerrorname_np(adv) : "0");
  char d[256];
  SHOW("getdents64", syscall(SYS_getdents64, fd, d, sizeof d));
}

/** What works on an O_PATH fd. */
static void path_calls(int fd) {
  printf("F_GETFL = %#x\n", fcntl(fd, F_GETFL));
  SHOW("F_GETFD", fcntl(fd, F_GETFD));
  struct stat st;
  SHOW("fstat", fstat(fd, &st)); FACT("type %s\n", ftype(st.st_mode));
  SHOW("fstatat empty", fstatat(fd, "", &st, AT_EMPTY_PATH));
  struct statfs sf;
  SHOW("fstatfs", fstatfs(fd, &sf));
  int d = dup(fd);
  OK("dup", d);
  printf("dup F_GETFL = %#x\n", fcntl(d, F_GETFL));
  close(d);
}

CASE(opath_file) {
  int w = open("f", O_CREAT | O_WRONLY, 0644); write(w, "hello", 5); close(w);
  int fd = open("f", O_PATH);
  OK("open", fd);
  path_calls(fd);
  data_calls(fd);
  SHOW("fchdir", fchdir(fd));
  struct stat st; stat("f", &st);
  FACT("mode %o size %ld\n", st.st_mode & 07777, (long)st.st_size);
  close(fd);
}
CASE(opath_dir) {
  mkdir("d", 0755); touch("d/x");
  int fd = open("d", O_PATH | O_DIRECTORY);
  OK("open", fd);
  path_calls(fd);
  data_calls(fd);
  OK("openat child", openat(fd, "x", O_RDONLY));
  struct stat st;
  SHOW("fstatat child", fstatat(fd, "x", &st, 0));
  SHOW("fchdir", fchdir(fd));
  SHOW("stat x after fchdir", stat("x", &st));
  close(fd);
}
CASE(opath_symlink) {
  touch("f"); symlink("f", "l");
  int fd = open("l", O_PATH | O_NOFOLLOW);
  OK("open", fd);
  path_calls(fd);
  data_calls(fd);
  char b[16] = {0};
  SHOW("readlinkat empty", readlinkat(fd, "", b, sizeof b - 1)); FACT("target %s\n", b);
  SHOW("fchdir", fchdir(fd));
  close(fd);
}
CASE(opath_reopen) {
  int w = open("f", O_CREAT | O_WRONLY, 0644); write(w, "hello", 5); close(w);
  int fd = open("f", O_PATH);
  char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  int r = open(p, O_RDONLY);
  OK("reopen read", r);
  char b[8] = {0};
  SHOW("read reopened", read(r, b, sizeof b)); FACT("data %s\n", b);
  int q = open(p, O_PATH);
  OK("reopen O_PATH", q);
  printf("F_GETFL = %#x\n", fcntl(q, F_GETFL));
  SHOW("read O_PATH reopened", read(q, b, sizeof b));
  OK("openat2 O_PATH", syscall(SYS_openat2, AT_FDCWD, "f", &(struct { unsigned long long f, m, r; }){ O_PATH, 0, 0 }, 24));
  int o = syscall(SYS_openat2, AT_FDCWD, "f", &(struct { unsigned long long f, m, r; }){ O_PATH | O_CLOEXEC, 0, 0 }, 24);
  printf("openat2 F_GETFL = %#x\n", fcntl(o, F_GETFL));
  SHOW("openat2 F_GETFD", fcntl(o, F_GETFD));
  SHOW("read openat2", read(o, b, sizeof b));
  SHOW("linkat empty path", linkat(fd, "", AT_FDCWD, "g", AT_EMPTY_PATH));
  struct stat st; stat("f", &st); FACT("nlink %ld\n", (long)st.st_nlink);
}
CASE(opath_fd_numbers) {
  // An O_PATH open takes the lowest free number, as every open does.
  int a = open(".", O_RDONLY), b = open(".", O_RDONLY);
  close(a);
  int fd = open(".", O_PATH);
  FACT("lowest free %d\n", fd == a);
  int c = open(".", O_PATH | O_CLOEXEC);
  FACT("next %d\n", c > b);
  SHOW("cloexec", fcntl(c, F_GETFD));
  SHOW("no cloexec", fcntl(fd, F_GETFD));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(opath_file); RUN(opath_dir); RUN(opath_symlink); RUN(opath_reopen); RUN(opath_fd_numbers);
  return 0;
}
