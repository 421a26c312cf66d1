// Attempts to reach a host file the sandbox was not given. Each case prints
// one line: what it reached ("reached" means an escape), or the errno.
// usage: escape CASE SECRET   (SECRET: the host path that must stay out of reach)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *secret;

static void report(const char *what, int fd) {
  if (fd >= 0) printf("%s: reached\n", what);
  else printf("%s: %s\n", what, strerrorname_np(errno));
}

static int open_secret_via(const char *prefix) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s", prefix, secret);
  return open(path, O_RDONLY);
}

static volatile char race_path[256];
static volatile int racing = 1;

static void *flip(void *arg) {
  (void)arg;
  while (racing) {
    strcpy((char *)race_path, "/bin/true");
    strcpy((char *)race_path, secret);
  }
  return 0;
}

/** A datagram sent to, and a stream connection made to, a unix socket path: what each got. */
static void reach_socket(const char *what, const char *prefix, const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s%s", prefix, path);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_STREAM, 0);
  errno = 0;
  long sent = sendto(d, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof a);
  printf("%s sendto: %s\n", what, sent >= 0 ? "reached" : strerrorname_np(errno));
  errno = 0;
  int r = connect(s, (struct sockaddr *)&a, sizeof a);
  printf("%s connect: %s\n", what, r == 0 ? "reached" : strerrorname_np(errno));
  close(d);
  close(s);
}

static struct sockaddr_un race_addr;

