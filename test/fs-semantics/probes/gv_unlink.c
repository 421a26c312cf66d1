// Ideas from gVisor's unlink.cc and LTP's unlink/rmdir tests, written anew:
// an unlinked file cannot be given a name again, names going one by one
// under open fds, a mapping outliving the name, removals through dirfds,
// a tree taken down with *at calls, and a cwd inside a removed directory.
#include "probe.h"
#include <sys/mman.h>

static long nlink_fd(int fd) { struct stat st; return fstat(fd, &st) ? -1 : (long)st.st_nlink; }
static void put(const char *p, const char *s) { int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644); write(fd, s, strlen(s)); close(fd); }
static int entries(int dfd) {
  char buf[4096]; int n = 0; long r; lseek(dfd, 0, SEEK_SET);
  while ((r = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) n++;
  return r < 0 ? -errno : n;
}

CASE(relink_unlinked_file) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "x", 1); unlink("f");
  SHOW("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
  char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd); SHOW("linkat through /proc/self/fd", linkat(AT_FDCWD, p, AT_FDCWD, "back2", AT_SYMLINK_FOLLOW));
  SHOW("back made", access("back", F_OK)); FACT("nlink %ld\n", nlink_fd(fd));
  put("g", "y"); int g = open("g", O_RDONLY); SHOW("linkat of a named file's fd", linkat(g, "", AT_FDCWD, "g2", AT_EMPTY_PATH)); FACT("nlink %ld\n", nlink_fd(g));
}
CASE(names_go_one_by_one_under_fds) {
  put("a", "data"); link("a", "b"); link("a", "c"); int fa = open("a", O_RDONLY), fb = open("b", O_RDWR), fc = open("c", O_WRONLY);
  FACT("start %ld\n", nlink_fd(fa)); unlink("b"); FACT("after b %ld %ld %ld\n", nlink_fd(fa), nlink_fd(fb), nlink_fd(fc));
  unlink("a"); FACT("after a %ld\n", nlink_fd(fb)); SHOW("write through c's fd", write(fc, "DA", 2)); char x[8] = {0}; pread(fa, x, 7, 0);
  FACT("a's fd reads %s\n", x); unlink("c"); FACT("after c %ld\n", nlink_fd(fc)); SHOW("stat c", access("c", F_OK));
}
CASE(mapping_outlives_name) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); ftruncate(fd, 4096); char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  memcpy(m, "mapped", 6); unlink("f"); close(fd); memcpy(m + 6, "+more", 5);
  FACT("mapping %.11s\n", m); SHOW("msync", msync(m, 4096, MS_SYNC)); SHOW("name gone", access("f", F_OK));
  put("f", "new"); char b[8] = {0}; int g = open("f", O_RDONLY); read(g, b, 7); FACT("new file %s\n", b); munmap(m, 4096);
}
CASE(unlink_then_recreate_name) {
  put("f", "old"); int fd = open("f", O_RDWR); struct stat a, b; fstat(fd, &a); unlink("f"); put("f", "newer");
  stat("f", &b); FACT("same inode %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev); write(fd, "OLD", 3);
  char x[8] = {0}; int g = open("f", O_RDONLY); read(g, x, 7); FACT("name reads %s\n", x); memset(x, 0, 8); pread(fd, x, 7, 0); FACT("fd reads %s\n", x);
  FACT("old nlink %ld new nlink %ld\n", nlink_fd(fd), nlink_fd(g));
}
CASE(unlinkat_through_dirfds) {
  mkdir("d", 0755); touch("d/a"); touch("d/b"); touch("d/c"); mkdir("d/s", 0755); mkdir("e", 0755);
  int r = open("d", O_RDONLY), p = open("d", O_PATH), e = open("e", O_RDONLY), f = open("d/a", O_RDONLY);
  SHOW("rdonly dirfd", unlinkat(r, "a", 0)); SHOW("O_PATH dirfd", unlinkat(p, "b", 0)); SHOW("file fd", unlinkat(f, "c", 0));
  SHOW("O_PATH dirfd, dir", unlinkat(p, "s", AT_REMOVEDIR)); SHOW("dirfd ..", unlinkat(r, "../d/c", 0));
  rmdir("e"); SHOW("removed dirfd", unlinkat(e, "x", 0)); SHOW("removed dirfd, dir", unlinkat(e, "x", AT_REMOVEDIR)); FACT("left %d\n", entries(r));
}
CASE(empty_dir_via_dirfd_then_rmdir) {
  mkdir("d", 0755); for (int i = 0; i < 20; i++) { char n[16]; snprintf(n, sizeof n, "d/f%02d", i); touch(n); } mkdir("d/s", 0755);
  int d = open("d", O_RDONLY | O_DIRECTORY); FACT("entries %d\n", entries(d));
  for (int i = 0; i < 20; i++) { char n[8]; snprintf(n, sizeof n, "f%02d", i); unlinkat(d, n, 0); }
  FACT("after unlinking files %d\n", entries(d)); SHOW("rmdir nonempty", rmdir("d")); unlinkat(d, "s", AT_REMOVEDIR); FACT("after subdir %d\n", entries(d));
  SHOW("rmdir with fd open", rmdir("d")); FACT("removed dir's listing %d\n", entries(d)); SHOW("fchdir into it", fchdir(d)); char b[256];
  SHOW("getcwd", getcwd(b, sizeof b) ? 0 : -1);
}
CASE(remove_tree_with_dirfds) {
  char p[64] = "t"; mkdir(p, 0755);
  for (int i = 0; i < 5; i++) { char f[80]; snprintf(f, sizeof f, "%s/file", p); touch(f); strcat(p, "/sub"); mkdir(p, 0755); }
  int fds[6]; fds[0] = open("t", O_RDONLY); for (int i = 1; i < 6; i++) fds[i] = openat(fds[i - 1], "sub", O_RDONLY);
  for (int i = 5; i >= 0; i--) {
    unlinkat(fds[i], "file", 0); if (i < 5) SHOW("rmdir sub", unlinkat(fds[i], "sub", AT_REMOVEDIR));
    FACT("level %d entries %d\n", i, entries(fds[i]));
  }
  SHOW("rmdir t", rmdir("t")); FACT("level 5 after %d nlink %ld\n", entries(fds[5]), nlink_fd(fds[5]));
}
CASE(unlink_name_lengths) {
  char n255[256], n256[257]; memset(n255, 'u', 255); n255[255] = 0; memset(n256, 'u', 256); n256[256] = 0; touch(n255);
  SHOW("unlink 256", unlink(n256)); SHOW("rmdir 256", rmdir(n256)); SHOW("unlink 255", unlink(n255)); SHOW("again", unlink(n255));
  mkdir(n255, 0755); SHOW("unlink dir 255", unlink(n255)); SHOW("rmdir 255", rmdir(n255));
}
CASE(unlinked_write_only_and_reader) {
  int r = open("f", O_CREAT | O_RDONLY, 0644), w = open("f", O_WRONLY); unlink("f");
  SHOW("write", write(w, "written", 7)); char b[16] = {0}; SHOW("read", read(r, b, 15)); FACT("%s\n", b);
  SHOW("ftruncate write fd", ftruncate(w, 3)); struct stat st; fstat(r, &st); FACT("size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
  SHOW("fchmod", fchmod(r, 0600)); fstat(w, &st); FACT("mode %o\n", st.st_mode & 07777);
}
CASE(cwd_in_removed_dir) {
  mkdir("d", 0755); mkdir("d/s", 0755); chdir("d/s"); rmdir("../s"); struct stat st;
  SHOW("stat .", stat(".", &st)); FACT("nlink %ld\n", (long)st.st_nlink); SHOW("stat ..", stat("..", &st));
  SHOW("open ..", open("..", O_RDONLY) >= 0); SHOW("create", open("x", O_CREAT | O_WRONLY, 0644)); SHOW("mkdir", mkdir("y", 0755));
  SHOW("symlink", symlink("t", "z")); SHOW("chdir ..", chdir("..")); SHOW("back in d, s gone", access("s", F_OK)); chdir("..");
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(relink_unlinked_file); RUN(names_go_one_by_one_under_fds); RUN(mapping_outlives_name); RUN(unlink_then_recreate_name);
  RUN(unlinkat_through_dirfds); RUN(empty_dir_via_dirfd_then_rmdir); RUN(remove_tree_with_dirfds); RUN(unlink_name_lengths);
  RUN(unlinked_write_only_and_reader); RUN(cwd_in_removed_dir);
  return 0;
}
