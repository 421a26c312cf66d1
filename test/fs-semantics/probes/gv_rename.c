// Ideas from gVisor's rename.cc and LTP's rename tests, written anew: the
// root as either name, a directory renamed over an open empty directory,
// ".." following a moved directory, swaps through a temporary name, name
// lengths, which error wins when several apply, and exchanges across parents.
#include "probe.h"

static void show_kind(const char *p) {
  struct stat st; if (lstat(p, &st)) printf("%s: %s\n", p, strerrorname_np(errno));
  else printf("%s: %s nlink %ld\n", p, ftype(st.st_mode), S_ISDIR(st.st_mode) ? (long)st.st_nlink : 0L);
}
static void put(const char *p, const char *s) { int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644); write(fd, s, strlen(s)); close(fd); }
static void content(const char *p) { char b[32] = {0}; int fd = open(p, O_RDONLY); if (fd < 0) { printf("%s: %s\n", p, strerrorname_np(errno)); return; } read(fd, b, sizeof b - 1); close(fd); printf("%s: %s\n", p, b); }
static long nlink_of(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_nlink; }

CASE(rename_root_either_side) {
  touch("f"); mkdir("d", 0755);
  // In a chroot at this directory, so that "/" is on the same mount as its entries.
  IN_CHILD {
    if (chroot(".") != 0) { printf("chroot: %s\n", strerrorname_np(errno)); continue; }
    SHOW("/ to here", rename("/", "x")); SHOW("file to /", rename("f", "/")); SHOW("dir to /", rename("d", "/"));
    SHOW("renameat2 noreplace to /", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "/", 1)); SHOW("/. to here", rename("/.", "x"));
    SHOW("/.. to here", rename("/..", "x")); SHOW("exchange with /", syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "/", 2));
  }
  show_kind("f"); show_kind("d"); show_kind("x");
}
CASE(rename_over_open_empty_dir) {
  mkdir("a", 0755); touch("a/f"); mkdir("b", 0755); int fd = open("b", O_RDONLY | O_DIRECTORY);
  SHOW("rename a over b", rename("a", "b")); struct stat st; fstat(fd, &st); FACT("old b nlink %ld\n", (long)st.st_nlink);
  char buf[1024]; SHOW("getdents on old b", syscall(SYS_getdents64, fd, buf, sizeof buf));
  SHOW("create in old b", openat(fd, "n", O_CREAT | O_WRONLY, 0644)); show_kind("b/f"); FACT("cwd nlink %ld\n", nlink_of("."));
}
CASE(rename_after_writable_fd_and_chmod) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); chmod("f", 0); mkdir("d", 0755);
  SHOW("rename", rename("f", "d/g")); SHOW("write through old fd", write(fd, "def", 3)); struct stat st; stat("d/g", &st);
  FACT("mode %o size %ld\n", st.st_mode & 07777, (long)st.st_size); chmod("d/g", 0644); content("d/g");
}
CASE(rename_dir_moves_its_dotdot) {
  mkdir("a", 0755); mkdir("a/s", 0755); mkdir("b", 0755); int s = open("a/s", O_RDONLY); struct stat x, y;
  rename("a/s", "b/s"); fstatat(s, "..", &x, 0); stat("b", &y); FACT("fd .. is new parent %d\n", x.st_ino == y.st_ino);
  stat("b/s/..", &x); FACT("path .. is new parent %d\n", x.st_ino == y.st_ino);
  FACT("nlink a %ld b %ld\n", nlink_of("a"), nlink_of("b")); SHOW("mkdirat through moved fd", mkdirat(s, "t", 0755)); show_kind("b/s/t");
}
CASE(rename_swap_through_temporary) {
  put("a", "first"); put("b", "second"); int fa = open("a", O_RDONLY);
  SHOW("a -> tmp", rename("a", "tmp")); SHOW("b -> a", rename("b", "a")); SHOW("tmp -> b", rename("tmp", "b"));
  content("a"); content("b"); show_kind("tmp"); char buf[16] = {0}; pread(fa, buf, 15, 0); FACT("fd of old a reads %s\n", buf);
}
CASE(rename_name_lengths) {
  char n255[256], n256[257]; memset(n255, 'a', 255); n255[255] = 0; memset(n256, 'b', 256); n256[256] = 0; touch("f");
  SHOW("to 255", rename("f", n255)); SHOW("255 to 256", rename(n255, n256)); SHOW("from 256", rename(n256, "g"));
  SHOW("255 back", rename(n255, "f")); show_kind("f");
  mkdir("d", 0755); SHOW("dir to 255", rename("d", n255)); SHOW("dir to 256", rename(n255, n256)); SHOW("dir kept its 255 name", access(n255, F_OK));
}
CASE(rename_file_over_symlink_to_dir) {
  mkdir("d", 0755); symlink("d", "l"); touch("f"); touch("d/keep");
  SHOW("rename f over l", rename("f", "l")); show_kind("l"); show_kind("d"); show_kind("d/keep");
  symlink("d", "l2"); mkdir("e", 0755); SHOW("rename dir over symlink to dir", rename("e", "l2")); show_kind("l2");
  SHOW("rename over l2/ (the target dir)", rename("l", "l2/")); show_kind("l2");
}
CASE(renameat_two_fds_same_dir) {
  mkdir("d", 0755); touch("d/a"); int r = open("d", O_RDONLY), p = open("d", O_PATH), q = open(".", O_RDONLY);
  SHOW("rdonly to O_PATH fd", renameat(r, "a", p, "b")); show_kind("d/b");
  SHOW("O_PATH to cwd-relative", renameat(p, "b", q, "d/c")); show_kind("d/c");
  SHOW("through dirfd ..", renameat(p, "c", p, "../top")); show_kind("top"); SHOW("through dirfd dot", renameat(q, "top", p, "./back")); show_kind("d/back");
}
CASE(rename_error_priority) {
  touch("f"); mkdir("d", 0755); touch("d/x"); mkdir("e", 0755);
  SHOW("missing to missing dir", rename("missing", "nodir/x")); SHOW("file to missing dir", rename("f", "nodir/x"));
  SHOW("file to path through file", rename("f", "f/x")); SHOW("missing through file", rename("f/x", "g"));
  SHOW("dir over nonempty dir", rename("e", "d")); SHOW("dir over file", rename("e", "f")); SHOW("file over dir", rename("f", "d"));
  SHOW("missing over dir", rename("missing", "d")); SHOW("dir into itself", rename("d", "d/sub"));
}
CASE(rename_exchange_dirs_across_parents) {
  mkdir("p", 0755); mkdir("q", 0755); mkdir("p/a", 0755); mkdir("p/a/x", 0755); touch("q/b");
  FACT("before: p %ld q %ld\n", nlink_of("p"), nlink_of("q"));
  SHOW("exchange dir and file", syscall(SYS_renameat2, AT_FDCWD, "p/a", AT_FDCWD, "q/b", 2));
  FACT("after: p %ld q %ld\n", nlink_of("p"), nlink_of("q")); show_kind("p/a"); show_kind("q/b"); show_kind("q/b/x");
  struct stat a, b; stat("q/b/..", &a); stat("q", &b); FACT("moved dir's .. is q %d\n", a.st_ino == b.st_ino);
}
CASE(rename_chain_through_dirfd) {
  mkdir("a", 0755); mkdir("a/b", 0755); put("a/b/f", "x"); int b = open("a/b", O_RDONLY);
  rename("a", "A"); rename("A/b", "B"); rename("B/f", "B/g"); SHOW("renameat through moved dirfd", renameat(b, "g", b, "h"));
  show_kind("B/h"); show_kind("A"); SHOW("rmdir A", rmdir("A")); SHOW("renameat into removed A via ..", renameat(b, "h", b, "../A/h"));
}
CASE(rename_moves_dir_out_then_rmdir_parent) {
  mkdir("p", 0755); mkdir("p/c", 0755); touch("p/c/f"); int c = open("p/c", O_RDONLY);
  SHOW("rmdir nonempty", rmdir("p")); SHOW("move child out", rename("p/c", "c")); SHOW("rmdir now", rmdir("p"));
  show_kind("c/f"); struct stat x, y; fstatat(c, "..", &x, 0); stat(".", &y); FACT("child's .. is cwd %d\n", x.st_ino == y.st_ino);
}
CASE(rename_noreplace_over_dangling_and_self) {
  symlink("missing", "dl"); touch("f"); link("f", "h");
  SHOW("noreplace over dangling", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "dl", 1));
  SHOW("noreplace onto own hard link", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "h", 1));
  SHOW("noreplace onto itself", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "f", 1));
  SHOW("exchange with itself", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "f", 2));
  SHOW("exchange with own hard link", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "h", 2)); show_kind("dl"); show_kind("f"); show_kind("h");
}
CASE(rename_replaced_file_fd_keeps_data) {
  put("a", "aaa"); put("b", "bbb"); int fb = open("b", O_RDWR);
  SHOW("rename a over b", rename("a", "b")); struct stat st; fstat(fb, &st); FACT("old b nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
  SHOW("write to old b", pwrite(fb, "Z", 1, 0)); content("b"); char buf[8] = {0}; pread(fb, buf, 7, 0); FACT("old b reads %s\n", buf);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(rename_root_either_side); RUN(rename_over_open_empty_dir); RUN(rename_after_writable_fd_and_chmod); RUN(rename_dir_moves_its_dotdot);
  RUN(rename_swap_through_temporary); RUN(rename_name_lengths); RUN(rename_file_over_symlink_to_dir); RUN(renameat_two_fds_same_dir);
  RUN(rename_error_priority); RUN(rename_exchange_dirs_across_parents); RUN(rename_chain_through_dirfd);
  RUN(rename_moves_dir_out_then_rmdir_parent); RUN(rename_noreplace_over_dangling_and_self); RUN(rename_replaced_file_fd_keeps_data);
  return 0;
}
