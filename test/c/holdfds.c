// Opens PATH again and again (new open file descriptions), holding them,
// until open fails; says why, then waits for stdin to close and exits.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: holdfds PATH\n"), 2;
  int err = 0;
  for (long n = 0; n < 10000000; n++) {
    if (open(argv[1], O_RDONLY) < 0) { err = errno; break; }
  }
  printf("open failed: %s\n", err ? strerrorname_np(err) : "never");
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {}
  return 0;
}
