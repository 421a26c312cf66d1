// O_TMPFILE files: their mode, owner and attributes through the fd, reopened
// through /proc/self/fd, linked (by AT_EMPTY_PATH and through the fd link,
// twice, into another directory), O_EXCL ones, and the permission checks.
#include "probe.h"
#include "as.h"
#include <sys/xattr.h>

static void show_fd(const char *label, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) { FACT("%s: %s\n", label, strerrorname_np(errno)); return; }
  FACT("%s: %s %o %d:%d nlink %ld size %ld\n", label, ftype(st.st_mode), st.st_mode & 07777, st.st_uid, st.st_gid,
    (long)st.st_nlink, (long)st.st_size);
}

CASE(tmpfile_attributes) {
  umask(027); int fd; OK("O_TMPFILE", fd = open(".", O_TMPFILE | O_RDWR, 0666)); umask(022);
  show_fd("made", fd);
  SHOW("write", write(fd, "hello", 5)); show_fd("written", fd);
  SHOW("fchmod", fchmod(fd, 0600)); SHOW("fchown", fchown(fd, 65534, 65534)); show_fd("changed", fd);
  SHOW("fsetxattr", fsetxattr(fd, "user.a", "v", 1, 0)); SHOW("fgetxattr", fgetxattr(fd, "user.a", NULL, 0));
  SHOW("flistxattr", flistxattr(fd, NULL, 0));
  SHOW("futimens", futimens(fd, (struct timespec[]){{1000, 0}, {2000, 0}}));
  struct stat st; fstat(fd, &st); FACT("times %ld %ld\n", (long)st.st_atime, (long)st.st_mtime);
  SHOW("ftruncate", ftruncate(fd, 2)); show_fd("truncated", fd);
}
CASE(tmpfile_reopen_and_link) {
  int fd; OK("O_TMPFILE", fd = open(".", O_TMPFILE | O_WRONLY, 0644)); write(fd, "data", 4);
  char p[64]; sprintf(p, "/proc/self/fd/%d", fd);
  int r; OK("reopen through the fd link", r = open(p, O_RDONLY)); char b[8] = {0}; SHOW("read", read(r, b, 8)); FACT("got %s\n", b);
  SHOW("linkat through the fd link", linkat(AT_FDCWD, p, AT_FDCWD, "one", AT_SYMLINK_FOLLOW));
  mkdir("d", 0755);
  SHOW("linkat AT_EMPTY_PATH into d", linkat(fd, "", AT_FDCWD, "d/two", AT_EMPTY_PATH)); show_fd("linked twice", fd);
  SHOW("linkat over an existing name", linkat(fd, "", AT_FDCWD, "one", AT_EMPTY_PATH));
  SHOW("write through the fd", pwrite(fd, "DATA", 4, 0));
  int n = open("d/two", O_RDONLY); memset(b, 0, sizeof b); read(n, b, 8); FACT("d/two has %s\n", b);
  SHOW("unlink one", unlink("one")); show_fd("after", fd);
  struct stat a, c; stat("d/two", &a); fstat(fd, &c); FACT("same file %d\n", a.st_ino == c.st_ino && a.st_dev == c.st_dev);
}
CASE(tmpfile_excl) {
  int fd; OK("O_TMPFILE|O_EXCL", fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600)); write(fd, "x", 1);
  char p[64]; sprintf(p, "/proc/self/fd/%d", fd);
  int r; OK("reopen", r = open(p, O_RDONLY));
  SHOW("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "n", AT_EMPTY_PATH));
  SHOW("linkat through the fd link", linkat(AT_FDCWD, p, AT_FDCWD, "n", AT_SYMLINK_FOLLOW));
  SHOW("linkat through the reopened fd", linkat(r, "", AT_FDCWD, "n", AT_EMPTY_PATH));
  SHOW("nothing named", access("n", F_OK));
}
CASE(tmpfile_permissions) {
  mkdir("closed", 0755); mkdir("open", 0777); chmod("open", 0777);
  mkdir("sg", 0777); chown("sg", 0, 65534); chmod("sg", 02777);
  AS(65534, 65534, 65534) {
    SHOW("in an unwritable directory", open("closed", O_TMPFILE | O_RDWR, 0600));
    int fd; OK("in a writable one", fd = open("open", O_TMPFILE | O_RDWR, 0640)); show_fd("mine", fd);
    int g; OK("in a setgid one", g = open("sg", O_TMPFILE | O_RDWR, 02750)); show_fd("setgid dir's", g);
    SHOW("fchown to root", fchown(fd, 0, 0));
    SHOW("linkat into the unwritable directory", linkat(fd, "", AT_FDCWD, "closed/x", AT_EMPTY_PATH));
    SHOW("linkat into the writable one", linkat(fd, "", AT_FDCWD, "open/x", AT_EMPTY_PATH)); show_owner("open/x", "open/x");
  }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(tmpfile_attributes); RUN(tmpfile_reopen_and_link); RUN(tmpfile_excl); RUN(tmpfile_permissions);
  return 0;
}
