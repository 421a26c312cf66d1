// Credentials: the uid/gid family, supplementary groups, fsuid/fsgid,
// capabilities as capget shows them, per-thread creds, fork and exec.
#include "probe.h"
#include "as.h"
#include <linux/capability.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

static void ids(const char *label) {
  uid_t r, e, s; gid_t gr, ge, gs;
  getresuid(&r, &e, &s); getresgid(&gr, &ge, &gs);
  printf("%s: uid %d %d %d fsuid %d gid %d %d %d fsgid %d\n", label, r, e, s, setfsuid(-1), gr, ge, gs, setfsgid(-1));
}
static struct __user_cap_data_struct capdata[2];
static void caps(const char *label) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  syscall(SYS_capget, &h, capdata);
  printf("%s: eff %s perm %s inh %x dac_override %d setuid %d\n", label,
         capdata[0].effective == 0 ? "none" : capdata[0].effective == capdata[0].permitted ? "=perm" : "some",
         capdata[0].permitted == 0 ? "none" : capdata[0].permitted == 0xffffffff ? "all" : "some",
         capdata[0].inheritable, (capdata[0].effective >> CAP_DAC_OVERRIDE) & 1, (capdata[0].effective >> CAP_SETUID) & 1);
}
#define CHILD for (pid_t _c = fork() ? (wait(NULL), -1) : 0; _c == 0; _c = as_end())

