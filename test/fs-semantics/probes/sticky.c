// Sticky directories: who may unlink, rmdir and rename their entries, and
// the symlink and xattr rules around them.
#include "probe.h"
#include "as.h"
#include <sys/xattr.h>

#define USER AS(1000, 1000, 1000)
#define OTHER AS(2000, 2000, 2000)

/** A sticky world-writable directory owned by `owner` holding a file, a directory and a link of user 2000. */
static void setup(uid_t owner) {
  mkdirp("t", 01777, owner, owner);
  mkfile("t/f", 0666, 2000, 2000); mkdirp("t/d", 0777, 2000, 2000); symlink("x", "t/l"); lchown("t/l", 2000, 2000);
}

CASE(sticky_unlink_others_file) { setup(0); USER { SHOW("unlink", unlink("t/f")); SHOW("unlink link", unlink("t/l")); } show_owner("f", "t/f"); }
CASE(sticky_unlink_own_file) { setup(0); OTHER { SHOW("unlink", unlink("t/f")); SHOW("unlink link", unlink("t/l")); } }
CASE(sticky_dir_owner_unlinks) { setup(1000); USER { SHOW("unlink", unlink("t/f")); SHOW("rmdir", rmdir("t/d")); } }
CASE(sticky_root_unlinks) { setup(1000); SHOW("unlink", unlink("t/f")); SHOW("rmdir", rmdir("t/d")); }
CASE(sticky_rmdir_others) { setup(0); USER { SHOW("rmdir", rmdir("t/d")); SHOW("unlinkat REMOVEDIR", unlinkat(AT_FDCWD, "t/d", AT_REMOVEDIR)); } }
CASE(sticky_rmdir_own) { setup(0); OTHER { SHOW("rmdir", rmdir("t/d")); } }
CASE(sticky_rename_others_source) {
  setup(0); mkdirp("mine", 0777, 1000, 1000);
  USER { SHOW("rename away", rename("t/f", "mine/f")); SHOW("rename within", rename("t/f", "t/g")); SHOW("rename dir", rename("t/d", "t/e")); }
}
CASE(sticky_rename_over_others) {
  setup(0); mkfile("t/mine", 0644, 1000, 1000); mkdirp("t/mydir", 0777, 1000, 1000);
  USER { SHOW("over other's file", rename("t/mine", "t/f")); SHOW("over other's dir", rename("t/mydir", "t/d")); SHOW("to a new name", rename("t/mine", "t/new")); }
  show_owner("new", "t/new");
}
CASE(sticky_rename_exchange) {
  setup(0); mkfile("t/mine", 0644, 1000, 1000);
  USER { SHOW("exchange with other's", syscall(SYS_renameat2, AT_FDCWD, "t/mine", AT_FDCWD, "t/f", 2)); }
  OTHER { SHOW("exchange by owner of one", syscall(SYS_renameat2, AT_FDCWD, "t/f", AT_FDCWD, "t/mine", 2)); }
}
CASE(sticky_owner_renames_into) {
  setup(0); mkfile("mine", 0644, 1000, 1000); chmod(".", 0777);
  USER { SHOW("into sticky", rename("mine", "t/mine")); SHOW("back out", rename("t/mine", "mine")); }
}
CASE(sticky_without_write) {
  mkdirp("t", 01755, 0, 0); mkfile("t/f", 0666, 1000, 1000);
  USER { SHOW("unlink own file, dir not writable", unlink("t/f")); }
}
CASE(not_sticky_unlink_others) { mkdirp("t", 0777, 0, 0); mkfile("t/f", 0600, 2000, 2000); USER { SHOW("unlink", unlink("t/f")); } }
CASE(sticky_missing_entry) { setup(0); USER { SHOW("unlink missing", unlink("t/none")); SHOW("rmdir missing", rmdir("t/none")); } }
CASE(sticky_create_and_link) {
  setup(0); mkfile("src", 0644, 1000, 1000); chmod(".", 0777);
  USER { OK("create", open("t/new", O_CREAT | O_WRONLY, 0644)); SHOW("link own file in", link("src", "t/ln")); SHOW("mkdir", mkdir("t/nd", 0755)); }
}
CASE(sticky_follow_symlink) {
  setup(0); mkfile("target", 0644, 0, 0); symlink("../target", "t/other"); lchown("t/other", 2000, 2000);
  symlink("../target", "t/root"); symlink("../target", "t/mine"); lchown("t/mine", 1000, 1000);
  USER { OK("other's link", open("t/other", O_RDONLY)); OK("dir owner's link", open("t/root", O_RDONLY)); OK("own link", open("t/mine", O_RDONLY)); }
  OK("root follows other's", open("t/other", O_RDONLY));
}
CASE(sticky_xattr_dir) {
  mkdirp("t", 01777, 0, 0); mkdirp("u", 01777, 1000, 1000);
  USER { SHOW("user.* on other's sticky dir", setxattr("t", "user.a", "1", 1, 0)); SHOW("on own sticky dir", setxattr("u", "user.a", "1", 1, 0)); }
}
CASE(sticky_chmod_dir_user) {
  mkdirp("u", 0755, 1000, 1000);
  USER { SHOW("chmod 1777 own dir", chmod("u", 01777)); SHOW("mkdir 1777", mkdir("u/s", 01777)); }
  show_owner("u", "u"); show_owner("s", "u/s");
}
CASE(sticky_group_member_no_bypass) {
  mkdirp("t", 01777, 0, 3000); mkfile("t/f", 0666, 2000, 3000);
  AS(1000, 3000, 3000) { SHOW("unlink group's file", unlink("t/f")); }
}
CASE(sticky_fsuid_counts) {
  setup(0);
  AS(0, 0, 0) { setfsuid(1000); SHOW("unlink as fsuid 1000", unlink("t/f")); setfsuid(2000); SHOW("as fsuid 2000 (owner)", unlink("t/f")); }
}
CASE(sticky_seteuid_root_back) {
  setup(0);
  USER { seteuid(0); SHOW("unlink after regaining root", unlink("t/f")); }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(sticky_unlink_others_file); RUN(sticky_unlink_own_file); RUN(sticky_dir_owner_unlinks); RUN(sticky_root_unlinks);
  RUN(sticky_rmdir_others); RUN(sticky_rmdir_own); RUN(sticky_rename_others_source); RUN(sticky_rename_over_others);
  RUN(sticky_rename_exchange); RUN(sticky_owner_renames_into); RUN(sticky_without_write); RUN(not_sticky_unlink_others);
  RUN(sticky_missing_entry); RUN(sticky_create_and_link); RUN(sticky_follow_symlink); RUN(sticky_xattr_dir);
  RUN(sticky_chmod_dir_user); RUN(sticky_group_member_no_bypass); RUN(sticky_fsuid_counts); RUN(sticky_seteuid_root_back);
  return 0;
}
