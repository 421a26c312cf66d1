// Sequences across calls, from ideas of gVisor's open_create.cc, truncate.cc,
// mmap and link tests and LTP's fs tests, written anew: O_TMPFILE given
// names, a mapping cut by a truncation, root against a mode-0 directory, a
// hard link renamed over another, O_CREAT in a set-group-id directory by
// root, and reads that go on across a rename over the name.
#include "probe.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static void show_kind(const char *p) {
  struct stat st; if (lstat(p, &st)) printf("%s: %s\n", p, strerrorname_np(errno));
  else printf("%s: %s %o nlink %ld size %ld\n", p, ftype(st.st_mode), st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0L : (long)st.st_nlink, S_ISREG(st.st_mode) ? (long)st.st_size : 0L);
}
static void put(const char *p, const char *s) { int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644); write(fd, s, strlen(s)); close(fd); }

CASE(tmpfile_given_names) {
  int fd; OK("O_TMPFILE", fd = open(".", O_TMPFILE | O_RDWR, 0640)); write(fd, "tmp", 3);
  SHOW("first name", linkat(fd, "", AT_FDCWD, "one", AT_EMPTY_PATH)); SHOW("second name", linkat(fd, "", AT_FDCWD, "two", AT_EMPTY_PATH)); show_kind("one");
  int x; OK("O_TMPFILE|O_EXCL", x = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600));
  SHOW("name for O_EXCL", linkat(x, "", AT_FDCWD, "three", AT_EMPTY_PATH)); char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", x);
  SHOW("name for O_EXCL through /proc", linkat(AT_FDCWD, p, AT_FDCWD, "four", AT_SYMLINK_FOLLOW)); show_kind("three");
}
static sigjmp_buf jb;
static void on_bus(int s) { (void)s; siglongjmp(jb, 1); }
CASE(mapping_cut_by_truncate) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); ftruncate(fd, 8192); char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  m[0] = 'a'; m[4096] = 'b'; ftruncate(fd, 100); signal(SIGBUS, on_bus);
  volatile int bus = 0; if (sigsetjmp(jb, 1) == 0) { volatile char c = m[4096]; (void)c; } else bus = 1; FACT("second page SIGBUS %d\n", bus);
  FACT("first page byte %c, past size in page %d\n", m[0], m[200]); ftruncate(fd, 8192); FACT("grown again: second page %d\n", m[4096]);
  signal(SIGBUS, SIG_DFL); munmap(m, 8192);
}
CASE(root_against_mode_zero_dir) {
  mkdir("d", 0); touch("f");
  SHOW("create inside", open("d/f", O_CREAT | O_WRONLY, 0644) >= 0); SHOW("mkdir inside", mkdir("d/s", 0755)); SHOW("list", ({ char b[512]; syscall(SYS_getdents64, open("d", O_RDONLY), b, sizeof b) > 0; }));
  SHOW("chdir", chdir("d")); chdir(".."); SHOW("rename into", rename("f", "d/g")); SHOW("access X_OK", access("d", X_OK)); SHOW("access W_OK", access("d", W_OK));
  show_kind("d/g"); show_kind("d");
}
CASE(hard_link_renamed_over_another) {
  put("a", "A"); link("a", "b"); put("c", "C"); link("c", "d");
  SHOW("rename b over d", rename("b", "d")); show_kind("a"); show_kind("c"); show_kind("d"); show_kind("b");
  char x[4] = {0}; int fd = open("d", O_RDONLY); read(fd, x, 3); FACT("d reads %s\n", x); SHOW("rename a over d (same file)", rename("a", "d")); show_kind("a");
}
CASE(root_creates_in_setgid_dir) {
  mkdir("d", 0755); chown("d", 0, 4000); chmod("d", 02775); struct stat st;
  close(open("d/f", O_CREAT | O_WRONLY, 02755)); stat("d/f", &st); FACT("file %o gid %d\n", st.st_mode & 07777, st.st_gid);
  mkdir("d/s", 0755); stat("d/s", &st); FACT("subdir %o gid %d\n", st.st_mode & 07777, st.st_gid);
  symlink("x", "d/l"); lstat("d/l", &st); FACT("symlink gid %d\n", st.st_gid); mknod("d/r", S_IFREG | 02755, 0); stat("d/r", &st); FACT("mknod %o gid %d\n", st.st_mode & 07777, st.st_gid);
  touch("m"); rename("m", "d/m"); stat("d/m", &st); FACT("moved in keeps gid %d\n", st.st_gid);
}
CASE(reads_go_on_across_rename_over) {
  put("f", "0123456789"); int fd = open("f", O_RDONLY); char b[8] = {0}; read(fd, b, 4); FACT("first %s\n", b);
  put("g", "abcdefghij"); rename("g", "f"); memset(b, 0, 8); read(fd, b, 4); FACT("then %s\n", b);
  int h = open("f", O_RDONLY); memset(b, 0, 8); read(h, b, 4); FACT("new open %s\n", b); struct stat a, c; fstat(fd, &a); fstat(h, &c);
  FACT("different files %d old nlink %ld\n", a.st_ino != c.st_ino, (long)a.st_nlink);
}
CASE(grow_write_middle_read) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); ftruncate(fd, 20); pwrite(fd, "mid", 3, 10); char b[24]; memset(b, 'x', sizeof b);
  SHOW("read all", pread(fd, b, sizeof b, 0)); int zeros = 0; for (int i = 0; i < 20; i++) zeros += b[i] == 0; FACT("zeros %d mid %.3s\n", zeros, b + 10);
  ftruncate(fd, 11); memset(b, 'x', sizeof b); SHOW("after shrink", pread(fd, b, sizeof b, 0)); FACT("last %c\n", b[10]);
  ftruncate(fd, 13); SHOW("after regrow", pread(fd, b, sizeof b, 0)); FACT("regrown bytes %d %d\n", b[11], b[12]);
}
CASE(dir_fd_sees_entries_of_renamed_dir) {
  mkdir("d", 0755); int fd = open("d", O_RDONLY | O_DIRECTORY); rename("d", "e"); touch("e/new"); mkdir("d", 0755); touch("d/other");
  SHOW("openat new through old fd", openat(fd, "new", O_RDONLY) >= 0); SHOW("openat other through old fd", openat(fd, "other", O_RDONLY));
  SHOW("unlinkat through old fd", unlinkat(fd, "new", 0)); show_kind("e/new"); show_kind("d/other");
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(tmpfile_given_names); RUN(mapping_cut_by_truncate); RUN(root_against_mode_zero_dir); RUN(hard_link_renamed_over_another);
  RUN(root_creates_in_setgid_dir); RUN(reads_go_on_across_rename_over); RUN(grow_write_middle_read); RUN(dir_fd_sees_entries_of_renamed_dir);
  return 0;
}
