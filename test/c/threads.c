// Several threads opening, writing and stat-ing files at once, then joining.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void *work(void *arg) {
  long id = (long)arg;
  char path[64];
  snprintf(path, sizeof path, "/tmp/thread-%ld", id);
  for (int i = 0; i < 50; i++) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) return (void *)1;
    if (write(fd, path, 8) != 8) return (void *)2;
    close(fd);
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size != 8) return (void *)3;
  }
  return 0;
}

int main(void) {
  pthread_t t[8];
  for (long i = 0; i < 8; i++) pthread_create(&t[i], 0, work, (void *)i);
  long bad = 0;
  for (int i = 0; i < 8; i++) { void *r; pthread_join(t[i], &r); bad += (long)r; }
  printf("threads done, errors=%ld\n", bad);
  return bad != 0;
}
