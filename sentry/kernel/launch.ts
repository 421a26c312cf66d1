// Starting a new process of the sandbox (gVisor's kernel.CreateProcess):
// the container's process, each `exec`, `do`'s command. The sentry asks
// init to fork (init_serve in native/tvisor.c); the child's execve is served
// like any other. What the new process is (credentials, cwd, umask,
// limits) is the kernel's state, set on the task when the fork is seen.
import type { Creds } from '../auth/creds.js';
import { E, SysErr } from '../abi/errno.js';
import { nameBytes, nameText } from '../abi/names.js';
import { S_IFDIR } from '../abi/stat.js';
import type { VfsPath } from '../vfs/mount.js';
import type { Container } from './container.js';
import { resolve, type WalkContext } from '../vfs/walk.js';

export interface ResourceLimit { resource: number; soft: bigint; hard: bigint }

/** A new process of the sandbox. */
export interface ProcessSpec {
  /** argv[0] is looked up in PATH (of `env`) inside the sandbox when it has no slash. */
  argv: string[];
  env: string[];
  /** Absolute, in the sandbox. */
  cwd: string;
  creds: Creds;
  umask: number;
  rlimits: ResourceLimit[];
  /** The container's seccomp profile, compiled (sock_filter bytes), installed by the process before its exec. */
  seccomp?: Uint8Array;
}

/** The host fds the process gets as its stdio; with `tty`, fd 0 (a pty slave) becomes its controlling terminal. */
export interface Stdio { fds: [number, number, number]; tty: boolean }

/** How a process of the sandbox ended. */
export type ExitStatus = { code: number } | { signal: number; core: boolean };

export interface LaunchHooks {
  /** The process exists (its host pid); its exec follows. */
  started?(pid: number): void;
  exited?(status: ExitStatus): void;
}

/** A launch asked of init whose fork the kernel has not seen yet. */
export interface PendingLaunch {
  spec: ProcessSpec;
  cwd: VfsPath;
  hooks: LaunchHooks;
  /** Its end ends the sandbox (the container's process, `do`'s command). */
  main: boolean;
  /** The container it runs in (its root, its proc's view). */
  container: Container;
  /** The container's first process: its end ends the container (its other processes are killed). */
  containerInit: boolean;
}

/** A command the sandbox cannot run: the CLI says so and exits 127, as a shell does. */
export class CommandNotFound extends Error {
  /** program: a name (abi/names.ts), shown as text. */
  constructor(readonly program: string, detail: string) { super(`${nameText(program)}: ${detail}`); }
}

/** The lookup errors that mean "not here", as execvp skips them; any other (EIO of a stalled gofer) is the launch's error. */
const ABSENT: ReadonlySet<number> = new Set([E.ENOENT, E.ENOTDIR, E.EACCES, E.ELOOP, E.ENAMETOOLONG]);

/** The path to exec for argv[0]: found in PATH (from `cwd` for relative entries) when it has no slash. */
export function findProgram(ctx: WalkContext, cwd: VfsPath, name: string, env: string[]): string {
  const exists = (p: string) => {
    try {
      return resolve(ctx, cwd, p, { followFinal: true }).inode.fileType() !== S_IFDIR;
    } catch (e) {
      if (e instanceof SysErr && ABSENT.has(e.errno)) return false;
      throw e;
    }
  };
  if (name.includes('/')) {
    if (!exists(name)) throw new CommandNotFound(name, 'No such file or directory');
    return name;
  }
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/bin:/usr/bin:/bin';
  for (const dir of path.split(':')) {
    const candidate = `${dir || '.'}/${name}`;
    if (exists(candidate)) return candidate;
  }
  throw new CommandNotFound(name, 'command not found');
}

const TTY = 1;
/** What init's request buffer holds at most (TV_LAUNCH_MAX). */
const LAUNCH_MAX = 256 * 1024;

/** init's request (see init_serve): flags, argc, envc, filter length, the filter, then the strings. */
export function encodeLaunch(program: string, spec: ProcessSpec, tty: boolean): Uint8Array {
  const filter = spec.seccomp ?? new Uint8Array(0);
  const strings = nameBytes([program, ...spec.argv, ...spec.env].map((s) => s + '\0').join(''));
  const size = 16 + filter.length + strings.length;
  if (size > LAUNCH_MAX) throw new SysErr(E.E2BIG, 'the arguments and environment of a new process');
  const buf = new Uint8Array(size);
  new Int32Array(buf.buffer, 0, 4).set([tty ? TTY : 0, spec.argv.length, spec.env.length, filter.length / 8]);
  buf.set(filter, 16);
  buf.set(strings, 16 + filter.length);
  return buf;
}
