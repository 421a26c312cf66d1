// Directory listings: getdents64 cursors while entries come and go,
// rewinddir, seekdir/telldir, lseek on directory fds, small buffers, errors.
#include "probe.h"
#include <sys/wait.h>

struct d64 { unsigned long long ino; long long off; unsigned short reclen; unsigned char type; char name[]; };

/** Reads one getdents64 batch into names (appended, space separated); returns the call's result. */
static long batch(int fd, size_t size, char *names, size_t cap, int *count) {
  char buf[65536];
  long n = syscall(SYS_getdents64, fd, buf, size);
  for (long i = 0; i < n;) {
    struct d64 *e = (struct d64 *)(buf + i);
    if (strcmp(e->name, ".") && strcmp(e->name, "..")) {
      size_t len = strlen(names);
      snprintf(names + len, cap - len, "%s ", e->name);
      (*count)++;
    }
    i += e->reclen;
  }
  return n;
}
/** Every name from a fresh listing, sorted, and how many there were. */
static void listing(const char *label, const char *dir) {
  DIR *d = opendir(dir); char *names[512]; int n = 0; struct dirent *e;
  while (d && (e = readdir(d)) && n < 512) names[n++] = strdup(e->d_name);
  if (d) closedir(d);
  for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
  printf("%s (%d):", label, n);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}
static int seen_times(const char *names, const char *name) {
  int c = 0; char pat[64]; snprintf(pat, sizeof pat, "%s ", name);
  for (const char *p = names; (p = strstr(p, pat)); p += strlen(pat)) if (p == names || p[-1] == ' ') c++;
  return c;
}

