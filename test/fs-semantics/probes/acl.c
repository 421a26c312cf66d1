// POSIX ACLs through their raw xattrs (no libacl, no setfacl): the binary
// format system.posix_acl_access and system.posix_acl_default take and give,
// what makes a value invalid, the mode an access ACL sets, who may set one,
// the permission decisions an ACL makes for other users, chmod on a file with
// an ACL, and what new files inherit from a directory's default ACL.
#include "probe.h"
#include "as.h"
#include <stdint.h>
#include <sys/xattr.h>

#define ACCESS "system.posix_acl_access"
#define DEFAULT "system.posix_acl_default"
enum { USER_OBJ = 1, USER = 2, GROUP_OBJ = 4, GROUP = 8, MASK = 0x10, OTHER = 0x20 };
#define UNDEF 0xffffffffu

struct ent { uint16_t tag, perm; uint32_t id; };
/** A value of `n` entries in posix_acl_xattr format (version 2, little-endian as the host is). */
struct acl { uint32_t version; struct ent e[16]; };
static size_t acl_size(int n) { return 4 + 8 * (size_t)n; }
#define ACL(...) ((struct acl){2, {__VA_ARGS__}})
#define NENT(...) (int)(sizeof((struct ent[]){__VA_ARGS__}) / sizeof(struct ent))
/** Sets an ACL given as entries: SET(label, path, name, {tag, perm, id}, ...). */
#define SET(label, path, name, ...) do { struct acl _a = ACL(__VA_ARGS__); \
  SHOW(label, setxattr(path, name, &_a, acl_size(NENT(__VA_ARGS__)), 0)); } while (0)

static const char *tag_name(unsigned t) {
  switch (t) {
    case USER_OBJ: return "user_obj"; case USER: return "user"; case GROUP_OBJ: return "group_obj"; case GROUP: return "group";
    case MASK: return "mask"; case OTHER: return "other"; default: return "?";
  }
}
/** The ACL `name` of `path` as its entries (or the errno). */
static void show_named_acl(const char *label, const char *path, const char *name) {
  struct acl a; ssize_t n = getxattr(path, name, &a, sizeof a);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: size %zd version %u:", label, n, a.version);
  for (int i = 0; i < (n - 4) / 8; i++) {
    printf(" %s", tag_name(a.e[i].tag));
    if (a.e[i].id != UNDEF) printf(":%u", a.e[i].id);
    printf(":%c%c%c", a.e[i].perm & 4 ? 'r' : '-', a.e[i].perm & 2 ? 'w' : '-', a.e[i].perm & 1 ? 'x' : '-');
  }
  printf("\n");
}
static void show_acl(const char *label, const char *path) { show_named_acl(label, path, ACCESS); }
static void show_default(const char *label, const char *path) { show_named_acl(label, path, DEFAULT); }
static void show_mode(const char *label, const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  printf("%s: %s %o\n", label, ftype(st.st_mode), st.st_mode & 07777);
}
/** The ACL names listxattr shows (other names are each filesystem's own). */
static void show_acl_names(const char *label, const char *path) {
  char b[4096]; ssize_t n = listxattr(path, b, sizeof b);
  if (n < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  int access = 0, dflt = 0;
  for (ssize_t i = 0; i < n; i += strlen(b + i) + 1) { access |= !strcmp(b + i, ACCESS); dflt |= !strcmp(b + i, DEFAULT); }
  printf("%s: access %d default %d\n", label, access, dflt);
}
/** open(2) for reading and for writing, and faccessat(2) with the effective ids for each permission. */
static int may(const char *path, int mode) { return faccessat(AT_FDCWD, path, mode, AT_EACCESS) == 0; }
static void show_perms(const char *label, const char *path) {
  int r = open(path, O_RDONLY), w = open(path, O_WRONLY);
  printf("%s: open r %s w %s access r %d w %d x %d\n", label, r >= 0 ? "ok" : strerrorname_np(errno),
         w >= 0 ? "ok" : strerrorname_np(errno), may(path, R_OK), may(path, W_OK), may(path, X_OK));
  if (r >= 0) close(r);
  if (w >= 0) close(w);
}

// The base three entries and a named user with a mask, as setfacl would write them.
#define BASE(u, g, o) {USER_OBJ, u, UNDEF}, {GROUP_OBJ, g, UNDEF}, {OTHER, o, UNDEF}

CASE(acl_absent) {
  touch("f"); mkdir("d", 0755); char b[64];
  SHOW("get access of a file", getxattr("f", ACCESS, b, sizeof b)); SHOW("size probe", getxattr("f", ACCESS, NULL, 0));
  SHOW("get default of a file", getxattr("f", DEFAULT, b, sizeof b)); SHOW("get access of a dir", getxattr("d", ACCESS, b, sizeof b));
  SHOW("get default of a dir", getxattr("d", DEFAULT, b, sizeof b));
  show_acl_names("file names", "f"); show_acl_names("dir names", "d");
  SHOW("system.other name", getxattr("f", "system.posix_acl_other", b, sizeof b));
}

CASE(acl_set_and_get) {
  touch("f"); chmod("f", 0644);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 65534}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 6, 4242}, {MASK, 6, UNDEF}, {OTHER, 0, UNDEF});
  show_acl("access", "f"); show_mode("mode", "f"); show_acl_names("names", "f");
  SHOW("size probe", getxattr("f", ACCESS, NULL, 0)); char small[20];
  SHOW("buffer too small", getxattr("f", ACCESS, small, sizeof small));
  SHOW("default of a file", getxattr("f", DEFAULT, NULL, 0));
  int fd = open("f", O_RDONLY); struct acl a;
  SHOW("fgetxattr", fgetxattr(fd, ACCESS, &a, sizeof a));
  struct acl b = ACL({USER_OBJ, 7, UNDEF}, {USER, 7, 65534}, {GROUP_OBJ, 5, UNDEF}, {MASK, 5, UNDEF}, {OTHER, 1, UNDEF});
  SHOW("fsetxattr", fsetxattr(fd, ACCESS, &b, acl_size(5), 0)); close(fd);
  show_acl("after fsetxattr", "f"); show_mode("mode", "f");
}