CASE(ids_initial) { ids("root"); caps("root"); }
CASE(setuid_root_to_user) {
  CHILD { SHOW("setuid", setuid(1000)); ids("after"); caps("after"); SHOW("seteuid 0", seteuid(0)); SHOW("setuid 0", setuid(0)); }
}
CASE(seteuid_and_back) {
  CHILD { SHOW("seteuid", seteuid(1000)); ids("user"); caps("user"); SHOW("seteuid 0", seteuid(0)); ids("back"); caps("back"); }
}
CASE(setreuid_rules) {
  CHILD {
    SHOW("setreuid 1000 2000", setreuid(1000, 2000)); ids("a");
    SHOW("swap", setreuid(2000, 1000)); ids("b");
    SHOW("to other", setreuid(3000, -1)); SHOW("euid to saved", setreuid(-1, 1000)); ids("c");
    SHOW("unchanged", setreuid(-1, -1));
  }
}
CASE(setresuid_rules) {
  CHILD {
    SHOW("setresuid", setresuid(1000, 2000, 3000)); ids("a"); caps("a");
    SHOW("permute", setresuid(3000, 1000, 2000)); ids("b");
    SHOW("new id", setresuid(4000, -1, -1)); SHOW("new saved", setresuid(-1, -1, 0)); ids("c");
  }
}
CASE(setuid_nonroot_to_saved) {
  CHILD {
    setresuid(1000, 1000, 2000); SHOW("setuid saved", setuid(2000)); ids("a");
    SHOW("setuid other", setuid(3000)); SHOW("setuid real", setuid(1000)); ids("b");
  }
}
CASE(setuid_invalid) { CHILD { SHOW("setuid -1", setuid(-1)); SHOW("setgid -1", setgid(-1)); SHOW("setresuid -1s", setresuid(-1, -1, -1)); ids("same"); } }
CASE(setgid_rules) {
  CHILD {
    SHOW("setgid", setgid(1000)); ids("a"); SHOW("setgid back (root)", setgid(0)); ids("b");
    SHOW("setregid", setregid(10, 20)); ids("c"); seteuid(1000);
    SHOW("setresgid new", setresgid(5, 5, 5)); SHOW("setegid saved", setegid(20)); SHOW("setegid real", setegid(10)); ids("d");
    SHOW("setgid other", setgid(30)); SHOW("setregid swap", setregid(10, 10)); ids("e");
  }
}
CASE(setfsuid_root) {
  mkdirp("d", 0777, 0, 0);
  CHILD {
    printf("setfsuid returns %d\n", setfsuid(1000)); printf("query %d\n", setfsuid(-1)); ids("fs");
    close(open("d/f", O_CREAT | O_WRONLY, 0644)); show_owner("created", "d/f"); caps("fs 1000");
    printf("back %d\n", setfsuid(0)); caps("fs 0");
  }
}
CASE(setfsuid_nonroot) {
  CHILD {
    setresuid(1000, 1000, 2000);
    printf("to 0 %d\n", setfsuid(0)); printf("query %d\n", setfsuid(-1));
    printf("to saved %d\n", setfsuid(2000)); printf("query %d\n", setfsuid(-1));
  }
}
CASE(setfsgid_creates) {
  mkdirp("d", 0777, 0, 0);
  CHILD { printf("setfsgid %d\n", setfsgid(500)); close(open("d/f", O_CREAT | O_WRONLY, 0644)); show_owner("created", "d/f"); ids("fs"); }
}
CASE(setfsuid_drops_fs_caps) {
  mkfile("f", 0600, 2000, 2000);
  CHILD {
    setfsuid(1000); SHOW("open other's 0600", open("f", O_RDONLY)); SHOW("chown", chown("f", 1, 1));
    setfsuid(0); OK("open again", open("f", O_RDONLY)); SHOW("chown again", chown("f", 3000, 3000)); show_owner("f", "f");
  }
}
CASE(setgroups_sorted) {
  CHILD {
    gid_t g[3] = {30, 10, 20}, out[8];
    SHOW("setgroups", setgroups(3, g)); int n = getgroups(8, out);
    printf("groups %d:", n); for (int i = 0; i < n; i++) printf(" %d", out[i]); printf("\n");
    SHOW("count", getgroups(0, NULL)); SHOW("too small", getgroups(1, out));
    SHOW("empty", setgroups(0, NULL)); SHOW("count", getgroups(0, NULL));
  }
}
CASE(setgroups_limits) {
  CHILD {
    static gid_t many[65537];
    SHOW("65536", setgroups(65536, many)); SHOW("count", getgroups(0, NULL));
    SHOW("65537", syscall(SYS_setgroups, 65537, many)); SHOW("negative", syscall(SYS_setgroups, -1, many));
    SHOW("bad pointer", syscall(SYS_setgroups, 2, (void *)8));
  }
}
CASE(setgroups_nonroot) {
  CHILD { seteuid(1000); gid_t g = 5; SHOW("setgroups", setgroups(1, &g)); SHOW("too many", syscall(SYS_setgroups, 70000, &g)); }
}
CASE(capget_versions) {
  struct __user_cap_header_struct h = {0x1234, 0};
  SHOW("bad version", syscall(SYS_capget, &h, capdata)); printf("version now %#x\n", h.version);
  h.version = 0x1234; SHOW("bad version, no data", syscall(SYS_capget, &h, NULL));
  h.version = _LINUX_CAPABILITY_VERSION_1; SHOW("v1", syscall(SYS_capget, &h, capdata));
  h.pid = -5; h.version = _LINUX_CAPABILITY_VERSION_3; SHOW("negative pid", syscall(SYS_capget, &h, capdata));
}
CASE(capset_drop_and_raise) {
  mkfile("f", 0, 0, 0);
  CHILD {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    syscall(SYS_capget, &h, capdata);
    capdata[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
    SHOW("drop effective", syscall(SYS_capset, &h, capdata)); caps("dropped");
    OK("read mode 0", open("f", O_RDONLY)); SHOW("write mode 0", open("f", O_WRONLY));
    capdata[0].effective |= 1u << CAP_DAC_OVERRIDE; SHOW("raise", syscall(SYS_capset, &h, capdata));
    OK("open again", open("f", O_RDONLY));
    capdata[0].permitted &= ~(1u << CAP_DAC_OVERRIDE); capdata[0].effective &= ~(1u << CAP_DAC_OVERRIDE);
    SHOW("drop permitted", syscall(SYS_capset, &h, capdata));
    capdata[0].effective |= 1u << CAP_DAC_OVERRIDE; SHOW("effective beyond permitted", syscall(SYS_capset, &h, capdata));
    capdata[0].permitted |= 1u << CAP_DAC_OVERRIDE; SHOW("permitted back", syscall(SYS_capset, &h, capdata));
  }
}
CASE(fork_inherits) {
  CHILD { seteuid(1000); gid_t g = 7; setgroups(1, &g); CHILD { ids("grandchild"); printf("groups %d\n", getgroups(0, NULL)); } ids("child"); }
  ids("parent");
}
static void *report_euid(void *arg) { (void)arg; printf("thread euid %ld\n", syscall(SYS_geteuid)); return NULL; }
static void *raw_seteuid(void *arg) {
  (void)arg; printf("thread setresuid %ld\n", syscall(SYS_setresuid, -1, 1000, -1));
  printf("thread euid %ld\n", syscall(SYS_geteuid)); return NULL;
}
CASE(thread_own_creds) {
  CHILD {
    pthread_t th; pthread_create(&th, NULL, raw_seteuid, NULL); pthread_join(th, NULL);
    printf("main euid %ld\n", syscall(SYS_geteuid));
  }
}
static pthread_barrier_t bar;
static void *wait_then_report(void *arg) { pthread_barrier_wait(&bar); pthread_barrier_wait(&bar); return report_euid(arg); }
CASE(glibc_seteuid_all_threads) {
  CHILD {
    pthread_barrier_init(&bar, NULL, 2); pthread_t th; pthread_create(&th, NULL, wait_then_report, NULL);
    pthread_barrier_wait(&bar); SHOW("seteuid", seteuid(1000)); pthread_barrier_wait(&bar); pthread_join(th, NULL);
  }
}
static void copy_self(const char *to, mode_t mode, uid_t uid, gid_t gid) {
  int in = open("/proc/self/exe", O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0700);
  char buf[65536]; ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
  close(in); close(out); chown(to, uid, gid); chmod(to, mode);
}
static int nosuid(void) { struct statvfs s; statvfs(".", &s); return (s.f_flag & ST_NOSUID) != 0; }
/** Runs the program with the expected set-id owner (-1: none) and the caller's effective ids. */
static void run_ids(const char *prog, long setuid_to, long setgid_to) {
  char a[4][32];
  snprintf(a[0], 32, "%ld", setuid_to); snprintf(a[1], 32, "%ld", setgid_to);
  snprintf(a[2], 32, "%d", geteuid()); snprintf(a[3], 32, "%d", getegid());
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) { execl(prog, prog, "--ids", a[0], a[1], a[2], a[3], NULL); printf("exec: %s\n", strerrorname_np(errno)); _exit(1); }
  int st; waitpid(p, &st, 0);
}
/** In the executed program: are the ids what exec gives, set-id bits counting unless the mount is nosuid? */
static void report_exec(char **argv) {
  long su = atol(argv[2]), sg = atol(argv[3]), ce = atol(argv[4]), cg = atol(argv[5]);
  uid_t r, e, s; gid_t gr, ge, gs;
  getresuid(&r, &e, &s); getresgid(&gr, &ge, &gs);
  int apply = !nosuid();
  printf("exec: ruid %d rgid %d\n", r, gr);
  printf("euid as expected %d egid as expected %d\n", e == (uid_t)(su >= 0 && apply ? su : ce), ge == (gid_t)(sg >= 0 && apply ? sg : cg));
  printf("saved and fs ids follow %d %d %d %d\n", s == e, setfsuid(-1) == (int)e, gs == ge, setfsgid(-1) == (int)ge);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  syscall(SYS_capget, &h, capdata);
  int secure = e != r || ge != gr || (r != 0 && capdata[0].effective != 0);
  printf("AT_SECURE iff ids changed %d\n", getauxval(AT_SECURE) == (unsigned long)secure);
  printf("permitted iff a root id %d effective follows euid %d\n", (capdata[0].permitted != 0) == (r == 0 || e == 0),
         e == 0 ? capdata[0].effective == capdata[0].permitted : capdata[0].effective == 0);
}
CASE(exec_keeps_ids) {
  copy_self("x", 0755, 0, 0);
  CHILD { seteuid(1000); run_ids("./x", -1, -1); }
  CHILD { setuid(1000); run_ids("./x", -1, -1); }
}
CASE(exec_setuid_file) {
  copy_self("x", 04755, 2000, 0);
  AS(1000, 1000, 1000) { run_ids("./x", 2000, -1); }
}
CASE(exec_setgid_file) {
  copy_self("x", 02755, 0, 3000);
  AS(1000, 1000, 1000) { run_ids("./x", -1, 3000); }
  copy_self("y", 02745, 0, 3000);
  AS(1000, 1000, 1000) { run_ids("./y", -1, -1); }
}
CASE(exec_setuid_root_file) {
  copy_self("x", 04755, 0, 0);
  CHILD { setuid(1000); run_ids("./x", 0, -1); }
}
CASE(exec_setuid_script) {
  int fd = open("s", O_CREAT | O_WRONLY, 0755); dprintf(fd, "#!/bin/sh\nid -u\n"); close(fd);
  chown("s", 2000, 0); chmod("s", 04755);
  CHILD { setuid(1000); fflush(stdout); if (fork() == 0) { execl("./s", "./s", NULL); _exit(1); } wait(NULL); }
}
CASE(access_real_ids) {
  mkfile("f", 0600, 0, 0);
  CHILD {
    seteuid(1000);
    SHOW("access R_OK (real root)", access("f", R_OK)); SHOW("AT_EACCESS", faccessat(AT_FDCWD, "f", R_OK, AT_EACCESS));
    SHOW("open", open("f", O_RDONLY));
  }
  CHILD {
    setreuid(1000, 0);
    SHOW("access R_OK (real 1000)", access("f", R_OK)); SHOW("AT_EACCESS", faccessat(AT_FDCWD, "f", R_OK, AT_EACCESS));
    OK("open", open("f", O_RDONLY)); SHOW("faccessat2 AT_EACCESS", syscall(439, AT_FDCWD, "f", R_OK, AT_EACCESS));
  }
}
CASE(access_real_ids_walk) {
  mkdirp("d", 0700, 0, 0); mkfile("d/f", 0644, 0, 0);
  CHILD { setreuid(1000, 0); SHOW("access through 0700 dir", access("d/f", F_OK)); OK("stat", open("d/f", O_RDONLY)); }
}
CASE(setuid_child_only) {
  CHILD { setuid(1000); }
  ids("parent");
}

