// Warm command lines: Node processes with the runtime's modules loaded that
// wait on a unix socket for the commands the front end (native/front.c)
// hands them: a command's argv, cwd, environment and stdio. One runs a
// command as the Node command line would — the same program, parsed by
// commander, with the same checks — and answers with its exit code, or
// sends it back unserved when it is not one it serves (then nothing was
// done, and the front end runs Node).
//
// - A pod's (<root>/<sandbox id>/warm.sock) serves one joining `create`,
//   with the waiter the front end started, and exits; the pod's sandbox
//   starts the next (sentry/control/server.ts).
// - A state root's (<root>/@warm.sock: no container id has an @) serve a new
//   sandbox's `create`, with the spare sandbox process the front end started
//   (src/sandbox-main.ts, `--spare`: the process engines wait for must be
//   the front end's child), and the short commands that start nothing an
//   engine waits for (ROOT_COMMANDS), one after another, each back in its
//   own place (stdio, cwd, environment) between two. A command run with Node
//   through the front end starts them (startRootWarm); they end a few
//   seconds after the root holds no container, or when idle.
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join, resolve as resolvePath } from 'node:path';
import { CommanderError } from 'commander';
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
const POLLOUT = 4;

/**
 * What a root's warm command line serves besides a create: commands that end
 * soon and leave no process behind that an engine waits for (run and exec
 * do: the process they leave must be the caller's descendant; events
 * streams).
 */
const ROOT_COMMANDS = new Set(['start', 'state', 'kill', 'delete', 'pause', 'resume', 'ps', 'list']);
/** How many of a root's wait at once: a command that comes while one serves finds another. */
const ROOT_LINES = 2;
/** How many commands one serves before a new one takes its place: a bound on what a long life could leak. */
const ROOT_COMMANDS_EACH = 1000;
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
  // Whatever the command's status, this process served it: the pod's sandbox replaces a warm command line that
  // exits 0.
  await serve(conn, receive(conn), (h) => h.fds.length === 4
    ? { waiter: { pid: h.waiterPid, sock: h.fds[3]! }, serves: (c) => c === 'create' } : null, () => process.exit(0));
}

/**
 * Serves commands from the front end for the state root `root`, with the
 * root's listening socket and its lock (the root directory, flocked) as
 * `listenFd` and `lockFd`, one at a time; ends once the root has held no
 * container for ROOT_LINGER_MS (and removes the socket), after ROOT_IDLE_MS
 * without a command, or after ROOT_COMMANDS_EACH (and starts its successor).
 */
