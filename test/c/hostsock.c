// A host process listening on unix sockets a sandbox must not reach: for each
// DIR argument, a datagram socket DIR/dg and a listening stream socket DIR/st.
// Prints "ready", then, when its stdin closes, what reached it.
// usage: hostsock DIR...
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listening(int type, const char *dir, const char *name) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/%s", dir, name);
  int s = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || (type == SOCK_STREAM && listen(s, 64) != 0)) {
    perror(a.sun_path);
    return -1;
  }
  return s;
}

int main(int argc, char **argv) {
  struct pollfd p[1 + 2 * 8];
  int n = 1, datagrams = 0, connections = 0;
  p[0] = (struct pollfd){.fd = 0, .events = POLLIN};
  for (int i = 1; i < argc && n < 1 + 2 * 8; i++) {
    if ((p[n++].fd = listening(SOCK_DGRAM, argv[i], "dg")) < 0) return 1;
    if ((p[n++].fd = listening(SOCK_STREAM, argv[i], "st")) < 0) return 1;
  }
  for (int i = 1; i < n; i++) p[i].events = POLLIN;
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    if (poll(p, n, -1) < 0) continue;
    for (int i = 1; i < n; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      char b[64];
      if (i % 2 == 1) { while (recv(p[i].fd, b, sizeof b, 0) >= 0) datagrams++; }
      else { int c; while ((c = accept(p[i].fd, NULL, NULL)) >= 0) { connections++; close(c); } }
    }
    if (p[0].revents) {
      char b[64];
      if (read(0, b, sizeof b) <= 0) break;
    }
  }
  printf("datagrams %d connections %d\n", datagrams, connections);
  return 0;
}
