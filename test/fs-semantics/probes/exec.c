// exec: the name a program gets (prctl PR_GET_NAME and /proc/self/comm), which
// Linux takes from the last component of the path it was run by (truncated to
// 15 bytes), or from the file's name for an exec of an fd.
#include "probe.h"
#include <grp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

/** In the exec'd copy: print the two names and leave. */
static int print_names(void) {
  char n[17] = {0}, c[32] = {0};
  prctl(PR_GET_NAME, n);
  int fd = open("/proc/self/comm", O_RDONLY); long r = read(fd, c, sizeof c - 1); close(fd);
  if (r > 0 && c[r - 1] == '\n') c[r - 1] = 0;
  printf("prctl %s comm %s\n", n, c);
  return 0;
}

/** Runs `how` in a child that execs this program, which prints its names. */
static void run_child(const char *label, void (*how)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) { setenv("PROBE_PRINT_NAMES", "1", 1); prctl(PR_SET_NAME, "before-exec"); how(); printf("%s: %s\n", label, strerrorname_np(errno)); _exit(1); }
  int st; waitpid(p, &st, 0);
}

static char self[4096];
static void by_long_name(void) { execl("./a-rather-long-program-name", "x", (char *)NULL); }
static void by_short_name(void) { execl("./p", "x", (char *)NULL); }
static void by_symlink(void) { execl("./link-name", "x", (char *)NULL); }
static void by_fd(void) { int fd = open("./p", O_RDONLY); char *argv[] = {"x", NULL}; fexecve(fd, argv, environ); }
static void by_bytes_name(void) { execl("./n\xff", "x", (char *)NULL); }
static void by_bare_name(void) { execl("p", "x", (char *)NULL); }

/** A name for this program: a symlink (a hard link works only where the binary's filesystem is the case's). */
static void copy_self(const char *to) { symlink(self, to); }

CASE(exec_name_from_path) {
  copy_self("a-rather-long-program-name"); copy_self("p");
  run_child("long name", by_long_name); run_child("short name", by_short_name);
}
CASE(exec_name_of_symlink) { copy_self("p"); symlink("p", "link-name"); run_child("symlink", by_symlink); }
CASE(exec_name_of_fd) { copy_self("p"); run_child("fexecve", by_fd); }
CASE(exec_name_bytes) {
  copy_self("n\xff"); fflush(stdout);
  pid_t p = fork();
  if (p == 0) { setenv("PROBE_PRINT_HEX", "1", 1); by_bytes_name(); _exit(1); }
  int st; waitpid(p, &st, 0);
}

/** Execs this program with one argument (or environment string) of `len` bytes; the copy prints what it got. */
static void exec_with_long(const char *label, size_t len, int in_env) {
  char *s = malloc(len + 1);
  memset(s, 'a', len); s[len] = 0;
  if (in_env) memcpy(s, "PROBE_LONG=", 11);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    char *args[] = {self, in_env ? "env" : s, NULL};
    char *env[] = {"PROBE_PRINT_LENGTH=1", in_env ? s : NULL, NULL};
    execve(self, args, env);
    printf("%s: %s\n", label, strerrorname_np(errno));
    _exit(0);
  }
  int st; waitpid(p, &st, 0);
  free(s);
}
/** Strings longer than a page reach the program; past MAX_ARG_STRLEN (32 pages, its NUL included) execve gives E2BIG. */
CASE(exec_long_arguments) {
  exec_with_long("5000", 5000, 0); exec_with_long("131072", 131072, 0);
  exec_with_long("env 70000", 70000, 1); exec_with_long("env 131072", 131072, 1);
}
/** Arguments of more than the stack the caller has mapped below its stack pointer (≈ 128 KiB), where exec stages them. */
CASE(exec_arguments_past_the_stack) { exec_with_long("131071", 131071, 0); }

/** A bare name is a path relative to the cwd for execve; a dynamic program's loader looks such a name up in its library directories. */
CASE(exec_bare_name) { copy_self("p"); run_child("bare name", by_bare_name); }

