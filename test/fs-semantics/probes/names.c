// Names: mkdir, rmdir, unlink, rename, link, symlink, readlink, getdents, chdir.
#include "probe.h"

static int count_dir(const char *p) { DIR *d = opendir(p); int n = 0; if (!d) return -1; while (readdir(d)) n++; closedir(d); return n; }

CASE(mkdir_exists) { mkdir("d", 0755); SHOW("mkdir again", mkdir("d", 0755)); touch("f"); SHOW("mkdir over file", mkdir("f", 0755)); }
CASE(mkdir_mode_umask) { umask(077); mkdir("d", 0777); struct stat st; stat("d", &st); FACT("mode %o\n", st.st_mode & 07777); }
CASE(mkdir_trailing_slash) { SHOW("mkdir d/", mkdir("d/", 0755)); struct stat st; SHOW("stat d", stat("d", &st)); }
CASE(mkdir_parent_missing) { SHOW("mkdir a/b", mkdir("a/b", 0755)); }
CASE(rmdir_cases) {
  mkdir("d", 0755); touch("d/f"); touch("f");
  SHOW("non-empty", rmdir("d")); SHOW("file", rmdir("f")); SHOW("dot", rmdir(".")); SHOW("dotdot", rmdir(".."));
  SHOW("missing", rmdir("nope")); unlink("d/f"); SHOW("empty", rmdir("d"));
}
CASE(unlink_cases) { mkdir("d", 0755); touch("f"); SHOW("dir", unlink("d")); SHOW("file", unlink("f")); SHOW("again", unlink("f")); }
CASE(unlinkat_removedir) { mkdir("d", 0755); SHOW("AT_REMOVEDIR", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR)); SHOW("bad flag", unlinkat(AT_FDCWD, "x", 0x1)); }
CASE(getdents_count) { for (int i = 0; i < 10; i++) { char n[8]; snprintf(n, 8, "f%d", i); touch(n); } mkdir("d", 0755); FACT("entries %d\n", count_dir(".")); }
CASE(getdents_rewind_after_unlink) {
  for (int i = 0; i < 5; i++) { char n[8]; snprintf(n, 8, "f%d", i); touch(n); }
  DIR *d = opendir("."); int n = 0; while (readdir(d)) n++; FACT("first pass %d\n", n);
  unlink("f0"); rewinddir(d); n = 0; while (readdir(d)) n++; FACT("after unlink and rewind %d\n", n); closedir(d);
}
CASE(getdents_types) {
  touch("f"); mkdir("d", 0755); symlink("f", "l");
  DIR *d = opendir("."); struct dirent *e; int reg = 0, dir = 0, lnk = 0;
  while ((e = readdir(d))) { reg += e->d_type == DT_REG; dir += e->d_type == DT_DIR; lnk += e->d_type == DT_LNK; }
  FACT("reg %d dir %d lnk %d\n", reg, dir, lnk);
}
CASE(getdents_on_file) { touch("f"); int fd = open("f", O_RDONLY); char b[256]; SHOW("getdents64", syscall(SYS_getdents64, fd, b, sizeof b)); }
CASE(chdir_getcwd) {
  mkdir("a", 0755); SHOW("chdir", chdir("a")); char c[4096]; getcwd(c, sizeof c);
  FACT("ends with /a %d\n", !strcmp(c + strlen(c) - 2, "/a")); SHOW("chdir file", chdir("../nope")); touch("f"); SHOW("chdir to file", chdir("f"));
}
CASE(rename_file_over_file) {
  int fd = open("a", O_CREAT | O_WRONLY, 0644); write(fd, "A", 1); close(fd); touch("b");
  SHOW("rename", rename("a", "b")); struct stat st; SHOW("a gone", stat("a", &st)); stat("b", &st); FACT("b size %ld\n", (long)st.st_size);
}
CASE(rename_dir_cases) {
  mkdir("d", 0755); mkdir("e", 0755); touch("e/x"); touch("f"); mkdir("d/sub", 0755);
  SHOW("dir over non-empty dir", rename("d", "e")); SHOW("dir into itself", rename("d", "d/sub/x"));
  SHOW("file over dir", rename("f", "d")); SHOW("dir over file", rename("d", "f"));
  mkdir("empty", 0755); SHOW("dir over empty dir", rename("d", "empty"));
}
CASE(rename_flags) {
  touch("a"); touch("b");
  SHOW("NOREPLACE", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE));
  int fd = open("a", O_WRONLY); write(fd, "AA", 2); close(fd);
  SHOW("EXCHANGE", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
  struct stat st; stat("b", &st); FACT("b size %ld\n", (long)st.st_size);
  SHOW("EXCHANGE missing", renameat2(AT_FDCWD, "a", AT_FDCWD, "zz", RENAME_EXCHANGE));
  SHOW("both flags", renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE | RENAME_NOREPLACE));
}
CASE(rename_hardlinks_same_inode) { touch("a"); link("a", "b"); SHOW("rename", rename("a", "b")); struct stat st; SHOW("a", stat("a", &st)); SHOW("b", stat("b", &st)); }
CASE(rename_missing) { SHOW("rename", rename("nope", "x")); }
CASE(link_cases) {
  touch("f"); mkdir("d", 0755);
  SHOW("link", link("f", "g")); struct stat a, b; stat("f", &a); stat("g", &b);
  FACT("same inode %d nlink %ld\n", a.st_ino == b.st_ino, (long)a.st_nlink);
  SHOW("link dir", link("d", "e")); SHOW("link exists", link("f", "g")); SHOW("link missing", link("nope", "h"));
  unlink("f"); stat("g", &b); FACT("nlink after unlink %ld\n", (long)b.st_nlink);
}
CASE(link_symlink_follow) {
  touch("f"); symlink("f", "l");
  SHOW("linkat nofollow", linkat(AT_FDCWD, "l", AT_FDCWD, "a", 0)); SHOW("linkat follow", linkat(AT_FDCWD, "l", AT_FDCWD, "b", AT_SYMLINK_FOLLOW));
  struct stat st; lstat("a", &st); FACT("a type %s\n", ftype(st.st_mode)); lstat("b", &st); FACT("b type %s\n", ftype(st.st_mode));
}
CASE(symlink_cases) {
  touch("f"); SHOW("symlink", symlink("f", "l")); SHOW("exists", symlink("x", "l")); SHOW("empty target", symlink("", "m"));
  char b[64] = {0}; SHOW("readlink", readlink("l", b, sizeof b)); FACT("target %s\n", b);
  SHOW("readlink file", readlink("f", b, sizeof b)); SHOW("readlink short", readlink("l", b, 0));
  struct stat st; lstat("l", &st); FACT("lstat size %ld type %s\n", (long)st.st_size, ftype(st.st_mode));
}
CASE(symlink_chain_and_dir) {
  mkdir("d", 0755); touch("d/f"); symlink("d", "ld"); symlink("ld/f", "lf"); symlink("lf", "lf2");
  struct stat st; SHOW("through chain", stat("lf2", &st)); FACT("type %s\n", ftype(st.st_mode));
  SHOW("trailing slash on dir link", stat("ld/", &st)); SHOW("trailing slash on file link", stat("lf/", &st));
  SHOW("lstat trailing slash", lstat("ld/", &st)); FACT("type %s\n", ftype(st.st_mode));
}
CASE(dotdot_at_root) { char c[4096]; chdir("/"); SHOW("chdir ..", chdir("..")); getcwd(c, sizeof c); FACT("cwd %s\n", c); }

