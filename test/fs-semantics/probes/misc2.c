// Odds and ends: the filesystem types behind /proc, /sys, /dev and friends,
// linkat through a /proc/self/fd link, F_SETFL O_NOATIME by a non-owner,
// O_PATH descriptors through dup and fcntl, and reading past a truncation.
#include "probe.h"
#include "as.h"
#include <sys/statfs.h>

CASE(statfs_of_special_filesystems) {
  const char *paths[] = {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/proc/self/fd"};
  for (int i = 0; i < 6; i++) {
    struct statfs s;
    if (statfs(paths[i], &s) != 0) FACT("%s: %s\n", paths[i], strerrorname_np(errno));
    else FACT("%s: type %#lx\n", paths[i], (unsigned long)s.f_type);
  }
}
CASE(linkat_through_fd_link) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); char p[64]; sprintf(p, "/proc/self/fd/%d", fd);
  SHOW("linkat FOLLOW", linkat(AT_FDCWD, p, AT_FDCWD, "g", AT_SYMLINK_FOLLOW)); struct stat a, b; stat("f", &a); lstat("g", &b);
  FACT("g is f: %d type %s nlink %ld\n", a.st_ino == b.st_ino, ftype(b.st_mode), (long)a.st_nlink);
  SHOW("linkat without FOLLOW", linkat(AT_FDCWD, p, AT_FDCWD, "h", 0)); SHOW("h made", lstat("h", &b));
}
CASE(setfl_noatime_not_owner) {
  mkfile("theirs", 0644, 0, 0); mkfile("mine", 0644, 65534, 65534);
  AS(65534, 65534, 65534) {
    int t = open("theirs", O_RDONLY), m = open("mine", O_RDONLY);
    SHOW("F_SETFL O_NOATIME, not owner", fcntl(t, F_SETFL, O_NOATIME)); SHOW("kept", !!(fcntl(t, F_GETFL) & O_NOATIME));
    SHOW("F_SETFL O_NOATIME, owner", fcntl(m, F_SETFL, O_NOATIME)); SHOW("kept", !!(fcntl(m, F_GETFL) & O_NOATIME));
  }
}
CASE(opath_through_dup_and_fcntl) {
  touch("f"); int o = open("f", O_PATH);
  int d = dup(o); OK("dup", d); SHOW("dup keeps O_PATH", !!(fcntl(d, F_GETFL) & O_PATH));
  int c = fcntl(o, F_DUPFD_CLOEXEC, 10); OK("F_DUPFD_CLOEXEC", c); SHOW("FD_CLOEXEC", fcntl(c, F_GETFD));
  SHOW("F_SETFD", fcntl(o, F_SETFD, FD_CLOEXEC)); SHOW("F_GETFD", fcntl(o, F_GETFD)); SHOW("dup3 O_CLOEXEC", dup3(o, 20, O_CLOEXEC));
  SHOW("F_GETLK", fcntl(o, F_GETLK, &(struct flock){.l_type = F_RDLCK})); SHOW("F_GETOWN", fcntl(o, F_GETOWN));
}
CASE(read_past_truncation) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "0123456789", 10); int r = open("f", O_RDONLY); lseek(r, 8, SEEK_SET);
  ftruncate(fd, 4); char b[8]; SHOW("read at the old offset", read(r, b, 8)); SHOW("offset unchanged", lseek(r, 0, SEEK_CUR));
  ftruncate(fd, 12); SHOW("read after growing again", read(r, b, 8)); FACT("zeros %d\n", !b[0] && !b[3]);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(statfs_of_special_filesystems); RUN(linkat_through_fd_link); RUN(setfl_noatime_not_owner); RUN(opath_through_dup_and_fcntl);
  RUN(read_past_truncation);
  return 0;
}
