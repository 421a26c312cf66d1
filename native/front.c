// tvisor (native/build/tvisor): the command line as bin/tvisor (npx) and
// engines run it. For `do` it starts the gofer beside the Node command line,
// so that their start-ups overlap, and removes the command line's cgroups
// once it has exited (docs/design.md, "Start-up"). A runtime
// command goes to a process that has started already, when there is one,
// instead of a new Node:
// - a `create` of a container of a running pod to the pod's warm command
//   line (src/oci/warm.ts), a Node process the pod's sandbox keeps with the
//   runtime's modules loaded, listening at <root>/<sandbox id>/warm.sock;
// - any other command to the state root's warm command lines, listening at
//   <root>/@warm.sock, which a command run with Node leaves behind for the
//   next ones (they serve a new sandbox's create and the short commands that
//   start nothing engines wait for: start, state, kill, delete, ...).
// Then a command costs no Node start-up (docs/design.md, "Warm command lines").
//
// It decides nothing about the container: it finds the socket (the pod's
// sandbox id is the CRI or CRI-O annotation of config.json), starts the
// process engines wait for a create (a join's waiter, native/waiter.c, or a
// spare sandbox process, as the Node command line would start either), and
// sends the command as it was given (argv, cwd, environment, stdio, that
// process). The warm command line parses and checks
// it with the runtime's own code and answers with the exit code, or asks
// for the Node path (a command it does not serve): nothing was done, and
// this program runs Node. Whenever the socket is not there or not
// answering, Node runs the command, told (TVISOR_WARM=start) that the root
// has no warm command line.
//
// Request (one SOCK_SEQPACKET message): int32 magic, argc, envc, the pid of
// the waiter or spare (0: none), then cwd, argv[1..] and environ,
// NUL-terminated; SCM_RIGHTS: fds 0, 1, 2 and, with a waiter or spare, the
// other end of its socket. Answer: int32 kind (TV_WARM_EXIT, TV_WARM_NODE), int32 exit code.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TV_NODE
#define TV_NODE "node"
#endif

enum { TV_WARM_MAGIC = 0x7476776d, TV_WARM_EXIT = 0, TV_WARM_NODE = 1 };
#define TV_WARM_MAX (256 * 1024)
#define TV_CONFIG_MAX (16 * 1024 * 1024)

extern char **environ;

// The fd table every Node process started here begins with (slots).
#define TV_FD_TABLE 4096

// A Node process has threads from its start, which share its fd table, so each time the table grows (the kernel
// doubles it: past 256 fds, 512, 1024, ...) expand_fdtable waits for an RCU grace period, 16-24 ms on these VMs,
// with the process's fd calls blocked: the sentry crossed 256 and 512 fds within its first few hundred opens (one
// for each guest description it keeps until its sweep). Grown here, where this process has one thread, the table
// costs no wait, and exec keeps it (fork does not: each child grows its own before its exec). The fd limit is
// raised for that one dup3 only.
static void presize_fd_table(void) {
  struct rlimit was, raised;
  if (getrlimit(RLIMIT_NOFILE, &was) != 0) return;
  raised = was;
  if (raised.rlim_cur != RLIM_INFINITY && raised.rlim_cur < TV_FD_TABLE)
    raised.rlim_cur = raised.rlim_max == RLIM_INFINITY || raised.rlim_max >= TV_FD_TABLE ? TV_FD_TABLE : raised.rlim_max;
  if (raised.rlim_cur != was.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) != 0) raised = was;
  int top = raised.rlim_cur == RLIM_INFINITY || raised.rlim_cur >= TV_FD_TABLE ? TV_FD_TABLE - 1 : (int)raised.rlim_cur - 1;
  int any = open("/", O_PATH | O_CLOEXEC);
  if (any >= 0 && top > any && dup3(any, top, O_CLOEXEC) == top) close(top);
  if (any >= 0) close(any);
  if (raised.rlim_cur != was.rlim_cur) setrlimit(RLIMIT_NOFILE, &was);
}

static char self_dir[PATH_MAX];

