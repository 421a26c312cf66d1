// A warm command line (src/oci/warm.ts): a pod's, started by the pod's
// sandbox with its warm socket's listening end as fd 3 and its own pid; or a
// state root's, started by a command (or a fellow) with the root's socket as
// fd 3 and the root's lock as fd 4.
import { serveRoot, serveWarm } from './oci/warm.js';

const [first, second] = process.argv.slice(2);
const parent = Number(first);
// Its bundle is CommonJS (scripts/bundle.mjs): no top-level await. A failure is an unhandled rejection, which ends
// the process with its error as a failed top-level await would.
if (first === '--root' && second) void serveRoot(3, 4, second);
else if (Number.isInteger(parent) && parent > 0) void serveWarm(3, parent);
else {
  process.stderr.write('usage: warm-main.js SANDBOX_PID (the warm socket on fd 3) | --root ROOT (its socket on fd 3, its lock on 4)\n');
  process.exit(2);
}
