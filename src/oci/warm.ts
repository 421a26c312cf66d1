// Warm command lines: Node processes with the runtime's modules loaded that
// wait on a unix socket for one command the front end (native/front.c)
// hands them: the command's argv, cwd, environment and stdio. One runs it
// as the Node command line would — the same program, parsed by commander,
// with the same checks — and answers with its exit code, or sends it back
// unserved when it is not one it serves (then nothing was done, and the
// front end runs Node). One command each: a new one takes its place.
//
// - A pod's (<root>/<sandbox id>/warm.sock) serves a joining `create`, with
//   the waiter the front end started; the pod's sandbox starts it and the
//   next (sentry/control/server.ts).
// - A state root's (<root>/@warm.sock: no container id has an @) serves a new sandbox's `create`, with
//   the spare sandbox process the front end started (src/sandbox-main.ts,
//   `--spare`: the process engines wait for must be the front end's child),
//   and the short commands that start nothing an engine waits for
//   (ROOT_COMMANDS). A command run with Node through the front end starts
//   them (startRootWarm); each that takes a command starts its replacement;
//   they end a few seconds after the root holds no container, or when idle.
import { closeSync, openSync, readdirSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve as resolvePath } from 'node:path';
import { libcCalls, native } from '../../native/index.js';
import { SO, SOL_SOCKET } from '../../sentry/abi/socket.js';
import { listenAt } from '../../sentry/host/sockets.js';
import { CLI_MAIN, WARM_MAIN } from '../programs.js';
import { newProgram, registerRuntime, type WarmContext } from './commands.js';

/** native/front.c's protocol. */
const MAGIC = 0x7476776d;
const ANSWER_EXIT = 0;
const ANSWER_NODE = 1;
const MAX_REQUEST = 256 * 1024;

const PR_SET_PDEATHSIG = 1;
const SOCK_CLOEXEC = 0o2000000;
const LOCK_EX = 2;
const LOCK_NB = 4;
const POLLIN = 1;

/**
 * What a root's warm command line serves: commands that end soon and leave no
 * process behind that an engine waits for (create, run and exec do: the
 * process they leave must be the caller's descendant, and events streams).
 */
const ROOT_COMMANDS = new Set(['start', 'state', 'kill', 'delete', 'pause', 'resume', 'ps', 'list']);
/** How many of a root's wait at once: an engine's next command (a delete right after another) finds one ready. */
const ROOT_SPARES = 3;
/** Where a root's warm command lines listen, in the root: not a container id (StateStore.claim), nor a directory. */
export const ROOT_SOCKET = '@warm.sock';
/** A root's warm command lines end once the root has held no container for this long… */
const ROOT_LINGER_MS = 5000;
/** …and each once it has waited this long for a command (the next command then starts them again). */
const ROOT_IDLE_MS = 30_000;

interface Handed { cwd: string; argv: string[]; env: string[]; waiterPid: number; fds: number[] }

/** Serves one command from the front end for a pod's sandbox (`parent`); the process exits once it is answered. */
export async function serveWarm(listenFd: number, parent: number): Promise<void> {
  // It ends with the sandbox that started it (and that alone replaces it).
  libcCalls.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0);
  if (process.ppid !== parent) process.exit(2);
  await import('./runtime.js');
  const conn = libcCalls.accept4(listenFd, null, null, SOCK_CLOEXEC);
  closeSync(listenFd);
  if (conn < 0) process.exit(3);
  await serve(conn, (h, toNode) =>
    h.fds.length === 4 ? { waiter: { pid: h.waiterPid, sock: h.fds[3]! }, serves: (c) => c === 'create', toNode } : null);
}

/**
 * Serves one command from the front end for the state root `root`, with the
 * root's listening socket and its lock (the root directory, flocked) as
 * `listenFd` and `lockFd`; or ends, once the root has held no container for
 * ROOT_LINGER_MS (and removes the socket), or after ROOT_IDLE_MS without one.
 */
export async function serveRoot(listenFd: number, lockFd: number, root: string): Promise<void> {
  await import('./runtime.js');
  let conn = -1;
  while (conn < 0) {
    const wait = awaitCommand(listenFd, root);
    if (wait !== 'command') {
      // Its fellows end as well once the root is empty; until the last has, the lock keeps a new set from starting,
      // so the socket removed is this set's. One that waited too long leaves the socket to its fellows (once they
      // have gone, the next command finds none answering, runs with Node and starts a new set).
      if (wait === 'empty') rmSync(rootSocket(root), { force: true });
      process.exit(0);
    }
    // Non-blocking: a fellow woken by the same connection may have taken it.
    conn = libcCalls.accept4(listenFd, null, null, SOCK_CLOEXEC);
  }
  // Its replacement starts once it has answered, so as not to slow the command with a Node start-up; a fellow
  // serves the next one meanwhile.
  const env = { ...process.env };
  process.on('exit', () => spawnRootWarm(listenFd, lockFd, root, env));
  await serve(conn, (h, toNode) => {
    if (h.fds.length === 4 && h.waiterPid > 0) return { spare: { pid: h.waiterPid, sock: h.fds[3]! }, serves: (c) => c === 'create', toNode };
    return h.fds.length === 3 && h.waiterPid === 0 ? { serves: (c) => ROOT_COMMANDS.has(c), toNode } : null;
  });
}

/**
 * Starts the root's warm command lines unless it has some: called by a command that the front end ran with Node
 * because none answered. Best effort: without them, the next command runs with Node as this one did.
 */
