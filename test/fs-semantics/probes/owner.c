// Ownership and mode changes by non-root callers and by root: chmod, chown,
// the set-id bits that chown, truncate and write take away, setgid
// directories, umask, and ctime following changes.
#include "probe.h"
#include "as.h"

#define USER AS(1000, 1000, 1000)

static long ctime_ns(const char *p) { struct stat st; lstat(p, &st); return st.st_ctim.tv_sec * 1000000000L + st.st_ctim.tv_nsec; }
static void pause_a_little(void) { struct timespec ts = {0, 20000000}; nanosleep(&ts, NULL); }

CASE(chmod_not_owner) { mkfile("f", 0666, 0, 0); USER { SHOW("chmod", chmod("f", 0777)); } show_owner("f", "f"); }
CASE(chmod_owner_readonly_file) { mkfile("f", 0444, 1000, 1000); USER { SHOW("chmod", chmod("f", 0640)); } show_owner("f", "f"); }
CASE(chmod_sgid_not_in_group) {
  mkfile("f", 0644, 1000, 3000); mkdirp("d", 0755, 1000, 3000);
  USER { SHOW("chmod 2755 file", chmod("f", 02755)); SHOW("chmod 2755 dir", chmod("d", 02755)); }
  show_owner("f", "f"); show_owner("d", "d");
}
CASE(chmod_sgid_in_group) {
  mkfile("f", 0644, 1000, 3000); mkfile("g", 0644, 1000, 1000);
  AS(1000, 1000, 1000, 3000) { SHOW("supplementary", chmod("f", 02755)); SHOW("own group", chmod("g", 02711)); }
  show_owner("f", "f"); show_owner("g", "g");
}
CASE(chmod_root_sgid_any_group) { mkfile("f", 0644, 1000, 3000); SHOW("chmod", chmod("f", 06755)); show_owner("f", "f"); }
CASE(chmod_sticky_file_user) { mkfile("f", 0644, 1000, 1000); USER { SHOW("chmod 1644", chmod("f", 01644)); SHOW("chmod 4755", chmod("f", 04755)); } show_owner("f", "f"); }
CASE(chmod_via_symlink) {
  mkfile("f", 0644, 0, 0); mkfile("g", 0644, 1000, 1000); symlink("f", "lf"); symlink("g", "lg"); lchown("lf", 1000, 1000);
  USER { SHOW("own link to root's file", chmod("lf", 0600)); SHOW("link to own file", chmod("lg", 0600)); }
  show_owner("f", "f"); show_owner("g", "g");
}
CASE(fchmod_not_owner) {
  mkfile("f", 0666, 0, 0); int fd = open("f", O_RDWR);
  USER { SHOW("fchmod", fchmod(fd, 0600)); }
  mkfile("g", 0666, 1000, 1000); fd = open("g", O_RDONLY);
  USER { SHOW("fchmod own via read-only fd", fchmod(fd, 0600)); }
  show_owner("g", "g");
}
CASE(chown_to_other_uid) { mkfile("f", 0644, 1000, 1000); USER { SHOW("chown", chown("f", 2000, -1)); SHOW("same uid", chown("f", 1000, -1)); } show_owner("f", "f"); }
CASE(chown_group_member) {
  mkfile("f", 0644, 1000, 1000);
  AS(1000, 1000, 1000, 3000) { SHOW("to supplementary", chown("f", -1, 3000)); SHOW("to egid", chown("f", 1000, 1000)); SHOW("to other group", chown("f", -1, 4000)); }
  show_owner("f", "f");
}
CASE(chown_group_not_owner) {
  mkfile("f", 0666, 0, 0);
  AS(1000, 1000, 1000, 3000) { SHOW("chgrp other's file", chown("f", -1, 3000)); SHOW("same group", chown("f", -1, 0)); SHOW("no change", chown("f", -1, -1)); }
  show_owner("f", "f");
}
CASE(chown_egid_not_supplementary) {
  mkfile("f", 0644, 1000, 1000);
  AS(1000, 5000, 1000) { SHOW("to egid", chown("f", -1, 5000)); }
  show_owner("f", "f");
}
CASE(chown_user_clears_setid) {
  mkfile("a", 04755, 1000, 1000); mkfile("b", 02755, 1000, 1000); mkfile("c", 02745, 1000, 1000); mkfile("e", 06777, 1000, 1000);
  AS(1000, 1000, 1000, 3000) { SHOW("a", chown("a", -1, 3000)); SHOW("b", chown("b", -1, 3000)); SHOW("c", chown("c", -1, 3000)); SHOW("e no change", chown("e", -1, -1)); }
  show_owner("a", "a"); show_owner("b", "b"); show_owner("c", "c"); show_owner("e", "e");
}
CASE(chown_user_sgid_nongx_not_in_new_group) {
  mkfile("c", 02745, 1000, 1000);
  AS(1000, 3000, 3000) { SHOW("to egid 3000 (file group not ours)", chown("c", -1, 3000)); }
  show_owner("c", "c");
}
CASE(chown_root_clears_setid) {
  mkfile("a", 06555, 0, 0); mkfile("b", 06444, 0, 0); mkfile("c", 04700, 0, 0);
  SHOW("a", chown("a", 1000, 1000)); SHOW("b", chown("b", 1000, 1000)); SHOW("c -1 -1", chown("c", -1, -1));
  show_owner("a", "a"); show_owner("b", "b"); show_owner("c", "c");
}
CASE(chown_dir_keeps_setid) { mkdirp("d", 06755, 0, 0); SHOW("chown", chown("d", 1000, 1000)); show_owner("d", "d"); }
CASE(chown_other_types_setid) {
  mkfifo("p", 0644); chmod("p", 04755); SHOW("fifo", chown("p", 1000, 1000)); show_owner("p", "p");
}
CASE(chown_not_owner_setid_file) {
  mkfile("f", 04755, 0, 0);
  USER { SHOW("chown -1 -1", chown("f", -1, -1)); }
  show_owner("f", "f");
}
CASE(lchown_user) {
  symlink("x", "l"); lchown("l", 1000, 1000);
  AS(1000, 1000, 1000, 3000) { SHOW("lchown own link", lchown("l", -1, 3000)); SHOW("to other uid", lchown("l", 2000, -1)); }
  show_owner("l", "l");
}
CASE(fchown_user) {
  mkfile("f", 0644, 1000, 1000); int fd = open("f", O_RDONLY);
  AS(1000, 1000, 1000, 3000) { SHOW("fchown", fchown(fd, -1, 3000)); SHOW("fchown uid", fchown(fd, 0, -1)); }
  show_owner("f", "f");
}
CASE(fchownat_flags_user) {
  mkfile("f", 0644, 1000, 1000); symlink("f", "l");
  AS(1000, 1000, 1000, 3000) { SHOW("nofollow on link (root's)", fchownat(AT_FDCWD, "l", -1, 3000, AT_SYMLINK_NOFOLLOW)); SHOW("follow", fchownat(AT_FDCWD, "l", -1, 3000, 0)); }
  show_owner("f", "f"); show_owner("l", "l");
}
CASE(truncate_clears_setid_user) {
  mkfile("a", 04777, 0, 0); mkfile("b", 02777, 0, 0); mkfile("c", 02767, 0, 0); mkfile("d", 02767, 0, 1000);
  USER { SHOW("a", truncate("a", 1)); SHOW("b", truncate("b", 1)); SHOW("c", truncate("c", 1)); SHOW("d (in group)", truncate("d", 1)); }
  show_owner("a", "a"); show_owner("b", "b"); show_owner("c", "c"); show_owner("d", "d");
}
CASE(truncate_root_keeps_setid) { mkfile("a", 06777, 1000, 1000); SHOW("truncate", truncate("a", 10)); show_owner("a", "a"); }
CASE(open_trunc_clears_setid_user) {
  mkfile("a", 04777, 0, 0); int fd = open("a", O_WRONLY); write(fd, "abc", 3); close(fd);
  USER { OK("O_TRUNC", open("a", O_WRONLY | O_TRUNC)); }
  show_owner("a", "a");
}
CASE(write_clears_setid_user) {
  mkfile("a", 04777, 0, 0); mkfile("b", 02777, 0, 0); mkfile("c", 02766, 0, 0);
  USER {
    int fd = open("a", O_WRONLY); SHOW("write a", write(fd, "x", 1)); struct stat st; fstat(fd, &st); FACT("fstat a %o\n", st.st_mode & 07777);
    fd = open("b", O_WRONLY); SHOW("write b", write(fd, "x", 1)); fd = open("c", O_WRONLY); SHOW("write c", write(fd, "x", 1));
  }
  show_owner("a", "a"); show_owner("b", "b"); show_owner("c", "c");
}
// The set-id bits a write took away stay away through a rename, a link, a chown; bits set again, then
// dropped by a chmod, leave a chown nothing to take.
CASE(setid_through_later_changes) {
  mkfile("a", 06777, 0, 0);
  USER { int fd = open("a", O_WRONLY); SHOW("write a", write(fd, "x", 1)); close(fd); }
  SHOW("rename", rename("a", "b")); show_owner("renamed", "b");
  SHOW("link", link("b", "c")); show_owner("linked", "b");
  SHOW("chown", chown("b", 1000, 1000)); show_owner("chowned", "b");
  SHOW("chmod 4755", chmod("b", 04755)); SHOW("chmod 755", chmod("b", 0755)); SHOW("chown", chown("b", 0, 0)); show_owner("then", "b");
  SHOW("chmod 2745", chmod("b", 02745)); int fd = open("b", O_RDONLY); SHOW("fchown", fchown(fd, 1000, 1000)); close(fd);
  show_owner("sgid without group execute", "b");
}
CASE(write_root_keeps_setid) {
  mkfile("a", 04777, 1000, 1000); int fd = open("a", O_WRONLY); SHOW("write", write(fd, "x", 1)); show_owner("a", "a");
}
// Setgid without group execute stays on a member's write: the writer's own group, or a supplementary one.
CASE(write_member_keeps_sgid_nongx) {
  mkfile("own", 02766, 1000, 1000); mkfile("supp", 02766, 0, 3000);
  AS(1000, 1000, 1000, 3000) {
    int fd = open("own", O_WRONLY); SHOW("write own group's", write(fd, "x", 1));
    fd = open("supp", O_WRONLY); SHOW("write supplementary group's", write(fd, "x", 1));
  }
  show_owner("own", "own"); show_owner("supp", "supp");
}
// ftruncate, like write, runs on an open file: root keeps the bits, a user loses setuid.
CASE(ftruncate_setid) {
  mkfile("a", 06777, 1000, 1000); mkfile("b", 04777, 0, 0);
  int fd = open("a", O_WRONLY); SHOW("root", ftruncate(fd, 5));
  USER { fd = open("b", O_WRONLY); SHOW("user", ftruncate(fd, 5)); }
  show_owner("a", "a"); show_owner("b", "b");
}
CASE(setgid_dir_inherits) {
  mkdirp("d", 02777, 0, 3000);
  USER { close(open("d/f", O_CREAT | O_WRONLY, 0644)); mkdir("d/sub", 0755); symlink("x", "d/l"); mkfifo("d/p", 0644); }
  show_owner("f", "d/f"); show_owner("sub", "d/sub"); show_owner("l", "d/l"); show_owner("p", "d/p");
}
CASE(setgid_dir_strips_sgid_file) {
  mkdirp("d", 02777, 0, 3000);
  USER { close(open("d/f", O_CREAT | O_WRONLY, 02755)); mkdir("d/sub", 02755); mknod("d/p", S_IFIFO | 02755, 0); close(open("d/g", O_CREAT | O_WRONLY, 02745)); }
  AS(1000, 1000, 1000, 3000) { close(open("d/member", O_CREAT | O_WRONLY, 02755)); }
  close(open("d/root", O_CREAT | O_WRONLY, 02755));
  show_owner("f", "d/f"); show_owner("sub", "d/sub"); show_owner("p", "d/p"); show_owner("g", "d/g"); show_owner("member", "d/member"); show_owner("root", "d/root");
}
CASE(plain_dir_no_inherit) {
  mkdirp("d", 0777, 0, 3000);
  AS(1000, 2000, 1000) { close(open("d/f", O_CREAT | O_WRONLY, 02755)); mkdir("d/sub", 02755); }
  show_owner("f", "d/f"); show_owner("sub", "d/sub");
}
CASE(umask_user) {
  chmod(".", 0777);
  USER { umask(027); close(open("f", O_CREAT | O_WRONLY, 0777)); mkdir("d", 0777); mkfifo("p", 0777); umask(0); mkdir("s", 01777); }
  show_owner("f", "f"); show_owner("d", "d"); show_owner("p", "p"); show_owner("s", "s");
}
CASE(ctime_chmod_chown) {
  mkfile("f", 0644, 1000, 1000);
  long a = ctime_ns("f"); pause_a_little();
  USER { chmod("f", 0600); }
  long b = ctime_ns("f"); pause_a_little();
  USER { chmod("g", 0600); chown("f", 2000, -1); }
  long c = ctime_ns("f"); pause_a_little();
  chown("f", 2000, 2000); long d = ctime_ns("f");
  FACT("chmod moves ctime %d, refused chown keeps it %d, chown moves it %d\n", b > a, c == b, d > c);
}
CASE(ctime_truncate_utimes_link) {
  mkfile("f", 0666, 0, 0);
  long a = ctime_ns("f"); pause_a_little();
  USER { truncate("f", 5); }
  long b = ctime_ns("f"); pause_a_little();
  USER { utimensat(AT_FDCWD, "f", NULL, 0); }
  long c = ctime_ns("f"); pause_a_little();
  link("f", "g"); long d = ctime_ns("f"); pause_a_little();
  struct timespec t[2] = {{1, 0}, {2, 0}};
  USER { utimensat(AT_FDCWD, "f", t, 0); }
  long e = ctime_ns("f");
  FACT("truncate %d touch %d link %d refused utimes keeps %d\n", b > a, c > b, d > c, e == d);
}
CASE(ctime_unlink_rename_dir) {
  mkdirp("d", 0777, 0, 0); mkfile("d/f", 0644, 1000, 1000);
  long a = ctime_ns("d"); pause_a_little();
  USER { rename("d/f", "d/g"); }
  long b = ctime_ns("d"), fb = ctime_ns("d/g"); pause_a_little();
  USER { unlink("d/g"); }
  long c = ctime_ns("d");
  FACT("rename moves dir ctime %d, file ctime %d; unlink moves dir ctime %d\n", b > a, fb > a, c > b);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(chmod_not_owner); RUN(chmod_owner_readonly_file); RUN(chmod_sgid_not_in_group); RUN(chmod_sgid_in_group);
  RUN(chmod_root_sgid_any_group); RUN(chmod_sticky_file_user); RUN(chmod_via_symlink); RUN(fchmod_not_owner);
  RUN(chown_to_other_uid); RUN(chown_group_member); RUN(chown_group_not_owner); RUN(chown_egid_not_supplementary);
  RUN(chown_user_clears_setid); RUN(chown_user_sgid_nongx_not_in_new_group); RUN(chown_root_clears_setid);
  RUN(chown_dir_keeps_setid); RUN(chown_other_types_setid); RUN(chown_not_owner_setid_file); RUN(lchown_user);
  RUN(fchown_user); RUN(fchownat_flags_user); RUN(truncate_clears_setid_user); RUN(truncate_root_keeps_setid);
  RUN(open_trunc_clears_setid_user); RUN(write_clears_setid_user); RUN(setid_through_later_changes); RUN(write_root_keeps_setid);
  RUN(write_member_keeps_sgid_nongx); RUN(ftruncate_setid);
  RUN(setgid_dir_inherits); RUN(setgid_dir_strips_sgid_file); RUN(plain_dir_no_inherit); RUN(umask_user);
  RUN(ctime_chmod_chown); RUN(ctime_truncate_utimes_link); RUN(ctime_unlink_rename_dir);
  return 0;
}
