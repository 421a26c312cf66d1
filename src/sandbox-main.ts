// The sandbox process: the sentry serving one sandbox. Started with the
// sandbox's spec as JSON in argv[2], by `tvisor do` (which it never
// outlives) or by the runtime's `create` (daemonized: it lives until its
// container ends, and tells create on fd TVISOR_READY_FD when it is up);
// or as a spare (`--spare <root>/<id>`: the name is for ps) by the front
// end (native/front.c) for a `create` a root's warm command line serves: it
// loads the sentry while create gets ready, and takes its spec from fd 3
// (SpareSpec), which then carries the ready line back.
// Exits as the guest's main process did (128 + signal for a signal). The
// gofer is started first, so that its start-up overlaps the loading of the
// sentry.
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync, writeFileSync } from 'node:fs';
import { spawnGofer } from '../sentry/fs/gofer/spawn.js';
import type { SandboxHooks, SandboxSpec, SpareSpec } from '../sentry/boot.js';
import { libcCalls, native } from '../native/index.js';
import { connectUnix } from '../sentry/host/sockets.js';
import { textName } from '../sentry/abi/names.js';
import { raiseFdLimit } from '../sentry/host/fd.js';
import { WARM_MAIN } from './programs.js';

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;
/** A spare's socket to the create that serves it. */
const SPARE_SOCKET = 3;
const spare = process.argv[2] === '--spare';
let spec = spare ? {} as SandboxSpec : JSON.parse(process.argv[2] ?? '{}') as SandboxSpec;
/** The runtime's create waits on this pipe (a spare's socket): "ready <init pid>", or an error. */
const readyFd = spare ? SPARE_SOCKET : process.env.TVISOR_READY_FD === undefined ? -1 : Number(process.env.TVISOR_READY_FD);
/** With a terminal: where its master goes (an engine's console socket), else to `do` over fd 3. */
let consoleSocket = process.env.TVISOR_CONSOLE_SOCKET;

// Under `do`, the sandbox lives no longer than the CLI that runs it:
// orphaned, it would serve on with no one to see its end.
if (process.env.TVISOR_CLI_PID) {
  libcCalls.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (process.ppid !== Number(process.env.TVISOR_CLI_PID)) process.exit(125);
}

/** `do -t` passes a socket as fd 3 and relays the pty's master (sent over it) to the user's terminal. */
const TERMINAL_SOCKET = 3;

function handTerminalTo(sock: number, master: number, name: string): void {
  const r = native.send(sock, new Uint8Array(Buffer.from(name)), Buffer.byteLength(name), Int32Array.of(master), 1);
  if (r < 0) throw new Error(`handing the terminal over: errno ${-r}`);
}

/** runc's console-socket protocol: a unix stream connection, the master as SCM_RIGHTS. */
function sendToConsoleSocket(path: string, master: number): void {
  const sock = libcCalls.socket(1, 1 /* SOCK_STREAM */ | 0o2000000, 0);
  try {
    if (sock < 0) throw new Error('socket failed');
    connectUnix(sock, textName(path));
    handTerminalTo(sock, master, '/dev/ptmx');
  } finally {
    if (sock >= 0) closeSync(sock);
  }
}

/** Joins the sandbox's cgroup (before the gofer starts, so it is in it too); opens the guests' for init. */
function enterCgroup(): number[] {
  if (!spec.cgroup) return [];
  for (const procs of spec.cgroup.sentryProcs) writeFileSync(procs, String(process.pid));
  return spec.cgroup.guestProcs.map((procs) => openSync(procs, 'w'));
}

function tellRuntime(line: string): void {
  if (readyFd < 0) return;
  try { writeSync(readyFd, line + '\n'); closeSync(readyFd); } catch { /* create is gone */ }
}

/**
 * The fds the library API and the runtime hand the sandbox process (volumes'
 * gofer sockets, the strace pipe, the gofer create started) are inherited
 * without close-on-exec: a gofer started next must not get them.
 */