CASE(listing_basic) {
  touch("f"); mkdir("d", 0755); symlink("f", "l"); mkfifo("p", 0644);
  listing("entries", ".");
  DIR *d = opendir("."); struct dirent *e; int types = 0;
  while ((e = readdir(d))) {
    const char *n = e->d_name; int t = e->d_type;
    types += (!strcmp(n, "f") && t == DT_REG) + (!strcmp(n, "d") && t == DT_DIR) + (!strcmp(n, "l") && t == DT_LNK) +
             (!strcmp(n, "p") && t == DT_FIFO) + (!strcmp(n, ".") && t == DT_DIR) + (!strcmp(n, "..") && t == DT_DIR);
  }
  FACT("d_type right for %d of 6\n", types);
}
CASE(listing_ino_matches_stat) {
  touch("f"); mkdir("d", 0755);
  DIR *d = opendir("."); struct dirent *e; int match = 0; struct stat st;
  while ((e = readdir(d))) if (lstat(e->d_name, &st) == 0 && st.st_ino == e->d_ino) match++;
  FACT("d_ino equals st_ino for %d entries\n", match);
}
CASE(empty_dir_has_dot_and_dotdot) { mkdir("e", 0755); listing("empty", "e"); }
CASE(stable_while_adding) {
  char name[32];
  for (int i = 0; i < 60; i++) { snprintf(name, sizeof name, "orig%02d", i); touch(name); }
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[8192] = ""; int count = 0;
  batch(fd, 256, names, sizeof names, &count);
  for (int i = 0; i < 60; i++) { snprintf(name, sizeof name, "new%02d", i); touch(name); }
  while (batch(fd, 256, names, sizeof names, &count) > 0) {}
  int once = 0;
  for (int i = 0; i < 60; i++) { snprintf(name, sizeof name, "orig%02d", i); once += seen_times(names, name) == 1; }
  FACT("original entries seen exactly once %d of 60\n", once);
}
CASE(stable_while_removing) {
  char name[32];
  for (int i = 0; i < 60; i++) { snprintf(name, sizeof name, "e%02d", i); touch(name); }
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[8192] = ""; int count = 0;
  batch(fd, 256, names, sizeof names, &count);
  // Remove every entry with an odd number; the even ones must each show up once.
  for (int i = 1; i < 60; i += 2) { snprintf(name, sizeof name, "e%02d", i); unlink(name); }
  while (batch(fd, 256, names, sizeof names, &count) > 0) {}
  int once = 0;
  for (int i = 0; i < 60; i += 2) { snprintf(name, sizeof name, "e%02d", i); once += seen_times(names, name) == 1; }
  FACT("kept entries seen exactly once %d of 30\n", once);
  int dup = 0;
  for (int i = 1; i < 60; i += 2) { snprintf(name, sizeof name, "e%02d", i); dup += seen_times(names, name) > 1; }
  FACT("removed entries seen twice %d\n", dup);
}
CASE(stable_while_renaming_others) {
  char name[32];
  for (int i = 0; i < 40; i++) { snprintf(name, sizeof name, "k%02d", i); touch(name); }
  touch("moving");
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[8192] = ""; int count = 0;
  batch(fd, 200, names, sizeof names, &count);
  rename("moving", "moved"); mkdir("sub", 0755);
  while (batch(fd, 200, names, sizeof names, &count) > 0) {}
  int once = 0;
  for (int i = 0; i < 40; i++) { snprintf(name, sizeof name, "k%02d", i); once += seen_times(names, name) == 1; }
  FACT("untouched entries seen exactly once %d of 40\n", once);
}
CASE(end_of_listing_and_new_entry) {
  touch("a");
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[4096] = ""; int count = 0;
  while (batch(fd, 4096, names, sizeof names, &count) > 0) {}
  FACT("first pass %s\n", names);
  SHOW("at end", batch(fd, 4096, names, sizeof names, &count));
  lseek(fd, 0, SEEK_SET); touch("b"); names[0] = 0; count = 0;
  while (batch(fd, 4096, names, sizeof names, &count) > 0) {}
  FACT("after rewind and create %d entries, b seen %d\n", count, seen_times(names, "b"));
}
CASE(rewinddir_sees_changes) {
  touch("a"); touch("b");
  DIR *d = opendir("."); while (readdir(d)) {}
  unlink("a"); touch("c"); rewinddir(d);
  int a = 0, b = 0, c = 0; struct dirent *e;
  while ((e = readdir(d))) { a += !strcmp(e->d_name, "a"); b += !strcmp(e->d_name, "b"); c += !strcmp(e->d_name, "c"); }
  FACT("after rewinddir a %d b %d c %d\n", a, b, c);
}
CASE(telldir_seekdir_resume) {
  for (int i = 0; i < 10; i++) { char n[8]; snprintf(n, sizeof n, "f%d", i); touch(n); }
  DIR *d = opendir("."); readdir(d); readdir(d); readdir(d);
  long where = telldir(d); struct dirent *e = readdir(d); char next[256]; snprintf(next, sizeof next, "%s", e->d_name);
  while (readdir(d)) {}
  seekdir(d, where); e = readdir(d); FACT("seekdir returns to the same entry %d\n", e && !strcmp(e->d_name, next));
}
CASE(lseek_directory_offsets) {
  for (int i = 0; i < 5; i++) { char n[8]; snprintf(n, sizeof n, "g%d", i); touch(n); }
  int fd = open(".", O_RDONLY | O_DIRECTORY); char buf[4096];
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  // The d_off of an entry is where the next one starts: seeking there lists the rest.
  struct d64 *first = (struct d64 *)buf; long rest_len = n - first->reclen;
  SHOW("seek to first d_off", lseek(fd, first->off, SEEK_SET) == first->off);
  long m = syscall(SYS_getdents64, fd, buf, sizeof buf); FACT("rest of listing has the same size %d\n", m == rest_len);
  SHOW("SEEK_END", lseek(fd, 0, SEEK_END)); SHOW("SEEK_CUR 0 is a position", lseek(fd, 0, SEEK_CUR) >= 0);
}
CASE(getdents_small_buffers) {
  touch("a_rather_long_name_for_a_small_buffer");
  int fd = open(".", O_RDONLY | O_DIRECTORY); char buf[64]; int count = 0; char names[4096] = "";
  SHOW("size 0", syscall(SYS_getdents64, fd, buf, 0)); SHOW("size 10", syscall(SYS_getdents64, fd, buf, 10));
  SHOW("size 24 fits dot", syscall(SYS_getdents64, fd, buf, 24) > 0);
  while (batch(fd, 40, names, sizeof names, &count) > 0) {}
  SHOW("long name in 40 bytes", syscall(SYS_getdents64, fd, buf, 40));
  while (batch(fd, 4096, names, sizeof names, &count) > 0) {}
  FACT("then listed %s\n", names);
}
CASE(getdents_errors) {
  touch("f"); int f = open("f", O_RDONLY); char buf[1024];
  SHOW("on a file", syscall(SYS_getdents64, f, buf, sizeof buf)); SHOW("bad fd", syscall(SYS_getdents64, 999, buf, sizeof buf));
  int d = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("NULL buffer", syscall(SYS_getdents64, d, NULL, 1024)); SHOW("unmapped buffer", syscall(SYS_getdents64, d, (void *)16, 1024));
  SHOW("then works", syscall(SYS_getdents64, d, buf, sizeof buf) > 0);
  SHOW("old getdents", syscall(SYS_getdents, f, buf, sizeof buf));
}
CASE(getdents_on_path_fd) {
  int d = open(".", O_PATH | O_DIRECTORY); char buf[1024];
  SHOW("O_PATH dir", syscall(SYS_getdents64, d, buf, sizeof buf));
}
CASE(old_getdents) {
  touch("x"); int d = open(".", O_RDONLY | O_DIRECTORY); char buf[4096];
  long n = syscall(SYS_getdents, d, buf, sizeof buf); int names = 0;
  for (long i = 0; i < n;) { unsigned short reclen = *(unsigned short *)(buf + i + 16); names++; i += reclen; }
  FACT("getdents entries %d\n", names);
}
CASE(listing_removed_dir) {
  mkdir("gone", 0755); int fd = open("gone", O_RDONLY | O_DIRECTORY); rmdir("gone"); char buf[1024];
  SHOW("getdents of removed dir", syscall(SYS_getdents64, fd, buf, sizeof buf));
  SHOW("create in removed dir", openat(fd, "x", O_CREAT | O_WRONLY, 0644));
  SHOW("fchdir to removed", fchdir(fd)); char cwd[256]; SHOW("getcwd", getcwd(cwd, sizeof cwd) ? 0 : -1);
}
CASE(many_entries) {
  char name[32];
  for (int i = 0; i < 300; i++) { snprintf(name, sizeof name, "many%03d", i); touch(name); }
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[16384] = ""; int count = 0;
  while (batch(fd, 1024, names, sizeof names, &count) > 0) {}
  int once = 0;
  for (int i = 0; i < 300; i++) { snprintf(name, sizeof name, "many%03d", i); once += seen_times(names, name) == 1; }
  FACT("count %d each once %d\n", count, once);
  for (int i = 0; i < 300; i += 3) { snprintf(name, sizeof name, "many%03d", i); unlink(name); }
  DIR *d = opendir("."); int left = 0; while (readdir(d)) left++;
  FACT("after removing a third %d\n", left);
}
CASE(dir_nlink_and_listing_agree) {
  mkdir("p", 0755); mkdir("p/a", 0755); mkdir("p/b", 0755); touch("p/f");
  struct stat st; stat("p", &st); FACT("nlink %ld\n", (long)st.st_nlink); listing("p", "p");
  rename("p/a", "p/c"); stat("p", &st); FACT("nlink after rename %ld\n", (long)st.st_nlink); listing("p", "p");
}