/** A copy of this program, `mode`: a file of its own where the case's filesystem is. */
static void copy_file(const char *to, mode_t mode) {
  int in = open(self, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0700);
  char buf[65536]; ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in); close(out); chmod(to, mode);
}
/** Runs `prog` (or fexecve's `fd`) with PROBE_PRINT_DUMPABLE: the copy says it ran, and whether it is dumpable. */
static void run_dumpable(const char *label, const char *prog, int fd) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    char *args[] = {"x", NULL}, *env[] = {"PROBE_PRINT_DUMPABLE=1", NULL};
    if (fd >= 0) fexecve(fd, args, env); else execve(prog, args, env);
    printf("%s: %s\n", label, strerrorname_np(errno));
    _exit(1);
  }
  int st; waitpid(p, &st, 0);
}
/** The kernel maps a program without reading it as the caller: an execute-only one runs, not dumpable (would_dump). */
CASE(exec_execute_only) {
  copy_file("xo", 0711); copy_file("rx", 0755);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) _exit(1);
    run_dumpable("execute-only", "./xo", -1); run_dumpable("readable", "./rx", -1);
    _exit(0);
  }
  int st; waitpid(p, &st, 0);
}
/** fexecve runs the file its fd holds, though its name is gone. */
CASE(exec_unlinked_by_fd) {
  copy_file("u", 0755);
  int fd = open("u", O_RDONLY);
  unlink("u");
  run_dumpable("unlinked", NULL, fd);
  close(fd);
}
/** fexecve of a memfd (made natively, with or without MFD_CLOEXEC): it runs, named after the memfd, not dumpable only if unreadable. */
CASE(exec_memfd) {
  for (int cloexec = 0; cloexec < 2; cloexec++) {
    int fd = memfd_create("probe-prog", cloexec ? MFD_CLOEXEC : 0), in = open(self, O_RDONLY);
    char buf[65536]; ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) write(fd, buf, n);
    close(in);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
      char *args[] = {"x", NULL}, *env[] = {"PROBE_PRINT_EXE=1", NULL};
      fexecve(fd, args, env);
      printf("memfd: %s\n", strerrorname_np(errno));
      _exit(1);
    }
    int st; waitpid(p, &st, 0);
    close(fd);
  }
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) { char *args[] = {"x", NULL}; fexecve(987, args, environ); printf("no fd: %s\n", strerrorname_np(errno)); _exit(1); }
  int st; waitpid(p, &st, 0);
}

int main(int argc, char **argv) {
  if (getenv("PROBE_PRINT_NAMES")) return print_names();
  if (getenv("PROBE_PRINT_LENGTH")) {
    const char *env = getenv("PROBE_LONG");
    printf("argv[1] %zu env %zu\n", strlen(argv[1]), env ? strlen(env) : 0);
    return 0;
  }
  if (getenv("PROBE_PRINT_EXE")) {
    char exe[256] = {0}, n[17] = {0};
    readlink("/proc/self/exe", exe, sizeof exe - 1); prctl(PR_GET_NAME, n);
    printf("exe %s comm %s dumpable %d\n", exe, n, prctl(PR_GET_DUMPABLE));
    return 0;
  }
  if (getenv("PROBE_PRINT_DUMPABLE")) { printf("ran, dumpable %d\n", prctl(PR_GET_DUMPABLE)); return 0; }
  if (getenv("PROBE_PRINT_HEX")) {
    char n[17] = {0}; prctl(PR_GET_NAME, n);
    printf("prctl"); for (char *c = n; *c; c++) printf(" %02x", (unsigned char)*c); printf("\n");
    return 0;
  }
  long n = readlink("/proc/self/exe", self, sizeof self - 1); self[n > 0 ? n : 0] = 0;
  probe_init(argc, argv);
  RUN(exec_name_from_path); RUN(exec_name_of_symlink); RUN(exec_name_of_fd); RUN(exec_name_bytes); RUN(exec_long_arguments); RUN(exec_arguments_past_the_stack);
  RUN(exec_bare_name); RUN(exec_execute_only); RUN(exec_unlinked_by_fd); RUN(exec_memfd);
  return 0;
}