CASE(acl_ids_of_entries) {
  // Entries of the base tags carry any id on the way in and come back as undefined.
  touch("f");
  SET("set", "f", ACCESS, {USER_OBJ, 6, 12}, {USER, 4, 0}, {GROUP_OBJ, 4, 13}, {MASK, 4, 14}, {OTHER, 4, 15});
  show_acl("access", "f");
  SET("named uid -1", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 4, UNDEF});
  SET("named gid -1", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 4, UNDEF});
}

CASE(acl_equivalent_to_mode) {
  touch("f"); chmod("f", 0600);
  SET("set base entries only", "f", ACCESS, BASE(7, 5, 4));
  show_mode("mode", "f"); show_acl("access", "f"); show_acl_names("names", "f");
  mkdir("d", 0700);
  SET("default with base entries only", "d", DEFAULT, BASE(7, 5, 0));
  show_default("default", "d"); show_mode("dir mode", "d");
}

CASE(acl_mode_follows_mask) {
  touch("f"); chmod("f", 04777);
  SET("set", "f", ACCESS, {USER_OBJ, 5, UNDEF}, {GROUP_OBJ, 7, UNDEF}, {GROUP, 7, 4242}, {MASK, 1, UNDEF}, {OTHER, 2, UNDEF});
  show_mode("mode (group bits are the mask)", "f");
  SHOW("remove", removexattr("f", ACCESS)); show_mode("mode after remove", "f"); show_acl("access", "f");
  SHOW("remove again", removexattr("f", ACCESS));
}

