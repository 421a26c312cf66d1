// execve(2) and execveat(2).
//
// The sentry resolves the program in the sandbox's view and decides what
// the host kernel maps (loader/), puts that file into the guest as an fd,
// and makes the guest call execveat(fd, "", argv, envp, AT_EMPTY_PATH):
// the host never resolves a guest path. The handler plans the exec and
// writes argv and "" below the red zone; the platform (execWithFd) puts the
// fd in and runs the execveat in place of the call (if the guest's own
// seccomp filter refuses either, the exec fails with that filter's errno).
import { closeSync } from 'node:fs';
import { type Creds, execCreds } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import { nameBytes } from '../abi/names.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Task } from '../kernel/task.js';
import { planExec, planExecOf, type ExecPlan } from '../loader/loader.js';
import { pathOf } from '../vfs/walk.js';
import { hostComm } from '../host/proc-stat.js';
import { AT, O } from '../abi/flags.js';
import { startOf } from './common.js';
import { foreignProgram } from '../loader/foreign.js';
import { entry, RESUMED, type Reply, type SyscallFamily } from '../kernel/syscalls.js';
import type { ExecRequest } from '../platform/platform.js';
import { InitialStack } from '../loader/initial-stack.js';

const RED_ZONE = 128;
const SIGKILL = 9;
/** What the sentry stages of argv and envp in all (Linux bounds each string by MAX_ARG_STRLEN, and all by a quarter of the stack limit). */
const MAX_STAGED = 2 * 1024 * 1024;

/** The bytes of a string array as staged: its strings (NUL-terminated), an empty string, then its pointer array. */
function arraySize(strings: Buffer[]): number {
  return ((strings.reduce((n, b) => n + b.length, 0) + 1 + 7) & ~7) + 8 * (strings.length + 1);
}

/** Writes a string array at `base` (arraySize bytes): its pointer array's address, and the empty string's. */
function writeArray(t: Task, base: number, strings: Buffer[]): { arrayAddr: number; emptyAddr: number } {
  const blob = Buffer.alloc(arraySize(strings));
  let off = 0;
  const addrs: number[] = [];
  for (const s of strings) { addrs.push(base + off); s.copy(blob, off); off += s.length; }
  const emptyAddr = base + off;
  const ptrOff = (off + 1 + 7) & ~7;
  addrs.forEach((a, i) => blob.writeBigUInt64LE(BigInt(a), ptrOff + 8 * i));
  t.mem.write(base, blob);
  return { arrayAddr: base + ptrOff, emptyAddr };
}

function same(got: string[], staged: Buffer[]): boolean {
  return got.length === staged.length && got.every((g, i) => nameBytes(g + '\0').equals(staged[i]!));
}

/**
 * What an exec writes into the caller's memory: the program's argv, the empty path of the execveat, and for a
 * secure exec its filtered environment (null: the caller's own envp stands).
 */
class Staging {
  private readonly argvSize: number;
  readonly size: number;
  constructor(private readonly argv: Buffer[], private readonly env: Buffer[] | null, private readonly envp: number) {
    this.argvSize = arraySize(argv);
    this.size = this.argvSize + (env ? arraySize(env) : 0);
    if (this.size > MAX_STAGED) throw new SysErr(E.E2BIG);
  }
  /**
   * Whether the new program, stopped at its exec with its stack at `sp`, got what was staged: another thread of the
   * caller may have rewritten it before the host kernel copied it.
   */
  arrived(t: Task, sp: number): boolean {
    const argc = t.mem.readU64(sp);
    return same(t.mem.readStringArray(sp + 8, argc + 1), this.argv) &&
      (this.env === null || same(t.mem.readStringArray(sp + 8 * (argc + 2), this.env.length + 1), this.env));
  }
  /** Writes it at `base` (size bytes): the addresses the execveat takes. */
  writeAt(t: Task, base: number): { emptyAddr: number; argvAddr: number; envp: number } {
    const a = writeArray(t, base, this.argv);
    const envp = this.env ? writeArray(t, base + this.argvSize, this.env).arrayAddr : this.envp;
    return { emptyAddr: a.emptyAddr, argvAddr: a.arrayAddr, envp };
  }
}

/**
 * What glibc unsets for a program in secure mode (unsecvars.h), and every
 * LD_ variable: removed before the exec, because the loader, run as the
 * program (see loader/), cannot remove them itself in secure mode (it
 * asserts on the moved environment).
 */
