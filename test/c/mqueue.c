// A POSIX message queue: created, used, and (unless argv[1] is "keep")
// removed; with argv[1] "probe", only says whether the queue exists.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "probe")) {
    mqd_t q = mq_open("/tvisor-test-queue", O_RDONLY);
    printf("%s\n", q < 0 ? strerrorname_np(errno) : "exists");
    return 0;
  }
  struct mq_attr a = {0, 4, 16, 0};
  mqd_t q = mq_open("/tvisor-test-queue", O_CREAT | O_RDWR, 0600, &a);
  if (q < 0) { printf("mq_open: %s\n", strerrorname_np(errno)); return 1; }
  char b[16];
  unsigned prio;
  mq_send(q, "hello", 5, 3);
  ssize_t n = mq_receive(q, b, sizeof b, &prio);
  printf("received %.*s, priority %u\n", (int)n, b, prio);
  if (argc < 2 || strcmp(argv[1], "keep")) mq_unlink("/tvisor-test-queue");
  return 0;
}