/** Swaps the address between an abstract name (which the sentry passes to the host) and a host path. */
static void *flip_addr(void *arg) {
  const char *path = arg;
  while (racing) {
    memset(race_addr.sun_path, 0, sizeof race_addr.sun_path);
    strcpy(race_addr.sun_path + 1, "tvisor-escape");
    snprintf(race_addr.sun_path, sizeof race_addr.sun_path, "%s", path);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *c = argv[1];
  secret = argv[2];
  if (!strcmp(c, "direct")) report("direct", open(secret, O_RDONLY));
  else if (!strcmp(c, "dotdot")) report("dotdot", open_secret_via("/../../../../.."));
  else if (!strcmp(c, "proc-root")) report("proc-root", open_secret_via("/proc/self/root/.."));
  else if (!strcmp(c, "proc-cwd")) { chdir("/"); report("proc-cwd", open_secret_via("/proc/self/cwd/../..")); }
  else if (!strcmp(c, "symlink")) {
    // argv[3]: a symlink that points at the secret (absolute) or above its mount (relative).
    report("symlink", open(argv[3], O_RDONLY));
  } else if (!strcmp(c, "chroot")) {
    mkdir("/tmp/jail", 0755);
    if (chroot("/tmp/jail") != 0) { report("chroot", -1); return 0; }
    for (int i = 0; i < 10; i++) chdir("..");
    chroot(".");
    report("chroot", open(secret, O_RDONLY));
  } else if (!strcmp(c, "openat2")) {
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
    int dir = open("/", O_PATH);
    report("openat2-in-root", syscall(SYS_openat2, dir, secret, &how, sizeof how));
    how.resolve = RESOLVE_BENEATH;
    report("openat2-beneath", syscall(SYS_openat2, dir, secret + 1, &how, sizeof how));
  } else if (!strcmp(c, "handle")) {
    struct file_handle *h = malloc(sizeof *h + 128);
    h->handle_bytes = 128;
    int mnt;
    errno = 0;
    int r = name_to_handle_at(AT_FDCWD, "/", h, &mnt, 0);
    printf("name_to_handle_at: %s\n", r == 0 ? "ok" : strerrorname_np(errno));
    // A forged handle for inode 2 of the root filesystem.
    h->handle_bytes = 8; h->handle_type = 1; memset(h->f_handle, 0, 8); h->f_handle[0] = 2;
    report("open_by_handle_at", open_by_handle_at(AT_FDCWD, h, O_RDONLY));
  } else if (!strcmp(c, "ptrace")) {
    errno = 0;
    long r = ptrace(PTRACE_TRACEME, 0, 0, 0);
    printf("ptrace: %s\n", r == 0 ? "ok" : strerrorname_np(errno));
  } else if (!strcmp(c, "mount")) {
    // The sandbox's mounts are its own; the runtime's cannot be taken away to uncover the secret.
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", secret);
    *strrchr(dir, '/') = 0;
    mkdir("/mnt/rbind", 0755);
    printf("bind /: %s\n", mount("/", "/mnt/rbind", NULL, MS_BIND, NULL) == 0 ? "ok" : strerrorname_np(errno));
    printf("rbind /: %s\n", mount("/", "/mnt/rbind", NULL, MS_BIND | MS_REC, NULL) == 0 ? "ok" : strerrorname_np(errno));
    report("via rbind", open_secret_via("/mnt/rbind"));
    printf("umount cover: %s\n", umount2(dir, 0) == 0 ? "ok" : strerrorname_np(errno));
    printf("detach cover: %s\n", umount2(dir, MNT_DETACH) == 0 ? "ok" : strerrorname_np(errno));
    printf("move cover: %s\n", mount(dir, "/mnt", NULL, MS_MOVE, NULL) == 0 ? "ok" : strerrorname_np(errno));
    printf("remount /links rw: %s\n", mount(NULL, "/links", NULL, MS_REMOUNT | MS_BIND, NULL) == 0 ? "ok" : strerrorname_np(errno));
    report("direct", open(secret, O_RDONLY));
  } else if (!strcmp(c, "exec-race")) {
    pthread_t t;
    pthread_create(&t, 0, flip, 0);
    int reached = 0;
    for (int i = 0; i < 200; i++) {
      pid_t p = fork();
      if (p == 0) {
        char *args[] = {(char *)race_path, 0};
        execv((char *)race_path, args);
        _exit(errno == ENOENT ? 0 : 3);
      }
      int st;
      waitpid(p, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) reached++;
    }
    racing = 0;
    pthread_join(t, 0);
    printf("exec-race: %s\n", reached ? "reached" : "ENOENT");
  } else if (!strcmp(c, "dirfd")) {
    // A directory fd is a host object: walking from it must stay in the sandbox.
    int d = open("/tmp", O_RDONLY | O_DIRECTORY);
    char rel[4096];
    snprintf(rel, sizeof rel, "../../../../..%s", secret);
    report("dirfd", openat(d, rel, O_RDONLY));
    fchdir(d);
    report("dirfd-cwd", open(rel, O_RDONLY));
  } else if (!strcmp(c, "socket")) {
    // argv[3]: a host socket's path that the sandbox hides (under a mount); argv[4]: one of the host's root.
    // Each path names both a datagram socket (…/dg) and a listening stream socket (…/st) on the host.
    const char *hidden = argv[3], *lower = argv[4];
    char dg[4096], st[4096];
    snprintf(dg, sizeof dg, "%s/dg", hidden);
    snprintf(st, sizeof st, "%s/st", hidden);
    reach_socket("hidden dg", "", dg);
    reach_socket("hidden st", "", st);
    reach_socket("dotdot", "/../../../..", dg);
    reach_socket("proc-root", "/proc/self/root/..", dg);
    reach_socket("symlink abs", "", "/links/sock-abs");
    reach_socket("symlink rel", "", "/links/sock-rel");
    chdir("/links");
    reach_socket("relative dotdot", "../../../../../..", dg);
    snprintf(dg, sizeof dg, "%s/dg", lower);
    snprintf(st, sizeof st, "%s/st", lower);
    reach_socket("host root dg", "", dg);
    reach_socket("host root st", "", st);
    reach_socket("symlink to host root", "", "/links/sock-lower");
    // The address changes under the sentry's reading of it.
    snprintf(dg, sizeof dg, "%s/dg", hidden);
    race_addr.sun_family = AF_UNIX;
    pthread_t t;
    pthread_create(&t, 0, flip_addr, dg);
    int reached = 0, d = socket(AF_UNIX, SOCK_DGRAM, 0);
    for (int i = 0; i < 2000; i++) {
      if (sendto(d, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&race_addr, sizeof race_addr) >= 0) reached++;
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (connect(s, (struct sockaddr *)&race_addr, sizeof race_addr) == 0) reached++;
      close(s);
    }
    racing = 0;
    pthread_join(t, 0);
    printf("race: %s\n", reached ? "reached" : "none");
  } else {
    return 2;
  }
  return 0;
}
