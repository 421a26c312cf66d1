// What an operation does to a file's times, as relations ("same",
// "advanced"), for the times probes: age a file, watch paths around an op.
#include <sys/stat.h>

__attribute__((unused)) static const struct timespec OLD[2] = {{1000000000, 0}, {1000000000, 0}};
/** Both atime and mtime far in the past, then a pause longer than the clock's tick, so that any change shows. */
__attribute__((unused)) static void age(const char *p) { utimensat(AT_FDCWD, p, OLD, AT_SYMLINK_NOFOLLOW); usleep(20000); }
__attribute__((unused)) static const char *rel(struct timespec a, struct timespec b) {
  if (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec) return "same";
  return (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec)) ? "advanced" : "went back";
}
__attribute__((unused)) static struct stat snap(const char *p) { struct stat st; memset(&st, 0, sizeof st); lstat(p, &st); return st; }
__attribute__((unused)) static void changes(const char *label, struct stat a, struct stat b) {
  printf("%s: atime %s, mtime %s, ctime %s\n", label, rel(a.st_atim, b.st_atim), rel(a.st_mtim, b.st_mtim), rel(a.st_ctim, b.st_ctim));
}
/** Runs op and prints what it changed on each of the paths. */
#define WATCH1(p1, op) do { struct stat _a = snap(p1); op; changes(p1, _a, snap(p1)); } while (0)
#define WATCH2(p1, p2, op) do { struct stat _a = snap(p1), _b = snap(p2); op; changes(p1, _a, snap(p1)); changes(p2, _b, snap(p2)); } while (0)
#define WATCH3(p1, p2, p3, op) do { struct stat _a = snap(p1), _b = snap(p2), _c = snap(p3); op; \
  changes(p1, _a, snap(p1)); changes(p2, _b, snap(p2)); changes(p3, _c, snap(p3)); } while (0)
