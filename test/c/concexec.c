// Four processes at a time fork, open and exec while their siblings trap:
// every descriptor the sentry hands out must land in the right process.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
int main(){
  int fails = 0;
  for (int round = 0; round < 10; round++) {
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
      kids[i] = fork();
      if (kids[i] == 0) { int fd = open("/dev/null", O_WRONLY); dup2(fd, 1); close(fd); execl("/usr/bin/cat", "cat", "/etc/hostname", (char*)0); _exit(99); }
    }
    for (int i = 0; i < 4; i++) { int st; waitpid(kids[i], &st, 0); if (!WIFEXITED(st) || WEXITSTATUS(st)) { fails++; fprintf(stderr, "round %d kid %d status %x\n", round, i, st);} }
  }
  printf("fails=%d\n", fails); return 0; }
