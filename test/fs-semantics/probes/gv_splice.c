// Ideas from gVisor's sendfile.cc and splice.cc and LTP's sendfile, splice
// and copy_file_range tests, written anew: which check sendfile makes first,
// a file sent to itself, counts beyond the file and bad offsets, splice's
// argument errors, copy_file_range against access modes, and a large file
// carried through a pipe in pieces.
#include "probe.h"
#include <sys/sendfile.h>

static int with(const char *p, const char *s) { int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644); write(fd, s, strlen(s)); lseek(fd, 0, SEEK_SET); return fd; }
static void content(const char *p) { char b[64] = {0}; int fd = open(p, O_RDONLY); read(fd, b, sizeof b - 1); close(fd); printf("%s: %s\n", p, b); }
static long pos(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

CASE(sendfile_check_order) {
  with("f", "some data"); int r = open("f", O_RDONLY), w = open("f", O_WRONLY), ra = open("f", O_RDONLY | O_APPEND), wa = open("f", O_WRONLY | O_APPEND);
  SHOW("to read-only O_APPEND", sendfile(ra, r, NULL, 4)); SHOW("from write-only to write-only", sendfile(w, w, NULL, 4));
  SHOW("to write-only O_APPEND", sendfile(wa, r, NULL, 4)); SHOW("from write-only O_APPEND", sendfile(w, wa, NULL, 4));
  SHOW("bad out fd", sendfile(999, r, NULL, 4)); SHOW("bad in fd", sendfile(w, 999, NULL, 4)); content("f");
}
CASE(sendfile_to_itself) {
  int fd = with("f", "ab"); lseek(fd, 0, SEEK_END); off_t off = 0;
  SHOW("same fd, offset 0, count 2", sendfile(fd, fd, &off, 2)); FACT("off %ld pos %ld\n", (long)off, pos(fd)); content("f");
  int g = open("f", O_RDONLY); SHOW("other description, past the range read", sendfile(fd, g, NULL, 2)); FACT("pos %ld %ld\n", pos(fd), pos(g)); content("f");
}
CASE(sendfile_counts_and_offsets) {
  int in = with("in", "0123456789"), out = with("out", "");
  SHOW("huge count", sendfile(out, in, NULL, (size_t)1 << 40)); FACT("pos %ld\n", pos(in));
  off_t off = -1; SHOW("negative offset", sendfile(out, in, &off, 1)); off = 8; SHOW("offset near end", sendfile(out, in, &off, 100)); FACT("off %ld\n", (long)off);
  off = 1L << 40; SHOW("offset far past end", sendfile(out, in, &off, 1)); FACT("off %ld\n", (long)off);
  SHOW("unmapped offset pointer", sendfile(out, in, (off_t *)16, 1)); content("out");
}
CASE(splice_argument_errors) {
  int f = with("f", "abcdef"), p[2], q[2]; pipe(p); pipe(q); loff_t off = 0, neg = -1; write(p[1], "xyz", 3);
  SHOW("pipe to pipe with offset", splice(p[0], &off, q[1], NULL, 1, 0)); SHOW("negative file offset", splice(f, &neg, p[1], NULL, 1, 0));
  SHOW("same pipe", splice(p[0], NULL, p[1], NULL, 1, 0)); SHOW("file to file", splice(f, NULL, f, NULL, 1, 0));
  SHOW("write-only file to pipe", splice(open("f", O_WRONLY), NULL, p[1], NULL, 1, 0)); SHOW("pipe to read-only file", splice(p[0], NULL, open("f", O_RDONLY), NULL, 1, 0));
  mkdir("d", 0755); SHOW("dir to pipe", splice(open("d", O_RDONLY), NULL, p[1], NULL, 1, 0)); SHOW("O_PATH to pipe", splice(open("f", O_PATH), NULL, p[1], NULL, 1, 0));
  SHOW("pipe to pipe", splice(p[0], NULL, q[1], NULL, 2, 0)); char b[4] = {0}; read(q[0], b, 3); FACT("moved %s\n", b);
}
CASE(copy_file_range_access_modes) {
  with("in", "0123456789"); with("out", ""); mkdir("d", 0755); int p[2]; pipe(p);
  int in = open("in", O_RDONLY), out = open("out", O_WRONLY), app = open("out", O_WRONLY | O_APPEND), ro = open("out", O_RDONLY);
  SHOW("to O_APPEND", copy_file_range(in, NULL, app, NULL, 3, 0)); SHOW("to read-only", copy_file_range(in, NULL, ro, NULL, 3, 0));
  SHOW("from write-only", copy_file_range(out, NULL, out, NULL, 3, 0)); SHOW("from dir", copy_file_range(open("d", O_RDONLY), NULL, out, NULL, 3, 0));
  SHOW("to pipe", copy_file_range(in, NULL, p[1], NULL, 3, 0)); loff_t neg = -1; SHOW("negative offset", copy_file_range(in, &neg, out, NULL, 3, 0));
  SHOW("O_PATH in", copy_file_range(open("in", O_PATH), NULL, out, NULL, 3, 0)); SHOW("plain", copy_file_range(in, NULL, out, NULL, 3, 0)); content("out");
}
CASE(large_file_through_pipe) {
  enum { N = 300 * 1024 }; static char data[N], back[N]; for (int i = 0; i < N; i++) data[i] = (char)(i * 7 + i / 251);
  int in = open("in", O_CREAT | O_RDWR, 0644); write(in, data, N); int out = open("out", O_CREAT | O_RDWR, 0644), p[2]; pipe(p);
  loff_t ri = 0, wo = 5; long moved = 0, r;
  while ((r = splice(in, &ri, p[1], NULL, 40000, 0)) > 0) { long w = 0; while (w < r) { long x = splice(p[0], NULL, out, &wo, r - w, 0); if (x <= 0) break; w += x; } moved += r; }
  FACT("moved %ld last %ld in pos %ld out pos %ld\n", moved, r, pos(in), pos(out)); struct stat st; fstat(out, &st); FACT("out size %ld\n", (long)st.st_size);
  pread(out, back, N, 5); FACT("same bytes %d leading zeros %d\n", memcmp(data, back, N) == 0, ({ char z[5]; pread(out, z, 5, 0); !z[0] && !z[4]; }));
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  RUN(sendfile_check_order); RUN(sendfile_to_itself); RUN(sendfile_counts_and_offsets); RUN(splice_argument_errors);
  RUN(copy_file_range_access_modes); RUN(large_file_through_pipe);
  return 0;
}
