// Bad pointers, lengths and flags: each call prints its errno, then the
// program checks that the sentry still serves ordinary calls.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r) {
  if (r >= 0) printf("%s: ok\n", what);
  else printf("%s: %s\n", what, strerrorname_np(errno));
}

int main(int argc, char **argv) {
  char *unmapped = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show("open NULL", syscall(SYS_open, NULL, O_RDONLY));
  show("open unmapped", syscall(SYS_open, unmapped, O_RDONLY));
  show("stat to NULL", syscall(SYS_stat, "/", NULL));
  show("stat to unmapped", syscall(SYS_stat, "/", unmapped));
  char *long_path = malloc(8192);
  memset(long_path, 'a', 8191);
  long_path[8191] = 0;
  show("open long path", syscall(SYS_open, long_path, O_RDONLY));
  char name[300] = "/tmp/";
  memset(name + 5, 'b', 280);
  name[285] = 0;
  show("creat long name", syscall(SYS_open, name, O_CREAT | O_WRONLY, 0644));
  show("mkdir empty", syscall(SYS_mkdir, "", 0755));
  int d = open("/tmp", O_RDONLY | O_DIRECTORY);
  show("getdents unmapped", syscall(SYS_getdents64, d, unmapped, 4096));
  show("getdents tiny", syscall(SYS_getdents64, d, name, 8));
  show("getdents bad fd", syscall(SYS_getdents64, 999, name, 256));
  struct open_how how = {.flags = O_RDONLY, .resolve = 0x1000};
  show("openat2 bad resolve", syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));
  show("openat2 small size", syscall(SYS_openat2, AT_FDCWD, "/", &how, 8));
  show("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "/tmp/a", AT_FDCWD, "/tmp/b", 0x100));
  show("unlinkat bad flags", syscall(SYS_unlinkat, AT_FDCWD, "/tmp/a", 0x1));
  show("fchmodat2 bad flags", syscall(452, AT_FDCWD, "/tmp", 0755, 0x2));
  show("statx bad sync", syscall(SYS_statx, AT_FDCWD, "/", 0x6000, 0x7ff, name));
  show("readlink zero size", syscall(SYS_readlink, "/proc/self/exe", name, 0));
  show("execve unmapped argv", syscall(SYS_execve, "/bin/true", unmapped, NULL));
  show("getcwd small", syscall(SYS_getcwd, name, 1));
  // Still serving? (In argv[1] when given: a native run writes on the host.)
  char alive[PATH_MAX];
  snprintf(alive, sizeof alive, "%s/still-alive", argc > 1 ? argv[1] : "/tmp");
  int fd = open(alive, O_CREAT | O_RDWR, 0644);
  show("afterwards open", fd);
  show("afterwards write", write(fd, "ok", 2));
  struct stat st;
  show("afterwards fstat", fstat(fd, &st));
  printf("size %ld\n", (long)st.st_size);
  return 0;
}
