// A pod's warm command line: a Node process that the pod's sandbox starts
// ahead, with the runtime's modules loaded, waiting on the pod's warm socket
// (<root>/<sandbox id>/warm.sock) for one `create` that the front end
// (native/front.c) hands it: the command's argv, cwd,
// environment and stdio, and the waiter the front end started. It runs the
// command as the Node command line would — the same program, parsed by
// commander, with create's own checks — and answers with its exit code, or
// sends it back to the front end unserved when it is not a join (then
// nothing was done, and the front end runs Node). One command each: the
// sandbox starts the next when it ends (sentry/control/server.ts).
import { closeSync } from 'node:fs';
import { libcCalls, native } from '../../native/index.js';
import { SO, SOL_SOCKET } from '../../sentry/abi/socket.js';
import { CLI_MAIN } from '../programs.js';
import { newProgram, registerRuntime, type WarmContext } from './commands.js';

/** native/front.c's protocol. */
const MAGIC = 0x7476776d;
const ANSWER_EXIT = 0;
const ANSWER_NODE = 1;
const MAX_REQUEST = 256 * 1024;

const PR_SET_PDEATHSIG = 1;
const SOCK_CLOEXEC = 0o2000000;

interface Handed { cwd: string; argv: string[]; env: string[]; waiterPid: number; fds: number[] }

/** Serves one command from the front end; the process exits once it is answered. */
export async function serveWarm(listenFd: number, parent: number): Promise<void> {
  // It ends with the sandbox that started it (and that alone replaces it).
  libcCalls.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0);
  if (process.ppid !== parent) process.exit(2);
  await import('./runtime.js');
  const conn = libcCalls.accept4(listenFd, null, null, SOCK_CLOEXEC);
  closeSync(listenFd);
  if (conn < 0) process.exit(3);
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
  if (!becomeCaller(handed)) toNode();
  // Whatever the command's status, this process served it: the sandbox replaces a warm command line that exits 0.
  process.on('exit', (code) => { answer(ANSWER_EXIT, code); process.exitCode = 0; });
  const warm: WarmContext = { waiter: { pid: handed.waiterPid, sock: handed.fds[3]! }, toNode };
  const program = newProgram();
  registerRuntime(program, warm);
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
  if (n < 16 || fds.length !== 4) return null;
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
