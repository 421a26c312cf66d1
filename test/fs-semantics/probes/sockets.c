// Unix sockets with a path: the names a socket shows (getsockname,
// getpeername, accept's and recvfrom's peer address, /proc/net/unix) are the
// path as the binder gave it, and datagrams sent to a path (sendto, sendmsg)
// reach the socket bound there. Abstract and unnamed sockets beside them.
#include "probe.h"
#include "as.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <fcntl.h>

static struct sockaddr_un addr_of(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  return a;
}
static socklen_t len_of(const struct sockaddr_un *a) { return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1; }

static int bound(int type, const char *path) {
  int s = socket(AF_UNIX, type, 0); struct sockaddr_un a = addr_of(path);
  if (bind(s, (struct sockaddr *)&a, len_of(&a)) != 0) { printf("bind %s: %s\n", path, strerrorname_np(errno)); return -1; }
  if (type == SOCK_STREAM) listen(s, 4);
  return s;
}

/** An address as a call returned it: its length, and its path (or "unnamed", or the abstract name after '@'). */
static void show_addr(const char *label, const struct sockaddr_un *a, socklen_t len) {
  if (len <= offsetof(struct sockaddr_un, sun_path)) { printf("%s: unnamed (len %u)\n", label, len); return; }
  if (a->sun_path[0] == 0) { printf("%s: abstract len %u\n", label, len); return; }
  printf("%s: \"%.*s\" len %u\n", label, (int)(len - offsetof(struct sockaddr_un, sun_path)), a->sun_path, len);
}
static void show_name(const char *label, int fd, int peer) {
  struct sockaddr_un a; socklen_t len = sizeof a; memset(&a, 0, sizeof a);
  int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
  if (r != 0) { printf("%s = -1 %s\n", label, strerrorname_np(errno)); return; }
  show_addr(label, &a, len);
}
/** Whether the name is exactly the path given (for paths that differ between runs: absolute ones). */
static void same_name(const char *label, int fd, int peer, const char *path) {
  struct sockaddr_un a; socklen_t len = sizeof a; memset(&a, 0, sizeof a);
  int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
  FACT("%s is the path given %d\n", label, r == 0 && len == len_of(&a) && !strcmp(a.sun_path, path));
}

