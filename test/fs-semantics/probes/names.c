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

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(mkdir_exists); RUN(mkdir_mode_umask); RUN(mkdir_trailing_slash); RUN(mkdir_parent_missing); RUN(rmdir_cases);
  RUN(unlink_cases); RUN(unlinkat_removedir); RUN(getdents_count); RUN(getdents_rewind_after_unlink); RUN(getdents_types);
  RUN(getdents_on_file); RUN(chdir_getcwd); RUN(rename_file_over_file); RUN(rename_dir_cases); RUN(rename_flags);
  RUN(rename_hardlinks_same_inode); RUN(rename_missing); RUN(link_cases); RUN(link_symlink_follow); RUN(symlink_cases);
  RUN(symlink_chain_and_dir); RUN(dotdot_at_root); RUN(bytes_names_listed_and_opened); RUN(bytes_names_rename_link_unlink);
  RUN(bytes_names_symlink_body); RUN(bytes_names_cwd_and_fd_link); RUN(bytes_names_too_long);
  return 0;
}
