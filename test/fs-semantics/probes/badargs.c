// Bad arguments: NULL and unmapped pointers, names over NAME_MAX, paths over
// PATH_MAX, invalid flags and modes, bad fds, across the path calls. The
// answer must be Linux's errno, and the next call must still be served.
#include "probe.h"
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/xattr.h>

/** Pointers the compiler cannot see through: bad arguments are the point. */
static void *volatile NUL = NULL;
static char *volatile UNMAPPED = (char *)16;
#define NULLP ((const char *)NUL)
/** A string whose last byte is the last byte of a mapped page and has no NUL after it. */
static const char *unterminated(const char *s) {
  long pg = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + pg, pg);
  size_t n = strlen(s);
  memcpy(m + pg - n, s, n);
  return m + pg - n;
}
static char *repeat(char c, size_t n) { char *p = malloc(n + 1); memset(p, c, n); p[n] = 0; return p; }
/** A path of `total` bytes made of components of `comp` bytes: "aaa/aaa/…". */
static char *long_path(size_t total, size_t comp) {
  char *p = malloc(total + 1);
  for (size_t i = 0; i < total; i++) p[i] = (i % (comp + 1) == comp) ? '/' : 'a';
  if (p[total - 1] == '/') p[total - 1] = 'a';
  p[total] = 0;
  return p;
}
static void still_serving(void) { struct stat st; SHOW("still serving", stat(".", &st)); }

