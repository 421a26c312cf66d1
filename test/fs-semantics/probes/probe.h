// The probe harness: each CASE runs in a fresh empty directory (the cwd) and
// prints what it observes, one fact a line; the runner compares the lines of
// each case between Linux and the filesystem under test. Print only what must
// be equal everywhere (return values, errnos, modes, sizes, link counts,
// relations), never inode numbers, devices or times themselves.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *probe_only;
static char probe_root[4096];
static int probe_n;

/** Prints a call's result: the value, or -1 and the errno's name. */
#define SHOW(label, expr) do { errno = 0; long _r = (long)(expr); \
  if (_r < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno)); else printf("%s = %ld\n", label, _r); } while (0)
/** Like SHOW but a non-negative result prints as "ok" (fds and other values that may differ). */
#define OK(label, expr) do { errno = 0; long _r = (long)(expr); \
  if (_r < 0) printf("%s = -1 %s\n", label, strerrorname_np(errno)); else printf("%s = ok\n", label); } while (0)
#define FACT(...) printf(__VA_ARGS__)

typedef void (*probe_fn)(void);
static void run_case(const char *name, probe_fn fn) {
  if (probe_only && strcmp(probe_only, name)) return;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/c%d", probe_root, probe_n++);
  if (mkdir(dir, 0755) != 0 || chdir(dir) != 0) { printf("=== %s\nsetup failed: %s\n", name, strerrorname_np(errno)); return; }
  umask(022);
  printf("=== %s\n", name);
  fn();
  fflush(stdout);
}
#define CASE(name) static void name(void)
#define RUN(name) run_case(#name, name)

static void probe_init(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: %s DIR [CASE]\n", argv[0]); exit(2); }
  snprintf(probe_root, sizeof probe_root, "%s", argv[1]);
  probe_only = argc > 2 ? argv[2] : NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void touch(const char *p) { close(open(p, O_CREAT | O_WRONLY, 0644)); }
static inline const char *ftype(mode_t m) {
  return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : S_ISFIFO(m) ? "fifo" : S_ISSOCK(m) ? "sock"
    : S_ISCHR(m) ? "chr" : S_ISBLK(m) ? "blk" : "?";
}

/** Runs the block in a child process, whose root, limits and descriptors go with it; the parent waits. */
__attribute__((unused)) static pid_t child_begin(void) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) return 0;
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("child status %#x\n", st);
  return -1;
}
__attribute__((unused)) static pid_t child_end(void) { fflush(stdout); _exit(0); }
#define IN_CHILD for (pid_t _c = child_begin(); _c == 0; _c = child_end())
