// Attributes: stat, access, chmod, chown, utimensat, truncate, xattrs, mknod.
#include "probe.h"
#include <sys/xattr.h>

CASE(stat_file) {
  int fd = open("f", O_CREAT | O_WRONLY, 0640); write(fd, "hello", 5); close(fd);
  struct stat st; SHOW("stat", stat("f", &st));
  FACT("type %s mode %o size %ld nlink %ld uid %d gid %d blksize>0 %d\n", ftype(st.st_mode), st.st_mode & 07777,
       (long)st.st_size, (long)st.st_nlink, st.st_uid, st.st_gid, st.st_blksize > 0);
}
CASE(stat_dir_nlink) { mkdir("a", 0755); mkdir("a/b", 0755); mkdir("a/c", 0755); struct stat st; stat("a", &st); FACT("nlink %ld\n", (long)st.st_nlink); rmdir("a/c"); stat("a", &st); FACT("after rmdir %ld\n", (long)st.st_nlink); }
CASE(stat_errors) { touch("f"); struct stat st; SHOW("missing", stat("nope", &st)); SHOW("through file", stat("f/x", &st)); SHOW("empty", stat("", &st)); }
CASE(fstatat_empty_path) {
  touch("f"); int fd = open("f", O_RDONLY); struct stat st;
  SHOW("AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH)); FACT("type %s\n", ftype(st.st_mode));
  SHOW("without flag", fstatat(fd, "", &st, 0)); SHOW("bad flag", fstatat(AT_FDCWD, "f", &st, 0x1));
}
CASE(statx_basic) {
  touch("f"); struct statx sx; SHOW("statx", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
  FACT("basic stats %d type %s\n", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, ftype(sx.stx_mode));
}
CASE(inode_stable) {
  touch("f"); struct stat a, b; stat("f", &a); int fd = open("f", O_RDONLY); fstat(fd, &b);
  FACT("stat and fstat agree %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  rename("f", "g"); stat("g", &b); FACT("rename keeps inode %d\n", a.st_ino == b.st_ino);
}
CASE(access_modes) {
  touch("f"); chmod("f", 0644);
  SHOW("F_OK", access("f", F_OK)); SHOW("R_OK|W_OK", access("f", R_OK | W_OK)); SHOW("X_OK", access("f", X_OK));
  chmod("f", 0744); SHOW("X_OK after chmod", access("f", X_OK)); SHOW("missing", access("nope", F_OK)); SHOW("bad mode", access("f", 0100));
}
CASE(chmod_cases) {
  touch("f"); symlink("f", "l");
  SHOW("chmod", chmod("f", 0600)); struct stat st; stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("chmod via symlink", chmod("l", 0640)); stat("f", &st); FACT("target mode %o\n", st.st_mode & 07777);
  SHOW("fchmodat2 nofollow symlink", syscall(452, AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
  SHOW("chmod suid", chmod("f", 04755)); stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
}
CASE(chown_cases) {
  touch("f"); SHOW("chown", chown("f", 1000, 1000)); struct stat st; stat("f", &st); FACT("uid %d gid %d\n", st.st_uid, st.st_gid);
  chown("f", 0, 0); chmod("f", 06755); SHOW("chown again", chown("f", 0, 0)); stat("f", &st); FACT("mode after chown %o\n", st.st_mode & 07777);
  symlink("f", "l"); SHOW("lchown", lchown("l", 1000, 1000)); lstat("l", &st); FACT("link uid %d\n", st.st_uid); stat("f", &st); FACT("target uid %d\n", st.st_uid);
}
CASE(truncate_cases) {
  touch("f"); mkdir("d", 0755);
  SHOW("grow", truncate("f", 100)); struct stat st; stat("f", &st); FACT("size %ld\n", (long)st.st_size);
  SHOW("shrink", truncate("f", 3)); stat("f", &st); FACT("size %ld\n", (long)st.st_size);
  SHOW("dir", truncate("d", 0)); SHOW("negative", truncate("f", -1)); SHOW("missing", truncate("nope", 0));
  int fd = open("f", O_RDONLY); SHOW("ftruncate read-only fd", ftruncate(fd, 0));
}
CASE(utimensat_cases) {
  touch("f"); struct timespec t[2] = {{1000, 5}, {2000, 7}};
  SHOW("set", utimensat(AT_FDCWD, "f", t, 0)); struct stat st; stat("f", &st);
  FACT("atime %ld.%ld mtime %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec o[2] = {{0, UTIME_OMIT}, {3000, 0}}; SHOW("omit atime", utimensat(AT_FDCWD, "f", o, 0)); stat("f", &st);
  FACT("atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
  SHOW("now", utimensat(AT_FDCWD, "f", NULL, 0)); stat("f", &st); FACT("mtime recent %d\n", st.st_mtim.tv_sec > 1700000000);
  struct timespec bad[2] = {{0, 2000000000}, {0, 0}}; SHOW("bad nsec", utimensat(AT_FDCWD, "f", bad, 0));
  symlink("f", "l"); SHOW("nofollow on symlink", utimensat(AT_FDCWD, "l", t, AT_SYMLINK_NOFOLLOW));
}
CASE(ctime_on_chmod) {
  touch("f"); struct timespec t[2] = {{1000, 0}, {1000, 0}}; utimensat(AT_FDCWD, "f", t, 0);
  struct stat a, b; stat("f", &a); chmod("f", 0600); stat("f", &b);
  FACT("ctime not older %d mtime kept %d\n", b.st_ctim.tv_sec >= a.st_ctim.tv_sec, b.st_mtim.tv_sec == 1000);
}
CASE(xattr_user) {
  touch("f");
  SHOW("set", setxattr("f", "user.a", "value", 5, 0)); char v[16] = {0};
  SHOW("get", getxattr("f", "user.a", v, sizeof v)); FACT("value %s\n", v);
  SHOW("size query", getxattr("f", "user.a", NULL, 0)); SHOW("too small", getxattr("f", "user.a", v, 2));
  SHOW("create existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE)); SHOW("replace missing", setxattr("f", "user.b", "x", 1, XATTR_REPLACE));
  char list[64] = {0}; SHOW("list", listxattr("f", list, sizeof list)); FACT("first %s\n", list);
  SHOW("remove", removexattr("f", "user.a")); SHOW("get removed", getxattr("f", "user.a", v, sizeof v));
  SHOW("bad namespace", setxattr("f", "bogus.a", "x", 1, 0));
}
CASE(mknod_fifo) {
  SHOW("mkfifo", mkfifo("p", 0644)); struct stat st; stat("p", &st); FACT("type %s mode %o\n", ftype(st.st_mode), st.st_mode & 0777);
  SHOW("mknod reg", mknod("r", S_IFREG | 0600, 0)); stat("r", &st); FACT("type %s\n", ftype(st.st_mode)); SHOW("mknod bad type", mknod("x", 0170000 | 0600, 0));
}
CASE(umask_returns_old) { umask(022); SHOW("umask", umask(077)); SHOW("umask again", umask(022)); }

// Ideas from gVisor's stat, chmod and truncate tests.
CASE(stat_paths_more) {
  touch("f"); mkdir("d", 0755); symlink("l1", "l2"); symlink("l2", "l1"); symlink("d", "ld"); symlink("0123456789", "long");
  struct stat st;
  SHOW("f/", stat("f/", &st)); SHOW("f/..", stat("f/..", &st)); SHOW("f/.", stat("f/.", &st)); SHOW("loop", stat("l1", &st));
  SHOW("lstat loop", lstat("l1", &st)); SHOW("d/./../d", stat("d/./../d", &st)); SHOW("ld/..", stat("ld/..", &st));
  lstat("long", &st); FACT("symlink size %ld\n", (long)st.st_size); FACT("blksize set %d\n", st.st_blksize > 0);
  int fd = open("d", O_RDONLY | O_DIRECTORY); rmdir("d"); fstat(fd, &st); FACT("removed dir nlink %ld\n", (long)st.st_nlink);
  SHOW("fstatat . in removed", fstatat(fd, ".", &st, 0)); SHOW("fstatat .. in removed", fstatat(fd, "..", &st, 0)); close(fd);
}
CASE(statx_args) {
  touch("f"); struct statx sx;
  SHOW("bad flags", statx(AT_FDCWD, "f", 0x1, STATX_BASIC_STATS, &sx));
  SHOW("both sync types", statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
  SHOW("reserved mask", statx(AT_FDCWD, "f", 0, 0x80000000U, &sx));
  SHOW("mask 0", statx(AT_FDCWD, "f", 0, 0, &sx));
  SHOW("STATX_TYPE only", statx(AT_FDCWD, "f", 0, STATX_TYPE, &sx)); FACT("type %s\n", ftype(sx.stx_mode));
  int fd = open("f", O_RDONLY); SHOW("AT_EMPTY_PATH", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx)); close(fd);
  SHOW("missing", statx(AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &sx));
}
CASE(chmod_more) {
  touch("f"); struct stat st;
  SHOW("type bits ignored", chmod("f", 0100640)); stat("f", &st); FACT("mode %o type %s\n", st.st_mode & 07777, ftype(st.st_mode));
  int p = open("f", O_PATH); SHOW("fchmod O_PATH", fchmod(p, 0600)); close(p);
  SHOW("fchmodat nofollow on file", fchmodat(AT_FDCWD, "f", 0604, AT_SYMLINK_NOFOLLOW)); stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("fchmodat bad flag", fchmodat(AT_FDCWD, "f", 0600, 0x1));
  int fd = open("f", O_RDONLY); unlink("f"); SHOW("fchmod unlinked", fchmod(fd, 0611)); fstat(fd, &st); FACT("mode %o\n", st.st_mode & 07777); close(fd);
  mkdir("d", 0755); SHOW("chmod dir sticky", chmod("d", 01777)); stat("d", &st); FACT("dir mode %o\n", st.st_mode & 07777);
  SHOW("chmod f/", chmod("d/", 0700)); SHOW("chmod missing", chmod("nope", 0700));
}
CASE(truncate_more) {
  touch("f"); struct stat st;
  int a = open("f", O_WRONLY | O_APPEND); SHOW("ftruncate O_APPEND fd", ftruncate(a, 10)); close(a);
  int fd = open("f", O_RDONLY); char b[10]; memset(b, 1, sizeof b); SHOW("read grown", read(fd, b, sizeof b));
  int zero = 1; for (int i = 0; i < 10; i++) zero &= b[i] == 0; FACT("zeros %d\n", zero); close(fd);
  int p = open("f", O_PATH); SHOW("ftruncate O_PATH", ftruncate(p, 0)); close(p);
  int pipes[2]; pipe(pipes); SHOW("ftruncate pipe", ftruncate(pipes[1], 0)); close(pipes[0]); close(pipes[1]);
  fd = open("f", O_RDWR); unlink("f"); SHOW("ftruncate unlinked", ftruncate(fd, 3)); fstat(fd, &st); FACT("size %ld\n", (long)st.st_size); close(fd);
  touch("g"); SHOW("truncate 0 twice", truncate("g", 0) | truncate("g", 0));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(stat_file); RUN(stat_dir_nlink); RUN(stat_errors); RUN(fstatat_empty_path); RUN(statx_basic); RUN(inode_stable);
  RUN(access_modes); RUN(chmod_cases); RUN(chown_cases); RUN(truncate_cases); RUN(utimensat_cases); RUN(ctime_on_chmod);
  RUN(xattr_user); RUN(mknod_fifo); RUN(umask_returns_old); RUN(stat_paths_more); RUN(statx_args); RUN(chmod_more); RUN(truncate_more);
  return 0;
}
