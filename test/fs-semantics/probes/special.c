// Special files: FIFOs (creation, every kind of open, data, EOF, waiting for
// the peer), unix socket nodes and device nodes made with mknod.
#include "probe.h"
#include "as.h"
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <stddef.h>
#include <sys/un.h>

static int mount_flag(unsigned long flag) { struct statvfs s; statvfs(".", &s); return (s.f_flag & flag) != 0; }
static void settle(void) { struct timespec ts = {0, 100000000}; nanosleep(&ts, NULL); }

CASE(mkfifo_basic) {
  SHOW("mkfifo", mkfifo("p", 0666)); show_owner("p", "p"); SHOW("again", mkfifo("p", 0666));
  struct stat st; stat("p", &st); FACT("size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
  SHOW("mkfifoat", mkfifoat(AT_FDCWD, "q", 0600)); show_owner("q", "q");
}
CASE(mknod_types) {
  SHOW("fifo", mknod("p", S_IFIFO | 0640, 0)); SHOW("sock", mknod("s", S_IFSOCK | 0640, 0)); SHOW("reg", mknod("r", S_IFREG | 0640, 0));
  SHOW("type 0 is reg", mknod("z", 0640, 0)); SHOW("bad type", mknod("b", 0170000 | 0640, 0)); SHOW("dir type", mknod("d", S_IFDIR | 0755, 0));
  show_owner("p", "p"); show_owner("s", "s"); show_owner("r", "r"); show_owner("z", "z");
}
CASE(mknod_devices_root) {
  SHOW("chr", mknod("c", S_IFCHR | 0600, makedev(1, 3))); SHOW("blk", mknod("b", S_IFBLK | 0600, makedev(7, 200)));
  struct stat st; lstat("c", &st); FACT("chr rdev %d,%d type %s\n", major(st.st_rdev), minor(st.st_rdev), ftype(st.st_mode));
  lstat("b", &st); FACT("blk rdev %d,%d type %s\n", major(st.st_rdev), minor(st.st_rdev), ftype(st.st_mode));
  SHOW("fifo ignores dev", mknod("p", S_IFIFO | 0600, makedev(1, 3))); lstat("p", &st); FACT("fifo rdev %d\n", (int)st.st_rdev);
}
CASE(device_open_follows_nodev) {
  mknod("c", S_IFCHR | 0666, makedev(1, 3)); mknod("b", S_IFBLK | 0666, makedev(240, 77));
  int nodev = mount_flag(ST_NODEV); errno = 0;
  int fd = open("c", O_WRONLY); int e = errno;
  FACT("null node opens unless nodev %d\n", nodev ? (fd < 0 && e == EACCES) : fd >= 0);
  FACT("writes as null does %d\n", fd < 0 || write(fd, "x", 1) == 1);
  errno = 0; fd = open("b", O_RDONLY); e = errno;
  FACT("unknown block device refused (EACCES on nodev, else ENXIO) %d\n", fd < 0 && e == (nodev ? EACCES : ENXIO));
}
CASE(mknod_errors) {
  touch("f"); SHOW("exists", mknod("f", S_IFIFO | 0644, 0)); SHOW("missing parent", mknod("no/p", S_IFIFO | 0644, 0));
  SHOW("through file", mknod("f/p", S_IFIFO | 0644, 0)); SHOW("trailing slash", mknod("p/", S_IFIFO | 0644, 0));
}
CASE(fifo_open_nonblock) {
  mkfifo("p", 0644);
  int r = open("p", O_RDONLY | O_NONBLOCK); OK("O_RDONLY|O_NONBLOCK", r);
  OK("O_WRONLY|O_NONBLOCK with reader", open("p", O_WRONLY | O_NONBLOCK));
  char b[8]; SHOW("read, writer open, empty", read(r, b, sizeof b));
  close(r);
  mkfifo("q", 0644); SHOW("O_WRONLY|O_NONBLOCK without reader", open("q", O_WRONLY | O_NONBLOCK));
}
CASE(fifo_open_rdwr) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); OK("O_RDWR", fd);
  SHOW("write", write(fd, "hello", 5)); char b[8] = {0}; SHOW("read", read(fd, b, sizeof b)); FACT("data %s\n", b);
  SHOW("O_RDWR|O_TRUNC", open("p", O_RDWR | O_TRUNC) >= 0); SHOW("O_CREAT existing", open("p", O_CREAT | O_RDWR, 0644) >= 0);
  SHOW("lseek", lseek(fd, 0, SEEK_SET));
}
CASE(fifo_eof_after_writer) {
  mkfifo("p", 0644);
  int r = open("p", O_RDONLY | O_NONBLOCK), w = open("p", O_WRONLY);
  OK("blocking O_WRONLY with reader", w);
  write(w, "ab", 2); close(w);
  char b[8]; SHOW("read data", read(r, b, sizeof b)); SHOW("then EOF", read(r, b, sizeof b));
  struct pollfd pf = {r, POLLIN, 0}; poll(&pf, 1, 0); FACT("POLLHUP %d\n", (pf.revents & POLLHUP) != 0);
}
CASE(fifo_blocking_reader_waits) {
  mkfifo("p", 0644); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { int fd = open("p", O_RDONLY); char b[16] = {0}; int n = read(fd, b, sizeof b); printf("reader got %d %s\n", n, b); fflush(stdout); _exit(0); }
  settle();
  int st; FACT("reader still waiting %d\n", waitpid(c, &st, WNOHANG) == 0);
  int w = open("p", O_WRONLY); OK("writer", w); write(w, "data", 4); close(w);
  waitpid(c, &st, 0); FACT("reader exit %d\n", WEXITSTATUS(st));
}
CASE(fifo_blocking_writer_waits) {
  mkfifo("p", 0644); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { int fd = open("p", O_WRONLY); _exit(fd >= 0 && write(fd, "xyz", 3) == 3 ? 0 : 1); }
  settle();
  int st; FACT("writer still waiting %d\n", waitpid(c, &st, WNOHANG) == 0);
  int r = open("p", O_RDONLY); OK("reader", r); char b[8] = {0};
  waitpid(c, &st, 0); FACT("writer exit %d\n", WEXITSTATUS(st)); SHOW("read", read(r, b, sizeof b)); FACT("data %s\n", b);
}
CASE(fifo_many_readers_one_writer) {
  mkfifo("p", 0644); fflush(stdout);
  pid_t c[3];
  for (int i = 0; i < 3; i++) if ((c[i] = fork()) == 0) { int fd = open("p", O_RDONLY); _exit(fd >= 0 ? 0 : 1); }
  settle();
  int w = open("p", O_WRONLY); OK("writer", w);
  int ok = 0; for (int i = 0; i < 3; i++) { int st; waitpid(c[i], &st, 0); ok += WIFEXITED(st) && WEXITSTATUS(st) == 0; }
  FACT("readers opened %d\n", ok);
}
CASE(fifo_waiting_open_killed) {
  mkfifo("p", 0644); fflush(stdout);
  pid_t c = fork();
  if (c == 0) { open("p", O_RDONLY); _exit(0); }
  settle(); kill(c, SIGKILL); int st; waitpid(c, &st, 0);
  FACT("killed %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  // tvisor ends the dead task's wait just after its death is reported (docs/design.md): allow it a moment.
  int w = -1;
  for (int i = 0; i < 100; i++) {
    errno = 0; w = open("p", O_WRONLY | O_NONBLOCK);
    if (w < 0) break;
    close(w); struct timespec ts = {0, 20000000}; nanosleep(&ts, NULL);
  }
  FACT("no reader left %s\n", w < 0 ? strerrorname_np(errno) : "still one");
  int r = open("p", O_RDONLY | O_NONBLOCK); OK("new reader", r); OK("writer", open("p", O_WRONLY | O_NONBLOCK));
}
CASE(fifo_fstat_and_fchmod) {
  mkfifo("p", 0640); int fd = open("p", O_RDWR); struct stat a, b;
  fstat(fd, &a); stat("p", &b);
  FACT("fstat fifo %d mode %o same inode as stat %d\n", S_ISFIFO(a.st_mode), a.st_mode & 07777, a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  SHOW("fchmod", fchmod(fd, 0600)); show_owner("p", "p"); SHOW("fchown", fchown(fd, 1000, 1000)); show_owner("p", "p");
  struct statx sx; SHOW("statx empty path", statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx)); FACT("statx mode %o\n", sx.stx_mode & 07777);
}
CASE(fifo_unlinked_while_open) {
  mkfifo("p", 0644); int fd = open("p", O_RDWR); SHOW("unlink", unlink("p"));
  SHOW("write", write(fd, "ok", 2)); char b[4] = {0}; SHOW("read", read(fd, b, 3)); FACT("data %s\n", b);
}
CASE(fifo_rename_and_link) {
  mkfifo("p", 0644); int r = open("p", O_RDONLY | O_NONBLOCK);
  SHOW("rename", rename("p", "q")); SHOW("link", link("q", "l")); struct stat st; lstat("l", &st); FACT("nlink %ld type %s\n", (long)st.st_nlink, ftype(st.st_mode));
  int w = open("l", O_WRONLY | O_NONBLOCK); OK("writer via link meets reader", w); write(w, "z", 1);
  char c = 0; SHOW("read", read(r, &c, 1)); FACT("byte %c\n", c);
}
CASE(fifo_two_names_one_pipe) {
  mkfifo("p", 0644); link("p", "q");
  int r = open("p", O_RDONLY | O_NONBLOCK), w = open("q", O_WRONLY | O_NONBLOCK);
  OK("write end by other name", w); write(w, "hi", 2); char b[4] = {0}; SHOW("read", read(r, b, 3)); FACT("data %s\n", b);
}
CASE(fifo_permissions_user) {
  mkfifo("p", 0600); mkfifo("q", 0606); chmod(".", 0777);
  AS(1000, 1000, 1000) {
    SHOW("root's 0600", open("p", O_RDONLY | O_NONBLOCK)); OK("0606 read", open("q", O_RDONLY | O_NONBLOCK)); OK("0606 rdwr", open("q", O_RDWR));
    SHOW("mkfifo", mkfifo("mine", 0600)); OK("own", open("mine", O_RDWR)); show_owner("mine", "mine");
  }
}
CASE(fifo_ops) {
  mkfifo("p", 0644);
  SHOW("truncate", truncate("p", 0)); SHOW("chmod", chmod("p", 0600)); SHOW("chown", chown("p", 1000, 1000)); show_owner("p", "p");
  SHOW("utimensat", utimensat(AT_FDCWD, "p", NULL, 0)); SHOW("O_DIRECTORY", open("p", O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  OK("O_PATH", open("p", O_PATH)); SHOW("access", access("p", R_OK | W_OK)); SHOW("unlink", unlink("p"));
}
CASE(fifo_in_setgid_dir) {
  mkdirp("d", 02777, 0, 3000);
  AS(1000, 1000, 1000) { mkfifo("d/p", 0644); }
  show_owner("p", "d/p");
}
CASE(sock_node_open) {
  mknod("s", S_IFSOCK | 0644, 0);
  SHOW("open", open("s", O_RDONLY)); SHOW("open nonblock", open("s", O_RDWR | O_NONBLOCK)); OK("O_PATH", open("s", O_PATH));
}
CASE(unix_socket_bind_connect) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {AF_UNIX, "sock"};
  SHOW("bind", bind(s, (struct sockaddr *)&a, sizeof a)); SHOW("listen", listen(s, 1));
  show_owner("sock", "sock");
  int c = socket(AF_UNIX, SOCK_STREAM, 0); SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  SHOW("bind again", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a));
}
CASE(fifo_dir_entry_type) {
  mkfifo("p", 0644); mknod("s", S_IFSOCK | 0644, 0);
  DIR *d = opendir("."); struct dirent *e; int fifo = 0, sock = 0;
  while ((e = readdir(d))) { if (!strcmp(e->d_name, "p")) fifo = e->d_type == DT_FIFO; if (!strcmp(e->d_name, "s")) sock = e->d_type == DT_SOCK; }
  closedir(d); FACT("d_type fifo %d sock %d\n", fifo, sock);
}

CASE(unix_socket_stream_data) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {AF_UNIX, "srv"};
  bind(s, (struct sockaddr *)&a, sizeof a); listen(s, 4);
  int c = socket(AF_UNIX, SOCK_STREAM, 0); SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int x = accept(s, NULL, NULL); OK("accept", x); SHOW("send", write(c, "ping", 4)); char b[8] = {0}; SHOW("recv", read(x, b, sizeof b)); FACT("data %s\n", b);
  mkdir("d", 0755); struct sockaddr_un rel = {AF_UNIX, "d/../srv"};
  SHOW("connect by another path", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&rel, sizeof rel));
  SHOW("unlink", unlink("srv")); SHOW("connect after unlink", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a));
}
CASE(unix_socket_connect_errors) {
  mkfifo("p", 0644); mknod("n", S_IFSOCK | 0644, 0); touch("f");
  struct sockaddr_un a = {AF_UNIX, "p"}, b = {AF_UNIX, "n"}, c = {AF_UNIX, "f"}, d = {AF_UNIX, "none"};
  SHOW("to a fifo", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a));
  SHOW("to an unbound socket node", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&b, sizeof b));
  SHOW("to a file", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&c, sizeof c));
  SHOW("to nothing", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&d, sizeof d));
  int s = socket(AF_UNIX, SOCK_DGRAM, 0); struct sockaddr_un e = {AF_UNIX, "dg"}; bind(s, (struct sockaddr *)&e, sizeof e);
  SHOW("stream to a datagram socket", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&e, sizeof e));
  int u = socket(AF_UNIX, SOCK_DGRAM, 0); SHOW("datagram connect", connect(u, (struct sockaddr *)&e, sizeof e));
  SHOW("send", send(u, "d", 1, MSG_DONTWAIT)); char ch = 0; SHOW("recv", recv(s, &ch, 1, MSG_DONTWAIT));
}
CASE(unix_socket_perms) {
  chmod(".", 0777);
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {AF_UNIX, "srv"};
  umask(0077); bind(s, (struct sockaddr *)&a, sizeof a); umask(022); listen(s, 4); show_owner("srv", "srv");
  AS(1000, 1000, 1000) {
    SHOW("connect to 0700 socket", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a));
    struct sockaddr_un m = {AF_UNIX, "mine"}; SHOW("bind own", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&m, sizeof m));
    show_owner("mine", "mine");
  }
  mkdirp("ro", 0555, 0, 0); struct sockaddr_un r = {AF_UNIX, "ro/s"};
  AS(1000, 1000, 1000) { SHOW("bind in 0555 dir", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&r, sizeof r)); }
}
CASE(abstract_socket) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0); struct sockaddr_un a = {AF_UNIX, "\0tvisor-probe-abstract"};
  socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
  char name[64]; snprintf(name, sizeof name, "%cprobe-%d", 0, getpid()); memcpy(a.sun_path, name, 1 + strlen(name + 1)); len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name + 1);
  SHOW("bind", bind(s, (struct sockaddr *)&a, len)); listen(s, 1);
  SHOW("connect", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  RUN(mkfifo_basic); RUN(mknod_types); RUN(mknod_devices_root); RUN(device_open_follows_nodev); RUN(mknod_errors);
  RUN(fifo_open_nonblock); RUN(fifo_open_rdwr); RUN(fifo_eof_after_writer); RUN(fifo_blocking_reader_waits);
  RUN(fifo_blocking_writer_waits); RUN(fifo_many_readers_one_writer); RUN(fifo_waiting_open_killed);
  RUN(fifo_fstat_and_fchmod); RUN(fifo_unlinked_while_open); RUN(fifo_rename_and_link); RUN(fifo_two_names_one_pipe);
  RUN(fifo_permissions_user); RUN(fifo_ops); RUN(fifo_in_setgid_dir); RUN(sock_node_open); RUN(unix_socket_bind_connect);
  RUN(fifo_dir_entry_type); RUN(unix_socket_stream_data); RUN(unix_socket_connect_errors); RUN(unix_socket_perms);
  RUN(abstract_socket);
  return 0;
}
