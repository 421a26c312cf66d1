// The character devices a sandbox has in /dev (null, zero, full, random,
// urandom): their types and numbers, what reads, writes, seeks, truncation
// and mmap do on each, the flags open takes on them, and the /dev/fd links
// (device nodes a guest makes: special.c).
#include "probe.h"
#include <sys/mman.h>
#include <sys/sysmacros.h>

static const char *const DEVS[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};

CASE(device_types_and_numbers) {
  struct stat st;
  for (int i = 0; i < 5; i++) {
    if (stat(DEVS[i], &st) != 0) { FACT("%s: %s\n", DEVS[i], strerrorname_np(errno)); continue; }
    FACT("%s: %s %u:%u mode %o\n", DEVS[i], ftype(st.st_mode), major(st.st_rdev), minor(st.st_rdev), st.st_mode & 0777);
  }
}
CASE(dev_null_io) {
  int fd = open("/dev/null", O_RDWR); char b[8];
  SHOW("read", read(fd, b, 8)); SHOW("write", write(fd, "abcdef", 6)); SHOW("pwrite", pwrite(fd, "ab", 2, 100)); SHOW("pread", pread(fd, b, 8, 100));
  SHOW("lseek", lseek(fd, 50, SEEK_SET)); SHOW("lseek SEEK_END", lseek(fd, 0, SEEK_END)); SHOW("ftruncate", ftruncate(fd, 0));
  struct stat st; fstat(fd, &st); FACT("size %ld\n", (long)st.st_size);
}
CASE(dev_zero_io) {
  int fd = open("/dev/zero", O_RDWR); char b[8]; memset(b, 1, sizeof b);
  SHOW("read", read(fd, b, 8)); FACT("zeros %d\n", !b[0] && !b[7]); SHOW("write", write(fd, "abc", 3)); SHOW("pread", pread(fd, b, 8, 1 << 20));
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0); FACT("private map of zeros %d\n", m != MAP_FAILED && !m[0] && !m[4095]);
  char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); FACT("shared map %d\n", s != MAP_FAILED && !s[100]);
}
CASE(dev_full_io) {
  int fd = open("/dev/full", O_RDWR); char b[4] = {1, 1, 1, 1};
  SHOW("write", write(fd, "x", 1)); SHOW("write 0 bytes", write(fd, "", 0)); SHOW("read", read(fd, b, 4)); FACT("zeros %d\n", !b[0] && !b[3]);
  SHOW("lseek", lseek(fd, 10, SEEK_SET));
}
CASE(dev_random_io) {
  char b[64];
  int r = open("/dev/urandom", O_RDONLY); SHOW("urandom read", read(r, b, sizeof b)); SHOW("urandom lseek", lseek(r, 10, SEEK_SET));
  int w = open("/dev/urandom", O_WRONLY); SHOW("urandom write", write(w, "entropy", 7));
  int n = open("/dev/random", O_RDONLY | O_NONBLOCK); SHOW("random nonblocking read", read(n, b, 16));
}
CASE(device_open_flags) {
  struct stat st;
  SHOW("O_DIRECTORY", open("/dev/null", O_RDONLY | O_DIRECTORY)); OK("O_CREAT existing", open("/dev/null", O_CREAT | O_WRONLY, 0644));
  SHOW("O_CREAT|O_EXCL", open("/dev/null", O_CREAT | O_EXCL | O_WRONLY, 0644)); OK("O_TRUNC", open("/dev/null", O_WRONLY | O_TRUNC));
  OK("O_APPEND", open("/dev/zero", O_RDWR | O_APPEND)); SHOW("trailing slash", stat("/dev/null/", &st)); SHOW("below", stat("/dev/null/x", &st));
  SHOW("truncate by path", truncate("/dev/null", 0)); SHOW("readlink", readlink("/dev/null", (char[8]){0}, 8));
}
CASE(dev_fd_links) {
  char b[64] = {0}; struct stat st;
  SHOW("readlink /dev/fd", readlink("/dev/fd", b, sizeof b)); FACT("%s\n", b);
  int fd = open(".", O_RDONLY); char p[64]; snprintf(p, sizeof p, "/dev/fd/%d", fd); SHOW("stat /dev/fd/N", stat(p, &st)); FACT("type %s\n", ftype(st.st_mode));
  snprintf(p, sizeof p, "/dev/fd/%d/x", fd); OK("create below it", open(p, O_CREAT | O_WRONLY, 0644)); SHOW("x exists", access("x", F_OK));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(device_types_and_numbers); RUN(dev_null_io); RUN(dev_zero_io); RUN(dev_full_io); RUN(dev_random_io); RUN(device_open_flags);
  RUN(dev_fd_links);
  return 0;
}
