// `tvisor do`: one sandbox, one command, in this process. The command line
// is the sandbox process (the sentry): a run pays one Node start-up less
// than through the library API, and the gofer, started first, starts while
// this process loads the sentry (docs/design.md, "Start-up"). With a
// terminal (-t) `do` goes through the API instead (do-relayed.ts): relaying
// the pty needs an event loop, and the sentry's main thread runs none.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import type { Change } from '../sentry/fs/overlay/changes.js';
import type { ExitStatus } from '../sentry/kernel/kernel.js';
import type { SandboxHooks, SandboxSpec } from '../sentry/boot.js';
import type { RlimitConfig } from '../sentry/control/process.js';
import { type GoferProcess, spawnGofer } from '../sentry/fs/gofer/spawn.js';
import { libcCalls, native } from '../native/index.js';
import { raiseFdLimit } from '../sentry/host/fd.js';
import { type Bind, mergeEnv, sandboxMounts } from './api/spec.js';
import { CgroupError, SandboxCgroup } from './cgroup.js';

export interface DoOptions {
  diff?: boolean;
  volume: Bind[]; cwd?: string; root?: string; env: string[]; debugLog?: string; strace?: boolean; tty?: boolean; memory: number;
  pids: number;
  /** --gofer-timeout, in ms. */
  goferTimeout?: number;
}

const { SIGHUP, SIGINT, SIGQUIT, SIGTERM } = osConstants.signals;

/**
 * SIGTERM and SIGHUP end the sandbox, as they end a command; SIGINT and
 * SIGQUIT from the terminal reach the guests themselves (one process
 * group), and the sandbox outlives them as the shell would. The sentry
 * sees them as events of its loop (native tv_signal_pipe).
 */
function signalStopper(): NonNullable<SandboxHooks['stopper']> {
  const fd = native.signalPipe(Int32Array.of(SIGTERM, SIGHUP, SIGINT, SIGQUIT), 4);
  if (fd < 0) throw new Error(`handling signals: errno ${-fd}`);
  const got = Buffer.alloc(64);
  return {
    fd,
    onReadable: (): ExitStatus | null => {
      let n = 0;
      try { n = readSync(fd, got); } catch { /* EAGAIN: nothing more */ }
      const ending = [...got.subarray(0, n)].find((s) => s === SIGTERM || s === SIGHUP);
      return ending === undefined ? null : { signal: ending, core: false };
    },
  };
}

/** `do`: the sandbox runs the command and ends with it; its exit status is ours (128 + signal, 127: not found). */
export async function doCommand(command: string[], opts: DoOptions): Promise<never> {
  callersNodeCerts();
  const handed = handedGofer();
  const fdLimit = callersFdLimit();
  const remover = frontEndRemover();
  if (opts.tty) {
    // The API's sandbox process starts its own.
    if (handed) endGofer(handed.pid);
    return (await import('./do-relayed.js')).doRelayed(command, opts);
  }
  const stopper = signalStopper();
  const gofer = handed ?? spawnGofer();
  let cgroup: SandboxCgroup | null = null;
  let entered: Promise<void> | null = null;
  const guestCgroups: number[] = [];
  let changes: Change[] | null = null;
  let code = 125;
  try {
    cgroup = SandboxCgroup.create({ memory: opts.memory, pids: opts.pids });
    // The moves wait for an RCU grace period each (10-25 ms here): a worker thread waits while the sandbox starts.
    entered = cgroup?.enterSentryMeanwhile([process.pid, gofer.pid]) ?? null;
    // Awaited below: a failure that comes while the sandbox starts is no unhandled rejection.
    entered?.catch(() => {});
    if (cgroup) for (const procs of cgroup.paths.guestProcs) guestCgroups.push(openSync(procs, 'w'));
    raiseFdLimit();
    const env = Object.entries(process.env).flatMap(([k, v]) => v === undefined ? [] : [`${k}=${v}`]);
    const spec: SandboxSpec = {
      rootfs: opts.root ?? '/', mounts: sandboxMounts(opts.volume, [], 0), startAtBoot: true,
      process: { args: command, env: mergeEnv(env, opts.env), cwd: opts.cwd ?? (opts.root ? '/' : process.cwd()), uid: 0, gid: 0,
        rlimits: fdLimit },
      strace: opts.strace ?? false, memory: opts.memory, ...(opts.debugLog ? { debugLog: resolvePath(opts.debugLog) } : {}),
      ...(opts.goferTimeout === undefined ? {} : { goferDeadlineMs: opts.goferTimeout }),
    };
    const [boot, { openLog }] = await Promise.all([import('../sentry/boot.js'), import('../sentry/log.js')]);
    try {
      // The sentry's errors on stderr, as a command's: why a sandbox ended early is the user's to see.
      const status = boot.runSandbox(spec, gofer, await openLog({ ...spec, errorsTo: 2 }), {
        guestCgroups, stopper, finished: (list) => { if (opts.diff) changes = list(); },
      });
      code = 'code' in status ? status.code : 128 + status.signal;
    } catch (e) {
      if (e instanceof boot.CommandNotFound) code = 127;
      throw e;
    }
    // Made long before (a grace period's wait): one that failed is told now, and fails the command as it would have.
    await entered;
  } catch (e) {
    if (e instanceof CgroupError) code = 125;
    process.stderr.write(e instanceof CgroupError
      ? `tvisor: cannot limit the sandbox's memory and processes: ${e.message}\n` +
        'tvisor: run it with --memory=0 --pids=0 to go without these limits\n'
      : `tvisor: ${(e as Error).message}\n`);
    if (process.env.TVISOR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  }
  for (const fd of guestCgroups) closeSync(fd);
  // Nothing leaves or ends mid-move (after another failure, that one was told).
  await entered?.catch(() => {});
  // The gofer serves no one now (it may be mid-start if the sandbox failed early): reaped before its cgroup goes, by
  // this process if it is its child, else by the front end once this process has exited.
  endGofer(gofer.pid);
  if (changes) printChanges(changes);
  if (cgroup) endCgroup(cgroup, opts.memory, remover);
  process.exit(code);
}

const RLIMIT_NOFILE = 7;

/**
 * The caller's RLIMIT_NOFILE for the command, as the front end (native/front.c) found it before Node raised the
 * soft limit to the hard one (TVISOR_NOFILE="soft:hard"; taken out of the environment, which the command gets).
 * Without the front end (`node bin/tvisor.js do`) it is not known: the command has Node's.
 */
function callersFdLimit(): RlimitConfig[] {
  const given = process.env.TVISOR_NOFILE;
  delete process.env.TVISOR_NOFILE;
  const m = /^(\d+):(\d+)$/.exec(given ?? '');
  return m ? [{ resource: RLIMIT_NOFILE, soft: m[1]!, hard: m[2]! }] : [];
}

/**
 * The caller's NODE_EXTRA_CA_CERTS, which the front end (native/front.c) kept from tvisor's Node programs (it makes
 * each load all the certificates as it starts) in TVISOR_NODE_EXTRA_CA_CERTS: the command's environment is the caller's.
 */
function callersNodeCerts(): void {
  const kept = process.env.TVISOR_NODE_EXTRA_CA_CERTS;
  delete process.env.TVISOR_NODE_EXTRA_CA_CERTS;
  if (kept !== undefined) process.env.NODE_EXTRA_CA_CERTS = kept;
}

/**
 * The pipe of the front end (native/front.c) when it waits for this process (TVISOR_AFTER_EXIT="fd"): it removes the
 * directories written there, each NUL-terminated, once this process has exited. Taken out of the environment.
 */
function frontEndRemover(): number | null {
  const given = process.env.TVISOR_AFTER_EXIT;
  delete process.env.TVISOR_AFTER_EXIT;
  const fd = /^\d+$/.test(given ?? '') ? Number(given) : null;
  // Not for what this process starts.
  return fd !== null && libcCalls.fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */) >= 0 ? fd : null;
}

