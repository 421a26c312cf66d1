// Creates files DIR/0, DIR/1, … (each opened, written a byte and closed)
// until COUNT or the first failure; says how many and why it stopped.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: manyfiles DIR COUNT\n"), 2;
  long count = atol(argv[2]), made = 0;
  int dir = open(argv[1], O_DIRECTORY | O_RDONLY);
  if (dir < 0) return perror(argv[1]), 1;
  int err = 0;
  char name[32];
  for (; made < count; made++) {
    snprintf(name, sizeof name, "%ld", made);
    int fd = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) { err = errno; break; }
    if (write(fd, "x", 1) != 1) { err = errno; close(fd); break; }
    close(fd);
  }
  printf("created %ld: %s\n", made, err ? strerrorname_np(err) : "all");
  return 0;
}
