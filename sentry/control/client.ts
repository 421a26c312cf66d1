// The client side of the control socket: what the runtime's commands
// (start, exec) and the library API (src/api) send to a running sandbox.
// One request per connection; the connection's first answer says the
// request took (or its errno), an exec's second how its process ended.
import { closeSync } from 'node:fs';
import { libcCalls, native } from '../host/native.js';
import { textName } from '../abi/names.js';
import { connectUnix } from '../host/sockets.js';
import { type ControlRequest, type ControlResponse, controlCodec } from './codec.js';

/** The sandbox refused a request (errno set), or could not be reached (errno 0). */
export class ControlError extends Error {
  constructor(message: string, readonly errno = 0, readonly notFound = false) { super(message); }
}

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const EAGAIN = 11;

/** A connection to the control socket at `path` carrying `req` (and `fds`, as SCM_RIGHTS). */
export function sendRequest(path: string, req: ControlRequest, fds: number[] = []): number {
  const sock = libcCalls.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0) throw new ControlError('socket failed');
  try {
    connectUnix(sock, textName(path));
  } catch {
    closeSync(sock);
    throw new ControlError('the sandbox does not answer (it has stopped)');
  }
  const bytes = controlCodec.encodeRequest(req);
  if (native.send(sock, bytes, bytes.length, fds.length ? Int32Array.from(fds) : null, fds.length) < 0) {
    closeSync(sock);
    throw new ControlError('cannot send to the sandbox');
  }
  return sock;
}

/** Makes later receives on `sock` return null rather than wait. */
export function setNonBlocking(sock: number): void {
  libcCalls.fcntl(sock, F_SETFL, O_NONBLOCK);
}

/**
 * The next answer on a connection and the fd that came with it (-1: none):
 * null when a non-blocking connection has none yet. Throws ControlError when
 * the sandbox hung up.
 */
export function receiveResponse(sock: number): { res: ControlResponse; fd: number } | null {
  const buf = new Uint8Array(4096);
  const got = new Int32Array(1);
  const nfds = new Int32Array(1);
  const n = native.recv(sock, buf, buf.length, got, 1, nfds);
  if (n === -EAGAIN) return null;
  if (n <= 0) throw new ControlError('the sandbox hung up');
  return { res: controlCodec.decodeResponse(buf.subarray(0, n)), fd: nfds[0] ? got[0]! : -1 };
}

/** A first answer's errno as a ControlError. */
export function checkResponse(res: ControlResponse): ControlResponse {
  if (res.errno) throw new ControlError(res.message || `errno ${res.errno}`, res.errno, res.notFound ?? false);
  return res;
}

/** The first answer on a connection that sendRequest made, waited for; the connection stays the caller's. */
export function firstAnswer(sock: number): { first: ControlResponse; fd: number } {
  const { res, fd } = receiveResponse(sock)!;
  return { first: checkResponse(res), fd };
}

/** One request on a fresh connection, waiting for its first answer; returns the connection (the caller's) with it. */
export function request(path: string, req: ControlRequest, fds: number[] = []): { sock: number; first: ControlResponse; fd: number } {
  const sock = sendRequest(path, req, fds);
  try {
    return { sock, ...firstAnswer(sock) };
  } catch (e) {
    closeSync(sock);
    throw e;
  }
}

/**
 * An exec's second answer: how its process ended (null: the sandbox hung
 * up). Polled without blocking, so that the caller's event loop runs
 * meanwhile (the runtime's exec forwards signals).
 */
export async function awaitEnd(sock: number): Promise<ControlResponse | null> {
  setNonBlocking(sock);
  try {
    for (;;) {
      const got = receiveResponse(sock);
      if (got) return got.res;
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    if (e instanceof ControlError) return null;
    throw e;
  } finally {
    closeSync(sock);
  }
}
