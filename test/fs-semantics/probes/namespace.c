// The namespace calls against every kind of existing entry: what each creator
// says when the name is taken (file, directory, symlink, dangling symlink,
// FIFO), what rename, link, unlink and rmdir say for each pair of kinds, and
// the flags of renameat2, linkat and unlinkat.
#include "probe.h"
#include <sys/sysmacros.h>

/** One entry of each kind: f (file), d (dir), l (link to f), dl (dangling link), p (FIFO). */
static void kinds(void) { touch("f"); mkdir("d", 0755); symlink("f", "l"); symlink("missing", "dl"); mkfifo("p", 0644); }
static const char *const KINDS[] = {"f", "d", "l", "dl", "p"};
#define EACH_KIND(var) for (const char *const *_k = KINDS, *var; _k < KINDS + 5 && (var = *_k); _k++)
static void show_kind(const char *p) {
  struct stat st;
  if (lstat(p, &st) != 0) printf("%s: %s\n", p, strerrorname_np(errno)); else printf("%s: %s\n", p, ftype(st.st_mode));
}
static long rename2(const char *a, const char *b, unsigned flags) { return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags); }
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#endif

CASE(mkdir_over_each_kind) { kinds(); char l[32]; EACH_KIND(k) { snprintf(l, sizeof l, "mkdir %s", k); SHOW(l, mkdir(k, 0755)); } }
CASE(mkfifo_over_each_kind) { kinds(); char l[32]; EACH_KIND(k) { snprintf(l, sizeof l, "mkfifo %s", k); SHOW(l, mkfifo(k, 0644)); } }
CASE(symlink_over_each_kind) { kinds(); char l[32]; EACH_KIND(k) { snprintf(l, sizeof l, "symlink %s", k); SHOW(l, symlink("t", k)); } }
CASE(link_over_each_kind) {
  kinds(); touch("src"); char l[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "link onto %s", k); SHOW(l, link("src", k)); }
}
CASE(open_excl_over_each_kind) {
  kinds(); char l[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "O_CREAT|O_EXCL %s", k); SHOW(l, open(k, O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK, 0644)); }
}
CASE(open_creat_over_each_kind) {
  kinds(); char l[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "O_CREAT %s", k); OK(l, open(k, O_CREAT | O_RDONLY | O_NONBLOCK, 0644)); }
  show_kind("missing");
}
CASE(link_from_each_kind) {
  kinds(); char l[32], n[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "link %s", k); snprintf(n, sizeof n, "new-%s", k); SHOW(l, link(k, n)); show_kind(n); }
}
CASE(linkat_follow_from_each_kind) {
  kinds(); char l[32], n[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "linkat FOLLOW %s", k); snprintf(n, sizeof n, "new-%s", k); SHOW(l, linkat(AT_FDCWD, k, AT_FDCWD, n, AT_SYMLINK_FOLLOW)); show_kind(n); }
}
CASE(unlink_each_kind) { kinds(); char l[32]; EACH_KIND(k) { snprintf(l, sizeof l, "unlink %s", k); SHOW(l, unlink(k)); } }
CASE(rmdir_each_kind) { kinds(); symlink("d", "ld"); char l[32]; EACH_KIND(k) { snprintf(l, sizeof l, "rmdir %s", k); SHOW(l, rmdir(k)); } SHOW("rmdir link to dir", rmdir("ld")); SHOW("rmdir ld/", rmdir("ld/")); }
CASE(unlinkat_flags) {
  kinds(); touch("g");
  SHOW("AT_REMOVEDIR on file", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR)); SHOW("0 on dir", unlinkat(AT_FDCWD, "d", 0));
  SHOW("bad flag", unlinkat(AT_FDCWD, "g", 0x1)); SHOW("AT_SYMLINK_NOFOLLOW", unlinkat(AT_FDCWD, "g", AT_SYMLINK_NOFOLLOW));
  SHOW("AT_REMOVEDIR on dir", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR)); SHOW("AT_REMOVEDIR on fifo", unlinkat(AT_FDCWD, "p", AT_REMOVEDIR));
}
CASE(rename_each_kind_over_file) {
  char l[32];
  EACH_KIND(k) { kinds(); touch("t"); snprintf(l, sizeof l, "%s over file", k); SHOW(l, rename(k, "t")); show_kind("t"); unlink("t"); rmdir("t"); unlink("f"); rmdir("d"); unlink("l"); unlink("dl"); unlink("p"); }
}
CASE(rename_each_kind_over_dir) {
  char l[32];
  EACH_KIND(k) { kinds(); mkdir("t", 0755); snprintf(l, sizeof l, "%s over dir", k); SHOW(l, rename(k, "t")); show_kind("t"); unlink("t"); rmdir("t"); unlink("f"); rmdir("d"); unlink("l"); unlink("dl"); unlink("p"); }
}
CASE(rename_each_kind_over_symlink) {
  char l[32];
  EACH_KIND(k) { kinds(); symlink("d", "t"); snprintf(l, sizeof l, "%s over link to dir", k); SHOW(l, rename(k, "t")); show_kind("t"); unlink("t"); rmdir("t"); unlink("f"); rmdir("d"); unlink("l"); unlink("dl"); unlink("p"); }
}
CASE(rename_noreplace_each_kind) {
  kinds(); touch("src"); char l[32];
  EACH_KIND(k) { snprintf(l, sizeof l, "NOREPLACE over %s", k); SHOW(l, rename2("src", k, RENAME_NOREPLACE)); }
  SHOW("NOREPLACE to a new name", rename2("src", "new", RENAME_NOREPLACE)); show_kind("new");
  SHOW("NOREPLACE onto itself", rename2("new", "new", RENAME_NOREPLACE));
}
CASE(rename_exchange_with_missing) {
  kinds();
  SHOW("EXCHANGE f with missing", rename2("f", "nope", RENAME_EXCHANGE)); SHOW("EXCHANGE missing with f", rename2("nope", "f", RENAME_EXCHANGE));
  SHOW("EXCHANGE dangling links", rename2("dl", "l", RENAME_EXCHANGE)); show_kind("l"); char b[16] = {0}; readlink("l", b, sizeof b); FACT("l -> %s\n", b);
  SHOW("EXCHANGE onto itself", rename2("f", "f", RENAME_EXCHANGE)); SHOW("EXCHANGE|NOREPLACE", rename2("f", "d", RENAME_EXCHANGE | RENAME_NOREPLACE));
}
CASE(rename_exchange_dir_into_own_child) {
  mkdir("a", 0755); mkdir("a/b", 0755); touch("a/b/f");
  SHOW("exchange a with a/b", rename2("a", "a/b", RENAME_EXCHANGE)); SHOW("exchange a/b with a", rename2("a/b", "a", RENAME_EXCHANGE));
  SHOW("rename a/b to a", rename("a/b", "a")); SHOW("rename a to a/b/c", rename("a", "a/b/c"));
}
CASE(rename_whiteout) {
  touch("f"); struct stat st;
  SHOW("WHITEOUT", rename2("f", "g", RENAME_WHITEOUT)); SHOW("lstat f", lstat("f", &st));
  if (S_ISCHR(st.st_mode)) FACT("f is a whiteout: chr %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
  SHOW("WHITEOUT|EXCHANGE", rename2("g", "f", RENAME_WHITEOUT | RENAME_EXCHANGE));
}
CASE(rename_same_inode_two_names) {
  touch("a"); link("a", "b"); mkdir("d", 0755); link("a", "d/c");
  SHOW("rename a b", rename("a", "b")); FACT("a still there: %d\n", access("a", F_OK) == 0); FACT("b still there: %d\n", access("b", F_OK) == 0);
  SHOW("NOREPLACE a b", rename2("a", "b", RENAME_NOREPLACE)); SHOW("EXCHANGE a d/c", rename2("a", "d/c", RENAME_EXCHANGE));
  struct stat st; stat("a", &st); FACT("nlink %ld\n", (long)st.st_nlink);
}
CASE(link_to_directory_and_dots) {
  mkdir("d", 0755); touch("f");
  SHOW("link dir", link("d", "d2")); SHOW("link .", link(".", "x")); SHOW("link ..", link("..", "x"));
  SHOW("link f onto .", link("f", ".")); SHOW("link f onto ..", link("f", "..")); SHOW("link d/. ", link("d/.", "y"));
}
CASE(unlink_and_rmdir_dots) {
  mkdir("d", 0755);
  SHOW("unlink .", unlink(".")); SHOW("unlink ..", unlink("..")); SHOW("unlink d/..", unlink("d/.."));
  SHOW("unlinkat REMOVEDIR .", unlinkat(AT_FDCWD, ".", AT_REMOVEDIR)); SHOW("unlinkat REMOVEDIR d/..", unlinkat(AT_FDCWD, "d/..", AT_REMOVEDIR));
  SHOW("rmdir d/./", rmdir("d/./")); SHOW("rmdir ./d", rmdir("./d"));
}
CASE(rename_dots_more) {
  mkdir("d", 0755); touch("f");
  SHOW("rename d/. e", rename("d/.", "e")); SHOW("rename d/.. e", rename("d/..", "e")); SHOW("rename f d/.", rename("f", "d/."));
  SHOW("rename f d/..", rename("f", "d/..")); SHOW("rename . e", rename(".", "e")); SHOW("rename d .", rename("d", "."));
}
CASE(linkat_flags) {
  touch("f"); symlink("f", "l"); int fd = open("f", O_RDONLY);
  SHOW("bad flag", linkat(AT_FDCWD, "f", AT_FDCWD, "a", 0x8)); SHOW("AT_EMPTY_PATH on path", linkat(AT_FDCWD, "f", AT_FDCWD, "b", AT_EMPTY_PATH));
  SHOW("AT_EMPTY_PATH on fd", linkat(fd, "", AT_FDCWD, "c", AT_EMPTY_PATH)); SHOW("empty path without flag", linkat(fd, "", AT_FDCWD, "e", 0));
  SHOW("link of symlink without FOLLOW", linkat(AT_FDCWD, "l", AT_FDCWD, "g", 0)); show_kind("g");
  SHOW("link of symlink with FOLLOW", linkat(AT_FDCWD, "l", AT_FDCWD, "h", AT_SYMLINK_FOLLOW)); show_kind("h");
}
CASE(link_counts_through_ops) {
  touch("f"); struct stat st;
  link("f", "g"); link("g", "h"); stat("f", &st); FACT("after 2 links %ld\n", (long)st.st_nlink);
  rename("g", "h"); stat("f", &st); FACT("after renaming one onto another %ld\n", (long)st.st_nlink);
  touch("x"); rename("x", "h"); stat("f", &st); FACT("after replacing one %ld\n", (long)st.st_nlink);
  int fd = open("f", O_RDONLY); unlink("f"); fstat(fd, &st); FACT("open, after unlinking one of two %ld\n", (long)st.st_nlink);
}
CASE(dir_nlink_through_ops) {
  mkdir("d", 0755); struct stat st;
  mkdir("d/a", 0755); mkdir("d/b", 0755); touch("d/f"); stat("d", &st); FACT("2 subdirs and a file: %ld\n", (long)st.st_nlink);
  rename("d/a", "d/b"); stat("d", &st); FACT("after dir over empty dir: %ld\n", (long)st.st_nlink);
  mkdir("e", 0755); rename("d/b", "e/b"); stat("d", &st); FACT("d after moving out: %ld\n", (long)st.st_nlink);
  stat("e", &st); FACT("e after moving in: %ld\n", (long)st.st_nlink);
  syscall(SYS_renameat2, AT_FDCWD, "e", AT_FDCWD, "d/f", RENAME_EXCHANGE); stat("d", &st); FACT("d after exchanging a file for a dir: %ld\n", (long)st.st_nlink);
  stat(".", &st); FACT("cwd: %ld\n", (long)st.st_nlink);
}
CASE(rename_open_dir_and_cwd) {
  mkdir("d", 0755); mkdir("e", 0755); chdir("d"); touch("f");
  SHOW("rename cwd", rename("../d", "../d2")); SHOW("relative still works", access("f", F_OK)); SHOW("rmdir cwd", (unlink("f"), rmdir("../d2")));
  SHOW("create in removed cwd", open("g", O_CREAT | O_WRONLY, 0644)); char b[4096]; SHOW("getcwd", syscall(SYS_getcwd, b, sizeof b) > 0 ? 0 : -1);
}
CASE(mknodat_and_mkdirat_dirfds) {
  mkdir("d", 0755); int dfd = open("d", O_RDONLY | O_DIRECTORY), ffd = (touch("f"), open("f", O_RDONLY));
  SHOW("mkdirat", mkdirat(dfd, "x", 0755)); SHOW("mknodat", mknodat(dfd, "p", S_IFIFO | 0644, 0)); SHOW("symlinkat", symlinkat("t", dfd, "l"));
  SHOW("mkdirat on file fd", mkdirat(ffd, "x", 0755)); SHOW("mkdirat bad fd", mkdirat(4321, "x", 0755));
  show_kind("d/x"); show_kind("d/p"); show_kind("d/l");
}
CASE(renameat_dirfds) {
  mkdir("a", 0755); mkdir("b", 0755); touch("a/f"); int A = open("a", O_RDONLY), B = open("b", O_PATH), F = open("a/f", O_RDONLY);
  SHOW("renameat a->b", renameat(A, "f", B, "g")); show_kind("b/g"); SHOW("bad old fd", renameat(999, "x", B, "g"));
  SHOW("file as new dirfd", renameat(B, "g", F, "h")); SHOW("renameat2 across O_PATH", syscall(SYS_renameat2, B, "g", A, "f", 0)); show_kind("a/f");
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(mkdir_over_each_kind); RUN(mkfifo_over_each_kind); RUN(symlink_over_each_kind); RUN(link_over_each_kind);
  RUN(open_excl_over_each_kind); RUN(open_creat_over_each_kind); RUN(link_from_each_kind); RUN(linkat_follow_from_each_kind);
  RUN(unlink_each_kind); RUN(rmdir_each_kind); RUN(unlinkat_flags); RUN(rename_each_kind_over_file); RUN(rename_each_kind_over_dir);
  RUN(rename_each_kind_over_symlink); RUN(rename_noreplace_each_kind); RUN(rename_exchange_with_missing);
  RUN(rename_exchange_dir_into_own_child); RUN(rename_whiteout); RUN(rename_same_inode_two_names); RUN(link_to_directory_and_dots);
  RUN(unlink_and_rmdir_dots); RUN(rename_dots_more); RUN(linkat_flags); RUN(link_counts_through_ops); RUN(dir_nlink_through_ops);
  RUN(rename_open_dir_and_cwd); RUN(mknodat_and_mkdirat_dirfds); RUN(renameat_dirfds);
  return 0;
}