// Execs Node with `script` (when not NULL) and then `rest`, its fd table grown first; 127 if it cannot.
static void exec_node(const char *script, char **rest) {
  int n = 0;
  while (rest[n]) n++;
  char **args = calloc(n + 3, sizeof *args);
  if (!args) _exit(127);
  int i = 0;
  args[i++] = "node";
  if (script) args[i++] = (char *)script;
  for (int j = 0; j < n; j++) args[i++] = rest[j];
  presize_fd_table();
  execv(TV_NODE, args);
  execvp("node", args);
  fprintf(stderr, "tvisor: cannot run node: %s\n", strerror(errno));
  _exit(127);
}

// Runs the command with Node: the only way out but a warm answer.
static void run_node(char **argv, int root_has_warm) {
  char cli[PATH_MAX + 32];
  snprintf(cli, sizeof cli, "%s/../../dist/bundle/src/cli.js", self_dir);
  if (!root_has_warm) setenv("TVISOR_WARM", "start", 1);
  exec_node(cli, argv + 1);
}

// The value of a global or create option that takes one: "--opt v" or "--opt=v".
static int option_value(char **argv, int *i, const char *name, const char **out) {
  size_t len = strlen(name);
  if (strncmp(argv[*i], name, len) != 0) return 0;
  if (argv[*i][len] == '=') { *out = argv[*i] + len + 1; return 1; }
  if (argv[*i][len] != 0 || !argv[*i + 1]) return 0;
  *out = argv[++*i];
  return 1;
}

static int flag(const char *arg, const char *const *names) {
  for (; *names; names++) if (strcmp(arg, *names) == 0) return 1;
  return 0;
}

// argv as `[globals] COMMAND ...`: the root, and COMMAND's index; 0 if the globals do not parse.
static int parse_globals(char **argv, const char **root) {
  static const char *const global_flags[] = {"--debug", "--systemd-cgroup", "--strace", NULL};
  const char *ignored;
  int i = 1;
  *root = "/run/tvisor";
  for (; argv[i] && argv[i][0] == '-'; i++) {
    if (option_value(argv, &i, "--root", root) || option_value(argv, &i, "--log", &ignored) ||
        option_value(argv, &i, "--log-format", &ignored) || option_value(argv, &i, "--debug-log", &ignored) ||
        option_value(argv, &i, "--gofer-timeout", &ignored) ||
        flag(argv[i], global_flags)) continue;
    return 0;
  }
  return argv[i] ? i : 0;
}

// argv as `[globals] create [options] ID`: the root, bundle and id; 0 for anything else.
static int parse_create(char **argv, const char **root, const char **bundle, const char **id) {
  static const char *const create_flags[] = {"--no-pivot", "--no-new-keyring", NULL};
  const char *ignored;
  int i = parse_globals(argv, root);
  *bundle = ".";
  *id = NULL;
  if (!i || strcmp(argv[i], "create") != 0) return 0;
  for (i++; argv[i]; i++) {
    if (argv[i][0] != '-') {
      if (*id) return 0;
      *id = argv[i];
      continue;
    }
    if (option_value(argv, &i, "--bundle", bundle) || option_value(argv, &i, "-b", bundle) ||
        option_value(argv, &i, "--pid-file", &ignored) || option_value(argv, &i, "--console-socket", &ignored) ||
        option_value(argv, &i, "--preserve-fds", &ignored) || flag(argv[i], create_flags)) continue;
    return 0;
  }
  return *id != NULL;
}

static char *read_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  char *buf = malloc(TV_CONFIG_MAX + 1);
  size_t len = 0;
  ssize_t n;
  while (buf && len < TV_CONFIG_MAX && ((n = read(fd, buf + len, TV_CONFIG_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0) len += n;
  close(fd);
  if (buf) buf[len] = 0;
  return buf;
}

// The string value of "key" in the JSON text, if it is a plain id (no escapes); the warm side checks the rest.
static int annotation(const char *json, const char *key, char *out, size_t cap) {
  char quoted[128];
  snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char *p = strstr(json, quoted);
  if (!p) return 0;
  p += strlen(quoted);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return 0;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return 0;
  size_t n = 0;
  for (; *p != '"'; p++) {
    if (!*p || n + 1 >= cap || !(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
        *p == '_' || *p == '-' || *p == '.' || *p == '+')) return 0;
    out[n++] = *p;
  }
  out[n] = 0;
  return n > 0;
}

// The warm command line of a pod's sandbox, or with no sandbox the root's.
static int connect_warm(const char *root, const char *sandbox) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = sandbox ? snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s/warm.sock", root, sandbox)
                  : snprintf(addr.sun_path, sizeof addr.sun_path, "%s/@warm.sock", root);
  if (n < 0 || n >= (int)sizeof addr.sun_path) return -1;
  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) { close(sock); return -1; }
  return sock;
}

