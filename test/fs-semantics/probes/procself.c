// What /proc/self says of the files a process has: fd links of deleted,
// renamed and special files, fdinfo's pos and flags, reopening through
// /proc/self/fd with other modes, cwd and root links, and the fd directory.
#include "probe.h"
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "as.h"

static void show_link(const char *label, const char *p) {
  char b[4096]; ssize_t n = readlink(p, b, sizeof b - 1);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  b[n] = 0; size_t c = strlen(probe_root);
  // Only the part under the probe's directory: that directory differs between runs.
  printf("%s: %s\n", label, !strncmp(b, probe_root, c) ? b + c : !strcmp(b, "/") ? "/" : b[0] == '/' ? "(elsewhere)" : b);
}
static void fd_path(char *out, int fd) { sprintf(out, "/proc/self/fd/%d", fd); }
/** The "pos:" and "flags:" lines of an fd's fdinfo. */
static void show_fdinfo(const char *label, int fd) {
  char p[64], b[1024]; sprintf(p, "/proc/self/fdinfo/%d", fd); int f = open(p, O_RDONLY);
  if (f < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  ssize_t n = read(f, b, sizeof b - 1); close(f); b[n > 0 ? n : 0] = 0;
  long pos = -1; unsigned flags = 0; char *l = strstr(b, "pos:"); if (l) pos = strtol(l + 4, NULL, 10);
  l = strstr(b, "flags:"); if (l) flags = strtoul(l + 6, NULL, 8);
  printf("%s: pos %ld flags accmode %o append %d nonblock %d cloexec %d\n", label, pos, flags & O_ACCMODE, !!(flags & O_APPEND),
    !!(flags & O_NONBLOCK), !!(flags & O_CLOEXEC));
}

CASE(fd_link_of_deleted_file) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); char p[64]; fd_path(p, fd); unlink("f");
  show_link("after unlink", p); touch("f"); show_link("after a new f", p);
}
CASE(fd_link_of_deleted_dir) {
  mkdir("d", 0755); int fd = open("d", O_RDONLY); char p[64]; fd_path(p, fd); rmdir("d"); show_link("after rmdir", p);
}
CASE(fd_link_of_dir_and_cwd) {
  mkdir("d", 0755); int fd = open("d", O_RDONLY); char p[64]; fd_path(p, fd); show_link("dir fd", p);
  chdir("d"); show_link("cwd", "/proc/self/cwd"); chdir(".."); rename("d", "e"); show_link("dir fd after rename", p);
}
CASE(fd_link_of_symlink_opath) {
  touch("f"); symlink("f", "l"); int fd = open("l", O_PATH | O_NOFOLLOW); char p[64]; fd_path(p, fd); show_link("O_PATH|O_NOFOLLOW link", p);
  struct stat st; SHOW("stat through it", stat(p, &st)); FACT("type %s\n", ftype(st.st_mode)); SHOW("lstat", lstat(p, &st)); FACT("type %s\n", ftype(st.st_mode));
}
CASE(fd_link_of_fifo) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); char p[64]; fd_path(p, fd); show_link("fifo", p);
  struct stat st; stat(p, &st); FACT("type %s\n", ftype(st.st_mode));
}
CASE(fdinfo_pos_and_flags) {
  int fd = open("f", O_CREAT | O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0644); write(fd, "hello", 5);
  show_fdinfo("after write", fd); lseek(fd, 2, SEEK_SET); show_fdinfo("after lseek", fd);
  int r = open("f", O_RDONLY); show_fdinfo("read-only", r); fcntl(fd, F_SETFL, 0); show_fdinfo("after F_SETFL 0", fd);
  int d = dup(fd); show_fdinfo("dup", d);
}
CASE(fdinfo_of_missing_fd) {
  char b[64]; sprintf(b, "/proc/self/fdinfo/%d", 999); struct stat st; SHOW("stat", stat(b, &st)); SHOW("open", open(b, O_RDONLY));
  sprintf(b, "/proc/self/fd/%d", 999); SHOW("stat fd link", lstat(b, &st));
}
CASE(reopen_through_fd_link) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); char p[64]; fd_path(p, fd);
  int r; OK("reopen read-only", r = open(p, O_RDONLY)); SHOW("own offset", lseek(r, 0, SEEK_CUR)); char b[4] = {0}; read(r, b, 3); FACT("reads %s\n", b);
  OK("reopen with O_TRUNC", open(p, O_WRONLY | O_TRUNC)); struct stat st; fstat(fd, &st); FACT("size %ld\n", (long)st.st_size);
  int ro = open("f", O_RDONLY); fd_path(p, ro); chmod("f", 0444); OK("reopen read-only fd for writing as root", open(p, O_WRONLY));
}
CASE(reopen_deleted_file) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); char p[64]; fd_path(p, fd); unlink("f");
  int r; OK("reopen", r = open(p, O_RDONLY)); char b[4] = {0}; read(r, b, 3); FACT("reads %s\n", b);
  SHOW("linkat from the fd link", linkat(AT_FDCWD, p, AT_FDCWD, "back", AT_SYMLINK_FOLLOW)); SHOW("back exists", access("back", F_OK));
}
CASE(reopen_dir_fd_link) {
  mkdir("d", 0755); touch("d/f"); int fd = open("d", O_RDONLY); char p[64], q[80]; fd_path(p, fd);
  OK("open fd link as dir", open(p, O_RDONLY | O_DIRECTORY)); snprintf(q, sizeof q, "%s/f", p); OK("path below the fd link", open(q, O_RDONLY));
  SHOW("write-open the dir link", open(p, O_WRONLY)); snprintf(q, sizeof q, "%s/new", p); OK("create below it", open(q, O_CREAT | O_WRONLY, 0644));
  SHOW("d/new exists", access("d/new", F_OK));
}
CASE(fd_dir_listing) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); DIR *d = opendir("/proc/self/fd"); int seen = 0, dots = 0; struct dirent *e;
  char want[16]; sprintf(want, "%d", fd);
  while ((e = readdir(d))) { if (!strcmp(e->d_name, want)) seen = e->d_type == DT_LNK ? 2 : 1; if (e->d_name[0] == '.') dots++; }
  FACT("fd listed as link: %d dots %d\n", seen, dots); struct stat st; lstat("/proc/self/fd", &st); FACT("fd dir type %s\n", ftype(st.st_mode));
  SHOW("mkdir in fd dir", mkdir("/proc/self/fd/x", 0755)); SHOW("create in fd dir", open("/proc/self/fd/x", O_CREAT | O_WRONLY, 0644));
}
CASE(proc_self_links) {
  show_link("cwd", "/proc/self/cwd"); show_link("root", "/proc/self/root"); struct stat a, b;
  stat("/proc/self/cwd", &a); stat(".", &b); FACT("cwd is .: %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  stat("/proc/self/root", &a); stat("/", &b); FACT("root is /: %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  char s[64]; sprintf(s, "%d", getpid()); char self[64] = {0}; readlink("/proc/self", self, sizeof self); FACT("self is pid: %d\n", !strcmp(s, self));
}
CASE(proc_self_cwd_after_rmdir) {
  mkdir("d", 0755); chdir("d"); rmdir("../d"); show_link("cwd", "/proc/self/cwd"); struct stat st; SHOW("stat cwd link", stat("/proc/self/cwd", &st));
  FACT("nlink %ld\n", (long)st.st_nlink);
}

CASE(fd_link_modes) {
  // A /proc/self/fd link's mode says the description's access: r-x for reading, -wx for writing.
  int r = open("f", O_CREAT | O_RDONLY, 0644), w = open("f", O_WRONLY), rw = open("f", O_RDWR), pa = open("f", O_PATH); mkdir("d", 0755);
  int d = open("d", O_RDONLY); int fds[5] = {r, w, rw, pa, d}; const char *n[5] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_PATH", "dir"};
  for (int i = 0; i < 5; i++) { char p[64]; struct stat st; fd_path(p, fds[i]); lstat(p, &st); FACT("%s: %s %o\n", n[i], ftype(st.st_mode), st.st_mode & 0777); }
  struct stat st; lstat("/proc/self/fd", &st); FACT("fd dir %o\n", st.st_mode & 0777);
}
CASE(fdinfo_of_dir_and_opath) {
  mkdir("d", 0755); close(open("d/a", O_CREAT | O_WRONLY, 0644)); int d = open("d", O_RDONLY | O_DIRECTORY); char b[1024];
  show_fdinfo("dir before listing", d); long n = syscall(SYS_getdents64, d, b, sizeof b); FACT("listed %d\n", n > 0);
  char p[64], t[1024]; sprintf(p, "/proc/self/fdinfo/%d", d); int f = open(p, O_RDONLY); long k = read(f, t, sizeof t - 1); close(f); t[k > 0 ? k : 0] = 0;
  FACT("pos moved %d\n", !strstr(t, "pos:\t0\n"));
  int o = open("d", O_PATH); sprintf(p, "/proc/self/fdinfo/%d", o); f = open(p, O_RDONLY); k = read(f, t, sizeof t - 1); close(f); t[k > 0 ? k : 0] = 0;
  char *fl = strstr(t, "flags:"); unsigned flags = fl ? strtoul(fl + 6, NULL, 8) : 0; FACT("O_PATH flag shown %d\n", !!(flags & O_PATH));
}
CASE(fdinfo_pos_shared_after_fork) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "0123456789", 10); lseek(fd, 0, SEEK_SET); fflush(stdout);
  pid_t c = fork(); if (c == 0) { lseek(fd, 7, SEEK_SET); _exit(0); } waitpid(c, NULL, 0); show_fdinfo("after the child's lseek", fd);
}
CASE(fd_entries_follow_dup2_and_close) {
  int a = open("a", O_CREAT | O_RDWR, 0644), b = open("b", O_CREAT | O_RDWR, 0644); char p[64]; fd_path(p, b);
  show_link("b before", p); dup2(a, b); show_link("b after dup2 of a", p); close(b); show_link("b after close", p);
}

