// The sandbox process: the sentry serving one sandbox. Started by the CLI
// with the sandbox's spec as JSON in argv[2]; exits as the guest's main
// process did (a signal death is re-raised).
import { runSandbox, type SandboxSpec } from '../sentry/boot.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as SandboxSpec;
let status;
try {
  status = runSandbox(spec);
} catch (e) {
  process.stderr.write(`tvisor: ${(e as Error).message}\n`);
  if (process.env.TVISOR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(125);
}
if ('code' in status) process.exit(status.code);
// As a shell reports it: 128 + signal.
process.exit(128 + status.signal);