// A process of the command's, in a session of its own as create's sandbox is, with `end` as its fd 3.
static pid_t start_child(int end, const char *path, char *const *args, int null_stdio, int is_node) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  if (end == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(end, 3) < 0) _exit(125);
  if (null_stdio) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) if (null < 0 || dup2(null, fd) < 0) _exit(125);
  }
  syscall(SYS_close_range, 4, ~0U, 0);
  if (is_node) presize_fd_table();
  execv(path, args);
  execvp(args[0], args);
  _exit(125);
}

// The waiter (native/waiter.c), what engines wait for when a container joins a pod.
static pid_t start_waiter(int end) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/tvisor-waiter", self_dir);
  char *const args[] = {path, "137", NULL};
  return start_child(end, path, args, 1, 0);
}

// A spare sandbox process (src/sandbox-main.ts --spare) for a create the root's warm command line serves: with
// create's stdio, it loads the sentry meanwhile and takes its spec from `end`. Its last argument only names it (ps).
static pid_t start_spare(int end, const char *root, const char *id) {
  char script[PATH_MAX + 64], name[2 * PATH_MAX];
  snprintf(script, sizeof script, "%s/../../dist/bundle/src/sandbox-main.js", self_dir);
  snprintf(name, sizeof name, "%s/%s", root, id);
  char *const args[] = {"node", script, "--spare", name, NULL};
  return start_child(end, TV_NODE, args, 0, 1);
}

static int send_request(int sock, char **argv, pid_t waiter, int end) {
  char cwd[PATH_MAX];
  if (!getcwd(cwd, sizeof cwd)) return -1;
  char *buf = malloc(TV_WARM_MAX);
  if (!buf) return -1;
  int32_t hdr[4] = {TV_WARM_MAGIC, 0, 0, waiter};
  size_t len = sizeof hdr;
#define PUT(s) do { size_t l = strlen(s) + 1; if (len + l > TV_WARM_MAX) { free(buf); return -1; } memcpy(buf + len, s, l); len += l; } while (0)
  PUT(cwd);
  for (int i = 1; argv[i]; i++, hdr[1]++) PUT(argv[i]);
  for (char **e = environ; *e; e++, hdr[2]++) PUT(*e);
#undef PUT
  memcpy(buf, hdr, sizeof hdr);
  int fds[4] = {0, 1, 2, end};
  size_t nfds = end >= 0 ? 4 : 3;
  char ctl[CMSG_SPACE(sizeof fds)] = {0};
  struct iovec iov = {buf, len};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = CMSG_SPACE(nfds * sizeof *fds)};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(nfds * sizeof *fds);
  memcpy(CMSG_DATA(c), fds, nfds * sizeof *fds);
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  free(buf);
  return n == (ssize_t)len ? 0 : -1;
}

static void stop_child(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

// The warm command line's answer on sock: its exit code, or -1 (the Node path, or no answer: then *answered is 0).
static int await_answer(int sock, int *answered) {
  int32_t answer[2] = {TV_WARM_NODE, 0};
  ssize_t n;
  do n = recv(sock, answer, sizeof answer, 0);
  while (n < 0 && errno == EINTR);
  *answered = n == (ssize_t)sizeof answer;
  return *answered && answer[0] == TV_WARM_EXIT && answer[1] >= 0 ? answer[1] : -1;
}

// A pod's join served by its warm command line: the exit code, or -1 for Node to run the command.
static int run_join(char **argv) {
  const char *root, *bundle, *id;
  if (!parse_create(argv, &root, &bundle, &id)) return -1;
  char path[PATH_MAX + 16], sandbox[256];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  char *config = read_file(path);
  if (!config) return -1;
  int found = annotation(config, "io.kubernetes.cri.sandbox-id", sandbox, sizeof sandbox) ||
              annotation(config, "io.kubernetes.cri-o.SandboxID", sandbox, sizeof sandbox);
  free(config);
  if (!found || strcmp(sandbox, id) == 0) return -1;
  int sock = connect_warm(root, sandbox);
  if (sock < 0) return -1;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) { close(sock); return -1; }
  pid_t waiter = start_waiter(pair[1]);
  close(pair[1]);
  int code = -1, answered;
  if (waiter > 0 && send_request(sock, argv, waiter, pair[0]) == 0) {
    close(pair[0]);
    pair[0] = -1;
    code = await_answer(sock, &answered);
  }
  if (pair[0] >= 0) close(pair[0]);
  close(sock);
  // No answer: the warm command line ended first (its sandbox did); Node serves the command.
  if (code != 0 && waiter > 0) stop_child(waiter);
  return code;
}