CASE(acl_invalid_values) {
  touch("f"); chmod("f", 0640);
  struct acl a = ACL(BASE(6, 4, 0)); a.version = 1;
  SHOW("version 1", setxattr("f", ACCESS, &a, acl_size(3), 0)); a.version = 3;
  SHOW("version 3", setxattr("f", ACCESS, &a, acl_size(3), 0)); a.version = 2;
  SHOW("size not a whole entry", setxattr("f", ACCESS, &a, acl_size(3) - 1, 0));
  SHOW("shorter than the header", setxattr("f", ACCESS, &a, 3, 0));
  SET("unknown tag", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {0x40, 4, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("perm bit 8", "f", ACCESS, {USER_OBJ, 8 | 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("two user_obj", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("no user_obj", "f", ACCESS, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("no group_obj", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {OTHER, 0, UNDEF});
  SET("no other", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF});
  SET("named user without mask", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("named group without mask", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 4, 1}, {OTHER, 0, UNDEF});
  SET("mask without named entries", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  show_acl("  stored", "f");
  SET("group_obj before user_obj", "f", ACCESS, {GROUP_OBJ, 4, UNDEF}, {USER_OBJ, 6, UNDEF}, {OTHER, 0, UNDEF});
  SET("other before mask", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF}, {MASK, 4, UNDEF});
  SET("named group before group_obj", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("named user after group_obj", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {USER, 4, 1}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("two masks", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  SET("two others", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF}, {OTHER, 0, UNDEF});
  SET("entry after other", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {OTHER, 0, UNDEF}, {USER, 4, 1});
  SET("same named user twice", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {USER, 6, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 6, UNDEF}, {OTHER, 0, UNDEF});
  show_acl("  stored", "f");
  SET("named users out of order", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 2}, {USER, 6, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 6, UNDEF}, {OTHER, 0, UNDEF});
  show_acl("  stored", "f");
  show_mode("mode at the end", "f");
}

CASE(acl_header_only_and_empty) {
  touch("f"); chmod("f", 0640);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  struct acl a = ACL({0});
  SHOW("header only", setxattr("f", ACCESS, &a, 4, 0)); show_acl("access", "f"); show_mode("mode", "f");
  SET("set again", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  SHOW("empty value", setxattr("f", ACCESS, "", 0, 0)); show_acl("access", "f");
}

CASE(acl_xattr_flags) {
  touch("f"); struct acl a = ACL({USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  SHOW("replace when none", setxattr("f", ACCESS, &a, acl_size(5), XATTR_REPLACE)); show_acl("access", "f");
  SHOW("create when one is set", setxattr("f", ACCESS, &a, acl_size(5), XATTR_CREATE));
  SHOW("bad flags", setxattr("f", ACCESS, &a, acl_size(5), 4));
}

CASE(acl_default_acl) {
  touch("f"); mkdir("d", 0755); mkfifo("p", 0644); symlink("f", "l");
  struct acl a = ACL({USER_OBJ, 7, UNDEF}, {USER, 5, 65534}, {GROUP_OBJ, 5, UNDEF}, {MASK, 5, UNDEF}, {OTHER, 0, UNDEF});
  SHOW("default on a dir", setxattr("d", DEFAULT, &a, acl_size(5), 0)); show_default("default", "d"); show_mode("dir mode", "d");
  show_acl_names("dir names", "d");
  SHOW("default on a file", setxattr("f", DEFAULT, &a, acl_size(5), 0));
  SHOW("default on a fifo", setxattr("p", DEFAULT, &a, acl_size(5), 0));
  SHOW("access on a fifo", setxattr("p", ACCESS, &a, acl_size(5), 0)); show_acl("fifo access", "p");
  SHOW("access on a symlink", lsetxattr("l", ACCESS, &a, acl_size(5), 0));
  SHOW("get access of a symlink", lgetxattr("l", ACCESS, NULL, 0));
  SHOW("remove default of a file", removexattr("f", DEFAULT));
  SHOW("remove default of a dir", removexattr("d", DEFAULT)); show_default("default", "d");
  SHOW("remove again", removexattr("d", DEFAULT));
  SHOW("remove access of a file without", removexattr("f", ACCESS));
  SHOW("empty default on a file", setxattr("f", DEFAULT, "", 0, 0));
  SHOW("invalid default on a dir", setxattr("d", DEFAULT, &a, acl_size(5) - 8, 0));
}

CASE(acl_who_may_set) {
  mkfile("mine", 0644, 65534, 65534); mkfile("other_rw", 0666, 0, 0); mkdirp("dd", 0777, 0, 0);
  struct acl a = ACL({USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 6, UNDEF}, {OTHER, 6, UNDEF});
  setxattr("other_rw", ACCESS, &a, acl_size(5), 0);
  AS(65534, 65534, 65534) {
    SHOW("own file", setxattr("mine", ACCESS, &a, acl_size(5), 0));
    SHOW("other's writable file", setxattr("other_rw", ACCESS, &a, acl_size(5), 0));
    SHOW("remove on other's file", removexattr("other_rw", ACCESS));
    SHOW("default on other's dir", setxattr("dd", DEFAULT, &a, acl_size(5), 0));
    SHOW("invalid on other's file", setxattr("other_rw", ACCESS, &a, 7, 0));
    SHOW("read other's ACL", getxattr("other_rw", ACCESS, NULL, 0)); show_acl_names("names", "other_rw");
    SHOW("remove own", removexattr("mine", ACCESS));
  }
  show_acl("mine", "mine");
}

CASE(acl_setgid_cleared) {
  struct acl a = ACL({USER_OBJ, 7, UNDEF}, {USER, 5, 1}, {GROUP_OBJ, 5, UNDEF}, {MASK, 5, UNDEF}, {OTHER, 5, UNDEF});
  mkfile("f", 02755, 65534, 0); mkfile("g", 02755, 65534, 4242); mkfile("r", 02755, 0, 0); mkfile("e", 02755, 65534, 0);
  mkfile("q", 02755, 65534, 0); mkfile("h", 02755, 65534, 4242);
  AS(65534, 65534, 65534) {
    SHOW("owner not in the group", setxattr("f", ACCESS, &a, acl_size(5), 0));
    SHOW("owner in the group", setxattr("g", ACCESS, &a, acl_size(5), 0));
    struct acl b = ACL(BASE(7, 5, 5));
    SHOW("equivalent ACL, not in the group", setxattr("e", ACCESS, &b, acl_size(3), 0));
    SHOW("remove absent, not in the group", removexattr("q", ACCESS));
  }
  AS(65534, 65534, 65534, 4242) { SHOW("owner in the group (supplementary)", setxattr("h", ACCESS, &a, acl_size(5), 0)); }
  SHOW("root not in the group", setxattr("r", ACCESS, &a, acl_size(5), 0));
  show_mode("f", "f"); show_mode("g", "g"); show_mode("r", "r"); show_mode("e", "e"); show_mode("q", "q"); show_mode("h", "h");
}

CASE(acl_permission_named_user) {
  mkfile("f", 0600, 0, 0);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 65534}, {USER, 6, 65533}, {GROUP_OBJ, 0, UNDEF}, {MASK, 6, UNDEF}, {OTHER, 0, UNDEF});
  show_mode("mode", "f");
  AS(65534, 65534, 65534) { show_perms("named r", "f"); }
  AS(65533, 65533, 65533) { show_perms("named rw", "f"); }
  AS(65532, 65532, 65532) { show_perms("other", "f"); }
  SET("mask r", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 65534}, {USER, 6, 65533}, {GROUP_OBJ, 0, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  AS(65533, 65533, 65533) { show_perms("named rw masked to r", "f"); }
}

CASE(acl_permission_named_entry_wins_over_other) {
  mkfile("f", 0644, 0, 0);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 0, 65534}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 0, 4242}, {MASK, 6, UNDEF}, {OTHER, 6, UNDEF});
  show_mode("mode", "f");
  AS(65534, 65534, 65534) { show_perms("named user with nothing", "f"); }
  AS(65532, 65532, 65532, 4242) { show_perms("in a named group with nothing", "f"); }
  AS(65532, 65532, 65532) { show_perms("other", "f"); }
}

CASE(acl_permission_groups) {
  mkfile("f", 0600, 0, 4241);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 2, 4242}, {GROUP, 6, 4243}, {MASK, 6, UNDEF}, {OTHER, 1, UNDEF});
  AS(65532, 4241, 4241) { show_perms("owning group", "f"); }
  AS(65532, 65532, 4242) { show_perms("group w", "f"); }
  AS(65532, 65532, 4241, 4242) { show_perms("owning group and group w", "f"); }
  AS(65532, 65532, 4243) { show_perms("group rw", "f"); }
  AS(65532, 65532, 65532) { show_perms("other", "f"); }
  // The owner's entry decides for the owner, even when a named entry would give more.
  chown("f", 65532, 4241); chmod("f", 0060);
  AS(65532, 65532, 4243) { show_perms("owner", "f"); }
}

CASE(acl_permission_mask_zero) {
  // No group bits: Linux's acl_permission_check does not look at the ACL.
  mkfile("f", 0600, 0, 0);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 6, 65534}, {GROUP_OBJ, 6, UNDEF}, {MASK, 0, UNDEF}, {OTHER, 4, UNDEF});
  show_mode("mode", "f");
  AS(65534, 65534, 65534) { show_perms("named user, mask 0", "f"); }
  AS(65532, 65532, 65532) { show_perms("other", "f"); }
}

CASE(acl_permission_directory) {
  mkdirp("d", 0700, 0, 0); touch("d/f"); chmod("d/f", 0644);
  SET("set", "d", ACCESS, {USER_OBJ, 7, UNDEF}, {USER, 1, 65534}, {USER, 3, 65533}, {GROUP_OBJ, 0, UNDEF}, {MASK, 7, UNDEF}, {OTHER, 0, UNDEF});
  AS(65534, 65534, 65534) {
    SHOW("stat through", access("d/f", F_OK)); OK("open through", open("d/f", O_RDONLY));
    OK("list", open("d", O_RDONLY | O_DIRECTORY)); OK("create", open("d/g", O_CREAT | O_WRONLY, 0644)); SHOW("chdir", chdir("d"));
  }
  AS(65533, 65533, 65533) { OK("create with wx", open("d/h", O_CREAT | O_WRONLY, 0644)); SHOW("unlink", unlink("d/h")); }
  AS(65532, 65532, 65532) { SHOW("other stat through", access("d/f", F_OK)); }
}

CASE(acl_permission_capabilities) {
  mkfile("f", 0600, 0, 0);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 0, 65534}, {GROUP_OBJ, 0, UNDEF}, {MASK, 0, UNDEF}, {OTHER, 0, UNDEF});
  mkfile("x", 0600, 0, 0);
  SET("set on x", "x", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 1, 65534}, {GROUP_OBJ, 0, UNDEF}, {MASK, 1, UNDEF}, {OTHER, 0, UNDEF});
  show_mode("x mode", "x");
  show_perms("root", "f"); show_perms("root on x", "x");
  AS(65534, 65534, 65534) { show_perms("named user on x", "x"); }
}