const UNSECURE_ENV = new Set(['GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LOCALDOMAIN', 'LOCPATH',
  'MALLOC_ARENA_MAX', 'MALLOC_ARENA_TEST', 'MALLOC_PERTURB_', 'MALLOC_TRACE', 'MALLOC_TOP_PAD_', 'MALLOC_MMAP_MAX_',
  'MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TMPDIR',
  'TZDIR']);
const unsecure = (entry: string) => {
  const name = entry.slice(0, entry.indexOf('=') >>> 0);
  return name.startsWith('LD_') || UNSECURE_ENV.has(name);
};

/**
 * What Linux puts in AT_EXECFN for execveat(dirfd, path): the path as given, or one through /dev/fd for a path
 * relative to an fd or none (fexecve).
 */
function execFilename(dirfd: number, path: string): string {
  if (path === '') return `/dev/fd/${dirfd}`;
  return path.startsWith('/') || dirfd === AT.FDCWD ? path : `/dev/fd/${dirfd}/${path}`;
}

function runExec(t: Task, k: Kernel, plan: ExecPlan, name: string, filename: string, sp: number, envp: number): Reply {
  let request: ExecRequest;
  let staging: Staging;
  try {
    const strings = (list: string[]) => list.map((s) => nameBytes(s + '\0'));
    const env = secureExec(execCreds(t.creds, plan.setuid, plan.setgid))
      ? strings(t.mem.readStringArray(envp).filter((e) => !unsecure(e))) : null;
    staging = new Staging(strings(plan.hostArgv), env, envp);
    try {
      // Below the caller's red zone, where its stack is mapped...
      request = { hostFd: plan.hostFd, ...staging.writeAt(t, Math.floor((sp - RED_ZONE - staging.size - 64) / 16) * 16) };
    } catch (e) {
      if (!(e instanceof SysErr && e.errno === E.EFAULT)) throw e;
      // ...or, past it (the sentry cannot grow another process's stack), in a mapping the platform makes for the exec.
      const staged = staging;
      request = { hostFd: plan.hostFd, emptyAddr: 0, argvAddr: 0, envp, mapped: { size: staged.size, write: (base) => staged.writeAt(t, base) } };
    }
  } catch (e) {
    closeSync(plan.hostFd);
    plan.program?.release();
    throw e;
  }
  const p = k.platform;
  const outcome = p.execWithFd(t.tid, request, {
    ...k.stopHooks(t),
    // The sentry's own copies of descriptions the guest closed may still be open for writing.
    beforeRetry: () => k.files.sweep(),
  });
  // Failed: the task runs on with the errno, its held signals sent (StopHooks).
  if (outcome.kind !== 'exec') {
    plan.program?.release();
    return RESUMED;
  }
  const task = k.renameTask(outcome.formerTid, outcome.pid) ?? t;
  // A set-id program must run with the arguments the sentry checked: the loader's program is one of them.
  if ((plan.setuid !== null || plan.setgid !== null) && !staging.arrived(task, outcome.sp)) {
    plan.program?.release();
    return killAtExec(k, task, plan, 'a set-id exec\'s arguments changed before the kernel copied them: killed');
  }
  task.tg.exe = plan.exe;
  task.tg.argv = plan.argv;
  task.tg.comm = name.slice(name.lastIndexOf('/') + 1).slice(0, 15);
  // Linux names the program after the path it ran. The host named it after the fd (before Linux 6.14) or the file's
  // own name (since: the loader's for a dynamic program, a tmpfs file's host name): /proc and prctl(PR_GET_NAME) show
  // the program's name for as long as a thread has the host's (ThreadGroup.shownComm).
  task.tg.execComm = hostComm(task.tid);
  task.tg.fdHints.clear();
  task.creds = execCreds(task.creds, plan.setuid, plan.setgid);
  // begin_new_exec: the new program is dumpable unless its effective ids differ from the real ones.
  task.tg.dumpable = task.creds.euid === task.creds.uid && task.creds.egid === task.creds.gid && !plan.unreadable;
  task.tg.setLoaderProgram(plan.program);
  const secure = secureExec(task.creds);
  const execfn = plan.program === null ? nameBytes(filename + '\0') : null;
  if (!fixInitialStack(k, task, outcome.sp, secure, execfn) && secure) {
    return killAtExec(k, task, plan, 'a secure exec\'s auxiliary vector could not be marked: killed');
  }
  // The held signals first, to the stopped task: delivered before the new program's first instruction.
  k.releaseSignals(task);
  p.resume(task.tid);
  return RESUMED;
}

