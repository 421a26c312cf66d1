// Extended attributes: namespaces, name and value limits, and the errnos of
// each (after gVisor's xattr tests and LTP's getxattr/setxattr cases).
#include "probe.h"
#include <sys/xattr.h>

CASE(xattr_unknown_namespace) {
  touch("f");
  SHOW("set foo.bar", setxattr("f", "foo.bar", "v", 1, 0));
  SHOW("get foo.bar", getxattr("f", "foo.bar", NULL, 0));
  SHOW("remove foo.bar", removexattr("f", "foo.bar"));
  SHOW("set no dot", setxattr("f", "user", "v", 1, 0));
  SHOW("get no dot", getxattr("f", "user", NULL, 0));
  SHOW("set user. only", setxattr("f", "user.", "v", 1, 0));
  SHOW("get user. only", getxattr("f", "user.", NULL, 0));
  SHOW("set USER.a", setxattr("f", "USER.a", "v", 1, 0));
  SHOW("set system.foo", setxattr("f", "system.foo", "v", 1, 0));
  SHOW("get system.foo", getxattr("f", "system.foo", NULL, 0));
  SHOW("remove system.foo", removexattr("f", "system.foo"));
  SHOW("set osx.a", setxattr("f", "osx.a", "v", 1, 0));
}
CASE(xattr_buffer_too_small) {
  touch("f");
  SHOW("set", setxattr("f", "user.a", "hello", 5, 0));
  char b[16];
  SHOW("get size 0", getxattr("f", "user.a", NULL, 0));
  SHOW("get size 2", getxattr("f", "user.a", b, 2));
  SHOW("get size 5", getxattr("f", "user.a", b, 5));
  SHOW("list size 0", listxattr("f", NULL, 0));
  SHOW("list size 3", listxattr("f", b, 3));
  SHOW("list size 7", listxattr("f", b, 7));
  SHOW("set empty value", setxattr("f", "user.e", "", 0, 0));
  SHOW("get empty value", getxattr("f", "user.e", b, sizeof b));
  SHOW("get empty value size 0", getxattr("f", "user.e", NULL, 0));
}
CASE(xattr_name_limits) {
  touch("f");
  char n[400];
  strcpy(n, "user.");
  memset(n + 5, 'a', 250); n[255] = 0;
  SHOW("set 255", setxattr("f", n, "v", 1, 0));
  SHOW("get 255", getxattr("f", n, NULL, 0));
  memset(n + 5, 'a', 251); n[256] = 0;
  SHOW("set 256", setxattr("f", n, "v", 1, 0));
  SHOW("get 256", getxattr("f", n, NULL, 0));
  SHOW("remove 256", removexattr("f", n));
  memset(n + 5, 'a', 390); n[395] = 0;
  SHOW("get 395", getxattr("f", n, NULL, 0));
  SHOW("set empty name", setxattr("f", "", "v", 1, 0));
  SHOW("get empty name", getxattr("f", "", NULL, 0));
  SHOW("remove empty name", removexattr("f", ""));
}
CASE(xattr_value_limits) {
  touch("f");
  static char big[70000];
  SHOW("set 65537", setxattr("f", "user.big", big, 65537, 0));
  SHOW("set huge", syscall(SYS_setxattr, "f", "user.big", big, 1L << 30, 0));
  SHOW("set bad flags", setxattr("f", "user.a", "v", 1, 4));
  SHOW("create twice", setxattr("f", "user.a", "v", 1, XATTR_CREATE) == 0 ? setxattr("f", "user.a", "v", 1, XATTR_CREATE) : -2);
  SHOW("replace missing", setxattr("f", "user.b", "v", 1, XATTR_REPLACE));
  SHOW("get missing", getxattr("f", "user.b", NULL, 0));
  SHOW("remove missing", removexattr("f", "user.b"));
}
CASE(xattr_trusted_and_security) {
  touch("f");
  SHOW("set trusted.a", setxattr("f", "trusted.a", "t", 1, 0));
  SHOW("get trusted.a", getxattr("f", "trusted.a", NULL, 0));
  SHOW("remove trusted.a", removexattr("f", "trusted.a"));
  SHOW("set security.a", setxattr("f", "security.a", "s", 1, 0));
  SHOW("get security.a", getxattr("f", "security.a", NULL, 0));
  SHOW("remove security.a", removexattr("f", "security.a"));
}

