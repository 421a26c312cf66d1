// System V IPC between the sandbox's users: who may get, attach, operate
// on, read and change shared memory, semaphores and message queues, by the
// objects' owner, creator, group and mode (ipcperms) and by CAP_IPC_OWNER,
// and whom an object made by a user belongs to.
#include "probe.h"
#include "as.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; };

/** Keys of this run's objects (the native run's are the host's). */
static key_t key_base;
static key_t key_of(int n) { return key_base | n; }
/** shmat's result as a call's: 0, or -1 with errno. */
static long attach(int id, int flags) {
  void *p = shmat(id, NULL, flags);
  if (p == (void *)-1) return -1;
  shmdt(p);
  return 0;
}
static void show_perm(const char *label, struct ipc_perm *p) {
  FACT("%s: uid %d gid %d cuid %d cgid %d mode %o\n", label, p->uid, p->gid, p->cuid, p->cgid, p->mode & 0777);
}

CASE(shm_between_users) {
  int id = shmget(key_of(1), 4096, IPC_CREAT | 0600);
  int ro = shmget(key_of(2), 4096, IPC_CREAT | 0644);
  AS(1000, 1001, 1001) {
    SHOW("shmget 0600 as 1000", shmget(key_of(1), 0, 0600) < 0 ? -1 : 0); SHOW("shmget 0600 asking nothing", shmget(key_of(1), 0, 0) < 0 ? -1 : 0);
    SHOW("shmat 0600 as 1000", attach(id, 0));
    struct shmid_ds ds; SHOW("IPC_STAT 0600 as 1000", shmctl(id, IPC_STAT, &ds));
    SHOW("IPC_RMID as 1000", shmctl(id, IPC_RMID, NULL));
    SHOW("shmget 0644 for reading", shmget(key_of(2), 0, 0444) < 0 ? -1 : 0);
    SHOW("shmget 0644 for writing", shmget(key_of(2), 0, 0666) < 0 ? -1 : 0);
    SHOW("shmat 0644 read-only", attach(ro, SHM_RDONLY));
    SHOW("shmat 0644 read-write", attach(ro, 0));
    SHOW("IPC_STAT 0644", shmctl(ro, IPC_STAT, &ds)); show_perm("0644", &ds.shm_perm);
  }
  SHOW("shmat 0600 as root", attach(id, 0));
  shmctl(id, IPC_RMID, NULL); shmctl(ro, IPC_RMID, NULL);
}
CASE(shm_made_by_a_user) {
  AS(1000, 1001, 1001) {
    int id = shmget(key_of(3), 4096, IPC_CREAT | IPC_EXCL | 0640); OK("shmget create as 1000", id);
    SHOW("again with IPC_EXCL", shmget(key_of(3), 4096, IPC_CREAT | IPC_EXCL | 0640));
    struct shmid_ds ds; shmctl(id, IPC_STAT, &ds); show_perm("made by 1000", &ds.shm_perm);
    ds.shm_perm.mode = 0604; SHOW("IPC_SET mode as owner", shmctl(id, IPC_SET, &ds));
    ds.shm_perm.uid = 2000; SHOW("IPC_SET uid as owner", shmctl(id, IPC_SET, &ds));
    shmctl(id, IPC_STAT, &ds); show_perm("given to 2000", &ds.shm_perm);
    int own = shmget(IPC_PRIVATE, 4096, 0600); OK("IPC_PRIVATE as 1000", own);
    shmctl(own, IPC_STAT, &ds); show_perm("private of 1000", &ds.shm_perm); shmctl(own, IPC_RMID, NULL);
  }
  int id = shmget(key_of(3), 0, 0); struct shmid_ds ds; shmctl(id, IPC_STAT, &ds); show_perm("root sees", &ds.shm_perm);
  AS(3000, 3000, 3000) { SHOW("IPC_RMID as a stranger", shmctl(id, IPC_RMID, NULL)); SHOW("IPC_SET as a stranger", shmctl(id, IPC_SET, &ds)); }
  AS(1000, 1001, 1001) { SHOW("IPC_RMID as the creator", shmctl(id, IPC_RMID, NULL)); }
  SHOW("gone", shmget(key_of(3), 0, 0));
}
CASE(sem_between_users) {
  int id = semget(key_of(4), 1, IPC_CREAT | 0640);
  struct semid_ds ds; union semun arg = {.buf = &ds}; semctl(id, 0, IPC_STAT, arg);
  ds.sem_perm.gid = 1001; semctl(id, 0, IPC_SET, arg);
  AS(1000, 1001, 1001) {
    SHOW("GETVAL as a group member", semctl(id, 0, GETVAL));
    union semun v = {.val = 3}; SHOW("SETVAL as a group member", semctl(id, 0, SETVAL, v));
    struct sembuf up = {0, 1, IPC_NOWAIT}; SHOW("semop +1 as a group member", semop(id, &up, 1));
    SHOW("IPC_STAT as a group member", semctl(id, 0, IPC_STAT, arg)); show_perm("set", &ds.sem_perm);
  }
  AS(2000, 2000, 2000) { SHOW("GETVAL as a stranger", semctl(id, 0, GETVAL)); }
  struct sembuf up = {0, 1, IPC_NOWAIT}; SHOW("semop +1 as root", semop(id, &up, 1));
  SHOW("GETVAL as root", semctl(id, 0, GETVAL));
  semctl(id, 0, IPC_RMID);
}
CASE(sem_wait_for_zero_read_only) {
  int id = semget(key_of(5), 1, IPC_CREAT | 0644);
  AS(1000, 1001, 1001) { struct sembuf zero = {0, 0, IPC_NOWAIT}; SHOW("wait for zero with read permission", semop(id, &zero, 1)); }
  semctl(id, 0, IPC_RMID);
}
CASE(msg_between_users) {
  int id = msgget(key_of(6), IPC_CREAT | 0620);
  struct msqid_ds ds; msgctl(id, IPC_STAT, &ds); ds.msg_perm.gid = 1001; msgctl(id, IPC_SET, &ds);
  struct { long type; char text[4]; } m = {1, "hi"};
  AS(1000, 1001, 1001) {
    SHOW("msgsnd as a group member", msgsnd(id, &m, 3, IPC_NOWAIT));
    SHOW("msgrcv as a group member", msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT));
  }
  AS(2000, 2000, 2000) { SHOW("msgsnd as a stranger", msgsnd(id, &m, 3, IPC_NOWAIT)); }
  SHOW("msgrcv as root", msgrcv(id, &m, sizeof m.text, 0, IPC_NOWAIT)); FACT("got %s\n", m.text);
  msgctl(id, IPC_RMID, NULL);
}
CASE(stat_by_index) {
  int id = shmget(key_of(7), 4096, IPC_CREAT | 0600);
  struct shm_info info; int max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info); int index = -1;
  for (int i = 0; i <= max; i++) { struct shmid_ds ds; if (shmctl(i, SHM_STAT_ANY, &ds) == id) index = i; }
  FACT("found by index %d\n", index >= 0);
  AS(1000, 1001, 1001) {
    struct shmid_ds ds;
    SHOW("SHM_STAT as 1000", shmctl(index, SHM_STAT, &ds) == id ? 0 : -1);
    SHOW("SHM_STAT_ANY as 1000", shmctl(index, SHM_STAT_ANY, &ds) == id ? 0 : -1);
  }
  shmctl(id, IPC_RMID, NULL);
}

int main(int argc, char **argv) {
  probe_init(argc, argv);
  key_base = (key_t)(0x7e000000 | ((getpid() & 0xfffff) << 4));
  RUN(shm_between_users); RUN(shm_made_by_a_user); RUN(sem_between_users); RUN(sem_wait_for_zero_read_only);
  RUN(msg_between_users); RUN(stat_by_index);
  return 0;
}