CASE(null_paths_open_stat) {
  struct stat st;
  SHOW("open", open(NULLP, O_RDONLY)); SHOW("openat", openat(AT_FDCWD, NULLP, O_RDONLY)); SHOW("creat", creat(NULLP, 0644));
  SHOW("stat", stat(NULLP, &st)); SHOW("lstat", lstat(NULLP, &st)); SHOW("fstatat", fstatat(AT_FDCWD, NULLP, &st, 0));
  SHOW("fstatat AT_EMPTY_PATH", fstatat(AT_FDCWD, NULLP, &st, AT_EMPTY_PATH));
  struct statx sx; SHOW("statx", statx(AT_FDCWD, NULLP, 0, STATX_BASIC_STATS, &sx));
  SHOW("access", access(NULLP, F_OK)); SHOW("faccessat2", syscall(SYS_faccessat2, AT_FDCWD, NULLP, F_OK, 0));
  still_serving();
}
CASE(null_paths_namespace_calls) {
  touch("f"); mkdir("d", 0755);
  SHOW("mkdir", mkdir(NULLP, 0755)); SHOW("rmdir", rmdir(NULLP)); SHOW("unlink", unlink(NULLP));
  SHOW("unlinkat", unlinkat(AT_FDCWD, NULLP, 0)); SHOW("rename old", rename(NULLP, "g")); SHOW("rename new", rename("f", NULLP));
  SHOW("link old", link(NULLP, "g")); SHOW("link new", link("f", NULLP)); SHOW("symlink target", symlink(NULLP, "g"));
  SHOW("symlink name", symlink("f", NULLP)); SHOW("mknod", mknod(NULLP, S_IFIFO | 0644, 0)); SHOW("chdir", chdir(NULLP));
  SHOW("chroot", chroot(NULLP)); SHOW("renameat2", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, NULLP, 0));
  still_serving();
}
CASE(null_paths_attr_calls) {
  touch("f"); char buf[64];
  SHOW("chmod", chmod(NULLP, 0644)); SHOW("fchmodat", fchmodat(AT_FDCWD, NULLP, 0644, 0)); SHOW("chown", chown(NULLP, 0, 0));
  SHOW("lchown", lchown(NULLP, 0, 0)); SHOW("truncate", truncate(NULLP, 0)); SHOW("readlink", readlink(NULLP, buf, sizeof buf));
  SHOW("utimes", utimes(NULLP, NULL)); SHOW("getxattr", getxattr(NULLP, "user.a", buf, sizeof buf));
  SHOW("setxattr", setxattr(NULLP, "user.a", "v", 1, 0)); SHOW("listxattr", listxattr(NULLP, buf, sizeof buf));
  SHOW("xattr NULL name", getxattr("f", NULLP, buf, sizeof buf)); struct statfs *sf = malloc(120); SHOW("statfs", statfs(NULLP, (void *)sf));
  still_serving();
}
CASE(unmapped_paths) {
  struct stat st;
  SHOW("open low address", open(UNMAPPED, O_RDONLY)); SHOW("stat low address", stat(UNMAPPED, &st));
  SHOW("mkdir kernel address", mkdir((const char *)0xffff800000000000UL, 0755));
  const char *u = unterminated("abc");
  SHOW("open unterminated", open(u, O_RDONLY)); SHOW("mkdir unterminated", mkdir(u, 0755)); SHOW("stat unterminated", stat(u, &st));
  SHOW("symlink unterminated target", symlink(u, "l")); SHOW("rename unterminated", rename("nothere", u));
  still_serving();
}
/** A copy of `s` that runs from one mapped page onto the next. */
static const char *across_pages(const char *s) {
  long pg = sysconf(_SC_PAGESIZE);
  char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  size_t n = strlen(s) + 1;
  memcpy(m + pg - n / 2, s, n);
  return m + pg - n / 2;
}
// The calls that take two names read them together when each ends on its page; these do not.
CASE(two_names_across_pages) {
  struct stat st;
  touch("f");
  const char *from = across_pages("f"), *to = across_pages("renamed-across");
  SHOW("rename across pages", rename(from, to)); SHOW("renamed", stat("renamed-across", &st));
  SHOW("rename back", rename(to, "f")); SHOW("link across pages", link("f", across_pages("linked-across")));
  SHOW("link count", (stat("f", &st), (long)st.st_nlink));
  SHOW("symlink across pages", symlink(across_pages("target-across"), across_pages("sym-across")));
  char buf[64] = {0}; SHOW("its target", readlink("sym-across", buf, sizeof buf - 1)); FACT("target %s\n", buf);
  const char *u = unterminated("abc");
  SHOW("rename, second unterminated", rename("f", u)); SHOW("rename, first unterminated", rename(u, "g"));
  SHOW("link, second unterminated", link("f", u)); SHOW("symlink, name unterminated", symlink("f", u));
  SHOW("rename, first NULL, second unterminated", rename(NULLP, u));
  still_serving();
}
CASE(unmapped_out_buffers) {
  touch("f"); symlink("f", "l"); setxattr("f", "user.a", "value", 5, 0);
  SHOW("stat into NULL", stat("f", NUL)); SHOW("stat into unmapped", stat("f", (void *)UNMAPPED));
  SHOW("fstat into NULL", fstat(open("f", O_RDONLY), NUL)); SHOW("statx into NULL", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, NUL));
  SHOW("readlink into NULL", readlink("l", NUL, 16)); SHOW("readlink into unmapped", readlink("l", UNMAPPED, 16));
  SHOW("getxattr into NULL", getxattr("f", "user.a", NUL, 16)); SHOW("listxattr into NULL", listxattr("f", NUL, 16));
  SHOW("getcwd into NULL", syscall(SYS_getcwd, NUL, 100)); SHOW("getdents into unmapped", syscall(SYS_getdents64, open(".", O_RDONLY), UNMAPPED, 4096));
  SHOW("utimensat times unmapped", utimensat(AT_FDCWD, "f", (void *)UNMAPPED, 0));
  SHOW("setxattr value unmapped", setxattr("f", "user.b", UNMAPPED, 5, 0));
  still_serving();
}
CASE(read_only_out_buffers) {
  touch("f"); symlink("f", "l");
  static const char ro[4096] __attribute__((aligned(4096))) = "x";
  SHOW("stat into read-only memory", stat("f", (void *)ro)); SHOW("readlink into read-only memory", readlink("l", (char *)ro, 16));
  still_serving();
}
CASE(name_max_component) {
  char *n = repeat('n', 256), *ok = repeat('n', 255);
  struct stat st; touch("f");
  SHOW("open O_CREAT", open(n, O_CREAT | O_WRONLY, 0644)); SHOW("stat", stat(n, &st)); SHOW("mkdir", mkdir(n, 0755));
  SHOW("rmdir", rmdir(n)); SHOW("unlink", unlink(n)); SHOW("rename to", rename("f", n)); SHOW("link to", link("f", n));
  SHOW("symlink at", symlink("f", n)); SHOW("mknod", mknod(n, S_IFIFO | 0644, 0)); SHOW("chmod", chmod(n, 0644));
  SHOW("access", access(n, F_OK)); SHOW("readlink", readlink(n, (char[8]){0}, 8));
  SHOW("255 bytes mkdir", mkdir(ok, 0755)); SHOW("255 bytes rename", rename(ok, "short")); SHOW("255 bytes symlink", symlink("f", ok));
  still_serving();
}
CASE(name_max_in_middle) {
  char path[600]; snprintf(path, sizeof path, "%s/x", repeat('m', 256));
  struct stat st; SHOW("stat", stat(path, &st)); SHOW("open O_CREAT", open(path, O_CREAT | O_WRONLY, 0644));
  char dotdots[600]; snprintf(dotdots, sizeof dotdots, "%s/..", repeat('m', 256)); SHOW("then ..", stat(dotdots, &st));
}
CASE(path_max) {
  struct stat st;
  char *exact = long_path(4095, 200), *over = long_path(4096, 200), *way = long_path(10000, 200);
  SHOW("4095 bytes (missing)", stat(exact, &st)); SHOW("4096 bytes", stat(over, &st)); SHOW("10000 bytes", stat(way, &st));
  SHOW("mkdir 4096 bytes", mkdir(over, 0755)); SHOW("open 4096 bytes", open(over, O_CREAT | O_WRONLY, 0644));
  SHOW("symlink target 4095 bytes", symlink(exact, "l1")); SHOW("symlink target 4096 bytes", symlink(over, "l2"));
  char buf[5000]; SHOW("readlink of 4095-byte target", readlink("l1", buf, sizeof buf));
  SHOW("stat through it", stat("l1", &st));
  still_serving();
}
CASE(deep_path_through_real_dirs) {
  // A real 4000-byte deep path: every component exists, walked in one call.
  char path[4200] = "";
  for (int i = 0; strlen(path) < 3990; i++) { strcat(path, i ? "/ddddddddddddddddddd" : "ddddddddddddddddddd"); mkdir(path, 0755); }
  struct stat st; SHOW("stat deep dir", stat(path, &st)); FACT("type %s\n", ftype(st.st_mode));
  char file[4400]; snprintf(file, sizeof file, "%s/%s", path, "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789");
  SHOW("create past PATH_MAX", open(file, O_CREAT | O_WRONLY, 0644));
  SHOW("chdir deep", chdir(path)); char cwd[8192]; SHOW("getcwd", getcwd(cwd, sizeof cwd) ? (long)strlen(cwd) > 3990 : -1);
}
CASE(open_flag_errors) {
  touch("f"); mkdir("d", 0755);
  SHOW("O_DIRECTORY|O_CREAT", open("d", O_DIRECTORY | O_CREAT | O_RDONLY, 0644));
  SHOW("O_DIRECTORY|O_CREAT new", open("n", O_DIRECTORY | O_CREAT | O_RDONLY, 0644));
  SHOW("O_ACCMODE 3 on file", open("f", 3)); SHOW("unknown flag bits ignored", open("f", O_RDONLY | 0x40000000) >= 0);
  SHOW("O_TMPFILE read-only", open(".", O_TMPFILE | O_RDONLY, 0600)); SHOW("O_TMPFILE on file", open("f", O_TMPFILE | O_RDWR, 0600));
  SHOW("O_PATH|O_CREAT ignores O_CREAT", open("g", O_PATH | O_CREAT, 0644) >= 0 ? 1 : -1); struct stat st; SHOW("g made", stat("g", &st));
  SHOW("O_CREAT|O_EXCL on dir", open("d", O_CREAT | O_EXCL | O_RDONLY, 0644));
  still_serving();
}
CASE(openat2_bad_how) {
  touch("f");
  struct open_how how = {.flags = O_RDONLY};
  SHOW("NULL how", syscall(SYS_openat2, AT_FDCWD, "f", NULL, sizeof how)); SHOW("size 0", syscall(SYS_openat2, AT_FDCWD, "f", &how, 0));
  SHOW("size 23", syscall(SYS_openat2, AT_FDCWD, "f", &how, 23));
  struct { struct open_how h; unsigned long long extra; } big = {{.flags = O_RDONLY}, 1};
  SHOW("bigger with non-zero tail", syscall(SYS_openat2, AT_FDCWD, "f", &big, sizeof big));
  big.extra = 0; OK("bigger with zero tail", syscall(SYS_openat2, AT_FDCWD, "f", &big, sizeof big));
  how.flags = O_RDONLY | 0x40000000; SHOW("unknown flag", syscall(SYS_openat2, AT_FDCWD, "f", &how, sizeof how));
  how.flags = O_RDONLY; how.mode = 0644; SHOW("mode without O_CREAT", syscall(SYS_openat2, AT_FDCWD, "f", &how, sizeof how));
  how.mode = 0; how.resolve = 0x100; SHOW("unknown resolve", syscall(SYS_openat2, AT_FDCWD, "f", &how, sizeof how));
  how.flags = O_CREAT | O_WRONLY; how.mode = 010000; how.resolve = 0; SHOW("mode with file type", syscall(SYS_openat2, AT_FDCWD, "n", &how, sizeof how));
  SHOW("unmapped how", syscall(SYS_openat2, AT_FDCWD, "f", UNMAPPED, sizeof how));
}
CASE(bad_dirfds) {
  touch("f"); int file = open("f", O_RDONLY); struct stat st;
  SHOW("openat bad fd", openat(999, "f", O_RDONLY)); SHOW("openat -5", openat(-5, "f", O_RDONLY));
  OK("openat bad fd absolute path", openat(999, "/", O_RDONLY)); SHOW("fstatat file fd", fstatat(file, "x", &st, 0));
  SHOW("mkdirat bad fd", mkdirat(999, "d", 0755)); SHOW("unlinkat bad fd", unlinkat(999, "f", 0));
  SHOW("renameat bad new fd", renameat(AT_FDCWD, "f", 999, "g")); SHOW("linkat bad fd", linkat(999, "f", AT_FDCWD, "g", 0));
  SHOW("symlinkat bad fd", symlinkat("f", 999, "l")); SHOW("readlinkat bad fd", readlinkat(999, "l", (char[8]){0}, 8));
  SHOW("fchmodat bad fd", fchmodat(999, "f", 0644, 0)); SHOW("utimensat bad fd", utimensat(999, "f", NULL, 0));
  SHOW("AT_EMPTY_PATH bad fd", fstatat(999, "", &st, AT_EMPTY_PATH)); SHOW("fchdir bad fd", fchdir(999));
  SHOW("fchdir file", fchdir(file));
  still_serving();
}
CASE(at_flag_errors) {
  touch("f"); mkdir("d", 0755); struct stat st;
  SHOW("unlinkat bad flag", unlinkat(AT_FDCWD, "f", 0x1)); SHOW("unlinkat AT_REMOVEDIR on file", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
  SHOW("unlinkat dir without flag", unlinkat(AT_FDCWD, "d", 0));
  SHOW("linkat bad flag", linkat(AT_FDCWD, "f", AT_FDCWD, "g", 0x1)); SHOW("linkat AT_EMPTY_PATH no fd", linkat(AT_FDCWD, "", AT_FDCWD, "g", AT_EMPTY_PATH));
  SHOW("fstatat bad flag", fstatat(AT_FDCWD, "f", &st, 0x2)); SHOW("fchownat bad flag", fchownat(AT_FDCWD, "f", 0, 0, 0x2));
  SHOW("faccessat2 bad flag", syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x2)); SHOW("fchmodat2 bad flag", syscall(452, AT_FDCWD, "f", 0644, 0x2));
  SHOW("utimensat bad flag", utimensat(AT_FDCWD, "f", NULL, 0x2));
  struct statx sx; SHOW("statx bad flag", statx(AT_FDCWD, "f", 0x2, STATX_BASIC_STATS, &sx));
  SHOW("statx reserved mask", statx(AT_FDCWD, "f", 0, 0x80000000U, &sx));
  SHOW("statx both sync types", statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
}
CASE(renameat2_flag_errors) {
  touch("f"); touch("g");
  SHOW("unknown flag", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "h", 0x10));
  SHOW("NOREPLACE|EXCHANGE", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "g", RENAME_NOREPLACE | RENAME_EXCHANGE));
  SHOW("NOREPLACE existing", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "g", RENAME_NOREPLACE));
  SHOW("EXCHANGE missing", syscall(SYS_renameat2, AT_FDCWD, "f", AT_FDCWD, "nope", RENAME_EXCHANGE));
  SHOW("rename . ", rename(".", "x")); SHOW("rename to .", rename("f", ".")); SHOW("rename ..", rename("..", "x"));
  mkdir("d", 0755); SHOW("dir into itself", rename("d", "d/e")); SHOW("file over dir", rename("f", "d")); SHOW("dir over file", rename("d", "f"));
}
CASE(mode_and_value_errors) {
  touch("f"); char buf[8];
  SHOW("access bad mode", access("f", 8)); SHOW("readlink size 0", readlink("f", buf, 0)); SHOW("readlink size -1", syscall(SYS_readlink, "f", buf, -1));
  SHOW("readlink of file", readlink("f", buf, sizeof buf)); SHOW("truncate negative", truncate("f", -5));
  SHOW("chmod high bits ignored", chmod("f", 0170644)); struct stat st; stat("f", &st); FACT("mode %o type %s\n", st.st_mode & 07777, ftype(st.st_mode));
  SHOW("mkdir high bits ignored", mkdir("d", 0170755)); stat("d", &st); FACT("mode %o type %s\n", st.st_mode & 07777, ftype(st.st_mode));
  SHOW("setxattr bad flags", setxattr("f", "user.a", "v", 1, 4)); SHOW("setxattr empty name", setxattr("f", "", "v", 1, 0));
  SHOW("getxattr 256-byte name", getxattr("f", repeat('x', 256), buf, sizeof buf));
}
CASE(getcwd_sizes) {
  char buf[4096];
  SHOW("size 0", syscall(SYS_getcwd, buf, 0)); SHOW("size 1", syscall(SYS_getcwd, buf, 1));
  long n = syscall(SYS_getcwd, buf, sizeof buf); SHOW("exact size gives the length", syscall(SYS_getcwd, buf, n) == n);
  SHOW("one short", syscall(SYS_getcwd, buf, n - 1));
}
CASE(empty_paths) {
  touch("f"); char buf[8]; struct stat st;
  SHOW("mkdir", mkdir("", 0755)); SHOW("rmdir", rmdir("")); SHOW("unlink", unlink("")); SHOW("rename", rename("", "x"));
  SHOW("link", link("", "x")); SHOW("symlink empty target", symlink("", "x")); SHOW("readlink", readlink("", buf, sizeof buf));
  SHOW("chdir", chdir("")); SHOW("chmod", chmod("", 0644)); SHOW("truncate", truncate("", 0)); SHOW("lstat", lstat("", &st));
  SHOW("access", access("", F_OK)); SHOW("utimensat", utimensat(AT_FDCWD, "", NULL, 0));
}
CASE(trailing_slashes) {
  touch("f"); mkdir("d", 0755); symlink("f", "lf"); symlink("d", "ld"); struct stat st;
  SHOW("stat f/", stat("f/", &st)); SHOW("stat d/", stat("d/", &st)); SHOW("lstat ld/", lstat("ld/", &st)); FACT("type %s\n", ftype(st.st_mode));
  SHOW("unlink f/", unlink("f/")); SHOW("rmdir d/", rmdir("d/")); mkdir("d", 0755); SHOW("rename d/ e/", rename("d/", "e/"));
  SHOW("rename f g/", rename("f", "g/")); SHOW("mkdir n/", mkdir("n/", 0755)); SHOW("symlink x/", symlink("f", "x/"));
  SHOW("link f g/", link("f", "g/")); SHOW("unlink lf/", unlink("lf/"));
}

