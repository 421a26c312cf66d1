// A single host file bound into the tree (docker's /etc/hosts): the runner
// binds the same host file natively (mount --bind onto a file) and inside
// tvisor (-v FILE:GUEST), and gives its path in PROBE_BOUND. Each case first
// puts the file back as it was, so the cases do not depend on each other.
#include "probe.h"
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/xattr.h>

static const char *bound;
static char below[4200], dotdot[4200], slash[4200], dot[4200], moved[4200];

static void reset(void) {
  int fd = open(bound, O_WRONLY | O_TRUNC);
  if (fd < 0 || write(fd, "0123456789\n", 11) != 11) { FACT("reset failed: %s\n", strerrorname_np(errno)); }
  close(fd);
  chmod(bound, 0644); chown(bound, 0, 0);
  removexattr(bound, "user.probe");
}

static void show_stat(const char *label) {
  struct stat st;
  if (stat(label, &st) < 0) { FACT("stat %s: %s\n", label, strerrorname_np(errno)); return; }
  FACT("%s: %s %o size %ld nlink %ld uid %d gid %d\n", label == bound ? "bound" : label, ftype(st.st_mode),
    st.st_mode & 07777, (long)st.st_size, (long)st.st_nlink, st.st_uid, st.st_gid);
}

CASE(read_write) {
  reset();
  char buf[64] = {0};
  int fd = open(bound, O_RDWR);
  SHOW("read", read(fd, buf, sizeof buf)); FACT("data %s", buf);
  SHOW("pwrite", pwrite(fd, "ab", 2, 3));
  SHOW("lseek end", lseek(fd, 0, SEEK_END));
  SHOW("write", write(fd, "tail\n", 5));
  close(fd);
  fd = open(bound, O_WRONLY | O_APPEND); SHOW("append", write(fd, "more\n", 5)); close(fd);
  memset(buf, 0, sizeof buf); fd = open(bound, O_RDONLY); SHOW("read all", read(fd, buf, sizeof buf)); close(fd);
  FACT("now %s", buf);
  show_stat(bound);
  fd = open(bound, O_WRONLY | O_TRUNC); close(fd); show_stat(bound);
}

CASE(truncate_and_mmap) {
  reset();
  SHOW("truncate", truncate(bound, 4)); show_stat(bound);
  int fd = open(bound, O_RDWR);
  SHOW("ftruncate", ftruncate(fd, 4096));
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) FACT("mmap failed\n");
  else { memcpy(m + 10, "mapped", 6); msync(m, 4096, MS_SYNC); munmap(m, 4096); }
  char buf[8] = {0};
  SHOW("pread", pread(fd, buf, 6, 10)); FACT("got %s\n", buf);
  close(fd);
  show_stat(bound);
}

CASE(attributes) {
  reset();
  SHOW("chmod", chmod(bound, 0600));
  SHOW("chown", chown(bound, 12, 34));
  struct timeval tv[2] = { { 1000, 0 }, { 2000, 0 } };
  SHOW("utimes", utimes(bound, tv));
  struct stat st; stat(bound, &st); FACT("mtime %ld atime %ld\n", (long)st.st_mtime, (long)st.st_atime);
  show_stat(bound);
  SHOW("access rw", access(bound, R_OK | W_OK));
  SHOW("access x", access(bound, X_OK));
  SHOW("setxattr", setxattr(bound, "user.probe", "v", 1, XATTR_CREATE));
  SHOW("setxattr again", setxattr(bound, "user.probe", "v", 1, XATTR_CREATE));
  char v[8] = {0};
  SHOW("getxattr", getxattr(bound, "user.probe", v, sizeof v)); FACT("value %s\n", v);
  SHOW("removexattr", removexattr(bound, "user.probe"));
  SHOW("getxattr gone", getxattr(bound, "user.probe", v, sizeof v));
  reset();
}

CASE(not_a_directory) {
  reset();
  SHOW("open O_DIRECTORY", open(bound, O_RDONLY | O_DIRECTORY));
  SHOW("open below", open(below, O_RDONLY));
  SHOW("create below", open(below, O_CREAT | O_WRONLY, 0644));
  SHOW("open ..", open(dotdot, O_RDONLY));
  SHOW("open .", open(dot, O_RDONLY));
  SHOW("open trailing slash", open(slash, O_RDONLY));
  SHOW("mkdir below", mkdir(below, 0755));
  SHOW("opendir", opendir(bound) ? 0 : -1);
  SHOW("chdir", chdir(bound));
  SHOW("rmdir", rmdir(bound));
  SHOW("mkdir on it", mkdir(bound, 0755));
  SHOW("create excl", open(bound, O_CREAT | O_EXCL | O_WRONLY, 0644));
  SHOW("readlink", readlink(bound, (char[16]){0}, 16));
  SHOW("symlink below", symlink("x", below));
  symlink(dotdot, "up"); SHOW("through a symlink to ..", open("up", O_RDONLY));
}

CASE(mount_point_is_busy) {
  reset();
  touch("other");
  SHOW("rename it", rename(bound, moved));
  SHOW("rename over it", rename("other", bound));
  SHOW("unlink it", unlink(bound));
  SHOW("link it here", link(bound, "hard"));
  SHOW("still there", access(bound, F_OK));
  struct stat a, b;
  stat(bound, &a);
  char parent[4200]; snprintf(parent, sizeof parent, "%s", bound); *strrchr(parent, '/') = 0;
  stat(parent[0] ? parent : "/", &b);
  FACT("own device: %d\n", a.st_dev != b.st_dev);
  FILE *mi = fopen("/proc/self/mountinfo", "r");
  char line[8192]; int found = 0;
  char needle[4300]; snprintf(needle, sizeof needle, " %s ", bound);
  while (mi && fgets(line, sizeof line, mi)) if (strstr(line, needle)) found++;
  if (mi) fclose(mi);
  FACT("in mountinfo: %d\n", found);
}

CASE(proc_fd_reopen) {
  reset();
  int fd = open(bound, O_RDONLY);
  char path[64]; snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int again = open(path, O_RDWR);
  SHOW("reopen rw", again < 0 ? -1 : 0);
  SHOW("write", write(again, "X", 1));
  char buf[4] = {0};
  SHOW("pread", pread(fd, buf, 1, 0)); FACT("first byte %s\n", buf);
  struct stat a, b; fstat(fd, &a); fstat(again, &b);
  FACT("same file: %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  struct statfs s1, s2; statfs(bound, &s1); fstatfs(fd, &s2);
  FACT("statfs agrees: %d\n", s1.f_type == s2.f_type && s1.f_bsize == s2.f_bsize);
  close(fd); close(again);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  bound = getenv("PROBE_BOUND");
  if (!bound || bound[0] != '/') { fprintf(stderr, "PROBE_BOUND: the absolute path of a bound file\n"); return 2; }
  snprintf(below, sizeof below, "%s/x", bound);
  snprintf(dotdot, sizeof dotdot, "%s/..", bound);
  snprintf(dot, sizeof dot, "%s/.", bound);
  snprintf(slash, sizeof slash, "%s/", bound);
  snprintf(moved, sizeof moved, "%s.moved", bound);
  RUN(read_write); RUN(truncate_and_mmap); RUN(attributes); RUN(not_a_directory); RUN(mount_point_is_busy);
  RUN(proc_fd_reopen);
  return 0;
}
