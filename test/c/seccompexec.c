// Installs a seccomp program read from a file (struct sock_filter[], as
// src/oci/seccomp.ts compiles an OCI profile), with no_new_privs, then execs a
// command: what a container's process does right before its execve.
//   seccompexec FILTER FLAGS CMD [ARG...]    (FLAGS: SECCOMP_FILTER_FLAG_* bits)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what) {
  fprintf(stderr, "seccompexec: %s: %s\n", what, strerror(errno));
  return 125;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: seccompexec FILTER FLAGS CMD [ARG...]\n");
    return 125;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) return fail(argv[1]);
  if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0) {
    fprintf(stderr, "seccompexec: %s: %lld bytes is not a program\n", argv[1], (long long)st.st_size);
    return 125;
  }
  struct sock_filter *insns = malloc(st.st_size);
  if (!insns || read(fd, insns, st.st_size) != st.st_size) return fail("read");
  close(fd);
  struct sock_fprog prog = { .len = (unsigned short)(st.st_size / sizeof(struct sock_filter)), .filter = insns };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail("PR_SET_NO_NEW_PRIVS");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, strtoul(argv[2], NULL, 0), &prog) < 0) return fail("seccomp");
  execvp(argv[3], argv + 3);
  return fail(argv[3]);
}
