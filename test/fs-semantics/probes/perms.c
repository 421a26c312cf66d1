// Permission checks with non-root credentials (and what root may override):
// search on every component, read/write/exec on open, access, directories.
#include "probe.h"
#include "as.h"
#include <sys/xattr.h>

#define USER AS(1000, 1000, 1000)
#define OTHER AS(2000, 2000, 2000)

CASE(open_owner_bits) {
  mkfile("f", 0400, 1000, 1000);
  USER { OK("read", open("f", O_RDONLY)); SHOW("write", open("f", O_WRONLY)); SHOW("rdwr", open("f", O_RDWR)); }
}
CASE(open_owner_bits_win_over_group) {
  mkfile("f", 0074, 1000, 1000);
  USER { SHOW("owner without bits", open("f", O_RDONLY)); }
  AS(2000, 1000, 1000) { OK("group member", open("f", O_RDWR)); }
  OTHER { OK("other", open("f", O_RDONLY)); }
}
CASE(open_group_bits) {
  mkfile("f", 0640, 0, 3000);
  AS(1000, 3000, 1000) { OK("egid", open("f", O_RDONLY)); SHOW("write", open("f", O_WRONLY)); }
  AS(1000, 1000, 1000, 3000) { OK("supplementary", open("f", O_RDONLY)); }
  USER { SHOW("not a member", open("f", O_RDONLY)); }
}
CASE(open_other_bits) {
  mkfile("a", 0604, 0, 0); mkfile("b", 0600, 0, 0); mkfile("c", 0602, 0, 0);
  USER { OK("r other", open("a", O_RDONLY)); SHOW("none", open("b", O_RDONLY)); SHOW("w only: read", open("c", O_RDONLY)); OK("w only: write", open("c", O_WRONLY)); }
}
CASE(open_trunc_needs_write) {
  mkfile("f", 0644, 0, 0); int fd = open("f", O_WRONLY); write(fd, "abc", 3); close(fd);
  USER { SHOW("O_RDONLY|O_TRUNC", open("f", O_RDONLY | O_TRUNC)); }
  struct stat st; stat("f", &st); FACT("size %ld\n", (long)st.st_size);
}
CASE(open_creat_existing) {
  mkfile("f", 0444, 0, 0); chmod(".", 0777);
  USER { SHOW("O_CREAT|O_WRONLY", open("f", O_CREAT | O_WRONLY, 0666)); OK("O_CREAT|O_RDONLY", open("f", O_CREAT | O_RDONLY, 0666)); SHOW("O_EXCL", open("f", O_CREAT | O_EXCL | O_RDONLY, 0666)); }
}
CASE(open_creat_dir_perms) {
  mkdirp("ro", 0555, 1000, 1000); mkdirp("nox", 0666, 0, 0); mkdirp("wx", 0333, 0, 0);
  USER { SHOW("in 0555", open("ro/f", O_CREAT | O_WRONLY, 0644)); SHOW("in 0666 (no search)", open("nox/f", O_CREAT | O_WRONLY, 0644));
         OK("in 0333", open("wx/f", O_CREAT | O_WRONLY, 0644)); }
  show_owner("wx/f", "wx/f");
}
CASE(open_creat_mode_zero) {
  chmod(".", 0777);
  USER { int fd = open("f", O_CREAT | O_RDWR, 0); OK("create 0", fd); SHOW("write", write(fd, "x", 1)); SHOW("reopen", open("f", O_RDONLY)); }
  show_owner("f", "f");
}
CASE(search_component) {
  mkdirp("nox", 0644, 0, 0); mkfile("nox/f", 0644, 0, 0); mkdirp("xonly", 0711, 0, 0); mkfile("xonly/f", 0644, 0, 0);
  USER {
    struct stat st; SHOW("stat through rw- dir", stat("nox/f", &st)); SHOW("missing through rw- dir", stat("nox/none", &st));
    SHOW("stat through --x dir", stat("xonly/f", &st)); SHOW("list --x dir", open("xonly", O_RDONLY | O_DIRECTORY));
    SHOW("missing through --x", stat("xonly/none", &st)); SHOW("opendir rw- dir", open("nox", O_RDONLY | O_DIRECTORY));
  }
}
CASE(search_deep) {
  mkdir("a", 0755); mkdirp("a/b", 0700, 0, 0); mkdir("a/b/c", 0777); mkfile("a/b/c/f", 0666, 0, 0);
  USER { SHOW("deep", open("a/b/c/f", O_RDONLY)); SHOW("dotdot through", open("a/b/../b/c/f", O_RDONLY)); SHOW("access", access("a/b/c/f", F_OK)); }
  OK("root", open("a/b/c/f", O_RDONLY));
}
CASE(search_dotdot) {
  mkdirp("a", 0700, 0, 0); mkdir("a/b", 0777); chmod(".", 0777);
  USER { SHOW("chdir into", chdir("a/b")); }
  mkdirp("x", 0777, 0, 0); mkdirp("x/y", 0777, 0, 0);
  USER { SHOW("chdir x/y", chdir("x/y")); SHOW("back up", access("../..", F_OK)); }
}
CASE(root_dac_override) {
  mkdirp("d", 0, 1000, 1000); mkfile("d/f", 0, 1000, 1000); mkfile("g", 0644, 1000, 1000); mkfile("x", 0100, 1000, 1000);
  OK("open in mode 0 dir", open("d/f", O_RDWR)); SHOW("list mode 0 dir", open("d", O_RDONLY | O_DIRECTORY) >= 0);
  SHOW("X_OK no x bit", access("g", X_OK)); SHOW("X_OK one x bit", access("x", X_OK)); SHOW("W_OK 0444", access("d/f", W_OK));
  SHOW("create in mode 0 dir", open("d/new", O_CREAT | O_WRONLY, 0644) >= 0);
}
CASE(exec_needs_x) {
  int fd = open("s", O_CREAT | O_WRONLY, 0644); write(fd, "#!/bin/sh\nexit 3\n", 17); close(fd);
  fflush(stdout);
  if (fork() == 0) { execl("./s", "./s", NULL); printf("root exec 0644: %s\n", strerrorname_np(errno)); _exit(0); }
  wait(NULL);
  chmod("s", 0744);
  USER { fflush(stdout); if (fork() == 0) { execl("./s", "./s", NULL); printf("user exec 0744: %s\n", strerrorname_np(errno)); _exit(0); } wait(NULL); }
  chmod("s", 0755);
  USER { fflush(stdout); pid_t p = fork(); if (p == 0) { execl("./s", "./s", NULL); _exit(99); } int st; waitpid(p, &st, 0); printf("user exec 0755: %d\n", WEXITSTATUS(st)); }
}
CASE(exec_dir_search) {
  mkdirp("d", 0700, 0, 0); int fd = open("d/s", O_CREAT | O_WRONLY, 0755); write(fd, "#!/bin/sh\nexit 0\n", 17); close(fd);
  USER { fflush(stdout); if (fork() == 0) { execl("d/s", "d/s", NULL); printf("exec through 0700: %s\n", strerrorname_np(errno)); _exit(0); } wait(NULL); }
}
CASE(access_bits_user) {
  mkfile("f", 0750, 1000, 3000);
  USER { SHOW("R", access("f", R_OK)); SHOW("W", access("f", W_OK)); SHOW("X", access("f", X_OK)); SHOW("RWX", access("f", R_OK | W_OK | X_OK)); }
  AS(2000, 2000, 2000, 3000) { SHOW("group R", access("f", R_OK)); SHOW("group W", access("f", W_OK)); SHOW("group X", access("f", X_OK)); }
  OTHER { SHOW("other F", access("f", F_OK)); SHOW("other R", access("f", R_OK)); }
}
CASE(access_dir_user) {
  mkdirp("d", 0500, 1000, 1000);
  USER { SHOW("W on 0500 dir", access("d", W_OK)); SHOW("X", access("d", X_OK)); }
  SHOW("root W on 0500 dir", access("d", W_OK));
}
CASE(chdir_perms) {
  mkdirp("d", 0600, 0, 0); mkdirp("e", 0100, 0, 0); int fd = open("d", O_RDONLY | O_DIRECTORY);
  USER { SHOW("chdir 0600", chdir("d")); SHOW("fchdir 0600", fchdir(fd)); SHOW("chdir 0100", chdir("e")); }
}
CASE(readdir_needs_read) {
  mkdirp("d", 0311, 0, 0); mkdirp("e", 0444, 0, 0);
  USER { SHOW("open -wx", open("d", O_RDONLY | O_DIRECTORY)); OK("open r--", open("e", O_RDONLY | O_DIRECTORY)); OK("O_PATH -wx", open("d", O_PATH)); }
}
CASE(mkdir_parent_perms) {
  mkdirp("ro", 0555, 1000, 1000); mkdirp("wx", 0333, 0, 0); mkdirp("rw", 0666, 0, 0);
  USER { SHOW("in 0555", mkdir("ro/d", 0755)); SHOW("in 0333", mkdir("wx/d", 0755)); SHOW("in 0666", mkdir("rw/d", 0755)); }
  show_owner("wx/d", "wx/d");
}
CASE(rmdir_parent_perms) {
  mkdirp("p", 0555, 1000, 1000); mkdir("p/d", 0777); mkdirp("q", 0777, 0, 0); mkdirp("q/d", 0, 0, 0);
  USER { SHOW("in 0555", rmdir("p/d")); SHOW("mode 0 dir in 0777", rmdir("q/d")); }
}
CASE(unlink_parent_perms) {
  mkdirp("w", 0777, 0, 0); mkfile("w/f", 0, 0, 0); mkdirp("r", 0555, 0, 0); mkfile("r/f", 0666, 1000, 1000);
  USER { SHOW("mode 0 file in 0777", unlink("w/f")); SHOW("own file in 0555", unlink("r/f")); }
}
CASE(rename_parent_perms) {
  mkdirp("src", 0777, 0, 0); mkdirp("ro", 0555, 0, 0); mkdirp("dst", 0777, 0, 0);
  mkfile("src/f", 0644, 1000, 1000); mkfile("ro/g", 0644, 1000, 1000);
  USER { SHOW("into 0555", rename("src/f", "ro/f")); SHOW("out of 0555", rename("ro/g", "dst/g")); SHOW("between writable", rename("src/f", "dst/f")); }
}
CASE(rename_dir_needs_write_on_itself) {
  mkdirp("a", 0777, 0, 0); mkdirp("b", 0777, 0, 0); mkdirp("a/d", 0555, 1000, 1000); mkdirp("a/e", 0555, 1000, 1000);
  USER { SHOW("move 0555 dir to another parent", rename("a/d", "b/d")); SHOW("rename in place", rename("a/e", "a/e2")); }
  SHOW("root moves it", rename("a/d", "b/d"));
}
CASE(rename_over_target_perms) {
  mkdirp("d", 0777, 0, 0); mkfile("d/a", 0644, 1000, 1000); mkfile("d/b", 0, 0, 0);
  USER { SHOW("replace root's mode 0 file", rename("d/a", "d/b")); }
  show_owner("d/b", "d/b");
}
CASE(link_perms) {
  mkdirp("w", 0777, 0, 0); mkdirp("r", 0555, 0, 0); mkfile("f", 0600, 0, 0);
  USER { SHOW("into 0555", link("f", "r/l")); SHOW("into 0777 (other's 0600 file)", link("f", "w/l")); }
}
CASE(symlink_perms) {
  mkdirp("w", 0777, 0, 0); mkdirp("r", 0555, 0, 0);
  USER { SHOW("in 0555", symlink("x", "r/l")); SHOW("in 0777", symlink("x", "w/l")); }
  show_owner("w/l", "w/l");
}
CASE(readlink_perms) {
  mkdirp("d", 0700, 0, 0); symlink("target", "d/l"); symlink("t2", "l2"); char buf[64];
  USER { SHOW("through 0700", readlink("d/l", buf, sizeof buf)); SHOW("readable", readlink("l2", buf, sizeof buf)); }
}
CASE(truncate_perms) {
  mkfile("other", 0644, 0, 0); mkfile("own444", 0444, 1000, 1000); mkfile("w", 0666, 0, 0);
  USER { SHOW("other's 0644", truncate("other", 1)); SHOW("own 0444", truncate("own444", 1)); SHOW("0666", truncate("w", 5)); }
  SHOW("root on 0444", truncate("own444", 2));
  struct stat st; stat("w", &st); FACT("size %ld\n", (long)st.st_size);
}
CASE(utimens_perms) {
  mkfile("w", 0666, 0, 0); mkfile("r", 0644, 0, 0); mkfile("own", 0444, 1000, 1000);
  struct timespec t[2] = {{100, 0}, {200, 0}}, now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}}, omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  USER {
    SHOW("NULL, writable", utimensat(AT_FDCWD, "w", NULL, 0)); SHOW("NULL, not writable", utimensat(AT_FDCWD, "r", NULL, 0));
    SHOW("explicit, writable", utimensat(AT_FDCWD, "w", t, 0)); SHOW("now+omit, writable", utimensat(AT_FDCWD, "w", now_omit, 0));
    SHOW("omit both, not writable", utimensat(AT_FDCWD, "r", omit, 0));
    SHOW("explicit, own 0444", utimensat(AT_FDCWD, "own", t, 0)); SHOW("NULL, own 0444", utimensat(AT_FDCWD, "own", NULL, 0));
    SHOW("utimes NULL writable", utimes("w", NULL));
  }
  struct stat st; stat("own", &st); FACT("own mtime changed %d\n", st.st_mtim.tv_sec > 200);
  SHOW("root explicit", utimensat(AT_FDCWD, "r", t, 0));
}
CASE(o_noatime) {
  mkfile("f", 0644, 0, 0); mkfile("mine", 0644, 1000, 1000);
  USER { SHOW("not owner", open("f", O_RDONLY | O_NOATIME)); OK("owner", open("mine", O_RDONLY | O_NOATIME)); }
  OK("root", open("mine", O_RDONLY | O_NOATIME));
}
CASE(o_path_no_read_needed) {
  mkfile("f", 0, 0, 0); mkdirp("d", 0700, 0, 0); mkfile("d/f", 0644, 0, 0);
  USER { OK("O_PATH mode 0", open("f", O_PATH)); SHOW("O_PATH through 0700", open("d/f", O_PATH)); }
}
CASE(dirfd_search) {
  mkdirp("d", 0700, 0, 0); mkfile("d/f", 0644, 0, 0); int dfd = open("d", O_RDONLY | O_DIRECTORY);
  USER { SHOW("openat in 0700 dirfd", openat(dfd, "f", O_RDONLY)); struct stat st; SHOW("fstatat", fstatat(dfd, "f", &st, 0)); SHOW("fstat dirfd", fstat(dfd, &st)); }
}
CASE(open_dir_write_user) {
  mkdirp("d", 0555, 0, 0);
  USER { SHOW("O_WRONLY dir", open("d", O_WRONLY)); SHOW("O_RDWR dir", open("d", O_RDWR)); }
}
CASE(xattr_user_perms) {
  mkfile("w", 0666, 0, 0); mkfile("r", 0644, 0, 0); mkfile("own", 0444, 1000, 1000); mkfile("secret", 0600, 0, 0);
  setxattr("secret", "user.a", "1", 1, 0); setxattr("r", "trusted.t", "1", 1, 0);
  USER {
    SHOW("set on 0666", setxattr("w", "user.a", "1", 1, 0)); SHOW("set on other's 0644", setxattr("r", "user.a", "1", 1, 0));
    SHOW("set on own 0444", setxattr("own", "user.a", "1", 1, 0)); char b[16]; SHOW("get on 0600", getxattr("secret", "user.a", b, sizeof b));
    SHOW("trusted set", setxattr("w", "trusted.a", "1", 1, 0)); SHOW("trusted get", getxattr("r", "trusted.t", b, sizeof b));
    SHOW("list hides trusted", listxattr("r", NULL, 0)); SHOW("remove on 0644", removexattr("r", "user.b"));
  }
  SHOW("root list", listxattr("r", NULL, 0));
}
CASE(chroot_user) { mkdir("d", 0755); USER { SHOW("chroot", chroot("d")); } }
CASE(mknod_user) {
  chmod(".", 0777);
  USER { SHOW("fifo", mknod("p", S_IFIFO | 0644, 0)); SHOW("chr", mknod("c", S_IFCHR | 0644, makedev(1, 3))); SHOW("blk", mknod("b", S_IFBLK | 0644, makedev(7, 0)));
         SHOW("sock", mknod("s", S_IFSOCK | 0644, 0)); SHOW("reg", mknod("r", S_IFREG | 0644, 0)); }
  show_owner("p", "p"); show_owner("s", "s"); show_owner("r", "r");
}
CASE(errors_order) {
  mkdirp("d", 0555, 0, 0); mkfile("d/f", 0644, 0, 0);
  USER { SHOW("unlink missing in 0555", unlink("d/none")); SHOW("mkdir existing in 0555", mkdir("d/f", 0755)); SHOW("rmdir missing in 0555", rmdir("d/none")); SHOW("create existing O_EXCL in 0555", open("d/f", O_CREAT | O_EXCL | O_WRONLY, 0644)); }
}
CASE(access_symlink_target) {
  mkfile("f", 0600, 0, 0); symlink("f", "l");
  USER { SHOW("access via link", access("l", R_OK)); SHOW("nofollow", faccessat(AT_FDCWD, "l", R_OK, AT_SYMLINK_NOFOLLOW)); }
}
CASE(supplementary_many) {
  mkfile("f", 0060, 0, 4005);
  AS(1000, 1000, 4001, 4002, 4003, 4004, 4005) { OK("fifth group", open("f", O_RDWR)); }
  AS(1000, 1000, 4001, 4002) { SHOW("not among", open("f", O_RDWR)); }
}