CASE(dot_components) {
  mkdir("d", 0755); touch("f");
  SHOW("mkdir d/.", mkdir("d/.", 0755)); SHOW("mkdir d/..", mkdir("d/..", 0755)); SHOW("rmdir d/.", rmdir("d/."));
  SHOW("rmdir d/..", rmdir("d/..")); SHOW("unlink d/.", unlink("d/.")); SHOW("rmdir .", rmdir("."));
  SHOW("open d/. O_CREAT", open("d/.", O_CREAT | O_WRONLY, 0644)); SHOW("symlink at d/.", symlink("f", "d/."));
  SHOW("link to d/..", link("f", "d/..")); SHOW("f/.", access("f/.", F_OK)); SHOW("d/./../f", access("d/./../f", F_OK));
}
CASE(link_and_readlink_errors) {
  mkdir("d", 0755); touch("f"); symlink("nope", "dangling"); char b[16];
  SHOW("link a directory", link("d", "d2")); SHOW("link follow dangling", linkat(AT_FDCWD, "dangling", AT_FDCWD, "x", AT_SYMLINK_FOLLOW));
  SHOW("link dangling itself", link("dangling", "y")); SHOW("link onto existing", link("f", "d"));
  SHOW("readlink a directory", readlink("d", b, sizeof b)); SHOW("readlink missing", readlink("nope", b, sizeof b));
  SHOW("readlink short buffer", readlink("dangling", b, 2)); SHOW("symlink over existing", symlink("x", "f"));
}
CASE(at_empty_path_on_fds) {
  touch("f"); symlink("f", "l"); mkdir("d", 0755);
  int fd = open("f", O_RDWR), dfd = open("d", O_RDONLY | O_DIRECTORY), lp = open("l", O_PATH | O_NOFOLLOW); struct stat st;
  struct timespec t[2] = {{111, 0}, {222, 0}};
  SHOW("utimensat AT_EMPTY_PATH", utimensat(fd, "", t, AT_EMPTY_PATH)); stat("f", &st); FACT("mtime %ld\n", (long)st.st_mtim.tv_sec);
  SHOW("fchmodat2 AT_EMPTY_PATH", syscall(452, fd, "", 0600, AT_EMPTY_PATH)); stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("fchownat AT_EMPTY_PATH", fchownat(dfd, "", 7, 8, AT_EMPTY_PATH)); stat("d", &st); FACT("dir owner %d %d\n", st.st_uid, st.st_gid);
  SHOW("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
  char b[8] = {0}; SHOW("readlinkat O_PATH symlink", readlinkat(lp, "", b, sizeof b)); FACT("target %s\n", b);
  SHOW("fstatat O_PATH symlink", fstatat(lp, "", &st, AT_EMPTY_PATH)); FACT("type %s\n", ftype(st.st_mode));
  SHOW("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "f2", AT_EMPTY_PATH)); SHOW("f2 exists", stat("f2", &st));
  SHOW("linkat AT_EMPTY_PATH of dir", linkat(dfd, "", AT_FDCWD, "d2", AT_EMPTY_PATH));
}
CASE(f_calls_on_fds) {
  touch("f"); mkdir("d", 0755); int r = open("f", O_RDONLY), d = open("d", O_RDONLY | O_DIRECTORY); struct stat st;
  SHOW("fchmod read-only fd", fchmod(r, 0640)); stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("fchmod dir fd", fchmod(d, 0700)); stat("d", &st); FACT("dir mode %o\n", st.st_mode & 07777);
  SHOW("fchown dir fd", fchown(d, 5, 6)); SHOW("fsetxattr read-only fd", fsetxattr(r, "user.x", "1", 1, 0));
  char v[4] = {0}; SHOW("fgetxattr", fgetxattr(r, "user.x", v, sizeof v)); SHOW("fsetxattr dir fd", fsetxattr(d, "user.y", "2", 1, 0));
  SHOW("flistxattr dir fd", flistxattr(d, NULL, 0));
  unlink("f"); SHOW("fchmod after unlink", fchmod(r, 0600)); fstat(r, &st); FACT("mode %o nlink %ld\n", st.st_mode & 07777, (long)st.st_nlink);
}
int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(null_paths_open_stat); RUN(null_paths_namespace_calls); RUN(null_paths_attr_calls); RUN(unmapped_paths); RUN(two_names_across_pages);
  RUN(unmapped_out_buffers); RUN(read_only_out_buffers); RUN(name_max_component); RUN(name_max_in_middle); RUN(path_max);
  RUN(deep_path_through_real_dirs); RUN(open_flag_errors); RUN(openat2_bad_how); RUN(bad_dirfds); RUN(at_flag_errors);
  RUN(renameat2_flag_errors); RUN(mode_and_value_errors); RUN(getcwd_sizes); RUN(empty_paths); RUN(trailing_slashes);
  RUN(dot_components); RUN(link_and_readlink_errors);
  RUN(at_empty_path_on_fds); RUN(f_calls_on_fds);
  return 0;
}
