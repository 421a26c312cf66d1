// chroot(2) in the sandbox: paths, "..", symbolic links and /proc after a
// process changes its root to a directory of the case; each case's chroot
// happens in a child process, so the probe's own root stays.
#include "probe.h"

static void show_kind(const char *p) {
  struct stat st;
  if (lstat(p, &st) != 0) printf("%s: %s\n", p, strerrorname_np(errno)); else printf("%s: %s\n", p, ftype(st.st_mode));
}

CASE(chroot_paths_inside) {
  mkdir("r", 0755); mkdir("r/d", 0755); close(open("r/d/f", O_CREAT | O_WRONLY, 0644)); close(open("outside", O_CREAT | O_WRONLY, 0644));
  IN_CHILD {
    SHOW("chroot", chroot("r")); show_kind("/d/f"); show_kind("/outside"); show_kind("/../outside"); show_kind("/../../d/f");
    SHOW("chdir /", chdir("/")); show_kind("d/f"); show_kind("../d/f");
  }
}
CASE(chroot_errors) {
  close(open("f", O_CREAT | O_WRONLY, 0644)); symlink("f", "lf"); mkdir("d", 0755); symlink("d", "ld");
  IN_CHILD {
    SHOW("file", chroot("f")); SHOW("link to file", chroot("lf")); SHOW("missing", chroot("m")); SHOW("empty", chroot(""));
    SHOW("link to dir", chroot("ld")); show_kind("/"); 
  }
}
CASE(chroot_cwd_outside_root) {
  mkdir("r", 0755); mkdir("w", 0755);
  IN_CHILD {
    chdir("w"); SHOW("chroot ../r", chroot("../r")); char b[4096];
    long n = syscall(SYS_getcwd, b, sizeof b); FACT("getcwd %ld %s\n", n > 0 ? 1L : n, n > 0 && !strncmp(b, "(unreachable)", 13) ? "(unreachable)…" : n > 0 ? "in root" : strerrorname_np(errno));
    SHOW("relative open still from cwd", open(".", O_RDONLY) >= 0); SHOW("chdir /", chdir("/")); syscall(SYS_getcwd, b, sizeof b); FACT("getcwd %s\n", b);
  }
}
CASE(chroot_absolute_symlinks) {
  mkdir("r", 0755); mkdir("r/etc", 0755); close(open("r/etc/conf", O_CREAT | O_WRONLY, 0644)); symlink("/etc/conf", "r/abs"); symlink("../../../etc/conf", "r/up");
  IN_CHILD {
    chroot("r"); chdir("/"); struct stat st;
    SHOW("absolute link resolves inside", stat("/abs", &st)); FACT("type %s\n", ftype(st.st_mode));
    SHOW("link climbing past the root stays inside", stat("/up", &st)); FACT("type %s\n", ftype(st.st_mode));
  }
}
CASE(chroot_and_dirfds) {
  mkdir("r", 0755); close(open("o", O_CREAT | O_WRONLY, 0644)); int out = open(".", O_RDONLY | O_DIRECTORY);
  IN_CHILD {
    chroot("r"); chdir("/"); struct stat st;
    SHOW("dirfd from outside still reaches", fstatat(out, "o", &st, 0)); SHOW("and its ..", fstatat(out, "..", &st, 0));
    SHOW("fchdir out of the root", fchdir(out)); SHOW("relative after fchdir", access("o", F_OK));
  }
}
CASE(chroot_proc_links) {
  mkdir("r", 0755); mkdir("r/sub", 0755); mkdir("r/proc", 0755);
  IN_CHILD {
    chroot("r"); chdir("/sub"); char b[256] = {0};
    SHOW("/proc not mounted inside", readlink("/proc/self/cwd", b, sizeof b));
  }
}
CASE(chroot_twice_and_dot) {
  mkdir("r", 0755); mkdir("r/s", 0755); close(open("r/s/f", O_CREAT | O_WRONLY, 0644));
  IN_CHILD {
    SHOW("chroot r", chroot("r")); chdir("/"); SHOW("chroot s", chroot("s")); show_kind("/f"); SHOW("chroot .", chroot("."));
    SHOW("chroot /", chroot("/")); show_kind("/f");
  }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(chroot_paths_inside); RUN(chroot_errors); RUN(chroot_cwd_outside_root); RUN(chroot_absolute_symlinks); RUN(chroot_and_dirfds);
  RUN(chroot_proc_links); RUN(chroot_twice_and_dot);
  return 0;
}
