// Ideas from gVisor's stat.cc and LTP's stat/lstat/fstatat/statx tests,
// written anew: what fstatat and statx see through symlinks to directories
// with and without a trailing slash, link counts as children come and go,
// stat through O_PATH dirfds, and statx's mask and flag checks.
#include "probe.h"
#include <sys/sysmacros.h>

static void same_file(const char *label, struct stat *a, struct stat *b) {
  FACT("%s: same inode %d\n", label, a->st_ino == b->st_ino && a->st_dev == b->st_dev);
}

CASE(fstatat_symlink_to_dir_forms) {
  mkdir("d", 0755); symlink("d", "l"); struct stat d, s;
  stat("d", &d);
  SHOW("nofollow", fstatat(AT_FDCWD, "l", &s, AT_SYMLINK_NOFOLLOW)); FACT("type %s\n", ftype(s.st_mode));
  SHOW("nofollow with slash", fstatat(AT_FDCWD, "l/", &s, AT_SYMLINK_NOFOLLOW)); FACT("type %s\n", ftype(s.st_mode)); same_file("l/", &d, &s);
  SHOW("nofollow with slash dot", fstatat(AT_FDCWD, "l/.", &s, AT_SYMLINK_NOFOLLOW)); same_file("l/.", &d, &s);
  SHOW("lstat l//", lstat("l//", &s)); FACT("type %s\n", ftype(s.st_mode));
  symlink("f", "lf"); touch("f"); SHOW("lstat file link with slash", lstat("lf/", &s));
}
CASE(nlink_with_children_of_each_kind) {
  mkdir("d", 0755); struct stat st;
#define NL(label) do { stat("d", &st); FACT("%s: %ld\n", label, (long)st.st_nlink); } while (0)
  NL("empty"); touch("d/f"); NL("file child"); mkfifo("d/p", 0644); symlink("x", "d/l"); NL("fifo and symlink");
  mkdir("d/s", 0755); NL("dir child"); mkdir("d/s/t", 0755); NL("grandchild"); rename("d/s/t", "d/t"); NL("grandchild moved up");
  rename("d/t", "t"); NL("child moved out"); rmdir("d/s"); NL("child removed"); link("d/f", "d/f2"); NL("hard link");
#undef NL
}
CASE(nlink_of_open_unlinked_child_dir) {
  mkdir("d", 0755); mkdir("d/s", 0755); int fd = open("d/s", O_RDONLY); struct stat st;
  rmdir("d/s"); fstat(fd, &st); FACT("removed dir nlink %ld\n", (long)st.st_nlink); stat("d", &st); FACT("parent nlink %ld\n", (long)st.st_nlink);
  SHOW("stat . via fd", fstatat(fd, ".", &st, 0)); SHOW("stat .. via fd", fstatat(fd, "..", &st, 0));
  SHOW("create in removed dir", openat(fd, "x", O_CREAT | O_WRONLY, 0644)); SHOW("mkdir in removed dir", mkdirat(fd, "x", 0755));
}
CASE(child_of_non_dir) {
  touch("f"); mkfifo("p", 0644); symlink("f", "l"); struct stat st;
  SHOW("f/x", stat("f/x", &st)); SHOW("p/x", stat("p/x", &st)); SHOW("l/x", stat("l/x", &st)); SHOW("f/x/y", stat("f/x/y", &st));
  int fd = open("f", O_RDONLY); SHOW("fstatat file dirfd", fstatat(fd, "x", &st, 0)); SHOW("fstatat file dirfd .", fstatat(fd, ".", &st, 0));
  SHOW("fstatat file dirfd empty", fstatat(fd, "", &st, 0));
}
CASE(stat_after_rename_stays) {
  int fd = open("f", O_CREAT | O_RDWR, 0640); write(fd, "abcdef", 6); struct stat a, b, c;
  stat("f", &a); mkdir("d", 0755); rename("f", "d/g"); stat("d/g", &b); fstat(fd, &c);
  same_file("renamed", &a, &b); same_file("fd", &a, &c);
  FACT("mode %o size %ld nlink %ld uid %d\n", b.st_mode & 07777, (long)b.st_size, (long)b.st_nlink, b.st_uid);
  FACT("ctime %s\n", b.st_ctim.tv_sec > a.st_ctim.tv_sec || (b.st_ctim.tv_sec == a.st_ctim.tv_sec && b.st_ctim.tv_nsec >= a.st_ctim.tv_nsec) ? "not before" : "before");
}
CASE(fstat_of_o_path_each_kind) {
  mkdir("d", 0755); int w = open("f", O_CREAT | O_WRONLY, 0604); write(w, "12345", 5); symlink("f", "l"); mkfifo("p", 0620);
  const char *names[] = {"d", "f", "p"}; struct stat a, b;
  for (int i = 0; i < 3; i++) {
    int fd = open(names[i], O_PATH); fstat(fd, &a); lstat(names[i], &b);
    FACT("%s: %s %o size %ld same %d\n", names[i], ftype(a.st_mode), a.st_mode & 07777, S_ISREG(a.st_mode) ? (long)a.st_size : 0L, a.st_ino == b.st_ino);
  }
  int l = open("l", O_PATH | O_NOFOLLOW); fstat(l, &a); FACT("l: %s size %ld\n", ftype(a.st_mode), (long)a.st_size);
  int lf = open("l", O_PATH); fstat(lf, &a); FACT("l followed: %s\n", ftype(a.st_mode));
}
CASE(fstatat_through_o_path_dirfd) {
  mkdir("d", 0711); touch("d/f"); symlink("f", "d/l"); int d = open("d", O_PATH | O_DIRECTORY); struct stat st;
  SHOW("file", fstatat(d, "f", &st, 0)); SHOW("link nofollow", fstatat(d, "l", &st, AT_SYMLINK_NOFOLLOW)); FACT("%s\n", ftype(st.st_mode));
  SHOW("link followed", fstatat(d, "l", &st, 0)); FACT("%s\n", ftype(st.st_mode)); SHOW("..", fstatat(d, "..", &st, 0));
  SHOW("missing", fstatat(d, "m", &st, 0)); SHOW("empty path", fstatat(d, "", &st, AT_EMPTY_PATH)); FACT("%s %o\n", ftype(st.st_mode), st.st_mode & 07777);
}
CASE(statx_mask_bits_and_flags) {
  touch("f"); struct statx sx;
  SHOW("all known bits", statx(AT_FDCWD, "f", 0, STATX_ALL, &sx)); FACT("basic stats %d\n", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
  SHOW("mask 0", statx(AT_FDCWD, "f", 0, 0, &sx)); SHOW("unknown high bits", statx(AT_FDCWD, "f", 0, 0x40000000u, &sx));
  SHOW("reserved bit", statx(AT_FDCWD, "f", 0, 0x80000000u, &sx));
  SHOW("both sync types", statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
  SHOW("unknown flag", statx(AT_FDCWD, "f", 0x10000000, STATX_BASIC_STATS, &sx));
  SHOW("AT_NO_AUTOMOUNT", statx(AT_FDCWD, "f", AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &sx));
  SHOW("AT_STATX_DONT_SYNC", statx(AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
}
CASE(statx_fields_match_stat_after_changes) {
  int fd = open("f", O_CREAT | O_RDWR, 0640); write(fd, "hello", 5); chown("f", 12, 34); link("f", "g");
  struct stat st; struct statx sx; stat("f", &st); statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx);
  FACT("mode %d nlink %d uid %d gid %d size %d ino %d\n", sx.stx_mode == st.st_mode, sx.stx_nlink == st.st_nlink, sx.stx_uid == st.st_uid,
       sx.stx_gid == st.st_gid, (long)sx.stx_size == (long)st.st_size, sx.stx_ino == st.st_ino);
  FACT("dev %d\n", makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
  FACT("values %o %u %u %u %llu\n", sx.stx_mode & 07777, sx.stx_nlink, sx.stx_uid, sx.stx_gid, (unsigned long long)sx.stx_size);
}
CASE(statx_on_dirfd_relative_and_empty) {
  mkdir("d", 0755); int w = open("d/f", O_CREAT | O_WRONLY, 0644); write(w, "xyz", 3); int d = open("d", O_RDONLY), p = open("d", O_PATH);
  struct statx sx;
  SHOW("relative to dirfd", statx(d, "f", 0, STATX_SIZE, &sx)); FACT("size %llu\n", (unsigned long long)sx.stx_size);
  SHOW("relative to O_PATH dirfd", statx(p, "f", 0, STATX_SIZE, &sx)); SHOW("file fd empty path", statx(w, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  FACT("size %llu\n", (unsigned long long)sx.stx_size); SHOW("empty without flag", statx(w, "", 0, STATX_SIZE, &sx));
  SHOW("relative to file fd", statx(w, "x", 0, STATX_SIZE, &sx)); SHOW("bad fd relative", statx(999, "f", 0, STATX_SIZE, &sx));
  SHOW("bad fd absolute", statx(999, "/", 0, STATX_SIZE, &sx));
}
CASE(size_of_each_kind_after_writes) {
  mkdir("d", 0755); symlink("abcdefghij", "l"); mkfifo("p", 0644); int fd = open("f", O_CREAT | O_RDWR, 0644);
  struct stat st;
  pwrite(fd, "x", 1, 99); fstat(fd, &st); FACT("file after pwrite at 99: %ld\n", (long)st.st_size);
  lstat("l", &st); FACT("symlink: %ld\n", (long)st.st_size); int pr = open("p", O_RDWR); write(pr, "abc", 3); fstat(pr, &st);
  FACT("fifo with data: %ld\n", (long)st.st_size); symlink("", "e"); SHOW("empty symlink", lstat("e", &st));
}
CASE(stat_dot_and_dotdot_of_cwd_and_subdir) {
  mkdir("d", 0755); struct stat c, dot, dd, sub, subdd;
  stat(".", &dot); SHOW("cwd fstat", ({ int f = open(".", O_RDONLY); fstat(f, &c); })); same_file(". vs open .", &dot, &c);
  stat("d", &sub); stat("d/..", &subdd); same_file("d/.. is .", &dot, &subdd); stat("d/.", &dd); same_file("d/. is d", &sub, &dd);
  chdir("d"); stat("..", &dd); same_file("after chdir, .. is old cwd", &dot, &dd); chdir("..");
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(fstatat_symlink_to_dir_forms); RUN(nlink_with_children_of_each_kind); RUN(nlink_of_open_unlinked_child_dir); RUN(child_of_non_dir);
  RUN(stat_after_rename_stays); RUN(fstat_of_o_path_each_kind); RUN(fstatat_through_o_path_dirfd); RUN(statx_mask_bits_and_flags);
  RUN(statx_fields_match_stat_after_changes); RUN(statx_on_dirfd_relative_and_empty); RUN(size_of_each_kind_after_writes);
  RUN(stat_dot_and_dotdot_of_cwd_and_subdir);
  return 0;
}
