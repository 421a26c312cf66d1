// The gofer process: `node gofer/main.js --sock-fd N`. Its first message on
// the socket says what it serves (gofer.proto's Attaches); it confines
// itself to that (see confine.ts), then serves the sentry until it hangs up.
// A sentry that hangs up before saying ends it as quietly.
import { openSync } from 'node:fs';
import { native } from '../native/index.js';
import { O } from '../sentry/abi/flags.js';
import { confine, type Attach } from './confine.js';
import { type Codec, loadCodec, MAX_MESSAGE } from './protocol.js';
import { GoferServer } from './server.js';

function parseArgs(argv: string[]): { sock: number } {
  if (argv.length !== 2 || argv[0] !== '--sock-fd' || !(Number(argv[1]) >= 0)) throw new Error('usage: gofer --sock-fd N');
  return { sock: Number(argv[1]) };
}

/** The first message: the attaches, or null if the sentry hung up first. */
function receiveAttaches(sock: number, codec: Codec): Attach[] | null {
  const buf = new Uint8Array(MAX_MESSAGE);
  const fds = new Int32Array(1);
  const nfds = new Int32Array(1);
  const n = native.recv(sock, buf, buf.length, fds, 0, nfds);
  if (n === 0) return null;
  if (n < 0) throw new Error(`recv: errno ${-n}`);
  const attaches = codec.decodeAttaches(buf.subarray(0, n));
  const bad = attaches.find((a) => !a.path.startsWith('/'));
  if (attaches.length === 0 || bad) throw new Error(`attach ${bad?.path ?? '(none)'}: expected an absolute path`);
  return attaches;
}

try {
  const { sock } = parseArgs(process.argv.slice(2));
  // The sentry sends the mode of what it creates and the creator's umask, which the server applies for the call
  // (withUmask in server.ts): the host then applies a directory's default ACL instead, as Linux does.
  process.umask(0);
  const codec = loadCodec();
  const attaches = receiveAttaches(sock, codec);
  if (attaches === null) process.exit(0);
  const { isDir } = confine(attaches, '/tmp');
  // The roots are opened in the confined tree, not before: an fd of the
  // host directory would be on the host's mount, writable even for a
  // read-only attach and without nodev/nosuid.
  const roots = isDir.map((dir, i) => ({ fd: openSync(`/${i}`, O.PATH | (dir ? O.DIRECTORY : O.NOFOLLOW) | O.CLOEXEC), name: `${i}`, dir }));
  new GoferServer(sock, codec, roots).serve();
  process.exit(0);
} catch (e) {
  process.stderr.write(`tvisor-gofer: ${(e as Error).message}\n`);
  process.exit(1);
}
