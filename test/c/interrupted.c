// Calls made while a timer keeps interrupting the process with a handled
// signal (no SA_RESTART), as a shell's SIGCHLD does: Linux never
// interrupts a stat, an open of a regular file or a mkdir (they never
// wait), so none fails with EINTR; a read of an empty pipe waits, and the
// signal interrupts it (EINTR).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;  // no SA_RESTART: an interrupted waiting call fails with EINTR
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = {{0, 200}, {0, 200}};
  setitimer(ITIMER_REAL, &every, NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/interrupted.d", dir);
  int stat_eintr = 0, open_eintr = 0, mkdir_eintr = 0;
  for (int i = 0; i < 3000; i++) {
    struct stat st;
    if (stat("/etc/hostname", &st) < 0 && errno == EINTR) stat_eintr++;
    int fd = open("/etc/hostname", O_RDONLY);
    if (fd >= 0) close(fd);
    else if (errno == EINTR) open_eintr++;
    if (mkdir(path, 0755) < 0 && errno == EINTR) mkdir_eintr++;
    else rmdir(path);
  }
  printf("stat EINTR %d, open EINTR %d, mkdir EINTR %d\n", stat_eintr, open_eintr, mkdir_eintr);
  int p[2];
  if (pipe(p) < 0) return 1;
  char c;
  ssize_t n = read(p[0], &c, 1);
  printf("read of an empty pipe: %zd %s\n", n, n < 0 ? strerrorname_np(errno) : "");
  every.it_interval.tv_usec = every.it_value.tv_usec = 0;
  setitimer(ITIMER_REAL, &every, NULL);
  printf("interrupted: %s\n", ticks > 100 ? "often" : "rarely");
  return 0;
}
