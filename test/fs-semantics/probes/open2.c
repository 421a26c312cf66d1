// open(2)'s flags in combination: O_CREAT with O_DIRECTORY, the access mode
// 3, O_TRUNC on each kind, O_APPEND against offsets, O_EXCL without O_CREAT,
// O_NOFOLLOW only on the last component, creat(), modes with special bits,
// and openat2's resolve flags and struct sizes.
#include "probe.h"
#include <linux/openat2.h>

static long openat2_(int dfd, const char *p, struct open_how *how, size_t size) { return syscall(SYS_openat2, dfd, p, how, size); }

CASE(creat_with_directory_flag) {
  mkdir("d", 0755); touch("f");
  SHOW("O_CREAT|O_DIRECTORY missing", open("new", O_CREAT | O_DIRECTORY | O_RDONLY, 0644)); SHOW("made", access("new", F_OK));
  SHOW("O_CREAT|O_DIRECTORY on dir", open("d", O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
  SHOW("O_CREAT|O_DIRECTORY on file", open("f", O_CREAT | O_DIRECTORY | O_RDONLY, 0644));
  SHOW("O_DIRECTORY missing", open("new", O_DIRECTORY | O_RDONLY));
}
CASE(access_mode_three) {
  int fd; OK("open mode 3", fd = open("f", O_CREAT | 3, 0644)); char b[2];
  SHOW("read", read(fd, b, 1)); SHOW("write", write(fd, "x", 1)); SHOW("fstat", ({ struct stat st; fstat(fd, &st); }));
  FACT("F_GETFL accmode %d\n", fcntl(fd, F_GETFL) & O_ACCMODE); mkdir("d", 0755); SHOW("mode 3 on dir", open("d", 3));
}
CASE(o_trunc_each_kind) {
  mkdir("d", 0755); mkfifo("p", 0644); int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "abc", 3); close(fd);
  SHOW("O_RDONLY|O_TRUNC dir", open("d", O_RDONLY | O_TRUNC)); SHOW("O_RDWR|O_TRUNC dir", open("d", O_RDWR | O_TRUNC));
  OK("O_RDWR|O_TRUNC|O_NONBLOCK fifo", open("p", O_RDWR | O_TRUNC | O_NONBLOCK));
  OK("O_WRONLY|O_TRUNC file", open("f", O_WRONLY | O_TRUNC)); struct stat st; stat("f", &st); FACT("size %ld\n", (long)st.st_size);
  SHOW("O_PATH|O_TRUNC", (write(open("f", O_WRONLY), "abc", 3), open("f", O_PATH | O_TRUNC) >= 0)); stat("f", &st); FACT("size after O_PATH %ld\n", (long)st.st_size);
}
CASE(o_append_and_offsets) {
  int fd = open("f", O_CREAT | O_RDWR | O_APPEND, 0644); write(fd, "abc", 3);
  SHOW("lseek 0", lseek(fd, 0, SEEK_SET)); SHOW("write", write(fd, "X", 1)); SHOW("offset after", lseek(fd, 0, SEEK_CUR));
  SHOW("pwrite at 0", pwrite(fd, "Y", 1, 0)); char b[8] = {0}; pread(fd, b, 8, 0); FACT("content %s\n", b);
  SHOW("offset after pwrite", lseek(fd, 0, SEEK_CUR)); lseek(fd, 1, SEEK_SET); SHOW("read honours offset", read(fd, b, 1)); FACT("byte %c\n", b[0]);
}
CASE(o_excl_without_creat) {
  touch("f"); mkdir("d", 0755);
  OK("O_EXCL on file", open("f", O_EXCL | O_RDONLY)); SHOW("O_EXCL on missing", open("m", O_EXCL | O_RDONLY));
  OK("O_EXCL on dir", open("d", O_EXCL | O_RDONLY)); SHOW("F_GETFL keeps O_EXCL", (fcntl(open("f", O_EXCL | O_RDONLY), F_GETFL) & O_EXCL) != 0);
}
CASE(o_nofollow_only_last_component) {
  mkdir("d", 0755); touch("d/f"); symlink("d", "ld"); symlink("f", "d/lf");
  OK("link in the middle", open("ld/f", O_RDONLY | O_NOFOLLOW)); SHOW("link last", open("d/lf", O_RDONLY | O_NOFOLLOW));
  SHOW("link to dir last, O_DIRECTORY", open("ld", O_RDONLY | O_NOFOLLOW | O_DIRECTORY)); OK("link last with trailing slash", open("ld/", O_RDONLY | O_NOFOLLOW));
  OK("O_PATH|O_NOFOLLOW", open("d/lf", O_PATH | O_NOFOLLOW));
}
CASE(creat_call) {
  int fd; OK("creat", fd = creat("f", 0640)); char b[2];
  SHOW("read from creat fd", read(fd, b, 1)); FACT("accmode %d\n", fcntl(fd, F_GETFL) & O_ACCMODE); write(fd, "hello", 5);
  OK("creat again truncates", creat("f", 0600)); struct stat st; stat("f", &st); FACT("size %ld mode %o\n", (long)st.st_size, st.st_mode & 07777);
  mkdir("d", 0755); SHOW("creat on dir", creat("d", 0644)); SHOW("creat in missing dir", creat("m/f", 0644));
}
CASE(creat_mode_special_bits) {
  struct stat st;
  close(open("a", O_CREAT | O_WRONLY, 07777)); stat("a", &st); FACT("07777 -> %o\n", st.st_mode & 07777);
  close(open("b", O_CREAT | O_WRONLY, 0)); stat("b", &st); FACT("0 -> %o\n", st.st_mode & 07777);
  close(open("c", O_CREAT | O_WRONLY, S_IFDIR | 0644)); stat("c", &st); FACT("S_IFDIR|0644 -> %s %o\n", ftype(st.st_mode), st.st_mode & 07777);
  mkdir("d", 07777); stat("d", &st); FACT("mkdir 07777 -> %o\n", st.st_mode & 07777);
  mkdir("e", S_IFREG | 0755); stat("e", &st); FACT("mkdir S_IFREG|0755 -> %s %o\n", ftype(st.st_mode), st.st_mode & 07777);
}
CASE(open_nonblock_regular_file) {
  int fd = open("f", O_CREAT | O_RDWR | O_NONBLOCK, 0644); write(fd, "ab", 2); lseek(fd, 0, SEEK_SET); char b[4];
  SHOW("read", read(fd, b, 4)); SHOW("read at eof", read(fd, b, 4)); FACT("O_NONBLOCK kept %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
}
CASE(independent_open_offsets) {
  int a = open("f", O_CREAT | O_RDWR, 0644), b = open("f", O_RDWR); write(a, "hello", 5);
  SHOW("second offset", lseek(b, 0, SEEK_CUR)); SHOW("second writes at 0", write(b, "J", 1)); char c[8] = {0}; pread(a, c, 5, 0); FACT("content %s\n", c);
  SHOW("first offset", lseek(a, 0, SEEK_CUR));
}
CASE(openat2_resolve_flags) {
  mkdir("d", 0755); touch("d/f"); symlink("d/f", "l"); symlink("/", "root"); int dfd = open(".", O_RDONLY);
  struct open_how h = {.flags = O_RDONLY};
  h.resolve = RESOLVE_NO_MAGICLINKS; char m[64]; snprintf(m, sizeof m, "/proc/self/fd/%d/d/f", dfd);
  OK("NO_MAGICLINKS through /proc/self/fd", openat2_(AT_FDCWD, m, &h, sizeof h));
  h.resolve = RESOLVE_NO_MAGICLINKS; OK("NO_MAGICLINKS plain symlink", openat2_(dfd, "l", &h, sizeof h));
  h.resolve = RESOLVE_NO_XDEV; OK("NO_XDEV within", openat2_(dfd, "d/f", &h, sizeof h));
  SHOW("NO_XDEV to /proc", openat2_(dfd, "/proc/self/status", &h, sizeof h));
  h.resolve = RESOLVE_BENEATH; SHOW("BENEATH through absolute link", openat2_(dfd, "root", &h, sizeof h));
  h.resolve = 0x80; SHOW("unknown resolve bit", openat2_(dfd, "d/f", &h, sizeof h));
}
CASE(openat2_struct_sizes) {
  touch("f"); struct { struct open_how h; unsigned long long extra; } big = {{.flags = O_RDONLY}, 0};
  SHOW("size 0", openat2_(AT_FDCWD, "f", &big.h, 0)); SHOW("size 23", openat2_(AT_FDCWD, "f", &big.h, 23));
  OK("size 32, zero tail", openat2_(AT_FDCWD, "f", &big.h, 32)); big.extra = 1;
  SHOW("size 32, non-zero tail", openat2_(AT_FDCWD, "f", &big.h, 32)); SHOW("size 4097", openat2_(AT_FDCWD, "f", &big.h, 4097));
  struct open_how m = {.flags = O_RDONLY, .mode = 0644}; SHOW("mode without O_CREAT", openat2_(AT_FDCWD, "f", &m, sizeof m));
  struct open_how u = {.flags = 1ULL << 40}; SHOW("unknown flag bit", openat2_(AT_FDCWD, "f", &u, sizeof u));
  struct open_how o = {.flags = O_RDONLY | (1 << 30)}; SHOW("open ignores what openat2 refuses", open("f", O_RDONLY | (1 << 30)) >= 0);
  SHOW("openat2 same flag", openat2_(AT_FDCWD, "f", &o, sizeof o));
}
CASE(open_then_replace_name) {
  int fd = open("f", O_CREAT | O_RDWR, 0644); write(fd, "old", 3); int g = open("g", O_CREAT | O_RDWR, 0644); write(g, "new", 3);
  rename("g", "f"); char b[4] = {0}; pread(fd, b, 3, 0); FACT("old fd reads %s\n", b);
  int h = open("f", O_RDONLY); pread(h, b, 3, 0); FACT("name now reads %s\n", b); struct stat st; fstat(fd, &st); FACT("old nlink %ld\n", (long)st.st_nlink);
}
CASE(open_dir_flags) {
  mkdir("d", 0755);
  OK("O_RDONLY|O_DIRECTORY", open("d", O_RDONLY | O_DIRECTORY)); SHOW("O_WRONLY|O_DIRECTORY", open("d", O_WRONLY | O_DIRECTORY));
  OK("O_RDONLY|O_APPEND on dir", open("d", O_RDONLY | O_APPEND)); OK("O_RDONLY|O_NONBLOCK on dir", open("d", O_RDONLY | O_NONBLOCK));
  SHOW("O_RDONLY|O_CREAT|O_EXCL on dir", open("d", O_RDONLY | O_CREAT | O_EXCL, 0644)); SHOW("O_DIRECTORY on . and ..", open(".", O_DIRECTORY) >= 0 && open("..", O_DIRECTORY) >= 0);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(creat_with_directory_flag); RUN(access_mode_three); RUN(o_trunc_each_kind); RUN(o_append_and_offsets); RUN(o_excl_without_creat);
  RUN(o_nofollow_only_last_component); RUN(creat_call); RUN(creat_mode_special_bits); RUN(open_nonblock_regular_file);
  RUN(independent_open_offsets); RUN(openat2_resolve_flags); RUN(openat2_struct_sizes); RUN(open_then_replace_name); RUN(open_dir_flags);
  return 0;
}
