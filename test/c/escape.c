// Attempts to reach a host file the sandbox was not given. Each case prints
// one line: what it reached ("reached" means an escape), or the errno.
// usage: escape CASE SECRET   (SECRET: the host path that must stay out of reach)
//        escape serve-root NAME | pivot-passed NAME   (two containers of a pod, NAME an abstract socket)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stddef.h>
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

/** An abstract unix socket address named `name`; its length. */
static socklen_t abstract(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "%s", name);
  return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

/** serve-root NAME: gives an O_PATH fd of its own root to the first process that connects (another container). */
static int serve_root(const char *name) {
  struct sockaddr_un a;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(s, (struct sockaddr *)&a, abstract(&a, name)) != 0 || listen(s, 1) != 0) { perror("serve-root"); return 1; }
  int c = accept(s, NULL, NULL), root = open("/", O_PATH | O_DIRECTORY);
  char byte = 0, ctl[CMSG_SPACE(sizeof(int))] = {0};
  struct iovec iov = {&byte, 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &root, sizeof root);
  return sendmsg(c, &m, 0) == 1 ? 0 : 1;
}

/** pivot-passed NAME: takes another container's root from serve-root, and tries to make its mounts its own. */
static int pivot_passed(const char *name) {
  struct sockaddr_un a;
  socklen_t len = abstract(&a, name);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  for (int i = 0; i < 100 && connect(s, (struct sockaddr *)&a, len) != 0; i++) usleep(50000);
  char byte, ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(s, &m, 0) != 1 || !CMSG_FIRSTHDR(&m)) { printf("no fd passed\n"); return 1; }
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  mkdir("/mnt", 0755);
  printf("pivot to it: %s\n", syscall(SYS_pivot_root, p, p) == 0 ? "reached" : strerrorname_np(errno));
  printf("bind it: %s\n", mount(p, "/mnt", NULL, MS_BIND | MS_REC, NULL) == 0 ? "reached" : strerrorname_np(errno));
  printf("mount on it: %s\n", mount("none", p, "tmpfs", 0, NULL) == 0 ? "reached" : strerrorname_np(errno));
  printf("remount it: %s\n", mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0 ? "reached" : strerrorname_np(errno));
  printf("make it private: %s\n", mount(NULL, p, NULL, MS_PRIVATE, NULL) == 0 ? "reached" : strerrorname_np(errno));
  printf("move it: %s\n", mount(p, "/mnt", NULL, MS_MOVE, NULL) == 0 ? "reached" : strerrorname_np(errno));
  printf("umount it: %s\n", umount2(p, MNT_DETACH) == 0 ? "reached" : strerrorname_np(errno));
  fchdir(fd);
  printf("pivot to it from there: %s\n", syscall(SYS_pivot_root, ".", ".") == 0 ? "reached" : strerrorname_np(errno));
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *c = argv[1];
  secret = argv[2];
  if (!strcmp(c, "serve-root")) return serve_root(argv[2]);
  if (!strcmp(c, "pivot-passed")) return pivot_passed(argv[2]);
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
  } else if (!strcmp(c, "detach")) {
    // A recursive copy of the root holds copies of the runtime's mounts; held by an fd and its cwd after
    // a lazy unmount, its copies still cover the secret (locked mounts stay on a detached tree).
    mkdir("/mnt/r", 0755);
    printf("rbind /: %s\n", mount("/", "/mnt/r", NULL, MS_BIND | MS_REC, NULL) == 0 ? "ok" : strerrorname_np(errno));
    int held = open("/mnt/r", O_PATH | O_DIRECTORY);
    printf("detach: %s\n", umount2("/mnt/r", MNT_DETACH) == 0 ? "ok" : strerrorname_np(errno));
    report("via detached copy", openat(held, secret + 1, O_RDONLY));
    fchdir(held);
    report("from its cwd", open(secret + 1, O_RDONLY));
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", secret + 1);
    *strrchr(dir, '/') = 0;
    printf("umount its cover: %s\n", umount2(dir, MNT_DETACH) == 0 ? "ok" : strerrorname_np(errno));
    report("after", open(secret + 1, O_RDONLY));
  } else if (!strcmp(c, "pivot")) {
    // A container runtime's pivot to a directory of the sandbox, the old root unmounted, then every way up:
    // '..', /proc's links (its own, init's), the old root held by an fd, put_old at or above the new root.
    mkdir("/tmp/nr", 0755); mkdir("/tmp/nr/proc", 0755); mkdir("/tmp/nr/old", 0755);
    int oldroot = open("/", O_PATH | O_DIRECTORY);
    mount("/tmp/nr", "/tmp/nr", NULL, MS_BIND, NULL);
    chdir("/tmp/nr");
    printf("pivot: %s\n", syscall(SYS_pivot_root, ".", ".") == 0 ? "ok" : strerrorname_np(errno));
    printf("umount old root: %s\n", umount2(".", MNT_DETACH) == 0 ? "ok" : strerrorname_np(errno));
    chdir("/");
    mount("proc", "/proc", "proc", 0, NULL);
    report("dotdot", open_secret_via("/../../../.."));
    report("proc-root", open_secret_via("/proc/self/root/../.."));
    report("proc-init-root", open_secret_via("/proc/1/root/../.."));
    report("proc-cwd", open_secret_via("/proc/self/cwd/../.."));
    char rel[4096];
    snprintf(rel, sizeof rel, "../../../..%s", secret);
    report("old-root-fd", openat(oldroot, rel, O_RDONLY));
    // Nothing of the sentry's tree above the container's root: its hidden directory, by any of those ways.
    const char *hidden[] = {"/../__tvisor_containers__", "/proc/self/root/../__tvisor_containers__",
      "/proc/1/root/../__tvisor_containers__", "/proc/1/cwd/../__tvisor_containers__"};
    struct stat st;
    for (int i = 0; i < 4; i++) printf("%s: %s\n", hidden[i], stat(hidden[i], &st) == 0 ? "reached" : strerrorname_np(errno));
    printf("old-root-fd hidden: %s\n", fstatat(oldroot, "../../__tvisor_containers__", &st, 0) == 0 ? "reached" : strerrorname_np(errno));
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    int mounts = 0, named = 0;
    while (f && fgets(line, sizeof line, f)) { mounts++; named += strstr(line, "tvisor") != NULL; }
    printf("mounts: %d naming tvisor: %d\n", mounts, named);
    printf("put_old the root: %s\n", syscall(SYS_pivot_root, "/old", "/") == 0 ? "ok" : strerrorname_np(errno));
    printf("put_old above: %s\n", syscall(SYS_pivot_root, "/proc", "/..") == 0 ? "ok" : strerrorname_np(errno));
    printf("new root above: %s\n", syscall(SYS_pivot_root, "/..", "/old") == 0 ? "ok" : strerrorname_np(errno));
    printf("new root the old root's fd: %s\n", fchdir(oldroot) == 0 && syscall(SYS_pivot_root, ".", ".") == 0 ? "ok" : strerrorname_np(errno));
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
