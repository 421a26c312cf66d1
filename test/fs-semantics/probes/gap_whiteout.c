// renameat2's RENAME_WHITEOUT: the old name is left to a whiteout (a 0:0
// character device of mode 0, made by the caller) after the move, by any
// user who may rename (Linux 5.8 dropped CAP_MKNOD); with the other flags,
// over targets, for directories, in setgid directories.
#include "probe.h"
#include "as.h"
#include <sys/sysmacros.h>

static int rename2(const char *a, const char *b, unsigned flags) { return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags); }
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#endif
static void show_node(const char *label, const char *p) {
  struct stat st;
  if (lstat(p, &st) != 0) { FACT("%s: %s\n", label, strerrorname_np(errno)); return; }
  FACT("%s: %s %o %d:%d nlink %ld", label, ftype(st.st_mode), st.st_mode & 07777, st.st_uid, st.st_gid, (long)st.st_nlink);
  if (!S_ISDIR(st.st_mode)) FACT(" size %ld", (long)st.st_size);
  if (S_ISCHR(st.st_mode)) FACT(" rdev %u:%u", major(st.st_rdev), minor(st.st_rdev));
  FACT("\n");
}

CASE(whiteout_node) {
  int fd = open("f", O_CREAT | O_WRONLY, 0640); write(fd, "data", 4); close(fd);
  SHOW("WHITEOUT f g", rename2("f", "g", RENAME_WHITEOUT)); show_node("f", "f"); show_node("g", "g");
  DIR *d = opendir("."); struct dirent *e; while ((e = readdir(d))) if (!strcmp(e->d_name, "f")) FACT("d_type of f: %s\n", e->d_type == DT_CHR ? "chr" : "other");
  closedir(d);
  SHOW("unlink the whiteout", unlink("f")); show_node("f after", "f");
}
CASE(whiteout_over_targets) {
  int fd = open("a", O_CREAT | O_WRONLY, 0644); write(fd, "aa", 2); close(fd); touch("b");
  SHOW("WHITEOUT a over b", rename2("a", "b", RENAME_WHITEOUT)); show_node("a", "a"); show_node("b", "b");
  touch("c");
  SHOW("WHITEOUT|NOREPLACE c over b", rename2("c", "b", RENAME_WHITEOUT | RENAME_NOREPLACE)); show_node("c", "c");
  SHOW("WHITEOUT|NOREPLACE c to new", rename2("c", "n", RENAME_WHITEOUT | RENAME_NOREPLACE)); show_node("c", "c");
  SHOW("WHITEOUT|EXCHANGE", rename2("b", "n", RENAME_WHITEOUT | RENAME_EXCHANGE)); show_node("b", "b");
  SHOW("WHITEOUT with an unknown flag", rename2("b", "z", RENAME_WHITEOUT | 8));
  SHOW("WHITEOUT of a missing name", rename2("missing", "z", RENAME_WHITEOUT));
  SHOW("WHITEOUT of the whiteout", rename2("a", "a2", RENAME_WHITEOUT)); show_node("a", "a"); show_node("a2", "a2");
  mkdir("dir", 0755);
  SHOW("WHITEOUT of a file over a directory", rename2("n", "dir", RENAME_WHITEOUT)); show_node("n", "n");
}
CASE(whiteout_same_file) {
  touch("f"); link("f", "g");
  SHOW("WHITEOUT f f", rename2("f", "f", RENAME_WHITEOUT)); show_node("f", "f");
  SHOW("WHITEOUT f onto its other link", rename2("f", "g", RENAME_WHITEOUT)); show_node("f", "f"); show_node("g", "g");
}
CASE(whiteout_directory) {
  mkdir("d", 0755); touch("d/inner"); mkdir("sub", 0755);
  struct stat st; stat(".", &st); FACT("parent nlink %ld\n", (long)st.st_nlink);
  SHOW("WHITEOUT d sub/d", rename2("d", "sub/d", RENAME_WHITEOUT)); show_node("d", "d"); show_node("sub/d", "sub/d");
  SHOW("inner moved with it", access("sub/d/inner", F_OK));
  stat(".", &st); FACT("parent nlink %ld\n", (long)st.st_nlink); stat("sub", &st); FACT("sub nlink %ld\n", (long)st.st_nlink);
  mkdir("e", 0755); mkdir("full", 0755); touch("full/x");
  SHOW("WHITEOUT e over a non-empty directory", rename2("e", "full", RENAME_WHITEOUT)); show_node("e", "e");
}
CASE(whiteout_owner_and_caps) {
  mkdir("sg", 0777); chown("sg", 0, 65534); chmod("sg", 02777); touch("sg/f");
  SHOW("WHITEOUT in a setgid directory", rename2("sg/f", "sg/g", RENAME_WHITEOUT)); show_node("sg/f", "sg/f");
  mkdir("open", 0777); chmod("open", 0777);
  AS(65534, 65534, 65534) {
    touch("open/mine");
    SHOW("WHITEOUT as a user", rename2("open/mine", "open/moved", RENAME_WHITEOUT)); show_node("open/mine", "open/mine");
    SHOW("WHITEOUT of a missing name as a user", rename2("open/missing", "open/x", RENAME_WHITEOUT));
    SHOW("WHITEOUT|EXCHANGE as a user", rename2("open/mine", "open/x", RENAME_WHITEOUT | RENAME_EXCHANGE));
    SHOW("plain rename as a user", rename2("open/mine", "open/moved", 0));
  }
  mkdir("closed", 0755); touch("closed/f");
  AS(65534, 65534, 65534) { SHOW("WHITEOUT in an unwritable directory", rename2("closed/f", "closed/g", RENAME_WHITEOUT)); }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(whiteout_node); RUN(whiteout_over_targets); RUN(whiteout_same_file); RUN(whiteout_directory); RUN(whiteout_owner_and_caps);
  return 0;
}
