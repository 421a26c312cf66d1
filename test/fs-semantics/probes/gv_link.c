// Ideas from gVisor's link.cc, symlink.cc and readlink.cc and LTP's link and
// symlink tests, written anew: linkat with non-directory and O_PATH fds,
// AT_EMPTY_PATH without the capability, trailing slashes, symlinks made in
// directories the caller may not write, links that point at themselves or a
// parent, and names that move while links point through them.
#include "probe.h"
#include "as.h"

#define USER AS(1000, 1000, 1000)

static void show_kind(const char *p) {
  struct stat st; if (lstat(p, &st)) printf("%s: %s\n", p, strerrorname_np(errno));
  else printf("%s: %s %o nlink %ld\n", p, ftype(st.st_mode), S_ISLNK(st.st_mode) ? 0 : st.st_mode & 07777, S_ISDIR(st.st_mode) ? 0L : (long)st.st_nlink);
}
static void target_of(const char *p) { char b[64] = {0}; if (readlink(p, b, sizeof b - 1) < 0) printf("readlink %s: %s\n", p, strerrorname_np(errno)); else printf("%s -> %s\n", p, b); }

CASE(linkat_with_non_dir_and_o_path_fds) {
  mkdir("d", 0755); touch("d/f"); int file = open("d/f", O_RDONLY), path = open("d", O_PATH), fpath = open("d/f", O_PATH);
  char abs[4200]; char cwd[4096]; getcwd(cwd, sizeof cwd);
  SHOW("relative old, file fd", linkat(file, "x", AT_FDCWD, "a", 0)); SHOW("relative new, file fd", linkat(AT_FDCWD, "d/f", file, "a", 0));
  snprintf(abs, sizeof abs, "%s/d/f", cwd); SHOW("absolute old, file fd", linkat(file, abs, AT_FDCWD, "b", 0));
  snprintf(abs, sizeof abs, "%s/c", cwd); SHOW("absolute new, file fd", linkat(AT_FDCWD, "d/f", file, abs, 0));
  SHOW("O_PATH dirfds both", linkat(path, "f", path, "g", 0)); SHOW("relative to O_PATH file fd", linkat(fpath, "x", AT_FDCWD, "e", 0));
  show_kind("d/f");
}
CASE(linkat_empty_path_needs_capability) {
  chmod(".", 0777); mkfile("f", 0644, 1000, 1000); int rootfd = open("f", O_RDONLY);
  USER { SHOW("fd root opened, as user", linkat(rootfd, "", AT_FDCWD, "t", AT_EMPTY_PATH)); int fd = open("f", O_RDONLY); SHOW("AT_EMPTY_PATH as user", linkat(fd, "", AT_FDCWD, "u", AT_EMPTY_PATH));
         int p = open("f", O_PATH); SHOW("AT_EMPTY_PATH O_PATH as user", linkat(p, "", AT_FDCWD, "v", AT_EMPTY_PATH));
         SHOW("AT_FDCWD empty as user", linkat(AT_FDCWD, "", AT_FDCWD, "w", AT_EMPTY_PATH)); }
  int p = open("f", O_PATH); SHOW("AT_EMPTY_PATH O_PATH as root", linkat(p, "", AT_FDCWD, "r", AT_EMPTY_PATH)); show_kind("f");
}
CASE(link_trailing_slashes) {
  touch("f"); mkdir("d", 0755); touch("e");
  SHOW("old with slash", link("f/", "g")); SHOW("new with slash", link("f", "g/")); SHOW("new existing with slash", link("f", "e/"));
  SHOW("dir old with slash", link("d/", "h")); SHOW("new is dir with slash", link("f", "d/")); SHOW("g made", access("g", F_OK)); show_kind("f");
}
CASE(symlinkat_in_unwritable_dirs) {
  mkdirp("ro", 0555, 1000, 1000); mkdirp("nox", 0666, 1000, 1000); mkdirp("w", 0755, 1000, 1000);
  USER {
    SHOW("read-only dir", symlink("t", "ro/l")); SHOW("no search dir", symlink("t", "nox/l")); SHOW("writable dir", symlink("t", "w/l"));
    SHOW("read-only dir, new with slash", symlink("t", "ro/n/")); SHOW("read-only dir, link with slash", link("w/l", "ro/n/"));
    int p = open("ro", O_PATH); SHOW("read-only via O_PATH dirfd", symlinkat("t", p, "l")); SHOW("readlinkat via O_PATH dirfd", ({ char b[8]; readlinkat(open("w", O_PATH), "l", b, sizeof b); }));
  }
  show_kind("w/l");
}
CASE(symlinks_to_self_and_parent_on_create) {
  symlink("self", "self"); symlink("..", "up"); symlink(".", "dot");
  SHOW("O_CREAT through self link", open("self", O_CREAT | O_WRONLY, 0644)); SHOW("O_CREAT through .. link", open("up", O_CREAT | O_WRONLY, 0644));
  SHOW("O_CREAT|O_EXCL on self link", open("self", O_CREAT | O_EXCL | O_WRONLY, 0644)); SHOW("O_CREAT|O_NOFOLLOW on .. link", open("up", O_CREAT | O_NOFOLLOW | O_WRONLY, 0644));
  SHOW("mkdir over self link", mkdir("self", 0755)); SHOW("dot/dot/dot/self", open("dot/dot/dot/self", O_RDONLY));
  struct stat a, b; stat("up", &a); stat("..", &b); FACT("up is parent %d\n", a.st_ino == b.st_ino); show_kind("self");
}
CASE(fchmodat2_nofollow_on_symlink) {
  touch("f"); chmod("f", 0644); symlink("f", "l");
  SHOW("fchmodat2 follow", syscall(452, AT_FDCWD, "l", 0600, 0)); show_kind("f");
  SHOW("fchmodat2 nofollow on symlink", syscall(452, AT_FDCWD, "l", 0700, AT_SYMLINK_NOFOLLOW)); show_kind("f");
  SHOW("fchmodat2 nofollow on file", syscall(452, AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW)); show_kind("f");
  SHOW("fchmodat2 bad flag", syscall(452, AT_FDCWD, "f", 0640, 0x2)); int fd = open("f", O_RDONLY);
  SHOW("fchmodat2 empty path", syscall(452, fd, "", 0604, AT_EMPTY_PATH)); show_kind("f");
  SHOW("fchmodat ignores no flag", syscall(SYS_fchmodat, AT_FDCWD, "l", 0611)); show_kind("f");
}
CASE(link_across_dirs_and_renames) {
  mkdir("a", 0755); mkdir("b", 0755); int fd = open("a/f", O_CREAT | O_WRONLY, 0644); write(fd, "data", 4);
  SHOW("link a/f b/g", link("a/f", "b/g")); SHOW("rename b", rename("b", "c")); SHOW("unlink a/f", unlink("a/f"));
  show_kind("c/g"); SHOW("link back", link("c/g", "a/f2")); SHOW("rename over other name", rename("a/f2", "c/g")); show_kind("c/g"); show_kind("a/f2");
  struct stat st; fstat(fd, &st); FACT("fd nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
}
CASE(link_name_errors) {
  touch("f"); symlink("nowhere", "dangling"); mkdir("d", 0755); char n256[257]; memset(n256, 'n', 256); n256[256] = 0;
  SHOW("over dangling symlink", link("f", "dangling")); SHOW("into missing dir", link("f", "missing/x")); SHOW("name too long", link("f", n256));
  SHOW("old too long", link(n256, "x")); SHOW("old is dangling symlink nofollow", link("dangling", "dl")); show_kind("dl");
  SHOW("follow dangling", linkat(AT_FDCWD, "dangling", AT_FDCWD, "dl2", AT_SYMLINK_FOLLOW)); SHOW("to .", link("f", "."));
  SHOW("to d/..", link("f", "d/.."));
}
CASE(symlink_newname_forms) {
  mkdir("d", 0755); touch("f"); int fd = open("f", O_RDONLY);
  SHOW("new with slash", symlink("t", "n/")); SHOW("new existing dir with slash", symlink("t", "d/")); SHOW("new through file", symlink("t", "f/x"));
  SHOW("file as dirfd", symlinkat("t", fd, "x")); SHOW("empty new", symlink("t", "")); SHOW("new is .", symlink("t", "."));
  SHOW("new is d/..", symlink("t", "d/..")); SHOW("mknod reg over dir with slash", mknod("d/", S_IFREG | 0644, 0));
  SHOW("mknod reg new with slash", mknod("m/", S_IFREG | 0644, 0)); SHOW("target with slashes kept", symlink("a//b/", "s")); target_of("s");
}
CASE(relative_symlink_after_moving_it) {
  mkdir("a", 0755); mkdir("a/b", 0755); int fd = open("a/t", O_CREAT | O_WRONLY, 0644); write(fd, "A", 1); close(fd);
  fd = open("t", O_CREAT | O_WRONLY, 0644); write(fd, "top", 3); close(fd); symlink("../t", "a/b/l");
  char b[8] = {0}; fd = open("a/b/l", O_RDONLY); read(fd, b, 7); FACT("before: %s\n", b); close(fd);
  rename("a/b/l", "a/l"); memset(b, 0, 8); fd = open("a/l", O_RDONLY); SHOW("after move up", fd); if (fd >= 0) { read(fd, b, 7); FACT("reads %s\n", b); close(fd); }
  rename("a/b", "b"); rename("a/l", "b/l"); SHOW("after moving both", open("b/l", O_RDONLY) >= 0);
}
CASE(dangling_symlink_comes_and_goes) {
  symlink("t", "l"); struct stat st;
  SHOW("stat dangling", stat("l", &st)); SHOW("lstat dangling", lstat("l", &st)); touch("t"); chmod("t", 0640);
  SHOW("stat once target made", stat("l", &st)); FACT("%s %o\n", ftype(st.st_mode), st.st_mode & 07777);
  unlink("t"); mkdir("t", 0700); SHOW("target now a dir", stat("l", &st)); FACT("%s %o\n", ftype(st.st_mode), st.st_mode & 07777);
  SHOW("chdir through", chdir("l")); chdir(".."); rmdir("t"); SHOW("gone again", stat("l", &st)); SHOW("access F_OK", access("l", F_OK));
  SHOW("faccessat nofollow", faccessat(AT_FDCWD, "l", F_OK, AT_SYMLINK_NOFOLLOW));
}
CASE(hard_link_of_symlink) {
  touch("f"); symlink("f", "l"); SHOW("link symlink", link("l", "l2")); show_kind("l"); show_kind("l2"); target_of("l2");
  SHOW("unlink first", unlink("l")); show_kind("l2"); SHOW("open through remaining", open("l2", O_RDONLY) >= 0);
  SHOW("rename over target", rename("l2", "f")); show_kind("f"); target_of("f"); SHOW("open loops", open("f", O_RDONLY));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(linkat_with_non_dir_and_o_path_fds); RUN(linkat_empty_path_needs_capability); RUN(link_trailing_slashes); RUN(symlinkat_in_unwritable_dirs);
  RUN(symlinks_to_self_and_parent_on_create); RUN(fchmodat2_nofollow_on_symlink); RUN(link_across_dirs_and_renames); RUN(link_name_errors);
  RUN(symlink_newname_forms); RUN(relative_symlink_after_moving_it); RUN(dangling_symlink_comes_and_goes); RUN(hard_link_of_symlink);
  return 0;
}
