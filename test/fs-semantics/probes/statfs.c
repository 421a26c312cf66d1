// statfs/fstatfs: what must agree across the calls and inside one
// filesystem. The magic number, block counts and flags belong to the
// filesystem type (the bind mount is whatever the host directory is), so
// they are compared between calls, not printed.
#include "probe.h"
#include <sys/statfs.h>
#include <sys/statvfs.h>

/** Pointers the compiler cannot see through: bad arguments are the point. */
static void *volatile NUL = NULL;

static int same_fs(const struct statfs *a, const struct statfs *b) {
  return a->f_type == b->f_type && a->f_bsize == b->f_bsize && a->f_namelen == b->f_namelen &&
         a->f_frsize == b->f_frsize && a->f_fsid.__val[0] == b->f_fsid.__val[0] && a->f_fsid.__val[1] == b->f_fsid.__val[1];
}

CASE(statfs_basic_facts) {
  struct statfs s; SHOW("statfs .", statfs(".", &s));
  FACT("bsize>0 %d namelen %ld frsize>0 %d blocks>=bfree %d bfree>=bavail %d files>=ffree %d\n", s.f_bsize > 0, (long)s.f_namelen,
       s.f_frsize > 0, s.f_blocks >= s.f_bfree, s.f_bfree >= s.f_bavail, s.f_files >= s.f_ffree);
  FACT("ST_VALID-free flags readonly %d\n", (s.f_flags & ST_RDONLY) != 0);
}
CASE(statfs_same_across_entries) {
  touch("f"); mkdir("d", 0755); symlink("f", "l"); mkfifo("p", 0644);
  struct statfs a, b, c, d, e; statfs(".", &a); statfs("f", &b); statfs("d", &c); statfs("l", &d); statfs("p", &e);
  FACT("file %d dir %d symlink %d fifo %d\n", same_fs(&a, &b), same_fs(&a, &c), same_fs(&a, &d), same_fs(&a, &e));
}
CASE(fstatfs_matches_statfs) {
  touch("f"); int fd = open("f", O_RDONLY), dfd = open(".", O_RDONLY | O_DIRECTORY), pfd = open(".", O_PATH);
  struct statfs a, b, c, d; statfs(".", &a);
  SHOW("fstatfs file", fstatfs(fd, &b)); SHOW("fstatfs dir", fstatfs(dfd, &c)); SHOW("fstatfs O_PATH", fstatfs(pfd, &d));
  FACT("file %d dir %d O_PATH %d\n", same_fs(&a, &b), same_fs(&a, &c), same_fs(&a, &d));
}
CASE(statvfs_matches_statfs) {
  struct statfs a; struct statvfs v; statfs(".", &a); SHOW("statvfs", statvfs(".", &v));
  FACT("bsize %d namemax %d readonly %d\n", v.f_bsize == (unsigned long)a.f_bsize, v.f_namemax == (unsigned long)a.f_namelen, (v.f_flag & ST_RDONLY) != 0);
  int fd = open(".", O_RDONLY); struct statvfs w; SHOW("fstatvfs", fstatvfs(fd, &w)); FACT("namemax %d\n", w.f_namemax == v.f_namemax);
}
CASE(statfs_errors) {
  touch("f"); struct statfs s;
  SHOW("missing", statfs("nope", &s)); SHOW("through file", statfs("f/x", &s)); SHOW("empty", statfs("", &s));
  SHOW("NULL path", statfs(NUL, &s)); SHOW("NULL buf", statfs(".", NUL)); SHOW("fstatfs bad fd", fstatfs(999, &s));
  SHOW("fstatfs NULL buf", fstatfs(open("f", O_RDONLY), NUL)); SHOW("dangling symlink", (symlink("nope", "l"), statfs("l", &s)));
}
CASE(statfs_counts_move_with_files) {
  struct statfs a, b; statfs(".", &a);
  char n[16]; for (int i = 0; i < 10; i++) { snprintf(n, sizeof n, "f%d", i); touch(n); }
  statfs(".", &b); FACT("ffree not up %d\n", b.f_ffree <= a.f_ffree);
}
CASE(statfs_of_unlinked_open_file) {
  touch("f"); int fd = open("f", O_RDONLY); unlink("f"); struct statfs a, b; statfs(".", &a);
  SHOW("fstatfs", fstatfs(fd, &b)); FACT("same filesystem %d\n", same_fs(&a, &b));
}
CASE(namelen_is_enforced) {
  struct statfs s; statfs(".", &s); char name[600];
  memset(name, 'n', s.f_namelen); name[s.f_namelen] = 0; OK("namelen bytes", open(name, O_CREAT | O_WRONLY, 0644));
  name[s.f_namelen] = 'n'; name[s.f_namelen + 1] = 0; SHOW("namelen+1 bytes", open(name, O_CREAT | O_WRONLY, 0644));
}

CASE(dev_shm_is_tmpfs) {
  struct statfs s; SHOW("statfs /dev/shm", statfs("/dev/shm", &s));
  FACT("TMPFS_MAGIC %d bsize %ld namelen %ld\n", s.f_type == 0x01021994, (long)s.f_bsize, (long)s.f_namelen);
  int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY); struct statfs f; fstatfs(fd, &f); FACT("fstatfs agrees %d\n", same_fs(&s, &f));
}

int main(int argc, char **argv) {
  probe_init(argc, argv); (void)ftype;
  RUN(statfs_basic_facts); RUN(statfs_same_across_entries); RUN(fstatfs_matches_statfs); RUN(statvfs_matches_statfs);
  RUN(statfs_errors); RUN(statfs_counts_move_with_files); RUN(statfs_of_unlinked_open_file); RUN(namelen_is_enforced); RUN(dev_shm_is_tmpfs);
  return 0;
}
