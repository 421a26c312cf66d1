// File data: read/write/pread/pwrite positions, O_APPEND, O_TRUNC, lseek
// (SEEK_DATA/SEEK_HOLE), truncate/ftruncate, fallocate, sendfile,
// copy_file_range, splice, the sync calls, st_size and st_blocks.
#include "probe.h"
#include <linux/falloc.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int mkfile(const char *p, const char *data) {
  int fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (data) write(fd, data, strlen(data));
  return fd;
}
static void content(const char *label, const char *p) {
  char b[256] = {0}; int fd = open(p, O_RDONLY); long n = read(fd, b, sizeof b - 1); close(fd);
  for (long i = 0; i < n; i++) if (b[i] == 0) b[i] = '.';
  printf("%s: %ld \"%s\"\n", label, n, n > 0 ? b : "");
}
static long size_of(const char *p) { struct stat st; return stat(p, &st) == 0 ? (long)st.st_size : -1; }
/** Pointers the compiler cannot see through: bad buffers are the point. */
static void *volatile null_ptr = NULL, *volatile low_ptr = (void *)16;
static int volatile minus_one = -1, huge_count = 5000;
static long pos(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

CASE(write_read_positions) {
  int fd = mkfile("f", NULL);
  SHOW("write", write(fd, "hello world", 11)); FACT("pos %ld\n", pos(fd));
  char b[16] = {0}; SHOW("read at end", read(fd, b, 4)); lseek(fd, 6, SEEK_SET);
  SHOW("read", read(fd, b, 16)); FACT("got %s pos %ld\n", b, pos(fd));
  SHOW("read count 0", read(fd, b, 0)); SHOW("write count 0", write(fd, b, 0));
}
CASE(pread_pwrite_keep_position) {
  int fd = mkfile("f", "0123456789"); lseek(fd, 2, SEEK_SET);
  SHOW("pwrite", pwrite(fd, "AB", 2, 5)); FACT("pos %ld\n", pos(fd));
  char b[8] = {0}; SHOW("pread", pread(fd, b, 4, 4)); FACT("got %s pos %ld\n", b, pos(fd));
  SHOW("pread past end", pread(fd, b, 4, 100)); SHOW("pread negative", pread(fd, b, 4, -1));
  SHOW("pwrite negative", pwrite(fd, "x", 1, -1));
}
CASE(pwrite_past_end_makes_hole) {
  int fd = mkfile("f", "ab");
  SHOW("pwrite at 10", pwrite(fd, "Z", 1, 10)); FACT("size %ld\n", size_of("f")); content("content", "f");
}
CASE(append_writes_at_end) {
  mkfile("f", "abc"); int fd = open("f", O_RDWR | O_APPEND);
  FACT("pos after open %ld\n", pos(fd)); write(fd, "de", 2); FACT("pos after write %ld\n", pos(fd));
  lseek(fd, 0, SEEK_SET); char b[2] = {0}; read(fd, b, 1); FACT("read %s at 0 pos %ld\n", b, pos(fd));
  SHOW("pwrite with O_APPEND", pwrite(fd, "X", 1, 0)); content("content", "f");
}
CASE(append_two_descriptions) {
  int a = open("f", O_CREAT | O_WRONLY | O_APPEND, 0644), b = open("f", O_WRONLY | O_APPEND);
  write(a, "1", 1); write(b, "22", 2); write(a, "333", 3); content("content", "f");
}
CASE(plain_writers_overwrite) {
  int a = open("f", O_CREAT | O_WRONLY, 0644), b = open("f", O_WRONLY);
  write(a, "aaaa", 4); write(b, "bb", 2); content("content", "f");
}
CASE(write_read_only_and_read_write_only) {
  mkfile("f", "x"); int r = open("f", O_RDONLY), w = open("f", O_WRONLY); char b[2];
  SHOW("write on O_RDONLY", write(r, "y", 1)); SHOW("read on O_WRONLY", read(w, b, 1));
  SHOW("pwrite on O_RDONLY", pwrite(r, "y", 1, 0)); SHOW("pread on O_WRONLY", pread(w, b, 1, 0));
}
CASE(read_write_directory) {
  int fd = open(".", O_RDONLY | O_DIRECTORY); char b[4];
  SHOW("read dir", read(fd, b, 4)); SHOW("pread dir", pread(fd, b, 4, 0)); SHOW("write dir", write(fd, b, 1));
}
CASE(readv_writev) {
  int fd = mkfile("f", NULL);
  struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cde", 3}}; SHOW("writev", writev(fd, w, 3));
  char x[2] = {0}, y[8] = {0}; struct iovec r[2] = {{x, 1}, {y, 7}}; lseek(fd, 0, SEEK_SET);
  SHOW("readv", readv(fd, r, 2)); FACT("x %s y %s\n", x, y);
  SHOW("pwritev", pwritev(fd, w, 1, 8)); FACT("size %ld\n", size_of("f"));
  SHOW("writev iovcnt -1", writev(fd, w, minus_one)); SHOW("writev iovcnt huge", writev(fd, w, huge_count));
}
CASE(o_trunc_cases) {
  mkfile("f", "0123456789");
  int fd = open("f", O_RDONLY | O_TRUNC); FACT("O_RDONLY|O_TRUNC ok %d size %ld\n", fd >= 0, size_of("f"));
  mkfile("g", "0123456789"); fd = open("g", O_WRONLY | O_TRUNC); FACT("O_WRONLY|O_TRUNC size %ld\n", size_of("g"));
  mkdir("d", 0755); SHOW("O_TRUNC on dir", open("d", O_RDONLY | O_TRUNC));
}
CASE(lseek_whence) {
  int fd = mkfile("f", "0123456789");
  SHOW("SEEK_SET 4", lseek(fd, 4, SEEK_SET)); SHOW("SEEK_CUR 3", lseek(fd, 3, SEEK_CUR)); SHOW("SEEK_CUR -2", lseek(fd, -2, SEEK_CUR));
  SHOW("SEEK_END 0", lseek(fd, 0, SEEK_END)); SHOW("SEEK_END -3", lseek(fd, -3, SEEK_END)); SHOW("SEEK_END 5", lseek(fd, 5, SEEK_END));
  SHOW("SEEK_SET -1", lseek(fd, -1, SEEK_SET)); SHOW("SEEK_CUR to negative", lseek(fd, -100, SEEK_CUR));
  SHOW("bad whence", lseek(fd, 0, 17)); SHOW("bad fd", lseek(999, 0, SEEK_SET));
  FACT("pos kept after errors %ld\n", pos(fd));
}
CASE(lseek_past_end_then_write) {
  int fd = mkfile("f", "ab"); lseek(fd, 5, SEEK_END); write(fd, "c", 1);
  FACT("size %ld\n", size_of("f")); content("content", "f");
}
CASE(lseek_data_hole) {
  int fd = mkfile("f", NULL); char big[8192]; memset(big, 'x', sizeof big);
  pwrite(fd, big, 4096, 0); ftruncate(fd, 65536); pwrite(fd, big, 4096, 32768);
  SHOW("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA)); SHOW("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
  SHOW("SEEK_DATA 5000", lseek(fd, 5000, SEEK_DATA)); SHOW("SEEK_HOLE 32768", lseek(fd, 32768, SEEK_HOLE));
  SHOW("SEEK_DATA 40000", lseek(fd, 40000, SEEK_DATA)); SHOW("SEEK_HOLE 40000", lseek(fd, 40000, SEEK_HOLE));
  SHOW("SEEK_DATA at size", lseek(fd, 65536, SEEK_DATA)); SHOW("SEEK_HOLE at size", lseek(fd, 65536, SEEK_HOLE));
  SHOW("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
}
CASE(lseek_data_hole_empty) {
  int fd = mkfile("f", NULL); SHOW("SEEK_DATA", lseek(fd, 0, SEEK_DATA)); SHOW("SEEK_HOLE", lseek(fd, 0, SEEK_HOLE));
}
CASE(lseek_directory) {
  touch("a"); touch("b");
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("SEEK_SET 0", lseek(fd, 0, SEEK_SET)); SHOW("SEEK_CUR 0", lseek(fd, 0, SEEK_CUR));
  SHOW("SEEK_SET negative", lseek(fd, -1, SEEK_SET)); SHOW("SEEK_DATA", lseek(fd, 0, SEEK_DATA));
}
CASE(ftruncate_cases) {
  int fd = mkfile("f", "0123456789");
  SHOW("shrink", ftruncate(fd, 4)); FACT("size %ld pos %ld\n", size_of("f"), pos(fd));
  SHOW("grow", ftruncate(fd, 12)); content("content", "f");
  SHOW("negative", ftruncate(fd, -1)); SHOW("bad fd", ftruncate(999, 0));
  int r = open("f", O_RDONLY); SHOW("read-only fd", ftruncate(r, 0));
  int d = open(".", O_RDONLY); SHOW("directory fd", ftruncate(d, 0));
  int a = open("f", O_WRONLY | O_APPEND); SHOW("O_APPEND fd", ftruncate(a, 2)); FACT("size %ld\n", size_of("f"));
}
CASE(truncate_path_cases) {
  mkfile("f", "0123456789"); symlink("f", "l"); mkdir("d", 0755);
  SHOW("through symlink", truncate("l", 3)); FACT("size %ld\n", size_of("f"));
  SHOW("grow", truncate("f", 5000)); FACT("size %ld\n", size_of("f"));
  SHOW("dir", truncate("d", 0)); SHOW("trailing slash", truncate("f/", 0)); SHOW("empty", truncate("", 0));
}
CASE(truncate_shrink_then_read) {
  int fd = mkfile("f", "0123456789"); lseek(fd, 8, SEEK_SET); ftruncate(fd, 3);
  char b[4]; SHOW("read past new end", read(fd, b, 4)); write(fd, "Z", 1);
  FACT("size %ld\n", size_of("f")); content("content", "f");
}
CASE(fallocate_default_and_keep_size) {
  int fd = mkfile("f", "abc");
  SHOW("fallocate 0..8192", fallocate(fd, 0, 0, 8192)); FACT("size %ld\n", size_of("f")); content("head", "f");
  SHOW("KEEP_SIZE past end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192)); FACT("size %ld\n", size_of("f"));
  struct stat st; fstat(fd, &st); FACT("blocks cover allocation %d\n", st.st_blocks * 512 >= 16384);
}
CASE(fallocate_punch_hole) {
  int fd = mkfile("f", NULL); char big[12288]; memset(big, 'x', sizeof big); write(fd, big, sizeof big);
  SHOW("PUNCH_HOLE without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
  SHOW("PUNCH_HOLE|KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  FACT("size %ld\n", size_of("f")); char b[4] = {0}; pread(fd, b, 3, 4096); FACT("hole reads zeros %d\n", !b[0] && !b[1] && !b[2]);
  pread(fd, b, 3, 8192); FACT("after hole %s\n", b);
  SHOW("SEEK_HOLE", lseek(fd, 0, SEEK_HOLE)); SHOW("SEEK_DATA from hole", lseek(fd, 4096, SEEK_DATA));
}
CASE(fallocate_bad_args) {
  int fd = mkfile("f", "abc");
  SHOW("len 0", fallocate(fd, 0, 0, 0)); SHOW("negative offset", fallocate(fd, 0, -1, 10)); SHOW("negative len", fallocate(fd, 0, 0, -1));
  SHOW("unknown mode", fallocate(fd, 0x400, 0, 10)); SHOW("read-only fd", fallocate(open("f", O_RDONLY), 0, 0, 10));
  SHOW("directory", fallocate(open(".", O_RDONLY), 0, 0, 10)); SHOW("bad fd", fallocate(999, 0, 0, 10));
  // ZERO_RANGE, COLLAPSE_RANGE and INSERT_RANGE depend on the filesystem (tmpfs has none, ext4 all): not compared.
}
CASE(fallocate_append_fd) {
  mkfile("f", "abc"); int fd = open("f", O_WRONLY | O_APPEND);
  SHOW("fallocate on O_APPEND", fallocate(fd, 0, 0, 100)); SHOW("PUNCH_HOLE on O_APPEND", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1));
}
CASE(sendfile_file_to_file) {
  int in = mkfile("in", "0123456789"), out = mkfile("out", NULL); lseek(in, 2, SEEK_SET);
  SHOW("sendfile 5", sendfile(out, in, NULL, 5)); FACT("in pos %ld out pos %ld\n", pos(in), pos(out)); content("out", "out");
  off_t off = 8; SHOW("sendfile with offset", sendfile(out, in, &off, 10)); FACT("off %ld in pos %ld\n", (long)off, pos(in));
  content("out", "out");
}
CASE(sendfile_to_pipe_and_errors) {
  int in = mkfile("in", "abcdef"), p[2]; pipe(p); lseek(in, 0, SEEK_SET);
  SHOW("to pipe", sendfile(p[1], in, NULL, 100)); char b[8] = {0}; read(p[0], b, 8); FACT("pipe got %s\n", b);
  SHOW("at EOF", sendfile(p[1], in, NULL, 100));
  int out = mkfile("out", NULL);
  SHOW("from pipe", sendfile(out, p[0], NULL, 1)); SHOW("from write-only", sendfile(out, open("in", O_WRONLY), NULL, 1));
  SHOW("to read-only", sendfile(open("in", O_RDONLY), in, NULL, 1)); SHOW("to O_APPEND", sendfile(open("out", O_WRONLY | O_APPEND), open("in", O_RDONLY), NULL, 3));
  content("out", "out");
  SHOW("from dir", sendfile(out, open(".", O_RDONLY), NULL, 1));
}
CASE(copy_file_range_cases) {
  int in = mkfile("in", "0123456789"), out = mkfile("out", "abcdefghij");
  loff_t a = 2, b = 4;
  SHOW("with offsets", copy_file_range(in, &a, out, &b, 3, 0)); FACT("offsets %ld %ld pos %ld %ld\n", (long)a, (long)b, pos(in), pos(out));
  content("out", "out");
  lseek(in, 7, SEEK_SET); SHOW("with positions", copy_file_range(in, NULL, out, NULL, 10, 0)); FACT("pos %ld %ld\n", pos(in), pos(out));
  content("out", "out");
  SHOW("bad flags", copy_file_range(in, NULL, out, NULL, 1, 1));
  a = 0; b = 0; SHOW("overlapping same file", copy_file_range(in, &a, in, &b, 4, 0));
  SHOW("to O_APPEND", copy_file_range(in, &a, open("out", O_WRONLY | O_APPEND), NULL, 1, 0));
  SHOW("from dir", copy_file_range(open(".", O_RDONLY), NULL, out, NULL, 1, 0));
  a = 100; SHOW("past EOF", copy_file_range(in, &a, out, NULL, 5, 0));
}
CASE(copy_file_range_same_file) {
  int fd = mkfile("f", "0123456789"); loff_t a = 0, b = 10;
  SHOW("copy to end of itself", copy_file_range(fd, &a, fd, &b, 5, 0)); content("f", "f");
}
CASE(splice_file_pipe_file) {
  int in = mkfile("in", "hello splice"), out = mkfile("out", NULL), p[2]; pipe(p);
  loff_t off = 6;
  SHOW("file to pipe", splice(in, &off, p[1], NULL, 100, 0)); FACT("off %ld in pos %ld\n", (long)off, pos(in));
  SHOW("pipe to file", splice(p[0], NULL, out, NULL, 100, 0)); FACT("out pos %ld\n", pos(out)); content("out", "out");
  write(p[1], "xy", 2); loff_t o2 = 10; SHOW("pipe to file at offset", splice(p[0], NULL, out, &o2, 2, 0)); content("out", "out");
  SHOW("file to file", splice(in, NULL, out, NULL, 1, 0)); SHOW("offset on pipe", splice(in, NULL, p[1], &off, 1, 0));
  SHOW("bad flags fine", splice(in, NULL, p[1], NULL, 1, 0xf0));
}
CASE(tee_and_vmsplice) {
  int p[2], q[2]; pipe(p); pipe(q); write(p[1], "abc", 3);
  SHOW("tee", tee(p[0], q[1], 10, 0)); char b[4] = {0}; read(q[0], b, 3); FACT("copy %s\n", b);
  int f = mkfile("f", "x"); SHOW("tee from file", tee(f, q[1], 1, 0));
}
CASE(sync_calls) {
  int fd = mkfile("f", "data"), d = open(".", O_RDONLY), r = open("f", O_RDONLY);
  SHOW("fsync", fsync(fd)); SHOW("fdatasync", fdatasync(fd)); SHOW("fsync dir", fsync(d)); SHOW("fsync read-only", fsync(r));
  SHOW("syncfs", syncfs(fd)); SHOW("sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
  SHOW("sync_file_range bad flags", sync_file_range(fd, 0, 0, 0x100)); SHOW("fsync bad fd", fsync(999)); sync(); FACT("sync returned\n");
}
CASE(fadvise_readahead) {
  int fd = mkfile("f", "data");
  SHOW("fadvise", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)); SHOW("fadvise bad advice", posix_fadvise(fd, 0, 0, 99));
  SHOW("readahead", readahead(fd, 0, 4096)); SHOW("readahead dir", readahead(open(".", O_RDONLY), 0, 1));
}
CASE(blocks_after_writes_and_holes) {
  int fd = mkfile("f", NULL); struct stat st;
  fstat(fd, &st); FACT("empty: blocks %ld blksize>0 %d\n", (long)st.st_blocks, st.st_blksize > 0);
  write(fd, "x", 1); fstat(fd, &st); FACT("1 byte: blocks>0 %d\n", st.st_blocks > 0);
  ftruncate(fd, 1 << 20); struct stat h; fstat(fd, &h); FACT("sparse grow keeps blocks %d\n", h.st_blocks == st.st_blocks);
  char big[65536]; memset(big, 'y', sizeof big); pwrite(fd, big, sizeof big, 1 << 19); fstat(fd, &h);
  FACT("written 64k: blocks>=128 %d\n", h.st_blocks >= 128);
  ftruncate(fd, 0); fstat(fd, &h); FACT("truncated: blocks %ld size %ld\n", (long)h.st_blocks, (long)h.st_size);
}
CASE(size_seen_by_other_descriptions) {
  int a = mkfile("f", NULL), b = open("f", O_RDONLY); write(a, "12345", 5);
  struct stat st; fstat(b, &st); FACT("fstat other fd %ld\n", (long)st.st_size);
  char buf[8] = {0}; SHOW("read other fd", read(b, buf, 8)); FACT("%s\n", buf);
  SHOW("SEEK_END other fd", lseek(b, 0, SEEK_END));
}
CASE(unlinked_file_data) {
  int fd = mkfile("f", "keep"); unlink("f");
  char b[8] = {0}; SHOW("pread after unlink", pread(fd, b, 8, 0)); FACT("%s\n", b);
  SHOW("write after unlink", write(fd, "more", 4)); struct stat st; fstat(fd, &st); FACT("size %ld nlink %ld\n", (long)st.st_size, (long)st.st_nlink);
}
CASE(write_visible_through_mmap) {
  int fd = mkfile("f", NULL); ftruncate(fd, 4096);
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  FACT("mmap ok %d\n", m != MAP_FAILED); if (m == MAP_FAILED) return;
  pwrite(fd, "abc", 3, 0); FACT("map sees write %c%c%c\n", m[0], m[1], m[2]);
  memcpy(m + 10, "XYZ", 3); char b[4] = {0}; pread(fd, b, 3, 10); FACT("read sees map %s\n", b);
  int r = open("f", O_RDONLY); SHOW("shared map of read-only fd", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0) != MAP_FAILED ? 0 : -1);
}
CASE(large_offsets) {
  int fd = mkfile("f", NULL);
  SHOW("pwrite at 4GiB", pwrite(fd, "z", 1, 1L << 32)); FACT("size %ld\n", size_of("f"));
  SHOW("SEEK_DATA", lseek(fd, 0, SEEK_DATA)); SHOW("max offset write", pwrite(fd, "z", 1, 0x7fffffffffffffffL));
}
CASE(read_write_bad_buffers) {
  int fd = mkfile("f", "abc"); lseek(fd, 0, SEEK_SET);
  SHOW("read into NULL", read(fd, null_ptr, 3)); SHOW("write from NULL", write(fd, null_ptr, 3));
  SHOW("write from unmapped", write(fd, low_ptr, 3)); lseek(fd, 0, SEEK_SET);
  SHOW("read into read-only page", read(fd, (void *)"const", 3)); content("unchanged", "f");
}

CASE(rwf_flags) {
  int fd = mkfile("f", "abc");
  struct iovec v = {"Z", 1};
  SHOW("pwritev2 RWF_APPEND", pwritev2(fd, &v, 1, 0, RWF_APPEND)); content("content", "f");
  lseek(fd, 1, SEEK_SET); SHOW("pwritev2 offset -1 uses position", pwritev2(fd, &v, 1, -1, 0)); FACT("pos %ld\n", pos(fd)); content("content", "f");
  char b[4] = {0}; struct iovec r = {b, 2}; lseek(fd, 0, SEEK_SET);
  SHOW("preadv2 offset -1", preadv2(fd, &r, 1, -1, 0)); FACT("got %s pos %ld\n", b, pos(fd));
  SHOW("bad RWF flag", pwritev2(fd, &v, 1, 0, 0x80000000));
}
CASE(zero_counts) {
  int in = mkfile("in", "abc"), out = mkfile("out", NULL), p[2]; pipe(p); lseek(in, 0, SEEK_SET);
  SHOW("sendfile 0", sendfile(out, in, NULL, 0)); SHOW("copy_file_range 0", copy_file_range(in, NULL, out, NULL, 0, 0));
  SHOW("splice 0", splice(in, NULL, p[1], NULL, 0, 0)); SHOW("pread 0 past end", pread(in, NULL, 0, 100));
  FACT("positions %ld %ld\n", pos(in), pos(out));
}
CASE(readv_bad_iovecs) {
  int fd = mkfile("f", "abcdef"); lseek(fd, 0, SEEK_SET);
  char a[2]; struct iovec v[2] = {{a, 2}, {low_ptr, 2}};
  SHOW("second iovec unmapped", readv(fd, v, 2)); FACT("pos %ld\n", pos(fd));
  struct iovec w[2] = {{"xy", 2}, {low_ptr, 2}}; SHOW("writev second unmapped", writev(fd, w, 2)); content("content", "f");
  SHOW("iovec array unmapped", readv(fd, low_ptr, 1));
}
CASE(append_and_truncate_interplay) {
  int fd = open("f", O_CREAT | O_RDWR | O_APPEND, 0644); write(fd, "0123456789", 10);
  ftruncate(fd, 4); write(fd, "X", 1); content("after shrink", "f");
  ftruncate(fd, 8); write(fd, "Y", 1); content("after grow", "f"); FACT("pos %ld\n", pos(fd));
}
/** Result and errno name of a call, kept for later: stdout may be a file over the limit being tested. */
static const char *res(long r) {
  static char bufs[8][48]; static int n; char *b = bufs[n++ % 8];
  if (r < 0) snprintf(b, 48, "-1 %s", strerrorname_np(errno)); else snprintf(b, 48, "%ld", r);
  return b;
}
CASE(rlimit_fsize) {
  int fd = mkfile("f", NULL);
  signal(SIGXFSZ, SIG_IGN);
  // Only the soft limit: raising a hard limit back needs CAP_SYS_RESOURCE.
  struct rlimit old; getrlimit(RLIMIT_FSIZE, &old); struct rlimit lim = {100, old.rlim_max}; setrlimit(RLIMIT_FSIZE, &lim);
  char big[300]; memset(big, 'q', sizeof big);
  const char *w1 = res(write(fd, big, sizeof big)), *w2 = res(write(fd, big, 1)), *ft = res(ftruncate(fd, 200));
  const char *tr = res(truncate("f", 200)), *tw = res(truncate("f", 50)), *fa = res(fallocate(fd, 0, 0, 4096));
  setrlimit(RLIMIT_FSIZE, &old);
  FACT("write across the limit = %s\nwrite at the limit = %s\nftruncate past the limit = %s\n", w1, w2, ft);
  FACT("truncate past the limit = %s\ntruncate within = %s\nfallocate past the limit = %s\n", tr, tw, fa);
  FACT("size %ld\n", size_of("f"));
}
CASE(pipes_and_seeks) {
  int p[2]; pipe(p); char b[4];
  SHOW("lseek pipe", lseek(p[0], 0, SEEK_SET)); SHOW("pread pipe", pread(p[0], b, 1, 0)); SHOW("pwrite pipe", pwrite(p[1], "x", 1, 0));
  int fd = mkfile("f", "abc"); SHOW("copy_file_range to pipe", copy_file_range(fd, NULL, p[1], NULL, 1, 0));
}
CASE(open_append_trunc_and_creat_modes) {
  int fd = mkfile("f", "0123456789"); close(fd);
  fd = open("f", O_WRONLY | O_APPEND | O_TRUNC); FACT("size after O_APPEND|O_TRUNC %ld\n", size_of("f"));
  write(fd, "ab", 2); lseek(fd, 0, SEEK_SET); write(fd, "c", 1); content("content", "f");
  fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600); FACT("O_CREAT|O_TRUNC existing: size %ld\n", size_of("f"));
  struct stat st; stat("f", &st); FACT("mode kept %o\n", st.st_mode & 07777);
}
CASE(unlinked_file_truncate_and_copy) {
  int fd = mkfile("f", "hello"); unlink("f");
  SHOW("ftruncate unlinked", ftruncate(fd, 2)); struct stat st; fstat(fd, &st); FACT("size %ld\n", (long)st.st_size);
  int out = mkfile("out", NULL); loff_t off = 0;
  SHOW("copy from unlinked", copy_file_range(fd, &off, out, NULL, 10, 0)); content("out", "out");
  SHOW("linkat unlinked file back", linkat(fd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
}
static unsigned long fnv(const unsigned char *p, size_t n) { unsigned long h = 1469598103934665603UL; while (n--) h = (h ^ *p++) * 1099511628211UL; return h; }
CASE(large_data_round_trip) {
  size_t n = 3 << 20; unsigned char *w = malloc(n), *r = malloc(n);
  for (size_t i = 0; i < n; i++) w[i] = (unsigned char)(i * 2654435761u >> 13);
  int fd = mkfile("f", NULL);
  long put = 0; for (size_t off = 0; off < n; off += 65537) { size_t len = off + 65537 > n ? n - off : 65537; put += pwrite(fd, w + off, len, off); }
  FACT("written %ld size %ld\n", put, size_of("f"));
  int fd2 = open("f", O_RDONLY); long got = 0, k; while ((k = read(fd2, r + got, n - got)) > 0) got += k;
  FACT("read %ld equal %d\n", got, got == (long)n && fnv(w, n) == fnv(r, n));
  int out = mkfile("g", NULL); loff_t a = 0; long copied = 0;
  while ((k = copy_file_range(fd2, &a, out, NULL, n, 0)) > 0) copied += k;
  memset(r, 0, n); pread(open("g", O_RDONLY), r, n, 0); FACT("copied %ld equal %d\n", copied, fnv(w, n) == fnv(r, n));
}
CASE(many_descriptions) {
  // More descriptions than the sentry keeps before it sweeps: each fd must stay its own file.
  enum { N = 700 }; static int fds[N]; char name[32];
  for (int i = 0; i < N; i++) { snprintf(name, sizeof name, "m%03d", i); fds[i] = open(name, O_CREAT | O_RDWR, 0644); dprintf(fds[i], "%d", i); }
  for (int i = 0; i < N; i += 2) close(fds[i]);
  for (int i = 0; i < N; i += 2) { snprintf(name, sizeof name, "m%03d", i); fds[i] = open(name, O_RDWR); }
  int right = 0; struct stat st, byname;
  for (int i = 0; i < N; i++) {
    char b[8] = {0}; pread(fds[i], b, sizeof b - 1, 0); snprintf(name, sizeof name, "m%03d", i);
    fstat(fds[i], &st); stat(name, &byname);
    right += atoi(b) == i && st.st_ino == byname.st_ino;
  }
  FACT("descriptions right %d of %d\n", right, N);
  for (int i = 0; i < N; i++) close(fds[i]);
}
CASE(rename_over_open_file) {
  int old = mkfile("f", "old content"); mkfile("g", "new");
  SHOW("rename g over f", rename("g", "f"));
  char b[16] = {0}; SHOW("read replaced file", pread(old, b, sizeof b - 1, 0)); FACT("%s\n", b);
  struct stat st; fstat(old, &st); FACT("replaced nlink %ld\n", (long)st.st_nlink); content("f now", "f");
  SHOW("write to replaced", pwrite(old, "X", 1, 0)); content("f still", "f");
}
CASE(splice_into_append_file) {
  int p[2]; pipe(p); write(p[1], "abc", 3); mkfile("f", "0"); int a = open("f", O_WRONLY | O_APPEND);
  SHOW("splice to O_APPEND", splice(p[0], NULL, a, NULL, 3, 0)); content("f", "f");
}
CASE(offsets_past_eof) {
  int in = mkfile("in", "abc"), out = mkfile("out", NULL), p[2]; pipe(p);
  off_t o = 10; SHOW("sendfile past EOF", sendfile(out, in, &o, 5)); FACT("offset %ld\n", (long)o);
  loff_t a = 10; SHOW("copy_file_range past EOF", copy_file_range(in, &a, out, NULL, 5, 0));
  loff_t s = 10; fcntl(p[1], F_SETFL, O_NONBLOCK); SHOW("splice past EOF", splice(in, &s, p[1], NULL, 5, SPLICE_F_NONBLOCK));
  char b[4]; SHOW("pread at EOF", pread(in, b, 4, 3)); SHOW("SEEK_DATA at EOF", lseek(in, 3, SEEK_DATA));
  SHOW("SEEK_HOLE inside", lseek(in, 1, SEEK_HOLE));
}
int main(int argc, char **argv) {
  probe_init(argc, argv); (void)ftype;
  RUN(write_read_positions); RUN(pread_pwrite_keep_position); RUN(pwrite_past_end_makes_hole); RUN(append_writes_at_end);
  RUN(append_two_descriptions); RUN(plain_writers_overwrite); RUN(write_read_only_and_read_write_only);
  RUN(read_write_directory); RUN(readv_writev); RUN(o_trunc_cases); RUN(lseek_whence); RUN(lseek_past_end_then_write);
  RUN(lseek_data_hole); RUN(lseek_data_hole_empty); RUN(lseek_directory); RUN(ftruncate_cases); RUN(truncate_path_cases);
  RUN(truncate_shrink_then_read); RUN(fallocate_default_and_keep_size); RUN(fallocate_punch_hole); RUN(fallocate_bad_args);
  RUN(fallocate_append_fd); RUN(sendfile_file_to_file); RUN(sendfile_to_pipe_and_errors); RUN(copy_file_range_cases);
  RUN(copy_file_range_same_file); RUN(splice_file_pipe_file); RUN(tee_and_vmsplice); RUN(sync_calls);
  RUN(fadvise_readahead); RUN(blocks_after_writes_and_holes); RUN(size_seen_by_other_descriptions);
  RUN(unlinked_file_data); RUN(write_visible_through_mmap); RUN(large_offsets); RUN(read_write_bad_buffers);
  RUN(rwf_flags); RUN(zero_counts); RUN(readv_bad_iovecs); RUN(append_and_truncate_interplay);
  RUN(rlimit_fsize); RUN(pipes_and_seeks);
  RUN(open_append_trunc_and_creat_modes); RUN(unlinked_file_truncate_and_copy);
  RUN(large_data_round_trip); RUN(many_descriptions); RUN(rename_over_open_file); RUN(splice_into_append_file);
  RUN(offsets_past_eof);
  return 0;
}