CASE(acl_chmod) {
  touch("f");
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 7, 65534}, {GROUP_OBJ, 4, UNDEF}, {GROUP, 2, 4242}, {MASK, 6, UNDEF}, {OTHER, 4, UNDEF});
  SHOW("chmod 751", chmod("f", 0751)); show_acl("access", "f"); show_mode("mode", "f");
  AS(65534, 65534, 65534) { show_perms("named user after chmod", "f"); }
  SHOW("chmod 0", chmod("f", 0)); show_acl("access", "f");
  int fd = open("f", O_RDONLY); SHOW("fchmod 2775", fchmod(fd, 02775)); close(fd); show_acl("access", "f"); show_mode("mode", "f");
  mkdir("d", 0755);
  SET("default on d", "d", DEFAULT, {USER_OBJ, 7, UNDEF}, {USER, 7, 65534}, {GROUP_OBJ, 5, UNDEF}, {MASK, 7, UNDEF}, {OTHER, 5, UNDEF});
  SHOW("chmod d 700", chmod("d", 0700)); show_default("default unchanged", "d");
}

CASE(acl_inherit_file) {
  mkdir("d", 0755);
  SET("default", "d", DEFAULT, {USER_OBJ, 7, UNDEF}, {USER, 7, 65534}, {GROUP_OBJ, 5, UNDEF}, {MASK, 7, UNDEF}, {OTHER, 5, UNDEF});
  umask(077);
  touch("d/f0644");
  close(open("d/f0666", O_CREAT | O_WRONLY, 0666)); close(open("d/f0700", O_CREAT | O_WRONLY, 0700));
  close(open("d/f0", O_CREAT | O_WRONLY, 0));
  show_mode("f0644", "d/f0644"); show_acl("f0644", "d/f0644");
  show_mode("f0666", "d/f0666"); show_acl("f0666", "d/f0666");
  show_mode("f0700", "d/f0700"); show_acl("f0700", "d/f0700");
  show_mode("f0", "d/f0"); show_acl("f0", "d/f0");
  SHOW("no default on a file", getxattr("d/f0666", DEFAULT, NULL, 0));
  mkfifo("d/p", 0666); show_mode("fifo", "d/p"); show_acl("fifo", "d/p");
  symlink("f0666", "d/l"); show_mode("symlink", "d/l"); SHOW("symlink access", lgetxattr("d/l", ACCESS, NULL, 0));
  int fd = open("d", O_TMPFILE | O_RDWR, 0666);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0) {
    char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    printf("tmpfile: %s %o\n", ftype(st.st_mode), st.st_mode & 07777); show_acl("tmpfile", p); close(fd);
  }
  umask(022);
}

