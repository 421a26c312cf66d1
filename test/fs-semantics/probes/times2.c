// More of what each operation does to atime, mtime and ctime (as relations,
// never the times): calls that fail change nothing, reads by other paths
// (pread, readv, mmap, splice, readlink), FIFOs, operations through fds,
// fallocate's modes, and the times of files a rename replaces or moves.
#include "probe.h"
#include "times.h"
#include "as.h"
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/xattr.h>

static struct stat fsnap(int fd) { struct stat st; memset(&st, 0, sizeof st); fstat(fd, &st); return st; }
static int mkf(const char *p, const char *data) {
  int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (data) write(fd, data, strlen(data));
  lseek(fd, 0, SEEK_SET);
  return fd;
}
#define WATCHFD(label, fd, op) do { struct stat _a = fsnap(fd); op; changes(label, _a, fsnap(fd)); } while (0)

CASE(times_failed_namespace_calls) {
  mkdir("d", 0755); close(mkf("d/f", NULL)); mkdir("d/sub", 0755); close(mkf("d/sub/x", NULL)); age("d");
  WATCH1("d", SHOW("mkdir existing", mkdir("d/f", 0755))); WATCH1("d", SHOW("unlink missing", unlink("d/none")));
  WATCH1("d", SHOW("rmdir non-empty", rmdir("d/sub"))); WATCH1("d", SHOW("rename missing", rename("d/none", "d/g")));
  WATCH1("d", SHOW("O_EXCL existing", open("d/f", O_CREAT | O_EXCL | O_WRONLY, 0644))); WATCH1("d", SHOW("link existing", link("d/f", "d/f")));
}
CASE(times_failed_attribute_calls) {
  close(mkf("f", NULL)); setxattr("f", "user.a", "v", 1, 0); age("f");
  WATCH1("f", SHOW("XATTR_CREATE existing", setxattr("f", "user.a", "w", 1, XATTR_CREATE)));
  WATCH1("f", SHOW("remove missing xattr", removexattr("f", "user.none")));
  struct timespec bad[2] = {{0, -1}, {0, 0}}; WATCH1("f", SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "f", bad, 0)));
  WATCH1("f", SHOW("truncate negative", truncate("f", -1)));
  AS(65534, 65534, 65534) { WATCH1("f", SHOW("chmod not owner", chmod("f", 0600))); }
}
CASE(times_on_pread_and_readv) {
  int fd = mkf("f", "abcdef"); char b[8]; read(fd, b, 1); age("f"); WATCH1("f", pread(fd, b, 3, 1));
  age("f"); struct iovec v[2] = {{b, 2}, {b + 2, 2}}; WATCH1("f", readv(fd, v, 2));
  age("f"); WATCH1("f", pread(fd, b, 0, 0));
}
CASE(times_on_mmap_read) {
  int fd = mkf("f", "abcdef"); age("f");
  WATCH1("f", ({ char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0); volatile char c = m[1]; (void)c; munmap(m, 4096); }));
}
CASE(times_on_splice_read) {
  int fd = mkf("f", "abcdef"); int p[2]; pipe(p); age("f"); WATCH1("f", splice(fd, NULL, p[1], NULL, 4, 0));
  age("f"); char b[8]; read(p[0], b, 4); write(p[1], "wxyz", 4); WATCH1("f", splice(p[0], NULL, fd, NULL, 4, 0));
}
CASE(times_on_readlink) {
  symlink("target", "l"); age("l"); char b[16]; WATCH1("l", readlink("l", b, sizeof b));
  age("l"); struct stat st; WATCH1("l", lstat("l", &st));
  close(open("target", O_CREAT | O_WRONLY, 0644)); age("l"); WATCH1("l", stat("l", &st));
}
CASE(times_on_fifo_io) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); age("p"); WATCH1("p", write(fd, "ab", 2));
  age("p"); char b[4]; WATCH1("p", read(fd, b, 2));
}
CASE(times_on_fd_attribute_calls) {
  int fd = mkf("f", NULL); age("f"); WATCHFD("fchmod", fd, fchmod(fd, 0600));
  age("f"); WATCHFD("fchown", fd, fchown(fd, 1, 1)); age("f"); WATCHFD("fsetxattr", fd, fsetxattr(fd, "user.a", "v", 1, 0));
  age("f"); WATCHFD("ftruncate", fd, ftruncate(fd, 5));
}
CASE(times_on_fallocate_modes) {
  int fd = mkf("f", "abcdefgh"); age("f"); WATCH1("f", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 16384));
  age("f"); WATCH1("f", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4));
  age("f"); WATCH1("f", SHOW("bad mode", fallocate(fd, 0x100, 0, 4)));
}
CASE(times_on_append_write) { int fd = open("f", O_CREAT | O_WRONLY | O_APPEND, 0644); age("f"); WATCH1("f", write(fd, "x", 1)); }
CASE(times_of_replaced_file) {
  int old = mkf("old", NULL); close(mkf("new", NULL)); age("old");
  WATCHFD("replaced", old, rename("new", "old")); struct stat st = fsnap(old); FACT("replaced nlink %ld\n", (long)st.st_nlink);
}
CASE(times_of_moved_dir) {
  mkdir("a", 0755); mkdir("b", 0755); mkdir("a/d", 0755); int fd = open("a/d", O_RDONLY); age("a/d");
  WATCHFD("moved to another dir", fd, rename("a/d", "b/d")); age("b/d"); WATCHFD("renamed in its dir", fd, rename("b/d", "b/e"));
}
CASE(times_on_mknod_and_socket) {
  mkdir("d", 0755); age("d"); WATCH1("d", mkfifo("d/p", 0644));
  age("d"); WATCH1("d", mknod("d/r", S_IFREG | 0644, 0));
}
CASE(times_on_dir_of_opened_file) {
  mkdir("d", 0755); close(mkf("d/f", "abc")); age("d"); age("d/f");
  WATCH2("d", "d/f", close(open("d/f", O_RDWR))); age("d"); WATCH1("d", close(open("d", O_RDONLY)));
}
CASE(times_on_write_zero_and_failed_write) {
  int fd = mkf("f", "abc"), r = open("f", O_RDONLY); age("f");
  WATCH1("f", SHOW("write to O_RDONLY fd", write(r, "x", 1))); WATCH1("f", SHOW("pwrite negative offset", pwrite(fd, "x", 1, -1)));
  WATCH1("f", SHOW("writev no vectors", writev(fd, NULL, 0)));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(times_failed_namespace_calls); RUN(times_failed_attribute_calls); RUN(times_on_pread_and_readv); RUN(times_on_mmap_read);
  RUN(times_on_splice_read); RUN(times_on_readlink); RUN(times_on_fifo_io); RUN(times_on_fd_attribute_calls); RUN(times_on_fallocate_modes);
  RUN(times_on_append_write); RUN(times_of_replaced_file); RUN(times_of_moved_dir); RUN(times_on_mknod_and_socket);
  RUN(times_on_dir_of_opened_file); RUN(times_on_write_zero_and_failed_write);
  return 0;
}