export function startRootWarm(given: string): void {
  // They run in /: the root as given may be relative to the caller's directory.
  const root = resolvePath(given);
  let lockFd = -1;
  let listenFd = -1;
  try {
    lockFd = openSync(root, 'r');
    if (libcCalls.flock(lockFd, LOCK_EX | LOCK_NB) < 0) return;
    rmSync(rootSocket(root), { force: true });
    listenFd = listenAt(rootSocket(root));
    for (let i = 0; i < ROOT_SPARES; i++) spawnRootWarm(listenFd, lockFd, root);
  } catch {
    // No root (a command that failed before it made one), or no socket: no warm command line.
  } finally {
    if (listenFd >= 0) closeSync(listenFd);
    if (lockFd >= 0) closeSync(lockFd);
  }
}

const rootSocket = (root: string) => join(root, ROOT_SOCKET);

/**
 * A root's warm command line: a session of its own, in /, with /dev/null for stdio, the socket as fd 3, the lock as
 * 4, and the environment of the first (a warm command line takes its callers').
 */
function spawnRootWarm(listenFd: number, lockFd: number, root: string, env = process.env): void {
  spawn(process.execPath, [WARM_MAIN, '--root', root],
    { detached: true, cwd: '/', env, stdio: ['ignore', 'ignore', 'ignore', listenFd, lockFd] }).unref();
}

/** Waits for a command on the root's socket, until the root has been empty for ROOT_LINGER_MS or ROOT_IDLE_MS passed. */
function awaitCommand(listenFd: number, root: string): 'command' | 'empty' | 'idle' {
  const fds = Int16Array.of(listenFd & 0xffff, listenFd >>> 16, POLLIN, 0);
  const since = Date.now();
  let emptySince = 0;
  for (;;) {
    fds[3] = 0;
    if (libcCalls.poll(fds, 1, 1000) > 0) return 'command';
    const now = Date.now();
    if (holdsContainers(root)) emptySince = 0;
    else if (!emptySince) emptySince = now;
    else if (now - emptySince >= ROOT_LINGER_MS) return 'empty';
    if (now - since >= ROOT_IDLE_MS) return 'idle';
  }
}

/** Whether the root holds a container's state (StateStore: a directory per container); a root that is gone holds none. */
function holdsContainers(root: string): boolean {
  try { return readdirSync(root, { withFileTypes: true }).some((d) => d.isDirectory()); } catch { return false; }
}

/** Runs the command on `conn` if `context` accepts the request; the process exits once it is answered. */
async function serve(conn: number, context: (h: Handed, toNode: () => never) => WarmContext | null): Promise<void> {
  if (peerUid(conn) !== process.geteuid!()) process.exit(0);
  const handed = receive(conn);
  if (!handed) process.exit(0);
  let answered = false;
  const answer = (kind: number, code: number) => {
    if (answered) return;
    answered = true;
    const bytes = new Uint8Array(Int32Array.of(kind, code).buffer);
    native.send(conn, bytes, bytes.length, null, 0);
  };
  const toNode = (): never => { answer(ANSWER_NODE, 0); process.exit(0); };
  const warm = context(handed, toNode);
  // Help is the Node command line's (it has `do` as well); so is any command the runtime's program does not have.
  if (!warm || handed.argv.some((a) => a === '--help' || a === '-h' || a === 'help') || !becomeCaller(handed)) toNode();
  // Whatever the command's status, this process served it: a pod's sandbox replaces a warm command line that exits 0.
  process.prependListener('exit', (code) => { answer(ANSWER_EXIT, code); process.exitCode = 0; });
  const program = newProgram();
  registerRuntime(program, warm!);
  program.on('command:*', toNode);
  await program.parseAsync(handed.argv, { from: 'user' });
}

function peerUid(conn: number): number {
  const cred = new Int32Array(3);
  const len = Uint32Array.of(12);
  return libcCalls.getsockoptInt(conn, SOL_SOCKET, SO.PEERCRED, cred, len) < 0 ? -1 : cred[1]!;
}

function receive(conn: number): Handed | null {
  const buf = new Uint8Array(MAX_REQUEST);
  const fdsOut = new Int32Array(8);
  const nfds = new Int32Array(1);
  const n = native.recv(conn, buf, buf.length, fdsOut, fdsOut.length, nfds);
  const fds = Array.from(fdsOut.subarray(0, Math.max(0, nfds[0]!)));
  if (n < 16 || (fds.length !== 3 && fds.length !== 4)) return null;
  const [magic, argc, envc, waiterPid] = new Int32Array(buf.buffer, 0, 4);
  if (magic !== MAGIC) return null;
  const strings = new TextDecoder().decode(buf.subarray(16, n)).split('\0');
  if (strings.length !== 1 + argc! + envc! + 1) return null;
  return { cwd: strings[0]!, argv: strings.slice(1, 1 + argc!), env: strings.slice(1 + argc!, 1 + argc! + envc!),
    waiterPid: waiterPid!, fds };
}

/** Takes the front end's place: its stdio, working directory, environment and arguments; false if it cannot. */
function becomeCaller(h: Handed): boolean {
  for (let fd = 0; fd < 3; fd++) {
    if (libcCalls.dup3(h.fds[fd]!, fd, 0) < 0) return false;
    closeSync(h.fds[fd]!);
  }
  try { process.chdir(h.cwd); } catch { return false; }
  for (const k of Object.keys(process.env)) delete process.env[k];
  for (const e of h.env) {
    const eq = e.indexOf('=');
    if (eq > 0) process.env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  process.argv = [process.execPath, CLI_MAIN, ...h.argv];
  return true;
}
