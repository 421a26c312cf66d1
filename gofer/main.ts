// The gofer process: `node gofer/main.js --sock-fd N --attach DIR[:ro]…`.
// Confines itself to the attach trees, then serves the sentry until it hangs up.
import { openSync } from 'node:fs';
import { repoFile } from '../native/index.js';
import { O } from '../sentry/abi/flags.js';
import { confine, type Attach } from './confine.js';
import { loadCodec } from './protocol.js';
import { GoferServer } from './server.js';


function parseArgs(argv: string[]): { sock: number; attaches: Attach[] } {
  let sock = -1;
  const attaches: Attach[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--sock-fd') sock = Number(v);
    else if (a === '--attach') {
      const ro = v.endsWith(':ro');
      attaches.push({ path: ro ? v.slice(0, -3) : v, readonly: ro });
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(sock >= 0) || attaches.length === 0) throw new Error('usage: gofer --sock-fd N --attach DIR[:ro]…');
  return { sock, attaches };
}

try {
  const { sock, attaches } = parseArgs(process.argv.slice(2));
  // The sentry sends the final mode of what it creates, its umask already applied.
  process.umask(0);
  const codec = loadCodec(repoFile('gofer/gofer.proto'));
  confine(attaches, '/tmp');
  // The roots are opened in the confined tree, not before: an fd of the
  // host directory would be on the host's mount, writable even for a
  // read-only attach and without nodev/nosuid.
  const roots = attaches.map((_, i) => openSync(`/${i}`, O.PATH | O.DIRECTORY | O.CLOEXEC));
  new GoferServer(sock, codec, roots).serve();
  process.exit(0);
} catch (e) {
  process.stderr.write(`tvisor-gofer: ${(e as Error).message}\n`);
  process.exit(1);
}
