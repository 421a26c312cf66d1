// The sandbox process: the sentry serving one sandbox. Started by the CLI
// with the sandbox's spec as JSON in argv[2]; exits as the guest's main
// process did (128 + signal for a signal). The gofer is started first, so
// that its start-up overlaps the loading of the sentry.
import { goferAttaches, spawnGofer } from '../sentry/fs/gofer/spawn.js';
import type { SandboxSpec } from '../sentry/boot.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as SandboxSpec;
let boot: typeof import('../sentry/boot.js') | undefined;
let status;
try {
  const gofer = spawnGofer(goferAttaches(spec));
  const [sentry, { openLog }] = await Promise.all([import('../sentry/boot.js'), import('../sentry/log.js')]);
  boot = sentry;
  status = sentry.runSandbox(spec, gofer, await openLog(spec));
} catch (e) {
  process.stderr.write(`tvisor: ${(e as Error).message}\n`);
  if (process.env.TVISOR_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(boot && e instanceof boot.CommandNotFound ? 127 : 125);
}
process.exit('code' in status ? status.code : 128 + status.signal);