/** Gives `dirs` to the front end to remove (see frontEndRemover); false if it cannot take them. */
function handOver(remover: number, dirs: string[]): boolean {
  const list = Buffer.from(dirs.map((d) => `${d}\0`).join(''));
  try {
    return writeSync(remover, list) === list.length;
  } catch {
    // The front end is gone (EPIPE).
    return false;
  }
}

/**
 * The gofer the front end (native/front.c) started beside this process, when it did (TVISOR_GOFER="fd,pid"): the
 * front end's child, which the front end reaps once this process has exited. Taken out of the environment, which the
 * command gets.
 */
function handedGofer(): GoferProcess | null {
  const given = process.env.TVISOR_GOFER;
  delete process.env.TVISOR_GOFER;
  const m = given === undefined ? null : /^(\d+),(\d+)$/.exec(given);
  if (!m) return null;
  const sock = Number(m[1]);
  // Not for what this process starts (init, and through it the guests).
  if (libcCalls.fcntl(sock, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */) < 0) return null;
  return { sock, pid: Number(m[2]) };
}

/** Kills the gofer, and reaps it if it is this process's child (ECHILD otherwise). */
function endGofer(pid: number): void {
  native.kill(pid, 9);
  native.wait(pid, new Int32Array(32));
}

/**
 * Removes the sandbox's cgroup; with the front end waiting (`remover`), the cgroups this process is in are left to it,
 * to remove once this process has exited: leaving them first waits for an RCU grace period (10-20 ms here).
 */
function endCgroup(cgroup: SandboxCgroup, memory: number, remover: number | null): void {
  const kills = cgroup.oomKills();
  if (remover === null || !handOver(remover, cgroup.removalAfterExit())) {
    cgroup.leave();
    cgroup.remove();
  }
  if (kills > 0) {
    process.stderr.write(`tvisor: the sandbox reached its memory limit (--memory ${memory} bytes): ` +
      `the kernel killed ${kills} process${kills > 1 ? 'es' : ''}\n`);
  }
}

/** `do --diff`: one line per change on stderr, as `docker diff` writes them (A added, C changed, D deleted). */
export function printChanges(changes: Change[]): void {
  const mark = { created: 'A', modified: 'C', deleted: 'D' } as const;
  for (const c of changes) {
    const what = c.kind === 'deleted' ? c.type : `${c.type}${c.type === 'file' ? `, ${c.size} bytes` : ''}${c.opaque ? ', opaque' : ''}`;
    process.stderr.write(`${mark[c.kind]} ${c.path} (${what})\n`);
  }
}
