// Makes one system call by number with the given arguments (strtoull, any
// base) and prints "RESULT ERRNO": to see what a seccomp filter answers.
//   syscallprobe NR [ARG...]
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2 || argc > 8) {
    fprintf(stderr, "usage: syscallprobe NR [ARG...] (up to 6)\n");
    return 2;
  }
  unsigned long long a[6] = {0};
  for (int i = 2; i < argc; i++) a[i - 2] = strtoull(argv[i], NULL, 0);
  errno = 0;
  long r = syscall(strtol(argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
  printf("%ld %d\n", r, r < 0 ? errno : 0);
  return 0;
}
