// Who a unix socket's peer is said to be (SO_PEERCRED), from each side.
//   peercred serve PATH: on the host, listens at PATH (mode 0777), prints
//     "ready", accepts one connection and prints its peer's uid and gid.
//   peercred connect UID GID PATH: in a sandbox, takes those real and
//     effective ids, connects to PATH and prints "connected".
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (argc == 3 && !strcmp(argv[1], "serve")) {
    snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[2]);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || chmod(argv[2], 0777) || listen(s, 1)) { perror("serve"); return 1; }
    printf("ready\n");
    fflush(stdout);
    int c = accept(s, NULL, NULL);
    struct ucred u;
    socklen_t l = sizeof u;
    if (c < 0 || getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &l)) { perror("accept"); return 1; }
    printf("peer uid %d gid %d\n", (int)u.uid, (int)u.gid);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "connect")) {
    gid_t gid = atoi(argv[3]);
    uid_t uid = atoi(argv[2]);
    if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) { perror("ids"); return 1; }
    snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[4]);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    printf("connected\n");
    return 0;
  }
  fprintf(stderr, "usage: peercred serve PATH | peercred connect UID GID PATH\n");
  return 2;
}