CASE(acl_inherit_dir) {
  mkdir("d", 0755);
  SET("default", "d", DEFAULT, {USER_OBJ, 7, UNDEF}, {USER, 5, 65534}, {GROUP_OBJ, 7, UNDEF}, {GROUP, 1, 4242}, {MASK, 7, UNDEF}, {OTHER, 1, UNDEF});
  umask(077);
  mkdir("d/s", 0750); mkdir("d/s/t", 0777);
  show_mode("s", "d/s"); show_acl("s access", "d/s"); show_default("s default", "d/s");
  show_mode("t", "d/s/t"); show_acl("t access", "d/s/t"); show_default("t default", "d/s/t");
  umask(022);
  AS(65534, 65534, 65534) { OK("named user enters and lists", open("d/s/t", O_RDONLY | O_DIRECTORY)); OK("named user creates", open("d/s/t/x", O_CREAT | O_WRONLY, 0644)); }
}

CASE(acl_inherit_equivalent_default) {
  // A default ACL of the base entries alone: the new file's mode is masked by it, no umask, no access ACL.
  mkdir("d", 0755);
  SET("default", "d", DEFAULT, BASE(6, 6, 4));
  umask(077);
  close(open("d/f", O_CREAT | O_WRONLY, 0777)); mkdir("d/s", 0777);
  show_mode("file", "d/f"); show_acl("file access", "d/f");
  show_mode("dir", "d/s"); show_acl("dir access", "d/s"); show_default("dir default", "d/s");
  umask(022);
  mkdir("e", 0755); umask(077); close(open("e/f", O_CREAT | O_WRONLY, 0777)); show_mode("without a default ACL", "e/f"); umask(022);
}

