// Ideas from gVisor's open.cc and open_create.cc, written anew: creating a
// file whose mode refuses the access it was opened with, modes changed
// between opens, O_TRUNC against permissions and sizes, dots from the root,
// paths that are not cleaned, and descriptors that outlive their name.
#include "probe.h"
#include "as.h"

#define USER AS(1000, 1000, 1000)

static long size_of(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_size; }
static void write_file(const char *p, const char *s) { int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644); write(fd, s, strlen(s)); close(fd); }

CASE(create_refusing_mode_keeps_access) {
  chmod(".", 0777);
  USER {
    int fd; OK("O_CREAT|O_RDWR mode 0444", fd = open("f", O_CREAT | O_RDWR, 0444));
    SHOW("write through creating fd", write(fd, "abc", 3)); SHOW("pread", ({ char b[4]; pread(fd, b, 3, 0); }));
    SHOW("reopen O_RDWR", open("f", O_RDWR)); OK("reopen O_RDONLY", open("f", O_RDONLY));
    int g; OK("O_CREAT|O_WRONLY mode 0", g = open("g", O_CREAT | O_WRONLY, 0)); SHOW("write", write(g, "x", 1));
    SHOW("reopen mode 0 read", open("g", O_RDONLY));
  }
  show_owner("f", "f"); FACT("size %ld\n", size_of("f"));
}
CASE(chmod_between_opens) {
  mkfile("f", 0644, 1000, 1000);
  USER {
    int w = open("f", O_WRONLY); SHOW("chmod 0444", chmod("f", 0444)); SHOW("old fd writes", write(w, "ab", 2));
    SHOW("new O_WRONLY", open("f", O_WRONLY)); SHOW("chmod 0200", chmod("f", 0200)); SHOW("new O_RDONLY", open("f", O_RDONLY));
    OK("new O_WRONLY", open("f", O_WRONLY)); SHOW("chmod 0", chmod("f", 0)); SHOW("old fd still writes", write(w, "c", 1));
  }
  FACT("size %ld\n", size_of("f"));
}
CASE(o_trunc_needs_write_not_read) {
  write_file("a", "data"); chown("a", 1000, 1000); chmod("a", 0200);
  write_file("b", "data"); chown("b", 1000, 1000); chmod("b", 0400);
  USER {
    OK("O_WRONLY|O_TRUNC on 0200", open("a", O_WRONLY | O_TRUNC)); SHOW("O_RDONLY|O_TRUNC on 0400", open("b", O_RDONLY | O_TRUNC));
    SHOW("O_RDWR|O_TRUNC on 0200", open("a", O_RDWR | O_TRUNC));
  }
  FACT("a %ld b %ld\n", size_of("a"), size_of("b"));
}
CASE(root_o_trunc_strange_modes) {
  write_file("a", "data"); chmod("a", 0); write_file("b", "data"); chmod("b", 0111);
  OK("O_RDONLY|O_TRUNC mode 0", open("a", O_RDONLY | O_TRUNC)); OK("O_WRONLY|O_TRUNC mode 0111", open("b", O_WRONLY | O_TRUNC));
  FACT("a %ld b %ld\n", size_of("a"), size_of("b"));
}
CASE(o_trunc_and_o_creat_existing_sizes) {
  write_file("f", "0123456789");
  int fd = open("f", O_CREAT | O_RDWR, 0600); FACT("O_CREAT keeps %ld\n", size_of("f"));
  SHOW("read", ({ char b[16]; read(fd, b, sizeof b); })); int t = open("f", O_CREAT | O_TRUNC | O_RDWR, 0600);
  FACT("O_CREAT|O_TRUNC -> %ld\n", size_of("f")); char b[16]; SHOW("old fd reads past new end", pread(fd, b, sizeof b, 0));
  SHOW("write at old offset", write(fd, "x", 1)); FACT("size %ld\n", size_of("f")); SHOW("new fd reads", pread(t, b, sizeof b, 0));
  FACT("first byte %d\n", b[0]); struct stat st; stat("f", &st); FACT("mode %o\n", st.st_mode & 07777);
}
CASE(dots_from_root) {
  struct stat r, a, b, c; stat("/", &r);
  SHOW("/..", stat("/..", &a)); SHOW("/../..", stat("/../..", &b)); SHOW("/./../.", stat("/./../.", &c));
  FACT("all the root %d\n", r.st_ino == a.st_ino && a.st_ino == b.st_ino && b.st_ino == c.st_ino && r.st_dev == c.st_dev);
  int fd = open("/..", O_RDONLY | O_DIRECTORY); struct stat f; fstat(fd, &f); FACT("open /.. is the root %d\n", f.st_ino == r.st_ino);
  int d = open("/", O_PATH); SHOW("openat root dirfd ..", fstatat(d, "..", &a, 0)); FACT("same %d\n", a.st_ino == r.st_ino);
}
CASE(paths_not_cleaned) {
  mkdir("d", 0755); touch("d/f"); struct stat st;
  SHOW("d/../d/f", stat("d/../d/f", &st)); SHOW("d//f", stat("d//f", &st)); SHOW("d/./f", stat("d/./f", &st));
  SHOW("d/f/..", stat("d/f/..", &st)); SHOW("d/f/.", stat("d/f/.", &st)); SHOW("d/f/", stat("d/f/", &st));
  SHOW("d/missing/..", stat("d/missing/..", &st)); SHOW("open d/f/..", open("d/f/..", O_RDONLY));
  SHOW("open creat d/f/x", open("d/f/x", O_CREAT | O_WRONLY, 0644)); SHOW("mkdir d/f/x", mkdir("d/f/x", 0755));
}
CASE(leading_double_slash) {
  struct stat a, b, c; stat("/", &a); SHOW("//", stat("//", &b)); SHOW("///", stat("///", &c));
  FACT("same %d %d\n", a.st_ino == b.st_ino, a.st_ino == c.st_ino);
  char cwd[4096]; getcwd(cwd, sizeof cwd); char p[4200]; snprintf(p, sizeof p, "/%s//.//", cwd);
  SHOW("cwd with extra slashes", stat(p, &b)); stat(".", &a); FACT("is cwd %d\n", a.st_ino == b.st_ino);
}
CASE(fd_outlives_name_and_dir) {
  mkdir("d", 0755); int fd = open("d/f", O_CREAT | O_RDWR, 0644); write(fd, "hello", 5);
  unlink("d/f"); SHOW("rmdir", rmdir("d")); struct stat st; fstat(fd, &st); FACT("nlink %ld size %ld\n", (long)st.st_nlink, (long)st.st_size);
  SHOW("write", write(fd, " world", 6)); char b[16] = {0}; SHOW("pread", pread(fd, b, sizeof b - 1, 0)); FACT("%s\n", b);
  SHOW("ftruncate", ftruncate(fd, 2)); fstat(fd, &st); FACT("size %ld\n", (long)st.st_size); SHOW("fchmod", fchmod(fd, 0600));
  fstat(fd, &st); FACT("mode %o\n", st.st_mode & 07777); SHOW("mkdir in old name", mkdir("d", 0755));
}
CASE(open_writable_dir_each_way) {
  mkdir("d", 0755);
  SHOW("O_WRONLY", open("d", O_WRONLY)); SHOW("O_RDWR", open("d", O_RDWR)); SHOW("O_WRONLY|O_CREAT", open("d", O_WRONLY | O_CREAT, 0644));
  SHOW("O_RDWR|O_DIRECTORY", open("d", O_RDWR | O_DIRECTORY)); SHOW("O_WRONLY|O_PATH is path", open("d", O_WRONLY | O_PATH) >= 0);
  SHOW("d/ O_WRONLY", open("d/", O_WRONLY)); SHOW(". O_RDWR", open(".", O_RDWR)); SHOW(".. O_WRONLY", open("..", O_WRONLY));
}
CASE(trailing_slash_on_non_dirs) {
  touch("f"); mkfifo("p", 0644); symlink("f", "lf"); symlink("missing", "dangling");
  SHOW("f/", open("f/", O_RDONLY)); SHOW("p/", open("p/", O_RDONLY | O_NONBLOCK)); SHOW("lf/", open("lf/", O_RDONLY));
  SHOW("dangling/ O_CREAT", open("dangling/", O_CREAT | O_WRONLY, 0644)); SHOW("new/ O_CREAT", open("new/", O_CREAT | O_WRONLY, 0644));
  SHOW("f/ O_PATH", open("f/", O_PATH)); SHOW("missing/", open("missing/", O_RDONLY)); SHOW("new made", access("new", F_OK));
}
CASE(open_through_long_chain_of_dirs) {
  char p[512] = "a"; for (int i = 0; i < 40; i++) { mkdir(p, 0755); strcat(p, "/a"); }
  int fd; OK("create at depth 40", fd = open(p, O_CREAT | O_RDWR, 0644)); write(fd, "deep", 4); close(fd);
  FACT("size %ld\n", size_of(p)); char q[600]; snprintf(q, sizeof q, "%.*s/../../a/../a", (int)strlen(p) - 2, p); struct stat st;
  SHOW("dotdot back up", stat(q, &st)); FACT("type %s\n", ftype(st.st_mode)); snprintf(q, sizeof q, "%s/..", p);
  SHOW("file then dotdot", stat(q, &st));
  int d = open("a/a/a/a", O_RDONLY); OK("relative to deep dirfd", openat(d, p + 8, O_RDONLY));
}
CASE(reopen_after_rename_of_parent) {
  mkdir("a", 0755); mkdir("a/b", 0755); write_file("a/b/f", "one");
  int d = open("a/b", O_RDONLY), fd = open("a/b/f", O_RDWR); rename("a", "z");
  OK("openat dirfd after parent renamed", openat(d, "f", O_RDONLY)); SHOW("old path", open("a/b/f", O_RDONLY));
  write(fd, "TWO", 3); char b[4] = {0}; int g = open("z/b/f", O_RDONLY); read(g, b, 3); FACT("new path reads %s\n", b);
  SHOW("create via dirfd", openat(d, "g", O_CREAT | O_WRONLY, 0644) >= 0); SHOW("visible at new path", access("z/b/g", F_OK));
}
CASE(append_fd_after_truncate_by_other) {
  int a = open("f", O_CREAT | O_WRONLY | O_APPEND, 0644); write(a, "0123456789", 10);
  int t = open("f", O_WRONLY | O_TRUNC); (void)t; FACT("after O_TRUNC %ld\n", size_of("f"));
  SHOW("append write", write(a, "ab", 2)); SHOW("pos", lseek(a, 0, SEEK_CUR)); FACT("size %ld\n", size_of("f"));
  ftruncate(t, 5); SHOW("append after grow", write(a, "c", 1)); FACT("size %ld\n", size_of("f"));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(create_refusing_mode_keeps_access); RUN(chmod_between_opens); RUN(o_trunc_needs_write_not_read); RUN(root_o_trunc_strange_modes);
  RUN(o_trunc_and_o_creat_existing_sizes); RUN(dots_from_root); RUN(paths_not_cleaned); RUN(leading_double_slash);
  RUN(fd_outlives_name_and_dir); RUN(open_writable_dir_each_way); RUN(trailing_slash_on_non_dirs); RUN(open_through_long_chain_of_dirs);
  RUN(reopen_after_rename_of_parent); RUN(append_fd_after_truncate_by_other);
  return 0;
}
