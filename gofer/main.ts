// The gofer process: `node gofer/main.js --sock-fd N --attach [OPTS:]PATH…`,
// OPTS a comma-separated list of `ro` or `rw` (the default) and `rbind` (the
// default) or `bind` (see confine.ts). PATH is absolute, so an attach without
// options starts with its `/`. Confines itself to the attaches, then serves
// the sentry until it hangs up.
import { openSync } from 'node:fs';
import { repoFile } from '../native/index.js';
import { O } from '../sentry/abi/flags.js';
import { confine, type Attach } from './confine.js';
import { loadCodec } from './protocol.js';
import { GoferServer } from './server.js';

/** One --attach value. */
function parseAttach(v: string): Attach {
  const colon = v.startsWith('/') ? -1 : v.indexOf(':');
  const opts = colon < 0 ? [] : v.slice(0, colon).split(',');
  const path = v.slice(colon + 1);
  const known = new Set(['ro', 'rw', 'bind', 'rbind']);
  const bad = opts.find((o) => !known.has(o));
  if (bad !== undefined || !path.startsWith('/')) throw new Error(`--attach ${v}: expected [ro|rw][,bind|rbind]:/PATH`);
  return { path, readonly: opts.includes('ro'), recursive: !opts.includes('bind') };
}

function parseArgs(argv: string[]): { sock: number; attaches: Attach[] } {
  let sock = -1;
  const attaches: Attach[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--sock-fd') sock = Number(v);
    else if (a === '--attach') attaches.push(parseAttach(v));
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(sock >= 0) || attaches.length === 0) throw new Error('usage: gofer --sock-fd N --attach [OPTS:]PATH…');
  return { sock, attaches };
}

try {
  const { sock, attaches } = parseArgs(process.argv.slice(2));
  // The sentry sends the final mode of what it creates, its umask already applied.
  process.umask(0);
  const codec = loadCodec(repoFile('gofer/gofer.proto'));
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
