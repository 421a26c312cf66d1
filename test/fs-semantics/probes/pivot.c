// pivot_root(2): the container runtime's sequences (a bind of the new root on
// itself, the pivot, the old root unmounted), who moves with the root, and the
// errors. Each case runs in a child. Natively the suite runs as root in the
// host's mount namespace, so the child first takes a private one of its own;
// inside tvisor unshare is refused (a container is one mount namespace) and the
// pivot is the probe's own namespace's: the cases pivot inside a chroot whose
// root is a tmpfs of the case, or put the old root back, but the last, whose
// umount of the old root cannot be undone.
#include "probe.h"
#include "as.h"
#include <sched.h>
#include <sys/mount.h>

/** The child's own mount namespace where it may have one (see above); what it answers differs by design, so it is not shown. */
static void private_namespace(void) {
  if (unshare(CLONE_NEWNS) == 0) mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static long pivot_root(const char *new_root, const char *put_old) { return syscall(SYS_pivot_root, new_root, put_old); }

/** Are `a` and `b` the same directory (device and inode)? */
static int same(const char *a, const struct stat *b) {
  struct stat st;
  return stat(a, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino;
}

static void show_cwd(const char *label) {
  char b[4096];
  if (!getcwd(b, sizeof b)) printf("%s: %s\n", label, strerrorname_np(errno)); else printf("%s: %s\n", label, b);
}

/** In a child: its root becomes a tmpfs of the case ("t"), its cwd that root; the sandbox's root is not involved. */
static void enter_jail(void) {
  private_namespace();
  mkdir("t", 0755);
  if (mount("none", "t", "tmpfs", 0, NULL) != 0 || chroot("t") != 0 || chdir("/") != 0) printf("jail: %s\n", strerrorname_np(errno));
}
/** What a jail leaves mounted in the probe's namespace (inside tvisor: the parent's). */
static void leave_jail(void) { while (umount2("t", MNT_DETACH) == 0) {} }

CASE(pivot_in_jail_with_put_old) {
  IN_CHILD {
    enter_jail();
    mkdir("/n", 0755); mkdir("/n/old", 0755); touch("/n/nfile"); touch("/tfile");
    SHOW("bind n on itself", mount("/n", "/n", NULL, MS_BIND, NULL));
    struct stat n, t; stat("/n", &n); stat("/", &t);
    SHOW("pivot", pivot_root("/n", "/n/old"));
    FACT("root is n %d\n", same("/", &n)); FACT("old root at put_old %d\n", same("/old", &t));
    show_cwd("cwd (was the old root)");
    SHOW("new root's file", access("/nfile", F_OK)); SHOW("old root's file", access("/old/tfile", F_OK));
    SHOW("n's directory under the old root", access("/old/n/nfile", F_OK));
    FACT("'..' of the root is the root %d\n", same("/..", &n));
    SHOW("pivot back", pivot_root("/old", "/old/n"));
    FACT("root is t again %d\n", same("/", &t)); FACT("n on its place again %d\n", same("/n", &n));
    SHOW("umount n", umount2("/n", 0));
  }
  leave_jail();
}
CASE(pivot_in_jail_dot_dot) {
  IN_CHILD {
    enter_jail();
    mkdir("/n", 0755); touch("/n/nfile"); touch("/tfile");
    SHOW("bind n on itself", mount("/n", "/n", NULL, MS_BIND, NULL));
    struct stat n, t; stat("/n", &n); stat("/", &t);
    int oldroot = open("/", O_PATH | O_DIRECTORY); mkdir("/sub", 0755); int oldsub = open("/sub", O_PATH | O_DIRECTORY);
    SHOW("chdir n", chdir("/n"));
    SHOW("pivot . .", pivot_root(".", "."));
    // The old root is stacked on the new one, where the cwd is; a walk starts below it, umount2 names the top.
    SHOW("cwd below the old root", access("nfile", F_OK)); SHOW("old root's file not through .", access("tfile", F_OK));
    SHOW("umount . detached", umount2(".", MNT_DETACH));
    SHOW("old root's file gone", access("tfile", F_OK)); SHOW("new root's file", access("nfile", F_OK));
    SHOW("chdir /", chdir("/")); show_cwd("cwd");
    FACT("root is n %d\n", same("/", &n)); FACT("'..' of the root is the root %d\n", same("/..", &n));
    // The old root, detached, is held by fds: '..' of its root is itself, as a mount on nothing.
    struct stat st;
    FACT("'..' of the detached root is itself %d\n", fstatat(oldroot, "..", &st, 0) == 0 && st.st_ino == t.st_ino && st.st_dev == t.st_dev);
    FACT("and from below it %d\n", fstatat(oldsub, "../..", &st, 0) == 0 && st.st_ino == t.st_ino && st.st_dev == t.st_dev);
    IN_CHILD {
      fchdir(oldsub); char b[4096]; long r = syscall(SYS_getcwd, b, sizeof b); FACT("getcwd in it %s\n", r < 0 ? strerrorname_np(errno) : b);
      SHOW("mount on the detached tree", mount("none", ".", "tmpfs", 0, NULL));
      SHOW("bind from the detached tree", mount(".", "/", NULL, MS_BIND, NULL));
    }
  }
  leave_jail();
}
CASE(pivot_moves_roots_and_cwds_at_the_old_root) {
  IN_CHILD {
    enter_jail();
    mkdir("/n", 0755); mkdir("/n/old", 0755); touch("/n/nfile"); mkdir("/sub", 0755);
    mount("/n", "/n", NULL, MS_BIND, NULL);
    // Two processes wait for the pivot: one with its cwd at the root, one in a directory below it.
    int go[2][2], ready[2]; pid_t kids[2]; char c;
    for (int i = 0; i < 2; i++) {
      pipe(go[i]); pipe(ready); fflush(stdout);
      if ((kids[i] = fork()) == 0) {
        chdir(i == 0 ? "/" : "/sub"); write(ready[1], "r", 1); read(go[i][0], &c, 1);
        show_cwd(i == 0 ? "cwd of the one at the root" : "cwd of the one below it");
        SHOW("its root moved", access("/nfile", F_OK));
        fflush(stdout); _exit(0);
      }
      read(ready[0], &c, 1); close(ready[0]); close(ready[1]);
    }
    SHOW("pivot", pivot_root("/n", "/n/old"));
    for (int i = 0; i < 2; i++) { write(go[i][1], "x", 1); waitpid(kids[i], NULL, 0); }
  }
  leave_jail();
}
CASE(pivot_put_old_with_a_mount_on_it) {
  IN_CHILD {
    enter_jail();
    mkdir("/n", 0755); mkdir("/n/old", 0755); touch("/tfile");
    mount("/n", "/n", NULL, MS_BIND, NULL);
    SHOW("tmpfs on put_old", mount("none", "/n/old", "tmpfs", 0, NULL)); touch("/n/old/under");
    SHOW("pivot", pivot_root("/n", "/n/old"));
    SHOW("old root on top", access("/old/tfile", F_OK)); SHOW("tmpfs covered", access("/old/under", F_OK));
    SHOW("umount old root", umount2("/old", 0));
    SHOW("tmpfs back", access("/old/under", F_OK));
  }
  leave_jail();
}
CASE(pivot_errors) {
  IN_CHILD {
    enter_jail();
    mkdir("/n", 0755); mkdir("/n/sub", 0755); touch("/n/f"); mkdir("/d", 0755); touch("/file"); symlink("/n", "/ln");
    mkdir("/src", 0755); mkdir("/dst", 0755);
    mount("/n", "/n", NULL, MS_BIND, NULL);
    SHOW("missing new root", pivot_root("/nope", "/n"));
    SHOW("missing put_old", pivot_root("/n", "/n/nope"));
    SHOW("empty new root", pivot_root("", "/n"));
    SHOW("new root a file", pivot_root("/file", "/n"));
    SHOW("put_old a file", pivot_root("/n", "/n/f"));
    mkdir("/m", 0755); mount("none", "/m", "tmpfs", 0, NULL); mkdir("/m/d", 0755);
    SHOW("new root on the root's mount", pivot_root("/d", "/d"));
    SHOW("new root not a mount's root", pivot_root("/m/d", "/m/d"));
    SHOW("new root below a mount's root", pivot_root("/n/sub", "/n/sub"));
    SHOW("put_old on the root's mount", pivot_root("/n", "/d"));
    SHOW("put_old outside new root", pivot_root("/n", "/m/d"));
    SHOW("put_old above new root", pivot_root("/n", "/n/.."));
    SHOW("new root the current root", pivot_root("/", "/n"));
    SHOW("put_old the current root", pivot_root("/n", "/"));
    mount("/src", "/dst", NULL, MS_BIND, NULL); rmdir("/src");
    SHOW("new root removed", pivot_root("/dst", "/dst"));
    AS(65534, 65534, 65534) {
      SHOW("not root", pivot_root("/n", "/n"));
      SHOW("not root, missing path", pivot_root("/nope", "/nope"));
    }
    IN_CHILD {
      mkdir("/d/m", 0755); chroot("/d"); mount("/m", "/m", NULL, MS_BIND, NULL);
      SHOW("current root no mount's root", pivot_root("/m", "/m"));
    }
    struct stat n; stat("/n", &n);
    SHOW("through a symlink", pivot_root("/ln", "/ln/sub"));
    FACT("root is n %d\n", same("/", &n)); SHOW("old root at put_old", access("/sub/file", F_OK));
  }
  leave_jail();
}
// The container runtimes' two sequences on the probe's own root, the second last (see above).
CASE(runtime_sequence_put_old) {
  IN_CHILD {
    private_namespace();
    char dir[4096], back[4200], old[4200]; getcwd(dir, sizeof dir);
    mkdir("new", 0755); mkdir("new/old", 0755); touch("new/inside");
    SHOW("rbind new on itself", mount("new", "new", NULL, MS_BIND | MS_REC, NULL));
    struct stat nst, root; stat("new", &nst); stat("/", &root);
    SHOW("pivot", pivot_root("new", "new/old"));
    FACT("root is new %d\n", same("/", &nst)); FACT("old root at /old %d\n", same("/old", &root));
    char cwd[4096]; snprintf(old, sizeof old, "/old%s", dir);
    FACT("cwd now under /old %d\n", getcwd(cwd, sizeof cwd) && !strcmp(cwd, old));
    SHOW("inside", access("/inside", F_OK));
    snprintf(back, sizeof back, "/old%s/new", dir);
    SHOW("pivot back", pivot_root("/old", back));
    FACT("root again %d\n", same("/", &root)); FACT("cwd again %d\n", getcwd(cwd, sizeof cwd) && !strcmp(cwd, dir));
    SHOW("umount new", umount2("new", 0));
  }
}
CASE(runtime_sequence_dot_dot) {
  IN_CHILD {
    private_namespace();
    mkdir("new", 0755); touch("new/inside"); mkdir("new/proc", 0755);
    SHOW("rbind new on itself", mount("new", "new", NULL, MS_BIND | MS_REC, NULL));
    struct stat nst; stat("new", &nst);
    SHOW("chdir new", chdir("new"));
    SHOW("pivot . .", pivot_root(".", "."));
    SHOW("umount . detached", umount2(".", MNT_DETACH));
    SHOW("chdir /", chdir("/")); show_cwd("cwd");
    FACT("root is new %d\n", same("/", &nst)); FACT("'..' of the root is the root %d\n", same("/..", &nst));
    SHOW("inside", access("/inside", F_OK));
    SHOW("mount proc", mount("proc", "/proc", "proc", 0, NULL));
    char b[256] = {0};
    SHOW("root link", readlink("/proc/self/root", b, sizeof b)); FACT("root link %s\n", b);
    FILE *f = fopen("/proc/self/mountinfo", "r"); int lines = 0; char line[1024];
    while (f && fgets(line, sizeof line, f)) lines++;
    FACT("mounts seen %d\n", lines);
    if (f) fclose(f);
    umount2("/proc", MNT_DETACH);
  }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(pivot_in_jail_with_put_old); RUN(pivot_in_jail_dot_dot); RUN(pivot_moves_roots_and_cwds_at_the_old_root);
  RUN(pivot_put_old_with_a_mount_on_it); RUN(pivot_errors); RUN(runtime_sequence_put_old); RUN(runtime_sequence_dot_dot);
  return 0;
}