function keepInheritedFds(): void {
  const fds = [...spec.mounts.flatMap((m) => m.goferSocket ?? []), ...(spec.straceFd === undefined ? [] : [spec.straceFd]),
    ...(spec.gofer ? [spec.gofer.sockFd, spec.gofer.pidfdFd] : [])];
  for (const fd of fds) libcCalls.fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
}

/** A pod's warm command line: the sentry's child, the listening socket its fd 3, nothing else of this process's. */
function startWarm(listenFd: number): number {
  const child = spawn(process.execPath, [WARM_MAIN, String(process.pid)], { stdio: ['ignore', 'ignore', 'ignore', listenFd] });
  if (child.pid === undefined) throw new Error('cannot start the warm command line');
  // The sentry reaps it (Kernel.watchChild); Node's loop must not wait for it.
  child.unref();
  return child.pid;
}

/**
 * A spare's spec, from the create that serves it (one message on fd 3, with the gofer's socket and pidfd as
 * SCM_RIGHTS): it stands for the argv, environment and fds a create gives the sandbox process it spawns. The process
 * has the front end's stdio, which is create's; with a terminal it has none, as a spawned one.
 */
function takeSpareSpec(): void {
  const buf = new Uint8Array(1 << 20);
  const fds = new Int32Array(2);
  const nfds = new Int32Array(1);
  const n = native.recv(SPARE_SOCKET, buf, buf.length, fds, fds.length, nfds);
  // Nothing: the create ended without serving it (the front end ends it too).
  if (n <= 0 || nfds[0] !== 2) process.exit(125);
  const handed = JSON.parse(Buffer.from(buf.subarray(0, n)).toString()) as SpareSpec;
  spec = { ...handed.spec, gofer: { ...handed.spec.gofer!, sockFd: fds[0]!, pidfdFd: fds[1]! } };
  consoleSocket = handed.consoleSocket;
  if (spec.process?.terminal) {
    const nul = openSync('/dev/null', 'r+');
    for (let fd = 0; fd < 3; fd++) libcCalls.dup3(nul, fd, 0);
    closeSync(nul);
  }
}

/** Runs the sandbox until its first process ends, and exits with its status (125: the sandbox failed; 127: no such command). */
async function main(): Promise<never> {
  let boot: typeof import('../sentry/boot.js') | undefined;
  let status;
  let guestCgroups: number[] = [];
  try {
    if (spare) {
      await Promise.all([import('../sentry/boot.js'), import('../sentry/log.js')]);
      takeSpareSpec();
    }
    raiseFdLimit();
    guestCgroups = enterCgroup();
    keepInheritedFds();
    // The runtime's create starts it beside this process; otherwise it is started first, to overlap the rest.
    const gofer = spec.gofer ? { sock: spec.gofer.sockFd, pid: spec.gofer.pid, pidfd: spec.gofer.pidfdFd } : spawnGofer();
    const [sentry, { openLog }] = await Promise.all([import('../sentry/boot.js'), import('../sentry/log.js')]);
    boot = sentry;
    const hooks: SandboxHooks = {
      guestCgroups,
      ready: ({ initPid }) => tellRuntime(`ready ${initPid}`),
      startWarm,
    };
    if (spec.process?.terminal) {
      const socket = consoleSocket;
      hooks.terminal = socket ? (master) => sendToConsoleSocket(socket, master)
        : (master) => handTerminalTo(TERMINAL_SOCKET, master, '\x01');
    }
    status = sentry.runSandbox(spec, gofer, await openLog(spec), hooks);
  } catch (e) {
    tellRuntime(`error ${(e as Error).message}`);
    process.stderr.write(`tvisor: ${(e as Error).message}\n`);
    if (process.env.TVISOR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(boot && e instanceof boot.CommandNotFound ? 127 : 125);
  }
  for (const fd of guestCgroups) closeSync(fd);
  process.exit('code' in status ? status.code : 128 + status.signal);
}

// Its bundle is CommonJS (scripts/bundle.mjs), which has no top-level await.
void main();