CASE(fd_dir_of_non_root_process) {
  // Not root, the process still reads its own fd directory (mode 0500): Linux
  // by proc_fd_permission's own-process rule or by owning it as a dumpable task.
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  AS(65534, 65534, 65534) {
    SHOW("faccessat fd dir", faccessat(AT_FDCWD, "/proc/self/fd", R_OK | X_OK, AT_EACCESS));
    DIR *d = opendir("/proc/self/fd"); int n = 0; char path[64], buf[256];
    FACT("opendir: %s\n", d ? "ok" : strerrorname_np(errno));
    if (d) { while (readdir(d)) n++; closedir(d); }
    FACT("entries beyond the dots: %d\n", n > 2);
    fd_path(path, fd); ssize_t r = readlink(path, buf, sizeof buf);
    FACT("readlink of an fd: %s\n", r >= 0 ? "ok" : strerrorname_np(errno));
  }
  close(fd);
}
/** Changing ids makes a process non-dumpable: its /proc/<pid> is root's until PR_SET_DUMPABLE or an exec. */
CASE(dumpable_follows_ids) {
  struct stat st;
#define OWNER(label) do { for (int _i = 0; _i < 3; _i++) { \
    const char *_p = (const char *[]){"/proc/self", "/proc/self/status", "/proc/self/environ"}[_i]; \
    if (stat(_p, &st) == 0) FACT("%s %s: owner %u:%u\n", label, _p, st.st_uid, st.st_gid); \
    else FACT("%s %s: %s\n", label, _p, strerrorname_np(errno)); } } while (0)
  IN_CHILD {
    SHOW("dumpable", prctl(PR_GET_DUMPABLE));
    OWNER("root");
    SHOW("setegid", setresgid(-1, 2000, -1));
    SHOW("seteuid", setresuid(-1, 1000, -1));
    SHOW("dumpable after", prctl(PR_GET_DUMPABLE));
    OWNER("changed");
    SHOW("set bad", prctl(PR_SET_DUMPABLE, 2));
    SHOW("set", prctl(PR_SET_DUMPABLE, 1));
    SHOW("dumpable set", prctl(PR_GET_DUMPABLE));
    OWNER("set");
    IN_CHILD { SHOW("forked", prctl(PR_GET_DUMPABLE)); }
    SHOW("keepcaps", prctl(PR_SET_KEEPCAPS, 1));
    SHOW("dumpable after keepcaps", prctl(PR_GET_DUMPABLE));
    SHOW("back", setresuid(-1, 0, -1));
    SHOW("dumpable back", prctl(PR_GET_DUMPABLE));
    OWNER("back");
    SHOW("clear", prctl(PR_SET_DUMPABLE, 0));
    OWNER("cleared");
  }
