// The programs tvisor starts as processes. Each Node one is one file that
// `npm run build` bundles from the compiled modules (scripts/bundle.mjs): a
// Node start-up then reads and compiles a few files instead of about a
// hundred (docs/design.md, "Start-up").
import { repoFile } from '../native/repo.js';

/** The command line (the front end runs it, and bin/tvisor.js), for a command that starts another of itself. */
export const CLI_MAIN = repoFile('dist/bundle/src/cli.js');
/** The sandbox process: the sentry, its gofer's parent. */
export const SANDBOX_MAIN = repoFile('dist/bundle/src/sandbox-main.js');
/** A pod's warm command line (src/oci/warm.ts), which serves a joining create handed over by native/build/tvisor. */
export const WARM_MAIN = repoFile('dist/bundle/src/warm-main.js');
/** The waiter of a pod's container (native/waiter.c): a few hundred kB where a Node process takes tens of MB. */
export const WAITER = repoFile('native/build/tvisor-waiter');