CASE(setuid_nonroot_to_root_refused) {
  CHILD { setresuid(1000, 1000, 1000); SHOW("setuid 0", setuid(0)); SHOW("seteuid 0", seteuid(0)); SHOW("setreuid 0", setreuid(0, -1)); SHOW("setfsuid 0 then query", setfsuid(0) * 0 + setfsuid(-1)); }
}
CASE(setresgid_permute) {
  CHILD {
    setresgid(10, 20, 30); seteuid(1000);
    SHOW("permute", setresgid(30, 10, 20)); ids("a"); SHOW("new", setresgid(-1, 40, -1)); SHOW("setfsgid saved", setfsgid(20) * 0 + setfsgid(-1));
  }
}
CASE(groups_grant_access) {
  mkfile("f", 0040, 0, 7000);
  CHILD { gid_t g = 7000; setgroups(1, &g); seteuid(1000); OK("via new group", open("f", O_RDONLY)); seteuid(0); setgroups(0, NULL); seteuid(1000); SHOW("groups dropped", open("f", O_RDONLY)); }
}
CASE(capget_other_pid) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 999999};
  SHOW("no such pid", syscall(SYS_capget, &h, capdata));
  fflush(stdout);
  // The child says when its setuid is done: a sleep lost that race on a loaded machine.
  int ready[2];
  if (pipe(ready) != 0) return;
  pid_t c = fork();
  if (c == 0) { setuid(1000); char x = 1; (void)!write(ready[1], &x, 1); pause(); _exit(0); }
  char x;
  (void)!read(ready[0], &x, 1);
  close(ready[0]); close(ready[1]);
  h.pid = c; h.version = _LINUX_CAPABILITY_VERSION_3; SHOW("child", syscall(SYS_capget, &h, capdata)); FACT("child eff %x\n", capdata[0].effective);
  kill(c, SIGKILL); waitpid(c, NULL, 0);
  h.pid = 0; h.version = _LINUX_CAPABILITY_VERSION_3; SHOW("capset other pid", syscall(SYS_capset, &(struct __user_cap_header_struct){_LINUX_CAPABILITY_VERSION_3, 1}, capdata));
}
CASE(getgroups_bad_pointer) {
  CHILD { gid_t g[2] = {1, 2}; setgroups(2, g); SHOW("EFAULT", syscall(SYS_getgroups, 2, (void *)8)); SHOW("negative", syscall(SYS_getgroups, -1, g)); }
}

