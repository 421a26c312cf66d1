// inotifywatch READY COUNT PATH...: watches each PATH (wd 1, 2… in order) for
// every event but open, access and close, creates READY (outside the watched
// paths) once the watches are in place, then prints COUNT events, one a line
// ("wd mask name", a move's cookie as "paired" with the previous one), and
// exits; "timeout" and status 1 when 20 s pass without one.
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int in = inotify_init1(IN_CLOEXEC);
  for (int i = 3; i < argc; i++) {
    if (inotify_add_watch(in, argv[i], IN_ALL_EVENTS & ~(IN_OPEN | IN_ACCESS | IN_CLOSE)) < 0) { perror(argv[i]); return 2; }
  }
  close(open(argv[1], O_CREAT | O_WRONLY, 0644));
  int left = atoi(argv[2]);
  unsigned last = 0;
  char buf[sizeof(struct inotify_event) + 256] __attribute__((aligned(8)));
  while (left > 0) {
    struct pollfd p = {in, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) { printf("timeout\n"); return 1; }
    long n = read(in, buf, sizeof buf);
    for (long i = 0; i < n && left > 0; left--) {
      struct inotify_event *e = (struct inotify_event *)(buf + i);
      printf("%d %#x %s%s\n", e->wd, e->mask, e->len ? e->name : "-", !e->cookie ? "" : e->cookie == last ? " paired" : " cookie");
      fflush(stdout);
      if (e->cookie) last = e->cookie;
      i += sizeof *e + e->len;
    }
  }
  return 0;
}