CASE(create_via_group_write) {
  mkdirp("d", 0770, 0, 3000);
  AS(1000, 1000, 1000, 3000) { OK("create", open("d/f", O_CREAT | O_WRONLY, 0644)); SHOW("mkdir", mkdir("d/e", 0755)); }
  USER { SHOW("not a member", open("d/g", O_CREAT | O_WRONLY, 0644)); }
  show_owner("f", "d/f");
}
CASE(unlink_needs_search_too) {
  mkdirp("d", 0666, 0, 0); mkfile("d/f", 0666, 1000, 1000);
  USER { SHOW("unlink in rw- dir", unlink("d/f")); SHOW("rename in rw- dir", rename("d/f", "d/g")); }
}
CASE(rmdir_nonempty_user) {
  mkdirp("d", 0777, 0, 0); mkdirp("d/e", 0777, 1000, 1000); mkfile("d/e/f", 0644, 0, 0); mkdirp("r", 0555, 0, 0); mkdirp("r/e", 0777, 0, 0); mkfile("r/e/f", 0644, 0, 0);
  USER { SHOW("non-empty", rmdir("d/e")); SHOW("non-empty in 0555", rmdir("r/e")); }
}
CASE(hardlink_protection) {
  chmod(".", 0777); mkfile("rw", 0666, 0, 0); mkfile("ro", 0644, 0, 0); mkfile("suid", 04777, 0, 0); mkfile("mine", 0600, 1000, 1000);
  USER { SHOW("other's rw file", link("rw", "l1")); SHOW("other's ro file", link("ro", "l2")); SHOW("other's setuid file", link("suid", "l3")); SHOW("own file", link("mine", "l4")); }
  SHOW("root links anything", link("ro", "l5"));
}
CASE(futimens_fd_perms) {
  mkfile("w", 0666, 0, 0); mkfile("r", 0644, 0, 0); int fw = open("w", O_RDONLY), fr = open("r", O_RDONLY);
  struct timespec t[2] = {{5, 0}, {6, 0}};
  USER { SHOW("NULL on writable file via ro fd", futimens(fw, NULL)); SHOW("NULL on ro file", futimens(fr, NULL)); SHOW("explicit", futimens(fw, t)); }
}
CASE(open_creat_sgid_mode_user) {
  chmod(".", 0777);
  USER { close(open("f", O_CREAT | O_WRONLY, 06755)); mkdir("d", 07777); }
  show_owner("f", "f"); show_owner("d", "d");
}
CASE(symlink_loop_perms) {
  mkdirp("d", 0700, 0, 0); symlink("d/x", "l"); symlink("l2", "l1"); symlink("l1", "l2");
  USER { SHOW("link into 0700 dir", open("l", O_RDONLY)); SHOW("loop", open("l1", O_RDONLY)); }
}
CASE(statx_and_stat_need_search_only) {
  mkdirp("d", 0711, 0, 0); mkfile("d/f", 0, 0, 0); struct stat st; struct statx sx;
  USER { SHOW("stat mode 0 file", stat("d/f", &st)); SHOW("statx", statx(AT_FDCWD, "d/f", 0, STATX_BASIC_STATS, &sx)); SHOW("lstat", lstat("d/f", &st)); }
}

