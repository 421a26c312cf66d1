// The syscall table: which calls run natively, which the sentry serves
// (and with which handler), and the seccomp program that follows from it.
// Everything else reaches the sentry (as a user notification, or for exec a
// ptrace stop): a handler serves it, or the sentry logs it and answers ENOSYS.
import { F } from '../abi/flags.js';
import { SO } from '../abi/socket.js';
import { buildFilter, FD_MARKER_NR, SENTRY_TRACE_DATA, verdict, type Action } from '../platform/seccomp.js';
import { attrFamily } from './attr.js';
import { credsFamily } from './creds.js';
import { prctlFamily, TRAPPED_PRCTLS } from './prctl.js';
import { socketFamily } from './socket.js';
import { ipcFamily } from './ipc.js';
import { dirFamily } from './dir.js';
import { execFamily } from './exec.js';
import { linkFamily } from './link.js';
import { fcntlFamily, TRAPPED_FCNTL_COMMANDS, TRAPPED_SETFL_BITS } from './fcntl.js';
import { lockFamily } from './lock.js';
import { miscFamily } from './misc.js';
import { mountFamily } from './mount.js';
import { notifyFamily } from './notify.js';
import { SYSCALL_NAMES, SYSCALLS } from './numbers.js';
import { openFamily } from './open.js';
import { statFamily } from './stat.js';
import { signalFamily } from './signal.js';
import { PID_CALL_RULES, pidsFamily } from './pids.js';
import type { SyscallEntry, SyscallFamily, SyscallTable } from '../kernel/syscalls.js';

/** The data path, memory, signals, time, scheduling, processes: run by the host kernel untouched (but see pids.ts). */
export const PASSTHROUGH: readonly string[] = [
  'read', 'write', 'close', 'poll', 'lseek', 'mmap', 'mprotect', 'munmap', 'brk', 'rt_sigaction',
  'rt_sigprocmask', 'rt_sigreturn', 'pread64', 'pwrite64', 'readv', 'writev', 'pipe', 'select',
  'sched_yield', 'mremap', 'msync', 'mincore', 'madvise', 'dup', 'dup2',
  'pause', 'nanosleep', 'getitimer', 'alarm', 'setitimer', 'getpid', 'sendfile', 'socket', 'accept',
  'recvfrom', 'sendmsg', 'recvmsg', 'shutdown', 'listen', 'getsockname', 'getpeername',
  'socketpair', 'setsockopt', 'fork', 'vfork', 'exit', 'wait4', 'uname',
  'shmdt', 'fsync', 'fdatasync', 'ftruncate', 'getrusage',
  'sysinfo', 'times', 'setpgid', 'getppid', 'getpgrp', 'setsid', 'rt_sigpending', 'rt_sigtimedwait',
  'rt_sigsuspend', 'sigaltstack', 'personality', 'sched_get_priority_max', 'sched_get_priority_min', 'mlock',
  'munlock', 'mlockall', 'munlockall', 'arch_prctl', 'setrlimit', 'getrlimit', 'sync', 'gettid', 'readahead',
  'time', 'futex', 'set_thread_area', 'get_thread_area', 'io_setup', 'io_destroy', 'io_getevents',
  'io_submit', 'io_cancel', 'epoll_create', 'set_tid_address', 'restart_syscall', 'fadvise64',
  'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'clock_gettime',
  'clock_getres', 'clock_nanosleep', 'exit_group', 'epoll_wait', 'epoll_ctl', 'waitid', 'pselect6', 'ppoll',
  'set_robust_list', 'splice', 'tee', 'sync_file_range', 'vmsplice', 'epoll_pwait', 'signalfd',
  'timerfd_create', 'eventfd', 'fallocate', 'timerfd_settime', 'timerfd_gettime', 'accept4', 'signalfd4',
  'eventfd2', 'epoll_create1', 'dup3', 'pipe2', 'preadv', 'pwritev', 'recvmmsg', 'syncfs', 'sendmmsg',
  'getcpu', 'seccomp', 'getrandom', 'memfd_create', 'membarrier', 'mlock2', 'copy_file_range', 'preadv2',
  'pwritev2', 'pkey_mprotect', 'pkey_alloc', 'pkey_free', 'rseq', 'close_range',
  'epoll_pwait2', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue', 'mseal',
  // POSIX message queues live in the sandbox's own ipc namespace and are named, not reached by path.
  'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
];

/** Calls the sentry serves at ptrace stops, because it must rewrite them. */
const PTRACE_SERVED = ['execve', 'execveat'];

/**
 * Trapped calls the sentry may hand to the host to run as made (PASS), where
 * they may block and a signal interrupt them as Linux does (a lock's wait, a
 * send on a full socket): their EINTR is Linux's.
 */
const MAY_BLOCK_ON_HOST = ['fcntl', 'flock', 'sendto', 'sendmsg', 'semop', 'semtimedop', 'msgsnd', 'msgrcv'];

