// Ideas from gVisor's chown.cc, chmod.cc, utimes.cc, access.cc, mknod.cc and
// mkdir.cc and LTP's chown/chmod/utime/access tests, written anew: a chown
// that changes nothing, set-group-id on directories of other groups, usec
// and nsec validation, UTIME_NOW with UTIME_OMIT by a stranger, root's exec
// rule, *at calls on every kind of dirfd, and umask extremes.
#include "probe.h"
#include "as.h"

#define USER AS(1000, 1000, 1000)

static void times_of(const char *p) {
  struct stat st; if (stat(p, &st)) { printf("%s: %s\n", p, strerrorname_np(errno)); return; }
  printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", p, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

CASE(chown_nothing_as_non_owner) {
  mkfile("f", 0644, 0, 0); symlink("f", "l");
  USER {
    SHOW("chown -1 -1", chown("f", -1, -1)); SHOW("lchown -1 -1", lchown("l", -1, -1)); SHOW("fchown -1 -1", fchown(open("f", O_RDONLY), -1, -1));
    SHOW("chown to same owner", chown("f", 0, -1)); SHOW("chown to same group", chown("f", -1, 0));
  }
  show_owner("f", "f");
}
CASE(chown_to_own_ids_as_owner) {
  mkfile("f", 0644, 1000, 1000);
  USER { SHOW("own uid", chown("f", 1000, -1)); SHOW("own uid and gid", chown("f", 1000, 1000)); SHOW("other uid", chown("f", 1001, -1));
         SHOW("group not a member", chown("f", -1, 1001)); }
  AS(1000, 1000, 1000, 3000) { SHOW("supplementary group", chown("f", -1, 3000)); SHOW("back to egid", chown("f", 1000, 1000)); }
  show_owner("f", "f");
}
CASE(chmod_dir_sgid_as_non_member) {
  mkdirp("d", 0755, 1000, 3000); mkdirp("e", 0755, 1000, 1000);
  USER { SHOW("sgid on dir of another group", chmod("d", 02775)); SHOW("sgid on own group dir", chmod("e", 02775)); }
  show_owner("d", "d"); show_owner("e", "e");
  chmod("d", 02775); USER { SHOW("chmod keeping sgid", chmod("d", 02755)); } show_owner("d", "d");
}
CASE(utimes_usec_validation) {
  touch("f"); struct timeval tv[2] = {{10, 999999}, {20, 1}};
  SHOW("usec 999999", utimes("f", tv)); times_of("f");
  tv[0].tv_usec = 1000000; SHOW("usec 1e6", utimes("f", tv)); tv[0].tv_usec = -1; SHOW("usec -1", utimes("f", tv));
  tv[0].tv_usec = 0; tv[1].tv_usec = 1000000; SHOW("mtime usec 1e6", syscall(SYS_futimesat, AT_FDCWD, "f", tv)); times_of("f");
  struct timeval neg[2] = {{-3, 500000}, {0, 0}}; SHOW("negative seconds", utimes("f", neg)); times_of("f");
}
CASE(utimensat_omit_and_bad_nsec) {
  touch("f"); struct timespec t[2] = {{1, 2}, {3, 4}}; utimensat(AT_FDCWD, "f", t, 0);
  struct timespec a[2] = {{0, UTIME_OMIT}, {2, 10000000000L}}; SHOW("omit, bad nsec", utimensat(AT_FDCWD, "f", a, 0));
  struct timespec b[2] = {{2, 10000000000L}, {0, UTIME_OMIT}}; SHOW("bad nsec, omit", utimensat(AT_FDCWD, "f", b, 0));
  struct timespec c[2] = {{12345, UTIME_OMIT}, {67890, 5}}; SHOW("omit ignores seconds", utimensat(AT_FDCWD, "f", c, 0)); times_of("f");
  struct timespec d[2] = {{-1, UTIME_NOW}, {0, UTIME_OMIT}}; SHOW("now ignores seconds", utimensat(AT_FDCWD, "f", d, 0));
  struct stat st; stat("f", &st); FACT("atime moved %d mtime %ld.%ld\n", st.st_atim.tv_sec > 100000, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}
CASE(utimensat_now_omit_as_stranger) {
  mkfile("f", 0644, 0, 0); mkfile("w", 0666, 0, 0); struct timespec t[2] = {{1, 0}, {1, 0}}; utimensat(AT_FDCWD, "f", t, 0); utimensat(AT_FDCWD, "w", t, 0);
  USER {
    struct timespec no[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}}, on[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}}, nn[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    struct timespec oo[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}}, set[2] = {{5, 0}, {0, UTIME_OMIT}};
    SHOW("now,omit no write", utimensat(AT_FDCWD, "f", no, 0)); SHOW("omit,now no write", utimensat(AT_FDCWD, "f", on, 0));
    SHOW("now,now no write", utimensat(AT_FDCWD, "f", nn, 0)); SHOW("omit,omit no write", utimensat(AT_FDCWD, "f", oo, 0));
    SHOW("NULL no write", utimensat(AT_FDCWD, "f", NULL, 0)); SHOW("now,now with write", utimensat(AT_FDCWD, "w", nn, 0));
    SHOW("set,omit with write", utimensat(AT_FDCWD, "w", set, 0)); SHOW("now,omit with write", utimensat(AT_FDCWD, "w", no, 0));
  }
  struct stat st; stat("f", &st); FACT("f atime moved %d mtime moved %d\n", st.st_atim.tv_sec > 1, st.st_mtim.tv_sec > 1);
  stat("w", &st); FACT("w atime moved %d mtime moved %d\n", st.st_atim.tv_sec > 1, st.st_mtim.tv_sec > 1);
}
CASE(access_root_exec_rules) {
  touch("none"); chmod("none", 0644); touch("u"); chmod("u", 0100); touch("g"); chmod("g", 0010); touch("o"); chmod("o", 0001); touch("z"); chmod("z", 0);
  mkdir("d", 0); const char *n[] = {"none", "u", "g", "o", "z", "d"};
  for (int i = 0; i < 6; i++) { printf("%s: ", n[i]); SHOW("X_OK", access(n[i], X_OK)); }
  SHOW("z R_OK|W_OK", access("z", R_OK | W_OK)); SHOW("none R_OK|X_OK", access("none", R_OK | X_OK));
  SHOW("AT_EACCESS none X_OK", faccessat(AT_FDCWD, "none", X_OK, AT_EACCESS));
}
CASE(fchmodat_dirfd_forms) {
  mkdir("d", 0755); touch("d/f"); int file = open("d/f", O_RDONLY), path = open("d", O_PATH), dir = open("d", O_RDONLY); char cwd[4096], abs[4200]; getcwd(cwd, sizeof cwd);
  struct stat st;
  SHOW("rdonly dirfd", fchmodat(dir, "f", 0600, 0)); SHOW("O_PATH dirfd", fchmodat(path, "f", 0640, 0)); stat("d/f", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("file fd relative", fchmodat(file, "x", 0600, 0)); snprintf(abs, sizeof abs, "%s/d/f", cwd);
  SHOW("file fd absolute", fchmodat(file, abs, 0604, 0)); SHOW("bad fd absolute", fchmodat(999, abs, 0606, 0)); SHOW("bad fd relative", fchmodat(999, "f", 0600, 0));
  stat("d/f", &st); FACT("mode %o\n", st.st_mode & 07777); SHOW("dirfd dot", fchmodat(dir, ".", 0700, 0)); stat("d", &st); FACT("dir %o\n", st.st_mode & 07777);
}
CASE(fchownat_dirfd_forms) {
  mkdir("d", 0755); touch("d/f"); symlink("f", "d/l"); int path = open("d", O_PATH), file = open("d/f", O_RDONLY); struct stat st;
  SHOW("O_PATH dirfd", fchownat(path, "f", 1, 2, 0)); show_owner("d/f", "d/f");
  SHOW("nofollow on symlink", fchownat(path, "l", 3, 4, AT_SYMLINK_NOFOLLOW)); show_owner("d/l", "d/l"); show_owner("d/f", "d/f");
  SHOW("follow symlink", fchownat(path, "l", 5, 6, 0)); show_owner("d/l", "d/l"); show_owner("d/f", "d/f");
  SHOW("file fd relative", fchownat(file, "x", 0, 0, 0)); SHOW("dirfd ..", fchownat(path, "..", -1, -1, 0));
  lstat("d/l", &st); FACT("link mode %o\n", st.st_mode & 0777);
}
CASE(mknodat_regular_forms) {
  mkdir("d", 0755); int d = open("d", O_PATH), f = (touch("f"), open("f", O_RDONLY)); struct stat st; symlink("nowhere", "dl");
  SHOW("S_IFREG via dirfd", mknodat(d, "r", S_IFREG | 0640, 0)); stat("d/r", &st); FACT("%s %o size %ld\n", ftype(st.st_mode), st.st_mode & 07777, (long)st.st_size);
  SHOW("type 0", mknod("z", 0600, 0)); stat("z", &st); FACT("%s %o\n", ftype(st.st_mode), st.st_mode & 07777);
  SHOW("S_IFREG with a device number", mknod("dev", S_IFREG | 0644, makedev(1, 3))); stat("dev", &st); FACT("%s rdev zero %d\n", ftype(st.st_mode), st.st_rdev == 0);
  SHOW("empty path", mknodat(d, "", S_IFREG | 0600, 0)); SHOW("file dirfd", mknodat(f, "x", S_IFREG | 0600, 0));
  SHOW("over dangling symlink", mknod("dl", S_IFREG | 0600, 0)); SHOW("existing", mknod("f", S_IFREG | 0600, 0)); SHOW("S_IFDIR", mknod("q", S_IFDIR | 0755, 0));
}
CASE(mkdir_umask_extremes) {
  struct stat st;
  umask(0); mkdir("a", 0777); stat("a", &st); FACT("umask 0: %o\n", st.st_mode & 07777);
  umask(0777); mkdir("b", 0777); stat("b", &st); FACT("umask 0777: %o\n", st.st_mode & 07777); close(open("bf", O_CREAT | O_WRONLY, 0666)); stat("bf", &st); FACT("file: %o\n", st.st_mode & 07777);
  umask(022); mkdir("c", 01777); stat("c", &st); FACT("sticky kept: %o\n", st.st_mode & 07777);
  umask(07777); mkdir("e", 03777); stat("e", &st); FACT("umask 07777 sticky and sgid: %o\n", st.st_mode & 07777);
  SHOW("umask reads back", umask(022));
}
CASE(chown_symlink_itself) {
  touch("f"); symlink("f", "l"); struct stat st;
  SHOW("lchown", lchown("l", 7, 8)); show_owner("l", "l"); show_owner("f", "f"); int p = open("l", O_PATH | O_NOFOLLOW);
  SHOW("fchownat O_PATH link empty", fchownat(p, "", 9, 10, AT_EMPTY_PATH)); show_owner("l", "l");
  SHOW("chown through", chown("l", 11, 12)); show_owner("l", "l"); show_owner("f", "f"); lstat("l", &st); FACT("link mode %o\n", st.st_mode & 0777);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(chown_nothing_as_non_owner); RUN(chown_to_own_ids_as_owner); RUN(chmod_dir_sgid_as_non_member); RUN(utimes_usec_validation);
  RUN(utimensat_omit_and_bad_nsec); RUN(utimensat_now_omit_as_stranger); RUN(access_root_exec_rules); RUN(fchmodat_dirfd_forms);
  RUN(fchownat_dirfd_forms); RUN(mknodat_regular_forms); RUN(mkdir_umask_extremes); RUN(chown_symlink_itself);
  return 0;
}
