// File descriptors moving in every way the host kernel moves them (dup,
// dup2, fcntl, fork, close-on-exec, unix sockets) while the sentry still
// knows what each is. Prints what it observes; run natively and under
// tvisor, the outputs must be the same.
// usage: fdmodel DIR EXE   (DIR: an empty writable directory; EXE: this program)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_entries(int fd) {
  char buf[4096];
  int n, total = 0;
  while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (int off = 0; off < n;) {
      unsigned short reclen = *(unsigned short *)(buf + off + 16);
      total++;
      off += reclen;
    }
  }
  return n < 0 ? -errno : total;
}

static void send_fd(int sock, int fd) {
  char c = 'x';
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  sendmsg(sock, &m, 0);
}

static int recv_fd(int sock) {
  char c;
  struct iovec iov = {&c, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(sock, &m, 0) <= 0) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  return fd;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[3], "child-after-exec")) {
    int fd = atoi(argv[1]);
    printf("after exec: cloexec fd %d %s, kept fd %s\n", fd, fcntl(fd, F_GETFD) < 0 ? "closed" : "open",
           fcntl(fd + 1, F_GETFD) < 0 ? "closed" : "open");
    return 0;
  }
  const char *dir = argv[1];
  if (chdir(dir) != 0) return 2;
  for (int i = 0; i < 5; i++) { char n[16]; snprintf(n, sizeof n, "f%d", i); close(open(n, O_CREAT | O_WRONLY, 0644)); }
  mkdir("sub", 0755);

  int d = open(".", O_RDONLY | O_DIRECTORY);
  printf("entries: %d\n", count_entries(d));
  int d2 = dup(d);
  lseek(d2, 0, SEEK_SET);
  printf("entries after dup+rewind: %d\n", count_entries(d));
  int f = open("f0", O_RDWR);
  dup2(d, f);  // f is now the directory
  lseek(f, 0, SEEK_SET);
  printf("dup2 over a file: %d entries\n", count_entries(f));
  int hi = fcntl(d, F_DUPFD_CLOEXEC, 100);
  struct stat st;
  printf("F_DUPFD_CLOEXEC >= 100: %s, fstat dir: %d\n", hi >= 100 ? "yes" : "no", fstat(hi, &st) == 0 && S_ISDIR(st.st_mode));
  close(d);
  printf("getdents on closed fd: %d\n", count_entries(d));
  int sub = openat(hi, "sub", O_RDONLY | O_DIRECTORY);
  printf("openat from a dup'd dir fd: %s\n", sub >= 0 ? "ok" : strerror(errno));
  printf("fchdir to it: %d\n", fchdir(sub));
  char cwd[256];
  printf("cwd ends with /sub: %d\n", getcwd(cwd, sizeof cwd) && strlen(cwd) >= 4 && !strcmp(cwd + strlen(cwd) - 4, "/sub"));
  chdir("..");

  // Enough opens to make the sentry sweep its copies of closed descriptions:
  // the ones still open must survive it.
  int kept = open("f4", O_RDONLY);
  // One moved natively to another fd before the sweep, its first fd reused: it must survive too.
  int first = open("f3", O_RDONLY);
  dup2(first, 200);
  close(first);
  for (int i = 0; i < 1500; i++) close(open("f0", O_RDONLY));
  lseek(hi, 0, SEEK_SET);
  printf("after 1500 opens: dir fd %d entries, kept file fstat %d\n", count_entries(hi), fstat(kept, &st));
  struct stat moved, named;
  printf("the moved one is still the file: %d\n",
         fstat(200, &moved) == 0 && stat("f3", &named) == 0 && moved.st_ino == named.st_ino && moved.st_dev == named.st_dev);
  close(200);

  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    lseek(hi, 0, SEEK_SET);
    printf("child sees parent's dir fd: %d entries\n", count_entries(hi));
    fflush(stdout);
    _exit(0);
  }
  waitpid(p, 0, 0);

  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  fflush(stdout);
  p = fork();
  if (p == 0) {
    int got = recv_fd(sv[1]);
    lseek(got, 0, SEEK_SET);
    printf("fd received over a socket: %d entries\n", count_entries(got));
    fflush(stdout);
    _exit(0);
  }
  send_fd(sv[0], hi);
  waitpid(p, 0, 0);

  // Descriptions in flight in a socket message while the sentry sweeps (no process holds them then): still
  // the same files once received.
  int fl = open("f4", O_RDWR), dl = open(".", O_RDONLY | O_DIRECTORY);
  send_fd(sv[0], fl);
  send_fd(sv[0], dl);
  close(fl);
  close(dl);
  for (int i = 0; i < 1500; i++) close(open("f0", O_RDONLY));
  int rf = recv_fd(sv[1]), rd = recv_fd(sv[1]);
  int chmodded = fchmod(rf, 0600);
  int mode = fstat(rf, &st) == 0 ? st.st_mode & 0777 : 0;
  printf("in flight through a sweep: fchmod %d mode %o, dir %d entries\n", chmodded, mode, count_entries(rd));
  close(rf);
  close(rd);

  int g = open("f1", O_RDONLY);
  unlink("f1");
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", g);
  int again = open(path, O_RDONLY);
  printf("reopen a deleted file through /proc/self/fd: %s\n", again >= 0 ? "ok" : strerror(errno));

  // close-on-exec: exec ourselves with a cloexec fd and a kept one right after it.
  int ce = open("f2", O_RDONLY | O_CLOEXEC);
  int keep = dup2(open("f3", O_RDONLY), ce + 1);
  (void)keep;
  char num[16];
  snprintf(num, sizeof num, "%d", ce);
  fflush(stdout);
  execl(argv[2], argv[2], num, "x", "child-after-exec", (char *)0);
  return 1;
}
