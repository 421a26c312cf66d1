// Foreign fds: host objects the guest holds that the sentry did not open.
// Every way of reaching the object again must give at most the access of the
// description the guest holds. Each check prints "what: result" (an errno
// name, or what was read).
//   foreign recv               fd 0 is a unix socket; a host process sends a
//                              read-only file fd and a directory fd
//   foreign after-exec FILE DIR  the same checks on fds kept across exec
//   foreign tty-race SECONDS   stdin is the controlling terminal, stderr a
//                              read-only host file: /dev/tty while a thread
//                              swaps an fd between the two
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(int e) {
  switch (e) {
    case 0: return "ok";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENXIO: return "ENXIO";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
  }
}

/** open(path, flags): "ok" and the fd closed, or the errno. */
static const char *try_open(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) return err(errno);
  close(fd);
  return "ok";
}

static void report(const char *what, const char *result) { printf("%s: %s\n", what, result); }

static void check_file(int fd) {
  char path[64], buf[64];
  report("write", write(fd, "PWNED", 5) < 0 ? err(errno) : "ok");
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  report("reopen rdwr", try_open(path, O_RDWR));
  report("reopen wronly", try_open(path, O_WRONLY));
  report("reopen trunc", try_open(path, O_RDONLY | O_TRUNC));
  int r = open(path, O_RDONLY);
  if (r < 0) {
    report("reopen rdonly", err(errno));
  } else {
    ssize_t n = read(r, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    buf[strcspn(buf, "\n")] = 0;
    report("reopen rdonly", buf);
    close(r);
  }
  snprintf(path, sizeof path, "/dev/fd/%d", fd);
  report("dev-fd rdwr", try_open(path, O_RDWR));
  // O_PATH: the new description gives no access, so nothing reopens through it.
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int p = open(path, O_PATH);
  if (p < 0) {
    report("o_path", err(errno));
  } else {
    snprintf(path, sizeof path, "/proc/self/fd/%d", p);
    report("via o_path rdwr", try_open(path, O_RDWR));
    report("via o_path rdonly", try_open(path, O_RDONLY));
    close(p);
  }
  // Another process of the sandbox, through /proc/<pid>/fd.
  pid_t parent = getpid();
  pid_t child = fork();
  if (child == 0) {
    snprintf(path, sizeof path, "/proc/%d/fd/%d", parent, fd);
    report("other pid rdwr", try_open(path, O_RDWR));
    fflush(stdout);
    _exit(0);
  }
  waitpid(child, NULL, 0);
}

static void check_dir(int fd) {
  char path[64], buf[4096];
  report("fchdir", fchdir(fd) < 0 ? err(errno) : "ok");
  report("openat", openat(fd, "inside", O_RDONLY) < 0 ? err(errno) : "ok");
  snprintf(path, sizeof path, "/proc/self/fd/%d/inside", fd);
  report("walk through", try_open(path, O_RDONLY));
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  report("getdents", n < 0 ? err(errno) : "ok");
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  report("dir reopen write", try_open(path, O_WRONLY));
}

static void recv_fds(int *file, int *dir) {
  char byte;
  char ctl[CMSG_SPACE(2 * sizeof(int))];
  struct iovec iov = { &byte, 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
  if (recvmsg(0, &msg, 0) < 1) { perror("recvmsg"); exit(2); }
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) { fprintf(stderr, "no fds\n"); exit(2); }
  memcpy(file, CMSG_DATA(c), sizeof(int));
  memcpy(dir, CMSG_DATA(c) + sizeof(int), sizeof(int));
}

static volatile int stop;

/** Swaps fd 10 between the terminal (a copy kept at 20) and the read-only file (fd 2). */
static void *swapper(void *arg) {
  (void)arg;
  while (!stop) {
    dup2(20, 10);
    dup2(2, 10);
  }
  return NULL;
}

static int tty_race(int seconds) {
  struct stat tty;
  if (fstat(0, &tty) < 0 || !S_ISCHR(tty.st_mode)) { printf("stdin is not a terminal\n"); return 2; }
  // The terminal only at 10 and 20 (the scan meets 10 first), the file at 2.
  dup2(0, 20);
  dup2(0, 10);
  close(0);
  pthread_t th;
  pthread_create(&th, NULL, swapper, NULL);
  long opens = 0, wrong = 0, failed = 0;
  time_t end = time(NULL) + seconds;
  while (time(NULL) < end) {
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) { failed++; continue; }
    opens++;
    if (!isatty(fd)) {
      wrong++;
      if (write(fd, "PWNED", 5) < 0) { /* what matters is that the file is unchanged */ }
    }
    close(fd);
  }
  stop = 1;
  pthread_join(th, NULL);
  printf("opens>0: %s\nwrong: %ld\nfailed: %ld\n", opens > 0 ? "yes" : "no", wrong, failed);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc >= 2 && strcmp(argv[1], "recv") == 0) {
    int file, dir;
    recv_fds(&file, &dir);
    check_file(file);
    check_dir(dir);
    // Across exec: the fds stay, and stay foreign.
    char f[16], d[16];
    snprintf(f, sizeof f, "%d", file);
    snprintf(d, sizeof d, "%d", dir);
    execl("/proc/self/exe", argv[0], "after-exec", f, d, (char *)NULL);
    report("exec", err(errno));
    return 1;
  }
  if (argc >= 4 && strcmp(argv[1], "after-exec") == 0) {
    printf("after exec\n");
    check_file(atoi(argv[2]));
    check_dir(atoi(argv[3]));
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "tty-race") == 0) return tty_race(atoi(argv[2]));
  fprintf(stderr, "usage: foreign recv | after-exec FILE DIR | tty-race SECONDS\n");
  return 2;
}
