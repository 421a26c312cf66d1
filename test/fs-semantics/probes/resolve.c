// Path resolution: symbolic link depth and placement, non-directories in the
// middle of a path, "." and ".." through links, dirfds that moved or were
// removed, absolute paths beside dirfds, and readlink's buffer.
#include "probe.h"

static void show_stat(const char *label, const char *p) {
  struct stat st;
  if (stat(p, &st) != 0) printf("%s: %s\n", label, strerrorname_np(errno));
  else printf("%s: %s\n", label, ftype(st.st_mode));
}
/** l0 -> f, l1 -> l0, …, l<n> -> l<n-1>. */
static void chain(int n) {
  char a[16], b[16];
  symlink("f", "l0");
  for (int i = 1; i <= n; i++) { snprintf(a, sizeof a, "l%d", i - 1); snprintf(b, sizeof b, "l%d", i); symlink(a, b); }
}
static int same_inode(const char *a, const char *b) {
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

CASE(symlink_chain_depth_limit) {
  touch("f"); chain(41);
  OK("open l38", open("l38", O_RDONLY)); OK("open l39", open("l39", O_RDONLY)); OK("open l40", open("l40", O_RDONLY));
  OK("stat l39", access("l39", F_OK)); OK("stat l40", access("l40", F_OK)); OK("access l41", access("l41", F_OK));
  struct stat st; SHOW("lstat l41 does not follow", lstat("l41", &st));
}
CASE(symlink_component_depth_limit) {
  // "s" -> "." followed once for each component.
  mkdir("d", 0755); symlink(".", "s"); touch("f");
  char p[512]; p[0] = 0;
  for (int i = 0; i < 40; i++) strcat(p, "s/");
  strcat(p, "f"); OK("40 links", access(p, F_OK));
  memmove(p + 2, p, strlen(p) + 1); memcpy(p, "s/", 2); OK("41 links", access(p, F_OK));
}
CASE(symlink_loop_kinds) {
  symlink("b", "a"); symlink("a", "b"); symlink("self/x", "self");
  struct stat st;
  SHOW("stat a", stat("a", &st)); SHOW("stat a/x", stat("a/x", &st)); SHOW("mkdir a/x", mkdir("a/x", 0755));
  SHOW("open a O_CREAT", open("a", O_CREAT | O_WRONLY, 0644)); SHOW("stat self", stat("self", &st));
  SHOW("lstat a", lstat("a", &st)); SHOW("unlink a", unlink("a")); SHOW("stat b now", stat("b", &st));
}
CASE(symlink_to_file_in_middle) {
  touch("f"); symlink("f", "l"); struct stat st;
  SHOW("stat l/x", stat("l/x", &st)); SHOW("open l/x O_CREAT", open("l/x", O_CREAT | O_WRONLY, 0644));
  SHOW("mkdir l/x", mkdir("l/x", 0755)); SHOW("stat l/.", stat("l/.", &st)); SHOW("stat l/..", stat("l/..", &st));
}
CASE(file_in_middle_of_path) {
  touch("f"); mkfifo("p", 0644); struct stat st;
  SHOW("stat f/x", stat("f/x", &st)); SHOW("unlink f/x", unlink("f/x")); SHOW("rmdir f/x", rmdir("f/x"));
  SHOW("symlink at f/x", symlink("t", "f/x")); SHOW("rename into f/x", rename("f", "f/x")); SHOW("link to f/x", link("f", "f/x"));
  SHOW("stat p/x", stat("p/x", &st)); SHOW("stat f/..", stat("f/..", &st)); SHOW("chdir f", chdir("f"));
}
CASE(missing_in_middle_of_path) {
  struct stat st;
  SHOW("stat m/x", stat("m/x", &st)); SHOW("open m/x O_CREAT", open("m/x", O_CREAT | O_WRONLY, 0644));
  SHOW("mkdir m/x", mkdir("m/x", 0755)); SHOW("unlink m/x", unlink("m/x")); SHOW("stat m/..", stat("m/..", &st));
  SHOW("stat m/.", stat("m/.", &st));
}
CASE(dotdot_through_symlink_is_physical) {
  mkdir("a", 0755); mkdir("a/b", 0755); mkdir("c", 0755); symlink("../a/b", "c/l"); touch("a/marker");
  show_stat("c/l/..", "c/l/.."); FACT("c/l/.. is a: %d\n", same_inode("c/l/..", "a"));
  FACT("c/l/../marker exists: %d\n", access("c/l/../marker", F_OK) == 0);
}
CASE(symlink_relative_to_its_directory) {
  mkdir("d", 0755); touch("f"); symlink("../f", "d/up"); symlink("./f", "d/here"); touch("d/f");
  FACT("d/up is f: %d\n", same_inode("d/up", "f")); FACT("d/here is d/f: %d\n", same_inode("d/here", "d/f"));
  chdir("d"); FACT("from inside, up is ../f: %d\n", same_inode("up", "../f"));
}
CASE(symlink_absolute_target) {
  char cwd[4096], t[4200]; getcwd(cwd, sizeof cwd); touch("f");
  snprintf(t, sizeof t, "%s/f", cwd); symlink(t, "abs"); snprintf(t, sizeof t, "%s/missing", cwd); symlink(t, "absdangle");
  FACT("abs is f: %d\n", same_inode("abs", "f")); struct stat st; SHOW("stat absdangle", stat("absdangle", &st));
  OK("create through absdangle", open("absdangle", O_CREAT | O_WRONLY, 0644)); FACT("missing now exists: %d\n", access("missing", F_OK) == 0);
}
CASE(symlink_target_lengths) {
  char *t = malloc(4100); memset(t, 'x', 4100);
  t[4095] = 0; SHOW("symlink 4095", symlink(t, "l1")); t[4095] = 'x'; t[4096] = 0; SHOW("symlink 4096", symlink(t, "l2"));
  char *b = malloc(5000); SHOW("readlink 4095", readlink("l1", b, 5000)); struct stat st; lstat("l1", &st);
  FACT("lstat size %ld\n", (long)st.st_size); SHOW("stat follows to a long name", stat("l1", &st));
}
CASE(readlink_buffer_sizes) {
  symlink("abcdef", "l"); char b[16];
  memset(b, '#', sizeof b); SHOW("bufsiz 1", readlink("l", b, 1)); FACT("bytes %.4s\n", b);
  memset(b, '#', sizeof b); SHOW("bufsiz 6", readlink("l", b, 6)); FACT("bytes %.8s\n", b);
  memset(b, '#', sizeof b); SHOW("bufsiz 7", readlink("l", b, 7)); FACT("bytes %.8s\n", b);
  SHOW("bufsiz 0", readlink("l", b, 0)); size_t volatile huge = (size_t)-1; SHOW("bufsiz -1", readlink("l", b, huge));
}
CASE(readlink_not_a_link) {
  touch("f"); mkdir("d", 0755); mkfifo("p", 0644); char b[16];
  SHOW("file", readlink("f", b, sizeof b)); SHOW("dir", readlink("d", b, sizeof b)); SHOW("fifo", readlink("p", b, sizeof b));
  SHOW("missing", readlink("m", b, sizeof b)); SHOW("trailing slash on link", (symlink("d", "l"), readlink("l/", b, sizeof b)));
  SHOW("dot", readlink(".", b, sizeof b));
}
CASE(readlinkat_empty_path) {
  touch("f"); symlink("f", "l"); char b[16] = {0};
  int lfd = open("l", O_PATH | O_NOFOLLOW), ffd = open("f", O_PATH), dfd = open(".", O_RDONLY);
  SHOW("O_PATH link fd", readlinkat(lfd, "", b, sizeof b)); FACT("target %s\n", b);
  SHOW("O_PATH file fd", readlinkat(ffd, "", b, sizeof b)); SHOW("dir fd", readlinkat(dfd, "", b, sizeof b));
  SHOW("relative to dir fd", readlinkat(dfd, "l", b, sizeof b)); SHOW("AT_FDCWD empty", readlinkat(AT_FDCWD, "", b, sizeof b));
}
CASE(create_through_symlinks) {
  mkdir("d", 0755); symlink("d", "ld"); symlink("l2", "l1"); symlink("made", "l2"); symlink("nodir/f", "deep");
  SHOW("O_CREAT on link to dir", open("ld", O_CREAT | O_WRONLY, 0644)); SHOW("O_CREAT on link to dir, O_RDONLY", open("ld", O_CREAT | O_RDONLY, 0644));
  OK("O_CREAT through a chain to a missing name", open("l1", O_CREAT | O_WRONLY, 0644)); FACT("made exists: %d\n", access("made", F_OK) == 0);
  SHOW("O_CREAT through a link into a missing dir", open("deep", O_CREAT | O_WRONLY, 0644));
  SHOW("O_CREAT|O_NOFOLLOW on dangling link", (symlink("x", "dang"), open("dang", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644)));
}
CASE(mkdir_and_mknod_do_not_follow) {
  symlink("target", "l"); struct stat st;
  SHOW("mkdir on dangling link", mkdir("l", 0755)); SHOW("mkfifo on dangling link", mkfifo("l", 0644));
  SHOW("symlink on dangling link", symlink("x", "l")); SHOW("link onto dangling link", (touch("f"), link("f", "l")));
  SHOW("target made", stat("target", &st)); SHOW("mkdir l/ with trailing slash", mkdir("l/", 0755));
}
CASE(many_slashes_and_dots) {
  mkdir("d", 0755); touch("d/f"); struct stat st;
  SHOW("d//f", stat("d//f", &st)); SHOW("d///./f", stat("d///./f", &st)); SHOW("./././d/f", stat("./././d/f", &st));
  SHOW("d/../d/f", stat("d/../d/f", &st)); SHOW("d/f/", stat("d/f/", &st)); SHOW("d/f//", stat("d/f//", &st));
  SHOW("d//", stat("d//", &st)); SHOW("d/.//", stat("d/.//", &st)); SHOW("d/f/.", stat("d/f/.", &st));
}
CASE(dirfd_follows_renamed_dir) {
  mkdir("d", 0755); touch("d/f"); int fd = open("d", O_RDONLY | O_DIRECTORY);
  rename("d", "e"); struct stat st;
  SHOW("fstatat f", fstatat(fd, "f", &st, 0)); OK("openat create", openat(fd, "g", O_CREAT | O_WRONLY, 0644));
  FACT("e/g exists: %d\n", access("e/g", F_OK) == 0); SHOW("fstatat ..", fstatat(fd, "..", &st, 0));
  mkdir("x", 0755); rename("e", "x/e"); FACT("dirfd .. now x: %d\n", ({ struct stat a, b; fstatat(fd, "..", &a, 0); stat("x", &b); a.st_ino == b.st_ino; }));
}
CASE(dirfd_of_removed_dir) {
  mkdir("d", 0755); int fd = open("d", O_RDONLY | O_DIRECTORY); rmdir("d"); struct stat st;
  SHOW("openat O_CREAT", openat(fd, "f", O_CREAT | O_WRONLY, 0644)); SHOW("mkdirat", mkdirat(fd, "x", 0755));
  SHOW("fstatat .", fstatat(fd, ".", &st, 0)); FACT("nlink %ld\n", (long)st.st_nlink); SHOW("fstatat ..", fstatat(fd, "..", &st, 0));
  SHOW("symlinkat", symlinkat("t", fd, "l")); SHOW("mknodat", mknodat(fd, "p", S_IFIFO | 0644, 0));
}
CASE(absolute_path_ignores_dirfd) {
  char cwd[4096], p[4200]; getcwd(cwd, sizeof cwd); touch("f"); snprintf(p, sizeof p, "%s/f", cwd);
  int ffd = open("f", O_RDONLY); struct stat st;
  OK("openat bad fd abs", openat(12345, p, O_RDONLY)); OK("openat file fd abs", openat(ffd, p, O_RDONLY));
  SHOW("fstatat -1 abs", fstatat(-1, p, &st, 0)); SHOW("openat bad fd rel", openat(12345, "f", O_RDONLY));
  SHOW("openat -1 rel", openat(-1, "f", O_RDONLY)); SHOW("mkdirat file fd rel", mkdirat(ffd, "x", 0755));
}
CASE(opath_dirfd_for_lookups) {
  mkdir("d", 0700); touch("d/f"); int fd = open("d", O_PATH); struct stat st;
  OK("openat", openat(fd, "f", O_RDONLY)); SHOW("fstatat", fstatat(fd, "f", &st, 0)); SHOW("mkdirat", mkdirat(fd, "x", 0755));
  SHOW("unlinkat", unlinkat(fd, "f", 0)); SHOW("getdents", syscall(SYS_getdents64, fd, (char[256]){0}, 256));
  SHOW("fchdir", fchdir(fd)); SHOW("relative after fchdir", access("x", F_OK));
}
CASE(fchdir_cases) {
  mkdir("d", 0755); touch("d/f"); touch("f");
  int dfd = open("d", O_RDONLY), ffd = open("f", O_RDONLY);
  SHOW("fchdir file", fchdir(ffd)); SHOW("fchdir bad", fchdir(9999)); SHOW("fchdir dir", fchdir(dfd));
  SHOW("see f", access("f", F_OK)); char b[4096]; getcwd(b, sizeof b); FACT("cwd ends with /d: %d\n", strlen(b) > 2 && !strcmp(b + strlen(b) - 2, "/d"));
}
CASE(chdir_cases) {
  touch("f"); mkdir("d", 0755); symlink("d", "ld"); symlink("f", "lf");
  SHOW("chdir file", chdir("f")); SHOW("chdir link to file", chdir("lf")); SHOW("chdir missing", chdir("m"));
  SHOW("chdir empty", chdir("")); SHOW("chdir link to dir", chdir("ld")); char b[4096]; getcwd(b, sizeof b);
  FACT("cwd is the dir, not the link: %d\n", !strcmp(b + strlen(b) - 2, "/d"));
  SHOW("chdir ..", chdir("..")); SHOW("chdir d/", chdir("d/"));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(symlink_chain_depth_limit); RUN(symlink_component_depth_limit); RUN(symlink_loop_kinds); RUN(symlink_to_file_in_middle);
  RUN(file_in_middle_of_path); RUN(missing_in_middle_of_path); RUN(dotdot_through_symlink_is_physical);
  RUN(symlink_relative_to_its_directory); RUN(symlink_absolute_target); RUN(symlink_target_lengths); RUN(readlink_buffer_sizes);
  RUN(readlink_not_a_link); RUN(readlinkat_empty_path); RUN(create_through_symlinks); RUN(mkdir_and_mknod_do_not_follow);
  RUN(many_slashes_and_dots); RUN(dirfd_follows_renamed_dir); RUN(dirfd_of_removed_dir); RUN(absolute_path_ignores_dirfd);
  RUN(opath_dirfd_for_lookups); RUN(fchdir_cases); RUN(chdir_cases);
  return 0;
}
