// The descriptor calls against each kind of open file of the sandbox (a
// regular file, a directory, a FIFO, an O_PATH fd of a file and of a symbolic
// link): fstat and fstatfs, fsync, fadvise, mmap by access mode, fchdir,
// F_SETFL, flock, getdents, and hard links sharing one file.
#include "probe.h"
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/statfs.h>

/** f (O_RDWR), d (dir), p (FIFO, O_RDWR), o (O_PATH of f), l (O_PATH|O_NOFOLLOW of a symlink). */
static int FD[5];
static const char *const NAME[5] = {"file", "dir", "fifo", "O_PATH file", "O_PATH link"};
static void open_kinds(void) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "0123456789", 10); FD[0] = fd;
  mkdir("d", 0755); FD[1] = open("d", O_RDONLY | O_DIRECTORY); mkfifo("p", 0644); FD[2] = open("p", O_RDWR | O_NONBLOCK);
  FD[3] = open("f", O_PATH); symlink("f", "l"); FD[4] = open("l", O_PATH | O_NOFOLLOW);
}
static void close_kinds(void) { for (int i = 0; i < 5; i++) close(FD[i]); }
#define EACH_FD(label, expr) do { open_kinds(); char _l[64]; \
  for (int _i = 0; _i < 5; _i++) { int fd = FD[_i]; (void)fd; snprintf(_l, sizeof _l, "%s %s", label, NAME[_i]); SHOW(_l, expr); } close_kinds(); } while (0)

CASE(fstat_each_fd_kind) {
  open_kinds(); struct stat st;
  for (int i = 0; i < 5; i++) { if (fstat(FD[i], &st) == 0) FACT("%s: %s %o\n", NAME[i], ftype(st.st_mode), st.st_mode & 07777); else FACT("%s: %s\n", NAME[i], strerrorname_np(errno)); }
  close_kinds();
}
CASE(fstatat_empty_path_each_fd_kind) {
  open_kinds(); struct stat st;
  for (int i = 0; i < 5; i++) {
    if (fstatat(FD[i], "", &st, AT_EMPTY_PATH) == 0) FACT("%s: %s\n", NAME[i], ftype(st.st_mode)); else FACT("%s: %s\n", NAME[i], strerrorname_np(errno));
  }
  close_kinds();
}
CASE(fstatfs_each_fd_kind) { struct statfs s; EACH_FD("fstatfs", fstatfs(fd, &s)); }
CASE(fsync_each_fd_kind) { EACH_FD("fsync", fsync(fd)); EACH_FD("fdatasync", fdatasync(fd)); }
CASE(fadvise_each_fd_kind) { EACH_FD("fadvise", syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_WILLNEED)); }
CASE(fchdir_each_fd_kind) { char cwd[4096]; getcwd(cwd, sizeof cwd); open_kinds(); char l[64];
  for (int i = 0; i < 5; i++) { snprintf(l, sizeof l, "fchdir %s", NAME[i]); SHOW(l, fchdir(FD[i])); chdir(cwd); } close_kinds(); }
CASE(setfl_append_each_fd_kind) { EACH_FD("F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND)); EACH_FD("F_GETFL has O_PATH", (fcntl(fd, F_GETFL) & O_PATH) != 0); }
CASE(flock_each_fd_kind) { EACH_FD("flock", flock(fd, LOCK_EX | LOCK_NB)); }
CASE(getdents_each_fd_kind) { char b[512]; EACH_FD("getdents64 lists", ({ long n = syscall(SYS_getdents64, fd, b, sizeof b); n > 0 ? 1 : n; })); }
CASE(ftruncate_and_fallocate_each_fd_kind) { EACH_FD("ftruncate", ftruncate(fd, 4)); EACH_FD("fallocate", fallocate(fd, 0, 0, 4)); }
CASE(mmap_each_fd_kind) {
  EACH_FD("mmap shared read", ({ void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0); m == MAP_FAILED ? -1 : (munmap(m, 4096), 0); }));
}
CASE(mmap_access_modes) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); close(fd);
  int r = open("f", O_RDONLY), w = open("f", O_WRONLY), a = open("f", O_RDWR | O_APPEND);
