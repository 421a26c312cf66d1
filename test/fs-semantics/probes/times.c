// Which of atime, mtime and ctime each operation changes (as relations:
// "same", "advanced"; never the times themselves), utimensat/futimens
// values, O_NOATIME; link counts, inode numbers and st_dev across operations.
#include "probe.h"
#include "times.h"
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>

static int mkfile(const char *p, const char *data) {
  int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (data) write(fd, data, strlen(data));
  return fd;
}

CASE(times_on_write) { int fd = mkfile("f", NULL); age("f"); WATCH1("f", write(fd, "x", 1)); }
CASE(times_on_pwrite_and_writev) {
  int fd = mkfile("f", "abc"); age("f"); WATCH1("f", pwrite(fd, "x", 1, 1));
  age("f"); WATCH1("f", write(fd, "", 0));
}
CASE(times_on_read_old_atime) { int fd = mkfile("f", "abc"); lseek(fd, 0, SEEK_SET); age("f"); char b[4]; WATCH1("f", read(fd, b, 3)); }
CASE(times_on_read_relatime) {
  int fd = mkfile("f", "abc"); lseek(fd, 0, SEEK_SET); age("f"); char b[4]; read(fd, b, 3); usleep(20000);
  lseek(fd, 0, SEEK_SET); WATCH1("f", read(fd, b, 3));
}
CASE(times_on_read_at_eof) { int fd = mkfile("f", "abc"); age("f"); char b[4]; WATCH1("f", read(fd, b, 3)); }
CASE(times_on_o_noatime_read) {
  mkfile("f", "abc"); age("f"); int fd = open("f", O_RDONLY | O_NOATIME); char b[4]; WATCH1("f", read(fd, b, 3));
}
CASE(times_on_truncate) {
  mkfile("f", "abcdef"); age("f"); WATCH1("f", truncate("f", 2));
  age("f"); WATCH1("f", truncate("f", 2));
  int fd = open("f", O_RDWR); age("f"); WATCH1("f", ftruncate(fd, 10));
}
CASE(times_on_o_trunc) {
  mkfile("f", "abc"); age("f"); WATCH1("f", close(open("f", O_WRONLY | O_TRUNC)));
  age("f"); WATCH1("f", close(open("f", O_WRONLY | O_TRUNC)));
}
CASE(times_on_open_and_close) { mkfile("f", "abc"); age("f"); WATCH1("f", close(open("f", O_RDWR))); }
CASE(times_on_chmod_chown) {
  mkfile("f", NULL); age("f"); WATCH1("f", chmod("f", 0600)); age("f"); WATCH1("f", chmod("f", 0600));
  age("f"); WATCH1("f", chown("f", 0, 0)); age("f"); WATCH1("f", chown("f", -1, -1));
}
CASE(times_on_xattr) { mkfile("f", NULL); age("f"); WATCH1("f", setxattr("f", "user.k", "v", 1, 0)); age("f"); WATCH1("f", removexattr("f", "user.k")); }
CASE(times_on_create) {
  mkdir("d", 0755); age("d"); WATCH1("d", close(mkfile("d/f", NULL)));
  struct stat st = snap("d/f"); FACT("new file: mtime==ctime %d atime==mtime %d\n", !strcmp(rel(st.st_mtim, st.st_ctim), "same"),
                                    !strcmp(rel(st.st_atim, st.st_mtim), "same"));
  age("d"); WATCH1("d", close(open("d/f", O_CREAT | O_WRONLY, 0644)));
}
CASE(times_on_link) { mkdir("d", 0755); mkfile("f", NULL); age("d"); age("f"); WATCH2("d", "f", link("f", "d/h")); }
CASE(times_on_unlink) {
  mkdir("d", 0755); mkfile("d/f", NULL); link("d/f", "g"); age("d"); age("g"); WATCH2("d", "g", unlink("d/f"));
}
CASE(times_on_symlink) { mkdir("d", 0755); age("d"); WATCH1("d", symlink("target", "d/l")); }
CASE(times_on_mkdir_rmdir) {
  mkdir("d", 0755); age("d"); WATCH1("d", mkdir("d/s", 0755)); age("d"); WATCH1("d", rmdir("d/s"));
  age("d"); WATCH1("d", mkdir("d", 0755));
}
CASE(times_on_rename_across_dirs) {
  mkdir("a", 0755); mkdir("b", 0755); mkfile("a/f", NULL); age("a"); age("b"); age("a/f");
  struct stat f = snap("a/f");
  WATCH2("a", "b", rename("a/f", "b/f")); changes("moved file", f, snap("b/f"));
}
CASE(times_on_rename_in_dir) {
  mkdir("a", 0755); mkfile("a/f", NULL); age("a"); age("a/f"); struct stat f = snap("a/f");
  WATCH1("a", rename("a/f", "a/g")); changes("moved file", f, snap("a/g"));
}
CASE(times_on_rename_over) {
  mkfile("f", NULL); mkfile("g", NULL); link("g", "g2"); age("g2"); age("."); WATCH2(".", "g2", rename("f", "g"));
}
CASE(times_on_rename_dir) {
  mkdir("a", 0755); mkdir("b", 0755); mkdir("a/s", 0755); age("a/s"); struct stat s = snap("a/s");
  rename("a/s", "b/s"); changes("moved dir", s, snap("b/s"));
}
CASE(times_on_readdir) {
  mkdir("d", 0755); mkfile("d/f", NULL); age("d");
  WATCH1("d", ({ DIR *x = opendir("d"); while (readdir(x)) {} closedir(x); }));
  // relatime: an atime newer than mtime and ctime stays.
  usleep(20000); WATCH1("d", ({ DIR *x = opendir("d"); while (readdir(x)) {} closedir(x); }));
  age("d"); WATCH1("d", ({ int fd = open("d", O_RDONLY | O_NOATIME); char b[512]; syscall(SYS_getdents64, fd, b, sizeof b); close(fd); }));
}
CASE(times_on_lookup_and_stat) { mkdir("d", 0755); mkfile("d/f", NULL); age("d"); age("d/f"); WATCH2("d", "d/f", ({ struct stat st; stat("d/f", &st); })); }
CASE(times_on_fallocate) { int fd = mkfile("f", "abc"); age("f"); WATCH1("f", fallocate(fd, 0, 0, 8192)); }
CASE(times_on_copy) {
  int in = mkfile("in", "abcdef"), out = mkfile("out", NULL); lseek(in, 0, SEEK_SET); age("in"); age("out");
  WATCH2("in", "out", sendfile(out, in, NULL, 6));
  age("out"); loff_t a = 0; WATCH1("out", copy_file_range(in, &a, out, NULL, 3, 0));
}
CASE(times_on_mmap_write) {
  int fd = mkfile("f", NULL); ftruncate(fd, 4096); char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  age("f"); m[0] = 'x'; msync(m, 4096, MS_SYNC); struct stat st = snap("f");
  FACT("after mmap write and msync: mtime %s\n", st.st_mtim.tv_sec > 1000000000 ? "advanced" : "same");
}
CASE(utimensat_now_and_omit) {
  mkfile("f", NULL); age("f");
  WATCH1("f", utimensat(AT_FDCWD, "f", NULL, 0));
  age("f"); struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}}; WATCH1("f", utimensat(AT_FDCWD, "f", omit, 0));
  age("f"); struct timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}}; WATCH1("f", utimensat(AT_FDCWD, "f", now_omit, 0));
  age("f"); struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}}; WATCH1("f", utimensat(AT_FDCWD, "f", omit_now, 0));
}
CASE(utimensat_explicit_values) {
  mkfile("f", NULL); struct timespec t[2] = {{1234567890, 123456789}, {987654321, 999999999}};
  SHOW("set", utimensat(AT_FDCWD, "f", t, 0)); struct stat st = snap("f");
  FACT("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec neg[2] = {{-1, 0}, {0, 0}}; SHOW("negative seconds", utimensat(AT_FDCWD, "f", neg, 0)); st = snap("f");
  FACT("atime %ld\n", (long)st.st_atim.tv_sec);
  struct timespec bad[2] = {{0, -1}, {0, 0}}; SHOW("negative nsec", utimensat(AT_FDCWD, "f", bad, 0));
  struct timespec big[2] = {{0, 1000000000}, {0, 0}}; SHOW("nsec 1e9", utimensat(AT_FDCWD, "f", big, 0));
  struct timespec omit_bad[2] = {{0, UTIME_OMIT}, {5, 1000000000}}; SHOW("omit and bad", utimensat(AT_FDCWD, "f", omit_bad, 0));
}
CASE(utimensat_symlink_and_dir) {
  mkfile("f", NULL); symlink("f", "l"); mkdir("d", 0755); age("f"); age("l");
  struct timespec t[2] = {{2000, 0}, {3000, 0}};
  SHOW("nofollow", utimensat(AT_FDCWD, "l", t, AT_SYMLINK_NOFOLLOW));
  FACT("link mtime %ld target mtime %ld\n", (long)snap("l").st_mtim.tv_sec, (long)snap("f").st_mtim.tv_sec);
  SHOW("follow", utimensat(AT_FDCWD, "l", t, 0)); FACT("target mtime %ld\n", (long)snap("f").st_mtim.tv_sec);
  SHOW("dir", utimensat(AT_FDCWD, "d", t, 0)); FACT("dir atime %ld mtime %ld\n", (long)snap("d").st_atim.tv_sec, (long)snap("d").st_mtim.tv_sec);
}
CASE(futimens_cases) {
  int fd = mkfile("f", NULL), r = open("f", O_RDONLY), d = open(".", O_RDONLY);
  struct timespec t[2] = {{4000, 1}, {5000, 2}};
  SHOW("futimens", futimens(fd, t)); FACT("mtime %ld.%ld\n", (long)snap("f").st_mtim.tv_sec, snap("f").st_mtim.tv_nsec);
  SHOW("read-only fd", futimens(r, t)); SHOW("dir fd", futimens(d, t)); FACT("dir mtime %ld\n", (long)snap(".").st_mtim.tv_sec);
  SHOW("bad fd", futimens(999, t)); age("f"); WATCH1("f", futimens(r, NULL));
  SHOW("utimensat fd with NULL path", syscall(SYS_utimensat, fd, NULL, t, 0));
  SHOW("AT_FDCWD with NULL path", syscall(SYS_utimensat, AT_FDCWD, NULL, t, 0));
  SHOW("bad flags", utimensat(AT_FDCWD, "f", t, 0x8000));
}
CASE(utimes_and_utime) {
  mkfile("f", NULL); struct timeval tv[2] = {{6000, 5}, {7000, 6}};
  SHOW("utimes", utimes("f", tv)); struct stat st = snap("f"); FACT("atime %ld.%ld mtime %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
      (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timeval bad[2] = {{0, 1000000}, {0, 0}}; SHOW("utimes bad usec", utimes("f", bad));
  age("f"); WATCH1("f", utimes("f", NULL));
}
CASE(nlink_of_files) {
  mkfile("f", NULL); FACT("new %ld\n", (long)snap("f").st_nlink);
  link("f", "g"); link("f", "h"); FACT("two links %ld\n", (long)snap("f").st_nlink);
  unlink("g"); FACT("after unlink %ld\n", (long)snap("h").st_nlink);
  mkfile("x", NULL); rename("x", "h"); FACT("renamed over one: f %ld\n", (long)snap("f").st_nlink);
  int fd = open("f", O_RDONLY); unlink("f"); struct stat st; fstat(fd, &st); FACT("open and unlinked %ld\n", (long)st.st_nlink);
}
CASE(nlink_of_dirs) {
  mkdir("a", 0755); mkdir("b", 0755); FACT("parent with two %ld\n", (long)snap(".").st_nlink);
  mkdir("a/s", 0755); mkdir("a/t", 0755); FACT("a %ld\n", (long)snap("a").st_nlink);
  rename("a/s", "b/s"); FACT("after moving one: a %ld b %ld\n", (long)snap("a").st_nlink, (long)snap("b").st_nlink);
  mkdir("b/u", 0755); rename("a/t", "b/u"); FACT("renamed over an empty dir: a %ld b %ld\n", (long)snap("a").st_nlink, (long)snap("b").st_nlink);
  mkfile("a/f", NULL); FACT("a file does not count: a %ld\n", (long)snap("a").st_nlink);
  int fd = open("b/s", O_RDONLY); rmdir("b/s"); struct stat st; fstat(fd, &st); FACT("open and removed %ld\n", (long)st.st_nlink);
}
CASE(inode_numbers_stable) {
  mkfile("f", NULL); struct stat a = snap("f");
  chmod("f", 0600); FACT("chmod %d\n", snap("f").st_ino == a.st_ino);
  truncate("f", 100); FACT("truncate %d\n", snap("f").st_ino == a.st_ino);
  link("f", "g"); FACT("hard link %d\n", snap("g").st_ino == a.st_ino);
  mkdir("d", 0755); rename("f", "d/f"); FACT("rename to other dir %d\n", snap("d/f").st_ino == a.st_ino);
  int fd = open("d/f", O_RDWR); struct stat b; fstat(fd, &b); FACT("fstat %d\n", b.st_ino == a.st_ino);
  unlink("g"); fstat(fd, &b); FACT("after unlinking other name %d\n", b.st_ino == a.st_ino);
  mkfile("h", NULL); FACT("another file differs %d\n", snap("h").st_ino != a.st_ino);
  struct stat d1 = snap("d"); mkdir("e", 0755); rename("d", "e/d"); FACT("dir rename %d\n", snap("e/d").st_ino == d1.st_ino);
}
CASE(st_dev_within_filesystem) {
  mkfile("f", NULL); mkdir("d", 0755); symlink("f", "l"); mkfifo("p", 0644);
  dev_t dev = snap(".").st_dev;
  FACT("file %d dir %d symlink %d fifo %d\n", snap("f").st_dev == dev, snap("d").st_dev == dev, snap("l").st_dev == dev, snap("p").st_dev == dev);
  int fd = open("f", O_RDONLY); struct stat st; fstat(fd, &st); FACT("fstat %d\n", st.st_dev == dev);
  struct statx sx; statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx); FACT("statx dev %d\n", makedev(sx.stx_dev_major, sx.stx_dev_minor) == dev);
  FACT("rdev of file 0 %d\n", snap("f").st_rdev == 0);
}
CASE(statx_times_match_stat) {
  mkfile("f", "x"); struct statx sx; statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS | STATX_BTIME, &sx); struct stat st = snap("f");
  FACT("atime %d mtime %d ctime %d\n", sx.stx_atime.tv_sec == st.st_atim.tv_sec && sx.stx_atime.tv_nsec == st.st_atim.tv_nsec,
       sx.stx_mtime.tv_sec == st.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec,
       sx.stx_ctime.tv_sec == st.st_ctim.tv_sec && sx.stx_ctime.tv_nsec == st.st_ctim.tv_nsec);
  FACT("ino %d nlink %d size %d blocks %d\n", sx.stx_ino == st.st_ino, sx.stx_nlink == st.st_nlink, (long)sx.stx_size == (long)st.st_size,
       (long)sx.stx_blocks == (long)st.st_blocks);
}

CASE(times_on_dir_chmod_and_self_rename) {
  mkdir("d", 0755); age("d"); WATCH1("d", chmod("d", 0700));
  mkfile("f", NULL); age("f"); age("."); WATCH2(".", "f", rename("f", "f"));
  link("f", "g"); age("f"); age("."); WATCH2(".", "f", rename("f", "g"));
}
CASE(times_on_exchange) {
  mkdir("a", 0755); mkdir("b", 0755); mkfile("a/x", NULL); mkdir("b/y", 0755); age("a"); age("b"); age("a/x"); age("b/y");
  WATCH3("a", "b", "a/x", syscall(SYS_renameat2, AT_FDCWD, "a/x", AT_FDCWD, "b/y", RENAME_EXCHANGE));
  FACT("nlink a %ld b %ld\n", (long)snap("a").st_nlink, (long)snap("b").st_nlink);
}
CASE(times_on_o_creat_existing_and_excl) {
  mkfile("f", "abc"); age("f"); age(".");
  WATCH2(".", "f", close(open("f", O_CREAT | O_WRONLY, 0644)));
  WATCH1(".", open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
}
static struct timespec sx_ts(struct statx_timestamp t) { return (struct timespec){t.tv_sec, t.tv_nsec}; }
CASE(statx_btime) {
  int fd = mkfile("f", NULL); mkdir("d", 0755); symlink("f", "l");
  struct statx a, b; statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS | STATX_BTIME, &a);
  FACT("btime reported: file %d", (a.stx_mask & STATX_BTIME) != 0);
  statx(AT_FDCWD, "d", 0, STATX_BASIC_STATS | STATX_BTIME, &b); FACT(" dir %d", (b.stx_mask & STATX_BTIME) != 0);
  statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &b); FACT(" symlink %d\n", (b.stx_mask & STATX_BTIME) != 0);
  FACT("btime equals ctime at creation %s\n", rel(sx_ts(a.stx_btime), sx_ts(a.stx_ctime)));
  usleep(20000); write(fd, "x", 1); chmod("f", 0600); rename("f", "g");
  statx(AT_FDCWD, "g", 0, STATX_BASIC_STATS | STATX_BTIME, &b); FACT("after write, chmod, rename: btime %s ctime %s\n", rel(sx_ts(a.stx_btime), sx_ts(b.stx_btime)),
      rel(sx_ts(a.stx_ctime), sx_ts(b.stx_ctime)));
  statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &b); FACT("through the fd: reported %d same %s\n", (b.stx_mask & STATX_BTIME) != 0,
      rel(sx_ts(a.stx_btime), sx_ts(b.stx_btime)));
}
CASE(utimensat_on_symlink_itself) {
  mkfile("f", NULL); symlink("f", "l"); age("f"); age("l");
  struct timespec now_now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  WATCH2("l", "f", utimensat(AT_FDCWD, "l", now_now, AT_SYMLINK_NOFOLLOW));
  struct timespec t[2] = {{42, 0}, {43, 0}}; utimensat(AT_FDCWD, "l", t, AT_SYMLINK_NOFOLLOW);
  struct stat st = snap("l"); FACT("link atime %ld mtime %ld\n", (long)st.st_atim.tv_sec, (long)st.st_mtim.tv_sec);
}
int main(int argc, char **argv) {
  probe_init(argc, argv); (void)touch; (void)ftype;
  RUN(times_on_write); RUN(times_on_pwrite_and_writev); RUN(times_on_read_old_atime); RUN(times_on_read_relatime); RUN(times_on_read_at_eof);
  RUN(times_on_o_noatime_read); RUN(times_on_truncate); RUN(times_on_o_trunc); RUN(times_on_open_and_close);
  RUN(times_on_chmod_chown); RUN(times_on_xattr); RUN(times_on_create); RUN(times_on_link); RUN(times_on_unlink);
  RUN(times_on_symlink); RUN(times_on_mkdir_rmdir); RUN(times_on_rename_across_dirs); RUN(times_on_rename_in_dir);
  RUN(times_on_rename_over); RUN(times_on_rename_dir); RUN(times_on_readdir); RUN(times_on_lookup_and_stat);
  RUN(times_on_fallocate); RUN(times_on_copy); RUN(times_on_mmap_write); RUN(utimensat_now_and_omit);
  RUN(utimensat_explicit_values); RUN(utimensat_symlink_and_dir); RUN(futimens_cases); RUN(utimes_and_utime);
  RUN(nlink_of_files); RUN(nlink_of_dirs); RUN(inode_numbers_stable); RUN(st_dev_within_filesystem); RUN(statx_times_match_stat);
  RUN(times_on_dir_chmod_and_self_rename); RUN(times_on_exchange); RUN(times_on_o_creat_existing_and_excl);
  RUN(statx_btime);
  RUN(utimensat_on_symlink_itself);
  return 0;
}
