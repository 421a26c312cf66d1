// inotify instances come and go: 1000 made, watched and closed one after
// another, then as many at once as may be (Linux's default limit: 128).
#include <stdio.h>
#include <unistd.h>
#include <sys/inotify.h>
int main(void) {
  int fails = 0, fds[200];
  for (int i = 0; i < 1000; i++) {
    int in = inotify_init1(0);
    if (in < 0) { fails++; continue; }
    if (inotify_add_watch(in, "/dev/shm", IN_CREATE) != 1) fails++;
    close(in);
    usleep(1000);
  }
  int n = 0; for (; n < 200; n++) if ((fds[n] = inotify_init1(0)) < 0) break;
  printf("fails %d, open at once %d\n", fails, n);
  return 0;
}
