// Running part of a case under other credentials, as pjdfstest does: a child
// process switches its supplementary groups, then its effective gid, then its
// effective uid, runs the block and exits; the parent (root) waits for it.
//
//   AS(65534, 65534, 65534) { SHOW("open", open("f", O_RDONLY)); }
#include <grp.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>

__attribute__((unused)) static void as_uses_probe_helpers(void) { (void)touch; }

static pid_t as_begin(uid_t uid, gid_t gid, const gid_t *groups, int n) {
  fflush(stdout);
  pid_t p = fork();
  if (p < 0) { printf("fork: %s\n", strerrorname_np(errno)); return -1; }
  if (p == 0) {
    if (setgroups(n, groups) != 0 || setegid(gid) != 0 || seteuid(uid) != 0) {
      printf("switching to %d/%d: %s\n", uid, gid, strerrorname_np(errno));
      _exit(1);
    }
    return 0;
  }
  int status;
  waitpid(p, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("child status %#x\n", status);
  return -1;
}
static pid_t as_end(void) { fflush(stdout); _exit(0); }
#define AS(uid, gid, ...) for (pid_t _as = as_begin(uid, gid, (gid_t[]){__VA_ARGS__}, \
  sizeof((gid_t[]){__VA_ARGS__}) / sizeof(gid_t)); _as == 0; _as = as_end())

/** Mode, owner and group of a path (not followed). */
__attribute__((unused)) static void show_owner(const char *label, const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: %s %o %d:%d\n", label, ftype(st.st_mode), st.st_mode & 07777, st.st_uid, st.st_gid);
}
/** A file with this mode and owner, made by root. */
__attribute__((unused)) static void mkfile(const char *p, mode_t mode, uid_t uid, gid_t gid) {
  close(open(p, O_CREAT | O_WRONLY, 0600)); chown(p, uid, gid); chmod(p, mode);
}
__attribute__((unused)) static void mkdirp(const char *p, mode_t mode, uid_t uid, gid_t gid) { mkdir(p, 0700); chown(p, uid, gid); chmod(p, mode); }