CASE(keepcaps_across_setuid) {
  copy_self("x", 0755, 0, 0);
  CHILD {
    SHOW("get", prctl(PR_GET_KEEPCAPS)); SHOW("set", prctl(PR_SET_KEEPCAPS, 1)); SHOW("get", prctl(PR_GET_KEEPCAPS));
    SHOW("set 2", prctl(PR_SET_KEEPCAPS, 2)); SHOW("setresuid", setresuid(1000, 1000, 1000)); caps("kept");
    run_ids("./x", -1, -1);
  }
  CHILD { setresuid(1000, 1000, 1000); caps("not kept"); }
}
CASE(bounding_set) {
  CHILD {
    SHOW("read chown", prctl(PR_CAPBSET_READ, CAP_CHOWN)); SHOW("read invalid", prctl(PR_CAPBSET_READ, 200));
    SHOW("drop", prctl(PR_CAPBSET_DROP, CAP_CHOWN)); SHOW("read again", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    SHOW("drop invalid", prctl(PR_CAPBSET_DROP, 200));
    seteuid(1000); SHOW("drop as user", prctl(PR_CAPBSET_DROP, CAP_KILL)); SHOW("drop invalid as user", prctl(PR_CAPBSET_DROP, 200));
  }
}

/** A uid's priorities (PRIO_USER, IOPRIO_WHO_USER) reach every thread of that uid, and only those the caller may change. */
CASE(priority_of_a_uid) {
  CHILD {
    // The helpers end when the case closes `ready`; `up` says the other uid's process has its uid.
    int ready[2], up[2];
    if (pipe(ready) < 0 || pipe(up) < 0) return;
    char b;
    pid_t other = fork();
    if (other == 0) {
      setresuid(54322, 54322, 54322);
      close(ready[1]); close(up[1]);
      (void)!read(ready[0], &b, 1);
      _exit(0);
    }
    close(up[1]);
    (void)!read(up[0], &b, 1);
    setresuid(54321, 54321, 54321);
    pid_t sibling = fork();
    if (sibling == 0) { close(ready[1]); (void)!read(ready[0], &b, 1); _exit(0); }
    // Raw calls: getpriority's value is 20 - nice, never negative.
    SHOW("get none", syscall(SYS_getpriority, PRIO_USER, 54323));
    SHOW("io get before", syscall(SYS_ioprio_get, 3 /* IOPRIO_WHO_USER */, 0));
    SHOW("set mine", syscall(SYS_setpriority, PRIO_USER, 0, 5));
    SHOW("get self", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("get sibling", syscall(SYS_getpriority, PRIO_PROCESS, sibling));
    SHOW("get mine", syscall(SYS_getpriority, PRIO_USER, 54321));
    SHOW("lower refused", syscall(SYS_setpriority, PRIO_USER, 0, 0));
    SHOW("set other uid", syscall(SYS_setpriority, PRIO_USER, 54322, 10));
    SHOW("get other uid", syscall(SYS_getpriority, PRIO_USER, 54322));
    SHOW("bad which", syscall(SYS_setpriority, 3, 0, 5));
    // ioprio_set's who 0 is uid 0 (Linux's make_kuid(ns, 0)), ioprio_get's the caller's uid.
    SHOW("io set who 0", syscall(SYS_ioprio_set, 3, 0, 3 << 13));
    SHOW("io set mine", syscall(SYS_ioprio_set, 3, 54321, 3 << 13 /* IDLE */));
    SHOW("io get sibling", syscall(SYS_ioprio_get, 1, sibling));
    SHOW("io get mine", syscall(SYS_ioprio_get, 3, 0));
    SHOW("io get other uid", syscall(SYS_ioprio_get, 3, 54322));
    SHOW("io rt refused", syscall(SYS_ioprio_set, 3, 54321, 1 << 13));
    SHOW("io bad class", syscall(SYS_ioprio_set, 3, 54321, 5 << 13));
    SHOW("io other uid", syscall(SYS_ioprio_set, 3, 54322, 2 << 13));
    SHOW("io none", syscall(SYS_ioprio_get, 3, 54323));
    close(ready[1]);
    waitpid(sibling, NULL, 0);
    waitpid(other, NULL, 0);
  }
}

int main(int argc, char **argv) {
  if (argc > 5 && strcmp(argv[1], "--ids") == 0) { report_exec(argv); return 0; }
  probe_init(argc, argv);
  RUN(ids_initial); RUN(setuid_root_to_user); RUN(seteuid_and_back); RUN(setreuid_rules); RUN(setresuid_rules);
  RUN(setuid_nonroot_to_saved); RUN(setuid_invalid); RUN(setgid_rules); RUN(setfsuid_root); RUN(setfsuid_nonroot);
  RUN(setfsgid_creates); RUN(setfsuid_drops_fs_caps); RUN(setgroups_sorted); RUN(setgroups_limits);
  RUN(setgroups_nonroot); RUN(capget_versions); RUN(capset_drop_and_raise); RUN(fork_inherits);
  RUN(thread_own_creds); RUN(glibc_seteuid_all_threads); RUN(exec_keeps_ids); RUN(exec_setuid_file);
  RUN(exec_setgid_file); RUN(exec_setuid_root_file); RUN(exec_setuid_script); RUN(access_real_ids); RUN(access_real_ids_walk);
  RUN(setuid_child_only); RUN(setuid_nonroot_to_root_refused); RUN(setresgid_permute); RUN(groups_grant_access);
  RUN(capget_other_pid); RUN(getgroups_bad_pointer); RUN(keepcaps_across_setuid); RUN(bounding_set);
  RUN(priority_of_a_uid);
  return 0;
}
