// Prints the path it was run by (AT_EXECFN), the name the kernel gives this program (prctl PR_GET_NAME) and
// /proc/self/comm's, then a new thread's
// (/proc/self/task/<tid>/comm and its PR_GET_NAME), then both after the program names itself "renamed".
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

static void read_comm(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  out[0] = 0;
  if (f && fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = 0;
  if (f) fclose(f);
}

static void *thread(void *arg) {
  char name[17] = {0}, comm[64], path[64];
  prctl(PR_GET_NAME, name);
  snprintf(path, sizeof path, "/proc/self/task/%d/comm", gettid());
  read_comm(path, comm, sizeof comm);
  snprintf(arg, 128, "%s %s", name, comm);
  return NULL;
}

int main(int argc, char **argv) {
  char name[17] = {0}, comm[64], in_thread[128] = {0};
  printf("execfn %s\n", (const char *)getauxval(AT_EXECFN));
  prctl(PR_GET_NAME, name);
  read_comm("/proc/self/comm", comm, sizeof comm);
  printf("%s %s\n", name, comm);
  if (argc > 1) {
    pthread_t t;
    pthread_create(&t, NULL, thread, in_thread);
    pthread_join(t, NULL);
    printf("%s\n", in_thread);
    prctl(PR_SET_NAME, "renamed");
    memset(name, 0, sizeof name);
    prctl(PR_GET_NAME, name);
    read_comm("/proc/self/comm", comm, sizeof comm);
    printf("%s %s\n", name, comm);
  }
  return 0;
}
