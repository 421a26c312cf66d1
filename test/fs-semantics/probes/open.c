// open(2), openat(2), openat2(2), creat(2).
#include "probe.h"
#include <linux/openat2.h>

CASE(open_creat_excl) { SHOW("creat", open("f", O_CREAT | O_EXCL | O_WRONLY, 0644) >= 0); SHOW("again", open("f", O_CREAT | O_EXCL | O_WRONLY, 0644)); }
CASE(open_missing) { SHOW("open", open("nope", O_RDONLY)); SHOW("in missing dir", open("nope/x", O_RDONLY)); }
CASE(open_trailing_slash_on_file) { touch("f"); SHOW("open f/", open("f/", O_RDONLY)); SHOW("creat g/", open("g/", O_CREAT | O_WRONLY, 0644)); }
CASE(open_directory_flag_on_file) { touch("f"); SHOW("O_DIRECTORY", open("f", O_RDONLY | O_DIRECTORY)); }
CASE(open_dir_for_writing) { SHOW("O_WRONLY", open(".", O_WRONLY)); SHOW("O_RDWR", open(".", O_RDWR)); SHOW("O_CREAT", open(".", O_CREAT | O_RDONLY, 0644)); }
CASE(open_directory_nofollow_on_symlinks) {
  mkdir("d", 0755); touch("f"); symlink("d", "ld"); symlink("f", "lf"); symlink("missing", "ln");
  SHOW("dir link", open("ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  SHOW("file link", open("lf", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  SHOW("dangling link", open("ln", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  SHOW("O_PATH dir link", open("ld", O_PATH | O_DIRECTORY | O_NOFOLLOW));
  OK("O_DIRECTORY followed", open("ld", O_RDONLY | O_DIRECTORY));
}
CASE(open_nofollow) { touch("f"); symlink("f", "l"); SHOW("O_NOFOLLOW", open("l", O_RDONLY | O_NOFOLLOW)); OK("follow", open("l", O_RDONLY)); }
CASE(open_path_on_symlink) {
  symlink("f", "l");
  int fd = open("l", O_PATH | O_NOFOLLOW);
  OK("O_PATH|O_NOFOLLOW", fd);
  struct stat st;
  SHOW("fstat", fstat(fd, &st));
  FACT("type %s\n", ftype(st.st_mode));
}
CASE(open_trunc) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); write(fd, "0123456789", 10); close(fd);
  OK("O_TRUNC", open("f", O_WRONLY | O_TRUNC));
  struct stat st; stat("f", &st); FACT("size %ld\n", (long)st.st_size);
}
CASE(open_append) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); write(fd, "abc", 3); close(fd);
  fd = open("f", O_WRONLY | O_APPEND); lseek(fd, 0, SEEK_SET); write(fd, "de", 2); close(fd);
  char buf[8] = {0}; fd = open("f", O_RDONLY); SHOW("read", read(fd, buf, 7)); FACT("content %s\n", buf);
}
CASE(open_creat_mode_umask) {
  umask(027); close(open("f", O_CREAT | O_WRONLY, 0777));
  struct stat st; stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
}
CASE(open_creat_through_dangling_symlink) {
  symlink("target", "l");
  OK("O_CREAT", open("l", O_CREAT | O_WRONLY, 0644));
  struct stat st; SHOW("target exists", stat("target", &st));
}
CASE(open_excl_on_dangling_symlink) { symlink("target", "l"); SHOW("O_CREAT|O_EXCL", open("l", O_CREAT | O_EXCL | O_WRONLY, 0644)); }
CASE(open_name_too_long) { char n[300]; memset(n, 'a', 256); n[256] = 0; SHOW("256 bytes", open(n, O_CREAT | O_WRONLY, 0644)); n[255] = 0; OK("255 bytes", open(n, O_CREAT | O_WRONLY, 0644)); }
CASE(open_empty_path) { SHOW("open \"\"", open("", O_RDONLY)); }
CASE(openat_file_as_dirfd) { touch("f"); int fd = open("f", O_RDONLY); SHOW("openat", openat(fd, "x", O_RDONLY)); }
CASE(openat2_beneath) {
  mkdir("d", 0755); touch("f");
  int d = open("d", O_PATH);
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
  SHOW("../f", syscall(SYS_openat2, d, "../f", &how, sizeof how));
  SHOW("/etc", syscall(SYS_openat2, d, "/etc", &how, sizeof how));
}
CASE(openat2_no_symlinks) {
  touch("f"); symlink("f", "l");
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
  SHOW("l", syscall(SYS_openat2, AT_FDCWD, "l", &how, sizeof how));
  OK("f", syscall(SYS_openat2, AT_FDCWD, "f", &how, sizeof how));
}
CASE(openat2_in_root) {
  mkdir("d", 0755); touch("d/f"); symlink("/f", "d/abs");
  int d = open("d", O_PATH);
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
  OK("/f", syscall(SYS_openat2, d, "/f", &how, sizeof how));
  OK("abs", syscall(SYS_openat2, d, "abs", &how, sizeof how));
  OK("../../f", syscall(SYS_openat2, d, "../../f", &how, sizeof how));
}
CASE(open_tmpfile) {
  int fd = open(".", O_TMPFILE | O_RDWR, 0600);
  OK("O_TMPFILE", fd);
  write(fd, "abc", 3);
  struct stat st; fstat(fd, &st); FACT("nlink %ld size %ld type %s\n", (long)st.st_nlink, (long)st.st_size, ftype(st.st_mode));
  SHOW("linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
  SHOW("stat named", stat("named", &st)); FACT("size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
  int ex = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
  SHOW("linkat O_EXCL tmpfile", linkat(ex, "", AT_FDCWD, "named2", AT_EMPTY_PATH));
  SHOW("O_TMPFILE read-only", open(".", O_TMPFILE | O_RDONLY, 0600));
  touch("f"); SHOW("O_TMPFILE on a file", open("f", O_TMPFILE | O_RDWR, 0600));
  touch("g"); int u = open("g", O_RDONLY); unlink("g");
  SHOW("linkat of an unlinked file", linkat(u, "", AT_FDCWD, "g2", AT_EMPTY_PATH));
}
CASE(creat_existing_truncates) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); write(fd, "abc", 3); close(fd);
  OK("creat", creat("f", 0600)); struct stat st; stat("f", &st); FACT("size %ld mode %o\n", (long)st.st_size, st.st_mode & 0777);
}
CASE(open_symlink_loop) { symlink("b", "a"); symlink("a", "b"); SHOW("open a", open("a", O_RDONLY)); }