/** Every permission class against every access mode, for one file type (as pjdfstest's open/06.t). */
static void open_matrix(const char *name, int is_fifo, int is_dir) {
  static const mode_t modes[] = {0600, 0060, 0006, 0477, 0747, 0774, 0277, 0727, 0772, 0177, 0717, 0771, 0077, 0707, 0770};
  static const struct { uid_t uid; gid_t gid; } who[] = {{1000, 1000}, {2000, 1000}, {2000, 2000}};
  for (unsigned m = 0; m < sizeof modes / sizeof *modes; m++) {
    chmod(name, modes[m]);
    for (unsigned w = 0; w < 3; w++) AS(who[w].uid, who[w].gid, who[w].gid) {
      int flags[3] = {O_RDONLY, O_WRONLY, O_RDWR};
      printf("%04o %d/%d:", modes[m], who[w].uid, who[w].gid);
      for (int f = 0; f < (is_dir ? 1 : 3); f++) {
        errno = 0;
        int fd = open(name, flags[f] | (is_fifo && flags[f] != O_RDWR ? O_NONBLOCK : 0) | (is_dir ? O_DIRECTORY : 0));
        printf(" %s", fd >= 0 ? "ok" : strerrorname_np(errno));
        if (fd >= 0) close(fd);
      }
      printf("\n");
    }
  }
}
CASE(open_matrix_file) { mkfile("f", 0644, 1000, 1000); open_matrix("f", 0, 0); }
CASE(open_matrix_fifo) { mkfifo("p", 0644); chown("p", 1000, 1000); open_matrix("p", 1, 0); }
CASE(open_matrix_dir) { mkdirp("d", 0755, 1000, 1000); open_matrix("d", 0, 1); }

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(open_owner_bits); RUN(open_owner_bits_win_over_group); RUN(open_group_bits); RUN(open_other_bits);
  RUN(open_trunc_needs_write); RUN(open_creat_existing); RUN(open_creat_dir_perms); RUN(open_creat_mode_zero);
  RUN(search_component); RUN(search_deep); RUN(search_dotdot); RUN(root_dac_override); RUN(exec_needs_x);
  RUN(exec_dir_search); RUN(access_bits_user); RUN(access_dir_user); RUN(chdir_perms); RUN(readdir_needs_read);
  RUN(mkdir_parent_perms); RUN(rmdir_parent_perms); RUN(unlink_parent_perms); RUN(rename_parent_perms);
  RUN(rename_dir_needs_write_on_itself); RUN(rename_over_target_perms); RUN(link_perms); RUN(symlink_perms);
  RUN(readlink_perms); RUN(truncate_perms); RUN(utimens_perms); RUN(o_noatime); RUN(o_path_no_read_needed);
  RUN(dirfd_search); RUN(open_dir_write_user); RUN(xattr_user_perms); RUN(chroot_user); RUN(mknod_user);
  RUN(errors_order); RUN(access_symlink_target); RUN(supplementary_many);
  RUN(create_via_group_write); RUN(unlink_needs_search_too); RUN(rmdir_nonempty_user); RUN(hardlink_protection);
  RUN(futimens_fd_perms); RUN(open_creat_sgid_mode_user); RUN(symlink_loop_perms); RUN(statx_and_stat_need_search_only);
  RUN(open_matrix_file); RUN(open_matrix_fifo); RUN(open_matrix_dir);
  return 0;
}
