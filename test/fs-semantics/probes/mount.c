// mount(2) and umount2(2) in the probe's directory: tmpfs, bind, remount
// read-only, move, busy mounts. Every case unmounts what it mounted.
#include "probe.h"
#include <sys/mount.h>
#include <sys/statfs.h>

static void cleanup(const char *a, const char *b) { umount2(a, MNT_DETACH); if (b) umount2(b, MNT_DETACH); }
/** Opens and closes at once: the result of the open (0 for success), no fd left to keep a mount busy. */
static int open_close(const char *p, int flags) { int fd = open(p, flags, 0644); return fd < 0 ? -1 : close(fd); }

CASE(mount_tmpfs) {
  mkdir("m", 0755);
  SHOW("mount", mount("none", "m", "tmpfs", 0, "mode=0700,uid=12,gid=34"));
  struct stat st, parent; stat("m", &st); stat(".", &parent);
  FACT("mode %o uid %d gid %d nlink %ld own dev %d\n", st.st_mode & 07777, st.st_uid, st.st_gid, (long)st.st_nlink, st.st_dev != parent.st_dev);
  struct statfs sf; statfs("m", &sf); FACT("tmpfs magic %d\n", sf.f_type == 0x01021994);
  touch("m/f"); SHOW("file there", access("m/f", F_OK));
  SHOW("umount", umount2("m", 0)); SHOW("file gone", access("m/f", F_OK));
  cleanup("m", NULL);
  stat("m", &st); FACT("parent dev again %d\n", st.st_dev == parent.st_dev);
}
CASE(mount_errors) {
  mkdir("m", 0755); touch("f");
  SHOW("unknown type", mount("none", "m", "nosuchfs", 0, NULL));
  SHOW("bad option", mount("none", "m", "tmpfs", 0, "nosuchoption=1"));
  SHOW("bad mode", mount("none", "m", "tmpfs", 0, "mode=9"));
  SHOW("missing target", mount("none", "nope", "tmpfs", 0, NULL));
  SHOW("target through file", mount("none", "f/x", "tmpfs", 0, NULL));
  SHOW("NULL type", mount("none", "m", NULL, 0, NULL));
  SHOW("umount not mounted", umount2("m", 0));
  SHOW("umount missing", umount2("nope", 0));
  SHOW("umount bad flags", umount2("m", 0x100));
  SHOW("umount expire+detach", umount2("m", MNT_EXPIRE | MNT_DETACH));
}
CASE(mount_over_dir_hides_and_busy) {
  mkdir("m", 0755); touch("m/under");
  mount("none", "m", "tmpfs", 0, NULL);
  SHOW("under hidden", access("m/under", F_OK));
  SHOW("rmdir mountpoint", rmdir("m")); SHOW("rename mountpoint", rename("m", "n"));
  int fd = open("m", O_RDONLY | O_DIRECTORY);
  SHOW("umount with open dir", umount2("m", 0)); close(fd);
  chdir("m"); SHOW("umount with cwd inside", umount2("..", 0) == 0 ? 0 : -1); chdir("..");
  SHOW("umount cwd-free", umount2("m", 0)); SHOW("under back", access("m/under", F_OK));
  cleanup("m", NULL);
}
CASE(mount_stacked) {
  mkdir("m", 0755);
  mount("none", "m", "tmpfs", 0, NULL); touch("m/one");
  mount("none", "m", "tmpfs", 0, NULL); touch("m/two");
  SHOW("one hidden", access("m/one", F_OK));
  SHOW("umount top", umount2("m", 0)); SHOW("one back", access("m/one", F_OK)); SHOW("two gone", access("m/two", F_OK));
  SHOW("umount bottom", umount2("m", 0));
  cleanup("m", "m");
}
CASE(bind_dir) {
  mkdir("a", 0755); mkdir("b", 0755); touch("a/f");
  SHOW("bind", mount("a", "b", NULL, MS_BIND, NULL));
  struct stat x, y; stat("a/f", &x); stat("b/f", &y); FACT("same inode %d same dev %d\n", x.st_ino == y.st_ino, x.st_dev == y.st_dev);
  touch("b/g"); SHOW("write through bind", access("a/g", F_OK));
  SHOW("remount ro", mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
  SHOW("create on ro", open_close("b/h", O_CREAT | O_WRONLY)); SHOW("write open on ro", open_close("b/f", O_WRONLY));
  SHOW("unlink on ro", unlink("b/f")); SHOW("mkdir on ro", mkdir("b/d", 0755)); SHOW("chmod on ro", chmod("b/f", 0600));
  SHOW("source still rw", open_close("a/h", O_CREAT | O_WRONLY));
  SHOW("remount rw", mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND, NULL));
  SHOW("create again", open_close("b/i", O_CREAT | O_WRONLY));
  SHOW("umount", umount2("b", 0)); SHOW("b empty", access("b/f", F_OK));
  cleanup("b", NULL);
}
CASE(bind_file) {
  int fd = open("f", O_CREAT | O_WRONLY, 0644); write(fd, "data", 4); close(fd); touch("g"); mkdir("d", 0755);
  SHOW("bind file", mount("f", "g", NULL, MS_BIND, NULL));
  struct stat st; stat("g", &st); FACT("size %ld\n", (long)st.st_size);
  SHOW("bind dir on file", mount("d", "f", NULL, MS_BIND, NULL));
  SHOW("bind file on dir", mount("f", "d", NULL, MS_BIND, NULL));
  SHOW("unlink bound file", unlink("g"));
  SHOW("umount", umount2("g", 0));
  cleanup("g", NULL);
}
CASE(bind_recursive) {
  mkdir("a", 0755); mkdir("a/sub", 0755); mkdir("b", 0755); mkdir("c", 0755);
  mount("none", "a/sub", "tmpfs", 0, NULL); touch("a/sub/f");
  SHOW("bind", mount("a", "b", NULL, MS_BIND, NULL)); SHOW("plain bind lacks submount", access("b/sub/f", F_OK));
  SHOW("rbind", mount("a", "c", NULL, MS_BIND | MS_REC, NULL)); SHOW("rbind has submount", access("c/sub/f", F_OK));
  SHOW("umount c busy", umount2("c", 0));
  SHOW("umount c detach", umount2("c", MNT_DETACH)); SHOW("umount b", umount2("b", 0)); SHOW("umount a/sub", umount2("a/sub", 0));
  cleanup("c", "b"); cleanup("a/sub", NULL);
}
CASE(mount_move) {
  mkdir("a", 0755); mkdir("b", 0755);
  mount("none", "a", "tmpfs", 0, NULL); touch("a/f");
  SHOW("move", mount("a", "b", NULL, MS_MOVE, NULL));
  SHOW("at new place", access("b/f", F_OK)); SHOW("gone from old", access("a/f", F_OK));
  SHOW("move non-mount", mount("a", "b", NULL, MS_MOVE, NULL));
  SHOW("move into itself", mount("b", "b/x", NULL, MS_MOVE, NULL));
  SHOW("umount", umount2("b", 0));
  cleanup("b", "a");
}
CASE(remount_and_propagation) {
  mkdir("m", 0755); mkdir("n", 0755);
  mount("none", "m", "tmpfs", 0, NULL);
  SHOW("remount ro", mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL)); SHOW("create on ro", open_close("m/f", O_CREAT | O_WRONLY));
  SHOW("remount rw", mount(NULL, "m", NULL, MS_REMOUNT, NULL)); SHOW("create on rw", open_close("m/f", O_CREAT | O_WRONLY));
  SHOW("remount non-mount", mount(NULL, "n", NULL, MS_REMOUNT, NULL));
  SHOW("make private", mount(NULL, "m", NULL, MS_PRIVATE, NULL));
  SHOW("make private non-mount", mount(NULL, "n", NULL, MS_PRIVATE, NULL));
  SHOW("noexec", mount(NULL, "m", NULL, MS_REMOUNT | MS_BIND | MS_NOEXEC, NULL));
  chmod("m/f", 0755); SHOW("exec on noexec", access("m/f", X_OK));
  SHOW("umount", umount2("m", 0));
  cleanup("m", NULL);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(mount_tmpfs); RUN(mount_errors); RUN(mount_over_dir_hides_and_busy); RUN(mount_stacked); RUN(bind_dir);
  RUN(bind_file); RUN(bind_recursive); RUN(mount_move); RUN(remount_and_propagation);
  return 0;
}