// Ideas from gVisor's open tests: flags at their edges.
CASE(open_rdonly_trunc) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); write(fd, "abc", 3); close(fd);
  OK("O_RDONLY|O_TRUNC", fd = open("f", O_RDONLY | O_TRUNC)); struct stat st; stat("f", &st); FACT("size %ld\n", (long)st.st_size);
  char b[4]; SHOW("read", read(fd, b, sizeof b)); SHOW("write", write(fd, "x", 1)); close(fd);
}
CASE(open_creat_on_dir) {
  mkdir("d", 0755);
  SHOW("O_CREAT on dir", open("d", O_CREAT | O_RDONLY, 0644)); SHOW("O_CREAT|O_EXCL on dir", open("d", O_CREAT | O_EXCL | O_RDONLY, 0644));
  SHOW("O_CREAT|O_DIRECTORY missing", open("n", O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
  SHOW("O_CREAT|O_DIRECTORY on dir", open("d", O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
  struct stat st; SHOW("nothing made", stat("n", &st));
}
CASE(open_flags_ignored) {
  touch("f");
  int fd = open("f", O_RDONLY, 0777); OK("mode without O_CREAT", fd); struct stat st; stat("f", &st); FACT("mode %o\n", st.st_mode & 07777); close(fd);
  OK("O_EXCL without O_CREAT", fd = open("f", O_RDONLY | O_EXCL)); close(fd);
  OK("O_CREAT existing keeps mode", fd = open("f", O_CREAT | O_RDONLY, 0600)); stat("f", &st); FACT("mode %o\n", st.st_mode & 07777); close(fd);
  fd = open("f", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY); FACT("getfl %o\n", fcntl(fd, F_GETFL) & ~0100000); FACT("cloexec %d\n", fcntl(fd, F_GETFD)); close(fd);
}
CASE(open_in_removed_dir) {
  mkdir("d", 0755); int d = open("d", O_RDONLY | O_DIRECTORY); rmdir("d");
  SHOW("create in it", openat(d, "x", O_CREAT | O_WRONLY, 0644)); OK("open . in it", openat(d, ".", O_RDONLY));
  SHOW("open .. in it", openat(d, "..", O_RDONLY) >= 0); SHOW("mkdirat in it", mkdirat(d, "y", 0755)); close(d);
}
CASE(open_o_path_flags) {
  touch("f"); mkdir("d", 0755); int fd = open("f", O_PATH | O_RDWR | O_TRUNC | O_CREAT | O_EXCL, 0644);
  OK("O_PATH with ignored flags on existing", fd); FACT("getfl %o\n", fcntl(fd, F_GETFL) & ~0100000); char b[4];
  SHOW("read", read(fd, b, 1)); SHOW("write", write(fd, "x", 1)); SHOW("fchmod", fchmod(fd, 0600)); SHOW("ftruncate", ftruncate(fd, 0));
  struct stat st; SHOW("fstat", fstat(fd, &st)); close(fd);
  int d = open("d", O_PATH); SHOW("getdents64", syscall(SYS_getdents64, d, b, sizeof b)); SHOW("fchdir", fchdir(d)); close(d);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(open_creat_excl); RUN(open_missing); RUN(open_trailing_slash_on_file); RUN(open_directory_flag_on_file);
  RUN(open_dir_for_writing); RUN(open_directory_nofollow_on_symlinks); RUN(open_nofollow); RUN(open_path_on_symlink); RUN(open_trunc); RUN(open_append);
  RUN(open_creat_mode_umask); RUN(open_creat_through_dangling_symlink); RUN(open_excl_on_dangling_symlink);
  RUN(open_name_too_long); RUN(open_empty_path); RUN(openat_file_as_dirfd); RUN(openat2_beneath);
  RUN(openat2_no_symlinks); RUN(openat2_in_root); RUN(open_tmpfile); RUN(creat_existing_truncates); RUN(open_symlink_loop); RUN(open_rdonly_trunc); RUN(open_creat_on_dir); RUN(open_flags_ignored); RUN(open_in_removed_dir); RUN(open_o_path_flags);
  return 0;
}
