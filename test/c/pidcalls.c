// pidcalls PID: the calls that name a process by pid, each on PID, one line
// each: "name 0" or "name ERRNO-NAME". A container of a pod must get ESRCH
// for another container's process and reach its own.
// pidcalls user NICE|- PID...: setpriority(PRIO_USER, 0, NICE) (none for -),
// which must reach the caller's uid's processes of its own container only;
// then the nice value of each PID ("nice PID N").
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char *name, long r) {
  printf("%s %s\n", name, r < 0 ? strerrorname_np(errno) : "0");
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "user") == 0) {
    if (strcmp(argv[2], "-") != 0) report("setpriority_user", setpriority(PRIO_USER, 0, atoi(argv[2])));
    for (int i = 3; i < argc; i++) printf("nice %s %d\n", argv[i], getpriority(PRIO_PROCESS, atoi(argv[i])));
    return 0;
  }
  if (argc != 2) return 2;
  pid_t pid = atoi(argv[1]);
  struct rlimit rl;
  cpu_set_t set;
  struct sched_param sp;
  struct timespec ts;
  report("prlimit64", prlimit(pid, RLIMIT_NOFILE, NULL, &rl));
  report("sched_getaffinity", sched_getaffinity(pid, sizeof set, &set));
  report("sched_getscheduler", sched_getscheduler(pid));
  report("sched_getparam", sched_getparam(pid, &sp));
  report("sched_rr_get_interval", sched_rr_get_interval(pid, &ts));
  report("getpgid", getpgid(pid));
  report("getsid", getsid(pid));
  errno = 0;
  int prio = getpriority(PRIO_PROCESS, pid);
  report("getpriority", prio == -1 && errno ? -1 : 0);
  report("setpriority", setpriority(PRIO_PROCESS, pid, 5));
  report("ioprio_get", syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid));
  report("kcmp", syscall(SYS_kcmp, pid, pid, 0 /* KCMP_FILE */, 0, 0));
  return 0;
}