// Names are bytes: ones that are not UTF-8 are listed, opened, renamed and read back as they are.
static void hex(const char *label, const char *s, long n) {
  printf("%s", label); for (long i = 0; i < n; i++) printf(" %02x", (unsigned char)s[i]); printf("\n");
}
/** Lists the cwd's names other than . and .., in hex, sorted by the order of `names`' first bytes (listing order differs between filesystems). */
static void list_hex(void) {
  DIR *d = opendir("."); struct dirent *e; char seen[16][256]; int n = 0;
  while ((e = readdir(d)) && n < 16) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) snprintf(seen[n++], 256, "%s", e->d_name);
  closedir(d);
  qsort(seen, n, 256, (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < n; i++) hex("listed", seen[i], strlen(seen[i]));
}
CASE(bytes_names_listed_and_opened) {
  touch("\xff\xfe"); touch("a\x80" "b"); mkdir("\xc3(", 0755);
  list_hex();
  DIR *d = opendir("."); struct dirent *e; int opened = 0, listed = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    listed++; int fd = open(e->d_name, O_RDONLY); if (fd >= 0) { opened++; close(fd); }
  }
  closedir(d); FACT("listed %d opened by the listed name %d\n", listed, opened);
  struct stat st; SHOW("stat \\xff\\xfe", stat("\xff\xfe", &st)); SHOW("stat a\\x80b", stat("a\x80" "b", &st));
  SHOW("stat a\\xefbfbd b (U+FFFD)", stat("a\xef\xbf\xbd" "b", &st));
}
CASE(bytes_names_rename_link_unlink) {
  touch("\xff\xfe");
  SHOW("rename", rename("\xff\xfe", "\xe9t\xe9")); struct stat st; SHOW("old", stat("\xff\xfe", &st)); SHOW("new", stat("\xe9t\xe9", &st));
  SHOW("link", link("\xe9t\xe9", "\x80")); stat("\x80", &st); FACT("nlink %ld\n", (long)st.st_nlink);
  SHOW("unlink", unlink("\xe9t\xe9")); list_hex();
  SHOW("renameat2 noreplace onto itself", renameat2(AT_FDCWD, "\x80", AT_FDCWD, "\x80", RENAME_NOREPLACE));
}
CASE(bytes_names_symlink_body) {
  touch("\xfe"); SHOW("symlink", symlink("\xfe", "l\xff"));
  char b[64]; long n = readlink("l\xff", b, sizeof b); SHOW("readlink", n); if (n > 0) hex("body", b, n);
  struct stat st; SHOW("stat through it", stat("l\xff", &st)); FACT("type %s\n", ftype(st.st_mode));
  lstat("l\xff", &st); FACT("lstat size %ld\n", (long)st.st_size);
  SHOW("dangling", symlink("\x80\x81/x", "m")); n = readlink("m", b, sizeof b); if (n > 0) hex("body", b, n);
}
CASE(bytes_names_cwd_and_fd_link) {
  mkdir("d\xff", 0755); SHOW("chdir", chdir("d\xff")); char c[4096]; getcwd(c, sizeof c);
  size_t l = strlen(c); hex("cwd ends with", c + (l > 3 ? l - 3 : 0), l > 3 ? 3 : l);
  int fd = open("\x80\x80", O_CREAT | O_WRONLY, 0644); char p[64], t[4096]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  long n = readlink(p, t, sizeof t); hex("fd link ends with", t + (n > 6 ? n - 6 : 0), n > 6 ? 6 : n); close(fd);
}
CASE(bytes_names_too_long) {
  char n[300]; memset(n, 0xff, 255); n[255] = 0; SHOW("255 bytes", mkdir(n, 0755)); n[255] = (char)0xff; n[256] = 0;
  SHOW("256 bytes", mkdir(n, 0755));
}