const CLONE_NAMESPACES = 0x00020000 /* NEWNS */ | 0x02000000 /* NEWCGROUP */ | 0x04000000 /* NEWUTS */ |
  0x08000000 /* NEWIPC */ | 0x10000000 /* NEWUSER */ | 0x20000000 /* NEWPID */ | 0x40000000 /* NEWNET */;

/** Terminal and fd-flag ioctls run natively; TIOCSTI and the rest are trapped. */
const NATIVE_IOCTLS = [
  0x5401, 0x5402, 0x5403, 0x5404, 0x5409, 0x540a, 0x540b, 0x540e, 0x540f, 0x5410, 0x5411, 0x5413, 0x5414,
  0x541b, 0x5421, 0x5422, 0x5429, 0x5441, 0x5450, 0x5451, 0x5452, 0x80045430, 0x40045431, 0x802c542a,
  0x402c542b, 0x402c542c, 0x402c542d, 0x80086601,
];

const FAMILIES: readonly SyscallFamily[] = [openFamily, statFamily, dirFamily, linkFamily, attrFamily, execFamily,
  mountFamily, miscFamily, lockFamily, fcntlFamily, notifyFamily, credsFamily, prctlFamily, socketFamily,
  signalFamily, pidsFamily, ipcFamily];

function nr(name: string): number {
  const n = SYSCALLS[name];
  if (n === undefined) throw new Error(`unknown system call ${name}`);
  return n;
}

/** What the filter does with a call it has no rule for: the sentry serves it (or answers ENOSYS). */
const FALLBACK: Action = { kind: 'notify' };

/** The table the kernel serves the guests with (x86-64 Linux numbers). */
export function handlerTable(): SyscallTable {
  const entries = new Map<number, SyscallEntry>();
  for (const family of FAMILIES) for (const [name, e] of Object.entries(family)) entries.set(nr(name), e);
  const policy = seccompPolicy({ entries });
  const blocking = new Set(MAY_BLOCK_ON_HOST.map(nr));
  return {
    entries,
    restartsAfterSignal: (n, args) =>
      !blocking.has(n) && verdict(policy.get(n) ?? FALLBACK, (i) => args[i] ?? 0) === 'notify',
    name: (n) => SYSCALL_NAMES[n] ?? `#${n}`,
    // The sentry's RET_TRACE carries its own data; a stop of a call its
    // policy does not trace comes from a guest's own filter, whatever its data.
    tracedBySentry: (ev) =>
      ev.aux === SENTRY_TRACE_DATA && verdict(policy.get(ev.nr) ?? FALLBACK, (i) => ev.uint(i)) === 'trace',
  };
}

export function seccompPolicy(table: Pick<SyscallTable, 'entries'>): Map<number, Action> {
  const policy = new Map<number, Action>();
  for (const name of PASSTHROUGH) policy.set(nr(name), { kind: 'allow' });
  policy.set(nr('clone'), { kind: 'allowUnlessBits', arg: 0, mask: CLONE_NAMESPACES, errno: 1 /* EPERM */ });
  policy.set(nr('ioctl'), { kind: 'allowIfOneOf', arg: 1, values: NATIVE_IOCTLS });
  // fcntl runs natively but for a few commands (fcntl.ts), prctl but for the credential options and the name (prctl.ts).
  policy.set(nr('fcntl'), { kind: 'notifyIfOneOf', arg: 1, values: TRAPPED_FCNTL_COMMANDS,
    masked: { value: F.SETFL, arg: 2, mask: TRAPPED_SETFL_BITS } });
  policy.set(nr('prctl'), { kind: 'notifyIfOneOf', arg: 0, values: TRAPPED_PRCTLS });
  // A call that names a process runs natively on the caller itself, and is checked on any other (pids.ts).
  for (const [name, args] of Object.entries(PID_CALL_RULES)) policy.set(nr(name), { kind: 'allowIfEqual', args });
  // getsockopt runs natively but for SO_PEERCRED, whose peer the sandbox names (socket.ts).
  policy.set(nr('getsockopt'), { kind: 'notifyIfOneOf', arg: 2, values: [SO.PEERCRED] });
  // sendto runs natively without an address (the data path of connected sockets); with one, it may name a path (socket.ts).
  policy.set(nr('sendto'), { kind: 'allowIfNull', arg: 4 });
  for (const n of table.entries.keys()) {
    const action = policy.get(n);
    if (action?.kind === 'allow') throw new Error(`system call ${n} has a handler but is passed through`);
  }
  // exec is rewritten at ptrace stops; every other trapped call is a notification.
  for (const name of PTRACE_SERVED) policy.set(nr(name), { kind: 'trace' });
  policy.set(FD_MARKER_NR, { kind: 'notify' });
  return policy;
}

export function guestFilter(table: SyscallTable) {
  return buildFilter(seccompPolicy(table), FALLBACK);
}