#define MAP(label, prot, flags, fd) do { void *m = mmap(NULL, 4096, prot, flags, fd, 0); \
    if (m == MAP_FAILED) printf("%s = -1 %s\n", label, strerrorname_np(errno)); else { printf("%s = ok\n", label); munmap(m, 4096); } } while (0)
  MAP("O_RDONLY shared read", PROT_READ, MAP_SHARED, r); MAP("O_RDONLY shared write", PROT_READ | PROT_WRITE, MAP_SHARED, r);
  MAP("O_RDONLY private write", PROT_READ | PROT_WRITE, MAP_PRIVATE, r); MAP("O_WRONLY shared read", PROT_READ, MAP_SHARED, w);
  MAP("O_WRONLY private read", PROT_READ, MAP_PRIVATE, w); MAP("O_APPEND shared write", PROT_READ | PROT_WRITE, MAP_SHARED, a);
  MAP("O_APPEND shared read", PROT_READ, MAP_SHARED, a); MAP("O_RDONLY exec", PROT_READ | PROT_EXEC, MAP_PRIVATE, r);
  void *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, r, 0); SHOW("mprotect to write", mprotect(m, 4096, PROT_READ | PROT_WRITE));
  void *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, r, 0); SHOW("mprotect private to write", mprotect(q, 4096, PROT_READ | PROT_WRITE));
}
static void show_map(const char *label, size_t len, int prot, int flags, int fd, off_t off) {
  void *m = mmap(NULL, len, prot, flags, fd, off);
  if (m == MAP_FAILED) printf("%s = -1 %s\n", label, strerrorname_np(errno)); else { printf("%s = ok\n", label); munmap(m, len); }
}
CASE(mmap_offsets_and_sizes) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3);
  show_map("length 0", 0, PROT_READ, MAP_SHARED, fd, 0); show_map("unaligned offset", 4096, PROT_READ, MAP_SHARED, fd, 1);
  show_map("offset past end", 4096, PROT_READ, MAP_SHARED, fd, 1L << 40); show_map("negative offset", 4096, PROT_READ, MAP_SHARED, fd, -4096);
  show_map("neither shared nor private", 4096, PROT_READ, 0, fd, 0); show_map("bad fd", 4096, PROT_READ, MAP_SHARED, 999, 0);
  char *c = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0); FACT("tail of the page is zero: %d\n", c != MAP_FAILED && c[3] == 0 && c[4095] == 0);
}
CASE(hard_links_share_everything) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); link("f", "g"); mkdir("d", 0755); link("f", "d/h");
  write(fd, "via f", 5); char b[8] = {0}; int g = open("g", O_RDONLY); read(g, b, 5); FACT("g reads %s\n", b);
  chmod("d/h", 0600); struct stat st; stat("g", &st); FACT("mode via g %o nlink %ld\n", st.st_mode & 07777, (long)st.st_nlink);
  truncate("g", 2); fstat(fd, &st); FACT("size via fd %ld\n", (long)st.st_size);
  unlink("f"); unlink("g"); stat("d/h", &st); FACT("last name nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
}
CASE(hard_link_errors_by_kind) {
  touch("f"); mkdir("d", 0755); int fd = open("f", O_RDONLY);
  SHOW("link into a file", link("f", "f/x")); SHOW("link from a dangling link path", link("nope/x", "y"));
  SHOW("link name too long", ({ char n[300]; memset(n, 'a', 299); n[299] = 0; link("f", n); }));
  SHOW("link with empty new", link("f", "")); SHOW("linkat from bad fd", linkat(999, "f", AT_FDCWD, "z", 0));
  SHOW("linkat AT_EMPTY_PATH on dir fd", linkat(open("d", O_RDONLY), "", AT_FDCWD, "dd", AT_EMPTY_PATH));
  SHOW("linkat AT_EMPTY_PATH on file fd", linkat(fd, "", AT_FDCWD, "ff", AT_EMPTY_PATH));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(fstat_each_fd_kind); RUN(fstatat_empty_path_each_fd_kind); RUN(fstatfs_each_fd_kind); RUN(fsync_each_fd_kind);
  RUN(fadvise_each_fd_kind); RUN(fchdir_each_fd_kind); RUN(setfl_append_each_fd_kind); RUN(flock_each_fd_kind);
  RUN(getdents_each_fd_kind); RUN(ftruncate_and_fallocate_each_fd_kind); RUN(mmap_each_fd_kind); RUN(mmap_access_modes);
  RUN(mmap_offsets_and_sizes); RUN(hard_links_share_everything); RUN(hard_link_errors_by_kind);
  return 0;
}
