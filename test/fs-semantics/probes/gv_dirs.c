// Ideas from gVisor's getdents.cc, mkdir.cc, chdir.cc and fchdir.cc and
// LTP's getdents/mkdir/rmdir/chdir/fchdir tests, written anew: listings
// after removals and renames, fchdir on every kind of fd, symlinks left
// behind by chdir, getcwd through renames, names that look like dots, long
// names through a small buffer, and cursors of two opens against a dup.
#include "probe.h"
#include "as.h"

#define USER AS(1000, 1000, 1000)

/** The directory's names (no . and ..), sorted, on one line; `bufsize` for getdents64. */
static void names_of(const char *label, int dfd, size_t bufsize) {
  char buf[8192], *names[512]; int n = 0; long r; lseek(dfd, 0, SEEK_SET);
  while ((r = syscall(SYS_getdents64, dfd, buf, bufsize)) > 0)
    for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) {
      const char *nm = ((struct dirent64 *)(buf + o))->d_name;
      if (strcmp(nm, ".") && strcmp(nm, "..") && n < 512) names[n++] = strdup(nm);
    }
  if (r < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
  printf("%s:", label); for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); } printf("\n");
}
static const char *cwd_base(void) { static char b[4096]; if (!getcwd(b, sizeof b)) return strerrorname_np(errno); char *s = strrchr(b, '/'); return s ? s + 1 : b; }