// Any command served by the root's warm command line (a create with a spare sandbox process): the exit code, or -1
// for Node to run it. *present: whether the root has one (it answered).
static int run_root_warm(char **argv, int *present) {
  const char *root, *bundle, *id;
  *present = 0;
  int creating = parse_create(argv, &root, &bundle, &id);
  if (!creating && !parse_globals(argv, &root)) return -1;
  int sock = connect_warm(root, NULL);
  if (sock < 0) return -1;
  int pair[2] = {-1, -1};
  pid_t spare = 0;
  if (creating) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) { close(sock); return -1; }
    spare = start_spare(pair[1], root, id);
    close(pair[1]);
  }
  int code = -1;
  if (spare >= 0 && send_request(sock, argv, spare, pair[0]) == 0) {
    if (pair[0] >= 0) close(pair[0]);
    pair[0] = -1;
    code = await_answer(sock, present);
  }
  if (pair[0] >= 0) close(pair[0]);
  close(sock);
  // The spare is the container's sandbox only when create succeeded.
  if (code != 0 && spare > 0) stop_child(spare);
  return code;
}

// The caller's RLIMIT_NOFILE, in TVISOR_NOFILE ("soft:hard"): Node raises its soft limit to the hard one as it
// starts, and `do` gives its command the caller's, as a command run natively has it.
static void note_fd_limit(void) {
  struct rlimit rl;
  char text[64];
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  snprintf(text, sizeof text, "%llu:%llu", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  setenv("TVISOR_NOFILE", text, 1);
}

// `do`'s gofer (dist/bundle/gofer/main.js), started beside the command line instead of by it, so that the two Node
// start-ups run side by side (docs/design.md, "Start-up"): in the same session, /dev/null for stdin and stdout, its
// socket as fd 3. The command line finds it in TVISOR_GOFER ("fd,pid"). It is this process's child, which this
// process reaps once the command line has exited (the command line does not wait for its end). Returns its pid, and
// in *sock this process's copy of the command line's end, or -1.
static pid_t start_do_gofer(int *sock) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (dup2(pair[1], 3) < 0) _exit(125);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(125);
    syscall(SYS_close_range, 4, ~0U, 0);
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/../../dist/bundle/gofer/main.js", self_dir);
    char *const args[] = {"node", script, "--sock-fd", "3", NULL};
    presize_fd_table();
    execv(TV_NODE, args);
    execvp("node", args);
    _exit(125);
  }
  close(pair[1]);
  if (pid < 0 || fcntl(pair[0], F_SETFD, 0) < 0) {
    close(pair[0]);
    if (pid > 0) stop_child(pid);
    return -1;
  }
  char handed[64];
  snprintf(handed, sizeof handed, "%d,%d", pair[0], (int)pid);
  setenv("TVISOR_GOFER", handed, 1);
  *sock = pair[0];
  return pid;
}

static pid_t do_child;

static void pass_on(int sig) {
  kill(do_child, sig);
}

// Removes each NUL-terminated directory of list[0..len), in order; one that something is leaving may be busy a moment.
static void remove_dirs(char *list, ssize_t len) {
  for (char *dir = list; dir < list + len; dir += strlen(dir) + 1) {
    int tries = 0, r;
    while ((r = rmdir(dir)) < 0 && errno == EBUSY && tries++ < 200) usleep(5000);
    if (r < 0 && errno != ENOENT) fprintf(stderr, "tvisor: cannot remove %s: %s\n", dir, strerror(errno));
  }
}

