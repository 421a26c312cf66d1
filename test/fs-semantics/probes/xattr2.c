// Extended attributes beyond the basics: empty values, listing order and
// sizes, values that change size, attributes of hard links, renamed and
// unlinked files, per kind of file, and user.* as a non-owner.
#include "probe.h"
#include "as.h"
#include <sys/xattr.h>

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
/** The names listxattr returns, sorted (their order is each filesystem's own), as one line. */
static void show_list(const char *label, const char *p) {
  char b[4096], *names[64]; int k = 0; ssize_t n = listxattr(p, b, sizeof b);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  for (ssize_t i = 0; i < n && k < 64; i += strlen(b + i) + 1) names[k++] = b + i;
  qsort(names, k, sizeof *names, by_name);
  printf("%s:", label);
  for (int i = 0; i < k; i++) printf(" %s", names[i]);
  printf("\n");
}

CASE(xattr_empty_value) {
  touch("f"); char b[8] = "zzzz";
  SHOW("set empty", setxattr("f", "user.e", "", 0, 0)); SHOW("get size", getxattr("f", "user.e", NULL, 0));
  SHOW("get into buffer", getxattr("f", "user.e", b, sizeof b)); FACT("buffer untouched %d\n", b[0] == 'z');
  SHOW("set NULL value, size 0", setxattr("f", "user.n", NULL, 0, 0)); SHOW("get it", getxattr("f", "user.n", NULL, 0));
  show_list("names", "f");
}
CASE(xattr_value_resizes) {
  touch("f"); char b[64];
  setxattr("f", "user.v", "short", 5, 0); SHOW("grow", setxattr("f", "user.v", "a much longer value", 19, 0));
  SHOW("size", getxattr("f", "user.v", NULL, 0)); SHOW("shrink", setxattr("f", "user.v", "x", 1, 0));
  SHOW("get", getxattr("f", "user.v", b, sizeof b)); FACT("value %.1s\n", b);
  SHOW("binary value with NULs", setxattr("f", "user.v", "a\0b\0", 4, 0)); SHOW("size", getxattr("f", "user.v", b, sizeof b));
  FACT("bytes %02x %02x %02x %02x\n", b[0], b[1], b[2], b[3]);
}
CASE(xattr_list_sizes) {
  touch("f"); char b[64];
  SHOW("empty list size", listxattr("f", NULL, 0)); SHOW("empty list into buffer", listxattr("f", b, sizeof b));
  setxattr("f", "user.a", "1", 1, 0); setxattr("f", "user.bb", "2", 1, 0);
  SHOW("size", listxattr("f", NULL, 0)); SHOW("buffer one short", listxattr("f", b, 14)); SHOW("exact", listxattr("f", b, 15));
  SHOW("size 1", listxattr("f", b, 1));
}
CASE(xattr_many_names) {
  touch("f"); char n[32]; int ok = 0;
  for (int i = 0; i < 100; i++) { snprintf(n, sizeof n, "user.attr%03d", i); ok += setxattr("f", n, "v", 1, 0) == 0; }
  FACT("set %d\n", ok); SHOW("list size", listxattr("f", NULL, 0));
  for (int i = 0; i < 100; i += 2) { snprintf(n, sizeof n, "user.attr%03d", i); removexattr("f", n); }
  SHOW("list size after removing half", listxattr("f", NULL, 0)); SHOW("removed one", getxattr("f", "user.attr010", NULL, 0));
  SHOW("kept one", getxattr("f", "user.attr011", NULL, 0));
}
CASE(xattr_remove_cases) {
  touch("f"); setxattr("f", "user.a", "1", 1, 0);
  SHOW("remove", removexattr("f", "user.a")); SHOW("remove again", removexattr("f", "user.a"));
  SHOW("remove unknown namespace", removexattr("f", "foo.a")); SHOW("remove empty name", removexattr("f", ""));
  SHOW("remove namespace only", removexattr("f", "user.")); SHOW("remove missing file", removexattr("nope", "user.a"));
  int fd = open("f", O_RDONLY); SHOW("fremove missing", fremovexattr(fd, "user.a")); SHOW("fremove bad fd", fremovexattr(999, "user.a"));
}
CASE(xattr_shared_by_hard_links) {
  touch("f"); link("f", "g"); char b[8] = {0};
  setxattr("f", "user.a", "via f", 5, 0); SHOW("get via g", getxattr("g", "user.a", b, sizeof b)); FACT("value %s\n", b);
  removexattr("g", "user.a"); SHOW("gone via f", getxattr("f", "user.a", b, sizeof b));
}
CASE(xattr_survive_rename_and_unlink) {
  touch("f"); setxattr("f", "user.a", "kept", 4, 0); char b[8] = {0};
  rename("f", "g"); SHOW("after rename", getxattr("g", "user.a", b, sizeof b));
  int fd = open("g", O_RDONLY); unlink("g"); SHOW("fget after unlink", fgetxattr(fd, "user.a", b, sizeof b));
  SHOW("fset after unlink", fsetxattr(fd, "user.b", "x", 1, 0)); SHOW("flist after unlink", flistxattr(fd, NULL, 0));
}
CASE(xattr_each_kind) {
  touch("f"); mkdir("d", 0755); symlink("f", "l"); mkfifo("p", 0644);
  SHOW("file", setxattr("f", "user.a", "v", 1, 0)); SHOW("dir", setxattr("d", "user.a", "v", 1, 0));
  SHOW("fifo", setxattr("p", "user.a", "v", 1, 0)); SHOW("lsetxattr symlink", lsetxattr("l", "user.a", "v", 1, 0));
  SHOW("lgetxattr symlink", lgetxattr("l", "user.a", NULL, 0)); SHOW("llistxattr symlink", llistxattr("l", NULL, 0));
  SHOW("trusted on symlink", lsetxattr("l", "trusted.a", "v", 1, 0)); SHOW("get it", lgetxattr("l", "trusted.a", NULL, 0));
  SHOW("trusted on fifo", setxattr("p", "trusted.a", "v", 1, 0));
}
CASE(xattr_user_as_non_owner) {
  mkfile("mine", 0644, 65534, 65534); mkfile("other_rw", 0666, 0, 0); mkfile("other_ro", 0644, 0, 0);
  AS(65534, 65534, 65534) {
    SHOW("own file", setxattr("mine", "user.a", "v", 1, 0)); SHOW("other's writable file", setxattr("other_rw", "user.a", "v", 1, 0));
    SHOW("other's read-only file", setxattr("other_ro", "user.a", "v", 1, 0)); SHOW("get other's read-only", getxattr("other_ro", "user.a", NULL, 0));
    SHOW("trusted on own file", setxattr("mine", "trusted.a", "v", 1, 0)); SHOW("remove on read-only", removexattr("other_ro", "user.a"));
  }
}
CASE(xattr_trusted_hidden_from_users) {
  mkfile("f", 0666, 65534, 65534); setxattr("f", "trusted.t", "v", 1, 0); setxattr("f", "user.u", "v", 1, 0);
  show_list("root sees", "f");
  AS(65534, 65534, 65534) { show_list("user sees", "f"); SHOW("user gets trusted", getxattr("f", "trusted.t", NULL, 0)); }
}
CASE(xattr_on_unreadable_file) {
  mkfile("f", 0, 65534, 65534); setxattr("f", "user.a", "v", 1, 0); mkdir("d", 0700); touch("d/g"); setxattr("d/g", "user.a", "v", 1, 0);
  AS(65534, 65534, 65534) {
    SHOW("get on mode 0 own file", getxattr("f", "user.a", NULL, 0)); SHOW("list on mode 0 own file", listxattr("f", NULL, 0));
    SHOW("get through unsearchable dir", getxattr("d/g", "user.a", NULL, 0));
  }
}
CASE(xattr_security_namespace) {
  touch("f"); char b[16] = {0};
  SHOW("set security.x", setxattr("f", "security.x", "v", 1, 0)); SHOW("get", getxattr("f", "security.x", b, sizeof b));
  SHOW("set system.x", setxattr("f", "system.x", "v", 1, 0)); SHOW("get system.posix_acl_access", getxattr("f", "system.posix_acl_access", b, sizeof b));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(xattr_empty_value); RUN(xattr_value_resizes); RUN(xattr_list_sizes); RUN(xattr_many_names); RUN(xattr_remove_cases);
  RUN(xattr_shared_by_hard_links); RUN(xattr_survive_rename_and_unlink); RUN(xattr_each_kind); RUN(xattr_user_as_non_owner);
  RUN(xattr_trusted_hidden_from_users); RUN(xattr_on_unreadable_file); RUN(xattr_security_namespace);
  return 0;
}