CASE(listing_after_remove_and_rename) {
  touch("a"); touch("b"); touch("c"); mkdir("s", 0755); int d = open(".", O_RDONLY); names_of("before", d, 8192);
  unlink("b"); rename("c", "z"); rename("s", "t"); names_of("same fd", d, 8192);
  int e = open(".", O_RDONLY); names_of("fresh open", e, 8192); touch("b"); names_of("name back", e, 8192);
}
CASE(fchdir_forms) {
  mkdir("d", 0755); mkdirp("nox", 0600, 1000, 1000); touch("f"); int path = open("d", O_PATH), file = open("f", O_RDONLY), fpath = open("f", O_PATH), nox = open("nox", O_RDONLY);
  SHOW("O_PATH dir", fchdir(path)); FACT("cwd %s\n", cwd_base()); chdir("..");
  SHOW("file fd", fchdir(file)); SHOW("O_PATH file fd", fchdir(fpath)); SHOW("bad fd", fchdir(999)); SHOW("negative fd", fchdir(-1));
  USER { SHOW("no search permission", fchdir(nox)); SHOW("chdir there", chdir("nox")); int p = open("d", O_PATH); SHOW("own O_PATH", fchdir(p)); FACT("cwd %s\n", cwd_base()); }
}
CASE(chdir_through_symlink_is_physical) {
  mkdir("d", 0755); mkdir("d/e", 0755); mkdir("x", 0755); symlink("d/e", "l"); symlink("../x", "d/lx");
  SHOW("chdir l", chdir("l")); FACT("cwd %s\n", cwd_base()); chdir(".."); FACT("after .. %s\n", cwd_base());
  SHOW("chdir lx", chdir("lx")); FACT("cwd %s\n", cwd_base()); SHOW("chdir ../d/e", chdir("../d/e")); FACT("cwd %s\n", cwd_base());
  chdir("../..");
}
CASE(mkdirat_forms) {
  mkdir("d", 0755); touch("f"); int path = open("d", O_PATH), file = open("f", O_RDONLY); struct stat st;
  SHOW("O_PATH dirfd", mkdirat(path, "a", 0700)); stat("d/a", &st); FACT("mode %o\n", st.st_mode & 07777);
  SHOW("file fd", mkdirat(file, "b", 0755)); SHOW("empty path", mkdirat(path, "", 0755)); SHOW("empty path cwd", mkdir("", 0755));
  SHOW("dirfd ..", mkdirat(path, "../c", 0755)); SHOW("existing via dirfd", mkdirat(path, "a", 0755)); SHOW("trailing slashes", mkdirat(path, "e//", 0755));
  SHOW("through file", mkdir("f/x", 0755)); names_of("d", open("d", O_RDONLY), 8192);
}
CASE(entry_replaced_kind_in_listing) {
  touch("x"); int d = open(".", O_RDONLY); char buf[1024];
  unlink("x"); mkdir("x", 0755); long r = syscall(SYS_getdents64, d, buf, sizeof buf); int type = -1;
  for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) if (!strcmp(((struct dirent64 *)(buf + o))->d_name, "x")) type = ((struct dirent64 *)(buf + o))->d_type;
  FACT("x listed as %s\n", type == DT_DIR ? "dir" : type == DT_REG ? "reg" : "other");
  rmdir("x"); symlink("t", "x"); lseek(d, 0, SEEK_SET); r = syscall(SYS_getdents64, d, buf, sizeof buf); type = -1;
  for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) if (!strcmp(((struct dirent64 *)(buf + o))->d_name, "x")) type = ((struct dirent64 *)(buf + o))->d_type;
  FACT("then %s\n", type == DT_LNK ? "lnk" : type == DT_DIR ? "dir" : "other");
}
CASE(getcwd_follows_renames) {
  mkdir("a", 0755); mkdir("a/b", 0755); mkdir("a/b/c", 0755); chdir("a/b/c"); char cwd[4096], top[4096];
  rename("../../../a", "../../../A"); getcwd(cwd, sizeof cwd); FACT("ancestor renamed: %s\n", strstr(cwd, "/A/b/c") ? "follows" : "stale");
  rename("../c", "../C"); FACT("cwd %s\n", cwd_base()); rename("../../b", "../../../B"); getcwd(cwd, sizeof cwd);
  FACT("moved up: %s\n", strstr(cwd, "/B/C") && !strstr(cwd, "/A/") ? "follows" : "stale"); chdir("../.."); getcwd(top, sizeof top); FACT("back at case dir %d\n", access("A", F_OK) == 0);
}
CASE(dot_like_names) {
  touch("..."); mkdir("....", 0755); touch(".a"); touch("..b"); touch(". "); struct stat st;
  names_of("listed", open(".", O_RDONLY), 8192); SHOW("stat ...", stat("...", &st)); FACT("%s\n", ftype(st.st_mode));
  SHOW("chdir ....", chdir("....")); FACT("cwd %s\n", cwd_base()); chdir("..");
  SHOW("rename ... to .", rename("...", ".")); SHOW("rename . to ...", rename(".", "...")); SHOW("unlink ..b", unlink("..b")); SHOW("rmdir ....", rmdir("...."));
}
CASE(listing_long_names_small_buffer) {
  char n[256]; int made = 0;
  for (int i = 0; i < 60; i++) { memset(n, 'a' + i % 26, 200 + i % 56); snprintf(n + 200 + i % 56 - 3, 4, "%03d", i); if (close(open(n, O_CREAT | O_WRONLY, 0644)) == 0) made++; }
  FACT("made %d\n", made); int d = open(".", O_RDONLY); char buf[300]; long r; int got = 0, tiny;
  while ((r = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) { for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) got++; }
  FACT("entries %d end %ld\n", got, r); lseek(d, 0, SEEK_SET); syscall(SYS_getdents64, d, buf, sizeof buf); syscall(SYS_getdents64, d, buf, sizeof buf);
  tiny = syscall(SYS_getdents64, d, buf, 100); FACT("buffer under one long entry %s\n", tiny < 0 ? strerrorname_np(errno) : "ok");
}
CASE(rmdir_only_dotfiles) {
  mkdir("d", 0755); touch("d/.hidden"); mkdir("d/..x", 0755);
  SHOW("rmdir with dotfiles", rmdir("d")); unlink("d/.hidden"); SHOW("with ..x", rmdir("d")); rmdir("d/..x"); SHOW("empty", rmdir("d"));
}
CASE(fchdir_back_after_rename) {
  mkdir("home", 0755); mkdir("else", 0755); int saved = open("home", O_RDONLY); chdir("else");
  rename("../home", "../moved"); SHOW("fchdir back", fchdir(saved)); FACT("cwd %s\n", cwd_base()); SHOW("sees its parent", access("../else", F_OK));
  chdir(".."); rmdir("moved"); SHOW("fchdir to removed", fchdir(saved)); FACT("cwd %s\n", cwd_base()); SHOW("open .", open(".", O_RDONLY) >= 0);
  SHOW("readdir removed", ({ char b[256]; syscall(SYS_getdents64, open(".", O_RDONLY), b, sizeof b); }));
}
CASE(nested_mkdir_nlink_chain) {
  struct stat st; char p[64] = "n";
  for (int i = 0; i < 4; i++) { mkdir(p, 0755); for (int j = 0; j < i; j++) { char q[80]; snprintf(q, sizeof q, "%s/s%d", p, j); mkdir(q, 0755); } strcat(p, "/n"); }
  strcpy(p, "n"); for (int i = 0; i < 4; i++) { stat(p, &st); FACT("level %d nlink %ld\n", i, (long)st.st_nlink); strcat(p, "/n"); }
  rename("n/n/n", "top"); stat("n/n", &st); FACT("after moving level 2 out: level 1 nlink %ld\n", (long)st.st_nlink); stat("top", &st); FACT("moved %ld\n", (long)st.st_nlink);
}
CASE(cursors_of_two_opens_and_a_dup) {
  for (int i = 0; i < 6; i++) { char n[8]; snprintf(n, sizeof n, "e%d", i); touch(n); }
  int a = open(".", O_RDONLY), b = open(".", O_RDONLY), c = dup(a); char buf[4096];
  // 48 bytes: two entries of names up to four bytes.
  long r = syscall(SYS_getdents64, a, buf, 48); FACT("first read of a %s\n", r > 0 ? "some" : r == 0 ? "none" : strerrorname_np(errno));
  int na = 0, nb = 0, nc = 0;
  while ((r = syscall(SYS_getdents64, c, buf, sizeof buf)) > 0) for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) nc++;
  while ((r = syscall(SYS_getdents64, b, buf, sizeof buf)) > 0) for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) nb++;
  while ((r = syscall(SYS_getdents64, a, buf, sizeof buf)) > 0) for (long o = 0; o < r; o += ((struct dirent64 *)(buf + o))->d_reclen) na++;
  FACT("dup after a's first two entries %d, b %d, a after the dup %d\n", nc, nb, na);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(listing_after_remove_and_rename); RUN(fchdir_forms); RUN(chdir_through_symlink_is_physical); RUN(mkdirat_forms);
  RUN(entry_replaced_kind_in_listing); RUN(getcwd_follows_renames); RUN(dot_like_names); RUN(listing_long_names_small_buffer);
  RUN(rmdir_only_dotfiles); RUN(fchdir_back_after_rename); RUN(nested_mkdir_nlink_chain); RUN(cursors_of_two_opens_and_a_dup);
  return 0;
}
