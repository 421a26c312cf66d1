// A bounded fork bomb: forks children that wait on a pipe until fork fails,
// says how many it made and why fork failed, then lets them all exit.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int p[2];
  if (pipe(p) < 0) return perror("pipe"), 1;
  int made = 0, err = 0;
  for (;;) {
    pid_t pid = fork();
    if (pid < 0) { err = errno; break; }
    if (pid == 0) {
      char c;
      close(p[1]);
      while (read(p[0], &c, 1) < 0 && errno == EINTR) {}
      _exit(0);
    }
    if (++made >= 100000) break;
  }
  close(p[1]);
  while (wait(NULL) > 0) {}
  printf("forked=%s fork failed: %s\n", made > 0 ? "yes" : "no", err ? strerrorname_np(err) : "never");
  return 0;
}
