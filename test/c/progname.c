// Prints the name the kernel gives this program (prctl PR_GET_NAME) and /proc/self/comm's.
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int main(void) {
  char name[17] = {0}, comm[64] = {0};
  prctl(PR_GET_NAME, name);
  FILE *f = fopen("/proc/self/comm", "r");
  if (!f || !fgets(comm, sizeof comm, f)) return 1;
  comm[strcspn(comm, "\n")] = 0;
  printf("%s %s\n", name, comm);
  return 0;
}
