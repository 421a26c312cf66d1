// System V IPC calls as the sandbox's users make them (kernel/ipc.ts): a
// get, which may create an object, and the ctl commands that change an
// owner or remove an object run as the guest in the guests' ipc namespace,
// so the host decides them by the guest's sandbox ids; the others (attach,
// semaphore operations, messages, reading an object's state) are checked
// here with Linux's ipcperms and, allowed, run natively. An id that names
// no object is the host's to answer (EINVAL, EIDRM).
import { SysErr } from '../abi/errno.js';
import { IPC_STAT, type IpcCtl, type IpcKind } from '../kernel/ipc.js';
import type { Kernel } from '../kernel/kernel.js';
import { entry, PASS, type Reply, type SyscallFamily } from '../kernel/syscalls.js';
import type { Task } from '../kernel/task.js';
import { SYSCALLS } from './numbers.js';

const S_IRUGO = 0o444;
const S_IWUGO = 0o222;
const S_IXUGO = 0o111;
const IPC = { RMID: 0, SET: 1, STAT: IPC_STAT, INFO: 3, V64: 0x100 };
const SHM = { LOCK: 11, UNLOCK: 12, STAT: 13, RDONLY: 0o10000, EXEC: 0o100000 };
const SEM = { GETPID: 11, GETVAL: 12, GETALL: 13, GETNCNT: 14, GETZCNT: 15, SETVAL: 16, SETALL: 17, STAT: 18 };
const MSG_STAT = 11;
/** Each kind's ctl call, where its command and struct go, and the struct's size (x86-64). */
const CTL: Record<IpcKind, IpcCtl> = {
  shm: { kind: 'shm', nr: SYSCALLS.shmctl!, cmdArg: 1, bufArg: 2, size: 112 },
  sem: { kind: 'sem', nr: SYSCALLS.semctl!, cmdArg: 2, bufArg: 3, size: 104 },
  msg: { kind: 'msg', nr: SYSCALLS.msgctl!, cmdArg: 1, bufArg: 2, size: 120 },
};
/** The *_STAT_ANY command of each kind: an object by index, with no permission check. */
const STAT_ANY: Record<IpcKind, number> = { shm: 15, sem: 20, msg: 13 };
/** SEMOPM: the most operations one semop takes (more is the host's E2BIG). */
const SEMOPM = 500;

/** A get: run as the guest, so the host checks an existing object's mode against its ids and makes a new one theirs. */
function get(kind: IpcKind, nr: number) {
  // The second argument is shmget's size_t (the kernel takes an int of semget's and ignores msgget's).
  return entry(['hex', 'ptr', 'hex'], (t, a, k) => {
    const id = k.ipc.call(t.creds, nr, [a.int(0), a.long(1), a.int(2)]);
    k.ipc.forget(kind, id);
    return id;
  });
}

/** What a ctl command needs of the caller on its object: a permission to check, or to run as the guest. */
function ctlNeeds(kind: IpcKind, cmd: number): 'asGuest' | 'byIndex' | number | null {
  if (cmd === IPC.RMID || cmd === IPC.SET) return 'asGuest';
  if (cmd === IPC.STAT) return S_IRUGO;
  if (kind === 'shm') return cmd === SHM.LOCK || cmd === SHM.UNLOCK ? 'asGuest' : cmd === SHM.STAT ? 'byIndex' : null;
  if (kind === 'msg') return cmd === MSG_STAT ? 'byIndex' : null;
  if (cmd === SEM.SETVAL || cmd === SEM.SETALL) return S_IWUGO;
  if (cmd >= SEM.GETPID && cmd <= SEM.GETZCNT) return S_IRUGO;
  return cmd === SEM.STAT ? 'byIndex' : null;
}

/** shmctl, semctl, msgctl. */
function ctl(kind: IpcKind) {
  const spec = CTL[kind];
  const { nr, cmdArg, bufArg, size } = spec;
  return entry(['int', 'int', 'hex', 'ptr'], (t, a, k): Reply => {
    const args = [a.int(0), a.int(1), a.int(2), a.int(3)];
    const cmd = args[cmdArg]! & ~IPC.V64;
    const needs = ctlNeeds(kind, cmd);
    if (needs === null) return PASS;
    if (needs === 'byIndex') {
      // The object at that index: found without a check, then checked as IPC_STAT is.
      const any = [...args];
      any[cmdArg] = STAT_ANY[kind];
      let id: number;
      try {
        id = k.ipc.call(null, nr, any, new Uint8Array(size), bufArg);
      } catch (e) {
        if (e instanceof SysErr) return PASS;
        throw e;
      }
      k.ipc.check(t.creds, spec, id, S_IRUGO);
      return PASS;
    }
    if (needs === 'asGuest') {
      // IPC_SET's struct is read here and handed over: the guest's memory is not the thread's.
      const buf = cmd === IPC.SET ? t.mem.read(a.ptr(bufArg), size) : null;
      const r = k.ipc.call(t.creds, nr, args, buf, buf ? bufArg : -1);
      k.ipc.forget(kind, args[0]!);
      return r;
    }
    k.ipc.check(t.creds, spec, args[0]!, needs);
    return PASS;
  });
}

/** shmat: read, and write unless SHM_RDONLY, and execute with SHM_EXEC. */
function shmat(t: Task, k: Kernel, id: number, flags: number): Reply {
  const flag = S_IRUGO | (flags & SHM.RDONLY ? 0 : S_IWUGO) | (flags & SHM.EXEC ? S_IXUGO : 0);
  k.ipc.check(t.creds, CTL.shm, id, flag);
  return PASS;
}

/**
 * semop, semtimedop: alter permission for operations that change a value,
 * read for waits for zero. The operations are in the guest's memory, which
 * it could change between this check and the host's run, so a caller
 * without alter permission is refused whatever it asks (a known gap: Linux
 * lets it wait for zero).
 */
function semop(t: Task, k: Kernel, id: number, nsops: number): Reply {
  if (nsops < 1 || nsops > SEMOPM) return PASS;
  k.ipc.check(t.creds, CTL.sem, id, S_IWUGO);
  return PASS;
}

export const ipcFamily: SyscallFamily = {
  shmget: get('shm', SYSCALLS.shmget!),
  semget: get('sem', SYSCALLS.semget!),
  msgget: get('msg', SYSCALLS.msgget!),
  shmctl: ctl('shm'),
  semctl: ctl('sem'),
  msgctl: ctl('msg'),
  shmat: entry(['int', 'ptr', 'hex'], (t, a, k) => shmat(t, k, a.int(0), a.int(2))),
  semop: entry(['int', 'ptr', 'int'], (t, a, k) => semop(t, k, a.int(0), a.int(2))),
  semtimedop: entry(['int', 'ptr', 'int', 'ptr'], (t, a, k) => semop(t, k, a.int(0), a.int(2))),
  msgsnd: entry(['int', 'ptr', 'int', 'hex'], (t, a, k) => { k.ipc.check(t.creds, CTL.msg, a.int(0), S_IWUGO); return PASS; }),
  msgrcv: entry(['int', 'ptr', 'int', 'int', 'hex'], (t, a, k) => { k.ipc.check(t.creds, CTL.msg, a.int(0), S_IRUGO); return PASS; }),
};
