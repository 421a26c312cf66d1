// Touches memory 1 MiB at a time, up to 4 GiB, saying how far it got.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (int mib = 1; mib <= 4096; mib++) {
    char *p = malloc(1 << 20);
    if (!p) return printf("malloc failed at %d MiB\n", mib), 1;
    memset(p, 1, 1 << 20);
  }
  puts("4 GiB touched");
  return 0;
}