// `do`: the command line and its gofer run as this process's children, which this process waits for, so that the
// cgroups the command line is in can be removed after both have exited: removing them itself, it would first move out, a write to
// cgroup.procs that waits for an RCU grace period (10-20 ms here) at the end of every run. It names them on a pipe
// (TVISOR_AFTER_EXIT="fd"; NUL-terminated directories, removed in order) and this process removes what it was told,
// then exits as the command line did. SIGTERM and SIGHUP, which end a sandbox, are passed on; SIGINT and SIGQUIT,
// which a terminal sends its whole foreground group (the command line and the guests are in it), are left to them.
// If this process dies first, the command line gets SIGTERM (PR_SET_PDEATHSIG), ends the sandbox and removes the
// cgroups itself.
static int run_do(char **argv) {
  int after[2], gofer_sock = -1;
  pid_t parent = getpid();
  note_fd_limit();
  pid_t gofer = start_do_gofer(&gofer_sock);
  if (pipe2(after, O_CLOEXEC) < 0 || (do_child = fork()) < 0) {
    fprintf(stderr, "tvisor: cannot start the command line: %s\n", strerror(errno));
    if (gofer > 0) stop_child(gofer);
    return 125;
  }
  if (do_child == 0) {
    char fd[16];
    close(after[0]);
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent || fcntl(after[1], F_SETFD, 0) < 0) _exit(125);
    snprintf(fd, sizeof fd, "%d", after[1]);
    setenv("TVISOR_AFTER_EXIT", fd, 1);
    run_node(argv, 1);
  }
  close(after[1]);
  if (gofer_sock >= 0) close(gofer_sock);
  struct sigaction pass = {.sa_handler = pass_on, .sa_flags = SA_RESTART}, ignore = {.sa_handler = SIG_IGN};
  sigaction(SIGTERM, &pass, NULL);
  sigaction(SIGHUP, &pass, NULL);
  sigaction(SIGINT, &ignore, NULL);
  sigaction(SIGQUIT, &ignore, NULL);
  int status;
  while (waitpid(do_child, &status, 0) < 0)
    if (errno != EINTR) return 125;
  // The gofer serves the command line only (which ended it unless it failed first): its cgroup is left once it is gone.
  if (gofer > 0) stop_child(gofer);
  // Written before it exited: there is nothing more to wait for.
  char list[16 * 1024];
  fcntl(after[0], F_SETFL, O_NONBLOCK);
  ssize_t len = read(after[0], list, sizeof list);
  if (len > 0 && list[len - 1] == 0) remove_dirs(list, len);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  // Ended by a signal: so does this process, without a core of its own.
  int sig = WTERMSIG(status);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t just;
  sigemptyset(&just);
  sigaddset(&just, sig);
  sigprocmask(SIG_UNBLOCK, &just, NULL);
  raise(sig);
  return 128 + sig;
}

// NODE_EXTRA_CA_CERTS, set for the caller's own Node programs, makes every Node process load OpenSSL's configuration
// and parse the whole file of certificates as it starts (40-60 ms of CPU each on these VMs, where the variable names
// the system's bundle): tvisor's programs make no TLS connection, so they start without it. It is kept in
// TVISOR_NODE_EXTRA_CA_CERTS, and `do` gives it back to its command, whose environment is the caller's.
static void keep_node_certs_aside(void) {
  const char *certs = getenv("NODE_EXTRA_CA_CERTS");
  if (!certs) return;
  setenv("TVISOR_NODE_EXTRA_CA_CERTS", certs, 1);
  unsetenv("NODE_EXTRA_CA_CERTS");
}

int main(int argc, char **argv) {
  (void)argc;
  keep_node_certs_aside();
  // `tvisor --node ARGS...` (src/programs.ts nodeProgram): Node with ARGS, its fd table grown first; how the
  // sandbox processes that Node spawns start (the API's, a create that Node runs).
  if (argv[1] && strcmp(argv[1], "--node") == 0) exec_node(NULL, argv + 2);
  ssize_t n = readlink("/proc/self/exe", self_dir, sizeof self_dir - 1);
  if (n <= 0) { fprintf(stderr, "tvisor: cannot find itself\n"); return 127; }
  self_dir[n] = 0;
  *strrchr(self_dir, '/') = 0;
  // `do` is no runtime command: no warm command line serves it.
  if (argv[1] && strcmp(argv[1], "do") == 0) return run_do(argv);
  int code = run_join(argv);
  if (code >= 0) return code;
  int present;
  code = run_root_warm(argv, &present);
  if (code >= 0) return code;
  run_node(argv, present);
}
