// A pod's warm command line (src/oci/warm.ts): started by the pod's sandbox
// with its warm socket's listening end as fd 3 and its own pid.
import { serveWarm } from './oci/warm.js';

const parent = Number(process.argv[2]);
if (!Number.isInteger(parent) || parent <= 0) {
  process.stderr.write('usage: warm-main.js SANDBOX_PID (the warm socket on fd 3)\n');
  process.exit(2);
}
// Its bundle is CommonJS (scripts/bundle.mjs): no top-level await. A failure is an unhandled rejection, which ends
// the process with its error as a failed top-level await would.
void serveWarm(3, parent);