CASE(acl_inherit_setgid_dir) {
  mkdirp("d", 02777, 0, 4242);
  SET("default", "d", DEFAULT, {USER_OBJ, 7, UNDEF}, {USER, 7, 65534}, {GROUP_OBJ, 7, UNDEF}, {MASK, 7, UNDEF}, {OTHER, 5, UNDEF});
  AS(65534, 65534, 65534) {
    mkdir("d/s", 0777); show_owner("sub", "d/s");
    close(open("d/f", O_CREAT | O_WRONLY, 02777)); show_owner("file with setgid asked", "d/f");
  }
  show_acl("sub access", "d/s");
}

CASE(acl_ctime_and_stat) {
  touch("f"); struct stat a, b; stat("f", &a); usleep(20000);
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  stat("f", &b); FACT("ctime moved %d\n", b.st_ctim.tv_sec != a.st_ctim.tv_sec || b.st_ctim.tv_nsec != a.st_ctim.tv_nsec);
  usleep(20000); SHOW("remove", removexattr("f", ACCESS)); stat("f", &a);
  FACT("ctime moved on remove %d\n", b.st_ctim.tv_sec != a.st_ctim.tv_sec || b.st_ctim.tv_nsec != a.st_ctim.tv_nsec);
}

CASE(acl_hard_link_and_rename) {
  touch("f");
  SET("set", "f", ACCESS, {USER_OBJ, 6, UNDEF}, {USER, 4, 1}, {GROUP_OBJ, 4, UNDEF}, {MASK, 4, UNDEF}, {OTHER, 0, UNDEF});
  link("f", "g"); rename("f", "h"); show_acl("via link", "g"); show_acl("after rename", "h");
  int fd = open("h", O_RDONLY); unlink("h"); unlink("g");
  struct acl a; SHOW("fget after unlink", fgetxattr(fd, ACCESS, &a, sizeof a));
  SHOW("fremove after unlink", fremovexattr(fd, ACCESS)); close(fd);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(acl_absent); RUN(acl_set_and_get); RUN(acl_ids_of_entries); RUN(acl_equivalent_to_mode); RUN(acl_mode_follows_mask);
  RUN(acl_invalid_values); RUN(acl_header_only_and_empty); RUN(acl_xattr_flags); RUN(acl_default_acl); RUN(acl_who_may_set);
  RUN(acl_setgid_cleared); RUN(acl_permission_named_user); RUN(acl_permission_named_entry_wins_over_other);
  RUN(acl_permission_groups); RUN(acl_permission_mask_zero); RUN(acl_permission_directory); RUN(acl_permission_capabilities);
  RUN(acl_chmod); RUN(acl_inherit_file); RUN(acl_inherit_dir); RUN(acl_inherit_equivalent_default); RUN(acl_inherit_setgid_dir);
  RUN(acl_ctime_and_stat); RUN(acl_hard_link_and_rename);
  return 0;
}