#undef OWNER
}

/** A process that is not dumpable still lists its own fd/ (proc_fd_permission), which Linux shows root's. */
CASE(dumpable_fd_dir) {
  struct stat st;
  char link[64], target[256], other[64];
  IN_CHILD {
    SHOW("seteuid", setresuid(-1, 1000, -1));
    SHOW("dumpable", prctl(PR_GET_DUMPABLE));
    for (int i = 0; i < 2; i++) {
      const char *dir = i ? "/proc/self/fdinfo" : "/proc/self/fd";
      if (stat(dir, &st) == 0) FACT("%s owner %u:%u mode %o\n", dir, st.st_uid, st.st_gid, st.st_mode & 07777);
      DIR *d = opendir(dir);
      FACT("opendir %s: %s\n", dir, d ? "ok" : strerrorname_np(errno));
      if (d) closedir(d);
    }
    snprintf(link, sizeof link, "/proc/%d/fd/0", getpid());
    SHOW("readlink of its fd", readlink(link, target, sizeof target) > 0);
    SHOW("fdinfo of its fd", open("/proc/self/fdinfo/0", O_RDONLY) >= 0);
    // Real ids too: access(2) checks with them, and the process still gets in (proc_fd_permission).
    SHOW("setuid", setresuid(1000, 1000, 0));
    SHOW("access of its fd dir", access("/proc/self/fd", R_OK | X_OK));
    snprintf(other, sizeof other, "/proc/%d/fd", getpid());
    // Another process of the same ids is not let in: the directory is root's.
    IN_CHILD {
      SHOW("child dumpable", prctl(PR_GET_DUMPABLE));
      DIR *d = opendir(other);
      FACT("child opendir of the parent's fd: %s\n", d ? "ok" : strerrorname_np(errno));
      if (d) closedir(d);
      SHOW("child access", access(other, X_OK));
    }
  }
}