// Ideas from gVisor's xattr tests: create/replace, empty values, fds, symlinks.
CASE(xattr_create_replace) {
  touch("f");
  SHOW("replace missing", setxattr("f", "user.a", "1", 1, XATTR_REPLACE));
  SHOW("create", setxattr("f", "user.a", "1", 1, XATTR_CREATE)); SHOW("create again", setxattr("f", "user.a", "2", 1, XATTR_CREATE));
  SHOW("replace", setxattr("f", "user.a", "22", 2, XATTR_REPLACE)); SHOW("get", getxattr("f", "user.a", NULL, 0));
  SHOW("both flags", setxattr("f", "user.a", "3", 1, XATTR_CREATE | XATTR_REPLACE));
  SHOW("bad flag", setxattr("f", "user.a", "3", 1, 4));
  SHOW("empty value", setxattr("f", "user.e", "", 0, 0)); char b[8]; SHOW("get empty", getxattr("f", "user.e", b, sizeof b));
  SHOW("null value size 0", setxattr("f", "user.n", NULL, 0, 0)); SHOW("list", listxattr("f", NULL, 0));
  SHOW("remove", removexattr("f", "user.e")); SHOW("remove again", removexattr("f", "user.e")); SHOW("get removed", getxattr("f", "user.e", b, sizeof b));
}
CASE(xattr_fds_and_links) {
  touch("f"); mkdir("d", 0755); symlink("f", "l"); symlink("nope", "dangling");
  int fd = open("f", O_RDONLY); SHOW("fsetxattr read-only fd", fsetxattr(fd, "user.a", "v", 1, 0)); char b[8];
  SHOW("fgetxattr", fgetxattr(fd, "user.a", b, sizeof b)); SHOW("flistxattr", flistxattr(fd, NULL, 0)); SHOW("fremovexattr", fremovexattr(fd, "user.a")); close(fd);
  int p = open("f", O_PATH); SHOW("fsetxattr O_PATH", fsetxattr(p, "user.a", "v", 1, 0)); SHOW("fgetxattr O_PATH", fgetxattr(p, "user.a", b, sizeof b)); close(p);
  int d = open("d", O_RDONLY | O_DIRECTORY); SHOW("dir fd", fsetxattr(d, "user.a", "v", 1, 0)); SHOW("get dir", getxattr("d", "user.a", b, sizeof b)); close(d);
  setxattr("f", "user.t", "target", 6, 0);
  SHOW("getxattr follows", getxattr("l", "user.t", b, sizeof b)); SHOW("lgetxattr doesn't", lgetxattr("l", "user.t", b, sizeof b));
  SHOW("lsetxattr user. on symlink", lsetxattr("l", "user.x", "v", 1, 0)); SHOW("dangling", getxattr("dangling", "user.t", b, sizeof b));
  SHOW("missing", getxattr("nope", "user.t", b, sizeof b)); SHOW("trailing slash on file", getxattr("f/", "user.t", b, sizeof b));
}
CASE(xattr_bytes_names) {
  touch("f");
  SHOW("set user.\\xff", setxattr("f", "user.\xff\x80", "v", 1, 0)); char b[64];
  SHOW("get", getxattr("f", "user.\xff\x80", b, sizeof b)); long n = listxattr("f", b, sizeof b); SHOW("list", n);
  printf("names"); for (long i = 0; i < n; i++) printf(" %02x", (unsigned char)b[i]); printf("\n");
  SHOW("get U+FFFD spelling", getxattr("f", "user.\xef\xbf\xbd\xef\xbf\xbd", b, sizeof b));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(xattr_unknown_namespace); RUN(xattr_buffer_too_small); RUN(xattr_name_limits); RUN(xattr_value_limits);
  RUN(xattr_trusted_and_security); RUN(xattr_create_replace); RUN(xattr_fds_and_links); RUN(xattr_bytes_names);
  return 0;
}
