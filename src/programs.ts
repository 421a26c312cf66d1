// The programs tvisor starts as processes. Each Node one is one file that
// `npm run build` bundles from the compiled modules (scripts/bundle.mjs): a
// Node start-up then reads and compiles a few files instead of about a
// hundred (docs/design.md, "Start-up").
import { existsSync } from 'node:fs';
import { repoFile } from '../native/repo.js';

/** The command line (the front end runs it, and bin/tvisor.js), for a command that starts another of itself. */
export const CLI_MAIN = repoFile('dist/bundle/src/cli.js');
/** The sandbox process: the sentry, its gofer's parent. */
export const SANDBOX_MAIN = repoFile('dist/bundle/src/sandbox-main.js');
/** A pod's warm command line (src/oci/warm.ts), which serves a joining create handed over by native/build/tvisor. */
export const WARM_MAIN = repoFile('dist/bundle/src/warm-main.js');
/** The waiter of a pod's container (native/waiter.c): a few hundred kB where a Node process takes tens of MB. */
export const WAITER = repoFile('native/build/tvisor-waiter');

const FRONT_END = repoFile('native/build/tvisor');

/**
 * The file and arguments that start Node with `args` for a sandbox process:
 * through the front end (`tvisor --node`, native/front.c) when it is built,
 * which grows the process's fd table before Node's threads share it (each
 * growth after waits for an RCU grace period: docs/design.md, "The fd table").
 */
export function nodeProgram(args: string[]): [string, string[]] {
  return existsSync(FRONT_END) ? [FRONT_END, ['--node', ...args]] : [process.execPath, args];
}