export async function serveRoot(listenFd: number, lockFd: number, root: string): Promise<void> {
  await import('./runtime.js');
  writeStdioByFd();
  const own = { env: { ...process.env }, argv: [...process.argv] };
  for (let served = 0; served < ROOT_COMMANDS_EACH; served++) {
    const conn = nextConnection(listenFd, root);
    const handed = receive(conn);
    await new Promise<void>((done) => void serve(conn, handed, (h) => {
      if (h.fds.length === 4 && h.waiterPid > 0) return { spare: { pid: h.waiterPid, sock: h.fds[3]! }, serves: (c) => c === 'create' };
      return h.fds.length === 3 && h.waiterPid === 0 ? { serves: (c) => ROOT_COMMANDS.has(c) } : null;
    }, done));
    backInPlace(own, conn, handed);
  }
  spawnRootWarm(listenFd, lockFd, root, own.env);
  process.exit(0);
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
    for (let i = 0; i < ROOT_LINES; i++) spawnRootWarm(listenFd, lockFd, root);
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
 * 4, and the environment of the first.
 */
function spawnRootWarm(listenFd: number, lockFd: number, root: string, env = process.env): void {
  spawn(process.execPath, [WARM_MAIN, '--root', root],
    { detached: true, cwd: '/', env, stdio: ['ignore', 'ignore', 'ignore', listenFd, lockFd] }).unref();
}

/**
 * The next command's connection on the root's socket; the process ends instead once the root has been empty for
 * ROOT_LINGER_MS, removing the socket (its fellows end as well; until the last has, the lock keeps a new set from
 * starting, so the socket removed is this set's), or after ROOT_IDLE_MS without a command, leaving the socket to its
 * fellows (once they have gone, the next command finds none answering, runs with Node and starts a new set).
 */
function nextConnection(listenFd: number, root: string): number {
  const fds = Int16Array.of(listenFd & 0xffff, listenFd >>> 16, POLLIN, 0);
  const since = Date.now();
  let emptySince = 0;
  for (;;) {
    fds[3] = 0;
    if (libcCalls.poll(fds, 1, 1000) > 0) {
      // Non-blocking: a fellow woken by the same connection may have taken it.
      const conn = libcCalls.accept4(listenFd, null, null, SOCK_CLOEXEC);
      if (conn >= 0) return conn;
      continue;
    }
    const now = Date.now();
    if (holdsContainers(root)) emptySince = 0;
    else if (!emptySince) emptySince = now;
    else if (now - emptySince >= ROOT_LINGER_MS) {
      rmSync(rootSocket(root), { force: true });
      process.exit(0);
    }
    if (now - since >= ROOT_IDLE_MS) process.exit(0);
  }
}

/** Whether the root holds a container's state (StateStore: a directory per container); a root that is gone holds none. */
function holdsContainers(root: string): boolean {
  try { return readdirSync(root, { withFileTypes: true }).some((d) => d.isDirectory()); } catch { return false; }
}

/** What a warm command line offers a request: the commands it serves it, with the waiter or spare it came with. */
type Offer = Pick<WarmContext, 'waiter' | 'spare' | 'serves'>;

/**
 * Runs the handed command in the caller's place if `offer` serves it (null: it does not), answers it on `conn`
 * once, with its exit status or "Node", and then calls `answered`.
 */
async function serve(conn: number, handed: Handed | null, offer: (h: Handed) => Offer | null, answered: () => void): Promise<void> {
  let sent = false;
  const end = (kind: number, code: number) => {
    if (sent) return;
    sent = true;
    const bytes = new Uint8Array(Int32Array.of(kind, code).buffer);
    native.send(conn, bytes, bytes.length, null, 0);
    answered();
  };
  const toNode = () => end(ANSWER_NODE, 0);
  const served = handed && offer(handed);
  // Help is the Node command line's (it has `do` as well); so is any command the runtime's program does not have.
  if (!handed || !served || handed.argv.some((a) => a === '--help' || a === '-h' || a === 'help') || !becomeCaller(handed)) {
    return toNode();
  }
  const warm: WarmContext = { ...served, toNode, finish: (code) => end(ANSWER_EXIT, code) };
  const program = newProgram().exitOverride();
  registerRuntime(program, warm);
  program.on('command:*', () => warm.toNode());
  try {
    await program.parseAsync(handed.argv, { from: 'user' });
  } catch (e) {
    // commander's own end (a bad option, --version): it wrote what it had to.
    if (e instanceof CommanderError) return warm.finish(e.exitCode);
    throw e;
  }
  // Every command's action answers; a parse that reached none sent nothing anywhere.
  warm.toNode();
}

function peerUid(conn: number): number {
  const cred = new Int32Array(3);
  const len = Uint32Array.of(12);
  return libcCalls.getsockoptInt(conn, SOL_SOCKET, SO.PEERCRED, cred, len) < 0 ? -1 : cred[1]!;
}

/** The front end's request on `conn`, from a peer of this process's uid only; null for anything else. */
function receive(conn: number): Handed | null {
  if (peerUid(conn) !== process.geteuid!()) return null;
  const buf = new Uint8Array(MAX_REQUEST);
  const fdsOut = new Int32Array(8);
  const nfds = new Int32Array(1);
  const n = native.recv(conn, buf, buf.length, fdsOut, fdsOut.length, nfds);
  const fds = Array.from(fdsOut.subarray(0, Math.max(0, nfds[0]!)));
  const handed = (): Handed | null => {
    if (n < 16 || (fds.length !== 3 && fds.length !== 4)) return null;
    const [magic, argc, envc, waiterPid] = new Int32Array(buf.buffer, 0, 4);
    if (magic !== MAGIC) return null;
    const strings = new TextDecoder().decode(buf.subarray(16, n)).split('\0');
    if (strings.length !== 1 + argc! + envc! + 1) return null;
    return { cwd: strings[0]!, argv: strings.slice(1, 1 + argc!), env: strings.slice(1 + argc!, 1 + argc! + envc!),
      waiterPid: waiterPid!, fds };
  };
  const h = handed();
  if (!h) for (const fd of fds) closeSync(fd);
  return h;
}

/** Takes the front end's place: its stdio, working directory, environment and arguments; false if it cannot. */
function becomeCaller(h: Handed): boolean {
  for (let fd = 0; fd < 3; fd++) {
    if (libcCalls.dup3(h.fds[fd]!, fd, 0) < 0) return false;
  }
  try { process.chdir(h.cwd); } catch { return false; }
  setEnv(h.env);
  process.argv = [process.execPath, CLI_MAIN, ...h.argv];
  return true;
}

/** A root's warm command line back in its own place after a command: /dev/null for stdio, /, its environment. */
function backInPlace(own: { env: NodeJS.ProcessEnv; argv: string[] }, conn: number, h: Handed | null): void {
  const nul = openSync('/dev/null', 'r+');
  for (let fd = 0; fd < 3; fd++) libcCalls.dup3(nul, fd, 0);
  closeSync(nul);
  for (const fd of [conn, ...(h?.fds ?? [])]) closeSync(fd);
  process.chdir('/');
  setEnv(Object.entries(own.env).map(([k, v]) => `${k}=${v}`));
  process.argv = [...own.argv];
}

function setEnv(env: string[]): void {
  for (const k of Object.keys(process.env)) delete process.env[k];
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) process.env[e.slice(0, eq)] = e.slice(eq + 1);
  }
}

/**
 * process.stdout and process.stderr write straight to fds 1 and 2, whatever they are now: Node makes each stream
 * once, for the kind of file its fd was then, and a root's warm command line takes a new caller's stdio for each
 * command. A caller's non-blocking pipe that is full is waited for; one whose reader has gone takes nothing.
 */
function writeStdioByFd(): void {
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
      writeAll(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      const callback = typeof encoding === 'function' ? encoding : cb;
      if (typeof callback === 'function') callback();
      return true;
    }) as typeof stream.write;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  const pollOut = Int16Array.of(fd, 0, POLLOUT, 0);
  for (let off = 0; off < bytes.length;) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      libcCalls.poll(pollOut, 1, -1);
    }
  }
}
