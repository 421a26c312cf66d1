// Directory listings beyond the basics: d_type of every kind, the inodes of
// "." and "..", a directory renamed while open, create/delete cycles, lseek
// whences on a directory, link counts of many subdirectories, names of odd
// bytes, and unix socket nodes that are renamed, linked or replaced.
#include "probe.h"
#include <sys/socket.h>
#include <sys/un.h>

static const char *dt(unsigned char t) {
  return t == DT_REG ? "reg" : t == DT_DIR ? "dir" : t == DT_LNK ? "lnk" : t == DT_FIFO ? "fifo" : t == DT_SOCK ? "sock"
    : t == DT_CHR ? "chr" : t == DT_BLK ? "blk" : t == DT_UNKNOWN ? "unknown" : "?";
}
static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
/** The names of a directory and their d_types, sorted, one line. */
static void show_listing(const char *label, const char *dir) {
  DIR *d = opendir(dir); if (!d) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  char *names[256]; int n = 0; struct dirent *e;
  while ((e = readdir(d)) && n < 256) { char *s = malloc(300); snprintf(s, 300, "%s:%s", e->d_name, dt(e->d_type)); names[n++] = s; }
  closedir(d); qsort(names, n, sizeof *names, by_name);
  printf("%s:", label); for (int i = 0; i < n; i++) printf(" %s", names[i]); printf("\n");
}

CASE(getdents_dtype_each_kind) {
  close(open("f", O_CREAT | O_WRONLY, 0644)); mkdir("d", 0755); symlink("f", "l"); mkfifo("p", 0644); mknod("s", S_IFSOCK | 0644, 0);
  show_listing("listing", ".");
}
CASE(getdents_dot_inodes) {
  mkdir("d", 0755); DIR *dir = opendir("d"); struct dirent *e; struct stat self, parent; stat("d", &self); stat(".", &parent);
  while ((e = readdir(dir))) {
    if (!strcmp(e->d_name, ".")) FACT(". is the dir: %d\n", e->d_ino == self.st_ino);
    if (!strcmp(e->d_name, "..")) FACT(".. is the parent: %d\n", e->d_ino == parent.st_ino);
  }
}
CASE(listing_of_renamed_open_dir) {
  mkdir("d", 0755); close(open("d/a", O_CREAT | O_WRONLY, 0644)); int fd = open("d", O_RDONLY | O_DIRECTORY);
  mkdir("e", 0755); rename("d", "e/moved"); close(open("e/moved/b", O_CREAT | O_WRONLY, 0644));
  char b[4096]; long n = syscall(SYS_getdents64, fd, b, sizeof b); int count = 0;
  for (long i = 0; i < n;) { unsigned short reclen = *(unsigned short *)(b + i + 16); count++; i += reclen; }
  FACT("entries through the old fd %d\n", count); show_listing("by its new name", "e/moved");
}
CASE(listing_after_create_delete_cycles) {
  char n[32];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 40; i++) { snprintf(n, sizeof n, "r%d-%d", round, i); close(open(n, O_CREAT | O_WRONLY, 0644)); }
    for (int i = 0; i < 40; i++) { snprintf(n, sizeof n, "r%d-%d", round, i); if (i % 10) unlink(n); }
  }
  show_listing("kept", ".");
}
CASE(lseek_bad_offsets_on_directory) {
  close(open("a", O_CREAT | O_WRONLY, 0644)); int fd = open(".", O_RDONLY | O_DIRECTORY);
  // SEEK_END and SEEK_HOLE on a directory are each filesystem's own (tmpfs: EINVAL, ext4: its hash's end): not compared.
  SHOW("SEEK_CUR -1", lseek(fd, -1, SEEK_CUR));
  SHOW("SEEK_CUR 0", lseek(fd, 0, SEEK_CUR)); SHOW("bad whence", lseek(fd, 0, 9));
}
CASE(nlink_of_many_subdirs) {
  char n[16]; for (int i = 0; i < 100; i++) { snprintf(n, sizeof n, "s%d", i); mkdir(n, 0755); }
  struct stat st; stat(".", &st); FACT("100 subdirs: nlink %ld\n", (long)st.st_nlink);
  for (int i = 0; i < 50; i++) { snprintf(n, sizeof n, "s%d", i); rmdir(n); }
  stat(".", &st); FACT("after removing 50: nlink %ld\n", (long)st.st_nlink);
}
CASE(odd_ascii_names) {
  const char *names[] = {".a", "..a", "...", " ", "-", "a b", "new\nline", "*", "\\", "?", "tab\there", "~", "#!"};
  int made = 0, statted = 0, listed = 0; struct stat st;
  for (int i = 0; i < 13; i++) { made += close(open(names[i], O_CREAT | O_WRONLY, 0644)) == 0; statted += stat(names[i], &st) == 0; }
  DIR *d = opendir("."); struct dirent *e;
  while ((e = readdir(d))) for (int i = 0; i < 13; i++) listed += !strcmp(e->d_name, names[i]);
  FACT("made %d statted %d listed %d\n", made, statted, listed);
  int renamed = 0; char to[32]; for (int i = 0; i < 13; i++) { snprintf(to, sizeof to, "r%d", i); renamed += rename(names[i], to) == 0; }
  FACT("renamed %d\n", renamed);
}
static int bound_socket(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {.sun_family = AF_UNIX}; strcpy(a.sun_path, path);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 4) != 0) return -1;
  return s;
}
static int connect_to(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {.sun_family = AF_UNIX}; strcpy(a.sun_path, path);
  int r = connect(s, (struct sockaddr *)&a, sizeof a); int e = errno; close(s); errno = e; return r;
}
CASE(unix_socket_node_renamed_and_linked) {
  OK("bind s", bound_socket("s"));
  SHOW("rename s to t", rename("s", "t")); SHOW("connect t", connect_to("t")); SHOW("connect s", connect_to("s"));
  SHOW("link t to u", link("t", "u")); SHOW("connect u", connect_to("u")); SHOW("unlink t", unlink("t")); SHOW("connect u still", connect_to("u"));
  mkdir("d", 0755); SHOW("rename u into d", rename("u", "d/v")); SHOW("connect d/v", connect_to("d/v"));
}
CASE(unix_socket_node_replaced) {
  OK("bind s", bound_socket("s")); close(open("f", O_CREAT | O_WRONLY, 0644));
  SHOW("rename a file over it", rename("f", "s")); SHOW("connect s", connect_to("s")); SHOW("bind at s again", bound_socket("s"));
  unlink("s"); OK("bind after unlink", bound_socket("s")); SHOW("connect", connect_to("s"));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(getdents_dtype_each_kind); RUN(getdents_dot_inodes); RUN(listing_of_renamed_open_dir); RUN(listing_after_create_delete_cycles);
  RUN(lseek_bad_offsets_on_directory); RUN(nlink_of_many_subdirs); RUN(odd_ascii_names); RUN(unix_socket_node_renamed_and_linked);
  RUN(unix_socket_node_replaced);
  return 0;
}
