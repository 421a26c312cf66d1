// Ideas from gVisor's read.cc, write.cc, readv_common.cc, preadv2.cc,
// pwritev2.cc, readahead.cc and sync_file_range.cc and LTP's read/write/
// readv/writev/pread/pwrite tests, written anew: short reads and writes at a
// fault, IOV_MAX and length overflow, errors of positional I/O, RWF_NOAPPEND,
// and readahead and sync_file_range arguments.
#include "probe.h"
#include <limits.h>
#include <sys/mman.h>
#include <sys/uio.h>

static long size_of(const char *p) { struct stat st; return stat(p, &st) ? -1 : (long)st.st_size; }
static int with(const char *p, const char *s) { int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644); write(fd, s, strlen(s)); lseek(fd, 0, SEEK_SET); return fd; }
static void content(const char *p) { char b[64] = {0}; int fd = open(p, O_RDONLY); read(fd, b, sizeof b - 1); close(fd); printf("%s: %s\n", p, b); }
/** Two pages: the first readable and writable, the second inaccessible. */
static char *guarded(void) {
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); mprotect(m + 4096, 4096, PROT_NONE);
  memset(m, 'g', 4096); return m;
}

CASE(write_short_at_fault) {
  int fd = with("f", ""); char *m = guarded();
  SHOW("write 20 from 10 before the guard", write(fd, m + 4086, 20)); FACT("size %ld pos %ld\n", size_of("f"), (long)lseek(fd, 0, SEEK_CUR));
  SHOW("write starting at the guard", write(fd, m + 4096, 5)); SHOW("pwrite 20 from 3 before", pwrite(fd, m + 4093, 20, 100)); FACT("size %ld\n", size_of("f"));
}
CASE(read_short_at_fault) {
  char big[64]; memset(big, 'r', sizeof big); int w = open("f", O_CREAT | O_WRONLY, 0644); write(w, big, sizeof big); close(w);
  int fd = open("f", O_RDONLY); char *m = guarded();
  SHOW("read 30 into 10 before the guard", read(fd, m + 4086, 30)); FACT("pos %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  SHOW("read into the guard", read(fd, m + 4096, 5)); FACT("pos %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  SHOW("pread 30 into 7 before", pread(fd, m + 4089, 30, 0)); FACT("last byte %c\n", m[4095]);
}
CASE(iov_max_boundaries) {
  int fd = with("f", ""); static struct iovec v[1025]; static char b[1025];
  for (int i = 0; i < 1025; i++) { v[i].iov_base = b + i; v[i].iov_len = 1; b[i] = 'a' + i % 26; }
  SHOW("writev 1024", writev(fd, v, 1024)); SHOW("writev 1025", writev(fd, v, 1025)); FACT("size %ld\n", size_of("f"));
  lseek(fd, 0, SEEK_SET); SHOW("readv 1024", readv(fd, v, 1024)); SHOW("readv 1025", readv(fd, v, 1025));
  SHOW("preadv 0 iovecs", preadv(fd, v, 0, 0)); SHOW("pwritev 1025", pwritev(fd, v, 1025, 0));
}
CASE(iov_total_length_overflow) {
  int fd = with("f", "abc"); char a[4];
  struct iovec v[2] = {{a, SSIZE_MAX}, {a, 2}}; SHOW("readv past SSIZE_MAX", readv(fd, v, 2)); SHOW("writev past SSIZE_MAX", writev(fd, v, 2));
  struct iovec n[1] = {{a, (size_t)-1}}; SHOW("readv length -1", readv(fd, n, 1)); FACT("pos %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  struct iovec z[3] = {{NULL, 0}, {a, 2}, {NULL, 0}}; SHOW("readv with empty NULL entries", readv(fd, z, 3)); FACT("%.2s\n", a);
}
CASE(positional_io_errors) {
  int fd = with("f", "abcdef"), p[2]; pipe(p); mkdir("d", 0755); mkfifo("q", 0644); int d = open("d", O_RDONLY), q = open("q", O_RDWR); char b[4];
  SHOW("pread negative offset", pread(fd, b, 1, -1)); SHOW("pwrite negative offset", pwrite(fd, "x", 1, -1));
  SHOW("pread pipe", pread(p[0], b, 1, 0)); SHOW("pwrite pipe", pwrite(p[1], "x", 1, 0)); SHOW("pread fifo", pread(q, b, 1, 0));
  SHOW("pread dir", pread(d, b, 1, 0)); SHOW("pwrite read-only fd", pwrite(open("f", O_RDONLY), "x", 1, 0));
  SHOW("pread write-only fd", pread(open("f", O_WRONLY), b, 1, 0)); SHOW("write to pipe read end", write(p[0], "x", 1));
  SHOW("read from pipe write end", read(p[1], b, 1)); SHOW("preadv negative", preadv(fd, &(struct iovec){b, 1}, 1, -5));
}
CASE(rwf_noappend) {
  int fd = open("f", O_CREAT | O_RDWR | O_APPEND, 0644); write(fd, "0123456789", 10); struct iovec v = {"AB", 2};
  SHOW("pwritev2 RWF_NOAPPEND at 2", pwritev2(fd, &v, 1, 2, 0x20)); content("f"); FACT("size %ld\n", size_of("f"));
  SHOW("pwritev2 RWF_NOAPPEND offset -1", pwritev2(fd, &v, 1, -1, 0x20)); content("f");
  SHOW("RWF_APPEND with RWF_NOAPPEND", pwritev2(fd, &v, 1, 0, 0x10 | 0x20)); SHOW("plain pwrite still appends", pwrite(fd, "Z", 1, 0)); content("f");
}
CASE(readahead_kinds) {
  int fd = with("f", "abc"), p[2]; pipe(p); mkdir("d", 0755);
  SHOW("file", readahead(fd, 0, 100)); SHOW("past end", readahead(fd, 1 << 20, 100)); SHOW("zero count", readahead(fd, 0, 0));
  SHOW("write-only fd", readahead(open("f", O_WRONLY), 0, 1)); SHOW("pipe", readahead(p[0], 0, 1)); SHOW("bad fd", readahead(999, 0, 1));
  SHOW("O_PATH", readahead(open("f", O_PATH), 0, 1)); SHOW("negative offset", readahead(fd, -1, 1));
}
CASE(sync_file_range_args) {
  int fd = with("f", "abc"), p[2]; pipe(p);
  SHOW("whole file", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
  SHOW("negative offset", sync_file_range(fd, -1, 1, SYNC_FILE_RANGE_WRITE)); SHOW("negative count", sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE));
  SHOW("overflowing range", sync_file_range(fd, 0x7ffffffffffffff0L, 0x100, SYNC_FILE_RANGE_WRITE)); SHOW("pipe", sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE));
  SHOW("read-only fd", sync_file_range(open("f", O_RDONLY), 0, 0, SYNC_FILE_RANGE_WRITE)); SHOW("no flags", sync_file_range(fd, 0, 0, 0));
  mkdir("d", 0755); SHOW("dir", sync_file_range(open("d", O_RDONLY), 0, 0, SYNC_FILE_RANGE_WRITE));
}
CASE(preadv_across_eof) {
  int fd = with("f", "0123456789"); char a[4] = {0}, b[4] = {0}, c[4] = {0}; struct iovec v[3] = {{a, 3}, {b, 3}, {c, 3}};
  SHOW("preadv at 4", preadv(fd, v, 3, 4)); FACT("%s|%s|%s\n", a, b, c); memset(c, 0, 4);
  SHOW("preadv at 9", preadv(fd, v, 3, 9)); FACT("%.1s\n", a); SHOW("preadv at 10", preadv(fd, v, 3, 10)); SHOW("preadv at 50", preadv(fd, v, 3, 50));
  FACT("pos %ld\n", (long)lseek(fd, 0, SEEK_CUR));
}
CASE(appender_and_plain_writer) {
  int a = open("f", O_CREAT | O_WRONLY | O_APPEND, 0644), p = open("f", O_WRONLY);
  write(a, "aaaa", 4); write(p, "P", 1); write(a, "bb", 2); write(p, "Q", 1); lseek(p, 0, SEEK_END); write(p, "E", 1); write(a, "c", 1);
  content("f"); FACT("plain pos %ld append pos %ld\n", (long)lseek(p, 0, SEEK_CUR), (long)lseek(a, 0, SEEK_CUR));
  ftruncate(p, 3); write(a, "T", 1); write(p, "U", 1); content("f");
}
CASE(dup2_over_fd_in_use) {
  int a = with("a", "aaaa"), b = with("b", "bbbb"); read(a, (char[2]){0}, 2);
  SHOW("dup2 a over b", dup2(a, b) == b); char x[4] = {0}; SHOW("read through b", read(b, x, 2)); FACT("%s pos %ld\n", x, (long)lseek(a, 0, SEEK_CUR));
  SHOW("write through b", write(b, "Z", 1)); content("a"); content("b"); SHOW("close b", close(b)); SHOW("a still open", write(a, "Y", 1)); content("a");
}
CASE(write_then_shrink_then_read_each_fd) {
  int a = with("f", "0123456789"), b = open("f", O_RDONLY); lseek(a, 8, SEEK_SET); lseek(b, 6, SEEK_SET);
  ftruncate(a, 4); char x[8] = {0};
  SHOW("read b past new end", read(b, x, 4)); SHOW("b pos", lseek(b, 0, SEEK_CUR)); SHOW("write a past new end", write(a, "W", 1));
  FACT("size %ld\n", size_of("f")); SHOW("pread hole", pread(b, x, 8, 2)); FACT("bytes %c%c %d %d %d %d %c\n", x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(write_short_at_fault); RUN(read_short_at_fault); RUN(iov_max_boundaries); RUN(iov_total_length_overflow); RUN(positional_io_errors);
  RUN(rwf_noappend); RUN(readahead_kinds); RUN(sync_file_range_args); RUN(preadv_across_eof); RUN(appender_and_plain_writer);
  RUN(dup2_over_fd_in_use); RUN(write_then_shrink_then_read_each_fd);
  return 0;
}
