// Files that lost their name (unlinked, or renamed over) reached through an
// open description: reopened through /proc/self/fd with each access mode
// and O_TRUNC, with the permission checks of the file, and the attributes
// of O_PATH descriptions of such files.
#include "probe.h"

static void fd_path(char *out, int fd) { sprintf(out, "/proc/self/fd/%d", fd); }
static void show_read(const char *label, int fd) {
  char b[32] = {0}; errno = 0; ssize_t n = pread(fd, b, sizeof b - 1, 0);
  if (n < 0) FACT("%s: -1 %s\n", label, strerrorname_np(errno)); else FACT("%s: %zd \"%s\"\n", label, n, b);
}
static void show_stat(const char *label, int fd) {
  struct stat st; errno = 0;
  if (fstat(fd, &st) != 0) FACT("%s: -1 %s\n", label, strerrorname_np(errno));
  else FACT("%s: %s %o nlink %ld size %ld\n", label, ftype(st.st_mode), st.st_mode & 07777, (long)st.st_nlink, (long)st.st_size);
}

CASE(reopen_unlinked_each_mode) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "original", 8); char p[64]; fd_path(p, fd); unlink("f");
  int r; OK("reopen O_RDONLY", r = open(p, O_RDONLY)); show_read("reads", r); show_stat("its stat", r);
  int w; OK("reopen O_WRONLY", w = open(p, O_WRONLY)); SHOW("write through it", pwrite(w, "OVER", 4, 0)); show_read("the first fd sees", fd);
  int a; OK("reopen O_APPEND", a = open(p, O_WRONLY | O_APPEND)); SHOW("append", write(a, "+", 1)); show_read("the first fd sees", fd);
  int t; OK("reopen O_RDWR|O_TRUNC", t = open(p, O_RDWR | O_TRUNC)); show_stat("after O_TRUNC", fd);
  SHOW("write after truncation", write(t, "new", 3)); show_read("the first fd sees", fd);
  SHOW("reopen O_DIRECTORY", open(p, O_RDONLY | O_DIRECTORY));
  SHOW("reopen O_CREAT|O_EXCL", open(p, O_CREAT | O_EXCL | O_RDWR, 0644));
  OK("reopen O_CREAT", open(p, O_CREAT | O_RDWR, 0644));
  SHOW("nothing came back", access("f", F_OK));
}
CASE(reopen_readonly_description_with_trunc) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); close(fd);
  int r = open("f", O_RDONLY); char p[64]; fd_path(p, r); unlink("f");
  int t; OK("reopen O_RDONLY|O_TRUNC of a read-only description", t = open(p, O_RDONLY | O_TRUNC)); show_stat("after", r);
}
CASE(reopen_renamed_over_file) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "mine", 4);
  int o = open("other", O_CREAT | O_WRONLY, 0600); write(o, "the other one", 13); close(o);
  char p[64]; fd_path(p, fd); SHOW("rename other over f", rename("other", "f"));
  int r; OK("reopen", r = open(p, O_RDONLY)); show_read("reads", r); show_stat("its stat", r);
  int w; OK("reopen for writing", w = open(p, O_WRONLY)); pwrite(w, "MINE", 4, 0);
  int n = open("f", O_RDONLY); show_read("the name's file", n); show_stat("the name's stat", n);
}
CASE(reopen_unlinked_checks_the_file) {
  // As root: the file's mode does not stop root, O_DIRECTORY and O_NOFOLLOW-free reopens behave as Linux's.
  int fd = open("f", O_CREAT | O_RDWR, 0); write(fd, "x", 1); char p[64]; fd_path(p, fd); unlink("f");
  int r; OK("root reopens a mode 0 file", r = open(p, O_RDWR)); show_read("reads", r);
  OK("O_NOATIME as root", open(p, O_RDONLY | O_NOATIME));
  SHOW("fchmod through the reopened fd", fchmod(r, 0640)); show_stat("the first fd sees", fd);
}
CASE(o_path_of_replaced_file) {
  int f = open("f", O_CREAT | O_WRONLY, 0640); write(f, "12345", 5); close(f);
  int pfd = open("f", O_PATH);
  int o = open("other", O_CREAT | O_WRONLY, 0600); close(o);
  SHOW("rename other over f", rename("other", "f"));
  show_stat("fstat of the O_PATH fd", pfd);
  struct stat st; SHOW("fstatat AT_EMPTY_PATH", fstatat(pfd, "", &st, AT_EMPTY_PATH)); FACT("nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
  SHOW("linkat AT_EMPTY_PATH of it", linkat(pfd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
  struct stat n; stat("f", &n); FACT("the name's file: size %ld\n", (long)n.st_size);
}
CASE(o_path_of_unlinked_file) {
  int f = open("f", O_CREAT | O_WRONLY, 0640); write(f, "12345", 5); close(f);
  int pfd = open("f", O_PATH); unlink("f");
  show_stat("fstat of the O_PATH fd", pfd);
  struct stat st; SHOW("fstatat AT_EMPTY_PATH", fstatat(pfd, "", &st, AT_EMPTY_PATH)); FACT("nlink %ld\n", (long)st.st_nlink);
  SHOW("linkat AT_EMPTY_PATH of it", linkat(pfd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(reopen_unlinked_each_mode); RUN(reopen_readonly_description_with_trunc); RUN(reopen_renamed_over_file);
  RUN(reopen_unlinked_checks_the_file); RUN(o_path_of_replaced_file); RUN(o_path_of_unlinked_file);
  return 0;
}
