// Per-operation cost of system calls, in nanoseconds: the same static binary
// runs natively, under runsc and under tvisor.
// usage: micro DIR [DIVISOR]  (a writable directory: /tmp inside a sandbox; DIVISOR
// divides every iteration count, for a quick run)
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int divisor = 1;

#define BENCH(name, iters, body)                                     \
  do {                                                               \
    int n_ = (iters) / divisor;                                      \
    double t0 = now();                                               \
    for (int i = 0; i < n_; i++) { body; }                           \
    printf("%s %.0f\n", name, (now() - t0) / n_);                    \
    fflush(stdout);                                                  \
  } while (0)

static int readdir_all(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  if (argc > 2 && atoi(argv[2]) > 0) divisor = atoi(argv[2]);
  char file[512], other[512], renamed[512], many[512];
  snprintf(file, sizeof file, "%s/micro-file", dir);
  snprintf(other, sizeof other, "%s/micro-other", dir);
  snprintf(renamed, sizeof renamed, "%s/micro-renamed", dir);
  snprintf(many, sizeof many, "%s/micro-dir", dir);
  int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0644);
  static char buf[4096];
  memset(buf, 'x', sizeof buf);
  for (int i = 0; i < 16; i++) write(fd, buf, sizeof buf);
  mkdir(many, 0755);
  for (int i = 0; i < 100; i++) {
    char p[600];
    snprintf(p, sizeof p, "%s/e%03d", many, i);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  struct stat st;
  BENCH("getppid", 200000, syscall(SYS_getppid));
  BENCH("pread_4k", 100000, pread(fd, buf, sizeof buf, (i % 16) * 4096));
  BENCH("stat", 20000, stat(file, &st));
  BENCH("open_close", 10000, close(open(file, O_RDONLY)));
  BENCH("create_write_close_unlink", 5000, { int f = open(other, O_CREAT | O_WRONLY, 0644); write(f, buf, 16); close(f); unlink(other); });
  BENCH("mkdir_rmdir", 5000, { mkdir(other, 0755); rmdir(other); });
  close(open(other, O_CREAT | O_WRONLY, 0644));
  BENCH("rename", 5000, { rename(other, renamed); rename(renamed, other); });
  unlink(other);
  BENCH("readdir_100", 2000, readdir_all(many));
  BENCH("fork_wait", 500, { pid_t p = fork(); if (p == 0) _exit(0); waitpid(p, 0, 0); });
  BENCH("fork_exec_true", 200, { pid_t p = fork(); if (p == 0) { execl("/bin/true", "true", (char *)0); _exit(127); } waitpid(p, 0, 0); });
  close(fd);
  unlink(file);
  for (int i = 0; i < 100; i++) {
    char p[600];
    snprintf(p, sizeof p, "%s/e%03d", many, i);
    unlink(p);
  }
  rmdir(many);
  return 0;
}