CASE(dir_fd_shared_cursor_after_fork) {
  for (int i = 0; i < 20; i++) { char n[8]; snprintf(n, sizeof n, "h%02d", i); touch(n); }
  int fd = open(".", O_RDONLY | O_DIRECTORY); char names[4096] = ""; int count = 0;
  batch(fd, 200, names, sizeof names, &count);
  pid_t c = fork();
  if (c == 0) { char n2[4096] = ""; int k = 0; while (batch(fd, 200, n2, sizeof n2, &k) > 0) {} _exit(k > 255 ? 255 : k); }
  int st; waitpid(c, &st, 0);
  SHOW("parent at end after child read the rest", batch(fd, 4096, names, sizeof names, &count));
  FACT("parent %d + child %d = 20 %d\n", count, WEXITSTATUS(st), count + WEXITSTATUS(st) == 20);
}
CASE(readdir_after_recreate) {
  touch("x"); DIR *d = opendir("."); while (readdir(d)) {}
  unlink("x"); mkdir("x", 0755); rewinddir(d); struct dirent *e; int type = -1;
  while ((e = readdir(d))) if (!strcmp(e->d_name, "x")) type = e->d_type;
  FACT("x is now a dir %d\n", type == DT_DIR);
}
// Ideas from gVisor's getdents tests.
CASE(getdents_kinds_and_dots) {
  mkdir("d", 0755); touch("d/f"); mkfifo("d/p", 0644); symlink("f", "d/l"); mkdir("d/s", 0755);
  DIR *dir = opendir("d"); struct dirent *e; struct stat st, dst, pst; stat("d", &dst); stat(".", &pst);
  int ok = 1, n = 0;
  while ((e = readdir(dir))) {
    n++;
    if (!strcmp(e->d_name, ".")) { FACT(". ino matches %d type %d\n", e->d_ino == dst.st_ino, e->d_type == DT_DIR); continue; }
    if (!strcmp(e->d_name, "..")) { FACT(".. ino matches %d type %d\n", e->d_ino == pst.st_ino, e->d_type == DT_DIR); continue; }
    char p[300]; snprintf(p, sizeof p, "d/%s", e->d_name); lstat(p, &st);
    ok &= e->d_ino == st.st_ino && DTTOIF(e->d_type) == (st.st_mode & S_IFMT);
  }
  closedir(dir); FACT("entries %d each type and ino as lstat %d\n", n, ok);
}
CASE(getdents_after_emptying) {
  for (int i = 0; i < 20; i++) { char n[8]; snprintf(n, 8, "f%d", i); touch(n); }
  DIR *d = opendir("."); int n = 0; while (readdir(d)) n++; FACT("full %d\n", n);
  for (int i = 0; i < 20; i++) { char f[8]; snprintf(f, 8, "f%d", i); unlink(f); }
  rewinddir(d); n = 0; while (readdir(d)) n++; FACT("emptied and rewound %d\n", n); closedir(d);
  int fd = open(".", O_RDONLY | O_DIRECTORY); char buf[4096]; long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
  SHOW("one call lists . and ..", r > 0); SHOW("then the end", syscall(SYS_getdents64, fd, buf, sizeof buf)); close(fd);
}

int main(int argc, char **argv) {
  probe_init(argc, argv); (void)ftype;
  RUN(listing_basic); RUN(listing_ino_matches_stat); RUN(empty_dir_has_dot_and_dotdot); RUN(stable_while_adding);
  RUN(stable_while_removing); RUN(stable_while_renaming_others); RUN(end_of_listing_and_new_entry);
  RUN(rewinddir_sees_changes); RUN(telldir_seekdir_resume); RUN(lseek_directory_offsets); RUN(getdents_small_buffers);
  RUN(getdents_errors); RUN(getdents_on_path_fd); RUN(old_getdents); RUN(listing_removed_dir); RUN(many_entries);
  RUN(dir_nlink_and_listing_agree);
  RUN(dir_fd_shared_cursor_after_fork); RUN(readdir_after_recreate);
  RUN(getdents_kinds_and_dots); RUN(getdents_after_emptying);
  return 0;
}
