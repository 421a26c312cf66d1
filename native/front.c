// tvisor (native/build/tvisor): the runtime's command line as engines run
// it. It runs bin/tvisor.js with Node for every command, except one it can
// hand to a process that has started already: a `create` of a container of
// a running pod goes to the pod's warm command line (src/oci/warm.ts), a
// Node process the pod's sandbox keeps with the runtime's modules loaded,
// listening at <root>/<sandbox id>/warm.sock. A join then costs no Node
// start-up (docs/design.md, "Pods").
//
// It decides nothing about the container: it finds the socket (the pod's
// sandbox id is the CRI or CRI-O annotation of config.json), starts the
// waiter engines wait for (native/waiter.c, as the Node command line would),
// and sends the command as it was given (argv, cwd, environment, stdio, the
// waiter). The warm command line parses and checks it with the runtime's
// own code and answers with the exit code, or asks for the Node path (a
// create that is not a join): nothing was done, and this program runs Node.
// Whenever the socket is not there or not answering, Node runs the command.
//
// Request (one SOCK_SEQPACKET message): int32 magic, argc, envc, the waiter's
// pid, then cwd, argv[1..] and environ, NUL-terminated; SCM_RIGHTS: fds 0,
// 1, 2 and the sandbox's end of the waiter's socket. Answer: int32 kind
// (TV_WARM_EXIT, TV_WARM_NODE), int32 exit code.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static char self_dir[PATH_MAX];

// Runs the command with Node: the only way out but a warm answer.
static void run_node(char **argv) {
  char cli[PATH_MAX + 32];
  snprintf(cli, sizeof cli, "%s/../../bin/tvisor.js", self_dir);
  int argc = 0;
  while (argv[argc]) argc++;
  char **args = calloc(argc + 2, sizeof *args);
  if (!args) _exit(127);
  args[0] = "node";
  args[1] = cli;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execv(TV_NODE, args);
  execvp("node", args);
  fprintf(stderr, "tvisor: cannot run node: %s\n", strerror(errno));
  _exit(127);
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

// argv as `[globals] create [options] ID`: the root, bundle and id; 0 for anything else.
static int parse_create(char **argv, const char **root, const char **bundle, const char **id) {
  static const char *const global_flags[] = {"--debug", "--systemd-cgroup", "--strace", NULL};
  static const char *const create_flags[] = {"--no-pivot", "--no-new-keyring", NULL};
  const char *ignored;
  int i = 1;
  *root = "/run/tvisor";
  *bundle = ".";
  *id = NULL;
  for (; argv[i] && argv[i][0] == '-'; i++) {
    if (option_value(argv, &i, "--root", root) || option_value(argv, &i, "--log", &ignored) ||
        option_value(argv, &i, "--log-format", &ignored) || option_value(argv, &i, "--debug-log", &ignored) ||
        option_value(argv, &i, "--gofer-timeout", &ignored) ||
        flag(argv[i], global_flags)) continue;
    return 0;
  }
  if (!argv[i] || strcmp(argv[i], "create") != 0) return 0;
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

static int connect_warm(const char *root, const char *sandbox) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/%s/warm.sock", root, sandbox);
  if (n < 0 || n >= (int)sizeof addr.sun_path) return -1;
  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  if (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) { close(sock); return -1; }
  return sock;
}

// The waiter (native/waiter.c) with `end` as its fd 3, in a session of its own as create's is.
static pid_t start_waiter(int end) {
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/tvisor-waiter", self_dir);
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  if (end == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(end, 3) < 0) _exit(125);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++) if (null < 0 || dup2(null, fd) < 0) _exit(125);
  syscall(SYS_close_range, 4, ~0U, 0);
  execl(path, path, "137", (char *)NULL);
  _exit(125);
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
  char ctl[CMSG_SPACE(sizeof fds)] = {0};
  struct iovec iov = {buf, len};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(c), fds, sizeof fds);
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  free(buf);
  return n == (ssize_t)len ? 0 : -1;
}

static void stop_waiter(pid_t waiter) {
  kill(waiter, SIGKILL);
  while (waitpid(waiter, NULL, 0) < 0 && errno == EINTR) {}
}

// A pod's join served by its warm command line: the exit code, or -1 for Node to run the command.
static int run_warm(char **argv) {
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
  int32_t answer[2] = {TV_WARM_NODE, 0};
  ssize_t n = -1;
  if (waiter > 0 && send_request(sock, argv, waiter, pair[0]) == 0) {
    close(pair[0]);
    pair[0] = -1;
    do n = recv(sock, answer, sizeof answer, 0);
    while (n < 0 && errno == EINTR);
  }
  if (pair[0] >= 0) close(pair[0]);
  close(sock);
  // No answer: the warm command line ended first (its sandbox did); Node serves the command.
  if (n != (ssize_t)sizeof answer || answer[0] != TV_WARM_EXIT) {
    if (waiter > 0) stop_waiter(waiter);
    return -1;
  }
  if (answer[1] != 0) stop_waiter(waiter);
  return answer[1];
}

int main(int argc, char **argv) {
  (void)argc;
  ssize_t n = readlink("/proc/self/exe", self_dir, sizeof self_dir - 1);
  if (n <= 0) { fprintf(stderr, "tvisor: cannot find itself\n"); return 127; }
  self_dir[n] = 0;
  *strrchr(self_dir, '/') = 0;
  int code = run_warm(argv);
  if (code >= 0) return code;
  run_node(argv);
}