// Renames, links, mkdir and rmdir at their edges (ideas from gVisor's rename, link and mkdir tests).
static long nlink_of(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_nlink; }
CASE(rename_ancestors) {
  mkdir("a", 0755); mkdir("a/b", 0755); mkdir("a/b/c", 0755);
  SHOW("into own child", rename("a", "a/b/x")); SHOW("into own grandchild", rename("a", "a/b/c/x"));
  SHOW("over own parent", rename("a/b", "a")); SHOW("over own grandparent", rename("a/b/c", "a"));
  SHOW("exchange with own child", renameat2(AT_FDCWD, "a", AT_FDCWD, "a/b", RENAME_EXCHANGE));
}
CASE(rename_to_itself) {
  touch("f"); mkdir("d", 0755); symlink("f", "l");
  SHOW("file", rename("f", "f")); SHOW("dir", rename("d", "d")); SHOW("symlink", rename("l", "l"));
  SHOW("file NOREPLACE", renameat2(AT_FDCWD, "f", AT_FDCWD, "f", RENAME_NOREPLACE));
  SHOW("file EXCHANGE", renameat2(AT_FDCWD, "f", AT_FDCWD, "f", RENAME_EXCHANGE));
  struct stat st; SHOW("still there", stat("f", &st));
}
CASE(rename_dots) {
  mkdir("d", 0755); mkdir("e", 0755);
  SHOW("d/. to x", rename("d/.", "x")); SHOW("d/.. to x", rename("d/..", "x"));
  SHOW("d to e/.", rename("d", "e/.")); SHOW("d to e/..", rename("d", "e/.."));
  SHOW(". to x", rename(".", "x")); SHOW("x to ..", rename("d", ".."));
}
CASE(rename_dir_link_counts) {
  mkdir("p1", 0755); mkdir("p2", 0755); mkdir("p1/a", 0755); mkdir("p2/b", 0755);
  FACT("before %ld %ld\n", nlink_of("p1"), nlink_of("p2"));
  SHOW("over empty dir", rename("p1/a", "p2/b")); FACT("after %ld %ld\n", nlink_of("p1"), nlink_of("p2"));
  SHOW("to new name", rename("p2/b", "p1/c")); FACT("moved back %ld %ld\n", nlink_of("p1"), nlink_of("p2"));
  touch("p2/f"); SHOW("file across", rename("p2/f", "p1/f")); FACT("file moved %ld %ld\n", nlink_of("p1"), nlink_of("p2"));
}
CASE(rename_with_open_fds) {
  mkdir("a", 0755); mkdir("b", 0755); mkdir("c", 0755);
  int fd = open("a/f", O_CREAT | O_RDWR, 0644); write(fd, "foo", 3);
  SHOW("move", rename("a/f", "b/g")); char buf[8] = {0};
  SHOW("pread after move", pread(fd, buf, sizeof buf, 0)); FACT("data %s\n", buf);
  SHOW("move again", rename("b/g", "c/h")); SHOW("write after move", pwrite(fd, "bar", 3, 3));
  int c = open("c/h", O_RDONLY); memset(buf, 0, sizeof buf); SHOW("read by new name", read(c, buf, sizeof buf)); FACT("data %s\n", buf);
  mkdir("d", 0755); touch("d/x"); mkdir("e", 0755);
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  SHOW("dir with open fd over empty dir", rename("d", "e")); struct stat st;
  SHOW("fstatat through the moved dir fd", fstatat(dfd, "x", &st, 0)); SHOW("old name", stat("d", &st)); SHOW("new", stat("e/x", &st));
  close(fd); close(c); close(dfd);
}
CASE(rename_trailing_slashes) {
  touch("f"); mkdir("d", 0755);
  SHOW("file to name/", rename("f", "g/")); SHOW("file/ to name", rename("f/", "g"));
  SHOW("dir/ to name", rename("d/", "e")); SHOW("dir to name/", rename("e", "d/"));
  SHOW("dir/ to name/", rename("d/", "e/")); struct stat st; SHOW("dir moved", stat("e", &st));
}
CASE(rename_exchange_kinds) {
  touch("f"); mkdir("d", 0755); touch("d/x");
  SHOW("exchange file and dir", renameat2(AT_FDCWD, "f", AT_FDCWD, "d", RENAME_EXCHANGE));
  struct stat st; lstat("f", &st); FACT("f is %s\n", ftype(st.st_mode)); lstat("d", &st); FACT("d is %s\n", ftype(st.st_mode));
  SHOW("x followed", stat("f/x", &st));
  mkdir("p", 0755); FACT("nlink . p %ld %ld\n", nlink_of("."), nlink_of("p"));
  SHOW("exchange dir across parents", renameat2(AT_FDCWD, "f", AT_FDCWD, "p/y", RENAME_EXCHANGE));
  touch("p/y"); SHOW("again with y", renameat2(AT_FDCWD, "f", AT_FDCWD, "p/y", RENAME_EXCHANGE));
  FACT("nlink . p %ld %ld\n", nlink_of("."), nlink_of("p"));
}
CASE(link_errors_more) {
  touch("f"); mkdir("d", 0755); symlink("d", "ld");
  SHOW("over a dir", link("f", "d")); SHOW("into missing dir", link("f", "nope/x")); SHOW("from file/", link("f/", "g"));
  SHOW("to name/", link("f", "g/")); SHOW("to dir name/", link("f", "d/"));
  SHOW("bad flags", linkat(AT_FDCWD, "f", AT_FDCWD, "g", 0x1)); SHOW("symlink to dir itself", link("ld", "ld2"));
  struct stat st; lstat("ld2", &st); FACT("ld2 is %s\n", ftype(st.st_mode));
  SHOW("follow symlink to dir", linkat(AT_FDCWD, "ld", AT_FDCWD, "ld3", AT_SYMLINK_FOLLOW));
}
CASE(link_unlinked_file) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); unlink("f");
  struct stat st; fstat(fd, &st); FACT("nlink %ld\n", (long)st.st_nlink);
  char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  SHOW("link through /proc/self/fd", linkat(AT_FDCWD, p, AT_FDCWD, "g", AT_SYMLINK_FOLLOW));
  SHOW("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "h", AT_EMPTY_PATH));
  touch("k"); int kfd = open("k", O_RDONLY);
  SHOW("live file AT_EMPTY_PATH", linkat(kfd, "", AT_FDCWD, "k2", AT_EMPTY_PATH)); FACT("nlink %ld\n", nlink_of("k"));
  close(fd); close(kfd);
}
CASE(mkdir_more) {
  umask(022); SHOW("sticky", mkdir("s", 01777)); struct stat st; stat("s", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("setgid", mkdir("g", 02777)); stat("g", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("double slash", mkdir("d//", 0755)); symlink("nope", "dangling");
  SHOW("over dangling symlink", mkdir("dangling", 0755)); SHOW("dot", mkdir(".", 0755)); SHOW("dotdot", mkdir("..", 0755));
  SHOW("empty", mkdir("", 0755)); touch("f"); int fd = open("f", O_RDONLY);
  SHOW("mkdirat file dirfd", mkdirat(fd, "x", 0755)); close(fd);
}
CASE(mkdir_rmdir_parent_nlink) {
  FACT("start %ld\n", nlink_of("."));
  mkdir("a", 0755); mkdir("b", 0755); FACT("two subdirs %ld\n", nlink_of("."));
  touch("f"); FACT("a file %ld\n", nlink_of("."));
  rmdir("a"); FACT("one removed %ld\n", nlink_of("."));
  mkdir("b/c", 0755); FACT("b %ld\n", nlink_of("b"));
}
CASE(rmdir_more) {
  mkdir("d", 0755); mkdir("d/e", 0755); symlink("d", "ld");
  SHOW("d/.", rmdir("d/.")); SHOW("d/e/..", rmdir("d/e/..")); SHOW("symlink to dir", rmdir("ld")); SHOW("ld/", rmdir("ld/"));
  SHOW("trailing slash", rmdir("d/e/"));
  mkdir("c", 0755); chdir("c"); SHOW("own cwd", rmdir("../c")); char b[4096];
  SHOW("getcwd", getcwd(b, sizeof b) ? 0 : -1); SHOW("create in removed cwd", open("x", O_CREAT | O_WRONLY, 0644));
  SHOW("mkdir in removed cwd", mkdir("y", 0755)); int d = open(".", O_RDONLY); OK("open .", d); close(d);
  SHOW("chdir ..", chdir(".."));
}
CASE(unlink_more) {
  touch("f"); mkdir("d", 0755); symlink("d", "ld");
  SHOW("file/", unlink("f/")); SHOW("symlink to dir", unlink("ld")); struct stat st; SHOW("dir stays", stat("d", &st));
  SHOW(".", unlink(".")); SHOW("AT_REMOVEDIR on file", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
  int fd = open("f", O_RDONLY); SHOW("unlinkat file dirfd", unlinkat(fd, "x", 0)); close(fd);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(mkdir_exists); RUN(mkdir_mode_umask); RUN(mkdir_trailing_slash); RUN(mkdir_parent_missing); RUN(rmdir_cases);
  RUN(unlink_cases); RUN(unlinkat_removedir); RUN(getdents_count); RUN(getdents_rewind_after_unlink); RUN(getdents_types);
  RUN(getdents_on_file); RUN(chdir_getcwd); RUN(rename_file_over_file); RUN(rename_dir_cases); RUN(rename_flags);
  RUN(rename_hardlinks_same_inode); RUN(rename_missing); RUN(link_cases); RUN(link_symlink_follow); RUN(symlink_cases);
  RUN(symlink_chain_and_dir); RUN(dotdot_at_root); RUN(bytes_names_listed_and_opened); RUN(bytes_names_rename_link_unlink);
  RUN(bytes_names_symlink_body); RUN(bytes_names_cwd_and_fd_link); RUN(bytes_names_too_long);
  RUN(rename_ancestors); RUN(rename_to_itself); RUN(rename_dots); RUN(rename_dir_link_counts); RUN(rename_with_open_fds);
  RUN(rename_trailing_slashes); RUN(rename_exchange_kinds); RUN(link_errors_more); RUN(link_unlinked_file); RUN(mkdir_more);
  RUN(mkdir_rmdir_parent_nlink); RUN(rmdir_more); RUN(unlink_more);
  return 0;
}
