// /proc/self/fd links of objects that are not files of the filesystem under
// test: how they read, and what reopening them gives.
#include "probe.h"
#include <sys/mman.h>
#include <sys/socket.h>

/** Reads /proc/self/fd/N; prints it with digits replaced by 'N' (inode numbers differ). */
static void show_link(const char *label, int fd) {
  char path[64], target[256];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) { printf("%s = -1 %s\n", label, strerrorname_np(errno)); return; }
  target[n] = 0;
  for (char *c = target; *c; c++) if (*c >= '0' && *c <= '9') *c = 'N';
  printf("%s = %s\n", label, target);
}

CASE(memfd_link) {
  int fd = memfd_create("probe-mem", 0);
  show_link("memfd", fd);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  SHOW("write", write(fd, "abc", 3));
  int again = open(path, O_RDONLY);
  char b[8] = {0};
  printf("reopen = %s\n", again < 0 ? strerrorname_np(errno) : "ok");
  SHOW("read reopened", read(again, b, sizeof b)); FACT("data %s\n", b);
  close(again); close(fd);
}
CASE(memfd_names) {
  int a = memfd_create("a b\xff\x80", MFD_CLOEXEC), e = memfd_create("", 0), d = dup(e);
  char path[64], t[300];
  snprintf(path, sizeof path, "/proc/self/fd/%d", a); long n = readlink(path, t, sizeof t);
  printf("bytes name ="); for (long i = 0; i < n; i++) printf(" %02x", (unsigned char)t[i]); printf("\n");
  show_link("empty name", e); show_link("dup", d);
  snprintf(path, sizeof path, "/proc/%d/fd/%d", getpid(), a); n = readlink(path, t, sizeof t); SHOW("through /proc/<pid>", n);
  char longname[260]; memset(longname, 'x', 250); longname[250] = 0; SHOW("250-byte name", memfd_create(longname, 0));
  longname[249] = 0; OK("249-byte name", memfd_create(longname, 0));
  SHOW("bad flags", memfd_create("x", 0x100)); close(a); close(e); close(d);
}
CASE(pipe_and_socket_links) {
  int p[2], s[2];
  pipe(p); socketpair(AF_UNIX, SOCK_STREAM, 0, s);
  show_link("pipe", p[0]); show_link("socket", s[0]);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", s[0]);
  SHOW("reopen socket", open(path, O_RDWR));
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
  int w = open(path, O_WRONLY | O_NONBLOCK);
  printf("reopen pipe write end = %s\n", w < 0 ? strerrorname_np(errno) : "ok");
  if (w >= 0) {
    SHOW("write through it", write(w, "x", 1));
    char c = 0; SHOW("read from the pipe", read(p[0], &c, 1)); FACT("got %c\n", c);
    close(w);
  } close(p[0]); close(p[1]); close(s[0]); close(s[1]);
}

/** Reads /proc/self/fd/N; prints it with the case's directory shown as CWD. */
static void show_path_link(const char *label, int fd) {
  char path[64], target[4200], cwd[4096];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) { printf("%s = -1 %s\n", label, strerrorname_np(errno)); return; }
  target[n] = 0;
  if (!getcwd(cwd, sizeof cwd)) { printf("%s = getcwd failed\n", label); return; }
  size_t c = strlen(cwd);
  if (!strncmp(target, cwd, c)) printf("%s = CWD%s\n", label, target + c);
  else printf("%s = %s\n", label, target);
}
CASE(fd_link_follows_rename) {
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  show_path_link("opened", fd);
  rename("f", "g"); show_path_link("renamed", fd);
  mkdir("d", 0755); rename("g", "d/h"); show_path_link("moved", fd);
  rename("d", "e"); show_path_link("parent renamed", fd);
  int dfd = open("e", O_RDONLY | O_DIRECTORY);
  rename("e", "e2"); show_path_link("dir renamed", dfd); show_path_link("file in renamed dir", fd);
  int pfd = open("e2/h", O_PATH);
  rename("e2/h", "e2/i"); show_path_link("O_PATH renamed", pfd);
  touch("other"); rename("other", "e2/i"); show_path_link("replaced", fd);
  int ofd = open("e2/i", O_RDONLY);
  unlink("e2/i"); show_path_link("unlinked", ofd);
  rmdir("e2"); show_path_link("dir removed", dfd);
  close(fd); close(dfd); close(pfd); close(ofd);
}
CASE(fd_link_o_path_replaced) {
  touch("f");
  int pfd = open("f", O_PATH);
  touch("other"); rename("other", "f"); show_path_link("replaced O_PATH", pfd);
  close(pfd);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(memfd_link); RUN(memfd_names); RUN(pipe_and_socket_links); RUN(fd_link_follows_rename); RUN(fd_link_o_path_replaced);
  return 0;
}
