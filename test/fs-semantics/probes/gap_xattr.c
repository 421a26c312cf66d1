// Extended attributes through an fd whose file lost its name (unlinked,
// renamed over, its last link of several removed): the calls reach the open
// file itself, with the usual checks and flags.
#include "probe.h"
#include "as.h"
#include <sys/xattr.h>

static void show_value(const char *label, int fd, const char *name) {
  char b[32] = {0}; errno = 0; ssize_t n = fgetxattr(fd, name, b, sizeof b - 1);
  if (n < 0) FACT("%s: -1 %s\n", label, strerrorname_np(errno)); else FACT("%s: %zd %s\n", label, n, b);
}

CASE(xattr_fd_of_renamed_over_file) {
  touch("f"); setxattr("f", "user.who", "f", 1, 0);
  touch("other"); setxattr("other", "user.who", "other", 5, 0);
  int fd = open("f", O_RDONLY);
  SHOW("rename other over f", rename("other", "f"));
  show_value("fget through the old fd", fd, "user.who");
  char b[8] = {0}; SHOW("get by the name", getxattr("f", "user.who", b, sizeof b)); FACT("by the name: %s\n", b);
  SHOW("fset through the old fd", fsetxattr(fd, "user.new", "1", 1, 0));
  SHOW("the name's file has it", getxattr("f", "user.new", NULL, 0));
  SHOW("flist through the old fd", flistxattr(fd, NULL, 0)); SHOW("list by the name", listxattr("f", NULL, 0));
  SHOW("fremove through the old fd", fremovexattr(fd, "user.who")); show_value("the name's file keeps its own", open("f", O_RDONLY), "user.who");
}
CASE(xattr_fd_of_unlinked_file_flags) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); fsetxattr(fd, "user.a", "1", 1, 0); unlink("f");
  SHOW("XATTR_CREATE of an existing name", fsetxattr(fd, "user.a", "2", 1, XATTR_CREATE));
  SHOW("XATTR_REPLACE of a missing name", fsetxattr(fd, "user.b", "2", 1, XATTR_REPLACE));
  SHOW("XATTR_REPLACE of an existing name", fsetxattr(fd, "user.a", "22", 2, XATTR_REPLACE)); show_value("value", fd, "user.a");
  SHOW("fget of a missing name", fgetxattr(fd, "user.none", NULL, 0));
  char small[1]; SHOW("fget into a short buffer", fgetxattr(fd, "user.a", small, 1));
  SHOW("fremove of a missing name", fremovexattr(fd, "user.none"));
  SHOW("trusted as root", fsetxattr(fd, "trusted.t", "x", 1, 0)); show_value("trusted value", fd, "trusted.t");
  SHOW("flist", flistxattr(fd, NULL, 0));
}
CASE(xattr_fd_of_unlinked_file_as_user) {
  mkfile("theirs", 0644, 0, 0); mkfile("mine", 0644, 65534, 65534);
  setxattr("theirs", "user.a", "t", 1, 0); setxattr("theirs", "trusted.t", "x", 1, 0);
  int t = open("theirs", O_RDONLY), m = open("mine", O_RDONLY);
  unlink("theirs"); unlink("mine");
  AS(65534, 65534, 65534) {
    show_value("fget of their file", t, "user.a");
    SHOW("fset on their file", fsetxattr(t, "user.b", "1", 1, 0));
    SHOW("fget trusted as a user", fgetxattr(t, "trusted.t", NULL, 0));
    SHOW("flist as a user hides trusted", flistxattr(t, NULL, 0));
    SHOW("fset on my file through a read-only fd", fsetxattr(m, "user.b", "1", 1, 0)); show_value("mine", m, "user.b");
    SHOW("fremove on their file", fremovexattr(t, "user.a"));
  }
}
CASE(xattr_fd_of_file_whose_other_link_remains) {
  touch("f"); link("f", "g"); int fd = open("f", O_RDONLY); unlink("f");
  SHOW("fset after its name went", fsetxattr(fd, "user.a", "via fd", 6, 0));
  char b[16] = {0}; SHOW("get through the other link", getxattr("g", "user.a", b, sizeof b)); FACT("value %s\n", b);
  SHOW("remove through the other link", removexattr("g", "user.a")); SHOW("fget gone", fgetxattr(fd, "user.a", NULL, 0));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(xattr_fd_of_renamed_over_file); RUN(xattr_fd_of_unlinked_file_flags); RUN(xattr_fd_of_unlinked_file_as_user);
  RUN(xattr_fd_of_file_whose_other_link_remains);
  return 0;
}