// access(2) checks with the real ids for the call only (override_creds): the process's dumpable flag stays.
CASE(dumpable_kept_by_access) {
  IN_CHILD {
    SHOW("seteuid", setresuid(-1, 1000, -1));
    SHOW("set dumpable", prctl(PR_SET_DUMPABLE, 1));
    SHOW("access", access("/", F_OK));
    SHOW("faccessat", faccessat(AT_FDCWD, "/", R_OK, 0));
    SHOW("dumpable after", prctl(PR_GET_DUMPABLE));
    SHOW("eaccess", faccessat(AT_FDCWD, "/", R_OK, AT_EACCESS));
    SHOW("dumpable after eaccess", prctl(PR_GET_DUMPABLE));
  }
}

/** The name /proc/self/maps gives the mapping at `addr`: the last component of a file's path, a memfd's whole. */
static void show_mapping(const char *label, void *addr) {
  FILE *f = fopen("/proc/self/maps", "r"); char l[4096]; unsigned long want = (unsigned long)addr;
  while (fgets(l, sizeof l, f)) {
    if (strtoul(l, NULL, 16) != want) continue;
    l[strcspn(l, "\n")] = 0;
    char *name = strchr(l, '/'), *last = name ? strrchr(name, '/') : NULL;
    printf("%s: %s\n", label, !name ? "(none)" : !strncmp(name, "/memfd:", 7) ? name : last + 1);
    fclose(f); return;
  }
  printf("%s: not mapped\n", label); fclose(f);
}
/** maps names each file mapping: a sandbox file by its path (deleted once unlinked), a memfd by its name. */
CASE(maps_names) {
  int fd = open("mapped", O_CREAT | O_RDWR, 0644), gone = open("gone", O_CREAT | O_RDWR, 0644);
  int mfd = memfd_create("probe-map", MFD_CLOEXEC);
  ftruncate(fd, 4096); ftruncate(gone, 4096); ftruncate(mfd, 4096);
  void *a = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0), *b = mmap(NULL, 4096, PROT_READ, MAP_SHARED, gone, 0);
  void *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  close(fd); close(gone); close(mfd); unlink("gone");
  show_mapping("file", a); show_mapping("unlinked file", b); show_mapping("memfd", c);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(fd_link_of_deleted_file); RUN(fd_link_of_deleted_dir); RUN(fd_link_of_dir_and_cwd); RUN(fd_link_of_symlink_opath); RUN(fd_link_of_fifo);
  RUN(fdinfo_pos_and_flags); RUN(fdinfo_of_missing_fd); RUN(reopen_through_fd_link); RUN(reopen_deleted_file); RUN(reopen_dir_fd_link);
  RUN(fd_dir_listing); RUN(proc_self_links); RUN(proc_self_cwd_after_rmdir);
  RUN(fd_link_modes); RUN(fdinfo_of_dir_and_opath); RUN(fdinfo_pos_shared_after_fork); RUN(fd_entries_follow_dup2_and_close);
  RUN(fd_dir_of_non_root_process); RUN(dumpable_follows_ids); RUN(dumpable_fd_dir); RUN(dumpable_kept_by_access);
  RUN(maps_names);
  return 0;
}
