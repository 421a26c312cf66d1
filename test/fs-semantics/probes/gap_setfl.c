// F_SETFL with O_NOATIME, which only the file's owner (by fsuid) or
// CAP_FOWNER may set: with other flags, on directories, after a chown, on
// O_PATH descriptors and on pipes.
#include "probe.h"
#include "as.h"

static void show_flags(const char *label, int fd) {
  int f = fcntl(fd, F_GETFL);
  FACT("%s: noatime %d append %d nonblock %d\n", label, !!(f & O_NOATIME), !!(f & O_APPEND), !!(f & O_NONBLOCK));
}

CASE(setfl_noatime_root_on_any_file) {
  mkfile("theirs", 0644, 65534, 65534);
  int fd = open("theirs", O_RDONLY);
  SHOW("F_SETFL O_NOATIME as root", fcntl(fd, F_SETFL, O_NOATIME)); show_flags("after", fd);
  SHOW("F_SETFL 0", fcntl(fd, F_SETFL, 0)); show_flags("cleared", fd);
}
CASE(setfl_noatime_with_other_flags) {
  mkfile("theirs", 0644, 0, 0); mkfile("mine", 0644, 65534, 65534);
  AS(65534, 65534, 65534) {
    int t = open("theirs", O_RDONLY), m = open("mine", O_RDONLY);
    SHOW("not owner, NOATIME|APPEND|NONBLOCK", fcntl(t, F_SETFL, O_NOATIME | O_APPEND | O_NONBLOCK)); show_flags("theirs", t);
    SHOW("not owner, APPEND|NONBLOCK", fcntl(t, F_SETFL, O_APPEND | O_NONBLOCK)); show_flags("theirs", t);
    SHOW("owner, NOATIME|APPEND|NONBLOCK", fcntl(m, F_SETFL, O_NOATIME | O_APPEND | O_NONBLOCK)); show_flags("mine", m);
    SHOW("owner, NONBLOCK", fcntl(m, F_SETFL, O_NONBLOCK)); show_flags("mine", m);
    int d = dup(m);
    SHOW("owner, through a dup", fcntl(d, F_SETFL, O_NOATIME)); show_flags("mine", m);
  }
}
CASE(setfl_noatime_judged_at_the_call) {
  // One description, opened by root: the caller's fsuid and the file's owner at the call decide.
  mkfile("f", 0644, 65534, 65534);
  int fd = open("f", O_RDONLY);
  AS(65534, 65534, 65534) { SHOW("user, owner now", fcntl(fd, F_SETFL, O_NOATIME)); show_flags("f", fd); }
  SHOW("F_SETFL 0", fcntl(fd, F_SETFL, 0));
  chown("f", 0, 0);
  AS(65534, 65534, 65534) { SHOW("user, owner no more", fcntl(fd, F_SETFL, O_NOATIME)); show_flags("f", fd); }
  AS(0, 0, 0) { setfsuid(65534); SHOW("root with fsuid 65534", fcntl(fd, F_SETFL, O_NOATIME)); show_flags("f", fd); }
}
CASE(setfl_noatime_on_directories) {
  mkdir("theirs", 0755); mkdir("mine", 0755); chown("mine", 65534, 65534);
  AS(65534, 65534, 65534) {
    int t = open("theirs", O_RDONLY | O_DIRECTORY), m = open("mine", O_RDONLY | O_DIRECTORY);
    SHOW("directory, not owner", fcntl(t, F_SETFL, O_NOATIME)); show_flags("theirs", t);
    SHOW("directory, owner", fcntl(m, F_SETFL, O_NOATIME)); show_flags("mine", m);
  }
}
CASE(setfl_noatime_on_o_path) {
  touch("f"); int fd = open("f", O_PATH);
  SHOW("F_SETFL O_NOATIME on O_PATH", fcntl(fd, F_SETFL, O_NOATIME));
  SHOW("F_SETFL O_APPEND on O_PATH", fcntl(fd, F_SETFL, O_APPEND));
  SHOW("O_PATH kept", !!(fcntl(fd, F_GETFL) & O_PATH));
}
CASE(setfl_noatime_on_a_pipe) {
  int p[2]; pipe(p);
  SHOW("pipe, root", fcntl(p[0], F_SETFL, O_NOATIME)); show_flags("pipe", p[0]);
  AS(65534, 65534, 65534) {
    int q[2]; pipe(q);
    SHOW("own pipe, user", fcntl(q[0], F_SETFL, O_NOATIME)); show_flags("own pipe", q[0]);
  }
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(setfl_noatime_root_on_any_file); RUN(setfl_noatime_with_other_flags); RUN(setfl_noatime_judged_at_the_call);
  RUN(setfl_noatime_on_directories); RUN(setfl_noatime_on_o_path); RUN(setfl_noatime_on_a_pipe);
  return 0;
}
