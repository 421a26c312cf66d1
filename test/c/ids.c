// Prints the real and effective uid: a set-user-ID copy shows whether exec
// gave it its owner's id (the container's noNewPrivileges must prevent it).
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
  return 0;
}