CASE(getsockname_and_getpeername) {
  int s = bound(SOCK_STREAM, "srv"); show_name("server name", s, 0); show_name("server peer", s, 1);
  int c = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = addr_of("srv");
  SHOW("connect", connect(c, (struct sockaddr *)&a, len_of(&a)));
  show_name("client name", c, 0); show_name("client peer", c, 1);
  struct sockaddr_un p; socklen_t len = sizeof p; int x = accept(s, (struct sockaddr *)&p, &len); OK("accept", x);
  show_addr("accept's peer (unbound client)", &p, len); show_name("accepted name", x, 0); show_name("accepted peer", x, 1);
}
CASE(accept_peer_of_bound_client) {
  int s = bound(SOCK_STREAM, "srv"), c = bound(SOCK_STREAM, "cli");
  close(c); unlink("cli"); c = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un ca = addr_of("cli");
  SHOW("bind client", bind(c, (struct sockaddr *)&ca, len_of(&ca)));
  struct sockaddr_un a = addr_of("srv"); SHOW("connect", connect(c, (struct sockaddr *)&a, len_of(&a)));
  struct sockaddr_un p; socklen_t len = sizeof p; int x = accept4(s, (struct sockaddr *)&p, &len, SOCK_CLOEXEC); OK("accept4", x);
  show_addr("accept4's peer", &p, len); show_name("accepted peer", x, 1); show_name("client peer", c, 1);
  len = 4; memset(&p, 0, sizeof p); x = -1;
  int c2 = socket(AF_UNIX, SOCK_STREAM, 0); connect(c2, (struct sockaddr *)&a, len_of(&a));
  x = accept(s, (struct sockaddr *)&p, &len); OK("accept into a short buffer", x);
  FACT("short buffer: len %u (the full length), family %d\n", len, p.sun_family);
}
CASE(names_as_given) {
  mkdir("d", 0755);
  const char *paths[] = {"./a", "d/../b", "d//c", "d/./e"};
  for (int i = 0; i < 4; i++) { int s = bound(SOCK_STREAM, paths[i]); show_name(paths[i], s, 0); }
  char cwd[160], abs[200], abs2[200]; if (!getcwd(cwd, sizeof cwd)) return;
  snprintf(abs, sizeof abs, "%s/abs", cwd); int s = bound(SOCK_STREAM, abs); same_name("absolute", s, 0, abs);
  int c = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = addr_of("abs");
  SHOW("connect by a relative path", connect(c, (struct sockaddr *)&a, len_of(&a))); same_name("peer", c, 1, abs);
  snprintf(abs2, sizeof abs2, "%s/d/../abs2", cwd); int s2 = bound(SOCK_STREAM, abs2); same_name("absolute with ..", s2, 0, abs2);
  SHOW("unlink", unlink("abs")); same_name("peer after unlink", c, 1, abs); same_name("bound after unlink", s, 0, abs);
}
CASE(bind_errors) {
  mkdir("d", 0755); touch("f"); symlink("none", "dangling");
  const char *paths[] = {"x/", "d/", "d", ".", "..", "none/s", "f/s", "f", "dangling", "d/s/"};
  for (int i = 0; i < 10; i++) {
    struct sockaddr_un a = addr_of(paths[i]); char label[32]; snprintf(label, sizeof label, "bind \"%s\"", paths[i]);
    SHOW(label, bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len_of(&a)));
  }
  show_owner("d", "d"); SHOW("lstat x", access("x", F_OK));
}
CASE(name_after_rename) {
  int s = bound(SOCK_STREAM, "srv"); SHOW("rename", rename("srv", "moved"));
  show_name("name", s, 0);
  int c = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = addr_of("moved");
  SHOW("connect by the new name", connect(c, (struct sockaddr *)&a, len_of(&a))); show_name("peer", c, 1);
}
CASE(proc_net_unix_path) {
  int s = bound(SOCK_STREAM, "listed");
  struct stat st; fstat(s, &st);
  FILE *f = fopen("/proc/net/unix", "r"); if (!f) { FACT("/proc/net/unix: %s\n", strerrorname_np(errno)); return; }
  char line[512]; int found = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long ino; char path[256] = "";
    if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %255s", &ino, path) >= 1 && ino == (unsigned long)st.st_ino) {
      found = 1; FACT("path column: \"%s\"\n", path);
    }
  }
  fclose(f); FACT("listed %d\n", found);
}
/** recvfrom of one datagram, waiting for none: what came, and from whom. */
static void recv_from(const char *label, int fd) {
  struct sockaddr_un from; socklen_t len = sizeof from; char b[16] = {0}; memset(&from, 0, sizeof from);
  ssize_t n = recvfrom(fd, b, sizeof b - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &len);
  if (n < 0) { printf("%s = -1 %s\n", label, strerrorname_np(errno)); return; }
  printf("%s = \"%s\"\n", label, b); show_addr("  from", &from, len);
}
CASE(dgram_sendto_path) {
  int srv = bound(SOCK_DGRAM, "dg"), cli = bound(SOCK_DGRAM, "cl");
  struct sockaddr_un to = addr_of("dg"), from; socklen_t len = sizeof from; char b[16] = {0};
  SHOW("sendto", sendto(cli, "ping", 4, 0, (struct sockaddr *)&to, len_of(&to)));
  SHOW("recvfrom", recvfrom(srv, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &len)); FACT("data %s\n", b);
  if (len <= sizeof from) show_addr("sender", &from, len);
  SHOW("reply to the sender's address", sendto(srv, "pong", 4, 0, (struct sockaddr *)&from, len));
  recv_from("reply", cli);
  int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("sendto from an unbound socket", sendto(anon, "x", 1, 0, (struct sockaddr *)&to, len_of(&to)));
  recv_from("datagram of the unbound socket", srv);
  mkdir("d", 0755); struct sockaddr_un other = addr_of("d/../dg");
  SHOW("sendto by another path", sendto(anon, "y", 1, 0, (struct sockaddr *)&other, len_of(&other)));
  recv_from("datagram", srv);
  SHOW("sendto with length 0 address is send", sendto(anon, "z", 1, 0, (struct sockaddr *)&to, 0));
  SHOW("sendto again", sendto(cli, "again", 5, 0, (struct sockaddr *)&to, len_of(&to)));
  char buf[16] = {0}; struct msghdr m = {0}; struct iovec iov = {buf, sizeof buf - 1}; m.msg_iov = &iov; m.msg_iovlen = 1;
  memset(&from, 0, sizeof from); m.msg_name = &from; m.msg_namelen = sizeof from;
  SHOW("recvmsg", recvmsg(srv, &m, MSG_DONTWAIT)); FACT("data %s\n", buf); show_addr("recvmsg's sender", &from, m.msg_namelen);
}
CASE(dgram_sendto_errors) {
  mkfifo("p", 0644); mknod("n", S_IFSOCK | 0644, 0); touch("f"); bound(SOCK_STREAM, "st");
  int u = socket(AF_UNIX, SOCK_DGRAM, 0);
  const char *to[] = {"p", "n", "f", "none", "st", "f/x", ""};
  for (int i = 0; i < 7; i++) {
    struct sockaddr_un a = addr_of(to[i]); char label[32]; snprintf(label, sizeof label, "sendto \"%s\"", to[i]);
    SHOW(label, sendto(u, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, len_of(&a)));
  }
  int srv = bound(SOCK_DGRAM, "dg"); struct sockaddr_un a = addr_of("dg");
  SHOW("bad buffer", sendto(u, (void *)8, 1, 0, (struct sockaddr *)&a, len_of(&a)));
  SHOW("bad address", sendto(u, "x", 1, 0, (struct sockaddr *)8, len_of(&a)));
  SHOW("MSG_OOB", sendto(u, "x", 1, MSG_OOB, (struct sockaddr *)&a, len_of(&a)));
  SHOW("too long", sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a + 1));
  SHOW("family only", sendto(u, "x", 1, 0, (struct sockaddr *)&a, 2));
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("stream socket", sendto(st, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, len_of(&a)));
  int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW("unconnected seqpacket socket", sendto(sp, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, len_of(&a)));
  int c = socket(AF_UNIX, SOCK_DGRAM, 0); connect(c, (struct sockaddr *)&a, len_of(&a)); int other = bound(SOCK_DGRAM, "o");
  struct sockaddr_un oa = addr_of("o");
  SHOW("connected socket to another path", sendto(c, "x", 1, 0, (struct sockaddr *)&oa, len_of(&oa)));
  char b[4]; SHOW("recv at the other", recv(other, b, sizeof b, MSG_DONTWAIT)); SHOW("recv at the peer", recv(srv, b, sizeof b, MSG_DONTWAIT));
  chmod("dg", 0700); chmod(".", 0777);
  AS(1000, 1000, 1000) {
    SHOW("to a 0700 socket", sendto(socket(AF_UNIX, SOCK_DGRAM, 0), "x", 1, 0, (struct sockaddr *)&a, len_of(&a)));
  }
}
CASE(dgram_full_queue) {
  int srv = bound(SOCK_DGRAM, "dg"); struct sockaddr_un a = addr_of("dg");
  int u = socket(AF_UNIX, SOCK_DGRAM, 0); int n = 0;
  while (n < 10000 && sendto(u, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&a, len_of(&a)) == 1) n++;
  FACT("a full queue stops a non-blocking sender: %s\n", n < 10000 ? strerrorname_np(errno) : "never");
  char b[4]; while (recv(srv, b, sizeof b, MSG_DONTWAIT) == 1) n--;
  FACT("every datagram arrived %d\n", n == 0);
}
CASE(sendmsg_to_path) {
  int srv = bound(SOCK_DGRAM, "dg"), cli = bound(SOCK_DGRAM, "cl"); struct sockaddr_un a = addr_of("dg");
  struct iovec iov = {"ping", 4}; struct msghdr m = {.msg_name = &a, .msg_namelen = len_of(&a), .msg_iov = &iov, .msg_iovlen = 1};
  SHOW("sendmsg", sendmsg(cli, &m, 0)); char b[8] = {0}; SHOW("recv", recv(srv, b, sizeof b, MSG_DONTWAIT));
}
CASE(peer_credentials) {
  int s = bound(SOCK_STREAM, "srv"); struct sockaddr_un a = addr_of("srv");
  pid_t server = getpid(); int done[2], go[2]; pipe(done); pipe(go); char ch;
  pid_t client = fork();
  if (client == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0); connect(c, (struct sockaddr *)&a, len_of(&a));
    struct ucred u; socklen_t l = sizeof u; getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &l);
    printf("client sees the server's pid %d uid %d\n", u.pid == server, u.uid); fflush(stdout);
    write(done[1], "x", 1); read(go[0], &ch, 1); _exit(0);
  }
  int x = accept(s, NULL, NULL); read(done[0], &ch, 1); struct ucred u; socklen_t l = sizeof u;
  SHOW("SO_PEERCRED", getsockopt(x, SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("server sees the client's pid %d uid %d\n", u.pid == client, u.uid);
  write(go[1], "x", 1); waitpid(client, NULL, 0);
}
/** SO_PEERCRED names the process at the other end and its effective ids, whoever they are, and after it exited. */
CASE(peer_credentials_of_users) {
  int s = bound(SOCK_STREAM, "srv"); chmod("srv", 0777);
  struct sockaddr_un a = addr_of("srv"); struct ucred u; socklen_t l; pid_t server = getpid();
  char name[64]; int n = snprintf(name, sizeof name, "%cprobe-peercred-%d", 0, getpid());
  struct sockaddr_un ab = {.sun_family = AF_UNIX}; memcpy(ab.sun_path, name, n);
  socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + n;
  int as = socket(AF_UNIX, SOCK_STREAM, 0); bind(as, (struct sockaddr *)&ab, ablen); listen(as, 4);
  int pids[2]; pipe(pids);
  AS(1000, 1001, 1001) {
    pid_t me = getpid(); write(pids[1], &me, sizeof me);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect to a path as 1000", connect(c, (struct sockaddr *)&a, len_of(&a)));
    l = sizeof u; SHOW("client's SO_PEERCRED", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &l));
    FACT("client sees the server: pid %d uid %d gid %d len %u\n", u.pid == server, u.uid, u.gid, l);
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect to an abstract name as 1000", connect(c2, (struct sockaddr *)&ab, ablen));
    int sp[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    l = sizeof u; SHOW("socketpair's SO_PEERCRED", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, &l));
    FACT("socketpair's peer: itself %d uid %d gid %d\n", u.pid == me, u.uid, u.gid);
  }
  pid_t client = 0; read(pids[0], &client, sizeof client);
  // The client has exited: the accepted sockets still name it.
  int x = accept(s, NULL, NULL); l = sizeof u;
  SHOW("path server's SO_PEERCRED", getsockopt(x, SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("path server sees the client's ids: uid %d gid %d\n", u.uid, u.gid);
  int y = accept(as, NULL, NULL); l = sizeof u;
  SHOW("abstract server's SO_PEERCRED", getsockopt(y, SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("abstract server sees the client: pid %d uid %d gid %d\n", u.pid == client, u.uid, u.gid);
}
/** SO_PEERCRED's arguments: a short buffer, a negative length, bad pointers, other fds, no peer. */
CASE(peer_credentials_arguments) {
  int sp[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sp); struct ucred u; socklen_t l;
  memset(&u, 0xff, sizeof u); l = 4; SHOW("length 4", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("length 4: got %u, pid is mine %d, uid untouched %d\n", l, u.pid == getpid(), u.uid == (uid_t)-1);
  l = 64; char big[64]; SHOW("length 64", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, big, &l)); FACT("length 64: got %u\n", l);
  l = 0; SHOW("length 0", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, &l)); FACT("length 0: got %u\n", l);
  int neg = -1; SHOW("length -1", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, (socklen_t *)&neg));
  l = sizeof u; SHOW("bad optval", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, (void *)8, &l));
  SHOW("bad optlen", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &u, (socklen_t *)8));
  l = sizeof u; SHOW("a file", getsockopt(open(".", O_RDONLY | O_DIRECTORY), SOL_SOCKET, SO_PEERCRED, &u, &l));
  l = sizeof u; SHOW("a closed fd", getsockopt(1000, SOL_SOCKET, SO_PEERCRED, &u, &l));
  int lone = socket(AF_UNIX, SOCK_STREAM, 0); l = sizeof u;
  SHOW("unconnected", getsockopt(lone, SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("unconnected: pid %d uid %d gid %d\n", u.pid, (int)u.uid, (int)u.gid);
  int listener = bound(SOCK_STREAM, "lst"); l = sizeof u;
  SHOW("listening", getsockopt(listener, SOL_SOCKET, SO_PEERCRED, &u, &l));
  FACT("listening: pid is mine %d uid %d gid %d\n", u.pid == getpid(), (int)u.uid, (int)u.gid);
  int tcp = socket(AF_INET, SOCK_STREAM, 0); l = sizeof u;
  SHOW("an inet socket", getsockopt(tcp, SOL_SOCKET, SO_PEERCRED, &u, &l));
  int v; l = sizeof v; SHOW("the same number at IPPROTO_IP", getsockopt(tcp, IPPROTO_IP, SO_PEERCRED, &v, &l));
}
/** The peer's ids are those it had at connect and listen, not those it has now. */
CASE(peer_credentials_taken_at_connect) {
  int s = bound(SOCK_STREAM, "srv"); chmod("srv", 0777); struct sockaddr_un a = addr_of("srv");
  struct ucred u; socklen_t l; int connected[2], changed[2], done[2]; pipe(connected); pipe(changed); pipe(done); char ch;
  pid_t child = fork();
  if (child == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0); connect(c, (struct sockaddr *)&a, len_of(&a));
    write(connected[1], "x", 1); read(changed[0], &ch, 1);
    setegid(1001); seteuid(1000);
    l = sizeof u; getsockopt(c, SOL_SOCKET, SO_PEERCRED, &u, &l);
    printf("client, as 1000 now, sees the server (1003 now) as uid %d gid %d\n", u.uid, u.gid); fflush(stdout);
    write(done[1], "x", 1); _exit(0);
  }
  read(connected[0], &ch, 1); setegid(1002); seteuid(1003); write(changed[1], "x", 1); read(done[0], &ch, 1);
  int x = accept(s, NULL, NULL); l = sizeof u; getsockopt(x, SOL_SOCKET, SO_PEERCRED, &u, &l);
  FACT("server, as 1003 now, sees the client (1000 now) as uid %d gid %d\n", u.uid, u.gid);
  seteuid(0); setegid(0); waitpid(child, NULL, 0);
}
/** The ids a datagram to a path carries (SO_PASSCRED): the sender's real ids and pid. */
static void sender_of(const char *label, int srv, pid_t expected) {
  char b[8], ctl[CMSG_SPACE(sizeof(struct ucred))]; struct iovec iov = {b, sizeof b};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
  if (recvmsg(srv, &m, MSG_DONTWAIT) < 0) { printf("%s: %s\n", label, strerrorname_np(errno)); return; }
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (!c || c->cmsg_type != SCM_CREDENTIALS) { printf("%s: no credentials\n", label); return; }
  struct ucred u; memcpy(&u, CMSG_DATA(c), sizeof u);
  FACT("%s: pid is the sender %d uid %d gid %d\n", label, u.pid == expected, u.uid, u.gid);
}
static pid_t send_as_user(const char *path, int connected) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    setresgid(1001, 1001, 1001); setresuid(1000, 1000, 1000);
    int u = socket(AF_UNIX, SOCK_DGRAM, 0); struct sockaddr_un a = addr_of(path);
    if (connected) { connect(u, (struct sockaddr *)&a, len_of(&a)); send(u, "x", 1, 0); }
    else sendto(u, "x", 1, 0, (struct sockaddr *)&a, len_of(&a));
    _exit(0);
  }
  waitpid(p, NULL, 0);
  return p;
}
CASE(scm_credentials_of_users) {
  int srv = bound(SOCK_DGRAM, "dg"), one = 1; chmod("dg", 0777); setsockopt(srv, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  sender_of("sendto a path as 1000", srv, send_as_user("dg", 0));
}
CASE(scm_credentials_of_connected_sends) {
  int srv = bound(SOCK_DGRAM, "dg"), one = 1; chmod("dg", 0777); setsockopt(srv, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  sender_of("send on a connected socket as 1000", srv, send_as_user("dg", 1));
}
CASE(abstract_and_unnamed) {
  char name[64]; int n = snprintf(name, sizeof name, "%cprobe-sockets-%d", 0, getpid());
  struct sockaddr_un a = {.sun_family = AF_UNIX}; memcpy(a.sun_path, name, n); socklen_t len = offsetof(struct sockaddr_un, sun_path) + n;
  int s = socket(AF_UNIX, SOCK_DGRAM, 0); SHOW("bind abstract", bind(s, (struct sockaddr *)&a, len));
  struct sockaddr_un got; socklen_t glen = sizeof got; getsockname(s, (struct sockaddr *)&got, &glen);
  FACT("abstract name as given %d\n", glen == len && !memcmp(got.sun_path, name, n));
  int u = socket(AF_UNIX, SOCK_DGRAM, 0); SHOW("sendto abstract", sendto(u, "x", 1, 0, (struct sockaddr *)&a, len));
  char b[4]; SHOW("recv", recv(s, b, sizeof b, MSG_DONTWAIT));
  int auto_ = socket(AF_UNIX, SOCK_DGRAM, 0); struct sockaddr_un fam = {.sun_family = AF_UNIX};
  SHOW("autobind", bind(auto_, (struct sockaddr *)&fam, offsetof(struct sockaddr_un, sun_path)));
  show_name("autobound", auto_, 0);
  SHOW("sendto from autobound", sendto(auto_, "y", 1, 0, (struct sockaddr *)&a, len));
  struct sockaddr_un from; socklen_t flen = sizeof from; SHOW("recvfrom", recvfrom(s, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &flen));
  show_addr("sender", &from, flen);
  int sp[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sp); show_name("socketpair name", sp[0], 0); show_name("socketpair peer", sp[0], 1);
  show_name("unbound", socket(AF_UNIX, SOCK_STREAM, 0), 0);
  show_name("unconnected peer", socket(AF_UNIX, SOCK_STREAM, 0), 1);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  RUN(getsockname_and_getpeername); RUN(accept_peer_of_bound_client); RUN(names_as_given); RUN(bind_errors); RUN(name_after_rename);
  RUN(proc_net_unix_path); RUN(dgram_sendto_path); RUN(dgram_sendto_errors); RUN(dgram_full_queue); RUN(sendmsg_to_path);
  RUN(peer_credentials); RUN(peer_credentials_of_users); RUN(peer_credentials_arguments);
  RUN(peer_credentials_taken_at_connect); RUN(scm_credentials_of_users); RUN(scm_credentials_of_connected_sends);
  RUN(abstract_and_unnamed);
  return 0;
}
