// getcwd(2) as the system call answers it (not glibc's wrapper): buffer
// sizes, a removed cwd, and a cwd deeper than a page (PATH_MAX).
#include "probe.h"

static long sys_getcwd(char *buf, size_t size) { return syscall(SYS_getcwd, buf, size); }

CASE(getcwd_buffer_sizes) {
  char cwd[4096], b[4096];
  getcwd(cwd, sizeof cwd);
  long n = (long)strlen(cwd) + 1;
  FACT("exact size %d\n", sys_getcwd(b, n) == n);
  SHOW("one short", sys_getcwd(b, n - 1));
  SHOW("size 0", sys_getcwd(b, 0));
  SHOW("size 1", sys_getcwd(b, 1));
  SHOW("NULL buffer", sys_getcwd(NULL, 4096));
}
CASE(getcwd_removed) {
  mkdir("d", 0755); chdir("d"); rmdir("../d");
  char b[4096];
  SHOW("removed cwd", sys_getcwd(b, sizeof b));
  chdir("..");
}
/** The directories a case went down through, to come back up removing them (no path this long can be removed by name). */
static char made[64][256];
static int nmade;
static int down(const char *name) {
  if (nmade == 64 || mkdir(name, 0755) || chdir(name)) return -1;
  snprintf(made[nmade++], 256, "%s", name);
  return 0;
}
static void up_removing(void) {
  while (nmade > 0) { chdir(".."); rmdir(made[--nmade]); }
}

CASE(getcwd_longer_than_page) {
  char name[200], b[16384], cwd[4096];
  getcwd(cwd, sizeof cwd);
  memset(name, 'd', 199); name[199] = 0;
  int depth = 0;
  // Deeper than PATH_MAX in all, each step relative.
  for (; depth < 30; depth++) if (down(name)) break;
  FACT("depth %d\n", depth);
  SHOW("getcwd 16k", sys_getcwd(b, sizeof b));
  SHOW("getcwd 4096", sys_getcwd(b, 4096));
  SHOW("getcwd 100", sys_getcwd(b, 100));
  SHOW("open relative", open(".", O_RDONLY | O_DIRECTORY) >= 0);
  up_removing();
  long n = sys_getcwd(b, sizeof b);
  FACT("back up %d\n", n > 0 && !strcmp(b, cwd));
}

/** Goes down from the cwd until its path is `want` bytes long; 0 on success. */
static int descend_to(size_t want) {
  char cwd[8192], name[256];
  for (;;) {
    long n = syscall(SYS_getcwd, cwd, sizeof cwd);
    if (n < 0) return -1;
    size_t len = (size_t)n - 1, left = want - len;
    if (left == 0) return 0;
    // Each step adds "/" and a name: a full 200-byte name while far, the exact rest at the end.
    size_t take = left - 1 > 200 ? (left - 1 > 400 ? 200 : (left - 1) / 2) : left - 1;
    if (take == 0) return -1;
    memset(name, 'e', take); name[take] = 0;
    if (down(name)) return -1;
  }
}
CASE(getcwd_path_max_boundary) {
  char b[8192];
  SHOW("descend to 4093", descend_to(4093));
  SHOW("getcwd at 4093", sys_getcwd(b, sizeof b));
  down("x");
  SHOW("getcwd at 4095", sys_getcwd(b, sizeof b));
  up_removing(); descend_to(4093); down("yy");
  SHOW("getcwd at 4096", sys_getcwd(b, sizeof b));
  chdir(".."); rmdir("yy"); nmade--;
  SHOW("getcwd back at 4093", sys_getcwd(b, sizeof b));
  up_removing();
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(getcwd_buffer_sizes); RUN(getcwd_removed); RUN(getcwd_longer_than_page); RUN(getcwd_path_max_boundary);
  return 0;
}