/** Kills the new image at its exec stop, before its first instruction. */
function killAtExec(k: Kernel, t: Task, plan: ExecPlan, why: string): Reply {
  k.log.warn({ tid: t.tid, exe: plan.exe }, why);
  k.platform.kill(t.tid, SIGKILL);
  k.platform.resume(t.tid);
  return RESUMED;
}

/**
 * The new program's auxiliary vector, on its stack at `before`, as Linux makes it: AT_SECURE for a secure exec (the
 * host, seeing no change of ids, left it 0), and for a static program AT_EXECFN naming the path it was run by, not the
 * fd the host ran (a dynamic program's loader points it at the path it was given, see loader/). False if the stack
 * could not take it (mapped too little below its pointers, as under a stack limit of a few pages): the program then
 * keeps /dev/fd/N, and a secure exec is not run.
 */
function fixInitialStack(k: Kernel, t: Task, before: number, secure: boolean, name: Buffer | null): boolean {
  if (!secure && name === null) return true;
  try {
    const stack = InitialStack.read(t.mem, before);
    if (secure) stack.markSecure();
    if (name) stack.nameProgram(name);
    const sp = stack.write(t.mem);
    if (sp !== before) k.platform.setStackPointer(t.tid, sp);
    return true;
  } catch (e) {
    if (!(e instanceof SysErr && e.errno === E.EFAULT)) throw e;
    // Without a name to place, the vector itself could not be written (the caller says so).
    if (name === null) return false;
    k.log.warn({ tid: t.tid }, 'the new program\'s stack has no room for its name (AT_EXECFN)');
    return fixInitialStack(k, t, before, secure, null);
  }
}

/** commoncap's secureexec: ids that differ from the real ones, or capabilities without a real root. */
function secureExec(c: Creds): boolean {
  return c.euid !== c.uid || c.egid !== c.gid || (c.uid !== 0 && c.capEff !== 0n);
}

function execAt(t: Task, k: Kernel, dirfd: number, pathAddr: number, argvAddr: number, envp: number, flags: number,
    sp: number): Reply {
  if (flags & ~(AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW)) throw new SysErr(E.EINVAL);
  const path = t.mem.readPath(pathAddr);
  const argv = t.mem.readStringArray(argvAddr, 0x7fffffff);
  let plan: ExecPlan;
  // The program's name (comm) is the path's last component, or the file's name for fexecve.
  let name = path;
  if (path === '' && (flags & AT.EMPTY_PATH)) {
    ({ plan, name } = planFdExec(k, t, dirfd, argv));
  } else {
    plan = k.files.withRoom(() => planExec(t, startOf(k, t, dirfd, path), path, argv));
  }
  return runExec(t, k, plan, name, execFilename(dirfd, path), sp, envp);
}

/**
 * The program of an fexecve: a description the sentry made, or a host file the sentry did not open (a memfd the guest
 * made natively, a file the caller handed in; EBADF without an fd); its name (comm) is the file's. The path by which
 * a foreign program's loader or a script's interpreter opens it is Linux's, /dev/fd/N (the loader's open gets the
 * file whatever the path names, see LoaderProgram).
 */
function planFdExec(k: Kernel, t: Task, fd: number, argv: string[]): { plan: ExecPlan; name: string } {
  const d = k.files.lookup(t, fd);
  if (d === null) {
    const program = foreignProgram(t, fd);
    try {
      const plan = k.files.withRoom(() => planExecOf(t, program.at, t.fs.root, `/dev/fd/${fd}`, argv));
      return { plan, name: program.name };
    } finally {
      program.release();
    }
  }
  const name = pathOf(t, d.at).path;
  // Through the description (not an O_PATH one's stand-in), which reaches the file when its name is gone.
  const at = d.flags & O.PATH ? d.at : { ...d.at, through: d };
  return { plan: k.files.withRoom(() => planExecOf(t, at, t.fs.root, name, argv)), name };
}

export const execFamily: SyscallFamily = {
  execve: entry(['path', 'ptr', 'ptr'], (t, a, k) => execAt(t, k, AT.FDCWD, a.ptr(0), a.ptr(1), a.ptr(2), 0, a.sp)),
  execveat: entry(['fd', 'path', 'ptr', 'ptr', 'flags'], (t, a, k) =>
    execAt(t, k, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), a.int(4), a.sp)),
};
