// Attributes per kind of file and per flag: statx's masks and fields for each
// kind, faccessat2's flags, chmod/chown/utimensat on symlinks, FIFOs and
// directories, the values utimensat takes, and truncate's errors by kind.
#include "probe.h"
#include "as.h"

static void kinds(void) { touch("f"); mkdir("d", 0755); symlink("f", "l"); symlink("missing", "dl"); mkfifo("p", 0644); }
static const char *const KINDS[] = {"f", "d", "l", "dl", "p"};
#define EACH_KIND(var) for (const char *const *_k = KINDS, *var; _k < KINDS + 5 && (var = *_k); _k++)
static const struct timespec OLD[2] = {{1000000000, 0}, {1000000000, 0}};
static long faccessat2(int dfd, const char *p, int mode, int flags) { return syscall(SYS_faccessat2, dfd, p, mode, flags); }

CASE(statx_each_kind) {
  kinds(); struct statx sx; char l[40];
  EACH_KIND(k) {
    snprintf(l, sizeof l, "statx %s nofollow", k); SHOW(l, statx(AT_FDCWD, k, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
    FACT("  type %s mode %o nlink %u uid %u gid %u basic %d\n", ftype(sx.stx_mode), sx.stx_mode & 07777, sx.stx_nlink, sx.stx_uid, sx.stx_gid,
      (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
  }
}
CASE(statx_follows_by_default) {
  kinds(); struct statx sx;
  SHOW("statx l", statx(AT_FDCWD, "l", 0, STATX_TYPE, &sx)); FACT("type %s\n", ftype(sx.stx_mode));
  SHOW("statx dl", statx(AT_FDCWD, "dl", 0, STATX_TYPE, &sx)); SHOW("statx d/", statx(AT_FDCWD, "d/", 0, STATX_TYPE, &sx));
  SHOW("statx l/", statx(AT_FDCWD, "l/", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  SHOW("AT_NO_AUTOMOUNT", statx(AT_FDCWD, "f", AT_NO_AUTOMOUNT, STATX_TYPE, &sx));
}
CASE(statx_agrees_with_stat) {
  int fd = open("f", O_CREAT | O_RDWR, 0640); write(fd, "hello", 5); link("f", "g");
  struct statx sx; struct stat st; statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx); stat("f", &st);
  FACT("ino %d size %d nlink %d mode %d uid %d blocks %d blksize %d\n", sx.stx_ino == st.st_ino, sx.stx_size == (unsigned long long)st.st_size,
    sx.stx_nlink == st.st_nlink, sx.stx_mode == st.st_mode, sx.stx_uid == st.st_uid, sx.stx_blocks == (unsigned long long)st.st_blocks,
    sx.stx_blksize == st.st_blksize);
  FACT("mtime %d ctime %d atime %d dev %d\n", sx.stx_mtime.tv_sec == st.st_mtim.tv_sec && sx.stx_mtime.tv_nsec == st.st_mtim.tv_nsec,
    sx.stx_ctime.tv_sec == st.st_ctim.tv_sec && sx.stx_ctime.tv_nsec == st.st_ctim.tv_nsec, sx.stx_atime.tv_sec == st.st_atim.tv_sec,
    makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);
}
CASE(statx_sizes_by_kind) {
  kinds(); symlink("abcdefghij", "l10"); struct statx sx;
  statx(AT_FDCWD, "l10", AT_SYMLINK_NOFOLLOW, STATX_SIZE, &sx); FACT("symlink size %llu\n", (unsigned long long)sx.stx_size);
  statx(AT_FDCWD, "p", 0, STATX_SIZE, &sx); FACT("fifo size %llu\n", (unsigned long long)sx.stx_size);
  statx(AT_FDCWD, "f", 0, STATX_SIZE | STATX_BLOCKS, &sx); FACT("empty file size %llu blocks %llu\n", (unsigned long long)sx.stx_size, (unsigned long long)sx.stx_blocks);
}
CASE(statx_on_fds) {
  kinds(); struct statx sx; int ffd = open("f", O_RDONLY), pfd = open("l", O_PATH | O_NOFOLLOW), dfd = open("d", O_RDONLY);
  SHOW("empty path on file fd", statx(ffd, "", AT_EMPTY_PATH, STATX_TYPE, &sx)); FACT("type %s\n", ftype(sx.stx_mode));
  SHOW("empty path on O_PATH link", statx(pfd, "", AT_EMPTY_PATH, STATX_TYPE, &sx)); FACT("type %s\n", ftype(sx.stx_mode));
  SHOW("relative to dir fd", statx(dfd, "..", 0, STATX_TYPE, &sx)); SHOW("relative to file fd", statx(ffd, "x", 0, STATX_TYPE, &sx));
  SHOW("empty path without the flag", statx(ffd, "", 0, STATX_TYPE, &sx)); SHOW("bad fd", statx(777, "", AT_EMPTY_PATH, STATX_TYPE, &sx));
}
CASE(faccessat2_flags) {
  kinds(); chmod("f", 0600);
  SHOW("AT_EACCESS", faccessat2(AT_FDCWD, "f", R_OK, AT_EACCESS)); SHOW("AT_SYMLINK_NOFOLLOW on dangling", faccessat2(AT_FDCWD, "dl", F_OK, AT_SYMLINK_NOFOLLOW));
  SHOW("following dangling", faccessat2(AT_FDCWD, "dl", F_OK, 0)); SHOW("bad flag", faccessat2(AT_FDCWD, "f", F_OK, 0x1));
  SHOW("bad mode", faccessat2(AT_FDCWD, "f", 8, 0)); int fd = open("f", O_RDONLY);
  SHOW("AT_EMPTY_PATH", faccessat2(fd, "", R_OK, AT_EMPTY_PATH)); SHOW("empty path without flag", faccessat2(fd, "", R_OK, 0));
  SHOW("faccessat ignores flags arg", syscall(SYS_faccessat, AT_FDCWD, "f", F_OK, 0x1));
}
CASE(faccessat2_as_user) {
  kinds(); chmod("f", 0604); chmod("d", 0711);
  AS(65534, 65534, 65534) {
    // Without AT_EACCESS the real uid (root) is checked, with it the effective one.
    SHOW("W_OK real ids", faccessat2(AT_FDCWD, "f", W_OK, 0)); SHOW("W_OK effective ids", faccessat2(AT_FDCWD, "f", W_OK, AT_EACCESS));
    SHOW("R_OK effective, other bit", faccessat2(AT_FDCWD, "f", R_OK, AT_EACCESS));
    SHOW("X_OK dir effective", faccessat2(AT_FDCWD, "d", X_OK, AT_EACCESS)); SHOW("R_OK dir effective", faccessat2(AT_FDCWD, "d", R_OK, AT_EACCESS));
    SHOW("W_OK on link itself effective", faccessat2(AT_FDCWD, "l", W_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS));
  }
}
CASE(access_each_kind_as_root) {
  kinds(); chmod("f", 0); chmod("d", 0); chmod("p", 0); char l[40];
  EACH_KIND(k) {
    snprintf(l, sizeof l, "%s R_OK|W_OK", k); SHOW(l, access(k, R_OK | W_OK));
    snprintf(l, sizeof l, "%s X_OK", k); SHOW(l, access(k, X_OK));
  }
  chmod("f", 0010); SHOW("f X_OK with group x only", access("f", X_OK));
}
CASE(chmod_each_kind) {
  kinds(); struct stat st; char l[40];
  EACH_KIND(k) {
    snprintf(l, sizeof l, "chmod %s", k); SHOW(l, chmod(k, 0711));
    snprintf(l, sizeof l, "fchmodat NOFOLLOW %s", k); SHOW(l, fchmodat(AT_FDCWD, k, 0700, AT_SYMLINK_NOFOLLOW));
    if (lstat(k, &st) == 0) FACT("  %s mode %o\n", k, st.st_mode & 07777);
  }
}
CASE(chown_each_kind) {
  kinds(); struct stat st; char l[40];
  EACH_KIND(k) {
    snprintf(l, sizeof l, "lchown %s", k); SHOW(l, lchown(k, 7, 8));
    if (lstat(k, &st) == 0) FACT("  %s %d:%d\n", k, st.st_uid, st.st_gid);
  }
  stat("f", &st); FACT("f through l: %d:%d\n", st.st_uid, st.st_gid);
}
CASE(chown_minus_one) {
  touch("f"); chown("f", 5, 6); struct stat b;
  SHOW("chown -1 -1", chown("f", -1, -1)); stat("f", &b); FACT("%d:%d\n", b.st_uid, b.st_gid);
  SHOW("chown -1 9", chown("f", -1, 9)); stat("f", &b); FACT("%d:%d\n", b.st_uid, b.st_gid);
  SHOW("chown 9 -1", chown("f", 9, -1)); stat("f", &b); FACT("%d:%d\n", b.st_uid, b.st_gid);
  SHOW("fchownat bad flag", fchownat(AT_FDCWD, "f", 1, 1, 0x1)); int fd = open("f", O_PATH);
  SHOW("fchownat AT_EMPTY_PATH on O_PATH", fchownat(fd, "", 3, 4, AT_EMPTY_PATH)); stat("f", &b); FACT("%d:%d\n", b.st_uid, b.st_gid);
  SHOW("fchown on O_PATH", fchown(fd, 1, 1));
}
CASE(chmod_clears_sgid_for_nonmember) {
  mkfile("f", 0644, 65534, 4242);
  AS(65534, 65534, 65534) { SHOW("chmod 2755 not in group", chmod("f", 02755)); }
  show_owner("f", "f");
  AS(65534, 4242, 4242) { SHOW("chmod 2755 in group", chmod("f", 02755)); }
  show_owner("f", "f");
  AS(65534, 65534, 65534) { SHOW("chmod 4755 as owner", chmod("f", 04755)); }
  show_owner("f", "f");
}
CASE(utimensat_each_kind) {
  kinds(); struct timespec t[2] = {{100, 1}, {200, 2}}; struct stat st; char l[40];
  EACH_KIND(k) {
    snprintf(l, sizeof l, "nofollow %s", k); SHOW(l, utimensat(AT_FDCWD, k, t, AT_SYMLINK_NOFOLLOW));
    if (lstat(k, &st) == 0) FACT("  %s mtime %ld.%ld\n", k, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  SHOW("follow dangling", utimensat(AT_FDCWD, "dl", t, 0));
}
CASE(utimensat_values) {
  touch("f"); struct stat st;
  struct timespec neg[2] = {{-1, 0}, {-5, 999999999}}; SHOW("negative seconds", utimensat(AT_FDCWD, "f", neg, 0));
  stat("f", &st); FACT("atime %ld.%ld mtime %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timespec nn[2] = {{0, -1}, {0, 0}}; SHOW("negative nsec", utimensat(AT_FDCWD, "f", nn, 0));
  struct timespec big[2] = {{0, 1000000000}, {0, 0}}; SHOW("nsec 1e9", utimensat(AT_FDCWD, "f", big, 0));
  struct timespec edge[2] = {{7, 999999999}, {0, 0}}; SHOW("nsec 999999999", utimensat(AT_FDCWD, "f", edge, 0));
  stat("f", &st); FACT("atime %ld.%ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  struct timespec far[2] = {{4102444800L, 0}, {4102444800L, 0}}; SHOW("year 2100", utimensat(AT_FDCWD, "f", far, 0));
  stat("f", &st); FACT("mtime %ld\n", (long)st.st_mtim.tv_sec);
}
CASE(utimensat_now_and_omit_mix) {
  touch("f"); utimensat(AT_FDCWD, "f", OLD, 0); struct stat a, b; stat("f", &a); usleep(20000);
  struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}}; SHOW("both OMIT", utimensat(AT_FDCWD, "f", both_omit, 0));
  stat("f", &b); FACT("ctime changed %d\n", a.st_ctim.tv_sec != b.st_ctim.tv_sec || a.st_ctim.tv_nsec != b.st_ctim.tv_nsec);
  // Both OMIT is answered before the path, the fd and the flags are looked at.
  SHOW("both OMIT, missing path", utimensat(AT_FDCWD, "missing", both_omit, 0)); SHOW("both OMIT, bad flags", utimensat(AT_FDCWD, "f", both_omit, 0x999));
  SHOW("both OMIT, bad fd", syscall(SYS_utimensat, 999, NULL, both_omit, 0)); SHOW("both OMIT, missing dir", utimensat(AT_FDCWD, "m/f", both_omit, 0));
  struct timespec now_sec[2] = {{5, UTIME_NOW}, {0, UTIME_OMIT}}; SHOW("NOW ignores tv_sec", utimensat(AT_FDCWD, "f", now_sec, 0));
  stat("f", &b); FACT("atime recent %d mtime old %d\n", b.st_atim.tv_sec > 1700000000, b.st_mtim.tv_sec == 1000000000);
  struct timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}}; SHOW("OMIT, NOW", utimensat(AT_FDCWD, "f", omit_now, 0));
  stat("f", &b); FACT("mtime recent %d\n", b.st_mtim.tv_sec > 1700000000);
}
CASE(utimensat_path_and_fd_forms) {
  touch("f"); int fd = open("f", O_RDONLY), pfd = open("f", O_PATH), dfd = open(".", O_RDONLY); struct timespec t[2] = {{11, 0}, {12, 0}};
  SHOW("NULL path on fd", syscall(SYS_utimensat, fd, NULL, t, 0)); SHOW("NULL path on O_PATH", syscall(SYS_utimensat, pfd, NULL, t, 0));
  SHOW("NULL path AT_FDCWD", syscall(SYS_utimensat, AT_FDCWD, NULL, t, 0)); SHOW("NULL path with NOFOLLOW", syscall(SYS_utimensat, fd, NULL, t, AT_SYMLINK_NOFOLLOW));
  SHOW("AT_EMPTY_PATH", utimensat(fd, "", t, AT_EMPTY_PATH)); SHOW("empty path", utimensat(fd, "", t, 0));
  SHOW("relative to dir fd", utimensat(dfd, "f", t, 0)); SHOW("bad flag", utimensat(AT_FDCWD, "f", t, 0x1));
}
CASE(utimes_and_futimesat_values) {
  touch("f"); struct stat st; struct timeval tv[2] = {{100, 5}, {200, 999999}};
  SHOW("utimes", utimes("f", tv)); stat("f", &st); FACT("mtime %ld.%ld\n", (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  struct timeval bad[2] = {{0, 1000000}, {0, 0}}; SHOW("usec 1e6", utimes("f", bad));
  struct timeval neg[2] = {{0, -1}, {0, 0}}; SHOW("usec -1", utimes("f", neg));
  SHOW("futimesat", syscall(SYS_futimesat, AT_FDCWD, "f", tv)); SHOW("futimesat NULL times", syscall(SYS_futimesat, AT_FDCWD, "f", NULL));
  stat("f", &st); FACT("mtime recent %d\n", st.st_mtim.tv_sec > 1700000000);
}
CASE(truncate_each_kind) {
  kinds(); char l[40];
  EACH_KIND(k) { snprintf(l, sizeof l, "truncate %s", k); SHOW(l, truncate(k, 0)); }
  SHOW("negative", truncate("f", -1)); SHOW("trailing slash", truncate("f/", 0));
  int dfd = open("d", O_RDONLY); SHOW("ftruncate dir", ftruncate(dfd, 0));
  int pfd = open("p", O_RDWR); SHOW("ftruncate fifo", ftruncate(pfd, 0));
}
CASE(ftruncate_access_modes) {
  touch("f"); int r = open("f", O_RDONLY), w = open("f", O_WRONLY), rw = open("f", O_RDWR);
  SHOW("O_RDONLY", ftruncate(r, 1)); SHOW("O_WRONLY", ftruncate(w, 2)); SHOW("O_RDWR", ftruncate(rw, 3));
  SHOW("negative", ftruncate(rw, -1)); SHOW("bad fd", ftruncate(9999, 0)); struct stat st; fstat(r, &st); FACT("size %ld\n", (long)st.st_size);
}
CASE(truncate_keeps_offset) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abcdefgh", 8);
  ftruncate(fd, 2); SHOW("offset after shrink", lseek(fd, 0, SEEK_CUR)); SHOW("write there", write(fd, "Z", 1));
  struct stat st; fstat(fd, &st); FACT("size %ld\n", (long)st.st_size); char b[16] = {0}; pread(fd, b, 16, 0);
  FACT("bytes"); for (int i = 0; i < st.st_size; i++) FACT(" %02x", (unsigned char)b[i]); FACT("\n");
}
CASE(umask_applies_to_each_creator) {
  umask(027); struct stat st;
  close(open("f", O_CREAT | O_WRONLY, 0777)); mkdir("d", 0777); mkfifo("p", 0777); symlink("f", "l"); mknod("r", S_IFREG | 0777, 0);
  stat("f", &st); FACT("open %o\n", st.st_mode & 07777); stat("d", &st); FACT("mkdir %o\n", st.st_mode & 07777);
  stat("p", &st); FACT("mkfifo %o\n", st.st_mode & 07777); lstat("l", &st); FACT("symlink %o\n", st.st_mode & 07777);
  stat("r", &st); FACT("mknod reg %o\n", st.st_mode & 07777); mkdir("s", 07777); stat("s", &st); FACT("mkdir 7777 %o\n", st.st_mode & 07777);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(statx_each_kind); RUN(statx_follows_by_default); RUN(statx_agrees_with_stat); RUN(statx_sizes_by_kind); RUN(statx_on_fds);
  RUN(faccessat2_flags); RUN(faccessat2_as_user); RUN(access_each_kind_as_root); RUN(chmod_each_kind); RUN(chown_each_kind);
  RUN(chown_minus_one); RUN(chmod_clears_sgid_for_nonmember); RUN(utimensat_each_kind); RUN(utimensat_values); RUN(utimensat_now_and_omit_mix);
  RUN(utimensat_path_and_fd_forms); RUN(utimes_and_futimesat_values); RUN(truncate_each_kind); RUN(ftruncate_access_modes);
  RUN(truncate_keeps_offset); RUN(umask_applies_to_each_creator);
  return 0;
}
